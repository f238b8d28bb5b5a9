"""The training loop shared by every learner: Adam then L-BFGS, callbacks, guard, resume.

A learner hands the :class:`Trainer` an :class:`Objective` (its parameters and
a loss closure); the trainer runs the stages, records the history, stops with
:class:`~equations.errors.TrainingDivergedError` on a non-finite loss (after
restoring the last good weights, and leaving the last good checkpoint on disk
untouched, so a run resumed from it with, say, a smaller learning rate goes
on exactly from there) and checkpoints so a killed run resumes.

Every kind of learner trains here: the field learners' objectives sample
collocation points, the operator learners' objective
(:class:`sciml.operators.objective.MinibatchObjective`) draws a minibatch of
samples on each ``loss()`` call and keeps its batch order in the checkpoint.
Under ``torchrun`` such an objective reduces the gradients over the ranks
itself (:mod:`sciml.core.distributed`); the trainer only makes sure that rank 0
alone writes checkpoints.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, Protocol

import torch

from equations.errors import (
    InvalidDataError,
    InvalidParameterError,
    TrainingDivergedError,
    check_choice,
    check_integer,
    is_finite_number,
)
from sciml.core import distributed
from sciml.core.callbacks import Callback
from sciml.core.checkpoint import load_bundle, save_bundle
from sciml.core.history import History
from sciml.core.runtime import resolve_dtype


class Objective(Protocol):
    """What a learner gives the trainer."""

    def parameters(self) -> list[torch.nn.Parameter]: ...

    def loss(self) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Total loss and its named parts (for the history).

        A loss without an autograd graph means the objective has set the
        parameters' ``.grad`` itself (hand-written gradients, or gradients
        already reduced over data-parallel ranks); the trainer then does not
        call ``backward``.
        """

    def cast(self, dtype: torch.dtype) -> None:
        """Move parameters and points to ``dtype`` (for a float64 L-BFGS stage)."""

    def on_step(self, step: int) -> bool:
        """Called before each Adam step and between L-BFGS chunks; True if the loss changed
        (new collocation points), which restarts L-BFGS."""

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """Extra tensors a checkpoint must hold (current collocation points)."""

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None: ...

    # optional: ``on_stage(stage)``, called as each stage starts (e.g. to freeze
    # adaptive loss weights during L-BFGS, which needs a fixed objective)


@dataclass(frozen=True)
class StallRule:
    """Stop a stage whose best loss fell by less than ``rtol`` (relative) over the last ``window`` steps.

    The window restarts whenever the objective changes (new collocation
    points), since losses on different point sets are not comparable. ``rtol``
    None switches the rule off.
    """

    rtol: float | None = 1e-2
    window: int = 1000

    def __post_init__(self) -> None:
        check_integer("stall window", self.window, 1)
        if self.rtol is not None and (not is_finite_number(self.rtol) or not 0 < self.rtol < 1):
            raise InvalidParameterError(f"stall rtol must be a number in (0, 1) or None, got {self.rtol!r}")


class _StallWatch:
    """The best loss per step since the objective last changed, and the rule's verdict."""

    def __init__(self, rule: StallRule, saved: dict[str, Any] | None = None):
        self.rule = rule
        self.reset(0)
        if saved:  # resumed from a checkpoint: continue the same window, so a resumed run stops where it would have
            self.start, self.bests = int(saved["start"]), [float(b) for b in saved["bests"]]
            self.best = self.bests[-1] if self.bests else math.inf

    def state(self) -> dict[str, Any]:
        return {"start": self.start, "bests": self.bests}

    def reset(self, step: int) -> None:
        self.start, self.best, self.bests = step, math.inf, []

    def stalled(self, step: int, loss: float) -> bool:
        """Record ``loss`` at ``step`` (steps may advance by more than one); True once the rule fires."""
        self.best = min(self.best, loss)
        self.bests.extend([self.best] * max(step - self.start - len(self.bests), 1))
        if self.rule.rtol is None or len(self.bests) <= self.rule.window:
            return False
        before = self.bests[-1 - self.rule.window]
        return math.isfinite(before) and before - self.best <= self.rule.rtol * abs(before)

    def reason(self) -> str:
        return (f"stalled: the best loss fell by less than {self.rule.rtol:g} (relative) over the last "
                f"{self.rule.window} steps")


