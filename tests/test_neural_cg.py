"""Pressure-Poisson family, IC(0), conjugate directions, flexible CG and the DCDM network."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import torch

from equations.errors import InvalidDataError, InvalidParameterError
from equations.pressure_poisson import PressurePoisson, obstacle_mask
from sciml.accelerators.base import Accelerator
from sciml.accelerators.neural_cg.data import ritz_vectors, sample_rhs
from sciml.accelerators.neural_cg.learner import NeuralCG, dcdm_loss
from sciml.accelerators.neural_cg.net import DCDMNet
from sciml.core.base import LEARNERS, create_learner
from sciml.core.history import History
from sciml.core.loading import load_learner
from solvers import cg, conjugate_directions, ic0_factor, ic0_preconditioner, pressure_system


def _system(n: int = 24, boundary: str = "dirichlet", obstacles: str = "circles", seed: int = 1):
    return pressure_system(PressurePoisson(n=n, boundary=boundary, obstacles=obstacles, count=3, seed=seed))


@pytest.mark.parametrize("boundary", ["dirichlet", "neumann"])
def test_matrix_is_spd_or_semidefinite_with_constant_null_space(boundary):
    s = _system(16, boundary)
    a = s.matrix.toarray()
    assert np.allclose(a, a.T)
    w = np.linalg.eigvalsh(a)
    if boundary == "dirichlet":
        assert w[0] > 0
    else:
        assert abs(w[0]) < 1e-8 * w[-1] and w[1] > 1e-6 * w[-1]  # exactly one zero eigenvalue
        assert np.abs(a @ np.ones(s.size)).max() < 1e-9 * w[-1]
        assert abs(s.rhs("divergence", 3).sum()) < 1e-12  # b projected onto the range
    v = np.random.default_rng(0).standard_normal(s.size)
    assert np.allclose(s.operator() @ v, s.matrix @ v)
    assert np.array_equal(s.from_grid(s.to_grid(v)), v)


@pytest.mark.parametrize("kind", ["circles", "boxes", "blobs"])
def test_generators_are_seeded_and_reproducible(kind):
    m1, m2 = obstacle_mask(40, kind, 4, 7), obstacle_mask(40, kind, 4, np.random.default_rng(7))
    assert np.array_equal(m1, m2) and m1.any()
    assert not np.array_equal(m1, obstacle_mask(40, kind, 4, 8))
    s = _system(24, obstacles=kind)
    for rhs in ("smooth", "divergence"):
        assert np.array_equal(s.rhs(rhs, 3), s.rhs(rhs, 3))
        assert not np.array_equal(s.rhs(rhs, 3), s.rhs(rhs, 4))
    _, v1 = ritz_vectors(s.matrix, 30, 0)
    _, v2 = ritz_vectors(s.matrix, 30, 0)
    assert np.array_equal(v1, v2)
    b = sample_rhs(v1, 5, np.random.default_rng(1))
    assert np.allclose(np.linalg.norm(b, axis=0), 1.0)


def test_ritz_values_match_the_low_end_and_drop_the_null_space():
    s = _system(16, "neumann")
    values, vectors = ritz_vectors(s.matrix, 200, 0)
    exact = np.linalg.eigvalsh(s.matrix.toarray())
    assert values[0] == pytest.approx(exact[1], rel=1e-6)  # the zero eigenvalue is dropped
    assert np.abs(vectors.sum(0)).max() < 1e-6 * np.sqrt(s.size)


def test_loss_is_scale_invariant_and_zero_for_the_exact_inverse():
    s = _system(16)
    a = torch.as_tensor(s.matrix.toarray())
    b = torch.as_tensor(np.stack([s.rhs("smooth", i) for i in range(3)], 1))
    f = torch.randn(b.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert float(dcdm_loss(a, b, 3.7 * f)) == pytest.approx(float(dcdm_loss(a, b, f)), rel=1e-12)
    assert float(dcdm_loss(a, b, -0.2 * f)) == pytest.approx(float(dcdm_loss(a, b, f)), rel=1e-12)
    exact = torch.linalg.solve(a, b)
    assert float(dcdm_loss(a, b, 5.0 * exact)) < 1e-20


def test_conjugate_directions_exact_inverse_and_pcg_equivalence():
    s = _system(24)
    b = s.rhs("divergence", 0)
    lu = spla.splu(s.matrix.tocsc())
    x, info = conjugate_directions(s.matrix, b, lu.solve, rtol=1e-10)
    assert info.iterations == 1 and np.linalg.norm(b - s.matrix @ x) < 1e-10
    m = ic0_preconditioner(s.matrix)
    _, ref = cg(s.matrix, b, rtol=1e-8, M=m)
    _, cd = conjugate_directions(s.matrix, b, m, rtol=1e-8, k=2)
    _, fcg = cg(s.matrix, b, rtol=1e-8, M=m, flexible=True)
    assert cd.iterations == ref.iterations == fcg.iterations
    assert np.allclose(cd.residual_history, ref.residual_history, rtol=1e-6)


def test_ic0_is_exact_without_fill_in_and_reports_breakdown():
    n = 7
    a = sp.diags([-np.ones(n - 1), 3.0 + np.arange(n), -np.ones(n - 1)], [-1, 0, 1], format="csr")
    low = ic0_factor(a).toarray()
    assert np.allclose(low, np.linalg.cholesky(a.toarray()), atol=1e-14)
    b = np.arange(1.0, n + 1)
    assert np.allclose(ic0_preconditioner(a) @ b, np.linalg.solve(a.toarray(), b))
    indefinite = sp.csr_matrix(np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(InvalidDataError, match="breakdown at row 1"):
        ic0_factor(indefinite)
    with pytest.raises(InvalidDataError, match="diagonal entry 0"):
        ic0_factor(sp.csr_matrix(np.array([[-1.0, 0.0], [0.0, 1.0]])))
    with pytest.raises(InvalidDataError, match="symmetric"):
        ic0_factor(sp.csr_matrix(np.array([[2.0, 1.0], [0.0, 2.0]])))


def test_bad_input_raises_typed_errors():
    s = _system(16)
    b = s.rhs("smooth", 0)
    bad = b.copy()
    bad[3] = np.nan
    with pytest.raises(InvalidDataError, match="NaN"):
        conjugate_directions(s.matrix, bad, lambda r: r)
    with pytest.raises(InvalidDataError, match="not symmetric positive definite"):
        conjugate_directions(-s.matrix, b, lambda r: r)
    with pytest.raises(InvalidDataError, match="shape"):
        pressure_system(s.spec, solid=np.zeros((5, 5), dtype=bool))
    with pytest.raises(InvalidDataError, match="does not match"):
        s.to_grid(np.zeros(3))
    net = DCDMNet(4, 1, 0, 0)
    with pytest.raises(InvalidDataError, match="mask"):
        net(torch.zeros(1, 17, 17), torch.ones(16, 16))
    with pytest.raises(InvalidParameterError, match="boundary"):
        PressurePoisson(boundary="periodic")
    with pytest.raises(InvalidParameterError, match="not fitted"):
        NeuralCG().solve(s, b)
    with pytest.raises(InvalidDataError, match="at least one training system"):
        NeuralCG().fit([])


@pytest.mark.parametrize("n", [17, 24, 33])
def test_network_applies_to_any_grid_size_and_is_zero_off_the_fluid(n):
    net = DCDMNet(4, 2, 1, 1, seed=3, dtype="float64")
    mask = torch.rand(n, n, generator=torch.Generator().manual_seed(0)) > 0.2
    out = net(torch.randn(2, n, n, dtype=torch.float64), mask)
    assert out.shape == (2, n, n) and out.dtype == torch.float64
    assert torch.all(out[:, ~mask] == 0)
    same = DCDMNet(4, 2, 1, 1, seed=3, dtype="float64")
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), same.parameters()))


def test_trained_net_beats_plain_cg_on_an_unseen_layout_and_round_trips(tmp_path):
    torch.set_num_threads(1)
    train = [_system(32, obstacles="circles", seed=1)]
    model = NeuralCG(channels=8, levels=1, pairs=1, coarse_pairs=1, recursive=True, lanczos_steps=120, batch_size=8,
                     steps=400, lr=3e-3, seed=0).fit(train)
    assert isinstance(model.history_, History) and len(model.history_.loss) == 400
    assert model.history_.loss[-1] < 0.5 * model.history_.loss[0]
    test = _system(32, obstacles="boxes", seed=11)
    b = test.rhs("divergence", 5)
    x, info = model.solve(test, b, rtol=1e-6, maxiter=300)
    _, plain = cg(test.matrix, b, rtol=1e-6)
    assert info.converged and np.linalg.norm(b - test.matrix @ x) < 2e-6
    assert info.iterations < 0.7 * plain.iterations
    _, fcg = cg(test.matrix, b, rtol=1e-6, M=model.preconditioner(test), flexible=True, maxiter=300)
    assert fcg.converged and fcg.iterations < plain.iterations
    model.save(tmp_path / "m")
    again = NeuralCG.load(tmp_path / "m")
    r = np.random.default_rng(0).standard_normal(test.size)
    assert np.array_equal(again.direction(test)(r), model.direction(test)(r))
    assert again.get_params() == model.get_params() and again.history_.loss == model.history_.loss


def test_linear_system_view_and_cli(tmp_path, capsys):
    from validation.cli import main
    from validation.linear_systems import convergence_figure, run_linear_system

    s = _system(32, obstacles="blobs")
    optional = ["pyamg"] if importlib.util.find_spec("pyamg") else []  # the bench extra, not the test one
    ds = run_linear_system(s, s.rhs("smooth", 0), ["cg", "jacobi", "ic0", "multigrid", *optional], rtol=1e-6)
    it = ds["iterations"].to_series()
    assert (ds["relative_residual"] < 1.1e-6).all() and it["multigrid"] < it["ic0"] < it["cg"]
    cg_history = ds["residual_history"].sel(solver="cg").values
    assert np.isfinite(cg_history).sum() == it["cg"] + 1 and cg_history[0] == pytest.approx(1.0)
    convergence_figure(ds)
    with pytest.raises(InvalidParameterError, match="needs a trained model"):
        run_linear_system(s, s.rhs("smooth", 0), ["neural"])
    assert main(["linsys", "--n", "16", "--method", "cg", "--method", "ic0", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "linsys_dirichlet_circles_16.png").is_file()
    assert "IC(0)-PCG" in capsys.readouterr().out
    assert main(["linsys", "--n", "16", "--obstacles", "stars", "--out", str(tmp_path)]) == 2


def _tiny(**options):
    return NeuralCG(channels=4, levels=1, pairs=0, coarse_pairs=1, batch_size=4, lanczos_steps=20, seed=0,
                    **options)


def test_is_a_registered_accelerator_trained_by_the_shared_trainer_in_stages():
    torch.set_num_threads(1)
    assert LEARNERS.get("neural_cg") is NeuralCG and issubclass(NeuralCG, Accelerator)
    assert NeuralCG.kind == "accelerator"
    s = _system(16)
    model = create_learner("neural_cg", channels=4, levels=1, pairs=0, coarse_pairs=1, batch_size=4,
                           lanczos_steps=20, steps=5, finetune_steps=3, lr=1e-3, finetune_lr=1e-4)
    model.fit([s, _system(16, obstacles="boxes")])
    assert model.history_.step == list(range(1, 9))
    assert [(st["stage"], st["steps"], st["stop"]) for st in model.history_.stages] == [("Adam", 5, "budget"),
                                                                                           ("Adam", 3, "budget")]
    assert model.n_parameters_ == model._parameter_count() and model.fit_time_ > 0
    m = model.preconditioner(s)
    r = s.rhs("smooth", 0)
    assert m.shape == (s.size, s.size) and np.array_equal(m @ r, model.direction(s)(r))


def test_an_interrupted_fit_resumes_exactly(tmp_path):
    """The checkpoint holds the batch generator: a resumed run draws the same batches and ends on the same weights."""
    torch.set_num_threads(1)
    systems = [_system(16, seed=1), _system(16, obstacles="boxes", seed=2)]
    whole = _tiny(steps=6, finetune_steps=4).fit(systems)

    class Stop(Exception):
        pass

    class Interrupt:  # a callback that kills the run after step 5 (the checkpoint is at step 3)
        def __getattr__(self, hook):
            return lambda *args: None

        def on_step(self, trainer, loss):
            if trainer.step == 5:
                raise Stop

    ckpt = tmp_path / "ckpt"
    with pytest.raises(Stop):
        _tiny(steps=6, finetune_steps=4, checkpoint_dir=str(ckpt), checkpoint_every=3).fit(systems, [Interrupt()])
    resumed = _tiny(steps=6, finetune_steps=4, checkpoint_dir=str(ckpt), checkpoint_every=3, resume=True).fit(systems)
    assert resumed.history_.loss == whole.history_.loss
    for p, q in zip(resumed.net_.parameters(), whole.net_.parameters()):
        assert torch.equal(p, q)


def test_the_committed_model_loads_in_the_contract_layout():
    import json
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "data" / "neural_cg"
    meta = json.loads((folder / "meta.json").read_text())
    assert {"learner", "kind", "params", "fitted", "fit_time_s", "history", "n_parameters"} <= set(meta)
    assert meta["learner"] == "neural_cg" and meta["kind"] == "accelerator"
    model = load_learner(folder, kind="accelerator")
    assert isinstance(model, NeuralCG) and model.n_parameters_ == meta["n_parameters"]
    assert len(model.history_.loss) == model.steps + model.finetune_steps == 1200
    with pytest.raises(InvalidDataError, match="not of kind 'field'"):
        load_learner(folder, kind="field")


def test_a_linear_system_method_is_one_registration():
    from validation.linear_systems import METHODS, label, method, run_linear_system

    assert {"cg", "jacobi", "ic0", "multigrid", "pyamg", "neural", "neural_fcg"} <= set(METHODS.names())
    s = _system(16)

    @method("test_identity_cd", "identity CD")
    def _identity(system, rtol, maxiter, accelerator):
        return lambda b: conjugate_directions(system.matrix, b, lambda r: r, rtol=rtol, maxiter=maxiter)

    try:
        ds = run_linear_system(s, s.rhs("smooth", 0), ["cg", "test_identity_cd"], rtol=1e-8)
        assert label("test_identity_cd") == "identity CD" and list(ds["label"].values) == ["CG", "identity CD"]
        assert bool(ds["converged"].all())
    finally:
        METHODS._entries.pop("test_identity_cd")
