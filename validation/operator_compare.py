"""``compare_operator``: a fitted operator learner against classical outputs on a test set."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import xarray as xr

from equations.errors import InvalidDataError, InvalidParameterError
from sciml.core.base import Learner
from sciml.operators.shapes import grid_batch, match_prediction, output_batch

if TYPE_CHECKING:
    from sciml.operators.learner import OperatorLearner


def compare_operator(learner: Learner, dataset: xr.Dataset | None = None, *, inputs: np.ndarray | None = None,
                     outputs: np.ndarray | None = None, points: np.ndarray | None = None,
                     name: str | None = None) -> xr.Dataset:
    """Predict the test outputs and score them per sample.

    Parameters
    ----------
    learner : fitted operator learner
        One whose ``predict`` takes query ``points`` (``predict(inputs,
        points)``), or one that predicts on the inputs' own grid
        (``predict(inputs)``); either predicts a Dataset's outputs from the
        Dataset itself.
    dataset : xarray.Dataset, optional
        ``input`` (sample, ...) and the classical ``output`` (sample, *dims); the
        prediction is made on the output's grid.
    inputs, outputs, points : arrays, optional
        Instead of ``dataset``. Point learners: ``inputs`` ``(n, m)``,
        ``(n, m, 1)`` or one function ``(m,)``; ``outputs`` ``(n, P)`` or
        ``(n, P, c)``; ``points`` ``(P,)``, ``(P, 1)``, ``(P, d)`` shared by
        every sample or ``(n, Q, d)`` per sample. Grid learners: ``inputs`` and
        ``outputs`` ``(n, nx, ny)`` (or ``(n, nx, ny, 1)``) and no ``points``.
        The learner's own :mod:`sciml.operators.shapes` checks say which shape
        they expected when one cannot be read.
    name : str, optional
        Label of the learner in the attributes (default ``learner.name``).

    Returns
    -------
    xarray.Dataset
        ``reference``, ``prediction``, ``error`` (prediction - reference) on the
        grid; ``relative_l2`` per sample (over all points and components); attrs
        ``relative_l2_mean``, ``relative_l2_median``, ``relative_l2_max`` and
        ``mse`` (means over samples, never sums), and the learner's cost figures.

    Raises
    ------
    InvalidParameterError
        Not an operator learner, or neither a dataset nor the arrays it needs.
    InvalidDataError
        Shapes that cannot be read as the layouts above (the message names the
        expected and the given shape), NaN or Inf, or an all-zero reference.
    """
    if not isinstance(learner, Learner) or learner.kind != "operator":
        raise InvalidParameterError(f"compare_operator needs an operator learner, got {type(learner).__name__}")
    model = cast("OperatorLearner", learner)  # the operator kind's verb: predict(inputs[, points])
    if dataset is not None:
        ref = dataset["output"]
        pred = np.asarray(model.predict(dataset), dtype=np.float64)
        reference = ref.astype(float).rename("reference")
    else:
        takes_points = "points" in inspect.signature(model.predict).parameters
        if inputs is None or outputs is None or (takes_points and points is None):
            needs = "inputs, outputs and points" if takes_points else "inputs and outputs"
            raise InvalidParameterError(f"compare_operator needs a dataset or {needs}")
        if takes_points:
            out = output_batch(outputs, 1 if np.ndim(inputs) == 1 else len(inputs))
            dims: tuple[str, ...] = ("sample", "point", "component")[: out.ndim]
            pred = np.asarray(model.predict(inputs, points), dtype=np.float64)
        else:
            if points is not None:
                raise InvalidParameterError(f"{type(learner).__name__} predicts on the inputs' own grid: "
                                            f"pass inputs and outputs without points")
            out, dims = grid_batch(outputs, "outputs"), ("sample", "x", "y")
            pred = np.asarray(model.predict(inputs), dtype=np.float64)
        reference = xr.DataArray(out, dims=dims, name="reference")
    pred = match_prediction(pred, reference.shape)
    if not np.isfinite(pred).all():
        raise InvalidDataError("the prediction contains NaN or Inf")
    n = reference.shape[0]
    r = reference.values.reshape(n, -1)
    e = pred.reshape(n, -1) - r
    norms = np.linalg.norm(r, axis=1)
    if (norms == 0).any():
        raise InvalidDataError("some reference outputs are identically zero: relative L2 is undefined")
    rel = np.linalg.norm(e, axis=1) / norms
    coords = {k: v for k, v in reference.coords.items()}
    ds = xr.Dataset({
        "reference": reference.assign_attrs(long_name="classical reference output"),
        "prediction": xr.DataArray(pred, coords, reference.dims, attrs={"long_name": "learner prediction"}),
        "error": xr.DataArray(pred - reference.values, coords, reference.dims,
                              attrs={"long_name": "pointwise error (prediction - reference)"}),
        "relative_l2": xr.DataArray(rel, {k: v for k, v in coords.items() if v.dims == ("sample",)}, ("sample",),
                                    attrs={"long_name": "relative L2 error per sample"}),
    })
    stages = learner.history_.stages
    attrs: dict[str, Any] = {
        "learner": name or learner.name,
        "n_samples": n,
        "relative_l2_mean": float(rel.mean()),
        "relative_l2_median": float(np.median(rel)),
        "relative_l2_max": float(rel.max()),
        "mse": float(np.mean(e**2)),
        "n_parameters": int(learner.n_parameters_),
        "fit_time_s": float(learner.fit_time_),
        "steps_per_s": float(stages[0]["steps_per_second"]) if stages else np.nan,
    }
    ds.attrs.update(attrs)
    return ds
