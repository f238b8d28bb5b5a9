r"""Geometric multigrid for the 5-point (2D) and 7-point (3D) ``-Laplacian`` with zero Dirichlet data.

The grid has ``(nx, ny)`` or ``(nx, ny, nz)`` points including the boundary; a
boolean mask marks the unknowns (an L-shape is a box with part of the mask
cleared). Levels halve the grid while ``n - 1`` is even and ``n > 5`` on every
axis; coarse masks are the fine mask at coinciding points and the operator is
rediscretised on each level, so the domain's edges should lie on coarse grid
lines (true for the L-shape on any odd grid). The coarsest level is solved by
a sparse LU factorised once at setup.

2D: red--black Gauss--Seidel (default) or weighted Jacobi, full weighting,
bilinear interpolation. Windows around re-entrant corners get extra local
(red--black) sweeps, which keeps the L-shape's convergence factor close to the
square's. 3D: red--black Gauss--Seidel over-relaxed by :data:`RB_OMEGA`
(default) or weighted Jacobi, 27-point full weighting, trilinear interpolation.

The cycles (V, W, F), the iteration and the preconditioner are the generic ones
of :mod:`solvers.multigrid.core`; this module supplies the levels
(:class:`PoissonLevel2D`, :class:`PoissonLevel3D`) and hierarchies.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from equations.errors import InvalidDataError
from solvers.fd import check_spacings, laplacian_matrix, laplacian_matrix3d, unknowns_mask
from solvers.multigrid import kernels2d as k2
from solvers.multigrid import kernels3d as k3
from solvers.multigrid.core import (
    DirectSolve,
    GridLevel,
    LevelHierarchy,
    MultigridInfo,
    Plan,
    check_iteration,
    coarsenable,
    make_plan,
    run_cycle,
    solve_cycles,
)

# the weight minimising the high-frequency smoothing factor (0.6) of Jacobi for
# the 2D 5-point Laplacian with equal spacings
JACOBI_WEIGHT = 0.8
# the weight minimising the high-frequency smoothing factor of Jacobi for the 3D
# 7-point Laplacian with equal spacings: the high-frequency eigenvalues of
# D^-1 A fill [1/3, 2], and |1 - w/3| = |1 - 2w| at w = 6/7 (factor 5/7)
JACOBI_WEIGHT_3D = 6.0 / 7.0
# red-black sweeps are over-relaxed in 3D: plain Gauss-Seidel (w = 1) damps the 3D
# high frequencies less than in 2D, and measured on 33^3 and 65^3 w = 1.2 cuts the
# V(2,2) factor from 0.107 to 0.057 and V(1,1) from 0.18 to 0.065, at no extra traffic
RB_OMEGA = 1.2
# half-width, in points on every level, of the local relaxation windows
LOCAL_RADIUS = 8
# masks with more re-entrant corners (staircase boundaries) get no windows
MAX_CORNERS = 8


def corner_boxes(mask: np.ndarray, radius: int = LOCAL_RADIUS) -> np.ndarray:
    """Windows ``(i0, i1, j0, j1)`` reaching ``radius`` points around each re-entrant corner.

    A re-entrant corner is a fixed point with at least 5 of its 8 neighbours
    unknown (an edge point has 3, a convex corner 1).
    """
    m = mask.astype(bool)
    nx, ny = m.shape
    padded = np.pad(m, 1).astype(np.int8)
    count = sum(padded[1 + di : 1 + di + nx, 1 + dj : 1 + dj + ny] for di in (-1, 0, 1) for dj in (-1, 0, 1))
    ci, cj = np.nonzero(~m & (count >= 5))
    if ci.size > MAX_CORNERS:
        ci, cj = ci[:0], cj[:0]
    boxes = np.stack(
        [
            np.maximum(ci - radius, 1),
            np.minimum(ci + radius + 1, nx - 1),
            np.maximum(cj - radius, 1),
            np.minimum(cj + radius + 1, ny - 1),
        ],
        axis=1,
    )
    return np.ascontiguousarray(boxes, dtype=np.int64).reshape(-1, 4)


@dataclass
class PoissonLevel2D(GridLevel):
    """One 2D grid and its work arrays (``u``, ``f`` are empty on the finest; ``mask`` zero on the frame)."""

    hx: float
    hy: float
    boxes: np.ndarray  # (k, 4) local relaxation windows

    def smooth(self, u: np.ndarray, f: np.ndarray, sweeps: int, plan: Plan, reverse: bool) -> None:
        """``sweeps`` passes of (local windows, global sweep), or the exact reverse sequence.

        A global red--black sweep is (red, black), reversed (black, red); a Jacobi
        sweep is its own adjoint. ``r`` is the Jacobi scratch array: the residual
        it holds is consumed (restricted) before any smoothing that follows.
        """
        first, second = (1, 0) if reverse else (0, 1)
        for _ in range(sweeps):
            if not reverse:
                self._local(u, f, plan.local, first, second)
            if plan.smoother == "jacobi":
                k2.jacobi_sweep(u, f, self.mask, self.hx, self.hy, JACOBI_WEIGHT, self.r)
            else:
                k2.rb_sweep(u, f, self.mask, self.hx, self.hy, first)
                k2.rb_sweep(u, f, self.mask, self.hx, self.hy, second)
            if reverse:
                self._local(u, f, plan.local, first, second)

    def _local(self, u: np.ndarray, f: np.ndarray, local: int, first: int, second: int) -> None:
        for box in self.boxes:
            for _ in range(local):
                k2.rb_sweep_box(u, f, self.mask, self.hx, self.hy, first, box)
                k2.rb_sweep_box(u, f, self.mask, self.hx, self.hy, second, box)

    def residual(self, u: np.ndarray, f: np.ndarray) -> float:
        return float(k2.residual(u, f, self.mask, self.hx, self.hy, self.r))

    def restrict(self, coarse: PoissonLevel2D) -> None:
        k2.restrict_full_weighting(self.r, coarse.mask, coarse.f, 0)

    def prolong_add(self, coarse: PoissonLevel2D, u: np.ndarray) -> None:
        k2.prolong(coarse.u, self.mask, u, True, 0)



@dataclass
class PoissonLevel3D(GridLevel):
    """One 3D grid and its work arrays (``u``, ``f`` are empty on the finest; ``mask`` zero on the faces)."""

    hx: float
    hy: float
    hz: float

    def smooth(self, u: np.ndarray, f: np.ndarray, sweeps: int, plan: Plan, reverse: bool) -> None:
        # a red-black sweep reversed is (black, red); Jacobi is its own adjoint.
        # r is Jacobi's scratch: the residual it holds is restricted before any smoothing
        first, second = (1, 0) if reverse else (0, 1)
        h = (self.hx, self.hy, self.hz)
        for _ in range(sweeps):
            if plan.smoother == "jacobi":
                k3.jacobi_sweep(u, f, self.mask, *h, JACOBI_WEIGHT_3D, self.r)
            else:
                k3.rb_sweep(u, f, self.mask, *h, first, RB_OMEGA)
                k3.rb_sweep(u, f, self.mask, *h, second, RB_OMEGA)

    def residual(self, u: np.ndarray, f: np.ndarray) -> float:
        return float(k3.residual(u, f, self.mask, self.hx, self.hy, self.hz, self.r))

    def restrict(self, coarse: PoissonLevel3D) -> None:
        k3.restrict_full_weighting(self.r, coarse.mask, coarse.f, 0)

    def prolong_add(self, coarse: PoissonLevel3D, u: np.ndarray) -> None:
        k3.prolong_add(coarse.u, self.mask, u, 0)



class _PoissonHierarchy(LevelHierarchy):  # type: ignore[type-arg]
    """Levels of the constant-coefficient Laplacian on a masked grid, any dimension."""

    def __init__(self, mask: np.ndarray, spacings: tuple[float, ...]):
        ndim = len(spacings)
        check_spacings(*spacings)
        m = unknowns_mask(mask, ndim)
        levels: list[PoissonLevel2D | PoissonLevel3D] = []
        empty = np.zeros((0,) * ndim)
        h = tuple(float(s) for s in spacings)
        while True:
            shape = m.shape
            u, f = (empty, empty) if not levels else (np.zeros(shape), np.zeros(shape))
            levels.append(self._level(m, h, u, f, np.zeros(shape)))
            if not coarsenable(shape):
                break
            m = unknowns_mask(m[(np.s_[::2],) * ndim].astype(bool), ndim)
            h = tuple(2 * s for s in h)
        coarse = m.astype(bool)
        super().__init__(levels, DirectSolve(self._matrix(coarse, h), coarse))

    @staticmethod
    def _level(
        m: np.ndarray, h: tuple[float, ...], u: np.ndarray, f: np.ndarray, r: np.ndarray
    ) -> PoissonLevel2D | PoissonLevel3D:
        raise NotImplementedError

    @staticmethod
    def _matrix(mask: np.ndarray, h: tuple[float, ...]) -> sp.csr_matrix:
        raise NotImplementedError

    @property
    def shape(self) -> tuple[int, ...]:
        """Fine-grid shape."""
        return tuple(self.levels[0].mask.shape)

    @property
    def mask(self) -> np.ndarray:
        """Fine-grid unknowns (boolean)."""
        return self.levels[0].mask.astype(bool)

    def check(self, u: np.ndarray, f: np.ndarray) -> None:
        """Raise :class:`InvalidDataError` unless ``u`` and ``f`` fit the fine grid."""
        for name, a in (("u", u), ("f", f)):
            if not isinstance(a, np.ndarray) or a.shape != self.shape:
                raise InvalidDataError(f"{name} must be an array of shape {self.shape}, got {np.shape(a)}")
            if a.dtype != np.float64 or not a.flags.c_contiguous:
                raise InvalidDataError(f"{name} must be a C-contiguous float64 array")


class Hierarchy(_PoissonHierarchy):
    """2D grids, masks, work arrays and the coarsest-level factorisation, built once.

    Parameters
    ----------
    mask : numpy.ndarray
        Boolean ``(nx, ny)``, True for unknowns; the outer frame is always fixed zero.
    hx, hy : float
        Fine-grid spacings along axis 0 (x) and axis 1 (y).
    """

    levels: list[PoissonLevel2D]

    def __init__(self, mask: np.ndarray, hx: float, hy: float):
        super().__init__(mask, (hx, hy))

    @staticmethod
    def _level(m: np.ndarray, h: tuple[float, ...], u: np.ndarray, f: np.ndarray, r: np.ndarray) -> PoissonLevel2D:
        return PoissonLevel2D(m, u, f, r, h[0], h[1], corner_boxes(m))

    @staticmethod
    def _matrix(mask: np.ndarray, h: tuple[float, ...]) -> sp.csr_matrix:
        return laplacian_matrix(mask, h[0], h[1])[0]


class Hierarchy3D(_PoissonHierarchy):
    """3D grids, masks, work arrays and the coarsest-level factorisation, built once.

    Parameters
    ----------
    mask : numpy.ndarray
        Boolean ``(nx, ny, nz)``, True for unknowns; the outer faces are always fixed zero.
    hx, hy, hz : float
        Fine-grid spacings along axes 0, 1 and 2.
    """

    levels: list[PoissonLevel3D]

    def __init__(self, mask: np.ndarray, hx: float, hy: float, hz: float):
        super().__init__(mask, (hx, hy, hz))

    @staticmethod
    def _level(m: np.ndarray, h: tuple[float, ...], u: np.ndarray, f: np.ndarray, r: np.ndarray) -> PoissonLevel3D:
        return PoissonLevel3D(m, u, f, r, h[0], h[1], h[2])

    @staticmethod
    def _matrix(mask: np.ndarray, h: tuple[float, ...]) -> sp.csr_matrix:
        return laplacian_matrix3d(mask, h[0], h[1], h[2])[0]


def v_cycle(
    hierarchy: Hierarchy,
    u: np.ndarray,
    f: np.ndarray,
    pre: int = 2,
    post: int = 2,
    *,
    local_sweeps: int = 4,
    symmetric: bool = False,
    cycle: str = "V",
    smoother: str = "rbgs",
) -> np.ndarray:
    """One multigrid cycle (a V-cycle by default) for ``-Laplacian(u) = f``, improving ``u`` in place.

    ``u`` is also returned.

    Parameters
    ----------
    hierarchy : Hierarchy
        Built for the grid and mask of ``u`` and ``f``.
    u, f : numpy.ndarray
        C-contiguous float64 arrays of the fine-grid shape; ``u`` must be zero off
        the unknowns, ``f`` is only read at unknowns.
    pre, post : int
        Smoothing sweeps before and after the coarse correction.
    local_sweeps : int
        Extra red--black sweeps in a window around each re-entrant corner before
        every global sweep: the corner singularity otherwise slows convergence
        as the grid is refined.
    symmetric : bool
        Post-smooth with the adjoint of the pre-smoother (reversed order; needs
        ``pre == post``), so that the cycle from ``u = 0`` is a symmetric positive
        definite map of ``f`` (a CG preconditioner). As a stand-alone iteration the
        default order converges faster: a cycle ending with a red sweep followed
        by one starting with a red sweep wastes that sweep. Only V- and W-cycles
        can be symmetric (``cycle="F"`` raises :class:`InvalidParameterError`).
    cycle : {"V", "W", "F"}
        Cycle kind (see :mod:`solvers.multigrid.core`).
    smoother : {"rbgs", "jacobi"}
        Red--black Gauss--Seidel, or Jacobi weighted by :data:`JACOBI_WEIGHT`
        (cheaper per sweep and fully parallel, but a weaker smoother: the cycle
        converges more slowly). Jacobi is its own adjoint, so it keeps a
        symmetric cycle symmetric.
    """
    hierarchy.check(u, f)
    plan = make_plan(
        pre, post, local_sweeps=local_sweeps, symmetric=symmetric, cycle=cycle, smoother=smoother
    )
    run_cycle(hierarchy, u, f, plan, None)
    return u


def multigrid_solve(
    f: np.ndarray,
    hx: float,
    hy: float,
    mask: np.ndarray | None = None,
    *,
    tol: float = 1e-10,
    pre: int = 2,
    post: int = 2,
    max_cycles: int = 50,
    local_sweeps: int = 4,
    u0: np.ndarray | None = None,
    hierarchy: Hierarchy | None = None,
    threads: int | None = None,
    cycle: str = "V",
    smoother: str = "rbgs",
) -> tuple[np.ndarray, MultigridInfo]:
    """Solve ``-Laplacian(u) = f`` (5-point, zero Dirichlet) by multigrid cycles (V by default).

    Parameters
    ----------
    f : numpy.ndarray
        Right-hand side on the ``(nx, ny)`` grid; values off the unknowns are ignored.
    hx, hy : float
        Grid spacings along axis 0 and axis 1.
    mask : numpy.ndarray, optional
        Boolean unknowns (default: every point off the outer frame).
    tol : float
        Stop when the relative residual ``||f + Laplacian(u)|| / ||f||`` is ``<= tol``.
    pre, post : int
        Smoothing sweeps before and after the coarse correction.
    max_cycles : int
        Cycle limit. Stopping there, or earlier when the residual stalls at the
        rounding floor, gives ``converged=False`` and a RuntimeWarning.
    local_sweeps : int
        Local relaxation sweeps around re-entrant corners (see :func:`v_cycle`).
    u0 : numpy.ndarray, optional
        Initial guess (default zero).
    hierarchy : Hierarchy, optional
        A prebuilt hierarchy for this grid and mask (skips the setup).
    threads : int, optional
        numba threads for this solve (default: numba's current setting). When
        other work keeps the cores busy, 1 is often much faster: each parallel
        kernel then waits for a scheduler slice.
    cycle : {"V", "W", "F"}
        Cycle kind (see :mod:`solvers.multigrid.core`). W- and F-cycles cost more per
        cycle (in 2D about 1.5x and 1.33x a V-cycle's smoothing work) and
        converge in no more cycles.
    smoother : {"rbgs", "jacobi"}
        Red--black Gauss--Seidel (default) or weighted Jacobi (see :func:`v_cycle`).

    Returns
    -------
    (numpy.ndarray, MultigridInfo)
        The solution (zero off the unknowns) and the convergence record.
    """
    plan = make_plan(pre, post, local_sweeps=local_sweeps, cycle=cycle, smoother=smoother)
    return _solve(f, mask, 2, lambda m: Hierarchy(m, hx, hy), plan, tol, max_cycles, u0, hierarchy, threads)


def multigrid3d_solve(
    f: np.ndarray,
    hx: float,
    hy: float,
    hz: float,
    mask: np.ndarray | None = None,
    *,
    tol: float = 1e-10,
    pre: int = 2,
    post: int = 2,
    max_cycles: int = 50,
    u0: np.ndarray | None = None,
    hierarchy: Hierarchy3D | None = None,
    threads: int | None = None,
    cycle: str = "V",
    smoother: str = "rbgs",
) -> tuple[np.ndarray, MultigridInfo]:
    """Solve ``-Laplacian(u) = f`` (7-point, zero Dirichlet) by multigrid cycles (V by default).

    The 3D counterpart of :func:`multigrid_solve`: the same options, stopping
    rule and record, without the corner windows (``local_sweeps``).

    Parameters
    ----------
    f : numpy.ndarray
        Right-hand side on the ``(nx, ny, nz)`` grid; values off the unknowns are ignored.
    hx, hy, hz : float
        Grid spacings along axes 0, 1 and 2.
    mask : numpy.ndarray, optional
        Boolean unknowns (default: every point off the outer faces).
    tol, pre, post, max_cycles, u0, threads, cycle
        As in :func:`multigrid_solve`.
    hierarchy : Hierarchy3D, optional
        A prebuilt hierarchy for this grid and mask (skips the setup).
    smoother : {"rbgs", "jacobi"}
        Red--black Gauss--Seidel over-relaxed by :data:`RB_OMEGA` (default), or
        Jacobi weighted by :data:`JACOBI_WEIGHT_3D` (slower to converge).

    Returns
    -------
    (numpy.ndarray, MultigridInfo)
        The solution (zero off the unknowns) and the convergence record.
    """
    # the corner windows of the 2D L-shape have no 3D counterpart: no local sweeps
    plan = make_plan(pre, post, cycle=cycle, smoother=smoother)
    return _solve(f, mask, 3, lambda m: Hierarchy3D(m, hx, hy, hz), plan, tol, max_cycles, u0, hierarchy, threads)


def _solve(
    f: np.ndarray,
    mask: np.ndarray | None,
    ndim: int,
    build: Callable[[np.ndarray], _PoissonHierarchy],
    plan: Plan,
    tol: float,
    max_cycles: int,
    u0: np.ndarray | None,
    hierarchy: _PoissonHierarchy | None,
    threads: int | None,
) -> tuple[np.ndarray, MultigridInfo]:
    """The input checks and setup of :func:`multigrid_solve` and :func:`multigrid3d_solve`."""
    f = np.asarray(f)
    if f.ndim != ndim or not np.issubdtype(f.dtype, np.number) or np.iscomplexobj(f):
        raise InvalidDataError(f"f must be a real {ndim}D array, got shape {f.shape} and dtype {f.dtype}")
    mask = np.ones(f.shape, dtype=bool) if mask is None else np.asarray(mask)
    if mask.shape != f.shape:
        raise InvalidDataError(f"mask shape {mask.shape} does not match f shape {f.shape}")
    tol, max_cycles, threads = check_iteration(tol, max_cycles, threads)
    start = time.perf_counter()
    if hierarchy is None:
        hierarchy = build(mask)
    elif hierarchy.shape != f.shape or not np.array_equal(hierarchy.mask, unknowns_mask(mask, ndim).astype(bool)):
        raise InvalidDataError("the given hierarchy was built for another grid or mask")
    setup = time.perf_counter() - start
    unknown = hierarchy.mask
    if not np.all(np.isfinite(f[unknown])):
        raise InvalidDataError("f contains NaN or Inf at unknowns")
    rhs = np.where(unknown, f, 0.0).astype(np.float64)
    u = np.zeros(f.shape)
    if u0 is not None:
        u0 = np.asarray(u0)
        if u0.shape != f.shape or not np.all(np.isfinite(u0[unknown])):
            raise InvalidDataError(f"u0 must be finite with shape {f.shape}, got shape {u0.shape}")
        u[unknown] = u0[unknown]
    info = solve_cycles(
        hierarchy, u, rhs, plan, tol=tol, max_cycles=max_cycles, threads=threads, setup_s=setup, name="multigrid"
    )
    return u, info
