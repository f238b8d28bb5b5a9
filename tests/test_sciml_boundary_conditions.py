"""Field learners and boundary conditions: Neumann, Robin and partial Dirichlet data are used or refused.

The PINN (and the PIG, which shares its objective) gives every boundary
condition its own point set and loss part (``boundary``, ``boundary_1``...);
learners that cannot impose a condition (the LPINN) refuse it at fit time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch

from equations import (
    Burgers,
    Convection,
    DirichletCondition,
    Equation,
    InitialCondition,
    InvalidParameterError,
    NeumannCondition,
    OnPlane,
    RobinCondition,
)
from equations.core import Domain, TimeInterval
from equations.errors import SpecMismatchError
from equations.geometry import Box
from equations.lagrangian import LagrangianForm
from sciml import PIG, PINN

SLOPE = -2.0  # u = sin(2x) + SLOPE x: the linear part is what a Neumann or Robin condition pins down


def _exact(x):
    return torch.sin(2 * x) + SLOPE * x if isinstance(x, torch.Tensor) else np.sin(2 * x) + SLOPE * x


def _exact_x(x):
    return 2 * torch.cos(2 * x) + SLOPE if isinstance(x, torch.Tensor) else 2 * np.cos(2 * x) + SLOPE


@dataclass(frozen=True)
class Rod(Equation):
    """``-u'' = 4 sin(2x)`` on ``[0, 1]`` with ``u = sin(2x) + SLOPE x``; conditions by ``case``.

    ``"neumann"``: ``u(0) = 0`` and ``u'(1) = g``; ``"dropped"``: ``u(0) = 0`` only
    (the Neumann condition left out); ``"robin"``: ``2 u + 0.5 du/dn = g`` at both
    ends (outward normal: ``du/dn = -u'(0)`` on the left).
    """

    case: str = "neumann"
    hard_ansatz: bool = False

    derivatives = ("xx",)
    has_exact = True

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (1.0,), (False,)))

    def residual(self, coords, u):
        return -u["xx"] - 4 * torch.sin(2 * coords["x"])

    def exact(self, coords):
        return _exact(coords["x"])

    def conditions(self) -> tuple:
        left = DirichletCondition(lambda c: 0.0 * c["x"], where=OnPlane("x", 0.0))
        if self.case == "dropped":
            return (left,)
        if self.case == "robin":
            def robin(c):
                x = c["x"]
                return 2.0 * _exact(x) + 0.5 * (2 * (x > 0.5) - 1) * _exact_x(x)
            return (RobinCondition(robin, alpha=2.0, beta=0.5),)
        return (left, NeumannCondition(lambda c: _exact_x(c["x"]), where=OnPlane("x", 1.0)))

    def ansatz(self, coords):
        # u = 0 + x N meets u(0) = 0 exactly; the Neumann condition stays a loss part
        return (0.0 * coords["x"], coords["x"]) if self.hard_ansatz else None


def _fit(eq: Equation, **kw) -> PINN:
    settings = {"hidden": (16, 16), "n_residual": 64, "n_boundary": 8, "resample_every": 0, "dtype": "float64",
                "lr": 1e-2, "adam_steps": 200, "lbfgs_iter": 100, "seed": 0, **kw}
    return PINN.from_settings(**settings).fit(eq)


def _rel_l2(model: PINN) -> float:
    x = np.linspace(0.0, 1.0, 101)
    exact = _exact(x)
    return float(np.linalg.norm(model.predict(x[:, None]) - exact) / np.linalg.norm(exact))


def test_neumann_condition_is_learned_and_used():
    model = _fit(Rod("neumann"))
    assert list(model.history_.parts) == ["residual", "boundary", "boundary_1"]
    assert _rel_l2(model) < 1e-2
    # without the Neumann condition, u = sin(2x) + c x for any c solves the rest: the answer differs
    dropped = _fit(Rod("dropped"))
    assert list(dropped.history_.parts) == ["residual", "boundary"]
    assert _rel_l2(dropped) > 0.5


def test_robin_condition_on_the_whole_boundary_uses_the_outward_normal():
    model = _fit(Rod("robin"))
    assert list(model.history_.parts) == ["residual", "boundary"]
    obj = model.objective_
    np.testing.assert_array_equal(np.sort(np.unique(obj.points["boundary"])), [0.0, 1.0])
    # with du/dn = +u'(0) on the left (a wrong sign) the data would pin another solution
    assert _rel_l2(model) < 1e-2


def test_hard_constraints_keep_neumann_soft():
    model = _fit(Rod("neumann", hard_ansatz=True))
    assert model.hard_constraints_
    assert list(model.history_.parts) == ["residual", "boundary_1"]  # the Dirichlet part is the ansatz's
    assert abs(model.predict(np.zeros((1, 1)))[0]) < 1e-12
    assert _rel_l2(model) < 1e-2


@dataclass(frozen=True)
class Plate(Equation):
    """Laplace on the unit square: Dirichlet on x = 0, Neumann on y = 0 and y = 1, Robin on x = 1."""

    derivatives = ("xx", "yy")

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y"), (0.0, 0.0), (1.0, 1.0), (False, False)))

    def residual(self, coords, u):
        return u["xx"] + u["yy"]

    def conditions(self) -> tuple:
        return (
            DirichletCondition(lambda c: c["y"], where=OnPlane("x", 0.0)),
            NeumannCondition(lambda c: 1.0 + c["x"], where=lambda c: (c["y"] == 0.0) | (c["y"] == 1.0)),
            RobinCondition(lambda c: c["y"] ** 2, alpha=3.0, beta=0.5, where=OnPlane("x", 1.0)),
        )


def _objective(eq: Equation, learner=PINN, **kw):
    settings = {"hidden": (8, 8), "n_residual": 32, "n_boundary": 12, "n_initial": 6, "resample_every": 0,
                "adam_steps": 0, "lbfgs_iter": 0, "dtype": "float64", "seed": 3, **kw}
    return learner.from_settings(**settings).fit(eq).objective_


def test_point_sets_normals_and_loss_parts_per_condition():
    obj = _objective(Plate())
    assert obj.loss_names() == ["residual", "boundary", "boundary_1", "boundary_2"]
    assert [type(c).__name__ for c in obj.boundary_conditions.values()] == [
        "DirichletCondition", "NeumannCondition", "RobinCondition"]
    p = obj.points
    assert {k: len(v) for k, v in p.items()} == {"residual": 32, "boundary": 12, "boundary_1": 12, "boundary_2": 12}
    np.testing.assert_array_equal(p["boundary"][:, 0], 0.0)
    assert np.isin(p["boundary_1"][:, 1], [0.0, 1.0]).all() and set(p["boundary_1"][:, 1]) == {0.0, 1.0}
    np.testing.assert_array_equal(p["boundary_2"][:, 0], 1.0)
    # the normals of the flux sets (Neumann, then Robin), and each part as written out by hand
    normals = obj.flux_normals.numpy()
    np.testing.assert_array_equal(normals[:12], np.column_stack([np.zeros(12), 2 * p["boundary_1"][:, 1] - 1]))
    np.testing.assert_array_equal(normals[12:], np.tile([1.0, 0.0], (12, 1)))
    _, parts = obj.loss()

    def grad(points):
        x = torch.tensor(points, requires_grad=True)
        u = obj.net(x)[:, 0]
        (g,) = torch.autograd.grad(u.sum(), x)
        return u.detach().numpy(), g.numpy()

    u, g = grad(p["boundary"])
    np.testing.assert_allclose(parts["boundary"].item(), np.mean((u - p["boundary"][:, 1]) ** 2), rtol=1e-12)
    u, g = grad(p["boundary_1"])
    dudn = g[:, 1] * (2 * p["boundary_1"][:, 1] - 1)
    np.testing.assert_allclose(parts["boundary_1"].item(), np.mean((dudn - 1 - p["boundary_1"][:, 0]) ** 2),
                               rtol=1e-12)
    u, g = grad(p["boundary_2"])
    np.testing.assert_allclose(parts["boundary_2"].item(),
                               np.mean((3 * u + 0.5 * g[:, 0] - p["boundary_2"][:, 1] ** 2) ** 2), rtol=1e-12)


def test_balancing_sees_every_boundary_part_and_pig_shares_them():
    model = PINN.from_settings(hidden=(8, 8), n_residual=32, n_boundary=8, resample_every=0, adam_steps=3,
                               lbfgs_iter=0, balancing="gradnorm", balance_every=1).fit(Plate())
    assert {"lambda_boundary", "lambda_boundary_1", "lambda_boundary_2"} <= set(model.history_.parts)
    assert model.history_.parts["lambda_boundary_1"][-1] != 1.0  # updated, not just listed
    pig = _objective(Plate(), PIG, n_gaussians=8)
    assert pig.loss_names() == ["residual", "boundary", "boundary_1", "boundary_2"]


@dataclass(frozen=True)
class Cooling(Equation):
    """``u_t = u_xx`` on ``[0, 1] x [0, 0.5]``: initial value, Dirichlet on the left, Robin on the right."""

    derivatives = ("t", "xx")

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (1.0,), (False,)), TimeInterval(0.0, 0.5))

    def residual(self, coords, u):
        return u["t"] - u["xx"]

    def conditions(self) -> tuple:
        return (InitialCondition(lambda c: torch.sin(c["x"])), DirichletCondition(lambda c: 0.0 * c["x"],
                where=OnPlane("x", 0.0)), RobinCondition(lambda c: 0.0 * c["t"], where=OnPlane("x", 1.0)))


def test_time_dependent_boundary_sets_carry_time():
    obj = _objective(Cooling())
    assert obj.loss_names() == ["residual", "initial", "boundary", "boundary_1"]
    for key, x in (("boundary", 0.0), ("boundary_1", 1.0)):
        pts = obj.points[key]
        np.testing.assert_array_equal(pts[:, 0], x)
        assert 0.0 <= pts[:, 1].min() and pts[:, 1].max() <= 0.5 and len(np.unique(pts[:, 1])) == len(pts)


def test_given_boundary_points_replace_the_sampled_set():
    given = np.column_stack([np.ones(5), np.linspace(0, 1, 5)])
    obj = PINN.from_settings(hidden=(8,), n_residual=16, n_boundary=4, adam_steps=0, lbfgs_iter=0,
                             resample_every=0).fit(Plate(), points={"boundary_2": given}).objective_
    np.testing.assert_array_equal(obj.points["boundary_2"], given)
    assert obj.x_flux.shape[0] == 4 + 5


def test_where_selecting_no_boundary_points_is_refused():
    @dataclass(frozen=True)
    class Nowhere(Plate):
        def conditions(self) -> tuple:
            return (DirichletCondition(lambda c: 0.0 * c["x"], where=OnPlane("x", 0.0)),
                    NeumannCondition(lambda c: 0.0 * c["x"], where=OnPlane("x", 0.5)))

    with pytest.raises(InvalidParameterError, match=r"'boundary_1' \(NeumannCondition where OnPlane.*almost\) no"):
        _objective(Nowhere())

    @dataclass(frozen=True)
    class Covered(Plate):  # a Dirichlet condition on the whole boundary leaves the Robin condition nothing
        def conditions(self) -> tuple:
            return (DirichletCondition(lambda c: 0.0 * c["x"]), RobinCondition(lambda c: 0.0 * c["x"]))

    with pytest.raises(InvalidParameterError, match="Dirichlet condition holds on the rest"):
        _objective(Covered())

    @dataclass(frozen=True)
    class BadMask(Plate):
        def conditions(self) -> tuple:
            return (NeumannCondition(lambda c: 0.0 * c["x"], where=lambda c: np.ones(3, dtype=bool)),)

    with pytest.raises(InvalidParameterError, match="one boolean per boundary point"):
        _objective(BadMask())


@dataclass(frozen=True)
class WallBurgers(Burgers):
    """Burgers with other boundary data (its own lagrangian(), so only the conditions are in question)."""

    case: str = "neumann"

    def lagrangian(self) -> LagrangianForm:
        return super().lagrangian()

    def conditions(self) -> tuple:
        initial = InitialCondition(self.initial_value)
        if self.case == "neumann":
            return (initial, NeumannCondition(lambda c: 0.0 * c["x"]))
        if self.case == "partial":
            return (initial, DirichletCondition(lambda c: 0.0 * c["x"], where=OnPlane("x", 1.0)))
        if self.case == "moving":
            return (initial, DirichletCondition(lambda c: c["t"]))
        return (initial, DirichletCondition(lambda c: 0.0 * c["x"]))


@dataclass(frozen=True)
class WallConvection(Convection):
    """Periodic convection with a Dirichlet condition besides: the periodic LPINN cannot impose it."""

    def lagrangian(self) -> LagrangianForm:
        return super().lagrangian()

    def conditions(self) -> tuple:
        return (*super().conditions(), DirichletCondition(lambda c: 0.0 * c["x"]))


@pytest.mark.parametrize(("case", "match"), [
    ("neumann", r"'lpinn' cannot honour .*'boundary' \(NeumannCondition on the whole boundary\) of WallBurgers"),
    ("partial", r"'lpinn' cannot honour .*DirichletCondition where OnPlane\(axis='x', value=1.0"),
    ("moving", r"'lpinn' cannot honour .*differ from the initial value at the walls"),
])
def test_lpinn_refuses_boundary_conditions_it_cannot_impose(case, match):
    from sciml import LPINN

    with pytest.raises(SpecMismatchError, match=match):
        LPINN(hidden=(4,), n_points=8, optimiser={"adam_steps": 1, "lbfgs_iter": 0}).fit(WallBurgers(case=case))


def test_lpinn_refuses_boundary_data_on_a_periodic_interval():
    from sciml import LPINN

    with pytest.raises(SpecMismatchError, match=r"'lpinn' cannot honour .*WallConvection: the interval is periodic"):
        LPINN(hidden=(4,), n_points=8, optimiser={"adam_steps": 1, "lbfgs_iter": 0}).fit(WallConvection())


def test_lpinn_accepts_dirichlet_data_it_meets():
    from sciml.field.lpinn_objective import lagrangian_form

    for eq in (Burgers(), WallBurgers(case="zero")):
        form, _ = lagrangian_form(eq)
        assert form.diffusion == eq.nu
    lagrangian_form(Convection())  # periodic, no boundary condition



def test_every_periodic_axis_gets_its_pairs_not_only_the_last() -> None:
    from equations import PeriodicCondition
    from sciml.field.sampling import PointCounts, collocation_points

    @dataclass(frozen=True)
    class Torus(Equation):
        derivatives = ("xx", "yy")
        default_resolution = (9, 9)

        @property
        def domain(self) -> Domain:
            return Domain(Box(("x", "y"), (0.0, 0.0), (1.0, 2.0), (True, True)))

        def residual(self, coords, u):
            return u["xx"] + u["yy"]

        def conditions(self) -> tuple:
            return (PeriodicCondition("x"), PeriodicCondition("y"))

    pts = collocation_points(Torus(), PointCounts(residual=8, boundary=10, initial=0), "sobol",
                             np.random.default_rng(0))
    lo, hi = pts["periodic_lo"], pts["periodic_hi"]
    assert lo.shape == hi.shape == (20, 2)
    differ = lo != hi
    assert differ[:, 0].sum() == 10 and differ[:, 1].sum() == 10 and not (differ.all(axis=1)).any()
    np.testing.assert_array_equal(hi[differ[:, 0], 0], 1.0)
    np.testing.assert_array_equal(hi[differ[:, 1], 1], 2.0)
