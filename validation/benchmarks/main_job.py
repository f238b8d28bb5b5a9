"""The README's main job, timed as a user runs it: ``sciml compare burgers --learner pinn`` at the quick budget.

    python -m validation.benchmarks.main_job --seeds 0 1 2

Each seed runs the command in a fresh process (imports, numba JIT of the
reference, training, netCDF/PNG/VTU output all counted) and reads the relative
L2 error back from the netCDF file it wrote. Writes
``benchmarks/results/main_job.{json,md}``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import xarray as xr

from validation.benchmarks.report import machine, write_results

# the README promises "about a minute"; the bound on this 2-core machine
WALL_TARGET_S = 90.0
# what the quick budget is stated to reach on Burgers (README): a useful, not a benchmark-grade, accuracy
L2_TARGET = 1e-2


def run_once(seed: int, out: Path) -> dict[str, float | str]:
    """One run of the main job in a child process; wall time and the error it wrote."""
    argv = [sys.executable, "-m", "validation.cli", "compare", "burgers", "--learner", "pinn", "--seed", str(seed),
            "--no-progress", "--out", str(out)]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    with xr.open_dataset(out / "burgers.nc", engine="h5netcdf") as ds:
        l2 = float(ds["metrics"].sel(learner="pinn", metric="relative_l2"))
        training = str(ds.attrs.get("pinn_training", ""))
    return {"seed": seed, "wall_s": wall, "rel_l2": l2, "training": training, "stdout": done.stdout[-2000:]}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", default="benchmarks/results/main_job.json")
    args = parser.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:  # sequential: never timed side by side
            runs.append(run_once(seed, Path(tmp) / f"seed{seed}"))
            print(f"seed {seed}: {runs[-1]['wall_s']:.1f} s, relative L2 {runs[-1]['rel_l2']:.2e}", flush=True)
    walls = [float(r["wall_s"]) for r in runs]
    errors = [float(r["rel_l2"]) for r in runs]
    command = "python -m validation.benchmarks.main_job " + " ".join(["--seeds", *map(str, args.seeds)])
    job = "sciml compare burgers --learner pinn --out results/"
    targets = [
        {"name": f"wall time of `{job}` (median over seeds, fresh process)", "measured": statistics.median(walls),
         "target": WALL_TARGET_S, "met": max(walls) <= WALL_TARGET_S, "command": command},
        {"name": "relative L2 error of the quick budget on Burgers (worst seed)", "measured": max(errors),
         "target": L2_TARGET, "met": max(errors) <= L2_TARGET, "command": command},
    ]
    results = {"benchmark": "main_job", "machine": machine(), "job": job, "runs": runs, "targets": targets}
    lines = ["# The README main job (quick budget)", "", f"`{job}`, one fresh process per seed.", "",
             "| seed | wall [s] | rel. L2 | stages |", "|---|---|---|---|"]
    lines += [f"| {r['seed']} | {float(r['wall_s']):.1f} | {float(r['rel_l2']):.2e} | {r['training']} |" for r in runs]
    lines += ["", *(f"- {t['name']}: {t['measured']:.3g} (target {t['target']:g}): "
                    f"{'met' if t['met'] else 'missed'}" for t in targets), "", f"Reproduce: `{command}`"]
    write_results(args.out, results, "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
