"""Error metrics between a prediction and a reference on the same grid.

NaN in the reference marks points outside the domain (masked grids) and is
ignored; NaN or Inf in a prediction inside the domain is an error, not a number.
"""

from __future__ import annotations

import numpy as np

from equations.errors import InvalidDataError


def _paired(pred: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, ref = np.asarray(pred, dtype=float), np.asarray(ref, dtype=float)
    if pred.shape != ref.shape:
        raise InvalidDataError(f"prediction shape {pred.shape} does not match reference shape {ref.shape}")
    inside = np.isfinite(ref)
    if not inside.any():
        raise InvalidDataError("the reference has no finite values")
    if not np.isfinite(pred[inside]).all():
        raise InvalidDataError("the prediction contains NaN or Inf inside the domain")
    return pred[inside], ref[inside]


def relative_l2(pred: np.ndarray, ref: np.ndarray) -> float:
    """``||pred - ref||_2 / ||ref||_2`` over the points where the reference is defined."""
    p, r = _paired(pred, ref)
    return float(np.linalg.norm(p - r) / np.linalg.norm(r))


def max_error(pred: np.ndarray, ref: np.ndarray) -> float:
    """``max |pred - ref|`` over the points where the reference is defined."""
    p, r = _paired(pred, ref)
    return float(np.max(np.abs(p - r)))


def rmse(pred: np.ndarray, ref: np.ndarray) -> float:
    p, r = _paired(pred, ref)
    return float(np.sqrt(np.mean((p - r) ** 2)))
