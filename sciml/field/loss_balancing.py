"""Causal weighting of the residual and adaptive loss weights for physics-informed objectives.

Two upgrades any PINN-type objective can use:

- :class:`CausalSlabs` (Wang, Sankaran & Perdikaris 2022, "Respecting
  causality"): the residual points are grouped into equal-width time slabs;
  with ``L_i`` the mean squared residual in slab ``i`` (slabs in time order)
  the residual loss is ``mean_i(w_i L_i)`` with ``w_i = exp(-eps sum_{k<i} L_k)``,
  the weights computed without gradient. The slab of each point is fixed when
  the points are set, so the loss itself has no data-dependent control flow
  (``torch.compile`` friendly).
- :class:`LossBalancer`: weights ``lambda_i`` of the loss parts, updated
  between optimiser steps, either by learning-rate annealing (``"gradnorm"``,
  Wang, Teng & Perdikaris 2021) or by the loss-change rule used for singular
  ODEs (``"loss_change"``). Its state (the weights, the losses at the previous
  update) is saved in checkpoints, so a resumed run continues exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import torch

from equations import Equation
from equations.errors import InvalidParameterError, check_integer

BALANCING = (None, "gradnorm", "loss_change")


def _check_positive(what: str, v: object) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        raise InvalidParameterError(f"{what} must be a finite number > 0, got {v!r}")
    return float(v)


class CausalSlabs:
    """Causal weights ``w_i = exp(-eps sum_{k<i} L_k)`` over time slabs of the residual points.

    Parameters
    ----------
    equation : Equation
        An evolution equation (its domain has a time interval, the last coordinate).
    eps : float
        Causality parameter (> 0): larger values wait longer for early slabs.
    slabs : int
        Number of equal-width time slabs (>= 1). Slabs that hold no point are
        dropped, so every slab loss is a mean over at least one point.
    """

    def __init__(self, equation: Equation, eps: float, slabs: int = 32):
        time = equation.domain.time
        if time is None:
            raise InvalidParameterError(
                f"causal training needs an evolution equation; {equation.label!r} has no time axis"
            )
        self.eps = _check_positive("causal (eps)", eps)
        self.slabs = check_integer("causal_slabs", slabs, 1)
        self.start, self.stop = float(time.start), float(time.stop)
        self.index: torch.Tensor | None = None
        self.counts: torch.Tensor | None = None
        # weights held fixed during L-BFGS, whose line search needs a fixed objective
        self.frozen: np.ndarray | None = None
        self._frozen: torch.Tensor | None = None

    def prepare(self, t: np.ndarray, like: torch.Tensor) -> None:
        """Assign each residual point (time ``t``) to its slab; tensors on ``like``'s device and dtype."""
        raw = np.floor((np.asarray(t, dtype=float) - self.start) / (self.stop - self.start) * self.slabs)
        raw = np.clip(raw, 0, self.slabs - 1).astype(np.int64)
        _, index, counts = np.unique(raw, return_inverse=True, return_counts=True)  # drops empty slabs
        self.index = torch.as_tensor(index.reshape(-1), device=like.device)
        self.counts = torch.as_tensor(counts, dtype=like.dtype, device=like.device)
        self._frozen = (None if self.frozen is None
                        else torch.as_tensor(self.frozen, dtype=like.dtype, device=like.device))

    def freeze(self, r2: torch.Tensor | None) -> None:
        """Hold the weights of the squared residuals ``r2`` fixed (None: let them follow the losses again)."""
        if r2 is None:
            self.frozen, self._frozen = None, None
            return
        w = self.weights(self.slab_losses(r2))
        self.frozen = w.double().cpu().numpy()
        self._frozen = w

    def slab_losses(self, r2: torch.Tensor) -> torch.Tensor:
        """Mean of ``r2`` (squared residuals, one per point) in each slab, in time order."""
        assert self.index is not None and self.counts is not None  # prepare() comes first
        sums = torch.zeros_like(self.counts).index_add(0, self.index, r2)
        return sums / self.counts

    def weights(self, losses: torch.Tensor) -> torch.Tensor:
        """``exp(-eps * sum_{k<i} L_k)`` of the slab losses, without gradient (the first is 1)."""
        with torch.no_grad():
            before = torch.cumsum(losses.detach(), 0) - losses.detach()
            return torch.exp(-self.eps * before)

    def loss(self, r2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The causal residual loss ``mean_i(w_i L_i)`` and the smallest weight."""
        (loss,), smallest = self.losses([r2])
        return loss, smallest

    def losses(self, r2s: list[torch.Tensor]) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The causal losses of a system's residuals (one squared residual per point each) and the smallest weight.

        The weights come from the slab losses summed over the equations (a
        time is fitted once every equation is fitted before it) and weigh each
        equation's slab losses alike.
        """
        slabs = [self.slab_losses(r2) for r2 in r2s]
        frozen = self._frozen
        w = frozen if frozen is not None and frozen.shape == slabs[0].shape else self.weights(torch.stack(slabs).sum(0))
        return [(w * losses).mean() for losses in slabs], w.min()


class LossBalancer:
    """Adaptive weights ``lambda_i`` of the loss parts, updated every ``every`` steps.

    Parameters
    ----------
    method : {"gradnorm", "loss_change"}
        ``"gradnorm"`` (learning-rate annealing, Wang, Teng & Perdikaris 2021):
        the residual keeps weight 1 and every other part ``i`` gets
        ``lambda_hat_i = max|grad L_residual| / mean|grad L_i|`` (gradients with
        respect to all network parameters, unweighted losses), smoothed as
        ``lambda_i <- (1 - alpha) lambda_i + alpha lambda_hat_i`` (``alpha`` is
        the weight of the new estimate: 0.1 is a moving average with momentum
        0.9). ``"loss_change"``: every part gets
        ``lambda_i = n exp(c dL_i) / sum_j exp(c dL_j)`` with
        ``dL_i = L_i(now) / L_i(previous update) - 1`` the relative change since
        the previous update, so the lambdas sum to the number ``n`` of parts and
        the parts that decrease slowest get the most weight; at the first
        update (no previous losses) the lambdas stay 1.
    names : sequence of str
        The parts of the loss (``"residual"`` first for ``"gradnorm"``).
    every : int
        Update every this many steps (at steps 0, every, 2 every...).
    alpha : float
        Smoothing of ``"gradnorm"``.
    c : float
        Sharpness of ``"loss_change"``.
    """

    def __init__(self, method: str, names: Sequence[str], every: int = 100, alpha: float = 0.1,
                 c: float = 1.0):
        if method not in BALANCING[1:]:
            raise InvalidParameterError(f"balancing must be one of {BALANCING}, got {method!r}")
        self.method = method
        self.every = check_integer("balance_every", every, 1)
        self.alpha = _check_positive("balance alpha", alpha)
        if self.alpha > 1:
            raise InvalidParameterError(f"balance alpha must be in (0, 1], got {alpha!r}")
        self.c = _check_positive("balance_c", c)
        names = list(names)
        # gradnorm balances the other parts against the residual, which keeps weight 1
        self.names = [n for n in names if n != "residual"] if method == "gradnorm" else names
        self.lambdas = torch.ones(len(self.names), dtype=torch.float64)
        self.previous = torch.full((len(self.names),), math.nan, dtype=torch.float64)

    def due(self, step: int) -> bool:
        return bool(self.names) and step % self.every == 0

    def update(self, parts: Mapping[str, torch.Tensor], params: Sequence[torch.Tensor]) -> None:
        """New lambdas from the current (unweighted, differentiable) loss parts."""
        if self.method == "gradnorm":
            self._gradnorm(parts, params)
        else:
            self._loss_change(parts)

    def _gradnorm(self, parts: Mapping[str, torch.Tensor], params: Sequence[torch.Tensor]) -> None:
        def grads(loss: torch.Tensor) -> torch.Tensor:
            g = torch.autograd.grad(loss, list(params), retain_graph=True, allow_unused=True)
            return torch.cat([(gi if gi is not None else torch.zeros_like(p)).reshape(-1).abs()
                              for gi, p in zip(g, params)]).double()

        top = grads(parts["residual"]).max()
        new = self.lambdas.clone()
        for i, name in enumerate(self.names):
            mean = grads(parts[name]).mean()
            if mean > 0 and torch.isfinite(mean) and torch.isfinite(top):  # else keep the weight
                new[i] = (1 - self.alpha) * self.lambdas[i] + self.alpha * (top / mean).cpu()
        self.lambdas = new

    def _loss_change(self, parts: Mapping[str, torch.Tensor]) -> None:
        now = torch.stack([parts[n].detach().double().cpu() for n in self.names])
        if not torch.isnan(self.previous).any():
            change = now / self.previous - 1
            if torch.isfinite(change).all():
                self.lambdas = len(self.names) * torch.softmax(self.c * change, 0)
        self.previous = now

    def state_tensors(self) -> dict[str, torch.Tensor]:
        return {"lambdas": self.lambdas.clone(), "previous": self.previous.clone()}

    def load_state_tensors(self, tensors: Mapping[str, torch.Tensor]) -> None:
        self.lambdas = tensors["lambdas"].double().clone()
        self.previous = tensors["previous"].double().clone()
