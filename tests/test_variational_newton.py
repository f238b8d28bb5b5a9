"""The classical references of variational specs: Newton--multigrid and the H^1 gradient flow on the discrete energy."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import solvers
from equations import create
from equations.core import Coords, DirichletCondition, Domain, Jet, Variable
from equations.errors import ConvergenceError, InvalidParameterError, SpecMismatchError
from equations.geometry import Box
from equations.variational import VariationalEquation, second_derivatives
from equations.variational_problems import LinearElliptic, SemilinearND
from solvers.variational.energy import DiscreteEnergy
from solvers.variational.newton import solve_gradient_flow, solve_newton


def _grid(n: int, d: int = 2) -> dict[str, np.ndarray]:
    return {name: np.linspace(0.0, 1.0, n) for name in "xyz"[:d]}


def _error(spec: Any, axes: dict[str, np.ndarray], values: np.ndarray) -> float:
    mesh = np.meshgrid(*axes.values(), indexing="ij")
    exact = spec.exact(dict(zip(axes, mesh)))
    return float(np.abs(values - exact).max() / np.abs(exact).max())


@pytest.mark.parametrize(
    ("name", "params"),
    [("linear_elliptic", {}), ("minimal_surface", {}), ("p_laplacian", {"p": 1.5}), ("p_laplacian", {"p": 4.0})],
)
def test_newton_converges_at_order_2_to_the_manufactured_solution(name: str, params: dict[str, Any]) -> None:
    spec = create(name, **params)
    errors = [_error(spec, _grid(n), solve_newton(spec, _grid(n)).values) for n in (17, 33, 65)]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    # measured: linear 2.00, 2.00; minimal surface 2.12, 2.02; p = 1.5 2.85, 3.37 (pre-asymptotic); p = 4 1.97, 2.01
    assert errors[-1] < 3e-3 and orders.min() > 1.9, (errors, orders)


def test_the_hessian_of_the_dirichlet_energy_is_the_five_point_laplacian() -> None:
    """For L = |grad u|^2 / 2 the Hessian of E_h on the Kuhn triangulation is h^2 times the 5-point Laplacian."""
    n = 9
    spec = LinearElliptic(c=0.0)
    axes = _grid(n)
    energy = DiscreteEnergy(spec, list(axes.values()))
    hessian = energy.state(np.zeros(n * n)).hessian.toarray()
    centre = (n // 2) * n + n // 2
    row = hessian[centre].reshape(n, n)
    expected = np.zeros((n, n))
    expected[n // 2, n // 2] = 4.0
    for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        expected[n // 2 + di, n // 2 + dj] = -1.0
    np.testing.assert_allclose(row, expected, atol=1e-12)  # h^2 * (1/h^2) * 5-point stencil


def test_newton_is_quadratic_and_the_flow_reaches_the_same_minimiser() -> None:
    spec = create("semilinear_elliptic")
    axes = _grid(33)
    newton = solve_newton(spec, axes)
    flow = solve_gradient_flow(spec, axes, tol=1e-10)
    assert newton.stats["newton_steps"] <= 6  # measured 4 at every size from 17 to 129
    assert flow.stats["steps"] <= 20  # (I - Delta)^-1 preconditions -Delta + 3u^2 uniformly: measured 6 at 65^2
    np.testing.assert_allclose(flow.values, newton.values, atol=1e-8)
    assert flow.stats["energy"] == pytest.approx(newton.stats["energy"], rel=1e-10)


def test_the_reference_is_a_minimiser_of_the_discrete_energy() -> None:
    """Every admissible perturbation (zero on the boundary) raises E_h: Newton did not stop at a saddle."""
    spec = create("p_laplacian", p=3.0)
    axes = _grid(17)
    u = solve_newton(spec, axes).values.reshape(-1)
    energy = DiscreteEnergy(spec, list(axes.values()))
    best = energy.energy(u)
    rng = np.random.default_rng(0)
    interior = np.zeros((17, 17), dtype=bool)
    interior[1:-1, 1:-1] = True
    for scale in (1e-1, 1e-2, 1e-3):
        bump = np.where(interior, rng.standard_normal((17, 17)), 0.0).reshape(-1)
        assert energy.energy(u + scale * bump) > best


def test_newton_solves_three_dimensional_boxes_at_order_2() -> None:
    spec = SemilinearND(d=3, profile="barron")
    errors = [_error(spec, _grid(n, 3), solve_newton(spec, _grid(n, 3)).values) for n in (9, 17)]
    assert errors[1] < 2e-3 and math.log2(errors[0] / errors[1]) == pytest.approx(2.0, abs=0.1)  # measured 1.98


@dataclass(frozen=True)
class Anisotropic(VariationalEquation):
    """A user's own problem: ``L = (1 + u^2) |grad u|^2 / 2 + x u_x^2`` on a 2 x 1 box with data ``g``."""

    field = Variable("u", "1", "solution")
    derivatives = second_derivatives(("x", "y"))
    has_exact = True

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y"), (0.0, 0.0), (2.0, 1.0), (False, False)))

    def lagrangian(self, coords: Coords, u: Any, grad: tuple[Any, ...]) -> Any:
        return 0.5 * (1.0 + u * u) * (grad[0] ** 2 + grad[1] ** 2) + coords["x"] * grad[0] ** 2

    def exact_jet(self, coords: Coords) -> Jet:
        x, y = coords["x"], coords["y"]
        e = np.exp(0.5 * x - y)
        return Jet(e, {"x": 0.5 * e, "y": -e, "xx": 0.25 * e, "xy": -0.5 * e, "yy": e})

    def exact(self, coords: Coords) -> Any:
        return self.exact_jet(coords).value

    def source(self, coords: Coords) -> Any:
        return self.manufactured_source(coords, self.exact_jet(coords))

    def conditions(self) -> tuple:
        return (DirichletCondition(self.exact),)


