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
from typing import Any, cast

import numpy as np
import scipy.sparse as sp
from scipy.integrate import solve_ivp

from equations.core import canonical_key
from equations.errors import ConditionsWarning, ConvergenceError, SpecMismatchError
from equations.systems import conditions_of
from solvers.generic.discretisation import Discretisation
from solvers.generic.residual import Entries, GridResidual


class _Budget(Exception):
    """Internal: the evaluation budget ran out at time ``t``."""


class _Blowup(Exception):
    """Internal: the solution stopped being finite at time ``t``."""


class TimeDerivative:
    """``u_t`` (first order) or ``u_tt`` (second order) of every field from the spec's residual at the unknown nodes.

    Per node, the residuals are affine in the fields' highest time derivatives,
    ``R = S w + r`` with an invertible ``M x M`` slope ``S`` (``M`` fields; a
    number for one field), so ``w = -S^-1 r``.
    """

    def __init__(self, residual: GridResidual, key: str, span: float = 1.0):
        self.residual, self.key = residual, key
        self.fields, self.n = residual.fields, residual.n
        self.span = span  # the length of the time interval (where the slope is probed)
        self.slope: np.ndarray | None = None  # (n, M, M): dR/d(key) when it is the same at every state and time

    def _extra(self, V: np.ndarray | None) -> Entries:
        zero = np.zeros(self.n)
        if V is None:
            return {(f, self.key): zero for f in self.fields}
        return {**{(f, "t"): v for f, v in zip(self.fields, self.residual.split(V))},
                **{(f, "tt"): zero for f in self.fields}}

    def _slope(self, e: Entries, t: float) -> np.ndarray:
        """``S[node, i, j] = dR_i / d(key of field j)`` (the residual is affine in it)."""
        M = len(self.fields)
        base = self.residual(e, t).reshape(M, self.n)
        S = np.empty((self.n, M, M))
        for j, f in enumerate(self.fields):
            S[:, :, j] = (self.residual({**e, (f, self.key): np.ones(self.n)}, t).reshape(M, self.n) - base).T
        return S

    def _orientation(self, S: np.ndarray) -> list[np.ndarray]:
        return [np.sign(S[:, j, j]) for j in range(len(self.fields))]

    def parts(self, t: float, U: np.ndarray, V: np.ndarray | None) -> tuple[Entries, np.ndarray, np.ndarray]:
        """The jet entries with ``key = 0``, the residuals there (stacked) and the slope ``S``."""
        d = self.residual.data(t)
        extra = self._extra(V)
        if self.slope is not None:  # a constant slope (u_t + ... = 0): one residual call per rate
            S = self.slope
            e = self.residual.entries(U, d, extra, t, orientation=self._orientation(S))
        else:
            e = self.residual.entries(U, d, extra, t, upwind=False)
            S = self._slope(e, t)
            if self.residual.upwind:  # the flow direction is relative to the sign of the time derivative's slope
                e = self.residual.entries(U, d, extra, t, orientation=self._orientation(S))
        r0 = self.residual(e, t)
        if not (np.isfinite(r0).all() and np.isfinite(S).all()):
            raise _Blowup(t)
        return e, r0, S

    def solve(self, S: np.ndarray, r: np.ndarray) -> np.ndarray:
        """``S^-1 r`` node by node (``r`` stacked by equation, the result by field)."""
        M = len(self.fields)
        if M == 1:
            return r / S[:, 0, 0]
        try:
            return np.linalg.solve(S, r.reshape(M, self.n).T[..., None])[..., 0].T.ravel()
        except np.linalg.LinAlgError:
            raise _Blowup(float("nan")) from None

    def check(self, t: float, U: np.ndarray, V: np.ndarray | None) -> None:
        """Refuse a residual that is not affine in the highest time derivatives, or does not determine them."""
        e, r0, S = self.parts(t, U, V)
        name, M = self.residual.name, len(self.fields)
        for j, f in enumerate(self.fields):
            r2 = self.residual({**e, (f, self.key): np.full(self.n, 2.0)}, t)
            slope = S[:, :, j].T.ravel()
            curvature = float(np.max(np.abs(r2 - 2.0 * (r0 + slope) + r0), initial=0.0))
            if curvature > 1e-8 * (float(np.max(np.abs(slope), initial=0.0)) + float(np.max(np.abs(r0), initial=0.0))):
                raise SpecMismatchError(
                    f"the residual of {name} is not linear in {f}_{self.key}; the generic reference's method of "
                    f"lines needs R = S {self.key}-derivatives + r(fields, derivatives in space)"
                )
        det = np.abs(np.linalg.det(S)) if M > 1 else np.abs(S[:, 0, 0])
        scale = float(np.max(np.abs(S))) ** M
        if float(np.min(det)) <= 1e-12 * max(scale, 1e-300):
            what = f"u_{self.key}" if M == 1 else f"the {self.key}-derivatives of its fields {self.fields}"
            raise SpecMismatchError(f"the residual of {name} does not determine {what} at some nodes")
        # the same slope at another state and time: keep it (most specs read u_t + F(u) = 0)
        rng = np.random.default_rng(0)
        other = U + 0.1 * (1.0 + np.abs(U)) * rng.standard_normal(U.shape)
        velocity = None if V is None else V + 0.1 * (1.0 + np.abs(V)) * rng.standard_normal(V.shape)
        _, _, S_other = self.parts(t + 0.1 * self.span, other, velocity)
        if np.allclose(S_other, S, rtol=1e-12, atol=0.0):
            self.slope = S

    def rate(self, t: float, U: np.ndarray, V: np.ndarray | None = None) -> np.ndarray:
        _, r0, S = self.parts(t, U, V)
        return -self.solve(S, r0)

    def jacobian(self, t: float, U: np.ndarray, V: np.ndarray | None = None
                 ) -> tuple[sp.csr_matrix, sp.csr_matrix | None]:
        """``d rate / dU`` and, second order, ``d rate / dV`` (sparse, stacked by field)."""
        e, r0, S = self.parts(t, U, V)
        rates = -self.solve(S, r0)
        e = {**e, **{(f, self.key): w for f, w in zip(self.fields, self.residual.split(rates))}}
        choice = self.residual.choice
        velocity_keys = tuple((f, "t") for f in self.fields) if V is not None and any(
            canonical_key(k) == "t" for k in self.residual.disc.equation.derivatives) else ()
        partials = self.residual.partials(e, t, self.residual.spatial_keys() + velocity_keys)
        self.residual.choice = choice
        M = len(self.fields)
        inverse = np.linalg.inv(S) if M > 1 else 1.0 / S
        Sinv = sp.bmat([[sp.diags(inverse[:, i, j]) for j in range(M)] for i in range(M)], format="csr")
        JU = -(Sinv @ self.residual.jacobian(partials))
        JV = None
        if velocity_keys:
            stack = sp.vstack([sp.identity(self.n)] * M)
            PV = sp.hstack([sp.diags(partials[key]) @ stack for key in velocity_keys])
            JV = -(Sinv @ PV).tocsr()
        return JU.tocsr(), JV


