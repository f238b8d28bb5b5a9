r"""DeepXDE through the toolkit's translation beside the toolkit's PINN, both against the classical reference.

Per case and seed, ``validation.compare.compare`` fits the ``deepxde``
learner (a spec translated into DeepXDE's PyTorch backend and trained by
DeepXDE's own loop, :mod:`sciml.field.deepxde_learner`) and the ``pinn``
learner at the same budget -- the same network, the same numbers of domain,
boundary and initial points, the same Adam steps at the same constant
learning rate (1e-3), the same L-BFGS cap -- and scores both against the
reference it solves once per case:

* ``burgers``: ``Burgers(nu = 0.01 / pi)`` against Cole--Hopf on 256 x 100;
  DeepXDE's standard setup (the learner's defaults: 3 x 20 tanh, 2540 +
  80 + 160 points, 15000 Adam steps, up to 15000 L-BFGS iterations), the
  budget of ``burgers_pinn``;
* ``poisson_lshape``: ``LShapePoisson()`` against the multigrid reference on
  129 x 129; DeepXDE's L-shape example network (4 x 50 tanh, 1200 + 120
  points) at the ``lshape_pinn`` budget (10000 Adam steps, 5000 L-BFGS);
* ``heat_source``: :class:`HeatWithSource`, a spec stated in this file (a 1D
  heat equation with a source, held at 0 on the left, insulated on the
  right) against the generic finite-difference reference ``fd`` on 101 x 51.

Everything else is each learner's own: DeepXDE's Hammersley points fixed
for the run, soft constraints, float32 L-BFGS to its tolerances; the PINN's
Sobol points redrawn by residual (RAD), hard constraints where the spec has
an ansatz (Burgers), float64 L-BFGS, its stall rule. The PINN gets the
boundary points per boundary condition (its sets are per condition; DeepXDE
shares its ``num_boundary`` among them), so both see as many in all.

Targets: per case and learner, the median relative L2 over the seeds under
the case's bound (its reason in the results), and, for Burgers at the full
budget, the translation's median error within a factor
:data:`MATCH_FACTOR` of the hand-typed DeepXDE setup it replaced
(:data:`HAND_TYPED_BURGERS`, same seeds)::

    python -m validation.benchmarks.deepxde_learner [--cases burgers poisson_lshape heat_source] [--seeds 0 1 2]
        [--quick] [--threads 2] [--out benchmarks/results/deepxde_learner.json] [--fresh]

Each finished seed is written to ``--out`` at once; a killed run resumes
there without redoing it (``--fresh`` starts over).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from equations import (
    Box,
    DirichletCondition,
    Domain,
    Equation,
    InitialCondition,
    NeumannCondition,
    OnPlane,
    TimeInterval,
    Variable,
)
from equations.core import Array, Coords, Jet
from equations.namespace import namespace
from validation.benchmarks import summary
from validation.benchmarks.suite import SUITES, Suite

COMMAND = "python -m validation.benchmarks.deepxde_learner"
LEARNERS = ("deepxde", "pinn")
#: DeepXDE's relative L2 on Burgers with the hand-typed model this learner replaced, by seed: the ``deepxde`` runs
#: of ``benchmarks/results/burgers_pinn.json`` as committed before the translation (DeepXDE 1.15, 15000 Adam
#: steps + L-BFGS, 2 threads, AMD EPYC).
HAND_TYPED_BURGERS = {0: 1.241e-2, 1: 2.464e-3, 2: 1.088e-2}
#: The translation "matches" the hand-typed setup when its median error is within this factor of it: the two
#: build the same points, initial weights and loss terms (``tests/test_deepxde_learner.py``), and differ only in
#: the order the loss terms are summed, whose rounding the long training amplifies; the hand-typed errors
#: themselves spread 5x over three seeds.
MATCH_FACTOR = 2.0
#: The quick budget (Adam steps, L-BFGS iterations, domain / boundary / initial points): the pipeline, not the numbers.
QUICK_STEPS = (20, 10)
QUICK_POINTS = (128, 16, 16)


@dataclass(frozen=True)
class HeatWithSource(Equation):
    r"""``u_t = kappa u_xx + q`` on ``[0, 1]^2``, ``u(0, t) = 0``, ``u_x(1, t) = 0``, ``u(x, 0) = sin(pi x / 2)``.

    A user's spec (not registered): a rod held at 0 on the left, insulated on
    the right, heated uniformly. The initial value meets both ends' data, so
    the solution is smooth; it has no closed form here and ``compare`` takes
    the generic finite-difference reference.
    """

    kappa: float = 0.1
    q: float = 1.0

    field = Variable("u", "K", "temperature")
    derivatives = ("t", "xx")
    default_resolution = (101, 51)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (1.0,), (False,)), TimeInterval(0.0, 1.0))

    def residual(self, coords: Coords, u: Jet) -> Array:
        return u["t"] - self.kappa * u["xx"] - self.q

    def initial_value(self, coords: Coords) -> Array:
        x = coords["x"]
        return namespace(x).sin(0.5 * math.pi * x)

    def conditions(self) -> tuple[Any, ...]:
        zero = lambda c: 0.0 * c["x"]  # noqa: E731
        return (InitialCondition(self.initial_value), DirichletCondition(zero, where=OnPlane("x", 0.0)),
                NeumannCondition(zero, where=OnPlane("x", 1.0)))


def _burgers() -> Equation:
    from equations import Burgers

    return Burgers()


def _lshape() -> Equation:
    from equations import LShapePoisson

    return LShapePoisson()


@dataclass(frozen=True)
class Case:
    """One spec, its grid and the shared budget, and the bound on each learner's error with its reason."""

    equation: Callable[[], Equation]
    resolution: tuple[int, ...]
    quick_resolution: tuple[int, ...]
    hidden: tuple[int, ...]
    points: tuple[int, int, int]  # domain, boundary (in all), initial
    adam_steps: int
    lbfgs_iter: int
    bound: float
    why: str


