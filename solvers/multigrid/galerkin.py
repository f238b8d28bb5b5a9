r"""Galerkin coarse operators ``A_c = R A P`` on 9-point stencils (2D), as multigrid levels.

Bilinear ``P`` and full weighting ``R = P^T / 4`` by default, or any ``P`` with
3x3 column support given by a :class:`ProlongationRule` (``R = P^T``; e.g.
:mod:`solvers.multigrid.operator_interpolation`); the coarse operators are
stored as per-point 9-point stencils (:mod:`solvers.multigrid.galerkin_kernels2d`,
padded arrays) and computed by probing with 9 coloured coarse vectors (exact
``R A P``). Smoothing is 4-colour Gauss--Seidel (colours ``(i % 2, j % 2)``),
reversed after the coarse correction, so a cycle with ``pre == post`` is
symmetric. The hierarchy only needs the fine stencil: the discretisation that
produces it is :func:`solvers.darcy.fine_stencil`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp
from scipy import ndimage

from equations.errors import InvalidDataError
from solvers.multigrid import galerkin_kernels2d as gk
from solvers.multigrid import kernels2d as k2
from solvers.multigrid.core import DirectSolve, GridLevel, LevelHierarchy, Plan, coarsenable


class ProlongationRule(Protocol):
    """Columns of ``P`` for one coarsening, from the fine operator (a learned or operator-dependent rule).

    Called with the fine level's padded ``(nx + 2, ny + 2, 9)`` stencil, its
    padded unknown mask, the padded coarse unknown mask and the padded coarse
    nodes that are excluded (solid, not unknowns); returns the padded coarse
    ``(ncx + 2, ncy + 2, 9)`` columns of :func:`gk.prolong_columns`.
    """

    def __call__(
        self, stencil: np.ndarray, mask: np.ndarray, mask_c: np.ndarray, excluded_c: np.ndarray
    ) -> np.ndarray: ...


# stencil offsets: k = 3 (di + 1) + (dj + 1)
STENCIL_OFFSETS = tuple((di, dj) for di in (-1, 0, 1) for dj in (-1, 0, 1))
# 4-colour Gauss-Seidel: two points of one colour never share a 9-point stencil
COLOURS = ((0, 0), (1, 1), (0, 1), (1, 0))


@dataclass
class GalerkinLevel2D(GridLevel):
    """A level on padded arrays: the ``(nx + 2, ny + 2, 9)`` stencil ``s`` and the work arrays."""

    s: np.ndarray
    pc: np.ndarray | None = None  # columns of P to the next level (gk.prolong_columns); None: bilinear

    def smooth(self, u: np.ndarray, f: np.ndarray, sweeps: int, plan: Plan, reverse: bool) -> None:
        colours = COLOURS[::-1] if reverse else COLOURS
        for _ in range(sweeps):
            for ci, cj in colours:
                gk.gs4_sweep(u, f, self.s, self.mask, ci, cj)

    def residual(self, u: np.ndarray, f: np.ndarray) -> float:
        return float(gk.residual(u, f, self.s, self.mask, self.r))

    def restrict(self, coarse: GalerkinLevel2D) -> None:
        self.restrict_to(self.r, coarse.mask, coarse.f)

    def prolong_add(self, coarse: GalerkinLevel2D, u: np.ndarray) -> None:
        self.prolong_from(coarse.u, u, True)

    def restrict_to(self, r: np.ndarray, mask_c: np.ndarray, fc: np.ndarray) -> None:
        """``fc = R r`` on the coarse unknowns: full weighting, or ``P^T`` for given columns."""
        if self.pc is None:
            k2.restrict_full_weighting(r, mask_c, fc, 1)  # padded arrays
        else:
            gk.restrict_columns(r, self.pc, mask_c, fc)

    def prolong_from(self, ec: np.ndarray, u: np.ndarray, add: bool) -> None:
        """``u (+)= P ec`` on this level's unknowns: bilinear, or the given columns."""
        if self.pc is None:
            k2.prolong(ec, self.mask, u, add, 1)
        else:
            gk.prolong_columns(ec, self.pc, self.mask, u, add)



