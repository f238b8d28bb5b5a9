r"""Training right-hand sides for the neural conjugate-direction method, without solving anything.

DCDM trains on ``b`` drawn from the span of approximate eigenvectors of one
training matrix: the Ritz vectors of an ``m``-step Lanczos run. The low end of
the spectrum is where CG is slow, so it is weighted up: coefficients
``c ~ N(0, 1)``, those of the lowest ``m / 2 + theta`` Ritz vectors times 9
(the paper: ``m = 10000``, ``theta = 500``, a fraction ``low = 0.55`` of them,
the default here). Null-space Ritz vectors (the constants of an all-Neumann
box) are dropped and every ``b`` has unit norm.

Lanczos uses full reorthogonalisation (``m`` is at most a few hundred here, so
the ``O(N m^2)`` cost is seconds); the start vector is seeded.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from equations.errors import InvalidDataError, check_integer
from sciml.core.runtime import numpy_rng

# Ritz values below this fraction of the largest are treated as the null space
NULL_TOL = 1e-8


def ritz_vectors(
    A: sp.spmatrix, m: int, seed: int | np.random.Generator | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Ritz values (ascending) and vectors ``(N, m')`` of an ``m``-step Lanczos run on ``A``.

    Null-space pairs (Ritz value ``<= 1e-8 * max``) are dropped, so ``m' <= m``.
    The run stops early when the Krylov space is exhausted (``m > N`` or an
    invariant subspace).
    """
    n = A.shape[0]
    m = min(check_integer("m", m, 2), n)
    rng = numpy_rng(seed)
    q = rng.standard_normal(n)
    q /= np.linalg.norm(q)
    basis = np.zeros((n, m))
    alpha, beta = np.zeros(m), np.zeros(m)
    steps = m
    for j in range(m):
        basis[:, j] = q
        w = A @ q
        alpha[j] = q @ w
        w -= basis[:, : j + 1] @ (basis[:, : j + 1].T @ w)  # full reorthogonalisation, twice is enough
        w -= basis[:, : j + 1] @ (basis[:, : j + 1].T @ w)
        beta[j] = np.linalg.norm(w)
        if beta[j] <= 1e-12 * abs(alpha[: j + 1]).max():
            steps = j + 1
            break
        q = w / beta[j]
    values, s = sla.eigh_tridiagonal(alpha[:steps], beta[: steps - 1])
    keep = values > NULL_TOL * values.max()
    if not keep.any():
        raise InvalidDataError("the matrix has no positive Ritz values (zero matrix?)")
    return values[keep], basis[:, :steps] @ s[:, keep]


def sample_rhs(
    vectors: np.ndarray, batch: int, rng: np.random.Generator, low: float = 0.55, weight: float = 9.0
) -> np.ndarray:
    """``batch`` unit-norm right-hand sides ``(N, batch)`` from Ritz vectors (columns, ascending values).

    Coefficients are ``N(0, 1)``; those of the lowest ``low * m`` vectors are
    multiplied by ``weight``. The paper's ``m / 2 + theta`` with
    ``theta = m / 20`` is ``low = 0.55`` (the default).
    """
    m = vectors.shape[1]
    if not 0.0 <= low <= 1.0:
        raise InvalidDataError(f"low must be a fraction in [0, 1], got {low!r}")
    c = rng.standard_normal((m, check_integer("batch", batch, 1)))
    c[: round(low * m)] *= weight
    b = vectors @ c
    return b / np.linalg.norm(b, axis=0, keepdims=True)
