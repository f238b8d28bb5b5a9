"""The toolkit's geometric multigrid as the preconditioner of the Newton systems of large elliptic problems.

Where the grid is 2D or 3D, nothing is periodic and every boundary node
carries Dirichlet data, the unknowns are exactly the interior mask the
Poisson multigrid (:mod:`solvers.multigrid.poisson`) works on. One V(2,2)
cycle of the negative Laplacian, scaled by the Jacobian's typical diagonal,
preconditions GMRES on the Jacobian: spectrally equivalent for diffusion
with smooth coefficients, so Newton's linear solves cost a few cycles instead
of a sparse LU. Where GMRES does not converge in :data:`MAX_ITERATIONS`
x 3 restarts (strong advection, large coefficient contrasts, an indefinite
Jacobian) the caller falls back to the LU.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spl

from solvers.generic.discretisation import Discretisation
from solvers.krylov.preconditioners import preconditioner, preconditioner3d
from solvers.multigrid.poisson import Hierarchy, Hierarchy3D

# below this many unknowns a sparse LU is as fast
MIN_UNKNOWNS = 40_000
MAX_ITERATIONS = 30  # per restart; three restarts (GMRES checks the true residual only at a restart)
LINEAR_RTOL = 1e-10

Solve = Callable[[np.ndarray], "np.ndarray | None"]


def multigrid_preconditioner(disc: Discretisation) -> Callable[[sp.csr_matrix], Solve | None] | None:
    """Multigrid-preconditioned GMRES solves for the Jacobians of ``disc`` (None where it does not apply).

    The factory takes a Jacobian and returns a solve of ``J x = b`` (None
    when the Jacobian's diagonal does not have one sign, so a Laplacian
    cannot stand in for it); a solve returns None when GMRES does not reach
    :data:`LINEAR_RTOL` in three restarts of :data:`MAX_ITERATIONS` iterations.
    """
    ndim = len(disc.shape)
    if ndim not in (2, 3) or any(disc.periodic) or disc.n_unknowns < MIN_UNKNOWNS:
        return None
    frame = np.zeros(disc.shape, bool)
    for a in range(ndim):
        frame[tuple(slice(0, 1) if b == a else slice(None) for b in range(ndim))] = True
        frame[tuple(slice(-1, None) if b == a else slice(None) for b in range(ndim))] = True
    if (disc.unknown & frame).any():  # flux data on a face: the Dirichlet multigrid does not model it
        return None
    mask = np.ascontiguousarray(disc.unknown)
    if ndim == 2:
        cycle = preconditioner(Hierarchy(mask, *disc.spacing))
    else:
        cycle = preconditioner3d(Hierarchy3D(mask, *disc.spacing))
    idx = np.flatnonzero(mask)
    full = np.zeros(mask.size)
    laplacian_diagonal = sum(2.0 / h**2 for h in disc.spacing)

    def for_jacobian(J: sp.csr_matrix) -> Solve | None:
        diagonal = J.diagonal()
        if not (np.all(diagonal > 0) or np.all(diagonal < 0)):
            return None
        scale = float(np.median(diagonal)) / laplacian_diagonal  # J ~ scale * (-Laplacian)

        def apply(v: np.ndarray) -> np.ndarray:
            full[idx] = v
            return np.asarray(cycle @ full)[idx] / scale

        M = spl.LinearOperator(J.shape, apply)

        def solve(b: np.ndarray) -> np.ndarray | None:
            x, info = spl.gmres(J, b, M=M, rtol=LINEAR_RTOL, atol=0.0, restart=MAX_ITERATIONS, maxiter=3)
            return x if info == 0 else None

        return solve

    return for_jacobian
