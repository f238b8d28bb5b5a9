r"""Steady incompressible Navier--Stokes in the 2D lid-driven square cavity: a classical reference.

The cavity is ``[0, 1]^2``; the lid ``y = 1`` slides at speed 1 along +x, the
other walls rest (no slip), and ``Re = U L / nu`` with ``U = L = 1``.
:func:`cavity_flow` returns the steady flow on a uniform ``(n + 1) x (n + 1)``
vertex grid.

Discretisation (the streamfunction--vorticity form, as in Ghia, Ghia & Shin
1982): ``u = psi_y``, ``v = -psi_x``, ``omega = v_x - u_y``,

* ``Laplacian(psi) = -omega`` (5-point stencil, ``psi = 0`` on the walls),
* ``u omega_x + v omega_y = Laplacian(omega) / Re`` (second-order central
  differences for the convection and the diffusion),
* Thom's wall vorticity ``omega_w = -2 psi_1 / h^2 - 2 U_w / h`` (``psi_1`` at
  the first interior node along the wall normal, ``U_w`` the wall's tangential
  speed): first order at the wall itself, second order for the interior
  field (the known result for Thom's condition; measured here: the change of
  the centreline velocities between successive grids falls by 4.0 +- 0.2 per
  halving of ``h`` from 65^2 to 513^2, and at ``Re = 1000`` the Richardson
  extrapolation of the 257^2 and 513^2 centreline velocities agrees with the
  spectral benchmark of Botella & Peyret (1998) to 2.5e-5).

The velocities are central differences of ``psi`` (second order) and by
construction discretely divergence free; the corners belong to the resting
side walls (``u = v = 0`` there).

Pressure: the steady momentum equation gives ``grad p = F = -(u . grad) u +
(1 / Re) (-omega_y, omega_x)`` (``Laplacian(u) = (-omega_y, omega_x)`` for a
divergence-free field), so ``p`` solves ``Laplacian(p) = div F`` with
``dp/dn = F . n`` on the walls. In control-volume form (half volumes on the
walls) the wall fluxes cancel and only the interior faces carry ``F``, so the
pure Neumann problem is exactly compatible; it is solved by the toolkit's
Galerkin multigrid (:func:`solvers.darcy.darcy_multigrid`, four Neumann
sides), and ``p`` has zero control-volume-weighted mean. Against Botella &
Peyret's pressure at ``Re = 1000`` the centreline error is 2.4e-2, 6.2e-3 and
1.6e-3 on 65^2, 129^2 and 257^2 (second order); ``p`` is singular at the two
lid corners.

Solution: the coupled nonlinear system is solved by Newton's method with
pseudo-transient continuation (Kelley & Keyes 1998): each step solves
``(J - D / dtau) delta = -R``, ``D`` the pseudo-time term of the vorticity
rows (an implicit Euler step of the vorticity transport), with a sparse LU
(SuperLU); ``dtau`` grows as the residual falls ("switched evolution
relaxation", ``dtau *= ||R_old|| / ||R_new||``), so the iteration starts as a
stable implicit pseudo-time march and ends as Newton's method with quadratic
convergence; a step that more than doubles the residual is rejected and
``dtau`` cut by 4. Grid sequencing solves ``n / 2``, ``n / 4`` ... (down to
:data:`COARSEST` intervals) first and interpolates each solution as the next
grid's initial guess, so the fine grid needs only a few Newton steps.

Why this rather than an explicit or Gauss--Seidel pseudo-time march with a
multigrid streamfunction solve per step: such a march is limited to steps of
about ``min(h / U, Re h^2 / 4)`` (0.004 at ``Re = 1000`` and 3.8e-4 at
``Re = 100`` on 257^2) and needs tens of time units to settle, so ``10^4``
steps or more, each with a Poisson solve (an estimate, not measured here);
pseudo-transient Newton reaches a residual of ``1e-10`` or below in 15 (``Re =
100``) to 45 (``Re = 1000``) LU solves over the whole grid sequence, 9 s for
257^2 at ``Re = 1000`` on two cores (``validation/benchmarks/cavity.py``).

The residual reported (and tested against ``tol``) is that of the discrete
equations, point-Jacobi scaled (the change one Jacobi update would make to
each unknown) and relative: ``max(|R_psi|_inf / |psi|_inf, |R_omega|_inf /
|omega|_inf)``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from equations.errors import ConvergenceError, InvalidParameterError, check_integer, is_finite_number
from solvers import cavity_kernels as ck

#: Lid speed (the velocity scale of ``Re``).
LID_SPEED = 1.0
#: Largest ``n``: the LU of the Newton system needs about 30 M nonzeros at ``n = 256`` and grows like ``n^2 log n``.
MAX_N = 512
#: Grid sequencing stops halving at this many intervals.
COARSEST = 32
#: Initial pseudo-time step on the coarsest grid (from rest) and on the finer grids (from the interpolated flow).
DTAU_START = 0.05
DTAU_REFINED = 10.0
#: A step is rejected when it multiplies the residual RMS by more than this.
MAX_GROWTH = 2.0
#: ``dtau`` beyond this is treated as infinite (pure Newton).
DTAU_MAX = 1e12


@dataclass(frozen=True)
class CavityFlow:
    """A steady lid-driven cavity flow on the ``(n + 1) x (n + 1)`` vertex grid.

    Grid arrays are indexed ``[i, j]``: ``i`` along ``x``, ``j`` along ``y``
    (``u[i, j]`` is the velocity at ``(x[i], y[j])``; ``j = n`` is the lid).

    Attributes
    ----------
    x, y : numpy.ndarray
        Node coordinates, ``linspace(0, 1, n + 1)``.
    u, v : numpy.ndarray
        Velocity components (the lid speed is 1).
    p : numpy.ndarray
        Pressure (zero control-volume-weighted mean; singular at the lid corners).
    psi : numpy.ndarray
        Streamfunction (``u = psi_y``, ``v = -psi_x``, zero on the walls; negative in
        the clockwise primary vortex).
    omega : numpy.ndarray
        Vorticity ``v_x - u_y`` (the corners hold the mean of their wall neighbours).
    reynolds : float
        ``Re = U L / nu``.
    iterations : int
        Newton (LU) solves over all grids, rejected steps included.
    residual : float
        Final relative residual (see the module docstring).
    converged : bool
        Whether ``residual <= tol`` (always True for a returned flow).
    wall_time_s : float
        Wall time of the solve, pressure included.
    levels : tuple of int
        The grid sequence (intervals per side), coarsest first.
    pressure_cycles : int
        Multigrid cycles of the pressure solve.
    """

    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    p: np.ndarray
    psi: np.ndarray
    omega: np.ndarray
    reynolds: float
    iterations: int
    residual: float
    converged: bool
    wall_time_s: float
    levels: tuple[int, ...] = field(default=())
    pressure_cycles: int = 0

    @property
    def n(self) -> int:
        """Intervals per side."""
        return int(self.x.size - 1)

    def stats(self) -> dict[str, int | float]:
        """The solve's record: iterations, residual, converged (0/1), wall time, grid, pressure cycles."""
        return {"n": self.n, "reynolds": self.reynolds, "iterations": self.iterations, "residual": self.residual,
                "converged": int(self.converged), "wall_time_s": self.wall_time_s,
                "pressure_cycles": self.pressure_cycles}

    def sample(self, name: str, x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
        """Field ``name`` (``"u"``, ``"v"``, ``"p"``, ``"psi"``, ``"omega"``) at points, by bicubic interpolation.

        ``x`` and ``y`` broadcast against each other; at grid nodes the values
        are the nodal ones (the spline interpolates).
        """
        from scipy.interpolate import RectBivariateSpline

        if name not in ("u", "v", "p", "psi", "omega"):
            raise InvalidParameterError(f"name must be one of 'u', 'v', 'p', 'psi', 'omega', got {name!r}")
        xs, ys = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        if np.any((xs < 0) | (xs > 1) | (ys < 0) | (ys > 1)) or not np.all(np.isfinite(xs) & np.isfinite(ys)):
            raise InvalidParameterError("sample points must lie in the cavity [0, 1]^2")
        spline = RectBivariateSpline(self.x, self.y, getattr(self, name), kx=3, ky=3, s=0)
        return np.asarray(spline.ev(xs, ys))


def _check(n: object, reynolds: object, tol: object, max_iterations: object) -> tuple[int, float, float, int]:
    n = check_integer("n", n, 4)
    if n > MAX_N:
        raise InvalidParameterError(f"n must be <= {MAX_N} (the Newton system's LU would not fit), got {n}")
    if not is_finite_number(reynolds) or reynolds <= 0:  # type: ignore[operator]
        raise InvalidParameterError(f"reynolds must be a finite number > 0, got {reynolds!r}")
    if not is_finite_number(tol) or not 0 < tol < 1:  # type: ignore[operator]
        raise InvalidParameterError(f"tol must be a finite number in (0, 1), got {tol!r}")
    max_iterations = check_integer("max_iterations", max_iterations, 1)
    return n, float(reynolds), float(tol), max_iterations  # type: ignore[arg-type]


def grid_sequence(n: int, coarsest: int = COARSEST) -> list[int]:
    """The grids solved for ``n`` intervals, coarsest first: ``n`` halved while even and not below ``coarsest``."""
    levels = [n]
    while levels[-1] % 2 == 0 and levels[-1] // 2 >= coarsest:
        levels.append(levels[-1] // 2)
    return levels[::-1]


def prolong(coarse: np.ndarray) -> np.ndarray:
    """Bilinear interpolation of a ``(m + 1)^2`` grid onto the ``(2 m + 1)^2`` grid of half the spacing."""
    m = coarse.shape[0] - 1
    fine = np.empty((2 * m + 1, 2 * m + 1))
    fine[::2, ::2] = coarse
    fine[1::2, ::2] = 0.5 * (coarse[:-1, :] + coarse[1:, :])
    fine[:, 1::2] = 0.5 * (fine[:, :-2:2] + fine[:, 2::2])
    return fine


class _Level:
    """One grid's unknown numbering, work arrays and pseudo-time term."""

    def __init__(self, n: int, reynolds: float):
        n1 = n + 1
        self.n, self.reynolds, self.h = n, reynolds, 1.0 / n
        self.ipsi = np.empty((n1, n1), dtype=np.int64)
        self.iom = np.empty((n1, n1), dtype=np.int64)
        self.size = int(ck.numbering(n, self.ipsi, self.iom))
        slots = n1 * n1 * ck.SLOTS
        self.rows = np.empty(slots, dtype=np.int64)
        self.cols = np.empty(slots, dtype=np.int64)
        self.vals = np.empty(slots)
        self.res = np.empty(self.size)
        # the pseudo-time term of the vorticity rows, which are scaled by Re h^2
        self.mass = np.zeros(self.size)
        self.mass[self.iom[self.ipsi >= 0]] = reynolds * self.h * self.h

    def evaluate(self, psi: np.ndarray, om: np.ndarray, jacobian: bool) -> tuple[float, float]:
        """Residual at ``(psi, om)`` (and the Jacobian triplets): ``(relative max residual, RMS)``."""
        ck.assemble(psi, om, self.reynolds, self.h, LID_SPEED, self.ipsi, self.iom, self.rows, self.cols,
                    self.vals, self.res, jacobian)
        mpsi, mom, rms = ck.residual_norms(self.res, self.ipsi, self.iom, self.h)
        if not (math.isfinite(rms) and np.all(np.isfinite(psi))):
            return math.inf, math.inf
        scale_psi = max(float(np.abs(psi).max()), 1e-300)
        scale_om = max(float(np.abs(om).max()), 1e-300)
        return max(mpsi / scale_psi, mom / scale_om), float(rms)

    def step(self, dtau: float) -> np.ndarray:
        """The Newton (pseudo-transient) update from the last Jacobian assembled."""
        jac = sp.csc_matrix((self.vals, (self.rows, self.cols)), shape=(self.size, self.size))
        if dtau < DTAU_MAX:
            jac = jac - sp.diags(self.mass / dtau, format="csc")
        return np.asarray(spla.splu(jac, permc_spec="COLAMD").solve(-self.res))


def _solve_level(
    level: _Level, psi: np.ndarray, om: np.ndarray, dtau: float, tol: float, budget: int
) -> tuple[int, float, bool]:
    """Pseudo-transient Newton on one grid, in place; ``(iterations, relative residual, converged)``."""
    relative, rms = level.evaluate(psi, om, jacobian=True)
    iterations = 0
    while relative > tol:
        if iterations >= budget or not math.isfinite(rms):
            return iterations, relative, False
        iterations += 1
        try:
            delta = level.step(dtau)
        except RuntimeError:  # a singular pseudo-time matrix: smaller step
            dtau /= 4.0
            continue
        trial_psi, trial_om = psi.copy(), om.copy()
        ck.scatter(delta, level.ipsi, level.iom, 1.0, trial_psi, trial_om)
        _, trial_rms = level.evaluate(trial_psi, trial_om, jacobian=False)
        if not math.isfinite(trial_rms) or trial_rms > MAX_GROWTH * rms:
            dtau /= 4.0
            level.evaluate(psi, om, jacobian=True)  # restore the Jacobian at the accepted state
            continue
        psi[...], om[...] = trial_psi, trial_om
        dtau = min(dtau * rms / max(trial_rms, 1e-300), DTAU_MAX)
        relative, rms = level.evaluate(psi, om, jacobian=True)
    return iterations, relative, True


def _pressure(u: np.ndarray, v: np.ndarray, om: np.ndarray, h: float, reynolds: float) -> tuple[np.ndarray, int]:
    """The pressure Poisson solve (all-Neumann Galerkin multigrid); ``(p, cycles)``."""
    from solvers.darcy import darcy_multigrid

    fx, fy, f = np.empty(u.shape), np.empty(u.shape), np.empty(u.shape)
    ck.momentum_forcing(u, v, om, h, reynolds, fx, fy)
    ck.pressure_rhs(fx, fy, h, f)
    p, info = darcy_multigrid(np.ones(u.shape), f, h, h, neumann=("x0", "x1", "y0", "y1"), tol=1e-10,
                              max_cycles=100)
    if not info.converged:
        raise ConvergenceError(f"cavity_flow: the pressure multigrid stopped at relative residual "
                               f"{info.residuals[-1]:.2e} after {info.cycles} cycles")
    return p, info.cycles


def cavity_flow(
    n: int,
    reynolds: float,
    *,
    tol: float = 1e-8,
    max_iterations: int = 200,
    coarsest: int = COARSEST,
) -> CavityFlow:
    """The steady lid-driven cavity flow at ``Re = reynolds`` on the ``(n + 1) x (n + 1)`` grid.

    Parameters
    ----------
    n : int
        Intervals per side (``h = 1 / n``), ``4 <= n <=`` :data:`MAX_N`. An even
        ``n`` puts the centrelines on grid lines; ``n = 128`` is Ghia et al.'s
        129^2 grid.
    reynolds : float
        ``Re = U L / nu > 0``. Steady solutions of this problem are known up to
        ``Re`` of about 8000; central differences need ``h`` small enough to
        resolve the boundary layers (``n = 128`` at ``Re = 1000`` is fine).
    tol : float
        Relative residual of the discrete equations to reach, in ``(0, 1)``.
    max_iterations : int
        Newton (LU) solves allowed over all grids of the sequence.
    coarsest : int
        Grid sequencing starts at the coarsest halving of ``n`` with at least
        this many intervals (``coarsest >= n``: no sequencing).

    Returns
    -------
    CavityFlow

    Raises
    ------
    InvalidParameterError
        ``n``, ``reynolds``, ``tol``, ``max_iterations`` or ``coarsest`` out of range.
    ConvergenceError
        The residual did not reach ``tol`` within ``max_iterations`` (no
        unconverged field is ever returned).

    Examples
    --------
    >>> flow = cavity_flow(32, 100.0)
    >>> bool(flow.converged), flow.u.shape
    (True, (33, 33))
    """
    n, reynolds, tol, max_iterations = _check(n, reynolds, tol, max_iterations)
    coarsest = check_integer("coarsest", coarsest, 4)
    start = time.perf_counter()
    levels = grid_sequence(n, coarsest)
    psi = np.zeros((levels[0] + 1,) * 2)
    om = np.zeros_like(psi)
    iterations, relative, converged = 0, math.inf, False
    for k, m in enumerate(levels):
        if k:
            psi, om = prolong(psi), prolong(om)
        level = _Level(m, reynolds)
        done, relative, converged = _solve_level(
            level, psi, om, DTAU_START if k == 0 else DTAU_REFINED, tol, max_iterations - iterations
        )
        iterations += done
        if not np.all(np.isfinite(psi)):
            psi[...], om[...] = 0.0, 0.0  # a coarse grid that blew up: the next one starts from rest
    if not converged:
        raise ConvergenceError(
            f"cavity_flow: no steady state at Re = {reynolds:g} on the {n + 1}^2 grid: relative residual "
            f"{relative:.2e} > tol = {tol:.1e} after {iterations} Newton steps (max_iterations = {max_iterations})"
        )
    h = 1.0 / n
    u, v = np.empty_like(psi), np.empty_like(psi)
    ck.velocity(psi, h, LID_SPEED, u, v)
    ck.corner_vorticity(om)
    p, cycles = _pressure(u, v, om, h, reynolds)
    nodes = np.linspace(0.0, 1.0, n + 1)
    return CavityFlow(nodes, nodes.copy(), u, v, p, psi, om, reynolds, iterations, float(relative), True,
                      time.perf_counter() - start, tuple(levels), cycles)
