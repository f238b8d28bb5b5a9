r"""ODE specs: the singular Legendre and hypergeometric equations, the antiderivative and the pendulum.

Legendre and hypergeometric are 1D boundary-value problems without time
(``domain.names == ("x",)``) whose leading coefficient vanishes inside or at the
ends of the interval, the singular-ODE benchmarks of singular PINNs. Their
closed forms are polynomials, evaluated here by recurrences and finite sums
that work on NumPy arrays and torch tensors alike; the classical references in
``solvers.odes`` use ``scipy.special``.

The antiderivative ``ds/dx = u(x)`` and the gravity pendulum
``s'' = -k sin s + u(t)`` are the DeepONet operator-learning problems (Lu et
al., 2021): initial-value problems on ``[0, 1]`` driven by an input function
``u``, given either in closed form (the default, with an exact solution) or as
values at uniform sensors, interpolated piecewise linearly. A :class:`Domain`
always has a spatial geometry, and geometry axes are named ``x``, ``y`` or
``z``, so the pendulum's time is the coordinate ``"x"`` of a 1D box, like every
other ODE spec here (``domain.names == ("x",)``). Their conditions at the left
end only (``s(0) = 0``, and ``s'(0) = 0`` for the pendulum) have no condition
type (a Dirichlet condition holds at both ends), so :meth:`conditions` is empty
and :meth:`ansatz` imposes them exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from equations.core import (
    Array,
    Coords,
    DirichletCondition,
    Domain,
    Equation,
    Jet,
    Variable,
    check_finite,
    check_positive,
    is_finite_number,
)
from equations.errors import InvalidParameterError, check_choice
from equations.geometry import Box
from equations.namespace import namespace
from equations.sampled import grid_values, interpolate_cubic


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


# The highest polynomial degree the polynomial-solution ODEs accept: beyond it the
# solution oscillates faster than any grid or network here resolves, and the
# closed form's loop would run for as many terms.
MAX_POLYNOMIAL_DEGREE = 1000


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
        if isinstance(self.l, bool) or not isinstance(self.l, int) or not 0 <= self.l <= MAX_POLYNOMIAL_DEGREE:
            raise InvalidParameterError(
                f"legendre: l must be an integer in 0..{MAX_POLYNOMIAL_DEGREE}, got {self.l!r}"
                " (a higher degree oscillates faster than any grid or network here resolves)"
            )

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
        if not is_finite_number(a) or a != int(a) or not -MAX_POLYNOMIAL_DEGREE <= a <= 0:
            raise InvalidParameterError(
                f"hypergeometric: a must be an integer in -{MAX_POLYNOMIAL_DEGREE}..0 (only the polynomial case,"
                f" of degree -a, is supported), got {a!r}"
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


def interpolate_sensors(values: tuple[float, ...], x: Array, lo: float = 0.0, hi: float = 1.0) -> Array:
    """Piecewise-linear interpolant of ``values`` at uniform sensors on ``[lo, hi]``, evaluated at ``x``.

    Parameters
    ----------
    values : tuple of float
        Values at ``len(values) >= 2`` uniformly spaced sensors, both ends included.
    x : numpy.ndarray or torch.Tensor
        Points (any shape); outside ``[lo, hi]`` the end pieces are extended linearly.
        The result has the type, shape (and, for torch, dtype and device) of ``x``;
        it is differentiable in ``x`` by autodiff.
    """
    m = len(values)
    xp = namespace(x)
    pos = (x - lo) * ((m - 1) / (hi - lo))
    if xp is np:
        index = np.clip(np.floor(pos), 0, m - 2).astype(np.int64)
        table = np.asarray(values, dtype=np.float64)
        frac = pos - index
    else:
        index = xp.clamp(xp.floor(pos), 0, m - 2).long()
        table = xp.as_tensor(values, dtype=x.dtype, device=x.device)
        frac = pos - index.to(x.dtype)
    left = table[index]
    return left + frac * (table[index + 1] - left)


def _sensor_values(owner: str, forcing: object) -> tuple[float, ...] | None:
    """Validate a forcing given as sensor values: None or >= 2 finite numbers (stored as a tuple)."""
    return grid_values(owner, "forcing", forcing)


INTERPOLATIONS = ("linear", "cubic")


def _unit_interval() -> Domain:
    return _interval(0.0, 1.0)


@dataclass(frozen=True)
class Antiderivative(Equation):
    r"""``ds/dx = u(x)``, ``s(0) = 0`` on ``[0, 1]``: the DeepONet antiderivative operator.

    The input ``u`` is ``cos(2 pi x)`` by default, with the exact solution
    ``s = sin(2 pi x) / (2 pi)``; or, for operator-learning data, the
    interpolant of ``forcing``, its values at uniform sensors on ``[0, 1]``
    (both ends included), where no closed form is offered: piecewise linear
    (``interpolation="linear"``, the default) or the not-a-knot cubic spline
    (``"cubic"``, :func:`equations.sampled.interpolate_cubic`), which is how
    the antiderivative dataset states a smooth random input sampled finely.

    Parameters
    ----------
    forcing : tuple of float, optional
        Sensor values of ``u`` (at least 2, finite). A list or 1D array is stored as a tuple.
    interpolation : {"linear", "cubic"}
        How the sensor values define ``u`` between the sensors.
    """

    forcing: tuple[float, ...] | None = None
    interpolation: str = "linear"

    name = "antiderivative"
    title = "Antiderivative ds/dx = u(x), s(0) = 0 on [0, 1]"
    field = Variable("s", "1", "antiderivative of the input function")
    derivatives = ("x",)
    default_resolution = (101,)

    def __post_init__(self) -> None:
        object.__setattr__(self, "forcing", _sensor_values("antiderivative", self.forcing))
        check_choice("antiderivative: interpolation", self.interpolation, INTERPOLATIONS)

    @property
    def has_exact(self) -> bool:  # type: ignore[override]
        """A closed form exists for the default input only."""
        return self.forcing is None

    @property
    def domain(self) -> Domain:
        return _unit_interval()

    def source(self, coords: Coords) -> Array:
        """The input function ``u(x)``."""
        x = coords["x"]
        if self.forcing is not None and self.interpolation == "cubic":
            return interpolate_cubic(self.forcing, x)
        if self.forcing is not None:
            return interpolate_sensors(self.forcing, x)
        return namespace(x).cos(2 * math.pi * x)

    def residual(self, coords: Coords, u: Jet) -> Array:
        return u["x"] - self.source(coords)

    def exact(self, coords: Coords) -> Array:
        if self.forcing is not None:
            raise NotImplementedError("antiderivative: no closed form for an input given by sensor values")
        x = coords["x"]
        return namespace(x).sin(2 * math.pi * x) / (2 * math.pi)

    def conditions(self) -> tuple:
        # s(0) = 0 holds at the left end only; a Dirichlet condition would hold at both: see ansatz
        return ()

    def ansatz(self, coords: Coords) -> tuple[Array, Array]:
        """``s = x N``: meets ``s(0) = 0`` exactly."""
        x = coords["x"]
        return 0.0 * x, x


@dataclass(frozen=True)
class Pendulum(Equation):
    r"""Gravity pendulum ``s'' = -k sin(s) + u(t)``, ``s(0) = s'(0) = 0`` on ``t in [0, 1]``.

    The DeepONet system ``s1' = s2, s2' = -k sin(s1) + u(t)`` written for the
    angle ``s = s1`` alone (``s2 = s'``). Its time is the coordinate ``"x"``
    (see the module docstring). By default the forcing is manufactured so that
    ``s = 1 - cos(pi t)`` is exact: ``u = pi^2 cos(pi t) + k sin(1 - cos(pi t))``
    (the angle reaches 2 rad, well into the nonlinear range). For operator
    learning, ``forcing`` gives ``u`` at uniform sensors on ``[0, 1]``
    (piecewise-linear interpolant), with no closed form.

    Parameters
    ----------
    k : float
        Gravity coefficient ``g / l``, finite and > 0.
    forcing : tuple of float, optional
        Sensor values of ``u`` (at least 2, finite). A list is stored as a tuple.
    """

    k: float = 1.0
    forcing: tuple[float, ...] | None = None

    name = "pendulum"
    title = "Forced gravity pendulum s'' = -k sin s + u(t), s(0) = s'(0) = 0 on [0, 1]"
    field = Variable("s", "rad", "pendulum angle")
    derivatives = ("xx",)
    default_resolution = (101,)

    def __post_init__(self) -> None:
        check_positive("pendulum", k=self.k)
        object.__setattr__(self, "forcing", _sensor_values("pendulum", self.forcing))

    @property
    def has_exact(self) -> bool:  # type: ignore[override]
        """A closed form exists for the default (manufactured) forcing only."""
        return self.forcing is None

    @property
    def domain(self) -> Domain:
        return _unit_interval()

    def source(self, coords: Coords) -> Array:
        """The forcing ``u(t)`` (``t`` is the coordinate ``"x"``)."""
        t = coords["x"]
        if self.forcing is not None:
            return interpolate_sensors(self.forcing, t)
        xp = namespace(t)
        return math.pi**2 * xp.cos(math.pi * t) + self.k * xp.sin(1 - xp.cos(math.pi * t))

    def residual(self, coords: Coords, u: Jet) -> Array:
        return u["xx"] + self.k * namespace(u.value).sin(u.value) - self.source(coords)

    def exact(self, coords: Coords) -> Array:
        if self.forcing is not None:
            raise NotImplementedError("pendulum: no closed form for a forcing given by sensor values")
        t = coords["x"]
        return 1 - namespace(t).cos(math.pi * t)

    def conditions(self) -> tuple:
        # s(0) = s'(0) = 0 hold at t = 0 only and no condition type exists for s': see ansatz
        return ()

    def ansatz(self, coords: Coords) -> tuple[Array, Array]:
        """``s = t^2 N``: meets ``s(0) = 0`` and ``s'(0) = 0`` exactly."""
        t = coords["x"]
        return 0.0 * t, t**2