def stencil_matrix(s: np.ndarray, mask: np.ndarray) -> sp.csr_matrix:
    """The padded stencil ``s`` as a sparse matrix on the unknowns of the padded ``mask`` (C order)."""
    mask = mask.astype(bool)
    nx, ny = mask.shape
    n = int(mask.sum())
    number = np.full(mask.shape, -1)
    number[mask] = np.arange(n)
    rows, cols, vals = [], [], []
    for kk, (di, dj) in enumerate(STENCIL_OFFSETS):
        col = number[1 + di : nx - 1 + di, 1 + dj : ny - 1 + dj]
        row = number[1:-1, 1:-1]
        c = s[1:-1, 1:-1, kk]
        keep = (row >= 0) & (col >= 0) & (c != 0.0)
        rows.append(row[keep])
        cols.append(col[keep])
        vals.append(c[keep])
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))


def galerkin_stencil(fine: GalerkinLevel2D, mask_c: np.ndarray) -> np.ndarray:
    """``R A P`` as a padded 9-point stencil, by probing with 9 coloured coarse vectors.

    The coarse nodes with ``(I % 3, J % 3) == (p, q)`` are three apart, so each
    coarse row meets exactly one of them inside its 3x3 stencil: one product
    ``R A P e`` with ``e`` the indicator of a colour gives that coefficient of
    every row. The result is averaged with its transpose (rounding only).
    """
    ncx, ncy = mask_c.shape
    sc = np.zeros((ncx, ncy, 9))
    e, y = np.zeros((ncx, ncy)), np.zeros((ncx, ncy))
    v, av, zero = np.zeros(fine.u.shape), np.zeros(fine.u.shape), np.zeros(fine.u.shape)
    rows, cols = np.arange(ncx)[:, None], np.arange(ncy)[None, :]
    for p in range(3):
        for q in range(3):
            e.fill(0.0)
            e[p::3, q::3] = 1.0
            e *= mask_c
            fine.prolong_from(e, v, False)
            gk.residual(v, zero, fine.s, fine.mask, av)  # av = -A P e
            fine.restrict_to(av, mask_c, y)
            shift_i, shift_j = (p - rows + 1) % 3 - 1, (q - cols + 1) % 3 - 1
            sc[rows, cols, 3 * (shift_i + 1) + (shift_j + 1)] = -y
    mirror = np.zeros_like(sc)
    for kk, (di, dj) in enumerate(STENCIL_OFFSETS):
        # the coefficient of (i, j) on (i + di, j + dj) equals that of (i + di, j + dj) on (i, j)
        mirror[1:-1, 1:-1, kk] = sc[1 + di : ncx - 1 + di, 1 + dj : ncy - 1 + dj, 8 - kk]
    return 0.5 * (sc + mirror)


