"""The adaptive-sampling suite (validation.benchmarks.aas_sampling) end to end at its quick budget."""

from __future__ import annotations

import json
import math

import torch

from validation.benchmarks import aas_sampling
from validation.benchmarks.suite import SUITES


def test_equal_points_and_steps_across_strategies() -> None:
    for key, problem in aas_sampling.PROBLEMS.items():
        recipes = {s: aas_sampling.settings(problem, s) for s in aas_sampling.STRATEGIES}
        assert len({r["adam_steps"] for r in recipes.values()}) == 1, key
        n = recipes["uniform"]["n_residual"]
        rar = recipes["rar"]
        redraws = (rar["adam_steps"] - 1) // rar["resample_every"]
        assert rar["n_residual"] + redraws * rar["rar_points"] == n  # RAR ends with everyone's point count
        assert {r["adaptive"] for r in recipes.values()} == {None, "rad", "rar", "aas"}


def test_quick_run_writes_errors_and_both_targets(tmp_path) -> None:
    out = tmp_path / "aas.json"
    threads = torch.get_num_threads()
    assert aas_sampling.main(["--budget", "quick", "--seeds", "0", "--out", str(out)]) == 0
    assert torch.get_num_threads() == threads  # restored
    data = json.loads(out.read_text())
    assert data["benchmark"] == "aas_sampling" and data["budget"] == "quick"
    assert len(data["runs"]) == len(aas_sampling.PROBLEMS) * len(aas_sampling.STRATEGIES)
    for run in data["runs"]:
        assert "failed" not in run, run
        expected = set(aas_sampling.PROBLEMS[run["problem"]].metrics)
        assert set(run["relative_l2"]) == expected and all(math.isfinite(e) for e in run["relative_l2"].values())
    names = [t["name"] for t in data["targets"]]
    assert len(names) == 2 and "on the peak problem" in names[0] and "in 10 dimensions" in names[1]
    for t in data["targets"]:
        assert set(t) == {"name", "measured", "target", "met", "command"}
        assert math.isfinite(t["measured"]) and t["met"] is (t["measured"] < 1)
    assert (tmp_path / "aas.md").read_text().count("| aas |") >= 3
    assert SUITES.get("aas_sampling").args("quick")[:2] == ["--budget", "quick"]
