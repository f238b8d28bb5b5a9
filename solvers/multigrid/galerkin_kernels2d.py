"""numba kernels of the Galerkin (9-point stencil) multigrid of :mod:`solvers.darcy`.

Every array of a level is *padded*: the real grid node ``(i, j)`` sits at
``[i + 1, j + 1]`` and a ghost frame surrounds it, so the loops over
``1 .. n - 2`` reach every real node (the box's own frame included, which holds
unknowns on Neumann sides) without bounds checks. ``mask`` (uint8) marks the
unknowns; every other entry of ``u`` (Dirichlet nodes, solid nodes, the ghost
frame) holds zero and is never written.

The operator of a level is a per-point stencil ``S`` of shape ``(nx, ny, 9)``:
``(A u)[i, j] = sum_k S[i, j, k] u[i + di_k, j + dj_k]`` with
``k = 3 (di + 1) + (dj + 1)`` for the offsets ``di, dj`` in ``{-1, 0, 1}`` (so
``k = 4`` is the diagonal). Rows of non-unknowns and couplings to them are zero.

Coarse node ``(I, J)`` lies on fine node ``(2 I, 2 J)``; in padded indices the
fine index of coarse ``ic`` is ``2 ic - 1``. The transfers are those of
:mod:`solvers.multigrid.kernels2d` with ``offset=1``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(inline="always", fastmath=True, cache=True)
def _offdiag(u: np.ndarray, s: np.ndarray, i: int, j: int) -> float:
    """``sum_{k != 4} S[i, j, k] u[neighbour k]`` (inlined)."""
    return (
        s[i, j, 0] * u[i - 1, j - 1]
        + s[i, j, 1] * u[i - 1, j]
        + s[i, j, 2] * u[i - 1, j + 1]
        + s[i, j, 3] * u[i, j - 1]
        + s[i, j, 5] * u[i, j + 1]
        + s[i, j, 6] * u[i + 1, j - 1]
        + s[i, j, 7] * u[i + 1, j]
        + s[i, j, 8] * u[i + 1, j + 1]
    )


@njit(parallel=True, fastmath=True, cache=True)
def gs4_sweep(u: np.ndarray, b: np.ndarray, s: np.ndarray, mask: np.ndarray, ci: int, cj: int) -> None:
    """Gauss--Seidel update of the unknowns with ``(i % 2, j % 2) == (ci, cj)`` (padded indices).

    Two points of one colour differ by even offsets along both axes, so a
    9-point stencil never couples them: the rows of one colour run in parallel.
    """
    nx, ny = u.shape
    first = 2 - ci  # the first padded row >= 1 with i % 2 == ci
    rows = (nx - 2 - first) // 2 + 1
    for t in prange(rows):
        i = first + 2 * t
        for j in range(2 - cj, ny - 1, 2):
            if mask[i, j]:
                u[i, j] = (b[i, j] - _offdiag(u, s, i, j)) / s[i, j, 4]


@njit(parallel=True, fastmath=True, cache=True)
def residual(u: np.ndarray, b: np.ndarray, s: np.ndarray, mask: np.ndarray, r: np.ndarray) -> float:
    """Store ``r = b - A u`` on the unknowns (0 elsewhere); return ``sum(r**2)``."""
    nx, ny = u.shape
    total = 0.0
    for i in prange(1, nx - 1):
        for j in range(1, ny - 1):
            if mask[i, j]:
                v = b[i, j] - s[i, j, 4] * u[i, j] - _offdiag(u, s, i, j)
                r[i, j] = v
                total += v * v
            else:
                r[i, j] = 0.0
    return total


@njit(parallel=True, fastmath=True, cache=True)
def prolong_columns(ec: np.ndarray, pc: np.ndarray, mask: np.ndarray, u: np.ndarray, add: bool) -> None:
    """``u (+)= P ec`` on the fine unknowns, ``P`` given by its columns ``pc`` (padded arrays).

    ``pc[ic, jc, k]`` is the weight of coarse node ``(ic, jc)`` on the fine node
    ``(2 ic - 1 + di, 2 jc - 1 + dj)``, ``k = 3 (di + 1) + (dj + 1)``: a fine
    node gathers from the one, two or four coarse nodes whose 3x3 patch holds it.
    """
    nx, ny = u.shape
    for i in prange(1, nx - 1):
        ic0 = (i - 1) // 2 + 1
        odd_i = (i - 1) % 2 == 1
        for j in range(1, ny - 1):
            if mask[i, j]:
                jc0 = (j - 1) // 2 + 1
                odd_j = (j - 1) % 2 == 1
                v = 0.0
                for a in range(2 if odd_i else 1):
                    ic = ic0 + a
                    di = i - (2 * ic - 1)
                    for b in range(2 if odd_j else 1):
                        jc = jc0 + b
                        dj = j - (2 * jc - 1)
                        v += pc[ic, jc, 3 * (di + 1) + (dj + 1)] * ec[ic, jc]
                if add:
                    u[i, j] += v
                else:
                    u[i, j] = v


@njit(parallel=True, fastmath=True, cache=True)
def restrict_columns(r: np.ndarray, pc: np.ndarray, mask_c: np.ndarray, fc: np.ndarray) -> None:
    """``fc = P^T r`` on the coarse unknowns (padded arrays; ``pc`` as in :func:`prolong_columns`)."""
    ncx, ncy = fc.shape
    for ic in prange(1, ncx - 1):
        i = 2 * ic - 1
        for jc in range(1, ncy - 1):
            if mask_c[ic, jc]:
                j = 2 * jc - 1
                v = 0.0
                for di in range(-1, 2):
                    for dj in range(-1, 2):
                        v += pc[ic, jc, 3 * (di + 1) + (dj + 1)] * r[i + di, j + dj]
                fc[ic, jc] = v
            else:
                fc[ic, jc] = 0.0
