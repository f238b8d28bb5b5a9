"""DeepONet and the operator training loop on small antiderivative problems (seconds each)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import xarray as xr

from equations.errors import InvalidDataError, InvalidParameterError, TrainingDivergedError
from sciml import DeepONet, create_learner
from sciml.core.callbacks import Callback
from sciml.core.checkpoint import load_bundle
from sciml.core.runtime import torch_generator
from sciml.operators.deeponet.fast import aligned_loss_and_grads
from sciml.operators.deeponet.net import DeepONetNet
from solvers.odes import antiderivatives
from validation import compare_operator

M = 50  # sensors = output points (smaller than the paper's 100 to keep the tests fast)
X = np.linspace(0.0, 1.0, M)


def smooth_inputs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random trigonometric inputs and their antiderivatives by cumulative Simpson quadrature."""
    rng = np.random.default_rng(seed)
    k = np.arange(1, 4)
    a, b = rng.normal(size=(n, 3)) / k, rng.normal(size=(n, 3)) / k
    u = a @ np.sin(np.pi * k[:, None] * X) + b @ np.cos(np.pi * k[:, None] * X)
    return u, antiderivatives(u, X)


U, S = smooth_inputs(80, 0)
UT, ST = smooth_inputs(100, 1)


def rel(pred: np.ndarray, ref: np.ndarray) -> float:
    return float(np.mean(np.linalg.norm(pred - ref, axis=1) / np.linalg.norm(ref, axis=1)))


FAST = {"steps": 300, "lr": 3e-3, "schedule": "cosine", "final_lr": 1e-4}


@pytest.fixture(scope="module")
def aligned() -> DeepONet:
    return DeepONet(**FAST).fit(U, S, X)


def test_aligned_fit_beats_bound_and_registry(aligned):
    assert rel(aligned.predict(UT, X), ST) < 0.06
    assert rel(aligned.predict(UT), ST) < 0.06  # default: the training points
    assert aligned.history_.loss[-1] < 0.2 * aligned.history_.loss[0]
    assert isinstance(create_learner("deeponet", steps=5), DeepONet)
    assert aligned.get_params()["branch"] == (40, 40)


def test_unaligned_fit():
    rng = np.random.default_rng(2)
    j = rng.integers(0, M, size=(U.shape[0], 8))
    model = DeepONet(**FAST, batch_size=40).fit(U, np.take_along_axis(S, j, 1), X[j][..., None])
    assert rel(model.predict(UT, X), ST) < 0.15


def test_pod_deeponet():
    model = DeepONet(**(FAST | {"steps": 1000}), pod_modes=8).fit(U, S, X)
    assert rel(model.predict(UT), ST) < 0.06
    with pytest.raises(InvalidParameterError, match="training points"):
        model.predict(UT, X[:10])


def test_physics_informed_without_data():
    kw = {"physics": "antiderivative", "activation": "tanh", "lr": 3e-3, "n_collocation": M}
    untrained = DeepONet(steps=0, **kw).fit(U)
    model = DeepONet(steps=400, **kw).fit(U)
    loss = model.history_.loss
    assert loss[-1] < loss[0] / 20
    err, err0 = rel(model.predict(UT, X), ST), rel(untrained.predict(UT, X), ST)
    assert err < 0.2 < err0


