"""Krylov solvers and their preconditioners (SciPy ``LinearOperator`` conventions, PyAMG style).

- :mod:`solvers.krylov.pcg`: (flexible) preconditioned conjugate gradient, :class:`KrylovInfo`.
- :mod:`solvers.krylov.directions`: conjugate directions with a nonlinear direction map.
- :mod:`solvers.krylov.ichol`: IC(0) factor and preconditioner.
- :mod:`solvers.krylov.preconditioners`: multigrid cycles as preconditioners
  (constant-coefficient 2D/3D, Galerkin Darcy).
- :mod:`solvers.krylov.operators`: matrix-free Laplacians on grids.
"""

from solvers.krylov.directions import conjugate_directions
from solvers.krylov.ichol import ic0_factor, ic0_preconditioner
from solvers.krylov.operators import poisson_operator
from solvers.krylov.pcg import KrylovInfo, cg
from solvers.krylov.preconditioners import (
    galerkin_preconditioner,
    grid_preconditioner,
    preconditioner,
    preconditioner3d,
)

__all__ = [
    "KrylovInfo",
    "cg",
    "conjugate_directions",
    "galerkin_preconditioner",
    "grid_preconditioner",
    "ic0_factor",
    "ic0_preconditioner",
    "poisson_operator",
    "preconditioner",
    "preconditioner3d",
]
