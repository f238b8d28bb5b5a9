"""compare / export / figure: the learner is checked against the classical reference."""

import os
from dataclasses import dataclass

import meshio
import numpy as np
import pytest
import xarray as xr

from equations import Convection, InvalidDataError, InvalidParameterError, LShapePoisson, Poisson2D
from sciml import PINN, Collocation, Optimiser
from validation import compare, comparison_figure, relative_l2, save_figure, to_netcdf, to_vtu, to_xdmf
from validation.compare import METRICS
from validation.plots import slice_indices


def _pinn(**kw):
    return PINN.from_settings(hidden=(16, 16), seed=0, n_residual=400, n_boundary=64, adam_steps=300, lr=3e-3,
                              lbfgs_iter=100, **kw)


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


def _with_data(ax) -> bool:
    return bool(ax.lines or ax.collections or ax.patches or ax.images)


def _compare_like(reference: xr.DataArray, predictions: dict[str, xr.DataArray], loss: tuple[str, ...] = ()):
    """A Dataset laid out as ``compare`` returns it, without training anything."""
    data = {"reference": reference}
    for name, pred in predictions.items():
        data[name], data[f"{name}_error"] = pred, pred - reference
    for name in loss:
        data[f"{name}_loss"] = xr.DataArray([1.0, 0.5, 0.1], {f"{name}_step": [1, 2, 3]}, (f"{name}_step",))
    ds = xr.Dataset(data)
    ds["metrics"] = xr.DataArray(np.full((len(predictions), len(METRICS)), 0.1),
                                 {"learner": list(predictions), "metric": list(METRICS)}, ("learner", "metric"))
    return ds


def test_figure_of_an_evolution_has_slices_at_fixed_times_and_no_empty_panel():
    x, t = np.linspace(-1, 1, 17), np.linspace(0, 1, 11)
    ref = xr.DataArray(-np.sin(np.pi * x)[:, None] * np.exp(-t), {"x": x, "t": t}, ("x", "t"))
    preds = {"pinn": ref + 0.05 * np.outer(x, t), "pig": 0.9 * ref}
    ds = _compare_like(ref, preds, loss=("pinn",))
    fig = comparison_figure(ds)
    assert all(_with_data(ax) for ax in fig.axes)  # colour bars included
    # 2 rows of 3 fields, the loss curves, 4 slices, one colour bar per field
    assert len(fig.axes) == 6 + 1 + 4 + 6
    slices = [ax for ax in fig.axes if ax.get_title().startswith("t = ")]
    times = [float(ax.get_title().removeprefix("t = ")) for ax in slices]
    assert slice_indices(11) == [3, 5, 8, 10]
    np.testing.assert_allclose(times, t[[3, 5, 8, 10]])  # spread over the run, the final time included
    for ax, i in zip(slices, [3, 5, 8, 10]):
        assert [line.get_label() for line in ax.lines] == ["reference", "pinn", "pig"]
        for line, var in zip(ax.lines, ("reference", "pinn", "pig")):
            np.testing.assert_array_equal(line.get_xdata(), x)
            np.testing.assert_array_equal(line.get_ydata(), ds[var].values[:, i])
    # without any loss history the row holds the slices alone, still no empty panel
    bare = comparison_figure(_compare_like(ref, {"pinn": preds["pinn"]}))
    assert all(_with_data(ax) for ax in bare.axes) and len(bare.axes) == 3 + 4 + 3


def test_figure_of_a_steady_2d_problem_has_centrelines(poisson_ds):
    fig = comparison_figure(poisson_ds)
    assert all(_with_data(ax) for ax in fig.axes) and len(fig.axes) == 3 + 3 + 3
    lines = {ax.get_title(): ax for ax in fig.axes if ax.get_title().startswith("centreline")}
    assert set(lines) == {"centreline y = 0.5", "centreline x = 0.5"}
    ref, pred = poisson_ds["reference"], poisson_ds["pinn"]
    np.testing.assert_array_equal(lines["centreline y = 0.5"].lines[0].get_ydata(), ref.sel(y=0.5).values)
    np.testing.assert_array_equal(lines["centreline y = 0.5"].lines[1].get_ydata(), pred.sel(y=0.5).values)
    np.testing.assert_array_equal(lines["centreline x = 0.5"].lines[1].get_ydata(), pred.sel(x=0.5).values)


def test_figure_of_a_1d_field_shows_the_errors():
    t = np.linspace(0, 1, 9)
    ref = xr.DataArray(np.sin(t), {"t": t}, ("t",))
    ds = _compare_like(ref, {"pinn": ref + 1e-3 * t})
    fig = comparison_figure(ds)
    assert all(_with_data(ax) for ax in fig.axes) and len(fig.axes) == 3 + 1
    np.testing.assert_allclose(fig.axes[3].lines[0].get_ydata(), 1e-3 * t)


def test_compare_on_masked_domain_keeps_nan_outside():
    ds = compare(LShapePoisson(), {"pinn": PINN(
        hidden=(8,),
        collocation=Collocation(n_residual=100),
        optimiser=Optimiser(adam_steps=20, lbfgs_iter=0),
    )},
                 resolution=(17, 17), solver_options={"refine": 0})
    ref, pred = ds["reference"].values, ds["pinn"].values
    outside = ~np.isfinite(ref)
    assert outside.sum() == 64 and np.isnan(pred[outside]).all()  # the cut-out quarter of the 17² grid
    # the metrics are over the L-shape only (the reference's finite points), computed here by hand
    inside = ~outside
    metrics = ds["metrics"].sel(learner="pinn")
    err = pred[inside] - ref[inside]
    assert float(metrics.sel(metric="relative_l2")) == pytest.approx(np.linalg.norm(err) / np.linalg.norm(ref[inside]))
    assert float(metrics.sel(metric="max_error")) == pytest.approx(np.abs(err).max())
    assert float(metrics.sel(metric="rmse")) == pytest.approx(np.sqrt(np.mean(err**2)))
    assert np.isfinite(ds["metrics"].values).all()


@dataclass(frozen=True)
class _NoDefaultResolution(Poisson2D):
    default_resolution = ()


def test_compare_bad_input():
    with pytest.raises(InvalidParameterError, match="at least one learner"):
        compare(Poisson2D(), {}, resolution=(9, 9))
    with pytest.raises(InvalidParameterError, match="no default_resolution: pass resolution="):
        compare(_NoDefaultResolution(), {"p": _pinn()})
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
