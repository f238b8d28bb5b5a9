"""Variational specs: the Euler--Lagrange residual derived from the Lagrangian (equations.variational)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch

from equations import Box, DirichletCondition, Domain
from equations.core import Jet
from equations.errors import InvalidParameterError
from equations.namespace import namespace
from equations.variational import VariationalEquation, second_derivatives

NAMES = ("x", "y")


@dataclass(frozen=True)
class Semilinear(VariationalEquation):
    """L = |grad u|^2 / 2 + u^4 / 4: -Laplace(u) + u^3 = f, manufactured u = sin(pi x) sin(pi y)."""

    derivatives = second_derivatives(NAMES)
    has_exact = True
    default_resolution = (33, 33)

    @property
    def domain(self) -> Domain:
        return Domain(Box(NAMES, (0.0, 0.0), (1.0, 1.0), (False, False)))

    def lagrangian(self, coords, u, grad):  # type: ignore[no-untyped-def]
        return 0.5 * (grad[0] ** 2 + grad[1] ** 2) + 0.25 * u**4

    def exact(self, coords):  # type: ignore[no-untyped-def]
        xp = namespace(coords["x"])
        return xp.sin(np.pi * coords["x"]) * xp.sin(np.pi * coords["y"])

    def source(self, coords):  # type: ignore[no-untyped-def]
        u = self.exact(coords)
        return 2 * np.pi**2 * u + u**3

    def conditions(self):  # type: ignore[no-untyped-def]
        return (DirichletCondition(lambda c: 0.0 * c["x"]),)

    def ansatz(self, coords):  # type: ignore[no-untyped-def]
        x, y = coords["x"], coords["y"]
        return 0.0 * x, x * (1 - x) * y * (1 - y)


@dataclass(frozen=True)
class Mixed(Semilinear):
    """Every kind of partial: L = (1 + x y) |p|^p / p + sqrt(1 + |p|^2) + u^2 x / 2 with p = 3."""

    def lagrangian(self, coords, u, grad):  # type: ignore[no-untyped-def]
        xp = namespace(u)
        g2 = grad[0] ** 2 + grad[1] ** 2
        return (1 + coords["x"] * coords["y"]) * g2**1.5 / 3 + xp.sqrt(1 + g2) + 0.5 * u**2 * coords["x"]


def _jet(rng: np.random.Generator, n: int = 50) -> tuple[dict[str, np.ndarray], Jet]:
    coords = {"x": rng.uniform(0, 1, n), "y": rng.uniform(0, 1, n)}
    keys = second_derivatives(NAMES)
    return coords, Jet(rng.standard_normal(n), {k: rng.standard_normal(n) for k in keys})


def _mixed_by_hand(c: dict[str, np.ndarray], u: Jet) -> np.ndarray:
    ux, uy, uxx, uxy, uyy = u["x"], u["y"], u["xx"], u["xy"], u["yy"]
    g2 = ux**2 + uy**2
    a, ax, ay = 1 + c["x"] * c["y"], c["y"], c["x"]
    lap = uxx + uyy
    quad = ux * ux * uxx + 2 * ux * uy * uxy + uy * uy * uyy
    p_lap = a * (np.sqrt(g2) * lap + quad / np.sqrt(g2)) + np.sqrt(g2) * (ax * ux + ay * uy)  # div(a |p| p)
    minimal = ((1 + uy**2) * uxx - 2 * ux * uy * uxy + (1 + ux**2) * uyy) / (1 + g2) ** 1.5
    return p_lap + minimal - u.value * c["x"]


def test_the_derived_residual_is_the_euler_lagrange_equation_by_hand() -> None:
    coords, u = _jet(np.random.default_rng(0))
    semi = Semilinear()
    expected = u["xx"] + u["yy"] - u.value**3 + semi.source(coords)
    np.testing.assert_allclose(semi.residual(coords, u), expected, rtol=1e-12, atol=1e-12)
    mixed = Mixed()
    np.testing.assert_allclose(mixed.residual(coords, u), _mixed_by_hand(coords, u) + mixed.source(coords),
                               rtol=1e-10, atol=1e-10)
    energy = 0.5 * (u["x"] ** 2 + u["y"] ** 2) + 0.25 * u.value**4 - semi.source(coords) * u.value
    np.testing.assert_allclose(semi.energy_density(coords, u), energy, rtol=1e-12)


def test_torch_jets_keep_the_learners_graph() -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)).double()
    xy = torch.rand(40, 2, dtype=torch.float64, requires_grad=True)
    value = net(xy)[:, 0]
    g = torch.autograd.grad(value.sum(), xy, create_graph=True)[0]
    h = [torch.autograd.grad(g[:, i].sum(), xy, create_graph=True)[0] for i in range(2)]
    u = Jet(value, {"x": g[:, 0], "y": g[:, 1], "xx": h[0][:, 0], "xy": h[0][:, 1], "yy": h[1][:, 1]})
    coords = {"x": xy[:, 0], "y": xy[:, 1]}
    res = Mixed().residual(coords, u)
    assert isinstance(res, torch.Tensor) and res.shape == (40,)
    (res**2).mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0
               for p in net.parameters())
    as_numpy = Jet(value.detach().numpy(), {k: u[k].detach().numpy() for k in u.keys()})
    np.testing.assert_allclose(res.detach().numpy(),
                               Mixed().residual({k: v.detach().numpy() for k, v in coords.items()}, as_numpy),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", ["linear_elliptic", "semilinear_elliptic", "minimal_surface"])
def test_the_generic_reference_converges_at_order_2_to_the_manufactured_solution(name: str) -> None:
    import solvers
    from equations import create

    spec = create(name)
    errors = []
    for n in (17, 33):
        u = solvers.solve(spec, method="fd", resolution=(n, n))
        xx, yy = np.meshgrid(u["x"].values, u["y"].values, indexing="ij")
        errors.append(float(np.abs(u.values - spec.exact({"x": xx, "y": yy})).max()))
    assert errors[1] < 2e-3 and np.log2(errors[0] / errors[1]) == pytest.approx(2.0, abs=0.1)  # measured 2.00-2.02


def test_a_manufactured_source_makes_the_exact_jet_a_zero_of_the_residual() -> None:
    from equations import create

    spec = create("semilinear_elliptic", k=2)
    coords, _ = _jet(np.random.default_rng(1))
    exact = spec.exact_jet(coords)
    np.testing.assert_allclose(spec.residual(coords, exact), 0.0, atol=1e-10)
    u = exact.value
    np.testing.assert_allclose(spec.source(coords), 8 * np.pi**2 * u + u**3, rtol=1e-10, atol=1e-10)
    with pytest.raises(InvalidParameterError, match="k must be an integer >= 1"):
        create("semilinear_elliptic", k=0)
    with pytest.raises(InvalidParameterError, match="c must be"):
        create("linear_elliptic", c=-1.0)


def test_a_pinn_trains_on_the_derived_residual_against_the_generic_reference() -> None:
    from sciml import PINN, Optimiser
    from validation import compare

    pinn = PINN(seed=0, hidden=(24, 24), optimiser=Optimiser(adam_steps=200, lbfgs_iter=200, compile=False))
    ds = compare(Semilinear(), learners={"pinn": pinn}, resolution=(17, 17))
    assert float(ds["metrics"].sel(learner="pinn", metric="relative_l2")) < 0.2  # measured 0.10 on 33^2


def test_deep_ritz_minimises_the_energy_to_the_generic_reference() -> None:
    from sciml import DeepRitz, Optimiser
    from validation import compare

    ritz = DeepRitz(seed=0, hidden=(24, 24), optimiser=Optimiser(adam_steps=600, lr=1e-2, compile=False))
    ds = compare(Semilinear(), learners={"deep_ritz": ritz}, resolution=(17, 17))
    assert float(ds["metrics"].sel(learner="deep_ritz", metric="relative_l2")) < 0.1  # measured 0.050 on 33^2
    parts = ritz.history_.parts
    assert set(parts) == {"energy"}  # hard constraints: the spec's ansatz, no penalty
    # the Monte-Carlo energy fell to about the exact minimum E(u*) = -2.577 (a fresh point set every step)
    assert np.mean(parts["energy"][-50:]) == pytest.approx(-2.577, abs=0.15)


def test_deep_ritz_refuses_a_spec_without_an_energy() -> None:
    from equations import create
    from equations.errors import SpecMismatchError
    from sciml import DeepRitz, Optimiser

    with pytest.raises(SpecMismatchError, match="no energy"):
        DeepRitz(optimiser=Optimiser(adam_steps=1, compile=False)).fit(create("burgers"))


def test_the_high_dimensional_residual_agrees_with_the_generic_euler_lagrange_form() -> None:
    from equations import create

    spec = create("semilinear_nd", d=4, profile="product")
    rng = np.random.default_rng(2)
    coords = {a: rng.uniform(0, 1, 30) for a in spec.axes}
    keys = second_derivatives(spec.axes)
    jet = Jet(rng.standard_normal(30), {k: rng.standard_normal(30) for k in keys})
    np.testing.assert_allclose(spec.residual(coords, jet), VariationalEquation.residual(spec, coords, jet),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("profile", ["sum", "product", "barron"])
def test_the_high_dimensional_manufactured_solutions_solve_their_equation(profile: str) -> None:
    from equations import create

    spec = create("semilinear_nd", d=5, profile=profile)
    rng = np.random.default_rng(3)
    x = rng.uniform(0.1, 0.9, (40, 5))
    h = 1e-4

    def u(points: np.ndarray) -> np.ndarray:
        return spec.exact({a: points[:, i] for i, a in enumerate(spec.axes)})

    second = {}
    for i, a in enumerate(spec.axes):
        step = np.zeros(5)
        step[i] = h
        second[a + a] = (u(x + step) - 2 * u(x) + u(x - step)) / h**2
    coords = {a: x[:, i] for i, a in enumerate(spec.axes)}
    r = spec.residual(coords, Jet(u(x), second))
    assert np.abs(r).max() < 1e-5 * np.abs(spec.source(coords)).max() + 1e-5


def test_bad_high_dimensional_specs_are_refused_by_name() -> None:
    from equations import create

    with pytest.raises(InvalidParameterError, match="d must be an integer from 2 to 20"):
        create("semilinear_nd", d=21)
    with pytest.raises(InvalidParameterError, match="profile"):
        create("semilinear_nd", profile="cubic")


def test_deep_ritz_learns_a_ten_dimensional_minimiser_from_first_derivatives() -> None:
    from equations import create
    from sciml import DeepRitz, Optimiser

    spec = create("semilinear_nd", d=10, profile="product")
    ritz = DeepRitz(seed=0, hidden=(32, 32), optimiser=Optimiser(adam_steps=300, compile=False))
    ritz.fit(spec)
    assert ritz.objective_.plan.keys == spec.axes  # first derivatives only: 10, not 55 second ones
    pts = np.random.default_rng(5).uniform(0, 1, (4000, 10))
    exact = spec.exact({a: pts[:, i] for i, a in enumerate(spec.axes)})
    error = np.linalg.norm(ritz.predict(pts).ravel() - exact) / np.linalg.norm(exact)
    assert error < 0.2  # measured 0.082 (4 s)
