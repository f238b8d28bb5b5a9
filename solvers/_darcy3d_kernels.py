"""numba kernels of the 3D variable-coefficient (flux-form 7-point) multigrid.

Arrays are *padded*: a grid of ``(nx, ny, nz)`` nodes is stored in arrays of
shape ``(nx + 2, ny + 2, nz + 2)``, node ``(i, j, k)`` at ``[i + 1, j + 1, k + 1]``,
so that the boundary nodes of a Neumann side can be unknowns without bounds
checks. ``mask`` (uint8) marks the unknowns; every other entry of ``u`` holds
zero (a Dirichlet node, or the ghost layer). ``cx[p, q, s]`` is the face
coefficient (divided by ``hx**2``) between ``[p, q, s]`` and ``[p + 1, q, s]``,
likewise ``cy`` along axis 1 and ``cz`` along axis 2; faces to the ghost layer
are zero (no flux). The operator on unknowns is

    (A u)[p] = sum over the 6 faces c (u[p] - u[neighbour]),

the rows already multiplied by the control-volume fraction (the face
coefficients of a Neumann side are halved), so ``A`` is symmetric. A fine
padded index ``p`` lies over the coarse padded index ``(p + 1) / 2`` when ``p``
is odd (real node ``p - 1`` even), between ``p / 2`` and ``p / 2 + 1`` otherwise.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# the masked norm and the 1D full-weighting line are those of the constant-coefficient kernels
from solvers._mg3d_kernels import _line, masked_sumsq  # noqa: F401  (masked_sumsq is re-exported)


@njit(inline="always", fastmath=True, cache=True)
def _point_residual(
    u: np.ndarray, b: np.ndarray, cx: np.ndarray, cy: np.ndarray, cz: np.ndarray, i: int, j: int, k: int
) -> float:
    """``b - A u`` at one point (inlined into the loops below)."""
    c = u[i, j, k]
    return (
        b[i, j, k]
        - cx[i - 1, j, k] * (c - u[i - 1, j, k])
        - cx[i, j, k] * (c - u[i + 1, j, k])
        - cy[i, j - 1, k] * (c - u[i, j - 1, k])
        - cy[i, j, k] * (c - u[i, j + 1, k])
        - cz[i, j, k - 1] * (c - u[i, j, k - 1])
        - cz[i, j, k] * (c - u[i, j, k + 1])
    )


@njit(parallel=True, fastmath=True, cache=True)
def rb_sweep(
    u: np.ndarray,
    b: np.ndarray,
    mask: np.ndarray,
    cx: np.ndarray,
    cy: np.ndarray,
    cz: np.ndarray,
    color: int,
    omega: float,
) -> None:
    """Gauss--Seidel update (over-relaxed by ``omega``) of the unknowns with ``(i + j + k) % 2 == color``.

    Points of one colour only read the other colour, so the planes run in parallel.
    """
    nx, ny, nz = u.shape
    keep = 1.0 - omega
    for i in prange(1, nx - 1):
        for j in range(1, ny - 1):
            for k in range(1 + (i + j + 1 + color) % 2, nz - 1, 2):
                if mask[i, j, k]:
                    w, e = cx[i - 1, j, k], cx[i, j, k]
                    s, n = cy[i, j - 1, k], cy[i, j, k]
                    d, t = cz[i, j, k - 1], cz[i, j, k]
                    u[i, j, k] = keep * u[i, j, k] + omega * (
                        b[i, j, k]
                        + w * u[i - 1, j, k]
                        + e * u[i + 1, j, k]
                        + s * u[i, j - 1, k]
                        + n * u[i, j + 1, k]
                        + d * u[i, j, k - 1]
                        + t * u[i, j, k + 1]
                    ) / (w + e + s + n + d + t)


@njit(parallel=True, fastmath=True, cache=True)
def residual(
    u: np.ndarray, b: np.ndarray, mask: np.ndarray, cx: np.ndarray, cy: np.ndarray, cz: np.ndarray, r: np.ndarray
) -> float:
    """Store ``r = b - A u`` on unknowns (0 at the other real nodes, ghosts untouched); return ``sum(r**2)``."""
    nx, ny, nz = u.shape
    total = 0.0
    for i in prange(1, nx - 1):
        for j in range(1, ny - 1):
            for k in range(1, nz - 1):
                if mask[i, j, k]:
                    v = _point_residual(u, b, cx, cy, cz, i, j, k)
                    r[i, j, k] = v
                    total += v * v
                else:
                    r[i, j, k] = 0.0
    return total


@njit(parallel=True, fastmath=True, cache=True)
def residual_sumsq(
    u: np.ndarray, b: np.ndarray, mask: np.ndarray, cx: np.ndarray, cy: np.ndarray, cz: np.ndarray
) -> float:
    """``sum((b - A u)**2)`` over unknowns, without storing the residual."""
    nx, ny, nz = u.shape
    total = 0.0
    for i in prange(1, nx - 1):
        for j in range(1, ny - 1):
            for k in range(1, nz - 1):
                if mask[i, j, k]:
                    v = _point_residual(u, b, cx, cy, cz, i, j, k)
                    total += v * v
    return total


@njit(parallel=True, fastmath=True, cache=True)
def restrict(r: np.ndarray, mask_c: np.ndarray, bc: np.ndarray) -> None:
    """``bc = R r`` on coarse unknowns, ``R = P^T / 8`` the 27-point full weighting (0 elsewhere).

    ``r`` is zero off the fine unknowns (ghosts and Dirichlet nodes), so at a
    coarse node of a Neumann side only the fine nodes inside the box count:
    the weights then sum to the coarse control-volume fraction.
    """
    ncx, ncy, ncz = bc.shape
    for ic in prange(1, ncx - 1):
        i = 2 * ic - 1
        for jc in range(1, ncy - 1):
            j = 2 * jc - 1
            for kc in range(1, ncz - 1):
                k = 2 * kc - 1
                if mask_c[ic, jc, kc]:
                    lo = _line(r, i - 1, j - 1, k) + 2.0 * _line(r, i - 1, j, k) + _line(r, i - 1, j + 1, k)
                    mid = _line(r, i, j - 1, k) + 2.0 * _line(r, i, j, k) + _line(r, i, j + 1, k)
                    hi = _line(r, i + 1, j - 1, k) + 2.0 * _line(r, i + 1, j, k) + _line(r, i + 1, j + 1, k)
                    bc[ic, jc, kc] = 0.015625 * (lo + 2.0 * mid + hi)
                else:
                    bc[ic, jc, kc] = 0.0


@njit(parallel=True, fastmath=True, cache=True)
def prolong_add(ec: np.ndarray, mask: np.ndarray, u: np.ndarray) -> None:
    """``u += P ec`` on fine unknowns, ``P`` the trilinear interpolation.

    The fine padded index ``p`` lies between the coarse ``(p + 1) // 2`` and
    ``(p + 2) // 2`` (the same node when ``p`` is odd), so the average of the 8
    corners covers every case without branching; ``ec`` is zero off the coarse
    unknowns.
    """
    nx, ny, nz = u.shape
    for i in prange(1, nx - 1):
        i0 = (i + 1) // 2
        i1 = (i + 2) // 2
        for j in range(1, ny - 1):
            j0 = (j + 1) // 2
            j1 = (j + 2) // 2
            for k in range(1, nz - 1):
                if mask[i, j, k]:
                    k0 = (k + 1) // 2
                    k1 = (k + 2) // 2
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
