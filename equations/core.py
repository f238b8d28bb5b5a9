"""The spec core: variables, coordinates, domains, conditions and the Equation base.

An :class:`Equation` says *what* is solved, never how. Its residual is written
once against a :class:`Jet` (the solution and the derivatives it needs) and works
unchanged on NumPy arrays (classical checks) and torch tensors (learners).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

from equations.errors import InvalidParameterError, check_integer, is_finite_number
from equations.geometry import SPATIAL_AXES, Box, Geometry
from equations.registry import Registry
from equations.resources import require_memory

Array = Any  # a numpy.ndarray or a torch.Tensor: specs are written for both
Coords = Mapping[str, Array]

COORDINATE_ORDER = SPATIAL_AXES + "t"  # x, y, z, the axes of high-dimensional boxes, then time

MAX_GRID_POINTS = 2**31 - 1  # the int32 index range of the sparse and compiled solvers (and 16 GiB per field)
# Working memory per grid point of a reference solve and its comparison, unless a solver says more
# (solvers.registry.needs_memory): measured 30-150 B for the FD/spectral/multigrid solvers at 1e6 points,
# and compare holds the points (d floats), the prediction and the error on top of the reference.
GRID_BYTES_PER_POINT = 128
# Points within this fraction of an axis' length outside the domain count as inside (round-off at the faces).
OUTSIDE_RTOL = 1e-6


@dataclass(frozen=True)
class Variable:
    """A named field with the metadata written to exported files (CF style).

    Attributes
    ----------
    name : str
        The field's name (an identifier; a system's fields are told apart by it).
    units : str
        CF units.
    long_name : str
        CF long name.
    up_to_constant : bool
        The field is determined up to an additive constant (e.g. pressure with
        velocity data only); comparisons remove the mean of prediction and
        reference before measuring.
    """

    name: str
    units: str = "1"
    long_name: str = ""
    up_to_constant: bool = False


@dataclass(frozen=True)
class TimeInterval:
    """The time window ``[start, stop]`` of an evolution equation."""

    start: float
    stop: float
    units: str = "s"

    def __post_init__(self) -> None:
        if not (is_finite_number(self.start) and is_finite_number(self.stop)) or self.stop <= self.start:
            raise InvalidParameterError(
                f"time interval must satisfy start < stop with finite ends, got [{self.start!r}, {self.stop!r}]"
            )


@dataclass(frozen=True)
class Domain:
    """Space (a :class:`Geometry`) and, for evolution equations, a time interval."""

    space: Geometry
    time: TimeInterval | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Input coordinate names in network order: space first, then ``t``."""
        return self.space.names + (("t",) if self.time is not None else ())

    @property
    def bounds(self) -> tuple[tuple[float, float], ...]:
        """``(lo, hi)`` per input coordinate, in :attr:`names` order."""
        space = tuple(zip(self.space.lower, self.space.upper))
        return space + (((self.time.start, self.time.stop),) if self.time is not None else ())

    def coordinate_attrs(self, name: str) -> dict[str, str]:
        """CF attributes of coordinate ``name`` for exported files."""
        if name == "t":
            units = self.time.units if self.time is not None else "1"
            return {"units": units, "long_name": "time", "standard_name": "time", "axis": "T"}
        return {"units": "1", "long_name": f"{name} coordinate", "axis": name.upper()}

    def periodic(self, name: str) -> bool:
        """Whether coordinate ``name`` is periodic."""
        return name in self.space.names and self.space.periodic[self.space.names.index(name)]

    def grid(
        self, resolution: tuple[int, ...], bytes_per_point: float = GRID_BYTES_PER_POINT
    ) -> dict[str, np.ndarray]:
        """Uniform 1D coordinate vectors of a tensor grid over the bounding box.

        Periodic axes exclude their upper end (it equals the lower one); others
        include both ends. ``resolution`` has one entry per coordinate.

        Every reference solve asks for its grid here, so this is where a grid
        that cannot fit is refused: ``bytes_per_point`` times the number of
        points (the solver's working memory, :data:`GRID_BYTES_PER_POINT` by
        default) must fit in the available memory, else
        :class:`~equations.errors.ResourceError` gives the estimate and the
        memory available, before anything is allocated.
        """
        if isinstance(resolution, (str, bytes)) or len(resolution) != len(self.names):
            raise InvalidParameterError(
                f"resolution needs {len(self.names)} entries for coordinates {self.names}, got {resolution!r}"
            )
        points = []
        for name, n in zip(self.names, resolution):
            if isinstance(n, (float, np.floating)) and np.isfinite(n) and n == int(n):
                n = int(n)  # 256.0 is a fine count; 2.5, nan and inf are not
            points.append(check_integer(f"resolution of {name!r}", n, 2))
        if math.prod(points) > MAX_GRID_POINTS:
            raise InvalidParameterError(f"resolution {tuple(points)} gives more than {MAX_GRID_POINTS} grid points")
        require_memory(f"a grid of resolution {tuple(points)} ({math.prod(points):,} points at about "
                       f"{bytes_per_point:g} B each)", math.prod(points) * bytes_per_point)
        axes = {}
        for name, (lo, hi), n in zip(self.names, self.bounds, points):
            if self.periodic(name):
                axes[name] = lo + (hi - lo) * np.arange(n) / n
            else:
                axes[name] = np.linspace(lo, hi, n)
        return axes

    def outside(self, points: np.ndarray, rtol: float = OUTSIDE_RTOL) -> np.ndarray:
        """Distance of each point ``(n, d)`` (columns in :attr:`names` order) to the domain; 0 inside.

        Space uses the geometry's own inside test and distance (so the cut-out
        corner of an L-shape is outside although it is in the bounding box),
        time the interval. Points within ``rtol`` times an axis' length of the
        domain count as inside (round-off at the faces).
        """
        pts = np.asarray(points, dtype=float).reshape(len(points), len(self.names))
        k = self.space.dim
        dist = self.space.distance(pts[:, :k]) ** 2
        if self.time is not None:
            t = pts[:, k]
            dist = dist + np.maximum(np.maximum(self.time.start - t, t - self.time.stop), 0.0) ** 2
        dist = np.sqrt(dist)
        # a tolerance per point: the smallest axis length sets the scale
        scale = min(hi - lo for lo, hi in self.bounds)
        return np.where(dist > rtol * scale, dist, 0.0)


