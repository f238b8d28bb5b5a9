r"""Adversarial adaptive sampling against uniform redraws, RAD and RAR, at equal points and steps.

The PINN is trained with the same network, optimiser, number of residual
points and number of Adam steps under four placements of its residual points
(:mod:`sciml.field.adaptive`), redrawn every ``resample_every`` steps:

* ``uniform``: fresh Sobol points;
* ``rad``: residual-based adaptive distribution (10x pool);
* ``rar``: residual-based adaptive refinement, started from about ``n / 2``
  points and adding about ``n / (2 R)`` per redraw (``R`` redraws), so that
  it ends with exactly the ``n`` points the others use all along;
* ``aas``: adversarial adaptive sampling (normalizing flow maximising the
  mean squared residual under its smoothness penalty, 20 % uniform share).

Problems (seeds 0, 1, 2):

* ``peak2d``: :class:`equations.PeakPoisson` with ``k = 1000`` (hard
  boundary conditions); relative L2 on its 257 x 257 grid (``grid``);
* ``gauss5d``, ``gauss10d``: :class:`equations.PeakPoissonND` at ``d = 5``
  and ``d = 10`` (soft Dirichlet data); relative L2 on 10^4 uniform
  Monte Carlo points of ``[-1, 1]^d`` (``uniform``) and on 10^4 points of
  the Gaussian ``N(0, I / 20)``, the density proportional to ``u`` itself
  (``gaussian``): uniform points of ``[-1, 1]^10`` see ``u ~ exp(-33)``, so
  only the second says how well the peak is resolved.

Targets (measured: AAS's median error / the better of the uniform and RAR
median errors; met below 1): the peak problem on the ``grid`` metric, 10
dimensions on the ``gaussian`` metric. Run::

    python -m validation.benchmarks.aas_sampling                        # the full suite, ~35 min on one core
    python -m validation.benchmarks.aas_sampling --problems peak2d --strategies uniform aas --seeds 0
    python -m validation.benchmarks.aas_sampling --budget quick --out /tmp/aas.json   # seconds: pipeline check

Cells already in ``--out`` are skipped (a killed run resumes) unless
``--fresh``; the file is rewritten after every cell.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from validation.benchmarks import summary
from validation.benchmarks.suite import SUITES, Suite

COMMAND = "python -m validation.benchmarks.aas_sampling"
STRATEGIES = ("uniform", "rad", "rar", "aas")
#: Monte Carlo evaluation points of the d-dimensional problems (per metric).
EVAL_POINTS = 10_000


@dataclass(frozen=True)
class Problem:
    """One problem: its spec, the training recipe every strategy shares, and how it is measured."""

    label: str
    equation: Callable[[], Any]
    recipe: dict[str, Any]
    metrics: tuple[str, ...]
    target_metric: str


def _peak() -> Any:
    from equations import PeakPoisson

    return PeakPoisson(k=1000.0)


def _gauss(d: int) -> Callable[[], Any]:
    def build() -> Any:
        from equations import PeakPoissonND

        return PeakPoissonND(d=d)
    return build


#: Budgets chosen so that the 36 runs (3 problems x 4 strategies x 3 seeds) fit in 50 minutes on one core
#: (34 minutes measured).
PROBLEMS: dict[str, Problem] = {
    "peak2d": Problem(
        "peak Poisson k=1000 (2D)", _peak,
        {"hidden": (50, 50, 50, 50), "constraints": "hard", "n_residual": 2000, "adam_steps": 3000,
         "resample_every": 300},
        ("grid",), "grid"),
    "gauss5d": Problem(
        "Gaussian peak Poisson, d=5", _gauss(5),
        {"hidden": (64, 64, 64), "constraints": "soft", "n_residual": 1000, "n_boundary": 1000, "adam_steps": 2000,
         "resample_every": 250},
        ("uniform", "gaussian"), "gaussian"),
    "gauss10d": Problem(
        "Gaussian peak Poisson, d=10", _gauss(10),
        {"hidden": (64, 64, 64), "constraints": "soft", "n_residual": 1000, "n_boundary": 1000, "adam_steps": 2000,
         "resample_every": 250},
        ("uniform", "gaussian"), "gaussian"),
}
#: What every recipe shares: Adam only (equal steps for all), decaying 1e-3 -> 1e-4, eager.
COMMON: dict[str, Any] = {"lr": 1e-3, "final_lr": 1e-4, "lbfgs_iter": 0, "compile": False, "sampling": "sobol",
                          "aas_steps": 50, "aas_uniform": 0.2}
#: The quick budget: a few steps of everything (checks the pipeline, measures nothing).
QUICK: dict[str, Any] = {"n_residual": 64, "n_boundary": 32, "adam_steps": 21, "resample_every": 10,
                         "aas_steps": 3, "hidden": (8, 8)}


def settings(problem: Problem, strategy: str, quick: bool = False) -> dict[str, Any]:
    """The PINN settings of ``strategy`` on ``problem`` (``n_residual`` and steps equal across strategies).

    RAR adds ``m = (n // 2) // R`` points at each of its ``R = (adam_steps -
    1) // resample_every`` redraws and starts from ``n - R m`` (about ``n /
    2``), so it ends with exactly ``n``.
    """
    out = {**COMMON, **problem.recipe, **(QUICK if quick else {})}
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose from {STRATEGIES}")
    out["adaptive"] = None if strategy == "uniform" else strategy
    if strategy == "rar":
        n, redraws = out["n_residual"], (out["adam_steps"] - 1) // out["resample_every"]
        out["rar_points"] = max((n // 2) // max(redraws, 1), 1)
        out["n_residual"] = n - max(redraws, 1) * out["rar_points"]
    return out


def evaluation_points(problem: Problem, metric: str, quick: bool = False) -> np.ndarray:
    """The points of ``metric`` (fixed seeds: every run is measured on the same points)."""
    eq = problem.equation()
    bounds = np.array(eq.domain.bounds, dtype=float)
    d = len(bounds)
    if metric == "grid":
        axes = [np.linspace(lo, hi, 65 if quick else n) for (lo, hi), n in zip(bounds, eq.default_resolution)]
        return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d)
    m = 500 if quick else EVAL_POINTS
    rng = np.random.default_rng(20240 + d)
    if metric == "uniform":
        return bounds[:, 0] + (bounds[:, 1] - bounds[:, 0]) * rng.random((m, d))
    if metric == "gaussian":  # N(0, I/20): the density proportional to u = exp(-10 |x|^2), kept inside the box
        pts = rng.standard_normal((4 * m, d)) / math.sqrt(20.0)
        pts = pts[np.all((pts >= bounds[:, 0]) & (pts <= bounds[:, 1]), axis=1)]
        return pts[:m]
    raise ValueError(f"unknown metric {metric!r}")


def relative_l2(learner: Any, eq: Any, points: np.ndarray) -> float:
    """``||u_hat - u|| / ||u||`` at ``points``."""
    exact = np.asarray(eq.exact({a: points[:, k] for k, a in enumerate(eq.domain.names)}), dtype=float)
    pred = np.asarray(learner.predict(points), dtype=float).reshape(-1)
    return float(np.linalg.norm(pred - exact) / np.linalg.norm(exact))


def run_cell(key: str, strategy: str, seed: int, quick: bool = False) -> dict[str, Any]:
    """Fit one strategy on one problem with ``seed``; the record (with the error message if it failed)."""
    from sciml import PINN

    problem = PROBLEMS[key]
    config = settings(problem, strategy, quick)
    t0 = time.perf_counter()
    try:
        eq = problem.equation()
        learner = PINN.from_settings(**config, seed=seed).fit(eq)
        errors = {m: relative_l2(learner, eq, evaluation_points(problem, m, quick)) for m in problem.metrics}
        return {"problem": key, "strategy": strategy, "seed": seed, "relative_l2": errors,
                "wall_s": time.perf_counter() - t0, "fit_s": float(learner.fit_time_),
                "final_points": len(learner.objective_.points["residual"]), "adam_steps": config["adam_steps"]}
    except Exception as exc:  # a failed run is a result too: record why
        return {"problem": key, "strategy": strategy, "seed": seed,
                "relative_l2": {m: math.nan for m in problem.metrics}, "wall_s": time.perf_counter() - t0,
                "failed": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc(limit=3)}


def _median(runs: list[dict[str, Any]], key: str, strategy: str, metric: str) -> float:
    errs = [r["relative_l2"][metric] for r in runs if r["problem"] == key and r["strategy"] == strategy]
    finite = [e for e in errs if math.isfinite(e)]
    return float(np.median(finite)) if finite and len(finite) == len(errs) else math.nan


def targets(runs: list[dict[str, Any]], command: str) -> list[dict[str, Any]]:
    """AAS's median error over the better of the uniform and RAR medians, on the peak and in 10 dimensions."""
    del command  # each target names the command that reruns its own cells
    out = []
    for key, what in (("peak2d", "on the peak problem"), ("gauss10d", "in 10 dimensions")):
        metric = PROBLEMS[key].target_metric
        aas = _median(runs, key, "aas", metric)
        base = {s: _median(runs, key, s, metric) for s in ("uniform", "rar")}
        finite = {s: v for s, v in base.items() if math.isfinite(v)}
        if not math.isfinite(aas) or not finite:
            continue
        best = min(finite, key=finite.__getitem__)
        ratio = aas / finite[best]
        seeds = " ".join(str(s) for s in sorted({r["seed"] for r in runs if r["problem"] == key}))
        out.append({
            "name": f"AAS beats uniform and RAR {what} (median of {len(seeds.split())} seeds; relative L2 on the "
                    f"{metric} points; measured = AAS {aas:.4g} / {best} {finite[best]:.4g})",
            "measured": ratio, "target": "< 1", "met": ratio < 1,
            "command": f"{COMMAND} --problems {key} --strategies uniform rar aas --seeds {seeds}"})
    return out


