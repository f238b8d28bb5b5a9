"""The Lagrangian PINN on convection with a large speed, where a plain PINN fails.

The LPINN learns the characteristics and the state carried along them; it is
compared with the exact Fourier solution on the Eulerian grid.

    python examples/lpinn_convection.py [--quick]
"""

import sys

from equations import Convection
from sciml import LPINN
from validation import compare, comparison_figure, save_figure

quick = "--quick" in sys.argv
lpinn = LPINN.from_settings(seed=0, **(dict(adam_steps=30, lbfgs_iter=10, n_points=256) if quick else {}))

ds = compare(Convection(beta=50.0), learners={"lpinn": lpinn}, resolution=(256, 100))
print(ds["metrics"].to_pandas())
save_figure(comparison_figure(ds), "results/examples/convection_lpinn.png")
