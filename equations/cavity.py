"""The lid-driven cavity: steady incompressible Navier--Stokes, a system of three fields."""

from __future__ import annotations

from dataclasses import dataclass

from equations.core import Array, Coords, DirichletCondition, Domain, Equation, Jets, Variable, check_positive
from equations.geometry import Box
from equations.namespace import namespace

# the lid's tangential speed, the velocity scale of the Reynolds number
LID_SPEED = 1.0


def lid_velocity(coords: Coords) -> Array:
    """``u`` on the walls: the lid speed on ``y = 1`` away from the corners, 0 elsewhere.

    The two top corners belong to the resting side walls (the velocity jumps
    there; Ghia, Ghia & Shin 1982 make the same choice).
    """
    x, y = coords["x"], coords["y"]
    xp = namespace(x, y)
    on_lid = (y >= 1.0 - 1e-12) & (x > 1e-12) & (x < 1.0 - 1e-12)
    return xp.where(on_lid, LID_SPEED + 0.0 * x, 0.0 * x)


@dataclass(frozen=True)
class LidDrivenCavity(Equation):
    r"""Steady incompressible Navier--Stokes in ``[0, 1]^2`` driven by the lid ``y = 1`` moving at speed 1.

    ``u u_x + v u_y + p_x - (u_xx + u_yy) / Re = 0``,
    ``u v_x + v v_y + p_y - (v_xx + v_yy) / Re = 0``, ``u_x + v_y = 0``, with
    no slip on the walls (``u = 1`` on the lid). The pressure is determined up
    to a constant (the reference fixes its mean to zero). The reference is the
    streamfunction--vorticity solver of :mod:`solvers.cavity`, checked against
    the centreline velocities of Ghia, Ghia & Shin (1982).

    Parameters
    ----------
    reynolds : float
        ``Re = U L / nu``, > 0 (the benchmark's 100 and 1000).
    """

    reynolds: float = 100.0

    name = "lid_driven_cavity"
    title = "Lid-driven cavity, steady incompressible Navier-Stokes"
    fields = (Variable("u", "1", "x velocity"), Variable("v", "1", "y velocity"),
              Variable("p", "1", "pressure", up_to_constant=True))
    derivatives = ("x", "y", "xx", "yy")
    default_resolution = (129, 129)

    def __post_init__(self) -> None:
        check_positive("lid_driven_cavity", reynolds=self.reynolds)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y"), (0.0, 0.0), (1.0, 1.0), (False, False)))

    def residual(self, coords: Coords, f: Jets) -> tuple[Array, Array, Array]:  # type: ignore[override]
        u, v, p = f["u"], f["v"], f["p"]
        nu = 1.0 / self.reynolds
        return (u.value * u["x"] + v.value * u["y"] + p["x"] - nu * (u["xx"] + u["yy"]),
                u.value * v["x"] + v.value * v["y"] + p["y"] - nu * (v["xx"] + v["yy"]),
                u["x"] + v["y"])

    def conditions(self) -> tuple:
        return (DirichletCondition(lid_velocity, field="u"), DirichletCondition(lambda c: 0.0 * c["x"], field="v"))
