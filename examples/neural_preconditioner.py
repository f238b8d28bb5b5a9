"""The trained neural conjugate-direction method on a pressure-Poisson system with obstacles.

Loads the committed model (``data/neural_cg``), builds a system with an obstacle
layout it has not seen, and lists iterations and wall time against CG,
IC(0)-PCG and multigrid-PCG. The same model can serve as a flexible
preconditioner (method ``"neural_fcg"``).

    python examples/neural_preconditioner.py [--quick]
"""

import sys
from pathlib import Path

from equations import PressurePoisson
from sciml import NeuralCG
from solvers import pressure_system
from validation import save_figure, to_netcdf
from validation.linear_systems import convergence_figure, run_linear_system

model = NeuralCG.load(Path(__file__).resolve().parents[1] / "data" / "neural_cg")
system = pressure_system(PressurePoisson(n=32 if "--quick" in sys.argv else 128, obstacles="circles", seed=7))
ds = run_linear_system(system, system.rhs("divergence", 0), ["cg", "ic0", "multigrid", "neural"], model=model)
print(ds[["iterations", "wall_time_s", "relative_residual"]].to_dataframe())
to_netcdf(ds.drop_vars("label"), "results/examples/linsys.nc")
save_figure(convergence_figure(ds), "results/examples/linsys.png")
