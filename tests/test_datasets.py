"""Operator-learning datasets: the contract, exact round trips, resumption, Dask, damaged files, accuracy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from equations.errors import DatasetError, InvalidParameterError, UnknownNameError
from validation import datasets
from validation.cli import main
from validation.datasets import antiderivative, build, store

# tiny but complete requests, one per dataset: (resolution, parameters)
TINY: dict[str, tuple[int, dict[str, Any]]] = {
    "antiderivative": (11, {"sensors": 21, "refine": 4}),
    "pendulum": (11, {"sensors": 21}),
    "diffusion_reaction": (9, {"sensors": 21, "refine": 1}),
    "burgers": (16, {"refine": 2}),
    "darcy": (9, {}),
}
DIMS = {
    "antiderivative": (("sensor",), ("x",)),
    "pendulum": (("sensor",), ("t", "component")),
    "diffusion_reaction": (("sensor",), ("x", "t")),
    "burgers": (("x",), ("x",)),
    "darcy": (("x", "y"), ("x", "y")),
}


def _make(name: str, n: int, seed: int = 0) -> xr.Dataset:
    res, params = TINY[name]
    return datasets.make(name, n, resolution=res, seed=seed, **params)


def _same_data(a: xr.Dataset, b: xr.Dataset) -> None:
    for var in ("input", "output"):
        assert np.array_equal(a[var].values, b[var].values)
    assert a.attrs["manifest"] == b.attrs["manifest"]


def test_every_dataset_is_registered() -> None:
    assert datasets.names() == sorted(DIMS)


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


def test_defaults_give_100_sensors() -> None:
    ds = datasets.make("pendulum", 1, resolution=5)
    assert ds.sizes["sensor"] == 100 and json.loads(ds.attrs["manifest"])["parameters"]["length_scale"] == 0.2


def test_a_sample_depends_only_on_seed_and_index() -> None:
    res, params = TINY["burgers"]
    full = _make("burgers", 4, seed=3)
    full_params = datasets.get("burgers").defaults | params
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
