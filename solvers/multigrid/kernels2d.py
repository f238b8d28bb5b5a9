"""numba kernels of the 2D 5-point multigrid: smoothing, residual, transfer operators.

Arrays are indexed ``[i, j]`` with ``i`` along x (spacing ``hx``) and ``j`` along
y (``hy``). ``mask`` (uint8) marks unknowns; it is zero on the outer frame, so
the loops over ``1 .. n-2`` never need bounds checks, and every non-unknown
point of ``u`` holds zero (the Dirichlet value), which the stencils rely on.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(parallel=True, fastmath=True, cache=True)
def rb_sweep(u: np.ndarray, f: np.ndarray, mask: np.ndarray, hx: float, hy: float, color: int) -> None:
    """Gauss--Seidel update of the points with ``(i + j) % 2 == color`` (rows in parallel)."""
    nx, ny = u.shape
    cx = 1.0 / (hx * hx)
    cy = 1.0 / (hy * hy)
    inv_diag = 1.0 / (2.0 * cx + 2.0 * cy)
    for i in prange(1, nx - 1):
        # points of one colour only read the other colour: rows are independent
        for j in range(1 + (i + 1 + color) % 2, ny - 1, 2):
            if mask[i, j]:
                u[i, j] = (
                    f[i, j] + cx * (u[i - 1, j] + u[i + 1, j]) + cy * (u[i, j - 1] + u[i, j + 1])
                ) * inv_diag


@njit(inline="always", fastmath=True, cache=True)
def _point_residual(u: np.ndarray, f: np.ndarray, i: int, j: int, cx: float, cy: float) -> float:
    """``f + Laplacian(u)`` at one point (inlined into the loops below)."""
    c = u[i, j]
    return f[i, j] - cx * (2.0 * c - u[i - 1, j] - u[i + 1, j]) - cy * (2.0 * c - u[i, j - 1] - u[i, j + 1])


@njit(parallel=True, fastmath=True, cache=True)
def residual(u: np.ndarray, f: np.ndarray, mask: np.ndarray, hx: float, hy: float, r: np.ndarray) -> float:
    """Store ``r = f + Laplacian(u)`` on unknowns (0 elsewhere); return ``sum(r**2)``."""
    nx, ny = u.shape
    cx = 1.0 / (hx * hx)
    cy = 1.0 / (hy * hy)
    total = 0.0
    for i in prange(1, nx - 1):
        for j in range(1, ny - 1):
            if mask[i, j]:
                v = _point_residual(u, f, i, j, cx, cy)
                r[i, j] = v
                total += v * v
            else:
                r[i, j] = 0.0
    return total



@njit(parallel=True, fastmath=True, cache=True)
def masked_sumsq(f: np.ndarray, mask: np.ndarray) -> float:
    """``sum(f**2)`` over unknowns."""
    nx, ny = f.shape
    total = 0.0
    for i in prange(nx):
        for j in range(ny):
            if mask[i, j]:
                total += f[i, j] * f[i, j]
    return total


@njit(parallel=True, fastmath=True, cache=True)
def restrict_full_weighting(r: np.ndarray, mask_c: np.ndarray, fc: np.ndarray, offset: int) -> None:
    """Coarse right-hand side ``fc`` = full-weighting average ``R r`` of the fine residual ``r``.

    ``offset`` is 0 for arrays of the grid's shape and 1 for padded arrays (real
    node ``i`` at index ``i + 1``): coarse index ``ic`` lies on fine ``2 ic - offset``.
    ``R = P^T / 4``; ``r`` is zero off the fine unknowns.
    """
    ncx, ncy = fc.shape
    for ic in prange(1, ncx - 1):
        i = 2 * ic - offset
        for jc in range(1, ncy - 1):
            j = 2 * jc - offset
            if mask_c[ic, jc]:
                fc[ic, jc] = 0.0625 * (
                    4.0 * r[i, j]
                    + 2.0 * (r[i - 1, j] + r[i + 1, j] + r[i, j - 1] + r[i, j + 1])
                    + (r[i - 1, j - 1] + r[i - 1, j + 1] + r[i + 1, j - 1] + r[i + 1, j + 1])
                )
            else:
                fc[ic, jc] = 0.0


@njit(parallel=True, fastmath=True, cache=True)
def prolong(ec: np.ndarray, mask: np.ndarray, u: np.ndarray, add: bool, offset: int) -> None:
    """``u (+)= P ec`` on the fine unknowns, ``P`` the bilinear interpolation.

    ``offset`` as in :func:`restrict_full_weighting`. ``ec`` is zero off the
    coarse unknowns, so ``P`` only draws on them. With ``add=False`` the
    unknowns of ``u`` are overwritten.
    """
    nx, ny = u.shape
    for i in prange(1, nx - 1):
        even_i = (i - offset) % 2 == 0
        ic = (i - offset) // 2 + offset  # the coarse row on or below fine row i
        for j in range(1, ny - 1):
            if mask[i, j]:
                even_j = (j - offset) % 2 == 0
                jc = (j - offset) // 2 + offset
                if even_i and even_j:
                    v = ec[ic, jc]
                elif even_i:
                    v = 0.5 * (ec[ic, jc] + ec[ic, jc + 1])
                elif even_j:
                    v = 0.5 * (ec[ic, jc] + ec[ic + 1, jc])
                else:
                    v = 0.25 * (ec[ic, jc] + ec[ic, jc + 1] + ec[ic + 1, jc] + ec[ic + 1, jc + 1])
                if add:
                    u[i, j] += v
                else:
                    u[i, j] = v


@njit(fastmath=True, cache=True)
def rb_sweep_box(
    u: np.ndarray, f: np.ndarray, mask: np.ndarray, hx: float, hy: float, color: int, box: np.ndarray
) -> None:
    """:func:`rb_sweep` restricted to ``box = (i0, i1, j0, j1)`` (half-open, inside the frame)."""
    cx = 1.0 / (hx * hx)
    cy = 1.0 / (hy * hy)
    inv_diag = 1.0 / (2.0 * cx + 2.0 * cy)
    for i in range(box[0], box[1]):
        for j in range(box[2] + (i + box[2] + color) % 2, box[3], 2):
            if mask[i, j]:
                u[i, j] = (
                    f[i, j] + cx * (u[i - 1, j] + u[i + 1, j]) + cy * (u[i, j - 1] + u[i, j + 1])
                ) * inv_diag


@njit(parallel=True, fastmath=True, cache=True)
def jacobi_sweep(
    u: np.ndarray, f: np.ndarray, mask: np.ndarray, hx: float, hy: float, omega: float, tmp: np.ndarray
) -> None:
    """Weighted Jacobi ``u += omega * D^-1 (f + Laplacian(u))`` on unknowns, rows in parallel.

    ``tmp`` (same shape as ``u``) receives the new values first, then they are
    copied back, so every point is updated from the old iterate; ``tmp`` is
    overwritten on unknowns and left alone elsewhere.
    """
    nx, ny = u.shape
    cx = 1.0 / (hx * hx)
    cy = 1.0 / (hy * hy)
    scale = omega / (2.0 * cx + 2.0 * cy)
    for i in prange(1, nx - 1):
        for j in range(1, ny - 1):
            if mask[i, j]:
                tmp[i, j] = u[i, j] + scale * _point_residual(u, f, i, j, cx, cy)
    for i in prange(1, nx - 1):
        for j in range(1, ny - 1):
            if mask[i, j]:
                u[i, j] = tmp[i, j]