def numpy_forward(model: DeepONet, u: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The fitted network by hand in float64 NumPy: ``(n, P)`` at shared ``y (P, 1)`` (ReLU, one output)."""
    net = model.net_

    def mlp(x: np.ndarray, layers, last_activation: bool) -> np.ndarray:
        ps = [p.detach().double().numpy() for p in layers]
        for i in range(len(ps) // 2):
            x = x @ ps[2 * i].T + ps[2 * i + 1]
            if i < len(ps) // 2 - 1 or last_activation:
                x = np.maximum(x, 0.0)
        return x

    buf = {k: v.double().numpy() for k, v in net.named_buffers()}
    b = mlp((u - buf["in_mean"]) / buf["in_std"], net.branch, False)
    t = mlp((y - buf["pt_shift"]) * buf["pt_scale"], net.trunk, True)
    return (b @ t.T + net.bias.item()) * buf["out_std"][0] + buf["out_mean"][0]


def test_aligned_and_unaligned_agree_with_a_hand_written_forward_pass(aligned):
    expected = numpy_forward(aligned, UT, X[:, None])
    assert rel(expected, ST) < 0.06  # the weights are the trained ones, not a degenerate net
    np.testing.assert_allclose(aligned.predict(UT, X), expected, rtol=1e-4, atol=1e-5 * np.abs(ST).max())
    # per-sample points, a different set for each sample: the unaligned path against the same hand computation
    y = np.random.default_rng(5).uniform(0, 1, (UT.shape[0], 7))
    by_hand = np.stack([numpy_forward(aligned, UT[i : i + 1], y[i][:, None])[0] for i in range(len(y))])
    np.testing.assert_allclose(aligned.predict(UT, y[..., None]), by_hand, rtol=1e-4, atol=1e-5 * np.abs(ST).max())
    np.testing.assert_allclose(aligned.predict(UT, y), by_hand, rtol=1e-4, atol=1e-5 * np.abs(ST).max())  # (n, Q)


def test_several_outputs_and_dataset():
    outputs = np.stack([S, U], axis=-1)  # (n, P, 2): the antiderivative and the identity
    ds = xr.Dataset({"input": (("sample", "sensor"), U), "output": (("sample", "x", "component"), outputs)},
                    coords={"sensor": X, "x": X, "component": ["s", "u"]})
    model = DeepONet(**FAST).fit(ds)
    pred = model.predict(ds)
    assert pred.shape == outputs.shape
    assert rel(pred[..., 0], S) < 0.1 and rel(pred[..., 1], U) < 0.1


def test_save_load_round_trip(tmp_path, aligned):
    for i, model in enumerate([aligned, DeepONet(steps=3, pod_modes=4).fit(U, np.stack([S, U], -1), X)]):
        model.save(tmp_path / str(i))
        back = DeepONet.load(tmp_path / str(i))
        np.testing.assert_array_equal(back.predict(UT), model.predict(UT))
        assert back.get_params() == model.get_params()
        assert back.history_.loss == model.history_.loss
    (tmp_path / "0" / "meta.json").write_text('{"learner": "pinn"}')
    with pytest.raises(InvalidDataError, match="deeponet"):
        DeepONet.load(tmp_path / "0")


class _Stop(Exception):
    pass


class _Interrupt(Callback):
    def on_step(self, trainer, loss):
        if trainer.step == 25:
            raise _Stop


def test_resume_equals_uninterrupted(tmp_path):
    kw = {"steps": 40, "batch_size": 16, "schedule": "cosine", "checkpoint_every": 10}
    full = DeepONet(**kw, checkpoint_dir=str(tmp_path / "a")).fit(U, S, X)
    with pytest.raises(_Stop):
        DeepONet(**kw, checkpoint_dir=str(tmp_path / "b")).fit(U, S, X, callbacks=[_Interrupt()])
    resumed = DeepONet(**kw, checkpoint_dir=str(tmp_path / "b"), resume=True).fit(U, S, X)
    assert resumed.history_.step == full.history_.step
    assert resumed.history_.loss == full.history_.loss
    for p, q in zip(full.net_.parameters(), resumed.net_.parameters()):
        assert torch.equal(p, q)


def test_bad_data_raise_typed_errors(aligned):
    bad = U.copy()
    bad[3, 7] = np.nan
    with pytest.raises(InvalidDataError, match=r"inputs contain 1 NaN"):
        DeepONet(steps=1).fit(bad, S, X)
    with pytest.raises(InvalidDataError, match="outputs have 79 samples"):
        DeepONet(steps=1).fit(U, S[:-1], X)
    with pytest.raises(InvalidDataError, match="shared points are 49"):
        DeepONet(steps=1).fit(U, S, X[:-1])
    with pytest.raises(InvalidDataError, match="trained on 50"):
        aligned.predict(UT[:, :-1], X)
    with pytest.raises(InvalidDataError, match="dimension 2"):
        aligned.predict(UT, np.zeros((5, 2)))
    with pytest.raises(InvalidParameterError, match="same last width"):
        DeepONet(steps=1, trunk=(40, 30)).fit(U, S, X)
    with pytest.raises(InvalidParameterError, match="needs outputs"):
        DeepONet(steps=1).fit(U)


def test_divergence_stops_and_keeps_checkpoint(tmp_path):
    huge = U * 1e38  # float32 overflows to Inf in the first layer
    with pytest.raises(TrainingDivergedError, match="step 0"):
        DeepONet(steps=5, normalize=False).fit(huge, S, X)
    with pytest.raises(_Stop):  # stopped at step 25, after the step-20 checkpoint
        DeepONet(steps=200, checkpoint_dir=str(tmp_path), checkpoint_every=5).fit(U, S, X, callbacks=[_Interrupt()])
    with pytest.raises(TrainingDivergedError, match="last good checkpoint was kept") as info:
        DeepONet(steps=200, checkpoint_dir=str(tmp_path), checkpoint_every=5, resume=True, lr=1e30).fit(U, S, X)
    failed_at = int(re.search(r"at step (\d+)", str(info.value)).group(1))
    tensors, meta = load_bundle(tmp_path)
    assert meta["step"] <= failed_at
    assert all(torch.isfinite(t.float()).all() for k, t in tensors.items() if k.startswith("param"))


def test_compare_operator(aligned):
    ds = compare_operator(aligned, inputs=UT, outputs=ST, points=X)
    assert set(ds.data_vars) == {"reference", "prediction", "error", "relative_l2"}
    assert ds["relative_l2"].shape == (UT.shape[0],)
    assert ds.attrs["relative_l2_mean"] == pytest.approx(rel(aligned.predict(UT, X), ST))
    assert ds.attrs["relative_l2_median"] <= ds.attrs["relative_l2_max"]
    np.testing.assert_allclose(ds["error"].values, ds["prediction"].values - ST)
    data = xr.Dataset({"input": (("sample", "sensor"), UT), "output": (("sample", "x"), ST)},
                      coords={"sensor": X, "x": X})
    by_ds = compare_operator(aligned, data)
    assert by_ds["prediction"].dims == ("sample", "x")
    assert by_ds.attrs["relative_l2_mean"] == pytest.approx(ds.attrs["relative_l2_mean"])


def test_compare_operator_accepts_the_shapes_users_pass():
    # the case: a model trained on a Dataset, scored on the user's own arrays
    train = xr.Dataset({"input": (("sample", "sensor"), U), "output": (("sample", "x"), S)},
                       coords={"sensor": X, "x": X})
    model = DeepONet(**(FAST | {"steps": 60})).fit(train)
    assert model.predict(UT, X).shape == ST.shape  # no stray component axis for a Dataset without one
    expected = numpy_forward(model, UT, X[:, None])
    by_hand = np.linalg.norm(expected - ST, axis=1) / np.linalg.norm(ST, axis=1)
    reference = compare_operator(model, inputs=UT, outputs=ST, points=X[:, None])
    np.testing.assert_allclose(reference["relative_l2"].values, by_hand, rtol=1e-4)
    variants = [{"points": X}, {"inputs": UT[..., None]}, {"outputs": ST[..., None]}]
    for change in variants:
        kw = {"inputs": UT, "outputs": ST, "points": X[:, None]} | change
        ds = compare_operator(model, **kw)
        np.testing.assert_array_equal(ds["relative_l2"].values, reference["relative_l2"].values)
        for key in ("relative_l2_mean", "relative_l2_median", "relative_l2_max", "mse"):
            assert ds.attrs[key] == reference.attrs[key]
    one = compare_operator(model, inputs=UT[3], outputs=ST[3], points=X)  # one function, no sample axis
    assert one["relative_l2"].values[0] == pytest.approx(by_hand[3], rel=1e-6)
    with pytest.raises(InvalidDataError, match=r"points must be \(P,\) or \(P, 1\).*got shape \(50, 2\)"):
        compare_operator(model, inputs=UT, outputs=ST, points=np.zeros((M, 2)))
    with pytest.raises(InvalidDataError, match=r"shaped \(n, 50\).*got shape \(100, 49\)"):
        compare_operator(model, inputs=UT[:, 1:], outputs=ST, points=X)
    with pytest.raises(InvalidDataError, match=r"outputs must be \(n, P\).*n = 100.*got shape \(99, 50\)"):
        compare_operator(model, inputs=UT, outputs=ST[1:], points=X)
    with pytest.raises(InvalidDataError, match=r"prediction shape \(100, 50\) does not match the reference "
                                               r"\(100, 49\)"):
        compare_operator(model, inputs=UT, outputs=ST[:, 1:], points=X)
    with pytest.raises(InvalidDataError, match=r"need n = 100.*got shape \(3, 50, 1\)"):
        model.predict(UT, np.zeros((3, M, 1)))


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("pod", [False, True])
def test_fast_path_gradients_equal_autograd(activation, pod):
    gen = torch_generator(0, torch.device("cpu"))
    net = DeepONetNet([20, 16, 8], None if pod else [1, 16, 8], activation, 2, 1, pod_modes=8 if pod else 0,
                      n_pod_points=30 if pod else 0, generator=gen, device=torch.device("cpu"), dtype=torch.float64)
    with torch.no_grad():
        net.pod_basis.normal_(generator=gen)
        net.pod_mean.normal_(generator=gen)
    un, yn = torch.randn(7, 20, dtype=torch.float64), torch.rand(30, 1, dtype=torch.float64)
    target, weight = torch.randn(7, 2, 30, dtype=torch.float64), torch.rand(7, 2, dtype=torch.float64)
    params = [*net.branch, *net.trunk, net.bias]
    for w in (None, weight):
        diff = net.aligned(un, yn) - target
        loss = diff.square().mean() if w is None else (torch.linalg.vector_norm(diff, dim=2) * w).mean()
        expected = torch.autograd.grad(loss, params)
        value, grads = aligned_loss_and_grads(net, activation, un, yn, target, w)
        torch.testing.assert_close(value, loss.detach())
        for a, b in zip(grads, expected):
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
