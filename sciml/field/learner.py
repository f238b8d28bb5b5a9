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
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch

from equations import Equation, create
from equations.systems import check_system, is_system, require_scalar
from sciml.core.activations import ACTIVATIONS
from sciml.core.base import Learner, copy_tensors, warn_extrapolation
from sciml.core.callbacks import Callback, ProgressBar
from sciml.core.history import History
from sciml.core.jet_network import JetNetwork
from sciml.core.memory import NetworkSize, check_network, itemsize
from sciml.core.params import (
    BOOLEAN,
    DEVICE,
    DTYPE,
    NON_NEGATIVE,
    SEED,
    WIDTHS,
    Constraint,
    choice,
    mapping_of,
    optional,
)
from sciml.core.runtime import dtype_name, resolve_dtype
from sciml.core.training import LBFGS, Adam, Objective, Stage, StallRule, Trainer
from sciml.field.advice import warn_known_failure
from sciml.field.config import Checkpointing, Optimiser
from sciml.field.pinn_objective import check_points

L = TypeVar("L", bound="FieldLearner")


class FieldLearner(Learner):
    """Base of the learners that fit one PDE instance by minimising a physics loss.

    The optimiser and checkpoint settings are config objects
    (:class:`~sciml.field.config.Optimiser`, :class:`~sciml.field.config.Checkpointing`)
    whose defaults each learner states in ``configs``; a subclass stores its
    constructor arguments and implements :meth:`_objective`, :meth:`_networks`,
    :meth:`_network_size`, :meth:`_points_per_step` and :meth:`predict`.
    """

    kind: ClassVar[str] = "field"
    #: Whether the learner fits systems (several fields: one output per field); else it refuses them.
    fits_systems: ClassVar[bool] = True
    dtype: str
    progress: bool

    # the settings every field learner has (a subclass adds its own)
    _constraints: ClassVar[dict[str, Constraint]] = {
        "hidden": WIDTHS, "activation": choice(*ACTIVATIONS), "weights": optional(mapping_of(NON_NEGATIVE)),
        "progress": BOOLEAN, "seed": SEED, "device": DEVICE, "dtype": DTYPE,
    }

    def _store_run_settings(self, optimiser: Any, checkpointing: Any, seed: int, device: str, dtype: str,
                            progress: bool) -> None:
        """Store, unchanged, the settings every field learner has."""
        self.optimiser = optimiser
        self.checkpointing = checkpointing
        self.seed = seed
        self.device = device
        self.dtype = dtype
        self.progress = progress

    # -- to implement --------------------------------------------------------------
    def _objective(self, equation: Equation, points: Mapping[str, np.ndarray] | None,
                   fitted: Mapping[str, Any] | None = None) -> Objective:
        """The objective for ``equation``; ``fitted`` is the saved fit metadata when loading."""
        raise NotImplementedError

    def _networks(self, objective: Any) -> Mapping[str, JetNetwork]:
        """The fitted objective's networks by name (the saved tensors' names)."""
        raise NotImplementedError

    def _fitted_objective(self, equation: Equation, fitted: Mapping[str, Any]) -> Any:
        """What a saved model's networks are loaded into (by default the objective built for loading)."""
        return self._objective(equation, None, fitted)

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
        opt: Optimiser = self.config("optimiser")
        stages: list[Stage] = []
        stall = StallRule(opt.stall_rtol, opt.stall_window)
        if opt.adam_steps:
            stages.append(Adam(opt.adam_steps, opt.lr, opt.final_lr, stall=stall, warmup_steps=opt.warmup_steps))
        if opt.lbfgs_iter:
            stages.append(LBFGS(opt.lbfgs_iter, opt.lbfgs_dtype, resample=opt.lbfgs_resample, stall=stall))
        return stages

    def _check_size(self, equation: Equation) -> None:
        """Refuse, before building anything, a network or point set whose training would not fit in memory.

        Counted: the parameters with Adam's copies, the L-BFGS history (``2 *
        history_size`` vectors in its precision) and, per collocation point,
        its coordinates and one activation per unit: a lower bound.
        """
        size = self._network_size(equation)
        opt: Optimiser = self.config("optimiser")
        history = 0.0
        if opt.lbfgs_iter:
            precision = opt.lbfgs_dtype or self.dtype
            history = 2 * LBFGS(opt.lbfgs_iter).history_size * size.saved * itemsize(precision)
        check_network(f"training the {self.name} network for {equation.label}", size, self.dtype, training=True,
                      points=self._points_per_step(), extra_bytes=history)

    def _use_compile(self) -> bool:
        opt: Optimiser = self.config("optimiser")
        if opt.compile == "auto":
            return opt.adam_steps + opt.lbfgs_iter >= 5000 and shutil.which("c++") is not None
        return bool(opt.compile)

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
        self._check_fit(equation)
        warn_known_failure(self, equation)
        stages = self._stages()
        objective = self._objective(equation, points)
        ckpt: Checkpointing = self.config("checkpointing")
        trainer = self._trainer(stages, callbacks, equation.label, ckpt.checkpoint_dir)
        t0 = time.perf_counter()
        try:
            trainer.fit(objective)
        finally:
            self._set_fitted(equation, objective, trainer.history, time.perf_counter() - t0)
        return self

    def _check_fit(self, equation: Equation) -> None:
        """Validate the settings and refuse, by name, an equation or a size this learner cannot fit."""
        self._validate_params()
        if not self.fits_systems:
            require_scalar(equation, f"the {self.name} learner")
        elif is_system(equation):
            check_system(equation)  # a broken system is refused by name before any network is built
        self._check_size(equation)

    def _trainer(self, stages: list[Stage], callbacks: Sequence[Callback], label: str,
                 checkpoint_dir: str | None) -> Trainer:
        """A trainer for the stages with the callbacks (and a progress bar if asked for)."""
        cbs = list(callbacks) + ([ProgressBar(desc=f"{self.name} {label}")] if self.progress else [])
        ckpt: Checkpointing = self.config("checkpointing")
        return Trainer(stages, cbs, checkpoint_dir=checkpoint_dir, checkpoint_every=ckpt.checkpoint_every,
                       resume=ckpt.resume)

    def _set_fitted(self, eq: Equation, objective: Any, history: History, seconds: float) -> None:
        nets = self._networks(objective)
        for net in nets.values():
            net.to(resolve_dtype(self.dtype))
        self.equation_ = eq
        self.objective_ = objective
        self._set_contract(history, seconds, sum(net.n_parameters for net in nets.values()))

    def _is_fitted(self) -> bool:
        return hasattr(self, "objective_")

    def _checked_points(self, points: np.ndarray) -> np.ndarray:
        """Prediction points as a checked ``(n, d)`` array; warns once if some lie outside the domain."""
        self._check_fitted()
        domain = self.equation_.domain
        x = check_points("prediction", points, len(domain.names))
        where = f"the {self.equation_.name} domain (bounds {_bounds(domain.bounds)} in {', '.join(domain.names)})"
        warn_extrapolation(self, domain.outside(x), where, stacklevel=4)
        return x

    # -- persistence (the base's save/load call these) ---------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        nets = self._networks(self.objective_)
        fitted = {"equation": {"name": self.equation_.name, "parameters": self.equation_.parameters()},
                  "dtype": dtype_name(next(iter(nets.values())).flat.dtype), **self._fitted_meta()}
        return fitted, {key: t for name, net in nets.items() for key, t in _tensors(name, net).items()}

    def _saved_size(self, fitted: dict[str, Any]) -> NetworkSize:
        return self._network_size(_saved_equation(fitted))

    def _restore(self, fitted: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        eq = _saved_equation(fitted)
        objective = self._fitted_objective(eq, fitted)  # builds the networks from the config
        nets = self._networks(objective)
        copy_tensors({key: t for name, net in nets.items() for key, t in _tensors(name, net).items()}, tensors)
        self._set_fitted(eq, objective, History(), 0.0)


def _saved_equation(fitted: dict[str, Any]) -> Equation:
    return create(fitted["equation"]["name"], **fitted["equation"]["parameters"])


def _bounds(bounds: Sequence[tuple[float, float]]) -> str:
    return " x ".join(f"[{float(lo):g}, {float(hi):g}]" for lo, hi in bounds)


def _tensors(name: str, net: JetNetwork) -> dict[str, torch.Tensor]:
    """A network's parameters by saved name: the flat layer vector as ``name``, others as ``name.param``."""
    return {name if key == "flat" else f"{name}.{key}": p for key, p in net.named_parameters()}
