"""Reference solver for the Klein--Gordon spec: explicit leapfrog with 5-point differences.

``u^{n+1} = 2 u^n - u^{n-1} + dt^2 (Delta_h u^n - (u^n)^2 + f^n)`` on the
interior of the requested ``(x, y)`` grid, with the exact Dirichlet values on
its frame at every step. The first step is the Taylor expansion
``u^1 = u^0 + dt v^0 + dt^2 / 2 (Delta_h u^0 - (u^0)^2 + f^0)`` with the initial
velocity ``v^0``. Second order in space and time; the step obeys the CFL bound
``dt sqrt(1 / hx^2 + 1 / hy^2) <= cfl`` and divides the output interval so that
every requested time is a step.
"""

from __future__ import annotations

import math

import numpy as np

from equations.errors import InvalidDataError
from equations.klein_gordon import KleinGordon
from solvers.fd import explicit_grid
from solvers.registry import SolverOutput, register

# explicit steps are cheap, but a runaway (tiny cfl, huge grid) should fail clearly
MAX_STEPS = 1_000_000


@register(KleinGordon, "leapfrog", reads=("initial_value", "initial_velocity", "source"))
def solve_klein_gordon(equation: KleinGordon, axes: dict[str, np.ndarray], *, cfl: float = 0.5) -> SolverOutput:
    """Registered solver: leapfrog in time, 5-point Laplacian in space, sampled on the grid.

    Parameters
    ----------
    cfl : float
        Courant number ``dt sqrt(1 / hx^2 + 1 / hy^2)`` bound, in ``(0, 1]``
        (the scheme is stable up to 1); the step actually used is the largest
        one below it that divides the output time interval.

    Returns the values (dims ``x, y, t``) and the statistics ``steps`` and ``dt``.

    Raises
    ------
    InvalidParameterError
        ``cfl`` is not in ``(0, 1]``.
    InvalidDataError
        Fewer than 3 points along ``x`` or ``y``, or more than ``MAX_STEPS`` time steps.
    """
    x, y, t, hx, hy = explicit_grid("leapfrog", "klein_gordon", cfl, axes)
    dt_out = float(t[1] - t[0])
    dt_max = cfl / math.sqrt(1 / hx**2 + 1 / hy**2)
    per_output = max(1, math.ceil(dt_out / dt_max * (1 - 1e-12)))
    if per_output * (t.size - 1) > MAX_STEPS:
        raise InvalidDataError(
            f"klein_gordon: {per_output * (t.size - 1)} leapfrog steps exceed the limit of {MAX_STEPS}"
        )
    dt = dt_out / per_output
    X, Y = np.meshgrid(x, y, indexing="ij")

    def coords(time: float) -> dict[str, np.ndarray]:
        return {"x": X, "y": Y, "t": np.full_like(X, time)}

    def acceleration(u: np.ndarray, time: float) -> np.ndarray:
        """``Delta_h u - u^2 + f`` on the interior."""
        c = u[1:-1, 1:-1]
        lap = (u[2:, 1:-1] - 2 * c + u[:-2, 1:-1]) / hx**2 + (u[1:-1, 2:] - 2 * c + u[1:-1, :-2]) / hy**2
        return lap - c**2 + np.asarray(equation.source(coords(time)))[1:-1, 1:-1]

    def with_frame(interior: np.ndarray, time: float) -> np.ndarray:
        u = np.asarray(equation.exact(coords(time)), dtype=np.float64)
        u[1:-1, 1:-1] = interior
        return u

    out = np.empty((x.size, y.size, t.size))
    start = float(t[0])
    previous = np.asarray(equation.initial_value(coords(start)), dtype=np.float64)
    velocity = np.asarray(equation.initial_velocity(coords(start)), dtype=np.float64)
    out[:, :, 0] = previous
    current = with_frame(
        previous[1:-1, 1:-1] + dt * velocity[1:-1, 1:-1] + 0.5 * dt**2 * acceleration(previous, start), start + dt
    )
    steps = 1
    total = per_output * (t.size - 1)
    if per_output == 1:
        out[:, :, 1] = current
    while steps < total:
        time = start + steps * dt
        nxt = 2 * current[1:-1, 1:-1] - previous[1:-1, 1:-1] + dt**2 * acceleration(current, time)
        previous, current = current, with_frame(nxt, start + (steps + 1) * dt)
        steps += 1
        if steps % per_output == 0:
            out[:, :, steps // per_output] = current
    if not np.all(np.isfinite(out)):
        raise InvalidDataError("klein_gordon: the leapfrog solution became non-finite (blow-up of u^2)")
    return SolverOutput(out, {"steps": int(steps), "dt": float(dt)})
