"""The hard PINN cases of issue 5: vanilla PINN, the best PINN recipe and the LPINN, per problem.

Every cell is a relative L2 error on the problem's default grid against the
classical or exact reference (``validation.compare``) and a wall time, for
each seed; the table shows medians beside the published numbers of
``methods/pinn.md`` and ``methods/lpinn.md``.

* **vanilla**: the failure-mode setting of Krishnapriyan et al. (2021): a
  4 x 50 tanh PINN, soft initial / boundary / periodic penalties, fixed Sobol
  points, Adam then float64 L-BFGS.
* **best**: what fits the problem from the toolkit's upgrades (periodic
  embedding, causal weighting, loss balancing, adaptive sampling, hard
  constraints); each row states its recipe.
* **lpinn**: the Lagrangian PINN (transport problems only).

Runs are appended to the JSON results as they finish, and a re-run skips the
cells already there (``--fresh`` starts over), so a killed run resumes
(:mod:`validation.benchmarks.learner_table`).

    OPENBLAS_NUM_THREADS=1 python -m validation.benchmarks.pinn_hard_cases --seeds 0 1 2
"""

from __future__ import annotations

import sys
from typing import Any

from validation.benchmarks import learner_table, summary
from validation.benchmarks.learner_table import Row
from validation.benchmarks.suite import SUITES, Suite

VANILLA: dict[str, Any] = {
    "hidden": (50, 50, 50, 50), "constraints": "soft", "adaptive": None, "resample_every": 0,
    "n_residual": 2560, "n_boundary": 128, "n_initial": 256, "adam_steps": 5000, "lr": 1e-3,
    "final_lr": None, "lbfgs_iter": 500,
}


def _rows() -> list[Row]:
    from equations import AllenCahn, Burgers, Convection, Hypergeometric, Legendre, PeakPoisson, Reaction

    periodic_causal = {**VANILLA, "embedding": "periodic", "causal": 1.0, "adaptive": "rad",
                       "resample_every": 600}
    lpinn = {"learner": "lpinn"}
    rows = [
        Row("convection_b10", "convection β=10", lambda: Convection(beta=10.0),
            {"vanilla": VANILLA, "best": periodic_causal, "lpinn": lpinn}, "vanilla ~1e-2 (Krishnapriyan)"),
        Row("convection_b30", "convection β=30", lambda: Convection(beta=30.0),
            {"vanilla": VANILLA, "best": periodic_causal, "lpinn": lpinn}, "vanilla ~0.8"),
        Row("convection_b50", "convection β=50", lambda: Convection(beta=50.0),
            {"vanilla": VANILLA, "best": periodic_causal, "lpinn": lpinn},
            "vanilla 0.84; best 6.9e-4 (c=80, causal); LPINN ≤1e-3"),
        Row("convection_b50_nu", "convection β=50, ν=0.01", lambda: Convection(beta=50.0, nu=0.01),
            {"vanilla": VANILLA, "best": periodic_causal, "lpinn": lpinn}, "LPINN ≤1e-3"),
        Row("reaction_r5", "reaction ρ=5", lambda: Reaction(rho=5.0),
            {"vanilla": VANILLA, "best": periodic_causal}, "vanilla 0.98; best 3e-2"),
        Row("allen_cahn", "Allen–Cahn", AllenCahn,
            {"vanilla": VANILLA,
             "best": {**periodic_causal, "causal": 10.0, "adam_steps": 12000, "final_lr": 1e-4,
                      "lbfgs_iter": 3000}},
            "vanilla 0.52; best 2.2e-5 .. 1e-4 (causal, PIG)"),
        Row("burgers", "Burgers ν=0.01/π", Burgers,
            {"vanilla": VANILLA, "lpinn": lpinn}, "vanilla ~1e-2 .. 1e-3; best ~1e-3",
            {"best": "default PINN recipe: see the Burgers section (3.0e-4, 2.7e-3, 1.4e-3)"}),
        Row("legendre", "Legendre l=3", lambda: Legendre(l=3),
            {"vanilla": {**VANILLA, "hidden": (20, 20, 20), "n_residual": 256},
             "best": {**VANILLA, "hidden": (20, 20, 20), "n_residual": 256, "constraints": "hard",
                      "balancing": "loss_change"}},
            "6.6e-4 (sPINN code)"),
        Row("hypergeometric", "hypergeometric (-2,1,1)", Hypergeometric,
            {"vanilla": {**VANILLA, "hidden": (20, 20, 20), "n_residual": 256},
             "best": {**VANILLA, "hidden": (20, 20, 20), "n_residual": 256, "constraints": "hard",
                      "balancing": "loss_change"}},
            "1.0e-2 (sPINN code)"),
        Row("peak_poisson", "peak Poisson k=1000 (2000 points)", PeakPoisson,
            {"uniform": {**VANILLA, "constraints": "hard", "n_residual": 2000, "adam_steps": 6000,
                         "resample_every": 600},
             "rar": {**VANILLA, "constraints": "hard", "n_residual": 1000, "adam_steps": 6000,
                     "adaptive": "rar", "rar_points": 100, "resample_every": 600},
             "rad": {**VANILLA, "constraints": "hard", "n_residual": 2000, "adam_steps": 6000,
                     "adaptive": "rad", "resample_every": 600},
             "aas": {**VANILLA, "constraints": "hard", "n_residual": 2000, "adam_steps": 6000,
                     "adaptive": "aas", "resample_every": 600}},
            "adaptive sampling must beat uniform at equal points"),
    ]
    return rows


def main(argv: list[str] | None = None) -> int:
    return learner_table.main(argv, _rows, "pinn_hard_cases", __doc__ or "")


SUITES.register("pinn_hard_cases", Suite(
    "pinn_hard_cases", "Hard PINN cases: vanilla PINN, best recipe, LPINN", summary.summarise_learner_table,
    quick=("--smoke", "--seeds", "0", "--fresh"),
))


if __name__ == "__main__":
    sys.exit(main())
