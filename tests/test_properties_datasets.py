"""Property-based damaged dataset files (hypothesis): truncated, bit-flipped, mismatched manifests.

``validation.datasets.load`` either returns exactly the data that was written
(values, coordinates and manifest) or raises :class:`DatasetError`; never a
raw h5py/h5netcdf/xarray exception, a traceback printed by a finaliser, or a
silently altered dataset.
"""

from __future__ import annotations

import gc
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from equations.errors import DatasetError
from validation import datasets
from validation.datasets import manifest, store

Saved = tuple[Path, bytes, xr.Dataset]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Saved:
    path = tmp_path_factory.mktemp("ds") / "a.nc"
    store.write(datasets.make("antiderivative", 3, resolution=11, seed=0, sensors=21, refine=4), path)
    return path, path.read_bytes(), datasets.load(path)


def _load_bytes(data: bytes) -> xr.Dataset:
    """Load ``data`` as a dataset file; fail on a finaliser traceback (``sys.unraisablehook``)."""
    unraisable: list[Any] = []
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bad.nc"
            path.write_bytes(data)
            try:
                return datasets.load(path)
            finally:
                gc.collect()
    finally:
        sys.unraisablehook = hook
        assert not unraisable, [repr(u.exc_value) for u in unraisable]


def _same(a: xr.Dataset, b: xr.Dataset) -> None:
    assert set(a.variables) == set(b.variables)
    for name in a.variables:
        assert np.array_equal(a[name].values, b[name].values), name
    assert json.loads(a.attrs["manifest"]) == json.loads(b.attrs["manifest"])


@settings(max_examples=15, deadline=None, derandomize=True)
@given(st.data())
def test_a_truncated_file_raises_dataset_error(saved: Saved, data: st.DataObject) -> None:
    _, raw, _ = saved
    cut = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    with pytest.raises(DatasetError, match=r"bad\.nc"):
        _load_bytes(raw[:cut])


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.data())
def test_flipped_bits_raise_or_leave_the_data_intact(saved: Saved, data: st.DataObject) -> None:
    _, raw, good = saved
    damaged = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 3))):
        offset = data.draw(st.integers(0, len(raw) - 1))
        damaged[offset] ^= 1 << data.draw(st.integers(0, 7))
    try:
        back = _load_bytes(bytes(damaged))
    except DatasetError:
        return
    _same(back, good)  # a flip in padding or in a cosmetic attribute (title, long_name) may load


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False), st.text(max_size=6)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6,
)
MANIFEST_PATHS = [("name",), ("parameters",), ("parameters", "sensors"), ("parameters", "length_scale"), ("seed",),
                  ("n",), ("resolution",), ("dims",), ("dims", "input"), ("dims", "output"), ("shapes",),
                  ("shapes", "input"), ("shapes", "output"), ("checksum",), ("checksum", "output")]
# entries the stored arrays cannot contradict: another seed, another float parameter
FREE = {("seed",), ("parameters", "length_scale")}


@settings(max_examples=20, deadline=None, derandomize=True)
@given(st.sampled_from(MANIFEST_PATHS), st.one_of(JSON, st.just(KeyError)))
def test_a_mismatched_manifest_raises_dataset_error(saved: Saved, path: tuple[str, ...], value: Any) -> None:
    """Entries changed *and* the manifest's own checksum recomputed, so the deeper checks are exercised."""
    _, _, good = saved
    record = json.loads(good.attrs["manifest"])
    parent = record
    for key in path[:-1]:
        parent = parent[key]
    if value is KeyError:
        del parent[path[-1]]
    elif parent[path[-1]] == value:
        return
    else:
        parent[path[-1]] = value
    record["manifest_checksum"] = manifest.record_checksum(record)
    bad = good.copy()
    bad.attrs = {**good.attrs, "manifest": json.dumps(record)}
    with tempfile.TemporaryDirectory() as tmp:
        store.write(bad, Path(tmp) / "m.nc")
        try:
            back = datasets.load(Path(tmp) / "m.nc")
        except DatasetError as exc:
            assert "m.nc" in str(exc)
            return
    assert path in FREE and value is not KeyError, (path, value)
    assert json.loads(back.attrs["manifest"]) == record


@pytest.mark.parametrize(
    "change",
    ["drop_manifest", "drop_output", "rename_input", "transpose", "float32", "drop_coord", "shift_coord", "nan",
     "more_samples", "edit_seed", "bad_checksum_entry"],
)
def test_structural_mismatches_raise_dataset_error(saved: Saved, change: str, tmp_path: Path) -> None:
    _, _, good = saved
    ds = good.copy(deep=True)
    if change == "drop_manifest":
        ds.attrs = {}
    elif change == "drop_output":
        ds = ds.drop_vars("output")
    elif change == "rename_input":
        ds = ds.rename({"input": "inputs"})
    elif change == "transpose":
        ds["output"] = ds["output"].transpose("x", "sample")
    elif change == "float32":
        ds["input"] = ds["input"].astype(np.float32)
    elif change == "drop_coord":
        ds = ds.drop_vars("sensor")
    elif change == "shift_coord":  # regression: coordinate values were never checked
        ds = ds.assign_coords(x=ds["x"].values + 1e-9)
    elif change == "nan":
        ds["output"][0, 0] = np.nan
    elif change == "more_samples":
        ds = xr.concat([ds, ds.isel(sample=[0])], dim="sample")
    elif change == "edit_seed":  # regression: an edited manifest entry loaded silently
        ds.attrs["manifest"] = ds.attrs["manifest"].replace('"seed": 0', '"seed": 1')
    elif change == "bad_checksum_entry":  # regression: KeyError 'output' from validate
        record = json.loads(ds.attrs["manifest"])
        record["checksum"] = {"input": record["checksum"]["input"], "outpu4": record["checksum"]["output"]}
        record["manifest_checksum"] = manifest.record_checksum(record)
        ds.attrs["manifest"] = json.dumps(record)
    store.write(ds, tmp_path / "c.nc")
    with pytest.raises(DatasetError, match=r"c\.nc"):
        datasets.load(tmp_path / "c.nc")


def test_a_format_1_manifest_without_its_own_checksum_still_loads(saved: Saved, tmp_path: Path) -> None:
    _, _, good = saved
    record = json.loads(good.attrs["manifest"])
    del record["manifest_checksum"]
    old = good.copy()
    old.attrs = {**good.attrs, "manifest": json.dumps({**record, "format": 1})}
    store.write(old, tmp_path / "old.nc")
    _same(datasets.load(tmp_path / "old.nc"), old)
    old.attrs = {**good.attrs, "manifest": json.dumps(record)}  # format 2 must carry its checksum
    store.write(old, tmp_path / "new.nc")
    with pytest.raises(DatasetError, match="lacks its manifest_checksum"):
        datasets.load(tmp_path / "new.nc")
