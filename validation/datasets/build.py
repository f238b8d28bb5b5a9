"""In-memory datasets: samples from their own seeds, assembled into an xarray Dataset with a manifest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from equations.errors import check_integer
from validation.datasets import manifest
from validation.datasets.registry import DatasetSpec, get, resolve


def sample_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of sample ``index``: a function of ``(seed, index)`` only, so chunking never changes data."""
    return np.random.default_rng([seed, index])


def compute_samples(
    name: str, seed: int, start: int, stop: int, resolution: int, params: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """``(inputs, outputs)`` of samples ``start .. stop - 1`` (resolution and params already checked)."""
    spec = get(name)
    draws = np.stack([spec.draw(sample_rng(seed, i), resolution, params) for i in range(start, stop)])
    inputs, outputs = spec.solve(draws, resolution, params)
    return np.asarray(inputs, dtype=np.float64), np.asarray(outputs, dtype=np.float64)


def check_request(
    name: str, n: object, seed: object, resolution: object, params: Mapping[str, Any]
) -> tuple[DatasetSpec, int, int, int, dict[str, Any]]:
    """Checked ``(spec, n, seed, resolution, params)``: typed errors before any work starts."""
    spec = get(name)
    n = check_integer("n", n, 1)
    seed = check_integer("seed", seed, 0)
    res, full = resolve(spec, resolution, params)
    return spec, n, seed, res, full


def assemble(
    spec: DatasetSpec, inputs: np.ndarray, outputs: np.ndarray, *, seed: int, resolution: int,
    params: dict[str, Any],
) -> xr.Dataset:
    """The dataset of the contract: ``input``/``output`` with coordinates, CF attributes and the manifest."""
    n = inputs.shape[0]
    coords: dict[str, Any] = {"sample": ("sample", np.arange(n), {"long_name": "sample index"})}
    for dim, (values, attrs) in spec.coords(resolution, params).items():
        coords[dim] = (dim, values, attrs)
    data = {
        "input": (("sample", *spec.input.dims), inputs, {"long_name": spec.input.long_name, "units": spec.input.units}),
        "output": (("sample", *spec.output.dims), outputs,
                   {"long_name": spec.output.long_name, "units": spec.output.units}),
    }
    dims = {"input": ["sample", *spec.input.dims], "output": ["sample", *spec.output.dims]}
    attrs = {
        "title": spec.title,
        "Conventions": "CF-1.8",
        "source": f"sciml-toolkit validation.datasets ({spec.solver})",
        "manifest": manifest.build(name=spec.name, params=params, seed=seed, n=n, resolution=resolution,
                                   solver=spec.solver, inputs=inputs, outputs=outputs, dims=dims),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def make(name: str, n: int, *, resolution: int | None = None, seed: int = 0, **params: Any) -> xr.Dataset:
    """Dataset ``name`` with ``n`` samples, in memory.

    Parameters
    ----------
    name : str
        A name from :func:`validation.datasets.names`.
    n : int
        Number of samples, >= 1.
    resolution : int, optional
        Grid points per output axis (default: the dataset's own).
    seed : int
        Non-negative seed; sample ``i`` depends on ``(seed, i)`` only.
    **params
        Generator parameters (see each dataset module's ``DEFAULTS``).

    Returns
    -------
    xarray.Dataset
        ``input`` (dims ``("sample", *input_dims)``), ``output`` (dims
        ``("sample", *output_dims)``), coordinates, and ``attrs["manifest"]``.
    """
    spec, n, seed, res, full = check_request(name, n, seed, resolution, params)
    inputs, outputs = compute_samples(spec.name, seed, 0, n, res, full)
    return assemble(spec, inputs, outputs, seed=seed, resolution=res, params=full)
