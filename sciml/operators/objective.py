"""The operator learners' objective for the shared :class:`~sciml.core.training.Trainer`: minibatches.

An operator learner has a loss closure ``loss_fn(batch)`` over a batch of
sample indices (``None``: the whole training set) that returns the loss with
its graph, or without one after setting the parameters' ``.grad`` itself
(DeepONet's hand-written gradients). :class:`MinibatchObjective` draws the
batches from its own seeded generator, without replacement epoch by epoch
(a new permutation once the rest of the current one is shorter than a batch),
and keeps the generator state, the permutation and the position in it among
the checkpoint's tensors, so a resumed run draws the batches the uninterrupted
one would have.

Under ``torchrun`` (an initialised process group, see :mod:`sciml.core.distributed`)
every rank draws the same global batch, computes the loss on its own slice,
and the gradients are averaged with the slices' weights, so the run follows
the single-process one on the same global batches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from equations.errors import InvalidParameterError
from sciml.core import distributed

LossFn = Callable[[torch.Tensor | None], torch.Tensor]


class MinibatchObjective:
    """A loss over minibatches of ``n_samples`` samples, one batch per :meth:`loss` call.

    Parameters
    ----------
    params : sequence of torch.nn.Parameter
        What the trainer optimises.
    loss_fn : callable
        ``loss_fn(batch)``: the loss on the samples ``batch`` (a long tensor on
        the parameters' device) or on all of them (``None``).
    n_samples : int
        Size of the training set.
    batch_size : int, optional
        Samples per step; ``None`` (or at least ``n_samples``) trains on the
        whole set every step, without indexing.
    seed : int
        Seed of the batch order.
    """

    def __init__(self, params: Sequence[torch.nn.Parameter], loss_fn: LossFn, n_samples: int,
                 batch_size: int | None, seed: int):
        self.params = list(params)
        self.loss_fn = loss_fn
        self.n_samples = int(n_samples)
        self.batch_size = None if batch_size is None or batch_size >= n_samples else int(batch_size)
        self.device = self.params[0].device
        self.generator = torch.Generator(device="cpu").manual_seed(int(seed))
        self.permutation = torch.empty(0, dtype=torch.long)
        self.position = 0
        world = distributed.world_size()
        if self.batch_size is not None and self.batch_size < world:
            raise InvalidParameterError(f"batch_size={self.batch_size} is smaller than the {world} processes: "
                                        "some would get no samples")

    # -- the Objective protocol ---------------------------------------------------------
    def parameters(self) -> list[torch.nn.Parameter]:
        return self.params

    def loss(self) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The loss on the next batch; under ``torchrun`` the global loss, gradients already reduced."""
        batch = self._next_batch()
        if not distributed.is_distributed():
            return self.loss_fn(batch), {}
        whole = batch if batch is not None else torch.arange(self.n_samples, device=self.device)
        local = distributed.shard(whole)
        loss = self.loss_fn(local)
        if loss.requires_grad:
            loss.backward()
        # weighted by the slice's share, so uneven slices average like one process would
        value = distributed.reduce_gradients(self.params, loss, local.numel() / whole.numel())
        return torch.tensor(value, dtype=torch.float64), {}  # no graph: the gradients are set

    def cast(self, dtype: torch.dtype) -> None:
        """Nothing: an operator network keeps its dtype (a checkpoint's weights are converted as they are copied)."""

    def on_step(self, step: int) -> bool:
        return False  # the training set never changes

    def on_stage(self, stage: Any) -> None:
        """Identical replicas on every rank before the first step (after a resume too)."""
        distributed.broadcast_parameters(self.params)

    def state_tensors(self) -> dict[str, torch.Tensor]:
        return {"generator": self.generator.get_state(), "permutation": self.permutation,
                "position": torch.tensor(self.position, dtype=torch.long)}

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        self.generator.set_state(tensors["generator"])
        self.permutation = tensors["permutation"]
        self.position = int(tensors["position"])

    # -- batches -------------------------------------------------------------------------
    def _next_batch(self) -> torch.Tensor | None:
        bs = self.batch_size
        if bs is None:
            return None
        if self.position + bs > self.permutation.numel():  # the rest is short of a batch: a new epoch
            self.permutation, self.position = torch.randperm(self.n_samples, generator=self.generator), 0
        batch = self.permutation[self.position : self.position + bs].to(self.device)
        self.position += bs
        return batch