CASES: dict[str, Case] = {
    "burgers": Case(
        _burgers, (256, 100), (64, 25), (20, 20, 20), (2540, 80, 160), 15000, 15000, 2.5e-2,
        "twice the worst seed of the hand-typed DeepXDE setup, 1.24e-2 (burgers_pinn)"),
    "poisson_lshape": Case(
        _lshape, (129, 129), (33, 33), (50, 50, 50, 50), (1200, 120, 0), 10000, 5000, 6e-2,
        "1.5x DeepXDE's own L-shape example, 3.95e-2 after 50000 Adam steps (BENCHMARKS.md); the toolkit PINN "
        "reached 2.7e-2 - 4.8e-2 at this budget (lshape_pinn): the corner singularity bounds both"),
    "heat_source": Case(
        HeatWithSource, (101, 51), (33, 17), (32, 32, 32), (2000, 100, 200), 5000, 3000, 1e-2,
        "the toolkit's bar for a smooth 1D problem without a published number (as in the systems suite)"),
}


def learners(case: Case, seed: int, quick: bool) -> dict[str, Any]:
    """Both learners at the case's budget (the quick one if asked): same network, points, Adam and L-BFGS."""
    from sciml import PINN, DeepXDELearner
    from sciml.field.config import Collocation, Optimiser
    from sciml.field.sampling import boundary_sets

    adam, lbfgs = QUICK_STEPS if quick else (case.adam_steps, case.lbfgs_iter)
    domain, boundary, initial = QUICK_POINTS if quick else case.points
    eq = case.equation()
    per_condition = math.ceil(boundary / max(len(boundary_sets(eq)), 1))
    deepxde = DeepXDELearner(hidden=case.hidden, num_domain=domain, num_boundary=boundary, num_initial=initial,
                             adam_steps=adam, lr=1e-3, lbfgs_iter=lbfgs, seed=seed)
    pinn = PINN(hidden=case.hidden, seed=seed,
                collocation=Collocation(n_residual=domain, n_boundary=per_condition, n_initial=initial),
                optimiser=Optimiser(adam_steps=adam, lr=1e-3, final_lr=None, lbfgs_iter=lbfgs))
    return {"deepxde": deepxde, "pinn": pinn}


