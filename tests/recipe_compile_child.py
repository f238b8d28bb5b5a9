"""Child process of ``tests/test_recipes_compile.py``: fit stored recipes with compilation forced on.

Run as ``python tests/recipe_compile_child.py JOBS.json``. ``JOBS.json`` holds a
list of jobs ``{"id", "suite", "row", "recipe"}``; each is fitted at a tiny
budget with ``compile=True`` and reported as one JSON line on stdout,
``{"id", "loss", "compiled", "compile_warnings", "seconds"}``, flushed before the
next job starts, so that the parent can name the job that was running when a
signal killed the process. A job that raises is reported with ``"error"``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: Steps of each stage: enough for a compiled float32 Adam step, the float64
#: recompile of L-BFGS and, with ``EVERY``, one redraw of the points and one
#: update of the loss weights in between compiled calls. ``AAS_STEPS``: training
#: steps of the adversarial sampler's flow per redraw (eager, 300 by default,
#: a minute here), a budget like the others.
ADAM_STEPS, LBFGS_ITER, EVERY, AAS_STEPS = 3, 2, 2, 5


def equation_factories(suite: str) -> dict[str, Callable[[], Any]]:
    """Row key -> equation constructor of a results file's suite."""
    if suite == "burgers_pinn":
        from equations import Burgers

        return {"burgers": Burgers}
    import importlib

    module = importlib.import_module(f"validation.benchmarks.{suite}")
    return {row.key: row.equation for row in module._rows()}


def tiny(recipe: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The learner name and its settings at the tiny budget, compilation forced on.

    Periodic actions of the recipe (point redraws, loss-weight updates) keep
    happening, every ``EVERY`` steps, so the compiled loss sees changed points
    and weights; the rest of the recipe (network, point counts, constraints,
    embedding, causal weights, sampler...) is unchanged, so the compiled graphs
    are the recipe's own.
    """
    settings = {k: v for k, v in recipe.items() if k not in ("learner", "seed")}
    name = recipe.get("learner", "pinn")
    settings.update(adam_steps=ADAM_STEPS, compile=True, progress=False, checkpoint_dir=None, resume=False)
    # the float64 L-BFGS recompile doubles the compile time (~10 min on a cold cache for all recipes): it runs
    # when SCIML_RECIPE_SWEEP=full; by default the float32 Adam graph, where the issue-16 segfault was, is swept
    full = os.environ.get("SCIML_RECIPE_SWEEP", "adam") == "full"
    settings["lbfgs_iter"] = LBFGS_ITER if full and recipe.get("lbfgs_iter") != 0 else 0
    if recipe.get("resample_every"):
        settings["resample_every"] = EVERY
    if recipe.get("balancing"):
        settings["balance_every"] = EVERY
    if recipe.get("adaptive") == "aas":
        settings["aas_steps"] = min(recipe.get("aas_steps", AAS_STEPS), AAS_STEPS)
    return name, settings


class _DynamoLog(logging.Handler):
    """Keeps dynamo's warnings: hitting the recompile limit turns compilation off with a log line only."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run(job: dict[str, Any], factories: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Fit one job: its final loss, whether the loss stayed compiled, the graphs compiled for it."""
    from torch._dynamo.utils import counters

    from sciml import create_learner

    name, settings = tiny(job["recipe"])
    graphs = counters["stats"]["unique_graphs"]
    log = _DynamoLog()
    logging.getLogger("torch._dynamo").addHandler(log)
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            learner: Any = create_learner(name, seed=0, **settings).fit(factories[job["row"]]())
    finally:
        logging.getLogger("torch._dynamo").removeHandler(log)
    objective = learner.objective_
    return {"id": job["id"], "loss": learner.history_.loss[-1],
            # PINN-type objectives keep the compiled loss unless compilation failed and fell back to eager
            "compiled": getattr(objective, "compiles", False),
            "compile_warnings": [str(w.message) for w in caught if "torch.compile failed" in str(w.message)],
            "recompile_limit_hit": [m for m in log.messages if "recompile_limit" in m],
            "new_graphs": counters["stats"]["unique_graphs"] - graphs,
            "seconds": time.perf_counter() - t0}


def main(path: str) -> int:
    jobs = json.loads(Path(path).read_text())
    factories: dict[str, dict[str, Callable[[], Any]]] = {}
    for job in jobs:
        print(json.dumps({"start": job["id"]}), flush=True)
        try:
            suite = factories.setdefault(job["suite"], equation_factories(job["suite"]))
            out = run(job, suite)
        except Exception as exc:  # reported, so the other jobs of this child still run
            out = {"id": job["id"], "loss": math.nan, "error": f"{type(exc).__name__}: {exc}",
                   "trace": traceback.format_exc(limit=4)}
        print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
