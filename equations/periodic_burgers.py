r"""Viscous Burgers on a periodic interval from a given initial value: the FNO Burgers problem."""

from __future__ import annotations

import math
from dataclasses import dataclass

from equations.burgers import Burgers
from equations.core import (
    Array,
    Coords,
    Domain,
    InitialCondition,
    PeriodicCondition,
    TimeInterval,
    check_positive,
)
from equations.geometry import Box
from equations.namespace import namespace
from equations.sampled import grid_values, interpolate_trigonometric


@dataclass(frozen=True)
class PeriodicBurgers(Burgers):
    r"""``u_t + u u_x = nu u_xx`` on the periodic ``x in [0, 1)``, ``t in [0, t_final]``.

    The residual of :class:`equations.Burgers` (written once there) on a
    periodic interval of length 1. The initial value is ``sin(2 pi x)`` by
    default; for operator learning (the Burgers dataset of the FNO paper) it is
    given by ``initial``, its values at ``x_j = j / N`` (``j = 0 .. N - 1``),
    and is their trigonometric (band-limited) interpolant
    (:func:`equations.sampled.interpolate_trigonometric`). The reference is
    Fourier pseudo-spectral ETDRK4 (``solvers.periodic_burgers``).

    Parameters
    ----------
    nu : float
        Viscosity, > 0.
    t_final : float
        End of the time window, > 0.
    initial : tuple of float, optional
        Values of the initial value at ``N >= 2`` uniform points of one period
        (the point ``x = 1`` excluded). A list or 1D array is stored as a tuple.
    """

    nu: float = 0.1
    t_final: float = 1.0
    initial: tuple[float, ...] | None = None

    name = "periodic_burgers"
    title = "1D viscous Burgers on the periodic [0, 1)"
    default_resolution = (256, 101)

    def __post_init__(self) -> None:
        check_positive("periodic_burgers", nu=self.nu, t_final=self.t_final)
        object.__setattr__(self, "initial", grid_values("periodic_burgers", "initial", self.initial))

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (1.0,), (True,)), TimeInterval(0.0, self.t_final, "1"))

    def initial_value(self, coords: Coords) -> Array:
        x = coords["x"]
        if self.initial is not None:
            return interpolate_trigonometric(self.initial, x)
        return namespace(x).sin(2 * math.pi * x)

    def conditions(self) -> tuple:
        return (InitialCondition(self.initial_value), PeriodicCondition("x"))

    def ansatz(self, coords: Coords) -> None:  # type: ignore[override]
        """None: no hard-constraint form is offered (the initial value is met as a soft constraint)."""
        return None
