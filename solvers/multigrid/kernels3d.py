"""numba kernels of the 3D 7-point multigrid: smoothing, residual, transfer operators.

Arrays are indexed ``[i, j, k]`` with ``i`` along x (spacing ``hx``), ``j``
along y (``hy``) and ``k`` along z (``hz``), ``k`` contiguous. ``mask`` (uint8)
marks unknowns; it is zero on the outer faces, so the loops over ``1 .. n-2``
never need bounds checks, and every non-unknown point of ``u`` holds zero (the
Dirichlet value), which the stencils rely on. The outer axis runs in parallel.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(inline="always", fastmath=True, cache=True)
def _point_residual(
    u: np.ndarray, f: np.ndarray, i: int, j: int, k: int, cx: float, cy: float, cz: float
) -> float:
    """``f + Laplacian(u)`` at one point (inlined into the loops below)."""
    c = 2.0 * u[i, j, k]
    return (
        f[i, j, k]
        - cx * (c - u[i - 1, j, k] - u[i + 1, j, k])
        - cy * (c - u[i, j - 1, k] - u[i, j + 1, k])
        - cz * (c - u[i, j, k - 1] - u[i, j, k + 1])
    )


@njit(parallel=True, fastmath=True, cache=True)
def rb_sweep(
    u: np.ndarray,
    f: np.ndarray,
    mask: np.ndarray,
    hx: float,
    hy: float,
    hz: float,
    color: int,
    omega: float = 1.0,
) -> None:
    """Gauss--Seidel update (over-relaxed by ``omega``) of the points with ``(i + j + k) % 2 == color``.

    Points of one colour only read the other colour, so the planes run in parallel.
    """
    nx, ny, nz = u.shape
    cx = 1.0 / (hx * hx)
    cy = 1.0 / (hy * hy)
    cz = 1.0 / (hz * hz)
    scale = omega / (2.0 * cx + 2.0 * cy + 2.0 * cz)
    keep = 1.0 - omega
    for i in prange(1, nx - 1):
        for j in range(1, ny - 1):
            for k in range(1 + (i + j + 1 + color) % 2, nz - 1, 2):
                if mask[i, j, k]:
                    u[i, j, k] = keep * u[i, j, k] + scale * (
                        f[i, j, k]
                        + cx * (u[i - 1, j, k] + u[i + 1, j, k])
                        + cy * (u[i, j - 1, k] + u[i, j + 1, k])
                        + cz * (u[i, j, k - 1] + u[i, j, k + 1])
                    )


@njit(parallel=True, fastmath=True, cache=True)
def jacobi_sweep(
    u: np.ndarray,
    f: np.ndarray,
    mask: np.ndarray,
    hx: float,
    hy: float,
    hz: float,
    omega: float,
    tmp: np.ndarray,
) -> None:
    """Weighted Jacobi ``u += omega * D^-1 (f + Laplacian(u))`` on unknowns.

    ``tmp`` (same shape as ``u``) receives the new values first, then they are
    copied back, so every point is updated from the old iterate; ``tmp`` is
    overwritten on unknowns and left alone elsewhere.
    """
    nx, ny, nz = u.shape
    cx = 1.0 / (hx * hx)
    cy = 1.0 / (hy * hy)
    cz = 1.0 / (hz * hz)
    scale = omega / (2.0 * cx + 2.0 * cy + 2.0 * cz)
    for i in prange(1, nx - 1):
        for j in range(1, ny - 1):
            for k in range(1, nz - 1):
                if mask[i, j, k]:
                    tmp[i, j, k] = u[i, j, k] + scale * _point_residual(u, f, i, j, k, cx, cy, cz)
    for i in prange(1, nx - 1):
        for j in range(1, ny - 1):
            for k in range(1, nz - 1):
                if mask[i, j, k]:
                    u[i, j, k] = tmp[i, j, k]


@njit(parallel=True, fastmath=True, cache=True)
def residual(
    u: np.ndarray, f: np.ndarray, mask: np.ndarray, hx: float, hy: float, hz: float, r: np.ndarray
) -> float:
    """Store ``r = f + Laplacian(u)`` on unknowns (0 elsewhere, outer faces untouched); return ``sum(r**2)``."""
    nx, ny, nz = u.shape
    cx = 1.0 / (hx * hx)
    cy = 1.0 / (hy * hy)
    cz = 1.0 / (hz * hz)
    total = 0.0
    for i in prange(1, nx - 1):
        for j in range(1, ny - 1):
            for k in range(1, nz - 1):
                if mask[i, j, k]:
                    v = _point_residual(u, f, i, j, k, cx, cy, cz)
                    r[i, j, k] = v
                    total += v * v
                else:
                    r[i, j, k] = 0.0
    return total



@njit(parallel=True, fastmath=True, cache=True)
def masked_sumsq(f: np.ndarray, mask: np.ndarray) -> float:
    """``sum(f**2)`` over unknowns."""
    nx, ny, nz = f.shape
    total = 0.0
    for i in prange(nx):
        for j in range(ny):
            for k in range(nz):
                if mask[i, j, k]:
                    total += f[i, j, k] * f[i, j, k]
    return total


@njit(inline="always", fastmath=True, cache=True)
def _line(r: np.ndarray, i: int, j: int, k: int) -> float:
    """The 1D full-weighting sum ``r[k-1] + 2 r[k] + r[k+1]`` along z."""
    return r[i, j, k - 1] + 2.0 * r[i, j, k] + r[i, j, k + 1]


@njit(parallel=True, fastmath=True, cache=True)
def restrict_full_weighting(r: np.ndarray, mask_c: np.ndarray, fc: np.ndarray, offset: int) -> None:
    """Coarse right-hand side ``fc = R r``, ``R = P^T / 8`` the 27-point full weighting (0 off ``mask_c``).

    ``offset`` is 0 for arrays of the grid's shape and 1 for padded arrays (real
    node ``i`` at index ``i + 1``): coarse index ``ic`` lies on fine ``2 ic - offset``.
    The weights are the tensor product of ``(1/4, 1/2, 1/4)`` on each axis,
    applied as z-lines, then y, then x (27 reads, no temporaries). ``r`` is zero
    off the fine unknowns, so at a coarse node of a Neumann side (padded arrays)
    only the fine nodes inside the box count: the weights then sum to the coarse
    control-volume fraction.
    """
    ncx, ncy, ncz = fc.shape
    for ic in prange(1, ncx - 1):
        i = 2 * ic - offset
        for jc in range(1, ncy - 1):
            j = 2 * jc - offset
            for kc in range(1, ncz - 1):
                k = 2 * kc - offset
                if mask_c[ic, jc, kc]:
                    lo = _line(r, i - 1, j - 1, k) + 2.0 * _line(r, i - 1, j, k) + _line(r, i - 1, j + 1, k)
                    mid = _line(r, i, j - 1, k) + 2.0 * _line(r, i, j, k) + _line(r, i, j + 1, k)
                    hi = _line(r, i + 1, j - 1, k) + 2.0 * _line(r, i + 1, j, k) + _line(r, i + 1, j + 1, k)
                    fc[ic, jc, kc] = 0.015625 * (lo + 2.0 * mid + hi)
                else:
                    fc[ic, jc, kc] = 0.0


@njit(parallel=True, fastmath=True, cache=True)
def prolong_add(ec: np.ndarray, mask: np.ndarray, u: np.ndarray, offset: int) -> None:
    """``u += P ec`` on fine unknowns, ``P`` the trilinear interpolation.

    ``offset`` as in :func:`restrict_full_weighting`. A fine index ``i`` lies
    between coarse ``(i + offset) // 2`` and ``(i + offset + 1) // 2`` (the same
    point when its real index is even), so the average of the 8 corners covers
    the coincident, edge, face and cell-centre cases without branching; ``ec``
    is zero off the coarse unknowns.
    """
    nx, ny, nz = u.shape
    for i in prange(1, nx - 1):
        i0 = (i + offset) // 2
        i1 = (i + offset + 1) // 2
        for j in range(1, ny - 1):
            j0 = (j + offset) // 2
            j1 = (j + offset + 1) // 2
            for k in range(1, nz - 1):
                if mask[i, j, k]:
                    k0 = (k + offset) // 2
                    k1 = (k + offset + 1) // 2
                    u[i, j, k] += 0.125 * (
                        ec[i0, j0, k0]
                        + ec[i0, j0, k1]
                        + ec[i0, j1, k0]
                        + ec[i0, j1, k1]
                        + ec[i1, j0, k0]
                        + ec[i1, j0, k1]
                        + ec[i1, j1, k0]
                        + ec[i1, j1, k1]
                    )
