r"""Families of autonomous ODE systems with random parameters: the data of PROSE.

Each family is a classical system ``u' = f(u; p)`` (``u`` in R^d, d <= 3)
whose right-hand side is built as a symbolic
:class:`~equations.symbolic.System` with the parameters' values as numbers,
so a trajectory and its equation come from one draw. A family states

* its parameters with their **training** ranges, and the **extrapolation**
  ranges beyond them: with ``extrapolate=True`` every parameter is drawn
  uniformly from ``(high, high + spread * (high - low)]``, i.e. up to
  ``spread`` training widths above the training range (``spread = 0.5`` by
  default; :meth:`OdeSystemFamily.distance` measures how far a draw is);
* the ranges of its initial conditions (the same in both modes);
* its time horizon :data:`HORIZON` = 6: the ranges were chosen so that
  trajectories stay O(1)-O(10) and non-stiff on ``[0, 6]``. Measured over
  1000 members per family in each mode (``spread = 0.5``): ``max |u|`` is
  32.6 (the Lorenz ``z``; 8.3 for Lotka-Volterra, below 6 for the others),
  and DOP853 at ``rtol = atol = 1e-9`` needs at most 2810 evaluations of
  ``f`` (Lorenz; at most 1106 for the others). PROSE observes ``[0, 2]``
  and predicts ``(2, 6]``.

=====================  ===  ==============================================  ======================================
family                 d    right-hand side                                 training ranges
=====================  ===  ==============================================  ======================================
``logistic``           1    ``r u - (r/K) u^2``                             r 0.5..1.5, K 1..3
``lotka_volterra``     2    ``a x - b x y``, ``d x y - c y``                a, b, c, d 0.5..1.5
``damped_oscillator``  2    ``v``, ``-w^2 x - 2 z w v``                     w 1..3, z 0.05..0.3
``van_der_pol``        2    ``v``, ``mu v - mu x^2 v - x``                  mu 0.5..2
``duffing``            2    ``v``, ``-delta v - alpha x - beta x^3``        alpha 0.5..1.5, beta 0.5..1.5,
                                                                            delta 0.1..0.5
``damped_pendulum``    2    ``w``, ``-k sin(theta) - b w``                  k 1..4, b 0.1..0.5
``fitzhugh_nagumo``    2    ``v - v^3/3 - w + I``, ``eps v + eps a - eps b  a 0.6..0.8, b 0.6..0.9,
                            w``                                             eps 0.1..0.3, I 0.3..0.7
``lorenz``             3    ``sigma (y - x)``, ``rho x - x z - y``,         sigma 5..10, rho 5..15, beta 1..3
                            ``x y - beta z``
=====================  ===  ==============================================  ======================================

A family registers itself by naming itself (``name = "..."``) in
:data:`ODE_SYSTEMS`, a :class:`~equations.registry.Registry` like every
other (entry-point group ``sciml_toolkit.ode_systems``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

from equations.errors import InvalidParameterError
from equations.random_fields import RngLike, as_generator
from equations.registry import Registry
from equations.symbolic import Add, Const, Expr, Mul, Neg, Sin, Sub, System, Var, quantize_system

#: the time horizon every family's ranges were checked on
HORIZON = 6.0
#: the most parameters a family has (datasets pad to it)
MAX_PARAMETERS = 4

u1, u2, u3 = Var(0), Var(1), Var(2)


def _sum(*items: tuple[float, Expr | None]) -> Expr:
    """The canonical form of every family's right-hand side: a sum of ``coefficient * monomial`` terms.

    A float coefficient ``c`` (a parameter's expression) multiplies its
    monomial as ``mul c m``, the sign in the number, joined by ``add``; a
    monomial ``None`` is the constant term ``c``. The *integer* coefficients
    ``1`` and ``-1`` are the form's own unit coefficients: the bare monomial,
    joined by ``add`` or ``sub`` (``neg`` when first). So the tree has one
    shape whatever the parameter values (a parameter equal to 1.0 stays a number).
    """
    out: Expr | None = None
    for c, monomial in items:
        unit = isinstance(c, int) and c in (1, -1)
        negative = unit and c == -1
        if monomial is None:
            term: Expr = Const(c)
        elif unit:
            term = monomial
        else:
            term = Mul(Const(c), monomial)
        if out is None:
            out = Neg(term) if negative else term
        else:
            out = Sub(out, term) if negative else Add(out, term)
    assert out is not None
    return out


@dataclass(frozen=True)
class Parameter:
    """One parameter of a family: its name, training range ``[low, high]`` (``0 < low < high``) and meaning."""

    name: str
    low: float
    high: float
    long_name: str


@dataclass(frozen=True)
class OdeSample:
    """One member of a family.

    Attributes
    ----------
    family : str
        The family's name.
    parameters : numpy.ndarray
        The drawn parameter values, in the family's order (as drawn, unrounded).
    initial : numpy.ndarray
        The initial state ``u(0)``, shape ``(d,)``.
    system : System
        The right-hand side with its constants rounded to 3 significant digits
        (:func:`~equations.symbolic.quantize_system`): exactly what its tokens
        say, and the system the data are integrated from.
    """

    family: str
    parameters: np.ndarray
    initial: np.ndarray
    system: System


def _check_parameters(name: str, cls: type[OdeSystemFamily], params: dict[str, Any]) -> None:
    valid = {f.name for f in fields(cls)}
    bad = sorted(set(params) - valid)
    if bad:
        raise InvalidParameterError(f"ODE system family {name}: unknown parameter(s) {', '.join(bad)}; valid: "
                                    f"{', '.join(sorted(valid))}")


#: every ODE system family by name; a module of ``equations`` registers its families by defining them
ODE_SYSTEMS: Registry[type[OdeSystemFamily]] = Registry("ode_system", packages=("equations",),
                                                        check=_check_parameters, plural="ode_systems")


@dataclass(frozen=True)
class OdeSystemFamily:
    """Base class of the ODE system families (a frozen dataclass of how parameters are drawn).

    Subclasses give ``name``, ``title``, ``dim``, ``parameters`` (a tuple of
    :class:`Parameter`), ``initial`` (one ``(low, high)`` per component) and
    implement :meth:`build`.

    Parameters
    ----------
    extrapolate : bool
        Draw the parameters beyond the training ranges (see the module docstring).
    spread : float
        How far beyond, in training widths, > 0.
    """

    extrapolate: bool = False
    spread: float = 0.5

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    dim: ClassVar[int] = 1
    parameters: ClassVar[tuple[Parameter, ...]] = ()
    initial: ClassVar[tuple[tuple[float, float], ...]] = ()
    horizon: ClassVar[float] = HORIZON

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):  # only a class that names itself
            ODE_SYSTEMS.register(cls.name, cls)

    def __post_init__(self) -> None:
        owner = f"ODE system family {self.name or type(self).__name__}"
        if not isinstance(self.extrapolate, (bool, np.bool_)):
            raise InvalidParameterError(f"{owner}: extrapolate must be true or false, got {self.extrapolate!r}")
        ok = isinstance(self.spread, (int, float, np.integer, np.floating)) and not isinstance(self.spread, bool)
        if not ok or not np.isfinite(self.spread) or self.spread <= 0:
            raise InvalidParameterError(f"{owner}: spread must be a positive finite number, got {self.spread!r}")

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """The parameters' names, in order."""
        return tuple(p.name for p in self.parameters)

    def bounds(self) -> np.ndarray:
        """``(low, high)`` of each parameter in the current mode, shape ``(n_parameters, 2)``.

        Training: the parameters' ranges. Extrapolation: ``(high, high + spread * (high - low))``.
        """
        low = np.array([p.low for p in self.parameters], dtype=np.float64)
        high = np.array([p.high for p in self.parameters], dtype=np.float64)
        if self.extrapolate:
            low, high = high, high + self.spread * (high - low)
        return np.stack([low, high], axis=-1)

    def distance(self, values: Sequence[float] | np.ndarray) -> float:
        """How far ``values`` lie outside the training ranges, in training widths (0 inside them).

        The largest over the parameters of ``max(0, (v - high) / (high - low), (low - v) / (high - low))``.
        """
        v = self.check_values(values)
        low = np.array([p.low for p in self.parameters])
        high = np.array([p.high for p in self.parameters])
        width = high - low
        return float(np.max(np.maximum(0.0, np.maximum((v - high) / width, (low - v) / width))))

    def check_values(self, values: Sequence[float] | np.ndarray) -> np.ndarray:
        """``values`` as a float64 vector; :class:`InvalidParameterError` unless one positive finite value each."""
        owner = f"ODE system family {self.name or type(self).__name__}"
        try:
            v = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidParameterError(f"{owner}: parameters must be numbers, got {values!r}") from None
        if v.shape != (len(self.parameters),):
            raise InvalidParameterError(f"{owner}: expected {len(self.parameters)} parameters "
                                        f"({', '.join(self.parameter_names)}), got shape {v.shape}")
        for p, value in zip(self.parameters, v):
            if not np.isfinite(value) or value <= 0:
                raise InvalidParameterError(f"{owner}: {p.name} ({p.long_name}) must be a positive finite number, "
                                            f"got {value!r}")
        return v

    def build(self, p: dict[str, float]) -> tuple[Expr, ...]:
        """The components of ``f`` for the parameter values ``p`` (by name)."""
        raise NotImplementedError

    def system(self, values: Sequence[float] | np.ndarray) -> System:
        """The right-hand side for parameter values ``values`` (in order), constants unrounded."""
        v = self.check_values(values)
        return System(self.build(dict(zip(self.parameter_names, v.tolist()))))

    def draw_parameters(self, rng: RngLike) -> np.ndarray:
        """Parameters drawn uniformly from :meth:`bounds`, shape ``(n_parameters,)``."""
        b = self.bounds()
        return as_generator(rng).uniform(b[:, 0], b[:, 1])

    def draw_initial(self, rng: RngLike) -> np.ndarray:
        """An initial state drawn uniformly from the ranges ``initial``, shape ``(dim,)``."""
        b = np.array(self.initial, dtype=np.float64)
        return as_generator(rng).uniform(b[:, 0], b[:, 1])

    def sample(self, rng: RngLike) -> OdeSample:
        """One member: parameters, then the initial state, from ``rng`` (an integer is a seed)."""
        rng = as_generator(rng)
        values = self.draw_parameters(rng)
        initial = self.draw_initial(rng)
        return OdeSample(self.name, values, initial, quantize_system(self.system(values)))


@dataclass(frozen=True)
class Logistic(OdeSystemFamily):
    """Logistic growth ``u' = r u (1 - u / K)``, written ``r u - (r / K) u^2``."""

    name = "logistic"
    title = "Logistic growth u' = r u - (r/K) u^2"
    dim = 1
    parameters = (Parameter("r", 0.5, 1.5, "growth rate"), Parameter("K", 1.0, 3.0, "carrying capacity"))
    initial = ((0.1, 1.0),)

    def build(self, p: dict[str, float]) -> tuple[Expr, ...]:
        return (_sum((p["r"], u1), (-p["r"] / p["K"], u1**2)),)


@dataclass(frozen=True)
class LotkaVolterra(OdeSystemFamily):
    """Predator-prey ``x' = a x - b x y``, ``y' = d x y - c y``."""

    name = "lotka_volterra"
    title = "Lotka-Volterra x' = a x - b x y, y' = d x y - c y"
    dim = 2
    parameters = (Parameter("a", 0.5, 1.5, "prey growth rate"), Parameter("b", 0.5, 1.5, "predation rate"),
                  Parameter("c", 0.5, 1.5, "predator death rate"), Parameter("d", 0.5, 1.5, "predator growth rate"))
    initial = ((0.5, 1.5), (0.5, 1.5))

    def build(self, p: dict[str, float]) -> tuple[Expr, ...]:
        return (_sum((p["a"], u1), (-p["b"], u1 * u2)), _sum((p["d"], u1 * u2), (-p["c"], u2)))


@dataclass(frozen=True)
class DampedOscillator(OdeSystemFamily):
    """Damped harmonic oscillator ``x' = v``, ``v' = -w^2 x - 2 z w v``."""

    name = "damped_oscillator"
    title = "Damped harmonic oscillator x' = v, v' = -w^2 x - 2 z w v"
    dim = 2
    parameters = (Parameter("w", 1.0, 3.0, "natural angular frequency"), Parameter("z", 0.05, 0.3, "damping ratio"))
    initial = ((-1.0, 1.0), (-1.0, 1.0))

    def build(self, p: dict[str, float]) -> tuple[Expr, ...]:
        w, z = p["w"], p["z"]
        return (u2, _sum((-w * w, u1), (-2 * z * w, u2)))


@dataclass(frozen=True)
class VanDerPol(OdeSystemFamily):
    """Van der Pol oscillator ``x' = v``, ``v' = mu (1 - x^2) v - x``, written ``mu v - mu x^2 v - x``."""

    name = "van_der_pol"
    title = "Van der Pol oscillator x' = v, v' = mu v - mu x^2 v - x"
    dim = 2
    parameters = (Parameter("mu", 0.5, 2.0, "nonlinear damping"),)
    initial = ((-2.0, 2.0), (-2.0, 2.0))

    def build(self, p: dict[str, float]) -> tuple[Expr, ...]:
        mu = p["mu"]
        return (u2, _sum((mu, u2), (-mu, u1**2 * u2), (-1, u1)))


@dataclass(frozen=True)
class Duffing(OdeSystemFamily):
    """Unforced damped Duffing oscillator ``x' = v``, ``v' = -delta v - alpha x - beta x^3``."""

    name = "duffing"
    title = "Duffing oscillator x' = v, v' = -delta v - alpha x - beta x^3"
    dim = 2
    parameters = (Parameter("alpha", 0.5, 1.5, "linear stiffness"), Parameter("beta", 0.5, 1.5, "cubic stiffness"),
                  Parameter("delta", 0.1, 0.5, "damping"))
    initial = ((-1.5, 1.5), (-1.0, 1.0))

    def build(self, p: dict[str, float]) -> tuple[Expr, ...]:
        return (u2, _sum((-p["alpha"], u1), (-p["beta"], u1**3), (-p["delta"], u2)))


@dataclass(frozen=True)
class DampedPendulum(OdeSystemFamily):
    """Damped pendulum ``theta' = w``, ``w' = -k sin(theta) - b w``."""

    name = "damped_pendulum"
    title = "Damped pendulum theta' = w, w' = -k sin(theta) - b w"
    dim = 2
    parameters = (Parameter("k", 1.0, 4.0, "gravity over length g/l"), Parameter("b", 0.1, 0.5, "damping"))
    initial = ((-2.0, 2.0), (-1.0, 1.0))

    def build(self, p: dict[str, float]) -> tuple[Expr, ...]:
        return (u2, _sum((-p["k"], Sin(u1)), (-p["b"], u2)))


@dataclass(frozen=True)
class FitzHughNagumo(OdeSystemFamily):
    """FitzHugh-Nagumo neuron ``v' = v - v^3/3 - w + I``, ``w' = eps (v + a - b w)`` (expanded)."""

    name = "fitzhugh_nagumo"
    title = "FitzHugh-Nagumo v' = v - v^3/3 - w + I, w' = eps v + eps a - eps b w"
    dim = 2
    parameters = (Parameter("a", 0.6, 0.8, "recovery offset"), Parameter("b", 0.6, 0.9, "recovery damping"),
                  Parameter("eps", 0.1, 0.3, "time-scale ratio"), Parameter("I", 0.3, 0.7, "input current"))
    initial = ((-2.0, 2.0), (-1.0, 1.5))

    def build(self, p: dict[str, float]) -> tuple[Expr, ...]:
        eps = p["eps"]
        return (_sum((1, u1), (-1.0 / 3.0, u1**3), (-1, u2), (p["I"], None)),
                _sum((eps, u1), (eps * p["a"], None), (-eps * p["b"], u2)))


@dataclass(frozen=True)
class Lorenz(OdeSystemFamily):
    """Lorenz system ``x' = sigma (y - x)``, ``y' = x (rho - z) - y``, ``z' = x y - beta z`` (expanded).

    With ``rho < 24.7`` the orbits settle on one of the two fixed points
    ``(±sqrt(beta (rho - 1)), ±sqrt(beta (rho - 1)), rho - 1)`` after a
    transient, so the state stays O(10) and a prediction on ``(2, 6]`` is
    well posed (no chaotic attractor).
    """

    name = "lorenz"
    title = "Lorenz x' = sigma y - sigma x, y' = rho x - x z - y, z' = x y - beta z"
    dim = 3
    parameters = (Parameter("sigma", 5.0, 10.0, "Prandtl number"), Parameter("rho", 5.0, 15.0, "Rayleigh number"),
                  Parameter("beta", 1.0, 3.0, "geometric factor"))
    initial = ((-5.0, 5.0), (-5.0, 5.0), (0.0, 10.0))

    def build(self, p: dict[str, float]) -> tuple[Expr, ...]:
        s, r, b = p["sigma"], p["rho"], p["beta"]
        return (_sum((s, u2), (-s, u1)), _sum((r, u1), (-1, u1 * u3), (-1, u2)), _sum((1, u1 * u2), (-b, u3)))


def create(name: str, **params: Any) -> OdeSystemFamily:
    """A registered family by name, e.g. ``create("lorenz", extrapolate=True)`` (``ODE_SYSTEMS.create``)."""
    return ODE_SYSTEMS.create(name, **params)  # type: ignore[no-any-return]


__all__ = ["HORIZON", "MAX_PARAMETERS", "ODE_SYSTEMS", "DampedOscillator", "DampedPendulum", "Duffing",
           "FitzHughNagumo", "Logistic", "Lorenz", "LotkaVolterra", "OdeSample", "OdeSystemFamily", "Parameter",
           "VanDerPol", "create"]
