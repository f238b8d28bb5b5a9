r"""Finite differences and geometric multigrid for ``-div(a grad u) = f`` in 2D.

Discretisation: the 5-point flux form on a uniform grid with the nodal
coefficient averaged harmonically onto cell faces,
``a[i+1/2, j] = 2 a[i, j] a[i+1, j] / (a[i, j] + a[i+1, j])`` (likewise along y),
which is second order for smooth ``a`` and gives a symmetric matrix
(:func:`darcy_matrix`, :func:`darcy_system`).

Boundaries: each box side is zero Dirichlet or, when named in ``neumann``
(``"x0"`` is ``a[0, :]``, ``"x1"`` ``a[-1, :]``, ``"y0"`` / ``"y1"`` along
axis 1), zero flux. Nodes on a Neumann side are unknowns owning half a
control volume (a quarter at a corner of two Neumann sides): their tangential
faces are halved and the right-hand side is ``b = volume * f``. Dividing the
row by the volume gives the ghost-point reflection ``u[-1] = u[1]``, so the
scheme stays second order there (measured 1.98, 2.00 on 33 -> 65 -> 129). A
``solid`` node mask removes nodes from the unknowns and zeroes every face
touching them: the wall lies on the faces halfway between fluid and solid
nodes (staircase geometry). Dirichlet values are zero only.

Pure Neumann (no Dirichlet node reachable) is singular with the constants as
null space. The control-volume sum of ``b`` must vanish up to quadrature error:
a defect above 1% of ``sum(volume |f|)`` raises InvalidDataError, a smaller
one (``O(h^2)`` for a sampled compatible ``f``) is projected out silently; the
solution returned has zero control-volume-weighted mean, and the coarsest
level solves the system bordered by the constant vector. A fluid region cut
off from every Dirichlet node is rejected unless it is the only region.

Multigrid, ``coarse="galerkin"`` (the default): coarse operators
``A_c = R A P`` with bilinear ``P`` and full weighting ``R = P^T / 4``,
stored as per-point 9-point stencils (:mod:`solvers.multigrid.galerkin`) and
computed by probing with 9 coloured coarse vectors (exact ``R A P``, checked
against SciPy's triple product in the tests). Smoothing is 4-colour
Gauss--Seidel (colours ``(i % 2, j % 2)``, reversed after the coarse
correction), the coarsest level a sparse LU. A coarse node is an unknown when
the fine node under it is one, or is solid with a fine unknown beside it, so
that ``P`` reproduces constants next to obstacles (convergence factor 0.12
instead of 0.84 for a disk in a 129^2 box).

``coarse="rediscretize"``: the nodal coefficient is injected to the coarse
nodes (``a[::2, ::2]``) and the harmonic faces formed again; 5-point
red--black smoothing (:mod:`solvers.multigrid.flux`). This path is unchanged,
cheaper per cycle, and better on smooth coefficients (factor 0.063 vs 0.111
for contrast 10 at 65^2), but supports only all-Dirichlet boxes without
solid nodes and fails on rough high-contrast coefficients.

Why Galerkin is the default (V(2,2), measured): on FNO-style thresholded
fields (12 / 3, features ~4 cells at 129^2) both paths give about 0.29-0.32;
with jumps 12 / 0.12 the rediscretised cycle diverges (factor 7.7 at 129^2,
2.6 with coarser features) while Galerkin converges (0.86, 0.37); and only
Galerkin handles Neumann sides and obstacles. Bilinear ``P`` is not
operator-dependent, so high-contrast factors are still far from the smooth
case's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp
from scipy import ndimage

from equations.darcy import Darcy
from equations.errors import InvalidDataError, InvalidParameterError, check_choice
from solvers.dirichlet import check_steady_domain, dirichlet_lift, divergence_flux_of, frame
from solvers.fd import check_spacings
from solvers.multigrid.core import (
    CYCLES,
    DirectSolve,
    LevelHierarchy,
    MultigridInfo,
    Plan,
    check_iteration,
    coarsenable,
    make_plan,
    solve_cycles,
)
from solvers.multigrid.flux import FluxLevel2D, interior_mask
from solvers.multigrid.galerkin import STENCIL_OFFSETS, GalerkinHierarchy, ProlongationRule, stencil_matrix
from solvers.registry import SolverOutput, needs_memory, register


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


def check_coefficient(a: object, ndim: int = 2) -> np.ndarray:
    """The nodal coefficient as a contiguous float64 array, or InvalidDataError (shape, NaN, a <= 0)."""
    a = np.asarray(a)
    if a.ndim != ndim or min(a.shape) < 3 or not np.issubdtype(a.dtype, np.number) or np.iscomplexobj(a):
        raise InvalidDataError(
            f"a must be a real {ndim}D array with at least 3 points per axis, got shape {a.shape} and dtype {a.dtype}"
        )
    if not np.all(np.isfinite(a)):
        raise InvalidDataError("the coefficient a contains NaN or Inf")
    if not np.all(a > 0):
        raise InvalidDataError(f"the coefficient a must be positive everywhere, min is {a.min():g}")
    return np.ascontiguousarray(a, dtype=np.float64)


SIDES = ("x0", "x1", "y0", "y1")
COARSE = ("galerkin", "rediscretize")
# pure Neumann: |sum(w f)| / sum(w |f|) above this is an incompatible source
COMPATIBILITY_TOL = 1e-2


def neumann_sides(neumann: object, valid: tuple[str, ...] = SIDES) -> frozenset[str]:
    """The zero-flux sides named in ``neumann`` (a name or a collection of names out of ``valid``)."""
    if isinstance(neumann, str):
        neumann = (neumann,)
    try:
        names: tuple[object, ...] = tuple(neumann)  # type: ignore[arg-type]
    except TypeError:
        raise InvalidParameterError(f"neumann must be a collection of side names {valid}, got {neumann!r}") from None
    for name in names:
        if name not in valid:
            raise InvalidParameterError(f"unknown side {name!r} in neumann; the sides are {', '.join(valid)}")
    return frozenset(str(name) for name in names)


def check_solid(solid: object, shape: tuple[int, int]) -> np.ndarray | None:
    """The solid mask as bool (None when absent or empty), or InvalidDataError (shape, not 0/1)."""
    if solid is None:
        return None
    m = np.asarray(solid)
    if m.shape != shape:
        raise InvalidDataError(f"solid mask shape {m.shape} does not match the grid shape {shape}")
    if m.dtype != np.bool_:
        if not np.issubdtype(m.dtype, np.number) or not np.all(np.isin(m, (0, 1))):
            raise InvalidDataError(f"solid must be a boolean mask (True = solid), got dtype {m.dtype}")
        m = m.astype(bool)
    return m if m.any() else None


@dataclass
class Discrete:
    """The discrete problem on the real grid: faces, unknowns, control volumes."""

    cx: np.ndarray
    cy: np.ndarray
    unknown: np.ndarray  # bool, grid shape
    volume: np.ndarray  # control-volume fraction of each node (1, 1/2 on Neumann sides, 1/4 at corners)
    singular: bool  # no Dirichlet node reachable: the constants are the null space
    solid: np.ndarray | None


def discretize(a: np.ndarray, hx: float, hy: float, sides: frozenset[str], solid: np.ndarray | None) -> Discrete:
    """Faces, unknowns and control volumes of the checked problem (see the module docstring).

    Raises
    ------
    InvalidDataError
        No unknowns, or a fluid region cut off from every Dirichlet node that is not the only region.
    """
    cx, cy = face_coefficients(a, hx, hy)
    nx, ny = a.shape
    frame = np.zeros(a.shape, dtype=bool)
    for side, sl in (("x0", np.s_[0, :]), ("x1", np.s_[-1, :]), ("y0", np.s_[:, 0]), ("y1", np.s_[:, -1])):
        if side not in sides:
            frame[sl] = True
    # a Neumann boundary node owns half a control volume: its tangential faces are half as long
    wx, wy = np.ones(nx), np.ones(ny)
    if "x0" in sides:
        cy[0, :] *= 0.5
        wx[0] = 0.5
    if "x1" in sides:
        cy[-1, :] *= 0.5
        wx[-1] = 0.5
    if "y0" in sides:
        cx[:, 0] *= 0.5
        wy[0] = 0.5
    if "y1" in sides:
        cx[:, -1] *= 0.5
        wy[-1] = 0.5
    unknown = ~frame
    dirichlet = frame.copy()
    if solid is not None:
        unknown &= ~solid
        dirichlet &= ~solid
        cx[:-1, :][solid[:-1, :] | solid[1:, :]] = 0.0
        cy[:, :-1][solid[:, :-1] | solid[:, 1:]] = 0.0
    if not unknown.any():
        raise InvalidDataError("no unknowns: every node is solid or on a Dirichlet side")
    # every connected piece of the fluid must reach a Dirichlet node, or be the only piece
    labels, pieces = ndimage.label(unknown)
    touch = np.zeros(a.shape, dtype=bool)
    touch[1:, :] |= dirichlet[:-1, :]
    touch[:-1, :] |= dirichlet[1:, :]
    touch[:, 1:] |= dirichlet[:, :-1]
    touch[:, :-1] |= dirichlet[:, 1:]
    anchored = np.unique(labels[touch & unknown])
    floating = pieces - anchored.size
    if floating and (anchored.size or pieces > 1):
        raise InvalidDataError(
            f"{floating} region(s) of the fluid are enclosed by solid nodes and Neumann sides without any "
            "Dirichlet node: their solution is not unique"
        )
    return Discrete(cx, cy, unknown, np.outer(wx, wy), floating == 1, solid)


def fine_stencil(d: Discrete) -> np.ndarray:
    """The padded ``(nx + 2, ny + 2, 9)`` stencil of the 5-point flux form on the unknowns."""
    m = d.unknown
    nx, ny = m.shape
    west, east, south, north = (np.zeros(m.shape) for _ in range(4))
    west[1:, :], east[:-1, :] = d.cx[:-1, :], d.cx[:-1, :]
    south[:, 1:], north[:, :-1] = d.cy[:, :-1], d.cy[:, :-1]
    s = np.zeros((nx + 2, ny + 2, 9))
    inner = s[1:-1, 1:-1]
    pad = np.zeros((nx + 2, ny + 2), dtype=bool)
    pad[1:-1, 1:-1] = m
    for kk, c in ((1, west), (7, east), (3, south), (5, north)):
        di, dj = STENCIL_OFFSETS[kk]
        inner[:, :, kk] = -c * pad[1 + di : nx + 1 + di, 1 + dj : ny + 1 + dj] * m
    inner[:, :, 4] = (west + east + south + north) * m
    return s


def darcy_system(
    a: np.ndarray,
    f: np.ndarray,
    hx: float,
    hy: float,
    *,
    neumann: Iterable[str] = (),
    solid: np.ndarray | None = None,
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """The symmetric system ``A x = b`` that :func:`darcy_multigrid` solves, and its index map.

    Returns ``(A, b, index)``: ``index`` has the grid's shape and holds the row
    of each unknown (C order over the grid) and ``-1`` at Dirichlet and solid
    nodes; ``b = volume * f`` on the unknowns, ``volume`` being 1 inside, 1/2 on
    Neumann sides and 1/4 at Neumann corners. ``A`` is symmetric positive
    definite, or semidefinite with the constants as null space when no
    Dirichlet node remains (pure Neumann; ``b`` is then *not* projected).
    """
    check_spacings(hx, hy)
    a = check_coefficient(a)
    sides, solid_mask = neumann_sides(neumann), check_solid(solid, a.shape)
    f = check_source(f, a.shape)
    d = discretize(a, hx, hy, sides, solid_mask)
    index = np.full(a.shape, -1)
    index[d.unknown] = np.arange(int(d.unknown.sum()))
    pad = np.zeros((a.shape[0] + 2, a.shape[1] + 2), dtype=bool)
    pad[1:-1, 1:-1] = d.unknown
    b = (d.volume * f)[d.unknown]
    if not np.all(np.isfinite(b)):
        raise InvalidDataError("f contains NaN or Inf at unknowns")
    return stencil_matrix(fine_stencil(d), pad), b, index


def darcy_matrix(
    a: np.ndarray,
    hx: float,
    hy: float,
    *,
    neumann: Iterable[str] = (),
    solid: np.ndarray | None = None,
) -> sp.csr_matrix:
    """The flux-form 5-point ``-div(a grad .)`` on the unknowns (see :func:`darcy_system`).

    With the defaults (zero Dirichlet on every side, no solid) the unknowns are
    the interior points ``a[1:-1, 1:-1]`` in C order and the matrix is
    symmetric positive definite.
    """
    return darcy_system(a, np.zeros(np.shape(a)), hx, hy, neumann=neumann, solid=solid)[0]


def check_source(f: object, shape: tuple[int, ...]) -> np.ndarray:
    """The right-hand side as float64, or InvalidDataError unless it is real with ``a``'s shape."""
    f = np.asarray(f)
    if f.ndim != len(shape) or not np.issubdtype(f.dtype, np.number) or np.iscomplexobj(f):
        raise InvalidDataError(f"f must be a real {len(shape)}D array, got shape {f.shape} and dtype {f.dtype}")
    if f.shape != shape:
        raise InvalidDataError(f"f shape {f.shape} does not match a shape {shape}")
    return np.asarray(f, dtype=np.float64)


