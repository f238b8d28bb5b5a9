"""The high-dimensional Deep Ritz / PINN suite (validation.benchmarks.variational_high_d) at its quick budget."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from validation.benchmarks import variational_high_d as vhd
from validation.benchmarks.suite import SUITES
from validation.benchmarks.summary import summarise


def test_loglog_fit_recovers_a_power_law_and_tells_it_from_an_exponential() -> None:
    ds = [2, 5, 10, 20]
    power = vhd.loglog_fit(ds, [3.0 * d**1.5 for d in ds])
    assert power["exponent"] == pytest.approx(1.5) and power["rms_log_residual"] < 1e-12
    assert power["exponential_rms_log_residual"] > 0.1
    exponential = vhd.loglog_fit(ds, [math.exp(0.4 * d) for d in ds])
    assert exponential["exponential_rms_log_residual"] < 1e-12 and exponential["rms_log_residual"] > 0.3


def test_width_search_takes_the_smallest_width_and_flags_a_missed_dimension() -> None:
    def row(kind: str, d: int, m: int, err: float) -> dict:
        return {"learner": kind, "profile": "sum", "d": d, "seed": 0, "hidden": [m], "centred_l2": err,
                "time_s": float(d), "n_parameters": m * (d + 2) + 1}

    # reached at width 16 (d = 2), 16 (5), 32 (10): 8 misses; a larger width also reaching does not count;
    # at d = 20 no width reaches it
    rows = [row("a", 2, 8, 0.9), row("a", 2, 16, 0.4), row("a", 2, 32, 0.3),
            row("a", 5, 8, 0.6), row("a", 5, 16, 0.45), row("a", 5, 32, 0.7),
            row("a", 10, 8, 0.8), row("a", 10, 16, 0.6), row("a", 10, 32, 0.5),
            row("a", 20, 8, 0.9), row("a", 20, 16, 0.8), row("a", 20, 32, 0.7)]
    (series,) = vhd.width_fits(rows, [2, 5, 10, 20], [8, 16, 32], 0.5)
    assert [p.get("width") for p in series["points"]] == [16, 16, 32, None]
    assert series["reached_at"] == [2, 5, 10] and series["missed_at"] == [20]
    assert series["points"][3]["best_width"] == 32
    params = [16 * 4 + 1, 16 * 7 + 1, 32 * 12 + 1]
    assert series["params_fit"]["exponent"] == pytest.approx(np.polyfit(np.log([2, 5, 10]), np.log(params), 1)[0])
    assert vhd._verdict(series, "params")[0] is False  # missed at d = 20: growth not shown polynomial


def test_quick_run_writes_rows_baselines_fits_targets_and_plot(tmp_path: Path) -> None:
    out = tmp_path / "vhd.json"
    threads = torch.get_num_threads()
    assert vhd.main(["--quick", "--out", str(out)]) == 0
    assert torch.get_num_threads() == threads  # restored after the one-thread run
    data = json.loads(out.read_text())
    assert data["benchmark"] == "variational_high_d" and data["torch_threads"] == 1 and data["steps"] == 30
    assert data["dims"] == [2, 5] and data["seeds"] == [0] and data["widths"] == [8, 16]
    rows = data["rows"]
    assert {(r["learner"], r["profile"], r["d"]) for r in rows} == {
        (k, p, d) for k in vhd.LEARNERS for p in vhd.PROFILES for d in (2, 5)}
    for r in rows:
        assert math.isfinite(r["relative_l2"]) and math.isfinite(r["centred_l2"]) and r["time_s"] > 0
        assert r["relative_l2"] < 2.0 and r["hidden"] == list(vhd.HIDDEN)
    # the first layer has d inputs: 64 more weights per dimension, the rest of the network unchanged
    size = {r["d"]: r["n_parameters"] for r in rows}
    assert size[5] - size[2] == 64 * 3
    for profile in vhd.PROFILES:
        base = data["baselines"][profile]["2"]
        assert 0 < base["constant_relative_l2"] < 1
        ritz = next(r for r in rows if (r["learner"], r["profile"], r["d"]) == ("deep_ritz", profile, 2))
        assert ritz["relative_l2"] < min(base["untrained_relative_l2"])  # 30 steps beat the untrained network
    # the best constant's error is the centred error's unit
    u = vhd.exact_values(__import__("equations").create("semilinear_nd", d=5, profile="sum"), vhd.test_points(5))
    assert vhd.errors(np.full_like(u, u.mean()), u) == pytest.approx(
        (data["baselines"]["sum"]["5"]["constant_relative_l2"], 1.0))

    widths = data["width_rows"]
    assert {(r["learner"], r["profile"], r["d"], r["hidden"][0]) for r in widths} == {
        (k, p, d, m) for k in vhd.LEARNERS for p in vhd.WIDTH_PROFILES for d in (2, 5) for m in (8, 16)}
    assert len(data["fits"]) == len(vhd.LEARNERS) * len(vhd.WIDTH_PROFILES)
    fitted = [s for s in data["fits"] if s["reached_at"] == [2, 5]]
    assert fitted  # the quick target (5) is loose enough to be reached
    for s in fitted:
        p2, p5 = (p["n_parameters"] for p in s["points"])
        assert s["params_fit"]["exponent"] == pytest.approx(math.log(p5 / p2) / math.log(2.5))
        assert math.isfinite(s["time_fit"]["exponent"])

    targets = data["targets"]
    assert all(set(t) == {"name", "measured", "target", "met", "command"} for t in targets)
    assert all(isinstance(t["met"], bool) and t["command"].endswith("--quick") for t in targets)
    l2 = [t for t in targets if "relative L2 at d=5" in t["name"]]
    assert len(l2) == len(vhd.LEARNERS) * len(vhd.PROFILES)
    assert sum("fitted exponent" in t["name"] for t in targets) == 2 * len(data["fits"])
    md = out.with_suffix(".md").read_text()
    assert md.count("| deep_ritz |") >= 2 * len(vhd.PROFILES) and "## Targets" in md
    assert out.with_suffix(".png").read_bytes().startswith(b"\x89PNG")

    s = summarise("variational_high_d", out, data["command"])  # the report reads it
    assert len(s.tables) == 3 and len(s.targets) == len(targets)
    assert SUITES.get("variational_high_d").args("quick") == ["--quick"]

    # a second run resumes: finished rows are kept, not redone
    stamp = [r["time_s"] for r in rows]
    assert vhd.main(["--quick", "--out", str(out)]) == 0
    assert [r["time_s"] for r in json.loads(out.read_text())["rows"]] == stamp
