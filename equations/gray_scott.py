r"""The Gray--Scott reaction--diffusion system in one space dimension: two fields, periodic."""

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
    check_finite,
    check_positive,
)
from equations.errors import InvalidParameterError
from equations.geometry import Box


@dataclass(frozen=True)
class GrayScott(Equation):
    r"""``u_t = D_u u_xx - u v^2 + F (1 - u)``, ``v_t = D_v v_xx + u v^2 - (F + k) v`` on a periodic interval.

    The feed ``F`` replenishes the substrate ``u``, which the autocatalyst ``v``
    consumes (``U + 2V -> 3V``) and which decays at ``F + k``. Initially a
    bump of ``v`` sits in a bath of ``u = 1``:
    ``v(x, 0) = b(x)``, ``u(x, 0) = 1 - 2 b(x)`` with
    ``b = amplitude / (1 + (x - length / 2)^2)^4``. There is no closed form; the
    reference is the generic solver ``fd`` (a block-Jacobian BDF integration
    of the two fields).

    Parameters
    ----------
    diffusion_u, diffusion_v : float
        ``D_u``, ``D_v`` > 0.
    feed, kill : float
        ``F``, ``k`` >= 0 (``F + k > 0``).
    amplitude : float
        Height of the initial bump of ``v``.
    length : float
        Period in ``x`` (``x in [0, length)``), > 0.
    t_final : float
        End of the time window, > 0.
    """

    diffusion_u: float = 0.1
    diffusion_v: float = 0.05
    feed: float = 0.04
    kill: float = 0.06
    amplitude: float = 0.25
    length: float = 2 * math.pi
    t_final: float = 10.0

    name = "gray_scott"
    title = "Gray-Scott reaction-diffusion (1D, periodic)"
    fields = (Variable("u", "1", "substrate concentration"), Variable("v", "1", "autocatalyst concentration"))
    derivatives = ("t", "xx")
    default_resolution = (128, 51)

    def __post_init__(self) -> None:
        check_positive("gray_scott", diffusion_u=self.diffusion_u, diffusion_v=self.diffusion_v,
                       amplitude=self.amplitude, length=self.length, t_final=self.t_final)
        check_finite("gray_scott", feed=self.feed, kill=self.kill)
        if self.feed < 0 or self.kill < 0 or self.feed + self.kill <= 0:
            raise InvalidParameterError(f"gray_scott: feed and kill must be >= 0 with feed + kill > 0, got "
                                        f"feed={self.feed!r}, kill={self.kill!r}")

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (self.length,), (True,)), TimeInterval(0.0, self.t_final, "1"))

    def bump(self, coords: Coords) -> Array:
        """The initial autocatalyst ``b(x)``."""
        x = coords["x"]
        return self.amplitude * (1 + (x - self.length / 2) ** 2) ** -4

    def residual(self, coords: Coords, f: Jets) -> tuple[Array, Array]:  # type: ignore[override]
        u, v = f["u"], f["v"]
        uvv = u.value * v.value**2
        return (u["t"] - self.diffusion_u * u["xx"] + uvv - self.feed * (1 - u.value),
                v["t"] - self.diffusion_v * v["xx"] - uvv + (self.feed + self.kill) * v.value)

    def conditions(self) -> tuple:
        return (InitialCondition(lambda c: 1 - 2 * self.bump(c), field="u"),
                InitialCondition(self.bump, field="v"), PeriodicCondition("x"))
