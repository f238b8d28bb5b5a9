"""Multigrid building blocks of MgNO: padded 3×3 convolutions, the MgConv V-cycle and the MgNO layer.

Boundary conditions enter through the padding of every convolution:
``"zeros"`` (Dirichlet), ``"circular"`` (periodic), ``"reflect"`` (Neumann-like).
A grid of ``n`` nodes restricts to ``ceil(n / 2)`` (a 3×3 stride-2 convolution
with padding 1 keeps the nodes ``0, 2, 4, ...``), and prolongation returns to
exactly ``n`` for odd and even ``n`` alike (85 → 43 → 22 → 11 → 6 → 3 and back),
so one set of weights serves every resolution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

import torch
import torch.nn.functional as F

from equations.errors import InvalidDataError, InvalidParameterError, check_choice, check_integer

PADDINGS = ("zeros", "circular", "reflect")
_PAD_MODE = {"circular": "circular", "reflect": "reflect"}


def init_weight(shape: Sequence[int], fan_in: int, generator: torch.Generator, device: torch.device,
                dtype: torch.dtype) -> torch.nn.Parameter:
    """PyTorch's default convolution init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), from a seeded generator."""
    bound = 1.0 / math.sqrt(fan_in)
    w = torch.empty(tuple(shape), device=device, dtype=dtype).uniform_(-bound, bound, generator=generator)
    return torch.nn.Parameter(w)


