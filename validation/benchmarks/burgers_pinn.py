"""Burgers PINN benchmark: this toolkit vs DeepXDE (PyTorch backend), same run.

For each seed, three runs in fresh subprocesses (one at a time, same torch
thread count, so neither disturbs the other's timing):

1. ``deepxde``   DeepXDE's standard Burgers setup: 2540 domain + 80 boundary +
   160 initial points, 2-20-20-20-1 tanh (Glorot normal), Adam lr 1e-3 for
   15000 steps, then its L-BFGS (float32); the model is the ``deepxde``
   learner's translation of ``Burgers()``. Its sampled points are saved.
2. ``same``      this toolkit's PINN on *those* points with the same network,
   soft constraints, Adam lr 1e-3 for 15000 steps, then float64 L-BFGS with
   restarts: the steps/s comparison.
3. ``eager``     as 2 without ``torch.compile``, 3000 Adam steps only (steps/s).
4. ``default``   this toolkit's default recipe (``PINN()`` on ``Burgers()``).

Every prediction is scored against the Cole--Hopf reference on a 256 x 100 grid.

    python -m validation.benchmarks.burgers_pinn --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sciml.core.checkpoint import jsonable_params
from sciml.field.config import Collocation, Optimiser
from validation.benchmarks import summary
from validation.benchmarks.suite import SUITES, Suite

RESOLUTION = (256, 100)
KINDS = ("deepxde", "same", "eager", "default")


def _reference() -> tuple[np.ndarray, np.ndarray]:
    import solvers
    from equations import Burgers

    ref = solvers.solve(Burgers(), RESOLUTION)
    mesh = np.meshgrid(ref["x"].values, ref["t"].values, indexing="ij")
    return np.stack([m.ravel() for m in mesh], 1), ref.values.ravel()


def _rel_l2(pred: np.ndarray, ref: np.ndarray) -> float:
    return float(np.linalg.norm(pred.ravel() - ref) / np.linalg.norm(ref))


def run_deepxde(seed: int, points_file: str, adam_steps: int, lbfgs_iter: int) -> dict:
    import torch

    from sciml.core.atomic import atomic_write
    from validation.benchmarks.pinn_step_speed import deepxde_model

    model, points = deepxde_model(seed)  # DeepXDE's standard example, PyTorch backend, compiled for Adam
    import deepxde as dde

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, residual=points["residual"], boundary=points["boundary"], initial=points["initial"])

    atomic_write(points_file, write)
    t0 = time.perf_counter()
    model.train(iterations=adam_steps, display_every=10**9, verbose=0)
    t_adam = time.perf_counter() - t0
    dde.optimizers.config.set_LBFGS_options(maxiter=lbfgs_iter)
    model.compile("L-BFGS")
    t1 = time.perf_counter()
    _, state = model.train(display_every=10**9, verbose=0)
    t_lbfgs = time.perf_counter() - t1
    pts, ref = _reference()
    pred = model.predict(pts.astype(np.float32))
    return {"adam_steps_per_s": adam_steps / t_adam, "adam_s": t_adam, "lbfgs_s": t_lbfgs,
            "lbfgs_iters": int(state.epoch - adam_steps), "wall_s": t_adam + t_lbfgs,
            "rel_l2": _rel_l2(pred, ref), "torch_threads": torch.get_num_threads()}


def run_toolkit(seed: int, points_file: str | None, adam_steps: int, lbfgs_iter: int, compile: bool = True) -> dict:
    import torch

    from equations import Burgers
    from sciml import PINN
    from sciml.core.checkpoint import load_arrays

    if points_file:  # the same points, network and optimiser schedule as DeepXDE
        raw = load_arrays(points_file)
        points = {k: raw[k] for k in ("residual", "boundary", "initial")}
        learner = PINN(
            hidden=(20, 20, 20),
            constraints="soft",
            seed=seed,
            optimiser=Optimiser(adam_steps=adam_steps, lr=1e-3, final_lr=None, lbfgs_iter=lbfgs_iter, compile=compile),
            collocation=Collocation(resample_every=0, adaptive=None),
        )
        learner.fit(Burgers(), points=points)
    else:
        learner = PINN(seed=seed).fit(Burgers())
    pts, ref = _reference()
    stages = {s["stage"]: s for s in learner.history_.stages}
    adam, lbfgs = stages.get("Adam", {}), stages.get("LBFGS", {})
    return {"adam_steps_per_s": adam.get("steps_per_second"),
            "adam_steady_steps_per_s": adam.get("steady_steps_per_second"),
            "first_step_s": adam.get("first_step_seconds"), "adam_s": adam.get("seconds"),
            "lbfgs_s": lbfgs.get("seconds"), "lbfgs_iters": lbfgs.get("steps"), "wall_s": learner.fit_time_,
            "rel_l2": _rel_l2(learner.predict(pts), ref), "torch_threads": torch.get_num_threads(),
            "params": jsonable_params(learner.get_params())}


def _subprocess(kind: str, seed: int, points_file: str, adam: int, lbfgs: int) -> dict:
    cmd = [sys.executable, "-m", "validation.benchmarks.burgers_pinn", "--worker", kind, "--seed", str(seed),
           "--points", points_file, "--adam-steps", str(adam), "--lbfgs-iter", str(lbfgs)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def render_markdown(results: dict) -> str:
    """Per-seed table, medians and ratios (toolkit / DeepXDE) as Markdown; runs not done show as "–"."""
    runs = results["runs"]

    def get(r: dict, kind: str, key: str) -> float:
        return float(r[kind][key]) if kind in r else math.nan

    def fmt(x: float, spec: str) -> str:
        return "–" if math.isnan(x) else format(x, spec)

    def med(values: list[float]) -> float:
        finite = [v for v in values if not math.isnan(v)]
        return float(np.median(finite)) if finite else math.nan

    lines = [
        "| seed | DeepXDE Adam steps/s | toolkit steps/s (compiled) | ratio | toolkit steps/s (eager) | ratio | "
        "DeepXDE rel. L2 | same-setup rel. L2 | default-recipe rel. L2 | DeepXDE wall [s] | same-setup wall [s] "
        "| default wall [s] |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        rate = {k: get(r, k, "adam_steps_per_s") for k in ("deepxde", "same", "eager")}
        lines.append(
            f"| {r['seed']} | {fmt(rate['deepxde'], '.0f')} | {fmt(rate['same'], '.0f')} | "
            f"{fmt(rate['same'] / rate['deepxde'], '.2f')} | {fmt(rate['eager'], '.0f')} | "
            f"{fmt(rate['eager'] / rate['deepxde'], '.2f')} | {fmt(get(r, 'deepxde', 'rel_l2'), '.2e')} | "
            f"{fmt(get(r, 'same', 'rel_l2'), '.2e')} | {fmt(get(r, 'default', 'rel_l2'), '.2e')} | "
            f"{fmt(get(r, 'deepxde', 'wall_s'), '.0f')} | {fmt(get(r, 'same', 'wall_s'), '.0f')} | "
            f"{fmt(get(r, 'default', 'wall_s'), '.0f')} |"
        )
    speed = med([get(r, "same", "adam_steps_per_s") / get(r, "deepxde", "adam_steps_per_s") for r in runs])
    wall = med([get(r, "default", "wall_s") / get(r, "deepxde", "wall_s") for r in runs])
    worst = max((get(r, "default", "rel_l2") for r in runs), default=math.nan)
    lines += [
        "",
        f"Medians: Adam steps/s ratio (toolkit / DeepXDE, same points and network) {fmt(speed, '.2f')}; "
        f"wall time ratio default recipe / DeepXDE {fmt(wall, '.2f')}; "
        f"worst default-recipe rel. L2 {fmt(worst, '.2e')}; "
        f"DeepXDE L-BFGS iterations {[r['deepxde']['lbfgs_iters'] for r in runs if 'deepxde' in r]}; "
        f"toolkit L-BFGS iterations (same setup) {[r['same']['lbfgs_iters'] for r in runs if 'same' in r]}; "
        f"median DeepXDE wall {fmt(med([get(r, 'deepxde', 'wall_s') for r in runs]), '.0f')} s.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--adam-steps", type=int, default=15000)
    p.add_argument("--lbfgs-iter", type=int, default=15000)
    p.add_argument("--out", default="benchmarks/results/burgers_pinn.json")
    p.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS,
                   help="runs to do; the others are kept from an existing --out file (same seeds)")
    p.add_argument("--worker", choices=["deepxde", "same", "eager", "default"], help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    p.add_argument("--points", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        points = None if args.worker == "default" else args.points
        if args.worker == "deepxde":
            result = run_deepxde(args.seed, args.points, args.adam_steps, args.lbfgs_iter)
        else:
            result = run_toolkit(args.seed, points, args.adam_steps, args.lbfgs_iter, args.worker != "eager")
        print(json.dumps(result))
        return 0
    from validation.benchmarks.report import machine, write_results

    previous = {}
    if set(args.kinds) != set(KINDS) and Path(args.out).exists():  # re-run some kinds, keep the rest
        previous = {r["seed"]: r for r in json.loads(Path(args.out).read_text())["runs"]}
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            pts = str(Path(tmp) / f"points_{seed}.npz")
            row = dict(previous.get(seed, {"seed": seed}))
            for kind in args.kinds:
                # the eager run only measures Adam steps/s without torch.compile
                adam, lbfgs = (3000, 0) if kind == "eager" else (args.adam_steps, args.lbfgs_iter)
                row[kind] = _subprocess(kind, seed, pts, adam, lbfgs)
                print(f"seed {seed} {kind}: {json.dumps(row[kind])}", flush=True)
            results.append(row)
    summary = {"benchmark": "burgers_pinn", "machine": machine(), "adam_steps": args.adam_steps,
               "lbfgs_iter_max": args.lbfgs_iter, "runs": results}
    write_results(args.out, summary, render_markdown(summary))
    return 0


SUITES.register("burgers_pinn", Suite(
    "burgers_pinn", "Burgers PINN: toolkit vs DeepXDE", summary.summarise_burgers,
    # one torch.compile (the same-setup run) instead of two: compiling dominates this suite's quick run
    quick=("--seeds", "0", "--adam-steps", "200", "--lbfgs-iter", "50", "--kinds", "deepxde", "same"),
))


if __name__ == "__main__":
    sys.exit(main())
