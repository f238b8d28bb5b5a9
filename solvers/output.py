"""Wrap solver values in an xarray DataArray with CF-style metadata."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from equations.core import Equation, Variable
from equations.geometry import Box
from solvers.registry import Stat


def coordinate(equation: Equation, name: str, values: np.ndarray) -> xr.Variable:
    """A 1D coordinate variable with the CF attributes the equation's domain gives it."""
    attrs = equation.domain.coordinate_attrs(name)
    if equation.domain.periodic(name):
        attrs["periodic"] = "true"
    return xr.Variable((name,), np.asarray(values, dtype=np.float64), attrs)


def outside_mask(equation: Equation, axes: dict[str, np.ndarray]) -> np.ndarray | None:
    """Boolean mask (shape of the full grid) of points outside a non-box domain, else None."""
    space = equation.domain.space
    if isinstance(space, Box):
        return None
    inside = space.grid_mask({n: axes[n] for n in space.names})
    extra = len(equation.domain.names) - space.dim  # a trailing time axis
    return ~inside.reshape(inside.shape + (1,) * extra)


def to_dataarray(
    equation: Equation,
    axes: dict[str, np.ndarray],
    values: np.ndarray,
    solver: str,
    solve_time_s: float,
    stats: Mapping[str, Stat],
    variable: Variable | None = None,
) -> xr.DataArray:
    """Build the result of :func:`solvers.solve` (NaN outside a masked domain); ``variable``: a system's field."""
    names = equation.domain.names
    values = np.array(values, dtype=np.float64)  # a copy: NaN-masking must not touch solver buffers
    outside = outside_mask(equation, axes)
    if outside is not None:
        values[np.broadcast_to(outside, values.shape)] = np.nan
    field = variable if variable is not None else equation.field
    attrs: dict[str, Stat] = {
        "long_name": field.long_name or field.name,
        "units": field.units,
        "equation": equation.label,
        "solver": solver,
        "solve_time_s": float(solve_time_s),
    }
    attrs.update(stats)
    coords = {n: coordinate(equation, n, axes[n]) for n in names}
    return xr.DataArray(values, dims=names, coords=coords, name=field.name, attrs=attrs)
