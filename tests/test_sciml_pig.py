"""PIG: Gaussian-embedding jets against autodiff, truncation, a small Helmholtz fit, the learner contract."""

import numpy as np
import pytest
import torch

from equations import Helmholtz, InvalidParameterError
from sciml import PIG, PINN, Collocation, Optimiser
from sciml.core.networks import MLP
from sciml.field.derivatives import DerivativePlan, autodiff_jet, network_jet
from sciml.field.gaussians import GaussianEmbedding

CPU, F64 = torch.device("cpu"), torch.float64


def _net(neighbours=None, n=40, sigma=0.3):
    gen = torch.Generator().manual_seed(0)
    emb = GaussianEmbedding(2, n, 4, sigma, neighbours=neighbours, generator=gen, device=CPU, dtype=F64)
    return MLP([2, 16, 1], "tanh", [-1.0, 0.0], [1.0, 2.0], generator=gen, device=CPU, dtype=F64, embedding=emb)


def test_gaussian_jet_matches_autodiff():
    net = _net()
    x = torch.rand(30, 2, dtype=F64, generator=torch.Generator().manual_seed(1)) * torch.tensor([2.0, 2.0]) \
        - torch.tensor([1.0, 0.0])
    plan = DerivativePlan(("x", "y"), ("x", "y", "xx", "yy", "xy"))
    fast = network_jet(net, x, plan)
    ref = autodiff_jet(lambda p: net(p[None])[0, 0], x, plan)
    for key in ("x", "y", "xx", "yy", "xy"):
        torch.testing.assert_close(fast[key], ref[key], rtol=1e-10, atol=1e-10)


def test_nearest_gaussians_truncation_is_bounded_and_reported():
    full, near = _net(None, 200, 0.1), _net(48, 200, 0.1)
    x = torch.rand(500, 2, dtype=F64, generator=torch.Generator().manual_seed(2)) * 2 - torch.tensor([1.0, 0.0])
    diff = (full(x) - near(x)).abs().max().item()
    emb = near.embedding
    assert 0 < emb.truncation < 1e-4
    # each of the 152 left-out Gaussians is below the reported factor; the MLP is Lipschitz in its features
    (w1, _), (w2, _) = near.layers()
    lipschitz = (w2.abs() @ w1.abs()).sum().item()
    bound = (200 - 48) * emb.truncation * emb.features.abs().max().item() * lipschitz
    assert 0 < diff <= bound


def test_pig_beats_a_same_budget_pinn_on_helmholtz():
    eq = Helmholtz(a1=2, a2=1)
    budget = {"n_residual": 400, "n_boundary": 80, "adam_steps": 300, "lbfgs_iter": 100, "seed": 0,
              "compile": False, "constraints": "hard"}
    pig = PIG.from_settings(n_gaussians=100, sigma=0.2, neighbours=None, **budget).fit(eq)
    pinn = PINN.from_settings(hidden=(20, 20), **budget, adaptive=None, resample_every=100, lr=1e-2,
    ).fit(eq)
    x, y = np.meshgrid(np.linspace(-1, 1, 41), np.linspace(-1, 1, 41), indexing="ij")
    pts = np.column_stack([x.ravel(), y.ravel()])
    exact = eq.exact({"x": pts[:, 0], "y": pts[:, 1]})
    err = {m.name: np.linalg.norm(m.predict(pts) - exact) / np.linalg.norm(exact) for m in (pig, pinn)}
    assert err["pig"] < 0.05
    assert err["pig"] < err["pinn"]
    g = pig.gaussians()
    assert g["centres"].shape == (100, 2) and np.all(g["widths"] > 0)


def test_pig_contract(tmp_path):
    eq = Helmholtz()
    pig = PIG(
        n_gaussians=20,
        learn_means=False,
        optimiser=Optimiser(adam_steps=5, lbfgs_iter=0, compile=False),
        collocation=Collocation(n_residual=50, n_boundary=20),
    ).fit(eq)
    assert pig.get_params()["n_gaussians"] == 20 and pig.config("collocation").n_residual == 50
    # fixed means: only widths, features and the MLP are trained
    assert pig.n_parameters_ == 20 * 2 + 20 * 4 + (4 * 16 + 16 + 16 + 1)
    pig.save(tmp_path / "m")
    back = PIG.load(tmp_path / "m")
    pts = np.random.default_rng(0).uniform(-1, 1, (50, 2))
    np.testing.assert_array_equal(back.predict(pts), pig.predict(pts))
    with pytest.raises(InvalidParameterError, match="n_gaussians must be an integer"):
        PIG(n_gaussians=0, optimiser=Optimiser(adam_steps=1, lbfgs_iter=0)).fit(eq)
    with pytest.raises(InvalidParameterError, match="embedding"):
        PIG(embedding="fourier", optimiser=Optimiser(adam_steps=1, lbfgs_iter=0)).fit(eq)