def integrate(residual: GridResidual, times: np.ndarray, *, rtol: float, atol: float,
              max_evaluations: int) -> tuple[np.ndarray, dict[str, int | float | str]]:
    """Solve the evolution problem; values on the full spatial grid at every time in ``times``.

    The values have the shape of the grid, then time, then (a system) field.
    """
    discs, fields = residual.discs, residual.fields
    eq = residual.disc.equation
    name = eq.label
    second = residual.disc.time_key == "tt"
    initial, velocity = [], []
    for f in fields:
        conditions: dict[str, Any] = {type(c).__name__: c for c in conditions_of(eq, f)}
        where = f" for field {f!r}" if residual.system else ""
        if "InitialCondition" not in conditions:
            raise SpecMismatchError(f"{name} is an evolution problem but states no InitialCondition{where}")
        if second and "InitialVelocityCondition" not in conditions:
            raise SpecMismatchError(f"{name} is second order in time but states no InitialVelocityCondition{where}")
        initial.append(conditions["InitialCondition"].value)
        velocity.append(conditions.get("InitialVelocityCondition"))
    t0 = float(times[0])
    U0 = np.concatenate([disc.initial(value) for disc, value in zip(discs, initial)])
    for disc, value in zip(discs, initial):
        _check_initial_boundary(disc, value, t0)
    deriv = TimeDerivative(residual, "tt" if second else "t", span=float(times[-1] - times[0]))
    n = len(U0)
    if second:
        V0 = np.concatenate([disc.initial(cast(Any, cond).value) for disc, cond in zip(discs, velocity)])
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
        lower_right = JV if JV is not None else sp.csr_matrix((n, n))
        return sp.bmat([[None, sp.identity(n)], [JU, lower_right]], format="csc")

    try:
        sol = solve_ivp(rhs, (t0, float(times[-1])), y0, method="BDF", t_eval=times, jac=jac,
                        rtol=rtol, atol=atol)
    except _Blowup:
        raise ConvergenceError(
            f"the solution of {name} stopped being finite at t = {reached[0]:.6g} (a blow-up of the PDE or an "
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
    per_time = []
    for k, t in enumerate(times):
        parts = residual.split(sol.y[:n, k])
        per_field = [disc.full(U, d) for disc, U, d in zip(discs, parts, residual.data(float(t)))]
        per_time.append(np.stack(per_field, axis=-1) if residual.system else per_field[0])
    values = np.stack(per_time, axis=len(residual.disc.shape))
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
