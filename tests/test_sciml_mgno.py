"""MgNO and FNO learners on a tiny Darcy set: learning, zero-shot resolution, persistence, resume, bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numba
import numpy as np
import pytest
import torch
import xarray as xr

from equations.errors import InvalidDataError, InvalidParameterError, TrainingDivergedError
from sciml import FNO, Callback, MgNO, create_learner
from validation import compare_operator
from validation.datasets import make

TINY = {"mgno": {"channels": 8, "layers": 2, "smoothing": (1, 1, 1)}, "fno": {"width": 8, "modes": 4}}


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """One torch and numba thread: on a shared 2-core machine a second thread waits for a slice per call."""
    threads = torch.get_num_threads(), numba.get_num_threads()
    torch.set_num_threads(1)
    numba.set_num_threads(1)
    yield
    torch.set_num_threads(threads[0])
    numba.set_num_threads(threads[1])


@pytest.fixture(scope="module")
def darcy(one_thread: None) -> tuple[xr.Dataset, xr.Dataset, xr.Dataset]:
    return (make("darcy", 64, resolution=17, seed=0), make("darcy", 32, resolution=17, seed=1),
            make("darcy", 16, resolution=33, seed=2))


def rel_l2(pred: np.ndarray, ref: np.ndarray) -> float:
    n = len(ref)
    return float(np.mean(np.linalg.norm((pred - ref).reshape(n, -1), axis=1) / np.linalg.norm(ref.reshape(n, -1),
                                                                                                  axis=1)))


@pytest.mark.parametrize("name", ["mgno", "fno"])
def test_learns_darcy_and_generalises_to_another_grid(name: str, darcy: tuple[xr.Dataset, ...]) -> None:
    train, test, fine = darcy
    model = create_learner(name, epochs=40, batch_size=8, lr=3e-3, loss="l2", **TINY[name])
    model.fit(train, eval_sets={"test": test}, eval_every=80)  # type: ignore[call-arg]
    h = model.history_  # type: ignore[attr-defined]
    assert len(h.loss) == 40 * 8 and np.mean(h.loss[-8:]) < np.mean(h.loss[:8]) / 5
    ref = test["output"].values
    mean_l2 = rel_l2(np.broadcast_to(train["output"].values.mean(0), ref.shape), ref)
    l2 = compare_operator(model, test).attrs["relative_l2_mean"]
    assert l2 < mean_l2 / 2 and l2 < 0.15
    evals = model.evaluations_  # type: ignore[attr-defined]
    assert [e["step"] for e in evals] == [80, 160, 240, 320] and evals[-1]["test_l2"] == pytest.approx(l2, rel=1e-9)
    assert evals[-1]["test_h1"] > evals[-1]["test_l2"]
    zero_shot = model.predict(fine)  # trained on 17², evaluated on 33²
    assert zero_shot.shape == (16, 33, 33) and np.isfinite(zero_shot).all()
    if name == "fno":  # spectral weights carry over to the finer grid; MgNO's 3×3 stencils are tied to h
        assert rel_l2(zero_shot, fine["output"].values) < mean_l2


def test_save_load_round_trip_is_exact(tmp_path: Path, darcy: tuple[xr.Dataset, ...]) -> None:
    train, test, fine = darcy
    for cls in (MgNO, FNO):
        model = cls(epochs=1, batch_size=16, seed=4, **TINY[cls.name]).fit(train)
        model.save(tmp_path / cls.name)
        back = cls.load(tmp_path / cls.name)
        assert back.get_params() == model.get_params() and back.stats_ == model.stats_
        assert np.array_equal(back.predict(test), model.predict(test))
        assert np.array_equal(back.predict(fine), model.predict(fine))
        assert back.history_.loss == model.history_.loss
    assert not list(tmp_path.rglob("*.pt")) and not list(tmp_path.rglob("*.pkl"))
    with pytest.raises(InvalidDataError, match="does not hold a saved fno"):
        FNO.load(tmp_path / "mgno")


class Stop(Callback):
    def on_step(self, trainer: object, loss: float) -> None:
        if trainer.step == 13:  # type: ignore[attr-defined]
            raise KeyboardInterrupt


def test_resume_after_a_checkpoint_equals_the_uninterrupted_run(tmp_path: Path, darcy: tuple[xr.Dataset, ...]) -> None:
    train = darcy[0].isel(sample=slice(0, 24))
    kw = {"epochs": 6, "batch_size": 5, "lr": 3e-3, "seed": 1, **TINY["mgno"]}  # 4 steps an epoch, last batch left
    whole = MgNO(**kw).fit(train)
    ck = str(tmp_path / "ck")
    with pytest.raises(KeyboardInterrupt):
        MgNO(checkpoint_dir=ck, checkpoint_every=4, **kw).fit(train, callbacks=[Stop()])  # stops after step 12 saved
    resumed = MgNO(checkpoint_dir=ck, checkpoint_every=4, resume=True, **kw).fit(train)
    assert resumed.history_.step == whole.history_.step and resumed.history_.loss == whole.history_.loss
    for a, b in zip(whole.net_.parameters(), resumed.net_.parameters()):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())


def test_bad_input_raises_typed_errors(darcy: tuple[xr.Dataset, ...]) -> None:
    train = darcy[0]
    u, s = train["input"].values, train["output"].values
    bad = s.copy()
    bad[3, 2, 2] = np.nan
    with pytest.raises(InvalidDataError, match=r"outputs contain 1 NaN or Inf values \(first in sample 3\)"):
        MgNO(epochs=1).fit(u, bad)
    with pytest.raises(InvalidDataError, match=r"must be \(samples, nx, ny\)"):
        MgNO(epochs=1).fit(u[:, 0], s[:, 0])
    with pytest.raises(InvalidDataError, match="same"):
        MgNO(epochs=1).fit(u, s[:, :-1])
    with pytest.raises(InvalidDataError, match="too coarse for 6 multigrid levels"):
        MgNO(epochs=1).fit(u, s)  # 17² with the default six levels: the coarsest grid would be 1×1
    with pytest.raises(InvalidParameterError, match="not fitted"):
        FNO().predict(u)
    with pytest.raises(InvalidParameterError, match="batch_size"):
        MgNO(batch_size=100, **TINY["mgno"]).fit(u, s)
    model = MgNO(epochs=1, batch_size=32, **TINY["mgno"]).fit(u, s)
    with pytest.raises(InvalidDataError, match="too coarse for 3 multigrid levels"):
        model.predict(u[:, :4, :4])
    # the user's own arrays, with or without a trailing channel axis, score as the Dataset does
    by_ds = compare_operator(model, train)
    pred = model.predict(u)
    by_hand = np.linalg.norm((pred - s).reshape(len(s), -1), axis=1) / np.linalg.norm(s.reshape(len(s), -1), axis=1)
    np.testing.assert_allclose(by_ds["relative_l2"].values, by_hand, rtol=1e-12)
    for inputs, outputs in ((u, s), (u[..., None], s), (u, s[..., None])):
        ds = compare_operator(model, inputs=inputs, outputs=outputs)
        np.testing.assert_array_equal(ds["relative_l2"].values, by_ds["relative_l2"].values)
    np.testing.assert_array_equal(model.predict(u[..., None]), pred)
    with pytest.raises(InvalidParameterError, match="without points"):
        compare_operator(model, inputs=u, outputs=s, points=np.zeros((17, 2)))
    with pytest.raises(InvalidDataError, match=r"must be \(samples, nx, ny\).*got shape \(64, 17, 17, 2\)"):
        model.predict(np.stack([u, u], axis=-1))
    with pytest.raises(TrainingDivergedError):
        MgNO(epochs=2, batch_size=8, lr=1e12, schedule="constant", loss="l2", **TINY["mgno"]).fit(u, s)
