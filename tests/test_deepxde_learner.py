"""The DeepXDE learner: the translation of a spec into DeepXDE, checked term by term, and its guards.

Most checks need no training: the residual DeepXDE evaluates and every
condition's error are compared, on DeepXDE's own points, with what the spec
states (on closed-form functions in place of the network). A short fit of a
1D boundary-value problem shows the whole path learns; the others show the
refusals, the determinism, and that torch's and DeepXDE's global state is
left as it was.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

pytest.importorskip("deepxde", reason="the deepxde learner needs DeepXDE (the test extra)")

from equations import (
    Box,
    Burgers,
    Convection,
    DirichletCondition,
    Domain,
    Equation,
    GrayScott,
    InitialCondition,
    InitialVelocityCondition,
    LShapePoisson,
    NeumannCondition,
    OnPlane,
    RobinCondition,
    TimeInterval,
    Variable,
)
from equations.core import Coords, Jet
from equations.errors import InvalidParameterError, SpecMismatchError
from equations.namespace import namespace
from sciml import PINN, create_learner
from sciml.field import deepxde_learner as dx
from sciml.field.deepxde_learner import DeepXDELearner
from validation import compare

ROOT = Path(__file__).resolve().parents[1]
TINY = {"hidden": (8,), "num_domain": 32, "num_boundary": 16, "num_initial": 16, "adam_steps": 2, "lbfgs_iter": 0}


@pytest.fixture(scope="module")
def dde() -> Any:
    return dx.import_deepxde()


def _xt(points: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.asarray(points, dtype=np.float64)).requires_grad_()


# -- specs stated here ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SineBVP(Equation):
    """``u'' + pi^2 sin(pi x) = 0`` on ``[0, 1]``, ``u = 0`` at both ends: ``u = sin(pi x)``."""

    field = Variable("u")
    derivatives = ("xx",)
    has_exact = True
    default_resolution = (65,)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (1.0,), (False,)))

    def residual(self, coords: Coords, u: Jet) -> Any:
        return u["xx"] + math.pi**2 * namespace(coords["x"]).sin(math.pi * coords["x"])

    def conditions(self) -> tuple[Any, ...]:
        return (DirichletCondition(lambda c: 0.0 * c["x"]),)

    def exact(self, coords: Coords) -> Any:
        return np.sin(math.pi * coords["x"])


@dataclass(frozen=True)
class Mixed(Equation):
    """A 2D spec with every kind of boundary condition on its own faces (the README's heat problem, other data)."""

    field = Variable("u")
    derivatives = ("xx", "yy")

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y"), (0.0, 0.0), (1.0, 1.0), (False, False)))

    def residual(self, coords: Coords, u: Jet) -> Any:
        return u["xx"] + u["yy"] + 1.0

    def conditions(self) -> tuple[Any, ...]:
        return (DirichletCondition(lambda c: c["y"] ** 2, where=OnPlane("x", 0.0)),
                DirichletCondition(lambda c: 0.0 * c["x"], where=OnPlane("y", 0.0)),
                NeumannCondition(lambda c: 0.3 * c["x"], where=OnPlane("y", 1.0)),
                RobinCondition(lambda c: 0.5 + c["y"], alpha=2.0, beta=0.5, where=OnPlane("x", 1.0)))


@dataclass(frozen=True)
class HighOrder(Equation):
    """A residual reading derivatives up to third order, mixed in space and time (its value does not matter)."""

    field = Variable("u")
    derivatives = ("x", "t", "xx", "tx", "tt", "xxx", "xxt")

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (1.0,), (False,)), TimeInterval(0.0, 1.0))

    def residual(self, coords: Coords, u: Jet) -> Any:
        return (u.value + 2 * u["x"] + 3 * u["t"] + 5 * u["xx"] + 7 * u["xt"] + 11 * u["tt"] + 13 * u["xxx"]
                + 17 * u["xxt"] + coords["x"] * coords["t"])

    def conditions(self) -> tuple[Any, ...]:
        return (InitialCondition(lambda c: 0.0 * c["x"]),
                InitialVelocityCondition(lambda c: 2.0 * c["x"]),
                DirichletCondition(lambda c: 0.0 * c["x"]))


