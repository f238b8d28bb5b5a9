"""Evolution problems by the method of lines: the residual solved for ``u_t`` (or ``u_tt``), then SciPy's BDF.

The residual must be affine in its highest time derivative,
``R = s(x, u, ...) u_t + r(x, u, ...)`` with ``s != 0`` (checked at the start),
so ``u_t = -r / s``; second order in time becomes the first-order system
``(u, v = u_t)``. The stiff integrator (BDF, orders 1-5, adaptive steps)
gets the assembled sparse Jacobian of that right-hand side, so diffusion
terms do not force tiny steps. A budget of right-hand-side evaluations
turns a step size that collapses into a :class:`~equations.errors.ConvergenceError`
instead of a hang.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.integrate import solve_ivp

from equations.errors import ConditionsWarning, ConvergenceError, SpecMismatchError
from solvers.generic.discretisation import Discretisation
from solvers.generic.residual import VALUE, GridResidual


class _Budget(Exception):
    """Internal: the evaluation budget ran out at time ``t``."""


class _Blowup(Exception):
    """Internal: the solution stopped being finite at time ``t``."""


class TimeDerivative:
    """``u_t`` (first order) or ``u_tt`` (second order) from the spec's residual at the unknown nodes."""

    def __init__(self, residual: GridResidual, key: str, span: float = 1.0):
        self.residual, self.key = residual, key
        self.disc = residual.disc
        self.span = span  # the length of the time interval (where the slope is probed)
        self.slope: np.ndarray | None = None  # dR/d(key) when it is the same at every state and time

    def parts(self, t: float, U: np.ndarray, V: np.ndarray | None
              ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """The jet entries with ``key = 0``, the residual there, and the slope ``s = dR/d(key)``."""
        d = self.disc.data(t)
        zero = np.zeros_like(U)
        extra = {self.key: zero} if V is None else {"t": V, "tt": zero}
        if self.slope is not None:  # a constant slope (u_t + ... = 0): one residual call per rate
            s = self.slope
            e = self.residual.entries(U, d, extra, t, orientation=np.sign(s))
        else:
            e = self.residual.entries(U, d, extra, t, upwind=False)
            s = self.residual({**e, self.key: zero + 1.0}, t) - self.residual(e, t)
            if self.residual.upwind:  # the flow direction is relative to the sign of the time derivative's slope
                e = self.residual.entries(U, d, extra, t, orientation=np.sign(s))
        r0 = self.residual(e, t)
        if not (np.isfinite(r0).all() and np.isfinite(s).all()) or np.any(s == 0):
            raise _Blowup(t)
        return e, r0, s

    def check(self, t: float, U: np.ndarray, V: np.ndarray | None) -> None:
        """Refuse a residual that is not affine in the highest time derivative, or has a vanishing slope."""
        e, r0, s = self.parts(t, U, V)
        r2 = self.residual({**e, self.key: np.full_like(U, 2.0)}, t)
        curvature = float(np.max(np.abs(r2 - 2.0 * (r0 + s) + r0), initial=0.0))
        name = self.residual.name
        if curvature > 1e-8 * (float(np.max(np.abs(s), initial=0.0)) + float(np.max(np.abs(r0), initial=0.0))):
            raise SpecMismatchError(
                f"the residual of {name} is not linear in u_{self.key}; the generic reference's method of lines "
                f"needs R = s u_{self.key} + r(u, derivatives in space)"
            )
        if np.min(np.abs(s)) <= 1e-12 * max(float(np.max(np.abs(s))), 1e-300):
            raise SpecMismatchError(f"the residual of {name} does not depend on u_{self.key} at some nodes")
        # the same slope at another state and time: keep it (most specs read u_t + F(u) = 0)
        rng = np.random.default_rng(0)
        other = U + 0.1 * (1.0 + np.abs(U)) * rng.standard_normal(U.shape)
        velocity = None if V is None else V + 0.1 * (1.0 + np.abs(V)) * rng.standard_normal(V.shape)
        _, _, s_other = self.parts(t + 0.1 * self.span, other, velocity)
        if np.allclose(s_other, s, rtol=1e-12, atol=0.0):
            self.slope = s

    def rate(self, t: float, U: np.ndarray, V: np.ndarray | None = None) -> np.ndarray:
        _, r0, s = self.parts(t, U, V)
        return -r0 / s

    def jacobian(self, t: float, U: np.ndarray, V: np.ndarray | None = None) -> tuple[sp.csr_matrix,
                                                                                      np.ndarray | None]:
        """``d rate / dU`` (sparse) and, second order, ``d rate / dV`` (a diagonal, as a vector)."""
        e, r0, s = self.parts(t, U, V)
        e = {**e, self.key: -r0 / s}
        choice = self.residual.choice
        keys = (VALUE, *self.disc.keys) + (("t",) if V is not None and "t" in self.disc.equation.derivatives
                                             else ())
        partials = self.residual.partials(e, t, keys)
        self.residual.choice = choice
        scale = sp.diags(-1.0 / s)
        JU = scale @ self.residual.jacobian(partials)
        JV = -partials["t"] / s if "t" in partials and V is not None else None
        return JU.tocsr(), JV


def integrate(disc: Discretisation, residual: GridResidual, times: np.ndarray, *, rtol: float, atol: float,
              max_evaluations: int) -> tuple[np.ndarray, dict[str, int | float | str]]:
    """Solve the evolution problem; values on the full spatial grid at every time in ``times``."""
    eq = disc.equation
    name = type(eq).__name__
    conditions: dict[str, Any] = {type(c).__name__: c for c in eq.conditions()}
    second = disc.time_key == "tt"
    if "InitialCondition" not in conditions:
        raise SpecMismatchError(f"{name} is an evolution problem but states no InitialCondition")
    if second and "InitialVelocityCondition" not in conditions:
        raise SpecMismatchError(f"{name} is second order in time but states no InitialVelocityCondition")
    t0 = float(times[0])
    U0 = disc.initial(conditions["InitialCondition"].value)
    _check_initial_boundary(disc, conditions["InitialCondition"].value, t0)
    deriv = TimeDerivative(residual, "tt" if second else "t", span=float(times[-1] - times[0]))
    n = disc.n_unknowns
    if second:
        V0 = disc.initial(conditions["InitialVelocityCondition"].value)
        y0 = np.concatenate([U0, V0])
        deriv.check(t0, U0, V0)
    else:
        y0 = U0
        deriv.check(t0, U0, None)
    count, reached = [0], [t0]  # evaluations, and the latest time the integrator asked for

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        count[0] += 1
        reached[0] = max(reached[0], t)
        if count[0] > max_evaluations:
            raise _Budget(t)
        if second:
            return np.concatenate([y[n:], deriv.rate(t, y[:n], y[n:])])
        return deriv.rate(t, y)

    def jac(t: float, y: np.ndarray) -> sp.spmatrix:
        if not second:
            return deriv.jacobian(t, y)[0].tocsc()
        JU, JV = deriv.jacobian(t, y[:n], y[n:])
        lower_right = sp.diags(JV if JV is not None else np.zeros(n))
        return sp.bmat([[None, sp.identity(n)], [JU, lower_right]], format="csc")

    try:
        sol = solve_ivp(rhs, (t0, float(times[-1])), y0, method="BDF", t_eval=times, jac=jac,
                        rtol=rtol, atol=atol)
    except _Blowup as stop:
        raise ConvergenceError(
            f"the solution of {name} stopped being finite at t = {stop.args[0]:.6g} (a blow-up of the PDE or an "
            f"unstable discretisation: refine the grid)"
        ) from None
    except _Budget as stop:
        raise ConvergenceError(
            f"the time integration of {name} used its budget of {max_evaluations} right-hand-side evaluations "
            f"and reached only t = {stop.args[0]:.6g} of {times[-1]:.6g} (the step size collapsed: a stiff or "
            f"blowing-up solution); raise max_evaluations, refine the grid or check the data"
        ) from None
    if sol.status != 0 or sol.y.shape[1] != len(times):
        raise ConvergenceError(f"the time integration of {name} failed at t = {reached[0]:.6g} of {times[-1]:.6g}: "
                               f"{sol.message} (a blow-up, or a stiffness the grid does not resolve)")
    values = np.stack([disc.full(sol.y[:n, k], disc.data(float(t))) for k, t in enumerate(times)], axis=-1)
    return values, {"rhs_evaluations": int(sol.nfev), "jacobians": int(sol.njev), "lu_factorisations": int(sol.nlu),
                    "time_integrator": "BDF"}


def _check_initial_boundary(disc: Discretisation, value, t0: float) -> None:
    """Warn when the initial data disagree with the Dirichlet data at the start (the boundary wins)."""
    if not disc.dirichlet.any():
        return
    coords = {n: m[disc.dirichlet] for n, m in zip(disc.names, disc.mesh)}
    coords["t"] = np.full(int(disc.dirichlet.sum()), t0)
    initial = np.broadcast_to(np.asarray(value(coords), dtype=float), (int(disc.dirichlet.sum()),))
    boundary = disc.data(t0)[: int(disc.dirichlet.sum())]
    gap = float(np.max(np.abs(initial - boundary)))
    scale = max(float(np.max(np.abs(boundary))), float(np.max(np.abs(initial))), 1e-300)
    if gap > 1e-6 * scale + 1e-12:
        warnings.warn(
            f"{type(disc.equation).__name__}: the initial data differ from the Dirichlet data at t = {t0:g} by up "
            f"to {gap:.3g} on the boundary; the boundary data are used there",
            ConditionsWarning, stacklevel=4,
        )
