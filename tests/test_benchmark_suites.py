"""Benchmark suites of issues 19 and 20: their measures and quick runs end to end."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from equations import LidDrivenCavity
from validation.benchmarks import systems


def test_errors_per_field_and_derived() -> None:
    """Exact values score 0; a shifted pressure scores 0 (up to a constant); a doubled velocity scores 1."""
    eq = LidDrivenCavity()
    rng = np.random.default_rng(0)
    exact = {name: rng.normal(size=(5, 5)) for name in ("u", "v", "p")}
    assert systems.errors(eq, exact, exact, "velocity magnitude") == {
        "u": 0.0, "v": 0.0, "p": 0.0, "velocity magnitude": 0.0}
    shifted = {**exact, "p": exact["p"] + 3.0}
    assert systems.errors(eq, shifted, exact, "")["p"] < 1e-12
    doubled = {**exact, "u": 2 * exact["u"], "v": 2 * exact["v"]}
    got = systems.errors(eq, doubled, exact, "velocity magnitude")
    assert math.isclose(got["u"], 1.0) and math.isclose(got["v"], 1.0)
    assert math.isclose(got["velocity magnitude"], 1.0)


def test_quick_run_writes_fields_and_targets(tmp_path) -> None:
    """Gray-Scott at the quick budget: errors of both fields, one target entry in the agreed schema."""
    out = tmp_path / "systems.json"
    threads = torch.get_num_threads()  # main sets the benchmark's thread count: keep the suite's
    try:
        assert systems.main(["--cases", "gray_scott", "--budget", "quick", "--threads", str(threads),
                             "--out", str(out)]) == 0
    finally:
        torch.set_num_threads(threads)
    data = json.loads(out.read_text())
    (run,) = data["runs"]
    assert set(run["relative_l2"]) == {"u", "v"}
    assert all(0 < e < 10 for e in run["relative_l2"].values())
    (target,) = data["targets"]
    assert set(target) == {"name", "measured", "target", "met", "command"}
    assert target["measured"] == max(run["relative_l2"].values())
    assert target["met"] is (target["measured"] <= systems.OWN_BAR)
    assert (tmp_path / "systems.md").read_text().count("gray_scott") >= 2


def test_pig_speed_benchmark_measures_both_implementations(tmp_path) -> None:
    """The PIG speed suite times the previous and the current sums on one objective and states the target."""
    from validation.benchmarks import hard_cases_pig_speed

    out = tmp_path / "speed.json"
    threads = torch.get_num_threads()
    assert hard_cases_pig_speed.main(["--threads", str(threads), "--repeats", "1", "--steps", "2",
                                      "--out", str(out)]) == 0
    assert torch.get_num_threads() == threads  # restored
    data = json.loads(out.read_text())
    (run,) = data["runs"]
    assert run["median_steps_per_s"]["previous"] > 0 and run["median_steps_per_s"]["current"] > 0
    (target,) = data["targets"]
    assert target["met"] is (target["measured"] >= hard_cases_pig_speed.TARGET_RATIO)
    # the switch is undone: the learner uses the current sums again
    import sciml.field.gaussians as gaussians
    assert gaussians.gaussian_sums is not hard_cases_pig_speed.previous_sums


def test_allen_cahn_targets_pick_the_best_recipe_in_budget() -> None:
    """The CPU target reads only recipes whose every seed trained within the budget; failed seeds disqualify."""
    from validation.benchmarks import hard_cases_allen_cahn as ac

    def run(column: str, seed: int, err: float, wall: float) -> dict:
        return {"row": "allen_cahn", "column": column, "seed": seed, "rel_l2": err, "wall_s": wall}

    runs = [run("fast", s, e, 300.0) for s, e in enumerate((2e-3, 4e-3, 3e-3))]
    runs += [run("slow", s, e, 2000.0) for s, e in enumerate((5e-5, 8e-5, 2e-4))]
    runs += [run("broken", 0, 1e-6, 10.0), run("broken", 1, math.nan, 10.0)]
    cpu, any_budget = ac.targets(runs, "cmd")
    assert "fast" in cpu["name"] and cpu["measured"] == 3e-3 and cpu["met"] is False
    assert "slow" in any_budget["name"] and any_budget["measured"] == 8e-5 and any_budget["met"] is True
    assert cpu["command"].endswith("--columns fast --seeds 0 1 2")
    assert any_budget["command"].endswith("--columns slow --seeds 0 1 2")


def test_allen_cahn_suite_runs_end_to_end(tmp_path) -> None:
    """The smoke budget of the time-marching recipe: one finite error against ETDRK4 and both targets."""
    from validation.benchmarks import hard_cases_allen_cahn as ac

    out = tmp_path / "ac.json"
    assert ac.main(["--smoke", "--seeds", "0", "--columns", "marching", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    (run,) = data["runs"]
    assert "failed" not in run and 0 < run["rel_l2"] < 10
    assert [s["window"] for s in run["stages"]] == [k for k in range(10) for _ in range(2)]
    assert len(data["targets"]) == 2 and data["recipes"]["allen_cahn"]["marching"]["time_windows"] == 10


def test_pinn_speed_benchmark_times_deepxde_and_the_toolkit(tmp_path) -> None:
    """Both loops run on DeepXDE's own points; the target is the eager ratio, in the agreed schema."""
    pytest.importorskip("deepxde", reason="DeepXDE is the peer of this benchmark (the bench extra)")
    from validation.benchmarks import pinn_step_speed

    out = tmp_path / "pinn_speed.json"
    threads = torch.get_num_threads()
    assert pinn_step_speed.main(["--threads", str(threads), "--repeats", "1", "--steps", "3", "--skip-compiled",
                                 "--out", str(out)]) == 0
    assert torch.get_num_threads() == threads
    data = json.loads(out.read_text())
    (run,) = data["runs"]
    rates = run["median_steps_per_s"]
    assert rates["deepxde"] > 0 and rates["eager"] > 0 and "compiled" not in run
    (target,) = data["targets"]
    assert set(target) == {"name", "measured", "target", "met", "command"}
    assert math.isclose(target["measured"], rates["eager"] / rates["deepxde"])
    assert target["met"] is (target["measured"] >= pinn_step_speed.TARGET_RATIO)


def test_parameter_sweep_rows_cover_each_value_and_plot(tmp_path) -> None:
    """A factor of 5 either side of each benchmark value, equations built with the swept value; the plot is drawn."""
    from validation.benchmarks import parameter_sweeps as ps

    rows = {r.key: r for r in ps._rows()}
    for sweep in ps.SWEEPS:
        low, mid, high = sweep.values()
        assert math.isclose(high / mid, 5.0, rel_tol=0.3) and math.isclose(mid / low, 5.0, rel_tol=0.3)
        eq = rows[ps.row_key(sweep, high)].equation()
        assert math.isclose(float(getattr(eq, sweep.parameter)), high)
    out = tmp_path / "sweeps.json"
    assert ps.main(["--smoke", "--seeds", "0", "--rows", "reaction:rho=1", "--out", str(out)]) == 0
    (run,) = json.loads(out.read_text())["runs"]
    assert run["column"] == "pinn" and math.isfinite(run["rel_l2"])
    assert (tmp_path / "sweeps.png").stat().st_size > 1000
