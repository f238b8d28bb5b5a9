r"""Input functions given by their values on a uniform grid: validation and interpolation.

The operator-learning specs take their random input (a forcing, an initial
value, a coefficient) as values on a uniform grid, stored as tuples of floats
so that a spec stays a hashable frozen dataclass. Each spec says how its
values define a function between the nodes; the interpolants here evaluate
that function on NumPy arrays and torch tensors alike (for torch, the result
has the dtype and device of the points and is differentiable in them):

- :func:`interpolate_cubic`: the not-a-knot cubic spline through values at
  uniform points of ``[lo, hi]`` (both ends included);
- :func:`interpolate_trigonometric`: the band-limited (trigonometric)
  interpolant of values at ``lo + j L / N``, ``j = 0 .. N - 1``, periodic with
  period ``L``;
- :func:`nearest_node`: the piecewise-constant function of values at the
  vertices of a uniform 2D grid on a box, each point taking its nearest node's
  value.

The piecewise-linear interpolant is :func:`equations.odes.interpolate_sensors`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.interpolate import CubicSpline

from equations.errors import InvalidParameterError
from equations.namespace import namespace

Array = Any  # a numpy.ndarray or a torch.Tensor

Values1D = tuple[float, ...]
Values2D = tuple[tuple[float, ...], ...]


def _refuse(owner: str, key: str, value: object, what: str) -> InvalidParameterError:
    return InvalidParameterError(f"{owner}: {key} must be None or {what}, got {_short(value)}")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _row(owner: str, key: str, value: object, what: str) -> tuple[float, ...]:
    """One sequence of numbers as a tuple of floats (no strings, bytes or mappings)."""
    if isinstance(value, np.ndarray) and value.ndim == 1 and np.issubdtype(value.dtype, np.number) \
            and not np.iscomplexobj(value):
        return tuple(value.astype(np.float64).tolist())
    try:
        if isinstance(value, (str, bytes, Mapping)):  # iterable, but never a list of numbers
            raise TypeError
        return tuple(float(v) for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError, OverflowError):
        raise _refuse(owner, key, value, what) from None


def grid_values(owner: str, key: str, value: object, *, minimum: int = 2) -> Values1D | None:
    """Validate values at uniform points: None, or ``>= minimum`` finite numbers, stored as a tuple.

    Parameters
    ----------
    owner, key : str
        The spec and its parameter, named in the error message.
    value : object
        None, or a sequence (list, tuple, 1D array) of numbers.
    minimum : int
        Fewest values accepted.

    Returns
    -------
    tuple of float or None

    Raises
    ------
    InvalidParameterError
        Not a sequence of numbers, too few values, or a value that is NaN or infinite.
    """
    if value is None:
        return None
    values = _row(owner, key, value, "a sequence of sensor values")
    if len(values) < minimum or not all(math.isfinite(v) for v in values):
        raise InvalidParameterError(f"{owner}: {key} needs >= {minimum} finite sensor values, got {_short(value)}")
    return values


def grid_table(owner: str, key: str, value: object, *, minimum: int = 2, positive: bool = False) -> Values2D | None:
    """Validate values at the nodes of a 2D grid: None, or a rectangular table stored as a tuple of tuples.

    Parameters
    ----------
    owner, key : str
        The spec and its parameter, named in the error message.
    value : object
        None, or a 2D array (or a sequence of equally long sequences) of numbers.
    minimum : int
        Fewest nodes accepted along each axis.
    positive : bool
        Require every value to be > 0.

    Returns
    -------
    tuple of tuple of float or None
        ``table[i][j]`` is the value at node ``(i, j)``.

    Raises
    ------
    InvalidParameterError
        Not a rectangular table of numbers, fewer than ``minimum`` nodes along
        an axis, or a value that is NaN, infinite (or not > 0 with ``positive``).
    """
    if value is None:
        return None
    what = "a 2D array of grid values"
    if isinstance(value, np.ndarray):
        if value.ndim != 2 or not np.issubdtype(value.dtype, np.number) or np.iscomplexobj(value):
            raise _refuse(owner, key, value, what)
        table: Values2D = tuple(tuple(row) for row in value.astype(np.float64).tolist())
    else:
        if isinstance(value, (str, bytes, Mapping)):
            raise _refuse(owner, key, value, what)
        try:
            rows = list(value)  # type: ignore[call-overload]
        except TypeError:
            raise _refuse(owner, key, value, what) from None
        table = tuple(_row(owner, key, row, what) for row in rows)
    if len(table) < minimum or len({len(row) for row in table}) != 1 or len(table[0]) < minimum:
        raise InvalidParameterError(
            f"{owner}: {key} must be a rectangular table with >= {minimum} nodes along each axis, got {_short(value)}"
        )
    flat = [v for row in table for v in row]
    if not all(math.isfinite(v) and (v > 0 or not positive) for v in flat):
        bound = "positive finite" if positive else "finite"
        raise InvalidParameterError(f"{owner}: {key} must hold {bound} numbers only, got {_short(value)}")
    return table


def as_values(values: Any) -> Values1D:
    """A 1D array (or sequence) of numbers as the tuple of floats a spec holds (not validated here)."""
    return tuple(np.asarray(values, dtype=np.float64).reshape(-1).tolist())


def as_table(values: Any) -> Values2D:
    """A 2D array (or nested sequence) of numbers as the tuple of tuples of floats a spec holds (not validated here)."""
    return tuple(tuple(row) for row in np.asarray(values, dtype=np.float64).tolist())


def _flat(x: Array) -> tuple[Array, Any, tuple[int, ...]]:
    """``x`` as a flat vector (float64 for NumPy), its namespace and its shape."""
    xp = namespace(x)
    if xp is np:
        x = np.asarray(x, dtype=np.float64)
    return x.reshape(-1), xp, tuple(x.shape)


def _table(values: Any, like: Array, xp: Any) -> Array:
    """``values`` as an array of the namespace of ``like`` (dtype and device too, for torch)."""
    if xp is np:
        return np.asarray(values, dtype=np.float64)
    return xp.as_tensor(np.asarray(values, dtype=np.float64), dtype=like.dtype, device=like.device)


def interpolate_cubic(values: Values1D, x: Array, lo: float = 0.0, hi: float = 1.0) -> Array:
    """The not-a-knot cubic spline through ``values`` at uniform points of ``[lo, hi]``, evaluated at ``x``.

    Parameters
    ----------
    values : tuple of float
        Values at ``len(values) >= 2`` uniformly spaced points, both ends included.
    x : numpy.ndarray or torch.Tensor
        Points (any shape); outside ``[lo, hi]`` the end pieces are extended.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        The spline's values, with the type and shape of ``x``. The coefficients
        are those of :class:`scipy.interpolate.CubicSpline` (exact for cubic
        polynomials).
    """
    m = len(values)
    nodes = np.linspace(lo, hi, m)
    coef = CubicSpline(nodes, np.asarray(values, dtype=np.float64)).c  # (4, m - 1), highest power first
    flat, xp, shape = _flat(x)
    pos = (flat - lo) * ((m - 1) / (hi - lo))
    if xp is np:
        index = np.clip(np.floor(pos), 0, m - 2).astype(np.int64)
    else:
        index = xp.clamp(xp.floor(pos), 0, m - 2).long()
    c = _table(coef, flat, xp)
    s = flat - _table(nodes, flat, xp)[index]
    out = ((c[0][index] * s + c[1][index]) * s + c[2][index]) * s + c[3][index]
    return out.reshape(shape)


def interpolate_trigonometric(values: Values1D, x: Array, lo: float = 0.0, length: float = 1.0) -> Array:
    """The trigonometric interpolant of ``values`` at ``lo + j length / N`` (``j < N``), evaluated at ``x``.

    The unique real trigonometric polynomial of degree ``N / 2`` (for even
    ``N`` the Nyquist mode is the cosine alone) through the values; periodic
    with period ``length``. At the nodes themselves (a NumPy vector equal to
    them) the values are returned as they are.

    Parameters
    ----------
    values : tuple of float
        ``N >= 2`` values, one period, the node ``lo + length`` excluded.
    x : numpy.ndarray or torch.Tensor
        Points (any shape).
    """
    n = len(values)
    table = np.asarray(values, dtype=np.float64)
    xp = namespace(x)
    if xp is np and np.ndim(x) == 1 and np.shape(x)[0] == n and np.array_equal(x, lo + length * np.arange(n) / n):
        return table.copy()
    coef = np.fft.rfft(table)
    weight = np.full(coef.size, 2.0 / n)
    weight[0] = 1.0 / n
    if n % 2 == 0:
        weight[-1] = 1.0 / n  # the Nyquist mode is shared by +-k: its real part, as a cosine
    flat, xp, shape = _flat(x)
    k = 2 * math.pi / length * np.arange(coef.size, dtype=np.float64)
    phase = (flat - lo)[:, None] * _table(k, flat, xp)[None, :]
    real, imag = _table(coef.real * weight, flat, xp), _table(coef.imag * weight, flat, xp)
    out = (xp.cos(phase) * real - xp.sin(phase) * imag).sum(-1)
    return out.reshape(shape)


def nearest_node(values: Values2D, x: Array, y: Array, lower: tuple[float, float] = (0.0, 0.0),
                 upper: tuple[float, float] = (1.0, 1.0)) -> Array:
    """The value of the nearest node of a uniform 2D vertex grid on a box, at the points ``(x, y)``.

    Parameters
    ----------
    values : tuple of tuple of float
        ``values[i][j]`` at node ``(lower[0] + i hx, lower[1] + j hy)``, both
        ends of each axis included.
    x, y : numpy.ndarray or torch.Tensor
        Coordinates (same shape); points outside the box take the nearest
        boundary node's value.
    lower, upper : tuple of float
        Corners of the box.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        The piecewise-constant function (constant on the cell of width ``h``
        centred on each node, half cells at the boundary), shaped like ``x``.
        Ties (a point halfway between nodes) round to the even index.
    """
    mx, my = len(values), len(values[0])
    xp = namespace(x, y)
    x, y = np.broadcast_arrays(x, y) if xp is np else xp.broadcast_tensors(x, y)
    fx, _, shape = _flat(x)
    fy, _, _ = _flat(y)
    px = (fx - lower[0]) * ((mx - 1) / (upper[0] - lower[0]))
    py = (fy - lower[1]) * ((my - 1) / (upper[1] - lower[1]))
    if xp is np:
        ix = np.clip(np.rint(px), 0, mx - 1).astype(np.int64)
        iy = np.clip(np.rint(py), 0, my - 1).astype(np.int64)
    else:
        ix = xp.clamp(xp.round(px), 0, mx - 1).long()
        iy = xp.clamp(xp.round(py), 0, my - 1).long()
    table = _table(values, fx, xp)
    return table[ix, iy].reshape(shape)
