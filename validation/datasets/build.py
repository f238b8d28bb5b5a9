"""In-memory datasets: samples from their own seeds, assembled into an xarray Dataset with a manifest."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from equations.errors import InvalidDataError, InvalidParameterError, check_integer
from equations.resources import require_memory
from sciml.operators.shapes import as_float_array
from validation.datasets import manifest
from validation.datasets.registry import DATASETS, DatasetSpec, resolve


def sample_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of sample ``index``: a function of ``(seed, index)`` only, so chunking never changes data."""
    return np.random.default_rng([seed, index])


def compute_samples(
    name: str, seed: int, start: int, stop: int, resolution: int, params: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """``(inputs, outputs)`` of samples ``start .. stop - 1`` (resolution and params already checked)."""
    spec = DATASETS.get(name)
    draws = np.stack([spec.draw(sample_rng(seed, i), resolution, params) for i in range(start, stop)])
    inputs, outputs = spec.solve(draws, resolution, params)
    return np.asarray(inputs, dtype=np.float64), np.asarray(outputs, dtype=np.float64)


def check_request(
    name: str, n: object, seed: object, resolution: object, params: Mapping[str, Any]
) -> tuple[DatasetSpec, int, int, int, dict[str, Any]]:
    """Checked ``(spec, n, seed, resolution, params)``: typed errors before any work starts."""
    spec = DATASETS.get(name)
    n = check_integer("n", n, 1)
    seed = check_integer("seed", seed, 0)
    res, full = resolve(spec, resolution, params)
    check_memory(spec, n, res, full)
    return spec, n, seed, res, full


#: Bytes per stored number while a dataset is made: float64 inputs and outputs, held twice (the
#: samples and the assembled arrays, or the parts and their concatenation).
BYTES_PER_NUMBER = 16


def check_memory(spec: DatasetSpec, n: int, resolution: int, params: Mapping[str, Any]) -> None:
    """Refuse (:class:`~equations.errors.ResourceError`) ``n`` samples whose inputs and outputs cannot fit.

    Before the coordinate vectors are even made, a bound that needs none:
    each output holds at least ``resolution`` numbers (the points of one
    output axis) and each coordinate vector at most the resolution or the
    largest integer parameter (``sensors``...). Then ``n`` times the numbers
    per sample, :data:`BYTES_PER_NUMBER` bytes each (a lower bound: the
    solver's own work arrays come on top).
    """
    dims = {*spec.input.dims, *spec.output.dims}
    longest = max([resolution, *(v for v in params.values() if isinstance(v, int) and not isinstance(v, bool))])
    require_memory(f"{n:,} samples of dataset {spec.name!r} at resolution {resolution} (at least)",
                   n * resolution * BYTES_PER_NUMBER + 8 * longest * len(dims))
    sizes = {dim: len(values) for dim, (values, _) in spec.coords(resolution, params).items()}
    per_sample = math.prod(sizes[d] for d in spec.input.dims) + math.prod(sizes[d] for d in spec.output.dims)
    require_memory(f"{n:,} samples of dataset {spec.name!r} at resolution {resolution} ({per_sample:,} numbers "
                   "each)", n * per_sample * BYTES_PER_NUMBER)


def assemble(
    spec: DatasetSpec, inputs: np.ndarray, outputs: np.ndarray, *, seed: int | None, resolution: int,
    params: dict[str, Any], input_source: dict[str, Any] | None = None,
) -> xr.Dataset:
    """The dataset of the contract: ``input``/``output`` with coordinates, CF attributes and the manifest.

    ``input_source`` (user-supplied inputs, ``seed`` None) goes into the manifest.
    """
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
                                   solver=spec.solver, inputs=inputs, outputs=outputs, dims=dims,
                                   input_source=input_source),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def make(name: str, n: int | None = None, *, resolution: int | None = None, seed: int | None = None,
         inputs: Any = None, **params: Any) -> xr.Dataset:
    """Dataset ``name`` with ``n`` samples, in memory.

    Parameters
    ----------
    name : str
        A name from ``validation.datasets.DATASETS.names()``.
    n : int
        Number of samples, >= 1 (with ``inputs``: optional, must match them).
    resolution : int, optional
        Grid points per output axis (default: the dataset's own).
    seed : int, optional
        Non-negative seed (default 0); sample ``i`` depends on ``(seed, i)`` only.
    inputs : array, optional
        The user's own input functions instead of random draws: see
        :func:`from_inputs` (``seed`` must then be left out).
    **params
        Generator parameters (see each dataset module's ``DEFAULTS``).

    Returns
    -------
    xarray.Dataset
        ``input`` (dims ``("sample", *input_dims)``), ``output`` (dims
        ``("sample", *output_dims)``), coordinates, and ``attrs["manifest"]``.
    """
    if inputs is not None:
        if seed is not None:
            raise InvalidParameterError("make: seed has no effect with inputs= (the inputs are not drawn)")
        given = user_inputs(DATASETS.get(name), inputs)
        if n is not None and check_integer("n", n, 1) != given.shape[0]:
            raise InvalidParameterError(f"make: n={n}, but inputs hold {given.shape[0]} samples")
        return from_inputs(name, given, resolution=resolution, **params)
    spec, n, seed, res, full = check_request(name, n, 0 if seed is None else seed, resolution, params)
    inputs, outputs = compute_samples(spec.name, seed, 0, n, res, full)
    return assemble(spec, inputs, outputs, seed=seed, resolution=res, params=full)


