"""Collocation points for field learners: residual, initial, boundary and periodic sets.

Points are drawn in the unit cube (uniform, Sobol, Halton or Latin hypercube
via ``scipy.stats.qmc``) and mapped by the equation's geometry, so every
strategy works on every domain. All randomness comes from a numpy Generator.

Every boundary condition (Dirichlet, Neumann, Robin) gets its own point set,
named by :func:`boundary_sets`: ``boundary`` for the first boundary condition
of ``conditions()``, ``boundary_1``, ``boundary_2``... for the next ones.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from equations import Equation
from equations.core import (
    BoundaryCondition,
    DirichletCondition,
    InitialCondition,
    InitialVelocityCondition,
    NeumannCondition,
    PeriodicCondition,
    RobinCondition,
    TimeInterval,
    Where,
)
from equations.errors import InvalidParameterError
from equations.systems import condition_field

METHODS = ("uniform", "sobol", "halton", "lhs")
#: Rounds of boundary draws for a condition stated on part of the boundary (``where``) before giving up.
BOUNDARY_ROUNDS = 8
#: The largest draw of one such round, in multiples of the points wanted.
BOUNDARY_DRAW_FACTOR = 64


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
    """Sample every point set the equation's conditions need (float64 arrays).

    Parameters
    ----------
    eq : Equation
    counts : PointCounts
        Points per set; every boundary condition gets ``counts.boundary`` points.
    method : str
        One of :data:`METHODS`.
    rng : numpy.random.Generator

    Returns
    -------
    dict of str to numpy.ndarray
        ``(n, d)`` arrays (columns in ``eq.domain.names`` order) named
        ``residual``, ``initial`` (also the points of an initial velocity),
        one set per boundary condition (names from :func:`boundary_sets`:
        points on the part of the boundary its ``where`` selects, minus the
        parts where a Dirichlet condition holds, since Dirichlet data win
        there), ``periodic_lo`` and ``periodic_hi`` (the pairs of every
        periodic axis, ``counts.boundary`` per axis). Boundary points of an
        evolution equation carry a time column, uniform over the interval.

    Raises
    ------
    InvalidParameterError
        A condition's ``where`` selects (almost) no boundary points: fewer
        than ``counts.boundary`` in :data:`BOUNDARY_ROUNDS` growing draws.
    """
    time = eq.domain.time
    pts = {"residual": _interior(eq, counts.residual, method, rng, time)}
    conditions = tuple(eq.conditions())
    boundary_keys = iter(boundary_sets(conditions))  # the set names, in the order of the loop below
    for cond in conditions:
        # an initial velocity is imposed at the same points as the initial value
        if isinstance(cond, (InitialCondition, InitialVelocityCondition)) and counts.initial and "initial" not in pts:
            if time is None:
                raise InvalidParameterError(f"{eq.label}: an initial condition needs a time interval")
            x = _interior(eq, counts.initial, method, rng, None)
            pts["initial"] = np.column_stack([x, np.full(len(x), time.start)])
        elif isinstance(cond, (DirichletCondition, NeumannCondition, RobinCondition)) and counts.boundary:
            key = next(boundary_keys)
            # a Dirichlet part takes precedence over a flux condition of the same field only (systems)
            field = condition_field(eq, cond)
            dirichlet_masks = [c.where for c in conditions
                               if isinstance(c, DirichletCondition) and condition_field(eq, c) == field]
            pts[key] = _boundary(eq, key, cond, dirichlet_masks, counts.boundary, method, rng)
        elif isinstance(cond, PeriodicCondition) and counts.boundary:
            lo, hi = _periodic_pairs(eq, cond.axis, counts.boundary, method, rng)
            if "periodic_lo" in pts:  # several periodic axes: every axis' pairs in the one penalty
                lo, hi = np.concatenate([pts["periodic_lo"], lo]), np.concatenate([pts["periodic_hi"], hi])
            pts["periodic_lo"], pts["periodic_hi"] = lo, hi
    return pts


def boundary_sets(conditions: tuple[object, ...] | Equation) -> dict[str, BoundaryCondition]:
    """The boundary conditions by the name of their point set and loss part, in ``conditions()`` order.

    The first boundary condition is ``boundary`` (so the common single
    Dirichlet condition keeps the name it always had), the next ones
    ``boundary_1``, ``boundary_2``...

    Parameters
    ----------
    conditions : Equation or tuple of conditions
        An equation (its ``conditions()`` are read) or the conditions themselves.
    """
    if isinstance(conditions, Equation):
        conditions = tuple(conditions.conditions())
    found = [c for c in conditions if isinstance(c, (DirichletCondition, NeumannCondition, RobinCondition))]
    return {("boundary" if k == 0 else f"boundary_{k}"): c for k, c in enumerate(found)}


def describe(condition: object) -> str:
    """A short readable name of a condition for messages: ``NeumannCondition on part of the boundary``."""
    where = getattr(condition, "where", None)
    if where is None:
        return f"{type(condition).__name__}" + (" on the whole boundary" if hasattr(condition, "where") else "")
    return f"{type(condition).__name__} where {where!r}"


def _where_mask(eq: Equation, key: str, cond: object, where: Where, b: np.ndarray) -> np.ndarray:
    """The boolean mask ``where(coords)`` of boundary points ``b``, checked."""
    coords = {n: b[:, k] for k, n in enumerate(eq.domain.names)}
    try:
        mask = np.broadcast_to(np.asarray(where(coords), dtype=np.bool_), (len(b),))
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"{eq.label}: the 'where' of boundary set {key!r} ({describe(cond)}) must return one boolean per "
            f"boundary point: {exc}"
        ) from exc
    return mask


def _boundary(
    eq: Equation, key: str, cond: BoundaryCondition, dirichlet: list[Where | None], n: int, method: str,
    rng: np.random.Generator,
) -> np.ndarray:
    """``n`` boundary points where ``cond`` holds (its ``where``, less the Dirichlet parts for the others).

    A condition on the whole boundary takes one draw of ``n`` points, as it
    always did. Otherwise the points its mask keeps are collected over up to
    :data:`BOUNDARY_ROUNDS` draws, each sized from the fraction kept so far.
    """
    space, time = eq.domain.space, eq.domain.time
    masks = [] if cond.where is None else [cond.where]
    others = [] if isinstance(cond, DirichletCondition) else dirichlet  # Dirichlet data win where both hold
    out: list[np.ndarray] = []
    have = drawn = 0
    size = n
    # one unit coordinate per point along the boundary of a 1D or 2D geometry (arc length), dim - 1 from 3D on
    along = max(space.dim - 1, 1)
    for _ in range(BOUNDARY_ROUNDS):
        u = unit_cube(size, along if time is None else along + 1, method, rng)
        b = space.boundary_from_unit(u[:, 0] if along == 1 else u[:, :along])
        if time is not None:
            b = np.column_stack([b, time.start + (time.stop - time.start) * u[:, along]])
        drawn += len(b)
        keep = np.ones(len(b), dtype=bool)
        for mask in masks:
            keep &= _where_mask(eq, key, cond, mask, b)
        for other in others:
            keep &= ~(np.ones(len(b), dtype=bool) if other is None else _where_mask(eq, key, cond, other, b))
        if not (masks or others):
            return b
        out.append(b[keep])
        have += int(keep.sum())
        if have >= n:
            return np.concatenate(out)[:n]
        rate = max(have, 1) / drawn
        size = min(int(np.ceil(1.25 * (n - have) / rate)) + 16, BOUNDARY_DRAW_FACTOR * n)
    raise InvalidParameterError(
        f"{eq.label}: boundary set {key!r} ({describe(cond)}) selects (almost) no boundary points: {have} of "
        f"{drawn} drawn, {n} wanted" + (" (a Dirichlet condition holds on the rest)" if others else "")
        + "; check its 'where' (e.g. OnPlane's axis and value) against the domain"
    )


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
