"""The PROSE network: data and symbol encoders, a fusion transformer, a data decoder and a symbol decoder.

Shapes (``B`` samples, ``T`` input times, ``C`` state components, ``L``
tokens, ``Q`` query times, ``D`` the width):

- the data encoder reads the input window, one token per time, embedded from
  the time's Fourier features and the normalised state: ``(B, T, D)``;
- the symbol encoder reads the (possibly corrupted) right-hand side as token
  ids with a learned position embedding: ``(B, L, D)``;
- the fusion transformer attends over both sequences at once (each marked by
  a modality embedding; padding masked): the memory ``(B, T + L, D)``;
- the data decoder embeds each query time and cross-attends to the memory
  without self-attention, so the output at one time does not depend on which
  other times are asked for (an operator queried anywhere): ``(B, Q, C)``;
- the symbol decoder is a causal transformer decoder over the output tokens
  that cross-attends to the memory: logits ``(B, L, V)``, generated greedily.

Without the symbol branch (``symbols_in=False``) the memory is the data
encoder's alone: the data-only baseline of the paper. Normalisation (time
scale, per-component state mean and spread) lives in buffers, so a saved
network predicts in physical units on its own. Weights are drawn from a
seeded generator; no global random state is touched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

#: Fourier features of time: ``t / T`` and ``sin, cos(pi k t / T)`` for ``k = 1..N_FREQUENCIES``
N_FREQUENCIES = 8


@dataclass(frozen=True)
class PROSESizes:
    """Widths and depths of a PROSE network (the paper's code: width 512, 8 heads, layers 2/4/8/8/8)."""

    width: int = 64
    heads: int = 4
    feedforward: int = 128
    data_encoder: int = 2
    symbol_encoder: int = 2
    fusion: int = 2
    data_decoder: int = 2
    symbol_decoder: int = 2


def _encoder(sizes: PROSESizes, depth: int, device: torch.device, dtype: torch.dtype) -> nn.TransformerEncoder:
    layer = nn.TransformerEncoderLayer(sizes.width, sizes.heads, sizes.feedforward, dropout=0.0, activation="gelu",
                                       batch_first=True, norm_first=True, device=device, dtype=dtype)
    return nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)


class CrossAttentionLayer(nn.Module):
    """Pre-norm cross-attention then feed-forward, no self-attention (each query on its own)."""

    def __init__(self, sizes: PROSESizes, device: torch.device, dtype: torch.dtype):
        super().__init__()
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        self.norm_q = nn.LayerNorm(sizes.width, **kw)
        self.attention = nn.MultiheadAttention(sizes.width, sizes.heads, dropout=0.0, batch_first=True, **kw)
        self.norm_ff = nn.LayerNorm(sizes.width, **kw)
        self.ff = nn.Sequential(nn.Linear(sizes.width, sizes.feedforward, **kw), nn.GELU(),
                                nn.Linear(sizes.feedforward, sizes.width, **kw))

    def forward(self, q: torch.Tensor, memory: torch.Tensor, memory_pad: torch.Tensor | None) -> torch.Tensor:
        h = self.norm_q(q)
        q = q + self.attention(h, memory, memory, key_padding_mask=memory_pad, need_weights=False)[0]
        return q + self.ff(self.norm_ff(q))


