r"""1D wave equation on ``[0, 1]`` with fixed ends: two standing waves in closed form.

Its conditions are the initial value, the initial velocity ``u_t(x, 0)`` (an
:class:`~equations.core.InitialVelocityCondition`: a soft penalty for
PINN-type learners) and the fixed ends; the classical references read
:meth:`Wave.initial_velocity`, and the hard-constraint :meth:`Wave.ansatz`
meets both initial conditions exactly.
"""

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
    InitialVelocityCondition,
    Jet,
    TimeInterval,
    Variable,
    check_positive,
)
from equations.errors import MAX_WAVE_NUMBER, check_integer
from equations.geometry import Box
from equations.namespace import namespace


@dataclass(frozen=True)
class Wave(Equation):
    r"""``u_tt = c^2 u_xx`` on ``x in [0, 1]``, ``t in [0, t_max]``, ``u(0, t) = u(1, t) = 0``.

    Initial value ``u(x, 0) = sin(pi x) + 0.5 sin(k pi x)`` and initial velocity
    ``u_t(x, 0) = 0``; by d'Alembert (two standing waves) the exact solution is
    ``u = sin(pi x) cos(c pi t) + 0.5 sin(k pi x) cos(k c pi t)``. The defaults
    ``c = 2``, ``k = 4`` are the wave benchmark of Wang, Yu and Perdikaris (2022,
    "When and why PINNs fail to train"), ``u = sin(pi x) cos(2 pi t) +
    0.5 sin(4 pi x) cos(8 pi t)``.

    Parameters
    ----------
    c : float
        Wave speed, finite and > 0.
    k : int
        Wave number of the second standing wave, a positive integer (so that
        the initial value vanishes at both ends).
    t_max : float
        End of the time interval, finite and > 0.
    """

    c: float = 2.0
    k: int = 4
    t_max: float = 1.0

    name = "wave"
    title = "1D wave equation with fixed ends, standing waves on [0, 1]"
    field = Variable("u", "1", "displacement")
    derivatives = ("tt", "xx")
    default_resolution = (129, 257)
    has_exact = True

    def __post_init__(self) -> None:
        check_positive("wave", c=self.c, t_max=self.t_max)
        check_integer("wave: k", self.k, 1, MAX_WAVE_NUMBER)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (1.0,), (False,)), TimeInterval(0.0, self.t_max, "1"))

    def residual(self, coords: Coords, u: Jet) -> Array:
        return u["tt"] - self.c**2 * u["xx"]

    def exact(self, coords: Coords) -> Array:
        x, t = coords["x"], coords["t"]
        xp = namespace(x, t)
        w = self.c * math.pi
        return xp.sin(math.pi * x) * xp.cos(w * t) + 0.5 * xp.sin(self.k * math.pi * x) * xp.cos(self.k * w * t)

    def initial_value(self, coords: Coords) -> Array:
        """``u(x, 0) = sin(pi x) + 0.5 sin(k pi x)``."""
        x = coords["x"]
        xp = namespace(x)
        return xp.sin(math.pi * x) + 0.5 * xp.sin(self.k * math.pi * x)

    def initial_velocity(self, coords: Coords) -> Array:
        """``u_t(x, 0) = 0``."""
        return 0.0 * coords["x"]

    def conditions(self) -> tuple:
        return (
            InitialCondition(self.initial_value),
            InitialVelocityCondition(self.initial_velocity),
            DirichletCondition(lambda c: 0.0 * c["x"]),
        )

    def ansatz(self, coords: Coords) -> tuple[Array, Array]:
        """``u = u0(x) + 4 x (1 - x) (t / t_max)^2 N``: initial value, zero velocity and fixed ends, exactly.

        The lift is the initial value (it vanishes at both ends), not the solution.
        """
        x, t = coords["x"], coords["t"]
        return self.initial_value(coords), 4 * x * (1 - x) * (t / self.t_max) ** 2
