"""The learners, all in PyTorch behind one contract (:class:`Learner`).

Three kinds share the contract: field learners fit one equation
(:class:`PINN`, :class:`LPINN`, :class:`PIG`, :class:`DeepRitz` for a spec
with an energy, and :class:`DeepXDELearner`, DeepXDE on the same specs),
operator learners fit a dataset
(:class:`DeepONet`, :class:`MgNO`, :class:`FNO`, and :class:`PROSE` for trajectories
with their equations), solver accelerators fit
linear systems and give a preconditioner (:class:`NeuralCG`, :class:`LearnedMultigrid`).

>>> from sciml import PINN, Optimiser
>>> PINN(optimiser=Optimiser(adam_steps=10)).config("optimiser").adam_steps
10
>>> create_learner("pinn", adam_steps=10).config("optimiser").adam_steps
10
"""

from sciml.accelerators.base import Accelerator
from sciml.accelerators.learned_multigrid.learner import LearnedMultigrid
from sciml.accelerators.neural_cg.learner import NeuralCG
from sciml.core.base import LEARNERS, Learner, create_learner, learner_names
from sciml.core.callbacks import Callback, ProgressBar
from sciml.core.history import History
from sciml.core.training import LBFGS, Adam, Trainer
from sciml.field.config import Checkpointing, Collocation, Optimiser
from sciml.field.deep_ritz import DeepRitz
from sciml.field.deepxde_learner import DeepXDELearner
from sciml.field.learner import FieldLearner
from sciml.field.lpinn import LPINN
from sciml.field.pig import PIG
from sciml.field.pinn import PINN
from sciml.operators.deeponet.learner import DeepONet
from sciml.operators.grid.fno import FNO
from sciml.operators.grid.mgno import MgNO
from sciml.operators.learner import OperatorLearner
from sciml.operators.prose import PROSE

__all__ = ["FNO", "LBFGS", "LEARNERS", "LPINN", "PIG", "PINN", "PROSE", "Accelerator", "Adam", "Callback",
           "Checkpointing", "Collocation", "DeepONet", "DeepRitz", "DeepXDELearner", "FieldLearner", "History",
           "LearnedMultigrid", "Learner", "MgNO", "NeuralCG", "OperatorLearner", "Optimiser", "ProgressBar", "Trainer",
           "create_learner", "learner_names"]
