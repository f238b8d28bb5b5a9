r"""The multigrid layer written once for every dimension and operator family.

A hierarchy is a list of levels, finest first, plus an exact solve on the
coarsest. A level (:class:`Level`) owns its operator and work arrays and knows
how to smooth, form its residual, restrict that residual onto the next coarser
level's right-hand side and add the interpolated coarse correction. The cycle
(:func:`cycle`: V, W or F), the stationary iteration (:func:`solve_cycles`) and multigrid as a preconditioner
(:func:`cycle_operator`) only use that protocol; the numba kernels stay per
dimension and family behind the level classes
(:mod:`solvers.multigrid.poisson`, :mod:`solvers.multigrid.flux`,
:mod:`solvers.multigrid.galerkin`).

Cycles: on each level but the coarsest, a V-cycle visits the next coarser level
once, a W-cycle twice (each visit a W-cycle), and an F-cycle once with an
F-cycle followed once with a V-cycle. The level just above the coarsest is
visited once by every kind (its solve is exact, a second would change nothing).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

import numba
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, splu

from equations.errors import InvalidParameterError, check_choice, check_integer
from solvers.multigrid import kernels2d as k2
from solvers.multigrid import kernels3d as k3

if TYPE_CHECKING:  # typing.Self is Python 3.11+, the package supports 3.10
    from typing import Self

# grids with fewer points run their kernels on one thread: waking a second
# thread (~10 us idle, a scheduler slice when cores are shared) costs more
PARALLEL_MIN_POINTS = 256 * 256

# the cycles run on the next coarser level by a cycle of each kind
COARSE_VISITS = {"V": ("V",), "W": ("W", "W"), "F": ("F", "V")}
CYCLES = tuple(COARSE_VISITS)
SMOOTHERS = ("rbgs", "jacobi")


@dataclass(frozen=True)
class Plan:
    """What one cycle does on every level: sweeps, cycle kind and smoother settings.

    ``reverse_post`` post-smooths with the adjoint of the pre-smoother (the
    reversed sweep order), which with ``pre == post`` makes a V- or W-cycle from
    zero a symmetric map. ``smoother`` and ``local`` are read by the level
    families that offer a choice (see :mod:`solvers.multigrid.poisson`).
    """

    pre: int
    post: int
    cycle: str = "V"
    reverse_post: bool = False
    smoother: str = "rbgs"
    local: int = 0


def make_plan(
    pre: int,
    post: int,
    *,
    cycle: str = "V",
    symmetric: bool = False,
    smoother: str = "rbgs",
    local_sweeps: int = 0,
    reverse_post: bool | None = None,
) -> Plan:
    """A checked :class:`Plan`.

    Parameters
    ----------
    pre, post : int
        Smoothing sweeps before and after the coarse correction (``pre + post >= 1``).
    cycle : {"V", "W", "F"}
        Cycle kind.
    symmetric : bool
        The cycle from zero must be a symmetric map (a CG preconditioner): needs
        ``pre == post`` and a V- or W-cycle, and reverses the post-smoother.
    smoother : {"rbgs", "jacobi"}
        Smoother, for the level families that offer Jacobi.
    local_sweeps : int
        Extra local sweeps (the 2D corner windows).
    reverse_post : bool, optional
        Reverse the post-smoother (default: ``symmetric``).

    Raises
    ------
    InvalidParameterError
        Any setting out of range, or a symmetric plan that cannot be symmetric.
    """
    plan = Plan(
        check_integer("pre", pre, 0),
        check_integer("post", post, 0),
        check_choice("cycle", cycle, CYCLES),
        symmetric if reverse_post is None else reverse_post,
        local=check_integer("local_sweeps", local_sweeps, 0),
        smoother=check_choice("smoother", smoother, SMOOTHERS),
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


def check_iteration(tol: object, max_cycles: object, threads: object) -> tuple[float, int, int | None]:
    """The checked ``(tol, max_cycles, threads)`` of an iteration; ``threads`` capped at numba's pool.

    Raises
    ------
    InvalidParameterError
        ``tol`` not a positive finite number, ``max_cycles`` or ``threads`` not an integer ``>= 1``.
    """
    if not (isinstance(tol, (int, float)) and not isinstance(tol, bool) and math.isfinite(tol) and tol > 0):
        raise InvalidParameterError(f"tol must be a positive finite number, got {tol!r}")
    cycles = check_integer("max_cycles", max_cycles, 1)
    cap = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
    return float(tol), cycles, None if threads is None else min(check_integer("threads", threads, 1), cap)


def coarsenable(shape: tuple[int, ...]) -> bool:
    """Whether a grid of ``shape`` points gets a coarser level: ``n - 1`` even and ``n > 5`` on every axis."""
    return all((n - 1) % 2 == 0 and n > 5 for n in shape)


class Level(Protocol):
    """One grid of a hierarchy: its operator and work arrays.

    ``u`` and ``f`` hold the correction and the right-hand side a coarse level
    is cycled on (the finest level is given the caller's arrays instead).
    """

    u: np.ndarray
    f: np.ndarray

    @property
    def points(self) -> int:
        """Array entries of this level (decides whether its kernels run in parallel)."""
        ...

    def smooth(self, u: np.ndarray, f: np.ndarray, sweeps: int, plan: Plan, reverse: bool) -> None:
        """``sweeps`` smoothing sweeps on ``u`` (``reverse``: the adjoint sweep order)."""
        ...

    def residual(self, u: np.ndarray, f: np.ndarray) -> float:
        """Store ``f - A u`` in the level's residual array; return its sum of squares over the unknowns."""
        ...

    def restrict(self, coarse: Self) -> None:
        """``coarse.f = R r`` from the residual array of :meth:`residual`."""
        ...

    def prolong_add(self, coarse: Self, u: np.ndarray) -> None:
        """``u += P coarse.u``."""
        ...

    def masked_sumsq(self, f: np.ndarray) -> float:
        """``||f||^2`` over the unknowns."""
        ...


@dataclass
class GridLevel:
    """The arrays every level family has: unknowns (uint8), correction, right-hand side, residual.

    The residual array doubles as scratch: :meth:`Level.residual` on the finest
    level overwrites it between cycles, and the Jacobi smoothers use it within
    a sweep (its residual has been restricted by then).
    """

    mask: np.ndarray
    u: np.ndarray
    f: np.ndarray
    r: np.ndarray

    @property
    def points(self) -> int:
        """Array entries of this level (decides whether its kernels run in parallel)."""
        return int(self.mask.size)

    def masked_sumsq(self, f: np.ndarray) -> float:
        """``||f||^2`` over the unknowns."""
        kernels = k2 if self.mask.ndim == 2 else k3
        return float(kernels.masked_sumsq(f, self.mask))


class Grids(Protocol):
    """What the cycle needs of a hierarchy: the levels and the coarsest solve."""

    @property
    def levels(self) -> Sequence[Level]: ...

    def coarse_solve(self, u: np.ndarray, f: np.ndarray) -> None: ...


class DirectSolve:
    """Exact solve on the coarsest level: a sparse LU of its matrix on the unknowns.

    Parameters
    ----------
    matrix : scipy.sparse matrix
        The operator on the unknowns, numbered in C order over the level's arrays.
    unknown : numpy.ndarray
        Boolean, the level's array shape: where the unknowns sit.
    bordered : bool
        ``matrix`` is singular with the constants as null space: solve the system
        bordered by the constant vector (``sum(x) = 0``), solvable once the
        right-hand side's mean is removed.
    """

    def __init__(self, matrix: sp.spmatrix, unknown: np.ndarray, *, bordered: bool = False):
        self.unknown = unknown.astype(bool)
        self.size = int(matrix.shape[0])
        self.bordered = bordered
        mat = matrix
        if bordered:
            one = sp.csc_matrix(np.ones((self.size, 1)))
            mat = sp.bmat([[mat, one], [one.T, None]], format="csc")
        self._lu = None
        if self.size:
            try:
                self._lu = splu(mat.tocsc())
            except RuntimeError:  # pragma: no cover - exactly singular (degenerate Galerkin columns)
                diag = np.abs(matrix.diagonal()).max()
                self._lu = splu((mat + 1e-12 * diag * sp.identity(mat.shape[0], format="csc")).tocsc())

    def __call__(self, u: np.ndarray, f: np.ndarray) -> None:
        """Write the solution for right-hand side ``f`` into the unknowns of ``u``."""
        if self._lu is None:
            return
        rhs = f[self.unknown]
        if self.bordered:
            rhs = np.append(rhs - rhs.mean(), 0.0)
        u[self.unknown] = self._lu.solve(rhs)[: self.size]


L = TypeVar("L", bound=Level)


class LevelHierarchy(Generic[L]):
    """Levels (finest first) and the coarsest solve: what :func:`cycle` runs on."""

    def __init__(self, levels: list[L], coarse: DirectSolve):
        self.levels = levels
        self.coarse = coarse

    def coarse_solve(self, u: np.ndarray, f: np.ndarray) -> None:
        """Exact solve on the coarsest level, written into ``u``."""
        self.coarse(u, f)


def cycle(h: Grids, depth: int, u: np.ndarray, f: np.ndarray, plan: Plan, threads: int, kind: str) -> None:
    """One cycle of ``kind`` on level ``depth`` of ``h``, improving ``u`` in place.

    ``threads`` is the thread count of the large levels; the others run on one.
    """
    levels = h.levels
    if depth == len(levels) - 1:
        h.coarse_solve(u, f)
        return
    lv, nxt = levels[depth], levels[depth + 1]
    level_threads = threads if lv.points >= PARALLEL_MIN_POINTS else 1
    numba.set_num_threads(level_threads)
    lv.smooth(u, f, plan.pre, plan, False)
    lv.residual(u, f)
    lv.restrict(nxt)
    nxt.u.fill(0.0)
    # the coarsest solve is exact: repeating it would change nothing
    visits = COARSE_VISITS[kind] if depth + 1 < len(levels) - 1 else ("V",)
    for coarse_kind in visits:
        cycle(h, depth + 1, nxt.u, nxt.f, plan, threads, coarse_kind)
    numba.set_num_threads(level_threads)
    lv.prolong_add(nxt, u)
    lv.smooth(u, f, plan.post, plan, plan.reverse_post)


def run_cycle(h: Grids, u: np.ndarray, f: np.ndarray, plan: Plan, threads: int | None) -> None:
    """One cycle of ``plan`` from the finest level; numba's thread setting is restored afterwards."""
    saved = numba.get_num_threads()
    try:
        cycle(h, 0, u, f, plan, threads or saved, plan.cycle)
    finally:
        numba.set_num_threads(saved)


@dataclass(frozen=True)
class MultigridInfo:
    """Convergence record of a multigrid solve.

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

    def stats(self) -> dict[str, int | float]:
        """The record as a registered solver's statistics."""
        return {
            "cycles": self.cycles,
            "relative_residual": self.residuals[-1],
            "convergence_factor": self.convergence_factor,
            "converged": int(self.converged),
            "levels": self.levels,
        }


def solve_cycles(
    h: Grids,
    u: np.ndarray,
    f: np.ndarray,
    plan: Plan,
    *,
    tol: float,
    max_cycles: int,
    threads: int | None,
    setup_s: float,
    name: str,
    norm_f: float | None = None,
    residual0: float | None = None,
) -> MultigridInfo:
    """The stationary multigrid iteration: cycles until the relative residual is ``<= tol``.

    Parameters
    ----------
    h : Grids
        The hierarchy.
    u, f : numpy.ndarray
        Fine-grid iterate (improved in place) and right-hand side.
    plan : Plan
        The cycle.
    tol : float
        Target relative residual ``||f - A u|| / ||f||``.
    max_cycles : int
        Cycle limit; stopping there, or when the residual stalls at the rounding
        floor, gives ``converged=False`` and a RuntimeWarning.
    threads : int, optional
        Threads of the large levels (default: numba's current setting).
    setup_s : float
        Setup time, for the record.
    name : str
        The solver's name in the warning.
    norm_f : float, optional
        ``||f||`` when the caller has it (default: from the fine level's kernel).
    residual0 : float, optional
        The initial relative residual when known (1 for a zero initial guess).

    Returns
    -------
    MultigridInfo
        The convergence record.
    """
    start = time.perf_counter()
    fine = h.levels[0]
    saved = numba.get_num_threads()
    try:
        numba.set_num_threads(threads or saved)
        if norm_f is None:
            norm_f = math.sqrt(fine.masked_sumsq(f))
        if norm_f == 0.0:
            u.fill(0.0)  # the exact solution of a zero right-hand side
            history = [0.0]
        else:
            history = [math.sqrt(fine.residual(u, f)) / norm_f if residual0 is None else residual0]
        stalled = 0
        while history[-1] > tol and len(history) <= max_cycles:
            run_cycle(h, u, f, plan, threads)
            history.append(math.sqrt(fine.residual(u, f)) / norm_f)
            # at the rounding floor the residual stops falling and more cycles are wasted
            stalled = stalled + 1 if history[-1] > 0.95 * history[-2] else 0
            if stalled >= 3:
                break
    finally:
        numba.set_num_threads(saved)
    return summarize(history, tol, len(h.levels), setup_s, time.perf_counter() - start, name)


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
            stacklevel=4,
        )
    factor = (history[-1] / history[0]) ** (1.0 / cycles) if cycles and history[0] > 0 else 0.0
    return MultigridInfo(cycles, tuple(history), factor, converged, levels, setup, elapsed)


