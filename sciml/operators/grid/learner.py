"""Shared learner for operators between fields on a 2-D grid (MgNO, FNO).

Data: ``inputs (n, nx, ny)`` and ``outputs (n, nx, ny)`` arrays, or an xarray
Dataset with ``input`` and ``output`` of dims ``(sample, x, y)`` as made by
:func:`validation.datasets.make`. Inputs are standardised with the training
mean and standard deviation; outputs are divided by their RMS only (no shift),
so a zero Dirichlet value stays zero. The loss is the relative L2 or H1 error
averaged over the batch; training is the shared
:class:`~sciml.core.training.Trainer` (one AdamW stage, one-cycle schedule,
minibatches, checkpoint and resume, NaN guard, ``torchrun`` data parallelism;
:meth:`~sciml.operators.learner.OperatorLearner._train`). The
networks are resolution-agnostic: ``predict`` accepts any grid the
architecture can handle (zero-shot super-resolution).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch

from equations.errors import InvalidDataError, InvalidParameterError, check_integer, is_finite_number
from sciml.core import distributed
from sciml.core.callbacks import Callback
from sciml.core.memory import NetworkSize, check_network
from sciml.core.params import COUNT, NON_NEGATIVE, POSITIVE, POSITIVE_COUNT, Constraint, choice, sequence_of
from sciml.core.runtime import resolve_device, resolve_dtype
from sciml.operators.learner import OperatorLearner
from sciml.operators.losses import LOSSES, relative_h1, relative_l2, relative_loss
from sciml.operators.shapes import grid_batch

Fields = tuple[np.ndarray, np.ndarray | None]


def as_fields(inputs: Any, outputs: Any = None, need_outputs: bool = True) -> Fields:
    """``(inputs, outputs)`` as float64 ``(n, nx, ny)`` arrays, checked; a Dataset gives its ``input``/``output``.

    ``(n, nx, ny, 1)`` is accepted too (:func:`sciml.operators.shapes.grid_batch`).
    """
    if hasattr(inputs, "data_vars"):
        ds = inputs
        inputs = ds["input"].values
        outputs = ds["output"].values if "output" in ds.data_vars else None
    u = grid_batch(inputs, "inputs")
    if outputs is None:
        if need_outputs:
            raise InvalidParameterError("fit needs outputs (or a Dataset with an 'output' variable)")
        return u, None
    s = grid_batch(outputs, "outputs")
    if s.shape != u.shape:
        raise InvalidDataError(f"inputs {u.shape} and outputs {s.shape} must have the same (n, nx, ny) shape")
    return u, s


class Evaluator(Callback):
    """Relative L2 and H1 errors on named sets every ``every`` steps and at the end.

    ``records`` rows hold ``step``, ``epoch``, ``wall_s`` (training time, also
    before a resume, the evaluations' own time left out) and ``<set>_l2``, ``<set>_h1``.
    """

    def __init__(self, learner: GridOperatorLearner, sets: Mapping[str, Fields], every: int, steps_per_epoch: int):
        self.learner, self.sets, self.every, self.per_epoch = learner, dict(sets), every, steps_per_epoch
        self.records: list[dict[str, float]] = []
        self._spent = 0.0

    def _record(self, trainer: Any) -> None:
        t0 = time.perf_counter()
        row = {"step": trainer.step, "epoch": trainer.step / self.per_epoch,
               "wall_s": trainer.elapsed_s() - self._spent}
        for name, (u, s) in self.sets.items():
            for k, v in self.learner.evaluate(u, s).items():
                row[f"{name}_{k.removeprefix('relative_')}"] = v
        self.records.append(row)
        self._spent += time.perf_counter() - t0

    def on_step(self, trainer: Any, loss: float) -> None:
        if self.every and trainer.step % self.every == 0:
            self._record(trainer)

    def on_train_end(self, trainer: Any) -> None:
        if not self.records or self.records[-1]["step"] != trainer.step:
            self._record(trainer)


class GridOperatorLearner(OperatorLearner):
    """Base of the grid operator learners; subclasses build the network in ``_network``.

    Parameters
    ----------
    epochs : int
        Passes over the training set (``n // batch_size`` steps each).
    batch_size : int
    lr, schedule, final_lr, weight_decay
        AdamW settings (:class:`~sciml.core.training.Adam`; ``final_lr`` left
        out: ``lr / 100``, for ``one_cycle`` ``lr / 25 / 1e4``).
    loss : {"h1", "l2"}
        Relative H1 or L2 error, averaged over the batch.
    extent : (float, float)
        Side lengths of the domain (for the grid spacing of the H1 loss).
    seed, device, dtype
        Seed of the weights and the batch order; where and in which precision.
    progress, checkpoint_dir, checkpoint_every, resume
        tqdm bar; checkpoint folder, period in steps and resumption.
    """

    channels_last: ClassVar[bool] = False  # NHWC layout: ~1.5x faster 3×3 convolutions on CPU
    # with the training settings every operator learner shares (OperatorLearner._constraints)
    _constraints: ClassVar[dict[str, Constraint]] = {
        "epochs": COUNT, "batch_size": POSITIVE_COUNT, "weight_decay": NON_NEGATIVE, "loss": choice(*LOSSES),
        "extent": sequence_of(POSITIVE, length=2),
    }

    def __init__(self, epochs: int = 100, batch_size: int = 8, lr: float = 1e-3, schedule: str = "one_cycle",
                 final_lr: float | None = None, weight_decay: float = 1e-4, loss: str = "h1",
                 extent: Sequence[float] = (1.0, 1.0), seed: int = 0, device: str = "cpu", dtype: str = "float32",
                 progress: bool = False, checkpoint_dir: str | None = None, checkpoint_every: int = 1000,
                 resume: bool = False):
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.schedule = schedule
        self.final_lr = final_lr
        self.weight_decay = weight_decay
        self.loss = loss
        # a tuple as documented; anything else is kept as given, for _validate_params to name
        self.extent = tuple(extent) if isinstance(extent, (list, tuple, np.ndarray)) else extent
        self._store_run_settings(seed, device, dtype, progress, checkpoint_dir, checkpoint_every, resume)

    def _network(self, c_in: int, device: torch.device, dtype: torch.dtype) -> torch.nn.Module:
        raise NotImplementedError

    def _parameter_count(self, c_in: int) -> int:
        """Numbers in the state dict of the network for ``c_in`` input channels, counted before it is built."""
        raise NotImplementedError

    def _build(self, c_in: int, training: bool = True) -> torch.nn.Module:
        """The network; :class:`~equations.errors.ResourceError` first if it would not fit in memory."""
        check_network(f"the {self.name} network", NetworkSize(self._parameter_count(c_in)), self.dtype,
                      training=training)
        net = self._network(c_in, resolve_device(self.device), resolve_dtype(self.dtype))
        return net.to(memory_format=torch.channels_last) if self.channels_last else net  # type: ignore[call-overload]

    # -- fitting --------------------------------------------------------------------
    def fit(self, dataset: Any, outputs: Any = None, callbacks: Sequence[Callback] = (),
            eval_sets: Mapping[str, Any] | None = None, eval_every: int | None = None) -> GridOperatorLearner:
        """Train on a Dataset, or on input fields ``dataset`` and ``outputs``.

        ``eval_sets`` maps names to Datasets or ``(inputs, outputs)`` pairs
        scored every ``eval_every`` steps (default: once an epoch) and at the
        end into ``evaluations_``. Returns ``self`` with ``net_``, ``history_``,
        ``evaluations_``, ``fit_time_``, ``n_parameters_``.
        """
        self._validate_params()
        u, s = as_fields(dataset, outputs)
        assert s is not None
        n = u.shape[0]
        bs = check_integer("batch_size", self.batch_size, 1)
        if bs > n:
            raise InvalidParameterError(f"batch_size={bs} exceeds the {n} training samples")
        if (np.sqrt(np.mean(s**2, axis=(1, 2))) == 0).any():
            raise InvalidDataError("some training outputs are identically zero: the relative loss is undefined")
        per_epoch = n // bs
        steps = check_integer("epochs", self.epochs, 0) * per_epoch
        self.stats_ = {"in_mean": float(u.mean()), "in_std": float(u.std()) or 1.0,
                       "out_scale": float(np.sqrt(np.mean(s**2)))}
        self.grid_ = [int(u.shape[1]), int(u.shape[2])]
        net = self._build(1)
        device, dtype = resolve_device(self.device), resolve_dtype(self.dtype)
        x = self._encode(u, device, dtype)
        y = torch.as_tensor(s / self.stats_["out_scale"], device=device, dtype=dtype).unsqueeze(1)
        spacing = self._spacing(u.shape[1:])
        kind = self.loss

        def loss_fn(batch: torch.Tensor | None) -> torch.Tensor:
            xb, yb = (x, y) if batch is None else (x[batch], y[batch])
            return relative_loss(kind, net(xb), yb, spacing)

        sets = {k: (as_fields(v) if not isinstance(v, tuple) else as_fields(*v)) for k, v in (eval_sets or {}).items()}
        cbs = list(callbacks)
        evaluator = None
        if sets and distributed.rank() == 0:
            evaluator = Evaluator(self, sets, eval_every if eval_every is not None else per_epoch, per_epoch)
            cbs.append(evaluator)
        try:
            self._train(net, loss_fn, n, steps, bs, cbs, weight_decay=self.weight_decay,
                        progress_every=max(1, per_epoch // 4))
        finally:
            self.evaluations_ = evaluator.records if evaluator else []
        return self

    def _spacing(self, shape: Sequence[int]) -> tuple[float, float]:
        lx, ly = (float(v) for v in self.extent)
        return lx / max(shape[0] - 1, 1), ly / max(shape[1] - 1, 1)

    def _encode(self, u: np.ndarray, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        st = self.stats_
        x = torch.as_tensor((u - st["in_mean"]) / st["in_std"], device=device, dtype=dtype).unsqueeze(1)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    # -- prediction -------------------------------------------------------------------
    def predict(self, inputs: Any, batch: int = 32) -> np.ndarray:  # type: ignore[override]
        """Outputs ``(n, nx, ny)`` for inputs ``(n, nx, ny)`` or ``(n, nx, ny, 1)`` (or a Dataset).

        Any grid the network handles works (zero-shot super-resolution); the
        outputs are on the inputs' grid.
        """
        self._check_fitted()
        u, _ = as_fields(inputs, need_outputs=False)
        p = next(self.net_.parameters())
        out = []
        with torch.no_grad():
            for k in range(0, u.shape[0], batch):
                out.append(self.net_(self._encode(u[k : k + batch], p.device, p.dtype))[:, 0])
        return torch.cat(out).cpu().numpy().astype(np.float64) * self.stats_["out_scale"]

    def evaluate(self, inputs: Any, outputs: Any = None) -> dict[str, float]:
        """Relative L2 and H1 errors on a test set, averaged over its samples."""
        u, s = as_fields(inputs, outputs)
        pred = torch.as_tensor(self.predict(u)).unsqueeze(1)
        ref = torch.as_tensor(s).unsqueeze(1)
        return {"relative_l2": float(relative_l2(pred, ref)),
                "relative_h1": float(relative_h1(pred, ref, self._spacing(u.shape[1:])))}

    # -- persistence (the base's save/load call these) ---------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        fitted, tensors = super()._state()
        return {**fitted, "stats": self.stats_, "grid": self.grid_, "evaluations": self.evaluations_}, tensors

    def _saved_size(self, fitted: dict[str, Any]) -> NetworkSize:
        return NetworkSize(self._parameter_count(1))

    def _restore(self, fitted: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        stats, grid, evaluations = dict(fitted["stats"]), list(fitted["grid"]), list(fitted.get("evaluations", []))
        for key in ("in_mean", "in_std", "out_scale"):  # the normalisation predict divides by
            value = stats[key]
            if not is_finite_number(value) or (key != "in_mean" and value <= 0):
                raise ValueError(f"stats {key} must be a finite number{'' if key == 'in_mean' else ' > 0'}, "
                                 f"got {value!r}")
        self._restore_network(self._build(1, training=False), tensors)
        self.stats_, self.grid_, self.evaluations_ = stats, grid, evaluations
