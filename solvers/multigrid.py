r"""Geometric multigrid for the 2D 5-point ``-Laplacian`` with zero Dirichlet data.

The grid has ``(nx, ny)`` points including the boundary; a boolean mask marks
the unknowns (an L-shape is a box with part of the mask cleared). The levels
are built once by :class:`~solvers.mg_hierarchy.Hierarchy`. A cycle (V by
default, or W or F) smooths with red--black Gauss--Seidel (default) or weighted
Jacobi, restricts by full weighting, interpolates bilinearly and solves the
coarsest level with a sparse LU factorised once at setup. Windows around
re-entrant corners get extra local (red--black) sweeps, which keeps the
L-shape's convergence factor close to the square's.

Cycles: on each level but the coarsest, a V-cycle visits the next coarser level
once, a W-cycle twice (each visit a W-cycle), and an F-cycle once with an
F-cycle followed once with a V-cycle. The level just above the coarsest is
visited once by every kind (its solve is exact, a second would change nothing).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numba
import numpy as np
from scipy.sparse.linalg import LinearOperator

from equations.errors import InvalidDataError, InvalidParameterError, check_choice, check_integer
from solvers import _mg_kernels as k
from solvers.fd import unknowns_mask
from solvers.mg_hierarchy import Hierarchy, Level

# grids with fewer points run their kernels on one thread: waking a second
# thread (~10 us idle, a scheduler slice when cores are shared) costs more
PARALLEL_MIN_POINTS = 256 * 256

CYCLES = ("V", "W", "F")
SMOOTHERS = ("rbgs", "jacobi")
# the weight minimising the high-frequency smoothing factor (0.6) of Jacobi for
# the 2D 5-point Laplacian with equal spacings
JACOBI_WEIGHT = 0.8


@dataclass(frozen=True)
class _Plan:
    pre: int
    post: int
    local: int
    symmetric: bool
    cycle: str = "V"
    smoother: str = "rbgs"


def _plan(
    pre: int, post: int, local_sweeps: int, symmetric: bool, cycle: str = "V", smoother: str = "rbgs"
) -> _Plan:
    plan = _Plan(
        check_integer("pre", pre, 0),
        check_integer("post", post, 0),
        check_integer("local_sweeps", local_sweeps, 0),
        symmetric,
        check_choice("cycle", cycle, CYCLES),
        check_choice("smoother", smoother, SMOOTHERS),
    )
    if plan.pre + plan.post < 1:
        raise InvalidParameterError("at least one smoothing sweep (pre + post >= 1) is needed")
    if symmetric and plan.pre != plan.post:
        raise InvalidParameterError(f"a symmetric cycle needs pre == post, got {pre} and {post}")
    if symmetric and plan.cycle == "F":
        # the F-cycle's coarse correction (an F-cycle, then a V-cycle) is not its own
        # adjoint, so no choice of smoothing order makes the whole cycle symmetric
        raise InvalidParameterError("a symmetric cycle must be a V- or W-cycle, got cycle='F'")
    return plan


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
        Cycle kind (see the module docstring).
    smoother : {"rbgs", "jacobi"}
        Red--black Gauss--Seidel, or Jacobi weighted by :data:`JACOBI_WEIGHT`
        (cheaper per sweep and fully parallel, but a weaker smoother: the cycle
        converges more slowly). Jacobi is its own adjoint, so it keeps a
        symmetric cycle symmetric.
    """
    hierarchy.check(u, f)
    _run(hierarchy, u, f, _plan(pre, post, local_sweeps, symmetric, cycle, smoother), None)
    return u


class _Grids(Protocol):
    """What the cycle driver needs of a hierarchy (2D :class:`Hierarchy` or 3D ``Hierarchy3D``)."""

    @property
    def levels(self) -> Sequence[Any]: ...

    @property
    def shape(self) -> tuple[int, ...]: ...

    def coarse_solve(self, u: np.ndarray, f: np.ndarray) -> None: ...


