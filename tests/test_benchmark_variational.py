"""The variational benchmark suite at its smoke budget: references, learners, the energy check, targets, resume."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from validation.benchmarks import variational


def test_the_smoke_run_writes_references_runs_and_one_ritz_target_per_case(tmp_path: Path) -> None:
    out = tmp_path / "variational.json"
    assert variational.main(["--smoke", "--cases", "p=3", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    ref = results["references"]["p=3"]
    assert ref["sizes"] == [17, 33] and ref["orders"][0] == pytest.approx(2.25, abs=0.2)  # Newton vs u*
    runs = results["runs"]
    assert {(r["learner"], r["seed"]) for r in runs} == {("deep_ritz", 0), ("pinn", 0)}
    for r in runs:
        assert 0 < r["relative_l2"] < 1.5 and np.isfinite(r["relative_h1"])
        # the reference minimises E_h: any other function with its boundary values has more energy
        assert r["energy"] > r["reference_energy"]
    names = [t["name"] for t in results["targets"]]
    assert sum(n.startswith("ritz p=3") for n in names) == 1
    assert any(n.startswith("newton reference p=3") for n in names) and any("energy check" in n for n in names)
    assert all(set(t) == {"name", "measured", "target", "met", "command"} for t in results["targets"])
    ritz = next(t for t in results["targets"] if t["name"].startswith("ritz"))
    assert ritz["met"] is False  # 40 Adam steps do not reach 1e-2: the target can fail
    assert out.with_suffix(".md").read_text().count("| p=3 |") == 3

    # a second run resumes: the finished runs are kept, not redone
    stamp = [r["time_s"] for r in runs]
    assert variational.main(["--smoke", "--cases", "p=3", "--out", str(out)]) == 0
    assert [r["time_s"] for r in json.loads(out.read_text())["runs"]] == stamp
