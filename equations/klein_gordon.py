r"""2D nonlinear Klein--Gordon equation with a manufactured solution on ``[-1, 1]^2``.

Second order in time, it has two initial conditions: the value and the
velocity ``u_t(x, y, 0)`` (an :class:`~equations.core.InitialVelocityCondition`,
a soft penalty on ``u_t`` for PINN-type learners), plus Dirichlet data from the
closed form. The classical reference (``solvers.klein_gordon``) reads the
velocity from :meth:`KleinGordon.initial_velocity`.
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
    InitialVelocityCondition,
    Jet,
    TimeInterval,
    Variable,
    check_positive,
)
from equations.geometry import Box
from equations.namespace import namespace


@dataclass(frozen=True)
class KleinGordon(Equation):
    r"""``u_tt - (u_xx + u_yy) + u^2 = f`` on ``[-1, 1]^2``, ``t in [0, t_max]``.

    The manufactured solution is ``u = (x + y) cos 2t + x y sin 2t`` (the PIG
    benchmark, Kang et al., 2023, uses ``t_max = 10``); ``f`` follows from it:
    ``u_tt = -4 u`` and ``Delta u = 0``, so ``f = u^2 - 4 u``. Initial value
    ``u(x, y, 0) = x + y``, initial velocity ``u_t(x, y, 0) = 2 x y`` and
    Dirichlet values of the exact solution on the boundary.

    Parameters
    ----------
    t_max : float
        End of the time interval, finite and > 0.
    """

    t_max: float = 10.0

    name = "klein_gordon"
    title = "2D nonlinear Klein-Gordon, manufactured solution on [-1, 1]^2"
    field = Variable("u", "1", "wave amplitude")
    derivatives = ("tt", "xx", "yy")
    default_resolution = (33, 33, 101)
    has_exact = True

    def __post_init__(self) -> None:
        check_positive("klein_gordon", t_max=self.t_max)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y"), (-1.0, -1.0), (1.0, 1.0), (False, False)), TimeInterval(0.0, self.t_max, "1"))

    def exact(self, coords: Coords) -> Array:
        x, y, t = coords["x"], coords["y"], coords["t"]
        xp = namespace(x, y, t)
        return (x + y) * xp.cos(2 * t) + x * y * xp.sin(2 * t)

    def source(self, coords: Coords) -> Array:
        """The right-hand side ``f = u^2 - 4 u`` of the manufactured solution ``u``."""
        u = self.exact(coords)
        return u**2 - 4 * u

    def residual(self, coords: Coords, u: Jet) -> Array:
        return u["tt"] - (u["xx"] + u["yy"]) + u.value**2 - self.source(coords)

    def initial_value(self, coords: Coords) -> Array:
        """``u(x, y, 0) = x + y``."""
        return coords["x"] + coords["y"]

    def initial_velocity(self, coords: Coords) -> Array:
        """``u_t(x, y, 0) = 2 x y``."""
        return 2 * coords["x"] * coords["y"]

    def conditions(self) -> tuple:
        return (
            InitialCondition(self.initial_value),
            InitialVelocityCondition(self.initial_velocity),
            DirichletCondition(self.exact),
        )

    def ansatz(self, coords: Coords) -> None:
        """No hard-constraint form.

        Any lift of this problem's boundary data is the exact solution itself
        (it is bilinear in x and y), so an ansatz would hand a learner the answer.
        The initial velocity therefore has no soft condition yet either: learners
        that need it arrive with the PIG work.
        """
        return None
