r"""Training right-hand sides for the neural conjugate-direction method, without solving anything.

DCDM trains on ``b`` drawn from the span of approximate eigenvectors of one
training matrix: the Ritz vectors of an ``m``-step Lanczos run. The low end of
the spectrum is where CG is slow, so it is weighted up: coefficients
``c ~ N(0, 1)``, those of the lowest ``m / 2 + theta`` Ritz vectors times 9
(the paper: ``m = 10000``, ``theta = 500``, a fraction ``low = 0.55`` of them,
the default here). Null-space Ritz vectors (the constants of an all-Neumann
box) are dropped and every ``b`` has unit norm.

:func:`family_rhs` draws the other kind of training data: the problem
family's own seeded right-hand sides (smooth fields and divergences of smooth
velocity fields, :mod:`equations.pressure_poisson`, at random correlation
lengths), assembled like :meth:`solvers.pressure_poisson.PoissonSystem.rhs`.
A 400-step Lanczos run resolves the two ends of the spectrum but hardly its
interior, where such fields have much of their content; :func:`mixed_rhs`
mixes the two sources. Neither solves a linear system.

Lanczos uses full reorthogonalisation (``m`` is at most a few hundred here, so
the ``O(N m^2)`` cost is seconds); the start vector is seeded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from equations.errors import InvalidDataError, check_integer
from equations.pressure_poisson import divergence_field, smooth_field
from sciml.core.runtime import numpy_rng

if TYPE_CHECKING:
    from solvers.pressure_poisson import PoissonSystem

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


def family_rhs(
    system: PoissonSystem, batch: int, rng: np.random.Generator, lengths: tuple[float, float] = (0.02, 0.2)
) -> np.ndarray:
    """``batch`` unit-norm right-hand sides ``(N, batch)`` of the problem family on ``system``'s layout.

    Each column is, with equal probability, a smooth random field or the
    divergence of a smooth random velocity field
    (:func:`equations.pressure_poisson.smooth_field`,
    :func:`equations.pressure_poisson.divergence_field`) with a correlation
    length drawn log-uniformly from ``lengths`` (fractions of the domain),
    zeroed on the solid nodes, times the control volumes, restricted to the
    unknowns, projected off the null space (all-Neumann box) and normalised:
    the assembly of :meth:`solvers.pressure_poisson.PoissonSystem.rhs`.

    Parameters
    ----------
    system : solvers.pressure_poisson.PoissonSystem
        The training system (layout, volumes, unknowns).
    batch : int
        Number of right-hand sides.
    rng : numpy.random.Generator
        Source of every random choice.
    lengths : tuple of float
        Range ``(lo, hi)`` of the correlation lengths, ``0 < lo <= hi``.
    """
    batch = check_integer("batch", batch, 1)
    lo, hi = lengths
    if not 0.0 < lo <= hi:
        raise InvalidDataError(f"lengths must satisfy 0 < lo <= hi, got {lengths!r}")
    out = np.empty((system.size, batch))
    for j in range(batch):
        length = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        make = smooth_field if rng.random() < 0.5 else divergence_field
        f = make(system.shape, rng, length)
        f[system.solid] = 0.0
        b = system.project((system.volume * f)[system.unknown])
        out[:, j] = b / max(float(np.linalg.norm(b)), 1e-300)
    return out


def mixed_rhs(
    system: PoissonSystem, vectors: np.ndarray | None, batch: int, rng: np.random.Generator, mix: float,
    low: float = 0.55, weight: float = 9.0, lengths: tuple[float, float] = (0.02, 0.2),
) -> np.ndarray:
    """A training batch ``(N, batch)``: ``round(mix * batch)`` columns of :func:`family_rhs`, then Ritz ones.

    The remaining columns come from :func:`sample_rhs` on ``vectors`` (which
    may be ``None`` only when ``mix == 1``). Every column has unit norm.
    """
    if not 0.0 <= mix <= 1.0:
        raise InvalidDataError(f"rhs_mix must be a fraction in [0, 1], got {mix!r}")
    batch = check_integer("batch", batch, 1)
    k = round(mix * batch)
    parts = []
    if k:
        parts.append(family_rhs(system, k, rng, lengths))
    if k < batch:
        if vectors is None:
            raise InvalidDataError("Ritz vectors are needed when rhs_mix < 1")
        parts.append(sample_rhs(vectors, batch - k, rng, low, weight))
    return np.concatenate(parts, axis=1)
