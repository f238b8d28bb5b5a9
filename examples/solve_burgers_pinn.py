"""Solve 1D viscous Burgers with a PINN and compare it with the exact Cole–Hopf reference.

    python examples/solve_burgers_pinn.py            # the default recipe (minutes)
    python examples/solve_burgers_pinn.py --quick    # a few seconds (what the tests run)
"""

import sys

import numpy as np

from equations import Burgers
from sciml import PINN, Optimiser
from validation import compare, comparison_figure, save_figure, to_netcdf

quick = "--quick" in sys.argv
pinn = PINN(seed=0)
if quick:  # the smoke test: a tiny network and budget
    pinn = PINN(seed=0, hidden=(16, 16), optimiser=Optimiser(adam_steps=30, lbfgs_iter=10, compile=False))

ds = compare(Burgers(nu=0.01 / np.pi), learners={"pinn": pinn}, resolution=(256, 100))
print(ds["metrics"].to_pandas())
to_netcdf(ds, "results/examples/burgers.nc")
save_figure(comparison_figure(ds), "results/examples/burgers.png")
