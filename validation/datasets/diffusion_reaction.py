"""Diffusion--reaction dataset: members of the ``diffusion_reaction`` family, ``s_t = D s_xx + k s^2 + u`` (DeepONet).

The family (:class:`equations.operator_families.DiffusionReactionFamily`)
draws the source ``u``, a GRF with the RBF kernel, at the sensors; each member
is ``equations.diffusion_reaction.DiffusionReaction(forcing=u)`` (zero initial
and boundary values, the source the piecewise-linear interpolant of the sensor
values), solved by ``solvers.solve`` (the spec's registered
``crank_nicolson``) on a grid ``refine`` times finer than the output grid in
both ``x`` and ``t``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from validation.datasets.families import Recipe, family_dataset
from validation.datasets.registry import DATASETS, Coords, Field, coord, unit_grid

DEFAULTS = {"sensors": 100, "length_scale": 0.2, "variance": 1.0, "diffusion": 0.01, "reaction": 0.01,
            "refine": 2}


def _coords(resolution: int, params: Mapping[str, Any]) -> Coords:
    return {"sensor": coord(unit_grid(params["sensors"]), "sensor location"),
            "x": coord(unit_grid(resolution), "x"),
            "t": coord(unit_grid(resolution), "time")}


RECIPE = Recipe(
    family="diffusion_reaction",
    points=lambda resolution, params: params["sensors"],
    grid=lambda resolution, params: (resolution, resolution),
    options=lambda params: {"refine": params["refine"]},
)

SPEC = family_dataset(
    "diffusion_reaction",
    RECIPE,
    title="Diffusion-reaction s_t = D s_xx + k s^2 + u(x), zero initial/boundary values on [0, 1]^2, u ~ GRF",
    solver="solvers.diffusion_reaction.diffusion_reaction (Crank-Nicolson + Newton, 2nd order)",
    input=Field(("sensor",), "source u at the sensors"),
    output=Field(("x", "t"), "solution s"),
    default_resolution=100,
    defaults=DEFAULTS,
    coords=_coords,
    positive=("length_scale", "variance", "diffusion"),
    int_minimum={"sensors": 2},
    min_resolution=2,
)
DATASETS.register(SPEC.name, SPEC)
