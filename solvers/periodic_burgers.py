r"""Registered solver for :class:`equations.periodic_burgers.PeriodicBurgers`: Fourier ETDRK4.

The initial value is evaluated on a periodic grid of ``modes`` points (a
multiple of the requested ``x`` count, so the requested points are grid
points) and integrated by :func:`solvers.spectral.burgers_periodic`, the
pseudo-spectral ETDRK4 with the 2/3 rule. The first time level returned is
the initial value itself (the 2/3 rule filters it before the first step).
"""

from __future__ import annotations

import math

import numpy as np

from equations.errors import InvalidDataError, InvalidParameterError
from equations.periodic_burgers import PeriodicBurgers
from solvers.evolution import periodic_interval
from solvers.registry import SolverOutput, register
from solvers.spectral import burgers_periodic


def _modes(modes: int | None, equation: PeriodicBurgers, points: int) -> int:
    """The grid size: ``modes`` (default: the initial data's size, else 4096) made an even multiple of ``points``."""
    if modes is None:
        modes = len(equation.initial) if equation.initial is not None else 4096
    if isinstance(modes, bool) or not isinstance(modes, (int, np.integer)) or modes < 4:
        raise InvalidParameterError(f"etdrk4: modes must be an integer >= 4, got {modes!r}")
    factor = max(1, math.ceil(int(modes) / points))
    factor += (points * factor) % 2  # an even number of grid points
    return points * factor


@register(PeriodicBurgers, "etdrk4", reads=("initial_value", "domain"))
def solve_periodic_burgers(
    equation: PeriodicBurgers,
    axes: dict[str, np.ndarray],
    *,
    modes: int | None = None,
    max_dt: float = 1e-3,
    dealias: bool = True,
) -> SolverOutput:
    """Registered solver: ETDRK4 on a periodic grid of ``modes`` points, read at the requested ``x``.

    Parameters
    ----------
    modes : int, optional
        Grid points (at least this many: rounded up to an even multiple of the
        requested ``x`` count). Default: the number of values in
        ``equation.initial`` (their own grid, where the initial value is the
        data themselves), else 4096.
    max_dt : float
        Largest time step, > 0.
    dealias : bool
        The 2/3 rule on the quadratic term.

    Returns the values (dims ``x``, ``t``) and the statistics ``modes`` and ``max_dt``.
    """
    lo, hi = periodic_interval(equation, max_dt)
    x, t = axes["x"], axes["t"]
    n = _modes(modes, equation, x.size)
    grid = lo + (hi - lo) * np.arange(n) / n
    u0 = np.asarray(equation.initial_value({"x": grid}), dtype=np.float64)
    u = burgers_periodic(u0, equation.nu, t, length=hi - lo, max_dt=max_dt, dealias=bool(dealias))
    stride = n // x.size
    if not np.allclose(x, grid[::stride], rtol=0, atol=1e-12 * (hi - lo)):  # never read other points as these
        raise InvalidDataError(f"etdrk4 (periodic Burgers) returns values on every {stride}-th node of its "
                               f"{n}-point grid; the requested x are other points")
    values = u[::stride]
    values[:, 0] = u0[::stride]
    return SolverOutput(values, {"modes": n, "max_dt": float(max_dt)})