SCHEDULES = ("constant", "exponential", "cosine", "one_cycle")


@dataclass(frozen=True)
class Adam:
    """Adam (AdamW with ``weight_decay > 0``) for ``steps`` steps with a learning-rate schedule.

    Parameters
    ----------
    steps : int
        Optimiser steps.
    lr : float
        Initial (for ``one_cycle``: peak) learning rate.
    final_lr : float, optional
        Last learning rate of a decaying schedule (0 allowed for ``cosine``
        and ``one_cycle``). Left out, ``exponential``
        keeps ``lr`` constant (the field learners' setting), ``cosine`` decays
        to ``lr / 100`` and ``one_cycle`` to ``lr / 25 / 1e4``.
    stall : StallRule
        Ends the stage early when the loss stops falling.
    schedule : {"constant", "exponential", "cosine", "one_cycle"}
        ``exponential``: geometric decay ``lr * gamma**k`` to ``final_lr``;
        ``cosine``: cosine annealing from ``lr`` to ``final_lr``;
        ``one_cycle``: :class:`torch.optim.lr_scheduler.OneCycleLR` with its
        defaults (cosine warm-up from ``lr / 25`` to ``lr`` over 30 % of the
        steps, then cosine annealing to ``final_lr``).
    weight_decay : float
        Decoupled weight decay (AdamW) when positive.
    warmup_steps : int
        Linear warm-up: step ``k < warmup_steps`` runs at
        ``(k + 1) / warmup_steps`` of the schedule's rate (the schedule itself
        runs from step 0, so after the warm-up the rate is where it would be
        without one). 0: none.
    """

    steps: int
    lr: float = 1e-3
    final_lr: float | None = None
    stall: StallRule = StallRule()
    schedule: str = "exponential"
    weight_decay: float = 0.0
    warmup_steps: int = 0

    def __post_init__(self) -> None:
        check_integer("Adam steps", self.steps, 0)
        check_choice("Adam schedule", self.schedule, SCHEDULES)
        check_integer("Adam warmup_steps", self.warmup_steps, 0)
        if not is_finite_number(self.lr) or self.lr <= 0:
            raise InvalidParameterError(f"Adam lr must be a positive number, got {self.lr!r}")
        v = self.final_lr  # annealing may end at 0; a geometric decay cannot
        if v is not None and (not is_finite_number(v) or v < 0 or (v == 0 and self.schedule == "exponential")):
            raise InvalidParameterError(f"Adam final_lr must be a positive number (cosine, one_cycle: >= 0), got {v!r}")
        if not is_finite_number(self.weight_decay) or self.weight_decay < 0:
            raise InvalidParameterError(f"Adam weight_decay must be a number >= 0, got {self.weight_decay!r}")

    def lr_at(self, step: int) -> float:
        """Learning rate of step ``step`` (0-based) of this stage."""
        rate = self._scheduled(step)
        return rate * (step + 1) / self.warmup_steps if step < self.warmup_steps else rate

    def _scheduled(self, step: int) -> float:
        if self.schedule == "constant":
            return self.lr
        if self.schedule == "exponential":
            # lr * gamma**k with gamma computed once: the field learners' decay, kept bit for bit
            gamma = (self.final_lr / self.lr) ** (1.0 / max(self.steps, 1)) if self.final_lr else 1.0
            return self.lr * gamma**step
        if self.schedule == "one_cycle":
            return _one_cycle(step, self.steps, self.lr, self.final_lr)
        final = self.final_lr if self.final_lr is not None else self.lr / 100
        frac = step / max(self.steps, 1)
        return final + 0.5 * (self.lr - final) * (1.0 + math.cos(math.pi * frac))

    @property
    def decays(self) -> bool:
        """Whether the learning rate changes during the stage (else it is never touched)."""
        if self.warmup_steps:
            return True
        return self.schedule != "constant" and not (self.schedule == "exponential" and not self.final_lr)


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


