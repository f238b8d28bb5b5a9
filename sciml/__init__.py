"""The learners, all in PyTorch behind one contract (``fit`` / ``predict`` / ``save``).

>>> from sciml import PINN
>>> PINN(adam_steps=10).adam_steps
10
"""

from sciml.accelerators.neural_cg.learner import NeuralCG
from sciml.core.base import Learner, create_learner, learner_names
from sciml.core.callbacks import Callback, ProgressBar
from sciml.core.training import LBFGS, Adam, Trainer
from sciml.field.lpinn import LPINN
from sciml.field.pig import PIG
from sciml.field.pinn import PINN
from sciml.operators.deeponet.learner import DeepONet
from sciml.operators.grid.fno import FNO
from sciml.operators.grid.mgno import MgNO

__all__ = ["FNO", "LBFGS", "LPINN", "PIG", "PINN", "Adam", "Callback", "DeepONet", "Learner", "MgNO", "NeuralCG",
           "ProgressBar",
           "Trainer", "create_learner", "learner_names"]
