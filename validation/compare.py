"""``compare``: learners and a classical reference on one grid, as one xarray Dataset."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

import solvers
from equations import Equation
from equations.core import Variable
from equations.errors import InvalidDataError, InvalidParameterError
from equations.systems import check_system, field_names, is_system
from sciml.core.base import Learner
from solvers.registry import mismatch
from validation.fields import FIELDS_ATTR, error_name, prediction_name, reference_name
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
UP_TO_CONSTANT = "means removed (field defined up to a constant)"


def compare(
    equation: Equation,
    learners: Mapping[str, Learner] | Sequence[Learner],
    resolution: Sequence[int] | None = None,
    reference: xr.DataArray | xr.Dataset | None = None,
    fit: bool = True,
    solver_options: Mapping[str, Any] | None = None,
    method: str | None = None,
) -> xr.Dataset:
    """Fit each learner on ``equation`` and compare it with the classical reference.

    Parameters
    ----------
    equation : Equation
        A scalar spec or a system (several ``fields``, checked by
        :func:`equations.systems.check_system`).
    learners : mapping or sequence of Learner
        ``{label: learner}``, or a sequence labelled by ``learner.name`` (the
        class name in lower case for a learner that has none). On a system,
        ``predict(points)`` returns ``(n, M)``: one column per field, in
        ``equation.unknowns`` order.
    resolution : sequence of int, optional
        Grid points per coordinate (in ``equation.domain.names`` order); default
        ``equation.default_resolution``. Ignored when ``reference`` is given.
    reference : DataArray or Dataset, optional
        A precomputed reference; by default ``solvers.solve(equation, resolution)``
        (``solvers.solve_fields`` for a system). A system's reference is a
        Dataset with one variable per field, all on one grid.
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
        (:func:`structure_variables`), and CF attributes. For a system, one
        variable per field instead: ``reference_<field>``, ``<name>_<field>``,
        ``<name>_<field>_error`` (:mod:`validation.fields`), ``metrics`` over
        (learner, field, metric) and the attribute ``fields`` listing them. A
        field defined up to a constant (``Variable.up_to_constant``) is compared
        with the means of prediction and reference removed (attribute
        ``comparison``).

    Raises
    ------
    InvalidDataError
        A reference that lacks a field or mixes grids, a prediction of the
        wrong shape, a fitted structure that would overwrite a variable.
    InvalidParameterError
        No learner, no resolution, names that give clashing variables.
    """
    system = is_system(equation)
    if system:
        check_system(equation)
    named = _named(learners)
    _check_names(list(named), list(field_names(equation)) if system else [None])
    if reference is None:
        reference = solve_reference(equation, resolution, method, solver_options)
    refs = _reference_fields(equation, reference)
    variables = dict(zip(refs, equation.unknowns))
    grid = next(iter(refs.values()))
    points = grid_points(equation, grid)
    inside = np.logical_or.reduce([np.isfinite(np.asarray(r.values, dtype=float)) for r in refs.values()])
    coords = {n: grid[n] for n in grid.dims}
    compared = {key: _compared(np.asarray(ref.values, dtype=float), variables[key]) for key, ref in refs.items()}
    data: dict[str, Any] = {
        reference_name(key): _reference_variable(ref, variables[key], key, compared[key]) for key, ref in refs.items()}
    rows = []
    training: dict[str, str] = {}
    for name, learner in named.items():
        if fit:
            learner.fit(equation)
        # only the points inside the domain: the cut-out corner of an L-shape is not the learner's to predict
        predicted = _grid_predictions(equation, name, learner, points, inside, list(refs))
        history = learner.history_
        steps_per_s = history.stages[0]["steps_per_second"] if history.stages else np.nan
        timing = [learner.fit_time_, steps_per_s, float(learner.n_parameters_)]
        scores = []
        for key in refs:
            ref_values = compared[key][0]
            pred, pred_mean = _compared(np.where(np.isfinite(ref_values), predicted[key], np.nan), variables[key])
            data.update(_learner_variables(name, key, variables[key], pred, pred - ref_values, pred_mean, coords,
                                           grid.dims))
            scores.append([relative_l2(pred, ref_values), max_error(pred, ref_values), rmse(pred, ref_values),
                           *timing])
        if history.loss:
            data[f"{name}_loss"] = xr.DataArray(
                np.asarray(history.loss), {f"{name}_step": np.asarray(history.step)}, (f"{name}_step",),
                attrs={"long_name": f"training loss of {name}", "units": "1"})
        structure = structure_variables(name, learner.fitted_structure())
        clash = sorted(set(structure) & set(data))
        if clash:
            raise InvalidDataError(f"the fitted structure of {name!r} would overwrite {clash}; rename its variables")
        data.update(structure)
        if history.stages:  # how each stage ended (budget, stalled, converged)
            training[f"{name}_training"] = "; ".join(
                f"{st['stage']}: {st['steps']} steps in {st['seconds']:.1f} s, stop: {st.get('stop', 'budget')}"
                for st in history.stages)
        rows.append(scores if system else scores[0])
    ds = xr.Dataset(data)
    ds["metrics"] = _metrics(rows, list(named), field_names(equation) if system else None)
    ds.attrs.update(
        Conventions="CF-1.10",
        title=f"{equation.title or equation.label}: learners vs classical reference",
        equation=equation.label,
        reference_solver=str(reference.attrs.get("solver", "given")),
        **({FIELDS_ATTR: " ".join(field_names(equation))} if system else {}),
        **{f"equation_{k}": netcdf_attr(v) for k, v in equation.parameters().items()},
        **training,
    )
    return ds


def solve_reference(equation: Equation, resolution: Sequence[int] | None, method: str | None,
                    solver_options: Mapping[str, Any] | None = None) -> xr.DataArray | xr.Dataset:
    """The classical reference ``compare`` uses on the grid.

    ``solvers.solve`` (scalar spec) or ``solvers.solve_fields`` (system), with
    the closed form where one still describes the spec; ``resolution`` None
    takes the equation's default.
    """
    if resolution is None:
        resolution = equation.default_resolution
    if not resolution:
        raise InvalidParameterError(
            f"{type(equation).__name__} has no default_resolution: pass resolution= (points per coordinate "
            f"{equation.domain.names}) or a precomputed reference"
        )
    if method is None and mismatch(equation, "exact") is None:
        method = "exact"  # a closed form that still describes this spec (not a subclass's changed problem)
    solve = solvers.solve_fields if is_system(equation) else solvers.solve
    return solve(equation, tuple(resolution), method=method, **(solver_options or {}))


def _reference_fields(equation: Equation, reference: Any) -> dict[str | None, xr.DataArray]:
    """The reference of each field, by field (the one key None for a scalar spec), checked to share one grid."""
    names = field_names(equation)
    if not is_system(equation):
        if isinstance(reference, xr.Dataset):  # e.g. what solvers.solve_fields returns for one field
            _require_fields(equation, reference)
            return {None: reference[names[0]]}
        return {None: reference}
    if not isinstance(reference, xr.Dataset):
        raise InvalidDataError(f"{equation.label} is a system of fields ({', '.join(names)}): give its reference as "
                               f"an xarray Dataset with one variable per field (as solvers.solve_fields returns), "
                               f"not a {type(reference).__name__}")
    _require_fields(equation, reference)
    refs: dict[str | None, xr.DataArray] = {name: reference[name] for name in names}
    first = refs[names[0]]
    for name, ref in refs.items():
        same = ref.dims == first.dims and all(np.array_equal(ref[d].values, first[d].values) for d in first.dims)
        if not same:
            raise InvalidDataError(f"the reference of field {name!r} (dims {ref.dims}) is not on the grid of field "
                                   f"{names[0]!r} (dims {first.dims}); every field needs the same grid")
    return refs


def _require_fields(equation: Equation, reference: xr.Dataset) -> None:
    names = field_names(equation)
    missing = [n for n in names if n not in reference.data_vars]
    if missing:
        raise InvalidDataError(f"the reference Dataset lacks the field(s) {', '.join(missing)} of {equation.label}; "
                               f"it needs one variable per field ({', '.join(names)}), it has "
                               f"{', '.join(map(str, reference.data_vars)) or 'none'}")


def _check_names(learners: list[str], fields: list[str | None]) -> None:
    """Refuse learner and field names whose variables would coincide (e.g. learner ``a`` field ``loss``)."""
    names = [reference_name(f) for f in fields] + ["metrics"]
    for learner in learners:
        names += [prediction_name(learner, f) for f in fields] + [error_name(learner, f) for f in fields]
        names += [f"{learner}_loss", f"{learner}_step"]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise InvalidParameterError(f"learner and field names {learners} x {[f for f in fields if f]} give clashing "
                                    f"variable names {clashes}; rename a learner")


def _compared(values: np.ndarray, variable: Variable) -> tuple[np.ndarray, float | None]:
    """The values as compared, and the mean removed (None: kept as they are; see ``Variable.up_to_constant``)."""
    if not variable.up_to_constant:
        return values, None
    mean = float(np.mean(values[np.isfinite(values)])) if np.isfinite(values).any() else np.nan
    return values - mean, mean


def _constant_attrs(mean: float | None) -> dict[str, Any]:
    """What a comparison says about a field defined up to a constant (nothing for any other field)."""
    return {} if mean is None else {"comparison": UP_TO_CONSTANT, "removed_mean": mean}


def _reference_variable(ref: xr.DataArray, variable: Variable, key: str | None,
                        compared: tuple[np.ndarray, float | None]) -> xr.DataArray:
    """The reference of one field with its CF attributes (its mean removed where only its gradient counts)."""
    values, mean = compared
    out = ref.rename(reference_name(key)) if mean is None else ref.copy(data=values).rename(reference_name(key))
    out.attrs = {**ref.attrs, "long_name": f"{variable.long_name or variable.name} (classical reference)",
                 "units": variable.units, **_constant_attrs(mean)}
    return out


def _learner_variables(name: str, key: str | None, variable: Variable, pred: np.ndarray, err: np.ndarray,
                       mean: float | None, coords: Mapping[Any, Any], dims: tuple[Any, ...]) -> dict[str, xr.DataArray]:
    """A learner's prediction and pointwise error of one field, with their CF attributes."""
    what = variable.long_name or variable.name
    in_field = "" if key is None else f" in {key}"
    constant = _constant_attrs(mean)
    return {
        prediction_name(name, key): xr.DataArray(pred, coords, dims, attrs={
            "long_name": f"{what} predicted by {name}", "units": variable.units, **constant}),
        error_name(name, key): xr.DataArray(err, coords, dims, attrs={
            "long_name": f"pointwise error of {name}{in_field} (prediction - reference)", "units": variable.units,
            **({"comparison": UP_TO_CONSTANT} if constant else {})}),
    }


