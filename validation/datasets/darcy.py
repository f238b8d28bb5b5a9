"""Darcy dataset: the ``darcy`` family, ``-div(a grad u) = f``, ``u = 0`` on the boundary of ``[0, 1]^2`` (FNO).

The family (:class:`equations.operator_families.DarcyFamily`) draws
``a = a_plus`` where ``mu >= 0`` and ``a_minus`` elsewhere, ``mu ~ N(0, (-Delta + 9 I)^-2)``
with Neumann boundary conditions, at the nodes of a grid ``refine`` times
finer than the stored one; each member is ``equations.Darcy(permeability=a, f=f)``,
solved by ``solvers.solve`` (the spec's registered ``multigrid``: flux form,
harmonic face averages, Galerkin multigrid to ``tol``) on that finer grid and
stored on every ``refine``-th node. User-supplied coefficients
(:func:`validation.datasets.from_inputs`) are given on the stored grid; each
finer node takes the value of its nearest stored node.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from validation.datasets.families import Recipe, family_dataset
from validation.datasets.registry import DATASETS, Coords, Field, coord, unit_grid

DEFAULTS = {"alpha": 2.0, "tau": 3.0, "a_plus": 12.0, "a_minus": 3.0, "f": 1.0, "refine": 1, "tol": 1e-10}


def _fine(resolution: int, params: Mapping[str, Any]) -> int:
    return (resolution - 1) * params["refine"] + 1


def _coords(resolution: int, params: Mapping[str, Any]) -> Coords:
    return {"x": coord(unit_grid(resolution), "x"), "y": coord(unit_grid(resolution), "y")}


def _stored(values: np.ndarray, resolution: int, params: Mapping[str, Any]) -> np.ndarray:
    """Every ``refine``-th node of the solver grid."""
    r = params["refine"]
    return np.ascontiguousarray(values[::r, ::r])


def _lift(a: np.ndarray, resolution: int, params: Mapping[str, Any]) -> np.ndarray:
    """Coefficients on the stored grid, extended to the solver grid by nearest node (keeps a two-valued ``a``)."""
    r = params["refine"]
    nearest = np.rint(np.arange(_fine(resolution, params)) / r).astype(np.int64)
    return a[:, nearest][:, :, nearest]


RECIPE = Recipe(
    family="darcy",
    points=_fine,
    grid=_fine,
    options=lambda params: {"tol": params["tol"]},
    store_input=_stored,
    store_output=_stored,
)

SPEC = family_dataset(
    "darcy",
    RECIPE,
    title="2D Darcy flow -div(a grad u) = f, u = 0 on the boundary of [0, 1]^2, a two-valued from a GRF",
    solver="solvers.darcy.darcy_multigrid (flux-form FD, Galerkin multigrid V-cycles)",
    input=Field(("x", "y"), "permeability a"),
    output=Field(("x", "y"), "pressure u"),
    default_resolution=85,
    defaults=DEFAULTS,
    coords=_coords,
    positive=("alpha", "tau", "a_plus", "a_minus", "tol"),
    min_resolution=3,
    lift=_lift,
    lift_method="nearest stored node on the refine-times finer solver grid (identity for refine = 1)",
)
DATASETS.register(SPEC.name, SPEC)
