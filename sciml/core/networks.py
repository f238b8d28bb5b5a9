"""A fully connected network whose forward pass can carry input derivatives.

:meth:`MLP.jet` propagates the value, the first derivatives and the requested
second derivatives through the layers in one pass (forward-mode "jets"): every
layer does a single matrix product on the stacked channels, and the backward
pass for training is an ordinary one. This replaces one ``autograd.grad`` call
per derivative per term, which is what makes PINN steps slow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from equations.errors import InvalidParameterError, check_integer
from sciml.core.activations import get_activation
from sciml.core.embeddings import Embedding


class MLP(nn.Module):
    """``sizes[0] -> ... -> sizes[-1]`` with one activation, inputs scaled to [-1, 1].

    All weights and biases live in one flat parameter, so optimisers update a
    single tensor per step (much less per-step overhead for small networks).

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input and output included.
    activation : str
        Name from :mod:`sciml.core.activations`.
    lower, upper : sequence of float
        Input bounds mapped to ``[-1, 1]`` before the first layer.
    generator : torch.Generator
        Seeded generator for the Glorot-normal initialisation.
    device, dtype
        Where and in which precision the parameters live.
    embedding : Embedding, optional
        Applied to the scaled inputs before the first layer (periodic or Fourier
        features, :mod:`sciml.core.embeddings`); its ``in_features`` must be ``sizes[0]``.
    """

    shift: torch.Tensor
    scale: torch.Tensor

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str,
        lower: Sequence[float],
        upper: Sequence[float],
        *,
        generator: torch.Generator,
        device: torch.device,
        dtype: torch.dtype,
        embedding: Embedding | None = None,
    ):
        super().__init__()
        sizes = [check_integer("layer width", s, 1) for s in sizes]  # a string or 8.5 is an error, not 8
        if len(sizes) < 3 or min(sizes) < 1:
            raise InvalidParameterError(
                f"network sizes must be >= 1 with at least one hidden layer, got {sizes}"
            )
        if len(lower) != sizes[0] or len(upper) != sizes[0]:
            raise InvalidParameterError("input bounds must match the input width")
        if embedding is not None and embedding.in_features != sizes[0]:
            raise InvalidParameterError(
                f"the embedding takes {embedding.in_features} inputs, the network {sizes[0]}"
            )
        self.sizes = sizes
        self.embedding = embedding
        # widths of the layers' inputs and outputs: the first layer reads the features
        self.widths = [embedding.out_features if embedding is not None else sizes[0], *sizes[1:]]
        self.activation_name = activation
        self.activation = get_activation(activation)
        lo = torch.tensor(lower, dtype=dtype, device=device)
        hi = torch.tensor(upper, dtype=dtype, device=device)
        self.register_buffer("shift", (lo + hi) / 2)
        self.register_buffer("scale", 2.0 / (hi - lo))
        n = self.count(self.widths)
        self.flat = nn.Parameter(torch.zeros(n, dtype=dtype, device=device))
        with torch.no_grad():
            for w, _ in self.layers():
                fan_out, fan_in = w.shape
                std = math.sqrt(2.0 / (fan_in + fan_out))
                w.copy_(torch.randn(w.shape, generator=generator, dtype=dtype, device=device) * std)

    @staticmethod
    def count(widths: Sequence[int]) -> int:
        """Numbers in the flat parameter of layers ``widths[0] -> ... -> widths[-1]`` (weights and biases)."""
        return sum(i * o + o for i, o in zip(widths[:-1], widths[1:]))

    def layers(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """``(W, b)`` views into the flat parameter, one pair per layer."""
        out, k = [], 0
        for i, o in zip(self.widths[:-1], self.widths[1:]):
            w = self.flat[k : k + i * o].view(o, i)
            k += i * o
            out.append((w, self.flat[k : k + o]))
            k += o
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        layers = self.layers()
        h = (x - self.shift) * self.scale
        if self.embedding is not None:
            h = self.embedding(h)
        for w, b in layers[:-1]:
            h = self.activation(torch.addmm(b, h, w.T))[0]
        w, b = layers[-1]
        return torch.addmm(b, h, w.T)

    def jet(
        self, x: torch.Tensor, firsts: Sequence[int], seconds: Sequence[tuple[int, int]]
    ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """Value and derivatives with respect to the inputs.

        Parameters
        ----------
        x : tensor (n, d)
        firsts : input indices i whose ``d/dx_i`` is wanted (must cover ``seconds``)
        seconds : index pairs (i, j) whose ``d2/dx_i dx_j`` is wanted

        Returns
        -------
        value (n, out), [first derivative (n, out) per ``firsts``],
        [second derivative (n, out) per ``seconds``]
        """
        pos = {i: k for k, i in enumerate(firsts)}
        pairs = [(pos[i], pos[j]) for i, j in seconds]
        nf = len(firsts)
        layers = self.layers()
        w, b = layers[0]
        s = (x - self.shift) * self.scale
        if self.embedding is None:
            # first layer: d z / d x_i is the (scaled) weight column, d2 z = 0
            z = torch.addmm(b, s, w.T)
            zi = [w[:, i] * self.scale[i] for i in firsts]
            h, d1, d2 = self.activation(z)
            hi = [d1 * g for g in zi]
            hij = [d2 * (zi[a] * zi[c]) for a, c in pairs]
        else:
            # the features' derivatives in s, times ds_i/dx_i = scale_i
            feat, f1, f2 = self.embedding.jet(s, firsts, seconds)
            z = torch.addmm(b, feat, w.T)
            zi = [(g @ w.T) * self.scale[i] for g, i in zip(f1, firsts)]
            zij = [(g @ w.T) * (self.scale[i] * self.scale[j]) for g, (i, j) in zip(f2, seconds)]
            h, d1, d2 = self.activation(z)
            hi = [d1 * g for g in zi]
            hij = [d1 * g + d2 * zi[a] * zi[c] for g, (a, c) in zip(zij, pairs)]
        for depth, (w, b) in enumerate(layers[1:], start=2):
            channels = torch.stack([h, *hi, *hij])
            k, n, width = channels.shape
            zs = (channels.view(k * n, width) @ w.T).view(k, n, -1).unbind(0)
            z, zi, zij = zs[0] + b, list(zs[1 : 1 + nf]), list(zs[1 + nf :])
            if depth == len(layers):
                return z, zi, zij
            h, d1, d2 = self.activation(z)
            hi = [d1 * g for g in zi]
            hij = [d1 * g + d2 * zi[a] * zi[c] for g, (a, c) in zip(zij, pairs)]
        raise AssertionError("unreachable: the network has at least one layer")

    @property
    def n_parameters(self) -> int:
        """Trainable numbers: the layers' and the embedding's (e.g. Gaussian centres and widths)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
