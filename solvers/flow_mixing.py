"""Closed-form reference for the flow-mixing spec: the rotated initial front on the grid."""

from __future__ import annotations

import numpy as np

from equations.flow_mixing import FlowMixing
from solvers.registry import SolverOutput, register


@register(FlowMixing, "exact")
def solve_flow_mixing(equation: FlowMixing, axes: dict[str, np.ndarray]) -> SolverOutput:
    """Registered solver: ``u = -tanh((y / 2) cos(omega t) - (x / 2) sin(omega t))`` on the grid."""
    x, y, t = np.meshgrid(axes["x"], axes["y"], axes["t"], indexing="ij")
    return SolverOutput(np.asarray(equation.exact({"x": x, "y": y, "t": t}), dtype=np.float64))
