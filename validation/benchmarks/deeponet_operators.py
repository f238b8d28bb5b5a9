"""DeepONet on the paper's other operators: the gravity pendulum and diffusion-reaction.

Data from ``validation.datasets.make`` (GRF inputs at 100 sensors, classical
solvers for the outputs), aligned on the dataset's output grid; the learner is
this toolkit's recipe (normalised data, relative-L2 loss, cosine learning-rate
decay, full batch) on branch [100, 40, 40] and trunk [d, 40, 40], ReLU. The
pendulum's two outputs (s1, s2) share the trunk and split the branch features.
Scored by :func:`validation.compare_operator` on held-out functions.

    python -m validation.benchmarks.deeponet_operators            # full run
    python -m validation.benchmarks.deeponet_operators --smoke    # seconds
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from validation.benchmarks import summary
from validation.benchmarks.suite import SUITES, Suite

PROBLEMS = {  # name: (training functions, test functions, iterations, most seeds run)
    "pendulum": (500, 500, 10000, 3),
    "diffusion_reaction": (200, 200, 5000, 3),  # 10^4 output points per function: ~30 ms per step
}
RECIPE: dict[str, Any] = {"lr": 1e-3, "schedule": "cosine", "final_lr": 1e-5}


def run(problem: str, seed: int, n_train: int, n_test: int, steps: int) -> dict:
    from sciml import DeepONet
    from validation import compare_operator
    from validation.datasets import make

    train = make(problem, n_train, seed=seed)
    test = make(problem, n_test, seed=10_000 + seed)
    model = DeepONet(steps=steps, seed=seed, **RECIPE).fit(train)
    ds = compare_operator(model, test)
    out = {"problem": problem, "seed": seed, "n_train": n_train, "n_test": n_test, "steps": steps,
           "output_dims": list(train["output"].dims),
           **{k: ds.attrs[k] for k in ("relative_l2_mean", "relative_l2_median", "mse", "steps_per_s",
                                       "fit_time_s", "n_parameters")}}
    if "component" in test["output"].dims:  # per-output errors (s1, s2)
        for c in test["component"].values:
            ref = test["output"].sel(component=c).values.reshape(n_test, -1)
            err = ds["error"].sel(component=c).values.reshape(n_test, -1)
            out[f"relative_l2_mean_{c}"] = float(np.mean(np.linalg.norm(err, axis=1) / np.linalg.norm(ref, axis=1)))
    return out


def render_markdown(r: dict) -> str:
    lines = [f"DeepONet on the pendulum and diffusion-reaction operators; machine: {r['machine']['cpu']} "
             f"({r['machine']['cores']} cores, shared with other jobs: wall times are indicative).", "",
             "| problem | seed | train / test functions | iterations | mean rel. L2 | median rel. L2 | test MSE | "
             "per output | it/s |", "|---|---|---|---|---|---|---|---|---|"]
    for x in r["runs"]:
        per = ", ".join(f"{k.removeprefix('relative_l2_mean_')} {v:.2e}" for k, v in x.items()
                        if k.startswith("relative_l2_mean_"))
        lines.append(f"| {x['problem']} | {x['seed']} | {x['n_train']} / {x['n_test']} | {x['steps']} | "
                     f"{x['relative_l2_mean']:.2e} | {x['relative_l2_median']:.2e} | {x['mse']:.2e} | {per or '-'} | "
                     f"{x['steps_per_s']:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    p.add_argument("--smoke", action="store_true", help="tiny run (seconds) that writes under /tmp")
    p.add_argument("--out", default=None,
                   help="results JSON (default: under benchmarks/results/; with --smoke under /tmp)")
    args = p.parse_args(argv)
    import torch

    from validation.benchmarks.report import machine, write_results

    torch.set_num_threads(1)
    args.out = args.out or str(Path(tempfile.gettempdir()) / "deeponet_operators.json" if args.smoke
                               else "benchmarks/results/deeponet_operators.json")
    runs = []
    for problem in args.problems:
        n_train, n_test, steps, most = (20, 10, 20, 1) if args.smoke else PROBLEMS[problem]
        for seed in args.seeds[:most]:
            runs.append(run(problem, seed, n_train, n_test, steps))
            print(json.dumps(runs[-1]), flush=True)
    results = {"benchmark": "deeponet_operators", "machine": machine(), "shared_machine": True, "recipe": RECIPE,
               "runs": runs,
               "command": "python -m validation.benchmarks.deeponet_operators " + " ".join(argv or sys.argv[1:])}
    write_results(args.out, results, render_markdown(results))
    return 0


SUITES.register("deeponet_operators", Suite(
    "deeponet_operators", "DeepONet: pendulum and diffusion–reaction operators", summary.summarise_operators,
    quick=("--smoke", "--seeds", "0"),
))


if __name__ == "__main__":
    sys.exit(main())
