"""The PINN network families: random weight factorisation, the modified MLP, PirateNet.

Each network's one-pass jet is checked against ``torch.func`` autodiff of its
own forward pass, and each option against what it promises (the factorised
network computes what the plain one does at initialisation, PirateNet starts
as a linear model fitted to the given data).
"""

import pytest
import torch

from sciml.core.embeddings import FourierFeatures, PeriodicEmbedding
from sciml.core.modified_mlp import ModifiedMLP
from sciml.core.networks import MLP
from sciml.core.pirate_net import PirateNet
from sciml.field.derivatives import DerivativePlan, autodiff_jet, network_jet

CPU, F64 = torch.device("cpu"), torch.float64
KEYS = ("t", "x", "xx", "xt", "tt")


def _build(kind: str, embedding: str | None, factorisation: float | None):
    gen = torch.Generator().manual_seed(7)
    emb = None
    if embedding == "fourier":
        emb = FourierFeatures(2, 6, 1.5, generator=gen, device=CPU, dtype=F64)
    elif embedding == "periodic":
        emb = PeriodicEmbedding((True, False))
    bounds = dict(lower=[-1.0, 0.0], upper=[1.0, 2.0], generator=gen, device=CPU, dtype=F64, embedding=emb,
                  factorisation=factorisation)
    if kind == "mlp":
        return MLP([2, 12, 12, 1], "tanh", **bounds)
    if kind == "modified":
        return ModifiedMLP(2, 1, 12, 3, "tanh", **bounds)
    net = PirateNet(2, 1, 12, 2, "tanh", **bounds)
    with torch.no_grad():  # open the residual gates, or the blocks would not be exercised
        net.layout.scalars(net.flat).copy_(torch.tensor([0.4, -0.3], dtype=F64))
    return net


@pytest.mark.parametrize("kind", ["mlp", "modified", "pirate"])
@pytest.mark.parametrize("embedding", [None, "fourier", "periodic"])
@pytest.mark.parametrize("factorisation", [None, 0.5])
def test_jet_matches_autodiff(kind, embedding, factorisation):
    net = _build(kind, embedding, factorisation)
    x = torch.rand(40, 2, dtype=F64, generator=torch.Generator().manual_seed(0)) * 2 - torch.tensor([1.0, 0.0])
    plan = DerivativePlan(("x", "t"), KEYS)
    fast = network_jet(net, x, plan)
    ref = autodiff_jet(lambda p: net(p[None])[0, 0], x, plan)
    torch.testing.assert_close(fast.value, ref.value, rtol=1e-12, atol=1e-12)
    for key in KEYS:
        torch.testing.assert_close(fast[key], ref[key], rtol=1e-9, atol=1e-9)


def test_factorised_network_starts_as_the_plain_one():
    plain, factorised = _build("mlp", None, None), _build("mlp", None, 1.0)
    x = torch.rand(30, 2, dtype=F64, generator=torch.Generator().manual_seed(1))
    # same Glorot draw, split into exp(s) V: the same function, a different parametrisation
    torch.testing.assert_close(plain(x), factorised(x), rtol=1e-12, atol=1e-12)
    assert factorised.flat.numel() == plain.flat.numel() + 12 + 12 + 1
    scales = factorised.flat.detach()[:12]
    assert abs(float(scales.mean()) - 1.0) < 0.1 and 0.02 < float(scales.std()) < 0.3


def test_factorisation_changes_the_gradient_not_the_function():
    # the point of the reparametrisation: a step moves the weights differently
    plain, factorised = _build("mlp", None, None), _build("mlp", None, 1.0)
    x = torch.rand(30, 2, dtype=F64, generator=torch.Generator().manual_seed(2))
    outs = []
    for net in (plain, factorised):
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        (net(x) ** 2).mean().backward()
        opt.step()
        outs.append(net(x).detach())
    assert (outs[0] - outs[1]).abs().max() > 1e-4


def test_pirate_net_starts_linear_and_fits_the_initial_data():
    gen = torch.Generator().manual_seed(3)
    emb = FourierFeatures(2, 16, 1.0, generator=gen, device=CPU, dtype=F64)
    net = PirateNet(2, 1, 16, 3, "tanh", [-1.0, 0.0], [1.0, 1.0], generator=gen, device=CPU, dtype=F64,
                    embedding=emb, factorisation=1.0)
    assert torch.equal(net.alphas, torch.zeros(3, dtype=F64))
    x0 = torch.stack([torch.linspace(-1, 1, 200, dtype=F64), torch.zeros(200, dtype=F64)], 1)
    y0 = (x0[:, 0] ** 2 * torch.cos(torch.pi * x0[:, 0]))[:, None]
    before = (net(x0) - y0).abs().max()
    net.fit_output(x0, y0)
    after = (net(x0) - y0).abs().max()
    assert before > 0.1 and after < 1e-3
    # at alpha = 0 the blocks are skipped: the output is linear in the embedding
    feats = emb((x0 - net.shift) * net.scale)
    w, b = net.layers()[-1]
    torch.testing.assert_close(net(x0), feats @ w.T + b)


def test_gated_networks_need_equal_widths():
    from equations.errors import InvalidParameterError
    from sciml.core.modified_mlp import check_uniform_widths

    assert check_uniform_widths((32, 32, 32), "modified_mlp") == (32, 3)
    with pytest.raises(InvalidParameterError, match="equal hidden widths"):
        check_uniform_widths((32, 16), "pirate")
