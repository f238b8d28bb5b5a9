r"""The fully convolutional network of the Deep Conjugate Direction Method (2D).

Inputs: the residual on the grid and the fluid (unknowns) mask, two channels.
A linear first 3x3 conv; two ReLU convs; ``pairs`` residual pairs at full
resolution; then ``levels`` times: 2x average pooling and ``coarse_pairs``
residual pairs; on the way back nearest-neighbour upsampling *added* to the
features of the finer level (a skip) and ``pairs`` residual pairs there; a
final 1x1 conv to one channel, multiplied by the mask (zero off the unknowns).
The paper uses one pooling level; more levels widen the receptive field, which
matters for size independence on larger grids. Odd grid sizes are handled by
ceil-mode pooling and cropping after upsampling, so any grid size works.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from equations.errors import InvalidDataError, check_integer
from sciml.core.runtime import resolve_device, resolve_dtype, torch_generator


class ResidualPair(nn.Module):
    """``relu(h + conv(relu(conv(h))))``."""

    def __init__(self, channels: int, device: torch.device, dtype: torch.dtype):
        super().__init__()
        self.a = nn.Conv2d(channels, channels, 3, padding=1, device=device, dtype=dtype)
        self.b = nn.Conv2d(channels, channels, 3, padding=1, device=device, dtype=dtype)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return torch.relu(h + self.b(torch.relu(self.a(h))))


class DCDMNet(nn.Module):
    """``f(r, mask)``: an approximation of ``A^{-1} r`` up to a scale, on grids of any size.

    Parameters
    ----------
    channels : int
        Feature channels (16 in the paper).
    levels : int
        Number of 2x pooling levels (1 in the paper).
    pairs : int
        Residual pairs at full resolution, before and after the coarse levels.
    coarse_pairs : int
        Residual pairs on each coarse level.
    recursive : bool
        Reuse the deepest level's weights on ever coarser grids until a side
        has fewer than ``2 * coarsest`` points, so larger grids get more levels
        (a receptive field that grows with the grid) without new weights.
    coarsest : int
        Smallest grid side the recursion pools down to (about).
    seed : int
        Seed of the weight initialisation.
    device, dtype
        Where and in what precision the weights live (float32 default).
    """

    def __init__(self, channels: int = 16, levels: int = 1, pairs: int = 1, coarse_pairs: int = 2,
                 recursive: bool = False, coarsest: int = 8, *, seed: int = 0,
                 device: str | torch.device = "cpu", dtype: str | torch.dtype = "float32"):
        super().__init__()
        self.config = {"channels": check_integer("channels", channels, 1), "levels": check_integer("levels", levels, 0),
                       "pairs": check_integer("pairs", pairs, 0),
                       "coarse_pairs": check_integer("coarse_pairs", coarse_pairs, 0),
                       "recursive": bool(recursive), "coarsest": check_integer("coarsest", coarsest, 2)}
        if recursive and levels < 1:
            raise InvalidDataError("recursive=True needs levels >= 1 (a coarse level to repeat)")
        dev, dt = resolve_device(device), resolve_dtype(dtype)
        c = channels

        def conv(cin: int, cout: int, k: int = 3) -> nn.Conv2d:
            return nn.Conv2d(cin, cout, k, padding=k // 2, device=dev, dtype=dt)

        def stack(n: int) -> nn.Sequential:
            return nn.Sequential(*(ResidualPair(c, dev, dt) for _ in range(n)))

        self.first = conv(2, c)
        self.relu_convs = nn.ModuleList([conv(c, c), conv(c, c)])
        self.down = nn.ModuleList([stack(pairs)] + [stack(coarse_pairs) for _ in range(levels)])
        self.up = nn.ModuleList([stack(pairs)] + [stack(coarse_pairs) for _ in range(levels - 1)])
        self.last = conv(c, 1, 1)
        gen = torch_generator(seed, torch.device("cpu"))
        with torch.no_grad():  # seeded init on the CPU generator, then moved: the same weights on every device
            for p in self.parameters():
                fan_in = p[0].numel() if p.ndim > 1 else p.numel()
                bound = (6.0 / fan_in) ** 0.5 if p.ndim > 1 else 0.0
                p.copy_((torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 - 1).mul(bound).to(p))
            for module in self.modules():  # each residual pair starts as the identity: no blow-up with depth
                if isinstance(module, ResidualPair):
                    module.b.weight.mul_(0.1)

    @staticmethod
    def count(channels: int, levels: int, pairs: int, coarse_pairs: int) -> int:
        """Numbers in the parameters the constructor makes with these arguments (3×3 convolutions with biases)."""
        c = channels
        pair = 2 * (9 * c * c + c)
        stacks = 2 * pairs + levels * coarse_pairs + max(levels - 1, 0) * coarse_pairs
        return (18 * c + c) + 2 * (9 * c * c + c) + stacks * pair + (c + 1)

    def forward(self, r: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Directions for a batch of residual grids ``r`` ``(B, nx, ny)`` with the fluid ``mask`` ``(nx, ny)``."""
        if r.ndim != 3 or mask.shape != r.shape[1:]:
            raise InvalidDataError(f"r must be (batch, nx, ny) and mask (nx, ny); got {tuple(r.shape)} and "
                                   f"{tuple(mask.shape)}")
        m = mask.to(r).expand_as(r)
        h = self.first(torch.stack((r, m), dim=1))
        for cv in self.relu_convs:
            h = torch.relu(cv(h))
        h = self._level(h, 0)
        return self.last(h)[:, 0] * m

    def _level(self, h: torch.Tensor, depth: int) -> torch.Tensor:
        last = len(self.down) - 1
        h = self.down[min(depth, last)](h)
        coarsest = int(self.config["coarsest"])  # type: ignore[call-overload]
        deeper = depth < last or (bool(self.config["recursive"]) and min(h.shape[-2:]) >= 2 * coarsest)
        if not deeper:
            return h
        coarse = self._level(F.avg_pool2d(h, 2, ceil_mode=True), depth + 1)
        up = F.interpolate(coarse, scale_factor=2.0, mode="nearest")[..., : h.shape[-2], : h.shape[-1]]
        return self.up[min(depth, last - 1)](h + up)
