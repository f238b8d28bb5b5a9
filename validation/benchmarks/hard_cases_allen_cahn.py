r"""Allen--Cahn with the modern PINN toolbox: what each option buys, and the 15-CPU-minute target.

``u_t = 1e-4 u_xx - 5 u^3 + 5 u`` on ``x in [-1, 1]`` (periodic), ``t in
[0, 1]``, ``u(x, 0) = x^2 cos(pi x)``; the reference is the toolkit's Fourier
ETDRK4 solver on the equation's default grid. Recipes (seeds 0, 1, 2; each
cell's record has its relative L2 error and its training time):

* ``marching``: time-marching over 10 windows (each Adam 1000, 1e-3 -> 1e-4,
  then float64 L-BFGS 1700), 4 x 64 tanh MLP, periodic embedding, causal
  weights eps = 1 (32 slabs), grad-norm balancing every 500 steps, 2048
  uniform points redrawn every 200 steps, eager: about 13 minutes here.
* ``marching_5``: 5 windows of Adam 2000 + L-BFGS 1000 (about 6 minutes).

The toolkit's number before time-marching is the ``pinn_hard_cases``
suite's best recipe (causal weights, RAD, 15000 iterations on the whole
interval): 0.51--0.52.

Run::

    python -m validation.benchmarks.hard_cases_allen_cahn --columns marching          # seeds 0 1 2
    python -m validation.benchmarks.hard_cases_allen_cahn --columns marching_5 --seeds 0
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from validation.benchmarks import learner_table, summary
from validation.benchmarks.learner_table import Row
from validation.benchmarks.suite import SUITES, Suite

#: The issue's targets: relative L2 within 15 minutes of CPU training, and with any documented budget.
TARGET_CPU, TARGET_ANY, CPU_SECONDS = 1e-3, 1e-4, 900.0

MARCHING: dict[str, Any] = {
    "hidden": (64, 64, 64, 64), "embedding": "periodic", "causal": 1.0, "balancing": "gradnorm",
    "balance_every": 500, "n_residual": 2048, "n_initial": 256, "resample_every": 200, "adaptive": None,
    "time_windows": 10, "adam_steps": 1000, "lr": 1e-3, "final_lr": 1e-4, "lbfgs_iter": 1700, "compile": False,
}


def _rows() -> list[Row]:
    from equations import AllenCahn

    return [Row("allen_cahn", "Allen–Cahn", AllenCahn,
                {"marching": MARCHING,
                 "marching_5": {**MARCHING, "time_windows": 5, "adam_steps": 2000, "lbfgs_iter": 1000}},
                "JAX-PI all features 5.84e-4 (16 min, one GPU); PirateNet 2.24e-5")]


def targets(runs: list[dict[str, Any]], command: str) -> list[dict[str, Any]]:
    """The best recipe's median error within the CPU budget, and the best median with any budget.

    Each entry's command reruns that recipe's cells (``command``, the last
    invocation, may have run another recipe).
    """
    del command

    medians: dict[str, tuple[float, float]] = {}
    for column in {r["column"] for r in runs}:
        mine = [r for r in runs if r["column"] == column]
        errs = [r["rel_l2"] for r in mine if math.isfinite(r["rel_l2"])]
        if len(errs) == len(mine) and mine:
            medians[column] = (float(np.median(errs)), max(r["wall_s"] for r in mine))

    def best(candidates: dict[str, tuple[float, float]], budget: str, target: float) -> dict[str, Any]:
        column, (err, wall) = min(candidates.items(), key=lambda kv: kv[1][0])
        seeds = " ".join(str(s) for s in sorted({r["seed"] for r in runs if r["column"] == column}))
        return {"name": f"Allen–Cahn relative L2, median over seeds, {budget} (recipe {column}, slowest seed "
                        f"{wall:.0f} s)",
                "measured": err, "target": f"<= {target:g}", "met": err <= target,
                "command": f"python -m validation.benchmarks.hard_cases_allen_cahn --columns {column} --seeds {seeds}"}

    in_budget = {c: v for c, v in medians.items() if v[1] <= CPU_SECONDS}
    out = []
    if in_budget:
        out.append(best(in_budget, f"training <= {CPU_SECONDS:.0f} s on this CPU", TARGET_CPU))
    if medians:
        out.append(best(medians, "any budget", TARGET_ANY))
    return out


def main(argv: list[str] | None = None) -> int:
    return learner_table.main(argv, _rows, "hard_cases_allen_cahn", __doc__ or "", targets)


SUITES.register("hard_cases_allen_cahn", Suite(
    "hard_cases_allen_cahn", "Allen–Cahn with the modern PINN toolbox", summary.summarise_learner_table,
    quick=("--smoke", "--seeds", "0", "--fresh", "--columns", "marching"),
))


if __name__ == "__main__":
    sys.exit(main())