class GalerkinHierarchy(LevelHierarchy[GalerkinLevel2D]):
    """Levels with Galerkin coarse operators ``A_c = R A P`` (9-point) and the coarsest LU.

    A coarse node is an unknown when the fine node under it is one, or is solid
    with a fine unknown among its 8 neighbours, so that ``P`` reproduces
    constants next to obstacles. Levels halve the grid while ``n - 1`` is even
    and ``n > 5`` on both axes.

    Parameters
    ----------
    stencil : numpy.ndarray
        The fine operator as a padded ``(nx + 2, ny + 2, 9)`` stencil.
    unknown : numpy.ndarray
        Boolean ``(nx, ny)`` unknowns of the real grid.
    solid : numpy.ndarray, optional
        Boolean ``(nx, ny)`` solid nodes (neither unknown nor Dirichlet).
    singular : bool
        The fine operator has the constants as null space (no Dirichlet node):
        the coarsest solve is bordered when ``A_c`` is singular too.
    prolongation : ProlongationRule, optional
        The rule that gives ``P`` at each coarsening (``R = P^T``); default the
        bilinear ``P`` with full weighting.
    """

    def __init__(
        self,
        stencil: np.ndarray,
        unknown: np.ndarray,
        solid: np.ndarray | None = None,
        singular: bool = False,
        prolongation: ProlongationRule | None = None,
    ):
        m = np.zeros((unknown.shape[0] + 2, unknown.shape[1] + 2), dtype=np.uint8)
        m[1:-1, 1:-1] = unknown
        s = stencil
        self.singular = singular
        padded_solid = np.zeros(m.shape, dtype=bool)
        if solid is not None:
            padded_solid[1:-1, 1:-1] = solid
        levels: list[GalerkinLevel2D] = []
        self.excluded: list[np.ndarray] = []  # per coarsening, the padded coarse solid nodes that are not unknowns
        while True:
            levels.append(GalerkinLevel2D(m, np.zeros(m.shape), np.zeros(m.shape), np.zeros(m.shape), s))
            if not coarsenable((m.shape[0] - 2, m.shape[1] - 2)):
                break
            nx, ny = m.shape[0] - 2, m.shape[1] - 2
            mc = np.zeros(((nx + 1) // 2 + 2, (ny + 1) // 2 + 2), dtype=np.uint8)
            mc[1:-1, 1:-1] = m[1:-1:2, 1:-1:2]
            # a coarse node on a solid fine node is an unknown when a fine unknown lies in its
            # 3x3 patch, so P reproduces the constants next to obstacles
            near = ndimage.maximum_filter(m, size=3)[1:-1:2, 1:-1:2].astype(bool)
            sol = padded_solid[1:-1:2, 1:-1:2]
            mc[1:-1, 1:-1] |= sol & near
            s = self._coarsen(levels[-1], mc, _excluded(sol, mc), prolongation)
            # degenerate columns of P (thin solid slits) may give a zero diagonal: drop them
            empty = mc.astype(bool) & (s[:, :, 4] <= 1e-12 * s[:, :, 4].max())
            if empty.any():
                mc[empty] = 0
                s = self._coarsen(levels[-1], mc, _excluded(sol, mc), prolongation)
            padded_solid = _excluded(sol, mc)  # the coarse level's solid nodes
            self.excluded.append(padded_solid)
            m = mc
        self.coarse_matrix = stencil_matrix(s, m).tocsc()
        n = self.coarse_matrix.shape[0]
        diag = np.abs(self.coarse_matrix.diagonal()).max()
        # pure Neumann: when P reproduces the constants A_c is singular too; border it
        # with the constant vector (sum(x) = 0), which is solvable for b orthogonal to 1
        bordered = singular and np.abs(self.coarse_matrix @ np.ones(n)).max() <= 1e-10 * diag
        super().__init__(levels, DirectSolve(self.coarse_matrix, m.astype(bool), bordered=bool(bordered)))

    @staticmethod
    def _coarsen(
        fine: GalerkinLevel2D, mc: np.ndarray, excluded: np.ndarray, prolongation: ProlongationRule | None
    ) -> np.ndarray:
        """The coarse stencil ``R A P`` under ``mc``, after setting the fine level's ``P`` by the rule."""
        if prolongation is not None:
            pc = np.ascontiguousarray(prolongation(fine.s, fine.mask, mc, excluded), dtype=np.float64)
            if pc.shape != (*mc.shape, 9) or not np.all(np.isfinite(pc)):
                raise InvalidDataError(
                    f"the prolongation rule returned shape {pc.shape} or NaN/Inf; expected finite {(*mc.shape, 9)}"
                )
            fine.pc = pc
        return galerkin_stencil(fine, mc)


def _excluded(solid_c: np.ndarray, mc: np.ndarray) -> np.ndarray:
    """Padded coarse nodes on solid fine nodes that are not coarse unknowns (no ``P`` column draws on them)."""
    out = np.zeros(mc.shape, dtype=bool)
    out[1:-1, 1:-1] = solid_c & ~mc[1:-1, 1:-1].astype(bool)
    return out