def cycle_operator(
    h: Grids, plan: Plan, threads: int | None, shape: tuple[int, ...], unknown: np.ndarray | None = None
) -> LinearOperator:
    """One cycle of ``plan`` from a zero guess, as a SciPy ``LinearOperator`` (a preconditioner).

    Parameters
    ----------
    h : Grids
        The hierarchy.
    plan : Plan
        A symmetric plan (see :func:`make_plan`) when the operator is to precondition CG.
    threads : int, optional
        numba threads per application.
    shape : tuple of int
        Shape of the fine level's arrays.
    unknown : numpy.ndarray, optional
        Boolean of ``shape``: vectors hold only these entries (C order). Default:
        vectors are whole flattened grids, entries off the unknowns ignored on
        input and zero on output.
    """
    if unknown is None:
        n = math.prod(shape)

        def apply(x: np.ndarray) -> np.ndarray:
            f = np.ascontiguousarray(np.asarray(x, dtype=np.float64).reshape(shape))
            u = np.zeros(shape)
            run_cycle(h, u, f, plan, threads)
            return u.ravel()

    else:
        inner = unknown.astype(bool)
        n = int(inner.sum())

        def apply(x: np.ndarray) -> np.ndarray:
            f = np.zeros(shape)
            f[inner] = np.asarray(x, dtype=np.float64).reshape(-1)
            u = np.zeros(shape)
            run_cycle(h, u, f, plan, threads)
            return u[inner]

    # the map is symmetric for a symmetric plan: the adjoint is the map itself
    return LinearOperator((n, n), matvec=apply, rmatvec=apply, dtype=np.float64)
