r"""The focusing nonlinear Schrodinger equation as a system of two real fields (the PINN paper's case)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from equations.core import (
    Array,
    Coords,
    Domain,
    Equation,
    InitialCondition,
    Jets,
    PeriodicCondition,
    TimeInterval,
    Variable,
    check_positive,
)
from equations.geometry import Box
from equations.namespace import namespace


@dataclass(frozen=True)
class NonlinearSchrodinger(Equation):
    r"""``i h_t + h_xx / 2 + |h|^2 h = 0`` for ``h = u + i v``, periodic in ``x``.

    As two real equations: ``u_t + v_xx / 2 + (u^2 + v^2) v = 0`` and
    ``v_t - u_xx / 2 - (u^2 + v^2) u = 0``. With the defaults it is the case
    of Raissi, Perdikaris & Karniadakis (2019): ``x in [-5, 5)``,
    ``t in [0, pi / 2]``, ``h(x, 0) = 2 sech(x)`` (a second-order soliton
    whose peak sharpens near ``t = pi / 4``); their PINN reached a relative L2
    error of ``|h|`` of 1.97e-3. The reference is a Fourier pseudo-spectral
    ETDRK4 integration (``solvers.schrodinger``).

    Parameters
    ----------
    amplitude : float
        ``A`` in ``h(x, 0) = A sech(x)``, > 0.
    half_width : float
        The period is ``[-half_width, half_width)``, > 0.
    t_final : float
        End of the time window, > 0.
    """

    amplitude: float = 2.0
    half_width: float = 5.0
    t_final: float = math.pi / 2

    name = "schrodinger"
    title = "Nonlinear Schrodinger equation (real and imaginary parts)"
    fields = (Variable("u", "1", "real part of h"), Variable("v", "1", "imaginary part of h"))
    derivatives = ("t", "xx")
    default_resolution = (256, 201)

    def __post_init__(self) -> None:
        check_positive("schrodinger", amplitude=self.amplitude, half_width=self.half_width, t_final=self.t_final)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (-self.half_width,), (self.half_width,), (True,)),
                      TimeInterval(0.0, self.t_final, "1"))

    def initial_value(self, coords: Coords) -> Array:
        """``h(x, 0) = A sech(x)`` (real)."""
        x = coords["x"]
        return self.amplitude / namespace(x).cosh(x)

    def residual(self, coords: Coords, f: Jets) -> tuple[Array, Array]:  # type: ignore[override]
        u, v = f["u"], f["v"]
        power = u.value**2 + v.value**2
        return (u["t"] + 0.5 * v["xx"] + power * v.value, v["t"] - 0.5 * u["xx"] - power * u.value)

    def conditions(self) -> tuple:
        return (InitialCondition(self.initial_value, field="u"), InitialCondition(lambda c: 0.0 * c["x"], field="v"),
                PeriodicCondition("x"))
