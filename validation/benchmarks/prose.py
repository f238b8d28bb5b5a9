r"""PROSE against a data-only transformer and DeepONet on the toolkit's ODE families (issue 23).

Data (:mod:`validation.datasets.prose_odes`, every family, 64 observed times
on ``[0, 2]``, 64 predicted on ``(2, 6]``): :data:`N_TRAIN` training samples
(seed 0), :data:`N_TEST` held-out samples of the training ranges (seed 1) and
:data:`N_TEST` with parameters up to half a training width beyond them
(``extrapolate=True``, seed 2).

Models, seeds 0, 1, 2, one torch thread:

* ``prose``: :class:`sciml.PROSE` at its defaults (width 64, 2 layers per
  part, 3000 AdamW steps of batch 64, cosine schedule), observed window and
  equation in, trajectory and equation out;
* ``data_only``: the same without the symbol branch (the paper's baseline);
* ``deeponet``: :class:`sciml.DeepONet`, the flattened observed window into
  the branch, the query time into the trunk, three outputs.

Measured on the held-out sets: relative L2 of the predicted window per
sample (over the system's components), medians; the same with 1 % and 5 %
relative noise on the observed window; PROSE with a wrong symbolic input (a
term added, a term removed, coefficients off by up to 10 %); the
extrapolation set binned by distance beyond the training ranges; PROSE's
generated equations: share that parse, and the relative L2 of the trajectory
obtained by integrating the parsed equation from the true initial state with
:func:`solvers.ode_systems.trajectory`. Scaling (seed 0): PROSE's error
against the training-set size and against the width, plotted.

Runs are appended to the results file as they finish; a re-run skips them.
Each checkpoint first merges the runs already in the file, so the main runs
and the scaling runs may go in two processes on one file (one core each):

    OMP_NUM_THREADS=1 python -m validation.benchmarks.prose
    OMP_NUM_THREADS=1 python -m validation.benchmarks.prose --part main &
    OMP_NUM_THREADS=1 python -m validation.benchmarks.prose --part scaling
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from validation.benchmarks import summary
from validation.benchmarks.suite import SUITES, Suite

COMMAND = "OMP_NUM_THREADS=1 python -m validation.benchmarks.prose"
N_TRAIN, N_TEST = 4000, 500
SEEDS = (0, 1, 2)
NOISE = (0.01, 0.05)
SYMBOL_ERRORS = ("add_term", "remove_term", "perturb_coefficients")
PERTURBATION = 0.1
DISTANCE_BINS = (0.0, 0.1, 0.25, 0.5)
SCALING_SIZES = (1000, 2000)
SCALING_WIDTHS = (32, 128)
MODELS = ("prose", "data_only", "deeponet")
#: PROSE's default width (the scaling runs change it; DeepONet's rows carry it too, unused)
WIDTH = 64


@dataclass(frozen=True)
class Budget:
    """Set sizes, PROSE's steps (None: its default) and width, seeds, and the scaling runs' sizes and widths."""

    n_train: int
    n_test: int
    steps: int | None
    width: int
    seeds: tuple[int, ...]
    sizes: tuple[int, ...]
    widths: tuple[int, ...]


FULL = Budget(N_TRAIN, N_TEST, None, WIDTH, SEEDS, SCALING_SIZES, SCALING_WIDTHS)
QUICK = Budget(48, 12, 20, 16, (0,), (24,), ())


def datasets(n_train: int, n_test: int) -> dict[str, Any]:
    """Training, held-out and extrapolation sets, unpacked."""
    from validation.datasets import make
    from validation.datasets.prose_odes import unpack

    return {"train": unpack(make("prose_odes", n_train, seed=0)), "test": unpack(make("prose_odes", n_test, seed=1)),
            "extrapolate": unpack(make("prose_odes", n_test, seed=2, extrapolate=True))}


def relative_errors(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per-sample relative L2 over times and components (absent components are zero in both)."""
    n = len(truth)
    return np.linalg.norm((pred - truth).reshape(n, -1), axis=1) / np.linalg.norm(truth.reshape(n, -1), axis=1)


