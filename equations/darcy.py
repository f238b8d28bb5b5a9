"""Variable-coefficient elliptic (Darcy) problem ``-div(a grad u) = f`` on the unit square."""

from __future__ import annotations

import math
from dataclasses import dataclass

from equations.core import (
    Array,
    Coords,
    DirichletCondition,
    Domain,
    Equation,
    Jet,
    Variable,
    check_finite,
    check_positive,
)
from equations.geometry import Box
from equations.namespace import namespace


@dataclass(frozen=True)
class Darcy(Equation):
    r"""``-div(a grad u) = f`` on ``[0, 1]^2`` with ``u = 0`` on the boundary.

    The permeability is the smooth, deterministic field
    ``a = 1 + (contrast - 1) s(x, y)`` with ``s = (1 + sin(2 pi x) sin(2 pi y)) / 2``
    in ``[0, 1]``, so ``a`` ranges over ``[min(1, contrast), max(1, contrast)]``
    and stays positive. There is no closed-form solution: the reference is
    finite differences (harmonic face averages) + multigrid.

    Parameters
    ----------
    contrast : float
        Ratio of the largest to the smallest coefficient value (finite, > 0).
    f : float
        Constant source term (finite).
    """

    contrast: float = 10.0
    f: float = 1.0

    name = "darcy"
    title = "2D Darcy flow, smooth variable coefficient on the unit square"
    field = Variable("u", "1", "pressure")
    derivatives = ("x", "y", "xx", "yy")
    default_resolution = (129, 129)

    def __post_init__(self) -> None:
        check_positive("darcy", contrast=self.contrast)
        check_finite("darcy", f=self.f)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y"), (0.0, 0.0), (1.0, 1.0), (False, False)))

    def coefficient(self, coords: Coords) -> Array:
        """The coefficient ``a(x, y)`` (positive)."""
        x, y = coords["x"], coords["y"]
        xp = namespace(x, y)
        s = 0.5 * (1.0 + xp.sin(2 * math.pi * x) * xp.sin(2 * math.pi * y))
        return 1.0 + (self.contrast - 1.0) * s

    def coefficient_gradient(self, coords: Coords) -> tuple[Array, Array]:
        """``(a_x, a_y)``, the analytic gradient of :meth:`coefficient`."""
        x, y = coords["x"], coords["y"]
        xp = namespace(x, y)
        c = 0.5 * (self.contrast - 1.0) * 2 * math.pi
        return (
            c * xp.cos(2 * math.pi * x) * xp.sin(2 * math.pi * y),
            c * xp.sin(2 * math.pi * x) * xp.cos(2 * math.pi * y),
        )

    def source(self, coords: Coords) -> Array:
        """The right-hand side ``f`` on the points of ``coords``."""
        return self.f + 0.0 * coords["x"]

    def residual(self, coords: Coords, u: Jet) -> Array:
        a = self.coefficient(coords)
        ax, ay = self.coefficient_gradient(coords)
        return a * (u["xx"] + u["yy"]) + ax * u["x"] + ay * u["y"] + self.source(coords)

    def conditions(self) -> tuple:
        return (DirichletCondition(lambda c: 0.0 * c["x"]),)

    def ansatz(self, coords: Coords) -> tuple[Array, Array]:
        x, y = coords["x"], coords["y"]
        return 0.0 * x, 16.0 * x * (1 - x) * y * (1 - y)
