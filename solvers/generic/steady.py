"""Steady problems: damped Newton on the discrete residual, with a homotopy when Newton from the start fails.

Each Newton step solves ``J dU = -R`` with the assembled sparse Jacobian: a
sparse LU (SuperLU) up to :data:`DIRECT_LIMIT` unknowns, GMRES with an
incomplete LU beyond, or GMRES preconditioned by the toolkit's multigrid
where the caller offers it (:mod:`solvers.generic.preconditioning`); the
solver is reused while Newton contracts fast.
A backtracking line search keeps ``|R|`` decreasing.
When Newton from the initial guess fails, the Newton homotopy
``H(U, s) = R(U) - (1 - s) R(U_0)`` is followed from ``s = 0`` (solved by
``U_0``) to ``s = 1`` (the problem) in adaptive steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spl

from equations.errors import ConvergenceError

# unknowns up to which each Newton step factorises the Jacobian (2D 513^2 in ~2 s); GMRES + ILU beyond
DIRECT_LIMIT = 400_000


@dataclass
class NewtonReport:
    """How a Newton solve went (written to the output's attributes)."""

    iterations: int = 0
    residual: float = float("nan")
    continuation_steps: int = 0
    linear_solver: str = "splu"


class NewtonFailure(Exception):
    """Internal: Newton stopped without converging (the reason is the message)."""


Evaluate = Callable[[np.ndarray], np.ndarray]
Linearise = Callable[[np.ndarray], sp.csr_matrix]


Iterative = Callable[[sp.csr_matrix], "Callable[[np.ndarray], np.ndarray | None] | None"]


def factorise(J: sp.csr_matrix, iterative: Iterative | None = None) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
    """A solver of ``J x = b``.

    ``iterative`` (a factory of preconditioned Krylov solves, e.g. multigrid
    GMRES) is tried first; where it does not apply or does not converge, a
    sparse LU when small enough, else ILU-preconditioned GMRES.
    """
    krylov = iterative(J) if iterative is not None else None
    if krylov is not None:
        fallback: list[Callable[[np.ndarray], np.ndarray]] = []

        def solve(rhs: np.ndarray) -> np.ndarray:
            if not fallback:
                x = krylov(rhs)
                if x is not None:
                    return x
                fallback.append(factorise(J)[0])  # not converging: factorise once, keep using it
            return fallback[0](rhs)

        return solve, "gmres+multigrid"
    if J.shape[0] <= DIRECT_LIMIT:
        try:
            return spl.splu(J.tocsc(), permc_spec="MMD_AT_PLUS_A").solve, "splu"
        except RuntimeError as exc:  # "Factor is exactly singular"
            raise NewtonFailure(f"the Jacobian is singular ({exc})") from None
    ilu = spl.spilu(J.tocsc(), drop_tol=1e-5, fill_factor=20)
    M = spl.LinearOperator(J.shape, ilu.solve)

    def gmres(rhs: np.ndarray) -> np.ndarray:
        x, info = spl.gmres(J, rhs, M=M, rtol=1e-10, restart=100, maxiter=20)
        if info != 0:
            raise NewtonFailure(f"GMRES with ILU did not converge on the Newton system ({info} iterations)")
        return x

    return gmres, "gmres+ilu"


def newton(evaluate: Evaluate, linearise: Linearise, U0: np.ndarray, *, tol: float, max_iterations: int,
           report: NewtonReport, shift: np.ndarray | None = None, iterative: Iterative | None = None) -> np.ndarray:
    """Damped Newton for ``evaluate(U) - shift = 0`` from ``U0``; raises :class:`NewtonFailure`.

    A factorised Jacobian is kept for the next step while Newton contracts
    fast (the residual falls 10x per step: a linear or nearly linear problem),
    so a linear problem costs one factorisation; a kept one that stops
    helping is refreshed before the line search may give up.
    """
    U = U0.copy()
    offset = shift if shift is not None else 0.0
    F = evaluate(U) - offset
    norm = _norm(F)
    solve, fresh = None, False
    for _ in range(max_iterations):
        if not np.isfinite(norm):
            raise NewtonFailure("the residual is not finite")
        if norm <= tol:
            report.residual = norm
            return U
        if solve is None:
            solve, report.linear_solver = factorise(linearise(U), iterative)
            fresh = True
        dU = solve(-F)
        report.iterations += 1
        step = 1.0
        while True:
            trial = U + step * dU
            F_trial = evaluate(trial) - offset
            trial_norm = _norm(F_trial)
            if np.isfinite(trial_norm) and trial_norm <= (1.0 - 1e-4 * step) * norm:
                break
            if not fresh:  # a kept Jacobian: refresh it before damping
                break
            step *= 0.5
            if step < 1.0 / 256:
                if norm <= 100 * tol:  # at round-off level: accept
                    report.residual = norm
                    return U
                raise NewtonFailure(f"the line search found no decrease from |R| = {norm:.3g}")
        if not fresh and not (np.isfinite(trial_norm) and trial_norm <= (1.0 - 1e-4) * norm):
            solve = None
            continue
        contraction = trial_norm / norm if norm > 0 else 0.0
        U, F, norm = trial, F_trial, trial_norm
        if contraction > 0.1 or step < 1.0:
            solve = None
        fresh = False
    if norm <= tol:
        report.residual = norm
        return U
    raise NewtonFailure(f"{max_iterations} iterations left |R| = {norm:.3g} (target {tol:.3g})")


def solve_steady(evaluate: Evaluate, linearise: Linearise, U0: np.ndarray, *, rtol: float = 1e-10,
                 max_iterations: int = 50, min_step: float = 1e-3, name: str = "",
                 iterative: Iterative | None = None) -> tuple[np.ndarray, NewtonReport]:
    """Newton from ``U0``; on failure, Newton homotopy from ``U0`` to the problem.

    The tolerance on ``max |R|`` is ``rtol`` times ``max |R(U0)|`` (at least
    ``rtol``). Raises :class:`~equations.errors.ConvergenceError` with the
    reason when both fail.
    """
    report = NewtonReport()
    F0 = evaluate(U0)
    tol = rtol * max(_norm(F0), 1.0)
    try:
        return newton(evaluate, linearise, U0, tol=tol, max_iterations=max_iterations, report=report,
                      iterative=iterative), report
    except NewtonFailure as first:
        reason = str(first)
    U, s, ds = U0.copy(), 0.0, 0.1
    while s < 1.0:
        target = min(1.0, s + ds)
        try:
            U = newton(evaluate, linearise, U, tol=tol, max_iterations=max_iterations, report=report,
                       shift=(1.0 - target) * F0, iterative=iterative)
            s = target
            report.continuation_steps += 1
            ds = min(2 * ds, 0.5)
        except NewtonFailure as exc:
            ds *= 0.25
            if ds < min_step:
                raise ConvergenceError(
                    f"Newton did not converge on {name} ({reason}), and the continuation from the initial "
                    f"guess stalled at s = {s:.4g} of 1 ({exc}); try a finer grid, a better initial guess "
                    f"(option initial=...) or check that the problem has a solution"
                ) from None
    return U, report


def _norm(F: np.ndarray) -> float:
    return float(np.max(np.abs(F), initial=0.0))
