r"""Finite differences and geometric multigrid for ``-div(a grad u) = f`` (zero Dirichlet, 2D).

Discretisation: the 5-point flux form on a uniform grid with the nodal
coefficient averaged harmonically onto cell faces,
``a[i+1/2, j] = 2 a[i, j] a[i+1, j] / (a[i, j] + a[i+1, j])`` (likewise along y),
which is second order for smooth ``a`` and gives a symmetric positive definite
matrix (:func:`darcy_matrix`).

Multigrid: V-cycles with red--black Gauss--Seidel on the variable stencil,
full-weighting restriction and bilinear prolongation (the kernels of
:mod:`solvers._mg_kernels`), and a sparse LU on the coarsest level. The coarse
operators are *rediscretised*: the nodal coefficient is restricted to the coarse
nodes by injection (``a[::2, ::2]``) and the harmonic face averages are formed
again with the coarse spacing. This is cheap and works well for smooth
coefficients; it is not a Galerkin operator, so for rough or high-contrast
coefficients (jumps not aligned with coarse grids) the convergence factor
degrades.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from equations.darcy import Darcy
from equations.errors import InvalidDataError, InvalidParameterError
from solvers import _darcy_kernels as dk
from solvers import _mg_kernels as k
from solvers.fd import check_spacing
from solvers.multigrid import MultigridInfo, summarize
from solvers.registry import SolverOutput, Stat, register

# grids with fewer points run their kernels on one thread (as in solvers.multigrid)
PARALLEL_MIN_POINTS = 256 * 256


def face_coefficients(a: np.ndarray, hx: float, hy: float) -> tuple[np.ndarray, np.ndarray]:
    """Harmonic face averages of the nodal ``a``, divided by ``hx**2`` and ``hy**2``.

    Returns ``(cx, cy)`` of the grid's shape: ``cx[i, j]`` belongs to the face
    between nodes ``(i, j)`` and ``(i + 1, j)``, ``cy[i, j]`` to the face between
    ``(i, j)`` and ``(i, j + 1)``; the unused last row of ``cx`` / column of ``cy``
    is zero.
    """
    cx = np.zeros(a.shape)
    cy = np.zeros(a.shape)
    cx[:-1, :] = 2.0 * a[:-1, :] * a[1:, :] / (a[:-1, :] + a[1:, :]) / hx**2
    cy[:, :-1] = 2.0 * a[:, :-1] * a[:, 1:] / (a[:, :-1] + a[:, 1:]) / hy**2
    return cx, cy


def _check_coefficient(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 2 or min(a.shape) < 3 or not np.issubdtype(a.dtype, np.number) or np.iscomplexobj(a):
        raise InvalidDataError(
            f"a must be a real 2D array with at least 3 points per axis, got shape {a.shape} and dtype {a.dtype}"
        )
    if not np.all(np.isfinite(a)):
        raise InvalidDataError("the coefficient a contains NaN or Inf")
    if not np.all(a > 0):
        raise InvalidDataError(f"the coefficient a must be positive everywhere, min is {a.min():g}")
    return np.ascontiguousarray(a, dtype=np.float64)


def darcy_matrix(a: np.ndarray, hx: float, hy: float) -> sp.csr_matrix:
    """The flux-form 5-point ``-div(a grad .)`` on the interior nodes (zero Dirichlet).

    Unknowns are the interior points ``a[1:-1, 1:-1]`` in C order; the matrix is
    symmetric positive definite.
    """
    check_spacing(hx, hy)
    a = _check_coefficient(a)
    cx, cy = face_coefficients(a, hx, hy)
    nx, ny = a.shape
    mx, my = nx - 2, ny - 2
    number = np.arange(mx * my).reshape(mx, my)
    w, e = cx[:-2, 1:-1], cx[1:-1, 1:-1]
    s, n = cy[1:-1, :-2], cy[1:-1, 1:-1]
    rows = [number.ravel()]
    cols = [number.ravel()]
    vals = [(w + e + s + n).ravel()]
    for sl_row, sl_col, c in (
        (number[1:, :], number[:-1, :], w[1:, :]),
        (number[:-1, :], number[1:, :], e[:-1, :]),
        (number[:, 1:], number[:, :-1], s[:, 1:]),
        (number[:, :-1], number[:, 1:], n[:, :-1]),
    ):
        rows.append(sl_row.ravel())
        cols.append(sl_col.ravel())
        vals.append(-c.ravel())
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(mx * my, mx * my))


@dataclass
class _Level:
    cx: np.ndarray
    cy: np.ndarray
    u: np.ndarray
    f: np.ndarray
    r: np.ndarray
    mask: np.ndarray  # uint8 interior, for the shared transfer kernels


class DarcyHierarchy:
    """Levels (face coefficients by rediscretisation of the injected ``a``) and the coarsest LU.

    Levels halve the grid while ``n - 1`` is even and ``n > 5`` on both axes.
    """

    def __init__(self, a: np.ndarray, hx: float, hy: float):
        check_spacing(hx, hy)
        a = _check_coefficient(a)
        self.levels: list[_Level] = []
        hx, hy = float(hx), float(hy)
        while True:
            shape = a.shape
            cx, cy = face_coefficients(a, hx, hy)
            mask = np.ones(shape, dtype=np.uint8)
            mask[0, :] = mask[-1, :] = mask[:, 0] = mask[:, -1] = 0
            self.levels.append(_Level(cx, cy, np.zeros(shape), np.zeros(shape), np.zeros(shape), mask))
            nx, ny = shape
            if not ((nx - 1) % 2 == 0 and (ny - 1) % 2 == 0 and nx > 5 and ny > 5):
                break
            a = np.ascontiguousarray(a[::2, ::2])  # injection of the nodal coefficient
            hx, hy = 2 * hx, 2 * hy
        self._coarse_a, self._coarse_h = a, (hx, hy)
        self._lu = splu(darcy_matrix(a, hx, hy).tocsc())

    @property
    def shape(self) -> tuple[int, int]:
        return self.levels[0].cx.shape

    def coarse_solve(self, u: np.ndarray, f: np.ndarray) -> None:
        """Exact solve on the coarsest level, written into the interior of ``u``."""
        u[1:-1, 1:-1] = self._lu.solve(np.ascontiguousarray(f[1:-1, 1:-1]).ravel()).reshape(
            u.shape[0] - 2, u.shape[1] - 2
        )


def _cycle(h: DarcyHierarchy, depth: int, u: np.ndarray, f: np.ndarray, pre: int, post: int, threads: int) -> None:
    if depth == len(h.levels) - 1:
        h.coarse_solve(u, f)
        return
    lv, nxt = h.levels[depth], h.levels[depth + 1]
    numba.set_num_threads(threads if lv.cx.size >= PARALLEL_MIN_POINTS else 1)
    for _ in range(pre):
        dk.rb_sweep(u, f, lv.cx, lv.cy, 0)
        dk.rb_sweep(u, f, lv.cx, lv.cy, 1)
    dk.residual(u, f, lv.cx, lv.cy, lv.r)
    k.restrict_full_weighting(lv.r, nxt.mask, nxt.f)
    nxt.u.fill(0.0)
    _cycle(h, depth + 1, nxt.u, nxt.f, pre, post, threads)
    numba.set_num_threads(threads if lv.cx.size >= PARALLEL_MIN_POINTS else 1)
    k.prolong_add(nxt.u, lv.mask, u)
    for _ in range(post):
        dk.rb_sweep(u, f, lv.cx, lv.cy, 0)
        dk.rb_sweep(u, f, lv.cx, lv.cy, 1)


# darcy_multigrid returns the same record as the constant-coefficient solver
DarcyInfo = MultigridInfo


def _count(name: str, v: object, low: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
        raise InvalidParameterError(f"{name} must be an integer >= {low}, got {v!r}")
    return int(v)


def darcy_multigrid(
    a: np.ndarray,
    f: np.ndarray,
    hx: float,
    hy: float,
    *,
    tol: float = 1e-10,
    pre: int = 2,
    post: int = 2,
    max_cycles: int = 50,
    threads: int | None = None,
) -> tuple[np.ndarray, DarcyInfo]:
    """Solve ``-div(a grad u) = f`` (flux-form 5-point, zero Dirichlet) by multigrid V-cycles.

    Parameters
    ----------
    a : numpy.ndarray
        Positive finite nodal coefficient on the ``(nx, ny)`` grid (boundary included).
    f : numpy.ndarray
        Right-hand side, same shape; values on the outer frame are ignored.
    hx, hy : float
        Grid spacings along axis 0 and axis 1.
    tol : float
        Stop when the relative residual ``||f - A u|| / ||f||`` is ``<= tol``.
    pre, post : int
        Red--black Gauss--Seidel sweeps before and after the coarse correction.
    max_cycles : int
        Cycle limit; stopping there (or at the rounding floor) gives
        ``converged=False`` and a RuntimeWarning.
    threads : int, optional
        numba threads for this solve (default: numba's current setting).

    Returns
    -------
    (numpy.ndarray, DarcyInfo)
        The solution (zero on the frame) and the convergence record.
    """
    check_spacing(hx, hy)
    a = _check_coefficient(a)
    f = np.asarray(f)
    if f.ndim != 2 or not np.issubdtype(f.dtype, np.number) or np.iscomplexobj(f):
        raise InvalidDataError(f"f must be a real 2D array, got shape {f.shape} and dtype {f.dtype}")
    if f.shape != a.shape:
        raise InvalidDataError(f"f shape {f.shape} does not match a shape {a.shape}")
    if not np.all(np.isfinite(f[1:-1, 1:-1])):
        raise InvalidDataError("f contains NaN or Inf at interior points")
    if not (isinstance(tol, (int, float)) and not isinstance(tol, bool) and math.isfinite(tol) and tol > 0):
        raise InvalidParameterError(f"tol must be a positive finite number, got {tol!r}")
    pre, post = _count("pre", pre, 0), _count("post", post, 0)
    if pre + post < 1:
        raise InvalidParameterError("at least one smoothing sweep (pre + post >= 1) is needed")
    max_cycles = _count("max_cycles", max_cycles, 1)
    if threads is not None:
        threads = min(_count("threads", threads, 1), numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]

    start = time.perf_counter()
    h = DarcyHierarchy(a, hx, hy)
    setup = time.perf_counter() - start
    rhs = np.zeros(f.shape)
    rhs[1:-1, 1:-1] = f[1:-1, 1:-1]
    u = np.zeros(f.shape)
    fine = h.levels[0]
    saved = numba.get_num_threads()
    nthreads = threads or saved
    try:
        numba.set_num_threads(nthreads)
        norm_f = math.sqrt(float(np.sum(rhs * rhs)))
        history = [0.0] if norm_f == 0.0 else [1.0]
        stalled = 0
        while history[-1] > tol and len(history) <= max_cycles:
            _cycle(h, 0, u, rhs, pre, post, nthreads)
            numba.set_num_threads(nthreads)
            history.append(math.sqrt(dk.residual_sumsq(u, rhs, fine.cx, fine.cy)) / norm_f)
            stalled = stalled + 1 if history[-1] > 0.95 * history[-2] else 0
            if stalled >= 3:
                break
    finally:
        numba.set_num_threads(saved)
    elapsed = time.perf_counter() - start - setup
    return u, summarize(history, tol, len(h.levels), setup, elapsed, "darcy multigrid")


@register(Darcy, "multigrid")
def solve_darcy(
    equation: Darcy,
    axes: dict[str, np.ndarray],
    *,
    tol: float = 1e-10,
    pre: int = 2,
    post: int = 2,
    max_cycles: int = 50,
    threads: int | None = None,
) -> SolverOutput:
    """Registered solver: flux-form FD with harmonic face averages, multigrid V-cycles to ``tol``.

    Options are those of :func:`darcy_multigrid`.
    """
    x, y = axes["x"], axes["y"]
    mesh = np.meshgrid(x, y, indexing="ij")
    coords = {"x": mesh[0], "y": mesh[1]}
    hx, hy = (x[-1] - x[0]) / (x.size - 1), (y[-1] - y[0]) / (y.size - 1)
    u, info = darcy_multigrid(
        equation.coefficient(coords),
        equation.source(coords),
        hx,
        hy,
        tol=tol,
        pre=pre,
        post=post,
        max_cycles=max_cycles,
        threads=threads,
    )
    stats: dict[str, Stat] = {
        "cycles": info.cycles,
        "relative_residual": info.residuals[-1],
        "convergence_factor": info.convergence_factor,
        "converged": int(info.converged),
        "levels": info.levels,
    }
    return SolverOutput(u, stats)
