"""The evaluation grid shared by references and predictions."""

from __future__ import annotations

import numpy as np
import xarray as xr

from equations import Equation
from equations.errors import InvalidDataError


def grid_points(eq: Equation, reference: xr.DataArray) -> np.ndarray:
    """All grid points of ``reference`` as ``(n, d)`` in the equation's coordinate order."""
    names = eq.domain.names
    if tuple(reference.dims) != names:
        raise InvalidDataError(f"reference dims {tuple(reference.dims)} do not match the equation's {names}")
    mesh = np.meshgrid(*(reference[n].values for n in names), indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)

