"""The registered reference for :class:`equations.cavity.LidDrivenCavity`: :func:`solvers.cavity.cavity_flow`.

The flow is computed on the uniform vertex grid ``(n + 1) x (n + 1)``. When the
requested axes are that grid (the same ``linspace(0, 1, n + 1)`` on both
axes) the nodal values are returned as they are; otherwise the flow is solved
on the uniform grid as fine as the finer requested axis (at most
:data:`solvers.cavity.MAX_N` intervals) and interpolated bicubically onto the
requested nodes (attribute ``interpolated = 1``); the wall nodes then take the
spec's no-slip data exactly (a spline through the lid's corner jump
overshoots there).
"""

from __future__ import annotations

import numpy as np

from equations.cavity import LidDrivenCavity, lid_velocity
from equations.errors import InvalidDataError
from solvers.cavity import MAX_N, cavity_flow
from solvers.registry import SolverOutput, needs_memory, register


def _uniform_intervals(axis: np.ndarray) -> int | None:
    """``n`` when ``axis`` is ``linspace(0, 1, n + 1)``, else None."""
    n = axis.size - 1
    return n if n >= 1 and np.allclose(axis, np.linspace(0.0, 1.0, n + 1), rtol=0.0, atol=1e-12) else None


# SuperLU fill-in of the Newton system: about 30 M nonzeros (16 bytes each with indices) on 257^2
@needs_memory(8000)
@register(LidDrivenCavity, "streamfunction_vorticity")
def solve_cavity(
    equation: LidDrivenCavity, axes: dict[str, np.ndarray], *, tol: float = 1e-10, max_iterations: int = 200
) -> SolverOutput:
    """Registered solver: the steady cavity flow, values ``(nx, ny, 3)`` for the fields ``u``, ``v``, ``p``.

    Parameters
    ----------
    equation : LidDrivenCavity
        The spec (its Reynolds number).
    axes : dict
        ``"x"`` and ``"y"`` node coordinates in ``[0, 1]``.
    tol, max_iterations
        Passed to :func:`solvers.cavity.cavity_flow`.

    Raises
    ------
    InvalidDataError
        An axis with fewer than 5 nodes.
    ConvergenceError
        No steady state within the budget (no unconverged flow is returned).
    """
    x, y = axes["x"], axes["y"]
    if min(x.size, y.size) < 5:
        raise InvalidDataError(f"lid_driven_cavity needs at least 5 nodes per axis, got {x.size} x {y.size}")
    nx, ny = _uniform_intervals(x), _uniform_intervals(y)
    on_grid = nx is not None and nx == ny and nx <= MAX_N
    n = nx if on_grid and nx is not None else min(MAX_N, max(x.size, y.size) - 1 + (max(x.size, y.size) - 1) % 2)
    flow = cavity_flow(n, equation.reynolds, tol=tol, max_iterations=max_iterations)
    if on_grid:
        values = np.stack([flow.u, flow.v, flow.p], axis=-1)
    else:
        mesh = np.meshgrid(x, y, indexing="ij")
        values = np.stack([flow.sample(name, *mesh) for name in ("u", "v", "p")], axis=-1)
        wall = np.zeros(mesh[0].shape, dtype=bool)
        wall[[0, -1], :] = wall[:, [0, -1]] = True
        coords = {"x": mesh[0][wall], "y": mesh[1][wall]}
        values[wall, 0] = lid_velocity(coords)
        values[wall, 1] = 0.0
    stats = dict(flow.stats())
    stats["interpolated"] = int(not on_grid)
    return SolverOutput(values, stats)
