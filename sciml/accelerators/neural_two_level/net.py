r"""The multiscale network: a V-cycle of convolutions whose weights every level shares.

Input (``3`` channels on the grid): the residual left by the pre-smoother,
scaled by the inverse diagonal (so high- and low-coefficient regions are on
one scale) and normalised to unit RMS over the unknowns; the centred log
coefficient (divided by ``LOG_SCALE``: about ``[-1, 1]`` at contrast 1e6);
the unknown mask. A lift convolution makes ``width`` features; then, down to a
coarsest grid of at most ``coarsest`` nodes a side, one residual block and a
stride-2 3x3 convolution (restriction) per level, a residual block on the
coarsest grid, and back up a transposed stride-2 convolution (prolongation),
a 1x1 merge of the skip and the prolongated features and a residual block per
level. Every level uses the *same* block, restriction, prolongation and merge
weights, so the depth, and the reach of the network, grows with the grid
(``2^k + 1`` nodes a side give ``k - 2`` levels at ``coarsest = 5``) and one
trained network applies to any grid size. The head gives ``directions``
output channels, zero off the unknowns: a small subspace in which the solver
takes the ``A``-optimal correction (the network fixes neither scale nor sign).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from equations.errors import InvalidDataError, check_integer
from sciml.core.runtime import resolve_device, resolve_dtype, torch_generator

IN_CHANNELS = 3
LOG_SCALE = 7.0  # ln(1e6) / 2: the centred log coefficient of a 1:1e6 medium lies in about [-1, 1]
MIN_SIDE = 5


class Block(nn.Module):
    """``h + conv(gelu(conv(h)))`` (3x3, the second conv starts small: close to the identity)."""

    def __init__(self, width: int, device: torch.device, dtype: torch.dtype):
        super().__init__()
        self.a = nn.Conv2d(width, width, 3, padding=1, device=device, dtype=dtype)
        self.b = nn.Conv2d(width, width, 3, padding=1, device=device, dtype=dtype)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.b(F.gelu(self.a(h)))


class VCycleNet(nn.Module):
    """Features ``(B, 3, nx, ny)`` and mask ``(nx, ny)`` to ``directions`` correction fields ``(B, m, nx, ny)``.

    Parameters
    ----------
    width : int
        Feature channels at every level.
    directions : int
        Output fields (the correction subspace's dimension).
    coarsest : int
        Stop restricting once a side has at most this many nodes (>= 3).
    seed : int
        Seed of the weight initialisation.
    device, dtype
        Where and in what precision the weights live.
    """

    def __init__(self, width: int = 12, directions: int = 4, coarsest: int = 5, *, seed: int = 0,
                 device: str | torch.device = "cpu", dtype: str | torch.dtype = "float32"):
        super().__init__()
        width = check_integer("width", width, 1)
        self.directions = check_integer("directions", directions, 1)
        self.coarsest = check_integer("coarsest", coarsest, 3)
        dev, dt = resolve_device(device), resolve_dtype(dtype)
        self.lift = nn.Conv2d(IN_CHANNELS, width, 3, padding=1, device=dev, dtype=dt)
        self.down = Block(width, dev, dt)
        self.restrict = nn.Conv2d(width, width, 3, stride=2, padding=1, device=dev, dtype=dt)
        self.bottom = Block(width, dev, dt)
        self.prolong = nn.ConvTranspose2d(width, width, 3, stride=2, padding=1, device=dev, dtype=dt)
        self.merge = nn.Conv2d(2 * width, width, 1, device=dev, dtype=dt)
        self.up = Block(width, dev, dt)
        self.head = nn.Conv2d(width, self.directions, 1, device=dev, dtype=dt)
        gen = torch_generator(seed, torch.device("cpu"))
        with torch.no_grad():  # seeded init on the CPU generator, then moved: the same weights on every device
            for p in self.parameters():
                fan_in = p[0].numel() if p.ndim > 1 else p.numel()
                bound = (3.0 / fan_in) ** 0.5 if p.ndim > 1 else 0.0
                p.copy_((torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 - 1).mul(bound).to(p))
            for block in (self.down, self.bottom, self.up):
                block.b.weight.mul_(0.1)

    def levels(self, shape: tuple[int, int]) -> int:
        """Restrictions applied to a grid of ``shape`` (each maps ``n`` nodes to ``(n + 1) // 2``)."""
        n, k = min(shape), 0
        while n > self.coarsest:
            n, k = (n + 1) // 2, k + 1
        return k

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Correction fields ``(B, directions, nx, ny)``, zero where ``mask`` is False."""
        if features.ndim != 4 or features.shape[1] != IN_CHANNELS or tuple(features.shape[2:]) != tuple(mask.shape):
            raise InvalidDataError(f"features must be (batch, {IN_CHANNELS}, nx, ny) with mask (nx, ny); got "
                                   f"{tuple(features.shape)} and {tuple(mask.shape)}")
        if min(mask.shape) < MIN_SIDE:
            raise InvalidDataError(f"grid {tuple(mask.shape)} is too small: sides of at least {MIN_SIDE} nodes needed")
        h = self.lift(features)
        skips = []
        for _ in range(self.levels(tuple(mask.shape))):
            h = self.down(h)
            skips.append(h)
            h = F.gelu(self.restrict(h))
        h = self.bottom(h)
        for skip in reversed(skips):
            up = self.prolong(h, output_size=list(skip.shape[-2:]))
            h = self.up(self.merge(torch.cat((skip, up), dim=1)))
        return self.head(h) * mask.to(h.dtype)
