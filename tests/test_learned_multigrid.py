"""Operator-dependent and learned prolongation for the Galerkin multigrid (solvers.multigrid, learned_multigrid)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from equations.errors import InvalidDataError, InvalidParameterError
from sciml.accelerators.learned_multigrid.data import random_system, training_systems
from sciml.accelerators.learned_multigrid.learner import LearnedMultigrid, columns, training_levels
from sciml.accelerators.learned_multigrid.two_grid import ritz_loss
from solvers.grid_systems import darcy_grid_system
from solvers.krylov import cg, galerkin_preconditioner
from solvers.multigrid import galerkin_kernels2d as gk
from solvers.multigrid import kernels2d as k2
from solvers.multigrid.core import cycle_operator, make_plan
from solvers.multigrid.galerkin import GalerkinHierarchy
from solvers.multigrid.operator_interpolation import columns_from_weights, operator_dependent

BILINEAR = np.array([0.25, 0.5, 0.25, 0.5, 1.0, 0.5, 0.25, 0.5, 0.25])


def _iterations(system, rule) -> int:  # type: ignore[no-untyped-def]
    h = GalerkinHierarchy(system.stencil, system.unknown, system.solid, system.singular, prolongation=rule)
    inner = np.zeros(h.levels[0].u.shape, dtype=bool)
    inner[1:-1, 1:-1] = system.unknown
    m = cycle_operator(h, make_plan(1, 1, symmetric=True, cycle="V"), None, inner.shape, inner)
    b = np.random.default_rng(0).standard_normal(system.size)
    return cg(system.matrix, b, M=m, rtol=1e-6, maxiter=500)[1].iterations


def test_column_kernels_with_bilinear_columns_are_the_bilinear_transfers() -> None:
    rng = np.random.default_rng(0)
    fine_mask = np.zeros((19, 19), dtype=np.uint8)
    fine_mask[2:-2, 2:-2] = 1
    coarse_mask = np.zeros((10, 10), dtype=np.uint8)
    coarse_mask[1:-1, 1:-1] = 1
    pc = np.broadcast_to(BILINEAR, (10, 10, 9)) * coarse_mask[..., None]
    ec = rng.standard_normal((10, 10)) * coarse_mask
    u1, u2 = np.zeros((19, 19)), np.zeros((19, 19))
    k2.prolong(ec, fine_mask, u1, False, 1)
    gk.prolong_columns(ec, np.ascontiguousarray(pc), fine_mask, u2, False)
    np.testing.assert_allclose(u2, u1, atol=1e-14)
    r = rng.standard_normal((19, 19)) * fine_mask
    f1, f2 = np.zeros((10, 10)), np.zeros((10, 10))
    k2.restrict_full_weighting(r, coarse_mask, f1, 1)
    gk.restrict_columns(r, np.ascontiguousarray(pc), coarse_mask, f2)
    np.testing.assert_allclose(f2, 4 * f1, atol=1e-14)  # R = P^T, full weighting is P^T / 4


def test_operator_dependent_weights_are_bilinear_for_the_laplacian_away_from_walls() -> None:
    system = random_system(17, 0, kind="constant", obstacle_count=0)
    h = GalerkinHierarchy(system.stencil, system.unknown, prolongation=operator_dependent)
    pc = h.levels[0].pc
    assert pc is not None
    np.testing.assert_allclose(pc[3:-3, 3:-3], np.broadcast_to(BILINEAR, pc[3:-3, 3:-3].shape), atol=1e-14)
    # next to a Dirichlet side the coupling to the boundary stays in the diagonal: the weights sum to 1/2
    assert pc[2, 5, 1] == pytest.approx(0.5)


def test_operator_dependent_interpolation_keeps_the_galerkin_cycle_fast_on_a_1e6_checkerboard() -> None:
    system = random_system(65, 1000, kind="checker", contrast=1e6, obstacle_count=0)
    bilinear, operator = _iterations(system, None), _iterations(system, operator_dependent)
    assert operator <= 12 < 30 <= bilinear  # measured 8 vs 43


def test_the_untrained_network_is_operator_dependent_interpolation_and_the_loss_sees_its_weights() -> None:
    lm = LearnedMultigrid(width=4, layers=1, steps=1, lr=1e-12, batch_size=1, probes=2)
    systems = training_systems(2, 17, seed=0)
    lm.fit(systems)
    level = training_levels(systems[:1], torch.device("cpu"))[0]
    pc = columns(lm.net_, level.stencil, level.mask, level.base, level.mask_c, lm.gain)
    np.testing.assert_allclose(pc.detach().numpy(), columns_from_weights(level.base, level.mask_c).numpy(),
                               atol=1e-6)
    # the gradient reaches the network through the dense two-grid cycle
    z = torch.as_tensor(np.random.default_rng(0).standard_normal((level.matrix.shape[0], 6)))
    lm.net_.zero_grad()
    pc = columns(lm.net_, level.stencil, level.mask, level.base, level.mask_c, lm.gain)
    loss, _ = ritz_loss(level, pc, z, iterations=40, top=1)
    loss.backward()
    assert lm.net_.head.weight.grad.abs().sum() > 0
    # the slowest Ritz value is the two-grid cycle's largest error eigenvalue (dense check)
    n = level.matrix.shape[0]
    from sciml.accelerators.learned_multigrid.two_grid import cycle_error

    e = cycle_error(level, pc.detach(), torch.eye(n, dtype=torch.float64))
    largest = float(torch.linalg.eigvals(e).real.max())
    assert 0.0 < largest < 1.0
    assert loss.item() == pytest.approx(-np.log1p(-largest), rel=1e-4)  # a Ritz value: from below


def _ritz_losses(lm: LearnedMultigrid, levels: list) -> np.ndarray:  # type: ignore[type-arg]
    out = []
    for level in levels:
        z = torch.as_tensor(np.random.default_rng(0).standard_normal((level.matrix.shape[0], 8)))
        with torch.no_grad():
            pc = columns(lm.net_, level.stencil, level.mask, level.base, level.mask_c, lm.gain)
            out.append(float(ritz_loss(level, pc, z, iterations=60)[0]))
    return np.array(out)


def test_training_lowers_the_ritz_loss_and_the_preconditioner_is_spd_and_converges(tmp_path: Path) -> None:
    systems = training_systems(6, 17, seed=0)
    levels = training_levels(systems, torch.device("cpu"))
    untrained = LearnedMultigrid(width=8, layers=2, steps=1, lr=1e-12, batch_size=4).fit(systems)
    lm = LearnedMultigrid(width=8, layers=2, steps=40, lr=1e-2, batch_size=4, probes=8, seed=0).fit(systems)
    # the whole training set's converged Ritz loss (the per-step losses are of random batches)
    assert _ritz_losses(lm, levels).mean() < _ritz_losses(untrained, levels).mean()  # measured 0.3811 vs 0.3826
    system = random_system(65, 7, kind="inclusions", contrast=1e4, obstacle_count=6)
    m = lm.preconditioner(system)
    rng = np.random.default_rng(1)
    v, w = rng.standard_normal((2, system.size))
    assert abs(v @ (m @ w) - w @ (m @ v)) <= 1e-10 * np.linalg.norm(v) * np.linalg.norm(m @ w)
    assert v @ (m @ v) > 0
    b = rng.standard_normal(system.size)
    x, info = lm.solve(system, b, rtol=1e-8)
    assert info.converged and np.linalg.norm(system.matrix @ x - b) <= 1e-7 * np.linalg.norm(b)
    assert info.iterations <= 40
    lm.save(tmp_path / "m")
    back = LearnedMultigrid.load(tmp_path / "m")
    np.testing.assert_array_equal(back.preconditioner(system) @ b, m @ b)


def test_bad_input_to_the_learned_multigrid_is_refused_by_name() -> None:
    with pytest.raises(InvalidDataError, match="at most 4096"):
        LearnedMultigrid(steps=1).fit([random_system(129, 0)])
    neumann = darcy_grid_system(np.ones((17, 17)), 1 / 16, 1 / 16, neumann=("x0", "x1", "y0", "y1"))
    with pytest.raises(InvalidDataError, match="singular to round-off"):
        LearnedMultigrid(steps=1).fit([neumann])
    with pytest.raises(InvalidParameterError, match="gain"):
        LearnedMultigrid(gain=2.0, steps=1).fit(training_systems(1, 17))
    lm = LearnedMultigrid(width=4, layers=1, steps=1, probes=2).fit(training_systems(1, 17))
    even = random_system(64, 0, kind="constant", obstacle_count=0)
    with pytest.raises(InvalidDataError, match="2\\^k \\+ 1"):
        lm.preconditioner(even)


def test_galerkin_preconditioner_takes_operator_dependent_interpolation_by_name() -> None:
    system = random_system(65, 1000, kind="checker", contrast=1e6, obstacle_count=0)
    b = np.random.default_rng(0).standard_normal(system.size)
    h = 1.0 / 64
    runs = {kind: cg(system.matrix, b, M=galerkin_preconditioner(system.a, h, h, interpolation=kind), rtol=1e-6)[1]
            for kind in ("bilinear", "operator")}
    assert runs["operator"].converged and runs["operator"].iterations <= 12 < 30 <= runs["bilinear"].iterations
    with pytest.raises(InvalidParameterError, match="interpolation"):
        galerkin_preconditioner(system.a, h, h, interpolation="cubic")


def test_linsys_runs_the_learned_multigrid_on_a_high_contrast_medium(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from validation.cli import main
    from validation.linear_systems import run_linear_system

    system = random_system(65, 1003, kind="checker", contrast=1e6, obstacle_count=0)
    lm = LearnedMultigrid(width=4, layers=1, steps=2, batch_size=2).fit(training_systems(2, 17))
    b = np.random.default_rng(0).standard_normal(system.size)
    ds = run_linear_system(system, b, ["ic0", "multigrid", "multigrid_operator", "neural_pcg"], model=lm)
    it = ds["iterations"].to_series()
    assert (ds["relative_residual"] < 1.1e-6).all()
    assert it["neural_pcg"] <= 1.2 * it["multigrid_operator"] and it["multigrid_operator"] < it["multigrid"] < it["ic0"]
    assert "Darcy" in ds.attrs["system"]
    lm.save(tmp_path / "lmg")
    argv = ["linsys", "--n", "32", "--medium", "checker", "--contrast", "1e6", "--model", str(tmp_path / "lmg"),
            "--out", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "neural PCG" in out and "operator-dependent MG-PCG" in out
    assert (tmp_path / "linsys_checker_1e+06_32.nc").is_file()
    assert main(["linsys", "--n", "32", "--medium", "marble", "--out", str(tmp_path)]) == 2
    assert main(["linsys", "--n", "32", "--medium", "checker", "--contrast", "0.5", "--out", str(tmp_path)]) == 2


def test_grid_preconditioner_refuses_a_grid_that_does_not_coarsen() -> None:
    from solvers import grid_preconditioner

    even = random_system(64, 0, kind="constant", obstacle_count=0)
    with pytest.raises(InvalidDataError, match="no coarse level"):
        grid_preconditioner(even)
    with pytest.raises(InvalidParameterError, match="interpolation"):
        grid_preconditioner(random_system(33, 0), interpolation="cubic")
