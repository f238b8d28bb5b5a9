"""PirateNet (Wang, Li, Chen & Perdikaris 2024): adaptive residual blocks that start as identities.

The embedded inputs ``phi`` are encoded once, ``U = act(phi W_u + b_u)`` and
``V = act(phi W_v + b_v)``. Each block maps its input ``x`` (the width of
``phi``) through three dense layers, the first two gated between ``U`` and
``V`` as in the modified MLP, and returns ``alpha act(...) + (1 - alpha) x``
with a trainable ``alpha`` per block initialised at 0. At initialisation the
whole network is therefore the linear model ``W phi + b``, which
:meth:`PirateNet.fit_output` sets by least squares to the available data (the
initial condition): the "physics-informed initialisation". Training then
deepens the network only as far as the ``alpha`` s grow.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from equations.errors import InvalidDataError, check_integer
from sciml.core.activations import get_activation
from sciml.core.embeddings import Embedding
from sciml.core.flat_layers import FlatLayers
from sciml.core.jet_network import JetNetwork
from sciml.core.jets import ChannelJet


class PirateNet(JetNetwork):
    """``blocks`` adaptive residual blocks of hidden width ``width`` on the embedded inputs.

    Parameters
    ----------
    n_inputs, n_outputs : int
    width : int
        Width of the encoders and of the blocks' first two layers.
    blocks : int
        Number of residual blocks (three dense layers each).
    activation : str
        Name from :mod:`sciml.core.activations`.
    lower, upper, generator, device, dtype, embedding
        As :class:`~sciml.core.jet_network.JetNetwork` (an embedding such as
        Fourier features is what the blocks refine; without one the initial
        model is linear in the scaled inputs).
    factorisation : float, optional
        Random weight factorisation mean (None: off).

    The flat parameter holds the encoders, the blocks' layers, the output
    layer and then one ``alpha`` per block.
    """

    def __init__(self, n_inputs: int, n_outputs: int, width: int, blocks: int, activation: str,
                 lower: Sequence[float], upper: Sequence[float], *, generator: torch.Generator,
                 device: torch.device, dtype: torch.dtype, embedding: Embedding | None = None,
                 factorisation: float | None = None):
        width, blocks = check_integer("width", width, 1), check_integer("blocks", blocks, 1)
        self.width, self.blocks = width, blocks
        self.activation_name = activation
        self.activation = get_activation(activation)
        super().__init__(n_inputs, n_outputs, lower, upper,
                         layout=FlatLayers(self.shapes(embedding.out_features if embedding else n_inputs,
                                                       n_outputs, width, blocks), factorisation, scalars=blocks),
                         generator=generator, device=device, dtype=dtype, embedding=embedding)

    @staticmethod
    def shapes(features: int, n_outputs: int, width: int, blocks: int) -> list[tuple[int, int]]:
        """``(fan_in, fan_out)`` of every dense layer, in storage order."""
        block = [(features, width), (width, width), (width, features)]
        return [(features, width), (features, width), *block * blocks, (features, n_outputs)]

    @classmethod
    def count(cls, features: int, n_outputs: int, width: int, blocks: int, factorised: bool = False) -> int:
        """Numbers in the flat parameter."""
        layers = sum(i * o + o + (o if factorised else 0) for i, o in cls.shapes(features, n_outputs, width, blocks))
        return layers + blocks

    def _hidden(self, h: ChannelJet) -> ChannelJet:
        """The last block's output (the features the output layer reads)."""
        (wu, bu), (wv, bv), *layers = self.layers()[:-1]
        alphas = self.layout.scalars(self.flat)
        u = h.linear(wu, bu).apply(self.activation)
        v = h.linear(wv, bv).apply(self.activation)
        for k in range(self.blocks):
            (w1, b1), (w2, b2), (w3, b3) = layers[3 * k : 3 * k + 3]
            z = h.linear(w1, b1).apply(self.activation).gate(u, v)
            z = z.linear(w2, b2).apply(self.activation).gate(u, v)
            z = z.linear(w3, b3).apply(self.activation)
            h = h + (z - h).scaled(alphas[k])
        return h

    def propagate(self, h: ChannelJet) -> ChannelJet:
        w, b = self.layers()[-1]
        return self._hidden(h).linear(w, b)

    @property
    def alphas(self) -> torch.Tensor:
        """The blocks' residual gates (0 at initialisation)."""
        return self.layout.scalars(self.flat).detach()

    def fit_output(self, x: torch.Tensor, y: torch.Tensor, columns: Sequence[int] | None = None,
                   ridge: float = 1e-6) -> None:
        """Physics-informed initialisation: least-squares output weights so that the network fits ``y`` at ``x``.

        Parameters
        ----------
        x : tensor (n, n_inputs)
            Points with known values (the initial condition's).
        y : tensor (n, len(columns))
            The values there.
        columns : sequence of int, optional
            The outputs ``y`` gives (default all); the others keep their weights.
        ridge : float
            Tikhonov weight relative to the features' mean square (keeps the fit
            stable when the features are nearly dependent).
        """
        columns = list(range(self.n_outputs)) if columns is None else list(columns)
        if x.ndim != 2 or y.shape != (x.shape[0], len(columns)):
            raise InvalidDataError(f"initialisation data must be (n, {self.n_inputs}) points and (n, {len(columns)}) "
                                   f"values, got {tuple(x.shape)} and {tuple(y.shape)}")
        with torch.no_grad():
            feats = self._hidden(self.features(x, (), ())).value.double()
            a = torch.cat([feats, torch.ones_like(feats[:, :1])], dim=1)
            gram = a.T @ a
            gram += ridge * gram.diagonal().mean() * torch.eye(gram.shape[0], dtype=gram.dtype, device=gram.device)
            coef = torch.linalg.solve(gram, a.T @ y.double())  # (features + 1, len(columns))
            w, b = self.layers()[-1]
            w, b = w.detach().clone(), b.detach().clone()
            w[columns] = coef[:-1].T.to(w.dtype)
            b[columns] = coef[-1].to(b.dtype)
            self.layout.set_weight(self.flat, len(self.layout.shapes) - 1, w, b)
