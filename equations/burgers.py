"""1D viscous Burgers equation, the PINN benchmark problem."""

from __future__ import annotations

import math
from dataclasses import dataclass

from equations.core import (
    Array,
    Coords,
    DirichletCondition,
    Domain,
    Equation,
    InitialCondition,
    Jet,
    TimeInterval,
    Variable,
    check_positive,
)
from equations.geometry import Box
from equations.lagrangian import LagrangianForm
from equations.namespace import namespace


@dataclass(frozen=True)
class Burgers(Equation):
    r"""``u_t + u u_x = nu u_xx`` on ``x in [-1, 1], t in [0, 1]``.

    ``u(x, 0) = -sin(pi x)`` and ``u(+-1, t) = 0``; a steep front forms at
    ``x = 0``. The reference is the Cole--Hopf solution (``solvers``).

    Parameters
    ----------
    nu : float
        Viscosity, > 0. The classical benchmark uses ``0.01 / pi``.
    """

    nu: float = 0.01 / math.pi

    name = "burgers"
    title = "1D viscous Burgers"
    field = Variable("u", "1", "velocity")
    derivatives = ("t", "x", "xx")
    default_resolution = (256, 100)

    def __post_init__(self) -> None:
        check_positive("burgers", nu=self.nu)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (-1.0,), (1.0,), (False,)), TimeInterval(0.0, 1.0, "1"))

    def residual(self, coords: Coords, u: Jet) -> Array:
        return u["t"] + u.value * u["x"] - self.nu * u["xx"]

    def initial_value(self, coords: Coords) -> Array:
        x = coords["x"]
        return -namespace(x).sin(math.pi * x)

    def lagrangian(self) -> LagrangianForm:
        """Characteristics ``dx/dt = u``, diffusion ``nu`` along them."""
        return LagrangianForm(speed=lambda coords, u: u, diffusion=self.nu)

    def conditions(self) -> tuple:
        return (InitialCondition(self.initial_value), DirichletCondition(lambda c: 0.0 * c["x"]))

    def ansatz(self, coords: Coords) -> tuple[Array, Array]:
        x, t = coords["x"], coords["t"]
        return self.initial_value(coords), t * (1.0 - x * x)
