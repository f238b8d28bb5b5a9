"""Classical reference solvers: ``solve(equation, resolution)`` dispatches on the equation type.

>>> import math, equations, solvers
>>> u = solvers.solve(equations.Burgers(nu=0.01 / math.pi), (256, 101))
>>> u.dims
('x', 't')

Registered solvers (see :func:`available`): Cole--Hopf quadrature and ETDRK4
spectral for Burgers, the Fourier solution for periodic convection--diffusion,
5-point finite differences with geometric multigrid for the Poisson specs and
with a sparse direct solve for Helmholtz, a variable-coefficient multigrid for
Darcy, ETDRK4 for heat / reaction--diffusion / Allen--Cahn, leapfrog for
Klein--Gordon, closed forms for flow mixing and the Legendre and
hypergeometric ODEs; ``cg`` is a matrix-free conjugate gradient with SciPy's
calling convention.

A module registers its solvers with :func:`register` when it is imported;
the registry (:data:`SOLVERS`) imports every module of this package on its
first lookup, so no list of modules is kept here.
"""

from solvers.burgers import cole_hopf
from solvers.convection import convection_diffusion_periodic
from solvers.darcy import DarcyInfo, darcy_matrix, darcy_multigrid, darcy_system
from solvers.darcy3d import darcy3d_matrix, darcy3d_multigrid, darcy3d_system
from solvers.facade import solve, solve_fields
from solvers.fd import interior_of, laplacian_matrix, laplacian_matrix3d
from solvers.krylov import (
    KrylovInfo,
    cg,
    conjugate_directions,
    galerkin_preconditioner,
    grid_preconditioner,
    ic0_factor,
    ic0_preconditioner,
    poisson_operator,
    preconditioner,
    preconditioner3d,
)
from solvers.multigrid import Hierarchy, Hierarchy3D, MultigridInfo, multigrid3d_solve, multigrid_solve, v_cycle
from solvers.odes import antiderivatives, pendulum_trajectories
from solvers.pressure_poisson import PoissonSystem, pressure_system
from solvers.registry import SOLVERS, SolverOutput, available, register
from solvers.spectral import ETDRK4, burgers_periodic

__all__ = [
    "ETDRK4",
    "SOLVERS",
    "DarcyInfo",
    "Hierarchy",
    "Hierarchy3D",
    "KrylovInfo",
    "MultigridInfo",
    "PoissonSystem",
    "SolverOutput",
    "antiderivatives",
    "available",
    "burgers_periodic",
    "cg",
    "cole_hopf",
    "conjugate_directions",
    "convection_diffusion_periodic",
    "darcy3d_matrix",
    "darcy3d_multigrid",
    "darcy3d_system",
    "darcy_matrix",
    "darcy_multigrid",
    "darcy_system",
    "galerkin_preconditioner",
    "grid_preconditioner",
    "ic0_factor",
    "ic0_preconditioner",
    "interior_of",
    "laplacian_matrix",
    "laplacian_matrix3d",
    "multigrid3d_solve",
    "multigrid_solve",
    "pendulum_trajectories",
    "poisson_operator",
    "preconditioner",
    "preconditioner3d",
    "pressure_system",
    "register",
    "solve",
    "solve_fields",
    "v_cycle",
]
