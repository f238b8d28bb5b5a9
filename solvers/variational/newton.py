r"""Classical references for variational specs: Newton--multigrid and the H^1 gradient flow on ``E_h``.

Both minimise the discrete energy ``E_h`` of :mod:`solvers.variational.energy`
over the grid values with the spec's Dirichlet data on the box sides.

``newton`` (the default): damped Newton steps ``(H + mu G) s = -grad E_h``
with ``H`` the Hessian of ``E_h``, ``G`` the discrete ``I - Delta`` and an
Armijo backtracking line search on ``E_h`` itself (the energy is the merit
function, so every accepted step lowers it). ``mu`` starts at 0 (pure Newton,
quadratic convergence) and grows tenfold when a full step is refused or the
step is not a descent direction; this Levenberg--Marquardt shift is what
carries a degenerate Hessian (the p-Laplacian with ``p > 2`` at ``grad u =
0``) without a special case. A spec may offer ``continuation()``, a sequence
of easier specs ending with itself (the p-Laplacian: ``p`` from 2), each
solved from the previous solution. In 2D the linear systems are solved by CG
preconditioned with one Galerkin V(1,1)-cycle with operator-dependent
interpolation built from the Hessian's stencil
(:func:`solvers.grid_preconditioner`, numba) when the grid coarsens
(``2^k + 1`` points per side); in 3D by CG with the Laplacian's V-cycle
(spectrally equivalent for a uniformly elliptic ``L``); by a sparse LU on
grids that do not coarsen.

``gradient_flow``: the preconditioned gradient descent of the paper's
function-space argument, ``u <- u - tau G^-1 grad E_h`` (the Riesz map of
``H^1``, i.e. ``(I - Delta)^-1``) with the same line search: linear
convergence at a rate set by the conditioning of ``E`` in ``H^1``, for
comparison with Newton.

Both refuse (with :class:`~equations.errors.SpecMismatchError`) a spec whose
Lagrangian is not elliptic at an iterate (``d2L/dp2`` not positive definite:
the energy has no minimiser there and Newton would wander), and raise
:class:`~equations.errors.ConvergenceError` when the iteration stalls.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

from equations.errors import ConvergenceError, InvalidParameterError, SpecMismatchError, check_integer
from equations.variational import VariationalEquation
from solvers.dirichlet import check_steady_domain, dirichlet_lift
from solvers.multigrid.core import coarsenable
from solvers.multigrid.galerkin import STENCIL_OFFSETS
from solvers.registry import SolverOutput, register
from solvers.variational.energy import DiscreteEnergy, EnergyState

# the whole spec defines the problem: the Lagrangian, source, conditions and box are read, and a
# redefined residual is checked against the Lagrangian's (:func:`check_residual`)
READS = ("*",)
#: relative tolerance of the ellipticity check: min eig(d2L/dp2) >= -ELLIPTIC_RTOL * max |eig|
ELLIPTIC_RTOL = 1e-10


@dataclass(frozen=True)
class _Grid:
    """What a level of the iteration needs: the energy, the unknown mask and the lift."""

    energy: DiscreteEnergy
    unknown: np.ndarray  # flat bool
    shape: tuple[int, ...]


def check_residual(spec: VariationalEquation, rng: np.random.Generator) -> None:
    """Refuse a spec whose own ``residual`` disagrees with its Lagrangian's Euler--Lagrange residual.

    The solvers here minimise the energy; a subclass that states its residual
    directly (faster, e.g. :class:`equations.variational_problems.SemilinearND`)
    must state the same equation. Checked on a smooth random function at 64
    random points to a relative 1e-8.
    """
    if type(spec).residual is VariationalEquation.residual:
        return
    from equations.core import Jet

    names = spec.domain.names
    box = spec.domain.space
    pts = {n: rng.uniform(lo, hi, 64) for n, lo, hi in zip(names, box.lower, box.upper)}
    w = rng.uniform(0.5, 1.5, len(names))
    phase = sum(w[k] * pts[n] for k, n in enumerate(names))
    value, d1, d2 = np.sin(phase), np.cos(phase), -np.sin(phase)
    keys = {n: w[k] * d1 for k, n in enumerate(names)}
    for i, a in enumerate(names):
        for j, b in enumerate(names[i:], start=i):
            keys[a + b] = w[i] * w[j] * d2
    jet = Jet(value, keys)
    own = np.asarray(spec.residual(pts, jet), dtype=np.float64)
    derived = np.asarray(VariationalEquation.residual(spec, pts, jet), dtype=np.float64)
    if not np.allclose(own, derived, rtol=1e-8, atol=1e-8 * max(1.0, float(np.abs(derived).max()))):
        raise SpecMismatchError(
            f"{spec.label}: its residual() disagrees with the Euler-Lagrange residual of its lagrangian() (by up to "
            f"{float(np.abs(own - derived).max()):.3g}); the energy solvers minimise the Lagrangian's energy, so "
            "state one equation (or drop the residual override)"
        )


def check_elliptic(state: EnergyState, energy: DiscreteEnergy, u: np.ndarray) -> None:
    """Refuse an iterate where ``d2L/dp2`` is not positive semidefinite at some centroid."""
    eig = np.linalg.eigvalsh(state.curvature)
    scale = max(float(np.abs(eig).max()), 1e-300)
    worst = int(np.argmin(eig[:, 0]))
    if eig[worst, 0] < -ELLIPTIC_RTOL * scale:
        where = ", ".join(f"{n}={v:.3g}" for n, v in zip(energy.names, energy.mesh.centroids[worst]))
        z = np.einsum("ij,j->i", energy.mesh.maps[worst], u[energy.mesh.vertices[worst]])
        raise SpecMismatchError(
            f"{energy.spec.label}: the Lagrangian is not convex in grad u at {where} (u={z[0]:.3g}, grad u="
            f"{np.array2string(z[1:], precision=3)}): d2L/dp2 has the eigenvalue {eig[worst, 0]:.3g}, so the "
            "Euler-Lagrange equation is not elliptic and the energy has no minimiser for Newton (or Deep Ritz) to "
            "find"
        )


@dataclass(frozen=True)
class _StencilSystem:
    """A Hessian on the unknowns of a 2D grid with its padded 9-point stencil (a :class:`solvers.GridSystem`)."""

    matrix: sp.csr_matrix
    unknown: np.ndarray
    stencil: np.ndarray
    shape: tuple[int, int]
    size: int
    solid: np.ndarray | None = None
    singular: bool = False


def _grid_system(matrix: sp.csr_matrix, unknown: np.ndarray) -> _StencilSystem:
    """The 2D system on the unknowns as a grid system (padded 9-point stencil) for the Galerkin multigrid."""
    nx, ny = unknown.shape
    stencil = np.zeros((nx + 2, ny + 2, 9))
    ii, jj = np.nonzero(unknown)
    flat = ii * ny + jj
    full = matrix.tocsr()
    for kk, (di, dj) in enumerate(STENCIL_OFFSETS):
        ni, nj = ii + di, jj + dj
        inside = (ni >= 0) & (ni < nx) & (nj >= 0) & (nj < ny)
        inside[inside] &= unknown[ni[inside], nj[inside]]
        values = np.asarray(full[flat[inside], (ni * ny + nj)[inside]]).ravel()
        stencil[ii[inside] + 1, jj[inside] + 1, kk] = values
    mask = unknown.reshape(-1)
    return _StencilSystem(full[mask][:, mask], unknown, stencil, (nx, ny), int(mask.sum()))


def linear_solver(matrix: sp.csr_matrix, unknown: np.ndarray) -> Callable[[np.ndarray, float], tuple[np.ndarray, int]]:
    """``solve(b, rtol) -> (x, iterations)`` for the unknowns' block of ``matrix``.

    CG preconditioned by multigrid on a coarsening grid (2D: a Galerkin V-cycle
    of the matrix's own stencil; 3D: the Laplacian's V-cycle), a sparse LU
    otherwise.
    """
    from solvers import grid_preconditioner

    mask = unknown.reshape(-1)
    block = matrix.tocsr()[mask][:, mask]
    if unknown.ndim == 2 and coarsenable(unknown.shape) and min(unknown.shape) >= 9:
        return _krylov(block, grid_preconditioner(_grid_system(matrix, unknown), interpolation="operator"))
    if unknown.ndim == 3 and coarsenable(unknown.shape) and min(unknown.shape) >= 9:
        # the Laplacian's V-cycle: spectrally equivalent to a uniformly elliptic Hessian (not to a degenerate one)
        from solvers import Hierarchy3D, preconditioner3d

        cycle = preconditioner3d(Hierarchy3D(unknown, 1.0, 1.0, 1.0))
        full = np.zeros(unknown.size)

        def laplacian_cycle(r: np.ndarray) -> np.ndarray:
            full[mask] = r
            return cycle.matvec(full)[mask]

        return _krylov(block, sla.LinearOperator(block.shape, matvec=laplacian_cycle, dtype=np.float64))
    lu = sla.splu(block.tocsc())
    return lambda b, rtol: (lu.solve(b), 1)


def _krylov(block: sp.csr_matrix, precondition: sla.LinearOperator) -> Callable[[np.ndarray, float], tuple]:
    def solve(b: np.ndarray, rtol: float) -> tuple[np.ndarray, int]:
        count = [0]

        def tick(_: np.ndarray) -> None:
            count[0] += 1

        x, _ = sla.cg(block, b, rtol=rtol, atol=0.0, maxiter=500, M=precondition, callback=tick)
        return x, count[0]

    return solve


def _line_search(energy: DiscreteEnergy, u: np.ndarray, e0: float, slope: float, step: np.ndarray,
                 mask: np.ndarray) -> tuple[float, float]:
    """Armijo backtracking on ``E_h``: ``(alpha, E)``, ``alpha = 0`` when no step in 30 halvings lowers it.

    A step whose predicted decrease is below the energy's rounding error is
    taken whole: near the minimiser ``E_h`` no longer resolves it (the
    gradient, which the caller tests, still does).
    """
    if -slope <= 1e-13 * max(1.0, abs(e0)):
        return 1.0, e0
    alpha = 1.0
    for _ in range(30):
        trial = u.copy()
        trial[mask] += alpha * step
        e = energy.energy(trial)
        if np.isfinite(e) and e <= e0 + 1e-4 * alpha * slope:
            return alpha, e
        alpha *= 0.5
    return 0.0, e0


def _setup(equation: VariationalEquation, axes: dict[str, np.ndarray], solver: str) -> tuple[list, np.ndarray, list]:
    if not isinstance(equation, VariationalEquation):
        raise SpecMismatchError(f"solver {solver!r} minimises the energy of a VariationalEquation; "
                                f"{type(equation).__name__} states none")
    check_steady_domain(equation, solver)
    names = equation.domain.names
    if len(names) not in (2, 3):
        raise SpecMismatchError(f"solver {solver!r} discretises 2D and 3D boxes; {equation.label} is {len(names)}D")
    vectors = [np.asarray(axes[n], dtype=np.float64) for n in names]
    for n, v in zip(names, vectors):
        if v.size < 3 or not np.allclose(np.diff(v), (v[-1] - v[0]) / (v.size - 1), rtol=1e-9, atol=0.0):
            raise InvalidParameterError(f"solver {solver!r} needs a uniform grid of >= 3 points along {n!r}")
    fixed = np.ones(tuple(v.size for v in vectors), dtype=bool)
    fixed[tuple(slice(1, -1) for _ in vectors)] = False
    lift = dirichlet_lift(equation, dict(zip(names, vectors)), fixed, solver)
    check_residual(equation, np.random.default_rng(0))
    return vectors, lift, list(getattr(equation, "continuation", lambda: (equation,))())


@register(VariationalEquation, "newton", reads=READS)
def solve_newton(
    equation: VariationalEquation,
    axes: dict[str, np.ndarray],
    *,
    tol: float = 1e-10,
    max_iterations: int = 60,
) -> SolverOutput:
    """Newton--multigrid on the discrete energy (see the module docstring).

    Parameters
    ----------
    equation : VariationalEquation
        A 2D or 3D box spec with one Dirichlet condition on the whole boundary.
    axes : dict of str to numpy.ndarray
        Uniform grid vectors (boundary included).
    tol : float
        Stop when ``||grad E_h|| <= tol * ||grad E_h(u_0)||`` on the unknowns (``u_0``: the lift).
    max_iterations : int
        Newton steps per continuation stage before :class:`ConvergenceError`.

    Returns
    -------
    SolverOutput
        The grid values and stats: Newton steps, inner (CG) iterations,
        continuation stages, the final energy ``E_h`` and gradient reduction.
    """
    max_iterations = check_integer("max_iterations", max_iterations, 1)
    vectors, u, stages = _setup(equation, axes, "newton")
    start, steps, inner, reduction, final = time.perf_counter(), 0, 0, 1.0, float("nan")
    for stage in stages:
        energy = DiscreteEnergy(stage, vectors)
        mask = ~_frame(u.shape).reshape(-1)
        u, taken, cg, reduction, final = _newton(energy, u.reshape(-1), mask, u.shape, tol, max_iterations)
        u = u.reshape(energy.mesh.shape)
        steps, inner = steps + taken, inner + cg
    stats = {"newton_steps": steps, "inner_iterations": inner, "continuation_stages": len(stages),
             "energy": final, "gradient_reduction": reduction, "solve_time_s": time.perf_counter() - start}
    return SolverOutput(u, stats)


def _frame(shape: tuple[int, ...]) -> np.ndarray:
    fixed = np.ones(shape, dtype=bool)
    fixed[tuple(slice(1, -1) for _ in shape)] = False
    return fixed


def _newton(energy: DiscreteEnergy, u: np.ndarray, mask: np.ndarray, shape: tuple[int, ...], tol: float,
            max_iterations: int) -> tuple[np.ndarray, int, int, float, float]:
    gram = energy.gram()
    unknown = mask.reshape(shape)
    state = energy.state(u)
    g0 = max(float(np.linalg.norm(state.gradient[mask])), 1e-300)
    mu, inner = 0.0, 0
    scale = float(np.mean(gram.diagonal()[mask]))
    for step in range(max_iterations + 1):
        check_elliptic(state, energy, u)
        g = state.gradient[mask]
        norm = float(np.linalg.norm(g))
        if norm <= tol * g0:
            return u, step, inner, norm / g0, state.energy
        if step == max_iterations:
            break
        for _ in range(12):  # raise mu until a step lowers the energy
            h_scale = float(np.mean(np.abs(state.hessian.diagonal()[mask])))
            matrix = state.hessian + (mu * max(h_scale, 1e-300) / scale) * gram if mu > 0 else state.hessian
            solve = linear_solver(matrix, unknown)
            direction, its = solve(-g, min(0.1, norm / g0))
            inner += its
            slope = float(direction @ g)
            alpha = 0.0
            if np.all(np.isfinite(direction)) and slope < 0:
                alpha, _ = _line_search(energy, u, state.energy, slope, direction, mask)
            if alpha >= 0.25:
                mu = 0.0 if mu <= 1e-6 else mu / 10.0
                break
            if alpha > 0.0:
                mu = max(mu * 10.0, 1e-4)
                break
            mu = max(mu * 10.0, 1e-4)
        else:
            raise ConvergenceError(
                f"newton on {energy.spec.label}: no step lowers the discrete energy (shift mu={mu:.3g}) after "
                f"{step} steps; the gradient fell by {norm / g0:.3g} of {tol:g} asked"
            )
        u = u.copy()
        u[mask] += alpha * direction
        state = energy.state(u)
        if alpha == 1.0 and float(np.abs(direction).max()) <= 1e-13 * max(float(np.abs(u).max()), 1e-300):
            # a full step at the rounding level of u: the gradient has hit its floor
            return u, step + 1, inner, float(np.linalg.norm(state.gradient[mask])) / g0, state.energy
    raise ConvergenceError(
        f"newton on {energy.spec.label} stalled: {max_iterations} steps reduced the energy gradient by "
        f"{norm / g0:.3g}, not {tol:g} (raise max_iterations, or offer continuation() from an easier problem)"
    )


@register(VariationalEquation, "gradient_flow", reads=READS)
def solve_gradient_flow(
    equation: VariationalEquation,
    axes: dict[str, np.ndarray],
    *,
    tol: float = 1e-8,
    max_iterations: int = 5000,
) -> SolverOutput:
    """Preconditioned gradient descent ``u <- u - tau (I - Delta)^-1 grad E_h`` with an Armijo line search.

    The function-space gradient flow of the Barron-norm argument, discretised;
    ``tol`` and ``max_iterations`` as in :func:`solve_newton` (no continuation:
    the flow needs none). Stats: steps, the final energy and gradient reduction.
    """
    max_iterations = check_integer("max_iterations", max_iterations, 1)
    vectors, u, _ = _setup(equation, axes, "gradient_flow")
    start = time.perf_counter()
    energy = DiscreteEnergy(equation, vectors)
    shape = u.shape
    mask = ~_frame(shape).reshape(-1)
    solve = linear_solver(energy.gram(), mask.reshape(shape))
    u = u.reshape(-1)
    state = energy.state(u)
    g0 = max(float(np.linalg.norm(state.gradient[mask])), 1e-300)
    for step in range(max_iterations + 1):
        check_elliptic(state, energy, u)
        g = state.gradient[mask]
        norm = float(np.linalg.norm(g))
        if norm <= tol * g0:
            stats = {"steps": step, "energy": state.energy, "gradient_reduction": norm / g0,
                     "solve_time_s": time.perf_counter() - start}
            return SolverOutput(u.reshape(shape), stats)
        if step == max_iterations:
            break
        direction = -solve(g, 1e-10)[0]
        alpha, _ = _line_search(energy, u, state.energy, float(direction @ g), direction, mask)
        if alpha == 0.0:
            break
        u = u.copy()
        u[mask] += alpha * direction
        state = energy.state(u)
    raise ConvergenceError(
        f"gradient_flow on {equation.label} stalled after {step} steps: the energy gradient fell by {norm / g0:.3g},"
        f" not {tol:g} (raise max_iterations, or use the newton solver)"
    )
