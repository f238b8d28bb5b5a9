"""Relative L2 and H1 losses of fields on a grid, averaged (never summed) over the batch.

Fields are ``(batch, channels, nx, ny)`` on a node grid with spacings
``(hx, hy)``. The H1 seminorm uses :func:`torch.gradient`: second-order
central differences inside and one-sided differences at the edges, so a
non-periodic field gets no spurious wrap-around jump (FNO's spectral H1 loss
assumes periodicity). Both norms weight every node alike; the cell volume
cancels in the ratio.
"""

from __future__ import annotations

import torch

from equations.errors import InvalidDataError

LOSSES = ("l2", "h1")


def relative_l2(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ``||pred - target|| / ||target||`` (norms over channels and grid)."""
    _check(pred, target)
    dims = tuple(range(1, pred.ndim))
    return (torch.linalg.vector_norm(pred - target, dim=dims) / torch.linalg.vector_norm(target, dim=dims)).mean()


def _h1_squared(v: torch.Tensor, spacing: tuple[float, float]) -> torch.Tensor:
    gx, gy = torch.gradient(v, spacing=spacing, dim=(-2, -1), edge_order=1)
    return (v.square() + gx.square() + gy.square()).flatten(1).sum(1)


def relative_h1(pred: torch.Tensor, target: torch.Tensor, spacing: tuple[float, float]) -> torch.Tensor:
    """Mean over the batch of ``||e||_H1 / ||target||_H1`` with ``||v||²_H1 = ||v||² + ||∇v||²``."""
    _check(pred, target)
    return torch.sqrt(_h1_squared(pred - target, spacing) / _h1_squared(target, spacing)).mean()


def relative_loss(kind: str, pred: torch.Tensor, target: torch.Tensor, spacing: tuple[float, float]) -> torch.Tensor:
    """``relative_l2`` for ``"l2"``, ``relative_h1`` for ``"h1"``."""
    return relative_h1(pred, target, spacing) if kind == "h1" else relative_l2(pred, target)


def _check(pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.shape != target.shape or pred.ndim != 4:
        raise InvalidDataError(f"relative loss needs two (batch, channels, nx, ny) tensors of one shape, got "
                               f"{tuple(pred.shape)} and {tuple(target.shape)}")
