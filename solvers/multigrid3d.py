r"""Geometric multigrid for the 3D 7-point ``-Laplacian`` with zero Dirichlet data.

The grid has ``(nx, ny, nz)`` points including the boundary; a boolean mask
marks the unknowns (a cube with an interior box removed is a box with part of
the mask cleared). Levels halve the grid while ``n - 1`` is even and ``n > 5``
on every axis; coarse masks are the fine mask at coinciding points and the
7-point operator is rediscretised on each level. Smoothing is red--black
Gauss--Seidel over-relaxed by :data:`RB_OMEGA` (default) or weighted Jacobi, restriction 27-point full
weighting, interpolation trilinear, and the coarsest level is solved by a
sparse LU factorised once at setup.

The cycle driver, the iteration loop with its stall check, the preconditioner
wrapper and the convergence record are those of :mod:`solvers.multigrid`; this
module supplies the 3D hierarchy and kernels (:data:`OPS_3D`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, splu

from equations.errors import InvalidDataError, InvalidParameterError
from solvers import _mg3d_kernels as k
from solvers.multigrid import MultigridInfo, _Plan, _plan, cycle_operator, solve_with

# the weight minimising the high-frequency smoothing factor of Jacobi for the 3D
# 7-point Laplacian with equal spacings: the high-frequency eigenvalues of
# D^-1 A fill [1/3, 2], and |1 - w/3| = |1 - 2w| at w = 6/7 (factor 5/7)
JACOBI_WEIGHT_3D = 6.0 / 7.0
# red-black sweeps are over-relaxed: plain Gauss-Seidel (w = 1) damps the 3D
# high frequencies less than in 2D, and measured on 33^3 and 65^3 w = 1.2 cuts the
# V(2,2) factor from 0.107 to 0.057 and V(1,1) from 0.18 to 0.065, at no extra traffic
RB_OMEGA = 1.2


def check_spacings(*spacings: float) -> None:
    """Raise :class:`InvalidParameterError` unless every spacing is positive and finite."""
    for key, h in zip(("hx", "hy", "hz"), spacings):
        if isinstance(h, bool) or not isinstance(h, (int, float, np.floating)) or not (math.isfinite(h) and h > 0):
            raise InvalidParameterError(f"grid spacing {key} must be a positive finite number, got {h!r}")


def unknowns_mask3d(mask: np.ndarray) -> np.ndarray:
    """A contiguous uint8 copy of a boolean 3D ``mask`` with the outer faces cleared."""
    mask = np.asarray(mask)
    if mask.ndim != 3 or min(mask.shape) < 3:
        raise InvalidDataError(f"mask must be a 3D array with at least 3 points per axis, got shape {mask.shape}")
    if mask.dtype != np.bool_:
        raise InvalidDataError(f"mask must be boolean, got dtype {mask.dtype}")
    out = np.ascontiguousarray(mask, dtype=np.uint8).copy()
    out[0], out[-1], out[:, 0], out[:, -1], out[:, :, 0], out[:, :, -1] = 0, 0, 0, 0, 0, 0
    return out


def laplacian_matrix3d(mask: np.ndarray, hx: float, hy: float, hz: float) -> tuple[sp.csr_matrix, np.ndarray]:
    """The 7-point ``-Laplacian`` on the unknowns of a 3D ``mask`` (zero Dirichlet elsewhere).

    Built as the Kronecker sum of 1D second differences on the full grid, then
    restricted to the unknowns: dropping the columns of fixed points is the
    zero Dirichlet data.

    Returns
    -------
    (scipy.sparse.csr_matrix, numpy.ndarray)
        The SPD matrix and the flat (C-order) grid indices of the unknowns.
    """
    check_spacings(hx, hy, hz)
    m = unknowns_mask3d(mask).astype(bool)

    def second(n: int, h: float) -> sp.csr_matrix:
        return sp.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1], format="csr") / h**2

    nx, ny, nz = m.shape
    a = sp.kronsum(sp.kronsum(second(nz, hz), second(ny, hy)), second(nx, hx), format="csr")
    index = np.flatnonzero(m)
    return a[index][:, index].tocsr(), index


@dataclass
class Level3D:
    """One grid of the 3D hierarchy and its work arrays (``u``, ``f`` are empty on the finest)."""

    mask: np.ndarray
    hx: float
    hy: float
    hz: float
    u: np.ndarray
    f: np.ndarray
    r: np.ndarray


class Hierarchy3D:
    """3D grids, masks, work arrays and the coarsest-level factorisation, built once.

    Parameters
    ----------
    mask : numpy.ndarray
        Boolean ``(nx, ny, nz)``, True for unknowns; the outer faces are always fixed zero.
    hx, hy, hz : float
        Fine-grid spacings along axes 0, 1 and 2.
    """

    def __init__(self, mask: np.ndarray, hx: float, hy: float, hz: float):
        check_spacings(hx, hy, hz)
        m = unknowns_mask3d(mask)
        self.levels: list[Level3D] = []
        empty = np.zeros((0, 0, 0))
        while True:
            shape = m.shape
            u, f = (empty, empty) if not self.levels else (np.zeros(shape), np.zeros(shape))
            self.levels.append(Level3D(m, float(hx), float(hy), float(hz), u, f, np.zeros(shape)))
            if not all((n - 1) % 2 == 0 and n > 5 for n in shape):
                break
            m = unknowns_mask3d(m[::2, ::2, ::2].astype(bool))
            hx, hy, hz = 2 * hx, 2 * hy, 2 * hz
        c = self.levels[-1]
        a, self._coarse_index = laplacian_matrix3d(c.mask.astype(bool), c.hx, c.hy, c.hz)
        self._coarse_lu = splu(a.tocsc()) if a.shape[0] else None

    @property
    def shape(self) -> tuple[int, int, int]:
        """Fine-grid shape ``(nx, ny, nz)``."""
        nx, ny, nz = self.levels[0].mask.shape
        return nx, ny, nz

    @property
    def mask(self) -> np.ndarray:
        """Fine-grid unknowns (boolean)."""
        return self.levels[0].mask.astype(bool)

    def coarse_solve(self, u: np.ndarray, f: np.ndarray) -> None:
        """Exact solve on the coarsest level, written into ``u``."""
        if self._coarse_lu is not None:
            u.ravel()[self._coarse_index] = self._coarse_lu.solve(f.ravel()[self._coarse_index])


class _Ops3D:
    """The 3D 7-point kernels behind :mod:`solvers.multigrid`'s cycle driver."""

    @staticmethod
    def smooth(lv: Level3D, u: np.ndarray, f: np.ndarray, sweeps: int, plan: _Plan, reverse: bool) -> None:
        # a red-black sweep reversed is (black, red); Jacobi is its own adjoint.
        # lv.r is Jacobi's scratch: the residual it holds is restricted before any smoothing
        first, second = (1, 0) if reverse else (0, 1)
        for _ in range(sweeps):
            if plan.smoother == "jacobi":
                k.jacobi_sweep(u, f, lv.mask, lv.hx, lv.hy, lv.hz, JACOBI_WEIGHT_3D, lv.r)
            else:
                k.rb_sweep(u, f, lv.mask, lv.hx, lv.hy, lv.hz, first, RB_OMEGA)
                k.rb_sweep(u, f, lv.mask, lv.hx, lv.hy, lv.hz, second, RB_OMEGA)

    @staticmethod
    def residual(lv: Level3D, u: np.ndarray, f: np.ndarray) -> None:
        k.residual(u, f, lv.mask, lv.hx, lv.hy, lv.hz, lv.r)

    @staticmethod
    def restrict(lv: Level3D, nxt: Level3D) -> None:
        k.restrict_full_weighting(lv.r, nxt.mask, nxt.f)

    @staticmethod
    def prolong_add(nxt: Level3D, lv: Level3D, u: np.ndarray) -> None:
        k.prolong_add(nxt.u, lv.mask, u)

    @staticmethod
    def residual_sumsq(lv: Level3D, u: np.ndarray, f: np.ndarray) -> float:
        return float(k.residual_sumsq(u, f, lv.mask, lv.hx, lv.hy, lv.hz))

    @staticmethod
    def masked_sumsq(lv: Level3D, f: np.ndarray) -> float:
        return float(k.masked_sumsq(f, lv.mask))