def rediscretized_hierarchy(a: np.ndarray, hx: float, hy: float) -> LevelHierarchy[FluxLevel2D]:
    """Levels whose face coefficients rediscretise the injected ``a`` (all Dirichlet), and the coarsest LU.

    Levels halve the grid while ``n - 1`` is even and ``n > 5`` on both axes.
    """
    check_spacings(hx, hy)
    a = check_coefficient(a)
    levels: list[FluxLevel2D] = []
    hx, hy = float(hx), float(hy)
    while True:
        shape = a.shape
        cx, cy = face_coefficients(a, hx, hy)
        levels.append(FluxLevel2D(interior_mask(shape), np.zeros(shape), np.zeros(shape), np.zeros(shape), cx, cy))
        if not coarsenable(shape):
            break
        a = np.ascontiguousarray(a[::2, ::2])  # injection of the nodal coefficient
        hx, hy = 2 * hx, 2 * hy
    return LevelHierarchy(levels, DirectSolve(darcy_matrix(a, hx, hy), interior_mask(a.shape)))


def galerkin_hierarchy(d: Discrete, prolongation: ProlongationRule | None = None) -> GalerkinHierarchy:
    """The Galerkin multigrid hierarchy of the discrete problem ``d`` (bilinear ``P`` unless a rule is given)."""
    return GalerkinHierarchy(fine_stencil(d), d.unknown, d.solid, d.singular, prolongation)


