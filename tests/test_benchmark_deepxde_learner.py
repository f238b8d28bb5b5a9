"""The deepxde_learner benchmark: its quick run end to end, and its targets from given runs."""

from __future__ import annotations

import json
import math

import pytest
import torch

pytest.importorskip("deepxde", reason="the deepxde learner needs DeepXDE (the test extra)")

from validation.benchmarks import deepxde_learner as bench
from validation.benchmarks.summary import summarise


def test_quick_run_compares_both_learners_on_every_case(tmp_path, monkeypatch) -> None:
    out = tmp_path / "deepxde_learner.json"
    threads = torch.get_num_threads()
    assert bench.main(["--quick", "--seeds", "0", "--threads", "1", "--out", str(out)]) == 0
    assert torch.get_num_threads() == threads  # restored
    data = json.loads(out.read_text())
    assert data["benchmark"] == "deepxde_learner" and data["quick"] is True
    assert {(r["case"], r["learner"]) for r in data["runs"]} == {
        (case, learner) for case in bench.CASES for learner in bench.LEARNERS}
    for r in data["runs"]:
        assert 0 < r["relative_l2"] < 10 and r["steps_per_s"] > 0 and r["n_parameters"] > 0
        assert [s["stage"] for s in r["stages"]] == ["Adam", "LBFGS"] and r["stages"][1]["steps"] <= 10
        assert r["torch_threads"] == 1  # --threads, also after the references' numba kernels
    same = {r["learner"]: r["n_parameters"] for r in data["runs"] if r["case"] == "poisson_lshape"}
    assert same["deepxde"] == same["pinn"] == (2 * 50 + 50) + 3 * (50 * 50 + 50) + (50 + 1)  # one 4 x 50 network
    assert data["references"]["heat_source"]["solver"] == "fd" and "error_estimate" in data["references"]["heat_source"]
    assert data["references"]["poisson_lshape"]["solver"] == "multigrid"
    assert len(data["targets"]) == 2 * len(bench.CASES)  # no Burgers match at the quick budget
    for target in data["targets"]:
        assert set(target) == {"name", "measured", "target", "met", "command"}
        assert target["command"].startswith(bench.COMMAND + " --quick")
    text = (tmp_path / "deepxde_learner.md").read_text()
    assert all(f"| {case} | deepxde | 0 |" in text for case in bench.CASES)
    report = summarise("deepxde_learner", out, "")
    assert len(report.targets) == len(data["targets"]) and report.tables[0][1].rows

    def no_fit(*args, **kwargs):
        raise AssertionError("a finished seed was fitted again")

    monkeypatch.setattr(bench, "learners", no_fit)  # resumed: every seed is in the file already
    assert bench.main(["--quick", "--seeds", "0", "--threads", "1", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["runs"] == data["runs"]
    assert bench.main(["--quick", "--cases", "heat_source", "--seeds", "0", "--out", str(out)]) == 0
    narrower = json.loads(out.read_text())
    assert narrower["runs"] == data["runs"] and len(narrower["targets"]) == 2  # nothing dropped from the file
    with pytest.raises(AssertionError, match="fitted again"):  # --fresh starts over
        bench.main(["--quick", "--cases", "heat_source", "--seeds", "0", "--fresh", "--out", str(out)])


def test_targets_bound_each_case_and_match_the_hand_typed_burgers() -> None:
    runs = [{"case": "burgers", "learner": "deepxde", "seed": s, "relative_l2": e}
            for s, e in zip((0, 1, 2), (2.0e-2, 4.0e-3, 1.5e-2))]
    runs += [{"case": "burgers", "learner": "pinn", "seed": s, "relative_l2": 1e-3} for s in (0, 1, 2)]
    targets = bench.targets(runs, [0, 1, 2], quick=False, command="c")
    assert [t["met"] for t in targets] == [True, True, True]
    match = targets[-1]
    assert "hand-typed" in match["name"] and math.isclose(match["measured"], 1.5e-2 / 1.088e-2)
    runs[2]["relative_l2"] = 2.4e-2  # median 2.0e-2: 1.84x the hand-typed median, still within the factor 2
    assert bench.targets(runs, [0, 1, 2], quick=False, command="c")[-1]["met"] is True
    runs[1]["relative_l2"] = 2.3e-2  # median 2.3e-2: 2.1x
    last = bench.targets(runs, [0, 1, 2], quick=False, command="c")
    assert last[-1]["met"] is False and last[0]["met"] is True  # under the case bound 2.5e-2, off the match
    assert len(bench.targets(runs, [0, 1, 5], quick=False, command="c")) == 2  # no hand-typed number for seed 5
