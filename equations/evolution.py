"""1D periodic diffusion--reaction evolution equations: heat, reaction--diffusion, Allen--Cahn.

All three have the form ``u_t = D u_xx + R(u)`` with a pointwise reaction
``R`` on a periodic interval, ``t in [0, 1]``; the classical reference is the
Fourier pseudo-spectral ETDRK4 solver in ``solvers.evolution``.
"""

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
    check_positive,
)
from equations.errors import InvalidParameterError
from equations.geometry import Box
from equations.namespace import namespace


def _periodic_domain(lo: float, hi: float) -> Domain:
    return Domain(Box(("x",), (lo,), (hi,), (True,)), TimeInterval(0.0, 1.0, "1"))


class _DiffusionReaction(Equation):
    """``u_t = D u_xx + R(u)``, periodic in x: the residual and conditions, written once."""

    derivatives = ("t", "xx")

    def initial_value(self, coords: Coords) -> Array:
        raise NotImplementedError

    @property
    def diffusion(self) -> float:
        """The coefficient ``D`` of ``u_xx``."""
        raise NotImplementedError

    def reaction(self, u: Array) -> Array:
        """The pointwise source ``R(u)``."""
        raise NotImplementedError

    def residual(self, coords: Coords, u: Jet) -> Array:
        return u["t"] - self.diffusion * u["xx"] - self.reaction(u.value)

    def conditions(self) -> tuple:
        return (InitialCondition(self.initial_value), PeriodicCondition("x"))


@dataclass(frozen=True)
class Heat(_DiffusionReaction):
    r"""``u_t = nu u_xx`` on ``x in [0, 2 pi)`` (periodic), ``t in [0, 1]``.

    ``u(x, 0) = sin x + 0.5 sin 3x``; the exact solution is
    ``exp(-nu t) sin x + 0.5 exp(-9 nu t) sin 3x``.

    Parameters
    ----------
    nu : float
        Diffusion coefficient, > 0.
    """

    nu: float = 0.1

    name = "heat"
    title = "1D periodic heat equation"
    field = Variable("u", "1", "temperature")
    default_resolution = (256, 101)
    has_exact = True

    def __post_init__(self) -> None:
        check_positive("heat", nu=self.nu)

    @property
    def domain(self) -> Domain:
        return _periodic_domain(0.0, 2 * math.pi)

    @property
    def diffusion(self) -> float:
        """The coefficient of ``u_xx``."""
        return self.nu

    def reaction(self, u: Array) -> Array:
        """The pointwise source ``R(u)`` of ``u_t = D u_xx + R(u)`` (zero here)."""
        return 0.0 * u

    def initial_value(self, coords: Coords) -> Array:
        x = coords["x"]
        xp = namespace(x)
        return xp.sin(x) + 0.5 * xp.sin(3 * x)

    def exact(self, coords: Coords) -> Array:
        x, t = coords["x"], coords["t"]
        xp = namespace(x, t)
        return xp.exp(-self.nu * t) * xp.sin(x) + 0.5 * xp.exp(-9 * self.nu * t) * xp.sin(3 * x)


@dataclass(frozen=True)
class ReactionDiffusion(_DiffusionReaction):
    r"""``u_t = nu u_xx + rho u (1 - u)`` on ``x in [0, 2 pi)`` (periodic), ``t in [0, 1]``.

    Fisher--KPP type logistic reaction with the Gaussian initial value
    ``u(x, 0) = exp(-(x - pi)^2 / (2 (pi / 4)^2))`` of the PINN failure-mode
    benchmarks (Krishnapriyan et al., 2021). For ``nu = 0`` every point follows
    the logistic ODE, ``u = h e^{rho t} / (h e^{rho t} + 1 - h)`` with ``h = u(x, 0)``.

    Parameters
    ----------
    nu : float
        Diffusion coefficient, >= 0.
    rho : float
        Reaction rate (finite).
    """

    nu: float = 3.0
    rho: float = 5.0

    name = "reaction_diffusion"
    title = "1D periodic reaction-diffusion (logistic)"
    field = Variable("u", "1", "concentration")
    default_resolution = (256, 101)

    def __post_init__(self) -> None:
        check_finite("reaction_diffusion", nu=self.nu, rho=self.rho)
        if self.nu < 0:
            raise InvalidParameterError(f"reaction_diffusion: nu must be >= 0, got {self.nu!r}")

    @property
    def domain(self) -> Domain:
        return _periodic_domain(0.0, 2 * math.pi)

    @property
    def diffusion(self) -> float:
        """The coefficient of ``u_xx``."""
        return self.nu

    def reaction(self, u: Array) -> Array:
        """The pointwise source ``rho u (1 - u)``."""
        return self.rho * u * (1.0 - u)

    def initial_value(self, coords: Coords) -> Array:
        x = coords["x"]
        sigma = math.pi / 4
        return namespace(x).exp(-((x - math.pi) ** 2) / (2 * sigma**2))


@dataclass(frozen=True)
class Reaction(ReactionDiffusion):
    r"""``u_t = rho u (1 - u)``: the logistic reaction alone, ``u = h e^{rho t} / (h e^{rho t} + 1 - h)``.

    The "reaction" PINN failure mode of Krishnapriyan et al. (2021): the
    Gaussian initial value of :class:`ReactionDiffusion` on ``[0, 2 pi)``
    (periodic), no diffusion, a closed-form solution.

    Parameters
    ----------
    nu : float
        Diffusion coefficient; 0 (the default) for the closed form.
    rho : float
        Reaction rate (finite).
    """

    nu: float = 0.0
    rho: float = 5.0

    name = "reaction"
    title = "1D logistic reaction"

    @property
    def has_exact(self) -> bool:  # type: ignore[override]
        return self.nu == 0.0

    def exact(self, coords: Coords) -> Array:
        if self.nu != 0.0:
            raise InvalidParameterError("reaction: the closed form holds for nu = 0 only")
        h = self.initial_value(coords)
        g = h * namespace(h).exp(self.rho * coords["t"])
        return g / (g + 1.0 - h)


@dataclass(frozen=True)
class AllenCahn(_DiffusionReaction):
    r"""``u_t = d u_xx + a (u - u^3)`` on ``x in [-1, 1)`` (periodic), ``t in [0, 1]``.

    ``u(x, 0) = x^2 cos(pi x)``; the PINN benchmark (Raissi et al., 2019) uses
    ``d = 1e-4`` and ``a = 5``. The solution settles into metastable plateaus
    ``u = +-1`` separated by thin interfaces of width about ``sqrt(d / a)``.

    Parameters
    ----------
    d : float
        Diffusion coefficient, > 0.
    a : float
        Reaction coefficient (finite).
    """

    d: float = 1e-4
    a: float = 5.0

    name = "allen_cahn"
    title = "1D periodic Allen-Cahn"
    field = Variable("u", "1", "phase field")
    default_resolution = (256, 101)

    def __post_init__(self) -> None:
        check_positive("allen_cahn", d=self.d)
        check_finite("allen_cahn", a=self.a)

    @property
    def domain(self) -> Domain:
        return _periodic_domain(-1.0, 1.0)

    @property
    def diffusion(self) -> float:
        """The coefficient of ``u_xx``."""
        return self.d

    def reaction(self, u: Array) -> Array:
        """The pointwise source ``a (u - u^3)``."""
        return self.a * (u - u**3)

    def initial_value(self, coords: Coords) -> Array:
        x = coords["x"]
        return x**2 * namespace(x).cos(math.pi * x)
