"""Pendulum dataset: ``s1' = s2, s2' = -k sin(s1) + u(t)``, ``s(0) = 0``, ``u`` a GRF at the sensors (DeepONet).

The forcing is the piecewise-linear interpolant of its sensor values (the
convention of :class:`equations.odes.Pendulum`); each sample is integrated on
its own by DOP853, since an adaptive step shared by a batch would make a
sample depend on its neighbours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from equations.random_fields import rbf_grf_1d
from solvers.odes import pendulum_trajectories
from validation.datasets.registry import DATASETS, Coords, DatasetSpec, Field, coord, unit_grid

DEFAULTS = {"sensors": 100, "length_scale": 0.2, "variance": 1.0, "k": 1.0, "rtol": 1e-10}


def _coords(resolution: int, params: Mapping[str, Any]) -> Coords:
    return {"sensor": coord(unit_grid(params["sensors"]), "sensor time", "1"),
            "t": coord(unit_grid(resolution), "time"),
            "component": (np.array(["s1", "s2"]), {"long_name": "state component (angle, angular velocity)"})}


def _draw(rng: np.random.Generator, resolution: int, params: Mapping[str, Any]) -> np.ndarray:
    return rbf_grf_1d(unit_grid(params["sensors"]), 1, params["length_scale"], rng, params["variance"])[0]


def _solve(u: np.ndarray, resolution: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    t = unit_grid(resolution)
    out = np.stack([
        pendulum_trajectories(row[None], t, params["k"], rtol=params["rtol"], atol=params["rtol"])[0].T
        for row in u
    ]) if len(u) else np.zeros((0, t.size, 2))
    return u, out


SPEC = DatasetSpec(
    name="pendulum",
    title="Forced gravity pendulum s1' = s2, s2' = -k sin s1 + u(t), s(0) = 0 on [0, 1], u ~ GRF",
    solver="solvers.odes.pendulum_trajectories (DOP853, one sample at a time)",
    input=Field(("sensor",), "forcing u at the sensors"),
    output=Field(("t", "component"), "pendulum state (s1, s2)"),
    default_resolution=100,
    defaults=DEFAULTS,
    coords=_coords,
    draw=_draw,
    solve=_solve,
    positive=("length_scale", "variance", "k", "rtol"),
    int_minimum={"sensors": 2},
)
DATASETS.register(SPEC.name, SPEC)