# -- the translation ----------------------------------------------------------------------------------------
def test_a_bvp_with_a_closed_form_trains_to_a_small_error() -> None:
    learner = DeepXDELearner(hidden=(16, 16), num_domain=32, num_boundary=2, adam_steps=300, lr=1e-2,
                             lbfgs_iter=300, record_every=50, seed=0).fit(SineBVP())
    x = np.linspace(0, 1, 101)
    err = np.linalg.norm(learner.predict(x[:, None]) - np.sin(np.pi * x)) / np.linalg.norm(np.sin(np.pi * x))
    assert err < 1e-3, err  # 2.6e-5 with seed 0
    adam, lbfgs = learner.history_.stages
    assert adam["stage"] == "Adam" and adam["steps"] == 300 and adam["stop"] == "budget"
    assert lbfgs["stage"] == "LBFGS" and 0 < lbfgs["steps"] <= 300  # the L-BFGS budget holds (DeepXDE's chunks)
    assert learner.history_.step[0] == 0 and learner.history_.step[:7] == [0, 50, 100, 150, 200, 250, 300]
    assert set(learner.history_.parts) == {"residual", "boundary"}
    assert learner.history_.loss[-1] < 1e-2 * learner.history_.loss[0]


@pytest.mark.parametrize("cap", [1, 7, 10])
def test_lbfgs_never_passes_its_cap(cap: int) -> None:
    """DeepXDE alone would start another full L-BFGS call after one that ran out of evaluations (19 for 10 here)."""
    learner = DeepXDELearner(**{**TINY, "num_domain": 128, "lbfgs_iter": cap}).fit(LShapePoisson())
    (_, lbfgs) = learner.history_.stages
    assert 0 < lbfgs["steps"] <= cap and lbfgs["stop"] == ("budget" if lbfgs["steps"] == cap else
                                                           dx.LBFGS_EARLY_STOP)


def test_the_burgers_residual_is_the_hand_written_deepxde_one(dde: Any) -> None:
    nu = 0.01 / math.pi
    net = dde.nn.FNN([2, 20, 20, 1], "tanh", "Glorot normal")
    x = torch.as_tensor(np.random.default_rng(0).uniform([-1, 0], [1, 1], (64, 2)), dtype=torch.float32)
    x.requires_grad_()
    y = net(x)
    ours = dx.residual_function(dde, Burgers(nu=nu))(x, y)
    dde.grad.clear()
    dy_x = dde.grad.jacobian(y, x, i=0, j=0)
    dy_t = dde.grad.jacobian(y, x, i=0, j=1)
    dy_xx = dde.grad.hessian(y, x, i=0, j=0)
    hand = dy_t + y * dy_x - nu * dy_xx
    dde.grad.clear()
    assert ours.shape == (64, 1)
    assert torch.equal(ours, hand)


def test_higher_and_mixed_derivatives_match_their_closed_forms(dde: Any) -> None:
    pts = np.random.default_rng(1).uniform(0, 1, (32, 2))
    x = _xt(pts)
    y = (torch.sin(2 * x[:, 0]) * torch.exp(x[:, 1]) + x[:, 0] ** 3 * x[:, 1] ** 2)[:, None]
    got = dx.residual_function(dde, HighOrder())(x, y).detach().numpy()[:, 0]
    dde.grad.clear()
    s, c, e, xs, t = np.sin(2 * pts[:, 0]), np.cos(2 * pts[:, 0]), np.exp(pts[:, 1]), pts[:, 0], pts[:, 1]
    want = (s * e + xs**3 * t**2 + 2 * (2 * c * e + 3 * xs**2 * t**2) + 3 * (s * e + 2 * xs**3 * t)
            + 5 * (-4 * s * e + 6 * xs * t**2) + 7 * (2 * c * e + 6 * xs**2 * t) + 11 * (s * e + 2 * xs**3)
            + 13 * (-8 * c * e + 6 * t**2) + 17 * (-4 * s * e + 12 * xs * t) + xs * t)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-10)


