"""2D Helmholtz problem with a manufactured solution on ``[-1, 1]^2``."""

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
    check_positive,
)
from equations.errors import InvalidParameterError
from equations.geometry import Box
from equations.namespace import namespace


@dataclass(frozen=True)
class Helmholtz(Equation):
    r"""``u_xx + u_yy + k^2 u = q`` on ``[-1, 1]^2`` with ``u = 0`` on the boundary.

    The manufactured solution is ``u = sin(a1 pi x) sin(a2 pi y)``, so
    ``q = (k^2 - (a1^2 + a2^2) pi^2) u``. The PINN benchmark (Wang et al., 2021)
    uses ``(a1, a2) = (4, 1)`` and ``k = 1``.

    Parameters
    ----------
    a1, a2 : int
        Positive integer wave numbers of the manufactured solution along ``x`` and ``y``.
    k : float
        Wave number of the Helmholtz operator, finite and > 0.
    """

    a1: int = 4
    a2: int = 1
    k: float = 1.0

    name = "helmholtz"
    title = "2D Helmholtz, manufactured solution on [-1, 1]^2"
    field = Variable("u", "1", "amplitude")
    derivatives = ("xx", "yy")
    default_resolution = (129, 129)
    has_exact = True

    def __post_init__(self) -> None:
        for key in ("a1", "a2"):
            v = getattr(self, key)
            # beyond 1e6 the wave number overflows float arithmetic (10**400 * pi) long before any grid resolves it
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 10**6:
                raise InvalidParameterError(f"helmholtz: {key} must be an integer in [1, 1e6], got {v!r}")
        check_positive("helmholtz", k=self.k)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y"), (-1.0, -1.0), (1.0, 1.0), (False, False)))

    def exact(self, coords: Coords) -> Array:
        x, y = coords["x"], coords["y"]
        xp = namespace(x, y)
        return xp.sin(self.a1 * math.pi * x) * xp.sin(self.a2 * math.pi * y)

    def source(self, coords: Coords) -> Array:
        """The right-hand side ``q`` of ``Delta u + k^2 u = q``."""
        return (self.k**2 - (self.a1**2 + self.a2**2) * math.pi**2) * self.exact(coords)

    def residual(self, coords: Coords, u: Jet) -> Array:
        return u["xx"] + u["yy"] + self.k**2 * u.value - self.source(coords)

    def conditions(self) -> tuple:
        return (DirichletCondition(lambda c: 0.0 * c["x"]),)

    def ansatz(self, coords: Coords) -> tuple[Array, Array]:
        x, y = coords["x"], coords["y"]
        return 0.0 * x, (1 - x**2) * (1 - y**2)
