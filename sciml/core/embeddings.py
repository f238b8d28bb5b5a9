"""Input embeddings for :class:`sciml.core.networks.MLP`: exact periodicity and Fourier features.

An embedding maps the network's scaled inputs ``s`` (each coordinate mapped to
``[-1, 1]``) to features, and gives the features' first and second derivatives
with respect to ``s`` so that :meth:`MLP.jet` still computes input derivatives
in one forward pass.

* :class:`PeriodicEmbedding` replaces a periodic coordinate by
  ``(cos(pi s), sin(pi s))``: the scaled period is 2, so the network is exactly
  periodic in that coordinate (every derivative included) and no periodic
  penalty is needed.
* :class:`FourierFeatures` appends ``cos(pi B s)`` and ``sin(pi B s)`` with a
  fixed, seeded Gaussian matrix ``B`` (Tancik et al. 2020; Wang et al. 2021),
  which lets a tanh network fit high frequencies without spectral bias.
* :class:`ChainedEmbedding` feeds one embedding's features to Fourier
  features, e.g. random Fourier features of the periodic ``(cos, sin)``
  coordinates: exactly periodic and free of spectral bias at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from equations.errors import InvalidParameterError
from sciml.core.activations import get_activation
from sciml.core.jets import COS, ChannelJet

Jet = tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]


class Embedding(nn.Module):
    """Base class: ``in_features`` scaled coordinates to ``out_features`` features."""

    in_features: int
    out_features: int
    #: whether the features make the network exactly periodic along the domain's periodic axes
    exactly_periodic: bool = False

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def jet(self, s: torch.Tensor, firsts: Sequence[int], seconds: Sequence[tuple[int, int]]) -> Jet:
        """Features, their ``d/ds_i`` per ``firsts`` and ``d2/ds_i ds_j`` per ``seconds``."""
        raise NotImplementedError


class PeriodicEmbedding(Embedding):
    """``(cos(pi s_p), sin(pi s_p))`` for each periodic column ``p``; other columns pass through.

    Parameters
    ----------
    periodic : sequence of bool
        One flag per input coordinate.
    """

    exactly_periodic = True

    def __init__(self, periodic: Sequence[bool]):
        super().__init__()
        self.periodic = tuple(bool(p) for p in periodic)
        if not any(self.periodic):
            raise InvalidParameterError("a periodic embedding needs at least one periodic coordinate")
        self.in_features = len(self.periodic)
        self.out_features = self.in_features + sum(self.periodic)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        cols = []
        for k, p in enumerate(self.periodic):
            c = s[:, k]
            cols += [torch.cos(math.pi * c), torch.sin(math.pi * c)] if p else [c]
        return torch.stack(cols, dim=1)

    def jet(self, s: torch.Tensor, firsts: Sequence[int], seconds: Sequence[tuple[int, int]]) -> Jet:
        zero = torch.zeros_like(s[:, 0])
        one = torch.ones_like(zero)
        value, d1, d2 = [], [], []  # per column: value, d/ds_k and d2/ds_k^2 of its features
        for k, p in enumerate(self.periodic):
            c = s[:, k]
            if p:
                cos, sin = torch.cos(math.pi * c), torch.sin(math.pi * c)
                value += [cos, sin]
                d1 += [(k, -math.pi * sin), (k, math.pi * cos)]
                d2 += [(k, -math.pi**2 * cos), (k, -math.pi**2 * sin)]
            else:
                value.append(c)
                d1.append((k, one))
                d2.append((k, zero))
        # each feature depends on one coordinate only: its derivatives along others vanish
        first = [torch.stack([g if k == i else zero for k, g in d1], dim=1) for i in firsts]
        second = [torch.stack([g if k == i == j else zero for k, g in d2], dim=1) for i, j in seconds]
        return torch.stack(value, dim=1), first, second


class FourierFeatures(Embedding):
    """``[s, cos(pi B s), sin(pi B s)]`` with ``B`` of shape ``(features, in_features)``.

    Parameters
    ----------
    in_features : int
        Number of input coordinates.
    features : int
        Number of random frequencies (the embedding has ``in_features + 2 * features`` outputs).
    sigma : float
        Standard deviation of the entries of ``B`` (in cycles per half domain):
        larger values represent higher frequencies.
    generator : torch.Generator
        Seeded generator for ``B``.
    device, dtype
        Where and in which precision ``B`` lives.
    """

    b: torch.Tensor

    def __init__(
        self,
        in_features: int,
        features: int,
        sigma: float,
        *,
        generator: torch.Generator,
        device: torch.device,
        dtype: torch.dtype,
    ):
        super().__init__()
        if features < 1 or in_features < 1:
            raise InvalidParameterError(
                f"Fourier features need >= 1 inputs and features, got {in_features} and {features}"
            )
        if not (math.isfinite(sigma) and sigma > 0):
            raise InvalidParameterError(f"Fourier feature sigma must be positive, got {sigma!r}")
        self.in_features = in_features
        self.out_features = in_features + 2 * features
        b = torch.randn((features, in_features), generator=generator, dtype=torch.float64) * sigma
        # a buffer: it follows the network's .to(dtype) and is saved with the weights
        self.register_buffer("b", (math.pi * b).to(device=device, dtype=dtype))

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        phase = s @ self.b.T
        return torch.cat([s, torch.cos(phase), torch.sin(phase)], dim=1)

    def jet(self, s: torch.Tensor, firsts: Sequence[int], seconds: Sequence[tuple[int, int]]) -> Jet:
        phase = s @ self.b.T
        cos, sin = torch.cos(phase), torch.sin(phase)
        eye = torch.eye(self.in_features, dtype=s.dtype, device=s.device)
        zero = torch.zeros_like(s)
        first = [torch.cat([eye[i].expand_as(s), -sin * self.b[:, i], cos * self.b[:, i]], dim=1) for i in firsts]
        second = [
            torch.cat([zero, -cos * (self.b[:, i] * self.b[:, j]), -sin * (self.b[:, i] * self.b[:, j])], dim=1)
            for i, j in seconds
        ]
        return torch.cat([s, cos, sin], dim=1), first, second

    def lift(self, h: ChannelJet) -> ChannelJet:
        """The features of inputs given as a jet (derivatives by the chain rule): for chaining."""
        phase = h.linear(self.b)
        return ChannelJet.cat([h, phase.apply(COS), phase.apply(get_activation("sin"))])


class ChainedEmbedding(Embedding):
    """Fourier features of another embedding's features: ``second(first(s))``.

    Parameters
    ----------
    first : Embedding
    second : FourierFeatures
        Its ``in_features`` must be ``first.out_features``.
    """

    def __init__(self, first: Embedding, second: FourierFeatures):
        super().__init__()
        if second.in_features != first.out_features:
            raise InvalidParameterError(f"the second embedding takes {second.in_features} features, the first "
                                        f"gives {first.out_features}")
        self.first, self.second = first, second
        self.in_features, self.out_features = first.in_features, second.out_features
        self.exactly_periodic = first.exactly_periodic

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        return self.second(self.first(s))

    def jet(self, s: torch.Tensor, firsts: Sequence[int], seconds: Sequence[tuple[int, int]]) -> Jet:
        pos = {i: k for k, i in enumerate(firsts)}
        inner = ChannelJet.from_parts(*self.first.jet(s, firsts, seconds), [(pos[i], pos[j]) for i, j in seconds])
        return self.second.lift(inner).parts()
