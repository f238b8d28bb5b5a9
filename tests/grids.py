"""Grid helpers shared by the multigrid tests (imported as ``from grids import ...``)."""

import numpy as np
import scipy.sparse.linalg as spla

from solvers import laplacian_matrix


def lshape_mask(n: int) -> np.ndarray:
    """Closed L-shape ``[-1,1]^2 minus (0,1]^2`` on an ``n x n`` grid (True inside)."""
    x = np.linspace(-1.0, 1.0, n)
    X, Y = np.meshgrid(x, x, indexing="ij")
    return ~((X >= 0) & (Y >= 0))


def direct(f: np.ndarray, mask: np.ndarray, hx: float, hy: float) -> np.ndarray:
    """Sparse direct solve of the same 5-point system (zero off the unknowns)."""
    a, index = laplacian_matrix(mask, hx, hy)
    u = np.zeros(f.size)
    u[index] = spla.spsolve(a.tocsc(), f.ravel()[index])
    return u.reshape(f.shape)
