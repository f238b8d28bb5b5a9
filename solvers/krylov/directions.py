r"""Conjugate-direction iteration with an arbitrary (possibly nonlinear) direction map.

The Deep Conjugate Direction Method's outer loop: the search direction is
``d = direction(r_k)`` (a network approximating ``A^{-1}`` up to a scale, any
preconditioner, or the exact inverse), made ``A``-orthogonal to the last
``k`` directions by Gram--Schmidt in the ``A`` inner product, followed by the
exact line search ``alpha = d . r / d . A d``. Because ``direction`` need not be
linear or symmetric, nothing of CG's short recurrence is assumed: the
orthogonalisation is explicit. With a fixed SPD linear ``direction`` and
``k >= 1`` the iterates are those of PCG (the new direction is already
``A``-orthogonal to all but the last one).

Calling convention and record are those of :func:`solvers.krylov.cg`.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from equations.errors import InvalidDataError, check_integer
from solvers.krylov.kernels import dot, update_xr
from solvers.krylov.pcg import (
    KrylovInfo,
    apply_operator,
    as_operator,
    check_rhs,
    check_tolerance,
    curvature,
    finish,
    initial_guess,
)


def _direction_map(direction: Any, n: int) -> Callable[[np.ndarray], np.ndarray]:
    if callable(direction) and not hasattr(direction, "matvec"):
        return direction  # type: ignore[no-any-return]
    op = as_operator("direction", direction, n)
    return op.matvec  # type: ignore[no-any-return]


def conjugate_directions(
    A: Any,
    b: np.ndarray,
    direction: Any,
    x0: np.ndarray | None = None,
    *,
    rtol: float = 1e-8,
    atol: float = 0.0,
    maxiter: int | None = None,
    k: int = 2,
    callback: Callable[[np.ndarray], object] | None = None,
) -> tuple[np.ndarray, KrylovInfo]:
    """Solve ``A x = b`` (``A`` SPD) by conjugate directions ``d = direction(r)``.

    Parameters
    ----------
    A : LinearOperator, sparse matrix or numpy.ndarray
        Symmetric positive (semi)definite ``(n, n)`` operator; for a singular
        ``A``, ``b`` must be consistent (orthogonal to the null space).
    b : numpy.ndarray
        Right-hand side, ``n`` entries.
    direction : callable or LinearOperator
        Maps a residual (float64, ``n`` entries) to a search direction; its
        scale is irrelevant (the line search fixes it).
    x0 : numpy.ndarray, optional
        Initial guess (default zero).
    rtol, atol : float
        Stop when ``||r_k|| <= max(rtol ||b||, atol)`` (recursively updated residual).
    maxiter : int, optional
        Iteration limit (default ``10 n``); reaching it gives a RuntimeWarning.
    k : int
        Number of previous directions to ``A``-orthogonalise against (0: steepest-descent-like).
    callback : callable, optional
        ``callback(xk)`` after each iteration.

    Returns
    -------
    (numpy.ndarray, KrylovInfo)

    Raises
    ------
    InvalidDataError
        Bad ``b``/``x0``, shape mismatches, NaN/Inf from ``A`` or ``direction``,
        or ``d . A d <= 0`` for a nonzero ``d`` (``A`` not SPD).
    InvalidParameterError
        Bad ``rtol``, ``atol``, ``maxiter`` or ``k``.
    """
    b = check_rhs(b)
    n = b.size
    a_op = as_operator("A", A, n)
    fdir = _direction_map(direction, n)
    rtol, atol = check_tolerance("rtol", rtol), check_tolerance("atol", atol)
    maxiter = 10 * n if maxiter is None else check_integer("maxiter", maxiter, 0)
    k = check_integer("k", k, 0)
    x = initial_guess(x0, n)
    b_norm = math.sqrt(dot(b, b))
    if b_norm == 0.0:
        return np.zeros(n), KrylovInfo(0, True, [0.0], 0.0)
    target = max(rtol * b_norm, atol)
    r = b.copy()
    if x.any():
        r -= apply_operator("A", a_op, x)
    history = [math.sqrt(dot(r, r))]
    converged = history[-1] <= target
    previous: deque[tuple[np.ndarray, np.ndarray, float]] = deque(maxlen=max(k, 1))
    iterations = 0
    while not converged and iterations < maxiter:
        d = np.array(fdir(r.copy()), dtype=np.float64).reshape(-1)  # own copies: d is updated in place
        if d.size != n or not np.all(np.isfinite(d)):
            raise InvalidDataError(f"direction returned shape {d.shape} or NaN/Inf for a residual of {n} entries")
        q = apply_operator("A", a_op, d)
        if k:
            for dj, qj, dqj in previous:  # Gram-Schmidt in the A inner product (modified: uses updated d)
                c = dot(q, dj) / dqj
                d -= c * dj
                q -= c * qj
        dq = curvature(d, q, "d.Ad", iterations + 1, " (or the direction is in its null space)")
        rr = update_xr(dot(d, r) / dq, d, q, x, r)
        if k:
            previous.append((d, q, dq))
        iterations += 1
        history.append(math.sqrt(rr))
        if callback is not None:
            callback(x)
        converged = history[-1] <= target
    return x, finish("conjugate_directions", iterations, maxiter, converged, history, target, b_norm)
