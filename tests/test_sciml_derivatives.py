"""The fast jet forward pass agrees with torch.func autodiff."""

import pytest
import torch

from equations import Burgers
from sciml.core.embeddings import FourierFeatures, PeriodicEmbedding
from sciml.core.networks import MLP
from sciml.field.derivatives import DerivativePlan, autodiff_jet, compose_ansatz, network_jet


def _net(activation: str, d: int = 2) -> MLP:
    return MLP([d, 16, 16, 1], activation, [-1.0] * d, [2.0] * d, generator=torch.Generator().manual_seed(3),
               device=torch.device("cpu"), dtype=torch.float64)


@pytest.mark.parametrize("activation", ["tanh", "sin", "sigmoid"])
def test_network_jet_matches_autodiff(activation):
    net = _net(activation)
    x = torch.rand(50, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 3 - 1
    plan = DerivativePlan(("x", "t"), ("t", "x", "xx", "xt", "tt"))
    fast = network_jet(net, x, plan)
    ref = autodiff_jet(lambda p: net(p[None])[0, 0], x, plan)
    torch.testing.assert_close(fast.value, ref.value, rtol=1e-12, atol=1e-12)
    for key in ("t", "x", "xx", "xt", "tt"):
        torch.testing.assert_close(fast[key], ref[key], rtol=1e-10, atol=1e-10)
    assert torch.equal(fast["tx"], fast["xt"])


def test_hard_constraint_product_rule():
    eq = Burgers()
    net = _net("tanh")
    plan = DerivativePlan(("x", "t"), eq.derivatives)
    x = torch.rand(40, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))

    def part(k):
        return lambda p: eq.ansatz({"x": p[0], "t": p[1]})[k]

    def whole(p):
        g, d = eq.ansatz({"x": p[0], "t": p[1]})
        return g + d * net(p[None])[0, 0]

    u = compose_ansatz(autodiff_jet(part(0), x, plan), autodiff_jet(part(1), x, plan),
                       network_jet(net, x, plan), plan)
    ref = autodiff_jet(whole, x, plan)
    for key in ("t", "x", "xx"):
        torch.testing.assert_close(u[key], ref[key], rtol=1e-10, atol=1e-10)
    # the ansatz meets the initial condition exactly
    x0 = torch.stack([torch.linspace(-1, 1, 9, dtype=torch.float64), torch.zeros(9, dtype=torch.float64)], 1)
    g, d = eq.ansatz({"x": x0[:, 0], "t": x0[:, 1]})
    torch.testing.assert_close(g + d * net(x0)[:, 0], -torch.sin(torch.pi * x0[:, 0]))


@pytest.mark.parametrize("kind", ["periodic", "fourier"])
def test_embedded_network_jet_matches_autodiff(kind):
    gen = torch.Generator().manual_seed(5)
    cpu, f64 = torch.device("cpu"), torch.float64
    emb = (PeriodicEmbedding((True, False)) if kind == "periodic"
           else FourierFeatures(2, 8, 2.0, generator=gen, device=cpu, dtype=f64))
    net = MLP([2, 16, 16, 1], "tanh", [0.0, 0.0], [2 * torch.pi, 1.0], generator=gen, device=cpu, dtype=f64,
              embedding=emb)
    x = torch.rand(50, 2, dtype=f64, generator=gen) * torch.tensor([2 * torch.pi, 1.0], dtype=f64)
    plan = DerivativePlan(("x", "t"), ("t", "x", "xx", "xt", "tt"))
    fast = network_jet(net, x, plan)
    ref = autodiff_jet(lambda p: net(p[None])[0, 0], x, plan)
    torch.testing.assert_close(fast.value, ref.value, rtol=1e-12, atol=1e-12)
    for key in ("t", "x", "xx", "xt", "tt"):
        torch.testing.assert_close(fast[key], ref[key], rtol=1e-10, atol=1e-10)


def test_periodic_embedding_is_exactly_periodic():
    net = MLP([2, 8, 1], "tanh", [0.0, 0.0], [2 * torch.pi, 1.0], generator=torch.Generator().manual_seed(0),
              device=torch.device("cpu"), dtype=torch.float64, embedding=PeriodicEmbedding((True, False)))
    t = torch.linspace(0, 1, 7, dtype=torch.float64)
    lo = torch.stack([torch.zeros_like(t), t], 1)
    hi = torch.stack([torch.full_like(t, 2 * torch.pi), t], 1)
    torch.testing.assert_close(net(lo), net(hi), rtol=0, atol=1e-14)
