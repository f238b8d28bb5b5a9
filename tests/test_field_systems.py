"""PINN and PIG on systems: one output per field, a loss part per equation and per condition, checked vs references."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from test_systems import CoupledPoisson

from equations import Box, DirichletCondition, Domain, Equation, NeumannCondition, OnPlane
from equations.cavity import LidDrivenCavity
from equations.core import Variable
from equations.errors import SpecMismatchError
from equations.gray_scott import GrayScott
from sciml import LPINN, PIG, PINN, Optimiser

TINY = Optimiser(adam_steps=3, lbfgs_iter=0, compile=False)


def _relative_errors(learner, eq: CoupledPoisson, n: int = 2000) -> list[float]:
    pts = np.random.default_rng(1).random((n, 2))
    exact = eq.exact({"x": pts[:, 0], "y": pts[:, 1]})
    pred = learner.predict(pts)
    assert pred.shape == (n, 2)
    return [float(np.linalg.norm(pred[:, k] - e) / np.linalg.norm(e)) for k, e in enumerate(exact)]


def test_a_pinn_learns_a_coupled_system_field_by_field():
    eq = CoupledPoisson()
    pinn = PINN(hidden=(20, 20), optimiser=Optimiser(adam_steps=300, lbfgs_iter=300, compile=False), seed=0).fit(eq)
    assert set(pinn.history_.parts) == {"residual", "residual_1", "boundary", "boundary_1"}
    errors = _relative_errors(pinn, eq)
    assert max(errors) < 3e-2, errors  # measured 7e-3 and 1.8e-3 at 500 + 500 steps


def test_each_condition_penalises_its_own_fields_column():
    eq = CoupledPoisson()
    objective = PINN(hidden=(8,), optimiser=TINY, seed=0).fit(eq).objective_
    objective.cast(torch.float64)
    assert objective.columns["boundary"] == [0] and objective.columns["boundary_1"] == [1]
    with torch.no_grad():
        _, parts = objective.loss()
    for key, column in (("boundary", 0), ("boundary_1", 1)):
        x = objective.x[key]
        with torch.no_grad():
            predicted = objective.net(x)[:, column]
        target = torch.as_tensor(eq.exact({"x": x[:, 0].numpy(), "y": x[:, 1].numpy()})[column])
        assert float(parts[key]) == pytest.approx(float(((predicted - target) ** 2).mean()), rel=1e-10)
    # the residual parts are the two equations of the tuple
    u = objective.u_jet(objective.x["residual"])
    r0, r1 = eq.residual(objective.coords, u)
    assert float(parts["residual"]) == pytest.approx(float((r0.detach() ** 2).mean()), rel=1e-10)
    assert float(parts["residual_1"]) == pytest.approx(float((r1.detach() ** 2).mean()), rel=1e-10)


def test_loss_weights_and_causal_weights_reach_every_equation():
    eq = GrayScott(t_final=1.0)
    settings = dict(hidden=(8,), optimiser=TINY, collocation=dict(n_residual=64, n_initial=16, n_boundary=8), seed=0)
    pinn = PINN(weights={"residual_1": 0.0, "initial": 2.0}, causal=1.0, causal_slabs=4, **settings).fit(eq)
    obj = pinn.objective_
    obj.cast(torch.float64)
    assert obj.columns["initial"] == [0, 1] and tuple(obj.targets["initial"].shape) == (16, 2)
    with torch.no_grad():
        total, parts = obj.loss()
    assert 0 < float(parts["causal_min_weight"]) <= 1
    expected = parts["residual"] + 2.0 * parts["initial"] + parts["periodic"]
    assert float(total) == pytest.approx(float(expected), rel=1e-12)
    # the initial part compares both fields with their own data
    x0 = obj.x["initial"]
    with torch.no_grad():
        v = obj.net(x0)
    c = {"x": x0[:, 0].numpy()}
    target = np.stack([1 - 2 * eq.bump(c), eq.bump(c)], 1)
    assert float(parts["initial"]) == pytest.approx(float(((v.numpy() - target) ** 2).mean()), rel=1e-10)


@dataclass(frozen=True)
class MixedSystem(Equation):
    """u'' = v, v'' = 0 on [0, 1]^2 slices: u Dirichlet, v Neumann on x = 1 and Dirichlet elsewhere."""

    fields = (Variable("u"), Variable("v"))
    derivatives = ("xx", "yy")

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y"), (0.0, 0.0), (1.0, 1.0), (False, False)))

    def residual(self, c, f):
        return (f["u"]["xx"] + f["u"]["yy"] - f["v"].value, f["v"]["xx"] + f["v"]["yy"])

    def conditions(self):
        return (DirichletCondition(lambda c: 0.0 * c["x"], field="u"),
                NeumannCondition(lambda c: 1.0 + 0.0 * c["x"], where=OnPlane("x", 1.0), field="v"),
                DirichletCondition(lambda c: c["x"], where=lambda c: c["x"] < 1.0 - 1e-9, field="v"))


def test_a_neumann_condition_differentiates_its_own_field():
    eq = MixedSystem()
    obj = PINN(hidden=(8,), optimiser=TINY, seed=0).fit(eq).objective_
    obj.cast(torch.float64)
    with torch.no_grad():
        _, parts = obj.loss()
    x = obj.x["boundary_1"]
    assert torch.allclose(x[:, 0], torch.ones_like(x[:, 0]))
    jets = obj.u_jet(x, plan=obj._grad_plan)
    expected = ((jets["v"]["x"].detach() - 1.0) ** 2).mean()  # the outward normal of x = 1 is +x
    assert float(parts["boundary_1"]) == pytest.approx(float(expected), rel=1e-10)


def test_pig_predicts_every_field_and_saves_and_loads(tmp_path):
    eq = LidDrivenCavity(reynolds=100.0)
    pig = PIG(n_gaussians=16, optimiser=TINY, collocation=dict(n_residual=64, n_boundary=16), seed=0).fit(eq)
    assert {"residual", "residual_1", "residual_2", "boundary", "boundary_1"} <= set(pig.history_.parts)
    points = np.random.default_rng(0).random((7, 2))
    pred = pig.predict(points)
    assert pred.shape == (7, 3) and np.isfinite(pred).all()
    pig.save(tmp_path / "pig")
    np.testing.assert_array_equal(PIG.load(tmp_path / "pig").predict(points), pred)


def test_what_a_system_cannot_have_is_refused_by_name():
    eq = CoupledPoisson()
    with pytest.raises(SpecMismatchError, match="system of 2 fields: hard constraints are for one field"):
        PINN(constraints="hard", optimiser=TINY).fit(eq)
    with pytest.raises(SpecMismatchError, match="the lpinn learner handles specs with one field"):
        LPINN(optimiser=TINY).fit(eq)

    @dataclass(frozen=True)
    class Short(CoupledPoisson):
        def residual(self, c, f):
            return (f["u"]["xx"],)

    with pytest.raises(SpecMismatchError, match="residual"):
        PINN(optimiser=TINY).fit(Short())


def test_a_scalar_spec_still_predicts_a_vector():
    from equations import Poisson2D

    pinn = PINN(hidden=(8,), optimiser=TINY, seed=0).fit(Poisson2D())
    assert pinn.predict(np.full((3, 2), 0.5)).shape == (3,)
    assert math.isfinite(float(pinn.predict(np.full((1, 2), 0.5))[0]))
