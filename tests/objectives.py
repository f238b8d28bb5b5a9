"""A tiny trainer objective shared by the fault and security tests (imported as ``from objectives import ...``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch


class Quadratic:
    """``sum((p - target)^2)`` in float64, with a NaN loss or an Inf gradient on chosen loss calls."""

    def __init__(self, start: Sequence[float] = (0.0, 1.0, -2.0), target: float = 3.0,
                 nan_at: int | None = None, inf_grad_at: int | None = None):
        self.p = torch.nn.Parameter(torch.tensor(list(start), dtype=torch.float64))
        self.target, self.nan_at, self.inf_grad_at, self.calls = target, nan_at, inf_grad_at, 0

    def parameters(self) -> list[torch.nn.Parameter]:
        return [self.p]

    def loss(self) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        q = self.p * 1.0
        if self.calls == self.inf_grad_at:
            q.register_hook(lambda g: torch.full_like(g, math.inf))  # finite loss, Inf gradient
        loss = ((q - self.target) ** 2).sum()
        if self.calls == self.nan_at:
            loss = loss * math.nan
        self.calls += 1
        return loss, {"residual": loss}

    def cast(self, dtype: torch.dtype) -> None:
        pass

    def on_step(self, step: int) -> bool:
        return False

    def state_tensors(self) -> dict[str, torch.Tensor]:
        return {}

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        pass
