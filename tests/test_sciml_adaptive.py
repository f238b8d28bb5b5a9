"""Adaptive collocation (sciml.field.adaptive): RAD, RAR and AAS on the sharp-peak Poisson problem."""

import numpy as np
import pytest
import torch

from equations import InvalidParameterError, LShapePoisson, PeakPoisson
from sciml import PINN, Callback
from sciml.core.training import Trainer
from sciml.field.adaptive import AAS, RAD, RAR, PointSampler, make_strategy

N = 256
UNIFORM_NEAR = np.pi * 0.1**2  # share of [0, 1]^2 within 0.1 of the centre


def _peak_residual(points):
    """A synthetic residual: large in a disc of radius ~0.07 around (1/2, 1/2), small elsewhere."""
    return 10.0 * np.exp(-200.0 * ((points - 0.5) ** 2).sum(1)) + 0.01


def _near(points, radius=0.1):
    return float((np.linalg.norm(points - 0.5, axis=1) < radius).mean())


def _sampler(seed=0, eq=None):
    return PointSampler(eq or PeakPoisson(), "sobol", np.random.default_rng(seed), N)


@pytest.mark.parametrize("strategy", [RAD(), RAR(points=N // 2), AAS(2, steps=60, pool_factor=4, beta=1e-3)],
                         ids=["rad", "rar", "aas"])
def test_one_resample_crowds_points_at_the_peak(strategy):
    sampler = _sampler()
    start = sampler.draw(N)
    new = strategy.resample(_peak_residual, sampler, start)
    assert _near(start) < 2 * UNIFORM_NEAR
    assert _near(new) >= 3 * UNIFORM_NEAR


def test_rar_adds_exactly_m_points_keeps_old_ones_and_is_capped():
    sampler = _sampler()
    start = sampler.draw(N)
    rar = RAR(points=13, max_points=N + 30)
    grown = rar.resample(_peak_residual, sampler, start)
    assert grown.shape == (N + 13, 2)
    np.testing.assert_array_equal(grown[:N], start)
    assert _near(grown[N:]) == 1.0  # the added points are the pool's largest residuals
    grown2 = rar.resample(_peak_residual, sampler, grown)
    assert grown2.shape == (N + 26, 2)
    np.testing.assert_array_equal(grown2[: N + 13], grown)
    capped = rar.resample(_peak_residual, sampler, grown2)  # over the cap: the oldest added points go
    assert capped.shape == (N + 30, 2)
    np.testing.assert_array_equal(capped[:N], start)
    np.testing.assert_array_equal(capped[N : N + 17], grown2[N + 9 :])
    assert make_strategy("rar", dim=2, n=400).points == 20  # default n // 20


def test_aas_inside_reproducible_uniform_share_and_state_round_trip():
    eq = LShapePoisson()
    runs = []
    for _ in range(2):
        aas, sampler = AAS(2, steps=40, uniform=0.3, pool_factor=4), _sampler(1, eq)
        pts = aas.resample(_peak_residual, sampler, sampler.draw(N))
        runs.append((aas, pts))
    (aas, pts), (_, again) = runs
    assert pts.shape == (N, 2)
    assert eq.domain.space.contains(pts).all()
    np.testing.assert_array_equal(pts, again)
    # state round trip: a fresh sampler loaded with the state draws the same points
    state = aas.state_tensors()
    assert state and all(k.startswith("flow.") for k in state)
    fresh = AAS(2, steps=40, uniform=0.3, pool_factor=4)
    fresh.load_state_tensors(state)
    a = aas.resample(_peak_residual, _sampler(7, eq), pts)
    b = fresh.resample(_peak_residual, _sampler(7, eq), pts)
    np.testing.assert_array_equal(a, b)
    # with no uniform share and a small smoothness weight the flow points sit at the peak; the uniform share
    # restores coverage
    sampler = _sampler(2)
    start = sampler.draw(N)
    far_flow = AAS(2, steps=60, uniform=0.0, pool_factor=4, beta=1e-4).resample(_peak_residual, sampler, start)
    far_mixed = AAS(2, steps=60, uniform=0.5, pool_factor=4, beta=1e-4).resample(_peak_residual, _sampler(2), start)
    assert 1 - _near(far_flow, 0.25) < 0.15
    assert 1 - _near(far_mixed, 0.25) >= 0.5 * 0.8 * (1 - np.pi * 0.25**2)


def test_aas_smoothness_weight_sets_how_far_the_flow_leaves_uniform():
    """The maximiser of E_p[r^2] - beta int |grad p|^2 spreads over ~sqrt(beta): a larger beta, a wider p."""
    start = _sampler(3).draw(N)
    shares = []
    for beta in (1e-3, 1e-2, 1.0):
        aas = AAS(2, steps=60, uniform=0.0, pool_factor=4, beta=beta)
        shares.append(_near(aas.resample(_peak_residual, _sampler(3), start)))
    assert shares[0] > shares[1] > shares[2]
    assert shares[0] >= 0.5 and shares[2] < 2 * UNIFORM_NEAR  # concentrated at small beta, ~uniform at large
    with pytest.raises(InvalidParameterError, match="aas beta must be a positive finite number"):
        AAS(2, beta=0.0)
    with pytest.raises(InvalidParameterError, match="aas beta"):
        make_strategy("aas", dim=2, n=10, beta=float("inf"))


def test_bad_parameters_raise():
    for kw, match in [({"adaptive": "das"}, "adaptive must be one of"),
                      ({"adaptive": "rar", "rar_points": 0}, "rar_points must be None or an integer >= 1"),
                      ({"aas_steps": 2.5}, "aas_steps must be an integer"),
                      ({"aas_uniform": 1.5}, r"aas_uniform must be a number in \[0, 1\]"),
                      ({"aas_uniform": True}, "aas_uniform must be")]:
        with pytest.raises(InvalidParameterError, match=match):
            PINN.from_settings(**kw, adam_steps=1, lbfgs_iter=0).fit(PeakPoisson())
    with pytest.raises(InvalidParameterError, match="pool_factor"):
        RAD(pool_factor=0)
    with pytest.raises(InvalidParameterError, match="adaptive must be one of"):
        make_strategy("random", dim=2, n=10)


def _tiny(**kw):
    config = {"hidden": (8, 8), "n_residual": 64, "n_boundary": 16, "adam_steps": 30, "lbfgs_iter": 4,
              "resample_every": 10, "adaptive": "aas", "aas_steps": 10, "compile": False, "seed": 4, **kw}
    return PINN.from_settings(**config)


class _KillAt(Callback):
    def __init__(self, at):
        self.at = at

    def on_step(self, trainer, loss):
        if trainer.step >= self.at:
            raise KeyboardInterrupt


@pytest.mark.parametrize("adaptive", ["aas", "rar"])
def test_pinn_fit_end_to_end_and_exact_resume(tmp_path, adaptive):
    pinn = _tiny(adaptive=adaptive, rar_points=8).fit(PeakPoisson())
    assert np.isfinite(pinn.history_.loss).all()
    n = len(pinn.objective_.points["residual"])
    assert n == (64 + 8 * 2 if adaptive == "rar" else 64)  # resamples at Adam steps 10 and 20
    assert bool(pinn.objective_.strategy.state_tensors()) == (adaptive == "aas")  # the trained flow
    assert np.isfinite(pinn.predict(np.full((1, 2), 0.5))).all()

    def run(checkpoint=None, resume=False, callbacks=()):
        learner = _tiny(adaptive=adaptive, rar_points=8)
        obj = learner._objective(PeakPoisson(), None)
        trainer = Trainer(learner._stages(), callbacks, checkpoint_dir=checkpoint, checkpoint_every=15,
                          resume=resume)
        trainer.fit(obj)
        return obj, trainer.history

    full, history = run()
    ck = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        run(ck, callbacks=[_KillAt(25)])  # checkpoint at 15, after one resample; resample at 20 is redone
    resumed, resumed_history = run(ck, resume=True)
    torch.testing.assert_close(resumed.net.flat, full.net.flat, rtol=0, atol=0)
    assert resumed_history.loss == history.loss
    np.testing.assert_array_equal(resumed.points["residual"], full.points["residual"])


def test_aas_beta_reaches_the_sampler_from_the_learner():
    """``aas_beta`` is a Collocation setting: the fitted objective's AAS strategy uses it."""
    import equations
    from sciml import create_learner

    learner = create_learner("pinn", seed=0, adaptive="aas", aas_beta=1e-2, aas_steps=2, resample_every=2,
                             adam_steps=3, lbfgs_iter=0, n_residual=32, n_boundary=8, hidden=(8, 8))
    learner.fit(equations.PeakPoisson())
    assert learner.objective_.strategy.beta == 1e-2
