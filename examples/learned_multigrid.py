"""The learned multigrid preconditioner on a 1:1e6 checkerboard medium, against classical PCG.

Loads the committed model (``data/learned_mg``: a network that sets the
interpolation of a Galerkin multigrid from the operator, trained on 33^2
systems), builds a high-contrast Darcy system with a layout it has not seen,
and lists iterations and wall time of IC(0)-PCG, the geometric multigrid-PCG
(bilinear interpolation, which degrades with the contrast), operator-dependent
multigrid-PCG and the learned one.

    python examples/learned_multigrid.py [--quick]
"""

import sys
from pathlib import Path

from sciml import LearnedMultigrid
from sciml.accelerators.learned_multigrid.data import random_rhs, random_system
from validation import save_figure, to_netcdf
from validation.linear_systems import convergence_figure, run_linear_system

model = LearnedMultigrid.load(Path(__file__).resolve().parents[1] / "data" / "learned_mg")
system = random_system(65 if "--quick" in sys.argv else 513, seed=1003, kind="checker", contrast=1e6,
                       obstacle_count=0)
ds = run_linear_system(system, random_rhs(system, "smooth", 0),
                       ["ic0", "multigrid", "multigrid_operator", "neural_pcg"], model=model)
print(ds[["iterations", "wall_time_s", "relative_residual"]].to_dataframe())
to_netcdf(ds.drop_vars("label"), "results/examples/learned_multigrid.nc")
save_figure(convergence_figure(ds), "results/examples/learned_multigrid.png")
