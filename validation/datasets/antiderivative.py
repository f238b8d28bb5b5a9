"""Antiderivative dataset: members of the ``antiderivative`` family, ``s(x) = integral_0^x u`` (DeepONet).

The family (:class:`equations.operator_families.AntiderivativeFamily`) draws
``u``, a GRF with the RBF kernel, jointly on a fine uniform grid (the sensors
refined ``refine`` times); each member is
``equations.Antiderivative(forcing=u_fine, interpolation="cubic")``, solved by
``solvers.solve`` (the spec's registered ``quadrature``): cumulative Simpson
quadrature on the fine grid, so the output is the antiderivative of the smooth
random function itself, not of an interpolant of the sensor values. Output
points off the fine grid get the cubic Hermite interpolant of ``s`` and
``s' = u`` (fourth order, like the quadrature); joining them to the grid
instead would leave near-duplicate nodes that ruin Simpson's accuracy. ``u``
is stored at the sensors.

User-supplied inputs (:func:`validation.datasets.from_inputs`) are values at
the sensors; the input function is their not-a-knot cubic spline (exact for
cubic polynomials), integrated the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.interpolate import CubicSpline

from validation.datasets import families
from validation.datasets.registry import DATASETS, Coords, Field, coord, unit_grid

DEFAULTS = {"sensors": 100, "length_scale": 0.2, "variance": 1.0, "refine": 10}


def _fine_points(resolution: int, params: Mapping[str, Any]) -> int:
    return (params["sensors"] - 1) * params["refine"] + 1


def fine_grid(resolution: int, params: Mapping[str, Any]) -> np.ndarray:
    """Uniform quadrature grid: the sensors refined ``refine`` times."""
    return unit_grid(_fine_points(resolution, params))


def _coords(resolution: int, params: Mapping[str, Any]) -> Coords:
    return {"sensor": coord(unit_grid(params["sensors"]), "sensor location"),
            "x": coord(unit_grid(resolution), "x")}


def _at_sensors(u_fine: np.ndarray, resolution: int, params: Mapping[str, Any]) -> np.ndarray:
    return u_fine[:: params["refine"]]


RECIPE = families.Recipe(family="antiderivative", points=_fine_points, store_input=_at_sensors)


def integrate(u_fine: np.ndarray, resolution: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """``(u at the sensors, s at the output points)`` for inputs sampled on :func:`fine_grid` (members solved)."""
    return families.solve(RECIPE, u_fine, resolution, params)


def lift(inputs: np.ndarray, resolution: int, params: Mapping[str, Any]) -> np.ndarray:
    """User inputs at the sensors ``(n, sensors)`` on :func:`fine_grid`: their cubic spline."""
    return CubicSpline(unit_grid(params["sensors"]), inputs, axis=-1)(fine_grid(resolution, params))


SPEC = families.family_dataset(
    "antiderivative",
    RECIPE,
    title="Antiderivative ds/dx = u(x), s(0) = 0 on [0, 1], u ~ GRF (RBF kernel)",
    solver="solvers.odes.antiderivatives (cumulative Simpson on the refined grid)",
    input=Field(("sensor",), "input function u at the sensors"),
    output=Field(("x",), "antiderivative s"),
    default_resolution=100,
    defaults=DEFAULTS,
    coords=_coords,
    positive=("length_scale", "variance"),
    int_minimum={"sensors": 2},
    min_resolution=2,
    lift=lift,
    lift_method="not-a-knot cubic spline through the sensor values, integrated on the refined grid",
)
DATASETS.register(SPEC.name, SPEC)
