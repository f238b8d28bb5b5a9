"""Poisson problems: manufactured solutions on the unit square and cube, and the 2D L-shape."""

from __future__ import annotations

import math
from dataclasses import dataclass

from equations.core import Array, Coords, DirichletCondition, Domain, Equation, Jet, Variable, is_finite_number
from equations.errors import MAX_WAVE_NUMBER, InvalidParameterError, check_integer
from equations.geometry import Box, Polygon
from equations.namespace import namespace


class _Poisson(Equation):
    """``-(u_xx + u_yy) = f`` with ``u = 0`` on the boundary."""

    field = Variable("u", "1", "potential")
    derivatives = ("xx", "yy")
    default_resolution = (129, 129)

    def source(self, coords: Coords) -> Array:
        raise NotImplementedError

    def residual(self, coords: Coords, u: Jet) -> Array:
        return u["xx"] + u["yy"] + self.source(coords)

    def conditions(self) -> tuple:
        return (DirichletCondition(lambda c: 0.0 * c["x"]),)


@dataclass(frozen=True)
class Poisson2D(_Poisson):
    r"""``-Delta u = f`` on ``[0, 1]^2`` with ``u = sin(kx pi x) sin(ky pi y)``.

    Parameters
    ----------
    kx, ky : int
        Positive integer wave numbers of the manufactured solution.
    """

    kx: int = 1
    ky: int = 1

    name = "poisson"
    title = "2D Poisson, manufactured solution on the unit square"
    has_exact = True

    def __post_init__(self) -> None:
        for key in ("kx", "ky"):
            v = getattr(self, key)
            check_integer(f"poisson: {key}", v, 1, MAX_WAVE_NUMBER)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y"), (0.0, 0.0), (1.0, 1.0), (False, False)))

    def exact(self, coords: Coords) -> Array:
        x, y = coords["x"], coords["y"]
        xp = namespace(x, y)
        return xp.sin(self.kx * math.pi * x) * xp.sin(self.ky * math.pi * y)

    def source(self, coords: Coords) -> Array:
        return (self.kx**2 + self.ky**2) * math.pi**2 * self.exact(coords)

    def ansatz(self, coords: Coords) -> tuple[Array, Array]:
        x, y = coords["x"], coords["y"]
        return 0.0 * x, 16.0 * x * (1 - x) * y * (1 - y)


@dataclass(frozen=True)
class LShapePoisson(_Poisson):
    r"""``-Delta u = f`` (constant) on the L-shape ``[-1,1]^2 \ (0,1]^2``, ``u = 0`` on the boundary.

    The re-entrant corner at the origin makes ``u`` singular (``r^(2/3)``);
    there is no closed form, the reference is finite differences + multigrid.

    Parameters
    ----------
    f : float
        Constant source term (finite).
    """

    f: float = 1.0

    name = "poisson_lshape"
    title = "2D Poisson on an L-shaped domain"

    def __post_init__(self) -> None:
        if not is_finite_number(self.f):
            raise InvalidParameterError(f"poisson_lshape: f must be a finite number, got {self.f!r}")

    @property
    def domain(self) -> Domain:
        return Domain(Polygon.from_vertices([(0, 0), (1, 0), (1, -1), (-1, -1), (-1, 1), (0, 1)]))

    def source(self, coords: Coords) -> Array:
        return self.f + 0.0 * coords["x"]


@dataclass(frozen=True)
class Poisson3D(Equation):
    r"""``-Delta u = f`` on ``[0, 1]^3`` with ``u = sin(kx pi x) sin(ky pi y) sin(kz pi z)``, ``u = 0`` on the boundary.

    Parameters
    ----------
    kx, ky, kz : int
        Positive integer wave numbers of the manufactured solution.
    """

    kx: int = 1
    ky: int = 1
    kz: int = 1

    name = "poisson3d"
    title = "3D Poisson, manufactured solution on the unit cube"
    has_exact = True
    field = Variable("u", "1", "potential")
    derivatives = ("xx", "yy", "zz")
    default_resolution = (33, 33, 33)

    def __post_init__(self) -> None:
        for key in ("kx", "ky", "kz"):
            v = getattr(self, key)
            check_integer(f"poisson3d: {key}", v, 1, MAX_WAVE_NUMBER)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y", "z"), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (False, False, False)))

    def exact(self, coords: Coords) -> Array:
        x, y, z = coords["x"], coords["y"], coords["z"]
        xp = namespace(x, y, z)
        return xp.sin(self.kx * math.pi * x) * xp.sin(self.ky * math.pi * y) * xp.sin(self.kz * math.pi * z)

    def source(self, coords: Coords) -> Array:
        return (self.kx**2 + self.ky**2 + self.kz**2) * math.pi**2 * self.exact(coords)

    def residual(self, coords: Coords, u: Jet) -> Array:
        return u["xx"] + u["yy"] + u["zz"] + self.source(coords)

    def conditions(self) -> tuple:
        return (DirichletCondition(lambda c: 0.0 * c["x"]),)


@dataclass(frozen=True)
class PeakPoisson(_Poisson):
    r"""``-Delta u = f`` on ``[0, 1]^2`` with the sharp peak ``u = exp(-k ((x - 1/2)^2 + (y - 1/2)^2))``.

    The adaptive-sampling benchmark (Tang et al., DAS; Tang et al., AAS): the
    solution is flat except in a disc of radius ``~ 1 / sqrt(k)`` around the
    centre, where uniform collocation points are too sparse. Its boundary value
    (``exp(-k / 4)``, ``1e-109`` at ``k = 1000``) is taken as zero.

    Parameters
    ----------
    k : float
        Sharpness, >= 16 (so that the boundary value is below ``exp(-4)``
        times the peak and zero Dirichlet data are a fair approximation).
    """

    k: float = 1000.0

    name = "poisson_peak"
    title = "2D Poisson with a sharp peak"
    has_exact = True
    default_resolution = (257, 257)

    def __post_init__(self) -> None:
        if not is_finite_number(self.k) or self.k < 16:
            raise InvalidParameterError(f"poisson_peak: k must be a finite number >= 16, got {self.k!r}")

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y"), (0.0, 0.0), (1.0, 1.0), (False, False)))

    def exact(self, coords: Coords) -> Array:
        x, y = coords["x"], coords["y"]
        return namespace(x, y).exp(-self.k * ((x - 0.5) ** 2 + (y - 0.5) ** 2))

    def source(self, coords: Coords) -> Array:
        # -Delta exp(-k r^2) = 4 k (1 - k r^2) exp(-k r^2)
        r2 = (coords["x"] - 0.5) ** 2 + (coords["y"] - 0.5) ** 2
        return 4.0 * self.k * (1.0 - self.k * r2) * self.exact(coords)

    def ansatz(self, coords: Coords) -> tuple[Array, Array]:
        x, y = coords["x"], coords["y"]
        return 0.0 * x, 16.0 * x * (1 - x) * y * (1 - y)
