r"""Nonlinear elliptic variational problems with manufactured solutions on the unit square.

Each case minimises ``E(u) = int L(x, u, grad u) - f u`` with ``u = 0`` on the
sides (:class:`equations.variational.VariationalEquation`); ``f`` is
manufactured from ``L`` so that ``u* = sin(k pi x) sin(k pi y)`` is the
solution (:meth:`~equations.variational.VariationalEquation.manufactured_source`):

- ``linear_elliptic``: ``L = |grad u|^2 / 2 + c u^2 / 2`` (``-Delta u + c u = f``), the control;
- ``semilinear_elliptic``: ``L = |grad u|^2 / 2 + u^4 / 4`` (``-Delta u + u^3 = f``);
- ``minimal_surface``: ``L = sqrt(1 + |grad u|^2)`` (the minimal-surface operator with a source);
- ``p_laplacian``: ``L = (eps^2 + |grad u|^2)^(p/2) / p`` for ``p`` in ``[1.1, 10]``;
- ``semilinear_nd``: ``-Delta u + u^3 = f`` on ``[0, 1]^d`` up to ``d = 20``
  (sum, product and Barron-type manufactured solutions, data on the boundary).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from equations.core import Array, Coords, DirichletCondition, Domain, Jet, Variable, is_finite_number
from equations.errors import MAX_WAVE_NUMBER, InvalidParameterError, check_choice, check_integer
from equations.geometry import SPATIAL_AXES, Box
from equations.namespace import namespace
from equations.variational import VariationalEquation, second_derivatives

NAMES = ("x", "y")


class _UnitSquareCase(VariationalEquation):
    """Zero Dirichlet data on ``[0, 1]^2``, ``u* = sin(k pi x) sin(k pi y)``, its ansatz and source."""

    k: int
    # the source is manufactured from the Lagrangian: a case that redefines it keeps u* as its solution
    exact_holds_for: ClassVar[tuple[str, ...]] = ("lagrangian",)
    field = Variable("u", "1", "solution")
    derivatives = second_derivatives(NAMES)
    has_exact = True
    default_resolution = (65, 65)

    def _check_k(self) -> None:
        check_integer(f"{self.label}: k", self.k, 1, MAX_WAVE_NUMBER)

    @property
    def domain(self) -> Domain:
        return Domain(Box(NAMES, (0.0, 0.0), (1.0, 1.0), (False, False)))

    def conditions(self) -> tuple:
        return (DirichletCondition(lambda c: 0.0 * c["x"]),)

    def ansatz(self, coords: Coords) -> tuple[Array, Array]:
        x, y = coords["x"], coords["y"]
        return 0.0 * x, 16.0 * x * (1 - x) * y * (1 - y)

    def exact(self, coords: Coords) -> Array:
        return self.exact_jet(coords).value

    def exact_jet(self, coords: Coords) -> Jet:
        """``u*`` and its first and second derivatives in closed form."""
        x, y = coords["x"], coords["y"]
        xp = namespace(x, y)
        w = self.k * math.pi
        sx, cx, sy, cy = xp.sin(w * x), xp.cos(w * x), xp.sin(w * y), xp.cos(w * y)
        return Jet(
            sx * sy,
            {"x": w * cx * sy, "y": w * sx * cy, "xx": -w * w * sx * sy, "xy": w * w * cx * cy, "yy": -w * w * sx * sy},
        )

    def source(self, coords: Coords) -> Array:
        return self.manufactured_source(coords, self.exact_jet(coords))


@dataclass(frozen=True)
class LinearElliptic(_UnitSquareCase):
    """``-Delta u + c u = f``: ``L = |grad u|^2 / 2 + c u^2 / 2`` (``c >= 0``)."""

    c: float = 1.0
    k: int = 1

    name = "linear_elliptic"
    title = "Linear elliptic control, -Delta u + c u = f, manufactured"

    def __post_init__(self) -> None:
        self._check_k()
        if not is_finite_number(self.c) or self.c < 0:
            raise InvalidParameterError(f"linear_elliptic: c must be a finite number >= 0, got {self.c!r}")

    def lagrangian(self, coords: Coords, u: Any, grad: tuple[Any, ...]) -> Any:
        return 0.5 * (grad[0] ** 2 + grad[1] ** 2) + 0.5 * self.c * u**2


@dataclass(frozen=True)
class SemilinearElliptic(_UnitSquareCase):
    """``-Delta u + u^3 = f``: ``L = |grad u|^2 / 2 + u^4 / 4``."""

    k: int = 1

    name = "semilinear_elliptic"
    title = "Semilinear elliptic, -Delta u + u^3 = f, manufactured"

    def __post_init__(self) -> None:
        self._check_k()

    def lagrangian(self, coords: Coords, u: Any, grad: tuple[Any, ...]) -> Any:
        return 0.5 * (grad[0] ** 2 + grad[1] ** 2) + 0.25 * u**4


@dataclass(frozen=True)
class MinimalSurface(_UnitSquareCase):
    """``-div(grad u / sqrt(1 + |grad u|^2)) = f``: ``L = sqrt(1 + |grad u|^2)``."""

    k: int = 1

    name = "minimal_surface"
    title = "Minimal-surface operator with a source, manufactured"

    def __post_init__(self) -> None:
        self._check_k()

    def lagrangian(self, coords: Coords, u: Any, grad: tuple[Any, ...]) -> Any:
        xp = namespace(u)
        return xp.sqrt(1.0 + grad[0] ** 2 + grad[1] ** 2)


#: the exponents the p-Laplacian accepts: p <= 1 has no minimiser in W^{1,p} (not reflexive), p above 10 is a
#: stiffness no reference here resolves
P_RANGE = (1.1, 10.0)


@dataclass(frozen=True)
class PLaplacian(_UnitSquareCase):
    r"""The regularised p-Laplacian ``-div((eps^2 + |grad u|^2)^((p-2)/2) grad u) = f``.

    ``L = (eps^2 + |grad u|^2)^(p/2) / p``: as ``eps -> 0``, the p-Laplacian,
    degenerate (``p > 2``) or singular (``p < 2``) where ``grad u = 0``. The
    source is manufactured from ``L``, so ``u*`` solves the problem for every
    ``eps``. ``eps = 0`` itself is refused: ``L`` is then not twice
    differentiable at ``grad u = 0`` (``u*`` has such points), so neither its
    manufactured source nor a Newton step is defined there by differentiation.

    Parameters
    ----------
    p : float
        Exponent in ``[1.1, 10]``.
    eps : float
        Regularisation, ``> 0``.
    k : int
        Wave number of ``u*``.
    """

    p: float = 3.0
    eps: float = 0.1
    k: int = 1

    name = "p_laplacian"
    title = "p-Laplacian (regularised), manufactured"

    def __post_init__(self) -> None:
        self._check_k()
        lo, hi = P_RANGE
        if not is_finite_number(self.p) or not lo <= self.p <= hi:
            raise InvalidParameterError(
                f"p_laplacian: p must be a number in [{lo}, {hi}], got {self.p!r} (p <= 1 has no minimiser)"
            )
        if not is_finite_number(self.eps) or self.eps <= 0:
            raise InvalidParameterError(
                f"p_laplacian: eps must be a finite number > 0 (L is not twice differentiable at grad u = 0"
                f" when eps = 0), got {self.eps!r}"
            )

    def lagrangian(self, coords: Coords, u: Any, grad: tuple[Any, ...]) -> Any:
        return (self.eps**2 + grad[0] ** 2 + grad[1] ** 2) ** (0.5 * self.p) / self.p

    def continuation(self) -> tuple[PLaplacian, ...]:
        """Easier problems leading here, for a Newton solver's warm starts.

        ``p`` from 2 in steps of at most 0.5 at ``eps = max(eps, 0.1)``, then
        ``eps`` down by factors of at most 10.
        """
        steps = max(1, math.ceil(abs(self.p - 2.0) / 0.5))
        start = max(self.eps, 0.1)
        path = [replace(self, p=2.0 + (self.p - 2.0) * i / steps, eps=start) for i in range(steps + 1)]
        eps = start
        while eps > self.eps:
            eps = max(eps / 10.0, self.eps)
            path.append(replace(self, eps=eps))
        path[-1] = self  # the same values: the spec itself
        return tuple(path)


#: the manufactured solutions of :class:`SemilinearND`
PROFILES = ("sum", "product", "barron")
# the Barron-type profile: RIDGES ridge functions tanh(w . x + b), seeded, the same for every run
RIDGES, RIDGE_SEED = 8, 2024


@dataclass(frozen=True)
class SemilinearND(VariationalEquation):
    r"""``-Delta u + u^3 = f`` on ``[0, 1]^d``, ``d`` from 2 to 20, ``u = u*`` on the boundary.

    The energy ``L = |grad u|^2 / 2 + u^4 / 4`` in ``d`` dimensions (the
    setting of the Barron-norm bounds: no grid reaches ``d = 10``; measure on
    random points with :meth:`exact`). Manufactured solutions (``profile``):

    - ``"sum"``: ``u* = mean_i sin(pi x_i)``;
    - ``"product"``: ``u* = prod_i exp(sin(pi x_i) / d) = exp(mean_i sin(pi x_i))``;
    - ``"barron"``: ``u* = mean_k tanh(w_k . x + b_k)``, 8 ridge functions with
      seeded ``w_k ~ N(0, I / d) * 3``, ``b_k ~ U(-1, 1)`` (a finite Barron norm).

    The residual is written directly as ``Delta u - u^3 + f`` (it reads only
    the ``d`` second derivatives ``u_ii``, not the ``d (d + 1) / 2`` of the
    generic Euler--Lagrange form, with which a test checks it agrees).
    The axes are the first ``d`` letters of :data:`equations.geometry.SPATIAL_AXES`.
    """

    d: int = 2
    profile: str = "sum"

    name = "semilinear_nd"
    title = "d-dimensional semilinear elliptic, -Delta u + u^3 = f on [0, 1]^d"
    has_exact = True
    field = Variable("u", "1", "solution")

    def __post_init__(self) -> None:
        if isinstance(self.d, bool) or not isinstance(self.d, int) or not 2 <= self.d <= len(SPATIAL_AXES):
            raise InvalidParameterError(
                f"semilinear_nd: d must be an integer from 2 to {len(SPATIAL_AXES)}, got {self.d!r}"
            )
        check_choice("profile", self.profile, PROFILES)

    @property
    def axes(self) -> tuple[str, ...]:
        """The coordinate names, in input order."""
        return tuple(SPATIAL_AXES[: self.d])

    @property
    def derivatives(self) -> tuple[str, ...]:  # type: ignore[override]  # d-dependent: not the base's ClassVar
        """``("xx", "yy", ...)``: the Laplacian's terms."""
        return tuple(a + a for a in self.axes)

    @property
    def domain(self) -> Domain:
        return Domain(Box(self.axes, (0.0,) * self.d, (1.0,) * self.d, (False,) * self.d))

    def lagrangian(self, coords: Coords, u: Any, grad: tuple[Any, ...]) -> Any:
        return 0.5 * sum(g * g for g in grad) + 0.25 * u**4

    def conditions(self) -> tuple:
        return (DirichletCondition(self.exact),)

    def _ridges(self) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(RIDGE_SEED)
        return 3.0 * rng.standard_normal((RIDGES, self.d)) / math.sqrt(self.d), rng.uniform(-1.0, 1.0, RIDGES)

    def exact_and_laplacian(self, coords: Coords) -> tuple[Array, Array]:
        """``u*`` and ``Delta u*`` in closed form."""
        xs = [coords[a] for a in self.axes]
        xp = namespace(*xs)
        if self.profile == "barron":
            w, b = self._ridges()
            value, lap = 0.0 * xs[0], 0.0 * xs[0]
            for k in range(RIDGES):
                t = xp.tanh(sum(float(w[k, i]) * x for i, x in enumerate(xs)) + float(b[k]))
                value = value + t / RIDGES
                lap = lap - 2.0 * t * (1.0 - t * t) * float(w[k] @ w[k]) / RIDGES  # tanh'' = -2 tanh (1 - tanh^2)
            return value, lap
        s = [xp.sin(math.pi * x) for x in xs]
        mean = sum(s) / self.d
        lap_mean = -(math.pi**2) * mean  # Delta of sin(pi x_i), averaged
        if self.profile == "sum":
            return mean, lap_mean
        value = xp.exp(mean)
        grad2 = sum((math.pi * xp.cos(math.pi * x) / self.d) ** 2 for x in xs)
        return value, value * (lap_mean + grad2)

    def exact(self, coords: Coords) -> Array:
        return self.exact_and_laplacian(coords)[0]

    def source(self, coords: Coords) -> Array:
        u, lap = self.exact_and_laplacian(coords)
        return -lap + u**3

    def residual(self, coords: Coords, u: Jet) -> Array:
        return sum(u[a + a] for a in self.axes) - u.value**3 + self.source(coords)
