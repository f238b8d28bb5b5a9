r"""Neural preconditioners against classical PCG on hard systems: many obstacles and 1:1e4 / 1:1e6 media.

Families (layouts **not seen in training**; two per family, ``(n + 1)^2``
nodes for ``n`` in ``--sizes``, default 64 ... 1024):

- ``obstacles``: pressure Poisson ``-Laplacian(p) = div(v)`` with 16 solid
  circles or boxes (zero flux) in a zero-Dirichlet box (the DCDM family);
- ``contrast_1e4`` and ``contrast_1e6``: Darcy ``-div(a grad u) = f`` with a
  two-phase coefficient (a checkerboard, and thresholded Gaussian inclusions,
  the 1e6 one with 12 obstacles), zero Dirichlet sides, a smooth random ``f``.

Every method solves to relative residual ``1e-6`` (recursively updated; the
true residual is recomputed): CG, Jacobi-, IC(0)-PCG, the toolkit's geometric
multigrid-PCG (Galerkin V(2,2), bilinear ``P``), operator-dependent
multigrid-PCG (Galerkin V(1,1)), PyAMG smoothed aggregation and Ruge--Stuben
PCG, the DCDM baseline (``data/neural_cg``, on the family it was trained for)
and the learned multigrid (``data/learned_mg``: a network sets the
prolongation of a Galerkin V(1,1) cycle once per system; trained on 33^2
systems only, by ``--train``). The network's share is the time spent
evaluating networks (set-up for the learned multigrid, every iteration for
DCDM). Wall time is setup + solve, the median of ``--repeats`` (runs over 20 s
are timed once); CG and Jacobi stop at :data:`PLAIN_CAP` iterations and DCDM
at :data:`NEURAL_CAP` (reported as not converged).

    python -m validation.benchmarks.neural_preconditioners --train     # writes data/learned_mg (~5 min)
    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python -m validation.benchmarks.neural_preconditioners

Run single-threaded (torch is set to one thread here too).
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from validation.benchmarks import summary
from validation.benchmarks.suite import SUITES, Suite

TOL = 1e-6
COMMAND = "OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python -m validation.benchmarks.neural_preconditioners"
TRAIN_COMMAND = "python -m validation.benchmarks.neural_preconditioners --train"
LEARNED = Path("data/learned_mg")
DCDM = Path("data/neural_cg")
#: the training recipe of ``data/learned_mg``: random 33^2 systems of every kind (``training_systems``)
TRAIN_SYSTEMS = {"count": 64, "n": 33, "seed": 0}
TRAIN_CONFIG: dict[str, Any] = {"steps": 300, "seed": 0}
# (family, layout name, system factory arguments); seeds differ from the training stream's draws
TEST: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("obstacles", "16 circles", {"obstacles": "circles", "count": 16, "seed": 101}),
    ("obstacles", "16 boxes", {"obstacles": "boxes", "count": 16, "seed": 202}),
    ("contrast_1e4", "checkerboard", {"kind": "checker", "contrast": 1e4, "obstacle_count": 0, "seed": 1001}),
    ("contrast_1e4", "inclusions", {"kind": "inclusions", "contrast": 1e4, "obstacle_count": 0, "seed": 1002}),
    ("contrast_1e6", "checkerboard", {"kind": "checker", "contrast": 1e6, "obstacle_count": 0, "seed": 1003}),
    ("contrast_1e6", "inclusions + 12 obstacles",
     {"kind": "inclusions", "contrast": 1e6, "obstacle_count": 12, "seed": 1004}),
)
FAMILIES = ("obstacles", "contrast_1e4", "contrast_1e6")
METHODS = ("cg", "jacobi", "ic0", "multigrid", "multigrid_operator", "pyamg", "pyamg_rs", "neural", "neural_pcg")
#: the new method (the learned multigrid inside PCG) and its classical base
NEW, BASE = "neural_pcg", "multigrid_operator"
PLAIN_CAP = 10000
NEURAL_CAP = 300
#: DCDM runs where it was trained (pressure Poisson) and up to this size: beyond, its capped runs cost minutes each
DCDM_MAX_N = 512


def build(family: str, n: int, args: dict[str, Any]) -> tuple[Any, np.ndarray]:
    """The system of one test layout at ``(n + 1)^2`` nodes and its right-hand side (unit norm)."""
    if family == "obstacles":
        from equations.pressure_poisson import PressurePoisson
        from solvers import pressure_system

        poisson = pressure_system(PressurePoisson(n=n, **args))
        return poisson, poisson.rhs("divergence", args["seed"])
    from sciml.accelerators.learned_multigrid.data import random_rhs, random_system

    kwargs = {k: v for k, v in args.items() if k != "seed"}
    darcy = random_system(n + 1, args["seed"], **kwargs)
    return darcy, random_rhs(darcy, "smooth", args["seed"])


def train(out: Path) -> dict[str, Any]:
    """Train the learned multigrid on :data:`TRAIN_SYSTEMS` with :data:`TRAIN_CONFIG` and save it to ``out``."""
    import torch

    from sciml.accelerators.learned_multigrid.data import training_systems
    from sciml.accelerators.learned_multigrid.learner import LearnedMultigrid

    torch.set_num_threads(1)
    systems = training_systems(**TRAIN_SYSTEMS)
    model = LearnedMultigrid(progress=True, **TRAIN_CONFIG).fit(systems)
    model.save(out)
    print(f"saved {out} ({model.fit_time_:.0f} s; {TRAIN_SYSTEMS}; {TRAIN_CONFIG})")
    return {"train_time_s": model.fit_time_}


class NetworkClock:
    """Accumulates the wall time of the calls it wraps (the network's share of a solve)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, f: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return f(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


def timed_model(model: Any, clock: NetworkClock) -> Any:
    """``model`` whose network evaluations ``clock`` times (the preconditioner's set-up or its every call)."""
    from scipy.sparse.linalg import LinearOperator

    from sciml.accelerators.learned_multigrid import learner as lmg

    class Timed:
        linsys_method = model.linsys_method

        def preconditioner(self, system: Any) -> Any:
            if isinstance(model, lmg.LearnedMultigrid):
                from solvers import grid_preconditioner

                rule = clock.wrap(lmg.prolongation_rule(model.net_, model.gain))
                return grid_preconditioner(system, sweeps=model.sweeps, interpolation=rule)
            op = model.preconditioner(system)
            if isinstance(op, LinearOperator):
                return LinearOperator(op.shape, matvec=clock.wrap(op.matvec), dtype=op.dtype)
            return clock.wrap(op)

    return Timed()


def run_layout(family: str, layout: str, args: dict[str, Any], n: int, models: dict[str, Any],
               methods: tuple[str, ...], repeats: int) -> list[dict[str, Any]]:
    """Every applicable method on one layout at one size; one record per method."""
    from validation.linear_systems import run_linear_system

    system, b = build(family, n, args)
    rows = []
    for name in methods:
        if name == "neural" and (family != "obstacles" or n > DCDM_MAX_N or "neural" not in models):
            continue
        if name == NEW and NEW not in models:
            continue
        cap = {"cg": PLAIN_CAP, "jacobi": PLAIN_CAP, "neural": NEURAL_CAP}.get(name)
        clock = NetworkClock()
        model = timed_model(models[name], clock) if name in models else None
        ds = run_linear_system(system, b, [name], rtol=TOL, repeats=1, model=model, maxiter=cap)
        if float(ds["wall_time_s"][0]) < 20.0 and repeats > 1:
            clock.seconds = 0.0
            ds = run_linear_system(system, b, [name], rtol=TOL, repeats=repeats, model=model, maxiter=cap)
            clock.seconds /= repeats
        wall = float(ds["wall_time_s"][0])
        rows.append({"family": family, "layout": layout, "n": n, "unknowns": system.size, "method": name,
                     "iterations": int(ds["iterations"][0]), "wall_time_s": wall,
                     "setup_time_s": float(ds["setup_time_s"][0]),
                     "solve_time_s": wall - float(ds["setup_time_s"][0]),
                     "network_time_s": clock.seconds if name in models else 0.0,
                     "relative_residual": float(ds["relative_residual"][0]),
                     "converged": bool(ds["converged"][0])})
        r = rows[-1]
        print(f"n={n:5d} {family:13s} {layout:26s} {name:19s} it={r['iterations']:6d} t={wall:8.3f}s "
              f"setup={r['setup_time_s']:.3f}s net={r['network_time_s']:.3f}s res={r['relative_residual']:.1e}"
              f"{'' if r['converged'] else ' NOT CONVERGED'}", flush=True)
    return rows


def _median(rows: list[dict[str, Any]], key: str, **where: Any) -> float:
    got = [r[key] for r in rows if all(r[k] == v for k, v in where.items())]
    return float(np.median(got)) if got else float("nan")


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, measured on the new method (:data:`NEW`)."""
    rows, sizes = results["rows"], results["sizes"]
    new = [r for r in rows if r["method"] == NEW]
    if not new:
        return []
    failed = [f"{r['layout']} {r['n']}^2" for r in new if not r["converged"]]
    ratios = [r["iterations"] / ic["iterations"] for r in new for ic in rows
              if ic["method"] == "ic0" and (ic["layout"], ic["n"]) == (r["layout"], r["n"])]
    growth = []
    for family, layout, _ in TEST:
        its = [r["iterations"] for r in new if (r["family"], r["layout"]) == (family, layout)]
        if its:
            growth.append(max(its) / min(its))
    big = [n for n in sizes if n >= 256]
    wall = [r["wall_time_s"] / ic["wall_time_s"] for r in new for ic in rows
            if ic["method"] == "ic0" and (ic["layout"], ic["n"]) == (r["layout"], r["n"]) and r["n"] in big]
    versus_mg = [r["iterations"] / mg["iterations"] for r in new for mg in rows
                 if mg["method"] == "multigrid" and r["family"] != "obstacles"
                 and (mg["layout"], mg["n"], mg["family"]) == (r["layout"], r["n"], r["family"])]
    out = [
        {"name": "converges on every system at every size (no cap hit)", "measured": f"{len(failed)} failures",
         "target": "0 failures", "met": not failed, "command": COMMAND},
        {"name": "iterations / IC(0)-PCG iterations (worst system and size)", "measured": max(ratios),
         "target": "<= 0.2", "met": max(ratios) <= 0.2, "command": COMMAND},
        {"name": f"iteration growth from {sizes[0]}^2 to {sizes[-1]}^2 (worst layout, max / min)",
         "measured": max(growth), "target": "<= 1.5", "met": max(growth) <= 1.5, "command": COMMAND},
    ]
    if wall:
        out.append({"name": "wall time (setup + solve) / IC(0)-PCG's from 256^2 up (worst system)",
                    "measured": max(wall), "target": "< 1", "met": max(wall) < 1, "command": COMMAND})
    if versus_mg:
        out.append({"name": "high contrast: iterations / geometric multigrid-PCG's (worst system and size)",
                    "measured": max(versus_mg), "target": "< 1", "met": max(versus_mg) < 1, "command": COMMAND})
    return out


def table(results: dict[str, Any], family: str) -> str:
    """Markdown: median iterations and wall seconds per method and size over the family's layouts."""
    from validation.linear_systems import label

    rows, sizes = [r for r in results["rows"] if r["family"] == family], results["sizes"]
    methods = [m for m in METHODS if any(r["method"] == m for r in rows)]
    out = ["| method | " + " | ".join(f"{n}² it | {n}² s" for n in sizes) + " |",
           "|---|" + "---|---|" * len(sizes)]
    for m in methods:
        cells = []
        for n in sizes:
            mine = [r for r in rows if r["n"] == n and r["method"] == m]
            if not mine:
                cells.append("— | —")
                continue
            flag = "" if all(r["converged"] for r in mine) else "*"
            cells.append(f"{_median(mine, 'iterations'):.0f}{flag} | {_median(mine, 'wall_time_s'):.3f}")
        out.append(f"| {label(m)} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def network_share(results: dict[str, Any]) -> str:
    """Markdown: the learned methods' setup, solve and network seconds per size (medians over every layout)."""
    from validation.linear_systems import label

    lines = ["| method | grid | setup [s] | solve [s] | network [s] | network share |", "|---|---|---|---|---|---|"]
    for m in ("neural", NEW, BASE):
        for n in results["sizes"]:
            mine = [r for r in results["rows"] if r["method"] == m and r["n"] == n]
            if mine:
                net, wall = _median(mine, "network_time_s"), _median(mine, "wall_time_s")
                lines.append(f"| {label(m)} | {n}² | {_median(mine, 'setup_time_s'):.3f} | "
                             f"{_median(mine, 'solve_time_s'):.3f} | {net:.3f} | {net / wall:.0%} |")
    return "\n".join(lines)


TITLES = {"obstacles": "Pressure Poisson, 16 unseen circles / boxes",
          "contrast_1e4": "Darcy 1:1e4 (checkerboard, inclusions)",
          "contrast_1e6": "Darcy 1:1e6 (checkerboard, inclusions + 12 obstacles)"}


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    parts = ["# Neural preconditioners on hard systems", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; torch {m['versions']['torch']}, "
             f"numba {m['versions']['numba']}; one thread everywhere (numba, torch, BLAS). Tolerance "
             f"{results['tol']:g}; medians over the family's two unseen layouts of the median of "
             f"{results['repeats']} timed runs (setup + solve). `*`: not converged within the cap "
             f"(CG, Jacobi {PLAIN_CAP}; DCDM {NEURAL_CAP}).", ""]
    for family in FAMILIES:
        if any(r["family"] == family for r in results["rows"]):
            parts += [f"## {TITLES[family]}", "", table(results, family), ""]
    parts += ["## Set-up, solve and network time", "", network_share(results), "", "## Targets", ""]
    for t in results["targets"]:
        verdict = {True: "met", False: "NOT met"}[t["met"]]
        measured = t["measured"] if isinstance(t["measured"], str) else f"{t['measured']:.3g}"
        parts.append(f"- {t['name']}: {measured} (target {t['target']}): **{verdict}**")
    parts += ["", f"Command: `{COMMAND}`; training: `{TRAIN_COMMAND}`.", ""]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256, 512, 1024])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=FAMILIES)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--train", action="store_true", help="train and save the learned multigrid, then stop")
    parser.add_argument("--model", type=Path, default=LEARNED)
    parser.add_argument("--smoke", action="store_true", help="sizes 32 and 64, one repeat, no result files")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/neural_preconditioners.json"))
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    if args.train:
        train(args.model)
        return 0
    from sciml.accelerators.learned_multigrid.learner import LearnedMultigrid
    from sciml.accelerators.neural_cg.learner import NeuralCG
    from validation.benchmarks.report import machine, write_results

    models: dict[str, Any] = {}
    if (args.model / "meta.json").exists():
        models[NEW] = LearnedMultigrid.load(args.model)
    if (DCDM / "meta.json").exists():
        models["neural"] = NeuralCG.load(DCDM)
    sizes = [32, 64] if args.smoke else args.sizes
    repeats = 1 if args.smoke else args.repeats
    # PyAMG is an optional (bench) dependency: without it the tables have no AMG rows
    methods = tuple(m for m in args.methods if not m.startswith("pyamg") or importlib.util.find_spec("pyamg"))
    start = time.perf_counter()
    rows = [r for n in sizes for family, layout, kw in TEST if family in args.families
            for r in run_layout(family, layout, kw, n, models, methods, repeats)]
    results: dict[str, Any] = {
        "benchmark": "neural_preconditioners", "machine": machine(), "tol": TOL, "sizes": sizes,
        "repeats": repeats, "threads": 1, "command": COMMAND,
        "model": str(args.model), "model_params": models[NEW].get_params() if NEW in models else None,
        "train": {"systems": TRAIN_SYSTEMS, "config": TRAIN_CONFIG, "command": TRAIN_COMMAND},
        "rows": rows, "elapsed_s": time.perf_counter() - start,
    }
    results["targets"] = targets(results)
    text = markdown(results)
    if args.smoke:
        print(text)
        return 0
    out = write_results(args.out, results, text)
    print(f"wrote {out} and {out.with_suffix('.md')}")
    return 0


def summarise(d: dict[str, Any], s: summary.Summary) -> None:
    """Per family, median iterations and wall time per method and size; the targets."""
    for family in FAMILIES:
        rows = [r for r in d["rows"] if r["family"] == family]
        if rows:
            s.tables.append((f"{TITLES[family]}, tolerance {d['tol']:g}",
                             summary.krylov_table(rows, d["sizes"], METHODS, learners=("neural", NEW))))
    summary.add_targets(d, s, "{:.3g}")


SUITES.register("neural_preconditioners", Suite(
    "neural_preconditioners", "Neural preconditioners on high-contrast and many-obstacle systems", summarise,
    quick=("--sizes", "32", "64", "--repeats", "1"),
))


if __name__ == "__main__":
    raise SystemExit(main())