class _Ops2D:
    """The 2D 5-point kernels behind the dimension-agnostic cycle driver.

    The driver (:func:`_cycle`, :func:`_iterate`, :func:`cycle_operator`) only calls
    these five methods and ``masked_sumsq``; the 3D solver passes its own set.
    """

    @staticmethod
    def smooth(lv: Level, u: np.ndarray, f: np.ndarray, sweeps: int, plan: _Plan, reverse: bool) -> None:
        _smooth(lv, u, f, sweeps, plan.local, plan.smoother, reverse)

    @staticmethod
    def residual(lv: Level, u: np.ndarray, f: np.ndarray) -> None:
        k.residual(u, f, lv.mask, lv.hx, lv.hy, lv.r)

    @staticmethod
    def restrict(lv: Level, nxt: Level) -> None:
        k.restrict_full_weighting(lv.r, nxt.mask, nxt.f)

    @staticmethod
    def prolong_add(nxt: Level, lv: Level, u: np.ndarray) -> None:
        k.prolong_add(nxt.u, lv.mask, u)

    @staticmethod
    def residual_sumsq(lv: Level, u: np.ndarray, f: np.ndarray) -> float:
        return float(k.residual_sumsq(u, f, lv.mask, lv.hx, lv.hy))

    @staticmethod
    def masked_sumsq(lv: Level, f: np.ndarray) -> float:
        return float(k.masked_sumsq(f, lv.mask))


OPS_2D = _Ops2D()


def _run(h: _Grids, u: np.ndarray, f: np.ndarray, plan: _Plan, threads: int | None, ops: Any = OPS_2D) -> None:
    saved = numba.get_num_threads()
    try:
        _cycle(h, 0, u, f, plan, threads or saved, plan.cycle, ops)
    finally:
        numba.set_num_threads(saved)


# the cycles run on the next coarser level by a cycle of each kind
_COARSE_VISITS = {"V": ("V",), "W": ("W", "W"), "F": ("F", "V")}


def _cycle(
    h: _Grids, depth: int, u: np.ndarray, f: np.ndarray, plan: _Plan, threads: int, kind: str, ops: Any
) -> None:
    if depth == len(h.levels) - 1:
        h.coarse_solve(u, f)
        return
    lv, nxt = h.levels[depth], h.levels[depth + 1]
    level_threads = threads if lv.mask.size >= PARALLEL_MIN_POINTS else 1
    numba.set_num_threads(level_threads)
    ops.smooth(lv, u, f, plan.pre, plan, False)
    ops.residual(lv, u, f)
    ops.restrict(lv, nxt)
    nxt.u.fill(0.0)
    # the coarsest solve is exact: repeating it would change nothing
    visits = _COARSE_VISITS[kind] if depth + 1 < len(h.levels) - 1 else ("V",)
    for coarse_kind in visits:
        _cycle(h, depth + 1, nxt.u, nxt.f, plan, threads, coarse_kind, ops)
    numba.set_num_threads(level_threads)
    ops.prolong_add(nxt, lv, u)
    ops.smooth(lv, u, f, plan.post, plan, plan.symmetric)


def _smooth(
    lv: Level, u: np.ndarray, f: np.ndarray, sweeps: int, local: int, smoother: str, reverse: bool
) -> None:
    """``sweeps`` passes of (local windows, global sweep), or the exact reverse sequence.

    A global red--black sweep is (red, black), reversed (black, red); a Jacobi
    sweep is its own adjoint. ``lv.r`` is the Jacobi scratch array: the residual
    it holds is consumed (restricted) before any smoothing that follows.
    """
    first, second = (1, 0) if reverse else (0, 1)
    for _ in range(sweeps):
        if not reverse:
            _local(lv, u, f, local, first, second)
        if smoother == "jacobi":
            k.jacobi_sweep(u, f, lv.mask, lv.hx, lv.hy, JACOBI_WEIGHT, lv.r)
        else:
            k.rb_sweep(u, f, lv.mask, lv.hx, lv.hy, first)
            k.rb_sweep(u, f, lv.mask, lv.hx, lv.hy, second)
        if reverse:
            _local(lv, u, f, local, first, second)


