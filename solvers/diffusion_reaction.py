r"""Batch finite-difference solver for the DeepONet diffusion--reaction problem.

``s_t = D s_xx + k s^2 + f(x, t)`` on ``[0, L] x [0, T]`` with ``s = 0`` at
``t = 0`` and on both ends, for many sources at once (the operator-learning
data: ``f = u(x)`` with ``D = k = 0.01`` on the unit square).

Second-order central differences in space and Crank--Nicolson in time, the
nonlinear term included (fully implicit trapezoidal rule, second order in
both ``h`` and ``dt``). Each step solves its nonlinear system by Newton's
method with the tridiagonal Jacobian (Thomas algorithm). Every sample is
solved on its own in a numba loop, so a sample's result never depends on the
other samples of the batch (a dataset must not change with its chunking).

:func:`solve_diffusion_reaction` is the solver registered for the spec
:class:`equations.diffusion_reaction.DiffusionReaction` (``solvers.solve``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from equations.diffusion_reaction import DiffusionReaction
from equations.errors import InvalidDataError, InvalidParameterError, SpecMismatchError, check_integer
from solvers.registry import SolverOutput, register


@njit(cache=True)
def _thomas(lower: float, diag: np.ndarray, upper: float, rhs: np.ndarray, c: np.ndarray, out: np.ndarray) -> None:
    """Solve the tridiagonal system with constant off-diagonals (``c`` is scratch)."""
    m = diag.size
    c[0] = upper / diag[0]
    out[0] = rhs[0] / diag[0]
    for i in range(1, m):
        denom = diag[i] - lower * c[i - 1]
        c[i] = upper / denom
        out[i] = (rhs[i] - lower * out[i - 1]) / denom
    for i in range(m - 2, -1, -1):
        out[i] -= c[i] * out[i + 1]


@njit(parallel=True, cache=True)
def _cn_newton(
    f: np.ndarray, nt: int, dt: float, h: float, d: float, k: float, save_every: int,
    tol: float, max_newton: int, out: np.ndarray, iterations: np.ndarray,
) -> None:
    """Crank--Nicolson steps of every sample; ``out[i, :, j]`` is ``s`` after ``j * save_every`` steps."""
    n, levels, nx = f.shape
    m = nx - 2
    r = d / (h * h)
    for i in prange(n):
        s = np.zeros(nx)
        v = np.zeros(nx)
        rhs = np.empty(m)
        res = np.empty(m)
        diag = np.empty(m)
        delta = np.empty(m)
        c = np.empty(m)
        worst = 0
        for step in range(nt):
            fa = f[i, 0 if levels == 1 else step]
            fb = f[i, 0 if levels == 1 else step + 1]
            for j in range(1, nx - 1):
                lap = r * (s[j - 1] - 2.0 * s[j] + s[j + 1])
                rhs[j - 1] = s[j] + 0.5 * dt * (lap + k * s[j] * s[j] + fa[j] + fb[j])
            v[:] = s
            count = max_newton + 1  # stays so unless the update falls below tol
            for it in range(max_newton):
                for j in range(1, nx - 1):
                    lap = r * (v[j - 1] - 2.0 * v[j] + v[j + 1])
                    res[j - 1] = rhs[j - 1] - (v[j] - 0.5 * dt * (lap + k * v[j] * v[j]))
                    diag[j - 1] = 1.0 + dt * r - dt * k * v[j]
                _thomas(-0.5 * dt * r, diag, -0.5 * dt * r, res, c, delta)
                size = 0.0
                scale = 1.0
                for j in range(m):
                    v[j + 1] += delta[j]
                    size = max(size, abs(delta[j]))
                    scale = max(scale, abs(v[j + 1]))
                if size <= tol * scale:  # False for NaN: runs to the limit
                    count = it + 1
                    break
            worst = max(worst, count)
            s[:] = v
            if (step + 1) % save_every == 0:
                out[i, :, (step + 1) // save_every] = s
        iterations[i] = worst


def diffusion_reaction(
    source: np.ndarray,
    nt: int,
    *,
    diffusion: float = 0.01,
    reaction: float = 0.01,
    length: float = 1.0,
    t_final: float = 1.0,
    save_every: int = 1,
    tol: float = 1e-13,
    max_newton: int = 30,
) -> np.ndarray:
    """Solve ``s_t = D s_xx + k s^2 + f`` with zero initial and boundary values for a batch of sources.

    Parameters
    ----------
    source : numpy.ndarray
        ``f`` on the vertex grid ``x_j = j * length / (nx - 1)`` (``nx >= 3``,
        both ends included; the end values are not used): shape ``(n, nx)``
        for sources constant in time, or ``(n, nt + 1, nx)`` for values at
        every time level ``t_m = m * t_final / nt``.
    nt : int
        Number of time steps, >= 1.
    diffusion, reaction : float
        ``D`` (> 0) and ``k`` (finite).
    length, t_final : float
        Interval length and final time, > 0.
    save_every : int
        Keep every ``save_every``-th time level (it must divide ``nt``).
    tol : float
        Newton stops when the update is below ``tol * max(1, |s|)`` (max norms).
    max_newton : int
        Newton iterations per step; not converging within them raises.

    Returns
    -------
    numpy.ndarray
        ``s`` with shape ``(n, nx, nt // save_every + 1)``: dims (sample, x, t),
        the first time level being the zero initial value.

    Raises
    ------
    InvalidDataError
        A malformed or non-finite source; a step whose Newton iteration did
        not converge (the solution blows up: ``k s^2`` grows without bound).
    """
    nt = check_integer("nt", nt, 1)
    save_every = check_integer("save_every", save_every, 1)
    max_newton = check_integer("max_newton", max_newton, 1)
    if nt % save_every:
        raise InvalidParameterError(f"save_every ({save_every}) must divide nt ({nt})")
    for name, value, positive in (("diffusion", diffusion, True), ("reaction", reaction, False),
                                  ("length", length, True), ("t_final", t_final, True), ("tol", tol, True)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or (
            positive and value <= 0
        ):
            raise InvalidParameterError(f"{name} must be a finite number{' > 0' if positive else ''}, got {value!r}")
    f = np.asarray(source, dtype=np.float64)
    if f.ndim == 2:
        f = f[:, None, :]
    if f.ndim != 3 or f.shape[2] < 3 or f.shape[1] not in (1, nt + 1):
        raise InvalidDataError(f"source must have shape (n, nx >= 3) or (n, nt + 1, nx), got {np.shape(source)}")
    if not np.all(np.isfinite(f)):
        raise InvalidDataError("source contains NaN or Inf")
    f = np.ascontiguousarray(f)
    n, _, nx = f.shape
    out = np.zeros((n, nx, nt // save_every + 1))
    iterations = np.zeros(n, dtype=np.int64)
    if n:
        _cn_newton(f, nt, t_final / nt, length / (nx - 1), float(diffusion), float(reaction), save_every,
                   float(tol), max_newton, out, iterations)
    bad = (iterations > max_newton) | ~np.all(np.isfinite(out), axis=(1, 2))
    if np.any(bad):
        raise InvalidDataError(
            f"diffusion_reaction: Newton did not converge for samples {np.flatnonzero(bad)[:10].tolist()} "
            "(the solution blows up; lower the source or reaction)"
        )
    return out


@register(DiffusionReaction, "crank_nicolson", reads=("source", "domain"))
def solve_diffusion_reaction(
    equation: DiffusionReaction,
    axes: dict[str, np.ndarray],
    *,
    refine: int = 1,
    tol: float = 1e-13,
    max_newton: int = 30,
) -> SolverOutput:
    """Registered solver: :func:`diffusion_reaction` (Crank--Nicolson + Newton) for the spec's source.

    The source is evaluated at every node and time level of a grid ``refine``
    times finer than the requested one in both ``x`` and ``t``, and the
    solution is read on every ``refine``-th node and time level. The spec's
    interval and time window are honoured; its boundary and initial values are
    zero (a subclass that changes them is refused).

    Parameters
    ----------
    refine : int
        Subdivisions of each requested cell and time step, >= 1.
    tol, max_newton
        As in :func:`diffusion_reaction`.

    Returns the values (dims ``x``, ``t``) and the statistics ``refine``, ``steps`` and ``dt``.
    """
    refine = check_integer("crank_nicolson: refine", refine, 1)
    domain = equation.domain
    if domain.space.names != ("x",) or domain.space.periodic[0] or domain.time is None:
        raise SpecMismatchError(
            f"crank_nicolson solves a 1D problem on an interval with time; {type(equation).__name__} has "
            f"the domain {domain!r}"
        )
    x, t = axes["x"], axes["t"]
    (lo, hi), (t0, t1) = domain.bounds
    fine_x = np.linspace(lo, hi, (x.size - 1) * refine + 1)
    steps = (t.size - 1) * refine
    mesh_t, mesh_x = np.meshgrid(np.linspace(t0, t1, steps + 1), fine_x, indexing="ij")
    f = np.broadcast_to(np.asarray(equation.source({"x": mesh_x, "t": mesh_t}), dtype=np.float64), mesh_x.shape)
    s = diffusion_reaction(f[None], steps,
                           diffusion=equation.diffusion, reaction=equation.reaction, length=hi - lo,
                           t_final=t1 - t0, save_every=refine, tol=tol, max_newton=max_newton)
    return SolverOutput(s[0, ::refine, :], {"refine": refine, "steps": steps, "dt": (t1 - t0) / steps})
