"""PROSE: a multimodal transformer that predicts trajectories of ODE systems and their equations."""

from sciml.operators.prose.learner import PROSE

__all__ = ["PROSE"]
