"""The shapes operator learners accept, normalised in one place.

Users pass input functions and query points in whichever layout their own
code produced: a single function ``(m,)``, a batch ``(n, m)`` or ``(n, m, 1)``;
points ``(P,)``, ``(P, 1)``, ``(P, d)`` or per sample ``(n, Q, d)``. Each
function here turns one argument into the learners' internal layout, or
raises :class:`~equations.errors.InvalidDataError` naming the shape it expected
and the shape it got.

>>> input_batch(np.zeros((4, 10, 1)), 10).shape
(4, 10)
>>> query_points(np.linspace(0, 1, 5), 1).shape
(5, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from equations.errors import InvalidDataError


def as_float_array(name: str, a: Any, finite: bool = True) -> np.ndarray:
    """``a`` as a non-empty float64 array, with no NaN or Inf if ``finite`` (InvalidDataError otherwise)."""
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidDataError(f"{name} must be a numeric array, got {type(a).__name__}") from None
    if arr.size == 0:
        raise InvalidDataError(f"{name} is empty (shape {arr.shape})")
    bad = int(np.count_nonzero(~np.isfinite(arr))) if finite else 0
    if bad:
        raise InvalidDataError(f"{name} contain {bad} NaN or Inf value(s) (shape {arr.shape})")
    return arr


def input_batch(inputs: Any, m: int | None = None, name: str = "inputs") -> np.ndarray:
    """Input functions at ``m`` sensors as ``(n, m)``.

    Accepted: ``(n, m)``, ``(n, m, 1)`` (a trailing channel axis) and, when
    ``m`` is known, ``(m,)`` for a single function. ``m=None`` (fitting: the
    data define ``m``) takes the second axis as the sensors.
    """
    u = as_float_array(name, inputs)
    if u.ndim == 3 and u.shape[2] == 1:
        u = u[:, :, 0]
    elif u.ndim == 1 and m is not None and u.shape[0] == m:
        u = u[None, :]
    want = "(n, m)" if m is None else f"(n, {m})"
    if u.ndim != 2 or (m is not None and u.shape[1] != m):
        single = "" if m is None else f" or ({m},) for one function"
        detail = "" if m is None or u.ndim != 2 else f": {u.shape[1]} sensors, the model was trained on {m}"
        raise InvalidDataError(f"{name} must be input functions sampled at the sensors, shaped {want} or "
                               f"{want[:-1]}, 1){single}; got shape {np.shape(inputs)}{detail}")
    return u


def query_points(points: Any, d: int | None = None, n: int | None = None, name: str = "points") -> np.ndarray:
    """Query points as ``(P, d)`` (shared by every sample) or ``(n, Q, d)`` (per sample).

    Accepted: ``(P,)`` when ``d`` is 1 (or unknown), ``(P, d)``, ``(n, Q, d)``
    and, for ``d = 1``, ``(n, Q)`` per-sample points when ``n`` (the number of
    input functions) is given and the first axis equals it.
    """
    y = as_float_array(name, points)
    given = np.shape(points)
    if y.ndim == 1 and d in (None, 1):
        y = y[:, None]
    elif y.ndim == 2 and d == 1 and y.shape[1] != 1 and n is not None and y.shape[0] == n:
        y = y[:, :, None]
    if d == 1:
        shapes = "(P,) or (P, 1) shared by every sample, or (n, Q) or (n, Q, 1) per sample"
    else:
        dim = "d" if d is None else str(d)
        shapes = f"(P, {dim}) shared by every sample or (n, Q, {dim}) per sample"
    if y.ndim not in (2, 3) or (d is not None and y.shape[-1] != d):
        detail = "" if d is None or y.ndim not in (2, 3) else f" (dimension {y.shape[-1]}, the model expects {d})"
        raise InvalidDataError(f"{name} must be {shapes}; got shape {given}{detail}")
    if y.ndim == 3 and n is not None and y.shape[0] != n:
        raise InvalidDataError(f"per-sample points (n, Q, {y.shape[2]}) need n = {n} (the inputs), "
                               f"got shape {given}")
    return y


def output_batch(outputs: Any, n: int, name: str = "outputs") -> np.ndarray:
    """Outputs of ``n`` input functions as ``(n, P)`` or ``(n, P, c)``; ``(P,)`` is one function's."""
    s = as_float_array(name, outputs)
    if s.ndim == 1 and n == 1:
        s = s[None, :]
    if s.ndim not in (2, 3) or s.shape[0] != n:
        raise InvalidDataError(f"{name} must be (n, P) or (n, P, c) with n = {n} (the inputs); "
                               f"got shape {np.shape(outputs)}")
    return s


def grid_batch(fields: Any, name: str = "inputs") -> np.ndarray:
    """Fields on a 2-D grid as ``(n, nx, ny)``; ``(n, nx, ny, 1)`` (a trailing channel axis) is accepted.

    A single field must be passed as ``(1, nx, ny)``: a 2-D array is more often
    a batch of 1-D functions given to the wrong learner than one field.
    """
    u = as_float_array(name, fields, finite=False)
    if u.ndim == 4 and u.shape[3] == 1:
        u = u[..., 0]
    if u.ndim != 3:
        raise InvalidDataError(f"{name} must be (samples, nx, ny) fields on a 2-D grid, or (samples, nx, ny, 1); "
                               f"one field is (1, nx, ny); got shape {np.shape(fields)}")
    bad = ~np.isfinite(u)
    if bad.any():
        raise InvalidDataError(f"{name} contain {int(bad.sum())} NaN or Inf values (first in sample "
                               f"{int(np.argwhere(bad)[0, 0])})")
    return u


def match_prediction(prediction: np.ndarray, reference_shape: tuple[int, ...]) -> np.ndarray:
    """``prediction`` in ``reference_shape`` when they differ by size-1 axes only (a trailing component axis).

    Anything else is a real mismatch and raises InvalidDataError naming both shapes.
    """
    if prediction.shape == tuple(reference_shape):
        return prediction
    core = [s for s in prediction.shape[1:] if s != 1]
    if (prediction.shape[:1] == tuple(reference_shape[:1]) and prediction.size == int(np.prod(reference_shape))
            and core == [s for s in reference_shape[1:] if s != 1]):
        return prediction.reshape(reference_shape)
    raise InvalidDataError(f"prediction shape {prediction.shape} does not match the reference {tuple(reference_shape)}")
