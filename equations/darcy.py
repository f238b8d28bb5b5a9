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
from equations.sampled import grid_table, nearest_node


@dataclass(frozen=True)
class Darcy(Equation):
    r"""``-div(a grad u) = f`` on ``[0, 1]^2`` with ``u = 0`` on the boundary.

    By default the permeability is the smooth, deterministic field
    ``a = 1 + (contrast - 1) s(x, y)`` with ``s = (1 + sin(2 pi x) sin(2 pi y)) / 2``
    in ``[0, 1]``, so ``a`` ranges over ``[min(1, contrast), max(1, contrast)]``
    and stays positive. There is no closed-form solution: the reference is
    finite differences (harmonic face averages) + multigrid.

    For operator learning (the Darcy dataset, FNO) the permeability is given
    instead by ``permeability``: positive values at the nodes of a uniform
    ``(mx, my)`` grid on the unit square, both ends included, and ``a`` is
    piecewise constant, each point taking the value of its nearest node
    (:func:`equations.sampled.nearest_node`). The jumps then lie halfway
    between nodes, where the solver's harmonic face average is the exact
    effective coefficient of the flux across a face. The PDE holds in flux
    form; :meth:`residual` states it inside each constant piece (``grad a = 0``),
    so a solver that discretises the residual (the generic ``"fd"``) does not
    see the jumps: the flux-form ``multigrid``, registered first, is the
    reference of such a member.

    Parameters
    ----------
    contrast : float
        Ratio of the largest to the smallest coefficient value of the smooth
        field (finite, > 0); unused with ``permeability``.
    f : float
        Constant source term (finite).
    permeability : tuple of tuple of float, optional
        Nodal values of a piecewise-constant ``a`` (``>= 2`` nodes per axis,
        positive and finite). A 2D array or nested lists are stored as a tuple of tuples.
    """

    contrast: float = 10.0
    f: float = 1.0
    permeability: tuple[tuple[float, ...], ...] | None = None

    name = "darcy"
    title = "2D Darcy flow, smooth variable coefficient on the unit square"
    field = Variable("u", "1", "pressure")
    derivatives = ("x", "y", "xx", "yy")
    default_resolution = (129, 129)

    def __post_init__(self) -> None:
        check_positive("darcy", contrast=self.contrast)
        check_finite("darcy", f=self.f)
        object.__setattr__(self, "permeability", grid_table("darcy", "permeability", self.permeability,
                                                            positive=True))

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y"), (0.0, 0.0), (1.0, 1.0), (False, False)))

    def coefficient(self, coords: Coords) -> Array:
        """The coefficient ``a(x, y)`` (positive)."""
        x, y = coords["x"], coords["y"]
        if self.permeability is not None:
            return nearest_node(self.permeability, x, y)
        xp = namespace(x, y)
        s = 0.5 * (1.0 + xp.sin(2 * math.pi * x) * xp.sin(2 * math.pi * y))
        return 1.0 + (self.contrast - 1.0) * s

    def coefficient_gradient(self, coords: Coords) -> tuple[Array, Array]:
        """``(a_x, a_y)``, the analytic gradient of :meth:`coefficient` (zero inside the pieces of ``permeability``)."""
        x, y = coords["x"], coords["y"]
        if self.permeability is not None:
            return 0.0 * x, 0.0 * y
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
