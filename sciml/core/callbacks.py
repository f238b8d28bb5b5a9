"""Training callbacks: hooks the :class:`~sciml.core.training.Trainer` calls."""

from __future__ import annotations

from typing import Any, Protocol

from tqdm.auto import tqdm


class Trainer(Protocol):
    """What the hooks may read of the :class:`sciml.core.training.Trainer` that calls them."""

    step: int
    total_steps: int
    stage_index: int
    step_in_stage: int  # steps already done in the current stage (a resumed run starts inside one)
    stages: list[Any]
    objective: Any


class Callback:
    """Base class of the training hooks; override the ones you need.

    Every learner kind trains with the same :class:`~sciml.core.training.Trainer`,
    so a callback works for field learners, operator learners and
    accelerators alike (``learner.fit(problem, callbacks=[...])``).
    """

    def on_train_begin(self, trainer: Trainer) -> None:
        """Training starts (or resumes from a checkpoint: ``trainer.step`` > 0)."""

    def on_stage_begin(self, trainer: Trainer, stage_index: int) -> None:
        """Stage ``trainer.stages[stage_index]`` (Adam, L-BFGS) starts."""

    def on_step(self, trainer: Trainer, loss: float) -> None:
        """A step (an Adam step, an L-BFGS iteration) ended with ``loss``."""

    def on_event(self, trainer: Trainer, what: str) -> None:
        """Something worth telling the user happened (``"points redrawn"``...)."""

    def on_stage_end(self, trainer: Trainer, stage_index: int) -> None:
        """Stage ``stage_index`` ended (budget, stall or convergence; see ``history.stages``)."""

    def on_train_end(self, trainer: Trainer) -> None:
        """Training ended (also after a :class:`~equations.errors.TrainingDivergedError`)."""


class ProgressBar(Callback):
    """One tqdm bar per stage that says what the trainer is doing.

    Each stage (Adam, L-BFGS) gets its own bar, total and rate, so the ETA is
    that stage's own (an L-BFGS iteration costs several Adam steps). The first
    step of a stage can carry a one-off cost, ``torch.compile`` of the loss: the
    bar says so while it runs and starts its clock after it, so the ETA is not
    skewed by it. Redrawn collocation points are shown as they happen; an
    L-BFGS stage may end before its total (converged or stalled).
    """

    def __init__(self, every: int = 100, desc: str = "training", **tqdm_options: Any):
        self.every = every
        self.desc = desc
        self.tqdm_options = tqdm_options
        self._bar: tqdm | None = None
        self._shown = 0
        self._stage_start = 0
        self._first = True
        self._note = ""

    def on_train_begin(self, trainer: Trainer) -> None:
        self._bar = None

    def on_stage_begin(self, trainer: Trainer, stage_index: int) -> None:
        self._close()
        stage = trainer.stages[stage_index]
        steps = getattr(stage, "steps", None)
        label = "Adam" if steps is not None else f"L-BFGS ({getattr(stage, 'dtype', None) or 'same dtype'})"
        total = steps if steps is not None else getattr(stage, "max_iter", 0)
        self._stage_start = trainer.step - trainer.step_in_stage
        options = {"dynamic_ncols": True, "leave": False, **self.tqdm_options}
        self._bar = tqdm(total=total, initial=trainer.step_in_stage,
                         desc=f"{self.desc} · {label} [{stage_index + 1}/{len(trainer.stages)}]", **options)
        self._shown = trainer.step
        self._first = True
        # a compiled loss compiles on its first call in each dtype: the first stage, and a stage changing dtype
        compiling = bool(getattr(trainer.objective, "compiles", False)) and (
            stage_index == 0 or getattr(stage, "dtype", None) is not None)
        self._note = ""
        self._bar.set_postfix_str("compiling the loss (one-off, ~10-60 s)..." if compiling else "first step...")

    def on_event(self, trainer: Trainer, what: str) -> None:
        self._note = f"{what} at step {trainer.step}"

    def on_step(self, trainer: Trainer, loss: float) -> None:
        if self._bar is None:
            return
        if self._first:  # restart the clock after one-off costs, so rate and ETA are the steady ones
            self._first = False
            done = trainer.step - self._stage_start
            self._bar.reset(total=self._bar.total)
            self._bar.set_postfix_str(f"loss={loss:.3e}", refresh=False)
            self._bar.update(done)
            self._shown = trainer.step
        elif trainer.step - self._shown >= self.every:
            self._bar.update(trainer.step - self._shown)
            self._shown = trainer.step
            note = f", {self._note}" if self._note else ""
            self._bar.set_postfix_str(f"loss={loss:.3e}{note}", refresh=False)

    def on_stage_end(self, trainer: Trainer, stage_index: int) -> None:
        self._close(trainer)

    def on_train_end(self, trainer: Trainer) -> None:
        self._close(trainer)

    def _close(self, trainer: Trainer | None = None) -> None:
        if self._bar is not None:
            if trainer is not None:
                self._bar.update(trainer.step - self._shown)
            self._bar.close()
            self._bar = None
