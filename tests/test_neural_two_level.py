"""Neural two-level preconditioner (sciml.accelerators.neural_two_level): robustness, persistence, training, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from equations.errors import InvalidDataError
from sciml.accelerators.learned_multigrid.data import random_system, training_systems
from sciml.accelerators.neural_two_level.learner import (
    NeuralTwoLevel,
    TwoLevelObjective,
    TwoLevelPreconditioner,
    galerkin_step,
)
from sciml.accelerators.neural_two_level.net import VCycleNet
from solvers import cg
from solvers.grid_systems import darcy_grid_system


@pytest.fixture(scope="module")
def hard() -> object:
    return random_system(33, 4242, kind="checker", contrast=1e6, obstacle_count=3)


class NaNNet(VCycleNet):
    """A network gone bad: NaN everywhere."""

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return super().forward(features, mask) * float("nan")


class HugeNet(VCycleNet):
    """Arbitrary (random, badly scaled) weights."""

    def __init__(self) -> None:
        super().__init__(width=4, directions=2, seed=7)
        with torch.no_grad():
            for p in self.parameters():
                p.mul_(30.0)


def _solve(system, net, rtol=1e-8):  # type: ignore[no-untyped-def]
    pre = TwoLevelPreconditioner(system, net)
    b = np.random.default_rng(1).standard_normal(system.size)
    x, info = cg(system.matrix, b, rtol=rtol, M=pre.operator(), flexible=True, maxiter=3000)
    return x, info, b, pre.stats


@pytest.mark.parametrize("net", [VCycleNet(width=4, seed=3), HugeNet(), NaNNet(width=4)], ids=["random", "huge", "nan"])
def test_any_weights_converge_to_1e8_on_high_contrast(hard, net) -> None:  # type: ignore[no-untyped-def]
    x, info, b, stats = _solve(hard, net)
    assert info.converged
    assert np.linalg.norm(b - hard.matrix @ x) <= 2e-8 * np.linalg.norm(b)
    if isinstance(net, NaNNet):  # the safeguard: every correction dropped, smoother-only directions
        assert stats.dropped == stats.applications


def test_smoother_alone_is_symmetric_positive_definite(hard) -> None:  # type: ignore[no-untyped-def]
    pre = TwoLevelPreconditioner(hard, None)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((2, hard.size))
    assert x @ pre(y) == pytest.approx(y @ pre(x), rel=1e-10)
    assert x @ pre(x) > 0


def test_network_correction_never_raises_the_a_norm_error(hard) -> None:  # type: ignore[no-untyped-def]
    e = np.random.default_rng(2).standard_normal(hard.size)
    r = hard.matrix @ e
    for net in (None, VCycleNet(width=4, seed=1), HugeNet()):
        z = TwoLevelPreconditioner(hard, net)(r)
        left = e - z
        assert left @ (hard.matrix @ left) < e @ r


def test_galerkin_step_is_a_safe_pseudo_inverse() -> None:
    rng = np.random.default_rng(0)
    c = rng.standard_normal((20, 3))
    a = np.diag(rng.uniform(1, 2, 20))
    r = rng.standard_normal(20)
    beta, gain = galerkin_step(c.T @ a @ c, c.T @ r)
    np.testing.assert_allclose(beta, np.linalg.solve(c.T @ a @ c, c.T @ r), rtol=1e-8)
    assert gain == pytest.approx(beta @ (c.T @ r))
    G, g = c.T @ a @ c, c.T @ r
    G[1, :] = G[:, 1] = np.nan  # a bad direction is dropped, the others kept
    g[1] = np.nan
    beta, gain = galerkin_step(G, g)
    assert beta[1] == 0.0 and gain > 0 and np.all(np.isfinite(beta))
    assert galerkin_step(np.zeros((2, 2)), np.ones(2)) == (pytest.approx(np.zeros(2)), 0.0)


def test_save_load_gives_the_same_preconditioner(tmp_path: Path, hard) -> None:  # type: ignore[no-untyped-def]
    model = NeuralTwoLevel(width=4, directions=2, steps=2, batch_size=1, probes=2).fit(training_systems(2, 17, 0))
    model.save(tmp_path / "m")
    loaded = NeuralTwoLevel.load(tmp_path / "m")
    r = np.random.default_rng(3).standard_normal(hard.size)
    np.testing.assert_array_equal(model.preconditioner(hard).matvec(r), loaded.preconditioner(hard).matvec(r))
    _, info = loaded.solve(hard, r, rtol=1e-8)
    assert info.converged


def test_short_fit_lowers_the_training_loss() -> None:
    systems = training_systems(4, 17, 5)

    def held_out_loss(net: VCycleNet) -> float:
        obj = TwoLevelObjective(net, systems, 1, 4, 8, np.random.default_rng(123))
        with torch.no_grad():
            return float(sum(obj.item_loss(i) for i in range(len(systems))) / len(systems))

    model = NeuralTwoLevel(width=4, directions=2, steps=40, batch_size=4, probes=4, lr=1e-2, seed=1)
    before = held_out_loss(model._net())
    model.fit(systems)
    assert held_out_loss(model.net_) < before - 0.05
    assert len(model.history_.to_dict()["loss"]) > 0


def test_bad_input_is_refused_clearly(hard) -> None:  # type: ignore[no-untyped-def]
    model = NeuralTwoLevel(width=4, directions=2, steps=1, batch_size=1, probes=1).fit(training_systems(1, 17, 0))
    tiny = darcy_grid_system(np.ones((4, 4)), 1 / 3, 1 / 3)
    with pytest.raises(InvalidDataError, match="too small"):
        model.preconditioner(tiny)
    with pytest.raises(InvalidDataError, match="not a grid system"):
        model.preconditioner(hard.matrix)
    with pytest.raises(InvalidDataError, match="larger than 129"):
        NeuralTwoLevel(steps=1).fit([darcy_grid_system(np.ones((131, 131)), 1 / 130, 1 / 130)])
    with pytest.raises(InvalidDataError, match="at least one"):
        NeuralTwoLevel(steps=1).fit([])