class Conv3(torch.nn.Module):
    """3×3 convolution without bias, stride 1 or 2, padding 1 in the boundary's mode."""

    def __init__(self, c_in: int, c_out: int, padding: str, generator: torch.Generator, device: torch.device,
                 dtype: torch.dtype, stride: int = 1):
        super().__init__()
        self.padding, self.stride = padding, stride
        self.weight = init_weight((c_out, c_in, 3, 3), 9 * c_in, generator, device, dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.padding == "zeros":
            return F.conv2d(x, self.weight, stride=self.stride, padding=1)
        return F.conv2d(F.pad(x, (1, 1, 1, 1), mode=_PAD_MODE[self.padding]), self.weight, stride=self.stride)


class Prolong(torch.nn.Module):
    """Learned prolongation: a 3×3 stride-2 transposed convolution onto a given fine shape.

    ``output_padding`` is chosen per call (0 for an odd fine size ``2m - 1``, 1
    for an even ``2m``), so the weights do not depend on the grid. With periodic
    or reflecting boundaries the same operator is applied as zero insertion
    followed by a padded 3×3 convolution (transposed convolutions only pad with zeros).
    """

    def __init__(self, channels: int, padding: str, generator: torch.Generator, device: torch.device,
                 dtype: torch.dtype):
        super().__init__()
        self.padding = padding
        self.weight = init_weight((channels, channels, 3, 3), 9 * channels, generator, device, dtype)

    def forward(self, x: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
        op = (shape[0] - (2 * x.shape[-2] - 1), shape[1] - (2 * x.shape[-1] - 1))
        if self.padding == "zeros":
            return F.conv_transpose2d(x, self.weight, stride=2, padding=1, output_padding=op)
        z = x.new_zeros((*x.shape[:-2], *shape))
        z[..., ::2, ::2] = x
        w = self.weight.flip(-2, -1).transpose(0, 1)  # the transposed convolution as a plain one
        return F.conv2d(F.pad(z, (1, 1, 1, 1), mode=_PAD_MODE[self.padding]), w)


def level_shapes(shape: tuple[int, int], levels: int) -> list[tuple[int, int]]:
    """Grid shapes from fine to coarse; :class:`InvalidDataError` if the coarsest is below 2×2."""
    shapes = [shape]
    for _ in range(levels - 1):
        h, w = shapes[-1]
        shapes.append(((h + 1) // 2, (w + 1) // 2))
    if min(shapes[-1]) < 2:
        fit, n = 1, min(shape)
        while n >= 3:  # ceil(n / 2) >= 2
            fit, n = fit + 1, (n + 1) // 2
        raise InvalidDataError(f"a {shape[0]}×{shape[1]} grid is too coarse for {levels} multigrid levels (the "
                               f"coarsest would be {shapes[-1][0]}×{shapes[-1][1]}); use levels <= {fit} or a finer "
                               "grid")
    return shapes


class MgConv(torch.nn.Module):
    """One multigrid V-cycle as a linear operator from ``c_in`` to ``c_out`` channels.

    On the finest level ``u = S(f)`` and then ``u <- u + S(f - A(u))``; on each
    coarser level ``u = Π(u_fine)``, ``f = R(f_fine)`` (or ``R(f_fine - A(u_fine))``
    with ``restrict_residual``) followed by ``smoothing[l]`` iterations of
    ``u <- u + S(f - A(u))``; going up, ``u_l <- u_l + P(u_{l+1})``. Every
    iteration has its own 3×3 ``A`` (u → f channels) and ``S`` (f → u).

    Parameters
    ----------
    c_in, c_out : int
        Channels of ``f`` (the input) and of ``u`` (the output).
    smoothing : sequence of int
        Smoothing iterations per level, fine to coarse (its length is the
        number of levels), each >= 1.
    padding : {"zeros", "circular", "reflect"}
    restrict_residual : bool
    generator, device, dtype
        Seeded generator of the initial weights; where and in which precision.
    """

    def __init__(self, c_in: int, c_out: int, smoothing: Sequence[int], padding: str, generator: torch.Generator,
                 device: torch.device, dtype: torch.dtype, restrict_residual: bool = False):
        super().__init__()
        check_choice("padding", padding, PADDINGS)
        if not smoothing:
            raise InvalidParameterError("smoothing needs one count per level (at least one level)")
        self.smoothing = [check_integer("smoothing count", s, 1) for s in smoothing]
        self.restrict_residual = restrict_residual
        args = (padding, generator, device, dtype)
        nn = torch.nn
        self.A, self.S = nn.ModuleList(), nn.ModuleList()
        for level, nu in enumerate(self.smoothing):
            a_list = [Conv3(c_out, c_in, *args) for _ in range(nu - (level == 0))]
            self.A.append(nn.ModuleList(a_list))
            self.S.append(nn.ModuleList([Conv3(c_in, c_out, *args) for _ in range(nu)]))
        coarse = len(self.smoothing) - 1
        self.Pi = nn.ModuleList([Conv3(c_out, c_out, *args, stride=2) for _ in range(coarse)])
        self.R = nn.ModuleList([Conv3(c_in, c_in, *args, stride=2) for _ in range(coarse)])
        self.A_res = nn.ModuleList([Conv3(c_out, c_in, *args) for _ in range(coarse if restrict_residual else 0)])
        self.P = nn.ModuleList([Prolong(c_out, *args) for _ in range(coarse)])

    @property
    def levels(self) -> int:
        return len(self.smoothing)

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        shapes = level_shapes((f.shape[-2], f.shape[-1]), self.levels)
        us: list[torch.Tensor] = []
        u = cast(torch.nn.ModuleList, self.S[0])[0](f)
        for level in range(self.levels):
            if level > 0:
                f = self.R[level - 1](f - self.A_res[level - 1](u) if self.restrict_residual else f)
                u = self.Pi[level - 1](u)
            smoothers = list(cast(torch.nn.ModuleList, self.S[level]))[1 if level == 0 else 0 :]
            for A, S in zip(cast(torch.nn.ModuleList, self.A[level]), smoothers):
                u = u + S(f - A(u))
            us.append(u)
        for level in range(self.levels - 2, -1, -1):
            u = us[level] + self.P[level](u, shapes[level])
        return u


class MgNOLayer(torch.nn.Module):
    """``σ(MgConv(u) + Conv1×1(u))``: the nonlinear operator layer (σ = GELU; the 1×1 convolution has the bias)."""

    def __init__(self, c_in: int, c_out: int, smoothing: Sequence[int], padding: str, generator: torch.Generator,
                 device: torch.device, dtype: torch.dtype, restrict_residual: bool = False, activation: bool = True):
        super().__init__()
        self.mg = MgConv(c_in, c_out, smoothing, padding, generator, device, dtype, restrict_residual)
        self.weight = init_weight((c_out, c_in, 1, 1), c_in, generator, device, dtype)
        self.bias = init_weight((c_out,), c_in, generator, device, dtype)
        self.activation = activation

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        v = self.mg(u) + F.conv2d(u, self.weight, self.bias)
        return F.gelu(v) if self.activation else v


class MgNONet(torch.nn.Module):
    """Stacked MgNO layers (the first lifts ``c_in`` to ``channels``) and a bias-free 1×1 projection."""

    def __init__(self, c_in: int, c_out: int, channels: int, layers: int, smoothing: Sequence[int], padding: str,
                 generator: torch.Generator, device: torch.device, dtype: torch.dtype,
                 restrict_residual: bool = False):
        super().__init__()
        check_integer("channels", channels, 1)
        check_integer("layers", layers, 1)
        self.layers = torch.nn.ModuleList([
            MgNOLayer(c_in if k == 0 else channels, channels, smoothing, padding, generator, device, dtype,
                      restrict_residual) for k in range(layers)])
        self.project = init_weight((c_out, channels, 1, 1), channels, generator, device, dtype)

    @staticmethod
    def count(c_in: int, c_out: int, channels: int, layers: int, smoothing: Sequence[int],
              restrict_residual: bool = False) -> int:
        """Numbers in the parameters the constructor makes with these arguments (3×3 and 1×1 kernels)."""
        levels, coarse, iterations = len(smoothing), len(smoothing) - 1, sum(smoothing)
        total = c_out * channels  # the projection
        for k in range(layers):
            cin = c_in if k == 0 else channels
            # A (one fewer on the finest level) and S per iteration; R (cin), Pi and P (channels) per coarse level
            smoothers = (2 * iterations - min(levels, 1)) * cin * channels
            transfers = coarse * (cin * cin + 2 * channels * channels + (cin * channels if restrict_residual else 0))
            mg = 9 * (smoothers + transfers)
            total += mg + cin * channels + channels  # the layer's 1×1 convolution and bias
        return total

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return F.conv2d(x, self.project)
