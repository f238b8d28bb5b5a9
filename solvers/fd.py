"""Finite-difference pieces shared by the Poisson solvers: spacing and mask checks, 5- and 7-point matrices."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from equations.errors import InvalidDataError, InvalidParameterError


def check_spacings(*spacings: float) -> None:
    """Raise :class:`InvalidParameterError` unless every grid spacing (``hx, hy[, hz]``) is positive and finite."""
    for key, h in zip(("hx", "hy", "hz"), spacings):
        if isinstance(h, bool) or not isinstance(h, (int, float, np.floating)) or not (math.isfinite(h) and h > 0):
            raise InvalidParameterError(f"grid spacing {key} must be a positive finite number, got {h!r}")


def unknowns_mask(mask: np.ndarray, ndim: int = 2) -> np.ndarray:
    """A contiguous uint8 copy of the boolean ``ndim``-D ``mask`` with the outer frame (faces) cleared."""
    mask = np.asarray(mask)
    if mask.ndim != ndim or min(mask.shape) < 3:
        raise InvalidDataError(
            f"mask must be a {ndim}D array with at least 3 points per axis, got shape {mask.shape}"
        )
    if mask.dtype != np.bool_:
        raise InvalidDataError(f"mask must be boolean, got dtype {mask.dtype}")
    out = np.ascontiguousarray(mask, dtype=np.uint8).copy()
    for axis in range(ndim):
        # the points on the outer frame are fixed zero (Dirichlet)
        out[(slice(None),) * axis + (0,)] = 0
        out[(slice(None),) * axis + (-1,)] = 0
    return out


def interior_of(closed: np.ndarray) -> np.ndarray:
    """Grid points whose 8 neighbours all lie in the closed domain ``closed``.

    For a polygon with edges on grid lines these are exactly the points off its
    boundary: an edge point has a neighbour across the edge outside, and a
    re-entrant corner has one diagonal neighbour outside.
    """
    closed = np.asarray(closed, dtype=bool)
    padded = np.pad(closed, 1, constant_values=False)
    out = closed.copy()
    nx, ny = closed.shape
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            out &= padded[1 + di : 1 + di + nx, 1 + dj : 1 + dj + ny]
    return out


def laplacian_matrix(mask: np.ndarray, hx: float, hy: float) -> tuple[sp.csr_matrix, np.ndarray]:
    """The 5-point ``-Laplacian`` on the unknowns of ``mask`` (zero Dirichlet elsewhere).

    Parameters
    ----------
    mask : numpy.ndarray
        Boolean ``(nx, ny)``; True marks unknowns (the outer frame is never one).
    hx, hy : float
        Grid spacings along axis 0 and axis 1.

    Returns
    -------
    (scipy.sparse.csr_matrix, numpy.ndarray)
        The SPD matrix and the flat (C-order) grid indices of the unknowns.
    """
    check_spacings(hx, hy)
    m = unknowns_mask(mask).astype(bool)
    nx, ny = m.shape
    index = np.flatnonzero(m)
    number = -np.ones(nx * ny, dtype=np.int64)
    number[index] = np.arange(index.size)
    cx, cy = 1.0 / hx**2, 1.0 / hy**2
    rows = [np.arange(index.size)]
    cols = [np.arange(index.size)]
    vals = [np.full(index.size, 2 * cx + 2 * cy)]
    # frame points are never unknowns, so index +- 1 and +- ny stay on the grid
    for shift, c in ((ny, cx), (-ny, cx), (1, cy), (-1, cy)):
        nb = number[index + shift]
        ok = nb >= 0
        rows.append(np.flatnonzero(ok))
        cols.append(nb[ok])
        vals.append(np.full(ok.sum(), -c))
    a = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(index.size, index.size)
    )
    return a, index


def laplacian_matrix3d(mask: np.ndarray, hx: float, hy: float, hz: float) -> tuple[sp.csr_matrix, np.ndarray]:
    """The 7-point ``-Laplacian`` on the unknowns of a 3D ``mask`` (zero Dirichlet elsewhere).

    Built as the Kronecker sum of 1D second differences on the full grid, then
    restricted to the unknowns: dropping the columns of fixed points is the
    zero Dirichlet data.

    Returns
    -------
    (scipy.sparse.csr_matrix, numpy.ndarray)
        The SPD matrix and the flat (C-order) grid indices of the unknowns.
    """
    check_spacings(hx, hy, hz)
    m = unknowns_mask(mask, 3).astype(bool)

    def second(n: int, h: float) -> sp.csr_matrix:
        return sp.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1], format="csr") / h**2

    nx, ny, nz = m.shape
    a = sp.kronsum(sp.kronsum(second(nz, hz), second(ny, hy)), second(nx, hx), format="csr")
    index = np.flatnonzero(m)
    return a[index][:, index].tocsr(), index


def explicit_grid(solver: str, equation: str, cfl: float,
                  axes: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """Checked ``(x, y, t, hx, hy)`` of an explicit time stepper on a uniform 2-D grid.

    Raises
    ------
    InvalidParameterError
        ``cfl`` is not a number in ``(0, 1]``.
    InvalidDataError
        Fewer than 3 points along ``x`` or ``y``.
    """
    if isinstance(cfl, bool) or not isinstance(cfl, (int, float)) or not (0 < cfl <= 1):
        raise InvalidParameterError(f"{solver}: cfl must be in (0, 1], got {cfl!r}")
    x, y, t = axes["x"], axes["y"], axes["t"]
    if x.size < 3 or y.size < 3:
        raise InvalidDataError(f"{equation}: {solver} needs >= 3 points along x and y, got {x.size} x {y.size}")
    return x, y, t, uniform_spacing(x), uniform_spacing(y)


def uniform_spacing(v: np.ndarray) -> float:
    """The spacing of a uniform grid vector (its end points over its intervals)."""
    return float((v[-1] - v[0]) / (v.size - 1))
