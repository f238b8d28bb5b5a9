"""Every learner recipe stored in ``benchmarks/results/*.json`` runs with ``torch.compile`` on.

A crash inside compiled code kills the process (issue 16: the Legendre and
hypergeometric recipes segfaulted in TorchInductor), so the recipes run in
child processes (``tests/recipe_compile_child.py``) at a tiny budget (3 Adam
steps, and with ``SCIML_RECIPE_SWEEP=full`` 2 float64 L-BFGS iterations;
points redrawn and loss weights updated once in between) with ``compile=True``: a child killed by a signal fails with
the signal and the recipe that was running named. Each recipe must end with a
finite loss, its loss still compiled (no fallback to eager, no dynamo
recompile limit hit).

Compilation dominates the time (tens of seconds per graph for the C++ kernels
on a cold inductor cache, as in CI; about a second once TorchInductor's on-disk
cache holds them: all 44 recipes took 293 s cold on two cores). By default one
recipe per results row runs -- per equation the one with the most structure
settings (embedding, constraints, causal weights, Gaussians...), so every
equation's residual and every compiling learner is compiled (the issue-16
segfaults were equation-specific) -- and compiles its float32 Adam graph, where
the segfault was. ``SCIML_RECIPE_SWEEP=every`` runs every stored recipe,
``SCIML_RECIPE_SWEEP=full`` every recipe with the float64 L-BFGS recompile as
well (about twice the time: ~10 minutes cold).
Recipes are grouped so that those compiling the same graphs share a child,
whose dynamo cache then holds them once, and the groups run on two
single-threaded children at a time. Recipes of learners that never compile
(``NEVER_COMPILE``) are left out, and a test checks that they never do.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CHILD = Path(__file__).with_name("recipe_compile_child.py")
#: A child that runs longer is killed and fails the test, naming its recipe.
CHILD_TIMEOUT_S = 1800

#: Results files that hold no learner recipe this sweep can run, and why. A new
#: results file must be added either here or to ``RECIPE_SOURCES``.
NOT_LEARNER_RECIPES = {
    "deeponet_antiderivative": "optimiser settings of the DeepONet benchmark (lr, schedule); DeepONet's compile "
                               "wraps an operator loss, not the PINN objective, and needs the benchmark's data",
    "deeponet_operators": "optimiser settings of the DeepONet benchmark (lr, schedule), as above",
    "mgno_darcy": "optimiser settings of MgNO / FNO, which have no compile option",
    "study_sweep": "a study's kill-and-resume counts and errors; its learners run at their quick budgets, below the "
                   "size that compiles",
    "deepxde_learner": "errors of DeepXDE (its own training loop, never compiled) and of the PINN at DeepXDE's "
                       "budgets; the PINN's plain tanh networks on Burgers are swept through burgers_pinn, the "
                       "L-shape and heat-source runs are left out to keep this sweep's time",
    "prose": "errors and timings of PROSE, its data-only variant and DeepONet on ODE data; none has a compile "
             "option",
    "mgno_darcy_10min": "optimiser settings of MgNO / FNO, which have no compile option",
    "lshape_pinn": "timings and errors only; the recipe is not stored",
    "main_job": "timings and errors of the README command; its recipe, the PINN quick budget, is below the "
                "size that compiles",
    "neural_cg": "the neural preconditioner's training stages; it has no compile option",
    "neural_preconditioners": "iteration counts and timings of preconditioned CG; the learned multigrid has no "
                              "compile option",
    "variational": "Deep Ritz and PINN errors against the Newton reference at one budget stated in the file; every "
                   "run has compile off, so no compiled graph to sweep",
    "variational_high_d": "Deep Ritz and PINN errors against d at one fixed budget stated in the file; every run "
                          "has compile off, so no compiled graph to sweep",
    "poisson_solvers": "classical solvers and their numba compile times; no learner",
    "cavity": "the lid-driven cavity reference against Ghia et al. and Botella & Peyret; no learner",
    "systems": "field learners on systems; every run's recipe has compile off, so no compiled graph to sweep",
    "aas_sampling": "PINN placement strategies (uniform, RAD, RAR, AAS); every run has compile off, so no compiled "
                    "graph to sweep",
    "hard_cases_pig_speed": "PIG step speed, previous vs current Gaussian sums; a timing, no stored recipe",
    "generic_reference": "the generic finite-difference reference against classical solvers and py-pde; no learner",
    "pinn_step_speed": "PINN and DeepXDE step speed on DeepXDE's Burgers setup; a timing, no stored recipe",
    "parameter_sweeps": "learners at their defaults (stored as default_learners, no tuned recipe); the sweep runs "
                        "them with compile 'auto'; the PINN default's parameters are swept through burgers_pinn",
}

#: Results files with learner recipes: how to read them.
RECIPE_SOURCES = ("pinn_hard_cases", "pig_problems", "hard_cases_allen_cahn", "burgers_pinn")

#: Learners whose loss never goes through torch.compile (``compile`` is accepted for a
#: uniform interface): their recipes have no compiled code to crash in, and fitting them
#: here would cost ~20 s each. ``test_learners_that_never_compile`` checks the claim.
NEVER_COMPILE = {"lpinn"}


def stored_recipes() -> list[dict[str, Any]]:
    """Every stored learner recipe as a job ``{"id", "suite", "row", "recipe"}``.

    ``pinn_hard_cases``, ``pig_problems`` and ``hard_cases_allen_cahn`` keep them under ``"recipes"``
    (row -> column -> settings); ``burgers_pinn`` keeps each run's learner
    parameters (``get_params()``) under its kind, the same for every seed.
    """
    jobs: list[dict[str, Any]] = []
    for suite in ("pinn_hard_cases", "pig_problems", "hard_cases_allen_cahn"):
        table = json.loads((RESULTS / f"{suite}.json").read_text())["recipes"]
        jobs += [{"id": f"{suite}/{row}/{column}", "suite": suite, "row": row, "recipe": recipe}
                 for row, columns in table.items() for column, recipe in columns.items()]
    seen: dict[str, dict[str, Any]] = {}
    for run in json.loads((RESULTS / "burgers_pinn.json").read_text())["runs"]:
        for kind, record in run.items():
            if isinstance(record, dict) and "params" in record:
                params = {k: v for k, v in record["params"].items() if k != "seed"}
                assert seen.setdefault(kind, params) == params, f"burgers_pinn {kind}: recipes differ across seeds"
    jobs += [{"id": f"burgers_pinn/burgers/{kind}", "suite": "burgers_pinn", "row": "burgers", "recipe": params}
             for kind, params in seen.items()]
    return jobs


def _graph_key(job: dict[str, Any]) -> str:
    """What the compiled graphs of a job depend on: everything but the optimiser and redraw settings."""
    free = {"adam_steps", "lbfgs_iter", "lr", "final_lr", "resample_every", "progress", "checkpoint_dir", "resume"}
    recipe = {k: v for k, v in job["recipe"].items() if k not in free}
    return json.dumps([job["suite"], job["row"], recipe], sort_keys=True)


#: Recipe settings that change sizes and schedules (optimiser, point counts, redraws), not the operations
#: torch.compile builds for the loss.
SCHEDULE_SETTINGS = {"adam_steps", "lbfgs_iter", "lr", "final_lr", "resample_every", "progress", "checkpoint_dir",
                     "resume", "adaptive", "sampling", "n_residual", "n_boundary", "n_initial", "rar_points",
                     "lbfgs_resample", "compile", "aas_steps", "seed"}


def default_sweep(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One job per results row: the one with the most structure settings (the first of equals)."""
    chosen: dict[tuple[str, str], dict[str, Any]] = {}
    for job in jobs:
        key = (job["suite"], job["row"])
        size = len(set(job["recipe"]) - SCHEDULE_SETTINGS)
        if key not in chosen or size > len(set(chosen[key]["recipe"]) - SCHEDULE_SETTINGS):
            chosen[key] = job
    return [job for job in jobs if job in chosen.values()]


