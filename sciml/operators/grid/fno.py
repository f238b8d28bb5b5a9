"""Fourier neural operator (Li et al., 2021) for 2-D fields, the baseline of MgNO.

Lifting (input channels and the node coordinates → ``width``), ``layers``
Fourier layers ``GELU(K(v) + W v)`` (the last without GELU) where ``K``
multiplies the lowest ``modes`` × ``modes`` Fourier coefficients (both signs
of the first frequency) by learned complex matrices and ``W`` is a 1×1
convolution, then a two-layer projection. Non-periodic fields are zero-padded
by ``pad_fraction`` of the grid on the far sides before the FFT and cropped
after, as in the reference Darcy code.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from equations.errors import InvalidDataError, InvalidParameterError, check_integer
from sciml.core.params import POSITIVE_COUNT, Constraint, real
from sciml.core.runtime import torch_generator
from sciml.operators.grid.layers import init_weight
from sciml.operators.grid.learner import GridOperatorLearner


class SpectralConv2d(torch.nn.Module):
    """Truncated Fourier multiplier; weights stored as real ``(..., 2)`` tensors (safetensors has no complex)."""

    def __init__(self, channels: int, modes: int, generator: torch.Generator, device: torch.device,
                 dtype: torch.dtype):
        super().__init__()
        self.modes = modes
        scale = 1.0 / (channels * channels)
        shape = (2, channels, channels, modes, modes, 2)  # (low/high first frequency, in, out, kx, ky, re/im)
        w = torch.empty(shape, device=device, dtype=dtype).uniform_(0.0, scale, generator=generator)
        self.weight = torch.nn.Parameter(w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nx, ny, m = x.shape[-2], x.shape[-1], self.modes
        if 2 * m > nx or m > ny // 2 + 1:
            raise InvalidDataError(f"a {nx}×{ny} (padded) grid is too coarse for {m} Fourier modes; "
                                   f"use a grid of at least {2 * m}×{2 * m - 2} nodes or fewer modes")
        xf = torch.fft.rfft2(x)
        w = torch.view_as_complex(self.weight)
        out = torch.zeros_like(xf)
        out[..., :m, :m] = torch.einsum("bixy,ioxy->boxy", xf[..., :m, :m], w[0])
        out[..., -m:, :m] = torch.einsum("bixy,ioxy->boxy", xf[..., -m:, :m], w[1])
        return torch.fft.irfft2(out, s=(nx, ny))


class FNONet(torch.nn.Module):
    """The FNO network on ``(batch, c_in, nx, ny)`` fields."""

    def __init__(self, c_in: int, c_out: int, width: int, modes: int, layers: int, pad_fraction: float,
                 generator: torch.Generator, device: torch.device, dtype: torch.dtype, hidden: int = 128):
        super().__init__()
        for name, v in (("width", width), ("modes", modes), ("layers", layers)):
            check_integer(name, v, 1)
        self.pad_fraction = pad_fraction
        args = (generator, device, dtype)
        self.lift_w = init_weight((width, c_in + 2, 1, 1), c_in + 2, *args)
        self.lift_b = init_weight((width,), c_in + 2, *args)
        self.spectral = torch.nn.ModuleList([SpectralConv2d(width, modes, *args) for _ in range(layers)])
        self.w = torch.nn.ParameterList([init_weight((width, width, 1, 1), width, *args) for _ in range(layers)])
        self.b = torch.nn.ParameterList([init_weight((width,), width, *args) for _ in range(layers)])
        self.proj1_w = init_weight((hidden, width, 1, 1), width, *args)
        self.proj1_b = init_weight((hidden,), width, *args)
        self.proj2_w = init_weight((c_out, hidden, 1, 1), hidden, *args)
        self.proj2_b = init_weight((c_out,), hidden, *args)

    @staticmethod
    def count(c_in: int, c_out: int, width: int, modes: int, layers: int, hidden: int = 128) -> int:
        """Numbers in the parameters the constructor makes with these arguments."""
        lift = width * (c_in + 2) + width
        fourier = layers * (2 * width * width * modes * modes * 2 + width * width + width)
        return lift + fourier + hidden * width + hidden + c_out * hidden + c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, nx, ny = x.shape
        gx = torch.linspace(0, 1, nx, device=x.device, dtype=x.dtype).view(1, 1, nx, 1).expand(b, 1, nx, ny)
        gy = torch.linspace(0, 1, ny, device=x.device, dtype=x.dtype).view(1, 1, 1, ny).expand(b, 1, nx, ny)
        v = F.conv2d(torch.cat([x, gx, gy], 1), self.lift_w, self.lift_b)
        px, py = math.ceil(self.pad_fraction * nx), math.ceil(self.pad_fraction * ny)
        v = F.pad(v, (0, py, 0, px))
        for k, (spec, w, bias) in enumerate(zip(self.spectral, self.w, self.b)):
            v = spec(v) + F.conv2d(v, w, bias)
            if k < len(self.spectral) - 1:
                v = F.gelu(v)
        v = v[..., :nx, :ny]
        return F.conv2d(F.gelu(F.conv2d(v, self.proj1_w, self.proj1_b)), self.proj2_w, self.proj2_b)


class FNO(GridOperatorLearner):
    """Fourier neural operator baseline, scikit-learn style.

    Parameters
    ----------
    width : int
        Channels of the Fourier layers.
    modes : int
        Fourier modes kept per direction (``modes`` × ``modes`` in each of the
        two half-planes of the real FFT).
    layers : int
        Fourier layers (4 in the reference code).
    pad_fraction : float
        Zero padding on the far sides, as a fraction of the grid (0 for periodic data).
    **options
        Training settings of :class:`~sciml.operators.grid.learner.GridOperatorLearner`.
    """

    name: ClassVar[str] = "fno"
    _constraints: ClassVar[dict[str, Constraint]] = {
        "width": POSITIVE_COUNT, "modes": POSITIVE_COUNT, "layers": POSITIVE_COUNT, "pad_fraction": real(0.0, 1.0),
    }

    def __init__(self, width: int = 16, modes: int = 12, layers: int = 4, pad_fraction: float = 0.1,
                 **options: Any):
        self.width = width
        self.modes = modes
        self.layers = layers
        self.pad_fraction = pad_fraction
        super().__init__(**options)

    def _parameter_count(self, c_in: int) -> int:
        return FNONet.count(c_in, 1, self.width, self.modes, self.layers)

    def _network(self, c_in: int, device: torch.device, dtype: torch.dtype) -> torch.nn.Module:
        if not 0 <= self.pad_fraction <= 1:
            raise InvalidParameterError(f"pad_fraction must be in [0, 1], got {self.pad_fraction!r}")
        return FNONet(c_in, 1, self.width, self.modes, self.layers, self.pad_fraction,
                      torch_generator(self.seed, device), device, dtype)