@dataclass(frozen=True)
class InitialCondition:
    """``u(x, t0) = value(coords)``; ``field`` names the unknown of a system (None: the spec's one field)."""

    value: Callable[[Coords], Array]
    field: str | None = None


@dataclass(frozen=True)
class InitialVelocityCondition:
    """``u_t(x, t0) = value(coords)``: the second initial condition of equations second order in time."""

    value: Callable[[Coords], Array]
    field: str | None = None


Where = Callable[[Coords], Array]  # boundary coords -> boolean mask of the points a condition holds at


@dataclass(frozen=True)
class OnPlane:
    """The boundary points with ``coords[axis] == value`` (within ``atol``): one face of a box.

    Use it as the ``where`` of a boundary condition, e.g.
    ``NeumannCondition(g, where=OnPlane("x", 1.0))`` for the right face of the unit square.
    """

    axis: str
    value: float
    atol: float = 1e-9

    def __call__(self, coords: Coords) -> Array:
        return abs(coords[self.axis] - self.value) <= self.atol


@dataclass(frozen=True)
class DirichletCondition:
    """``u = value(coords)`` on the spatial boundary (all times).

    ``where`` (a mask of boundary coords, e.g. :class:`OnPlane`) restricts it to
    part of the boundary; None: the whole boundary. Where a Dirichlet and
    another boundary condition both hold (a corner), the Dirichlet value wins.
    """

    value: Callable[[Coords], Array]
    where: Where | None = None
    field: str | None = None


