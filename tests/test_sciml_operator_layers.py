"""MgNO/FNO building blocks: grid round trips, boundary padding, relative losses."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from equations.errors import InvalidDataError, InvalidParameterError
from sciml.operators.grid.fno import FNONet
from sciml.operators.grid.layers import Conv3, MgConv, MgNOLayer, Prolong, level_shapes
from sciml.operators.losses import relative_h1, relative_l2

CPU, F64 = torch.device("cpu"), torch.float64


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("n", [85, 65, 64, 33, 17])
def test_odd_and_even_grids_round_trip_through_the_levels(n: int) -> None:
    shapes = level_shapes((n, n), 4)
    assert [s[0] for s in shapes] == [n, (n + 1) // 2, ((n + 1) // 2 + 1) // 2, (((n + 1) // 2 + 1) // 2 + 1) // 2]
    x = torch.randn(2, 3, n, n, dtype=F64)
    conv = Conv3(3, 3, "zeros", gen(), CPU, F64, stride=2)
    coarse = conv(x)
    assert coarse.shape[-2:] == shapes[1]
    # the stride-2 stencil by hand: coarse node (i, j) reads the fine nodes (2i + di - 1, 2j + dj - 1)
    xp, w = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1))), conv.weight.detach().numpy()
    m = shapes[1][0]
    by_hand = sum(np.einsum("oc,bcij->boij", w[:, :, di, dj], xp[:, :, di : di + 2 * m : 2, dj : dj + 2 * m : 2])
                  for di in range(3) for dj in range(3))
    np.testing.assert_allclose(coarse.detach().numpy(), by_hand, rtol=1e-12, atol=1e-12)
    assert Prolong(3, "zeros", gen(), CPU, F64)(coarse, (n, n)).shape == x.shape
    mg = MgConv(3, 5, [1, 1, 2, 1], "reflect", gen(), CPU, F64)
    y = torch.randn(2, 3, n, n, dtype=F64, generator=gen(1))
    out = mg(x)
    assert out.shape == (2, 5, n, n)
    # a V-cycle of convolutions is linear: a bias, a nonlinearity or a lost level would break this
    torch.testing.assert_close(mg(2.0 * x - 3.0 * y), 2.0 * out - 3.0 * mg(y), rtol=1e-10, atol=1e-10)
    assert float(out.abs().max()) > 0
    assert level_shapes((85, 85), 6) == [(85, 85), (43, 43), (22, 22), (11, 11), (6, 6), (3, 3)]


def test_too_coarse_grid_raises_a_typed_error() -> None:
    with pytest.raises(InvalidDataError, match=r"9×9 grid is too coarse for 5 multigrid levels.*levels <= 4"):
        MgConv(1, 2, [1] * 5, "zeros", gen(), CPU, F64)(torch.zeros(1, 1, 9, 9, dtype=F64))
    with pytest.raises(InvalidParameterError, match="padding"):
        MgConv(1, 2, [1], "mirror", gen(), CPU, F64)
    with pytest.raises(InvalidDataError, match="too coarse for 8 Fourier modes"):
        FNONet(1, 1, 4, 8, 2, 0.0, gen(), CPU, F64)(torch.zeros(1, 1, 9, 9, dtype=F64))


def test_transposed_convolution_equals_zero_insertion_then_convolution() -> None:
    p = Prolong(2, "zeros", gen(), CPU, F64)
    for fine in [(9, 9), (10, 9)]:
        x = torch.randn(1, 2, 5, 5, dtype=F64)
        z = x.new_zeros(1, 2, *fine)
        z[..., ::2, ::2] = x
        manual = F.conv2d(F.pad(z, (1, 1, 1, 1)), p.weight.flip(-2, -1).transpose(0, 1))
        torch.testing.assert_close(p(x, fine), manual)


def test_circular_padding_makes_the_layer_shift_equivariant() -> None:
    layer = MgNOLayer(2, 3, [1, 1, 2], "circular", gen(1), CPU, F64)
    x = torch.randn(2, 2, 16, 16, dtype=F64)
    for shift in [(4, 0), (8, 12)]:  # multiples of 2^(levels - 1): the coarse grids shift too
        torch.testing.assert_close(layer(torch.roll(x, shift, (-2, -1))), torch.roll(layer(x), shift, (-2, -1)))
    zeros = MgNOLayer(2, 3, [1, 1, 2], "zeros", gen(1), CPU, F64)
    assert not torch.allclose(zeros(torch.roll(x, (4, 0), (-2, -1))), torch.roll(zeros(x), (4, 0), (-2, -1)))


def test_zero_and_reflect_padding_differ_only_near_the_boundary() -> None:
    x = torch.randn(1, 2, 17, 17, dtype=F64)
    # one level, two smoothing steps: every output depends on inputs within 3 nodes
    a, b = (MgConv(2, 2, [2], mode, gen(2), CPU, F64)(x) for mode in ("zeros", "reflect"))
    torch.testing.assert_close(a[..., 3:-3, 3:-3], b[..., 3:-3, 3:-3])
    assert (a[..., 0, :] - b[..., 0, :]).abs().min() > 0
    deep = [MgConv(2, 2, [1, 1, 1], mode, gen(2), CPU, F64)(x) for mode in ("zeros", "reflect")]
    assert (deep[0][..., 0, :] - deep[1][..., 0, :]).abs().max() > 1e-3


def test_relative_h1_matches_the_analytic_value_without_wrap_around() -> None:
    n = 201
    x = torch.linspace(0, 1, n, dtype=F64)
    X, Y = torch.meshgrid(x, x, indexing="ij")
    target = (torch.sin(math.pi * X) * torch.sin(math.pi * Y))[None, None]
    pred = target + X[None, None]  # error e = x: ||e||² = 1/3, ||∇e||² = 1 (exact one-sided differences)
    h = 1.0 / (n - 1)
    expected = math.sqrt((1 / 3 + 1) / (1 / 4 + math.pi**2 / 2))
    assert float(relative_h1(pred, target, (h, h))) == pytest.approx(expected, rel=1e-2)
    # averaged, not summed, over the batch
    both = relative_h1(torch.cat([pred, 1.5 * target]), torch.cat([target, target]), (h, h))
    assert float(both) == pytest.approx((expected + 0.5) / 2, rel=1e-2)
    assert float(relative_l2(torch.cat([2 * target, target]), torch.cat([target, target]))) == pytest.approx(0.5)
    with pytest.raises(InvalidDataError, match="one shape"):
        relative_l2(target, target[..., 1:])
