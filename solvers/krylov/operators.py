r"""Matrix-free operators for the Krylov solvers: the 5-point (2D) and 7-point (3D) ``-Laplacian``.

Vectors are **flattened (C order) full grids**, the layout of the multigrid
preconditioners (:func:`solvers.krylov.preconditioner`), so a cycle can be
passed as ``M`` directly::

    a = poisson_operator(mask, hx, hy)
    u, info = cg(a, f.ravel(), M=preconditioner(Hierarchy(mask, hx, hy)))
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import njit, prange
from scipy.sparse.linalg import LinearOperator

from equations.errors import InvalidParameterError
from solvers.fd import check_spacings, unknowns_mask


@njit(parallel=True, fastmath=True, cache=True)
def neg_laplacian(x: np.ndarray, mask: np.ndarray, hx: float, hy: float, out: np.ndarray) -> None:
    """``out = -Laplacian(x)`` (5-point) on unknowns, 0 elsewhere; ``x`` off the unknowns counts as 0.

    ``mask`` (uint8) is zero on the outer frame, so neighbours never leave the grid.
    """
    nx, ny = x.shape
    cx = 1.0 / (hx * hx)
    cy = 1.0 / (hy * hy)
    diag = 2.0 * cx + 2.0 * cy
    for i in prange(nx):
        if i == 0 or i == nx - 1:
            for j in range(ny):
                out[i, j] = 0.0
            continue
        out[i, 0] = 0.0
        out[i, ny - 1] = 0.0
        for j in range(1, ny - 1):
            if mask[i, j]:
                out[i, j] = (
                    diag * x[i, j]
                    - cx * (mask[i - 1, j] * x[i - 1, j] + mask[i + 1, j] * x[i + 1, j])
                    - cy * (mask[i, j - 1] * x[i, j - 1] + mask[i, j + 1] * x[i, j + 1])
                )
            else:
                out[i, j] = 0.0


@njit(parallel=True, fastmath=True, cache=True)
def neg_laplacian3d(x: np.ndarray, mask: np.ndarray, hx: float, hy: float, hz: float, out: np.ndarray) -> None:
    """``out = -Laplacian(x)`` (7-point) on unknowns, 0 elsewhere; ``x`` off the unknowns counts as 0."""
    nx, ny, nz = x.shape
    cx = 1.0 / (hx * hx)
    cy = 1.0 / (hy * hy)
    cz = 1.0 / (hz * hz)
    diag = 2.0 * cx + 2.0 * cy + 2.0 * cz
    for i in prange(nx):
        for j in range(ny):
            if i == 0 or i == nx - 1 or j == 0 or j == ny - 1:
                for k in range(nz):
                    out[i, j, k] = 0.0
                continue
            out[i, j, 0] = 0.0
            out[i, j, nz - 1] = 0.0
            for k in range(1, nz - 1):
                if mask[i, j, k]:
                    out[i, j, k] = (
                        diag * x[i, j, k]
                        - cx * (mask[i - 1, j, k] * x[i - 1, j, k] + mask[i + 1, j, k] * x[i + 1, j, k])
                        - cy * (mask[i, j - 1, k] * x[i, j - 1, k] + mask[i, j + 1, k] * x[i, j + 1, k])
                        - cz * (mask[i, j, k - 1] * x[i, j, k - 1] + mask[i, j, k + 1] * x[i, j, k + 1])
                    )
                else:
                    out[i, j, k] = 0.0


def poisson_operator(mask: np.ndarray, hx: float, hy: float, hz: float | None = None) -> LinearOperator:
    """The matrix-free 5-point (2D) or 7-point (3D) ``-Laplacian`` with zero Dirichlet data.

    Vectors are flattened (C order) grids of ``mask.size`` entries (the layout
    of :func:`solvers.krylov.preconditioner` and
    :func:`solvers.krylov.preconditioner3d`): entries off the unknowns are
    ignored on input (taken as the Dirichlet zero) and zero on output. On the
    unknowns it equals :func:`solvers.fd.laplacian_matrix` (or
    :func:`solvers.fd.laplacian_matrix3d`), so it is symmetric positive
    definite there; a right-hand side for :func:`cg` should be zero off the
    unknowns.

    Parameters
    ----------
    mask : numpy.ndarray
        Boolean ``(nx, ny)`` or ``(nx, ny, nz)``, True for unknowns; the outer
        frame (faces) is always fixed zero.
    hx, hy : float
        Grid spacings along axis 0 (x) and axis 1 (y).
    hz : float, optional
        Spacing along axis 2 (z); required for a 3D mask, not allowed for a 2D one.

    Returns
    -------
    scipy.sparse.linalg.LinearOperator
        Symmetric, shape ``(mask.size, mask.size)``, float64.
    """
    if np.ndim(mask) == 3:
        if hz is None:
            raise InvalidParameterError("a 3D mask needs the z spacing hz")
        check_spacings(hx, hy, hz)
        m = unknowns_mask(mask, 3)
        spacings: tuple[float, ...] = (float(hx), float(hy), float(hz))
        kernel: Callable[..., None] = neg_laplacian3d
    else:
        if hz is not None:
            raise InvalidParameterError(f"hz is only for a 3D mask, got a mask of shape {np.shape(mask)}")
        check_spacings(hx, hy)
        m = unknowns_mask(mask)
        spacings = (float(hx), float(hy))
        kernel = neg_laplacian
    shape = m.shape
    n = m.size

    def apply(x: np.ndarray) -> np.ndarray:
        grid = np.ascontiguousarray(np.asarray(x, dtype=np.float64).reshape(shape))
        out = np.empty(shape)
        kernel(grid, m, *spacings, out)
        return out.ravel()

    return LinearOperator((n, n), matvec=apply, rmatvec=apply, dtype=np.float64)