def test_compare_keeps_the_gaussians_and_draws_them(tmp_path):
    from validation import compare, comparison_figure, save_figure

    pig = PIG(
        n_gaussians=12,
        optimiser=Optimiser(adam_steps=3, lbfgs_iter=0, compile=False),
        collocation=Collocation(n_residual=30, n_boundary=10),
    )
    ds = compare(Helmholtz(), {"pig": pig}, resolution=(17, 17))
    assert ds["pig_gaussian_centre"].shape == (12, 2)
    np.testing.assert_allclose(ds["pig_gaussian_width"].values, pig.gaussians()["widths"])
    cov = ds["pig_gaussian_covariance"].values
    np.testing.assert_allclose(np.diagonal(cov, axis1=1, axis2=2), ds["pig_gaussian_width"].values ** 2, rtol=1e-6)
    fig = comparison_figure(ds)
    assert len(fig.axes[1].patches) == 12  # one ellipse per Gaussian over the prediction
    assert save_figure(fig, tmp_path / "pig.png").stat().st_size > 0
    # a rotated Gaussian is drawn rotated: the ellipse follows the covariance's eigenvectors
    ds["pig_gaussian_covariance"][0] = [[2.0, 1.0], [1.0, 2.0]]  # major axis along (1, 1), sigma^2 = 3 and 1
    ellipse = comparison_figure(ds).axes[1].patches[0]
    assert abs(ellipse.angle % 180 - 45) < 1e-9
    np.testing.assert_allclose([ellipse.width, ellipse.height], [2 * np.sqrt(3.0), 2.0])


@pytest.mark.parametrize("neighbours", [None, 12])
def test_hand_written_backward_matches_autograd(neighbours):
    gen = torch.Generator().manual_seed(3)
    emb = GaussianEmbedding(3, 30, 4, 0.4, neighbours=neighbours, generator=gen, device=CPU, dtype=F64)
    with torch.no_grad():
        emb.log_sigma.add_(0.2 * torch.randn(emb.log_sigma.shape, generator=gen, dtype=F64))
    s = torch.rand(25, 3, generator=gen, dtype=F64) * 2 - 1
    firsts, seconds = (0, 2), ((0, 0), (1, 2), (2, 2))
    weights = [torch.randn(25, 4, generator=gen, dtype=F64) for _ in range(6)]

    def grads(points):
        value, first, second = emb.jet(points, firsts, seconds)
        loss = sum((w * o).sum() for w, o in zip(weights, [value, *first, *second]))
        return torch.autograd.grad(loss, [emb.means, emb.log_sigma, emb.features])

    fast = grads(s)  # GaussianJet's backward
    reference = grads(s.clone().requires_grad_(True))  # autograd through the same formulas
    for a, b in zip(fast, reference):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_dense_float32_jet_is_accurate_at_the_paper_width():
    # the dense path expands (s - mu)^2 into matmuls; its float32 cancellation must stay ~1e-5 at sigma = 0.1
    gen = torch.Generator().manual_seed(4)
    emb64 = GaussianEmbedding(2, 400, 4, 0.1, generator=gen, device=CPU, dtype=F64)
    emb32 = GaussianEmbedding(2, 400, 4, 0.1, generator=torch.Generator(), device=CPU, dtype=torch.float32)
    emb32.load_state_dict({k: v.float() for k, v in emb64.state_dict().items()})
    s = torch.rand(300, 2, generator=gen, dtype=F64) * 2 - 1
    orders = ((0, 1), ((0, 0), (0, 1), (1, 1)))
    ref = emb64.jet(s, *orders)
    low = emb32.jet(s.float(), *orders)
    for a, b in zip([ref[0], *ref[1], *ref[2]], [low[0], *low[1], *low[2]]):
        scale = a.abs().max()
        assert (b.double() - a).abs().max() / scale < 1e-4