def _local(lv: Level, u: np.ndarray, f: np.ndarray, local: int, first: int, second: int) -> None:
    for box in lv.boxes:
        for _ in range(local):
            k.rb_sweep_box(u, f, lv.mask, lv.hx, lv.hy, first, box)
            k.rb_sweep_box(u, f, lv.mask, lv.hx, lv.hy, second, box)


@dataclass(frozen=True)
class MultigridInfo:
    """Convergence record of :func:`multigrid_solve`.

    ``residuals`` holds ``||f - A u|| / ||f||`` over the unknowns (``A`` the
    5-point or the variable-coefficient operator) before the first cycle and
    after each; ``convergence_factor`` is their mean reduction per cycle,
    ``(residuals[-1] / residuals[0]) ** (1 / cycles)``.
    """

    cycles: int
    residuals: tuple[float, ...]
    convergence_factor: float
    converged: bool
    levels: int
    setup_time_s: float
    solve_time_s: float


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
        Cycle kind (see the module docstring). W- and F-cycles cost more per
        cycle (in 2D about 1.5x and 1.33x a V-cycle's smoothing work) and
        converge in no more cycles.
    smoother : {"rbgs", "jacobi"}
        Red--black Gauss--Seidel (default) or weighted Jacobi (see :func:`v_cycle`).

    Returns
    -------
    (numpy.ndarray, MultigridInfo)
        The solution (zero off the unknowns) and the convergence record.
    """
    return solve_with(
        f,
        mask,
        2,
        lambda m: Hierarchy(m, hx, hy),
        lambda m: unknowns_mask(m).astype(bool),
        OPS_2D,
        plan=_plan(pre, post, local_sweeps, False, cycle, smoother),
        tol=tol,
        max_cycles=max_cycles,
        u0=u0,
        hierarchy=hierarchy,
        threads=threads,
    )


def solve_with(
    f: np.ndarray,
    mask: np.ndarray | None,
    ndim: int,
    build: Callable[[np.ndarray], Any],
    unknowns: Callable[[np.ndarray], np.ndarray],
    ops: Any,
    *,
    plan: _Plan,
    tol: float,
    max_cycles: int,
    u0: np.ndarray | None,
    hierarchy: Any,
    threads: int | None,
) -> tuple[np.ndarray, MultigridInfo]:
    """The input checks, setup and cycle loop shared by the 2D and 3D multigrid solvers.

    ``build(mask)`` makes a hierarchy, ``unknowns(mask)`` the boolean unknowns
    a given ``hierarchy`` must match, and ``ops`` holds the kernels of the
    dimension (see :class:`_Ops2D`).
    """
    f = np.asarray(f)
    if f.ndim != ndim or not np.issubdtype(f.dtype, np.number) or np.iscomplexobj(f):
        raise InvalidDataError(f"f must be a real {ndim}D array, got shape {f.shape} and dtype {f.dtype}")
    mask = np.ones(f.shape, dtype=bool) if mask is None else np.asarray(mask)
    if mask.shape != f.shape:
        raise InvalidDataError(f"mask shape {mask.shape} does not match f shape {f.shape}")
    if not (isinstance(tol, (int, float)) and math.isfinite(tol) and tol > 0):
        raise InvalidParameterError(f"tol must be a positive finite number, got {tol!r}")
    max_cycles = check_integer("max_cycles", max_cycles, 1)
    if threads is not None:
        threads = min(check_integer("threads", threads, 1), numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
    start = time.perf_counter()
    if hierarchy is None:
        hierarchy = build(mask)
    elif hierarchy.shape != f.shape or not np.array_equal(hierarchy.mask, unknowns(mask)):
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

    saved = numba.get_num_threads()
    try:
        numba.set_num_threads(threads or saved)
        history = _iterate(hierarchy, u, rhs, plan, tol, max_cycles, threads, ops)
    finally:
        numba.set_num_threads(saved)
    elapsed = time.perf_counter() - start - setup
    return u, summarize(history, tol, len(hierarchy.levels), setup, elapsed, "multigrid")


def summarize(
    history: list[float], tol: float, levels: int, setup: float, elapsed: float, name: str
) -> MultigridInfo:
    """The convergence record of a multigrid run; warns when it stopped short of ``tol``."""
    cycles = len(history) - 1
    converged = history[-1] <= tol
    if not converged:
        warnings.warn(
            f"{name} stopped after {cycles} cycles at relative residual {history[-1]:.3e} > tol={tol:g}",
            RuntimeWarning,
            stacklevel=3,
        )
    factor = (history[-1] / history[0]) ** (1.0 / cycles) if cycles and history[0] > 0 else 0.0
    return MultigridInfo(cycles, tuple(history), factor, converged, levels, setup, elapsed)


def _iterate(
    h: _Grids,
    u: np.ndarray,
    f: np.ndarray,
    plan: _Plan,
    tol: float,
    max_cycles: int,
    threads: int | None,
    ops: Any = OPS_2D,
) -> list[float]:
    """Cycles until the relative residual is ``<= tol``; returns the residual history."""
    lv = h.levels[0]
    norm_f = math.sqrt(ops.masked_sumsq(lv, f))
    if norm_f == 0.0:
        u.fill(0.0)  # the exact solution of a zero right-hand side
        return [0.0]
    history = [math.sqrt(ops.residual_sumsq(lv, u, f)) / norm_f]
    stalled = 0
    while history[-1] > tol and len(history) <= max_cycles:
        _run(h, u, f, plan, threads, ops)
        history.append(math.sqrt(ops.residual_sumsq(lv, u, f)) / norm_f)
        # at the rounding floor the residual stops falling and more cycles are wasted
        stalled = stalled + 1 if history[-1] > 0.95 * history[-2] else 0
        if stalled >= 3:
            break
    return history


def preconditioner(
    hierarchy: Hierarchy,
    sweeps: int = 2,
    *,
    local_sweeps: int = 4,
    threads: int | None = None,
    cycle: str = "V",
    smoother: str = "rbgs",
) -> LinearOperator:
    """One symmetric cycle (V by default) from a zero guess, as a SciPy ``LinearOperator`` (for CG).

    Vectors are flattened (C order) grids of ``nx * ny`` entries; entries off the
    unknowns are ignored on input and zero on output.

    Parameters
    ----------
    hierarchy : Hierarchy
        Grid hierarchy (built once, reused by every application).
    sweeps : int
        Pre- and post-smoothing sweeps (equal, for symmetry).
    local_sweeps : int
        Local relaxation sweeps around re-entrant corners.
    threads : int, optional
        numba threads per application.
    cycle : {"V", "W"}
        A W-cycle stays symmetric: the coarse correction of two symmetric cycles
        from zero, ``(I - (I - B A)^2) A^-1``, is symmetric when ``B`` is. An
        F-cycle is not (its coarse correction is an F-cycle then a V-cycle, whose
        adjoint is the reverse order) and raises :class:`InvalidParameterError`.
    smoother : {"rbgs", "jacobi"}
        Smoother (see :func:`v_cycle`).
    """
    return cycle_operator(hierarchy, _plan(sweeps, sweeps, local_sweeps, True, cycle, smoother), threads, OPS_2D)


def cycle_operator(h: _Grids, plan: _Plan, threads: int | None, ops: Any) -> LinearOperator:
    """One cycle of ``plan`` from a zero guess on flattened grids, as a ``LinearOperator``."""
    shape = h.shape

    def apply(x: np.ndarray) -> np.ndarray:
        f = np.ascontiguousarray(np.asarray(x, dtype=np.float64).reshape(shape))
        u = np.zeros(shape)
        _run(h, u, f, plan, threads, ops)
        return u.ravel()

    n = math.prod(shape)
    return LinearOperator((n, n), matvec=apply, dtype=np.float64)
