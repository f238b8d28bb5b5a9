"""Solvers honour the spec they are given or refuse it: a user's subclass never gets the parent's answer."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pytest

import solvers
from equations import (
    Burgers,
    Darcy,
    DirichletCondition,
    Domain,
    Equation,
    Heat,
    LShapePoisson,
    Poisson2D,
    Poisson3D,
)
from equations.errors import SpecMismatchError
from equations.geometry import Box
from equations.overrides import changed_members
from sciml import PINN, Collocation, Optimiser
from solvers.registry import SolverOutput, mismatch, register
from validation import compare


def _mesh(da):
    return np.meshgrid(*(da[n].values for n in da.dims), indexing="ij")


# -- non-zero Dirichlet data become solver input ----------------------------------------
@dataclass(frozen=True)
class HarmonicLShape(LShapePoisson):
    """No source, boundary data x^2 - y^2: the solution is x^2 - y^2 (5-point FD is exact on quadratics)."""

    f: float = 0.0

    def conditions(self) -> tuple:
        return (DirichletCondition(lambda c: c["x"] ** 2 - c["y"] ** 2),)


def test_lshape_subclass_with_dirichlet_data_gets_its_own_solution():
    u = solvers.solve(HarmonicLShape(), (33, 33), min_points=65)
    x, y = _mesh(u)
    inside = np.isfinite(u.values)
    assert inside.sum() > 500
    assert np.abs(u.values[inside] - (x**2 - y**2)[inside]).max() < 1e-8
    assert np.abs(u.values[inside]).max() > 0.5  # not the parent's zeros


@dataclass(frozen=True)
class LiftedSquare(Poisson2D):
    """Poisson2D's source with boundary data x^2 - y^2: u = sin(pi x) sin(pi y) + x^2 - y^2."""

    def conditions(self) -> tuple:
        return (DirichletCondition(lambda c: c["x"] ** 2 - c["y"] ** 2),)


def _lifted_exact(x, y):
    return np.sin(np.pi * x) * np.sin(np.pi * y) + x**2 - y**2


def test_square_subclass_refuses_the_stale_closed_form_and_multigrid_solves_it_second_order():
    eq = LiftedSquare()
    assert changed_members(LiftedSquare, Poisson2D) == ("conditions",)
    with pytest.raises(SpecMismatchError, match="redefines conditions"):
        solvers.solve(eq, (17, 17), method="exact")  # the inherited exact() is the parent's solution
    errors = []
    for n in (33, 65):
        u = solvers.solve(eq, (n, n))
        assert u.attrs["solver"] == "multigrid"
        x, y = _mesh(u)
        errors.append(np.abs(u.values - _lifted_exact(x, y)).max())
    assert errors[1] < 3e-4
    assert 3.5 < errors[0] / errors[1] < 4.5  # second order, with the boundary data honoured


