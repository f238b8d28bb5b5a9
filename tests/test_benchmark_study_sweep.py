"""The study-sweep benchmark at its quick budget: a TOML study of Burgers' viscosity x 2 seeds x {PINN, DeepXDE}
on a 2-worker LocalCluster, killed half-way by SIGKILL, resumed without redoing finished runs, one Dataset, a
report page."""

from __future__ import annotations

import json
from pathlib import Path

from validation.benchmarks import study_sweep


def test_the_quick_sweep_is_killed_half_way_and_resumes_without_redoing_a_run(tmp_path: Path) -> None:
    out = tmp_path / "study_sweep.json"
    assert study_sweep.main(["--quick", "--out", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["runs_total"] == 8 and 4 <= r["finished_before_kill"] < 8
    assert r["reused_after_kill"] == r["finished_before_kill"] and r["rewritten_after_kill"] == 0
    assert r["dims"] == {"nu": 2, "seed": 2, "learner": 2} and r["failed"] == 0
    assert set(r["relative_l2"]) == {"pinn", "deepxde"}
    assert all(0 < v < 10 for by in r["relative_l2"].values() for vs in by.values() for v in vs)
    assert [t["met"] for t in r["targets"]] == [True] * 4
    assert all(set(t) == {"name", "measured", "target", "met", "command"} for t in r["targets"])
    page = Path(r["report"])
    assert "| nu=0.05 | deepxde |" in page.read_text() and page.with_suffix(".png").stat().st_size > 0
