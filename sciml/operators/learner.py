"""The kind of learner that learns a map between functions from data (DeepONet, MgNO, FNO).

What the operator learners share lives here once: the constraints of their
common training settings, the training run itself (one Adam(W) stage of the
shared :class:`~sciml.core.training.Trainer` on a
:class:`~sciml.operators.objective.MinibatchObjective`) and the network part
of saving and loading.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch

from equations.errors import InvalidDataError
from sciml.core import distributed
from sciml.core.base import Learner, copy_tensors
from sciml.core.callbacks import Callback, ProgressBar
from sciml.core.history import History
from sciml.core.params import BOOLEAN, DEVICE, DTYPE, PATH, POSITIVE, POSITIVE_COUNT, SEED, Constraint, choice, optional
from sciml.core.runtime import dtype_name
from sciml.core.training import SCHEDULES, Adam, StallRule, Trainer
from sciml.operators.objective import LossFn, MinibatchObjective

OL = TypeVar("OL", bound="OperatorLearner")


class OperatorLearner(Learner):
    """Base of the operator learners.

    ``fit(dataset)`` trains on an operator dataset (an :class:`xarray.Dataset`
    with ``input`` and ``output`` over a ``sample`` dimension, as made by
    :mod:`validation.datasets`) and ``predict(inputs)`` maps new input
    functions (``(n, *input_shape)`` or such a dataset) to outputs.

    A subclass stores ``lr``, ``schedule``, ``final_lr`` and its own
    arguments, the run settings every operator learner has through
    :meth:`_store_run_settings`, sets ``net_`` (a :class:`torch.nn.Module`)
    when it fits, and trains with :meth:`_train`.
    """

    kind: ClassVar[str] = "operator"
    _constraints: ClassVar[dict[str, Constraint]] = {
        "lr": POSITIVE, "schedule": choice(*SCHEDULES), "final_lr": optional(POSITIVE), "seed": SEED,
        "device": DEVICE, "dtype": DTYPE, "progress": BOOLEAN, "checkpoint_dir": PATH,
        "checkpoint_every": POSITIVE_COUNT, "resume": BOOLEAN,
    }

    # the subclass's hyperparameters that _train reads
    lr: float
    schedule: str
    final_lr: float | None
    seed: int
    progress: bool
    checkpoint_dir: str | None
    checkpoint_every: int
    resume: bool
    net_: torch.nn.Module

    def _store_run_settings(self, seed: int, device: str, dtype: str, progress: bool, checkpoint_dir: str | None,
                            checkpoint_every: int, resume: bool) -> None:
        """Store, unchanged, the settings every operator learner has."""
        self.seed = seed
        self.device = device
        self.dtype = dtype
        self.progress = progress
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.resume = resume

    def fit(self: OL, dataset: Any, /, *args: Any, **kwargs: Any) -> OL:
        """Train on ``dataset``; returns ``self`` with ``history_``, ``fit_time_``, ``n_parameters_``."""
        raise NotImplementedError

    def predict(self, inputs: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        """Outputs for the input functions ``inputs``."""
        raise NotImplementedError

    def _is_fitted(self) -> bool:
        return hasattr(self, "net_")  # set as training starts: callbacks evaluate the model during fit

    # -- training ----------------------------------------------------------------------
    def _stage(self, steps: int, weight_decay: float = 0.0) -> Adam:
        """The Adam(W) stage of ``steps`` steps with this learner's schedule (no stall rule: the budget is fixed).

        ``final_lr`` left out decays an ``exponential`` schedule to ``lr / 100``
        (the shared stage alone would keep ``lr`` constant).
        """
        final = self.final_lr
        if final is None and self.schedule == "exponential":
            final = self.lr / 100
        return Adam(steps, self.lr, final, stall=StallRule(None), schedule=self.schedule,
                    weight_decay=weight_decay)

    def _train(self, net: torch.nn.Module, loss_fn: LossFn, n_samples: int, steps: int, batch_size: int | None,
               callbacks: Sequence[Callback] = (), weight_decay: float = 0.0, progress_every: int = 100) -> None:
        """Train ``net`` on ``loss_fn`` with the shared trainer; sets ``net_`` and the contract's attributes.

        ``history_``, ``fit_time_`` and ``n_parameters_`` are set also when the
        run stops early (interrupted, or diverged), so what was done can be read.
        """
        cbs = list(callbacks)
        if self.progress and distributed.rank() == 0:
            cbs.append(ProgressBar(every=progress_every, desc=self.name))
        params = list(net.parameters())
        objective = MinibatchObjective(params, loss_fn, n_samples, batch_size, self.seed)
        trainer = Trainer([self._stage(steps, weight_decay)], cbs, self.checkpoint_dir, self.checkpoint_every,
                          self.resume)
        self.net_ = net
        t0 = time.perf_counter()
        try:
            trainer.fit(objective)
        finally:
            self._set_contract(trainer.history, time.perf_counter() - t0, _count(net))

    # -- persistence: the network's part of the base's hooks -----------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """The network's dtype and its state dict; a subclass adds what else it fitted."""
        return {"dtype": dtype_name(next(self.net_.parameters()).dtype)}, dict(self.net_.state_dict())

    def _restore_network(self, net: torch.nn.Module, tensors: dict[str, torch.Tensor]) -> None:
        """Copy the saved ``tensors`` into ``net`` (all of them, no others) and keep it as ``net_``."""
        targets = dict(net.state_dict())
        extra = sorted(set(tensors) - set(targets))
        if extra:
            raise InvalidDataError(f"the weights file has tensors the config does not describe: {', '.join(extra)}")
        copy_tensors(targets, tensors)
        self.net_ = net
        self._set_contract(History(), 0.0, _count(net))


def _count(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
