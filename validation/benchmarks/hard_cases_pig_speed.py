r"""PIG Adam steps per second: the fused Gaussian sums against the previous implementation, in one run.

The step is the PIG's default on Helmholtz ``(a1, a2) = (1, 4)``: 800
Gaussians, 2048 residual points, 4 channels, one hidden layer of 16, hard
boundary conditions, float32. The *previous* implementation is the formula
the toolkit shipped before (``exp(-q / 2) @ weights`` through autograd, no
clamp on the exponent); the *current* one is
:func:`sciml.field.gaussians.gaussian_sums` (exponents clamped at -80, where
float32 ``exp`` leaves its slow underflow path, and a hand-written backward).
Both run on the same objective, alternating in blocks of ``--steps`` steps,
``--repeats`` times; medians and their ratio per thread count::

    python -m validation.benchmarks.hard_cases_pig_speed [--threads 1 2] [--repeats 5] [--steps 20]
        [--out benchmarks/results/hard_cases_pig_speed.json]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import torch

from validation.benchmarks import summary
from validation.benchmarks.suite import SUITES, Suite

COMMAND = "python -m validation.benchmarks.hard_cases_pig_speed"
#: The issue's target: at least this many times the previous implementation's steps/s.
TARGET_RATIO = 5.0


def previous_sums(s: torch.Tensor, means: torch.Tensor, inv: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """The sums as the toolkit computed them before: autograd, exponents not clamped."""
    from sciml.field.gaussians import _mahalanobis_factors

    left, right = _mahalanobis_factors(s, means, inv)
    return torch.exp(-0.5 * (left @ right.T)) @ weights


def steps_per_second(threads: int, repeats: int, steps: int) -> dict[str, list[float]]:
    """Adam steps/s of the previous and the current sums, alternating on one objective."""
    import equations
    import sciml.field.gaussians as gaussians
    from sciml import create_learner

    torch.set_num_threads(threads)
    learner: Any = create_learner("pig", n_gaussians=800, collocation={"n_residual": 2048, "n_boundary": 256},
                                  optimiser={"adam_steps": 1, "lbfgs_iter": 0}, seed=0)
    learner.fit(equations.Helmholtz(a1=1, a2=4))
    objective = learner.objective_
    optimiser = torch.optim.Adam(objective.parameters(), lr=1e-3)

    def step() -> None:
        optimiser.zero_grad(set_to_none=True)
        loss, _ = objective.loss()
        loss.backward()
        optimiser.step()

    current = gaussians.gaussian_sums
    variants: dict[str, Callable[..., torch.Tensor]] = {"previous": previous_sums, "current": current}
    out: dict[str, list[float]] = {name: [] for name in variants}
    try:
        for _ in range(repeats):
            for name, sums in variants.items():
                gaussians.gaussian_sums = sums  # type: ignore[assignment]
                for _ in range(3):  # warm-up after the switch
                    step()
                start = time.perf_counter()
                for _ in range(steps):
                    step()
                out[name].append(steps / (time.perf_counter() - start))
    finally:
        gaussians.gaussian_sums = current  # type: ignore[assignment]
    return out


def main(argv: list[str] | None = None) -> int:
    from validation.benchmarks.report import machine, write_results

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--out", default="benchmarks/results/hard_cases_pig_speed.json")
    args = parser.parse_args(argv)
    command = " ".join([COMMAND, *(argv if argv is not None else sys.argv[1:])]).strip()
    before = torch.get_num_threads()
    runs, targets = [], []
    try:
        for threads in args.threads:
            rates = steps_per_second(threads, args.repeats, args.steps)
            medians = {k: statistics.median(v) for k, v in rates.items()}
            ratio = medians["current"] / medians["previous"]
            runs.append({"threads": threads, "steps_per_s": rates, "median_steps_per_s": medians, "ratio": ratio})
            print(f"{threads} thread(s): previous {medians['previous']:.1f}, current {medians['current']:.1f} "
                  f"steps/s, ratio {ratio:.2f}", flush=True)
            targets.append({"name": f"PIG Adam steps/s at 800 Gaussians, 2048 points, {threads} thread(s): current "
                                    f"/ previous (median of {args.repeats} blocks of {args.steps} steps)",
                            "measured": ratio, "target": f">= {TARGET_RATIO:g}", "met": ratio >= TARGET_RATIO,
                            "command": command})
    finally:
        torch.set_num_threads(before)
    results = {"benchmark": "hard_cases_pig_speed", "command": command, "machine": machine(), "runs": runs,
               "targets": targets}
    out = write_results(args.out, results, markdown(results))
    print(f"wrote {out} and {out.with_suffix('.md')}")
    return 0


def markdown(results: dict[str, Any]) -> str:
    lines = [f"PIG Adam steps/s, previous vs current Gaussian sums (`{results['command']}`)", "",
             "| threads | previous (steps/s) | current (steps/s) | ratio |", "|---|---|---|---|"]
    for r in results["runs"]:
        m = r["median_steps_per_s"]
        lines.append(f"| {r['threads']} | {m['previous']:.1f} | {m['current']:.1f} | {r['ratio']:.2f} |")
    lines += ["", "Targets:", ""]
    lines += [f"- {t['name']} {t['target']}: {t['measured']:.2f} -> {'met' if t['met'] else 'NOT met'}"
              for t in results["targets"]]
    return "\n".join(lines) + "\n"


def summarise_pig_speed(d: dict[str, Any], s: summary.Summary) -> None:
    """Steps/s per thread count and the ratio target."""
    rows = [(str(r["threads"]), f"{r['median_steps_per_s']['previous']:.1f}",
             f"{r['median_steps_per_s']['current']:.1f}", f"{r['ratio']:.2f}") for r in d.get("runs", [])]
    s.tables.append(("PIG step speed (800 Gaussians, 2048 points)",
                     summary.Table(("threads", "previous steps/s", "current steps/s", "ratio"), rows)))
    summary.add_targets(d, s, "{:.2f}")


SUITES.register("hard_cases_pig_speed", Suite(
    "hard_cases_pig_speed", "PIG step speed: fused Gaussian sums against the previous implementation",
    summarise_pig_speed, quick=("--threads", "1", "--repeats", "1", "--steps", "3"),
))


if __name__ == "__main__":
    raise SystemExit(main())