def groups(jobs: list[dict[str, Any]], n: int) -> list[list[dict[str, Any]]]:
    """``n`` groups of about equal size; jobs with the same graphs stay together."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for job in jobs:
        by_key.setdefault(_graph_key(job), []).append(job)
    out: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    for same in sorted(by_key.values(), key=len, reverse=True):
        min(out, key=len).extend(same)
    return [g for g in out if g]


def _lines(text: str) -> Iterator[dict[str, Any]]:
    for line in text.splitlines():
        if line.startswith("{"):
            yield json.loads(line)


def run_child(jobs: list[dict[str, Any]], folder: Path, name: str) -> tuple[int, list[dict[str, Any]], str]:
    """Run ``jobs`` in one child; its return code, its records and the job running at its end."""
    path = folder / f"{name}.json"
    path.write_text(json.dumps(jobs))
    # one thread each: two children share the two cores (with two OpenMP threads each, every
    # parallel region waits for a descheduled thread: 5x slower here when the machine is busy)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONFAULTHANDLER": "1", "OMP_NUM_THREADS": "1"}
    try:
        proc = subprocess.run([sys.executable, str(CHILD), str(path)], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=CHILD_TIMEOUT_S)
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:  # killed: still say which recipe was running
        code, out, err = -signal.SIGKILL, _text(exc.stdout), _text(exc.stderr) + f"\ntimed out after {exc.timeout} s"
    records = list(_lines(out))
    started = [r["start"] for r in records if "start" in r]
    done = {r["id"] for r in records if "id" in r}
    running = next((s for s in started if s not in done), "")
    if code:  # faulthandler's traceback, without its list of extension modules
        err = "\n".join(line for line in err.splitlines() if not line.startswith("Extension modules"))
        running += f"\n--- stderr (tail) ---\n{err[-3000:]}"
    return code, [r for r in records if "id" in r], running


def _text(data: bytes | str | None) -> str:
    return data.decode(errors="replace") if isinstance(data, bytes) else data or ""


def _signal_name(code: int) -> str:
    return signal.Signals(-code).name if code < 0 else f"exit status {code}"


def test_every_results_file_is_accounted_for() -> None:
    """A results file with recipes cannot be left out of the sweep unnoticed."""
    files = {p.stem for p in RESULTS.glob("*.json")}
    assert files == set(NOT_LEARNER_RECIPES) | set(RECIPE_SOURCES), (
        "add the new results file to RECIPE_SOURCES (and stored_recipes) or to NOT_LEARNER_RECIPES with why")
    for stem in NOT_LEARNER_RECIPES:
        data = json.loads((RESULTS / f"{stem}.json").read_text())
        assert "recipes" not in data, f"{stem} stores learner recipes: sweep them"


def test_learners_that_never_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    """The learners left out of the sweep fit with ``compile=True`` without ever calling torch.compile."""
    from equations import Convection
    from sciml import create_learner

    stored = {j["recipe"].get("learner", "pinn") for j in stored_recipes()}
    assert NEVER_COMPILE <= stored  # else the exemption is stale
    calls: list[str] = []

    def compile_(*args: Any, **kwargs: Any) -> Any:
        calls.append(repr(args))
        pytest.fail("torch.compile called")  # not an Exception: no fallback can swallow it

    monkeypatch.setattr(torch, "compile", compile_)
    for name in sorted(NEVER_COMPILE):
        learner: Any = create_learner(name, hidden=(4,), n_points=32, adam_steps=1, lbfgs_iter=1, compile=True,
                                      seed=0)
        assert math.isfinite(learner.fit(Convection(beta=10.0)).history_.loss[-1])
    assert calls == []


@pytest.mark.skipif(shutil.which(os.environ.get("CXX", "c++")) is None,
                    reason="no C++ compiler: TorchInductor cannot compile on this machine")
def test_stored_recipes_run_compiled(tmp_path: Path) -> None:
    everything = stored_recipes()
    assert len(everything) >= 40  # 26 hard-case cells, 13 PIG-problem cells, 3 Burgers kinds when this was written
    jobs = [j for j in everything if j["recipe"].get("learner", "pinn") not in NEVER_COMPILE]
    if os.environ.get("SCIML_RECIPE_SWEEP", "") not in ("every", "full"):
        rows, learners = {(j["suite"], j["row"]) for j in jobs}, {j["recipe"].get("learner", "pinn") for j in jobs}
        jobs = default_sweep(jobs)
        assert {(j["suite"], j["row"]) for j in jobs} == rows  # every equation
        assert {j["recipe"].get("learner", "pinn") for j in jobs} == learners  # every compiling learner
    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:  # two children at a time on the two cores
        results = list(pool.map(lambda ig: run_child(ig[1], tmp_path, f"group{ig[0]}"),
                                enumerate(groups(jobs, 2))))
    elapsed = time.perf_counter() - t0
    crashes = [f"child died ({_signal_name(code)}) while running {running}"
               for code, _, running in results if code]
    assert not crashes, "\n".join(crashes)
    records = {r["id"]: r for _, recs, _ in results for r in recs}
    assert set(records) == {j["id"] for j in jobs}
    problems = []
    for job in jobs:
        r = records[job["id"]]
        if "error" in r:
            problems.append(f"{job['id']}: {r['error']}\n{r['trace']}")
        elif not math.isfinite(r["loss"]):
            problems.append(f"{job['id']}: loss {r['loss']}")
        elif r["compile_warnings"] or r["recompile_limit_hit"]:
            problems.append(f"{job['id']}: ran eagerly: {r['compile_warnings'] + r['recompile_limit_hit']}")
        elif not r["compiled"]:
            problems.append(f"{job['id']}: the loss was not compiled")
    assert not problems, "\n".join(problems)
    slowest = sorted(records.values(), key=lambda r: -r["seconds"])[:5]
    print(f"{len(jobs)} recipes in {elapsed:.0f} s; slowest: "
          + ", ".join(f"{r['id']} {r['seconds']:.0f} s" for r in slowest))
