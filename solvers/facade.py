"""``solve(equation, resolution)``: dispatch on the equation type, time it, wrap the result."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from equations.core import Equation
from equations.errors import InvalidDataError, InvalidParameterError
from solvers.output import to_dataarray
from solvers.registry import check_options, lookup


def solve(
    equation: Equation, resolution: int | Sequence[int], *, method: str | None = None, **options: Any
) -> xr.DataArray:
    """Reference solution of ``equation`` on a uniform tensor grid.

    Parameters
    ----------
    equation : Equation
        The spec (e.g. ``equations.Burgers(nu=0.01 / pi)``).
    resolution : int or sequence of int
        Points per coordinate in ``equation.domain.names`` order (e.g. ``(nx, nt)``
        for Burgers, ``(nx, ny)`` for Poisson); an int is used for every coordinate.
    method : str, optional
        Solver name (see :func:`solvers.available`); default: the first registered
        for the equation's type.
    **options
        Solver-specific keyword options (tolerances, quadrature or mode counts...).

    Returns
    -------
    xarray.DataArray
        Dims ``equation.domain.names``, coordinates from
        ``equation.domain.grid(resolution)``, ``name`` and ``long_name``/``units``
        from ``equation.field``, and attributes ``solver``, ``solve_time_s`` plus
        solver statistics. Points outside a non-rectangular domain are NaN.

    Raises
    ------
    UnknownNameError
        No solver is registered for the equation's type, or ``method`` is unknown.
    InvalidParameterError
        Bad resolution or options.
    """
    if not isinstance(equation, Equation):
        raise InvalidParameterError(
            f"solve expects an equations.Equation instance, got {type(equation).__name__}"
        )
    name, fn = lookup(equation, method)
    check_options(name, fn, options)
    names = equation.domain.names
    if isinstance(resolution, (int, np.integer)) and not isinstance(resolution, bool):
        shape: tuple[int, ...] = (int(resolution),) * len(names)
    elif isinstance(resolution, Sequence) and not isinstance(resolution, (str, bytes)):
        shape = tuple(resolution)
    else:
        raise InvalidParameterError(f"resolution must be an int or a sequence of ints, got {resolution!r}")
    axes = equation.domain.grid(shape)
    start = time.perf_counter()
    out = fn(equation, axes, **options)
    elapsed = time.perf_counter() - start
    expected = tuple(len(axes[n]) for n in names)
    if out.values.shape != expected:  # a solver bug, not a user error, but report it clearly
        raise InvalidDataError(f"solver {name!r} returned shape {out.values.shape}, expected {expected}")
    return to_dataarray(equation, axes, out.values, name, elapsed, out.stats)
