r"""Multigrid levels of the variable-coefficient flux-form operator ``-div(a grad u)`` (Darcy).

The operator of a level is given by its face coefficients (already divided by
the squared spacing): 5-point in 2D (:class:`FluxLevel2D`, every interior
point an unknown, arrays of the grid's shape) and 7-point in 3D
(:class:`FluxLevel3D`, padded arrays with a ghost layer so that Neumann
boundary nodes are ordinary unknowns). Smoothing is red--black Gauss--Seidel
(over-relaxed by :data:`RB_OMEGA_3D` in 3D); the transfers are full weighting
and bi-/trilinear interpolation. How the levels' coefficients are formed (the
injected coefficient rediscretised) belongs to the discretisation, in
:mod:`solvers.darcy` and :mod:`solvers.darcy3d`; the cycle is
:func:`solvers.multigrid.core.cycle`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers.multigrid import darcy_kernels2d as dk2
from solvers.multigrid import darcy_kernels3d as dk3
from solvers.multigrid import kernels2d as k2
from solvers.multigrid import kernels3d as k3
from solvers.multigrid.core import GridLevel, Plan

# red-black sweeps are over-relaxed in 3D as for the constant-coefficient solver;
# measured on the contrast-10 coefficient at 33^3 (random f), V(2,2): 0.030 against 0.081 at w = 1
RB_OMEGA_3D = 1.2


def interior_mask(shape: tuple[int, ...]) -> np.ndarray:
    """uint8 ones with the outer frame (faces) cleared: every interior point an unknown."""
    mask = np.zeros(shape, dtype=np.uint8)
    mask[(np.s_[1:-1],) * len(shape)] = 1
    return mask


@dataclass
class FluxLevel2D(GridLevel):
    """A 2D level: face coefficients ``cx``, ``cy`` and work arrays (``mask`` the interior: all Dirichlet frame)."""

    cx: np.ndarray
    cy: np.ndarray

    def smooth(self, u: np.ndarray, f: np.ndarray, sweeps: int, plan: Plan, reverse: bool) -> None:
        first, second = (1, 0) if reverse else (0, 1)
        for _ in range(sweeps):
            dk2.rb_sweep(u, f, self.cx, self.cy, first)
            dk2.rb_sweep(u, f, self.cx, self.cy, second)

    def residual(self, u: np.ndarray, f: np.ndarray) -> float:
        return float(dk2.residual(u, f, self.cx, self.cy, self.r))

    def restrict(self, coarse: FluxLevel2D) -> None:
        k2.restrict_full_weighting(self.r, coarse.mask, coarse.f, 0)

    def prolong_add(self, coarse: FluxLevel2D, u: np.ndarray) -> None:
        k2.prolong(coarse.u, self.mask, u, True, 0)



@dataclass
class FluxLevel3D(GridLevel):
    """A 3D level on padded arrays (see :mod:`solvers.multigrid.darcy_kernels3d`): face coefficients."""

    cx: np.ndarray
    cy: np.ndarray
    cz: np.ndarray

    def smooth(self, u: np.ndarray, f: np.ndarray, sweeps: int, plan: Plan, reverse: bool) -> None:
        first, second = (1, 0) if reverse else (0, 1)
        for _ in range(sweeps):
            dk3.rb_sweep(u, f, self.mask, self.cx, self.cy, self.cz, first, RB_OMEGA_3D)
            dk3.rb_sweep(u, f, self.mask, self.cx, self.cy, self.cz, second, RB_OMEGA_3D)

    def residual(self, u: np.ndarray, f: np.ndarray) -> float:
        return float(dk3.residual(u, f, self.mask, self.cx, self.cy, self.cz, self.r))

    def restrict(self, coarse: FluxLevel3D) -> None:
        k3.restrict_full_weighting(self.r, coarse.mask, coarse.f, 1)  # padded arrays

    def prolong_add(self, coarse: FluxLevel3D, u: np.ndarray) -> None:
        k3.prolong_add(coarse.u, self.mask, u, 1)

