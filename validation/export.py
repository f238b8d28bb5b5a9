"""Writers for comparison results: netCDF (xarray, h5netcdf) and VTU/XDMF (meshio).

Every writer goes through a temporary file in the target folder and an atomic
rename, so an interrupted export never leaves a half-written file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import meshio
import numpy as np
import xarray as xr

from equations.errors import InvalidDataError
from sciml.core.atomic import atomic_write
from validation.fields import comparison_fields, reference_name


def to_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` as netCDF4 with the explicit ``h5netcdf`` engine."""
    return atomic_write(path, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))


def grid_mesh(ds: xr.Dataset, variables: Sequence[str] | None = None) -> meshio.Mesh:
    """A quad mesh of a 2D grid of ``ds`` with the fields on that grid as point data.

    The grid is that of ``variables[0]`` when given, else of the (first
    field's) reference of a comparison, else of the first data variable. A
    system's comparison thus gives one point-data array per field and role
    (``reference_u``, ``pinn_u``, ``pinn_u_error``, ...).
    """
    names = list(variables or [])
    missing = [v for v in names if v not in ds.data_vars]
    if missing:
        raise InvalidDataError(f"no variable(s) {missing} to export; the dataset has {list(ds.data_vars)}")
    if not ds.data_vars:
        raise InvalidDataError("the dataset has no data variables to export")
    reference = reference_name(comparison_fields(ds)[0])
    grid = names[0] if names else reference if reference in ds.data_vars else str(next(iter(ds.data_vars)))
    dims = ds[grid].dims
    if len(dims) != 2:
        raise InvalidDataError(f"mesh export needs a 2D grid, {grid!r} has dims {dims}")
    off_grid = [v for v in names if ds[v].dims != dims]
    if off_grid:
        raise InvalidDataError(f"variable(s) {off_grid} are not on the grid {dims} of {grid!r}")
    a, b = (ds[d].values for d in dims)
    na, nb = len(a), len(b)
    aa, bb = np.meshgrid(a, b, indexing="ij")
    points = np.column_stack([aa.ravel(), bb.ravel(), np.zeros(na * nb)])
    idx = np.arange(na * nb).reshape(na, nb)
    quads = np.column_stack([idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(),
                             idx[:-1, 1:].ravel()])
    names = names or [str(v) for v in ds.data_vars if ds[v].dims == dims]
    point_data = {v: np.asarray(ds[v].values, dtype=float).ravel() for v in names}
    return meshio.Mesh(points, [("quad", quads)], point_data=point_data)


def to_vtu(ds: xr.Dataset, path: str | Path, variables: Sequence[str] | None = None) -> Path:
    """Write the grid fields as an unstructured VTK file for ParaView."""
    mesh = grid_mesh(ds, variables)
    return atomic_write(path, lambda tmp: meshio.write(tmp, mesh, file_format="vtu"))


def to_xdmf(ds: xr.Dataset, path: str | Path, variables: Sequence[str] | None = None) -> Path:
    """Write the grid fields as XDMF with inline XML data (one self-contained file)."""
    mesh = grid_mesh(ds, variables)
    return atomic_write(path, lambda tmp: meshio.write(tmp, mesh, file_format="xdmf", data_format="XML"))
