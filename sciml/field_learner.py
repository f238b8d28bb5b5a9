"""What every physics-informed field learner shares: stages, fitting, batching, save and load.

A subclass (PINN, LPINN...) builds its networks and its objective (the loss
the :class:`~sciml.training.Trainer` minimises) and says how to predict; this
base turns its optimiser settings into stages, runs the trainer with the
callbacks, and saves / loads the weights (safetensors) and the configuration
(JSON) without pickle.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch

from equations import Equation, create
from equations.errors import InvalidDataError, InvalidParameterError
from sciml.base import Learner
from sciml.callbacks import Callback, ProgressBar
from sciml.checkpoint import MALFORMED_CONFIG, jsonable_params, load_bundle, save_bundle
from sciml.networks import MLP
from sciml.pinn_objective import check_points
from sciml.runtime import dtype_name, resolve_dtype
from sciml.training import LBFGS, Adam, History, Objective, Stage, Trainer

L = TypeVar("L", bound="FieldLearner")


class FieldLearner(Learner):
    """Base of the learners that fit one PDE instance by minimising a physics loss.

    Subclasses keep the optimiser settings as attributes (``adam_steps``,
    ``lr``, ``final_lr``, ``lbfgs_iter``, ``lbfgs_dtype``, ``lbfgs_resample``,
    ``compile``, ``progress``, ``checkpoint_dir``, ``checkpoint_every``, ``resume``,
    ``dtype``) and
    implement :meth:`_objective`, :meth:`_networks` and :meth:`predict`.
    """

    kind: ClassVar[str] = "field"
    # the attribute names a subclass must set (read by the shared code below)
    adam_steps: int
    lr: float
    final_lr: float | None
    lbfgs_iter: int
    lbfgs_dtype: str | None
    lbfgs_resample: bool
    compile: bool | str
    progress: bool
    checkpoint_dir: str | None
    checkpoint_every: int
    resume: bool
    dtype: str

    # -- to implement --------------------------------------------------------------
    def _objective(self, equation: Equation, points: Mapping[str, np.ndarray] | None,
                   fitted: Mapping[str, Any] | None = None) -> Objective:
        """The objective for ``equation``; ``fitted`` is the saved fit metadata when loading."""
        raise NotImplementedError

    def _networks(self, objective: Objective) -> dict[str, MLP]:
        """The objective's networks by name (the saved tensors' names)."""
        raise NotImplementedError

    def _fitted_meta(self) -> dict[str, Any]:
        """Extra metadata saved with the model (and given back to :meth:`_objective` on load)."""
        return {}

    # -- shared -----------------------------------------------------------------
    def _stages(self) -> list[Stage]:
        stages: list[Stage] = []
        if self.adam_steps:
            stages.append(Adam(self.adam_steps, self.lr, self.final_lr))
        if self.lbfgs_iter:
            stages.append(LBFGS(self.lbfgs_iter, self.lbfgs_dtype, resample=self.lbfgs_resample))
        return stages

    def _use_compile(self) -> bool:
        if self.compile == "auto":
            return self.adam_steps + self.lbfgs_iter >= 5000 and shutil.which("c++") is not None
        if not isinstance(self.compile, bool):
            raise InvalidParameterError(f"compile must be True, False or 'auto', got {self.compile!r}")
        return self.compile

    def fit(
        self: L,
        equation: Equation,
        points: Mapping[str, np.ndarray] | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> L:
        """Train on ``equation``; ``points`` fixes collocation sets instead of sampling them.

        Returns ``self`` with ``equation_``, ``objective_``, ``history_``,
        ``n_parameters_`` and ``fit_time_`` set.
        """
        stages = self._stages()
        objective = self._objective(equation, points)
        cbs = list(callbacks) + ([ProgressBar(desc=f"{self.name} {equation.name}")] if self.progress else [])
        trainer = Trainer(stages, cbs, checkpoint_dir=self.checkpoint_dir, checkpoint_every=self.checkpoint_every,
                          resume=self.resume)
        t0 = time.perf_counter()
        try:
            trainer.fit(objective)
        finally:
            self._set_fitted(equation, objective, trainer.history, time.perf_counter() - t0)
        return self

    def _set_fitted(self, eq: Equation, objective: Objective, history: History, seconds: float) -> None:
        for net in self._networks(objective).values():
            net.to(resolve_dtype(self.dtype))
        self.equation_ = eq
        self.objective_ = objective
        self.history_ = history
        self.fit_time_ = seconds
        self.n_parameters_ = sum(net.n_parameters for net in self._networks(objective).values())

    def _check_fitted(self) -> None:
        if not hasattr(self, "objective_"):
            raise InvalidParameterError(f"this {type(self).__name__} is not fitted yet: call fit(equation) first")

    def _checked_points(self, points: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return check_points("prediction", points, len(self.equation_.domain.names))

    # -- persistence ----------------------------------------------------------------
    def save(self, directory: str | Path) -> None:
        """Weights to safetensors, config/equation/history to JSON (no pickle)."""
        self._check_fitted()
        nets = self._networks(self.objective_)
        meta: dict[str, Any] = {
            "learner": self.name,
            "params": jsonable_params(self.get_params()),
            "equation": {"name": self.equation_.name, "parameters": self.equation_.parameters()},
            "fitted": self._fitted_meta(),
            "dtype": dtype_name(next(iter(nets.values())).flat.dtype),
            "fit_time_s": self.fit_time_,
            "history": self.history_.to_dict(),
        }
        save_bundle(directory, {key: t for name, net in nets.items() for key, t in _tensors(name, net).items()}, meta)

    @classmethod
    def load(cls: type[L], directory: str | Path) -> L:
        """Rebuild a saved learner; raises InvalidDataError for files that do not match."""
        tensors, meta = load_bundle(directory)
        if meta.get("learner") != cls.name:
            raise InvalidDataError(f"{directory} does not hold a saved {cls.name} model")
        try:
            learner = cls(**meta["params"])
            eq = create(meta["equation"]["name"], **meta["equation"]["parameters"])
            fitted = dict(meta["fitted"])
            history = History.from_dict(meta["history"])
            fit_time = float(meta["fit_time_s"])
            objective = learner._objective(eq, None, fitted)  # builds the networks from the config
        except MALFORMED_CONFIG as exc:
            raise InvalidDataError(f"{directory}: malformed model config ({type(exc).__name__}: {exc})") from None
        for name, net in learner._networks(objective).items():
            for key, target in _tensors(name, net).items():
                if key not in tensors:
                    raise InvalidDataError(f"{directory}: the weights file has no tensor {key!r}")
                if target.shape != tensors[key].shape:
                    raise InvalidDataError(
                        f"{directory}: weights {key!r} have shape {tuple(tensors[key].shape)}, the config "
                        f"expects {tuple(target.shape)}"
                    )
                with torch.no_grad():
                    target.copy_(tensors[key])
        learner._set_fitted(eq, objective, history, fit_time)
        return learner


def _tensors(name: str, net: MLP) -> dict[str, torch.Tensor]:
    """A network's parameters by saved name: the flat layer vector as ``name``, others as ``name.param``."""
    return {name if key == "flat" else f"{name}.{key}": p for key, p in net.named_parameters()}
