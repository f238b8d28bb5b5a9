"""The learners, all in PyTorch behind one contract (``fit`` / ``predict`` / ``save``).

>>> from sciml import PINN
>>> PINN(adam_steps=10).adam_steps
10
"""

from sciml.base import Learner, create_learner, learner_names
from sciml.callbacks import Callback, ProgressBar
from sciml.deeponet import DeepONet
from sciml.fno import FNO
from sciml.lpinn import LPINN
from sciml.mgno import MgNO
from sciml.neural_cg import NeuralCG
from sciml.pig import PIG
from sciml.pinn import PINN
from sciml.training import LBFGS, Adam, Trainer

__all__ = ["FNO", "LBFGS", "LPINN", "PIG", "PINN", "Adam", "Callback", "DeepONet", "Learner", "MgNO", "NeuralCG",
           "ProgressBar",
           "Trainer", "create_learner", "learner_names"]
