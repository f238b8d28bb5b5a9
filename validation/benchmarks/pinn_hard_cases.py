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
cells already there (``--fresh`` starts over), so a killed run resumes.

    OPENBLAS_NUM_THREADS=1 python -m validation.benchmarks.pinn_hard_cases --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

VANILLA: dict[str, Any] = {
    "hidden": (50, 50, 50, 50), "constraints": "soft", "adaptive": None, "resample_every": 0,
    "n_residual": 2560, "n_boundary": 128, "n_initial": 256, "adam_steps": 5000, "lr": 1e-3,
    "final_lr": None, "lbfgs_iter": 500,
}


@dataclass(frozen=True)
class Row:
    """One problem: how to build it, the recipes to run, and the published numbers."""

    key: str
    label: str
    equation: Callable[[], Any]
    recipes: dict[str, dict[str, Any]]
    published: str = ""
    notes: dict[str, str] = field(default_factory=dict)


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


def _learner(recipe: dict[str, Any], seed: int, smoke: bool = False) -> Any:
    from sciml import LPINN, PINN

    settings = {k: v for k, v in recipe.items() if k != "learner"}
    if smoke:  # a few steps of everything: checks that every cell runs, measures nothing
        settings.update(adam_steps=30, lbfgs_iter=5, resample_every=10)
    if recipe.get("learner") == "lpinn":
        return LPINN(seed=seed, **settings)
    return PINN(seed=seed, **settings)


def run_cell(row: Row, column: str, seed: int, smoke: bool = False) -> dict[str, Any]:
    """Fit one recipe on one problem; the result record (with the error message if it failed)."""
    from validation.compare import compare

    eq = row.equation()
    learner = _learner(row.recipes[column], seed, smoke)
    t0 = time.perf_counter()
    try:
        ds = compare(eq, {column: learner}, resolution=eq.default_resolution)
        metrics = ds["metrics"].sel(learner=column)
        return {"row": row.key, "column": column, "seed": seed,
                "rel_l2": float(metrics.sel(metric="relative_l2")), "wall_s": float(learner.fit_time_),
                "stages": learner.history_.stages}
    except Exception as exc:  # a failed method is a result too: record why
        return {"row": row.key, "column": column, "seed": seed, "rel_l2": math.nan,
                "wall_s": time.perf_counter() - t0, "failed": f"{type(exc).__name__}: {exc}",
                "trace": traceback.format_exc(limit=3)}


def _median(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.median(finite)) if finite else math.nan


def markdown(rows: list[Row], runs: list[dict[str, Any]]) -> str:
    """The summary table: median (and per-seed) relative L2 and wall time per cell."""
    columns = list(dict.fromkeys(c for r in rows for c in r.recipes))
    lines = ["| problem | " + " | ".join(f"{c} rel. L2 (seeds) | {c} wall [s]" for c in columns)
             + " | published |", "|---" * (2 * len(columns) + 2) + "|"]
    for r in rows:
        cells = []
        for c in columns:
            mine = [x for x in runs if x["row"] == r.key and x["column"] == c]
            if not mine:
                cells += [r.notes.get(c, "—"), ""]
                continue
            errs = ", ".join("failed" if "failed" in x else f"{x['rel_l2']:.1e}" for x in mine)
            med = _median([x["rel_l2"] for x in mine])
            cells += [f"**{med:.1e}** ({errs})" if math.isfinite(med) else f"failed ({len(mine)} runs)",
                      f"{_median([x['wall_s'] for x in mine]):.0f}"]
        lines.append(f"| {r.label} | " + " | ".join(cells) + f" | {r.published} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from sciml.atomic import atomic_write_bytes
    from validation.benchmarks.report import machine, write_results

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--rows", nargs="+", default=None, help="row keys (default: all)")
    p.add_argument("--columns", nargs="+", default=None, help="recipe names (default: all)")
    p.add_argument("--out", default="benchmarks/results/pinn_hard_cases.json")
    p.add_argument("--fresh", action="store_true", help="ignore earlier results in --out")
    p.add_argument("--smoke", action="store_true", help="tiny budgets: check that every cell runs")
    p.add_argument("--merge", nargs="+", default=None,
                   help="only merge these result files (runs of parallel groups) into --out and its table")
    args = p.parse_args(argv)
    if args.merge:
        merged = [json.loads(Path(f).read_text()) for f in args.merge]
        runs_all = [r for m in merged for r in m["runs"]]
        write_results(args.out, {**merged[0], "runs": runs_all, "merged_from": args.merge})
        table = markdown(_rows(), runs_all)
        atomic_write_bytes(Path(args.out).with_suffix(".md"), table.encode())
        print(table)
        return 0

    rows = [r for r in _rows() if args.rows is None or r.key in args.rows]
    out = Path(args.out)
    runs: list[dict[str, Any]] = []
    if out.exists() and not args.fresh:
        runs = json.loads(out.read_text())["runs"]
    done = {(x["row"], x["column"], x["seed"]) for x in runs}
    info = machine()
    for r in rows:
        for column in r.recipes:
            if args.columns is not None and column not in args.columns:
                continue
            for seed in args.seeds:
                if (r.key, column, seed) in done:
                    continue
                rec = run_cell(r, column, seed, args.smoke)
                runs.append(rec)
                print(json.dumps({k: v for k, v in rec.items() if k not in ("stages",)}), flush=True)
                write_results(out, {"benchmark": "pinn_hard_cases", "machine": info, "runs": runs,
                                    "recipes": {x.key: x.recipes for x in _rows()}})
    table = markdown(_rows(), runs)
    atomic_write_bytes(out.with_suffix(".md"), table.encode())
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
