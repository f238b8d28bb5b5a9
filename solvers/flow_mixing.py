"""Closed-form reference for the flow-mixing spec: the rotated initial front on the grid."""

from equations.flow_mixing import FlowMixing
from solvers.registry import closed_form, register

# u = -tanh((y / 2) cos(omega t) - (x / 2) sin(omega t)), evaluated on the grid
register(FlowMixing, "exact")(closed_form)
