"""Size checks of networks before they are built, trained or loaded.

Every learner can count the numbers its network will hold from its
configuration alone (closed forms next to each network class, kept equal to
the built network by the tests). Those counts are checked here:

- :func:`check_network`: building (and training) must fit in the available
  memory (:func:`equations.resources.require_memory`);
- :func:`check_saved`: a saved model's config must not describe a network
  larger than the weights file holds (read from the safetensors header, no
  tensor is loaded) -- a ``meta.json`` edited to ``hidden=[100000]*3`` is
  refused before 80 GB are asked for.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

from equations.errors import InvalidDataError
from equations.resources import require_memory
from sciml.core.runtime import resolve_dtype

#: Copies of the parameters Adam training holds: the weights, their gradients and the two moments.
TRAINING_COPIES = 4


@dataclass(frozen=True)
class NetworkSize:
    """What a network will hold, counted from its configuration.

    Attributes
    ----------
    saved : int
        Numbers the model's weights file holds (parameters, and the buffers
        the learner saves with them).
    other : int
        Numbers held but not saved (fixed features, normalisation buffers).
    per_point : int
        Numbers one evaluation point holds in a forward pass, at least (its
        coordinates and one activation per unit).
    """

    saved: int
    other: int = 0
    per_point: int = 0

    def __add__(self, more: NetworkSize) -> NetworkSize:
        return NetworkSize(self.saved + more.saved, self.other + more.other, self.per_point + more.per_point)


def itemsize(dtype: str | torch.dtype) -> int:
    """Bytes per number of ``dtype`` (``"float32"`` -> 4)."""
    return resolve_dtype(dtype).itemsize


def check_network(what: str, size: NetworkSize, dtype: str | torch.dtype, *, training: bool = False,
                  points: int = 0, extra_bytes: float = 0.0) -> None:
    """Refuse (:class:`~equations.errors.ResourceError`) a network that would not fit in memory.

    Parameters
    ----------
    what : str
        The network, as the message names it (``"the PINN network for burgers"``).
    size : NetworkSize
    dtype
        Precision of the parameters.
    training : bool
        Count :data:`TRAINING_COPIES` copies of the parameters instead of one.
    points : int
        Evaluation points per step (collocation points), each holding ``size.per_point`` numbers.
    extra_bytes : float
        Anything else held at the same time (an L-BFGS history, say).
    """
    copies = TRAINING_COPIES if training else 1
    numbers = size.saved * copies + size.other + points * size.per_point
    detail = f"{size.saved:,} parameters" + (f" and {points:,} points per step" if points else "")
    require_memory(f"{what} ({detail})", numbers * itemsize(dtype) + extra_bytes)


def check_saved(directory: str | Path, size: NetworkSize, dtype: str | torch.dtype,
                shapes: Mapping[str, tuple[int, ...]], file_bytes: int) -> None:
    """Refuse a saved model whose config describes more numbers than its weights file holds, or that cannot fit.

    Parameters
    ----------
    directory : path
        The model folder (for the messages).
    size : NetworkSize
        Counted from the saved config, before anything is built.
    dtype
        Precision the network is built in.
    shapes : mapping
        Tensor shapes from the weights file's header (:func:`sciml.core.checkpoint.bundle_header`).
    file_bytes : int
        Size of the weights file (what loading it reads into memory).

    Raises
    ------
    InvalidDataError
        The config asks for a larger network than the file holds (a damaged or edited ``meta.json``).
    ResourceError
        The weights and the network built for them would not fit in memory.
    """
    stored = sum(math.prod(s) for s in shapes.values())
    if size.saved > stored:
        raise InvalidDataError(f"{directory}: the config describes a network of {size.saved:,} numbers, but the "
                               f"weights file holds {stored:,}; refused before building it")
    require_memory(f"loading the model in {directory} ({size.saved:,} parameters)",
                   file_bytes + (size.saved + size.other) * itemsize(dtype))
