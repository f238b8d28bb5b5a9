"""LPINN: the chain rule, the Eulerian mapping, a small fit against the exact solution, the contract."""

import dataclasses
import math
import warnings

import numpy as np
import pytest
import torch

from equations import Burgers, Convection, InvalidParameterError, LShapePoisson
from sciml import LPINN
from sciml.field.derivatives import DerivativePlan, autodiff_jet


def _tiny(**kw):
    config = {"hidden": (16, 16), "n_points": 512, "adam_steps": 300, "lbfgs_iter": 100, "resample_every": 0,
              "dtype": "float64", **kw}
    return LPINN.from_settings(**config)


def test_fits_convection_diffusion_at_large_beta():
    # the state branch must learn the decay exp(-nu t): without learning the error is ~1e-2
    eq = Convection(beta=40.0, nu=0.01)
    lp = _tiny(seed=1, n_points=256, adam_steps=150, lbfgs_iter=120).fit(eq)
    x, t = np.meshgrid(np.linspace(0, 2 * np.pi, 64, endpoint=False), np.linspace(0, 1, 21), indexing="ij")
    pts = np.column_stack([x.ravel(), t.ravel()])
    exact = eq.exact({"x": pts[:, 0], "t": pts[:, 1]})
    err = np.linalg.norm(lp.predict(pts) - exact) / np.linalg.norm(exact)
    assert err < 1e-3
    assert lp.history_.loss[-1] < 1e-3 * lp.history_.loss[0]


def test_second_derivative_is_taken_in_the_physical_coordinate():
    # loss terms of a Burgers LPINN equal the residuals computed by torch.func on X and U directly
    lp = _tiny(adam_steps=0, lbfgs_iter=0).fit(Burgers())
    obj = lp.objective_
    p = obj.x[:7]
    pos, state = obj.branches(p)

    def u_of_x(q, k):  # U as a function of the physical x near the label: invert X locally by Newton
        return obj.values(q[None])[k][0]

    plan = DerivativePlan(("x", "t"), ("x", "xx"))
    jx = autodiff_jet(lambda q: u_of_x(q, 0), p, plan)
    ju = autodiff_jet(lambda q: u_of_x(q, 1), p, plan)
    # d2U/dx2 = (U'' X' - U' X'') / X'^3 from the label derivatives
    expected = (ju["xx"] * jx["x"] - ju["x"] * jx["xx"]) / jx["x"] ** 3
    got = (state["xx"] * pos["x"] - state["x"] * pos["xx"]) / pos["x"] ** 3
    torch.testing.assert_close(got, expected, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(pos["x"], jx["x"], rtol=1e-10, atol=1e-10)


def test_labels_round_trip_and_walls_pinned():
    lp = _tiny(adam_steps=30, lbfgs_iter=0).fit(Burgers())
    labels = np.linspace(-0.95, 0.95, 41)
    pos, _ = lp.characteristics(labels, [0.2])
    back = lp.objective_.labels_of(pos[:, 0], np.full(41, 0.2))
    np.testing.assert_allclose(back, labels, atol=1e-10)
    walls, _ = lp.characteristics([-1.0, 1.0], np.linspace(0, 1, 5))
    np.testing.assert_allclose(walls, [[-1.0] * 5, [1.0] * 5], atol=1e-12)


def test_periodic_and_initial_condition_exact():
    eq = Convection(beta=10.0)
    lp = _tiny(adam_steps=20, lbfgs_iter=0).fit(eq)
    t = np.linspace(0, 1, 5)
    a = lp.predict(np.column_stack([np.zeros(5), t]))
    b = lp.predict(np.column_stack([np.full(5, 2 * math.pi), t]))
    np.testing.assert_allclose(a, b, atol=1e-12)
    x = np.linspace(0, 6, 13)
    np.testing.assert_allclose(lp.predict(np.column_stack([x, np.zeros_like(x)])), np.sin(x), atol=1e-12)


def test_save_load_and_clear_errors(tmp_path):
    lp = _tiny(adam_steps=10, lbfgs_iter=0).fit(Convection())
    lp.save(tmp_path / "m")
    back = LPINN.load(tmp_path / "m")
    pts = np.column_stack([np.linspace(0, 6, 9), np.linspace(0, 1, 9)])
    np.testing.assert_array_equal(back.predict(pts), lp.predict(pts))
    with pytest.raises(InvalidParameterError, match="no Lagrangian"):
        _tiny().fit(LShapePoisson())
    with pytest.raises(InvalidParameterError, match="not fitted"):
        LPINN().predict(np.zeros((1, 2)))


def test_resume_after_kill_is_exact(tmp_path):
    from sciml import Callback

    class Kill(Callback):
        def on_step(self, trainer, loss):
            if trainer.step >= 35:
                raise KeyboardInterrupt

    def make(**kw):
        return _tiny(n_points=128, adam_steps=50, lbfgs_iter=0, resample_every=20, checkpoint_every=10,
                     dtype="float32", **kw)

    full = make().fit(Convection(beta=20.0))
    with pytest.raises(KeyboardInterrupt):
        make(checkpoint_dir=str(tmp_path / "ck")).fit(Convection(beta=20.0), callbacks=[Kill()])
    resumed = make(checkpoint_dir=str(tmp_path / "ck"), resume=True).fit(Convection(beta=20.0))
    assert resumed.history_.loss == full.history_.loss


def test_crossing_characteristics_warn_and_keep_the_front_most_particles():
    # X = x0 - t sin(pi x0) (+ the untrained correction): inviscid Burgers characteristics, crossing
    # after t = 1/pi; the LPINN only uses this straight-line start for linear speeds, so force it here
    lp = _tiny(adam_steps=0, lbfgs_iter=0).fit(Burgers())
    lp.objective_.form = dataclasses.replace(lp.objective_.form, linear=True)
    x = np.linspace(-0.9, 0.9, 37)
    with pytest.warns(RuntimeWarning, match="characteristics cross"):
        u = lp.predict(np.column_stack([x, np.full_like(x, 0.6)]))
    assert np.all(np.isfinite(u))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no crossing before 1/pi: no warning
        lp.predict(np.column_stack([x, np.full_like(x, 0.2)]))
