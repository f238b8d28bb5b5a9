"""Checked operator-learning data: arrays or an xarray Dataset to one internal layout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from equations.errors import InvalidDataError
from sciml.operators.shapes import input_batch, query_points


def check_array(name: str, a: Any, ndim: int | tuple[int, ...]) -> np.ndarray:
    """``a`` as a float64 array of an allowed rank, with no NaN or Inf (InvalidDataError otherwise)."""
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidDataError(f"{name} must be a numeric array, got {type(a).__name__}") from None
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in allowed:
        raise InvalidDataError(f"{name} must have {' or '.join(map(str, allowed))} dimensions, got shape {arr.shape}")
    if arr.size == 0:
        raise InvalidDataError(f"{name} is empty (shape {arr.shape})")
    bad = int(np.count_nonzero(~np.isfinite(arr)))
    if bad:
        raise InvalidDataError(f"{name} contain {bad} NaN or Inf value(s) (shape {arr.shape})")
    return arr


@dataclass
class OperatorData:
    """Training data: ``inputs (n, m)``; ``outputs (n, P|Q, c)``; ``points (P, d)`` or ``(n, Q, d)``."""

    n: int
    m: int
    d: int
    c: int
    n_points: int
    aligned: bool
    squeeze: bool
    output_shape: tuple[int, ...] | None = None
    inputs: np.ndarray | None = None
    outputs: np.ndarray | None = None
    points: np.ndarray | None = None

    def layout(self) -> dict[str, Any]:
        """What prediction and loading need to know (JSON-able except ``points``)."""
        return {"n": self.n, "m": self.m, "d": self.d, "c": self.c, "n_points": self.n_points,
                "aligned": self.aligned, "squeeze": self.squeeze,
                "output_shape": list(self.output_shape) if self.output_shape else None,
                "points": self.points if self.aligned else None}

    @classmethod
    def from_layout(cls, layout: dict[str, Any]) -> OperatorData:
        shape = layout.get("output_shape")
        return cls(int(layout["n"]), int(layout["m"]), int(layout["d"]), int(layout["c"]), int(layout["n_points"]),
                   bool(layout["aligned"]), bool(layout["squeeze"]), tuple(shape) if shape else None,
                   points=layout.get("points"))


def as_operator_data(inputs: Any, outputs: Any = None, points: Any = None) -> OperatorData:
    """Check and convert ``fit``'s arguments (see :mod:`sciml.operators.deeponet.learner` for the layouts)."""
    if hasattr(inputs, "data_vars"):
        return _from_dataset(inputs)
    u = input_batch(inputs)
    n, m = u.shape
    y = None if points is None else query_points(points, n=n)
    if outputs is None:  # physics only: points, if any, are shared collocation points
        if y is not None and y.ndim != 2:
            raise InvalidDataError(f"collocation points must have shape (P, d), got {y.shape}")
        d = 1 if y is None else y.shape[1]
        return OperatorData(n, m, d, 1, 0 if y is None else y.shape[0], True, True, None, u, None, y)
    s = check_array("outputs", outputs, (2, 3))
    if y is None:
        raise InvalidDataError("outputs need their points: (P, d) shared or (n, Q, d) per sample")
    squeeze = s.ndim == 2
    s = s[..., None] if squeeze else s
    if s.shape[0] != n:
        raise InvalidDataError(f"outputs have {s.shape[0]} samples, inputs {n}")
    aligned = y.ndim == 2
    if aligned and s.shape[1] != y.shape[0]:
        raise InvalidDataError(f"outputs have {s.shape[1]} values per sample, the shared points are {y.shape[0]}")
    if not aligned and y.shape[:2] != s.shape[:2]:
        raise InvalidDataError(f"per-sample points {y.shape} do not match outputs {s.shape[:2]} (n, Q)")
    return OperatorData(n, m, y.shape[-1], s.shape[2], s.shape[1], aligned, squeeze, None, u, s, y)


def _from_dataset(ds: Any) -> OperatorData:
    """A Dataset with ``input`` (sample, ...) and ``output`` (sample, *dims[, component]) variables."""
    for var in ("input", "output"):
        if var not in ds.data_vars or ds[var].dims[:1] != ("sample",):
            raise InvalidDataError(f"the dataset needs a variable {var!r} whose first dimension is 'sample'")
    out = ds["output"]
    n = out.sizes["sample"]
    dims = [dim for dim in out.dims[1:] if dim != "component"]
    if "component" in out.dims and out.dims[-1] != "component":
        raise InvalidDataError(f"the output's 'component' dimension must come last, got dims {out.dims}")
    axes = [np.asarray(ds[dim].values, dtype=np.float64) for dim in dims]
    mesh = np.meshgrid(*axes, indexing="ij")
    y = np.stack([g.ravel() for g in mesh], axis=1)
    data = as_operator_data(np.asarray(ds["input"].values).reshape(n, -1),
                            np.asarray(out.values).reshape(n, y.shape[0], -1), y)
    data.output_shape = tuple(out.shape[1:])
    # arrays predicted by a model trained here look like the dataset's outputs: no component axis unless it has one
    data.squeeze = "component" not in out.dims
    return data
