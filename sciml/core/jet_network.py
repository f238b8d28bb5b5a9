"""The base of the networks a field learner trains: scaled inputs, an embedding, one flat parameter.

A :class:`JetNetwork` maps coordinates ``x`` to ``n_outputs`` values. It
scales every input to ``[-1, 1]``, applies an optional
:class:`~sciml.core.embeddings.Embedding`, and keeps its trainable numbers in
the single parameter ``flat`` (laid out by :class:`~sciml.core.flat_layers.FlatLayers`).
:meth:`JetNetwork.jet` returns the value and chosen first and second input
derivatives in one forward pass; a subclass writes that pass once, on
:class:`~sciml.core.jets.ChannelJet` s, in :meth:`JetNetwork.propagate`, and
gets both the plain forward pass and the derivatives from it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from equations.errors import InvalidParameterError
from sciml.core.embeddings import Embedding
from sciml.core.flat_layers import FlatLayers
from sciml.core.jets import ChannelJet

JetParts = tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]


class JetNetwork(nn.Module):
    """Inputs scaled to ``[-1, 1]``, an optional embedding, dense layers in one flat parameter.

    Parameters
    ----------
    n_inputs, n_outputs : int
        Coordinates in, values out.
    lower, upper : sequence of float
        Input bounds mapped to ``[-1, 1]``.
    layout : FlatLayers
        Where the layers live in ``flat``.
    generator : torch.Generator
        Seeded generator for the initialisation.
    device, dtype
        Where and in which precision the parameters live.
    embedding : Embedding, optional
        Applied to the scaled inputs; its ``in_features`` must be ``n_inputs``.
    """

    shift: torch.Tensor
    scale: torch.Tensor

    def __init__(self, n_inputs: int, n_outputs: int, lower: Sequence[float], upper: Sequence[float], *,
                 layout: FlatLayers, generator: torch.Generator, device: torch.device, dtype: torch.dtype,
                 embedding: Embedding | None = None):
        super().__init__()
        if len(lower) != n_inputs or len(upper) != n_inputs:
            raise InvalidParameterError("input bounds must match the input width")
        if embedding is not None and embedding.in_features != n_inputs:
            raise InvalidParameterError(f"the embedding takes {embedding.in_features} inputs, the network {n_inputs}")
        self.n_inputs, self.n_outputs = n_inputs, n_outputs
        self.embedding = embedding
        self.layout = layout
        lo = torch.tensor(lower, dtype=dtype, device=device)
        hi = torch.tensor(upper, dtype=dtype, device=device)
        self.register_buffer("shift", (lo + hi) / 2)
        self.register_buffer("scale", 2.0 / (hi - lo))
        self.flat = nn.Parameter(torch.zeros(layout.size, dtype=dtype, device=device))
        layout.initialise(self.flat, generator)

    @property
    def n_features(self) -> int:
        """Width of what the first layer reads: the embedding's output, or the inputs."""
        return self.embedding.out_features if self.embedding is not None else self.n_inputs

    def layers(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """``(W, b)`` per dense layer (views into ``flat``, or factorised products)."""
        return self.layout.weights(self.flat)

    def features(self, x: torch.Tensor, firsts: Sequence[int], seconds: Sequence[tuple[int, int]]) -> ChannelJet:
        """The jet, in ``x``, of what the first layer reads."""
        pos = {i: k for k, i in enumerate(firsts)}
        pairs = [(pos[i], pos[j]) for i, j in seconds]
        s = (x - self.shift) * self.scale
        if self.embedding is None:
            return ChannelJet.of_inputs(s, firsts, pairs, self.scale)
        feat, f1, f2 = self.embedding.jet(s, firsts, seconds)
        # derivatives in s, times ds_i/dx_i = scale_i
        f1 = [g * self.scale[i] for g, i in zip(f1, firsts)]
        f2 = [g * (self.scale[i] * self.scale[j]) for g, (i, j) in zip(f2, seconds)]
        return ChannelJet.from_parts(feat, f1, f2, pairs)

    def propagate(self, h: ChannelJet) -> ChannelJet:
        """The network's layers applied to the features' jet (a subclass writes its forward pass here)."""
        raise NotImplementedError

    def jet(self, x: torch.Tensor, firsts: Sequence[int], seconds: Sequence[tuple[int, int]]) -> JetParts:
        """Value ``(n, out)``, first derivatives per ``firsts`` and second derivatives per ``seconds``.

        ``firsts`` must cover the indices used in ``seconds``.
        """
        return self.propagate(self.features(x, firsts, seconds)).parts()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.propagate(self.features(x, (), ())).value

    @property
    def n_parameters(self) -> int:
        """Trainable numbers: the layers' and the embedding's (e.g. Gaussian centres and widths)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
