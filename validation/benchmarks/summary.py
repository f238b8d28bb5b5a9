"""Read one suite's result JSON into a :class:`Summary`: tables, targets, figures, command.

Each suite writes its own JSON shape (see ``benchmarks/results/``); the
``summarise_*`` functions here (each registered
:class:`~validation.benchmarks.suite.Suite` names its own) turn each shape
into the same kind of summary: one table of
every learner (or toolkit method) beside the classical reference and the
published number, the targets with a verdict, and the PNG figures written next
to the JSON. Published numbers come from the results themselves where a suite
stores them (``Row.published`` of the learner tables, targets of the Poisson
and MgNO suites), else from :data:`PUBLISHED`, which quotes
``methods/*.md`` and ``BENCHMARKS.md`` and nothing else.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from equations.errors import InvalidDataError, UnknownNameError
from validation.benchmarks.suite import SUITES

#: Published numbers the results do not carry, with their source.
PUBLISHED: dict[str, dict[str, str]] = {
    "burgers_pinn": {"pinn": "vanilla ~1e-2 .. 1e-3; best ~1e-3 or below (methods/pinn.md)"},
    "lshape_pinn": {"pinn": "DeepXDE example 3.95e-2 after 422 s on this machine kind "
                             "(quoted in the issue; BENCHMARKS.md)"},
    "poisson_solvers": {
        "512": "to 1e-6: CG 1256 it 2.8 s; IC(0)-PCG 374 it 2.9 s; PyAMG SA-PCG 6 it 0.62 s; "
             "sparse direct 2.3 s (methods/classical.md)",
        "1024": "to 1e-6: CG 2399 it 24 s; IC(0)-PCG 713 it 34 s (methods/classical.md)"},
    "deeponet_antiderivative": {"unaligned": "test MSE 9.3e-7 (original code, methods/deeponet.md)"},
    "deeponet_operators": {"any": "not in the references (methods/deeponet.md gives no number)"},
    "mgno_darcy": {"fno": "FNO rel. L2 1.08e-2 at 85² (methods/mgno.md)"},
    "neural_cg": {"any": "no published iteration counts for these systems (methods/neural_cg.md)"},
}


class ResultsError(InvalidDataError):
    """A benchmark result file is missing, unreadable, or not in its suite's format."""


@dataclass(frozen=True)
class Table:
    """A plain table: a header and rows of already formatted cells."""

    header: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]


@dataclass(frozen=True)
class Target:
    """One target of a suite: what was asked, what was measured, and whether it was met (None: no verdict)."""

    target: str
    measured: str
    met: bool | None


@dataclass
class Summary:
    """What a report shows of one suite."""

    name: str
    source: Path
    machine: dict[str, Any]
    command: str
    tables: list[tuple[str, Table]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _e(x: float | None) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:.2e}"


def _median(values: Sequence[float | None]) -> float:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.median(finite)) if finite else math.nan


def _span(values: Sequence[float | None], fmt: Callable[[float], str] = _e) -> str:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return "—"
    return f"median {fmt(_median(finite))} ({', '.join(fmt(v) for v in finite)})"


def add_targets(d: dict[str, Any], s: Summary, fmt: str = "{:.4g}") -> None:
    """The results file's ``targets`` list (``{name, measured, target, met, command}``) as ``s.targets``.

    A numeric ``measured`` is written with ``fmt``; a string is kept as it is.
    """
    for t in d.get("targets", []):
        measured = t["measured"] if isinstance(t["measured"], str) else fmt.format(t["measured"])
        s.targets.append(Target(f"{t['name']} {t['target']}", measured, t["met"]))