@dataclass(frozen=True)
class NeumannCondition:
    """``du/dn = value(coords)`` on the spatial boundary, ``n`` the outward unit normal.

    ``where`` restricts it to part of the boundary (None: all of it).
    """

    value: Callable[[Coords], Array]
    where: Where | None = None
    field: str | None = None


@dataclass(frozen=True)
class RobinCondition:
    """``alpha u + beta du/dn = value(coords)`` on the spatial boundary (``n`` outward).

    ``alpha`` and ``beta`` are numbers, ``beta != 0`` (``beta = 0`` is a
    Dirichlet condition: state it as one). ``where`` restricts it to part of the
    boundary (None: all of it).
    """

    value: Callable[[Coords], Array]
    alpha: float = 1.0
    beta: float = 1.0
    where: Where | None = None
    field: str | None = None

    def __post_init__(self) -> None:
        if not (is_finite_number(self.alpha) and is_finite_number(self.beta)) or self.beta == 0:
            raise InvalidParameterError(
                f"RobinCondition needs finite alpha and a finite non-zero beta, got alpha={self.alpha!r}, "
                f"beta={self.beta!r} (beta = 0 is a DirichletCondition)"
            )


@dataclass(frozen=True)
class PeriodicCondition:
    """``u(lo) = u(hi)`` along the periodic axis ``axis``."""

    axis: str


BoundaryCondition = DirichletCondition | NeumannCondition | RobinCondition
Condition = InitialCondition | InitialVelocityCondition | BoundaryCondition | PeriodicCondition


class Jet:
    """The solution and its derivatives at a set of points.

    ``jet.value`` is ``u``; ``jet["x"]`` is ``u_x``, ``jet["xx"]`` is ``u_xx``
    and ``jet["xt"]`` (or ``"tx"``) is ``u_xt``. Keys name coordinates.
    """

    __slots__ = ("_derivatives", "value")

    def __init__(self, value: Array, derivatives: Mapping[str, Array]):
        self.value = value
        self._derivatives = {canonical_key(k): v for k, v in derivatives.items()}

    def __getitem__(self, key: str) -> Array:
        try:
            return self._derivatives[canonical_key(key)]
        except KeyError:
            have = ", ".join(sorted(self._derivatives)) or "none"
            raise KeyError(f"derivative {key!r} was not computed (available: {have})") from None

    def keys(self) -> tuple[str, ...]:
        return tuple(self._derivatives)


class Jets(dict):
    """The jets of a system's fields by name: ``u["v"]`` is the :class:`Jet` of field ``v``.

    A missing field raises ``KeyError`` naming the fields there are.
    """

    def __missing__(self, name: str) -> Jet:
        raise KeyError(f"field {name!r} is not one of the spec's fields ({', '.join(self) or 'none'})")


def canonical_key(key: str) -> str:
    """Order the letters of a derivative key (``"tx"`` -> ``"xt"``)."""
    if not key or any(c not in COORDINATE_ORDER for c in key):
        raise InvalidParameterError(f"derivative key {key!r} must use the coordinates {COORDINATE_ORDER!r}")
    return "".join(sorted(key, key=COORDINATE_ORDER.index))


def _check_parameters(name: str, cls: type[Equation], params: dict[str, Any]) -> None:
    valid = {f.name for f in fields(cls)}
    bad = sorted(set(params) - valid)
    if bad:
        raise InvalidParameterError(
            f"{name}: unknown parameter(s) {', '.join(bad)}; valid: {', '.join(sorted(valid)) or 'none'}"
        )


# every equation spec by name; a module of this package registers its specs by defining them
EQUATIONS: Registry[type[Equation]] = Registry("equation", packages=("equations",), check=_check_parameters)


