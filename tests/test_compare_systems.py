"""compare on systems: one variable per field, metrics per field, a field defined up to a constant, figure, exports.

The learner is a fake field learner that predicts the classical reference
plus a known perturbation per field, so every metric is known by hand and no
training runs (the real field learners take systems in their own change).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import meshio
import numpy as np
import pytest
import xarray as xr
from scipy.interpolate import RegularGridInterpolator
from test_systems import GrayScott

import solvers
import validation.cli
from equations import Equation
from equations.cavity import LidDrivenCavity
from equations.errors import InvalidDataError, InvalidParameterError
from equations.systems import field_names
from sciml.core.base import Learner
from sciml.core.history import History
from validation import compare, comparison_figure, to_netcdf, to_vtu
from validation.compare import METRICS, UP_TO_CONSTANT
from validation.fields import comparison_fields, error_name, prediction_name, reference_name
from validation.metrics import relative_l2

Perturbation = Callable[[np.ndarray], np.ndarray]  # (n, d) points -> (n,) added to one field


class ReferencePlus(Learner):
    """A fake field learner: the reference of each field at the points, plus a known perturbation per field.

    ``fit`` solves the reference itself (``solvers.solve_fields`` at
    ``resolution``) unless one is given, and predict looks it up at the nearest
    grid node, so on that grid it is exact.
    """

    kind = "field"

    def __init__(self, resolution: tuple[int, ...], perturb: Mapping[str, Perturbation] | None = None,
                 reference: xr.Dataset | None = None, columns: int | None = None):
        self.resolution, self.perturb, self.reference, self.columns = resolution, perturb, reference, columns

    def fit(self, equation: Equation) -> ReferencePlus:
        ref = self.reference if self.reference is not None else solvers.solve_fields(equation, self.resolution)
        names = field_names(equation)
        axes = tuple(ref[n].values for n in equation.domain.names)
        self.fields_ = names
        self.interpolants_ = [RegularGridInterpolator(axes, ref[f].values, method="nearest") for f in names]
        history = History()
        history.record(1, 1.0, {})
        history.record(2, 0.1, {})
        self._set_contract(history, 0.5, 7)
        return self

    def predict(self, points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, dtype=float)
        cols = [f(points) + (self.perturb or {}).get(name, lambda p: 0.0)(points)
                for name, f in zip(self.fields_, self.interpolants_)]
        out = np.column_stack(cols)
        return out[:, : self.columns] if self.columns is not None else out


@dataclass(frozen=True)
class Cavity(LidDrivenCavity):
    """The cavity with its pressure marked as determined up to a constant."""

    fields = tuple(replace(v, up_to_constant=v.name == "p") for v in LidDrivenCavity.fields)


def _bump(points: np.ndarray) -> np.ndarray:
    return 0.01 * np.sin(np.pi * points[:, 0]) * np.sin(np.pi * points[:, 1])


@pytest.fixture(scope="module")
def cavity_reference() -> xr.Dataset:
    return solvers.solve_fields(LidDrivenCavity(), 17)


@pytest.fixture(scope="module")
def cavity_ds(cavity_reference: xr.Dataset) -> xr.Dataset:
    # u off by a bump, v exact, p off by a constant: a pressure up to a constant has no error
    learner = ReferencePlus((17, 17), {"u": _bump, "p": lambda p: 5.0 + 0.0 * p[:, 0]}, reference=cavity_reference)
    return compare(Cavity(), {"fake": learner}, reference=cavity_reference)


@pytest.fixture(scope="module")
def gray_scott_ds() -> xr.Dataset:
    learners = {"fake": ReferencePlus((64, 11), {"v": lambda p: 1e-3 * p[:, 1]}),
                "exact": ReferencePlus((64, 11))}
    return compare(GrayScott(), learners, resolution=(64, 11))


def test_a_system_comparison_has_one_variable_per_field_with_its_cf_attributes(cavity_ds: xr.Dataset) -> None:
    ds = cavity_ds
    assert comparison_fields(ds) == ("u", "v", "p") and ds.attrs["fields"] == "u v p"
    for role in ("reference_{}", "fake_{}", "fake_{}_error"):
        assert all(role.format(f) in ds for f in "uvp")
    assert "reference" not in ds and "fake" not in ds and "fake_loss" in ds
    assert reference_name("u") == "reference_u" and prediction_name("fake", "u") == "fake_u"
    assert error_name("fake", "u") == "fake_u_error" and error_name("fake") == "fake_error"
    for field, long_name in zip("uvp", ("x velocity", "y velocity", "pressure")):
        assert ds[f"reference_{field}"].attrs["long_name"] == f"{long_name} (classical reference)"
        assert ds[f"fake_{field}"].attrs["long_name"] == f"{long_name} predicted by fake"
        assert all(ds[v].attrs["units"] == "1" for v in (f"reference_{field}", f"fake_{field}", f"fake_{field}_error"))
    assert ds["reference_u"].attrs["solver"] == "streamfunction_vorticity"
    assert ds.attrs["reference_solver"] == "streamfunction_vorticity"


def test_metrics_per_field_and_a_pressure_compared_up_to_a_constant(cavity_ds: xr.Dataset,
                                                                    cavity_reference: xr.Dataset) -> None:
    metrics = cavity_ds["metrics"]
    assert metrics.dims == ("learner", "field", "metric")
    assert list(metrics["field"].values) == ["u", "v", "p"] and list(metrics["metric"].values) == list(METRICS)
    x, y = (cavity_reference[n].values for n in ("x", "y"))
    bump = 0.01 * np.outer(np.sin(np.pi * x), np.sin(np.pi * y))
    u = cavity_reference["u"].values
    l2 = metrics.sel(learner="fake", metric="relative_l2")
    assert float(l2.sel(field="u")) == pytest.approx(np.linalg.norm(bump) / np.linalg.norm(u), rel=1e-12)
    assert float(metrics.sel(learner="fake", field="u", metric="max_error")) == pytest.approx(bump.max(), rel=1e-12)
    np.testing.assert_allclose(cavity_ds["fake_u_error"].values, bump, atol=1e-15)
    assert float(l2.sel(field="v")) == 0.0
    # p + 5 is the same pressure: means removed from both before measuring
    assert float(l2.sel(field="p")) < 1e-13 and np.abs(cavity_ds["fake_p_error"].values).max() < 1e-13
    p = cavity_reference["p"].values
    np.testing.assert_allclose(cavity_ds["reference_p"].values, p - p.mean(), atol=1e-15)
    assert cavity_ds["fake_p"].attrs["removed_mean"] == pytest.approx(p.mean() + 5.0)
    for var in ("reference_p", "fake_p", "fake_p_error"):
        assert cavity_ds[var].attrs["comparison"] == UP_TO_CONSTANT
    assert "comparison" not in cavity_ds["fake_u"].attrs
    np.testing.assert_array_equal(cavity_ds["reference_u"].values, u)  # a field not up to a constant is untouched
    # the timing metrics are the learner's, repeated per field
    for metric, value in (("wall_time_s", 0.5), ("n_parameters", 7.0)):
        np.testing.assert_array_equal(metrics.sel(learner="fake", metric=metric).values, [value] * 3)


def test_the_same_pressure_without_the_mark_is_compared_as_it_is(cavity_reference: xr.Dataset) -> None:
    learner = ReferencePlus((17, 17), {"p": lambda p: 5.0 + 0.0 * p[:, 0]}, reference=cavity_reference)
    ds = compare(LidDrivenCavity(), {"fake": learner}, reference=cavity_reference)
    p = cavity_reference["p"].values
    if LidDrivenCavity.fields[2].up_to_constant:  # the spec itself may mark its pressure
        assert float(ds["metrics"].sel(learner="fake", field="p", metric="max_error")) < 1e-13
    else:
        assert float(ds["metrics"].sel(learner="fake", field="p", metric="max_error")) == pytest.approx(5.0)
        assert float(ds["metrics"].sel(learner="fake", field="p", metric="relative_l2")) == pytest.approx(
            5.0 * p.size**0.5 / np.linalg.norm(p))


def test_an_evolution_system_in_one_space_dimension(gray_scott_ds: xr.Dataset) -> None:
    ds = gray_scott_ds
    assert ds["reference_u"].dims == ("x", "t") and ds["fake_v"].dims == ("x", "t")
    assert ds["reference_u"].attrs["long_name"] == "activator (classical reference)"
    assert ds["fake_v_error"].attrs["long_name"] == "pointwise error of fake in v (prediction - reference)"
    t = ds["t"].values
    v = ds["reference_v"].values
    expected = np.linalg.norm(1e-3 * np.broadcast_to(t, v.shape)) / np.linalg.norm(v)
    l2 = ds["metrics"].sel(metric="relative_l2")
    assert float(l2.sel(learner="fake", field="v")) == pytest.approx(expected, rel=1e-10)
    assert float(l2.sel(learner="fake", field="u")) == 0.0
    np.testing.assert_array_equal(l2.sel(learner="exact").values, [0.0, 0.0])
    assert float(l2.sel(learner="fake", field="v")) == pytest.approx(relative_l2(ds["fake_v"].values, v))


def test_netcdf_round_trip_has_one_variable_per_field(gray_scott_ds: xr.Dataset, tmp_path: Path) -> None:
    path = to_netcdf(gray_scott_ds, tmp_path / "gs.nc")
    with xr.open_dataset(path, engine="h5netcdf") as back:
        back = back.load()
    xr.testing.assert_identical(back, gray_scott_ds)
    grid_vars = sorted(str(v) for v in back.data_vars if back[v].dims == ("x", "t"))
    assert grid_vars == sorted(["reference_u", "reference_v", "fake_u", "fake_v", "fake_u_error", "fake_v_error",
                                "exact_u", "exact_v", "exact_u_error", "exact_v_error"])
    assert back["metrics"].dims == ("learner", "field", "metric") and back.attrs["fields"] == "u v"


def test_vtu_of_a_2d_system_has_one_point_array_per_field_and_role(cavity_ds: xr.Dataset, tmp_path: Path) -> None:
    mesh = meshio.read(to_vtu(cavity_ds, tmp_path / "cavity.vtu"))
    assert set(mesh.point_data) == {f"{role}_{f}" for role in ("reference", "fake") for f in "uvp"} | {
        f"fake_{f}_error" for f in "uvp"}
    np.testing.assert_allclose(mesh.point_data["reference_u"], cavity_ds["reference_u"].values.ravel())
    assert mesh.cells_dict["quad"].shape == (16 * 16, 4)


@pytest.mark.parametrize("which", ["cavity", "gray_scott"])
def test_the_figure_has_a_row_per_learner_and_field(which: str, request: pytest.FixtureRequest) -> None:
    ds = request.getfixturevalue(f"{which}_ds")
    fields = comparison_fields(ds)
    learners = list(ds["learner"].values)
    fig = comparison_figure(ds)
    maps = 3 * len(learners) * len(fields)
    # per field a row of line plots: 2 centrelines (steady 2D) or 4 time slices; the loss curves; a colour bar per map
    lines = (2 if which == "cavity" else 4) * len(fields)
    assert len(fig.axes) == maps + lines + 1 + maps
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:3] == [f"reference {fields[0]} (classical)", f"{learners[0]} {fields[0]} prediction",
                          titles[2]] and titles[2].startswith(f"{learners[0]} {fields[0]} error (rel. L2")
    assert any(t.startswith(f"{fields[-1]}: ") for t in titles)  # every field has its line plots
    assert all(ax.lines or ax.collections or ax.images for ax in fig.axes)  # no empty panel


def test_a_reference_dataset_missing_a_field_is_refused_by_name(cavity_reference: xr.Dataset) -> None:
    learner = ReferencePlus((17, 17), reference=cavity_reference)
    with pytest.raises(InvalidDataError, match=r"lacks the field\(s\) p of lid_driven_cavity"):
        compare(Cavity(), {"fake": learner}, reference=cavity_reference.drop_vars("p"))
    with pytest.raises(InvalidDataError, match=r"system of fields \(u, v, p\): give its reference as an xarray "
                                               r"Dataset"):
        compare(Cavity(), {"fake": learner}, reference=cavity_reference["u"])
    transposed = cavity_reference.assign(p=cavity_reference["p"].T)
    with pytest.raises(InvalidDataError, match=r"field 'p' \(dims \('y', 'x'\)\) is not on the grid of field 'u'"):
        compare(Cavity(), {"fake": learner}, reference=transposed)


def test_a_prediction_with_the_wrong_number_of_columns_is_refused(cavity_reference: xr.Dataset) -> None:
    learner = ReferencePlus((17, 17), reference=cavity_reference, columns=2)
    with pytest.raises(InvalidDataError, match=r"learner 'two' predicted shape \(289, 2\) at 289 points; .* "
                                               r"must return shape \(289, 3\), one column per field \(u, v, p\)"):
        compare(Cavity(), {"two": learner}, reference=cavity_reference)


def test_learner_and_field_names_that_clash_are_refused() -> None:
    @dataclass(frozen=True)
    class Losses(GrayScott):
        fields = (GrayScott.fields[0], replace(GrayScott.fields[1], name="loss"))

        def residual(self, coords: Any, f: Any) -> Any:
            return super().residual(coords, {"u": f["u"], "v": f["loss"]})

        def conditions(self) -> Any:
            u0, v0, periodic = super().conditions()
            return (u0, replace(v0, field="loss"), periodic)

    with pytest.raises(InvalidParameterError, match=r"clashing variable names \['fake_loss'\]"):
        compare(Losses(), {"fake": ReferencePlus((16, 3))}, resolution=(16, 3))


def test_cli_compares_a_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    # the fake learner stands in for a registered one (the real field learners take systems in their own change)
    monkeypatch.setattr(validation.cli, "create_learner", lambda name, budget=None, **settings: ReferencePlus(
        (17, 17), {"u": _bump}))
    out = tmp_path / "out"
    assert validation.cli.main(["compare", "lid_driven_cavity", "--learner", "fake", "--resolution", "17", "17",
                                "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    rows = [line.split() for line in printed.splitlines()]
    assert rows[0][:3] == ["learner", "field", "rel."] and [r[:2] for r in rows[1:4]] == [
        ["fake", "u"], ["fake", "v"], ["fake", "p"]]
    assert float(rows[2][2]) == 0.0 and float(rows[1][2]) > 0.0
    with xr.open_dataset(out / "lid_driven_cavity.nc", engine="h5netcdf") as saved:
        assert saved.attrs["fields"] == "u v p" and "reference_p" in saved
    assert "fake_v" in meshio.read(out / "lid_driven_cavity.vtu").point_data
    assert (out / "lid_driven_cavity.png").stat().st_size > 0
