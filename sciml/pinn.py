"""The physics-informed neural network learner."""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from equations import Equation, create
from equations.errors import InvalidDataError, InvalidParameterError
from sciml.base import Learner
from sciml.callbacks import Callback, ProgressBar
from sciml.checkpoint import load_bundle, save_bundle
from sciml.networks import MLP
from sciml.pinn_objective import PINNObjective, check_points
from sciml.runtime import dtype_name, numpy_rng, resolve_device, resolve_dtype, torch_generator
from sciml.sampling import METHODS, PointCounts
from sciml.training import LBFGS, Adam, History, Trainer

CONSTRAINTS = ("auto", "soft", "hard")


class PINN(Learner):
    """Physics-informed neural network for one PDE instance.

    The default recipe is what the Burgers benchmark in ``BENCHMARKS.md``
    measures: a 6 x 20 tanh network, hard constraints where the equation offers
    an ansatz, Sobol points redrawn by residual density (RAD) every 2000 Adam
    steps, 15000 Adam steps with the learning rate decaying from 1e-3 to 1e-4,
    then up to 15000 float64 L-BFGS iterations; long runs are compiled.

    Parameters
    ----------
    hidden : sequence of int
        Hidden layer widths.
    activation : str
        ``"tanh"``, ``"sin"`` or ``"sigmoid"``.
    constraints : {"auto", "soft", "hard"}
        How conditions are imposed: penalty terms (soft), the equation's ansatz
        ``u = g + d * N`` (hard), or hard when the equation has an ansatz (auto).
    n_residual, n_boundary, n_initial : int
        Collocation points per set.
    sampling : {"sobol", "uniform", "halton", "lhs"}
    resample_every : int
        Redraw residual points every this many Adam steps (0: never).
    lbfgs_resample : bool
        Keep redrawing during L-BFGS too (restarting it each time).
    adaptive : {None, "rad"}
        Placement of redrawn points: uniform (None) or residual-based adaptive
        distribution (``"rad"``), which concentrates points at fronts.
    adam_steps, lr, final_lr
        Adam stage; the learning rate decays geometrically to ``final_lr`` if given.
    lbfgs_iter : int
        Maximum L-BFGS iterations (0 skips the stage).
    lbfgs_dtype : {"float64", "float32", None}
        Precision of the L-BFGS stage (None keeps ``dtype``).
    weights : mapping, optional
        Loss weights per part (``residual``, ``initial``, ``boundary``, ``periodic``).
    seed : int
        Seeds the weights and the point sampling.
    device, dtype
        Where and in which precision the network lives (float32 by default).
    compile : bool or "auto"
        Fuse the loss with ``torch.compile``: a one-off compile (about 10 s, cached
        across processes) buys about 3x faster steps. ``"auto"`` compiles runs of
        at least 5000 steps when a C++ compiler is found; a failed compile falls
        back to eager execution with a warning.
    progress : bool
        Show a tqdm progress bar.
    checkpoint_dir : path, optional
        Checkpoint there during training; ``resume=True`` continues a killed run.
    """

    name = "pinn"
    kind = "field"

    def __init__(
        self,
        hidden: Sequence[int] = (20, 20, 20, 20, 20, 20),
        activation: str = "tanh",
        constraints: str = "auto",
        n_residual: int = 2540,
        n_boundary: int = 80,
        n_initial: int = 160,
        sampling: str = "sobol",
        resample_every: int = 2000,
        adaptive: str | None = "rad",
        lbfgs_resample: bool = False,
        adam_steps: int = 15000,
        lr: float = 1e-3,
        final_lr: float | None = 1e-4,
        lbfgs_iter: int = 15000,
        lbfgs_dtype: str | None = "float64",
        weights: Mapping[str, float] | None = None,
        seed: int = 0,
        device: str = "cpu",
        dtype: str = "float32",
        compile: bool | str = "auto",
        progress: bool = False,
        checkpoint_dir: str | None = None,
        resume: bool = False,
    ):
        self.hidden = hidden
        self.activation = activation
        self.constraints = constraints
        self.n_residual = n_residual
        self.n_boundary = n_boundary
        self.n_initial = n_initial
        self.sampling = sampling
        self.resample_every = resample_every
        self.adaptive = adaptive
        self.lbfgs_resample = lbfgs_resample
        self.adam_steps = adam_steps
        self.lr = lr
        self.final_lr = final_lr
        self.lbfgs_iter = lbfgs_iter
        self.lbfgs_dtype = lbfgs_dtype
        self.weights = weights
        self.seed = seed
        self.device = device
        self.dtype = dtype
        self.compile = compile
        self.progress = progress
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume

    # -- fitting ------------------------------------------------------------------
    def _validate(self, equation: Equation) -> tuple[bool, list]:
        if self.constraints not in CONSTRAINTS:
            raise InvalidParameterError(f"constraints must be one of {CONSTRAINTS}, got {self.constraints!r}")
        if self.adaptive not in (None, "rad"):
            raise InvalidParameterError(f"adaptive must be None or 'rad', got {self.adaptive!r}")
        if self.sampling not in METHODS:
            raise InvalidParameterError(f"sampling must be one of {METHODS}, got {self.sampling!r}")
        has_ansatz = equation.ansatz(
            {n: np.zeros(1) for n in equation.domain.names}
        ) is not None
        if self.constraints == "hard" and not has_ansatz:
            raise InvalidParameterError(
                f"equation {equation.name!r} has no hard-constraint ansatz; use constraints='soft'"
            )
        stages: list = []
        if self.adam_steps:
            stages.append(Adam(self.adam_steps, self.lr, self.final_lr))
        if self.lbfgs_iter:
            stages.append(LBFGS(self.lbfgs_iter, self.lbfgs_dtype, resample=self.lbfgs_resample))
        return self.constraints == "hard" or (self.constraints == "auto" and has_ansatz), stages

    def _use_compile(self) -> bool:
        if self.compile == "auto":
            return self.adam_steps + self.lbfgs_iter >= 5000 and shutil.which("c++") is not None
        if not isinstance(self.compile, bool):
            raise InvalidParameterError(f"compile must be True, False or 'auto', got {self.compile!r}")
        return self.compile

    def _build_net(self, equation: Equation) -> MLP:
        domain = equation.domain
        lower, upper = zip(*domain.bounds)
        dev = resolve_device(self.device)
        return MLP(
            [len(domain.names), *self.hidden, 1], self.activation, lower, upper,
            generator=torch_generator(self.seed, dev), device=dev, dtype=resolve_dtype(self.dtype),
        )

    def fit(
        self,
        equation: Equation,
        points: Mapping[str, np.ndarray] | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> PINN:
        """Train on ``equation``; ``points`` fixes the collocation sets instead of sampling.

        Returns ``self`` with ``equation_``, ``model_``, ``history_``,
        ``n_parameters_`` and ``fit_time_`` set.
        """
        hard, stages = self._validate(equation)
        counts = PointCounts(self.n_residual, self.n_boundary, self.n_initial)
        net = self._build_net(equation)
        objective = PINNObjective(
            equation, net, hard=hard, weights=self.weights or {}, counts=counts,
            sampling=self.sampling, rng=numpy_rng(self.seed), points=points,
            resample_every=self.resample_every, adaptive=self.adaptive, compile=self._use_compile(),
        )
        cbs = list(callbacks) + ([ProgressBar(desc=f"pinn {equation.name}")] if self.progress else [])
        trainer = Trainer(stages, cbs, checkpoint_dir=self.checkpoint_dir, resume=self.resume)
        t0 = time.perf_counter()
        try:
            trainer.fit(objective)
        finally:
            self._set_fitted(equation, objective, trainer.history, time.perf_counter() - t0, hard)
        return self

    def _set_fitted(self, eq: Equation, objective: PINNObjective, history: History, seconds: float,
                    hard: bool) -> None:
        objective.net.to(resolve_dtype(self.dtype))
        objective.hard = hard
        self.equation_ = eq
        self.model_ = objective.net
        self.objective_ = objective
        self.hard_constraints_ = hard
        self.history_ = history
        self.fit_time_ = seconds
        self.n_parameters_ = objective.net.n_parameters

    # -- prediction ---------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise InvalidParameterError("this PINN is not fitted yet: call fit(equation) first")

    def predict(self, points: np.ndarray, batch_size: int = 65536) -> np.ndarray:
        """The solution at ``points`` (shape ``(n, d)``, coordinates in ``equation.domain.names`` order)."""
        self._check_fitted()
        x = check_points("prediction", points, len(self.equation_.domain.names))
        out = []
        with torch.no_grad():
            for k in range(0, len(x), batch_size):
                xt = torch.as_tensor(x[k : k + batch_size], dtype=self.model_.flat.dtype,
                                     device=self.model_.flat.device)
                out.append(self.objective_.value(xt).cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0)

    # -- persistence ----------------------------------------------------------------
    def save(self, directory: str | Path) -> None:
        """Weights to safetensors, config/equation/history to JSON (no pickle)."""
        self._check_fitted()
        meta: dict[str, Any] = {
            "learner": self.name,
            "params": _jsonable(self.get_params()),
            "equation": {"name": self.equation_.name, "parameters": self.equation_.parameters()},
            "hard_constraints": self.hard_constraints_,
            "dtype": dtype_name(self.model_.flat.dtype),
            "fit_time_s": self.fit_time_,
            "history": self.history_.to_dict(),
        }
        save_bundle(directory, {"flat": self.model_.flat}, meta)

    @classmethod
    def load(cls, directory: str | Path) -> PINN:
        """Rebuild a saved PINN; raises InvalidDataError for files that do not match."""
        tensors, meta = load_bundle(directory)
        if meta.get("learner") != cls.name or "flat" not in tensors:
            raise InvalidDataError(f"{directory} does not hold a saved {cls.name} model")
        try:
            learner = cls(**meta["params"])
            eq = create(meta["equation"]["name"], **meta["equation"]["parameters"])
            hard = bool(meta["hard_constraints"])
            h = meta["history"]
            history = History(h["step"], h["loss"], h["parts"], h["stages"])
            fit_time = float(meta["fit_time_s"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidDataError(f"{directory}: malformed model config ({type(exc).__name__}: {exc})") from None
        net = learner._build_net(eq)
        if net.flat.shape != tensors["flat"].shape:
            raise InvalidDataError(
                f"{directory}: weights have shape {tuple(tensors['flat'].shape)}, the config expects "
                f"{tuple(net.flat.shape)}"
            )
        with torch.no_grad():
            net.flat.copy_(tensors["flat"])
        objective = PINNObjective(
            eq, net, hard=hard, weights={}, counts=PointCounts(1, 0, 0), sampling="uniform",
            rng=numpy_rng(0), points={"residual": np.zeros((1, len(eq.domain.names)))},
        )
        learner._set_fitted(eq, objective, history, fit_time, hard)
        return learner


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else dict(v) if isinstance(v, Mapping) else v)
            for k, v in params.items()}
