"""The modified MLP of Wang, Teng & Perdikaris (2021): every layer gated between two encoders.

Two extra layers encode the (embedded) inputs once, ``U = act(phi W_u + b_u)``
and ``V = act(phi W_v + b_v)``; each hidden layer then mixes them,
``h <- g U + (1 - g) V`` with ``g = act(h W + b)``, which carries the inputs'
information to every depth and eases the gradient pathologies of deep tanh
PINNs. Written on :class:`~sciml.core.jets.ChannelJet` s, so input derivatives
come with the forward pass.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from equations.errors import InvalidParameterError, check_integer
from sciml.core.activations import get_activation
from sciml.core.embeddings import Embedding
from sciml.core.flat_layers import FlatLayers
from sciml.core.jet_network import JetNetwork
from sciml.core.jets import ChannelJet


class ModifiedMLP(JetNetwork):
    """``n_inputs -> hidden (gated) x depth -> n_outputs``.

    Parameters
    ----------
    n_inputs, n_outputs : int
    width : int
        Width of the encoders and of every hidden layer.
    depth : int
        Number of gated hidden layers.
    activation : str
        Name from :mod:`sciml.core.activations`.
    lower, upper, generator, device, dtype, embedding
        As :class:`~sciml.core.jet_network.JetNetwork`.
    factorisation : float, optional
        Random weight factorisation mean (None: off).

    The flat parameter holds the encoders ``U``, ``V``, the hidden layers and
    the output layer, in that order.
    """

    def __init__(self, n_inputs: int, n_outputs: int, width: int, depth: int, activation: str,
                 lower: Sequence[float], upper: Sequence[float], *, generator: torch.Generator,
                 device: torch.device, dtype: torch.dtype, embedding: Embedding | None = None,
                 factorisation: float | None = None):
        width, depth = check_integer("width", width, 1), check_integer("depth", depth, 1)
        self.width, self.depth = width, depth
        self.activation_name = activation
        self.activation = get_activation(activation)
        features = embedding.out_features if embedding is not None else n_inputs
        shapes = [(features, width), (features, width), (features, width)]
        shapes += [(width, width)] * (depth - 1) + [(width, n_outputs)]
        super().__init__(n_inputs, n_outputs, lower, upper, layout=FlatLayers(shapes, factorisation),
                         generator=generator, device=device, dtype=dtype, embedding=embedding)

    @staticmethod
    def count(features: int, n_outputs: int, width: int, depth: int, factorised: bool = False) -> int:
        """Numbers in the flat parameter."""
        shapes = [(features, width)] * 3 + [(width, width)] * (depth - 1) + [(width, n_outputs)]
        return sum(i * o + o + (o if factorised else 0) for i, o in shapes)

    def propagate(self, h: ChannelJet) -> ChannelJet:
        (wu, bu), (wv, bv), *hidden, (wo, bo) = self.layers()
        u = h.linear(wu, bu).apply(self.activation)
        v = h.linear(wv, bv).apply(self.activation)
        for w, b in hidden:
            h = h.linear(w, b).apply(self.activation).gate(u, v)
        return h.linear(wo, bo)


def check_uniform_widths(hidden: Sequence[int], architecture: str) -> tuple[int, int]:
    """``(width, depth)`` of a list of equal hidden widths; gated networks need one width."""
    widths = {int(w) for w in hidden}
    if len(widths) != 1:
        raise InvalidParameterError(f"architecture {architecture!r} needs equal hidden widths, got {list(hidden)}")
    return widths.pop(), len(hidden)