def test_compare_scores_against_the_subclass_problem_not_the_parent():
    eq = LiftedSquare()
    pinn = PINN(
        hidden=(8,),
        optimiser=Optimiser(adam_steps=1, lbfgs_iter=0, compile=False),
        collocation=Collocation(n_residual=64, n_boundary=16),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the stale ansatz warning is tested below
        ds = compare(eq, {"pinn": pinn}, resolution=(33, 33))
    assert ds.attrs["reference_solver"] == "multigrid"
    x, y = _mesh(ds["reference"])
    assert np.abs(ds["reference"].values - _lifted_exact(x, y)).max() < 2e-3


def test_pinn_does_not_impose_the_parents_ansatz_on_changed_conditions():
    eq = LiftedSquare()
    with pytest.raises(SpecMismatchError, match="inherits the ansatz"):
        PINN(constraints="hard", optimiser=Optimiser(adam_steps=1, lbfgs_iter=0, compile=False)).fit(eq)
    pinn = PINN(
        hidden=(8,),
        optimiser=Optimiser(adam_steps=1, lbfgs_iter=0, compile=False),
        collocation=Collocation(n_residual=64, n_boundary=16),
    )
    with pytest.warns(UserWarning, match="as penalties"):
        pinn.fit(eq)
    assert pinn.hard_constraints_ is False
    assert "boundary" in pinn.history_.parts  # the new data enter the loss


@dataclass(frozen=True)
class PolynomialSource(Poisson2D):
    """-Delta u = 2 (x (1 - x) + y (1 - y)): u = x (1 - x) y (1 - y)."""

    def source(self, coords):
        x, y = coords["x"], coords["y"]
        return 2.0 * (x * (1 - x) + y * (1 - y))


def test_changed_source_is_taken_as_data():
    u = solvers.solve(PolynomialSource(), (33, 33))
    x, y = _mesh(u)
    exact = x * (1 - x) * y * (1 - y)
    # 5-point FD of this quartic: error (h^2 / 12) max|u_xxxx + u_yyyy| / (2 pi^2)-ish, below 1e-5 at h = 1/32
    assert np.abs(u.values - exact).max() < 1e-5


@dataclass(frozen=True)
class ShiftedCube(Poisson3D):
    """Zero source, boundary data x + 2y - 3z (harmonic and linear: the 7-point solution is exact)."""

    def source(self, coords):
        return 0.0 * coords["x"]

    def conditions(self) -> tuple:
        return (DirichletCondition(lambda c: c["x"] + 2 * c["y"] - 3 * c["z"]),)


def test_3d_dirichlet_data_are_honoured():
    u = solvers.solve(ShiftedCube(), (9, 9, 9))
    x, y, z = _mesh(u)
    assert np.abs(u.values - (x + 2 * y - 3 * z)).max() < 1e-8


@dataclass(frozen=True)
class DarcyWithData(Darcy):
    """Constant coefficient 1, no source, data 1 + x: u = 1 + x (exact in flux form)."""

    def coefficient(self, coords):
        return 1.0 + 0.0 * coords["x"]

    def source(self, coords):
        return 0.0 * coords["x"]

    def conditions(self) -> tuple:
        return (DirichletCondition(lambda c: 1.0 + c["x"]),)


def test_darcy_dirichlet_data_and_coefficient_are_honoured():
    u = solvers.solve(DarcyWithData(), (17, 17))
    x, _ = _mesh(u)
    assert np.abs(u.values - (1.0 + x)).max() < 1e-8


@dataclass(frozen=True)
class WiderSquare(Poisson2D):
    """The manufactured problem on [0, 2]^2 instead of [0, 1]^2 (source evaluated there)."""

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y"), (0.0, 0.0), (2.0, 2.0), (False, False)))


def test_changed_box_is_taken_as_data():
    u = solvers.solve(WiderSquare(), (65, 65))
    x, y = _mesh(u)
    assert float(u["x"].max()) == 2.0
    # sin(pi x) sin(pi y) vanishes on the frame of [0, 2]^2 too, so it stays the solution
    assert np.abs(u.values - np.sin(np.pi * x) * np.sin(np.pi * y)).max() < 2e-3


@dataclass(frozen=True)
class PeriodicSquare(Poisson2D):
    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y"), (0.0, 0.0), (1.0, 1.0), (True, False)))


def test_periodic_domain_is_refused_by_the_box_solver():
    with pytest.raises(SpecMismatchError, match="box"):
        solvers.solve(PeriodicSquare(), (17, 17), method="multigrid")


# -- evolution: a changed initial value ---------------------------------------------------
@dataclass(frozen=True)
class HeatMode2(Heat):
    """u(x, 0) = sin(2x): u = exp(-4 nu t) sin(2x)."""

    def initial_value(self, coords):
        return np.sin(2 * coords["x"])


def test_heat_subclass_with_new_initial_value_gets_its_solution():
    eq = HeatMode2()
    assert mismatch(eq, "exact") is not None  # Heat's closed form is for the parent's initial value
    u = solvers.solve(eq, (64, 11))
    assert u.attrs["solver"] == "etdrk4"
    x, t = _mesh(u)
    assert np.abs(u.values - np.exp(-4 * eq.nu * t) * np.sin(2 * x)).max() < 1e-10


@dataclass(frozen=True)
class BurgersParabola(Burgers):
    """u(x, 0) = 1 - x^2: not odd, so neither Cole--Hopf (for -sin(pi x)) nor the periodic solver applies."""

    def initial_value(self, coords):
        return 1.0 - coords["x"] ** 2


def test_burgers_subclass_with_other_initial_value_is_not_solved_as_the_parent_but_by_the_generic_reference():
    eq = BurgersParabola()
    with pytest.raises(SpecMismatchError, match="redefines initial_value"):
        solvers.solve(eq, (64, 11), method="cole_hopf")
    with pytest.raises(SpecMismatchError, match="odd"):
        solvers.solve(eq, (64, 11), method="spectral")
    u = solvers.solve(eq, (65, 11), refine=False)  # the specialised solvers refuse: the generic one takes it
    assert u.attrs["solver"] == "fd"
    x = u["x"].values
    assert np.abs(u.values[:, 0] - (1 - x**2)).max() < 1e-12
    assert np.abs(u.values[[0, -1], :]).max() < 1e-12


@dataclass(frozen=True)
class BurgersOddMode2(Burgers):
    """u(x, 0) = -sin(2 pi x): odd and 2-periodic, so the periodic solver is the Dirichlet one."""

    def initial_value(self, coords):
        return -np.sin(2 * np.pi * coords["x"])


def test_burgers_odd_initial_value_is_solved_by_the_spectral_solver_from_its_data():
    eq = BurgersOddMode2(nu=0.1)
    u = solvers.solve(eq, (65, 6))
    assert u.attrs["solver"] == "spectral"
    x, _ = _mesh(u)
    assert np.abs(u.values[:, 0] + np.sin(2 * np.pi * x[:, 0])).max() < 1e-12
    assert np.abs(u.values[[0, -1], :]).max() < 1e-12  # the Dirichlet data hold at every time


# -- the a-posteriori check catches a solver that ignores data ---------------------------
@dataclass(frozen=True)
class CustomBoundary(Equation):
    """A user's own spec with a (deliberately wrong) user-registered solver."""

    name = ""
    derivatives = ("xx",)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (1.0,), (False,)))

    def residual(self, coords, u):
        return u["xx"]

    def conditions(self) -> tuple:
        return (DirichletCondition(lambda c: 1.0 + 0.0 * c["x"]),)


