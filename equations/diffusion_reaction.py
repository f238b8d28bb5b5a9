r"""The DeepONet diffusion--reaction problem: a source drives ``s_t = D s_xx + k s^2 + u`` from rest.

Not to be confused with :class:`equations.ReactionDiffusion` (periodic,
logistic reaction, a Gaussian initial value): here the interval has zero
Dirichlet values at both ends, the initial value is zero, and the solution is
driven by a source ``u`` (Lu et al., 2021). The classical reference is
Crank--Nicolson with Newton's method (``solvers.diffusion_reaction``).
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
    check_finite,
    check_positive,
)
from equations.geometry import Box
from equations.odes import interpolate_sensors
from equations.sampled import grid_values


@dataclass(frozen=True)
class DiffusionReaction(Equation):
    r"""``s_t = D s_xx + k s^2 + u``, ``s = 0`` at ``t = 0`` and at ``x = 0, 1``, on ``[0, 1] x [0, 1]``.

    The source ``u(x)`` of operator learning is the piecewise-linear
    interpolant of ``forcing``, its values at uniform sensors on ``[0, 1]``
    (both ends included). By default (no ``forcing``) the source is
    manufactured so that ``s = t x (1 - x)`` is exact:
    ``u(x, t) = x (1 - x) + 2 D t - k t^2 x^2 (1 - x)^2``.

    Parameters
    ----------
    diffusion : float
        ``D``, finite and > 0.
    reaction : float
        ``k``, finite (a large ``k u`` makes the solution blow up in finite time).
    forcing : tuple of float, optional
        Sensor values of the source (at least 2, finite). A list or 1D array is stored as a tuple.
    """

    diffusion: float = 0.01
    reaction: float = 0.01
    forcing: tuple[float, ...] | None = None

    name = "diffusion_reaction"
    title = "Diffusion-reaction s_t = D s_xx + k s^2 + u(x), zero initial and boundary values on [0, 1]^2"
    field = Variable("s", "1", "solution s")
    derivatives = ("t", "xx")
    default_resolution = (101, 101)

    def __post_init__(self) -> None:
        check_positive("diffusion_reaction", diffusion=self.diffusion)
        check_finite("diffusion_reaction", reaction=self.reaction)
        object.__setattr__(self, "forcing", grid_values("diffusion_reaction", "forcing", self.forcing))

    @property
    def has_exact(self) -> bool:  # type: ignore[override]
        """A closed form exists for the default (manufactured) source only."""
        return self.forcing is None

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (1.0,), (False,)), TimeInterval(0.0, 1.0, "1"))

    def source(self, coords: Coords) -> Array:
        """The source ``u`` at the points of ``coords`` (``x``, and ``t`` for the default source)."""
        x = coords["x"]
        if self.forcing is not None:
            return interpolate_sensors(self.forcing, x)
        t = coords["t"]
        bump = x * (1.0 - x)
        return bump + 2.0 * self.diffusion * t - self.reaction * (t * bump) ** 2

    def residual(self, coords: Coords, u: Jet) -> Array:
        return u["t"] - self.diffusion * u["xx"] - self.reaction * u.value**2 - self.source(coords)

    def exact(self, coords: Coords) -> Array:
        if self.forcing is not None:
            raise NotImplementedError("diffusion_reaction: no closed form for a source given by sensor values")
        x = coords["x"]
        return coords["t"] * x * (1.0 - x)

    def conditions(self) -> tuple:
        return (InitialCondition(lambda c: 0.0 * c["x"]), DirichletCondition(lambda c: 0.0 * c["x"]))

    def ansatz(self, coords: Coords) -> tuple[Array, Array]:
        """``s = t x (1 - x) N``: meets the zero initial and boundary values exactly."""
        x, t = coords["x"], coords["t"]
        return 0.0 * x, t * x * (1.0 - x)
