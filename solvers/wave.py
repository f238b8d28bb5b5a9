r"""Reference solvers for the 1D wave spec: a sine series exact in time, and leapfrog.

``spectral`` (the default) expands the initial value and velocity, sampled on
the requested grid, in the sine modes ``sin(m pi x)`` by a type-I discrete sine
transform and advances every mode exactly,
``b_m(t) = b_m(0) cos(w_m t) + v_m / w_m sin(w_m t)`` with ``w_m = c m pi``.
Data that are sums of the grid's sine modes (the spec's closed form) are
reproduced to round-off.

``leapfrog`` is the explicit scheme ``u^{n+1} = 2 u^n - u^{n-1} + (c dt / h)^2
(u^n_{j+1} - 2 u^n_j + u^n_{j-1})``, started by the Taylor step
``u^1 = u^0 + dt v^0 + (c dt)^2 / 2 u^0_xx``; second order in space and time.
The step obeys the CFL bound ``c dt / h <= cfl`` and divides the output time
interval so that every requested time is a step.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import fft

from equations.errors import InvalidDataError, InvalidParameterError
from equations.wave import Wave
from solvers.registry import SolverOutput, register

# explicit steps are cheap, but a runaway (tiny cfl, huge grid) should fail clearly
MAX_STEPS = 1_000_000


def _initial_data(equation: Wave, x: np.ndarray, t0: float) -> tuple[np.ndarray, np.ndarray]:
    if x.size < 3:
        raise InvalidDataError(f"wave: needs >= 3 points along x, got {x.size}")
    c = {"x": x, "t": np.full_like(x, t0)}
    u0 = np.asarray(equation.initial_value(c), dtype=np.float64) + 0.0 * x
    v0 = np.asarray(equation.initial_velocity(c), dtype=np.float64) + 0.0 * x
    return u0, v0


@register(Wave, "spectral", reads=("initial_value", "initial_velocity"))
def solve_wave_spectral(equation: Wave, axes: dict[str, np.ndarray]) -> SolverOutput:
    """Registered solver: sine series of the sampled initial data, exact in time.

    Returns the values (dims ``x, t``) and the statistic ``modes``. The ends are 0.
    """
    x, t = axes["x"], axes["t"]
    u0, v0 = _initial_data(equation, x, float(t[0]))
    n = x.size - 2  # interior points = sine modes
    length = float(x[-1] - x[0])
    # b_m = 2 / (n + 1) sum_j u_j sin(pi m j / (n + 1)), m = 1..n: DST-I divided by (n + 1)
    b = fft.dst(u0[1:-1], type=1) / (n + 1)
    a = fft.dst(v0[1:-1], type=1) / (n + 1)
    omega = equation.c * math.pi * np.arange(1, n + 1) / length
    tau = (t - t[0])[None, :]
    coeffs = b[:, None] * np.cos(omega[:, None] * tau) + (a / omega)[:, None] * np.sin(omega[:, None] * tau)
    out = np.zeros((x.size, t.size))
    out[1:-1] = fft.dst(coeffs, type=1, axis=0) / 2  # sum_m coeffs_m sin(pi m j / (n + 1))
    return SolverOutput(out, {"modes": int(n)})


@register(Wave, "leapfrog", reads=("initial_value", "initial_velocity"))
def solve_wave_leapfrog(equation: Wave, axes: dict[str, np.ndarray], *, cfl: float = 0.5) -> SolverOutput:
    """Registered solver: leapfrog in time, 3-point second difference in space.

    Parameters
    ----------
    cfl : float
        Courant number bound ``c dt / h``, in ``(0, 1]`` (the scheme is stable up
        to 1, where it is exact on the grid); the step actually used is the
        largest one below it that divides the output time interval.

    Returns the values (dims ``x, t``) and the statistics ``steps``, ``dt`` and
    ``courant`` (the Courant number used).

    Raises
    ------
    InvalidParameterError
        ``cfl`` is not in ``(0, 1]``.
    InvalidDataError
        Fewer than 3 points along ``x``, or more than ``MAX_STEPS`` time steps.
    """
    if isinstance(cfl, bool) or not isinstance(cfl, (int, float)) or not (0 < cfl <= 1):
        raise InvalidParameterError(f"leapfrog: cfl must be in (0, 1], got {cfl!r}")
    x, t = axes["x"], axes["t"]
    u0, v0 = _initial_data(equation, x, float(t[0]))
    h = float((x[-1] - x[0]) / (x.size - 1))
    dt_out = float(t[1] - t[0])
    per_output = max(1, math.ceil(dt_out * equation.c / (cfl * h) * (1 - 1e-12)))
    total = per_output * (t.size - 1)
    if total > MAX_STEPS:
        raise InvalidDataError(f"wave: {total} leapfrog steps exceed the limit of {MAX_STEPS}")
    dt = dt_out / per_output
    r2 = (equation.c * dt / h) ** 2

    out = np.zeros((x.size, t.size))
    previous = u0.copy()
    previous[0] = previous[-1] = 0.0  # fixed ends, also at t = 0
    out[:, 0] = previous
    current = np.zeros_like(previous)
    current[1:-1] = (
        previous[1:-1] + dt * v0[1:-1] + 0.5 * r2 * (previous[2:] - 2 * previous[1:-1] + previous[:-2])
    )
    if per_output == 1:
        out[:, 1] = current
    nxt = np.zeros_like(previous)
    for step in range(2, total + 1):
        nxt[1:-1] = 2 * current[1:-1] - previous[1:-1] + r2 * (current[2:] - 2 * current[1:-1] + current[:-2])
        previous, current, nxt = current, nxt, previous
        if step % per_output == 0:
            out[:, step // per_output] = current
    return SolverOutput(out, {"steps": int(total), "dt": float(dt), "courant": float(equation.c * dt / h)})