def summarise_burgers(d: dict[str, Any], s: Summary) -> None:
    runs = d["runs"]
    ref = "Cole–Hopf quadrature (error ~1e-15), 256 × 100 grid"
    labels = {"deepxde": "DeepXDE 1.15 PINN", "same": "toolkit PINN, DeepXDE's setup",
              "eager": "toolkit PINN, eager (speed only)", "default": "toolkit PINN, default recipe"}
    rows = []
    for kind, label in labels.items():
        got = [r[kind] for r in runs if kind in r]
        if not got:
            continue
        err = "—" if kind == "eager" else _span([g["rel_l2"] for g in got])
        rows.append((label, err, f"{_median([g['adam_steps_per_s'] for g in got]):.0f}",
                     f"{_median([g['wall_s'] for g in got]):.0f}", ref,
                     PUBLISHED["burgers_pinn"]["pinn"] if kind == "default" else ""))
    s.tables.append(("Burgers ν = 0.01/π", Table(
        ("method", "rel. L2 (per seed)", "Adam steps/s", "wall [s]", "classical reference", "published"), rows)))
    both = [r for r in runs if "deepxde" in r and "same" in r]
    if both:
        ratio = _median([r["same"].get("adam_steady_steps_per_s", r["same"]["adam_steps_per_s"])
                         / r["deepxde"]["adam_steps_per_s"] for r in both])
        s.targets.append(Target("≥ 3 × DeepXDE's Adam steps/s (same points and network)", f"{ratio:.2f} ×",
                                ratio >= 3.0))
    default = [r["default"] for r in runs if "default" in r]
    if default:
        errs = [g["rel_l2"] for g in default]
        s.targets.append(Target("default recipe rel. L2 ≤ 5e-4 for every seed", ", ".join(map(_e, errs)),
                                all(e <= 5e-4 for e in errs)))
    with_ref = [r for r in runs if "deepxde" in r and "default" in r]
    if with_ref:
        ratio = _median([r["default"]["wall_s"] / r["deepxde"]["wall_s"] for r in with_ref])
        s.targets.append(Target("default-recipe wall time ≤ 1/3 of DeepXDE's", f"median ratio {ratio:.2f}",
                                ratio <= 1 / 3))


def summarise_lshape(d: dict[str, Any], s: Summary) -> None:
    ref = d["reference"]
    mg = (f"multigrid {ref.get('fine_points_x', '?')}², {d['multigrid_solve_s_median']:.3f} s, "
          f"residual {_e(ref.get('relative_residual'))}")
    runs = d["runs"]
    s.tables.append(("L-shaped Poisson −Δu = 1", Table(
        ("method", "rel. L2 (per seed)", "wall [s]", "classical reference", "published"),
        [("toolkit PINN 4 × 50", _span([r["rel_l2"] for r in runs]), f"{_median([r['wall_s'] for r in runs]):.0f}",
          mg, PUBLISHED["lshape_pinn"]["pinn"])])))


_POISSON_LABELS = {"toolkit_mg": "toolkit MG V(2,2)", "toolkit_mg_pcg": "toolkit CG + MG V-cycle",
                   "scipy_cg": "SciPy CG", "scipy_splu": "SciPy splu", "pyamg_sa_pcg": "PyAMG SA-PCG"}


def summarise_poisson(d: dict[str, Any], s: Summary) -> None:
    for dim, key in ((2, "sizes"), (3, "sizes3d")):
        rows = []
        for size in d.get(key, []):
            n = size["n"]
            for m, label in _POISSON_LABELS.items():
                r = size["methods"].get(m, {})
                if "time_s" not in r:
                    rows.append((str(n), label, "skipped", "", "", ""))
                    continue
                rows.append((str(n), label, f"{r['iterations'] or '—'}", f"{r['time_s']:.3f}",
                             f"{r['ratio_to_toolkit_mg']:.1f}", _e(r["rel_residual"])))
            published = PUBLISHED["poisson_solvers"].get(str(n)) if dim == 2 else None
            if published:
                rows.append((str(n), "published", "", "", "", published))
        if rows:
            s.tables.append((f"{dim}D Poisson to relative residual {d['tol']:g} (toolkit vs classical references)",
                             Table(("n", "method", "it/cycles", "setup+solve [s]", "× toolkit MG",
                                    "rel. residual / published"), rows)))
    for t in d.get("targets", []):
        if "->" not in t:  # not measured at these sizes
            s.targets.append(Target(t, "", None))
            continue
        what, _, verdict = t.rpartition("->")
        target, _, measured = what.partition(":")
        s.targets.append(Target(target.strip(), measured.strip(), verdict.strip() == "PASS"))


