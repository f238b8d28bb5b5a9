"""The PROSE benchmark at its quick budget: every model, every measurement, the targets, resume; the scoring."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from validation.benchmarks import prose
from validation.datasets import make
from validation.datasets.prose_odes import systems, unpack


def test_the_quick_run_measures_every_model_and_writes_the_targets(tmp_path: Path) -> None:
    out = tmp_path / "prose.json"
    assert prose.main(["--quick", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    runs = results["runs"]
    assert {r["model"] for r in runs} == set(prose.MODELS)
    main = [r for r in runs if r["n_train"] == results["n_train"]]
    for r in main:
        assert 0 < r["test_l2"] < 10 and set(r["noise_l2"]) == {"0.01", "0.05"}
    assert set(next(r for r in main if r["model"] == "prose")["symbol_error_l2"]) == set(prose.SYMBOL_ERRORS)
    assert any(r["n_train"] < results["n_train"] for r in runs)  # a scaling run
    names = [t["name"] for t in results["targets"]]
    assert names[0].startswith("multimodal") and len(names) >= 4
    assert all(set(t) == {"name", "measured", "target", "met", "command"} for t in results["targets"])
    parse = next(t for t in results["targets"] if "parse" in t["name"])
    assert parse["met"] is False  # 20 steps do not write equations: the target can fail
    assert out.with_suffix(".png").exists() and "| prose |" in out.with_suffix(".md").read_text()

    stamp = [r["fit_s"] for r in runs]
    assert prose.main(["--quick", "--out", str(out)]) == 0  # resumes: nothing is refitted
    assert [r["fit_s"] for r in json.loads(out.read_text())["runs"]] == stamp
    assert prose.main(["--quick", "--report-only", "--out", str(out)]) == 0  # a report of what is there
    again = json.loads(out.read_text())
    assert [r["fit_s"] for r in again["runs"]] == stamp and again["targets"] == results["targets"]


class _Oracle:
    """A model that 'generates' the true equations, or nothing parsable."""

    def __init__(self, truth: list, broken: set[int]):
        self.truth, self.broken = truth, broken

    def generate(self, ds: object) -> list:
        return [None if i in self.broken else s for i, s in enumerate(self.truth)]


def test_integrating_the_true_equations_reproduces_the_data_and_unparsed_ones_count_as_failures() -> None:
    raw = make("prose_odes", 8, seed=3)
    scores = prose.symbolic(_Oracle(systems(raw), {5}), unpack(raw))
    assert scores["parsed"] == 7 / 8 and scores["integrated"] == 7 / 8
    assert scores["trajectory_l2_median"] < 1e-8 and scores["trajectory_l2_below_0.05"] == 7 / 8
    wrong = prose._wrong_symbols(unpack(raw), "add_term", np.random.default_rng(0))
    given = prose.integrated_errors(prose.given_systems(wrong), wrong)
    assert np.median(given) > 1e-3  # a term added changes the trajectory


def test_relative_errors_are_per_sample() -> None:
    truth = np.ones((2, 4, 3))
    pred = truth.copy()
    pred[1] *= 1.1
    np.testing.assert_allclose(prose.relative_errors(pred, truth), [0.0, 0.1])


def test_a_checkpoint_keeps_the_runs_another_process_wrote_and_plans_split_the_work(tmp_path: Path) -> None:
    out = tmp_path / "prose.json"
    row = {"model": "prose", "seed": 0, "width": 16, "n_train": 24, "fit_s": 1.0}
    other = {**row, "seed": 1, "fit_s": 2.0}
    out.write_text(json.dumps({"n_train": 48, "steps": 20, "runs": [other, row]}))
    merged = prose._merged_runs(out, [row], 48, 20)
    assert merged == [row, other]  # the other process's run kept, this one not repeated
    assert prose._merged_runs(out, [row], 4000, None) == [row]  # another budget's file: nothing taken from it
    main = prose._plan(prose.QUICK, list(prose.MODELS), "main")
    scaling = prose._plan(prose.QUICK, list(prose.MODELS), "scaling")
    assert main and scaling and not set(main) & set(scaling)
    assert prose._plan(prose.QUICK, list(prose.MODELS), "all") == main + scaling
