r"""The families of the shipped operator-learning datasets (DeepONet and FNO problems).

Each is a spec of this package plus the Gaussian random field of its input
(:mod:`equations.random_fields`):

========================  ======================================  =================================================
family                    spec (members)                          random input
========================  ======================================  =================================================
``antiderivative``        :class:`~equations.odes.Antiderivative` ``u`` ~ RBF GRF, cubic spline of fine samples
``pendulum``              :class:`~equations.odes.Pendulum`       forcing ~ RBF GRF at sensors, piecewise linear
``diffusion_reaction``    :class:`~equations.diffusion_reaction.  source ~ RBF GRF at sensors, piecewise linear
                          DiffusionReaction`
``burgers``               :class:`~equations.periodic_burgers.    ``u0 ~ N(0, sigma^2 (-Delta + tau^2)^-alpha)``
                          PeriodicBurgers`                        periodic, trigonometric interpolant
``darcy``                 :class:`~equations.darcy.Darcy`         ``a = a_plus`` where ``mu >= 0`` else ``a_minus``,
                                                                  ``mu ~ N(0, (-Delta + tau^2)^-alpha)`` (Neumann),
                                                                  nearest node
========================  ======================================  =================================================

The grid a family draws on is the dataset's business (``points``): the
sensors, or a grid finer than the stored one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from equations.core import Equation, Variable, check_finite, check_positive
from equations.darcy import Darcy
from equations.diffusion_reaction import DiffusionReaction
from equations.errors import check_integer
from equations.families import Family
from equations.odes import Antiderivative, Pendulum
from equations.periodic_burgers import PeriodicBurgers
from equations.random_fields import rbf_grf_1d, spectral_grf
from equations.sampled import as_table, as_values


class _SensorFamily(Family):
    """An input at ``points`` uniform sensors on ``[0, 1]`` (both ends), drawn from the RBF-kernel GRF."""

    input_dims = ("sensor",)
    length_scale: float
    variance: float

    def input_grid(self, points: int) -> dict[str, np.ndarray]:
        """``points`` uniform sensors on ``[0, 1]``, both ends included."""
        return {"sensor": np.linspace(0.0, 1.0, check_integer("points", points, 2))}

    def draw(self, rng: np.random.Generator, points: int) -> np.ndarray:
        """The zero-mean GRF with the RBF kernel at the sensors (:func:`equations.random_fields.rbf_grf_1d`)."""
        return rbf_grf_1d(self.input_grid(points)["sensor"], 1, self.length_scale, rng, self.variance)[0]


@dataclass(frozen=True)
class AntiderivativeFamily(_SensorFamily):
    r"""``ds/dx = u``, ``s(0) = 0`` with ``u`` a GRF (RBF kernel) sampled at fine uniform points.

    The member's input is the not-a-knot cubic spline through the samples
    (``Antiderivative(forcing=as_values(values), interpolation="cubic")``): drawn finely,
    it is the smooth random function itself to fourth order.

    Parameters
    ----------
    length_scale : float
        Kernel length scale, > 0.
    variance : float
        Pointwise variance, > 0.
    """

    length_scale: float = 0.2
    variance: float = 1.0

    name = "antiderivative"
    title = "Antiderivative ds/dx = u(x), s(0) = 0 on [0, 1], u ~ GRF (RBF kernel)"
    equation = Antiderivative
    input = Variable("u", "1", "input function u")

    def __post_init__(self) -> None:
        check_positive("antiderivative family", length_scale=self.length_scale, variance=self.variance)

    def member(self, values: np.ndarray) -> Equation:
        return Antiderivative(forcing=as_values(values), interpolation="cubic")


@dataclass(frozen=True)
class PendulumFamily(_SensorFamily):
    r"""``s'' = -k sin s + u(t)``, ``s(0) = s'(0) = 0`` with the forcing ``u`` a GRF at the sensors.

    The forcing is the piecewise-linear interpolant of its sensor values
    (``Pendulum(k=k, forcing=values)``).

    Parameters
    ----------
    length_scale : float
        Kernel length scale, > 0.
    variance : float
        Pointwise variance, > 0.
    k : float
        Gravity coefficient of the members, > 0.
    """

    length_scale: float = 0.2
    variance: float = 1.0
    k: float = 1.0

    name = "pendulum"
    title = "Forced gravity pendulum s1' = s2, s2' = -k sin s1 + u(t), s(0) = 0 on [0, 1], u ~ GRF"
    equation = Pendulum
    input = Variable("u", "1", "forcing u")

    def __post_init__(self) -> None:
        check_positive("pendulum family", length_scale=self.length_scale, variance=self.variance, k=self.k)

    def member(self, values: np.ndarray) -> Equation:
        return Pendulum(k=self.k, forcing=as_values(values))


@dataclass(frozen=True)
class DiffusionReactionFamily(_SensorFamily):
    r"""``s_t = D s_xx + k s^2 + u(x)`` from rest with the source ``u`` a GRF at the sensors.

    The source is the piecewise-linear interpolant of its sensor values
    (``DiffusionReaction(diffusion, reaction, forcing=values)``).

    Parameters
    ----------
    length_scale : float
        Kernel length scale, > 0.
    variance : float
        Pointwise variance, > 0.
    diffusion : float
        ``D`` of the members, > 0.
    reaction : float
        ``k`` of the members, finite.
    """

    length_scale: float = 0.2
    variance: float = 1.0
    diffusion: float = 0.01
    reaction: float = 0.01

    name = "diffusion_reaction"
    title = "Diffusion-reaction s_t = D s_xx + k s^2 + u(x), zero initial/boundary values on [0, 1]^2, u ~ GRF"
    equation = DiffusionReaction
    input = Variable("u", "1", "source u")

    def __post_init__(self) -> None:
        check_positive("diffusion_reaction family", length_scale=self.length_scale, variance=self.variance,
                       diffusion=self.diffusion)
        check_finite("diffusion_reaction family", reaction=self.reaction)

    def member(self, values: np.ndarray) -> Equation:
        return DiffusionReaction(diffusion=self.diffusion, reaction=self.reaction, forcing=as_values(values))


@dataclass(frozen=True)
class BurgersFamily(Family):
    r"""Periodic viscous Burgers on ``[0, 1)`` with ``u0 ~ N(0, sigma^2 (-Delta + tau^2 I)^-alpha)`` (FNO).

    ``u0`` is drawn at ``points`` periodic points (:func:`equations.random_fields.spectral_grf`,
    mean zero) and is their trigonometric interpolant
    (``PeriodicBurgers(nu, t_final, initial=values)``). The FNO data use
    ``625 (-Delta + 25 I)^-2``: ``sigma = 25``, ``tau = 5``, ``alpha = 2``.

    Parameters
    ----------
    nu : float
        Viscosity of the members, > 0.
    t_final : float
        End of the members' time window, > 0.
    alpha, tau, sigma : float
        Smoothness, inverse length scale and amplitude of the field, > 0.
    """

    nu: float = 0.1
    t_final: float = 1.0
    alpha: float = 2.0
    tau: float = 5.0
    sigma: float = 25.0

    name = "burgers"
    title = "1D periodic viscous Burgers on [0, 1): u0 ~ N(0, 625(-Delta+25I)^-2) -> u(., t_final)"
    equation = PeriodicBurgers
    input = Variable("u0", "1", "initial value u0")
    input_dims = ("x",)

    def __post_init__(self) -> None:
        check_positive("burgers family", nu=self.nu, t_final=self.t_final, alpha=self.alpha, tau=self.tau,
                       sigma=self.sigma)

    def draw(self, rng: np.random.Generator, points: int) -> np.ndarray:
        """The periodic field on ``x_j = j / points``."""
        return spectral_grf(points, 1, rng, alpha=self.alpha, tau=self.tau, sigma=self.sigma,
                            boundary="periodic")[0]

    def member(self, values: np.ndarray) -> Equation:
        return PeriodicBurgers(nu=self.nu, t_final=self.t_final, initial=as_values(values))


@dataclass(frozen=True)
class DarcyFamily(Family):
    r"""``-div(a grad u) = f``, ``u = 0`` on the unit square's boundary, ``a`` two-valued from a GRF (FNO).

    ``a = a_plus`` where ``mu >= 0`` and ``a_minus`` elsewhere, with
    ``mu ~ N(0, (-Delta + tau^2 I)^-alpha)`` (homogeneous Neumann, mean zero;
    its sign alone matters) drawn at the ``points x points`` nodes of the unit
    square, both ends included. The member is
    ``Darcy(permeability=a, f=f)``: ``a`` piecewise constant, nearest node.

    Parameters
    ----------
    alpha, tau : float
        Smoothness and inverse length scale of ``mu``, > 0.
    a_plus, a_minus : float
        The two permeability values, > 0.
    f : float
        Constant source of the members, finite.
    """

    alpha: float = 2.0
    tau: float = 3.0
    a_plus: float = 12.0
    a_minus: float = 3.0
    f: float = 1.0

    name = "darcy"
    title = "2D Darcy flow -div(a grad u) = f, u = 0 on the boundary of [0, 1]^2, a two-valued from a GRF"
    equation = Darcy
    input = Variable("a", "1", "permeability a")
    input_dims = ("x", "y")

    def __post_init__(self) -> None:
        check_positive("darcy family", alpha=self.alpha, tau=self.tau, a_plus=self.a_plus, a_minus=self.a_minus)
        check_finite("darcy family", f=self.f)

    def draw(self, rng: np.random.Generator, points: int) -> np.ndarray:
        """The two-valued field at the nodes."""
        mu = spectral_grf((points, points), 1, rng, alpha=self.alpha, tau=self.tau, boundary="neumann")[0]
        return np.where(mu >= 0.0, self.a_plus, self.a_minus)

    def member(self, values: np.ndarray) -> Equation:
        return Darcy(permeability=as_table(values), f=self.f)
