r"""The Galerkin multigrid of :mod:`solvers.darcy` as a CG preconditioner on the sparse system's vectors.

One cycle from a zero guess with equal pre- and post-smoothing (4-colour
Gauss--Seidel, reversed colour order after the coarse correction) is a
symmetric positive definite map, so it can be ``M`` in :func:`solvers.cg`.
Vectors are those of :func:`solvers.darcy.darcy_system` (the unknowns only).
"""

from __future__ import annotations

from collections.abc import Iterable

import numba
import numpy as np
from scipy.sparse.linalg import LinearOperator

from equations.errors import check_choice, check_integer
from solvers.darcy import (
    CYCLES,
    GalerkinHierarchy,
    _check_solid,
    _discretize,
    _gcycle,
    check_coefficient,
    neumann_sides,
)
from solvers.fd import check_spacing


def galerkin_preconditioner(
    a: np.ndarray,
    hx: float,
    hy: float,
    *,
    neumann: Iterable[str] = (),
    solid: np.ndarray | None = None,
    sweeps: int = 1,
    cycle: str = "V",
) -> LinearOperator:
    """One symmetric Galerkin multigrid cycle from zero, as a ``LinearOperator`` on the unknowns.

    Parameters
    ----------
    a, hx, hy, neumann, solid
        The problem, as in :func:`solvers.darcy.darcy_system`.
    sweeps : int
        Gauss--Seidel sweeps before and after the coarse correction.
    cycle : {"V", "W"}
        Cycle kind (both stay symmetric).
    """
    check_spacing(hx, hy)
    a = check_coefficient(a)
    sweeps = check_integer("sweeps", sweeps, 1)
    cycle = check_choice("cycle", cycle, tuple(c for c in CYCLES if c != "F"))
    d = _discretize(a, hx, hy, neumann_sides(neumann), _check_solid(solid, a.shape))
    h = GalerkinHierarchy(d)
    inner = np.zeros(h.levels[0].u.shape, dtype=bool)
    inner[1:-1, 1:-1] = d.unknown
    n = int(d.unknown.sum())

    def apply(x: np.ndarray) -> np.ndarray:
        b = np.zeros(inner.shape)
        b[inner] = np.asarray(x, dtype=np.float64).reshape(-1)
        u = np.zeros(inner.shape)
        _gcycle(h, 0, u, b, sweeps, sweeps, numba.get_num_threads(), cycle)
        return u[inner]

    return LinearOperator((n, n), matvec=apply, rmatvec=apply, dtype=np.float64)
