"""Darcy dataset: ``-div(a grad u) = f`` on ``[0, 1]^2``, ``u = 0`` on the boundary (FNO).

``a = a_plus`` where ``mu >= 0`` and ``a_minus`` elsewhere, ``mu ~ N(0, (-Delta + 9 I)^-2)``
with Neumann boundary conditions; the solve is the toolkit's multigrid
(flux form, harmonic face averages) on a grid ``refine`` times finer, stored
on every ``refine``-th node. User-supplied coefficients
(:func:`validation.datasets.from_inputs`) are given on the stored grid; each
finer node takes the value of its nearest stored node.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from equations.random_fields import spectral_grf
from solvers.darcy import darcy_multigrid
from validation.datasets.registry import DATASETS, Coords, DatasetSpec, Field, coord, unit_grid

DEFAULTS = {"alpha": 2.0, "tau": 3.0, "a_plus": 12.0, "a_minus": 3.0, "f": 1.0, "refine": 1, "tol": 1e-10}


def _fine(resolution: int, params: Mapping[str, Any]) -> int:
    return (resolution - 1) * params["refine"] + 1


def _coords(resolution: int, params: Mapping[str, Any]) -> Coords:
    return {"x": coord(unit_grid(resolution), "x"), "y": coord(unit_grid(resolution), "y")}


def _draw(rng: np.random.Generator, resolution: int, params: Mapping[str, Any]) -> np.ndarray:
    m = _fine(resolution, params)
    # the sign of mu alone matters, so sigma is left at 1
    mu = spectral_grf((m, m), 1, rng, alpha=params["alpha"], tau=params["tau"], boundary="neumann")[0]
    return np.where(mu >= 0.0, params["a_plus"], params["a_minus"])


def _solve(a: np.ndarray, resolution: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    r = params["refine"]
    m = _fine(resolution, params)
    h = 1.0 / (m - 1)
    out = np.empty((len(a), resolution, resolution))
    for i, coefficient in enumerate(a):
        u, _ = darcy_multigrid(coefficient, np.full((m, m), params["f"]), h, h, tol=params["tol"])
        out[i] = u[::r, ::r]
    return np.ascontiguousarray(a[:, ::r, ::r]), out


def _lift(a: np.ndarray, resolution: int, params: Mapping[str, Any]) -> np.ndarray:
    """Coefficients on the stored grid, extended to the solver grid by nearest node (keeps a two-valued ``a``)."""
    r = params["refine"]
    nearest = np.rint(np.arange(_fine(resolution, params)) / r).astype(np.int64)
    return a[:, nearest][:, :, nearest]


SPEC = DatasetSpec(
    name="darcy",
    title="2D Darcy flow -div(a grad u) = f, u = 0 on the boundary of [0, 1]^2, a two-valued from a GRF",
    solver="solvers.darcy.darcy_multigrid (flux-form FD, Galerkin multigrid V-cycles)",
    input=Field(("x", "y"), "permeability a"),
    output=Field(("x", "y"), "pressure u"),
    default_resolution=85,
    defaults=DEFAULTS,
    coords=_coords,
    draw=_draw,
    solve=_solve,
    positive=("alpha", "tau", "a_plus", "a_minus", "tol"),
    min_resolution=3,
    lift=_lift,
    lift_method="nearest stored node on the refine-times finer solver grid (identity for refine = 1)",
)
DATASETS.register(SPEC.name, SPEC)
