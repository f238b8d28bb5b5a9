"""``compare``: learners and a classical reference on one grid, as one xarray Dataset."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

import solvers
from equations import Equation
from equations.errors import InvalidDataError, InvalidParameterError
from equations.systems import require_scalar
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
    learners : mapping or sequence of Learner
        ``{label: learner}``, or a sequence labelled by ``learner.name`` (the
        class name in lower case for a learner that has none).
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
        ``<name>_loss`` over ``<name>_step``, the learner's
        :meth:`~sciml.core.base.Learner.fitted_structure` as ``<name>_<variable>``
        (:func:`structure_variables`), and CF attributes.
    """
    require_scalar(equation, "compare")
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
        if fit:
            learner.fit(equation)
        # only the points inside the domain: the cut-out corner of an L-shape is not the learner's to predict
        pred = np.full(ref.shape, np.nan)
        pred[inside] = _predict(learner, points[inside.ravel()])
        err = pred - ref
        data[name] = xr.DataArray(pred, coords, reference.dims, attrs={
            "long_name": f"{field.long_name or field.name} predicted by {name}", "units": field.units})
        data[f"{name}_error"] = xr.DataArray(err, coords, reference.dims, attrs={
            "long_name": f"pointwise error of {name} (prediction - reference)", "units": field.units})
        history = learner.history_
        if history.loss:
            data[f"{name}_loss"] = xr.DataArray(
                np.asarray(history.loss), {f"{name}_step": np.asarray(history.step)}, (f"{name}_step",),
                attrs={"long_name": f"training loss of {name}", "units": "1"})
        structure = structure_variables(name, learner.fitted_structure())
        clash = sorted(set(structure) & set(data))
        if clash:
            raise InvalidDataError(f"the fitted structure of {name!r} would overwrite {clash}; rename its variables")
        data.update(structure)
        steps_per_s = history.stages[0]["steps_per_second"] if history.stages else np.nan
        if history.stages:  # how each stage ended (budget, stalled, converged)
            training[f"{name}_training"] = "; ".join(
                f"{st['stage']}: {st['steps']} steps in {st['seconds']:.1f} s, stop: {st.get('stop', 'budget')}"
                for st in history.stages)
        rows.append([relative_l2(pred, ref), max_error(pred, ref), rmse(pred, ref), learner.fit_time_, steps_per_s,
                     float(learner.n_parameters_)])
    ds = xr.Dataset(data)
    ds["metrics"] = xr.DataArray(np.asarray(rows, dtype=float).reshape(len(named), len(METRICS)),
                                 {"learner": list(named), "metric": list(METRICS)}, ("learner", "metric"),
                                 attrs={"long_name": "comparison metrics",
                                        "description": "; ".join(f"{k}: {v}" for k, v in METRIC_ATTRS.items())})
    ds.attrs.update(
        Conventions="CF-1.10",
        title=f"{equation.title or equation.label}: learners vs classical reference",
        equation=equation.label,
        reference_solver=str(reference.attrs.get("solver", "given")),
        **{f"equation_{k}": _attr(v) for k, v in equation.parameters().items()},
        **training,
    )
    return ds


def structure_variables(label: str, structure: xr.Dataset) -> dict[str, xr.DataArray]:
    """A learner's fitted structure as ``compare`` stores it: every name prefixed with ``<label>_``.

    Parameters
    ----------
    label : str
        The learner's label in the comparison.
    structure : xarray.Dataset
        What :meth:`~sciml.core.base.Learner.fitted_structure` returned.

    Returns
    -------
    dict of str to xarray.DataArray
        Each data variable as ``<label>_<variable>``, its dimensions and
        coordinates renamed ``<label>_<dim>`` too (two learners' structures
        never share, and never clash with, a dimension), and
        ``attrs["learner"] = label`` so that the figure finds it by learner and
        role.
    """
    def dims(names: tuple[Any, ...]) -> tuple[str, ...]:
        return tuple(f"{label}_{d}" for d in names)

    out = {}
    for name, var in structure.data_vars.items():
        coords = {f"{label}_{k}": (dims(c.dims), c.values, c.attrs) for k, c in var.coords.items()}
        out[f"{label}_{name}"] = xr.DataArray(var.values, coords, dims(var.dims), attrs={**var.attrs, "learner": label})
    return out


def _predict(learner: Learner, points: np.ndarray) -> np.ndarray:
    """A field learner's values at ``points`` (``predict(points)`` is the field kind's verb), flattened."""
    field_learner: Any = learner
    return np.asarray(field_learner.predict(points), dtype=float).reshape(-1)


def _named(learners: Mapping[str, Learner] | Sequence[Learner]) -> dict[str, Learner]:
    if isinstance(learners, Mapping):
        named = dict(learners)
    else:
        named = {}
        for learner in learners:
            key = learner.name or type(learner).__name__.lower()  # a user's learner need not register
            named[key if key not in named else f"{key}_{len(named)}"] = learner
    if not named:
        raise InvalidParameterError("compare needs at least one learner")
    bad = [k for k in named if not k.isidentifier() or k in ("reference", "metrics")]
    if bad:
        raise InvalidParameterError(f"learner names must be identifiers other than reference/metrics: {bad}")
    for key, learner in named.items():
        if not isinstance(learner, Learner):
            raise InvalidDataError(f"{key!r} is not a learner (got {type(learner).__name__})")
        if learner.kind != "field":
            raise InvalidParameterError(f"compare fits field learners on an equation; {key!r} is a "
                                        f"{learner.kind or 'kindless'} learner (operator learners: compare_operator)")
    return named


def _attr(v: Any) -> Any:
    """netCDF attributes must be numbers or strings."""
    return v if isinstance(v, (int, float, str)) and not isinstance(v, bool) else str(v)
