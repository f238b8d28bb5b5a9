"""``compare_operator``: a fitted operator learner against classical outputs on a test set."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from equations.errors import InvalidDataError, InvalidParameterError
from sciml.base import Learner


def compare_operator(learner: Learner, dataset: xr.Dataset | None = None, *, inputs: np.ndarray | None = None,
                     outputs: np.ndarray | None = None, points: np.ndarray | None = None,
                     name: str | None = None) -> xr.Dataset:
    """Predict the test outputs and score them per sample.

    Parameters
    ----------
    learner : fitted operator learner (``predict(inputs, points)``)
    dataset : xarray.Dataset, optional
        ``input`` (sample, ...) and the classical ``output`` (sample, *dims); the
        prediction is made on the output's grid.
    inputs, outputs, points : arrays, optional
        Instead of ``dataset``: ``inputs (n, m)``, ``outputs (n, P[, c])`` at
        shared ``points (P[, d])``.
    name : str, optional
        Label of the learner in the attributes (default ``learner.name``).

    Returns
    -------
    xarray.Dataset
        ``reference``, ``prediction``, ``error`` (prediction - reference) on the
        grid; ``relative_l2`` per sample (over all points and components); attrs
        ``relative_l2_mean``, ``relative_l2_median``, ``relative_l2_max`` and
        ``mse`` (means over samples, never sums), and the learner's cost figures.
    """
    if getattr(learner, "kind", None) != "operator":
        raise InvalidParameterError(f"compare_operator needs an operator learner, got {type(learner).__name__}")
    if dataset is not None:
        ref = dataset["output"]
        pred = np.asarray(learner.predict(dataset), dtype=np.float64).reshape(ref.shape)  # type: ignore[arg-type]
        reference = ref.astype(float).rename("reference")
    else:
        if inputs is None or outputs is None or points is None:
            raise InvalidParameterError("compare_operator needs a dataset or inputs, outputs and points")
        out = np.asarray(outputs, dtype=float)
        dims = ("sample", "point", "component")[: out.ndim]
        reference = xr.DataArray(out, dims=dims, name="reference")
        pred = np.asarray(learner.predict(inputs, points), dtype=np.float64)  # type: ignore[call-arg]
    if pred.shape != reference.shape:
        raise InvalidDataError(f"prediction shape {pred.shape} does not match the reference {reference.shape}")
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
    history = getattr(learner, "history_", None)
    stages = history.stages if history is not None else []
    attrs: dict[str, Any] = {
        "learner": name or learner.name,
        "n_samples": n,
        "relative_l2_mean": float(rel.mean()),
        "relative_l2_median": float(np.median(rel)),
        "relative_l2_max": float(rel.max()),
        "mse": float(np.mean(e**2)),
        "n_parameters": int(getattr(learner, "n_parameters_", -1)),
        "fit_time_s": float(getattr(learner, "fit_time_", np.nan)),
        "steps_per_s": float(stages[0]["steps_per_second"]) if stages else np.nan,
    }
    ds.attrs.update(attrs)
    return ds
