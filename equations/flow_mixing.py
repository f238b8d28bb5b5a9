r"""2D rotational flow mixing: a vortex advecting a tanh front on ``[-4, 4]^2``.

The velocity field is the steady vortex ``v_t(r) = sech^2(r) tanh(r)``
normalised by ``v_max``, a rotation at the radius-dependent angular velocity
``omega(r) = v_t / (r v_max)``; the front ``u0 = -tanh(y / 2)`` is wound up
around the origin. The closed form is the rotated initial value.
"""

from __future__ import annotations

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
from equations.namespace import namespace

# below this radius tanh(r) / r is replaced by its Taylor series 1 - r^2 / 3 + 2 r^4 / 15
_SMALL_R2 = 1e-8


@dataclass(frozen=True)
class FlowMixing(Equation):
    r"""``u_t + a u_x + b u_y = 0`` on ``[-4, 4]^2``, ``t in [0, t_max]``.

    ``a = -omega y`` and ``b = omega x`` with ``omega = v_t / (r v_max)``,
    ``v_t = sech^2(r) tanh(r)`` and ``r = sqrt(x^2 + y^2)`` (``omega -> 1 / v_max``
    at the origin). The exact solution is
    ``u = -tanh((y / 2) cos(omega t) - (x / 2) sin(omega t))``; initial value
    ``-tanh(y / 2)`` and Dirichlet values of the exact solution on the boundary
    (the PIG benchmark, Kang et al., 2023, uses ``v_max = 0.385``, ``t_max = 4``).

    Parameters
    ----------
    v_max : float
        Normalisation of the vortex speed, finite and > 0 (0.385 is about the
        maximum of ``sech^2(r) tanh(r)``).
    t_max : float
        End of the time interval, finite and > 0.
    """

    v_max: float = 0.385
    t_max: float = 4.0

    name = "flow_mixing"
    title = "2D rotational flow mixing on [-4, 4]^2"
    field = Variable("u", "1", "mixed scalar")
    derivatives = ("t", "x", "y")
    default_resolution = (65, 65, 41)
    has_exact = True

    def __post_init__(self) -> None:
        check_positive("flow_mixing", v_max=self.v_max, t_max=self.t_max)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y"), (-4.0, -4.0), (4.0, 4.0), (False, False)), TimeInterval(0.0, self.t_max, "1"))

    def angular_velocity(self, coords: Coords) -> Array:
        """``omega = sech^2(r) tanh(r) / (r v_max)``, smooth through the origin."""
        x, y = coords["x"], coords["y"]
        xp = namespace(x, y)
        r2 = x**2 + y**2
        small = r2 < _SMALL_R2
        r = xp.sqrt(xp.where(small, 1.0 + 0.0 * r2, r2))  # no 0 / 0 (nor a NaN gradient) at r = 0
        tanh_over_r = xp.where(small, 1 - r2 / 3 + 2 * r2**2 / 15, xp.tanh(r) / r)
        sech2 = xp.where(small, 1 - r2 + 2 * r2**2 / 3, 1 / xp.cosh(r) ** 2)
        return sech2 * tanh_over_r / self.v_max

    def velocity(self, coords: Coords) -> tuple[Array, Array]:
        """The advecting velocity ``(a, b) = omega (-y, x)``."""
        omega = self.angular_velocity(coords)
        return -omega * coords["y"], omega * coords["x"]

    def residual(self, coords: Coords, u: Jet) -> Array:
        a, b = self.velocity(coords)
        return u["t"] + a * u["x"] + b * u["y"]

    def initial_value(self, coords: Coords) -> Array:
        """``u(x, y, 0) = -tanh(y / 2)``."""
        y = coords["y"]
        return -namespace(y).tanh(y / 2)

    def exact(self, coords: Coords) -> Array:
        x, y, t = coords["x"], coords["y"], coords["t"]
        xp = namespace(x, y, t)
        angle = self.angular_velocity(coords) * t
        return -xp.tanh(0.5 * y * xp.cos(angle) - 0.5 * x * xp.sin(angle))

    def conditions(self) -> tuple:
        return (InitialCondition(self.initial_value), DirichletCondition(self.exact))