def test_a_users_own_variational_spec_gets_the_newton_reference_by_default() -> None:
    spec = Anisotropic()
    errors = []
    for n in (17, 33):
        u = solvers.solve(spec, resolution=(2 * n - 1, n))
        assert u.attrs["solver"] == "newton"
        xx, yy = np.meshgrid(u["x"].values, u["y"].values, indexing="ij")
        errors.append(float(np.abs(u.values - spec.exact({"x": xx, "y": yy})).max()))
    assert errors[1] < 1e-3 and math.log2(errors[0] / errors[1]) == pytest.approx(2.0, abs=0.15)


def test_a_lagrangian_that_is_not_convex_in_the_gradient_is_refused_by_name() -> None:
    @dataclass(frozen=True)
    class Saddle(LinearElliptic):
        def lagrangian(self, coords: Coords, u: Any, grad: tuple[Any, ...]) -> Any:
            return 0.5 * (grad[0] ** 2 - grad[1] ** 2)

    for solve in (solve_newton, solve_gradient_flow):
        with pytest.raises(SpecMismatchError, match=r"not convex in grad u .* eigenvalue -1"):
            solve(Saddle(), _grid(9))


def test_a_residual_that_disagrees_with_the_lagrangian_is_refused() -> None:
    @dataclass(frozen=True)
    class Inconsistent(SemilinearND):
        def residual(self, coords: Coords, u: Jet) -> Any:
            return super().residual(coords, u) + u.value  # -Delta u + u^3 - u = f: not this L's equation

    with pytest.raises(SpecMismatchError, match="disagrees with the Euler-Lagrange residual"):
        solve_newton(Inconsistent(d=2), _grid(9))
    solve_newton(SemilinearND(d=2), _grid(9))  # the shipped override agrees


def test_a_stalled_newton_iteration_raises_a_typed_error_saying_how_far_it_got() -> None:
    with pytest.raises(ConvergenceError, match=r"stalled: 1 steps reduced the energy gradient by"):
        solve_newton(create("p_laplacian", p=4.0), _grid(17), max_iterations=1)
    with pytest.raises(ConvergenceError, match="gradient_flow on p_laplacian stalled after 3 steps"):
        solve_gradient_flow(create("p_laplacian", p=4.0), _grid(17), max_iterations=3)


def test_bad_p_laplacians_and_grids_are_refused_by_name() -> None:
    for p in (1.0, 0.5, 11.0, float("nan"), True):
        with pytest.raises(InvalidParameterError, match="p must be a number in"):
            create("p_laplacian", p=p)
    with pytest.raises(InvalidParameterError, match="eps must be a finite number > 0"):
        create("p_laplacian", p=4.0, eps=0.0)
    with pytest.raises(InvalidParameterError, match="uniform grid"):
        solve_newton(create("linear_elliptic"), {"x": np.array([0.0, 0.1, 1.0]), "y": np.linspace(0, 1, 3)})
    with pytest.raises(SpecMismatchError, match="minimises the energy of a VariationalEquation"):
        solve_newton(create("poisson"), _grid(9))


def test_continuation_walks_p_from_two_and_eps_down_to_the_spec() -> None:
    stages = create("p_laplacian", p=4.0, eps=1e-3).continuation()
    assert [s.p for s in stages] == [2.0, 2.5, 3.0, 3.5, 4.0, 4.0, 4.0]
    assert [s.eps for s in stages] == pytest.approx([0.1] * 5 + [1e-2, 1e-3])
    assert stages[-1] == create("p_laplacian", p=4.0, eps=1e-3)


def test_deep_ritz_refuses_a_lagrangian_that_is_not_convex_in_the_gradient() -> None:
    from sciml import DeepRitz, Optimiser

    @dataclass(frozen=True)
    class DoubleWell(LinearElliptic):  # convex near grad u = 0, not for |grad u| > 1/sqrt(3)
        def lagrangian(self, coords: Coords, u: Any, grad: tuple[Any, ...]) -> Any:
            s = grad[0] ** 2 + grad[1] ** 2
            return 0.25 * (s - 1.0) ** 2

    with pytest.raises(SpecMismatchError, match=r"not convex in grad u .* fit a PINN on its residual instead"):
        DeepRitz(optimiser=Optimiser(adam_steps=1, compile=False)).fit(DoubleWell())
    DeepRitz(optimiser=Optimiser(adam_steps=1, compile=False)).fit(create("p_laplacian", p=1.5))  # convex: accepted
