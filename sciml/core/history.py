"""The record of a training run that every learner keeps as ``history_``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class History:
    """Per-step records and per-stage timings of a run: every learner's ``history_``.

    Attributes
    ----------
    step, loss : list
        The recorded steps and their total loss.
    parts : dict of list
        Each loss part (``residual``, ``boundary``...) and reported quantity per recorded step.
    stages : list of dict
        Per stage: ``stage``, ``steps``, ``seconds``, ``steps_per_second``,
        ``first_step_seconds``, ``steady_steps_per_second`` and ``stop``
        (``"budget"``, ``"stalled: ..."``, ``"converged: ..."``).
    """

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    parts: dict[str, list[float]] = field(default_factory=dict)
    stages: list[dict[str, Any]] = field(default_factory=list)

    def record(self, step: int, loss: float, parts: dict[str, float]) -> None:
        """Append one step's total loss and its parts."""
        self.step.append(step)
        self.loss.append(loss)
        for k, v in parts.items():
            self.parts.setdefault(k, []).append(v)

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and dicts (what a saved model's JSON holds)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, h: dict[str, Any]) -> History:
        """The inverse of :meth:`to_dict` (a ``KeyError`` names a missing field)."""
        return cls(h["step"], h["loss"], h["parts"], h["stages"])
