"""The Lagrangian (characteristic) form of a 1D transport equation, for Lagrangian PINNs.

An equation ``u_t + c(x, t, u) u_x = D u_xx + s(u)`` read along the
characteristics ``dx/dt = c`` becomes the pair

    dx/dt = c(x, t, u),        du/dt = D u_xx + s(u),

where ``d/dt`` follows a particle labelled by its starting position ``x0``.
Equations that have this form return it from ``lagrangian()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from equations.core import Array, Coords


@dataclass(frozen=True)
class LagrangianForm:
    """Speed, diffusion and source of ``u_t + c(x, t, u) u_x = D u_xx + s(u)``.

    Attributes
    ----------
    speed : callable
        ``c(coords, u)`` with ``coords`` holding the particle position ``"x"`` and ``"t"``.
    diffusion : float
        ``D >= 0``.
    source : callable, optional
        ``s(u)``, pointwise (None: no source).
    linear : bool
        Whether the speed is independent of ``u`` (linear transport): the
        characteristics are then known before the state is.
    """

    speed: Callable[[Coords, Array], Array]
    diffusion: float = 0.0
    source: Callable[[Array], Array] | None = None
    linear: bool = False
