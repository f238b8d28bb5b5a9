r"""The prolongation network: local stencils in, corrections of every fine node's interpolation weights out.

The input of a level is its operator as a padded 9-point stencil
(:mod:`solvers.multigrid.galerkin_kernels2d`): each unknown's 8 off-diagonal
coefficients divided by its diagonal (scale free, so the same weights serve
every coefficient scale and every level) and the unknown mask, 9 channels. A few 3x3 convolutions
(weights shared by all levels and grid sizes) give 8 numbers at every fine
node, of which a node uses those of its kind (2 for a node between two coarse
nodes along x, 2 along y, 4 for a cell centre): they redistribute the
node's operator-dependent weights of
:mod:`solvers.multigrid.operator_interpolation` with their sum kept
(:func:`corrected_weights`). Every ``P`` the network can produce keeps the
coarse nodes' own values (identity there) and non-negative, bounded weights,
so the Galerkin hierarchy built from it is always a valid symmetric cycle;
the last layer starts at zero, so an untrained network *is* operator-dependent
interpolation.
"""

from __future__ import annotations

import torch
from torch import nn

from equations.errors import check_integer
from sciml.core.runtime import resolve_device, resolve_dtype, torch_generator

# the stencil entries k = 3 (di + 1) + (dj + 1) other than the diagonal k = 4
OFF_DIAGONAL = (0, 1, 2, 3, 5, 6, 7, 8)


def stencil_features(stencil: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The network input ``(9, nx, ny)`` of a real (unpadded) stencil ``(nx, ny, 9)`` and unknown mask ``(nx, ny)``."""
    m = mask.to(stencil.dtype)
    diag = torch.where(mask, stencil[..., 4], torch.ones_like(stencil[..., 4]))
    off = stencil[..., list(OFF_DIAGONAL)] / diag[..., None] * m[..., None]
    return torch.cat((off.permute(2, 0, 1), m[None]), dim=0)


def corrected_weights(delta: torch.Tensor, base: tuple[torch.Tensor, ...], gain: float) -> tuple[torch.Tensor, ...]:
    """The operator-dependent weights ``base`` redistributed by the network, each node's sum kept.

    ``delta`` ``(8, 2m + 1, 2m + 1)`` is the network's output on the fine grid:
    channels 0-1 at the x-edge nodes, 2-3 at the y-edge nodes, 4-7 at the cell
    centres, in the order of
    :func:`solvers.multigrid.operator_interpolation.edge_and_centre_weights`.
    A node's weights ``w_i`` become ``s w_i e^{g_i} / sum_j w_j e^{g_j}`` with
    ``g = gain tanh(delta)`` and ``s = sum_i w_i``: the sum is kept because
    interpolating the near-null space (constants in each high-coefficient
    region) exactly is what a high-contrast cycle cannot do without; a 1 %
    error there costs the contrast times more energy (independent scalings
    measured 5-15x more CG iterations on 1:1e6 checkerboards). Zero weights
    (solid or excluded neighbours) stay zero, and every weight stays in ``[0, s]``.
    """
    parts = (delta[0:2, 1::2, 0::2], delta[2:4, 0::2, 1::2], delta[4:8, 1::2, 1::2])
    groups = ((0, 2), (2, 4), (4, 8))
    out: list[torch.Tensor] = []
    for part, (lo, hi) in zip(parts, groups, strict=True):
        w = torch.stack(base[lo:hi])
        scaled = w * torch.exp(gain * torch.tanh(part))
        total, new_total = w.sum(0), scaled.sum(0)
        safe = torch.where(new_total > 0, new_total, torch.ones_like(new_total))
        out.extend(scaled * (total / safe))
    return tuple(out)


class ProlongationNet(nn.Module):
    """Stencil field ``(9, nx, ny)`` to weight corrections ``(8, nx, ny)``: shared 3x3 convolutions.

    Parameters
    ----------
    width : int
        Hidden channels.
    layers : int
        3x3 convolutions (the receptive field is ``2 layers + 1`` fine nodes).
    seed : int
        Seed of the weight initialisation (the output layer starts at zero: no correction).
    device, dtype
        Where and in what precision the weights live.
    """

    def __init__(self, width: int = 16, layers: int = 3, *, seed: int = 0, device: str | torch.device = "cpu",
                 dtype: str | torch.dtype = "float32"):
        super().__init__()
        width, layers = check_integer("width", width, 1), check_integer("layers", layers, 1)
        dev, dt = resolve_device(device), resolve_dtype(dtype)
        convs: list[nn.Module] = []
        channels = 9
        for _ in range(layers):
            convs += [nn.Conv2d(channels, width, 3, padding=1, device=dev, dtype=dt), nn.GELU()]
            channels = width
        self.body = nn.Sequential(*convs)
        self.head = nn.Conv2d(width, 8, 1, device=dev, dtype=dt)
        gen = torch_generator(seed, torch.device("cpu"))
        with torch.no_grad():  # seeded init on the CPU generator, then moved: the same weights on every device
            for module in self.body:
                if isinstance(module, nn.Conv2d):
                    fan_in = module.weight[0].numel()
                    bound = (6.0 / fan_in) ** 0.5
                    module.weight.copy_((torch.rand(module.weight.shape, generator=gen, dtype=torch.float64) * 2 - 1)
                                        .mul(bound).to(module.weight))
                    nn.init.zeros_(module.bias)  # type: ignore[arg-type]
            nn.init.zeros_(self.head.weight)
            nn.init.zeros_(self.head.bias)  # type: ignore[arg-type]

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Corrections ``(8, nx, ny)`` for features ``(9, nx, ny)``."""
        return self.head(self.body(features[None]))[0]