@register(CustomBoundary, "zeros")
def _zeros(equation, axes):
    return SolverOutput(np.zeros(axes["x"].size))


def test_a_solver_that_ignores_boundary_data_is_caught_after_the_solve():
    with pytest.raises(SpecMismatchError, match=r"boundary \(Dirichlet\) data by up to 1"):
        solvers.solve(CustomBoundary(), 11, method="zeros")
    u = solvers.solve(CustomBoundary(), 11)  # by default the next candidate, the generic reference, solves it
    assert u.attrs["solver"] == "fd" and np.abs(u.values - 1.0).max() < 1e-9


@dataclass(frozen=True)
class UnknownSpec(Equation):
    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (1.0,), (False,)))


def test_a_new_spec_without_data_gets_a_typed_error_from_the_generic_reference():
    with pytest.raises(SpecMismatchError, match="UnknownSpec states no boundary condition"):
        solvers.solve(UnknownSpec(), 11)


def test_shipped_specs_are_accepted_by_their_own_solvers():
    import equations

    for name in equations.available():
        eq = equations.create(name)
        for method in solvers.available(eq):
            assert mismatch(eq, method) is None, (name, method)


def test_compare_uses_the_default_resolution():
    pinn = PINN(
        hidden=(8,),
        optimiser=Optimiser(adam_steps=2, lbfgs_iter=0, compile=False),
        collocation=Collocation(n_residual=32, n_boundary=8, n_initial=8),
    )
    ds = compare(Burgers(nu=0.01 / math.pi), {"pinn": pinn})
    assert ds["reference"].shape == Burgers.default_resolution


def test_a_subclass_does_not_take_over_its_parents_registry_name():
    import equations

    assert type(equations.create("burgers")) is Burgers
    assert type(equations.create("poisson")) is Poisson2D
