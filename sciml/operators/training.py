"""The minibatch training loop of the operator learners (DeepONet, MgNO, FNO).

An operator learner hands :class:`OperatorTrainer` its parameters and a loss
closure ``loss(batch)`` over a batch of sample indices (``None`` for the
whole training set) that returns the loss with its graph, or without one
after setting the parameters' ``.grad`` itself; the loop runs Adam with an optional learning-rate
schedule, draws the batches from its own seeded generator, records the loss
and the elapsed time per step, checkpoints to safetensors + JSON every
``checkpoint_every`` steps (parameters, Adam moments, generator state, the
current epoch's permutation) so that a resumed run is bit-identical to an
uninterrupted one, and stops with :class:`~equations.errors.TrainingDivergedError`
on a non-finite loss, restoring the last good weights and leaving the last
good checkpoint untouched.

Under ``torchrun`` (an initialised process group, see :mod:`sciml.core.distributed`)
every rank draws the same global batch, computes the loss on its own slice,
and the gradients are averaged with the slices' weights, so the run follows
the single-process one on the same global batches; rank 0 alone writes checkpoints.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import torch

from equations.errors import InvalidDataError, InvalidParameterError, TrainingDivergedError, check_choice, check_integer
from sciml.core import distributed
from sciml.core.callbacks import Callback
from sciml.core.checkpoint import load_bundle, save_bundle
from sciml.core.training import History

SCHEDULES = ("constant", "exponential", "cosine", "one_cycle")
LossFn = Callable[[torch.Tensor | None], torch.Tensor]


@dataclass(frozen=True)
class OperatorTraining:
    """Settings of one Adam run.

    Parameters
    ----------
    steps : int
        Optimiser steps (one batch each).
    lr : float
        Initial learning rate.
    schedule : {"constant", "exponential", "cosine", "one_cycle"}
        Learning-rate decay from ``lr`` to ``final_lr`` over ``steps``;
        ``one_cycle`` is :class:`torch.optim.lr_scheduler.OneCycleLR` with its
        defaults (cosine warm-up from ``lr / 25`` to ``lr`` over 30 % of the
        steps, then cosine annealing to ``final_lr``, default ``lr / 25 / 1e4``).
    final_lr : float, optional
        Last learning rate of a decaying schedule (``lr / 100`` if not given).
    batch_size : int, optional
        Samples per step, drawn without replacement epoch by epoch; ``None``
        trains on the whole set every step (no indexing at all).
    seed : int
        Seed of the batch order.
    weight_decay : float
        Decoupled weight decay (AdamW) when positive.
    """

    steps: int
    lr: float = 1e-3
    schedule: str = "constant"
    final_lr: float | None = None
    batch_size: int | None = None
    seed: int = 0
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        check_integer("steps", self.steps, 0)
        check_choice("schedule", self.schedule, SCHEDULES)
        if self.batch_size is not None:
            check_integer("batch_size", self.batch_size, 1)
        for key in ("lr", "final_lr"):
            v = getattr(self, key)
            if v is not None and (not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0):
                raise InvalidParameterError(f"{key} must be a positive number, got {v!r}")
        wd = self.weight_decay
        if not isinstance(wd, (int, float)) or not math.isfinite(wd) or wd < 0:
            raise InvalidParameterError(f"weight_decay must be a number >= 0, got {wd!r}")

    def lr_at(self, step: int) -> float:
        """Learning rate of step ``step`` (0-based)."""
        if self.schedule == "constant":
            return self.lr
        if self.schedule == "one_cycle":
            return _one_cycle(step, self.steps, self.lr, self.final_lr)
        final = self.final_lr if self.final_lr is not None else self.lr / 100
        frac = step / max(self.steps, 1)
        if self.schedule == "exponential":
            return self.lr * (final / self.lr) ** frac
        return final + 0.5 * (self.lr - final) * (1.0 + math.cos(math.pi * frac))


class OperatorTrainer:
    """Runs :class:`OperatorTraining` on a loss closure; exposes ``step``, ``total_steps`` and
    ``stage_index`` for the :class:`~sciml.core.callbacks.Callback` hooks (e.g. the progress bar)."""

    def __init__(self, config: OperatorTraining, callbacks: Sequence[Callback] = (),
                 checkpoint_dir: str | Path | None = None, checkpoint_every: int = 1000, resume: bool = False):
        self.config = config
        self.callbacks = list(callbacks)
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self.checkpoint_every = check_integer("checkpoint_every", checkpoint_every, 0)
        self.resume = resume
        self.history = History()
        self.step = 0
        self.stage_index = 0
        self.total_steps = config.steps
        self.stages = [config]  # one Adam(W) stage, for the callbacks
        self.step_in_stage = 0
        self.objective = None

    def fit(self, params: Sequence[torch.nn.Parameter], loss_fn: LossFn, n_samples: int) -> History:
        """Minimise ``loss_fn`` over ``params``; ``n_samples`` is the size of the training set."""
        cfg, params = self.config, list(params)
        tensors: list[torch.Tensor] = list(params)
        device = params[0].device
        full = cfg.batch_size is None or cfg.batch_size >= n_samples
        gen = torch.Generator(device="cpu").manual_seed(int(cfg.seed))
        fused = device.type in ("cpu", "cuda") or None
        opt = (torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=fused) if cfg.weight_decay
               else torch.optim.Adam(params, lr=cfg.lr, fused=fused))
        perm, pos, elapsed0 = torch.empty(0, dtype=torch.long), 0, 0.0
        if self.resume and self.checkpoint_dir and (self.checkpoint_dir / "meta.json").exists():
            perm, pos, elapsed0 = self._load(params, opt, gen)
        parallel = distributed.is_distributed()
        if parallel:
            if not full and cfg.batch_size < distributed.world_size():  # type: ignore[operator]
                raise InvalidParameterError(f"batch_size={cfg.batch_size} is smaller than the "
                                            f"{distributed.world_size()} processes: some would get no samples")
            distributed.broadcast_parameters(params)
        writer = distributed.rank() == 0
        good = [p.detach().clone() for p in params]
        self.step_in_stage = self.step
        for cb in self.callbacks:
            cb.on_train_begin(self)
            cb.on_stage_begin(self, 0)
        t0, step0 = time.perf_counter(), self.step
        first_step_s = math.nan
        try:
            while self.step < cfg.steps:
                if full:
                    batch = None
                else:
                    if pos + cfg.batch_size > perm.numel():  # type: ignore[operator]
                        perm, pos = torch.randperm(n_samples, generator=gen), 0
                    batch = perm[pos : pos + cfg.batch_size].to(device)  # type: ignore[operator]
                    pos += cfg.batch_size  # type: ignore[operator]
                if cfg.schedule != "constant":
                    for group in opt.param_groups:
                        group["lr"] = cfg.lr_at(self.step)
                opt.zero_grad(set_to_none=True)
                if parallel:  # this rank's slice; gradients averaged with the slices' weights
                    whole = batch if batch is not None else torch.arange(n_samples, device=device)
                    local = distributed.shard(whole)
                    loss = loss_fn(local)
                    if loss.requires_grad:
                        loss.backward()
                    value = distributed.reduce_gradients(params, loss, local.numel() / whole.numel())
                else:
                    loss = loss_fn(batch)
                    value = loss.item()
                if not math.isfinite(value):
                    self._diverged(params, good, f"the loss became {value}")
                with torch.no_grad():
                    torch._foreach_copy_(good, tensors)  # one call: the weights that gave a finite loss
                if loss.requires_grad and not parallel:  # a closure may set the gradients itself (DeepONet)
                    loss.backward()
                opt.step()
                self.step += 1
                now = time.perf_counter() - t0
                if self.step == step0 + 1:
                    first_step_s = now
                self.history.record(self.step, value, {"wall_s": elapsed0 + now})
                for cb in self.callbacks:
                    cb.on_step(self, value)
                due = bool(self.checkpoint_dir and self.checkpoint_every and self.step % self.checkpoint_every == 0)
                if (due or self.step == cfg.steps) and not all(bool(torch.isfinite(p).all()) for p in params):
                    # a step can turn the weights to NaN/Inf after a finite loss: never checkpoint or end on them
                    # (checked on every rank alike: the weights are the same everywhere)
                    self._diverged(params, good, "the weights became nan")
                if due and writer:
                    self._save(params, opt, gen, perm, pos, elapsed0 + now)
        finally:
            for cb in self.callbacks:
                cb.on_train_end(self)
        elapsed, n = time.perf_counter() - t0, self.step - step0
        rest = elapsed - first_step_s
        self.history.stages.append({
            "stage": "Adam", "steps": n, "seconds": elapsed,
            "steps_per_second": n / elapsed if elapsed > 0 else math.nan,
            "first_step_seconds": first_step_s,
            "steady_steps_per_second": (n - 1) / rest if n > 1 and rest > 0 else math.nan})
        if writer and self.checkpoint_dir and n:
            self._save(params, opt, gen, perm, pos, elapsed0 + elapsed)
        return self.history

    def _diverged(self, params: list[torch.nn.Parameter], good: list[torch.Tensor], what: str) -> NoReturn:
        with torch.no_grad():
            for g, p in zip(good, params):
                p.copy_(g)
        raise TrainingDivergedError(
            f"{what} at step {self.step}; training stopped, the last good weights were restored"
            + (" and the last good checkpoint was kept" if self.checkpoint_dir else "")
            + ". Try a smaller learning rate, normalised data or float64.")

    # -- checkpoint ---------------------------------------------------------------
    def _save(self, params: list[torch.nn.Parameter], opt: torch.optim.Optimizer, gen: torch.Generator,
              perm: torch.Tensor, pos: int, elapsed: float) -> None:
        assert self.checkpoint_dir is not None
        tensors: dict[str, torch.Tensor] = {f"param.{i}": p for i, p in enumerate(params)}
        for i, st in opt.state_dict()["state"].items():
            for k, v in st.items():
                tensors[f"adam.{i}.{k}"] = torch.as_tensor(v)
        tensors["generator"] = gen.get_state()
        tensors["permutation"] = perm
        meta = {"step": self.step, "position": pos, "elapsed_s": elapsed, "config": self.config.__dict__,
                "history": self.history.to_dict()}
        save_bundle(self.checkpoint_dir, tensors, meta)

    def _load(self, params: list[torch.nn.Parameter], opt: torch.optim.Optimizer,
              gen: torch.Generator) -> tuple[torch.Tensor, int, float]:
        assert self.checkpoint_dir is not None
        tensors, meta = load_bundle(self.checkpoint_dir)
        try:
            with torch.no_grad():
                for i, p in enumerate(params):
                    saved = tensors[f"param.{i}"]
                    if saved.shape != p.shape:
                        raise InvalidDataError(f"parameter {i} has shape {tuple(saved.shape)} in the checkpoint, "
                                               f"{tuple(p.shape)} in the model")
                    p.copy_(saved)
            state: dict[int, dict[str, torch.Tensor]] = {}
            for key, v in tensors.items():
                if key.startswith("adam."):
                    _, index, name = key.split(".", 2)
                    p = params[int(index)]
                    if v.shape == p.shape:  # the parameter's memory format (fused AdamW walks memory linearly)
                        v = torch.empty_like(p).copy_(v)
                    state.setdefault(int(index), {})[name] = v
            if state:
                saved_opt = opt.state_dict()
                saved_opt["state"] = state
                opt.load_state_dict(saved_opt)
            gen.set_state(tensors["generator"])
            self.step = int(meta["step"])
            self.history = History.from_dict(meta["history"])
            return tensors["permutation"], int(meta["position"]), float(meta["elapsed_s"])
        except KeyError as exc:
            raise InvalidDataError(f"{self.checkpoint_dir}: incomplete checkpoint (missing {exc})") from None


def _one_cycle(step: int, steps: int, lr: float, final_lr: float | None) -> float:
    """OneCycleLR (cosine, ``pct_start=0.3``, ``div_factor=25``, ``final_div_factor=1e4``) at ``step``."""
    start = lr / 25.0
    low = final_lr if final_lr is not None else start / 1e4
    end1, end2 = 0.3 * steps - 1.0, steps - 1.0

    def anneal(a: float, b: float, pct: float) -> float:
        return b + (a - b) / 2.0 * (math.cos(math.pi * pct) + 1.0)

    if step <= end1:
        return anneal(start, lr, step / end1)
    return anneal(lr, low, (step - end1) / max(end2 - end1, 1e-12))
