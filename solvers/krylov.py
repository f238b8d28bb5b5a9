r"""Matrix-free (preconditioned) conjugate gradient with SciPy's calling convention.

:func:`cg` solves ``A x = b`` for a symmetric positive definite ``A`` given as a
SciPy ``LinearOperator``, a sparse matrix or a dense array; the preconditioner
``M`` (an approximation of ``A^{-1}``, also SPD) is given the same way. The
operator applications go through ``LinearOperator.matvec``; the vector updates
(dot products, the fused ``x``/``r`` update, the search-direction update) run
in numba kernels.

:func:`poisson_operator` is the matrix-free 5-point ``-Laplacian`` with zero
Dirichlet data on a 2D grid. Its vectors are **flattened (C order) full grids**
of ``nx * ny`` entries, the layout of :func:`solvers.multigrid.preconditioner`,
so a V-cycle preconditioner can be passed as ``M`` directly::

    a = poisson_operator(mask, hx, hy)
    u, info = cg(a, f.ravel(), M=preconditioner(Hierarchy(mask, hx, hy)))
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numba import njit, prange
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from equations.errors import InvalidDataError, InvalidParameterError
from solvers.fd import check_spacing, unknowns_mask
from solvers.multigrid3d import check_spacings, unknowns_mask3d

# --------------------------------------------------------------------------- kernels


@njit(parallel=True, fastmath=True, cache=True)
def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """``a . b`` (a parallel, vectorised reduction)."""
    total = 0.0
    for i in prange(a.size):
        total += a[i] * b[i]
    return total


@njit(parallel=True, fastmath=True, cache=True)
def _axpy(alpha: float, x: np.ndarray, y: np.ndarray) -> None:
    """``y += alpha * x`` in place."""
    for i in prange(y.size):
        y[i] += alpha * x[i]


@njit(parallel=True, fastmath=True, cache=True)
def _update_xr(alpha: float, p: np.ndarray, q: np.ndarray, x: np.ndarray, r: np.ndarray) -> float:
    """``x += alpha p``, ``r -= alpha q`` in one pass; returns the new ``r . r``."""
    total = 0.0
    for i in prange(x.size):
        x[i] += alpha * p[i]
        v = r[i] - alpha * q[i]
        r[i] = v
        total += v * v
    return total


@njit(parallel=True, fastmath=True, cache=True)
def _xpay(z: np.ndarray, beta: float, p: np.ndarray) -> None:
    """``p = z + beta p`` in place."""
    for i in prange(p.size):
        p[i] = z[i] + beta * p[i]


@njit(parallel=True, fastmath=True, cache=True)
def _neg_laplacian(x: np.ndarray, mask: np.ndarray, hx: float, hy: float, out: np.ndarray) -> None:
    """``out = -Laplacian(x)`` (5-point) on unknowns, 0 elsewhere; ``x`` off the unknowns counts as 0.

    ``mask`` (uint8) is zero on the outer frame, so neighbours never leave the grid.
    """
    nx, ny = x.shape
    cx = 1.0 / (hx * hx)
    cy = 1.0 / (hy * hy)
    diag = 2.0 * cx + 2.0 * cy
    for i in prange(nx):
        if i == 0 or i == nx - 1:
            for j in range(ny):
                out[i, j] = 0.0
            continue
        out[i, 0] = 0.0
        out[i, ny - 1] = 0.0
        for j in range(1, ny - 1):
            if mask[i, j]:
                out[i, j] = (
                    diag * x[i, j]
                    - cx * (mask[i - 1, j] * x[i - 1, j] + mask[i + 1, j] * x[i + 1, j])
                    - cy * (mask[i, j - 1] * x[i, j - 1] + mask[i, j + 1] * x[i, j + 1])
                )
            else:
                out[i, j] = 0.0


@njit(parallel=True, fastmath=True, cache=True)
def _neg_laplacian3d(x: np.ndarray, mask: np.ndarray, hx: float, hy: float, hz: float, out: np.ndarray) -> None:
    """``out = -Laplacian(x)`` (7-point) on unknowns, 0 elsewhere; ``x`` off the unknowns counts as 0."""
    nx, ny, nz = x.shape
    cx = 1.0 / (hx * hx)
    cy = 1.0 / (hy * hy)
    cz = 1.0 / (hz * hz)
    diag = 2.0 * cx + 2.0 * cy + 2.0 * cz
    for i in prange(nx):
        for j in range(ny):
            if i == 0 or i == nx - 1 or j == 0 or j == ny - 1:
                for k in range(nz):
                    out[i, j, k] = 0.0
                continue
            out[i, j, 0] = 0.0
            out[i, j, nz - 1] = 0.0
            for k in range(1, nz - 1):
                if mask[i, j, k]:
                    out[i, j, k] = (
                        diag * x[i, j, k]
                        - cx * (mask[i - 1, j, k] * x[i - 1, j, k] + mask[i + 1, j, k] * x[i + 1, j, k])
                        - cy * (mask[i, j - 1, k] * x[i, j - 1, k] + mask[i, j + 1, k] * x[i, j + 1, k])
                        - cz * (mask[i, j, k - 1] * x[i, j, k - 1] + mask[i, j, k + 1] * x[i, j, k + 1])
                    )
                else:
                    out[i, j, k] = 0.0


# --------------------------------------------------------------------------- operators


def poisson_operator(mask: np.ndarray, hx: float, hy: float, hz: float | None = None) -> LinearOperator:
    """The matrix-free 5-point (2D) or 7-point (3D) ``-Laplacian`` with zero Dirichlet data.

    Vectors are flattened (C order) grids of ``mask.size`` entries (the layout
    of :func:`solvers.multigrid.preconditioner` and
    :func:`solvers.multigrid3d.preconditioner3d`): entries off the unknowns are
    ignored on input (taken as the Dirichlet zero) and zero on output. On the
    unknowns it equals :func:`solvers.fd.laplacian_matrix` (or
    :func:`solvers.multigrid3d.laplacian_matrix3d`), so it is symmetric positive
    definite there; a right-hand side for :func:`cg` should be zero off the
    unknowns.

    Parameters
    ----------
    mask : numpy.ndarray
        Boolean ``(nx, ny)`` or ``(nx, ny, nz)``, True for unknowns; the outer
        frame (faces) is always fixed zero.
    hx, hy : float
        Grid spacings along axis 0 (x) and axis 1 (y).
    hz : float, optional
        Spacing along axis 2 (z); required for a 3D mask, not allowed for a 2D one.

    Returns
    -------
    scipy.sparse.linalg.LinearOperator
        Symmetric, shape ``(mask.size, mask.size)``, float64.
    """
    if np.ndim(mask) == 3:
        if hz is None:
            raise InvalidParameterError("a 3D mask needs the z spacing hz")
        check_spacings(hx, hy, hz)
        m = unknowns_mask3d(mask)
        spacings: tuple[float, ...] = (float(hx), float(hy), float(hz))
        kernel: Callable[..., None] = _neg_laplacian3d
    else:
        if hz is not None:
            raise InvalidParameterError(f"hz is only for a 3D mask, got a mask of shape {np.shape(mask)}")
        check_spacing(hx, hy)
        m = unknowns_mask(mask)
        spacings = (float(hx), float(hy))
        kernel = _neg_laplacian
    shape = m.shape
    n = m.size

    def apply(x: np.ndarray) -> np.ndarray:
        grid = np.ascontiguousarray(np.asarray(x, dtype=np.float64).reshape(shape))
        out = np.empty(shape)
        kernel(grid, m, *spacings, out)
        return out.ravel()

    return LinearOperator((n, n), matvec=apply, rmatvec=apply, dtype=np.float64)


# --------------------------------------------------------------------------- CG


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


def _operator(name: str, op: Any, n: int) -> LinearOperator:
    try:
        lin = aslinearoperator(op)
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(f"{name} must be a LinearOperator, sparse matrix or 2D array: {exc}") from exc
    if lin.shape != (n, n):
        raise InvalidDataError(f"{name} has shape {lin.shape}, but b has shape ({n},): expected ({n}, {n})")
    return lin


def _apply(name: str, op: LinearOperator, v: np.ndarray) -> np.ndarray:
    out = np.asarray(op.matvec(v))
    if out.size != v.size:
        raise InvalidDataError(f"{name}.matvec returned shape {out.shape} for a vector of shape {v.shape}")
    if np.iscomplexobj(out):
        raise InvalidDataError(f"{name}.matvec returned complex values; cg is for real SPD systems")
    return np.ascontiguousarray(out.reshape(-1), dtype=np.float64)


def _tolerance(name: str, v: object) -> float:
    if (
        isinstance(v, bool)
        or not isinstance(v, (int, float, np.floating, np.integer))
        or not (math.isfinite(v) and v >= 0)
    ):
        raise InvalidParameterError(f"{name} must be a finite number >= 0, got {v!r}")
    return float(v)


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
    b = np.asarray(b)
    if not (b.ndim == 1 or (b.ndim == 2 and b.shape[1] == 1)) or b.size == 0:
        raise InvalidDataError(f"b must be a non-empty vector of shape (n,) or (n, 1), got shape {b.shape}")
    if not np.issubdtype(b.dtype, np.number) or np.iscomplexobj(b):
        raise InvalidDataError(f"b must be real, got dtype {b.dtype}")
    b = np.ascontiguousarray(b.reshape(-1), dtype=np.float64)
    if not np.all(np.isfinite(b)):
        raise InvalidDataError("b contains NaN or Inf")
    n = b.size
    a_op = _operator("A", A, n)
    m_op = None if M is None else _operator("M", M, n)
    rtol = _tolerance("rtol", rtol)
    atol = _tolerance("atol", atol)
    if maxiter is None:
        maxiter = 10 * n
    elif isinstance(maxiter, bool) or not isinstance(maxiter, (int, np.integer)) or maxiter < 0:
        raise InvalidParameterError(f"maxiter must be an integer >= 0, got {maxiter!r}")
    maxiter = int(maxiter)

    x = np.zeros(n)
    if x0 is not None:
        x0 = np.asarray(x0)
        if x0.size != n or x0.ndim > 2 or np.iscomplexobj(x0):
            raise InvalidDataError(f"x0 must be real with shape ({n},) like b, got shape {x0.shape}")
        x[:] = x0.reshape(-1)
        if not np.all(np.isfinite(x)):
            raise InvalidDataError("x0 contains NaN or Inf")

    b_norm = math.sqrt(_dot(b, b))
    if b_norm == 0.0:  # the exact solution of an SPD system with b = 0
        return np.zeros(n), KrylovInfo(0, True, [0.0], 0.0)
    target = max(rtol * b_norm, atol)

    r = b.copy()
    if x.any():
        _axpy(-1.0, _apply("A", a_op, x), r)
    rr = _dot(r, r)
    if not math.isfinite(rr):
        raise InvalidDataError("A.matvec(x0) contains NaN or Inf")
    history = [math.sqrt(rr)]
    converged = history[-1] <= target
    iterations = 0
    if not converged and maxiter > 0:
        z = r if m_op is None else _apply("M", m_op, r)
        rz = rr if m_op is None else _dot(r, z)
        if flexible and rz < 0.0:  # a nonlinear M (a network) fixes no sign: use -z
            z, rz = -z, -rz
        _check_precond(rz)
        p = z.copy()
        r_old = r.copy() if flexible else r
        while True:
            if flexible:
                r_old[:] = r
            q = _apply("A", a_op, p)
            pq = _dot(p, q)
            if not math.isfinite(pq):
                raise InvalidDataError("A.matvec returned NaN or Inf")
            if pq <= 0.0:
                raise InvalidDataError(
                    f"matrix is not symmetric positive definite: p.Ap = {pq:.3e} <= 0 at iteration {iterations + 1}"
                )
            rr = _update_xr(rz / pq, p, q, x, r)
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
                z = _apply("M", m_op, r)
                rz_new = _dot(r, z)
                if flexible and rz_new < 0.0:  # a nonlinear M (a network) fixes no sign: use -z
                    z = -z
                    rz_new = -rz_new
                _check_precond(rz_new)
            beta = (rz_new - _dot(z, r_old)) / rz if flexible else rz_new / rz
            _xpay(z, beta, p)
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