@pytest.mark.parametrize("dim", [2, 3])
def test_full_covariance_jet_matches_autodiff_and_reduces_to_diagonal(dim):
    gen = torch.Generator().manual_seed(5)
    kwargs = dict(generator=gen, device=CPU, dtype=F64)
    full = GaussianEmbedding(dim, 30, 3, 0.4, covariance="full", **kwargs)
    diag = GaussianEmbedding(dim, 30, 3, 0.4, generator=torch.Generator(), device=CPU, dtype=F64)
    diag.load_state_dict({k: v for k, v in full.state_dict().items() if k != "shear"})
    s = torch.rand(20, dim, generator=gen, dtype=F64) * 2 - 1
    firsts, seconds = tuple(range(dim)), tuple((a, b) for a in range(dim) for b in range(a, dim))
    jets = [full.jet(s, firsts, seconds), diag.jet(s, firsts, seconds)]
    for a, b in zip(*([j[0], *j[1], *j[2]] for j in jets)):  # zero shear: the diagonal model
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    with torch.no_grad():
        full.shear.normal_(0.0, 1.0, generator=gen)
    _, first, second = full.jet(s, firsts, seconds)
    plan = DerivativePlan(tuple("xyz"[:dim]), (*"xyz"[:dim], *("xyz"[a] + "xyz"[b] for a, b in seconds)))
    ref = autodiff_jet(lambda p: full(p[None])[0, 0], s, plan)
    for j, a in enumerate(firsts):
        torch.testing.assert_close(first[j][:, 0], ref["xyz"[a]], rtol=1e-10, atol=1e-10)
    for j, (a, b) in enumerate(seconds):
        torch.testing.assert_close(second[j][:, 0], ref["xyz"[a] + "xyz"[b]], rtol=1e-10, atol=1e-10)


def test_full_covariance_fine_tunes_a_diagonal_pig(tmp_path):
    eq = Helmholtz(a1=2, a2=1)
    budget = {"n_residual": 400, "n_boundary": 80, "seed": 0, "compile": False, "constraints": "hard"}
    diag = PIG.from_settings(n_gaussians=60, sigma=0.2, **budget, adam_steps=200, lbfgs_iter=50).fit(eq)
    pts = np.random.default_rng(0).uniform(-1, 1, (500, 2))
    # it starts exactly where the diagonal model stopped (zero shear) ...
    start = diag.full_covariance(adam_steps=0, lbfgs_iter=0).fit(eq)
    np.testing.assert_allclose(start.predict(pts), diag.predict(pts), rtol=1e-4, atol=1e-6)
    # ... and training goes on from there (6.7e-3 -> 2.3e-3 when written)
    tuned = diag.full_covariance(adam_steps=0, lbfgs_iter=100).fit(eq)
    exact = eq.exact({"x": pts[:, 0], "y": pts[:, 1]})
    err = {m.covariance: np.linalg.norm(m.predict(pts) - exact) / np.linalg.norm(exact) for m in (diag, tuned)}
    assert err["full"] < 0.7 * err["diagonal"]
    cov = tuned.gaussians()["covariances"]
    off = np.abs(cov[:, 0, 1]) / np.sqrt(cov[:, 0, 0] * cov[:, 1, 1])
    assert cov.shape == (60, 2, 2) and off.max() > 1e-3  # some Gaussians rotated
    tuned.save(tmp_path / "full")
    np.testing.assert_array_equal(PIG.load(tmp_path / "full").predict(pts), tuned.predict(pts))
    with pytest.raises(InvalidParameterError, match="neighbours=None"):
        GaussianEmbedding(2, 10, covariance="full", neighbours=4, generator=torch.Generator(), device=CPU,
                          dtype=F64)


def test_fused_gaussian_sums_gradcheck_and_far_gaussians():
    """The fused sums pass gradcheck, and clamping far Gaussians (q/2 > 80) changes nothing measurable."""
    from sciml.field.gaussians import GaussianSums, _mahalanobis_factors

    gen = torch.Generator().manual_seed(5)
    s = torch.rand(7, 2, generator=gen, dtype=F64) * 2 - 1
    means = torch.rand(5, 2, generator=gen, dtype=F64) * 2 - 1
    inv = torch.full((5, 2), 4.0, dtype=F64)
    left, right = _mahalanobis_factors(s, means, inv)
    weights = torch.randn(5, 3, generator=gen, dtype=F64)
    assert torch.autograd.gradcheck(GaussianSums.apply, (left, right.requires_grad_(), weights.requires_grad_()))
    # narrow Gaussians far from the points: exponents down to -2e4, exp underflows; the sums stay exact
    inv = torch.full((5, 2), 1e4, dtype=F64)
    left, right = _mahalanobis_factors(s, means, inv)
    exact = torch.exp(-0.5 * (left @ right.T)) @ weights
    fused = GaussianSums.apply(left, right.requires_grad_(), weights)
    torch.testing.assert_close(fused, exact, rtol=1e-12, atol=1e-30)
    fused.sum().backward()
    assert torch.isfinite(right.grad).all()
