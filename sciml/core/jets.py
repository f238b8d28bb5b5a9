"""Forward-mode arithmetic on stacked derivative channels, for networks built from a few operations.

A :class:`ChannelJet` holds a batch of features together with their first
derivatives along some inputs and chosen second derivatives, stacked as one
tensor ``(channels, n, width)``: channel 0 is the value, channels
``1 .. nf`` the first derivatives (one per input in ``firsts``) and the
remaining ones the second derivatives (one per pair in ``seconds``). Each
operation a network is made of -- a dense layer, an elementwise function, a
product, a sum, a concatenation -- maps jets to jets by the chain and product
rules, so a new architecture gets its input derivatives (what a PINN residual
needs) in one forward pass, with one matrix product per dense layer on all
channels at once, by writing its forward pass on jets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

#: an elementwise function giving its value and first two derivatives at ``z``
Elementwise = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]


class ChannelJet:
    """Features and their input derivatives, stacked as ``data`` of shape ``(1 + nf + ns, n, width)``.

    Parameters
    ----------
    data : tensor
        Value, first and second derivative channels.
    pairs : sequence of (int, int)
        For each second-derivative channel, the positions ``(a, c)`` among the
        first-derivative channels of the two inputs it differentiates along.
    """

    def __init__(self, data: torch.Tensor, pairs: Sequence[tuple[int, int]]):
        self.data = data
        self.pairs = tuple(pairs)
        self.nf = data.shape[0] - 1 - len(self.pairs)
        if self.nf < 0:
            raise ValueError(f"a jet with {len(self.pairs)} second derivatives needs more than "
                             f"{data.shape[0]} channels")

    @classmethod
    def of_inputs(cls, s: torch.Tensor, firsts: Sequence[int], pairs: Sequence[tuple[int, int]],
                  scale: torch.Tensor | None = None) -> ChannelJet:
        """The jet of the inputs ``s`` (n, d) themselves: ``ds_k/dx_i = scale_i [k = i]``, no curvature."""
        n, d = s.shape
        eye = torch.eye(d, dtype=s.dtype, device=s.device)
        if scale is not None:
            eye = eye * scale[:, None]
        firsts_ = [eye[i].expand(n, d) for i in firsts]
        zeros = s.new_zeros((len(pairs), n, d))
        return cls(torch.cat([s[None], torch.stack(firsts_) if firsts_ else s.new_zeros((0, n, d)), zeros]), pairs)

    @classmethod
    def from_parts(cls, value: torch.Tensor, firsts: Sequence[torch.Tensor], seconds: Sequence[torch.Tensor],
                   pairs: Sequence[tuple[int, int]]) -> ChannelJet:
        return cls(torch.stack([value, *firsts, *seconds]), pairs)

    # -- views ------------------------------------------------------------------------
    @property
    def value(self) -> torch.Tensor:
        return self.data[0]

    def parts(self) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """``value, [first derivatives], [second derivatives]`` (the :meth:`MLP.jet` convention)."""
        channels = list(self.data.unbind(0))
        return channels[0], channels[1 : 1 + self.nf], channels[1 + self.nf :]

    def _like(self, data: torch.Tensor) -> ChannelJet:
        return ChannelJet(data, self.pairs)

    def columns(self, index: Sequence[int] | slice) -> ChannelJet:
        """Some feature columns."""
        return self._like(self.data[..., index])

    @staticmethod
    def cat(jets: Sequence[ChannelJet]) -> ChannelJet:
        """Feature columns side by side (same points, same derivatives)."""
        return jets[0]._like(torch.cat([j.data for j in jets], dim=-1))

    # -- operations -------------------------------------------------------------------
    def linear(self, weight: torch.Tensor, bias: torch.Tensor | None = None) -> ChannelJet:
        """``z = h W^T + b``: one matrix product on every channel; the bias moves the value only."""
        k, n, width = self.data.shape
        z = (self.data.reshape(k * n, width) @ weight.T).view(k, n, -1)
        if bias is not None:
            z = torch.cat([(z[0] + bias)[None], z[1:]])
        return self._like(z)

    def apply(self, fn: Elementwise) -> ChannelJet:
        """``f(z)`` elementwise: ``f' z_i`` and ``f' z_ij + f'' z_i z_j`` by the chain rule."""
        value, d1, d2 = fn(self.data[0])
        first = d1 * self.data[1 : 1 + self.nf]
        second = self.data[1 + self.nf :] * d1
        if self.pairs:
            a, c = self._pair_index()
            first_ = self.data[1 : 1 + self.nf]
            second = second + d2 * first_[a] * first_[c]
        return self._like(torch.cat([value[None], first, second]))

    def __mul__(self, other: ChannelJet) -> ChannelJet:
        """Elementwise product: ``u_i v + u v_i`` and ``u_ij v + u_i v_j + u_j v_i + u v_ij``."""
        u, v = self.data[0], other.data[0]
        nf = self.nf
        first = self.data[1 : 1 + nf] * v + u * other.data[1 : 1 + nf]
        second = self.data[1 + nf :] * v + u * other.data[1 + nf :]
        if self.pairs:
            a, c = self._pair_index()
            du, dv = self.data[1:], other.data[1:]
            second = second + du[a] * dv[c] + du[c] * dv[a]
        return self._like(torch.cat([(u * v)[None], first, second]))

    def __add__(self, other: ChannelJet) -> ChannelJet:
        return self._like(self.data + other.data)

    def __sub__(self, other: ChannelJet) -> ChannelJet:
        return self._like(self.data - other.data)

    def scaled(self, factor: torch.Tensor | float) -> ChannelJet:
        """``c u`` for a constant (or per-column) factor."""
        return self._like(self.data * factor)

    def gate(self, u: ChannelJet, v: ChannelJet) -> ChannelJet:
        """``g u + (1 - g) v = v + g (u - v)``: the modified MLP's and PirateNet's gating."""
        return v + self * (u - v)

    def _pair_index(self) -> tuple[list[int], list[int]]:
        return [a for a, _ in self.pairs], [c for _, c in self.pairs]


def _cos(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    c = torch.cos(z)
    return c, -torch.sin(z), -c


#: ``cos`` with its derivatives, for embeddings written on jets (``sin`` is an activation)
COS: Elementwise = _cos
