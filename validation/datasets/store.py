"""netCDF files of datasets: atomic writes, and loads that check the manifest before returning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr

from equations.errors import DatasetError, UnknownNameError
from sciml.atomic import atomic_write
from validation.datasets import manifest
from validation.datasets.registry import get

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
        with xr.open_dataset(path, engine=ENGINE) as ds:
            return ds.load()
    except Exception as exc:  # h5py/h5netcdf raise OSError, ValueError, KeyError... on damaged files
        raise DatasetError(f"cannot read dataset file {path} (truncated or corrupt?): {exc}") from None


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
    return dict(record)


def validate(ds: xr.Dataset, where: str = "dataset") -> dict[str, Any]:
    """Check ``ds`` against its manifest and the dataset contract; return the manifest.

    Raises
    ------
    DatasetError
        Missing variables or coordinates, dims or shapes that differ from the
        manifest (or from the registered dataset), NaN/Inf values, or a checksum mismatch.
    """
    record = parse_manifest(ds, where)
    try:
        spec = get(record["name"])
    except UnknownNameError as exc:
        raise DatasetError(f"{where}: {exc}") from None
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
