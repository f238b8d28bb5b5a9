"""The record of a training run that every learner keeps as ``history_``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class History:
    """Per-step records and per-stage timings of a run."""

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    parts: dict[str, list[float]] = field(default_factory=dict)
    stages: list[dict[str, Any]] = field(default_factory=list)

    def record(self, step: int, loss: float, parts: dict[str, float]) -> None:
        self.step.append(step)
        self.loss.append(loss)
        for k, v in parts.items():
            self.parts.setdefault(k, []).append(v)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, h: dict[str, Any]) -> History:
        """The inverse of :meth:`to_dict` (a ``KeyError`` names a missing field)."""
        return cls(h["step"], h["loss"], h["parts"], h["stages"])
