"""Reference solvers for the Poisson specs: 5-point (2D) / 7-point (3D) finite differences + multigrid.

``Poisson2D`` and ``Poisson3D`` are solved on the requested grid (second order
against their manufactured solutions). On the L-shape the re-entrant corner limits the FD
error to ``O(h^(4/3))``, so it is solved on a refined grid and injected back.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from equations.errors import InvalidParameterError
from equations.geometry import Polygon
from equations.poisson import LShapePoisson, PeakPoisson, Poisson2D, Poisson3D
from solvers.dirichlet import check_steady_domain, dirichlet_lift, frame, laplacian_of
from solvers.fd import interior_of
from solvers.multigrid import MultigridInfo, multigrid3d_solve, multigrid_solve
from solvers.registry import SolverOutput, closed_form, register

# the L-shape is solved on at least this many points per axis by default
LSHAPE_MIN_POINTS = 1025
# about 8193^2: the work arrays of a larger grid would not fit in memory
MAX_FINE_POINTS = 2**26 + 2**14 + 1
# what the Poisson solvers evaluate from the spec they are given (a subclass may redefine these)
READS = ("source", "conditions", "domain")


def _spacing(axes: dict[str, np.ndarray]) -> tuple[float, ...]:
    """The grid steps along ``x``, ``y`` (and ``z`` when present)."""
    return tuple(float((v[-1] - v[0]) / (v.size - 1)) for v in (axes[n] for n in ("x", "y", "z") if n in axes))


@register(Poisson2D, "multigrid", reads=READS)
@register(Poisson3D, "multigrid", reads=READS)
def solve_poisson_box(
    equation: Poisson2D | Poisson3D,
    axes: dict[str, np.ndarray],
    *,
    tol: float = 1e-10,
    pre: int = 2,
    post: int = 2,
    max_cycles: int = 50,
    threads: int | None = None,
    cycle: str = "V",
    smoother: str = "rbgs",
) -> SolverOutput:
    """Registered solver for ``Poisson2D`` and ``Poisson3D``: 5-/7-point FD on the requested grid, multigrid.

    The spec's source, Dirichlet data and box are taken from the instance, so a
    subclass may redefine them. Options are those of
    :func:`solvers.multigrid.multigrid_solve` (2D) and
    :func:`solvers.multigrid.multigrid3d_solve` (3D).
    """
    check_steady_domain(equation, "multigrid")
    names = [n for n in ("x", "y", "z") if n in axes]
    mesh = np.meshgrid(*(axes[n] for n in names), indexing="ij")
    f = np.asarray(equation.source(dict(zip(names, mesh))), dtype=np.float64)
    steps = _spacing(axes)
    lift = dirichlet_lift(equation, axes, frame(f.shape), "multigrid")
    solve: Callable[..., tuple[np.ndarray, MultigridInfo]] = multigrid_solve if len(steps) == 2 else multigrid3d_solve
    u, info = solve(
        f + laplacian_of(lift, steps), *steps, tol=tol, pre=pre, post=post, max_cycles=max_cycles,
        threads=threads, cycle=cycle, smoother=smoother,
    )  # fmt: skip
    return SolverOutput(u + lift, info.stats())


# the names each dimension's solver had before they shared one function
solve_poisson2d = solve_poisson3d = solve_poisson_box


def refinement(n: int, min_points: int) -> int:
    """Smallest ``r >= 0`` with ``(n - 1) * 2**r + 1 >= min_points``."""
    r = 0
    while (n - 1) * 2**r + 1 < min_points:
        r += 1
    return r


def _check_vertices_on_grid(space: Polygon, axes: dict[str, np.ndarray]) -> None:
    """Raise unless every polygon vertex lies on a grid point (edges on grid lines)."""
    for a, name in enumerate(space.names):
        v = axes[name]
        h = (v[-1] - v[0]) / (v.size - 1)
        for corner in {vert[a] for vert in space.vertices}:
            steps = (corner - v[0]) / h
            if abs(steps - round(steps)) > 1e-9:
                raise InvalidParameterError(
                    f"poisson_lshape: {name} = {corner:g} (a corner of the domain) must be a grid point, "
                    f"but {v.size} points along {name} miss it; use an odd number of points"
                )


@register(LShapePoisson, "multigrid", reads=READS)
def solve_lshape(
    equation: LShapePoisson,
    axes: dict[str, np.ndarray],
    *,
    refine: int | None = None,
    min_points: int = LSHAPE_MIN_POINTS,
    tol: float = 1e-10,
    pre: int = 2,
    post: int = 2,
    max_cycles: int = 50,
    threads: int | None = None,
    cycle: str = "V",
    smoother: str = "rbgs",
) -> SolverOutput:
    """Registered solver: FD on a grid refined ``2**refine`` times, injected onto the request.

    Parameters
    ----------
    refine : int, optional
        Number of grid halvings; default: the fewest giving at least
        ``min_points`` points along the shorter axis.
    min_points : int
        Minimum fine-grid points per axis when ``refine`` is not given.
    tol, pre, post, max_cycles, threads, cycle, smoother
        Multigrid settings (see :func:`solvers.multigrid.multigrid_solve`).
    """
    check_steady_domain(equation, "multigrid", polygon=True)
    space = equation.domain.space
    if isinstance(space, Polygon):
        _check_vertices_on_grid(space, axes)
    nx, ny = axes["x"].size, axes["y"].size
    if refine is None:
        if isinstance(min_points, bool) or not isinstance(min_points, (int, np.integer)) or min_points < 3:
            raise InvalidParameterError(
                f"poisson_lshape: min_points must be an integer >= 3, got {min_points!r}"
            )
        refine = refinement(min(nx, ny), int(min_points))
    elif isinstance(refine, bool) or not isinstance(refine, (int, np.integer)) or refine < 0:
        raise InvalidParameterError(f"poisson_lshape: refine must be an integer >= 0, got {refine!r}")
    step = 2**refine
    if ((nx - 1) * step + 1) * ((ny - 1) * step + 1) > MAX_FINE_POINTS:
        raise InvalidParameterError(
            f"poisson_lshape: refine={refine} gives a fine grid of more than {MAX_FINE_POINTS} points"
        )
    fine = equation.domain.grid(((nx - 1) * step + 1, (ny - 1) * step + 1))
    closed = space.grid_mask(fine)
    mask = interior_of(closed)
    mesh = np.meshgrid(fine["x"], fine["y"], indexing="ij")
    f = np.asarray(equation.source({"x": mesh[0], "y": mesh[1]}), dtype=np.float64)
    hx, hy = _spacing(fine)
    lift = dirichlet_lift(equation, fine, closed & ~mask, "multigrid")
    u, info = multigrid_solve(
        f + laplacian_of(lift, (hx, hy)), hx, hy, mask, tol=tol, pre=pre, post=post, max_cycles=max_cycles,
        threads=threads, cycle=cycle, smoother=smoother,
    )  # fmt: skip
    stats = info.stats() | {
        "refine": int(refine),
        "fine_points_x": fine["x"].size,
        "fine_points_y": fine["y"].size,
    }
    # injection: every requested point is a fine-grid point
    return SolverOutput(np.ascontiguousarray((u + lift)[::step, ::step]), stats)

# the closed form (5-point FD would need ~1000^2 points for 1e-4 on the peak)
register(PeakPoisson, "exact")(closed_form)
