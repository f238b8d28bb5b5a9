"""A fully connected network whose forward pass can carry input derivatives.

:meth:`MLP.jet` propagates the value, the first derivatives and the requested
second derivatives through the layers in one pass (forward-mode "jets"): every
layer does a single matrix product on the stacked channels, and the backward
pass for training is an ordinary one. This replaces one ``autograd.grad`` call
per derivative per term, which is what makes PINN steps slow.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from equations.errors import InvalidParameterError, check_integer
from sciml.core.activations import get_activation
from sciml.core.embeddings import Embedding
from sciml.core.flat_layers import FlatLayers
from sciml.core.jet_network import JetNetwork


class MLP(JetNetwork):
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
    factorisation : float, optional
        Random weight factorisation ``W = diag(exp(s)) V`` with ``s ~ N(factorisation, 0.1)``
        (:mod:`sciml.core.flat_layers`); None: plain weights.
    """

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
        factorisation: float | None = None,
    ):
        sizes = [check_integer("layer width", s, 1) for s in sizes]  # a string or 8.5 is an error, not 8
        if len(sizes) < 3 or min(sizes) < 1:
            raise InvalidParameterError(
                f"network sizes must be >= 1 with at least one hidden layer, got {sizes}"
            )
        # widths of the layers' inputs and outputs: the first layer reads the features
        widths = [embedding.out_features if embedding is not None else sizes[0], *sizes[1:]]
        layout = FlatLayers(list(zip(widths[:-1], widths[1:])), factorisation)
        super().__init__(sizes[0], sizes[-1], lower, upper, layout=layout, generator=generator, device=device,
                         dtype=dtype, embedding=embedding)
        self.sizes = sizes
        self.widths = widths
        self.activation_name = activation
        self.activation = get_activation(activation)

    @staticmethod
    def count(widths: Sequence[int], factorised: bool = False) -> int:
        """Numbers in the flat parameter of layers ``widths[0] -> ... -> widths[-1]``."""
        return sum(i * o + o + (o if factorised else 0) for i, o in zip(widths[:-1], widths[1:]))

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