def summarise_learner_table(d: dict[str, Any], s: Summary) -> None:
    import importlib

    rows_of = importlib.import_module(f"validation.benchmarks.{s.name}")._rows
    out = []
    for row in rows_of():
        try:
            reference = "closed form" if row.equation().has_exact else "classical solver"
        except Exception:  # an equation that cannot be built here still has results to show
            reference = "—"
        published = row.published
        for column in row.recipes:
            mine = [r for r in d["runs"] if r["row"] == row.key and r["column"] == column]
            if not mine:
                continue
            errs = [math.nan if "failed" in r else r["rel_l2"] for r in mine]
            out.append((row.label, column, _span(errs), f"{_median([r['wall_s'] for r in mine]):.0f}",
                        reference, published))
            published = ""
    s.tables.append(("Relative L2 on each problem's default grid", Table(
        ("problem", "learner / recipe", "rel. L2 (per seed)", "wall [s]", "classical reference", "published"), out)))
    if d.get("not_run"):
        s.notes.append(f"Not run: {d['not_run']}.")
    if s.name == "pinn_hard_cases":
        _hard_case_targets(d["runs"], s)
    add_targets(d, s, "{:.3g}")


def _cells(runs: list[dict[str, Any]], row: str, column: str) -> list[dict[str, Any]]:
    return [r for r in runs if r["row"] == row and r["column"] == column and "failed" not in r]


def _hard_case_targets(runs: list[dict[str, Any]], s: Summary) -> None:
    lp = _cells(runs, "convection_b50", "lpinn")
    if lp:
        ok = all(r["rel_l2"] <= 5e-4 and r["wall_s"] <= 600 for r in lp)
        s.targets.append(Target("LPINN ≤ 5e-4 at β = 50 in ≤ 10 min",
                                ", ".join(f"{_e(r['rel_l2'])} in {r['wall_s']:.0f} s" for r in lp), ok))
    ac = _cells(runs, "allen_cahn", "best")
    if ac:
        med = _median([r["rel_l2"] for r in ac])
        s.targets.append(Target("Allen–Cahn ≤ 1e-4 (best recipe, median)", _e(med), med <= 1e-4))
    uniform = _median([r["rel_l2"] for r in _cells(runs, "peak_poisson", "uniform")])
    adaptive = {c: _median([r["rel_l2"] for r in _cells(runs, "peak_poisson", c)]) for c in ("rar", "aas")}
    adaptive = {c: v for c, v in adaptive.items() if math.isfinite(v)}
    if math.isfinite(uniform) and adaptive:
        best = min(adaptive, key=adaptive.__getitem__)
        s.targets.append(Target("RAR or AAS beats uniform sampling on the peak problem (median)",
                                f"{best} {_e(adaptive[best])} vs uniform {_e(uniform)}", adaptive[best] < uniform))