def _hand_typed_burgers(dde: Any, seed: int) -> tuple[Any, dict[str, np.ndarray]]:
    """The Burgers model the benchmarks typed by hand before the learner (DeepXDE's standard example)."""
    dde.config.set_random_seed(seed)
    nu = 0.01 / np.pi

    def pde(x: Any, y: Any) -> Any:
        dy_x = dde.grad.jacobian(y, x, i=0, j=0)
        dy_t = dde.grad.jacobian(y, x, i=0, j=1)
        dy_xx = dde.grad.hessian(y, x, i=0, j=0)
        return dy_t + y * dy_x - nu * dy_xx

    geomtime = dde.geometry.GeometryXTime(dde.geometry.Interval(-1, 1), dde.geometry.TimeDomain(0, 1))
    bc = dde.icbc.DirichletBC(geomtime, lambda x: 0, lambda _, on_boundary: on_boundary)
    ic = dde.icbc.IC(geomtime, lambda x: -np.sin(np.pi * x[:, 0:1]), lambda _, on_initial: on_initial)
    data = dde.data.TimePDE(geomtime, pde, [bc, ic], num_domain=2540, num_boundary=80, num_initial=160)
    n_bc = data.num_bcs[0]
    points = {"residual": data.train_x_all, "boundary": data.train_x_bc[:n_bc], "initial": data.train_x_bc[n_bc:]}
    model = dde.Model(data, dde.nn.FNN([2] + [20] * 3 + [1], "tanh", "Glorot normal"))
    model.compile("adam", lr=1e-3)
    return model, points


def test_the_translated_burgers_is_deepxdes_standard_setup(dde: Any) -> None:
    """Same points, same initial network and the same loss terms as the hand-typed model (only their order differs)."""
    learner = DeepXDELearner(seed=3)
    problem = learner.build_model(Burgers())
    with learner.session(dde):
        hand, points = _hand_typed_burgers(dde, 3)
    assert problem.parts == ["residual", "initial", "boundary"] and problem.loss_weights == [1.0, 1.0, 1.0]
    for key in ("residual", "boundary", "initial"):
        np.testing.assert_array_equal(problem.points[key], points[key])
    ours_state, hand_state = problem.model.net.state_dict(), hand.net.state_dict()
    assert ours_state.keys() == hand_state.keys()
    assert all(torch.equal(ours_state[k], hand_state[k]) for k in ours_state)
    ours = problem.model.outputs_losses_train(problem.model.data.train_x, None, None)[1].detach().numpy()
    theirs = hand.outputs_losses_train(hand.data.train_x, None, None)[1].detach().numpy()
    np.testing.assert_allclose(ours, theirs[[0, 2, 1]], rtol=1e-6)  # the initial value: float64 sin, then rounded


