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
is odd (real node ``p - 1`` even), between ``p / 2`` and ``p / 2 + 1`` otherwise:
the transfers are those of :mod:`solvers.multigrid.kernels3d` with ``offset=1``,
and so is the masked norm.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


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
