"""compare / export / figure: the learner is checked against the classical reference."""

import os

import meshio
import numpy as np
import pytest
import xarray as xr

from equations import Convection, InvalidDataError, InvalidParameterError, LShapePoisson, Poisson2D
from sciml import PINN
from validation import compare, comparison_figure, relative_l2, save_figure, to_netcdf, to_vtu, to_xdmf


def _pinn(**kw):
    return PINN(hidden=(16, 16), n_residual=400, n_boundary=64, adam_steps=300, lr=3e-3, lbfgs_iter=100,
                seed=0, **kw)


@pytest.fixture(scope="module")
def poisson_ds():
    return compare(Poisson2D(), {"pinn": _pinn()}, resolution=(33, 33))


def test_compare_dataset_contents(poisson_ds):
    ds = poisson_ds
    for var in ("reference", "pinn", "pinn_error", "pinn_loss", "metrics"):
        assert var in ds
    ref, pred = ds["reference"].values, ds["pinn"].values
    np.testing.assert_allclose(ds["pinn_error"].values, pred - ref)
    l2 = float(ds["metrics"].sel(learner="pinn", metric="relative_l2"))
    assert l2 == pytest.approx(relative_l2(pred, ref))
    assert l2 < 2e-2  # an easy problem: the PINN must actually solve it
    assert ds.attrs["Conventions"].startswith("CF") and ds["reference"].attrs["units"]
    assert float(ds["metrics"].sel(learner="pinn", metric="n_parameters")) == 16 * 3 + 16 * 17 + 17


def test_netcdf_round_trip_and_mesh_export(poisson_ds, tmp_path):
    path = to_netcdf(poisson_ds, tmp_path / "out.nc")
    back = xr.open_dataset(path, engine="h5netcdf")
    xr.testing.assert_identical(back.load(), poisson_ds)
    assert not list(tmp_path.glob(".*tmp*"))  # nothing left behind by the atomic write
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # as readable as a plain open() would make it
    mesh = meshio.read(to_vtu(poisson_ds, tmp_path / "out.vtu"))
    np.testing.assert_allclose(mesh.point_data["pinn"], poisson_ds["pinn"].values.ravel())
    assert mesh.cells_dict["quad"].shape == (32 * 32, 4)
    xdmf = meshio.read(to_xdmf(poisson_ds, tmp_path / "out.xdmf"))
    np.testing.assert_allclose(xdmf.point_data["reference"], poisson_ds["reference"].values.ravel())
    png = save_figure(comparison_figure(poisson_ds), tmp_path / "fig.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_on_masked_domain_keeps_nan_outside():
    ds = compare(LShapePoisson(), {"pinn": PINN(hidden=(8,), n_residual=100, adam_steps=20, lbfgs_iter=0)},
                 resolution=(17, 17), solver_options={"refine": 0})
    outside = ~np.isfinite(ds["reference"].values)
    assert outside.sum() > 0 and np.isnan(ds["pinn"].values[outside]).all()
    assert np.isfinite(ds["metrics"].values).all()


def test_compare_bad_input():
    with pytest.raises(InvalidParameterError, match="at least one learner"):
        compare(Poisson2D(), {}, resolution=(9, 9))
    with pytest.raises(InvalidParameterError, match="resolution"):
        compare(Convection(), {"p": _pinn()})
    with pytest.raises(InvalidDataError, match="not a learner"):
        compare(Poisson2D(), {"p": object()}, resolution=(9, 9))
    with pytest.raises(InvalidDataError, match="shape"):
        relative_l2(np.zeros(3), np.ones(4))
    wrong_grid = xr.DataArray(np.zeros((3, 4)), dims=("t", "x"), coords={"t": np.arange(3.0), "x": np.arange(4.0)})
    with pytest.raises(InvalidDataError, match="do not match"):
        compare(Convection(), {"p": _pinn()}, reference=wrong_grid, fit=False)
    with pytest.raises(InvalidDataError, match="NaN"):
        relative_l2(np.array([np.nan, 1.0]), np.ones(2))


def test_mesh_export_of_a_plain_solution_and_bad_variables(tmp_path):
    x, y = np.linspace(0, 1, 5), np.linspace(0, 2, 4)
    u = xr.DataArray(np.add.outer(x, y), {"x": x, "y": y}, ("x", "y"))
    ds = xr.Dataset({"u": u, "history": xr.DataArray(np.arange(3.0), dims="step")})
    mesh = meshio.read(to_vtu(ds, tmp_path / "u.vtu"))  # no "reference": the grid of the first 2D field
    assert mesh.points.shape == (20, 3) and list(mesh.point_data) == ["u"]
    np.testing.assert_allclose(mesh.point_data["u"], u.values.ravel())
    with pytest.raises(InvalidDataError, match="no variable"):
        to_vtu(ds, tmp_path / "bad.vtu", variables=["v"])
    with pytest.raises(InvalidDataError, match="not on the grid"):
        to_vtu(ds, tmp_path / "bad.vtu", variables=["u", "history"])
    with pytest.raises(InvalidDataError, match="2D grid"):
        to_vtu(ds, tmp_path / "bad.vtu", variables=["history"])
