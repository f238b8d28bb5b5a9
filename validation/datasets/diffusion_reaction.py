"""Diffusion--reaction dataset: ``s_t = D s_xx + k s^2 + u(x)``, zero initial and boundary values (DeepONet).

The source is the piecewise-linear interpolant of its sensor values (a GRF
with the RBF kernel), evaluated on a solver grid ``refine`` times finer than
the output grid in both ``x`` and ``t``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from equations.random_fields import rbf_grf_1d
from solvers.diffusion_reaction import diffusion_reaction
from validation.datasets.registry import DATASETS, Coords, DatasetSpec, Field, coord, unit_grid

DEFAULTS = {"sensors": 100, "length_scale": 0.2, "variance": 1.0, "diffusion": 0.01, "reaction": 0.01,
            "refine": 2}


def _coords(resolution: int, params: Mapping[str, Any]) -> Coords:
    return {"sensor": coord(unit_grid(params["sensors"]), "sensor location"),
            "x": coord(unit_grid(resolution), "x"),
            "t": coord(unit_grid(resolution), "time")}


def _draw(rng: np.random.Generator, resolution: int, params: Mapping[str, Any]) -> np.ndarray:
    return rbf_grf_1d(unit_grid(params["sensors"]), 1, params["length_scale"], rng, params["variance"])[0]


def interpolate_rows(values: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Row-wise piecewise-linear interpolation of uniform sensor values on ``[0, 1]`` at ``points``."""
    m = values.shape[-1]
    pos = points * (m - 1)
    index = np.clip(np.floor(pos).astype(np.int64), 0, m - 2)
    frac = pos - index
    return values[:, index] * (1.0 - frac) + values[:, index + 1] * frac


def _solve(u: np.ndarray, resolution: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    refine = params["refine"]
    steps = (resolution - 1) * refine
    source = interpolate_rows(u, unit_grid(steps + 1))
    s = diffusion_reaction(source, steps, diffusion=params["diffusion"], reaction=params["reaction"],
                           save_every=refine)
    return u, s[:, ::refine, :]


SPEC = DatasetSpec(
    name="diffusion_reaction",
    title="Diffusion-reaction s_t = D s_xx + k s^2 + u(x), zero initial/boundary values on [0, 1]^2, u ~ GRF",
    solver="solvers.diffusion_reaction.diffusion_reaction (Crank-Nicolson + Newton, 2nd order)",
    input=Field(("sensor",), "source u at the sensors"),
    output=Field(("x", "t"), "solution s"),
    default_resolution=100,
    defaults=DEFAULTS,
    coords=_coords,
    draw=_draw,
    solve=_solve,
    positive=("length_scale", "variance", "diffusion"),
    int_minimum={"sensors": 2},
)
DATASETS.register(SPEC.name, SPEC)
