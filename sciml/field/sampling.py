"""Collocation points for field learners: residual, initial, boundary and periodic sets.

Points are drawn in the unit cube (uniform, Sobol, Halton or Latin hypercube
via ``scipy.stats.qmc``) and mapped by the equation's geometry, so every
strategy works on every domain. All randomness comes from a numpy Generator.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from equations import Equation
from equations.core import (
    DirichletCondition,
    InitialCondition,
    InitialVelocityCondition,
    PeriodicCondition,
    TimeInterval,
)
from equations.errors import InvalidParameterError

METHODS = ("uniform", "sobol", "halton", "lhs")


def unit_cube(n: int, dim: int, method: str, rng: np.random.Generator) -> np.ndarray:
    """``n`` points in ``[0, 1)^dim`` by ``method``."""
    if method == "uniform":
        return rng.random((n, dim))
    if method == "sobol":
        with warnings.catch_warnings():  # balance warning for n not a power of two
            warnings.simplefilter("ignore", UserWarning)
            return qmc.Sobol(dim, scramble=True, rng=rng).random(n)
    if method == "halton":
        return qmc.Halton(dim, scramble=True, rng=rng).random(n)
    if method == "lhs":
        return qmc.LatinHypercube(dim, rng=rng).random(n)
    raise InvalidParameterError(f"unknown sampling method {method!r}; available: {', '.join(METHODS)}")


@dataclass(frozen=True)
class PointCounts:
    """How many points each set gets."""

    residual: int = 2540
    boundary: int = 80
    initial: int = 160

    def __post_init__(self) -> None:
        for key in ("residual", "boundary", "initial"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InvalidParameterError(f"number of {key} points must be an integer >= 0, got {v!r}")
        if self.residual < 1:
            raise InvalidParameterError("at least one residual point is needed")


def _interior(
    eq: Equation, n: int, method: str, rng: np.random.Generator, time: TimeInterval | None
) -> np.ndarray:
    space = eq.domain.space
    dim = space.dim + (1 if time is not None else 0)
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        u = unit_cube(max(2 * (n - have), 16), dim, method, rng)
        pts = space.from_unit_cube(u[:, : space.dim])
        keep = space.contains(pts)
        if time is not None:
            pts = np.column_stack([pts, time.start + (time.stop - time.start) * u[:, -1]])
        out.append(pts[keep])
        have += int(keep.sum())
    return np.concatenate(out)[:n]


def collocation_points(
    eq: Equation, counts: PointCounts, method: str, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Sample every point set the equation's conditions need (float64 arrays)."""
    domain, time = eq.domain, eq.domain.time
    pts = {"residual": _interior(eq, counts.residual, method, rng, time)}
    for cond in eq.conditions():
        # an initial velocity is imposed at the same points as the initial value
        if isinstance(cond, (InitialCondition, InitialVelocityCondition)) and counts.initial and "initial" not in pts:
            if time is None:
                raise InvalidParameterError(f"{eq.name}: an initial condition needs a time interval")
            x = _interior(eq, counts.initial, method, rng, None)
            pts["initial"] = np.column_stack([x, np.full(len(x), time.start)])
        elif isinstance(cond, DirichletCondition) and counts.boundary:
            u = unit_cube(counts.boundary, 1 if time is None else 2, method, rng)
            b = domain.space.boundary_from_unit(u[:, 0])
            if time is not None:
                b = np.column_stack([b, time.start + (time.stop - time.start) * u[:, 1]])
            pts["boundary"] = b
        elif isinstance(cond, PeriodicCondition) and counts.boundary:
            pts["periodic_lo"], pts["periodic_hi"] = _periodic_pairs(eq, cond.axis, counts.boundary, method, rng)
    return pts


def _periodic_pairs(
    eq: Equation, axis: str, n: int, method: str, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Point pairs that differ only in ``axis`` (at its lower and upper end)."""
    domain = eq.domain
    k = domain.names.index(axis)
    lo_b, hi_b = np.array(domain.bounds).T
    u = unit_cube(n, len(domain.names), method, rng)
    lo = lo_b + (hi_b - lo_b) * u
    hi = lo.copy()
    lo[:, k], hi[:, k] = lo_b[k], hi_b[k]
    return lo, hi