@dataclass(frozen=True)
class Equation:
    """Base class of every equation spec (a frozen dataclass of its parameters).

    Subclasses give ``name`` (registry key), ``field`` (the unknown's metadata),
    ``derivatives`` (the keys the residual reads), and implement
    :attr:`domain`, :meth:`residual` and :meth:`conditions`; optionally
    :meth:`exact` and :meth:`ansatz` (a hard-constraint form).

    A **system** gives ``fields`` (several :class:`Variable`) instead of
    ``field``: its residual receives a :class:`Jets` (``u["v"]["x"]`` is
    ``v_x``) and returns one residual per equation (a tuple as long as
    ``fields``), every condition names its ``field``, and ``exact`` returns
    one array per field. :func:`equations.systems.check_system` verifies
    that a spec keeps these promises.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    field: ClassVar[Variable] = Variable("u")
    # a system's unknowns (e.g. (Variable("u"), Variable("v"), Variable("p"))); empty: the one `field`
    fields: ClassVar[tuple[Variable, ...]] = ()
    derivatives: ClassVar[tuple[str, ...]] = ()
    has_exact: ClassVar[bool] = False
    default_resolution: ClassVar[tuple[int, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):  # only a class that names itself: a user's subclass must not take its parent's
            EQUATIONS.register(cls.name, cls)

    @property
    def domain(self) -> Domain:
        raise NotImplementedError

    def residual(self, coords: Coords, u: Jet) -> Array:
        """PDE residual at ``coords`` given the solution jet ``u``."""
        raise NotImplementedError

    def conditions(self) -> tuple[Condition, ...]:
        """Initial and boundary conditions (soft constraints for learners)."""
        raise NotImplementedError

    def exact(self, coords: Coords) -> Array:
        """Closed-form solution, when :attr:`has_exact` is true."""
        raise NotImplementedError(f"{self.name} has no closed-form solution")

    def ansatz(self, coords: Coords) -> tuple[Array, Array] | None:
        """``(g, d)`` so that ``u = g + d * N`` meets every condition exactly, or None."""
        return None

    @property
    def unknowns(self) -> tuple[Variable, ...]:
        """The unknown fields: ``fields`` for a system, else ``(field,)``."""
        return tuple(self.fields) or (self.field,)

    @property
    def label(self) -> str:
        """The registry name, or the class name of a spec that does not register one (a user's own)."""
        return self.name or type(self).__name__

    def parameters(self) -> dict[str, Any]:
        """The spec's parameters (written as attributes of exported files)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def register_names() -> tuple[str, ...]:
    """Names of all registered equations, sorted (``EQUATIONS.names()``)."""
    return EQUATIONS.names()


def create(name: str, **params: Any) -> Equation:
    """Build a registered equation by name, e.g. ``create("burgers", nu=0.01)`` (``EQUATIONS.create``)."""
    return EQUATIONS.create(name, **params)  # type: ignore[no-any-return]


def check_positive(owner: str, **values: float) -> None:
    """Raise :class:`InvalidParameterError` unless every value is finite and > 0."""
    for key, v in values.items():
        if not is_finite_number(v) or v <= 0:
            raise InvalidParameterError(f"{owner}: {key} must be a positive finite number, got {v!r}")


def check_finite(owner: str, **values: float) -> None:
    """Raise :class:`InvalidParameterError` unless every value is a finite number."""
    for key, v in values.items():
        if not is_finite_number(v):
            raise InvalidParameterError(f"{owner}: {key} must be a finite number, got {v!r}")


__all__ = [
    "Array",
    "BoundaryCondition",
    "Box",
    "Condition",
    "Coords",
    "DirichletCondition",
    "Domain",
    "Equation",
    "InitialCondition",
    "InitialVelocityCondition",
    "Jet",
    "Jets",
    "NeumannCondition",
    "OnPlane",
    "PeriodicCondition",
    "RobinCondition",
    "TimeInterval",
    "Variable",
    "canonical_key",
    "create",
    "is_finite_number",
    "register_names",
]