def _model(kind: str, seed: int, steps: int | None, width: int) -> Any:
    from sciml import PROSE, DeepONet

    if kind == "deeponet":
        return DeepONet(branch=(256, 256, 128), trunk=(128, 128, 128), activation="gelu", loss="mse",
                        steps=5 * (steps or 3000), batch_size=128, lr=1e-3, schedule="cosine", seed=seed)
    options: dict[str, Any] = {"seed": seed, "width": width, "feedforward": 2 * width,
                               "heads": max(1, min(4, width // 8))}
    if steps:
        options["steps"] = steps
    if kind == "data_only":
        options |= {"symbols_in": False, "symbols_out": False}
    return PROSE(**options)


def _noisy(ds: Any, level: float, rng: np.random.Generator) -> Any:
    u = ds["u_input"]
    return ds.assign(u_input=u * (1 + level * rng.standard_normal(u.shape)))


def _wrong_symbols(ds: Any, kind: str, rng: np.random.Generator) -> Any:
    from sciml.operators.prose.learner import corrupted_inputs

    tokens = ds["tokens"].values
    extra = {"relative": PERTURBATION} if kind == "perturb_coefficients" else {}
    wrong = corrupted_inputs(tokens, tokens.shape[1], rng, (kind,), **extra)
    return ds.assign(tokens=(ds["tokens"].dims, wrong))


class _Operator:
    """What every model answers: trajectories on a set's output window."""

    def __init__(self, kind: str, model: Any):
        self.kind, self.model = kind, model

    def fit(self, ds: Any) -> None:
        if self.kind == "deeponet":
            self.model.fit(self._branch(ds), ds["u_output"].values, ds["t_output"].values[:, None])
        else:
            self.model.fit(ds)

    @staticmethod
    def _branch(ds: Any) -> np.ndarray:
        return ds["u_input"].values.reshape(ds.sizes["sample"], -1)

    def predict(self, ds: Any) -> np.ndarray:
        if self.kind == "deeponet":
            return self.model.predict(self._branch(ds), ds["t_output"].values[:, None]) * ds["mask"].values[:, None]
        return self.model.predict(ds)


def integrated_errors(systems: list[Any], ds: Any) -> np.ndarray:
    """Relative L2 on the output window of each system integrated from the true initial state (inf: none or blew up)."""
    from equations.errors import ConvergenceError
    from solvers.ode_systems import trajectory

    t = ds["t_output"].values
    out = np.full(len(systems), np.inf)
    for i, system in enumerate(systems):
        d = int(ds["mask"].values[i].sum())
        if system is None or system.dim != d:
            continue
        try:
            u = trajectory(system, ds["initial"].values[i, :d], t)
        except ConvergenceError:  # blew up or stiff: the equation does not reproduce the data
            continue
        truth = ds["u_output"].values[i, :, :d]
        out[i] = float(np.linalg.norm(u - truth) / np.linalg.norm(truth))
    return out


def _number(x: float) -> float | None:
    """``x``, or None for inf (strict JSON has no infinity): more than half failed."""
    return float(x) if np.isfinite(x) else None


def _cell(values: list[float | None]) -> str:
    """Median of values where None is infinite."""
    m = np.median([np.inf if v is None else v for v in values])
    return f"{m:.3g}" if np.isfinite(m) else "inf"


def given_systems(ds: Any) -> list[Any]:
    """The symbolic inputs of ``ds`` parsed (they always parse: they were encoded by the grammar)."""
    from equations.symbolic import decode_ids

    return [decode_ids(ids) for ids in ds["tokens"].values]


def symbolic(model: Any, ds: Any) -> dict[str, Any]:
    """Share of generated equations that parse, and the error of their integrated trajectories."""
    systems = model.generate(ds)
    e = integrated_errors(systems, ds)
    finite = e[np.isfinite(e)]
    return {"parsed": sum(s is not None for s in systems) / len(systems),
            "integrated": float(finite.size / len(systems)),
            "trajectory_l2_median": _number(np.median(e)),
            "trajectory_l2_below_0.05": float((e < 0.05).sum() / len(systems))}


def evaluate(kind: str, op: _Operator, sets: dict[str, Any], seed: int) -> dict[str, Any]:
    """Every measurement of one fitted model (see the module docstring)."""
    test = sets["test"]
    truth = test["u_output"].values
    err = relative_errors(op.predict(test), truth)
    row: dict[str, Any] = {"test_l2": float(np.median(err))}
    families = test["family"].values
    names = test["family"].attrs["flag_meanings"].split()
    row["family_l2"] = {names[f]: float(np.median(err[families == f])) for f in np.unique(families)}
    rng = np.random.default_rng(1000 + seed)
    row["noise_l2"] = {f"{level:g}": float(np.median(relative_errors(op.predict(_noisy(test, level, rng)), truth)))
                       for level in NOISE}
    ext = sets["extrapolate"]
    e_ext = relative_errors(op.predict(ext), ext["u_output"].values)
    dist = ext["distance"].values
    row["extrapolation_l2"] = {
        f"{lo:g}-{hi:g}": float(np.median(e_ext[(dist > lo) & (dist <= hi)])) if ((dist > lo) & (dist <= hi)).any()
        else None for lo, hi in zip(DISTANCE_BINS[:-1], DISTANCE_BINS[1:])}
    row["extrapolation_l2"]["0"] = float(np.median(e_ext[dist == 0])) if (dist == 0).any() else None
    if kind == "prose":
        row["symbol_error_l2"], row["symbolic"] = {}, {"true": symbolic(op.model, test)}
        for k in SYMBOL_ERRORS:
            wrong = _wrong_symbols(test, k, rng)
            row["symbol_error_l2"][k] = float(np.median(relative_errors(op.predict(wrong), truth)))
            # what the generated equation does with a wrong one given, beside what the wrong one itself does
            row["symbolic"][k] = {**symbolic(op.model, wrong),
                                  "given_l2_median": _number(np.median(integrated_errors(given_systems(wrong), wrong)))}
    return row


def run(kind: str, seed: int, sets: dict[str, Any], steps: int | None, width: int,
        n_train: int | None = None) -> dict[str, Any]:
    """Fit one model and measure it."""
    import torch

    torch.set_num_threads(1)
    train = sets["train"] if n_train is None else sets["train"].isel(sample=slice(0, n_train))
    op = _Operator(kind, _model(kind, seed, steps, width))
    start = time.perf_counter()
    op.fit(train)
    seconds = time.perf_counter() - start
    return {"model": kind, "seed": seed, "n_train": int(train.sizes["sample"]), "width": width,
            "fit_s": seconds, "parameters": int(op.model.n_parameters_), **evaluate(kind, op, sets, seed)}


def _main_runs(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs at the suite's own training-set size and width (not the scaling ones)."""
    return [r for r in results["runs"] if r["width"] == results["width"] and r["n_train"] == results["n_train"]]


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(np.median([r[key] for r in runs]))


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``multimodal`` target and one per measured claim."""
    main = _main_runs(results)
    by = {k: [r for r in main if r["model"] == k] for k in MODELS}
    if not all(by.values()):
        return []
    cmd = results["command"]
    prose, data_only = _median(by["prose"], "test_l2"), _median(by["data_only"], "test_l2")
    seeds = sorted({r["seed"] for r in by["prose"]})
    out = [{"name": f"multimodal: PROSE's median relative L2 / the data-only model's (held-out, median over seeds "
                    f"{seeds})",
            "measured": prose / data_only, "target": "< 1", "met": bool(prose < data_only), "command": cmd}]
    worst_noise = max(float(np.median([r["noise_l2"][f"{NOISE[-1]:g}"] for r in by["prose"]])), 0.0)
    out.append({"name": f"noise: PROSE's error with {NOISE[-1]:.0%} noise on the observed window / without",
                "measured": worst_noise / prose, "target": "<= 1.5", "met": bool(worst_noise <= 1.5 * prose),
                "command": cmd})
    worst_symbol = max(float(np.median([r["symbol_error_l2"][k] for r in by["prose"]])) for k in SYMBOL_ERRORS)
    out.append({"name": "symbolic errors: PROSE's error with the worst wrong equation (term added or removed, "
                        f"coefficients off by {PERTURBATION:.0%}) / the data-only model's",
                "measured": worst_symbol / data_only, "target": "<= 1", "met": bool(worst_symbol <= data_only),
                "command": cmd})
    parsed = float(np.median([min(v["parsed"] for v in r["symbolic"].values()) for r in by["prose"]]))
    out.append({"name": "generated equations that parse (share, held-out, worst symbolic input)", "measured": parsed,
                "target": ">= 0.95",
                "met": bool(parsed >= 0.95), "command": cmd})
    far = f"{DISTANCE_BINS[-2]:g}-{DISTANCE_BINS[-1]:g}"
    ext = [r["extrapolation_l2"][far] for r in by["prose"] if r["extrapolation_l2"][far] is not None]
    if ext:
        out.append({"name": f"extrapolation: PROSE's error {far} training widths beyond the ranges / in them",
                    "measured": float(np.median(ext)) / prose, "target": "<= 2",
                    "met": bool(np.median(ext) <= 2 * prose), "command": cmd})
    return out


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = ["# PROSE against a data-only transformer and DeepONet", "",
             f"Machine: {m['cpu']}, {m['cores']} cores; torch {m['versions']['torch']}, one torch thread. "
             f"{results['n_train']} training samples, {results['n_test']} held-out (training ranges) and "
             f"{results['n_test']} extrapolation samples; medians over samples of the per-sample relative L2 on "
             "the predicted window (t in (2, 6]), then medians over seeds (worst in brackets).", "",
             "| model | params | fit [s] | held-out | noise 1% | noise 5% | " +
             " | ".join(f"wrong eq.: {k}" for k in SYMBOL_ERRORS) + " |", "|---|---|---|---|---|---|" +
             "---|" * len(SYMBOL_ERRORS)]
    main = _main_runs(results)
    for kind in MODELS:
        runs = [r for r in main if r["model"] == kind]
        if not runs:
            continue

        def cell(values: list[float]) -> str:
            return f"{np.median(values):.3g} ({max(values):.3g})"

        wrong = [cell([r["symbol_error_l2"][k] for r in runs]) if kind == "prose" else "—" for k in SYMBOL_ERRORS]
        lines.append(f"| {kind} | {runs[0]['parameters']} | {np.median([r['fit_s'] for r in runs]):.0f} | "
                     f"{cell([r['test_l2'] for r in runs])} | "
                     + " | ".join(cell([r["noise_l2"][f"{lv:g}"] for r in runs]) for lv in NOISE)
                     + " | " + " | ".join(wrong) + " |")
    lines += ["", "Extrapolation (distance beyond the training ranges in training widths):", "",
              "| model | " + " | ".join(f"{lo:g}-{hi:g}" for lo, hi in zip(DISTANCE_BINS[:-1], DISTANCE_BINS[1:]))
              + " |", "|---|" + "---|" * (len(DISTANCE_BINS) - 1)]
    for kind in MODELS:
        runs = [r for r in main if r["model"] == kind]
        if runs:
            cells = []
            for lo, hi in zip(DISTANCE_BINS[:-1], DISTANCE_BINS[1:]):
                v = [r["extrapolation_l2"][f"{lo:g}-{hi:g}"] for r in runs if r["extrapolation_l2"][f"{lo:g}-{hi:g}"]
                     is not None]
                cells.append(f"{np.median(v):.3g}" if v else "—")
            lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    sym = [r["symbolic"] for r in main if r["model"] == "prose"]
    if sym:
        lines += ["", "Generated equations (PROSE, medians over seeds), integrated from the true initial state: "
                  "relative L2 against the true trajectory on (2, 6] (inf where none parsed or it blew up), "
                  "beside integrating the symbolic input as given:", "",
                  "| symbolic input | parse | integrate | rel. L2 < 0.05 | generated: median rel. L2 | "
                  "given: median rel. L2 |", "|---|---|---|---|---|---|"]
        for k in ("true", *SYMBOL_ERRORS):
            v = [s_[k] for s_ in sym]
            given = _cell([x["given_l2_median"] for x in v]) if k != "true" else "0"
            lines.append(f"| {k} | {np.median([x['parsed'] for x in v]):.3f} | "
                         f"{np.median([x['integrated'] for x in v]):.3f} | "
                         f"{np.median([x['trajectory_l2_below_0.05'] for x in v]):.3f} | "
                         f"{_cell([x['trajectory_l2_median'] for x in v])} | {given} |")
    scaling = sorted((r for r in results["runs"] if r["model"] == "prose" and r["seed"] == 0),
                     key=lambda r: (r["width"], r["n_train"]))
    if scaling:
        lines += ["", "Scaling (PROSE, seed 0):", "", "| train samples | width | params | fit [s] | held-out |",
                  "|---|---|---|---|---|"]
        lines += [f"| {r['n_train']} | {r['width']} | {r['parameters']} | {r['fit_s']:.0f} | {r['test_l2']:.3g} |"
                  for r in scaling]
    lines += ["", "## Targets", ""]
    for t in results["targets"]:
        lines.append(f"- {t['name']}: {t['measured']:.3g} (target {t['target']}): "
                     f"**{'met' if t['met'] else 'NOT met'}**")
    lines += ["", f"Command: `{results['command']}`", ""]
    return "\n".join(lines)


def plot(results: dict[str, Any], path: Path) -> None:
    """Held-out error against training samples and against width (PROSE, seed 0)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sciml.core.atomic import atomic_write

    runs = [r for r in results["runs"] if r["model"] == "prose" and r["seed"] == 0]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    sizes = sorted((r["n_train"], r["test_l2"]) for r in runs if r["width"] == results["width"])
    widths = sorted((r["width"], r["test_l2"]) for r in runs if r["n_train"] == results["n_train"])
    if sizes:
        a.loglog(*zip(*sizes), "o-")
    if widths:
        b.loglog(*zip(*widths), "o-")
    a.set(xlabel="training samples", ylabel="held-out relative L2 (median)", title="PROSE: data")
    b.set(xlabel="width", title=f"PROSE: model size ({results['n_train']} samples)")
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=120, format="png"))
    plt.close(fig)


def _key(row: dict[str, Any]) -> tuple[str, int, int, int]:
    return row["model"], row["seed"], row["width"], row["n_train"]


def _merged_runs(path: Path, runs: list[dict[str, Any]], n_train: int, steps: int | None) -> list[dict[str, Any]]:
    """``runs`` with those another process wrote to ``path`` meanwhile (same budget), without repeats."""
    if not path.exists():
        return runs
    other = json.loads(path.read_text())
    if (other.get("n_train"), other.get("steps")) != (n_train, steps):
        return runs
    mine = {_key(r) for r in runs}
    return runs + [r for r in other.get("runs", []) if _key(r) not in mine]


def _plan(budget: Budget, models: list[str], part: str) -> list[tuple[str, int, int, int | None]]:
    """(model, seed, width, training samples or None) of every run, cheapest scaling runs first."""
    plan: list[tuple[str, int, int, int | None]] = []
    if part in ("all", "main"):
        plan += [(kind, seed, budget.width, None) for seed in budget.seeds for kind in models]
    if part in ("all", "scaling"):
        plan += [("prose", budget.seeds[0], w, None) for w in budget.widths if w < budget.width]
        plan += [("prose", budget.seeds[0], budget.width, n) for n in budget.sizes]
        plan += [("prose", budget.seeds[0], w, None) for w in budget.widths if w > budget.width]
    return plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sets and budget (a smoke test)")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--no-scaling", action="store_true", help="skip the scaling runs (same as --part main)")
    parser.add_argument("--part", choices=("all", "main", "scaling"), default="all",
                        help="the main runs (models x seeds), the scaling runs, or both")
    parser.add_argument("--fresh", action="store_true", help="start over instead of resuming")
    parser.add_argument("--report-only", action="store_true",
                        help="no new runs: the targets, table and plot of the runs already in the results file")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/prose.json"))
    args = parser.parse_args(argv)
    from validation.benchmarks.report import machine, write_results

    budget = QUICK if args.quick else FULL
    if args.no_scaling:
        budget = dataclasses.replace(budget, sizes=(), widths=())
    n_train, n_test, steps, width = budget.n_train, budget.n_test, budget.steps, budget.width
    previous: dict[str, Any] = {}
    if args.out.exists() and not args.fresh:
        previous = json.loads(args.out.read_text())
        if (previous.get("n_train"), previous.get("steps")) != (n_train, steps):
            previous = {}  # another budget: nothing to resume
    results: dict[str, Any] = {"benchmark": "prose", "machine": machine(), "command": COMMAND, "threads": 1,
                               "n_train": n_train, "n_test": n_test, "steps": steps, "width": width,
                               "runs": previous.get("runs", [])}
    start = time.perf_counter()
    plan: list[tuple[str, int, int, int | None]]
    plan = [] if args.report_only else _plan(budget, args.models, args.part)
    if plan:
        sets = datasets(n_train, n_test)
    for kind, seed, w, n in plan:
        results["runs"] = _merged_runs(args.out, results["runs"], n_train, steps)
        if (kind, seed, w, n or n_train) in {_key(r) for r in results["runs"]}:
            continue
        row = run(kind, seed, sets, steps, w, n)
        results["runs"] = _merged_runs(args.out, results["runs"] + [row], n_train, steps)
        print(f"{kind} seed {seed} n {n or n_train} width {w}: held-out {row['test_l2']:.3g} "
              f"({row['fit_s']:.0f} s)", flush=True)
        write_results(args.out, {**results, "targets": []})  # checkpoint: a killed run resumes from here
    results["runs"] = _merged_runs(args.out, results["runs"], n_train, steps)
    results["elapsed_s"] = time.perf_counter() - start + previous.get("elapsed_s", 0.0)
    results["targets"] = targets(results)
    out = write_results(args.out, results, markdown(results))
    plot(results, out.with_suffix(".png"))
    return 0


def summarise(d: dict[str, Any], s: summary.Summary) -> None:
    """Held-out errors of the three models and the targets."""
    main = _main_runs(d)
    rows = [(k, f"{np.median([r['test_l2'] for r in main if r['model'] == k]):.3g}",
             f"{np.median([r['fit_s'] for r in main if r['model'] == k]):.0f}")
            for k in MODELS if any(r["model"] == k for r in main)]
    s.tables.append(("Held-out relative L2 (medians over seeds)", summary.Table(("model", "rel. L2", "fit [s]"),
                                                                                rows)))
    summary.add_targets(d, s, "{:.3g}")


SUITES.register("prose", Suite("prose", "PROSE: operators and equations from one transformer", summarise,
                               quick=("--quick",)))

if __name__ == "__main__":
    raise SystemExit(main())
