r"""PINN Adam steps per second against DeepXDE, eager and compiled, at each thread count, in one run.

The problem and network are DeepXDE's Burgers example: 2540 residual, 80
boundary and 160 initial points (DeepXDE's own samples, given to both), a
2-20-20-20-1 tanh network, soft constraints, Adam at lr 1e-3, float32. In
one process per thread count, blocks of ``--steps`` Adam steps alternate
between

* ``deepxde``   ``model.train(iterations=steps)`` (its loop, PyTorch backend; the model of the Burgers benchmark,
  built by the ``deepxde`` learner from the ``Burgers`` spec);
* ``eager``     the toolkit's PINN (the MLP's one-pass jet, autograd backward), no ``torch.compile``;

``--repeats`` times (the toolkit's rates are its training loop's own steady
steps/s, first step left out). Then one compiled run (``compile=True``) of
``repeats * steps`` steps reports its steady rate and its first step, which
holds the compilation. Medians and ratios to DeepXDE per thread count::

    python -m validation.benchmarks.pinn_step_speed [--threads 1 2] [--repeats 5] [--steps 300]
        [--out benchmarks/results/pinn_step_speed.json]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

import numpy as np
import torch

from validation.benchmarks import summary
from validation.benchmarks.suite import SUITES, Suite

COMMAND = "python -m validation.benchmarks.pinn_step_speed"
#: The issue's target: eager toolkit steps/s at least this many times DeepXDE's.
TARGET_RATIO = 3.0
VARIANTS = ("deepxde", "eager")


def deepxde_model(seed: int) -> tuple[Any, dict[str, np.ndarray]]:
    """DeepXDE's Burgers model (compiled for Adam at 1e-3) and its sampled points, by the ``deepxde`` learner.

    The learner's defaults are DeepXDE's standard Burgers setup (2540 domain,
    80 boundary and 160 initial Hammersley points, a 2-20-20-20-1 tanh
    network initialised Glorot normal, float32); its translation of
    ``Burgers()`` has the points, initial weights and loss terms of the
    example as typed by hand before (``tests/test_deepxde_learner.py``).
    """
    from equations import Burgers
    from sciml.field.deepxde_learner import DeepXDELearner

    problem = DeepXDELearner(seed=seed, lr=1e-3).build_model(Burgers())
    points = {key: problem.points[key] for key in ("residual", "boundary", "initial")}
    return problem.model, {k: np.asarray(v, dtype=float) for k, v in points.items()}


def toolkit_rate(points: dict[str, np.ndarray], steps: int, compile: bool, seed: int) -> dict[str, float]:
    """Steady Adam steps/s (and the first step's seconds) of one toolkit fit on ``points``."""
    from equations import Burgers
    from sciml import PINN
    from sciml.field.config import Collocation, Optimiser

    learner = PINN(hidden=(20, 20, 20), constraints="soft", seed=seed, progress=False,
                   optimiser=Optimiser(adam_steps=steps, lr=1e-3, final_lr=None, lbfgs_iter=0, compile=compile),
                   collocation=Collocation(resample_every=0, adaptive=None))
    learner.fit(Burgers(), points=points)
    stage = learner.history_.stages[0]
    return {"steps_per_s": float(stage["steady_steps_per_second"]), "first_step_s": float(stage["first_step_seconds"])}


def measure(threads: int, repeats: int, steps: int, seed: int = 0, compiled: bool = True) -> dict[str, Any]:
    """Rates per variant (one entry per block) and the compiled run, at ``threads`` torch threads."""
    torch.set_num_threads(threads)
    model, points = deepxde_model(seed)
    model.train(iterations=20, display_every=10**9, verbose=0)  # warm-up
    rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(repeats):
        start = time.perf_counter()
        model.train(iterations=steps, display_every=10**9, verbose=0)
        rates["deepxde"].append(steps / (time.perf_counter() - start))
        rates["eager"].append(toolkit_rate(points, steps, False, seed)["steps_per_s"])
    medians = {k: statistics.median(v) for k, v in rates.items()}
    run = {"threads": threads, "steps_per_s": rates, "median_steps_per_s": medians,
           "ratio_eager": medians["eager"] / medians["deepxde"]}
    if compiled:
        c = toolkit_rate(points, repeats * steps, True, seed)
        # the compiled run's own average rate, its compilation (in the first step) included
        with_startup = repeats * steps / (c["first_step_s"] + (repeats * steps - 1) / c["steps_per_s"])
        run["compiled"] = {**c, "steps": repeats * steps, "ratio": c["steps_per_s"] / medians["deepxde"],
                           "ratio_with_startup": with_startup / medians["deepxde"]}
    return run


def main(argv: list[str] | None = None) -> int:
    from validation.benchmarks.report import machine, write_results

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--out", default="benchmarks/results/pinn_step_speed.json")
    parser.add_argument("--skip-compiled", action="store_true", help="leave out the compiled run (its compile)")
    args = parser.parse_args(argv)
    command = " ".join([COMMAND, *(argv if argv is not None else sys.argv[1:])]).strip()
    before = torch.get_num_threads()
    runs, targets = [], []
    try:
        for threads in args.threads:
            run = measure(threads, args.repeats, args.steps, compiled=not args.skip_compiled)
            runs.append(run)
            m = run["median_steps_per_s"]
            print(f"{threads} thread(s): DeepXDE {m['deepxde']:.0f}, eager {m['eager']:.0f} steps/s; eager / "
                  f"DeepXDE {run['ratio_eager']:.2f}", flush=True)
            targets.append({"name": f"PINN Adam steps/s / DeepXDE's, same points and 3x20 network, eager, "
                                    f"{threads} thread(s) (median of {args.repeats} blocks of {args.steps} steps)",
                            "measured": run["ratio_eager"], "target": f">= {TARGET_RATIO:g}",
                            "met": run["ratio_eager"] >= TARGET_RATIO, "command": command})
    finally:
        torch.set_num_threads(before)
    results = {"benchmark": "pinn_step_speed", "command": command, "machine": machine(), "runs": runs,
               "targets": targets}
    out = write_results(args.out, results, markdown(results))
    print(f"wrote {out} and {out.with_suffix('.md')}")
    return 0


def _rows(results: dict[str, Any]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for r in results.get("runs", []):
        m = r["median_steps_per_s"]
        c = r.get("compiled")
        compiled = ((f"{c['steps_per_s']:.0f}", f"{c['ratio']:.2f}", f"{c['first_step_s']:.1f}",
                     f"{c['ratio_with_startup']:.2f}") if c else ("–",) * 4)
        rows.append((str(r["threads"]), f"{m['deepxde']:.0f}", f"{m['eager']:.0f}", f"{r['ratio_eager']:.2f}",
                     *compiled))
    return rows


HEADER = ("threads", "DeepXDE steps/s", "eager steps/s", "eager / DeepXDE",
          "compiled steps/s", "compiled / DeepXDE", "compile (first step) s", "compiled / DeepXDE with start-up")


def markdown(results: dict[str, Any]) -> str:
    lines = [f"PINN Adam steps/s on DeepXDE's Burgers setup (`{results['command']}`)", "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(results)]
    lines += ["", "Targets:", ""]
    lines += [f"- {t['name']} {t['target']}: {t['measured']:.2f} -> {'met' if t['met'] else 'NOT met'}"
              for t in results["targets"]]
    return "\n".join(lines) + "\n"


def summarise_pinn_speed(d: dict[str, Any], s: summary.Summary) -> None:
    """Steps/s per thread count, ratios to DeepXDE and the targets."""
    s.tables.append(("PINN step speed vs DeepXDE (Burgers, 3x20 tanh)", summary.Table(HEADER, _rows(d))))
    summary.add_targets(d, s, "{:.2f}")


SUITES.register("pinn_step_speed", Suite(
    "pinn_step_speed", "PINN step speed: eager and compiled against DeepXDE", summarise_pinn_speed,
    quick=("--threads", "1", "--repeats", "1", "--steps", "5", "--skip-compiled"),
))


if __name__ == "__main__":
    raise SystemExit(main())
