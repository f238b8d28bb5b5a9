r"""A study run from one TOML file on a 2-worker Dask LocalCluster, killed half-way and resumed (issue 24).

The study (default ``examples/studies/burgers_viscosity.toml``: Burgers'
viscosity at 0.5, 1 and 2 times 0.01/pi x seeds 0, 1, 2 x {toolkit PINN,
DeepXDE}, each at its quick budget, against the Cole--Hopf reference) is
started from scratch as ``sciml run <file>`` in its own process group; once
half of its runs are written the whole group (client, scheduler, workers) is
killed with SIGKILL, and the study is run again with
:func:`validation.run_study`. Measured: how many runs had finished, how many
the second run reused and whether any finished run was written again (file
modification times), the gathered Dataset's dimensions, each learner's
errors; the study's report page is written beside the results::

    python -m validation.benchmarks.study_sweep
    python -m validation.benchmarks.study_sweep --quick      # a tiny study, seconds per run
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np

from validation.benchmarks import summary
from validation.benchmarks.suite import SUITES, Suite

COMMAND = "python -m validation.benchmarks.study_sweep"
STUDY = Path(__file__).resolve().parents[2] / "examples" / "studies" / "burgers_viscosity.toml"
TINY_PINN = "{ adam_steps = 15, lbfgs_iter = 0, n_residual = 64, n_boundary = 16, n_initial = 16 }"
TINY_DEEPXDE = ("{ hidden = [8, 8], adam_steps = 15, lbfgs_iter = 0, num_domain = 64, num_boundary = 16, "
                "num_initial = 16 }")


def quick_study(folder: Path) -> Path:
    """A tiny study of the same shape (2 viscosities x 2 seeds x {PINN, DeepXDE}) written into ``folder``."""
    from sciml.core.atomic import atomic_write_bytes

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "burgers_viscosity_quick.toml"
    text = textwrap.dedent(f"""\
        name = "burgers_viscosity_quick"

        [equation]
        name = "burgers"

        [reference]
        resolution = [24, 9]

        [learners.pinn]
        options = {TINY_PINN}

        [learners.deepxde]
        options = {TINY_DEEPXDE}

        [run]
        seeds = [0, 1]
        workers = 2

        [sweep]
        parameters = {{ nu = [0.02, 0.05] }}

        [output]
        folder = "{folder / 'study'}"
        """)
    atomic_write_bytes(path, text.encode())
    return path


def kill_half_way(path: Path, total: int, timeout: float) -> tuple[dict[Path, int], float]:
    """Start ``sciml run path``, SIGKILL its process group once half the runs are written; the runs and seconds."""
    from validation.studies import parse_study

    runs = parse_study(path).folder.resolve() / "runs"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "validation.cli", "run", str(path), "--no-progress"], env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < timeout and proc.poll() is None:
            if len(list(runs.glob("*.nc"))) >= total // 2:
                break
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return {p: p.stat().st_mtime_ns for p in runs.glob("*.nc")}, time.perf_counter() - start


def measure(path: Path, report: Path, timeout: float) -> dict[str, Any]:
    """Run the study from scratch, kill it half-way, resume it, and check what was redone."""
    from validation.studies import parse_study, run_study
    from validation.studies.report import write_report
    from validation.studies.runner import plan

    study = parse_study(path)
    shutil.rmtree(study.folder, ignore_errors=True)  # from scratch: the kill must land on a fresh study
    total = len(plan(study).fits)
    finished, killed_s = kill_half_way(path, total, timeout)
    start = time.perf_counter()
    ds = run_study(study, progress=False)
    resume_s = time.perf_counter() - start
    rewritten = sum(p.stat().st_mtime_ns != t for p, t in finished.items())
    page = write_report(study.folder / f"{study.name}.nc", report)
    err = ds["metrics"].sel(metric="relative_l2")
    swept = [str(d) for d in err.dims if d not in ("seed", "learner")]
    errors = {str(label): {f"{d}={v}": [float(x) for x in err.sel(learner=label, **{d: v}).values.ravel()]
                           for d in swept for v in ds[d].values} for label in ds["learner"].values}
    wall = ds["metrics"].sel(metric="wall_time_s")
    shown = path.resolve().relative_to(Path.cwd()) if path.resolve().is_relative_to(Path.cwd()) else path
    return {"study_file": str(shown), "study": study.text, "runs_total": total, "finished_before_kill": len(finished),
            "killed_after_s": killed_s, "reused_after_kill": int(ds.attrs["runs_reused"]),
            "rewritten_after_kill": int(rewritten), "resume_s": resume_s,
            "dims": {str(k): int(v) for k, v in err.sizes.items()},
            "failed": int((ds["failed"] != "").sum()), "relative_l2": errors,
            "fit_s_median": {str(label): float(np.nanmedian(wall.sel(learner=label)))
                             for label in ds["learner"].values},
            "report": str(page)}


def targets(r: dict[str, Any], command: str) -> list[dict[str, Any]]:
    """What the issue asks of the sweep: killed half-way, nothing redone, one Dataset, a report page."""
    share = r["finished_before_kill"] / r["runs_total"]
    dims = " x ".join(f"{k} {v}" for k, v in r["dims"].items())
    return [
        {"name": "killed half-way: share of the runs finished at the kill", "measured": share,
         "target": "0 < share < 1", "met": bool(0 < share < 1), "command": command},
        {"name": "finished runs written again after the kill (resume)", "measured": r["rewritten_after_kill"],
         "target": "0, and every finished run reused",
         "met": bool(r["rewritten_after_kill"] == 0 and r["reused_after_kill"] == r["finished_before_kill"]),
         "command": command},
        {"name": f"one Dataset over the swept quantity, seed and learner ({dims}), no run failed",
         "measured": r["failed"], "target": "0 failed runs", "met": bool(r["failed"] == 0), "command": command},
        {"name": "report page with the error against the swept quantity", "measured": r["report"],
         "target": "written", "met": bool(Path(r["report"]).is_file() and Path(r["report"]).with_suffix(".png")
                                          .is_file()), "command": command},
    ]


def markdown(results: dict[str, Any]) -> str:
    r = results
    m = r["machine"]
    lines = ["# A study killed half-way and resumed", "",
             f"Machine: {m['cpu']}, {m['cores']} cores. Study `{r['study_file']}`: {r['runs_total']} runs on a "
             f"2-worker LocalCluster; killed after {r['killed_after_s']:.0f} s with {r['finished_before_kill']} "
             f"finished; the resume reused {r['reused_after_kill']}, wrote {r['rewritten_after_kill']} of them again, "
             f"and took {r['resume_s']:.0f} s.", "",
             "| learner | point | relative L2 per seed | median fit [s] |", "|---|---|---|---|"]
    for label, by in r["relative_l2"].items():
        for point, values in by.items():
            lines.append(f"| {label} | {point} | {', '.join(f'{v:.2e}' for v in values)} | "
                         f"{r['fit_s_median'][label]:.0f} |")
    lines += ["", f"Report page: `{r['report']}`", "", "## Targets", ""]
    lines += [f"- {t['name']}: {t['measured']} (target {t['target']}): **{'met' if t['met'] else 'NOT met'}**"
              for t in r["targets"]]
    return "\n".join([*lines, "", f"Command: `{r['command']}`", ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tiny study of the same shape")
    parser.add_argument("--study", type=Path, default=None, help=f"the study file (default {STUDY})")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for half the runs")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/study_sweep.json"))
    args = parser.parse_args(argv)
    from validation.benchmarks.report import machine, write_results

    path = args.study or (quick_study(args.out.parent / "study_sweep_quick") if args.quick else STUDY)
    command = COMMAND + (" --quick" if args.quick else "")
    r = measure(path, args.out.with_name(args.out.stem + "_report.md"), args.timeout)
    results = {"benchmark": "study_sweep", "machine": machine(), "command": command, **r}
    results["targets"] = targets(r, command)
    write_results(args.out, results, markdown(results))
    return 0


def summarise(d: dict[str, Any], s: summary.Summary) -> None:
    """Per learner and sweep point: the errors over the seeds; the kill-and-resume targets."""
    rows = [(label, point, ", ".join(f"{v:.2e}" for v in values))
            for label, by in d["relative_l2"].items() for point, values in by.items()]
    s.tables.append((f"{d['runs_total']} runs from {Path(d['study_file']).name}, killed with "
                     f"{d['finished_before_kill']} finished, resumed",
                     summary.Table(("learner", "point", "relative L2 per seed"), rows)))
    summary.add_targets(d, s, "{}")
    figure = s.source.with_name(s.source.stem + "_report.png")
    if figure.is_file():
        s.figures.append(figure)


SUITES.register("study_sweep", Suite("study_sweep", "Studies: a TOML sweep on Dask, killed and resumed", summarise,
                                     quick=("--quick",)))

if __name__ == "__main__":
    raise SystemExit(main())
