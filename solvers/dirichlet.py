"""Boundary data of a spec as solver input: Dirichlet values and the lifting of a linear problem.

The multigrid solvers work with zero boundary values. Non-zero Dirichlet data
``g`` enter through a lifting: with ``G`` equal to ``g`` on the fixed (boundary)
nodes and zero elsewhere, ``u = w + G`` where ``A w = f - A G`` on the unknowns
and ``w = 0`` on the boundary. For the 5-point / 7-point stencils ``A G`` is
non-zero only next to the boundary, so this is a few lines of right-hand side.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from equations.core import DirichletCondition, Equation
from equations.errors import InvalidDataError, SpecMismatchError
from equations.geometry import Box, Polygon


def check_steady_domain(equation: Equation, solver: str, polygon: bool = False) -> None:
    """Refuse a domain other than a non-periodic box (or, with ``polygon``, a polygon) without time."""
    domain = equation.domain
    space = domain.space
    shapes = (Box, Polygon) if polygon else (Box,)
    if domain.time is not None or type(space) not in shapes or any(space.periodic):
        what = "a box or a grid-aligned polygon" if polygon else "a box"
        raise SpecMismatchError(
            f"solver {solver!r} discretises a steady problem on {what} with boundary data on every side; "
            f"{type(equation).__name__} has the domain {domain!r}"
        )


def dirichlet_lift(equation: Equation, axes: dict[str, np.ndarray], fixed: np.ndarray, solver: str) -> np.ndarray:
    """``G``: the spec's Dirichlet data on the ``fixed`` nodes of the tensor grid ``axes``, zero elsewhere.

    The data are evaluated at the fixed nodes only (they may be undefined
    outside the domain).
    """
    names = equation.domain.space.names
    mesh = np.meshgrid(*(axes[n] for n in names), indexing="ij")
    lift = np.zeros(fixed.shape)
    lift[fixed] = dirichlet_values(equation, {n: m[fixed] for n, m in zip(names, mesh)}, solver)
    return lift


def dirichlet_values(equation: Equation, coords: dict[str, np.ndarray], solver: str) -> np.ndarray:
    """The spec's Dirichlet data evaluated at ``coords`` (arrays of one shape).

    Raises
    ------
    SpecMismatchError
        The spec's conditions are not exactly one Dirichlet condition on the
        whole boundary (the only condition the box and polygon solvers implement).
    InvalidDataError
        The data are not finite.
    """
    conditions = tuple(equation.conditions())
    if len(conditions) != 1 or not isinstance(conditions[0], DirichletCondition) or conditions[0].where is not None:
        kinds = ", ".join(type(c).__name__ + (" on part of it" if getattr(c, "where", None) else "")
                          for c in conditions) or "none"
        raise SpecMismatchError(
            f"solver {solver!r} implements one Dirichlet condition on the whole boundary; "
            f"{type(equation).__name__} states: {kinds}"
        )
    shape = next(iter(coords.values())).shape
    g = np.array(np.broadcast_to(np.asarray(conditions[0].value(coords), dtype=np.float64), shape))
    if not np.isfinite(g).all():
        raise InvalidDataError(f"{type(equation).__name__}: the Dirichlet data are not finite on the boundary")
    return g


def laplacian_of(lift: np.ndarray, spacings: Sequence[float]) -> np.ndarray:
    """The 5-point (2D) / 7-point (3D) Laplacian of ``lift`` at the nodes off the outer frame (0 on it)."""
    out = np.zeros(lift.shape)
    inner = tuple(slice(1, -1) for _ in spacings)
    for axis, h in enumerate(spacings):
        up = tuple(slice(2, None) if a == axis else slice(1, -1) for a in range(lift.ndim))
        down = tuple(slice(None, -2) if a == axis else slice(1, -1) for a in range(lift.ndim))
        out[inner] += (lift[up] - 2.0 * lift[inner] + lift[down]) / h**2
    return out


def divergence_flux_of(lift: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """``div(a grad lift)`` at the interior nodes in flux form, with the face coefficients of
    :func:`solvers.darcy.face_coefficients` (already divided by ``h**2``)."""
    out = np.zeros(lift.shape)
    c = lift[1:-1, 1:-1]
    out[1:-1, 1:-1] = (
        cx[1:-1, 1:-1] * (lift[2:, 1:-1] - c) - cx[:-2, 1:-1] * (c - lift[:-2, 1:-1])
        + cy[1:-1, 1:-1] * (lift[1:-1, 2:] - c) - cy[1:-1, :-2] * (c - lift[1:-1, :-2])
    )
    return out


def frame(shape: tuple[int, ...]) -> np.ndarray:
    """Boolean mask of the outer frame of a grid."""
    mask = np.ones(shape, dtype=bool)
    mask[tuple(slice(1, -1) for _ in shape)] = False
    return mask
