r"""Reference solver for the 2D nonlinear diffusion spec: conservative differences and RK4.

The spec's ``u_t = alpha (|grad u|^2 + u Delta u)`` is written in its
conservative form ``u_t = (alpha / 2) Delta(u^2)`` and discretised with the
5-point Laplacian of ``w = u^2`` on the interior of the requested ``(x, y)``
grid (``u = 0`` on its frame): second order in space, and the discrete mass
``sum(u) hx hy`` changes only by the boundary fluxes ``(alpha / 2) w / h``,
which vanish with ``u`` next to the boundary. Time stepping is the classical
explicit Runge--Kutta method of order 4, with a step below its stability limit
for the linearised diffusivity ``alpha u``:

``dt <= cfl * 2.78 / (4 alpha max(u0) (1 / hx^2 + 1 / hy^2))``

(``max u <= max u0`` by the maximum principle). The step divides the output
time interval; since it scales with ``h^2`` the time error ``O(dt^4)`` is far
below the space error ``O(h^2)``. The hot loop is a few vectorised NumPy array
expressions per stage.
"""

from __future__ import annotations

import math

import numpy as np

from equations.errors import InvalidDataError
from equations.nonlinear_diffusion import NonlinearDiffusion
from solvers.fd import explicit_grid
from solvers.registry import SolverOutput, register

# explicit steps are cheap, but a runaway (tiny cfl, huge grid) should fail clearly
MAX_STEPS = 1_000_000
# stability interval of classical RK4 on the negative real axis: [-2.785, 0]
RK4_REAL_STABILITY = 2.78


@register(NonlinearDiffusion, "fd_rk4", reads=("initial_value",))
def solve_nonlinear_diffusion(
    equation: NonlinearDiffusion, axes: dict[str, np.ndarray], *, cfl: float = 0.5
) -> SolverOutput:
    """Registered solver: 5-point differences of ``u^2`` in space, explicit RK4 in time.

    Parameters
    ----------
    cfl : float
        Fraction of the RK4 stability limit of the step, in ``(0, 1]``; the step
        actually used is the largest one below it that divides the output time
        interval.

    Returns the values (dims ``x, y, t``; 0 on the frame at every output time,
    including ``t = 0``) and the statistics ``steps``, ``dt``, ``mass_change``
    (relative change of ``sum(u) hx hy`` from the first to the last output)
    and ``min_value``.

    Raises
    ------
    InvalidParameterError
        ``cfl`` is not in ``(0, 1]``.
    InvalidDataError
        Fewer than 3 points along ``x`` or ``y``, more than ``MAX_STEPS`` steps,
        or a non-finite solution.
    """
    x, y, t, hx, hy = explicit_grid("fd_rk4", "nonlinear_diffusion", cfl, axes)
    X, Y = np.meshgrid(x, y, indexing="ij")
    u = np.asarray(equation.initial_value({"x": X, "y": Y, "t": np.full_like(X, t[0])}), dtype=np.float64)
    u = u + 0.0 * X
    u[0, :] = u[-1, :] = u[:, 0] = u[:, -1] = 0.0
    peak = max(float(u.max()), 1e-300)
    half_alpha = 0.5 * equation.alpha
    dt_max = cfl * RK4_REAL_STABILITY / (4 * equation.alpha * peak * (1 / hx**2 + 1 / hy**2))
    dt_out = float(t[1] - t[0])
    per_output = max(1, math.ceil(dt_out / dt_max * (1 - 1e-12)))
    total = per_output * (t.size - 1)
    if total > MAX_STEPS:
        raise InvalidDataError(f"nonlinear_diffusion: {total} RK4 steps exceed the limit of {MAX_STEPS}")
    dt = dt_out / per_output
    cx, cy = half_alpha / hx**2, half_alpha / hy**2

    def rate(v: np.ndarray) -> np.ndarray:
        """``(alpha / 2) Delta_h(v^2)`` on the interior (the frame of ``v`` is 0)."""
        w = v * v
        c = w[1:-1, 1:-1]
        return cx * (w[2:, 1:-1] - 2 * c + w[:-2, 1:-1]) + cy * (w[1:-1, 2:] - 2 * c + w[1:-1, :-2])

    out = np.empty((x.size, y.size, t.size))
    out[:, :, 0] = u
    stage = np.zeros_like(u)
    for step in range(1, total + 1):
        inner = u[1:-1, 1:-1]
        k1 = rate(u)
        stage[1:-1, 1:-1] = inner + 0.5 * dt * k1
        k2 = rate(stage)
        stage[1:-1, 1:-1] = inner + 0.5 * dt * k2
        k3 = rate(stage)
        stage[1:-1, 1:-1] = inner + dt * k3
        k4 = rate(stage)
        u[1:-1, 1:-1] = inner + dt / 6 * (k1 + 2 * (k2 + k3) + k4)
        if step % per_output == 0:
            out[:, :, step // per_output] = u
    if not np.all(np.isfinite(out)):
        raise InvalidDataError("nonlinear_diffusion: the RK4 solution became non-finite")
    mass = out.sum(axis=(0, 1)) * hx * hy
    stats = {
        "steps": int(total),
        "dt": float(dt),
        "mass_change": float((mass[-1] - mass[0]) / mass[0]) if mass[0] != 0 else 0.0,
        "min_value": float(out.min()),
    }
    return SolverOutput(out, stats)
