"""What every physics-informed field learner shares: stages, fitting, batching, save and load.

A subclass (PINN, LPINN...) builds its networks and its objective (the loss
the :class:`~sciml.core.training.Trainer` minimises) and says how to predict; this
base turns its optimiser settings into stages, runs the trainer with the
callbacks, and saves / loads the weights (safetensors) and the configuration
(JSON) without pickle.

It also guards the shared entry points: ``fit`` validates the hyperparameters
and refuses networks (and collocation sets) that would not fit in memory
before building them, ``load`` compares the saved config with the weights
file's header before building anything, and ``predict`` warns once
(:class:`~equations.errors.ExtrapolationWarning`) when asked for points
outside the domain.
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
from sciml.core.activations import ACTIVATIONS
from sciml.core.base import Learner, warn_extrapolation
from sciml.core.callbacks import Callback, ProgressBar
from sciml.core.checkpoint import (
    MALFORMED_CONFIG,
    bundle_header,
    bundle_tensors,
    jsonable_params,
    save_bundle,
    tensors_file_bytes,
)
from sciml.core.memory import NetworkSize, check_network, check_saved, itemsize
from sciml.core.networks import MLP
from sciml.core.params import (
    BOOLEAN,
    COUNT,
    DEVICE,
    DTYPE,
    NON_NEGATIVE,
    PATH,
    POSITIVE,
    POSITIVE_COUNT,
    SEED,
    WIDTHS,
    Constraint,
    choice,
    mapping_of,
    optional,
    real,
)
from sciml.core.runtime import dtype_name, resolve_dtype
from sciml.core.training import LBFGS, Adam, History, Objective, Stage, StallRule, Trainer
from sciml.field.pinn_objective import check_points
from sciml.field.sampling import METHODS

L = TypeVar("L", bound="FieldLearner")


class FieldLearner(Learner):
    """Base of the learners that fit one PDE instance by minimising a physics loss.

    Subclasses keep the optimiser settings as attributes (``adam_steps``,
    ``lr``, ``final_lr``, ``lbfgs_iter``, ``lbfgs_dtype``, ``lbfgs_resample``,
    ``compile``, ``progress``, ``checkpoint_dir``, ``checkpoint_every``, ``resume``,
    ``dtype``, ``stall_rtol``, ``stall_window``) and
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
    stall_rtol: float | None
    stall_window: int

    # the settings every field learner has (a subclass adds its own)
    _constraints: ClassVar[dict[str, Constraint]] = {
        "hidden": WIDTHS, "activation": choice(*ACTIVATIONS), "sampling": choice(*METHODS),
        "resample_every": COUNT, "weights": optional(mapping_of(NON_NEGATIVE)),
        "adam_steps": COUNT, "lr": POSITIVE, "final_lr": optional(POSITIVE), "lbfgs_iter": COUNT,
        "lbfgs_dtype": choice(None, "float32", "float64"), "lbfgs_resample": BOOLEAN,
        "compile": choice(True, False, "auto"), "progress": BOOLEAN, "checkpoint_dir": PATH,
        "checkpoint_every": POSITIVE_COUNT, "resume": BOOLEAN, "stall_window": POSITIVE_COUNT,
        "stall_rtol": optional(real(0.0, 1.0, low_open=True, high_open=True)),
        "seed": SEED, "device": DEVICE, "dtype": DTYPE,
    }

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

    def _network_size(self, equation: Equation) -> NetworkSize:
        """What the networks for ``equation`` will hold, counted from the settings (nothing is built)."""
        raise NotImplementedError

    def _points_per_step(self) -> int:
        """Collocation points one training step evaluates."""
        raise NotImplementedError

    # -- shared -----------------------------------------------------------------
    def _stages(self) -> list[Stage]:
        stages: list[Stage] = []
        stall = StallRule(self.stall_rtol, self.stall_window)
        if self.adam_steps:
            stages.append(Adam(self.adam_steps, self.lr, self.final_lr, stall=stall))
        if self.lbfgs_iter:
            stages.append(LBFGS(self.lbfgs_iter, self.lbfgs_dtype, resample=self.lbfgs_resample, stall=stall))
        return stages

    def _check_size(self, equation: Equation) -> None:
        """Refuse, before building anything, a network or point set whose training would not fit in memory.

        Counted: the parameters with Adam's copies, the L-BFGS history (``2 *
        history_size`` vectors in its precision) and, per collocation point,
        its coordinates and one activation per unit: a lower bound.
        """
        size = self._network_size(equation)
        history = 0.0
        if self.lbfgs_iter:
            precision = self.lbfgs_dtype or self.dtype
            history = 2 * LBFGS(self.lbfgs_iter).history_size * size.saved * itemsize(precision)
        check_network(f"training the {self.name} network for {equation.name}", size, self.dtype, training=True,
                      points=self._points_per_step(), extra_bytes=history)

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

        Raises
        ------
        InvalidParameterError
            A hyperparameter has a bad value (named in the message).
        ResourceError
            The network or the collocation points would not fit in memory
            (the estimate and the available memory in the message); nothing
            was allocated.
        """
        self._validate_params()
        self._check_size(equation)
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
        """Prediction points as a checked ``(n, d)`` array; warns once if some lie outside the domain."""
        self._check_fitted()
        domain = self.equation_.domain
        x = check_points("prediction", points, len(domain.names))
        where = f"the {self.equation_.name} domain (bounds {_bounds(domain.bounds)} in {', '.join(domain.names)})"
        warn_extrapolation(self, domain.outside(x), where, stacklevel=4)
        return x

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
        """Rebuild a saved learner; raises InvalidDataError for files that do not match.

        The config is validated and the network it describes is counted
        against the weights file's header and the available memory before
        anything is built or read (:func:`sciml.core.memory.check_saved`).
        """
        meta, shapes = bundle_header(directory)
        if meta.get("learner") != cls.name:
            raise InvalidDataError(f"{directory} does not hold a saved {cls.name} model")
        try:
            learner = cls(**meta["params"])
            learner._validate_params()
            eq = create(meta["equation"]["name"], **meta["equation"]["parameters"])
            fitted = dict(meta["fitted"])
            history = History.from_dict(meta["history"])
            fit_time = float(meta["fit_time_s"])
            size = learner._network_size(eq)
        except MALFORMED_CONFIG as exc:
            raise InvalidDataError(f"{directory}: malformed model config ({type(exc).__name__}: {exc})") from None
        check_saved(directory, size, learner.dtype, shapes, tensors_file_bytes(directory))
        tensors = bundle_tensors(directory)
        try:
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


def _bounds(bounds: Sequence[tuple[float, float]]) -> str:
    return " x ".join(f"[{float(lo):g}, {float(hi):g}]" for lo, hi in bounds)


def _tensors(name: str, net: MLP) -> dict[str, torch.Tensor]:
    """A network's parameters by saved name: the flat layer vector as ``name``, others as ``name.param``."""
    return {name if key == "flat" else f"{name}.{key}": p for key, p in net.named_parameters()}