def user_inputs(spec: DatasetSpec, inputs: Any) -> np.ndarray:
    """User-supplied inputs as ``(n, *input shape)``: a batch, a batch with a trailing size-1 axis, or one sample."""
    k = len(spec.input.dims)
    u = as_float_array("inputs", inputs)
    if u.ndim == k + 2 and u.shape[-1] == 1:
        u = u[..., 0]
    elif u.ndim == k:
        u = u[None]
    if u.ndim != k + 1:
        axes = ", ".join(spec.input.dims)
        raise InvalidDataError(f"{spec.name}: inputs must be (n, {axes}) -- n functions on the input grid -- or "
                               f"(n, {axes}, 1), or ({axes}) for one; got shape {np.shape(inputs)}")
    return u


def from_inputs(name: str, inputs: Any, *, resolution: int | None = None, **params: Any) -> xr.Dataset:
    """Dataset ``name`` made from the user's own input functions; the family's classical solver computes the outputs.

    Parameters
    ----------
    name : str
        A name from ``validation.datasets.DATASETS.names()``.
    inputs : array
        Input functions on the grid of the dataset's ``input`` variable:
        ``(n, sensors)`` for the sensor families (uniform sensors on
        ``[0, 1]``; ``sensors`` defaults to the array's width), ``(n, res)`` for
        Burgers and ``(n, res, res)`` for Darcy (``resolution`` defaults to the
        array's). A trailing size-1 axis, or one function without the sample
        axis, is accepted. How the solver reads them (a spline through sensor
        values, say) is the family's ``lift_method``, recorded in the manifest.
    resolution : int, optional
        Grid points per output axis; for Burgers and Darcy it must be the inputs' own.
    **params
        Generator parameters, as in :func:`make` (the distribution's are recorded but unused).

    Returns
    -------
    xarray.Dataset
        The contract of :func:`make`: the ``input`` variable holds exactly the
        given values; ``attrs["manifest"]`` has ``seed`` null and an
        ``input_source`` entry (``kind`` "user-supplied", the inputs'
        ``checksum`` and ``shape``, the ``method``). It validates, saves and
        loads like any other dataset.

    Raises
    ------
    InvalidDataError
        Inputs that are not numeric, hold NaN/Inf, or whose shape does not fit
        the dataset's input grid (the message names both shapes), or outputs
        the solver could not make finite.
    """
    spec = DATASETS.get(name)
    u = user_inputs(spec, inputs)
    sizes = dict(zip(spec.input.dims, u.shape[1:]))
    params = dict(params)
    if "sensor" in sizes and "sensors" in spec.defaults and "sensors" not in params:
        params["sensors"] = sizes["sensor"]
    shared = [dim for dim in spec.input.dims if dim in spec.output.dims]
    if resolution is None and shared:  # the input lives on the output grid: its size is the resolution
        resolution = sizes[shared[0]]
    res, full = resolve(spec, resolution, params)
    check_memory(spec, len(u), res, full)  # the outputs (a --resolution of the user's choosing) must fit too
    coords = spec.coords(res, full)
    expected = tuple(len(coords[dim][0]) for dim in spec.input.dims)
    if u.shape[1:] != expected:
        raise InvalidDataError(f"{spec.name}: inputs must be (n, {', '.join(map(str, expected))}) for resolution "
                               f"{res} and these parameters (dims {spec.input.dims}); got shape {np.shape(inputs)}")
    draws = spec.lift(u, res, full) if spec.lift is not None else u
    _, outputs = spec.solve(draws, res, full)
    outputs = np.asarray(outputs, dtype=np.float64)
    bad = ~np.isfinite(outputs.reshape(len(u), -1)).all(axis=1)
    if bad.any():
        raise InvalidDataError(f"{spec.name}: the solver gave NaN or Inf for input sample(s) "
                               f"{np.flatnonzero(bad)[:10].tolist()}")
    source = {"kind": "user-supplied", "checksum": manifest.checksum(u), "shape": list(u.shape),
              "method": spec.lift_method}
    return assemble(spec, u, outputs, seed=None, resolution=res, params=full, input_source=source)