@dataclass(frozen=True)
class LBFGS:
    """L-BFGS with a strong-Wolfe line search, run in ``dtype`` (float64 by default).

    It runs in chunks of ``chunk`` iterations; a chunk that stops early (zero
    line-search step, flat loss) triggers a restart from a fresh curvature
    history, up to ``restarts`` times in a row, so the stage does not silently
    end after a few steps as torch's L-BFGS does in float32. With ``resample``
    the objective may redraw its points between chunks (L-BFGS then restarts).
    """

    max_iter: int
    dtype: str | None = "float64"
    history_size: int = 50
    chunk: int = 100
    restarts: int = 2
    resample: bool = False
    stall: StallRule = StallRule()

    def __post_init__(self) -> None:
        check_integer("L-BFGS max_iter", self.max_iter, 0)
        if self.dtype is not None:
            resolve_dtype(self.dtype)


Stage = Adam | LBFGS


class Trainer:
    """Runs the stages on an objective.

    Parameters
    ----------
    stages : sequence of Adam / LBFGS
    callbacks : sequence of Callback
        Progress bar, extra logging...
    checkpoint_dir : path, optional
        Where to checkpoint (every ``checkpoint_every`` Adam steps and at the
        end of every stage); with ``resume=True`` an existing checkpoint there
        is continued from.
    """

    def __init__(
        self,
        stages: Sequence[Stage],
        callbacks: Sequence[Callback] = (),
        checkpoint_dir: str | Path | None = None,
        checkpoint_every: int = 1000,
        resume: bool = False,
    ):
        self.stages = list(stages)
        self.callbacks = list(callbacks)
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self.checkpoint_every = checkpoint_every
        self.resume = resume
        self.history = History()
        self.step = 0
        self.stage_index = 0
        self.total_steps = sum(s.steps if isinstance(s, Adam) else s.max_iter for s in self.stages)
        self._watch: _StallWatch | None = None
        self._saved_watch: dict[str, Any] | None = None
        self.objective: Objective | None = None
        self.step_in_stage = 0
        self._elapsed0 = 0.0  # training seconds before a resume
        self._t0 = time.perf_counter()

    def elapsed_s(self) -> float:
        """Seconds of training so far, including those before a resume (for callbacks timing a run)."""
        return self._elapsed0 + time.perf_counter() - self._t0

    # -- public -----------------------------------------------------------------
    def fit(self, objective: Objective) -> History:
        """Run every stage on ``objective`` (from the checkpoint when resuming); returns the history.

        Raises
        ------
        TrainingDivergedError
            A loss or the weights became NaN/Inf; the last good weights are
            restored and the last checkpoint is left untouched.
        """
        self.objective = objective
        start_in_stage, adam_state = 0, None
        if self.resume and self.checkpoint_dir and (self.checkpoint_dir / "meta.json").exists():
            start_in_stage, adam_state = self._load(objective)
        self._t0 = time.perf_counter()
        for cb in self.callbacks:
            cb.on_train_begin(self)
        try:
            for index in range(self.stage_index, len(self.stages)):
                self.stage_index = index
                stage = self.stages[index]
                t0, step0 = time.perf_counter(), self.step
                self._stage_t0 = t0
                self._first_step_s = math.nan
                on_stage = getattr(objective, "on_stage", None)  # optional hook (frozen loss weights...)
                if on_stage is not None:
                    on_stage(stage)
                self.step_in_stage = start_in_stage
                for cb in self.callbacks:
                    cb.on_stage_begin(self, index)
                if isinstance(stage, Adam):
                    stop = self._run_adam(objective, stage, start_in_stage, adam_state)
                else:
                    stop = self._run_lbfgs(objective, stage)
                elapsed = time.perf_counter() - t0
                n = self.step - step0
                # the first step carries the stage's one-off costs (setting up the optimiser, which imports
                # torch._dynamo on first use; torch.compile): report the rate without it too
                rest = elapsed - self._first_step_s
                self.history.stages.append(
                    {"stage": type(stage).__name__, "steps": n, "seconds": elapsed,
                     "steps_per_second": n / elapsed if elapsed > 0 else math.nan,
                     "first_step_seconds": self._first_step_s,
                     "steady_steps_per_second": (n - 1) / rest if n > 1 and rest > 0 else math.nan,
                     "stop": stop}
                )
                start_in_stage, adam_state = 0, None
                self.stage_index = index + 1
                self._save(objective, None, 0)
                for cb in self.callbacks:
                    cb.on_stage_end(self, index)
        finally:  # close progress bars even when a run is interrupted
            for cb in self.callbacks:
                cb.on_train_end(self)
        return self.history

    # -- stages -----------------------------------------------------------------
    def _run_adam(self, objective: Objective, stage: Adam, start: int, state: dict | None) -> str:
        """Run (the rest of) an Adam stage; returns why it stopped."""
        params = objective.parameters()
        fused = _fused_if_possible(params)
        opt = (torch.optim.AdamW(params, lr=stage.lr, weight_decay=stage.weight_decay, fused=fused)
               if stage.weight_decay > 0 else torch.optim.Adam(params, lr=stage.lr, fused=fused))
        if state is not None:
            saved = opt.state_dict()
            saved["state"] = state
            opt.load_state_dict(saved)
        decays = stage.decays
        weights: list[torch.Tensor] = list(params)
        good = [p.detach().clone() for p in params]
        watch = self._watch = _StallWatch(stage.stall, self._saved_watch if start else None)
        for k in range(start, stage.steps):
            if decays:
                for group in opt.param_groups:
                    group["lr"] = stage.lr_at(k)
            if objective.on_step(self.step):
                watch.reset(k)
                self._event("points redrawn")
            opt.zero_grad(set_to_none=True)
            loss, parts = objective.loss()
            value = loss.item()
            if not math.isfinite(value):
                self._diverged(objective, params, good, value, "Adam")
            with torch.no_grad():
                torch._foreach_copy_(good, weights)  # one call: the weights that gave a finite loss
            if loss.requires_grad:  # else the objective has set the gradients itself
                loss.backward()
            opt.step()
            if k == start:  # from the stage's start: its setup is a one-off cost too
                self._first_step_s = time.perf_counter() - self._stage_t0
            self.step += 1
            self._record(value, parts)
            save = bool(self.checkpoint_dir and self.checkpoint_every and (k + 1) % self.checkpoint_every == 0)
            stalled = watch.stalled(k, value)
            if (save or stalled or k + 1 == stage.steps) and not all(bool(torch.isfinite(p).all()) for p in params):
                # a step can turn the weights to NaN/Inf after a finite loss: never checkpoint or end on them
                self._diverged(objective, params, good, math.nan, "Adam", what="the weights became")
            if save:
                self._save(objective, opt, k + 1)
            if stalled and k + 1 < stage.steps:
                return watch.reason()
        return "budget"

    def _run_lbfgs(self, objective: Objective, stage: LBFGS) -> str:
        """Run an L-BFGS stage; returns why it stopped."""
        if stage.dtype is not None:
            objective.cast(resolve_dtype(stage.dtype))
        params = objective.parameters()
        good = [p.detach().clone() for p in params]

        def closure() -> torch.Tensor:
            opt.zero_grad(set_to_none=True)
            loss, _ = objective.loss()
            loss.backward()
            return loss

        def new_optimizer() -> torch.optim.LBFGS:
            return torch.optim.LBFGS(
                params, lr=1.0, max_iter=stage.chunk, max_eval=stage.chunk * 2,
                history_size=stage.history_size, tolerance_grad=1e-12,
                tolerance_change=1e-16, line_search_fn="strong_wolfe",
            )

        opt, done, failures = new_optimizer(), 0, 0
        best = math.inf
        watch, stop = _StallWatch(stage.stall), "budget"
        while done < stage.max_iter:
            n_before = opt.state[params[0]].get("n_iter", 0) if params[0] in opt.state else 0
            for group in opt.param_groups:
                group["max_iter"] = min(stage.chunk, stage.max_iter - done)
            opt.step(closure)
            n_iter = opt.state[params[0]]["n_iter"] - n_before
            # the last closure call may have been a rejected line-search trial: score the accepted point
            loss, parts = objective.loss()
            value = loss.item()
            if not math.isfinite(value):
                self._diverged(objective, params, good, value, "L-BFGS")
            done += max(n_iter, 1)
            self.step += max(n_iter, 1)
            self._record(value, parts)
            improved = value < best * (1 - 1e-9)
            if improved:
                best = value
                for g, p in zip(good, params):
                    g.copy_(p.detach())
            stalled = n_iter < group["max_iter"] or not improved
            if stage.resample and done < stage.max_iter and objective.on_step(self.step):
                opt, best, failures = new_optimizer(), math.inf, 0  # new points: a new loss
                watch.reset(done)
                self._event("points redrawn")
            elif watch.stalled(done, value):
                stop = watch.reason()
                break
            elif stalled:
                failures += 1
                if failures > stage.restarts:
                    stop = "converged: no progress after restarting L-BFGS"
                    break
                opt = new_optimizer()  # fresh curvature history
            else:
                failures = 0
        with torch.no_grad():  # never end on a worse point than the best seen
            for g, p in zip(good, params):
                p.copy_(g)
        return stop

    # -- helpers ----------------------------------------------------------------
    def _event(self, what: str) -> None:
        for cb in self.callbacks:
            cb.on_event(self, what)

    def _record(self, value: float, parts: dict[str, torch.Tensor]) -> None:
        self.history.record(self.step, value, {k: v.item() for k, v in parts.items()})
        for cb in self.callbacks:
            cb.on_step(self, value)

    def _diverged(self, objective: Objective, params: list, good: list, value: float, stage: str,
                  what: str = "loss became") -> NoReturn:
        with torch.no_grad():
            for g, p in zip(good, params):
                p.copy_(g)
        kept = " and the last good checkpoint was kept" if self.checkpoint_dir else ""
        raise TrainingDivergedError(
            f"{what} {value} at step {self.step} ({stage} stage); training stopped, the last "
            f"good weights were restored{kept}. Try a smaller learning rate or float64."
        )

    def _save(self, objective: Objective, opt: torch.optim.Optimizer | None, in_stage: int) -> None:
        if not self.checkpoint_dir or distributed.rank() != 0:  # data-parallel ranks hold the same weights
            return
        tensors: dict[str, torch.Tensor] = {f"param.{i}": p for i, p in enumerate(objective.parameters())}
        tensors.update({f"objective.{k}": v for k, v in objective.state_tensors().items()})
        if opt is not None:
            for i, st in opt.state_dict()["state"].items():
                for k, v in st.items():
                    tensors[f"adam.{i}.{k}"] = torch.as_tensor(v)
        meta = {"step": self.step, "stage_index": self.stage_index, "in_stage": in_stage,
                "has_optimizer": opt is not None,
                "stall_watch": self._watch.state() if opt is not None and self._watch is not None else None,
                "dtype": str(objective.parameters()[0].dtype), "elapsed_s": self.elapsed_s(),
                "history": self.history.to_dict()}
        save_bundle(self.checkpoint_dir, tensors, meta)

    def _load(self, objective: Objective) -> tuple[int, dict | None]:
        """Restore a checkpoint; :class:`~equations.errors.InvalidDataError` if it does not fit ``objective``."""
        assert self.checkpoint_dir is not None  # only called when checkpointing
        tensors, meta = load_bundle(self.checkpoint_dir)
        try:
            dtype = getattr(torch, meta["dtype"].removeprefix("torch."))
            if objective.parameters()[0].dtype != dtype:
                objective.cast(dtype)
            params = objective.parameters()
            with torch.no_grad():
                for i, p in enumerate(params):
                    saved = tensors[f"param.{i}"]
                    if saved.shape != p.shape:
                        raise InvalidDataError(f"parameter {i} has shape {tuple(saved.shape)} in the checkpoint, "
                                               f"{tuple(p.shape)} in the model")
                    p.copy_(saved)
            objective.load_state_tensors(
                {k.removeprefix("objective."): v for k, v in tensors.items() if k.startswith("objective.")}
            )
            self.step, self.stage_index = meta["step"], meta["stage_index"]
            self.history = History.from_dict(meta["history"])
            self._saved_watch = meta.get("stall_watch")
            self._elapsed0 = float(meta.get("elapsed_s", 0.0))
            state: dict[int, dict[str, torch.Tensor]] = {}
            for key, v in tensors.items():
                if key.startswith("adam."):
                    _, index, name = key.split(".", 2)
                    p = params[int(index)]
                    if v.shape == p.shape:  # the parameter's memory format (fused Adam walks memory linearly)
                        v = torch.empty_like(p).copy_(v)
                    state.setdefault(int(index), {})[name] = v
            return meta["in_stage"], (state if meta["has_optimizer"] else None)
        except KeyError as exc:
            raise InvalidDataError(f"{self.checkpoint_dir}: incomplete checkpoint (missing {exc})") from None


def _fused_if_possible(params: Sequence[torch.Tensor]) -> bool | None:
    """Fused Adam is one kernel per step; it needs tensors on a device that has it."""
    return True if all(p.device.type in ("cpu", "cuda") for p in params) else None
