"""The manifest of a dataset: what made it, with which software, and checksums of its arrays.

Stored as a JSON string in ``ds.attrs["manifest"]``, so it travels inside the
netCDF file. It holds no timestamp: the same request gives the same bytes.
Since format 2 it holds its own checksum too (``manifest_checksum``, over the
other entries), so a damaged seed or parameter is caught like damaged data.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
from typing import Any

import numpy as np

FORMAT = 2


def checksum(array: np.ndarray) -> str:
    """sha256 of the array's little-endian float64 bytes (C order), prefixed ``sha256:``."""
    data = np.ascontiguousarray(array, dtype="<f8")
    return "sha256:" + hashlib.sha256(data.tobytes()).hexdigest()


def record_checksum(record: dict[str, Any]) -> str:
    """sha256 of the manifest ``record`` (sorted-key JSON) without its ``manifest_checksum`` entry."""
    body = {key: value for key, value in record.items() if key != "manifest_checksum"}
    return "sha256:" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def versions() -> dict[str, str]:
    """Versions of the software that shapes the numbers."""
    out = {name: _version(name) for name in ("numpy", "scipy", "xarray", "numba", "h5netcdf")}
    out["toolkit"] = _version("sciml-toolkit")
    out["python"] = platform.python_version()
    return out


SAMPLED = "sample i draws from numpy.random.default_rng([seed, i])"


def build(
    *, name: str, params: dict[str, Any], seed: int | None, n: int, resolution: int, solver: str,
    inputs: np.ndarray, outputs: np.ndarray, dims: dict[str, list[str]], input_source: dict[str, Any] | None = None,
) -> str:
    """The manifest JSON string of a dataset.

    ``input_source`` describes inputs the user supplied (``seed`` is then
    ``None``): recorded under ``input_source`` and in ``sampling``.
    """
    record: dict[str, Any] = {
        "format": FORMAT,
        "name": name,
        "parameters": params,
        "seed": seed,
        "n": n,
        "resolution": resolution,
        "solver": solver,
        "sampling": SAMPLED if input_source is None else "inputs supplied by the user (see input_source)",
        "versions": versions(),
        "dims": dims,
        "shapes": {"input": list(inputs.shape), "output": list(outputs.shape)},
        "checksum": {"input": checksum(inputs), "output": checksum(outputs)},
    }
    if input_source is not None:
        record["input_source"] = input_source
    record["manifest_checksum"] = record_checksum(record)
    return json.dumps(record, sort_keys=True)