# darcy_multigrid returns the same record as the constant-coefficient solver
DarcyInfo = MultigridInfo


def darcy_multigrid(
    a: np.ndarray,
    f: np.ndarray,
    hx: float,
    hy: float,
    *,
    neumann: Iterable[str] = (),
    solid: np.ndarray | None = None,
    coarse: str = "galerkin",
    cycle: str = "V",
    tol: float = 1e-10,
    pre: int = 2,
    post: int = 2,
    max_cycles: int = 50,
    threads: int | None = None,
) -> tuple[np.ndarray, DarcyInfo]:
    """Solve ``-div(a grad u) = f`` (flux-form 5-point) by multigrid cycles.

    Parameters
    ----------
    a : numpy.ndarray
        Positive finite nodal coefficient on the ``(nx, ny)`` grid (boundary included).
    f : numpy.ndarray
        Right-hand side, same shape; read on the unknowns only (the interior and
        the Neumann sides, never on Dirichlet sides or solid nodes).
    hx, hy : float
        Grid spacings along axis 0 and axis 1.
    neumann : iterable of str
        Box sides with zero flux, a subset of ``("x0", "x1", "y0", "y1")``
        (``x0`` is ``a[0, :]``, ``y1`` is ``a[:, -1]``); the other sides are
        zero Dirichlet.
    solid : numpy.ndarray of bool, optional
        Solid nodes (``True``): not unknowns, zero flux through every face that
        touches them. The solution is reported as 0 there.
    coarse : {"galerkin", "rediscretize"}
        Coarse operators: Galerkin ``R A P`` (default, robust) or the cheaper
        rediscretisation of the injected coefficient (all-Dirichlet boxes
        without solid only).
    cycle : {"V", "W", "F"}
        Cycle kind.
    tol : float
        Stop when the relative residual ``||b - A u|| / ||b||`` is ``<= tol``
        (``A``, ``b`` those of :func:`darcy_system`).
    pre, post : int
        Gauss--Seidel sweeps (red--black, or 4-colour on the Galerkin path)
        before and after the coarse correction.
    max_cycles : int
        Cycle limit; stopping there (or at the rounding floor) gives
        ``converged=False`` and a RuntimeWarning.
    threads : int, optional
        numba threads for this solve (default: numba's current setting).

    Returns
    -------
    (numpy.ndarray, DarcyInfo)
        The solution (zero on Dirichlet sides and solid nodes; with no Dirichlet
        node at all, the one with zero control-volume-weighted mean) and the
        convergence record.

    Raises
    ------
    InvalidDataError
        Bad ``a``, ``f`` or ``solid``; a fluid region without a Dirichlet node
        unless it is the whole problem; a pure Neumann ``f`` that is incompatible
        (``|sum(w f)| > 1e-2 sum(w |f|)`` over the unknowns, ``w`` the control volumes).
    """
    check_spacings(hx, hy)
    a = check_coefficient(a)
    f = check_source(f, a.shape)
    sides, solid_mask = neumann_sides(neumann), check_solid(solid, a.shape)
    coarse = check_choice("coarse", coarse, COARSE)
    cycle = check_choice("cycle", cycle, CYCLES)
    # the Galerkin smoother runs its colours in reverse after the coarse correction
    plan = make_plan(pre, post, cycle=cycle, reverse_post=coarse == "galerkin")
    tol, max_cycles, threads = check_iteration(tol, max_cycles, threads)
    if coarse == "rediscretize":
        if sides or solid_mask is not None:
            raise InvalidParameterError(
                "coarse='rediscretize' supports zero Dirichlet on every side without solid nodes; "
                "use coarse='galerkin' with neumann or solid"
            )
        if not np.all(np.isfinite(f[1:-1, 1:-1])):
            raise InvalidDataError("f contains NaN or Inf at interior points")
        return _rediscretized(a, f, hx, hy, plan, tol, max_cycles, threads)
    return _galerkin(a, f, hx, hy, sides, solid_mask, plan, tol, max_cycles, threads)


