"""numba kernels of the Krylov methods' vector updates (dot products, fused updates)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(parallel=True, fastmath=True, cache=True)
def dot(a: np.ndarray, b: np.ndarray) -> float:
    """``a . b`` (a parallel, vectorised reduction)."""
    total = 0.0
    for i in prange(a.size):
        total += a[i] * b[i]
    return total


@njit(parallel=True, fastmath=True, cache=True)
def axpy(alpha: float, x: np.ndarray, y: np.ndarray) -> None:
    """``y += alpha * x`` in place."""
    for i in prange(y.size):
        y[i] += alpha * x[i]


@njit(parallel=True, fastmath=True, cache=True)
def update_xr(alpha: float, p: np.ndarray, q: np.ndarray, x: np.ndarray, r: np.ndarray) -> float:
    """``x += alpha p``, ``r -= alpha q`` in one pass; returns the new ``r . r``."""
    total = 0.0
    for i in prange(x.size):
        x[i] += alpha * p[i]
        v = r[i] - alpha * q[i]
        r[i] = v
        total += v * v
    return total


@njit(parallel=True, fastmath=True, cache=True)
def xpay(z: np.ndarray, beta: float, p: np.ndarray) -> None:
    """``p = z + beta p`` in place."""
    for i in prange(p.size):
        p[i] = z[i] + beta * p[i]