def summarise_antiderivative(d: dict[str, Any], s: Summary) -> None:
    labels = {"deepxde": "DeepXDE DeepONetCartesianProd", "same": "toolkit, DeepXDE's settings",
              "recipe": "toolkit recipe"}
    rows = []
    for kind, label in labels.items():
        got = [a[kind] for a in d.get("aligned", []) if kind in a]
        if got:
            rows.append(("aligned", label, _span([g["rel_l2"] for g in got]),
                         f"{_median([g['iters_per_s'] for g in got]):.0f}", "cumulative quadrature", ""))
    for u in d.get("unaligned", []):
        rows.append(("unaligned (paper setup)", f"toolkit, seed {u['seed']}, {u['steps']} it",
                     f"test MSE {_e(u['test_mse'])}", f"{u['iters_per_s']:.0f}", "cumulative quadrature",
                     PUBLISHED["deeponet_antiderivative"]["unaligned"]))
    s.tables.append(("Antiderivative operator", Table(
        ("setup", "learner", "test rel. L2 / MSE", "iterations/s", "classical reference", "published"), rows)))
    curve = d.get("size_curve", [])
    if curve:
        s.tables.append(("Error against training-set size", Table(
            ("training functions", "mean rel. L2"), [(str(c["n_train"]), _e(c["rel_l2"])) for c in curve])))
    summ = d.get("summary", {})
    if "ratio_recipe" in summ:
        s.targets.append(Target("≥ 2 × DeepXDE's iterations/s", f"recipe {summ['ratio_recipe']:.2f} ×",
                                summ["ratio_recipe"] >= 2))
    if "rel_l2_recipe" in summ:
        s.targets.append(Target("recipe rel. L2 ≤ 5e-3", _e(summ["rel_l2_recipe"]), summ["rel_l2_recipe"] <= 5e-3))
    if d.get("unaligned"):
        mse = _median([u["test_mse"] for u in d["unaligned"]])
        s.targets.append(Target("unaligned test MSE ≤ 1e-6", _e(mse), mse <= 1e-6))


def summarise_operators(d: dict[str, Any], s: Summary) -> None:
    rows = []
    for problem in dict.fromkeys(r["problem"] for r in d["runs"]):
        mine = [r for r in d["runs"] if r["problem"] == problem]
        rows.append((problem, "toolkit DeepONet recipe", _span([r["relative_l2_mean"] for r in mine]),
                     _e(_median([r["mse"] for r in mine])), f"{_median([r['steps_per_s'] for r in mine]):.0f}",
                     "scipy ODE / finite differences", PUBLISHED["deeponet_operators"]["any"]))
    s.tables.append(("DeepONet on other operators", Table(
        ("problem", "learner", "mean rel. L2 (per seed)", "test MSE", "steps/s", "classical reference",
         "published"), rows)))


def summarise_mgno(d: dict[str, Any], s: Summary) -> None:
    inf = d.get("inference", {})
    solve = inf.get("multigrid_s_per_solve", {}).get("1e-10")
    reference = f"multigrid {1e3 * solve:.1f} ms/solve" if solve else "multigrid"
    rows = []
    for r in d["runs"]:
        name = r.get("name", r["learner"])
        speed = f"{1e3 * inf['mgno_s_per_sample_batch1']:.1f} ms/sample" if name == "mgno" and inf else ""
        rows.append((name, f"{r['n_parameters']:,}", str(r["epochs"]), f"{r['train_seconds']:.0f}",
                     _e(r["train_res"]["relative_l2"]), _e(r["zero_shot"]["relative_l2"]), speed, reference,
                     PUBLISHED["mgno_darcy"]["fno"] if name.startswith("fno") else ""))
    s.tables.append((f"Darcy, {d['resolution']}² training, zero-shot at {d['zero_shot_resolution']}², "
                     f"{d['minutes']:g} min per model", Table(
                         ("learner", "params", "epochs", "train [s]", f"test rel. L2 ({d['resolution']}²)",
                          f"zero-shot rel. L2 ({d['zero_shot_resolution']}²)", "inference", "classical reference",
                          "published"), rows)))
    mg = d["runs"][0]["train_res"]["relative_l2"]
    targets = d.get("targets", {})
    if "mgno_5e-3" in targets:
        budget = targets.get("mgno_within_30_min")  # the model trained for at most 30 minutes (newer results)
        measured = (f"{_e(budget['relative_l2'])} after {budget['train_seconds']:.0f} s" if isinstance(budget, dict)
                    else f"{_e(mg)} after {d['runs'][0]['train_seconds']:.0f} s")
        s.targets.append(Target("MgNO rel. L2 ≤ 5e-3 within 30 minutes", measured, bool(targets["mgno_5e-3"])))
    if "mgno_below_fno" in targets:
        eq = d.get("equal_wall", {})
        measured = (f"at {eq['seconds']:.0f} s: MgNO {_e(eq['mgno_l2'])} vs FNO {_e(eq['fno_l2'])}" if eq
                    else _e(mg))
        s.targets.append(Target("MgNO below the FNO baseline (equal wall time and equal epochs)", measured,
                                bool(targets["mgno_below_fno"])))