def markdown(runs: list[dict[str, Any]], goals: list[dict[str, Any]] | None = None) -> str:
    """One line per problem, strategy and metric (median and per-seed relative L2, median wall time); the targets."""
    lines = ["| problem | strategy | metric | rel. L2 (median) | per seed | final points | wall [s] (median) |",
             "|---|---|---|---|---|---|---|"]
    for key, problem in PROBLEMS.items():
        for strategy in STRATEGIES:
            mine = [r for r in runs if r["problem"] == key and r["strategy"] == strategy]
            if not mine:
                continue
            wall = float(np.median([r["wall_s"] for r in mine]))
            points = ", ".join(sorted({str(r.get("final_points", "—")) for r in mine}))
            for metric in problem.metrics:
                med = _median(runs, key, strategy, metric)
                seeds = ", ".join("failed" if "failed" in r else f"{r['relative_l2'][metric]:.2e}" for r in mine)
                shown = f"**{med:.2e}**" if math.isfinite(med) else "failed"
                lines.append(f"| {problem.label} | {strategy} | {metric} | {shown} | {seeds} | {points} | {wall:.0f} |")
    if goals:
        lines += ["", "| target | measured | verdict | command |", "|---|---|---|---|"]
        lines += [f"| {t['name']} {t['target']} | {t['measured']:.4g} | {'**met**' if t['met'] else '**missed**'} | "
                  f"`{t['command']}` |" for t in goals]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    import torch

    from validation.benchmarks.report import machine, write_results

    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    p.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=list(STRATEGIES))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--budget", choices=("full", "quick"), default="full")
    p.add_argument("--threads", type=int, default=1, help="torch threads (the committed run: 1)")
    p.add_argument("--out", default="benchmarks/results/aas_sampling.json")
    p.add_argument("--fresh", action="store_true", help="ignore earlier results in --out")
    args = p.parse_args(argv)
    quick = args.budget == "quick"
    command = " ".join([COMMAND, *(argv if argv is not None else sys.argv[1:])]).strip()
    out = Path(args.out)
    runs: list[dict[str, Any]] = []
    if out.exists() and not args.fresh:
        old = json.loads(out.read_text())
        if old.get("budget", "full") == args.budget:  # never mix budgets in one file
            runs = old["runs"]
    done = {(r["problem"], r["strategy"], r["seed"]) for r in runs}
    info = machine()
    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)

    def results() -> dict[str, Any]:
        recipes = {k: {s: settings(pr, s, quick) for s in STRATEGIES} for k, pr in PROBLEMS.items()}
        return {"benchmark": "aas_sampling", "command": command, "machine": info, "threads": args.threads,
                "budget": args.budget, "settings": recipes, "runs": runs, "targets": targets(runs, command)}

    try:
        for key in args.problems:
            for strategy in args.strategies:
                for seed in args.seeds:
                    if (key, strategy, seed) in done:
                        continue
                    rec = run_cell(key, strategy, seed, quick)
                    runs.append(rec)
                    print(json.dumps({k: v for k, v in rec.items() if k != "trace"}), flush=True)
                    write_results(out, results())
    finally:
        torch.set_num_threads(threads)
    final = results()
    write_results(out, final, markdown(runs, final["targets"]))
    return 0


def summarise_aas(d: dict[str, Any], s: summary.Summary) -> None:
    """Errors per problem, strategy and metric; the two AAS targets."""
    rows = []
    for r in d.get("runs", []):
        rows.append((r["problem"], r["strategy"], str(r["seed"]),
                     ", ".join(f"{k} {v:.2e}" for k, v in r["relative_l2"].items()), f"{r['wall_s']:.0f}"))
    s.tables.append(("Adaptive sampling at equal points and steps: relative L2",
                     summary.Table(("problem", "strategy", "seed", "relative L2", "time [s]"), rows)))
    summary.add_targets(d, s, "{:.3g}")


SUITES.register("aas_sampling", Suite(
    "aas_sampling", "Adversarial adaptive sampling vs uniform, RAD and RAR", summarise_aas,
    quick=("--budget", "quick", "--seeds", "0", "--fresh"),
))


if __name__ == "__main__":
    sys.exit(main())
