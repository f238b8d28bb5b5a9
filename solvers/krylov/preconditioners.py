r"""Multigrid preconditioners for :func:`solvers.krylov.cg`, as SciPy ``LinearOperator``\ s.

Each is one cycle from a zero guess with equal pre- and post-smoothing, the
post-smoother the adjoint of the pre-smoother, so the map is symmetric
positive definite (V- and W-cycles; an F-cycle cannot be symmetric). The cycle
is the generic one of :mod:`solvers.multigrid.core`.

- :func:`preconditioner` / :func:`preconditioner3d`: the constant-coefficient
  Laplacian; vectors are flattened (C order) full grids, the layout of
  :func:`solvers.krylov.poisson_operator`.
- :func:`galerkin_preconditioner`: the Galerkin multigrid of
  :mod:`solvers.darcy`; vectors are those of :func:`solvers.darcy.darcy_system`
  (the unknowns only).
- :func:`grid_preconditioner`: the same cycle on any assembled
  :class:`solvers.grid_systems.GridSystem` (Darcy, pressure Poisson), read
  from its stencil, with any prolongation rule (a learned one included).

IC(0) is :func:`solvers.krylov.ichol.ic0_preconditioner`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse.linalg import LinearOperator

from equations.errors import InvalidDataError, check_choice, check_integer
from solvers.darcy import check_coefficient, check_solid, discretize, galerkin_hierarchy, neumann_sides
from solvers.fd import check_spacings
from solvers.multigrid.core import CYCLES, cycle_operator, make_plan
from solvers.multigrid.galerkin import GalerkinHierarchy, ProlongationRule
from solvers.multigrid.operator_interpolation import operator_dependent
from solvers.multigrid.poisson import Hierarchy, Hierarchy3D

if TYPE_CHECKING:
    from solvers.grid_systems import GridSystem

#: the prolongation rules selectable by name (None: bilinear with full weighting)
INTERPOLATIONS: dict[str, ProlongationRule | None] = {"bilinear": None, "operator": operator_dependent}


def preconditioner(
    hierarchy: Hierarchy,
    sweeps: int = 2,
    *,
    local_sweeps: int = 4,
    threads: int | None = None,
    cycle: str = "V",
    smoother: str = "rbgs",
) -> LinearOperator:
    """One symmetric cycle (V by default) from a zero guess, as a SciPy ``LinearOperator`` (for CG).

    Vectors are flattened (C order) grids of ``nx * ny`` entries; entries off the
    unknowns are ignored on input and zero on output.

    Parameters
    ----------
    hierarchy : Hierarchy
        Grid hierarchy (built once, reused by every application).
    sweeps : int
        Pre- and post-smoothing sweeps (equal, for symmetry).
    local_sweeps : int
        Local relaxation sweeps around re-entrant corners.
    threads : int, optional
        numba threads per application.
    cycle : {"V", "W"}
        A W-cycle stays symmetric: the coarse correction of two symmetric cycles
        from zero, ``(I - (I - B A)^2) A^-1``, is symmetric when ``B`` is. An
        F-cycle is not (its coarse correction is an F-cycle then a V-cycle, whose
        adjoint is the reverse order) and raises :class:`InvalidParameterError`.
    smoother : {"rbgs", "jacobi"}
        Smoother (see :func:`solvers.multigrid.v_cycle`).

    Returns
    -------
    scipy.sparse.linalg.LinearOperator
        Symmetric, ``(nx * ny, nx * ny)``, float64.
    """
    plan = make_plan(sweeps, sweeps, local_sweeps=local_sweeps, symmetric=True, cycle=cycle, smoother=smoother)
    return cycle_operator(hierarchy, plan, threads, hierarchy.shape)


def preconditioner3d(
    hierarchy: Hierarchy3D,
    sweeps: int = 2,
    *,
    threads: int | None = None,
    cycle: str = "V",
    smoother: str = "rbgs",
) -> LinearOperator:
    """One symmetric cycle (V by default) from a zero guess, as a SciPy ``LinearOperator`` (for CG).

    Vectors are flattened (C order) grids of ``nx * ny * nz`` entries; entries
    off the unknowns are ignored on input and zero on output (see
    :func:`preconditioner`; ``cycle="F"`` raises :class:`InvalidParameterError`).

    Returns
    -------
    scipy.sparse.linalg.LinearOperator
        Symmetric, ``(nx * ny * nz, nx * ny * nz)``, float64.
    """
    plan = make_plan(sweeps, sweeps, symmetric=True, cycle=cycle, smoother=smoother)
    return cycle_operator(hierarchy, plan, threads, hierarchy.shape)


def galerkin_preconditioner(
    a: np.ndarray,
    hx: float,
    hy: float,
    *,
    neumann: Iterable[str] = (),
    solid: np.ndarray | None = None,
    sweeps: int = 1,
    cycle: str = "V",
    interpolation: str = "bilinear",
) -> LinearOperator:
    """One symmetric Galerkin multigrid cycle from zero, as a ``LinearOperator`` on the unknowns.

    Parameters
    ----------
    a, hx, hy, neumann, solid
        The problem, as in :func:`solvers.darcy.darcy_system`.
    sweeps : int
        4-colour Gauss--Seidel sweeps before and after the coarse correction
        (reversed colour order after it).
    cycle : {"V", "W"}
        Cycle kind (both stay symmetric).
    interpolation : {"bilinear", "operator"}
        ``P`` of every coarsening: bilinear (with full weighting), or
        operator-dependent (:mod:`solvers.multigrid.operator_interpolation`,
        ``R = P^T``), which keeps the cycle fast across coefficient jumps
        (8 instead of 43 CG iterations on a 1:1e6 checkerboard at 65^2).

    Returns
    -------
    scipy.sparse.linalg.LinearOperator
        Symmetric, square of the number of unknowns, float64.
    """
    check_spacings(hx, hy)
    a = check_coefficient(a)
    sweeps = check_integer("sweeps", sweeps, 1)
    cycle = check_choice("cycle", cycle, tuple(c for c in CYCLES if c != "F"))
    rule = INTERPOLATIONS[check_choice("interpolation", interpolation, tuple(INTERPOLATIONS))]
    d = discretize(a, hx, hy, neumann_sides(neumann), check_solid(solid, a.shape))
    return _cycle(galerkin_hierarchy(d, rule), d.unknown, sweeps, cycle)


def grid_preconditioner(
    system: GridSystem,
    *,
    sweeps: int = 1,
    cycle: str = "V",
    interpolation: str | ProlongationRule = "bilinear",
) -> LinearOperator:
    """One symmetric Galerkin multigrid cycle for an assembled grid system, from its stencil.

    Parameters
    ----------
    system : GridSystem
        A :class:`solvers.grid_systems.DarcySystem`, :class:`solvers.PoissonSystem`
        or any object with the grid-system attributes.
    sweeps, cycle
        As in :func:`galerkin_preconditioner`.
    interpolation : {"bilinear", "operator"} or ProlongationRule
        ``P`` of every coarsening, by name or as a rule
        (:class:`solvers.multigrid.galerkin.ProlongationRule`, e.g. a learned one).

    Returns
    -------
    scipy.sparse.linalg.LinearOperator
        Symmetric positive definite, on the system's unknowns.

    Raises
    ------
    InvalidDataError
        The grid does not coarsen (sides must be odd, ``2^k + 1`` for a full hierarchy).
    """
    sweeps = check_integer("sweeps", sweeps, 1)
    cycle = check_choice("cycle", cycle, tuple(c for c in CYCLES if c != "F"))
    if isinstance(interpolation, str):
        rule = INTERPOLATIONS[check_choice("interpolation", interpolation, tuple(INTERPOLATIONS))]
    else:
        rule = interpolation
    h = GalerkinHierarchy(system.stencil, system.unknown, system.solid, system.singular, prolongation=rule)
    if len(h.levels) < 2:  # a one-level "cycle" would silently be a smoother only
        raise InvalidDataError(f"grid {system.shape} has no coarse level: sides must be odd (2^k + 1)")
    return _cycle(h, system.unknown, sweeps, cycle)


def _cycle(h: GalerkinHierarchy, unknown: np.ndarray, sweeps: int, cycle: str) -> LinearOperator:
    inner = np.zeros(h.levels[0].u.shape, dtype=bool)
    inner[1:-1, 1:-1] = unknown
    plan = make_plan(sweeps, sweeps, symmetric=True, cycle=cycle)
    return cycle_operator(h, plan, None, inner.shape, inner)
