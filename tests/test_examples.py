"""Every script in ``examples/`` runs end to end at its ``--quick`` budget and writes what it promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
OUTPUTS = {  # files each example must write (under results/examples/ of its working folder)
    "solve_burgers_pinn.py": ["burgers.nc", "burgers.png"],
    "lpinn_convection.py": ["convection_lpinn.png"],
    "pig_helmholtz.py": ["helmholtz_pig.png"],
    "export_paraview.py": ["lshape.vtu", "lshape.xdmf", "lshape.nc"],
    "generate_dataset.py": ["darcy.nc"],
    "deeponet_antiderivative.py": ["deeponet/meta.json", "deeponet/tensors.safetensors"],
    "mgno_darcy.py": ["fno_darcy/meta.json", "fno_darcy/tensors.safetensors"],
    "neural_preconditioner.py": ["linsys.nc", "linsys.png"],
    "learned_multigrid.py": ["learned_multigrid.nc", "learned_multigrid.png"],
    "own_pde.py": ["own_pde.nc", "own_pde.vtu", "own_pde.png"],
    "two_field_system.py": ["two_field_system.nc", "two_field_system.vtu", "two_field_system.png"],
}


def test_every_example_is_listed() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(OUTPUTS)


def run_example(name: str, cwd: Path) -> Path:
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2"), "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), "--quick"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    out = cwd / "results" / "examples"
    for rel in OUTPUTS[name]:
        assert (out / rel).is_file() and (out / rel).stat().st_size > 0, f"{name} did not write {rel}"
    return out


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_example_runs(name: str, tmp_path: Path) -> None:
    out = run_example(name, tmp_path)
    if name == "solve_burgers_pinn.py":
        ds = xr.load_dataset(out / "burgers.nc", engine="h5netcdf")
        assert np.isfinite(float(ds["metrics"].sel(learner="pinn", metric="relative_l2")))
    elif name == "own_pde.py":  # a spec no module knows: the generic reference, with its error estimate
        ds = xr.load_dataset(out / "own_pde.nc", engine="h5netcdf")
        assert ds["reference"].attrs["solver"] == "fd" and ds["reference"].attrs["error_estimate"] < 1e-3
    elif name == "two_field_system.py":  # a system no module knows: one variable per field in every file
        import meshio

        ds = xr.load_dataset(out / "two_field_system.nc", engine="h5netcdf")
        assert {"reference_T", "reference_c", "pinn_T", "pinn_c", "pinn_T_error"} <= set(ds.data_vars)
        assert ds["reference_T"].attrs["long_name"].startswith("temperature rise")
        assert ds["reference_c"].attrs["solver"] == "fd" and ds["reference_c"].attrs["error_estimate"] < 1e-3
        assert ds["metrics"].dims == ("learner", "field", "metric")
        point_data = meshio.read(out / "two_field_system.vtu").point_data
        assert {"reference_T", "reference_c", "pinn_T", "pinn_c"} <= set(point_data)
    elif name == "generate_dataset.py":
        from validation import datasets

        ds = datasets.load(out / "darcy.nc")  # manifest and checksums verified
        assert ds.sizes["sample"] == 40 and np.all(np.isfinite(ds["output"].values))
    elif name == "deeponet_antiderivative.py":
        assert json.loads((out / "deeponet" / "meta.json").read_text())
    elif name == "neural_preconditioner.py":
        ds = xr.load_dataset(out / "linsys.nc", engine="h5netcdf")
        assert bool(ds["converged"].all()), "every method must reach the tolerance on the quick system"
        assert np.all(ds["relative_residual"].values <= 1e-6)


def test_readme_shows_the_shortest_example_verbatim() -> None:
    readme = (EXAMPLES.parent / "README.md").read_text()
    bodies = {n: (EXAMPLES / n).read_text().split('"""', 2)[2].strip() for n in OUTPUTS}  # code after the docstring
    shortest = min(bodies, key=lambda n: len(bodies[n]))
    assert f"`examples/{shortest}`" in readme and f"```python\n{bodies[shortest]}\n```" in readme