OPS_3D = _Ops3D()


def _plan3d(pre: int, post: int, symmetric: bool, cycle: str, smoother: str) -> _Plan:
    # the corner windows of the 2D L-shape have no 3D counterpart: no local sweeps
    return _plan(pre, post, 0, symmetric, cycle, smoother)


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

    Parameters
    ----------
    f : numpy.ndarray
        Right-hand side on the ``(nx, ny, nz)`` grid; values off the unknowns are ignored.
    hx, hy, hz : float
        Grid spacings along axes 0, 1 and 2.
    mask : numpy.ndarray, optional
        Boolean unknowns (default: every point off the outer faces).
    tol : float
        Stop when the relative residual ``||f + Laplacian(u)|| / ||f||`` is ``<= tol``.
    pre, post : int
        Smoothing sweeps before and after the coarse correction.
    max_cycles : int
        Cycle limit. Stopping there, or earlier when the residual stalls at the
        rounding floor, gives ``converged=False`` and a RuntimeWarning.
    u0 : numpy.ndarray, optional
        Initial guess (default zero).
    hierarchy : Hierarchy3D, optional
        A prebuilt hierarchy for this grid and mask (skips the setup).
    threads : int, optional
        numba threads for this solve (default: numba's current setting).
    cycle : {"V", "W", "F"}
        Cycle kind (see :mod:`solvers.multigrid`).
    smoother : {"rbgs", "jacobi"}
        Red--black Gauss--Seidel over-relaxed by :data:`RB_OMEGA` (default), or
        Jacobi weighted by :data:`JACOBI_WEIGHT_3D` (slower to converge).

    Returns
    -------
    (numpy.ndarray, MultigridInfo)
        The solution (zero off the unknowns) and the convergence record.
    """
    return solve_with(
        f,
        mask,
        3,
        lambda m: Hierarchy3D(m, hx, hy, hz),
        lambda m: unknowns_mask3d(m).astype(bool),
        OPS_3D,
        plan=_plan3d(pre, post, False, cycle, smoother),
        tol=tol,
        max_cycles=max_cycles,
        u0=u0,
        hierarchy=hierarchy,
        threads=threads,
    )


def preconditioner3d(
    hierarchy: Hierarchy3D,
    sweeps: int = 2,
    *,
    threads: int | None = None,
    cycle: str = "V",
    smoother: str = "rbgs",
) -> LinearOperator:
    """One symmetric cycle (V by default) from a zero guess, as a SciPy ``LinearOperator`` (for CG).

    Vectors are flattened (C order) grids of ``nx * ny * nz`` entries; entries
    off the unknowns are ignored on input and zero on output. The post-smoother
    is the adjoint of the pre-smoother, so the map is symmetric positive definite
    (see :func:`solvers.multigrid.preconditioner`; ``cycle="F"`` raises
    :class:`InvalidParameterError`).
    """
    return cycle_operator(hierarchy, _plan3d(sweeps, sweeps, True, cycle, smoother), threads, OPS_3D)
