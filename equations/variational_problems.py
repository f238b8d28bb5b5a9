r"""Nonlinear elliptic variational problems with manufactured solutions on the unit square.

Each case minimises ``E(u) = int L(x, u, grad u) - f u`` with ``u = 0`` on the
sides (:class:`equations.variational.VariationalEquation`); ``f`` is
manufactured from ``L`` so that ``u* = sin(k pi x) sin(k pi y)`` is the
solution (:meth:`~equations.variational.VariationalEquation.manufactured_source`):

- ``linear_elliptic``: ``L = |grad u|^2 / 2 + c u^2 / 2`` (``-Delta u + c u = f``), the control;
- ``semilinear_elliptic``: ``L = |grad u|^2 / 2 + u^4 / 4`` (``-Delta u + u^3 = f``);
- ``minimal_surface``: ``L = sqrt(1 + |grad u|^2)`` (the minimal-surface operator with a source).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from equations.core import Array, Coords, DirichletCondition, Domain, Jet, Variable, is_finite_number
from equations.errors import InvalidParameterError
from equations.geometry import Box
from equations.namespace import namespace
from equations.variational import VariationalEquation, second_derivatives

NAMES = ("x", "y")


class _UnitSquareCase(VariationalEquation):
    """Zero Dirichlet data on ``[0, 1]^2``, ``u* = sin(k pi x) sin(k pi y)``, its ansatz and source."""

    k: int
    # the source is manufactured from the Lagrangian: a case that redefines it keeps u* as its solution
    exact_holds_for: ClassVar[tuple[str, ...]] = ("lagrangian",)
    field = Variable("u", "1", "solution")
    derivatives = second_derivatives(NAMES)
    has_exact = True
    default_resolution = (65, 65)

    def _check_k(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise InvalidParameterError(f"{self.label}: k must be a positive integer, got {self.k!r}")

    @property
    def domain(self) -> Domain:
        return Domain(Box(NAMES, (0.0, 0.0), (1.0, 1.0), (False, False)))

    def conditions(self) -> tuple:
        return (DirichletCondition(lambda c: 0.0 * c["x"]),)

    def ansatz(self, coords: Coords) -> tuple[Array, Array]:
        x, y = coords["x"], coords["y"]
        return 0.0 * x, 16.0 * x * (1 - x) * y * (1 - y)

    def exact(self, coords: Coords) -> Array:
        return self.exact_jet(coords).value

    def exact_jet(self, coords: Coords) -> Jet:
        """``u*`` and its first and second derivatives in closed form."""
        x, y = coords["x"], coords["y"]
        xp = namespace(x, y)
        w = self.k * math.pi
        sx, cx, sy, cy = xp.sin(w * x), xp.cos(w * x), xp.sin(w * y), xp.cos(w * y)
        return Jet(sx * sy, {"x": w * cx * sy, "y": w * sx * cy, "xx": -w * w * sx * sy, "xy": w * w * cx * cy,
                             "yy": -w * w * sx * sy})

    def source(self, coords: Coords) -> Array:
        return self.manufactured_source(coords, self.exact_jet(coords))


@dataclass(frozen=True)
class LinearElliptic(_UnitSquareCase):
    """``-Delta u + c u = f``: ``L = |grad u|^2 / 2 + c u^2 / 2`` (``c >= 0``)."""

    c: float = 1.0
    k: int = 1

    name = "linear_elliptic"
    title = "Linear elliptic control, -Delta u + c u = f, manufactured"

    def __post_init__(self) -> None:
        self._check_k()
        if not is_finite_number(self.c) or self.c < 0:
            raise InvalidParameterError(f"linear_elliptic: c must be a finite number >= 0, got {self.c!r}")

    def lagrangian(self, coords: Coords, u: Any, grad: tuple[Any, ...]) -> Any:
        return 0.5 * (grad[0] ** 2 + grad[1] ** 2) + 0.5 * self.c * u**2


@dataclass(frozen=True)
class SemilinearElliptic(_UnitSquareCase):
    """``-Delta u + u^3 = f``: ``L = |grad u|^2 / 2 + u^4 / 4``."""

    k: int = 1

    name = "semilinear_elliptic"
    title = "Semilinear elliptic, -Delta u + u^3 = f, manufactured"

    def __post_init__(self) -> None:
        self._check_k()

    def lagrangian(self, coords: Coords, u: Any, grad: tuple[Any, ...]) -> Any:
        return 0.5 * (grad[0] ** 2 + grad[1] ** 2) + 0.25 * u**4


@dataclass(frozen=True)
class MinimalSurface(_UnitSquareCase):
    """``-div(grad u / sqrt(1 + |grad u|^2)) = f``: ``L = sqrt(1 + |grad u|^2)``."""

    k: int = 1

    name = "minimal_surface"
    title = "Minimal-surface operator with a source, manufactured"

    def __post_init__(self) -> None:
        self._check_k()

    def lagrangian(self, coords: Coords, u: Any, grad: tuple[Any, ...]) -> Any:
        xp = namespace(u)
        return xp.sqrt(1.0 + grad[0] ** 2 + grad[1] ** 2)