def run_case(name: str, seeds: list[int], quick: bool,
             checkpoint: Callable[[dict[str, Any], list[dict[str, Any]]], None] = lambda ref, runs: None,
             ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The reference once, then both learners per seed through ``compare`` (on the torch threads main set).

    ``checkpoint(reference, runs)`` is called after each seed with the case's runs so far.
    """
    import torch

    from sciml.core.checkpoint import jsonable_params
    from validation.compare import compare, solve_reference

    case = CASES[name]
    eq = case.equation()
    resolution = case.quick_resolution if quick else case.resolution
    start = time.perf_counter()
    reference = solve_reference(eq, resolution, None)
    attrs = {k: v for k, v in reference.attrs.items() if isinstance(v, (int, float, str))
             and k in ("solver", "error_estimate", "error_estimate_rel_l2", "observed_order")}
    ref = {"equation": eq.label, "resolution": list(resolution), "solve_s": time.perf_counter() - start, **attrs}
    runs = []
    for seed in seeds:
        fitted = learners(case, seed, quick)
        ds = compare(eq, learners=fitted, reference=reference)
        for label, learner in fitted.items():
            m = ds["metrics"].sel(learner=label)
            runs.append({
                "case": name, "learner": label, "seed": seed,
                "relative_l2": float(m.sel(metric="relative_l2")), "max_error": float(m.sel(metric="max_error")),
                "wall_time_s": float(m.sel(metric="wall_time_s")), "steps_per_s": float(m.sel(metric="steps_per_s")),
                "n_parameters": int(m.sel(metric="n_parameters")),
                "stages": [{k: st[k] for k in ("stage", "steps", "seconds", "stop")} for st in learner.history_.stages],
                "params": jsonable_params(learner.get_params()), "torch_threads": torch.get_num_threads(),
            })
            print(f"{name} {label} seed {seed}: rel. L2 {runs[-1]['relative_l2']:.3e} in "
                  f"{runs[-1]['wall_time_s']:.0f} s", flush=True)
        checkpoint(ref, runs)
    return ref, runs


def _median(runs: list[dict[str, Any]], case: str, learner: str) -> float:
    values = [r["relative_l2"] for r in runs if r["case"] == case and r["learner"] == learner]
    return statistics.median(values) if values else math.nan


def targets(runs: list[dict[str, Any]], seeds: list[int], quick: bool, command: str) -> list[dict[str, Any]]:
    """The bound per case and learner; at the full budget, the Burgers translation against the hand-typed setup."""
    budget = "quick budget" if quick else "full budget"
    out = []
    for name, case in CASES.items():
        for learner in LEARNERS:
            measured = _median(runs, name, learner)
            if math.isnan(measured):
                continue
            out.append({"name": f"{name}: {learner} relative L2 against the classical reference (median of "
                                f"{len(seeds)} seed(s), {budget})", "measured": measured,
                        "target": f"<= {case.bound:g} ({case.why})", "met": measured <= case.bound,
                        "command": command})
    translated = _median(runs, "burgers", "deepxde")
    if not quick and not math.isnan(translated) and set(seeds) <= set(HAND_TYPED_BURGERS):
        hand = statistics.median(HAND_TYPED_BURGERS[s] for s in seeds)
        ratio = translated / hand
        out.append({"name": f"burgers: deepxde through the translation, median relative L2 / the hand-typed DeepXDE "
                            f"setup's ({hand:.3g}, seeds {', '.join(map(str, seeds))}, burgers_pinn before the "
                            "translation)", "measured": ratio,
                    "target": f"in [1/{MATCH_FACTOR:g}, {MATCH_FACTOR:g}] (same points, initial weights and loss "
                              "terms; only the order of their sum differs)",
                    "met": 1 / MATCH_FACTOR <= ratio <= MATCH_FACTOR, "command": command})
    return out


def _rows(results: dict[str, Any]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for r in results.get("runs", []):
        stages = "; ".join(f"{s['stage']} {s['steps']} ({s['stop']})" for s in r["stages"])
        rows.append((r["case"], r["learner"], str(r["seed"]), f"{r['relative_l2']:.2e}", f"{r['max_error']:.2e}",
                     f"{r['wall_time_s']:.0f}", f"{r['steps_per_s']:.0f}", stages))
    return rows


HEADER = ("case", "learner", "seed", "rel. L2", "max error", "wall [s]", "Adam steps/s", "stages")


def markdown(results: dict[str, Any]) -> str:
    lines = [f"DeepXDE through the translation beside the PINN (`{results['command']}`, {results['threads']} torch "
             "threads)", "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(results)]
    lines += ["", "References: " + "; ".join(
        f"{name} {ref['solver']} on {' x '.join(map(str, ref['resolution']))}" for name, ref in
        results["references"].items()), "", "Targets:", ""]
    lines += [f"- {t['name']} {t['target']}: {t['measured']:.3e} -> {'met' if t['met'] else 'NOT met'}"
              for t in results["targets"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    import torch

    from validation.benchmarks.report import machine, write_results

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="tiny budgets and grids: checks the pipeline")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/deepxde_learner.json"))
    parser.add_argument("--fresh", action="store_true", help="start over instead of resuming from --out")
    args = parser.parse_args(argv)
    command = " ".join([COMMAND, *(argv if argv is not None else sys.argv[1:])]).strip()
    previous: dict[str, Any] = {}
    if args.out.exists() and not args.fresh:
        previous = json.loads(args.out.read_text())
        if previous.get("quick") != args.quick:
            previous = {}  # another budget: nothing to resume
    # runs of other cases or seeds already in the file are kept (a narrower rerun loses nothing)
    references: dict[str, Any] = dict(previous.get("references", {}))
    runs: list[dict[str, Any]] = list(previous.get("runs", []))

    def results() -> dict[str, Any]:
        return {"benchmark": "deepxde_learner", "command": command, "machine": machine(), "threads": args.threads,
                "quick": args.quick, "seeds": args.seeds, "hand_typed_burgers": HAND_TYPED_BURGERS,
                "cases": {name: {"hidden": list(c.hidden), "points": list(c.points), "adam_steps": c.adam_steps,
                                 "lbfgs_iter": c.lbfgs_iter, "bound": c.bound} for name, c in CASES.items()
                          if name in args.cases or name in references},
                "references": references, "runs": runs, "targets": []}

    def checkpoint(name: str, done: list[dict[str, Any]]) -> Callable[[dict[str, Any], list[dict[str, Any]]], None]:
        def write(ref: dict[str, Any], case_runs: list[dict[str, Any]]) -> None:
            references[name] = ref
            runs[:] = done + case_runs
            write_results(args.out, results())  # a killed run resumes from here
        return write

    before = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        for name in args.cases:
            finished = {r["seed"] for r in runs if r["case"] == name and r["learner"] == LEARNERS[-1]}
            pending = [s for s in args.seeds if s not in finished]
            if pending:
                run_case(name, pending, args.quick, checkpoint(name, list(runs)))
    finally:
        torch.set_num_threads(before)
    final = results()
    asked = [r for r in runs if r["case"] in args.cases and r["seed"] in args.seeds]
    final["targets"] = targets(asked, args.seeds, args.quick, command)
    out = write_results(args.out, final, markdown(final))
    print(f"wrote {out} and {out.with_suffix('.md')}")
    return 0


def summarise_deepxde_learner(d: dict[str, Any], s: summary.Summary) -> None:
    """Errors per case, learner and seed; the bounds and the Burgers match as targets."""
    s.tables.append(("DeepXDE (translated) and the PINN at one budget against the classical references",
                     summary.Table(HEADER, _rows(d))))
    summary.add_targets(d, s, "{:.3e}")


SUITES.register("deepxde_learner", Suite(
    "deepxde_learner", "DeepXDE through the translation beside the PINN, against the classical references",
    summarise_deepxde_learner, quick=("--quick", "--seeds", "0"),
))


if __name__ == "__main__":
    sys.exit(main())