def _rediscretized(
    a: np.ndarray, f: np.ndarray, hx: float, hy: float, plan: Plan, tol: float, max_cycles: int, threads: int | None
) -> tuple[np.ndarray, DarcyInfo]:
    start = time.perf_counter()
    h = rediscretized_hierarchy(a, hx, hy)
    setup = time.perf_counter() - start
    rhs = np.zeros(f.shape)
    rhs[1:-1, 1:-1] = f[1:-1, 1:-1]
    u = np.zeros(f.shape)
    # u = 0: the first relative residual is exactly 1
    info = solve_cycles(
        h, u, rhs, plan, tol=tol, max_cycles=max_cycles, threads=threads, setup_s=setup, name="darcy multigrid",
        norm_f=math.sqrt(float(np.sum(rhs * rhs))), residual0=1.0,
    )  # fmt: skip
    return u, info


def _galerkin(
    a: np.ndarray, f: np.ndarray, hx: float, hy: float, sides: frozenset[str], solid: np.ndarray | None,
    plan: Plan, tol: float, max_cycles: int, threads: int | None,
) -> tuple[np.ndarray, DarcyInfo]:  # fmt: skip
    start = time.perf_counter()
    d = discretize(a, hx, hy, sides, solid)
    if not np.all(np.isfinite(f[d.unknown])):
        raise InvalidDataError("f contains NaN or Inf at unknowns")
    b_real = np.where(d.unknown, d.volume * f, 0.0)
    if d.singular:
        total, scale = float(b_real.sum()), float(np.abs(b_real).sum())
        if abs(total) > COMPATIBILITY_TOL * scale:
            raise InvalidDataError(
                "incompatible source for a pure Neumann problem: the control-volume sum of f is "
                f"{total:.3e}, {abs(total) / scale:.1%} of the sum of |f| (must be ~0, tolerance "
                f"{COMPATIBILITY_TOL:.0%})"
            )
        # remove the quadrature-level defect: b orthogonal to the constants
        b_real[d.unknown] -= d.volume[d.unknown] * (total / float(d.volume[d.unknown].sum()))
    saved = numba.get_num_threads()
    try:
        numba.set_num_threads(threads or saved)  # the probing of R A P runs the parallel kernels
        h = galerkin_hierarchy(d)
    finally:
        numba.set_num_threads(saved)
    setup = time.perf_counter() - start
    b = np.zeros(h.levels[0].u.shape)
    b[1:-1, 1:-1] = b_real
    u = np.zeros(b.shape)
    # u = 0: the first relative residual is exactly 1
    info = solve_cycles(
        h, u, b, plan, tol=tol, max_cycles=max_cycles, threads=threads, setup_s=setup, name="darcy multigrid",
        norm_f=math.sqrt(float(np.sum(b * b))), residual0=1.0,
    )  # fmt: skip
    out = np.ascontiguousarray(u[1:-1, 1:-1])
    if d.singular:
        w = d.volume[d.unknown]
        out[d.unknown] -= float(np.sum(w * out[d.unknown])) / float(w.sum())
    return out, info


