"""Time-marching: window equations, the hand-over between windows, save/load, and accuracy."""

import numpy as np
import pytest
import torch

from equations import AllenCahn, Convection, Poisson2D, Wave
from equations.core import InitialCondition, InitialVelocityCondition
from equations.errors import InvalidParameterError, SpecMismatchError
from sciml import PINN
from sciml.field.derivatives import DerivativePlan, autodiff_jet
from sciml.field.time_marching import MarchedSolution, WindowEquation

TINY = {"adam_steps": 60, "lbfgs_iter": 0, "compile": False}


def test_window_equation_keeps_the_physics_and_replaces_the_initial_data():
    eq = AllenCahn()
    window = WindowEquation(eq, 0.25, 0.5, {"initial": lambda c: 7.0 + 0 * c["x"]})
    assert window.domain.bounds == ((-1.0, 1.0), (0.25, 0.5))
    assert window.derivatives == eq.derivatives and "0.25" in window.label
    (initial,) = [c for c in window.conditions() if isinstance(c, InitialCondition)]
    assert np.all(initial.value({"x": np.zeros(3), "t": np.zeros(3)}) == 7.0)
    # the other conditions (periodicity) are the equation's own
    assert len(window.conditions()) == len(eq.conditions())
    assert window.ansatz({"x": np.zeros(1), "t": np.zeros(1)}) is None
    with pytest.raises(SpecMismatchError, match="no time axis"):
        WindowEquation(Poisson2D(), 0.0, 1.0)


def test_each_window_starts_from_the_previous_prediction():
    pinn = PINN(hidden=(16, 16), embedding="periodic", time_windows=3, optimiser=TINY,
                collocation={"n_residual": 128, "n_initial": 64}).fit(AllenCahn())
    solution = pinn.objective_
    assert isinstance(solution, MarchedSolution) and len(solution.windows) == 3
    for before, after in zip(solution.windows[:-1], solution.windows[1:]):
        x0 = after.x["initial"]
        assert torch.allclose(x0[:, 1], torch.full_like(x0[:, 1], after.eq.start))
        # the window's initial target is the previous window's prediction at its start time
        torch.testing.assert_close(after.targets["initial"][:, 0], before.value(x0).detach())
    assert [s["window"] for s in pinn.history_.stages] == [0, 1, 2]
    assert pinn.history_.step == sorted(pinn.history_.step)
    # a point at an edge belongs to the later window; the prediction is each window's own
    x = np.array([[0.2, 0.1], [0.2, 1 / 3], [0.2, 0.9]], dtype=np.float32)
    expected = [solution.windows[k].value(torch.as_tensor(x[i : i + 1])).item() for i, k in enumerate((0, 1, 2))]
    np.testing.assert_allclose(pinn.predict(x), expected, rtol=1e-6)


def test_second_order_equations_hand_over_the_velocity_too():
    pinn = PINN(hidden=(12, 12), time_windows=2, optimiser=TINY,
                collocation={"n_residual": 128, "n_initial": 32, "n_boundary": 32}).fit(Wave())
    first, second = pinn.objective_.windows
    assert any(isinstance(c, InitialVelocityCondition) for c in second.eq.conditions())
    x0 = second.x["initial"].detach()
    plan = DerivativePlan(("x", "t"), ("t",))
    u_t = autodiff_jet(lambda p: first.value(p[None])[0], x0, plan)["t"]
    torch.testing.assert_close(second.targets["initial_velocity"][:, 0], u_t.detach(), rtol=1e-4, atol=1e-5)


def test_marched_model_saves_and_loads(tmp_path):
    pinn = PINN(hidden=(8, 8), embedding="periodic", time_windows=2, optimiser=TINY,
                collocation={"n_residual": 64, "n_initial": 32}).fit(AllenCahn())
    pinn.save(tmp_path / "model")
    back = PINN.load(tmp_path / "model")
    x = np.random.default_rng(0).uniform([-1, 0], [1, 1], (50, 2))
    np.testing.assert_array_equal(back.predict(x), pinn.predict(x))
    assert back.n_parameters_ == pinn.n_parameters_ == 2 * pinn.objective_.windows[0].net.n_parameters


def test_time_windows_refuse_what_they_cannot_honour():
    with pytest.raises(InvalidParameterError, match="penalties"):
        PINN(time_windows=2, constraints="hard", optimiser=TINY).fit(Convection())
    with pytest.raises(SpecMismatchError, match="no time axis"):
        PINN(time_windows=2, optimiser=TINY).fit(Poisson2D())
    with pytest.raises(InvalidParameterError, match="time_windows"):
        PINN(time_windows=0).fit(Convection())


def test_time_marching_learns_against_the_exact_solution():
    eq = Convection(beta=2.0)
    pinn = PINN(hidden=(24, 24), embedding="periodic", time_windows=2, seed=0,
                optimiser={"adam_steps": 400, "lbfgs_iter": 300, "compile": False},
                collocation={"n_residual": 512, "n_initial": 128}).fit(eq)
    x = np.random.default_rng(1).uniform([0, 0], [2 * np.pi, 1], (400, 2))
    exact = eq.exact({"x": x[:, 0], "t": x[:, 1]})
    err = np.linalg.norm(pinn.predict(x) - exact) / np.linalg.norm(exact)
    assert err < 2e-2, err


def test_a_killed_marching_run_resumes_window_by_window(tmp_path):
    settings = dict(hidden=(8, 8), embedding="periodic", time_windows=2, seed=3,
                    optimiser={"adam_steps": 40, "lbfgs_iter": 0, "compile": False},
                    collocation={"n_residual": 64, "n_initial": 32})
    done = PINN(**settings, checkpointing={"checkpoint_dir": str(tmp_path), "checkpoint_every": 10}).fit(AllenCahn())
    assert (tmp_path / "window_0" / "meta.json").exists() and (tmp_path / "window_1" / "meta.json").exists()
    again = PINN(**settings, checkpointing={"checkpoint_dir": str(tmp_path), "resume": True}).fit(AllenCahn())
    # both windows were finished: nothing is retrained, the same solution comes back
    assert sum(s["steps"] for s in again.history_.stages) == 0
    x = np.random.default_rng(2).uniform([-1, 0], [1, 1], (40, 2))
    np.testing.assert_allclose(again.predict(x), done.predict(x), rtol=1e-6, atol=1e-7)