def _errors(dde: Any, learner: DeepXDELearner, problem: dx.DeepXDEProblem,
            f: Any) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each condition's DeepXDE error with ``f`` in place of the network, beside its points, by part.

    Evaluated in the learner's session, as in training (DeepXDE casts the data to its precision).
    """
    data = problem.model.data
    x = data.train_x
    starts = np.cumsum([0, *data.num_bcs])
    out = {}
    with learner.session(dde):
        inputs = _xt(x)
        outputs = f(inputs)
        for name, bc, a, b in zip(problem.parts[1:], data.bcs, starts[:-1], starts[1:]):
            error = bc.error(x, inputs, outputs, int(a), int(b))
            out[name] = (np.asarray(x[a:b], dtype=float), error.detach().double().numpy()[:, 0])
        dde.grad.clear()
    return out


def test_where_masks_dirichlet_neumann_and_robin_state_what_the_conditions_do(dde: Any) -> None:
    learner = DeepXDELearner(**{**TINY, "num_boundary": 240, "dtype": "float64"})
    problem = learner.build_model(Mixed())
    assert problem.parts == ["residual", "boundary", "boundary_1", "boundary_2", "boundary_3"]
    assert problem.loss_weights == [1.0, 1.0, 1.0, 1.0, 0.25]  # Robin: beta^2 makes it (alpha u + beta du/dn - g)^2

    def f(v: torch.Tensor) -> torch.Tensor:  # u = x^2 y + sin(3 y) + x, grad u = (2 x y + 1, x^2 + 3 cos 3y)
        return (v[:, 0] ** 2 * v[:, 1] + torch.sin(3 * v[:, 1]) + v[:, 0])[:, None]

    errors = _errors(dde, learner, problem, f)
    (p0, e0), (p1, e1) = errors["boundary"], errors["boundary_1"]
    u = lambda p: p[:, 0] ** 2 * p[:, 1] + np.sin(3 * p[:, 1]) + p[:, 0]  # noqa: E731
    assert len(p0) > 20 and np.all(p0[:, 0] == 0.0)
    np.testing.assert_allclose(e0, u(p0) - p0[:, 1] ** 2, atol=1e-12)
    assert len(p1) > 20 and np.all(p1[:, 1] == 0.0)
    np.testing.assert_allclose(e1, u(p1), atol=1e-12)
    (pn, en), (pr, er) = errors["boundary_2"], errors["boundary_3"]
    grad = lambda p: np.column_stack([2 * p[:, 0] * p[:, 1] + 1, p[:, 0] ** 2 + 3 * np.cos(3 * p[:, 1])])  # noqa: E731
    normals = Mixed().domain.space.normals  # the toolkit's: at the corner (1, 1) the x face's, as for the PINN
    # the flux conditions leave out the Dirichlet parts (x = 0, y = 0): the Dirichlet data win there
    assert len(pn) > 20 and np.all(pn[:, 1] == 1.0) and np.all(pn[:, 0] > 0)
    np.testing.assert_allclose(en, (grad(pn) * normals(pn)).sum(1) - 0.3 * pn[:, 0], atol=1e-12)
    assert len(pr) > 20 and np.all(pr[:, 0] == 1.0) and np.all(pr[:, 1] > 0)
    dudn = (grad(pr) * normals(pr)).sum(1)
    np.testing.assert_allclose(0.5 * er, 2.0 * u(pr) + 0.5 * dudn - (0.5 + pr[:, 1]), atol=1e-12)


def test_periodic_and_initial_conditions_pair_their_points(dde: Any) -> None:
    learner = DeepXDELearner(**TINY)
    problem = learner.build_model(Convection(beta=1.0))
    assert problem.parts == ["residual", "initial", "periodic"]
    errors = _errors(dde, learner, problem, lambda v: (v[:, 0] + v[:, 1] ** 2)[:, None])
    p, e = errors["periodic"]
    first, image = p[: len(p) // 2], p[len(p) // 2 :]  # boundary points at either end, then their images
    assert len(first) == 16
    np.testing.assert_allclose(np.sort([first[:, 0], image[:, 0]], axis=0), [[0.0] * 16, [2 * np.pi] * 16])
    np.testing.assert_array_equal(first[:, 1], image[:, 1])
    np.testing.assert_allclose(e, first[:, 0] - image[:, 0], rtol=1e-6)  # u(x, t) - u(x +- 2 pi, t)
    p, e = errors["initial"]
    assert len(p) == 16 and np.all(p[:, 1] == 0.0)
    np.testing.assert_allclose(e, p[:, 0] - np.sin(p[:, 0]), atol=1e-6)  # convection's u0 = sin(x)


def test_the_initial_velocity_is_an_operator_condition_on_u_t(dde: Any) -> None:
    learner = DeepXDELearner(**{**TINY, "dtype": "float64"})
    problem = learner.build_model(HighOrder())
    assert problem.parts == ["residual", "initial", "initial_velocity", "boundary"]
    f = lambda v: (torch.sin(v[:, 0]) * v[:, 1] + 3 * v[:, 1] ** 2 + v[:, 0])[:, None]  # noqa: E731
    errors = _errors(dde, learner, problem, f)
    p, e = errors["initial_velocity"]
    assert len(p) == 16 and np.all(p[:, 1] == 0.0)
    np.testing.assert_allclose(e, np.sin(p[:, 0]) - 2.0 * p[:, 0], atol=1e-12)  # u_t(x, 0) - v(x)


# -- refusals -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shifted(SineBVP):
    """A residual that raises on torch tensors."""

    def residual(self, coords: Coords, u: Jet) -> Any:
        return u["xx"] + np.sin(np.asarray(coords["x"]))  # numpy on a tensor that requires grad


@dataclass(frozen=True)
class ReadsMore(SineBVP):
    def residual(self, coords: Coords, u: Jet) -> Any:
        return u["xx"] + u["x"]


@dataclass(frozen=True)
class Wrong(SineBVP):
    derivatives = ("yy",)


@dataclass(frozen=True)
class OddCondition:
    value: Any


@dataclass(frozen=True)
class Odd(SineBVP):
    def conditions(self) -> tuple[Any, ...]:
        return (OddCondition(lambda c: 0.0 * c["x"]),)


class Disk(Box):
    """A box subclass that is not a box (DeepXDE would not know what is inside)."""


@dataclass(frozen=True)
class OnDisk(SineBVP):
    @property
    def domain(self) -> Domain:
        return Domain(Disk(("x",), (0.0,), (1.0,), (False,)))


@dataclass(frozen=True)
class Nowhere(SineBVP):
    def conditions(self) -> tuple[Any, ...]:
        return (NeumannCondition(lambda c: 0.0 * c["x"], where=OnPlane("x", 2.0)),)


@dataclass(frozen=True)
class BadValue(SineBVP):
    def conditions(self) -> tuple[Any, ...]:
        return (DirichletCondition(lambda c: c["z"]),)


@pytest.mark.parametrize(("spec", "error", "words"), [
    (GrayScott(), SpecMismatchError, "one field; gray_scott is a system of 2 fields"),
    (Shifted(), SpecMismatchError, "Shifted: its residual cannot be evaluated on DeepXDE's torch tensors"),
    (ReadsMore(), SpecMismatchError, "ReadsMore: its residual reads a derivative its `derivatives` do not list"),
    (Wrong(), SpecMismatchError, "Wrong: derivative 'yy' is taken along y, which is not a coordinate"),
    (Odd(), SpecMismatchError, "Odd: DeepXDE has no counterpart of the condition OddCondition"),
    (OnDisk(), SpecMismatchError, "OnDisk: DeepXDE has no geometry for a Disk"),
    (Nowhere(), InvalidParameterError, "loss part 'boundary' gets none of DeepXDE's num_boundary=16 points"),
    (BadValue(), InvalidParameterError, "BadValue: the value of DirichletCondition (boundary) failed on 16 of"),
])
def test_what_deepxde_cannot_express_is_refused_by_name(spec: Equation, error: type, words: str) -> None:
    learner = DeepXDELearner(**TINY)
    with pytest.raises(error) as info:
        learner.fit(spec)
    assert words in str(info.value), str(info.value)
    assert "\n" not in str(info.value) and not hasattr(learner, "net_")


def test_bad_settings_and_unknown_loss_weights_are_refused() -> None:
    with pytest.raises(InvalidParameterError, match=r"^deepxde: compile must be False or 'auto'"):
        create_learner("deepxde", compile=True)
    with pytest.raises(InvalidParameterError, match=r"^deepxde: activation must be one of"):
        create_learner("deepxde", activation="relu")
    with pytest.raises(InvalidParameterError, match=r"weights name 'bc', not a loss part of SineBVP \(residual, "):
        DeepXDELearner(**TINY, weights={"bc": 2.0}).fit(SineBVP())
    with pytest.raises(InvalidParameterError, match="fixed points and the toolkit's callbacks are not supported"):
        DeepXDELearner(**TINY).fit(SineBVP(), points={"residual": np.zeros((4, 1))})


def test_another_backend_is_refused_clearly(dde: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dde.backend, "backend_name", "tensorflow")
    with pytest.raises(InvalidParameterError, match="imported with its 'tensorflow' backend; the deepxde learner"):
        dx.import_deepxde()
    monkeypatch.delitem(sys.modules, "deepxde")  # not imported yet, another backend asked for: refused before
    monkeypatch.setenv("DDE_BACKEND", "jax")
    with pytest.raises(InvalidParameterError, match="DDE_BACKEND='jax'; set DDE_BACKEND=pytorch"):
        dx.import_deepxde()


# -- global state, seeds, compare --------------------------------------------------------------------------
def test_fit_leaves_torch_deepxde_and_the_global_generators_as_they_were(dde: Any) -> None:
    before_dtype = torch.get_default_dtype()
    lbfgs = dict(dde.optimizers.config.LBFGS_options)
    torch.set_default_dtype(torch.float64)
    try:
        states = (random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state())  # noqa: NPY002
        learner = DeepXDELearner(**{**TINY, "lbfgs_iter": 3}).fit(SineBVP())
        assert torch.get_default_dtype() == torch.float64 and torch.get_default_device() == torch.device("cpu")
        assert next(learner.net_.parameters()).dtype == torch.float32
        assert random.getstate() == states[0]
        np.testing.assert_array_equal(np.random.get_state()[1], states[1])  # noqa: NPY002
        assert torch.equal(torch.get_rng_state(), states[2])
        assert dde.config.real.precision == 32 and dde.optimizers.config.LBFGS_options == lbfgs
        DeepXDELearner(**{**TINY, "dtype": "float64"}).fit(SineBVP())
        assert dde.config.real.precision == 32 and torch.get_default_dtype() == torch.float64
    finally:
        torch.set_default_dtype(before_dtype)


def test_importing_deepxde_on_a_cuda_machine_keeps_the_default_device() -> None:
    """DeepXDE makes CUDA the default device at import when a GPU is visible; the learner undoes it (simulated)."""
    code = ("import torch\ntorch.cuda.is_available = lambda: True\n"
            "from sciml.field.deepxde_learner import import_deepxde\nimport_deepxde()\n"
            "import json\nprint(json.dumps([str(torch.empty(0).device), str(torch.get_default_dtype())]))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["cpu", "torch.float32"]


def test_one_seed_predicts_identically_and_another_differs() -> None:
    x = np.linspace(0, 1, 11)[:, None]
    settings = {**TINY, "adam_steps": 20, "lbfgs_iter": 5}
    a = DeepXDELearner(**settings, seed=7).fit(SineBVP()).predict(x)
    b = DeepXDELearner(**settings, seed=7).fit(SineBVP()).predict(x)
    c = DeepXDELearner(**settings, seed=8).fit(SineBVP()).predict(x)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_it_works_inside_compare_beside_the_pinn() -> None:
    learners = {"pinn": PINN(hidden=(8,), optimiser={"adam_steps": 20, "lbfgs_iter": 0, "compile": False},
                             collocation={"n_residual": 32, "n_boundary": 2}),
                "deepxde": DeepXDELearner(**{**TINY, "adam_steps": 20})}
    ds = compare(SineBVP(), learners=learners, resolution=(33,))
    assert list(ds["metrics"]["learner"].values) == ["pinn", "deepxde"]
    metrics = ds["metrics"].sel(learner="deepxde")
    assert 0 < float(metrics.sel(metric="relative_l2")) < 10
    assert float(metrics.sel(metric="n_parameters")) == 8 + 8 + 8 + 1
    assert float(metrics.sel(metric="steps_per_s")) > 0
    assert "deepxde_loss" in ds and "deepxde_training" in ds.attrs
