"""Burgers dataset: ``u_t + (u^2/2)_x = nu u_xx`` on the periodic ``[0, 1)``, ``u0 ~ N(0, 625 (-Delta+25I)^-2)``.

Solved by the Fourier pseudo-spectral ETDRK4 solver on ``refine * resolution``
points and stored on every ``refine``-th point (the FNO data are solved finer
than they are stored). User-supplied initial values
(:func:`validation.datasets.from_inputs`) are given on the stored grid and
Fourier-interpolated onto the solver's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from equations.random_fields import spectral_grf
from solvers.spectral import burgers_periodic
from validation.datasets.registry import DATASETS, Coords, DatasetSpec, Field, coord

DEFAULTS = {"nu": 0.1, "t_final": 1.0, "alpha": 2.0, "tau": 5.0, "sigma": 25.0, "refine": 4, "max_dt": 1e-3}


def _coords(resolution: int, params: Mapping[str, Any]) -> Coords:
    return {"x": coord(np.arange(resolution) / resolution, "x")}


def _draw(rng: np.random.Generator, resolution: int, params: Mapping[str, Any]) -> np.ndarray:
    return spectral_grf(resolution * params["refine"], 1, rng, alpha=params["alpha"], tau=params["tau"],
                        sigma=params["sigma"], boundary="periodic")[0]


def _solve(u0: np.ndarray, resolution: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    refine = params["refine"]
    out = np.stack([
        burgers_periodic(row, params["nu"], [0.0, params["t_final"]], length=1.0, max_dt=params["max_dt"])[:, -1]
        for row in u0
    ]) if len(u0) else np.zeros((0, resolution * refine))
    return u0[:, ::refine], out[:, ::refine]


def _lift(u0: np.ndarray, resolution: int, params: Mapping[str, Any]) -> np.ndarray:
    """Initial values on the stored grid, trigonometric (band-limited) interpolant on the ``refine`` times finer one."""
    fine = resolution * params["refine"]
    coef = np.fft.rfft(u0, axis=-1)
    if resolution % 2 == 0:  # the Nyquist mode is shared by +-k on the finer grid: split it
        coef[..., -1] *= 0.5
    padded = np.zeros((*u0.shape[:-1], fine // 2 + 1), dtype=complex)
    padded[..., : coef.shape[-1]] = coef
    return np.fft.irfft(padded, n=fine, axis=-1) * params["refine"]


SPEC = DatasetSpec(
    name="burgers",
    title="1D periodic viscous Burgers on [0, 1): u0 ~ N(0, 625(-Delta+25I)^-2) -> u(., t_final)",
    solver="solvers.spectral.burgers_periodic (Fourier pseudo-spectral ETDRK4, 2/3 dealiasing)",
    input=Field(("x",), "initial value u0"),
    output=Field(("x",), "solution u at t_final"),
    default_resolution=256,
    defaults=DEFAULTS,
    coords=_coords,
    draw=_draw,
    solve=_solve,
    positive=("nu", "t_final", "alpha", "tau", "sigma", "max_dt"),
    lift=_lift,
    lift_method="trigonometric interpolation onto the refine-times finer solver grid",
)
DATASETS.register(SPEC.name, SPEC)
