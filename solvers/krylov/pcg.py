r"""Matrix-free (preconditioned) conjugate gradient with SciPy's calling convention.

:func:`cg` solves ``A x = b`` for a symmetric positive definite ``A`` given as a
SciPy ``LinearOperator``, a sparse matrix or a dense array; the preconditioner
``M`` (an approximation of ``A^{-1}``, also SPD) is given the same way. The
operator applications go through ``LinearOperator.matvec``; the vector updates
(dot products, the fused ``x``/``r`` update, the search-direction update) run
in numba kernels.

Matrix-free operators are in :mod:`solvers.krylov.operators`, preconditioners
in :mod:`solvers.krylov.preconditioners` and :mod:`solvers.krylov.ichol`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from equations.errors import InvalidDataError, InvalidParameterError
from solvers.krylov.kernels import axpy, dot, update_xr, xpay


@dataclass(frozen=True)
class KrylovInfo:
    """Convergence record of :func:`cg`.

    ``residual_history[k]`` is ``||r_k||`` (2-norm, independent of the
    preconditioner) of the recursively updated residual after ``k`` iterations,
    from ``k = 0`` (the initial guess) to ``k = iterations``;
    ``relative_residual`` is its last entry divided by ``||b||`` (0 when ``b = 0``).
    """

    iterations: int
    converged: bool
    residual_history: list[float] = field(default_factory=list)
    relative_residual: float = 0.0


def as_operator(name: str, op: Any, n: int) -> LinearOperator:
    """``op`` as an ``(n, n)`` ``LinearOperator``, or InvalidDataError naming it ``name``."""
    try:
        lin = aslinearoperator(op)
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(f"{name} must be a LinearOperator, sparse matrix or 2D array: {exc}") from exc
    if lin.shape != (n, n):
        raise InvalidDataError(f"{name} has shape {lin.shape}, but b has shape ({n},): expected ({n}, {n})")
    return lin


def apply_operator(name: str, op: LinearOperator, v: np.ndarray) -> np.ndarray:
    """``op v`` as a contiguous real float64 vector, or InvalidDataError (wrong size, complex)."""
    out = np.asarray(op.matvec(v))
    if out.size != v.size:
        raise InvalidDataError(f"{name}.matvec returned shape {out.shape} for a vector of shape {v.shape}")
    if np.iscomplexobj(out):
        raise InvalidDataError(f"{name}.matvec returned complex values; cg is for real SPD systems")
    return np.ascontiguousarray(out.reshape(-1), dtype=np.float64)


def curvature(d: np.ndarray, q: np.ndarray, name: str, iteration: int, why: str = "") -> float:
    """``d . q`` for ``q = A d``, refused unless finite and positive (``A`` must be SPD).

    Raises
    ------
    InvalidDataError
        ``A.matvec`` gave NaN/Inf, or ``d . A d <= 0`` (``why`` adds a possible
        cause to the message).
    """
    dq = dot(d, q)
    if not math.isfinite(dq):
        raise InvalidDataError("A.matvec returned NaN or Inf")
    if dq <= 0.0:
        raise InvalidDataError(f"matrix is not symmetric positive definite{why}: {name} = {dq:.3e} <= 0 "
                               f"at iteration {iteration}")
    return dq


def check_tolerance(name: str, v: object) -> float:
    """A tolerance as float, or InvalidParameterError unless it is a finite number ``>= 0``."""
    if (
        isinstance(v, bool)
        or not isinstance(v, (int, float, np.floating, np.integer))
        or not (math.isfinite(v) and v >= 0)
    ):
        raise InvalidParameterError(f"{name} must be a finite number >= 0, got {v!r}")
    return float(v)


def check_rhs(b: object) -> np.ndarray:
    """The right-hand side as a contiguous float64 vector, or InvalidDataError (shape, dtype, NaN/Inf)."""
    b = np.asarray(b)
    if not (b.ndim == 1 or (b.ndim == 2 and b.shape[1] == 1)) or b.size == 0:
        raise InvalidDataError(f"b must be a non-empty vector of shape (n,) or (n, 1), got shape {b.shape}")
    if not np.issubdtype(b.dtype, np.number) or np.iscomplexobj(b):
        raise InvalidDataError(f"b must be real, got dtype {b.dtype}")
    out = np.ascontiguousarray(b.reshape(-1), dtype=np.float64)
    if not np.all(np.isfinite(out)):
        raise InvalidDataError("b contains NaN or Inf")
    return out


def initial_guess(x0: object, n: int) -> np.ndarray:
    """A fresh float64 iterate of ``n`` entries: zero, or a checked copy of ``x0``."""
    x = np.zeros(n)
    if x0 is not None:
        x0 = np.asarray(x0)
        if x0.size != n or x0.ndim > 2 or np.iscomplexobj(x0):
            raise InvalidDataError(f"x0 must be real with shape ({n},) like b, got shape {x0.shape}")
        x[:] = x0.reshape(-1)
        if not np.all(np.isfinite(x)):
            raise InvalidDataError("x0 contains NaN or Inf")
    return x


def cg(
    A: Any,
    b: np.ndarray,
    x0: np.ndarray | None = None,
    *,
    rtol: float = 1e-8,
    atol: float = 0.0,
    maxiter: int | None = None,
    M: Any = None,
    callback: Callable[[np.ndarray], object] | None = None,
    flexible: bool = False,
) -> tuple[np.ndarray, KrylovInfo]:
    """Solve ``A x = b`` by the (preconditioned) conjugate gradient method.

    Parameters
    ----------
    A : LinearOperator, sparse matrix or numpy.ndarray
        Symmetric positive definite ``(n, n)`` operator (through
        :func:`scipy.sparse.linalg.aslinearoperator`).
    b : numpy.ndarray
        Real right-hand side of ``n`` entries (shape ``(n,)`` or ``(n, 1)``).
    x0 : numpy.ndarray, optional
        Initial guess (default zero).
    rtol, atol : float
        Stop when ``||b - A x|| <= max(rtol * ||b||, atol)``, measured on the
        recursively updated residual in the 2-norm, whatever ``M`` is.
    maxiter : int, optional
        Iteration limit (default ``10 * n``, as SciPy). Reaching it unconverged
        gives ``converged=False`` and a RuntimeWarning.
    M : LinearOperator, sparse matrix or numpy.ndarray, optional
        Symmetric positive definite preconditioner approximating ``A^{-1}``.
    callback : callable, optional
        Called as ``callback(xk)`` once per iteration, after ``x`` is updated, with
        the current iterate (the solver's own array: copy it to keep it).
    flexible : bool
        Flexible CG: the Polak--Ribiere ``beta = z_new . (r_new - r_old) / (z_old . r_old)``
        instead of Fletcher--Reeves, for a preconditioner that varies between
        iterations (a network, an inner iteration); one more vector of memory.
        With a fixed linear ``M`` it equals PCG in exact arithmetic; a
        direction with ``r . M r < 0`` is used with the opposite sign.

    Returns
    -------
    (numpy.ndarray, KrylovInfo)
        The solution and the convergence record.

    Raises
    ------
    InvalidDataError
        ``b`` or ``x0`` holds NaN/Inf or has the wrong shape, ``A`` or ``M`` is
        not ``(n, n)``, an operator returns NaN/Inf, or a non-positive curvature
        ``p . A p <= 0`` (or ``r . M r <= 0``) shows that ``A`` (``M``) is not
        symmetric positive definite.
    InvalidParameterError
        ``rtol``, ``atol`` or ``maxiter`` is out of range.
    """
    b = check_rhs(b)
    n = b.size
    a_op = as_operator("A", A, n)
    m_op = None if M is None else as_operator("M", M, n)
    rtol = check_tolerance("rtol", rtol)
    atol = check_tolerance("atol", atol)
    if maxiter is None:
        maxiter = 10 * n
    elif isinstance(maxiter, bool) or not isinstance(maxiter, (int, np.integer)) or maxiter < 0:
        raise InvalidParameterError(f"maxiter must be an integer >= 0, got {maxiter!r}")
    maxiter = int(maxiter)

    x = initial_guess(x0, n)

    b_norm = math.sqrt(dot(b, b))
    if b_norm == 0.0:  # the exact solution of an SPD system with b = 0
        return np.zeros(n), KrylovInfo(0, True, [0.0], 0.0)
    target = max(rtol * b_norm, atol)

    r = b.copy()
    if x.any():
        axpy(-1.0, apply_operator("A", a_op, x), r)
    rr = dot(r, r)
    if not math.isfinite(rr):
        raise InvalidDataError("A.matvec(x0) contains NaN or Inf")
    history = [math.sqrt(rr)]
    converged = history[-1] <= target
    iterations = 0
    if not converged and maxiter > 0:
        z = r if m_op is None else apply_operator("M", m_op, r)
        rz = rr if m_op is None else dot(r, z)
        if flexible and rz < 0.0:  # a nonlinear M (a network) fixes no sign: use -z
            z, rz = -z, -rz
        _check_precond(rz)
        p = z.copy()
        r_old = r.copy() if flexible else r
        while True:
            if flexible:
                r_old[:] = r
            q = apply_operator("A", a_op, p)
            pq = curvature(p, q, "p.Ap", iterations + 1)
            rr = update_xr(rz / pq, p, q, x, r)
            iterations += 1
            history.append(math.sqrt(rr))
            if callback is not None:
                callback(x)
            if history[-1] <= target:
                converged = True
                break
            if iterations >= maxiter:
                break
            if m_op is None:
                rz_new = rr
                z = r
            else:
                z = apply_operator("M", m_op, r)
                rz_new = dot(r, z)
                if flexible and rz_new < 0.0:  # a nonlinear M (a network) fixes no sign: use -z
                    z = -z
                    rz_new = -rz_new
                _check_precond(rz_new)
            beta = (rz_new - dot(z, r_old)) / rz if flexible else rz_new / rz
            xpay(z, beta, p)
            rz = rz_new

    return x, finish("cg", iterations, maxiter, converged, history, target, b_norm)


def finish(name: str, iterations: int, maxiter: int, converged: bool, history: list[float], target: float,
           b_norm: float) -> KrylovInfo:
    """The solver's :class:`KrylovInfo`, warning (at the user's call) when it stopped short of ``target``."""
    relative = history[-1] / b_norm
    if not converged:
        warnings.warn(
            f"{name} stopped after {iterations} iterations (maxiter={maxiter}) at relative residual "
            f"{relative:.3e} > target {target / b_norm:.3e}",
            RuntimeWarning,
            stacklevel=3,
        )
    return KrylovInfo(iterations, converged, history, relative)


def _check_precond(rz: float) -> None:
    if not math.isfinite(rz):
        raise InvalidDataError("M.matvec returned NaN or Inf")
    if rz <= 0.0:
        raise InvalidDataError(f"preconditioner is not symmetric positive definite: r.Mr = {rz:.3e} <= 0")
