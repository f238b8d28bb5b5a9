"""Burgers dataset: members of the ``burgers`` family, ``u_t + (u^2/2)_x = nu u_xx`` on the periodic ``[0, 1)`` (FNO).

The family (:class:`equations.operator_families.BurgersFamily`) draws
``u0 ~ N(0, 625 (-Delta+25I)^-2)`` on ``refine * resolution`` periodic points;
each member is ``equations.periodic_burgers.PeriodicBurgers(nu, t_final, initial=u0)``,
solved by ``solvers.solve`` (the spec's registered ``etdrk4``: Fourier
pseudo-spectral ETDRK4 on those points) and stored at ``t_final`` on every
``refine``-th point (the FNO data are solved finer than they are stored).
User-supplied initial values (:func:`validation.datasets.from_inputs`) are
given on the stored grid and Fourier-interpolated onto the solver's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from validation.datasets.families import Recipe, family_dataset
from validation.datasets.registry import DATASETS, Coords, Field, coord

DEFAULTS = {"nu": 0.1, "t_final": 1.0, "alpha": 2.0, "tau": 5.0, "sigma": 25.0, "refine": 4, "max_dt": 1e-3}


def _fine(resolution: int, params: Mapping[str, Any]) -> int:
    return resolution * params["refine"]


def _coords(resolution: int, params: Mapping[str, Any]) -> Coords:
    return {"x": coord(np.arange(resolution) / resolution, "x")}


def _lift(u0: np.ndarray, resolution: int, params: Mapping[str, Any]) -> np.ndarray:
    """Initial values on the stored grid, trigonometric (band-limited) interpolant on the ``refine`` times finer one."""
    fine = _fine(resolution, params)
    coef = np.fft.rfft(u0, axis=-1)
    if resolution % 2 == 0:  # the Nyquist mode is shared by +-k on the finer grid: split it
        coef[..., -1] *= 0.5
    padded = np.zeros((*u0.shape[:-1], fine // 2 + 1), dtype=complex)
    padded[..., : coef.shape[-1]] = coef
    return np.fft.irfft(padded, n=fine, axis=-1) * params["refine"]


RECIPE = Recipe(
    family="burgers",
    points=_fine,
    grid=lambda resolution, params: (resolution, 2),  # the times 0 and t_final
    options=lambda params: {"max_dt": params["max_dt"]},  # modes: the drawn initial values' own grid
    store_input=lambda u0, resolution, params: u0[:: params["refine"]],
    store_output=lambda u, resolution, params: u[:, -1],
)

SPEC = family_dataset(
    "burgers",
    RECIPE,
    title="1D periodic viscous Burgers on [0, 1): u0 ~ N(0, 625(-Delta+25I)^-2) -> u(., t_final)",
    solver="solvers.spectral.burgers_periodic (Fourier pseudo-spectral ETDRK4, 2/3 dealiasing)",
    input=Field(("x",), "initial value u0"),
    output=Field(("x",), "solution u at t_final"),
    default_resolution=256,
    defaults=DEFAULTS,
    coords=_coords,
    positive=("nu", "t_final", "alpha", "tau", "sigma", "max_dt"),
    min_resolution=2,
    lift=_lift,
    lift_method="trigonometric interpolation onto the refine-times finer solver grid",
)
DATASETS.register(SPEC.name, SPEC)
