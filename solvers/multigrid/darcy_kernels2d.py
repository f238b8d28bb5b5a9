"""numba kernels of the 2D variable-coefficient (flux-form 5-point) multigrid.

Arrays are indexed ``[i, j]`` with ``i`` along x and ``j`` along y. ``cx[i, j]``
is the face coefficient between ``(i, j)`` and ``(i + 1, j)`` divided by
``hx**2``, ``cy[i, j]`` the one between ``(i, j)`` and ``(i, j + 1)`` divided by
``hy**2``. Every interior point is an unknown; the outer frame of ``u`` holds
zero (the Dirichlet value), which the stencils rely on. The operator is

    (A u)[i, j] = cx[i-1, j] (u[i, j] - u[i-1, j]) + cx[i, j] (u[i, j] - u[i+1, j])
                + cy[i, j-1] (u[i, j] - u[i, j-1]) + cy[i, j] (u[i, j] - u[i, j+1]).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(inline="always", fastmath=True, cache=True)
def _point_residual(u: np.ndarray, f: np.ndarray, cx: np.ndarray, cy: np.ndarray, i: int, j: int) -> float:
    """``f - A u`` at one point (inlined into the loops below)."""
    c = u[i, j]
    return (
        f[i, j]
        - cx[i - 1, j] * (c - u[i - 1, j])
        - cx[i, j] * (c - u[i + 1, j])
        - cy[i, j - 1] * (c - u[i, j - 1])
        - cy[i, j] * (c - u[i, j + 1])
    )


@njit(parallel=True, fastmath=True, cache=True)
def rb_sweep(u: np.ndarray, f: np.ndarray, cx: np.ndarray, cy: np.ndarray, color: int) -> None:
    """Gauss--Seidel update of the interior points with ``(i + j) % 2 == color`` (rows in parallel)."""
    nx, ny = u.shape
    for i in prange(1, nx - 1):
        # points of one colour only read the other colour: rows are independent
        for j in range(1 + (i + 1 + color) % 2, ny - 1, 2):
            w, e, s, n = cx[i - 1, j], cx[i, j], cy[i, j - 1], cy[i, j]
            u[i, j] = (f[i, j] + w * u[i - 1, j] + e * u[i + 1, j] + s * u[i, j - 1] + n * u[i, j + 1]) / (
                w + e + s + n
            )


@njit(parallel=True, fastmath=True, cache=True)
def residual(u: np.ndarray, f: np.ndarray, cx: np.ndarray, cy: np.ndarray, r: np.ndarray) -> float:
    """Store ``r = f - A u`` on the interior (0 on the frame); return ``sum(r**2)``."""
    nx, ny = u.shape
    total = 0.0
    for i in prange(1, nx - 1):
        for j in range(1, ny - 1):
            v = _point_residual(u, f, cx, cy, i, j)
            r[i, j] = v
            total += v * v
    return total
