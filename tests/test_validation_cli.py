"""The sciml command line: list, compare, and one clear line for bad input."""

import subprocess
import sys

import meshio
import numpy as np
import pytest
import xarray as xr

from equations import InvalidParameterError
from validation.cli import main


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "burgers" in out and "pinn" in out and "poisson_lshape" in out


def test_compare_writes_files_and_table(tmp_path, capsys):
    code = main(["compare", "poisson", "--resolution", "17", "17", "--set", "adam_steps=50",
                 "--set", "lbfgs_iter=10", "--set", "hidden=[8,8]", "--set", "n_residual=100",
                 "--no-progress", "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "rel. L2" in out and "pinn" in out
    ds = xr.open_dataset(tmp_path / "poisson.nc", engine="h5netcdf").load()
    assert ds["pinn"].shape == (17, 17)
    # the file holds the closed-form reference, the learner's own error and metrics that agree with both
    x, y = np.meshgrid(ds["x"].values, ds["y"].values, indexing="ij")
    np.testing.assert_allclose(ds["reference"].values, np.sin(np.pi * x) * np.sin(np.pi * y), atol=1e-12)
    np.testing.assert_allclose(ds["pinn_error"].values, ds["pinn"].values - ds["reference"].values)
    l2 = np.linalg.norm(ds["pinn_error"].values) / np.linalg.norm(ds["reference"].values)
    assert float(ds["metrics"].sel(learner="pinn", metric="relative_l2")) == pytest.approx(l2)
    assert f"{l2:.3e}" in out  # the printed table shows the same number
    mesh = meshio.read(tmp_path / "poisson.vtu")
    np.testing.assert_allclose(mesh.point_data["pinn"], ds["pinn"].values.ravel())
    assert (tmp_path / "poisson.png").read_bytes()[:4] == b"\x89PNG"
    # how each stage ended is printed and stored (the quick budget's Adam stage ran its 50 explicit steps)
    assert "pinn (quick budget) Adam: 50 steps in" in out and "stop: budget" in out
    assert ds.attrs["pinn_training"].startswith("Adam: 50 steps in")


def test_budget_presets_and_overrides():
    from sciml import PINN, create_learner

    quick = create_learner("pinn", budget="quick")
    settings = {**quick.config("optimiser").given(), **quick.config("collocation").given()}
    assert {k: settings[k] for k in PINN.budgets["quick"]} == PINN.budgets["quick"]
    assert settings["adam_steps"] + settings["lbfgs_iter"] < 5000  # below the size that turns torch.compile on
    full = create_learner("pinn", budget="full")
    assert full.get_params() == PINN().get_params()
    assert create_learner("pinn", budget="quick", adam_steps=7).config("optimiser").adam_steps == 7
    with pytest.raises(InvalidParameterError, match="budget must be one of quick, full"):
        create_learner("pinn", budget="fast")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "burger"], "unknown equation 'burger'"),
        (["compare", "burgers", "--learner", "pinnn"], "unknown learner 'pinnn'"),
        (["compare", "burgers", "--param", "nu=-1"], "nu must be a positive"),
        (["compare", "burgers", "--param", "nu"], "key=value"),
        (["compare", "burgers", "--set", "bogus=1"], "bogus"),
        (["compare", "burgers", "--resolution", "10"], "resolution needs 2 entries"),
    ],
)
def test_bad_input_one_line_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_console_script_entry_point():
    out = subprocess.run([sys.executable, "-m", "validation.cli", "list"], capture_output=True, text=True,
                         check=True)
    assert "equations:" in out.stdout


def test_compare_one_dimensional_equation(tmp_path, capsys):
    code = main(["compare", "legendre", "--resolution", "33", "--set", "adam_steps=50", "--set", "lbfgs_iter=10",
                 "--set", "hidden=[8,8]", "--set", "n_residual=64", "--no-progress", "--out", str(tmp_path)])
    assert code == 0
    assert (tmp_path / "legendre.png").read_bytes()[:4] == b"\x89PNG"
    assert not (tmp_path / "legendre.vtu").exists()
    assert xr.open_dataset(tmp_path / "legendre.nc", engine="h5netcdf")["pinn"].dims == ("x",)