class PROSENet(nn.Module):
    """The multimodal transformer of PROSE (see the module docstring).

    Parameters
    ----------
    vocabulary : int
        Number of token ids (``pad`` is id 0 by convention of the grammar).
    components : int
        State components ``C`` (padded systems carry zeros in the unused ones).
    max_tokens : int
        Longest token sequence (input or output), for the position embedding.
    sizes : PROSESizes
        Widths and depths.
    symbols_in, symbols_out : bool
        Whether the network reads the symbolic input, and whether it has the
        symbol decoder.
    generator : torch.Generator
        Seeded source of the initial weights.
    device, dtype
        Where the parameters live, in which precision.
    """

    # normalisation buffers (set from the training data by the learner, saved with the weights)
    time_scale: torch.Tensor
    state_mean: torch.Tensor
    state_std: torch.Tensor

    def __init__(self, vocabulary: int, components: int, max_tokens: int, sizes: PROSESizes, *,
                 symbols_in: bool, symbols_out: bool, generator: torch.Generator, device: torch.device,
                 dtype: torch.dtype):
        super().__init__()
        # built without storage, then every parameter drawn from ``generator``: the global generator is untouched
        meta = torch.device("meta")
        kw: dict[str, Any] = {"device": meta, "dtype": dtype}
        d = sizes.width
        self.sizes, self.symbols_in, self.symbols_out = sizes, symbols_in, symbols_out
        self.components, self.max_tokens, self.vocabulary = components, max_tokens, vocabulary
        n_time = 1 + 2 * N_FREQUENCIES
        self.data_embedding = nn.Sequential(nn.Linear(n_time + components, d, **kw), nn.GELU(), nn.Linear(d, d, **kw))
        self.data_encoder = _encoder(sizes, sizes.data_encoder, meta, dtype)
        self.query_embedding = nn.Sequential(nn.Linear(n_time, d, **kw), nn.GELU(), nn.Linear(d, d, **kw))
        self.data_decoder = nn.ModuleList(CrossAttentionLayer(sizes, meta, dtype) for _ in range(sizes.data_decoder))
        self.data_head = nn.Sequential(nn.LayerNorm(d, **kw), nn.Linear(d, components, **kw))
        if symbols_in or symbols_out:
            self.token_embedding = nn.Embedding(vocabulary, d, **kw)
            self.position_embedding = nn.Parameter(torch.zeros(max_tokens, d, **kw))
        if symbols_in:
            self.symbol_encoder = _encoder(sizes, sizes.symbol_encoder, meta, dtype)
            self.modality = nn.Parameter(torch.zeros(2, d, **kw))
            self.fusion = _encoder(sizes, sizes.fusion, meta, dtype)
        if symbols_out:
            layer = nn.TransformerDecoderLayer(d, sizes.heads, sizes.feedforward, dropout=0.0, activation="gelu",
                                               batch_first=True, norm_first=True, **kw)
            self.symbol_decoder = nn.TransformerDecoder(layer, sizes.symbol_decoder)
            self.symbol_head = nn.Sequential(nn.LayerNorm(d, **kw), nn.Linear(d, vocabulary, **kw))
        self.to_empty(device=device)
        # normalisation, set from the training data by the learner
        kw = {"device": device, "dtype": dtype}
        self.register_buffer("time_scale", torch.ones((), **kw))
        self.register_buffer("state_mean", torch.zeros(components, **kw))
        self.register_buffer("state_std", torch.ones(components, **kw))
        self._initialise(generator)

    @torch.no_grad()
    def _initialise(self, generator: torch.Generator) -> None:
        """Glorot-uniform matrices, zero biases, unit LayerNorm gains, small embeddings: all from ``generator``."""
        for name, p in self.named_parameters():
            if p.ndim >= 2 and "norm" not in name:
                fan_out, fan_in = p.shape[0], math.prod(p.shape[1:])
                bound = math.sqrt(6.0 / (fan_in + fan_out))
                if name.endswith(("position_embedding", "modality")) or "token_embedding" in name:
                    bound = 0.02 * math.sqrt(3.0)
                p.copy_((torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype) * 2 - 1) * bound)
            elif "norm" in name and name.endswith("weight"):
                p.fill_(1.0)
            else:
                p.zero_()

    # -- embeddings ----------------------------------------------------------------------------
    def time_features(self, t: torch.Tensor) -> torch.Tensor:
        """``(..., 1 + 2 N_FREQUENCIES)`` features of times ``t`` scaled by the training horizon."""
        s = (t / self.time_scale).unsqueeze(-1)
        k = torch.arange(1, N_FREQUENCIES + 1, device=t.device, dtype=t.dtype)
        return torch.cat([s, torch.sin(math.pi * k * s), torch.cos(math.pi * k * s)], -1)

    def tokens(self, ids: torch.Tensor) -> torch.Tensor:
        """Token plus position embeddings of ``ids`` ``(B, L)``."""
        return self.token_embedding(ids) + self.position_embedding[: ids.shape[1]]

    # -- the three stages ------------------------------------------------------------------------
    def encode(self, t: torch.Tensor, u: torch.Tensor, ids: torch.Tensor | None = None,
               pad: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The fused memory and its padding mask from input times ``t`` ``(B, T)``, states ``u`` ``(B, T, C)``.

        ``ids`` ``(B, L)`` and ``pad`` (True at padding) are the symbolic
        input, read when the network has the symbol branch.
        """
        x = torch.cat([self.time_features(t), (u - self.state_mean) / self.state_std], -1)
        data = self.data_encoder(self.data_embedding(x))
        if not self.symbols_in:
            return data, None
        if ids is None or pad is None:
            raise ValueError("this PROSE network reads a symbolic input: pass ids and pad")
        symbols = self.symbol_encoder(self.tokens(ids), src_key_padding_mask=pad)
        memory = torch.cat([data + self.modality[0], symbols + self.modality[1]], 1)
        mask = torch.cat([torch.zeros(data.shape[:2], dtype=torch.bool, device=pad.device), pad], 1)
        return self.fusion(memory, src_key_padding_mask=mask), mask

    def decode_data(self, memory: torch.Tensor, mask: torch.Tensor | None, t: torch.Tensor) -> torch.Tensor:
        """States ``(B, Q, C)`` in physical units at query times ``t`` ``(B, Q)``."""
        q = self.query_embedding(self.time_features(t))
        for layer in self.data_decoder:
            q = layer(q, memory, mask)
        return self.data_head(q) * self.state_std + self.state_mean

    def symbol_logits(self, memory: torch.Tensor, mask: torch.Tensor | None, ids: torch.Tensor) -> torch.Tensor:
        """Next-token logits ``(B, L, V)`` after each prefix of ``ids`` ``(B, L)`` (teacher forcing)."""
        causal = nn.Transformer.generate_square_subsequent_mask(ids.shape[1], device=ids.device, dtype=memory.dtype)
        h = self.symbol_decoder(self.tokens(ids), memory, tgt_mask=causal, tgt_is_causal=True,
                                memory_key_padding_mask=mask)
        return self.symbol_head(h)

    @torch.no_grad()
    def generate(self, memory: torch.Tensor, mask: torch.Tensor | None, bos: int, eos: int, pad: int,
                 max_tokens: int) -> torch.Tensor:
        """Greedy decoding: ids ``(B, <= max_tokens)`` starting with ``bos``, ``pad`` after each ``eos``."""
        ids = torch.full((memory.shape[0], 1), bos, dtype=torch.long, device=memory.device)
        done = torch.zeros(memory.shape[0], dtype=torch.bool, device=memory.device)
        for _ in range(max_tokens - 1):
            nxt = self.symbol_logits(memory, mask, ids)[:, -1].argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, pad), nxt)
            ids = torch.cat([ids, nxt[:, None]], 1)
            done |= nxt == eos
            if bool(done.all()):
                break
        return ids


def count_parameters(sizes: PROSESizes, vocabulary: int, components: int, max_tokens: int, symbols_in: bool,
                     symbols_out: bool) -> int:
    """Parameters of the :class:`PROSENet` these arguments build, counted without building it."""
    d, f, n_time = sizes.width, sizes.feedforward, 1 + 2 * N_FREQUENCIES
    block = 4 * d * d + 2 * d * f + 9 * d + f  # attention, feed-forward and two LayerNorms
    count = (sizes.data_encoder + sizes.data_decoder) * block
    count += (n_time + components) * d + d * d + 2 * d + n_time * d + d * d + 2 * d  # data and query embeddings
    count += 2 * d + d * components + components  # data head
    if symbols_in or symbols_out:
        count += (vocabulary + max_tokens) * d
    if symbols_in:
        count += (sizes.symbol_encoder + sizes.fusion) * block + 2 * d
    if symbols_out:
        count += sizes.symbol_decoder * (block + 4 * d * d + 6 * d) + 2 * d + d * vocabulary + vocabulary
    return count
