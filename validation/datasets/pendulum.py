"""Pendulum dataset: members of the ``pendulum`` family, ``s1' = s2, s2' = -k sin(s1) + u(t)``, ``s(0) = 0`` (DeepONet).

The family (:class:`equations.operator_families.PendulumFamily`) draws the
forcing ``u``, a GRF at the sensors; each member is
``equations.Pendulum(k=k, forcing=u)``, whose forcing is the piecewise-linear
interpolant of its sensor values. The dataset stores the whole state
``(s1, s2)``, the angle and its rate, while ``solvers.solve`` returns the
spec's unknown, the angle alone; so each member is integrated by
:func:`solvers.odes.pendulum_trajectories` (DOP853, the function the spec's
registered ``dop853`` solver calls), reading ``k`` and the forcing from the
member. Each sample is integrated on its own, since an adaptive step shared by
a batch would make a sample depend on its neighbours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from equations.core import Equation
from equations.errors import SpecMismatchError
from equations.odes import Pendulum
from solvers.odes import pendulum_trajectories
from validation.datasets.families import Recipe, family_dataset
from validation.datasets.registry import DATASETS, Coords, Field, coord, unit_grid

DEFAULTS = {"sensors": 100, "length_scale": 0.2, "variance": 1.0, "k": 1.0, "rtol": 1e-10}


def _coords(resolution: int, params: Mapping[str, Any]) -> Coords:
    return {"sensor": coord(unit_grid(params["sensors"]), "sensor time", "1"),
            "t": coord(unit_grid(resolution), "time"),
            "component": (np.array(["s1", "s2"]), {"long_name": "state component (angle, angular velocity)"})}


def state(equation: Equation, resolution: int, params: Mapping[str, Any]) -> np.ndarray:
    """The state ``(s1, s2)`` of the member at ``resolution`` uniform times, shape ``(resolution, 2)``."""
    if not isinstance(equation, Pendulum) or equation.forcing is None:
        raise SpecMismatchError(f"the pendulum dataset solves Pendulum members with sensor forcing, got "
                                f"{type(equation).__name__}")
    t = equation.domain.grid((resolution,))["x"]  # the spec's time is its coordinate "x"
    sensors = np.linspace(0.0, 1.0, len(equation.forcing))
    trajectory = pendulum_trajectories(np.asarray(equation.forcing)[None], t, equation.k, sensors=sensors,
                                       rtol=params["rtol"], atol=params["rtol"])
    return trajectory[0].T


RECIPE = Recipe(family="pendulum", points=lambda resolution, params: params["sensors"], solve=state)

SPEC = family_dataset(
    "pendulum",
    RECIPE,
    title="Forced gravity pendulum s1' = s2, s2' = -k sin s1 + u(t), s(0) = 0 on [0, 1], u ~ GRF",
    solver="solvers.odes.pendulum_trajectories (DOP853, one sample at a time)",
    input=Field(("sensor",), "forcing u at the sensors"),
    output=Field(("t", "component"), "pendulum state (s1, s2)"),
    default_resolution=100,
    defaults=DEFAULTS,
    coords=_coords,
    positive=("length_scale", "variance", "k", "rtol"),
    int_minimum={"sensors": 2},
    min_resolution=2,
)
DATASETS.register(SPEC.name, SPEC)
