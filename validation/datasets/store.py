"""netCDF files of datasets: atomic writes, and loads that check the manifest before returning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import h5py
import numpy as np
import xarray as xr

from equations.errors import DatasetError, InvalidParameterError, UnknownNameError
from sciml.core.atomic import atomic_write
from validation.datasets import manifest
from validation.datasets.registry import DATASETS, resolve

ENGINE: Literal["h5netcdf"] = "h5netcdf"
REQUIRED = ("name", "parameters", "seed", "n", "resolution", "solver", "versions", "dims", "shapes", "checksum")


def write(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` to ``path`` (netCDF4 via h5netcdf) atomically: a temporary file, then a rename."""
    return atomic_write(path, lambda tmp: ds.to_netcdf(tmp, engine=ENGINE))


def read(path: str | Path) -> xr.Dataset:
    """``path`` read fully into memory (the file is closed on return); :class:`DatasetError` if unreadable."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"dataset file {path} does not exist")
    try:
        _check_hdf5(path)
        with xr.open_dataset(path, engine=ENGINE) as ds:
            return ds.load()
    except Exception as exc:  # h5py/h5netcdf raise OSError, ValueError, KeyError... on damaged files
        raise DatasetError(f"cannot read dataset file {path} (truncated or corrupt?): {exc}") from None


def _check_hdf5(path: Path) -> None:
    """Open every object header and attribute of ``path`` with h5py; raise on the first damaged one.

    h5netcdf would raise too, but a file whose root attributes are damaged leaves
    it half-initialised, and its finaliser then prints a traceback to stderr
    (``'File' object has no attribute '_writable'``) after the error is handled.
    """
    with h5py.File(path, "r") as f:
        dict(f.attrs)
        f.visititems(lambda name, obj: dict(obj.attrs) and None)


def parse_manifest(ds: xr.Dataset, where: str) -> dict[str, Any]:
    """The manifest of ``ds`` as a dict; :class:`DatasetError` if missing, unparseable or incomplete."""
    raw = ds.attrs.get("manifest")
    if not isinstance(raw, str):
        raise DatasetError(f"{where}: no manifest (attrs['manifest'] is missing)")
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{where}: the manifest is not valid JSON ({exc})") from None
    missing = [key for key in REQUIRED if not isinstance(record, dict) or key not in record]
    if missing:
        raise DatasetError(f"{where}: the manifest lacks {', '.join(missing)}")
    if "manifest_checksum" in record:
        if record["manifest_checksum"] != manifest.record_checksum(record):
            raise DatasetError(f"{where}: the manifest does not match its own checksum (file altered or corrupt)")
    elif record.get("format") != 1:  # format 1 (no checksum of its own) is still read
        raise DatasetError(f"{where}: the manifest lacks its manifest_checksum")
    if not isinstance(record["name"], str):
        raise DatasetError(f"{where}: the manifest's name must be a string, got {record['name']!r}")
    for key in ("dims", "shapes", "checksum"):
        entry = record[key]
        if not isinstance(entry, dict) or not {"input", "output"} <= set(entry):
            raise DatasetError(f"{where}: the manifest's {key} must have input and output entries, got {entry!r}")
        for var in ("input", "output"):
            ok = isinstance(entry[var], str) if key == "checksum" else isinstance(entry[var], list)
            if not ok:
                raise DatasetError(f"{where}: the manifest's {key} of {var} is malformed: {entry[var]!r}")
    if not isinstance(record["parameters"], dict):
        raise DatasetError(f"{where}: the manifest's parameters must be a mapping, got {record['parameters']!r}")
    return dict(record)


def validate(ds: xr.Dataset, where: str = "dataset") -> dict[str, Any]:
    """Check ``ds`` against its manifest and the dataset contract; return the manifest.

    Raises
    ------
    DatasetError
        Missing variables or coordinates, dims or shapes that differ from the
        manifest (or from the registered dataset), coordinate values that differ
        from those the manifest's resolution and parameters give, NaN/Inf
        values, or a checksum mismatch.
    """
    record = parse_manifest(ds, where)
    try:
        spec = DATASETS.get(record["name"])
        resolution, params = resolve(spec, record["resolution"], record["parameters"])
    except (UnknownNameError, InvalidParameterError) as exc:
        raise DatasetError(f"{where}: manifest: {exc}") from None
    missing = sorted(set(params) - set(record["parameters"]))
    if missing:  # a missing parameter would silently read as its default
        raise DatasetError(f"{where}: the manifest's parameters lack {', '.join(missing)}")
    expected = {"input": ("sample", *spec.input.dims), "output": ("sample", *spec.output.dims)}
    for var, dims in expected.items():
        if var not in ds.data_vars:
            raise DatasetError(f"{where}: variable {var!r} is missing")
        arr = ds[var]
        if arr.dims != dims or list(arr.dims) != list(record["dims"][var]):
            raise DatasetError(f"{where}: {var} has dims {arr.dims}, expected {dims}")
        if list(arr.shape) != list(record["shapes"][var]) or arr.shape[0] != record["n"]:
            raise DatasetError(f"{where}: {var} has shape {arr.shape}, the manifest says {record['shapes'][var]}")
        if arr.dtype != np.float64:
            raise DatasetError(f"{where}: {var} has dtype {arr.dtype}, expected float64")
        for dim in dims[1:]:
            if dim not in ds.coords:
                raise DatasetError(f"{where}: coordinate {dim!r} is missing")
        values = arr.values
        if not np.all(np.isfinite(values)):
            raise DatasetError(f"{where}: {var} contains NaN or Inf")
        if manifest.checksum(values) != record["checksum"][var]:
            raise DatasetError(f"{where}: the checksum of {var} does not match the manifest (file altered or corrupt)")
    expected_coords = {"sample": np.arange(record["n"])}
    expected_coords.update({dim: values for dim, (values, _) in spec.coords(resolution, params).items()})
    for dim, values in expected_coords.items():
        if dim not in ds.coords or not np.array_equal(ds[dim].values, values):
            raise DatasetError(f"{where}: coordinate {dim!r} differs from the one the manifest describes "
                               f"(resolution {resolution}, parameters {params})")
    return record


def load(path: str | Path) -> xr.Dataset:
    """Load a dataset file written by :func:`validation.datasets.generate` and check it.

    Returns
    -------
    xarray.Dataset
        In memory (the file is closed).

    Raises
    ------
    DatasetError
        The file is missing, unreadable (truncated, corrupt), or fails :func:`validate`.
    """
    ds = read(path)
    validate(ds, str(path))
    return ds
