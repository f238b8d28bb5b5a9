"""The generic reference ``"fd"``: any spec's own residual, finite differences, Newton or BDF, and an error estimate.

Registered as the fallback of every spec (:func:`solvers.registry.register_fallback`):
:func:`solvers.solve` uses it when no specialised solver implements the spec
as given, and ``solvers.solve(eq, n, method="fd")`` asks for it by name.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

from equations.core import Equation
from equations.errors import ConditionsWarning, InvalidParameterError
from equations.systems import field_names, is_system
from solvers.generic.discretisation import Discretisation
from solvers.generic.evolution import integrate
from solvers.generic.preconditioning import multigrid_preconditioner
from solvers.generic.refinement import estimate
from solvers.generic.residual import GridResidual
from solvers.generic.steady import solve_steady
from solvers.registry import SolverOutput, Stat, needs_memory, register_fallback


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value > 0):
        raise InvalidParameterError(f"solver 'fd': {name} must be a positive finite number, got {value!r}")
    return float(value)


@register_fallback("fd")
@needs_memory(2048)  # the sparse operators and the LU's fill-in (~1.4 kB per unknown measured at 513^2)
def finite_differences(
    equation: Equation,
    axes: dict[str, np.ndarray],
    *,
    refine: bool = True,
    upwind: bool = True,
    rtol: float = 1e-10,
    max_iterations: int = 50,
    time_rtol: float = 1e-8,
    time_atol: float = 1e-10,
    max_evaluations: int = 200_000,
) -> SolverOutput:
    """Solve any spec from its residual by second-order finite differences.

    Steady specs: damped Newton on the discrete residual (sparse LU, or
    GMRES + ILU for large grids), continuation when Newton from zero fails.
    Evolution specs (``u_t`` or ``u_tt``): method of lines with SciPy's BDF.

    Parameters
    ----------
    equation : Equation
        Any spec whose residual is written against the Jet API.
    axes : dict
        Node vectors per coordinate (``equation.domain.names`` order).
    refine : bool
        Also solve on one and two coarser grids and store a Richardson error
        estimate (``error_estimate``, ``error_estimate_rel_l2``,
        ``observed_order``); costs about 1/3 (1D) to 1/7 (3D) more.
    upwind : bool
        Difference first derivatives upwind (second order) where advection
        dominates (cell Peclet number > 1); False keeps central differences
        everywhere (they oscillate, or blow up, at under-resolved fronts).
    rtol : float
        Newton's tolerance on ``max |R|`` relative to the initial residual.
    max_iterations : int
        Newton iterations per solve (and per continuation step).
    time_rtol, time_atol : float
        Tolerances of the BDF integrator (evolution specs).
    max_evaluations : int
        Right-hand-side evaluations before an evolution solve gives up with
        :class:`~equations.errors.ConvergenceError` (a collapsing step size).

    Returns
    -------
    SolverOutput
        Values on the grid (NaN outside a masked domain) and statistics; a
        system's values carry a trailing field axis (``equation.unknowns`` order).
    """
    rtol, time_rtol, time_atol = (_positive(k, v) for k, v in
                                  (("rtol", rtol), ("time_rtol", time_rtol), ("time_atol", time_atol)))
    for key, v in (("max_iterations", max_iterations), ("max_evaluations", max_evaluations)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InvalidParameterError(f"solver 'fd': {key} must be a positive integer, got {v!r}")
    space = equation.domain.space
    space_axes = {n: np.asarray(axes[n], dtype=float) for n in space.names}
    times = np.asarray(axes["t"], dtype=float) if equation.domain.time is not None else None
    stats: dict[str, Stat] = {}

    system = is_system(equation)

    def solve_on(grid: dict[str, np.ndarray], record: bool) -> np.ndarray:
        discs = [Discretisation(equation, grid, variable=f if system else None) for f in field_names(equation)]
        residual = GridResidual(discs, upwind=upwind)
        if times is None:
            values, info = _steady(residual, rtol, max_iterations)
        else:
            values, info = integrate(residual, times, rtol=time_rtol, atol=time_atol, max_evaluations=max_evaluations)
        if record:
            stats.update(info)
            stats["unknowns"] = residual.n * len(discs)
            stats["residual_evaluations"] = residual.evaluations
            stats["upwinded_nodes"] = residual.upwinded
        return values

    start = time.perf_counter()
    values = solve_on(space_axes, record=True)
    stats["fine_solve_s"] = time.perf_counter() - start
    if refine:
        periodic = {n: bool(p) for n, p in zip(space.names, space.periodic)}
        first_order = int(stats["upwinded_nodes"]) > 0
        with warnings.catch_warnings():  # the fine solve has warned about the data already
            warnings.simplefilter("ignore", ConditionsWarning)
            stats.update(estimate(lambda grid: solve_on(grid, record=False), values, space_axes, periodic,
                                  max_order=1.0 if first_order else 4.0))
    stats["scheme"] = "central differences, order 2" + ("; BDF in time" if times is not None else "; Newton")
    return SolverOutput(values, stats)


def _steady(residual: GridResidual, rtol: float, max_iterations: int) -> tuple[np.ndarray, dict[str, Stat]]:
    d = residual.data()

    def evaluate(U: np.ndarray) -> np.ndarray:
        return residual(residual.entries(U, d))

    def linearise(U: np.ndarray):
        entries = residual.entries(U, d)
        J = residual.jacobian(residual.partials(entries, None, residual.spatial_keys()))
        residual.check_pointwise(U, d, J)
        return J

    iterative = None if residual.system else multigrid_preconditioner(residual.disc)
    U, report = solve_steady(evaluate, linearise, np.zeros(residual.n * len(residual.discs)), rtol=rtol,
                             max_iterations=max_iterations, name=residual.name, iterative=iterative)
    per_field = [disc.full(Uf, df) for disc, Uf, df in zip(residual.discs, residual.split(U), d)]
    values = np.stack(per_field, axis=-1) if residual.system else per_field[0]
    return values, {"newton_iterations": report.iterations, "newton_residual": report.residual,
                    "continuation_steps": report.continuation_steps, "linear_solver": report.linear_solver}
