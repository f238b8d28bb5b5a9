"""Closed-form references for the 1D singular ODE specs (Legendre, hypergeometric).

Both solutions are special functions evaluated by ``scipy.special`` on the
requested grid; they are independent of the polynomial recurrences and sums
the specs use for their :meth:`exact` (which also work on torch tensors).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from equations.odes import Hypergeometric, Legendre
from solvers.registry import SolverOutput, register


@register(Legendre, "closed_form")
def solve_legendre(equation: Legendre, axes: dict[str, np.ndarray]) -> SolverOutput:
    """Registered solver: ``P_l(x)`` by :func:`scipy.special.eval_legendre`."""
    return SolverOutput(special.eval_legendre(equation.l, axes["x"]))


@register(Hypergeometric, "closed_form")
def solve_hypergeometric(equation: Hypergeometric, axes: dict[str, np.ndarray]) -> SolverOutput:
    """Registered solver: ``2F1(a, b; c; x)`` by :func:`scipy.special.hyp2f1`."""
    return SolverOutput(special.hyp2f1(float(equation.a), equation.b, equation.c, axes["x"]))
