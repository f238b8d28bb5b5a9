r"""Linear second-order ODEs with regular singular points: Legendre and hypergeometric.

Both are 1D boundary-value problems without time (``domain.names == ("x",)``)
whose leading coefficient vanishes inside or at the ends of the interval, the
singular-ODE benchmarks of singular PINNs. Their closed forms are polynomials,
evaluated here by recurrences and finite sums that work on NumPy arrays and
torch tensors alike; the classical references in ``solvers.odes`` use
``scipy.special``.
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
    Jet,
    Variable,
    check_finite,
)
from equations.errors import InvalidParameterError
from equations.geometry import Box


def _interval(lo: float, hi: float) -> Domain:
    return Domain(Box(("x",), (lo,), (hi,), (False,)))


def legendre_polynomial(l: int, x: Array) -> Array:  # noqa: E741  (the customary name of the degree)
    """``P_l(x)`` by the three-term recurrence ``(n + 1) P_{n+1} = (2n + 1) x P_n - n P_{n-1}``.

    Parameters
    ----------
    l : int
        Degree, >= 0.
    x : numpy.ndarray or torch.Tensor
        Points (any shape); the result has the same type and shape.
    """
    p_prev, p = 1.0 + 0.0 * x, x
    if l == 0:
        return p_prev
    for n in range(1, l):
        p_prev, p = p, ((2 * n + 1) * x * p - n * p_prev) / (n + 1)
    return p


def hypergeometric_polynomial(a: int, b: float, c: float, x: Array) -> Array:
    """``2F1(a, b; c; x)`` for a non-positive integer ``a``: the finite sum of ``1 - a`` terms.

    Parameters
    ----------
    a : int
        Non-positive integer (the series terminates after ``x^(-a)``).
    b, c : float
        Other parameters; ``c`` must not be a non-positive integer.
    x : numpy.ndarray or torch.Tensor
        Points (any shape); the result has the same type and shape.
    """
    total = 1.0 + 0.0 * x
    term = 1.0 + 0.0 * x
    coefficient = 1.0
    for n in range(-int(a)):
        coefficient *= (a + n) * (b + n) / ((c + n) * (n + 1))
        term = term * x
        total = total + coefficient * term
    return total


@dataclass(frozen=True)
class Legendre(Equation):
    r"""``(1 - x^2) y'' - 2 x y' + l (l + 1) y = 0`` on ``[-1, 1]``.

    Singular at both ends; with the Dirichlet values ``y(+-1) = P_l(+-1) = (+-1)^l``
    the bounded solution is the Legendre polynomial ``y = P_l(x)``.

    Parameters
    ----------
    l : int
        Degree, a non-negative integer.
    """

    l: int = 3  # noqa: E741  (the customary name of the degree)

    name = "legendre"
    title = "Legendre equation on [-1, 1]"
    field = Variable("u", "1", "Legendre polynomial")
    derivatives = ("x", "xx")
    default_resolution = (201,)
    has_exact = True

    def __post_init__(self) -> None:
        if isinstance(self.l, bool) or not isinstance(self.l, int) or self.l < 0:
            raise InvalidParameterError(f"legendre: l must be a non-negative integer, got {self.l!r}")

    @property
    def domain(self) -> Domain:
        return _interval(-1.0, 1.0)

    def residual(self, coords: Coords, u: Jet) -> Array:
        x = coords["x"]
        return (1 - x**2) * u["xx"] - 2 * x * u["x"] + self.l * (self.l + 1) * u.value

    def exact(self, coords: Coords) -> Array:
        return legendre_polynomial(self.l, coords["x"])

    def conditions(self) -> tuple:
        return (DirichletCondition(self.exact),)

    def ansatz(self, coords: Coords) -> tuple[Array, Array]:
        x = coords["x"]
        lo, hi = float((-1) ** self.l), 1.0
        return 0.5 * ((1 - x) * lo + (1 + x) * hi), 1 - x**2


@dataclass(frozen=True)
class Hypergeometric(Equation):
    r"""``x (1 - x) y'' + [c - (a + b + 1) x] y' - a b y = 0`` on ``[0, 2]``.

    Singular at ``x = 0`` and ``x = 1``. Only the polynomial case is supported:
    for a non-positive integer ``a`` the solution regular at ``x = 0`` is the
    polynomial ``2F1(a, b; c; x)``, fixed by Dirichlet values at both ends. The
    default ``(a, b, c) = (-2, 1, 1)`` gives ``y = (1 - x)^2``.

    Parameters
    ----------
    a : int
        Non-positive integer.
    b : float
        Finite number.
    c : float
        Finite number, not a non-positive integer.
    """

    a: int = -2
    b: float = 1.0
    c: float = 1.0

    name = "hypergeometric"
    title = "Gauss hypergeometric equation on [0, 2] (polynomial case)"
    field = Variable("u", "1", "hypergeometric function")
    derivatives = ("x", "xx")
    default_resolution = (201,)
    has_exact = True

    def __post_init__(self) -> None:
        a = self.a
        if isinstance(a, bool) or not isinstance(a, (int, float)) or not math.isfinite(a) or a != int(a) or a > 0:
            raise InvalidParameterError(
                f"hypergeometric: a must be a non-positive integer (only the polynomial case is supported), got {a!r}"
            )
        check_finite("hypergeometric", b=self.b, c=self.c)
        if self.c <= 0 and self.c == int(self.c):
            raise InvalidParameterError(f"hypergeometric: c must not be a non-positive integer, got {self.c!r}")

    @property
    def domain(self) -> Domain:
        return _interval(0.0, 2.0)

    def residual(self, coords: Coords, u: Jet) -> Array:
        x = coords["x"]
        a, b, c = self.a, self.b, self.c
        return x * (1 - x) * u["xx"] + (c - (a + b + 1) * x) * u["x"] - a * b * u.value

    def exact(self, coords: Coords) -> Array:
        return hypergeometric_polynomial(int(self.a), self.b, self.c, coords["x"])

    def conditions(self) -> tuple:
        return (DirichletCondition(self.exact),)

    def ansatz(self, coords: Coords) -> tuple[Array, Array]:
        x = coords["x"]
        lo = 1.0
        hi = float(hypergeometric_polynomial(int(self.a), self.b, self.c, 2.0))
        return lo + 0.5 * (hi - lo) * x, x * (2 - x)
