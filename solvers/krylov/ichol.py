r"""Incomplete Cholesky IC(0) of a sparse symmetric matrix, as a CG preconditioner.

``A ~ L L^T`` with ``L`` restricted to the sparsity of ``tril(A)`` (no fill-in).
The factorisation is row-oriented: ``L[i, k] = (A[i, k] - sum_j L[i, j] L[k, j]) / L[k, k]``
with the sum over the common columns ``j < k`` of rows ``i`` and ``k`` (a merge
of sorted index lists), then ``L[i, i] = sqrt(A[i, i] - sum_j L[i, j]^2)``. A
non-positive pivot is a breakdown (``A`` is not SPD, or IC(0) of it does not
exist); ``shift`` factors ``A + shift * diag(A)`` instead, which also makes a
singular all-Neumann matrix factorable. Where the exact Cholesky factor has no
fill-in (a tridiagonal matrix) IC(0) is exact.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from numba import njit
from scipy.sparse.linalg import LinearOperator

from equations.errors import InvalidDataError, InvalidParameterError


@njit(cache=True)
def _ic0(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray) -> int:
    """Factor in place (CSR lower triangle, sorted, diagonal last in each row); -1 or the failing row."""
    n = indptr.size - 1
    for i in range(n):
        start, end = indptr[i], indptr[i + 1]
        for p in range(start, end - 1):  # off-diagonal L[i, k], k < i
            k = indices[p]
            s = data[p]
            # common columns j < k of rows i and k
            q, r = start, indptr[k]
            while q < p and r < indptr[k + 1] - 1:
                if indices[q] == indices[r]:
                    s -= data[q] * data[r]
                    q += 1
                    r += 1
                elif indices[q] < indices[r]:
                    q += 1
                else:
                    r += 1
            data[p] = s / data[indptr[k + 1] - 1]
        d = data[end - 1]
        for p in range(start, end - 1):
            d -= data[p] * data[p]
        if not d > 0.0:
            return i
        data[end - 1] = math.sqrt(d)
    return -1


@njit(cache=True)
def _solve(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(L L^T)^{-1} b``: forward substitution by rows, backward by columns of ``L``."""
    n = b.size
    y = b.copy()
    for i in range(n):
        s = y[i]
        for p in range(indptr[i], indptr[i + 1] - 1):
            s -= data[p] * y[indices[p]]
        y[i] = s / data[indptr[i + 1] - 1]
    for i in range(n - 1, -1, -1):
        y[i] /= data[indptr[i + 1] - 1]
        v = y[i]
        for p in range(indptr[i], indptr[i + 1] - 1):
            y[indices[p]] -= data[p] * v
    return y


def ic0_factor(A: sp.spmatrix, shift: float = 0.0) -> sp.csr_matrix:
    """The IC(0) factor ``L`` (lower triangular CSR) of the symmetric matrix ``A``.

    Raises
    ------
    InvalidDataError
        ``A`` is not square and symmetric, has a non-positive or missing
        diagonal entry, or a pivot is not positive (breakdown: not SPD).
    """
    if not sp.issparse(A):
        A = sp.csr_matrix(np.asarray(A, dtype=np.float64))
    if A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise InvalidDataError(f"IC(0) needs a non-empty square matrix, got shape {A.shape}")
    if not (isinstance(shift, (int, float)) and math.isfinite(shift) and shift >= 0):
        raise InvalidParameterError(f"shift must be a finite number >= 0, got {shift!r}")
    A = sp.csr_matrix(A, dtype=np.float64)
    if not np.all(np.isfinite(A.data)):
        raise InvalidDataError("the matrix contains NaN or Inf")
    asym = abs(A - A.T).max() if A.nnz else 0.0
    if asym > 1e-12 * max(abs(A).max(), 1e-300):
        raise InvalidDataError(f"IC(0) needs a symmetric matrix: max |A - A^T| = {asym:.3e}")
    diag = A.diagonal()
    if np.any(diag <= 0):
        i = int(np.argmax(diag <= 0))
        raise InvalidDataError(f"matrix is not symmetric positive definite: diagonal entry {i} is {diag[i]:.3e} <= 0")
    low = sp.tril(A + shift * sp.diags(diag), format="csr")
    low.sort_indices()
    failed = _ic0(low.indptr, low.indices, low.data)
    if failed >= 0:
        raise InvalidDataError(
            f"IC(0) breakdown at row {failed}: non-positive pivot (matrix is not symmetric positive definite, "
            "or IC(0) does not exist for it; try shift > 0)"
        )
    return low


def ic0_preconditioner(A: sp.spmatrix, shift: float = 0.0) -> LinearOperator:
    """``(L L^T)^{-1}`` with ``L = ic0_factor(A, shift)``, as a ``LinearOperator`` for :func:`solvers.krylov.cg`."""
    low = ic0_factor(A, shift)
    n = low.shape[0]

    def apply(b: np.ndarray) -> np.ndarray:
        return _solve(low.indptr, low.indices, low.data, np.ascontiguousarray(b, dtype=np.float64).reshape(-1))

    return LinearOperator((n, n), matvec=apply, rmatvec=apply, dtype=np.float64)