def krylov_table(rows: list[dict[str, Any]], sizes: list[int], methods: Sequence[str],
                 learners: Sequence[str]) -> Table:
    """Median iterations and wall time per grid and linear-system method (rows with ``n``, ``method``, ...)."""
    from validation.linear_systems import label

    out = []
    for n in sizes:
        for m in methods:
            mine = [r for r in rows if r["n"] == n and r["method"] == m]
            if mine:
                capped = "" if all(r["converged"] for r in mine) else " (not converged)"
                out.append((f"{n}²", label(m), f"{_median([r['iterations'] for r in mine]):.0f}{capped}",
                            f"{_median([r['wall_time_s'] for r in mine]):.3f}",
                            "learner" if m in learners else "classical reference"))
    return Table(("grid", "method", "iterations", "wall [s]", "role"), out)


def summarise_neural_cg(d: dict[str, Any], s: Summary) -> None:
    from validation.benchmarks.neural_cg import METHODS

    rows = d["rows"]
    s.tables.append((f"Pressure Poisson with unseen obstacles, tolerance {d['tol']:g} "
                     f"(published: {PUBLISHED['neural_cg']['any']})",
                     krylov_table(rows, d["sizes"], METHODS, learners=("neural",))))
    for n in d["sizes"]:
        it_n, it_ic = (_median([r["iterations"] for r in rows if r["n"] == n and r["method"] == m])
                       for m in ("neural", "ic0"))
        t_n, t_ic = (_median([r["wall_time_s"] for r in rows if r["n"] == n and r["method"] == m])
                     for m in ("neural", "ic0"))
        if math.isfinite(it_n) and math.isfinite(it_ic):
            s.targets.append(Target(f"{n}²: neural iterations ≤ 1/5 of IC(0)'s", f"{it_n:.0f} vs {it_ic:.0f}",
                                    it_n <= 0.2 * it_ic))
        if n >= 256 and math.isfinite(t_n) and math.isfinite(t_ic):
            s.targets.append(Target(f"{n}²: neural faster than IC(0)-PCG", f"{t_n:.3f} s vs {t_ic:.3f} s",
                                    t_n < t_ic))


def check_suites(names: list[str] | tuple[str, ...] | None) -> list[str]:
    """``names`` without repeats (every registered suite for None); :class:`UnknownNameError` for an unknown one."""
    if not names:
        return list(SUITES.names())
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        raise UnknownNameError(f"unknown benchmark suite(s) {', '.join(map(repr, unknown))}; "
                               f"choose from {', '.join(SUITES.names())}")
    return list(dict.fromkeys(SUITES.get(n).name for n in names))


def summarise(name: str, path: str | Path, command: str) -> Summary:
    """Read ``path`` (the JSON of suite ``name``) into a :class:`Summary`; :class:`ResultsError` if it is bad."""
    check_suites([name])
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ResultsError(f"no results for suite {name!r}: {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"cannot read the results of suite {name!r} from {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("benchmark") != name:
        raise ResultsError(f"{path} is not a result file of suite {name!r} "
                           f"(its 'benchmark' field is {data.get('benchmark') if isinstance(data, dict) else None!r})")
    summary = Summary(name, path, data.get("machine", {}), data.get("command") or command)
    try:
        SUITES.get(name).summarise(data, summary)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ZeroDivisionError) as exc:
        raise ResultsError(f"{path} does not have the layout of suite {name!r} results "
                           f"({type(exc).__name__}: {exc})") from None
    summary.figures = sorted(p for p in path.parent.glob(f"{path.stem}*.png") if p.is_file())
    return summary
