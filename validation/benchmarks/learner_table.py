"""A table of learners x problems x seeds, run cell by cell, resumable, with a Markdown summary.

Suites (``pinn_hard_cases``, ``pig_problems``) declare :class:`Row` objects:
a problem, the recipes (learner name + constructor arguments) to run on it,
and the published numbers. :func:`main` runs every missing cell, appends its
record (relative L2 against the reference of ``validation.compare``, wall
time, stage timings, or the error of a failed run) to a JSON file after each
cell -- a killed run resumes where it stopped -- and writes the Markdown table.
Parallel groups (``--rows``) write separate files joined by ``--merge``.
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


@dataclass(frozen=True)
class Row:
    """One problem: how to build it, the recipes to run, and the published numbers."""

    key: str
    label: str
    equation: Callable[[], Any]
    recipes: dict[str, dict[str, Any]]
    published: str = ""
    notes: dict[str, str] = field(default_factory=dict)


def _learner(recipe: dict[str, Any], seed: int, smoke: bool = False) -> Any:
    """The recipe's learner (``"learner"``: a registered name, default ``"pinn"``) with ``seed``."""
    from sciml import create_learner

    settings = {k: v for k, v in recipe.items() if k != "learner"}
    if smoke:  # a few steps of everything: checks that every cell runs, measures nothing
        settings.update(adam_steps=30, lbfgs_iter=5, resample_every=10)
    return create_learner(recipe.get("learner", "pinn"), seed=seed, **settings)


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
    """The summary: one line per problem and recipe, median and per-seed relative L2, median wall time."""
    lines = ["| problem | recipe | rel. L2 (median) | per seed | wall [s] (median) | published |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        published = r.published
        for c in [*r.recipes, *(k for k in r.notes if k not in r.recipes)]:
            mine = [x for x in runs if x["row"] == r.key and x["column"] == c]
            if not mine and c in r.recipes:
                continue
            if not mine:  # a note instead of runs (e.g. numbers measured by another suite)
                lines.append(f"| {r.label} | {c} | {r.notes[c]} | | | {published} |")
            else:
                med = _median([x["rel_l2"] for x in mine])
                seeds = ", ".join("failed" if "failed" in x else f"{x['rel_l2']:.1e}" for x in mine)
                shown = f"**{med:.1e}**" if math.isfinite(med) else "failed"
                lines.append(f"| {r.label} | {c} | {shown} | {seeds} | "
                             f"{_median([x['wall_s'] for x in mine]):.0f} | {published} |")
            published = ""  # once per problem
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None, rows_of: Callable[[], list[Row]], name: str, description: str,
         targets_of: Callable[[list[dict[str, Any]], str], list[dict[str, Any]]] | None = None,
         recipes_key: str = "recipes") -> int:
    """Command line of a suite: ``rows_of()`` builds its rows, ``name`` names its results.

    ``targets_of(runs, command)``, if given, turns the runs into the results
    file's ``targets`` list (rewritten after every cell). The rows' recipes
    are stored under ``recipes_key`` (``"recipes"``: tuned settings, which
    ``tests/test_recipes_compile.py`` runs compiled).
    """
    from sciml.core.atomic import atomic_write_bytes
    from validation.benchmarks.report import machine, write_results

    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--rows", nargs="+", default=None, help="row keys (default: all)")
    p.add_argument("--columns", nargs="+", default=None, help="recipe names (default: all)")
    p.add_argument("--out", default=f"benchmarks/results/{name}.json")
    p.add_argument("--fresh", action="store_true", help="ignore earlier results in --out")
    p.add_argument("--smoke", action="store_true", help="tiny budgets: check that every cell runs")
    p.add_argument("--merge", nargs="+", default=None,
                   help="only merge these result files (runs of parallel groups) into --out and its table")
    args = p.parse_args(argv)
    if args.merge:
        merged = [json.loads(Path(f).read_text()) for f in args.merge]
        runs_all = [r for m in merged for r in m["runs"]]
        write_results(args.out, {**merged[0], "runs": runs_all, "merged_from": args.merge})
        table = markdown(rows_of(), runs_all)
        atomic_write_bytes(Path(args.out).with_suffix(".md"), table.encode())
        print(table)
        return 0

    rows = [r for r in rows_of() if args.rows is None or r.key in args.rows]
    out = Path(args.out)
    runs: list[dict[str, Any]] = []
    if out.exists() and not args.fresh:
        runs = json.loads(out.read_text())["runs"]
    done = {(x["row"], x["column"], x["seed"]) for x in runs}
    info = machine()
    command = " ".join(["python -m", f"validation.benchmarks.{name}", *(argv if argv is not None else sys.argv[1:])])

    def results() -> dict[str, Any]:
        out = {"benchmark": name, "machine": info, "runs": runs, recipes_key: {x.key: x.recipes for x in rows_of()}}
        return {**out, "targets": targets_of(runs, command)} if targets_of is not None else out

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
                write_results(out, results())
    table = markdown(rows_of(), runs)
    atomic_write_bytes(out.with_suffix(".md"), table.encode())
    print(table)
    return 0

