"""The neural-preconditioner suite: its targets are computed from the rows as the issue states them."""

from __future__ import annotations

from typing import Any

from validation.benchmarks import neural_preconditioners as bench


def _row(family: str, layout: str, n: int, method: str, iterations: int, wall: float,
         converged: bool = True) -> dict[str, Any]:
    return {"family": family, "layout": layout, "n": n, "method": method, "iterations": iterations,
            "wall_time_s": wall, "setup_time_s": 0.0, "solve_time_s": wall, "network_time_s": 0.0,
            "relative_residual": 1e-7, "converged": converged}


def _results(new_its: dict[int, int], new_converged: bool = True) -> dict[str, Any]:
    rows = []
    family, layout = bench.TEST[2][0], bench.TEST[2][1]  # a Darcy family: the geometric multigrid target applies
    for n, it in new_its.items():
        rows += [_row(family, layout, n, bench.NEW, it, 0.1 * n / 64, new_converged or n != 256),
                 _row(family, layout, n, "ic0", 10 * it, 0.2 * n / 64),
                 _row(family, layout, n, "multigrid", 2 * it, 0.1)]
    return {"rows": rows, "sizes": sorted(new_its)}


def test_targets_met_when_the_rows_meet_them() -> None:
    targets = {t["name"].split(" (")[0].split(" /")[0]: t for t in bench.targets(_results({64: 10, 128: 11, 256: 12}))}
    assert all(t["met"] for t in targets.values())
    assert targets["iterations"]["measured"] == 0.1
    assert next(t for t in targets.values() if "growth" in t["name"])["measured"] == 1.2
    assert all(set(t) == {"name", "measured", "target", "met", "command"} for t in targets.values())


def test_targets_missed_on_growth_and_a_cap_hit() -> None:
    targets = bench.targets(_results({64: 10, 128: 14, 256: 20}, new_converged=False))
    met = {t["name"]: t["met"] for t in targets}
    assert [m for name, m in met.items() if "growth" in name] == [False]
    assert [m for name, m in met.items() if "converges" in name] == [False]
    assert [m for name, m in met.items() if "IC(0)" in name and "iterations" in name] == [True]
