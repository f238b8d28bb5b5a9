"""Antiderivative dataset: ``s(x) = integral_0^x u``, ``u`` a GRF with the RBF kernel (DeepONet).

``u`` is sampled jointly on a fine uniform grid (the sensors refined
``refine`` times), stored at the sensors, and integrated by cumulative Simpson
quadrature on the fine grid: the output is the antiderivative of the smooth
random function itself, not of an interpolant of the sensor values. Output
points off the fine grid get the cubic Hermite interpolant of ``s`` and
``s' = u`` (fourth order, like the quadrature); joining them to the grid
instead would leave near-duplicate nodes that ruin Simpson's accuracy.

User-supplied inputs (:func:`validation.datasets.from_inputs`) are values at
the sensors; the input function is their not-a-knot cubic spline (exact for
cubic polynomials), integrated the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.interpolate import CubicHermiteSpline, CubicSpline

from equations.random_fields import rbf_grf_1d
from solvers.odes import antiderivatives
from validation.datasets.registry import DATASETS, Coords, DatasetSpec, Field, coord, unit_grid

DEFAULTS = {"sensors": 100, "length_scale": 0.2, "variance": 1.0, "refine": 10}


def fine_grid(resolution: int, params: Mapping[str, Any]) -> np.ndarray:
    """Uniform quadrature grid: the sensors refined ``refine`` times."""
    return unit_grid((params["sensors"] - 1) * params["refine"] + 1)


def _coords(resolution: int, params: Mapping[str, Any]) -> Coords:
    return {"sensor": coord(unit_grid(params["sensors"]), "sensor location"),
            "x": coord(unit_grid(resolution), "x")}


def _draw(rng: np.random.Generator, resolution: int, params: Mapping[str, Any]) -> np.ndarray:
    return rbf_grf_1d(fine_grid(resolution, params), 1, params["length_scale"], rng, params["variance"])[0]


def integrate(u_fine: np.ndarray, resolution: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """``(u at the sensors, s at the output points)`` for inputs sampled on :func:`fine_grid`."""
    grid = fine_grid(resolution, params)
    s = antiderivatives(u_fine, grid, method="simpson")
    at_sensors = u_fine[:, :: params["refine"]]
    return at_sensors, CubicHermiteSpline(grid, s, u_fine, axis=-1)(unit_grid(resolution))


def lift(inputs: np.ndarray, resolution: int, params: Mapping[str, Any]) -> np.ndarray:
    """User inputs at the sensors ``(n, sensors)`` on :func:`fine_grid`: their cubic spline."""
    return CubicSpline(unit_grid(params["sensors"]), inputs, axis=-1)(fine_grid(resolution, params))


SPEC = DatasetSpec(
    name="antiderivative",
    title="Antiderivative ds/dx = u(x), s(0) = 0 on [0, 1], u ~ GRF (RBF kernel)",
    solver="solvers.odes.antiderivatives (cumulative Simpson on the refined grid)",
    input=Field(("sensor",), "input function u at the sensors"),
    output=Field(("x",), "antiderivative s"),
    default_resolution=100,
    defaults=DEFAULTS,
    coords=_coords,
    draw=_draw,
    solve=integrate,
    positive=("length_scale", "variance"),
    int_minimum={"sensors": 2},
    lift=lift,
    lift_method="not-a-knot cubic spline through the sensor values, integrated on the refined grid",
)
DATASETS.register(SPEC.name, SPEC)
