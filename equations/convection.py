"""1D periodic convection(-diffusion), the classic PINN failure mode at large beta."""

from __future__ import annotations

import math
from dataclasses import dataclass

from equations.core import (
    Array,
    Coords,
    Domain,
    Equation,
    InitialCondition,
    Jet,
    PeriodicCondition,
    TimeInterval,
    Variable,
    check_finite,
)
from equations.errors import InvalidParameterError
from equations.geometry import Box
from equations.lagrangian import LagrangianForm
from equations.namespace import namespace


@dataclass(frozen=True)
class Convection(Equation):
    r"""``u_t + beta u_x = nu u_xx`` on ``x in [0, 2 pi)`` (periodic), ``t in [0, 1]``.

    ``u(x, 0) = sin x``; the exact solution is ``exp(-nu t) sin(x - beta t)``.

    Parameters
    ----------
    beta : float
        Wave speed (finite).
    nu : float
        Diffusion coefficient, >= 0.
    """

    beta: float = 30.0
    nu: float = 0.0

    name = "convection"
    title = "1D periodic convection-diffusion"
    field = Variable("u", "1", "transported scalar")
    derivatives = ("t", "x", "xx")
    default_resolution = (256, 100)
    has_exact = True

    def __post_init__(self) -> None:
        check_finite("convection", beta=self.beta, nu=self.nu)
        if self.nu < 0:
            raise InvalidParameterError(f"convection: nu must be >= 0, got {self.nu!r}")

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (2 * math.pi,), (True,)), TimeInterval(0.0, 1.0, "1"))

    def residual(self, coords: Coords, u: Jet) -> Array:
        return u["t"] + self.beta * u["x"] - self.nu * u["xx"]

    def initial_value(self, coords: Coords) -> Array:
        x = coords["x"]
        return namespace(x).sin(x)

    def lagrangian(self) -> LagrangianForm:
        """Characteristics ``dx/dt = beta``, diffusion ``nu`` along them."""
        return LagrangianForm(speed=lambda coords, u: self.beta + 0.0 * u, diffusion=self.nu, linear=True)

    def conditions(self) -> tuple:
        return (InitialCondition(self.initial_value), PeriodicCondition("x"))

    def exact(self, coords: Coords) -> Array:
        x, t = coords["x"], coords["t"]
        xp = namespace(x, t)
        return xp.exp(-self.nu * t) * xp.sin(x - self.beta * t)
