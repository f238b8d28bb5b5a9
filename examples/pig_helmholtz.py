"""Physics-Informed Gaussians on the 2D Helmholtz problem, next to a PINN.

The figure draws the fitted Gaussians (centres and widths) over the PIG's
prediction; ``pig.gaussians()`` returns them as arrays.

    python examples/pig_helmholtz.py [--quick]
"""

import sys

from equations import Helmholtz
from sciml import PIG, PINN
from validation import compare, comparison_figure, save_figure

quick = "--quick" in sys.argv
budget = dict(adam_steps=30, lbfgs_iter=10) if quick else dict(adam_steps=300, lbfgs_iter=2500)
pig = PIG.from_settings(n_gaussians=100 if quick else 800, sigma=0.1, seed=0, **budget)
pinn = PINN.from_settings(hidden=(50, 50, 50, 50), seed=0, **budget)

ds = compare(Helmholtz(a1=4, a2=1), learners={"pig": pig, "pinn": pinn}, resolution=(101, 101))
print(ds["metrics"].to_pandas())
print("Gaussian centres:", pig.gaussians()["centres"].shape)
save_figure(comparison_figure(ds), "results/examples/helmholtz_pig.png")
