"""Training callbacks: hooks the :class:`~sciml.training.Trainer` calls."""

from __future__ import annotations

from typing import Any, Protocol

from tqdm.auto import tqdm


class Trainer(Protocol):
    """What the hooks may read: :class:`sciml.training.Trainer` and the operator trainer both have it."""

    step: int
    total_steps: int
    stage_index: int


class Callback:
    """Base class; override the hooks you need."""

    def on_train_begin(self, trainer: Trainer) -> None: ...

    def on_step(self, trainer: Trainer, loss: float) -> None: ...

    def on_stage_end(self, trainer: Trainer, stage_index: int) -> None: ...

    def on_train_end(self, trainer: Trainer) -> None: ...


class ProgressBar(Callback):
    """A tqdm bar over all stages, refreshed every ``every`` steps (cheap)."""

    def __init__(self, every: int = 100, desc: str = "training", **tqdm_options: Any):
        self.every = every
        self.desc = desc
        self.tqdm_options = tqdm_options
        self._bar: tqdm | None = None
        self._shown = 0

    def on_train_begin(self, trainer: Trainer) -> None:
        options = {"dynamic_ncols": True, "leave": False, **self.tqdm_options}
        self._bar = tqdm(total=trainer.total_steps, desc=self.desc, initial=trainer.step, **options)
        self._shown = trainer.step

    def on_step(self, trainer: Trainer, loss: float) -> None:
        if self._bar is not None and trainer.step - self._shown >= self.every:
            self._bar.update(trainer.step - self._shown)
            self._shown = trainer.step
            self._bar.set_postfix(loss=f"{loss:.3e}", stage=trainer.stage_index, refresh=False)

    def on_train_end(self, trainer: Trainer) -> None:
        if self._bar is not None:
            self._bar.update(trainer.step - self._shown)
            self._bar.close()
