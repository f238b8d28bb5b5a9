"""Dense layers (and a few scalars) packed into one flat parameter vector.

Networks keep every trainable number in a single tensor so that an optimiser
step updates one tensor (much less per-step overhead for small networks).
:class:`FlatLayers` says where each layer's weights live in it and builds
their views. A layer is stored as ``[W, b]``, or, with random weight
factorisation (Wang, Wang & Perdikaris 2022), as ``[s, V, b]`` with
``W = diag(exp(s)) V``: every output unit gets a trainable log-scale ``s``,
drawn ``N(mean, 0.1)`` at initialisation, which rescales the loss landscape
and speeds up training of physics-informed networks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from equations.errors import InvalidParameterError

#: standard deviation of the log-scales of random weight factorisation (the paper's value)
FACTORISATION_STD = 0.1


class FlatLayers:
    """Where dense layers ``fan_in -> fan_out`` and ``scalars`` extra numbers live in a flat vector.

    Parameters
    ----------
    shapes : sequence of (int, int)
        ``(fan_in, fan_out)`` per layer, in storage order.
    factorisation : float, optional
        Mean of the log-scales ``s`` of random weight factorisation (None: plain ``W``).
    scalars : int
        Extra trainable numbers stored after the layers (e.g. PirateNet's gates).
    """

    def __init__(self, shapes: Sequence[tuple[int, int]], factorisation: float | None = None, scalars: int = 0):
        if factorisation is not None and not math.isfinite(factorisation):
            raise InvalidParameterError(f"weight factorisation mean must be finite, got {factorisation!r}")
        self.shapes = [(int(i), int(o)) for i, o in shapes]
        self.factorisation = factorisation
        self.n_scalars = scalars
        per_layer = [i * o + o + (o if factorisation is not None else 0) for i, o in self.shapes]
        self.size = sum(per_layer) + scalars

    def weights(self, flat: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """``(W, b)`` per layer: views of ``flat``, or ``exp(s) * V`` when factorised."""
        out, k = [], 0
        for i, o in self.shapes:
            if self.factorisation is not None:
                log_scale = flat[k : k + o]
                k += o
                w = torch.exp(log_scale)[:, None] * flat[k : k + i * o].view(o, i)
            else:
                w = flat[k : k + i * o].view(o, i)
            k += i * o
            out.append((w, flat[k : k + o]))
            k += o
        return out

    def scalars(self, flat: torch.Tensor) -> torch.Tensor:
        """The extra numbers stored after the layers."""
        return flat[self.size - self.n_scalars : self.size]

    def initialise(self, flat: torch.Tensor, generator: torch.Generator) -> None:
        """Glorot-normal weights, zero biases and scalars; factorised layers split ``W`` into ``exp(s) V``."""
        with torch.no_grad():
            flat.zero_()
            # every W first, in layer order, then the log-scales: the plain network's draw is unchanged
            weights = [torch.randn((o, i), generator=generator, dtype=flat.dtype, device=flat.device)
                       * math.sqrt(2.0 / (i + o)) for i, o in self.shapes]
            k = 0
            for (i, o), w in zip(self.shapes, weights):
                if self.factorisation is not None:
                    s = self.factorisation + FACTORISATION_STD * torch.randn(
                        o, generator=generator, dtype=flat.dtype, device=flat.device)
                    flat[k : k + o] = s
                    k += o
                    w = w / torch.exp(s)[:, None]
                flat[k : k + i * o] = w.reshape(-1)
                k += i * o + o

    def set_weight(self, flat: torch.Tensor, layer: int, weight: torch.Tensor, bias: torch.Tensor) -> None:
        """Overwrite one layer so that it computes ``weight`` and ``bias`` (keeping its log-scales)."""
        k = sum(i * o + o + (o if self.factorisation is not None else 0) for i, o in self.shapes[:layer])
        i, o = self.shapes[layer]
        with torch.no_grad():
            if self.factorisation is not None:
                weight = weight / torch.exp(flat[k : k + o])[:, None]
                k += o
            flat[k : k + i * o] = weight.reshape(-1).to(flat.dtype)
            flat[k + i * o : k + i * o + o] = bias.to(flat.dtype)