def _metrics(rows: list[Any], learners: list[str], fields: tuple[str, ...] | None) -> xr.DataArray:
    """``metrics`` over (learner, metric), or (learner, field, metric) for a system."""
    attrs = {"long_name": "comparison metrics",
             "description": "; ".join(f"{k}: {v}" for k, v in METRIC_ATTRS.items())}
    if fields is None:
        return xr.DataArray(np.asarray(rows, dtype=float).reshape(len(learners), len(METRICS)),
                            {"learner": learners, "metric": list(METRICS)}, ("learner", "metric"), attrs=attrs)
    return xr.DataArray(np.asarray(rows, dtype=float).reshape(len(learners), len(fields), len(METRICS)),
                        {"learner": learners, "field": list(fields), "metric": list(METRICS)},
                        ("learner", "field", "metric"), attrs=attrs)


def _grid_predictions(equation: Equation, name: str, learner: Learner, points: np.ndarray, inside: np.ndarray,
                      keys: list[str | None]) -> dict[str | None, np.ndarray]:
    """Each field's prediction on the grid: the learner's values inside the domain, NaN outside."""
    if not is_system(equation):
        pred = np.full(inside.shape, np.nan)
        pred[inside] = _predict(learner, points[inside.ravel()])
        return {None: pred}
    values = _predict_fields(equation, name, learner, points[inside.ravel()])
    grid = np.full((*inside.shape, len(keys)), np.nan)
    grid[inside] = values
    return {key: grid[..., j] for j, key in enumerate(keys)}


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


def _predict_fields(equation: Equation, name: str, learner: Learner, points: np.ndarray) -> np.ndarray:
    """A field learner's ``(n, M)`` values of a system's M fields at ``points``, checked for shape."""
    field_learner: Any = learner
    values = np.asarray(field_learner.predict(points), dtype=float)
    names = field_names(equation)
    expected = (len(points), len(names))
    if values.shape != expected:
        raise InvalidDataError(f"learner {name!r} predicted shape {values.shape} at {len(points)} points; "
                               f"{equation.label} is a system of {len(names)} fields, so predict must return "
                               f"shape {expected}, one column per field ({', '.join(names)})")
    return values


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


def netcdf_attr(v: Any) -> Any:
    """``v`` as netCDF can hold it: numbers and strings as they are, anything else (booleans too) as text."""
    return v if isinstance(v, (int, float, str)) and not isinstance(v, bool) else str(v)