# Galerkin coarse operators (9 coefficients per node and level) and the work arrays: measured 260 B at 1025^2
@needs_memory(300)
@register(Darcy, "multigrid", reads=("coefficient", "coefficient_gradient", "source", "conditions", "domain"))
def solve_darcy(
    equation: Darcy,
    axes: dict[str, np.ndarray],
    *,
    coarse: str = "galerkin",
    cycle: str = "V",
    tol: float = 1e-10,
    pre: int = 2,
    post: int = 2,
    max_cycles: int = 50,
    threads: int | None = None,
) -> SolverOutput:
    """Registered solver: flux-form FD with harmonic face averages, multigrid V-cycles to ``tol``.

    The coefficient, source, Dirichlet data and box are taken from the spec
    instance, so a subclass may redefine them. Options are those of
    :func:`darcy_multigrid`.
    """
    check_steady_domain(equation, "multigrid")
    x, y = axes["x"], axes["y"]
    mesh = np.meshgrid(x, y, indexing="ij")
    coords = {"x": mesh[0], "y": mesh[1]}
    hx, hy = (x[-1] - x[0]) / (x.size - 1), (y[-1] - y[0]) / (y.size - 1)
    a = check_coefficient(np.broadcast_to(np.asarray(equation.coefficient(coords), dtype=np.float64), mesh[0].shape))
    f = check_source(np.broadcast_to(np.asarray(equation.source(coords), dtype=np.float64), a.shape), a.shape)
    lift = dirichlet_lift(equation, axes, frame(a.shape), "multigrid")
    u, info = darcy_multigrid(
        a, f + divergence_flux_of(lift, *face_coefficients(a, hx, hy)), hx, hy,
        coarse=coarse, cycle=cycle, tol=tol, pre=pre, post=post, max_cycles=max_cycles, threads=threads,
    )  # fmt: skip
    return SolverOutput(u + lift, info.stats())
