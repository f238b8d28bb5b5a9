"""Data-parallel helpers for the operator trainer under ``torchrun`` (gloo on CPU, nccl on GPU).

Nothing here initialises a process group: the script run by ``torchrun``
calls :func:`torch.distributed.init_process_group` (or uses :func:`process_group`)
and the trainer picks the group up. Every rank draws the same global batch
from the same seeded generator and takes its own slice of it
(``batch[rank::world]``, the :class:`~torch.utils.data.DistributedSampler`
rule), so the global batch is the single-process one; gradients are weighted
by each rank's share of the batch and summed, which averages them exactly
like one process would, also when the batch does not divide evenly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
import torch.distributed as dist


def is_distributed() -> bool:
    """True inside an initialised process group with more than one rank."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def rank_seed(seed: int) -> int:
    """``seed + rank``: the seed of anything random that must differ per rank (never the batch order)."""
    return int(seed) + rank()


def shard(batch: torch.Tensor) -> torch.Tensor:
    """This rank's slice of a global batch of indices (DistributedSampler's interleaving)."""
    return batch[rank()::world_size()]


def broadcast_parameters(params: Sequence[torch.Tensor]) -> None:
    """Copy rank 0's parameters to every rank (identical replicas, whatever the init)."""
    if is_distributed():
        with torch.no_grad():
            flat = torch.cat([p.detach().reshape(-1) for p in params])
            dist.broadcast(flat, 0)
            for p, v in zip(params, flat.split([p.numel() for p in params])):
                p.copy_(v.view_as(p))


def reduce_gradients(params: Sequence[torch.Tensor], loss: torch.Tensor, weight: float) -> float:
    """Sum ``weight × grad`` and ``weight × loss`` over the ranks in one all-reduce; returns the global loss."""
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads] + [loss.detach().reshape(1).to(grads[0].dtype)]) * weight
    dist.all_reduce(flat)
    for p, g in zip(params, flat[:-1].split([p.numel() for p in params])):
        p.grad = torch.empty_like(p).copy_(g.view_as(p))  # keeps the parameter's memory format
    return float(flat[-1])


@contextmanager
def process_group(backend: str | None = None) -> Iterator[None]:
    """Initialise the group from torchrun's environment (``RANK``, ``WORLD_SIZE``...) and tear it down after.

    Outside torchrun (no ``WORLD_SIZE``) it does nothing, so the same script runs on one process.
    """
    if "WORLD_SIZE" not in os.environ or dist.is_initialized():
        yield
        return
    dist.init_process_group(backend or ("nccl" if torch.cuda.is_available() else "gloo"))
    try:
        yield
        # leave together: a rank that tears gloo down while rank 0 still writes its
        # checkpoint was seen to abort ("terminate called without an active exception")
        dist.barrier()
    finally:
        dist.destroy_process_group()
