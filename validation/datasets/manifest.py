"""The manifest of a dataset: what made it, with which software, and checksums of its arrays.

Stored as a JSON string in ``ds.attrs["manifest"]``, so it travels inside the
netCDF file. It holds no timestamp: the same request gives the same bytes.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
from typing import Any

import numpy as np

FORMAT = 1


def checksum(array: np.ndarray) -> str:
    """sha256 of the array's little-endian float64 bytes (C order), prefixed ``sha256:``."""
    data = np.ascontiguousarray(array, dtype="<f8")
    return "sha256:" + hashlib.sha256(data.tobytes()).hexdigest()


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


def build(
    *, name: str, params: dict[str, Any], seed: int, n: int, resolution: int, solver: str,
    inputs: np.ndarray, outputs: np.ndarray, dims: dict[str, list[str]],
) -> str:
    """The manifest JSON string of a dataset."""
    record = {
        "format": FORMAT,
        "name": name,
        "parameters": params,
        "seed": seed,
        "n": n,
        "resolution": resolution,
        "solver": solver,
        "sampling": "sample i draws from numpy.random.default_rng([seed, i])",
        "versions": versions(),
        "dims": dims,
        "shapes": {"input": list(inputs.shape), "output": list(outputs.shape)},
        "checksum": {"input": checksum(inputs), "output": checksum(outputs)},
    }
    return json.dumps(record, sort_keys=True)
