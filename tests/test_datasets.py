"""Operator-learning datasets: the contract, exact round trips, resumption, Dask, damaged files, accuracy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from scipy.integrate import solve_ivp
from scipy.interpolate import CubicSpline

from equations.errors import DatasetError, InvalidDataError, InvalidParameterError, UnknownNameError
from validation import datasets
from validation.cli import main
from validation.datasets import antiderivative, build, manifest, store

# tiny but complete requests, one per dataset: (resolution, parameters)
TINY: dict[str, tuple[int, dict[str, Any]]] = {
    "antiderivative": (11, {"sensors": 21, "refine": 4}),
    "pendulum": (11, {"sensors": 21}),
    "diffusion_reaction": (9, {"sensors": 21, "refine": 1}),
    "burgers": (16, {"refine": 2}),
    "darcy": (9, {}),
    "prose_odes": (8, {"input_points": 8, "max_tokens": 48}),
}
DIMS = {
    "antiderivative": (("sensor",), ("x",)),
    "pendulum": (("sensor",), ("t", "component")),
    "diffusion_reaction": (("sensor",), ("x", "t")),
    "burgers": (("x",), ("x",)),
    "darcy": (("x", "y"), ("x", "y")),
    "prose_odes": (("feature",), ("t", "component")),
}


def _make(name: str, n: int, seed: int = 0) -> xr.Dataset:
    res, params = TINY[name]
    return datasets.make(name, n, resolution=res, seed=seed, **params)


def _check_antiderivative(ds: xr.Dataset, params: dict[str, Any]) -> None:
    """s = integral of the sensor values' cubic spline (independent of the solver's Simpson on the refined grid)."""
    u, s = ds["input"].values, ds["output"].values
    exact = CubicSpline(ds["sensor"].values, u, axis=-1).antiderivative()(ds["x"].values)
    assert np.max(np.abs(s - exact)) < 1e-3 * np.max(np.abs(s))
    assert np.all(s[:, 0] == 0.0)


def _check_pendulum(ds: xr.Dataset, params: dict[str, Any]) -> None:
    """An independent integration (scipy's RK45, piecewise-linear forcing) of s1' = s2, s2' = -sin s1 + u."""
    sensors, t = ds["sensor"].values, ds["t"].values
    for u, s in zip(ds["input"].values, ds["output"].values):
        def rhs(tt: float, y: np.ndarray, u: np.ndarray = u) -> list[float]:
            return [y[1], -np.sin(y[0]) + np.interp(tt, sensors, u)]

        ref = solve_ivp(rhs, (0.0, 1.0), [0.0, 0.0], t_eval=t, rtol=1e-10, atol=1e-12, max_step=0.01)
        np.testing.assert_allclose(s, ref.y.T, rtol=0, atol=1e-7)


def _check_diffusion_reaction(ds: xr.Dataset, params: dict[str, Any]) -> None:
    """Method of lines on the same 3-point stencil with a tight ODE tolerance: differs by Crank-Nicolson's O(dt^2)."""
    x, t = ds["x"].values, ds["t"].values
    h, d, k = x[1] - x[0], 0.01, 0.01  # the defaults
    for u, s in zip(ds["input"].values, ds["output"].values):
        f = np.interp(x, ds["sensor"].values, u)[1:-1]

        def rhs(_: float, y: np.ndarray, f: np.ndarray = f) -> np.ndarray:
            full = np.concatenate([[0.0], y, [0.0]])
            return d * (full[2:] - 2 * full[1:-1] + full[:-2]) / h**2 + k * y**2 + f

        ref = np.zeros_like(s)
        ref[1:-1] = solve_ivp(rhs, (0.0, 1.0), np.zeros(len(x) - 2), t_eval=t, rtol=1e-10, atol=1e-12).y
        assert np.max(np.abs(s - ref)) < 2e-3 * np.max(np.abs(s))  # 3e-4 measured; no reaction term gives 1e-2


def _check_burgers(ds: xr.Dataset, params: dict[str, Any]) -> None:
    """Cole-Hopf on the sample's own draw: u = -2 nu phi_x / phi, phi solving the heat equation exactly."""
    spec = datasets.DATASETS.get("burgers")
    full = dict(spec.defaults) | params
    nu, t_final = full["nu"], full["t_final"]
    for i, s in enumerate(ds["output"].values):
        u0 = spec.draw(build.sample_rng(0, i), ds.sizes["x"], full)  # the periodic draw has zero mean
        n = u0.size
        k = 2 * np.pi * np.fft.rfftfreq(n, 1.0 / n)
        c = np.fft.rfft(u0)
        primitive = np.fft.irfft(np.concatenate([[0.0], c[1:] / (1j * k[1:])]), n)
        phi_hat = np.fft.rfft(np.exp(-primitive / (2 * nu))) * np.exp(-nu * k**2 * t_final)
        exact = -2 * nu * np.fft.irfft(1j * k * phi_hat, n) / np.fft.irfft(phi_hat, n)
        assert np.max(np.abs(s - exact[:: full["refine"]])) < 1e-4 * np.max(np.abs(s))


def _check_darcy(ds: xr.Dataset, params: dict[str, Any]) -> None:
    """The flux-form 5-point residual (harmonic face averages) equals f = 1 inside; u = 0 on the boundary."""
    h = float(ds["x"].values[1])
    for a, u in zip(ds["input"].values, ds["output"].values):
        ax, ay = (2 * a[1:] * a[:-1] / (a[1:] + a[:-1]), 2 * a[:, 1:] * a[:, :-1] / (a[:, 1:] + a[:, :-1]))
        fx, fy = ax * np.diff(u, axis=0) / h, ay * np.diff(u, axis=1) / h
        residual = -(np.diff(fx[:, 1:-1], axis=0) + np.diff(fy[1:-1], axis=1)) / h
        np.testing.assert_allclose(residual, 1.0, rtol=0, atol=1e-6)
        assert np.all(u[[0, -1]] == 0) and np.all(u[:, [0, -1]] == 0) and u[1:-1, 1:-1].min() > 0


def _check_prose_odes(ds: xr.Dataset, params: dict[str, Any]) -> None:
    """scipy's RK45 on the NumPy walk of each sample's decoded tokens gives its trajectory."""
    from equations.symbolic import evaluate
    from validation.datasets import prose_odes

    t = ds["t"].values
    for system, u in zip(prose_odes.systems(ds), ds["output"].values):
        ref = solve_ivp(lambda _, y, s=system: evaluate(s, y), (0.0, t[-1]), u[0, : system.dim], t_eval=t,
                        rtol=1e-11, atol=1e-11).y.T
        np.testing.assert_allclose(u[:, : system.dim], ref, rtol=0, atol=1e-6 * max(1.0, np.max(np.abs(ref))))


ACCURACY = {"antiderivative": _check_antiderivative, "pendulum": _check_pendulum,
            "diffusion_reaction": _check_diffusion_reaction, "burgers": _check_burgers, "darcy": _check_darcy,
            "prose_odes": _check_prose_odes}


def _same_data(a: xr.Dataset, b: xr.Dataset) -> None:
    for var in ("input", "output"):
        assert np.array_equal(a[var].values, b[var].values)
    assert a.attrs["manifest"] == b.attrs["manifest"]


def test_every_dataset_is_registered() -> None:
    assert list(datasets.DATASETS.names()) == sorted(DIMS)


@pytest.mark.parametrize("name", sorted(DIMS))
def test_make_follows_the_contract(name: str) -> None:
    res, params = TINY[name]
    ds = _make(name, 2)
    in_dims, out_dims = DIMS[name]
    assert ds["input"].dims == ("sample", *in_dims) and ds["output"].dims == ("sample", *out_dims)
    for var in ("input", "output"):
        assert ds[var].dtype == np.float64 and ds[var].attrs["long_name"]
        assert np.all(np.isfinite(ds[var].values)) and np.any(ds[var].values != 0)
    for dim in set(in_dims + out_dims):
        assert dim in ds.coords and ds[dim].attrs["long_name"]
    if "sensor" in in_dims:
        assert np.allclose(ds["sensor"], np.linspace(0, 1, params["sensors"]))
    if name == "pendulum":
        assert list(ds["component"].values) == ["s1", "s2"]
    record = json.loads(ds.attrs["manifest"])
    assert record["name"] == name and record["n"] == 2 and record["seed"] == 0 and record["resolution"] == res
    assert {"numpy", "scipy", "xarray", "toolkit"} <= set(record["versions"])
    assert record["checksum"]["input"].startswith("sha256:") and record["solver"]
    assert all(record["parameters"][k] == v for k, v in params.items())
    datasets.validate(ds)
    ACCURACY[name](ds, params)  # the outputs are the family's equation solved for these inputs


def test_defaults_give_100_sensors() -> None:
    ds = datasets.make("pendulum", 1, resolution=5)
    assert ds.sizes["sensor"] == 100 and json.loads(ds.attrs["manifest"])["parameters"]["length_scale"] == 0.2


def test_a_sample_depends_only_on_seed_and_index() -> None:
    res, params = TINY["burgers"]
    full = _make("burgers", 4, seed=3)
    full_params = datasets.DATASETS.get("burgers").defaults | params
    inputs, outputs = build.compute_samples("burgers", 3, 2, 4, res, full_params)
    assert np.array_equal(inputs, full["input"].values[2:]) and np.array_equal(outputs, full["output"].values[2:])
    assert not np.array_equal(_make("burgers", 4, seed=4)["input"].values, full["input"].values)


def test_antiderivative_matches_the_analytic_integral() -> None:
    params = {"sensors": 100, "refine": 10}
    for resolution in (100, 101, 37):  # output points on and off the quadrature grid
        grid = antiderivative.fine_grid(resolution, params)
        u = np.cos(2 * np.pi * grid)[None]
        at_sensors, s = antiderivative.integrate(u, resolution, params)
        x = np.linspace(0, 1, resolution)
        assert np.allclose(at_sensors[0], np.cos(2 * np.pi * np.linspace(0, 1, 100)), rtol=0, atol=1e-14)
        assert np.max(np.abs(s[0] - np.sin(2 * np.pi * x) / (2 * np.pi))) < 1e-11


def test_generate_then_load_is_exact(tmp_path: Path) -> None:
    res, params = TINY["pendulum"]
    path = datasets.generate("pendulum", 5, tmp_path / "p.nc", resolution=res, seed=1, chunk=2, progress=False,
                             **params)
    _same_data(datasets.load(path), _make("pendulum", 5, seed=1))
    assert datasets.load(path)["component"].values.tolist() == ["s1", "s2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.nc"]  # the work folder is gone


class _Counting:
    """Stand-in for ``build.compute_samples`` that counts calls and fails on call ``fail_at``."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.calls: list[int] = []
        self.fail_at = fail_at
        self.real = build.compute_samples

    def __call__(self, name: str, seed: int, start: int, stop: int, *rest: Any) -> Any:
        self.calls.append(start)
        if self.fail_at is not None and len(self.calls) == self.fail_at:
            raise RuntimeError("killed")
        return self.real(name, seed, start, stop, *rest)


def test_a_killed_run_resumes_without_recomputing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    res, params = TINY["darcy"]
    out = tmp_path / "d.nc"
    killed = _Counting(fail_at=3)
    monkeypatch.setattr(build, "compute_samples", killed)
    with pytest.raises(RuntimeError, match="killed"):
        datasets.generate("darcy", 7, out, resolution=res, chunk=2, progress=False, **params)
    assert not out.exists()
    assert len(list((tmp_path / ".d.nc.parts").glob("*.nc"))) == 2
    resumed = _Counting()
    monkeypatch.setattr(build, "compute_samples", resumed)
    datasets.generate("darcy", 7, out, resolution=res, chunk=2, progress=False, **params)
    assert resumed.calls == [4, 6]  # chunks [0, 2) and [2, 4) were kept
    _same_data(datasets.load(out), _make("darcy", 7))
    again = _Counting()
    monkeypatch.setattr(build, "compute_samples", again)
    datasets.generate("darcy", 7, out, resolution=res, chunk=2, progress=False, **params)
    assert again.calls == []  # the finished file is this very request


def test_dask_local_cluster_gives_the_same_dataset(tmp_path: Path) -> None:
    res, params = TINY["diffusion_reaction"]
    path = datasets.generate("diffusion_reaction", 6, tmp_path / "dr.nc", resolution=res, chunk=2, workers=2,
                             processes=False, progress=False, **params)
    _same_data(datasets.load(path), _make("diffusion_reaction", 6))


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    res, params = TINY["burgers"]
    return datasets.generate("burgers", 3, tmp_path / "b.nc", resolution=res, progress=False, **params)


def test_truncated_and_corrupt_files_raise(saved: Path, tmp_path: Path) -> None:
    data = saved.read_bytes()
    (tmp_path / "half.nc").write_bytes(data[: len(data) // 2])
    (tmp_path / "junk.nc").write_bytes(b"not a netCDF file" * 10)
    for bad in ("half.nc", "junk.nc", "missing.nc"):
        with pytest.raises(DatasetError, match=bad):
            datasets.load(tmp_path / bad)


def test_tampered_data_or_manifest_raises(saved: Path, tmp_path: Path) -> None:
    ds = datasets.load(saved)
    altered = ds.copy(deep=True)
    altered["output"][0, 0] += 1e-12
    store.write(altered, tmp_path / "altered.nc")
    with pytest.raises(DatasetError, match="checksum of output"):
        datasets.load(tmp_path / "altered.nc")
    cases = {
        "no_manifest": {},
        "bad_json": {"manifest": "{not json"},
        "incomplete": {"manifest": json.dumps({"name": "burgers"})},
        "wrong_n": {"manifest": ds.attrs["manifest"].replace('"n": 3', '"n": 4')},
    }
    for label, attrs in cases.items():
        copy = ds.copy()
        copy.attrs = attrs
        store.write(copy, tmp_path / f"{label}.nc")
        with pytest.raises(DatasetError, match="manifest"):
            datasets.load(tmp_path / f"{label}.nc")
    nan = ds.copy(deep=True)
    nan["input"][0, 0] = np.nan
    store.write(nan, tmp_path / "nan.nc")
    with pytest.raises(DatasetError, match="NaN"):
        datasets.load(tmp_path / "nan.nc")


def test_bad_requests_raise_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="antiderivative"):
        datasets.make("nope", 1)
    with pytest.raises(InvalidParameterError, match="length_scale"):
        datasets.make("pendulum", 1, length_scale=-1.0)
    with pytest.raises(InvalidParameterError, match="unknown parameter"):
        datasets.make("pendulum", 1, nu=0.1)
    with pytest.raises(InvalidParameterError, match="resolution"):
        datasets.make("darcy", 1, resolution=2)
    with pytest.raises(InvalidParameterError, match="n must"):
        datasets.generate("darcy", 0, tmp_path / "x.nc")


def test_dataset_from_user_inputs_is_the_solver_applied_to_them(tmp_path: Path) -> None:
    x = np.linspace(0.0, 1.0, 21)
    u = np.stack([1 + 2 * x - 3 * x**2, x**3, np.full_like(x, -0.5)])  # cubics: the spline is exact
    ds = datasets.from_inputs("antiderivative", u[..., None], resolution=11, refine=4)  # (n, m, 1) accepted
    xo = ds["x"].values
    exact = np.stack([xo + xo**2 - xo**3, xo**4 / 4, -0.5 * xo])
    np.testing.assert_allclose(ds["output"].values, exact, rtol=0, atol=1e-13)
    assert np.array_equal(ds["input"].values, u) and ds["input"].dims == ("sample", "sensor")
    record = json.loads(ds.attrs["manifest"])
    assert record["seed"] is None and record["parameters"]["sensors"] == 21 and record["resolution"] == 11
    assert record["input_source"]["kind"] == "user-supplied" and record["input_source"]["shape"] == [3, 21]
    assert record["input_source"]["checksum"] == record["checksum"]["input"] == manifest.checksum(u)
    assert "spline" in record["input_source"]["method"]
    # it saves, loads (manifest and checksums checked) and trains like any other dataset
    path = store.write(ds, tmp_path / "mine.nc")
    back = datasets.load(path)
    _same_data(back, ds)
    from sciml import DeepONet

    model = DeepONet(branch=(8, 8), trunk=(8, 8), steps=5).fit(back)
    assert model.predict(back).shape == (3, 11) and len(model.history_.loss) == 5
    # make(inputs=...) is the same request; one function without the sample axis is one sample
    _same_data(datasets.make("antiderivative", 3, inputs=u, resolution=11, refine=4), ds)
    one = datasets.from_inputs("antiderivative", u[1], resolution=11, refine=4)
    np.testing.assert_array_equal(one["output"].values, ds["output"].values[1:2])


@pytest.mark.parametrize("name", ["pendulum", "diffusion_reaction", "darcy", "burgers"])
def test_user_inputs_equal_to_drawn_ones_give_the_same_outputs(name: str) -> None:
    res, params = TINY[name]
    if name == "burgers":  # drawn on the finer solver grid: at refine 1 the stored input is the draw
        params = {"refine": 1}
    drawn = datasets.make(name, 2, resolution=res, **params)
    grid = {} if name in ("darcy", "burgers") else {"resolution": res}  # on the output grid: res from the shape
    mine = datasets.from_inputs(name, drawn["input"].values, **grid, **params)
    assert mine.sizes == drawn.sizes
    np.testing.assert_allclose(mine["output"].values, drawn["output"].values, rtol=0, atol=1e-12)


def test_user_inputs_of_the_wrong_shape_raise_typed_errors() -> None:
    u = np.zeros((4, 21))
    with pytest.raises(InvalidDataError, match=r"inputs must be \(n, 30\).*got shape \(4, 21\)"):
        datasets.from_inputs("antiderivative", u, sensors=30)
    with pytest.raises(InvalidDataError, match=r"inputs must be \(n, sensor\).*got shape \(4, 21, 2\)"):
        datasets.from_inputs("antiderivative", np.zeros((4, 21, 2)))
    with pytest.raises(InvalidDataError, match=r"inputs must be \(n, 9, 9\).*got shape \(2, 9, 8\)"):
        datasets.from_inputs("darcy", np.ones((2, 9, 8)))
    with pytest.raises(InvalidDataError, match="NaN"):
        datasets.from_inputs("pendulum", np.full((2, 21), np.nan))
    with pytest.raises(InvalidParameterError, match="n=5, but inputs hold 4"):
        datasets.make("antiderivative", 5, inputs=u)
    with pytest.raises(InvalidParameterError, match="seed"):
        datasets.make("antiderivative", inputs=u, seed=1)


def test_cli_data_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "a.nc"
    argv = ["data", "antiderivative", "--n", "3", "--resolution", "11", "--seed", "2", "--out", str(out),
            "--param", "sensors=21", "--param", "refine=4", "--no-progress"]
    assert main(argv) == 0
    assert "wrote" in capsys.readouterr().out
    _same_data(datasets.load(out), _make("antiderivative", 3, seed=2))
    assert main(["data", "antiderivative", "--n", "1", "--param", "sensors=1", "--out", str(out)]) == 2
    assert "sensors" in capsys.readouterr().err
    assert main(["list"]) == 0
    assert "datasets:  antiderivative, burgers" in capsys.readouterr().out
