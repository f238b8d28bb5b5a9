"""Geometric multigrid: one generic cycle / iteration layer over per-family, per-dimension levels.

- :mod:`solvers.multigrid.core`: the level protocol, the V/W/F cycle, the
  stationary iteration, multigrid as a ``LinearOperator`` and the record.
- :mod:`solvers.multigrid.poisson`: constant-coefficient Laplacian levels (2D, 3D).
- :mod:`solvers.multigrid.flux`: variable-coefficient (Darcy) flux-form levels (2D, 3D).
- :mod:`solvers.multigrid.galerkin`: Galerkin ``R A P`` coarse operators (2D, 9-point).
- ``kernels2d``, ``kernels3d``, ``darcy_kernels2d``, ``darcy_kernels3d``,
  ``galerkin_kernels2d``: the numba kernels behind the levels.
"""

from solvers.multigrid.core import (
    CYCLES,
    MultigridInfo,
    Plan,
    cycle,
    cycle_operator,
    make_plan,
    run_cycle,
    solve_cycles,
)
from solvers.multigrid.flux import FluxLevel2D, FluxLevel3D
from solvers.multigrid.galerkin import GalerkinHierarchy, GalerkinLevel2D
from solvers.multigrid.poisson import (
    Hierarchy,
    Hierarchy3D,
    PoissonLevel2D,
    PoissonLevel3D,
    multigrid3d_solve,
    multigrid_solve,
    v_cycle,
)

__all__ = [
    "CYCLES",
    "FluxLevel2D",
    "FluxLevel3D",
    "GalerkinHierarchy",
    "GalerkinLevel2D",
    "Hierarchy",
    "Hierarchy3D",
    "MultigridInfo",
    "Plan",
    "PoissonLevel2D",
    "PoissonLevel3D",
    "cycle",
    "cycle_operator",
    "make_plan",
    "multigrid3d_solve",
    "multigrid_solve",
    "run_cycle",
    "solve_cycles",
    "v_cycle",
]
