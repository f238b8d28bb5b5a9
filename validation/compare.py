"""``compare``: learners and a classical reference on one grid, as one xarray Dataset."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

import solvers
from equations import Equation
from equations.errors import InvalidDataError, InvalidParameterError
from sciml.core.base import Learner
from solvers.registry import mismatch
from validation.grid import grid_points
from validation.metrics import max_error, relative_l2, rmse

METRICS = ("relative_l2", "max_error", "rmse", "wall_time_s", "steps_per_s", "n_parameters")
METRIC_ATTRS = {
    "relative_l2": "||u - u_ref||_2 / ||u_ref||_2 on the grid",
    "max_error": "max |u - u_ref| on the grid",
    "rmse": "root mean square error on the grid",
    "wall_time_s": "training wall time in seconds",
    "steps_per_s": "optimizer steps per second of the first (Adam) stage",
    "n_parameters": "number of trainable parameters",
}


def compare(
    equation: Equation,
    learners: Mapping[str, Learner] | Sequence[Learner],
    resolution: Sequence[int] | None = None,
    reference: xr.DataArray | None = None,
    fit: bool = True,
    solver_options: Mapping[str, Any] | None = None,
    method: str | None = None,
) -> xr.Dataset:
    """Fit each learner on ``equation`` and compare it with the classical reference.

    Parameters
    ----------
    equation : Equation
    learners : mapping name -> learner (or a sequence, named by ``learner.name``)
    resolution : sequence of int, optional
        Grid points per coordinate (in ``equation.domain.names`` order); default
        ``equation.default_resolution``. Ignored when ``reference`` is given.
    reference : DataArray, optional
        A precomputed reference; by default ``solvers.solve(equation, resolution)``.
    fit : bool
        Fit the learners first (False: they are already fitted).
    solver_options : mapping, optional
        Options of the classical solver.
    method : str, optional
        Classical solver (``solvers.available(equation)``). By default the
        closed form when the equation has one -- a discretisation's own error
        (e.g. 3e-3 for 5-point Helmholtz at 129^2) would otherwise hide the
        learners' -- and else the first solver that implements the spec as
        given (a subclass that changes conditions or sources is refused by the
        solvers that would ignore the change: ``SpecMismatchError``).

    Returns
    -------
    xarray.Dataset
        ``reference``, ``<name>`` (prediction) and ``<name>_error`` per learner on
        the grid, a ``metrics`` variable (learner x metric), the loss history
        ``<name>_loss`` over ``<name>_step``, and CF attributes.
    """
    named = _named(learners)
    if reference is None:
        if resolution is None:
            resolution = equation.default_resolution
        if not resolution:
            raise InvalidParameterError(
                f"{type(equation).__name__} has no default_resolution: pass resolution= (points per coordinate "
                f"{equation.domain.names}) or a precomputed reference"
            )
        if method is None and mismatch(equation, "exact") is None:
            method = "exact"  # a closed form that still describes this spec (not a subclass's changed problem)
        reference = solvers.solve(equation, tuple(resolution), method=method, **(solver_options or {}))
    ref = np.asarray(reference.values, dtype=float)
    points = grid_points(equation, reference)
    inside = np.isfinite(ref)
    field = equation.field
    coords = {n: reference[n] for n in reference.dims}
    data: dict[str, Any] = {"reference": reference.rename("reference")}
    data["reference"].attrs.update(long_name=f"{field.long_name or field.name} (classical reference)",
                                   units=field.units)
    rows = []
    training: dict[str, str] = {}
    for name, learner in named.items():
        t0 = time.perf_counter()
        if fit:
            learner.fit(equation)
        wall = getattr(learner, "fit_time_", time.perf_counter() - t0)
        # only the points inside the domain: the cut-out corner of an L-shape is not the learner's to predict
        pred = np.full(ref.shape, np.nan)
        pred[inside] = np.asarray(learner.predict(points[inside.ravel()]), dtype=float).reshape(-1)
        err = pred - ref
        data[name] = xr.DataArray(pred, coords, reference.dims, attrs={
            "long_name": f"{field.long_name or field.name} predicted by {name}", "units": field.units})
        data[f"{name}_error"] = xr.DataArray(err, coords, reference.dims, attrs={
            "long_name": f"pointwise error of {name} (prediction - reference)", "units": field.units})
        history = getattr(learner, "history_", None)
        if history is not None and history.loss:
            data[f"{name}_loss"] = xr.DataArray(
                np.asarray(history.loss), {f"{name}_step": np.asarray(history.step)}, (f"{name}_step",),
                attrs={"long_name": f"training loss of {name}", "units": "1"})
        gaussians = getattr(learner, "gaussians", None)
        if gaussians is not None:  # PIG: its adaptive mesh, for the figure and for users
            mesh = gaussians()
            dims = (f"{name}_gaussian", "input")
            coords_g = {"input": list(equation.domain.names)}
            data[f"{name}_gaussian_centre"] = xr.DataArray(
                mesh["centres"], coords_g, dims, attrs={"long_name": f"centres of the Gaussians of {name}"})
            data[f"{name}_gaussian_width"] = xr.DataArray(
                mesh["widths"], coords_g, dims, attrs={"long_name": f"widths (sigma) of the Gaussians of {name}"})
            if "covariances" in mesh:
                data[f"{name}_gaussian_covariance"] = xr.DataArray(
                    mesh["covariances"], {**coords_g, "input_2": coords_g["input"]}, (*dims, "input_2"),
                    attrs={"long_name": f"covariance matrices of the Gaussians of {name}"})
        steps_per_s = history.stages[0]["steps_per_second"] if history and history.stages else np.nan
        if history is not None and history.stages:  # how each stage ended (budget, stalled, converged)
            training[f"{name}_training"] = "; ".join(
                f"{st['stage']}: {st['steps']} steps in {st['seconds']:.1f} s, stop: {st.get('stop', 'budget')}"
                for st in history.stages)
        rows.append([relative_l2(pred, ref), max_error(pred, ref), rmse(pred, ref), wall, steps_per_s,
                     float(getattr(learner, "n_parameters_", np.nan))])
    ds = xr.Dataset(data)
    ds["metrics"] = xr.DataArray(np.asarray(rows, dtype=float).reshape(len(named), len(METRICS)),
                                 {"learner": list(named), "metric": list(METRICS)}, ("learner", "metric"),
                                 attrs={"long_name": "comparison metrics",
                                        "description": "; ".join(f"{k}: {v}" for k, v in METRIC_ATTRS.items())})
    ds.attrs.update(
        Conventions="CF-1.10",
        title=f"{equation.title or equation.name}: learners vs classical reference",
        equation=equation.name,
        reference_solver=str(reference.attrs.get("solver", "given")),
        **{f"equation_{k}": _attr(v) for k, v in equation.parameters().items()},
        **training,
    )
    return ds


def _named(learners: Mapping[str, Learner] | Sequence[Learner]) -> dict[str, Learner]:
    if isinstance(learners, Mapping):
        named = dict(learners)
    else:
        named = {}
        for learner in learners:
            key = learner.name
            named[key if key not in named else f"{key}_{len(named)}"] = learner
    if not named:
        raise InvalidParameterError("compare needs at least one learner")
    bad = [k for k in named if not k.isidentifier() or k in ("reference", "metrics")]
    if bad:
        raise InvalidParameterError(f"learner names must be identifiers other than reference/metrics: {bad}")
    for key, learner in named.items():
        if not isinstance(learner, Learner):
            raise InvalidDataError(f"{key!r} is not a learner (got {type(learner).__name__})")
    return named


def _attr(v: Any) -> Any:
    """netCDF attributes must be numbers or strings."""
    return v if isinstance(v, (int, float, str)) and not isinstance(v, bool) else str(v)
