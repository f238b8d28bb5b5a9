"""The generic classical reference: any spec solved from its own residual by finite differences.

Modules: :mod:`~solvers.generic.discretisation` (grid, unknowns, boundary data,
difference operators), :mod:`~solvers.generic.residual` (the spec's residual on
the grid and its sparse Jacobian), :mod:`~solvers.generic.steady` (Newton and
continuation), :mod:`~solvers.generic.evolution` (method of lines, BDF),
:mod:`~solvers.generic.refinement` (Richardson error estimates) and
:mod:`~solvers.generic.solver` (the registered fallback ``"fd"``).
"""
