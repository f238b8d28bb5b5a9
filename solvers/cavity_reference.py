"""Published centreline velocities of the lid-driven cavity: Ghia, Ghia & Shin (1982), Tables I and II.

U. Ghia, K. N. Ghia and C. T. Shin, "High-Re solutions for incompressible flow
using the Navier--Stokes equations and a multigrid method", J. Comput. Phys.
48 (1982) 387--411, doi:10.1016/0021-9991(82)90058-4. Table I: ``u`` along the
vertical centreline ``x = 0.5``; Table II: ``v`` along the horizontal
centreline ``y = 0.5``; both for the unit cavity with the lid ``y = 1`` moving
at speed 1 along +x, computed on their 129^2 grid at ``Re = 100`` and
``Re = 1000`` (the tables also hold ``Re = 400 .. 10000``, not copied here).

The values are data, transcribed from the tables and cross-checked digit for
digit between independent public reproductions: ``Ghia-1982.txt`` of the
Python_CFD course repositories (Table I, all Reynolds numbers), and three
separate code bases that carry both tables for ``Re = 100`` and ``1000`` (a
C++ benchmark test, a Python plotting script with all seven Reynolds numbers,
and a Python script that lists the points as 1-based indices on the 129-node
grid). Note the Table II entry ``v(x = 0.0625) = 0.27485`` at ``Re = 1000``
(``0.28124`` is the ``Re = 400`` value at ``x = 0.1563``).

The tabulated coordinates are the nodes of Ghia et al.'s 129^2 grid rounded to
four digits: ``y = k / 128`` (``0.9766`` is ``125 / 128 = 0.9765625``).
:func:`ghia_deviation` compares at the nodes (``coordinates="nodes"``, the
default: where the values were computed) or at the printed coordinates.

Ghia et al.'s ``Re = 1000`` values are themselves about 2% of the lid speed
off the converged solution near the right wall (``v(0.9453, 0.5)``: Ghia
``-0.39188``, the spectral benchmark ``-0.4103754``). That benchmark is also
here: O. Botella and R. Peyret, "Benchmark spectral results on the lid-driven
cavity flow", Computers & Fluids 27 (1998) 421--433,
doi:10.1016/S0045-7930(98)00002-4, Tables 9 and 10 (``Re = 1000``, Chebyshev
collocation with the corner singularities subtracted): ``u``, ``v`` and the
pressure (relative to the centre) at Ghia's printed coordinates, in the frame
of Ghia's tables (lid moving along +x). Cross-checked between the
``driven_cavity`` test of the Fluidity code (which states the frame change
from the paper's), two independent MATLAB validation scripts (the paper's
mirrored frame) and a C++ benchmark that carries both Ghia and Botella data;
all agree digit for digit but for one trailing digit in one further copy
(``-0.3885690`` against ``-0.3885691``) and one pressure (``0.034522`` against
``0.034552`` in three copies), where the majority is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from equations.errors import InvalidParameterError, check_choice

if TYPE_CHECKING:
    from solvers.cavity import CavityFlow

#: The Reynolds numbers tabulated here.
REYNOLDS = (100, 1000)

#: Table I: ``y`` as printed (top to bottom), and the node index ``k`` (``y = k / 128``) on Ghia's grid.
TABLE_I_Y = (1.0000, 0.9766, 0.9688, 0.9609, 0.9531, 0.8516, 0.7344, 0.6172, 0.5000, 0.4531, 0.2813, 0.1719,
             0.1016, 0.0703, 0.0625, 0.0547, 0.0000)
TABLE_I_NODE = (128, 125, 124, 123, 122, 109, 94, 79, 64, 58, 36, 22, 13, 9, 8, 7, 0)
#: Table I: ``u(0.5, y)``.
TABLE_I_U = {
    100: (1.00000, 0.84123, 0.78871, 0.73722, 0.68717, 0.23151, 0.00332, -0.13641, -0.20581, -0.21090, -0.15662,
          -0.10150, -0.06434, -0.04775, -0.04192, -0.03717, 0.00000),
    1000: (1.00000, 0.65928, 0.57492, 0.51117, 0.46604, 0.33304, 0.18719, 0.05702, -0.06080, -0.10648, -0.27805,
           -0.38289, -0.29730, -0.22220, -0.20196, -0.18109, 0.00000),
}

#: Table II: ``x`` as printed (right to left), and the node index ``k`` (``x = k / 128``).
TABLE_II_X = (1.0000, 0.9688, 0.9609, 0.9531, 0.9453, 0.9063, 0.8594, 0.8047, 0.5000, 0.2344, 0.2266, 0.1563,
              0.0938, 0.0781, 0.0703, 0.0625, 0.0000)
TABLE_II_NODE = (128, 124, 123, 122, 121, 116, 110, 103, 64, 30, 29, 20, 12, 10, 9, 8, 0)
#: Table II: ``v(x, 0.5)``.
TABLE_II_V = {
    100: (0.00000, -0.05906, -0.07391, -0.08864, -0.10313, -0.16914, -0.22445, -0.24533, 0.05454, 0.17527, 0.17507,
          0.16077, 0.12317, 0.10890, 0.10091, 0.09233, 0.00000),
    1000: (0.00000, -0.21388, -0.27669, -0.33714, -0.39188, -0.51550, -0.42665, -0.31966, 0.02526, 0.32235, 0.33075,
           0.37095, 0.32627, 0.30353, 0.29012, 0.27485, 0.00000),
}

#: Botella & Peyret (1998), ``Re = 1000``: Table 9 at :data:`TABLE_I_Y` (u, and p - p(0.5, 0.5)) ...
BOTELLA_U = (1.0000000, 0.6644227, 0.5808359, 0.5169277, 0.4723329, 0.3372212, 0.1886747, 0.0570178, -0.0620561,
             -0.1081999, -0.2803696, -0.3885691, -0.3004561, -0.2228955, -0.2023300, -0.1812881, 0.0000000)
BOTELLA_P_Y = (0.052987, 0.052009, 0.051514, 0.050949, 0.050329, 0.034910, 0.012122, -0.000827, 0.000000, 0.004434,
               0.040377, 0.081925, 0.104187, 0.108566, 0.109200, 0.109689, 0.110591)
#: ... and Table 10 at :data:`TABLE_II_X` (v, and p - p(0.5, 0.5)).
BOTELLA_V = (0.0000000, -0.2279225, -0.2936869, -0.3553213, -0.4103754, -0.5264392, -0.4264545, -0.3202137,
             0.0257995, 0.3253592, 0.3339924, 0.3769189, 0.3330442, 0.3099097, 0.2962703, 0.2807056, 0.0000000)
BOTELLA_P_X = (0.077455, 0.078837, 0.078685, 0.078148, 0.077154, 0.065816, 0.049029, 0.034552, 0.000000, 0.044848,
               0.047260, 0.069511, 0.084386, 0.086716, 0.087653, 0.088445, 0.090477)

CITATION = ("U. Ghia, K. N. Ghia, C. T. Shin, High-Re solutions for incompressible flow using the Navier-Stokes "
            "equations and a multigrid method, J. Comput. Phys. 48 (1982) 387-411, Tables I and II")
BOTELLA_CITATION = ("O. Botella, R. Peyret, Benchmark spectral results on the lid-driven cavity flow, Computers & "
                    "Fluids 27 (1998) 421-433, Tables 9 and 10 (Re = 1000)")
COORDINATES = ("nodes", "printed")


@dataclass(frozen=True)
class GhiaProfiles:
    """The centreline data at one Reynolds number (17 points each, as tabulated).

    Attributes
    ----------
    y, u : numpy.ndarray
        ``u(0.5, y)`` (Table I).
    x, v : numpy.ndarray
        ``v(x, 0.5)`` (Table II).
    p_y, p_x : numpy.ndarray or None
        ``p(0.5, y) - p(0.5, 0.5)`` and ``p(x, 0.5) - p(0.5, 0.5)`` where tabulated (Botella & Peyret).
    """

    reynolds: int
    y: np.ndarray
    u: np.ndarray
    x: np.ndarray
    v: np.ndarray
    p_y: np.ndarray | None = None
    p_x: np.ndarray | None = None


def ghia_profiles(reynolds: float, coordinates: str = "nodes") -> GhiaProfiles:
    """Ghia et al.'s centreline velocities at ``reynolds`` (100 or 1000).

    ``coordinates="nodes"`` gives the points as ``k / 128`` (their grid nodes),
    ``"printed"`` as the four-digit values of the tables.
    """
    coordinates = check_choice("coordinates", coordinates, COORDINATES)
    if reynolds not in REYNOLDS:
        raise InvalidParameterError(f"reynolds must be one of {REYNOLDS} (the tabulated values), got {reynolds!r}")
    key = int(reynolds)
    if coordinates == "nodes":
        y, x = np.array(TABLE_I_NODE) / 128.0, np.array(TABLE_II_NODE) / 128.0
    else:
        y, x = np.array(TABLE_I_Y), np.array(TABLE_II_X)
    return GhiaProfiles(key, y, np.array(TABLE_I_U[key]), x, np.array(TABLE_II_V[key]))


def botella_profiles() -> GhiaProfiles:
    """Botella & Peyret's ``Re = 1000`` centreline values (``u``, ``v``, pressure) at Ghia's printed coordinates."""
    return GhiaProfiles(1000, np.array(TABLE_I_Y), np.array(BOTELLA_U), np.array(TABLE_II_X), np.array(BOTELLA_V),
                        np.array(BOTELLA_P_Y), np.array(BOTELLA_P_X))


def deviation(flow: CavityFlow, reference: GhiaProfiles) -> dict[str, float]:
    """Largest deviations of ``flow`` from ``reference`` at its points, in units of the lid speed.

    ``flow`` is sampled by bicubic interpolation (exact at grid nodes). Returns
    ``{"max_u": max |u - u_ref|, "max_v": max |v - v_ref|, "max": the larger,
    "y_max_u": where max_u occurs, "x_max_v": where max_v occurs}`` and, when
    the reference has the pressure, ``"max_p"``: the largest deviation of
    ``p - p(0.5, 0.5)`` over both lines.
    """
    if flow.reynolds != reference.reynolds:
        raise InvalidParameterError(
            f"the flow is at Re = {flow.reynolds:g}, the reference at Re = {reference.reynolds}"
        )
    du = np.abs(flow.sample("u", 0.5, reference.y) - reference.u)
    dv = np.abs(flow.sample("v", reference.x, 0.5) - reference.v)
    out = {"max_u": float(du.max()), "max_v": float(dv.max()), "max": float(max(du.max(), dv.max())),
           "y_max_u": float(reference.y[int(np.argmax(du))]), "x_max_v": float(reference.x[int(np.argmax(dv))])}
    if reference.p_y is not None and reference.p_x is not None:
        centre = float(flow.sample("p", 0.5, 0.5))
        dp_y = np.abs(flow.sample("p", 0.5, reference.y) - centre - reference.p_y)
        dp_x = np.abs(flow.sample("p", reference.x, 0.5) - centre - reference.p_x)
        out["max_p"] = float(max(dp_y.max(), dp_x.max()))
    return out


def ghia_deviation(flow: CavityFlow, coordinates: str = "nodes") -> dict[str, float]:
    """:func:`deviation` of ``flow`` from Ghia et al. at its Reynolds number (100 or 1000)."""
    return deviation(flow, ghia_profiles(flow.reynolds, coordinates))


def botella_deviation(flow: CavityFlow) -> dict[str, float]:
    """:func:`deviation` of ``flow`` (``Re = 1000``) from Botella & Peyret, pressure included."""
    return deviation(flow, botella_profiles())
