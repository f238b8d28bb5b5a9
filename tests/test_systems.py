"""Specs with several fields: the spec core, its consistency check, and the places that do not take systems yet."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

import solvers
from equations import Box, DirichletCondition, Domain, Equation, InitialCondition, PeriodicCondition, TimeInterval
from equations.core import Jet, Jets, Variable
from equations.errors import SpecMismatchError
from equations.namespace import namespace
from equations.systems import check_system, condition_field, conditions_of, field_names, is_system
from sciml import LPINN, Optimiser


@dataclass(frozen=True)
class GrayScott(Equation):
    """u_t = Du u_xx - u v^2 + F (1 - u), v_t = Dv v_xx + u v^2 - (F + k) v, periodic on [0, 2 pi]."""

    fields = (Variable("u", "1", "activator"), Variable("v", "1", "inhibitor"))
    derivatives = ("t", "xx")

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (2 * math.pi,), (True,)), TimeInterval(0.0, 1.0))

    def residual(self, coords, f):
        u, v = f["u"], f["v"]
        return (u["t"] - 0.1 * u["xx"] + u.value * v.value**2 - 0.04 * (1 - u.value),
                v["t"] - 0.05 * v["xx"] - u.value * v.value**2 + 0.1 * v.value)

    def conditions(self):
        xp = np
        return (InitialCondition(lambda c: 1.0 - 0.5 * xp.exp(-(c["x"] - 3) ** 2), field="u"),
                InitialCondition(lambda c: 0.25 * xp.exp(-(c["x"] - 3) ** 2), field="v"),
                PeriodicCondition("x"))


def test_a_system_states_its_fields_conditions_and_residual_per_field():
    eq = GrayScott()
    assert field_names(eq) == ("u", "v") and is_system(eq)
    assert [v.long_name for v in eq.unknowns] == ["activator", "inhibitor"]
    check_system(eq)  # consistent
    assert [condition_field(eq, c) for c in eq.conditions()] == ["u", "v", None]
    assert len(conditions_of(eq, "v")) == 2  # its initial condition and the periodic one
    jets = Jets({"u": Jet(np.full(3, 0.5), {"t": np.zeros(3), "xx": np.zeros(3)}),
                 "v": Jet(np.full(3, 0.3), {"t": np.zeros(3), "xx": np.zeros(3)})})
    ru, rv = eq.residual({"x": np.zeros(3), "t": np.zeros(3)}, jets)
    np.testing.assert_allclose(ru, 0.5 * 0.09 - 0.04 * 0.5)  # u v^2 - F (1 - u)
    np.testing.assert_allclose(rv, -0.5 * 0.09 + 0.1 * 0.3)  # -u v^2 + (F + k) v
    with pytest.raises(KeyError, match="field 'w' is not one of the spec's fields"):
        jets["w"]


def test_a_scalar_spec_is_a_system_of_one_field():
    eq = solvers.registry.SOLVERS  # noqa: F841 - the registries import every shipped spec
    from equations import Burgers

    burgers = Burgers()
    assert burgers.unknowns == (Burgers.field,) and not is_system(burgers)
    check_system(burgers)


@pytest.mark.parametrize("broken, message", [
    ("residual", "the residual must return one array per field \\(2\\), got 3"),
    ("unnamed", "its InitialCondition must name its field"),
    ("unknown", "names the field 'w', which is not one of its fields"),
    ("exact", "the exact solution must return one array per field \\(2\\), got not a sequence"),
])
def test_a_broken_system_is_refused_naming_the_problem(broken, message):
    @dataclass(frozen=True)
    class Broken(GrayScott):
        has_exact = broken == "exact"

        def residual(self, coords, f):
            out = super().residual(coords, f)
            return (*out, out[0]) if broken == "residual" else out

        def conditions(self):
            if broken == "unnamed":
                return (InitialCondition(lambda c: 0.0 * c["x"]),)
            if broken == "unknown":
                return (InitialCondition(lambda c: 0.0 * c["x"], field="w"),)
            return super().conditions()

        def exact(self, coords):
            return namespace(coords["x"]).sin(coords["x"])

    with pytest.raises(SpecMismatchError, match=message):
        check_system(Broken())


def test_the_places_that_take_one_field_refuse_a_system_by_name():
    eq = GrayScott()  # compare takes systems (tests/test_compare_systems.py)
    with pytest.raises(SpecMismatchError, match=r"the lpinn learner handles specs with one field"):
        LPINN(optimiser=Optimiser(adam_steps=1, lbfgs_iter=0, compile=False)).fit(eq)
    with pytest.raises(SpecMismatchError, match=r"solvers.solve \(solvers.solve_fields returns one variable per "):
        solvers.solve(eq, (16, 3))


def test_a_scalar_condition_may_name_its_own_field():
    @dataclass(frozen=True)
    class Named(Equation):
        field = Variable("T", "K", "temperature")
        derivatives = ("xx",)

        @property
        def domain(self) -> Domain:
            return Domain(Box(("x",), (0.0,), (1.0,), (False,)))

        def residual(self, coords, u):
            return u["xx"] + 1.0

        def conditions(self):
            return (DirichletCondition(lambda c: 0.0 * c["x"], field="T"),)

    check_system(Named())
    u = solvers.solve(Named(), 17, refine=False)
    np.testing.assert_allclose(u.values, 0.5 * u["x"].values * (1 - u["x"].values), atol=1e-10)


# -- the generic reference solves systems -----------------------------------------------------------
@dataclass(frozen=True)
class CoupledPoisson(Equation):
    """-Laplace u + v = f, -Laplace v - u = g on the unit square, Dirichlet data from the closed form."""

    fields = (Variable("u"), Variable("v"))
    derivatives = ("xx", "yy")
    has_exact = True

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y"), (0.0, 0.0), (1.0, 1.0), (False, False)))

    def exact(self, c):
        xp = namespace(c["x"])
        return (xp.sin(math.pi * c["x"]) * xp.cosh(c["y"]), xp.exp(c["x"] * c["y"]))

    def residual(self, c, f):
        u, v = f["u"], f["v"]
        eu, ev = self.exact(c)
        lap_u = (1 - math.pi**2) * eu
        lap_v = (c["x"] ** 2 + c["y"] ** 2) * ev
        return (-(u["xx"] + u["yy"]) + v.value - (-lap_u + ev), -(v["xx"] + v["yy"]) - u.value - (-lap_v - eu))

    def conditions(self):
        return (DirichletCondition(lambda c: self.exact(c)[0], field="u"),
                DirichletCondition(lambda c: self.exact(c)[1], field="v"))


def test_the_generic_reference_solves_a_coupled_steady_system_at_order_two():
    eq = CoupledPoisson()
    errors = []
    for n in (17, 33):
        ds = solvers.solve_fields(eq, (n, n))
        assert list(ds.data_vars) == ["u", "v"] and ds["u"].attrs["solver"] == "fd"
        mesh = dict(zip(("x", "y"), np.meshgrid(ds["x"].values, ds["y"].values, indexing="ij")))
        eu, ev = eq.exact(mesh)
        errors.append(max(float(np.abs(ds["u"].values - eu).max()), float(np.abs(ds["v"].values - ev).max())))
    assert 1.8 < math.log2(errors[0] / errors[1]) < 2.3, errors
    assert 0.3 * errors[1] < ds["u"].attrs["error_estimate"] < 3 * errors[1]


@dataclass(frozen=True)
class Schrodinger(Equation):
    """i psi_t + psi_xx / 2 + |psi|^2 psi = 0 as psi = u + i v; a plane wave A exp(i (k x - w t)) solves it."""

    fields = (Variable("u", "1", "real part"), Variable("v", "1", "imaginary part"))
    derivatives = ("t", "xx")
    has_exact = True
    amplitude = 0.8
    k = 2.0

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (2 * math.pi,), (True,)), TimeInterval(0.0, 1.0))

    def exact(self, c):
        xp = namespace(c["x"])
        phase = self.k * c["x"] - (self.k**2 / 2 - self.amplitude**2) * c["t"]
        return (self.amplitude * xp.cos(phase), self.amplitude * xp.sin(phase))

    def residual(self, c, f):
        u, v = f["u"], f["v"]
        density = u.value**2 + v.value**2
        return (u["t"] + 0.5 * v["xx"] + density * v.value, v["t"] - 0.5 * u["xx"] - density * u.value)

    def conditions(self):
        return (InitialCondition(lambda c: self.exact(c)[0], field="u"),
                InitialCondition(lambda c: self.exact(c)[1], field="v"), PeriodicCondition("x"))


def test_the_generic_reference_integrates_a_coupled_evolution_system_at_order_two():
    eq = Schrodinger()
    errors = []
    for n in (16, 32):
        ds = solvers.solve_fields(eq, (n, 5), refine=False)
        mesh = dict(zip(("x", "t"), np.meshgrid(ds["x"].values, ds["t"].values, indexing="ij")))
        eu, ev = eq.exact(mesh)
        errors.append(max(float(np.abs(ds["u"].values - eu).max()), float(np.abs(ds["v"].values - ev).max())))
    assert 1.8 < math.log2(errors[0] / errors[1]) < 2.3, errors
    assert ds["v"].attrs["long_name"] == "imaginary part"


def test_gray_scott_keeps_its_fields_positive_and_bounded():
    ds = solvers.solve_fields(GrayScott(), (64, 11))
    assert set(ds.data_vars) == {"u", "v"} and ds["u"].dims == ("x", "t")
    assert 0 < ds["u"].attrs["error_estimate"] < 1e-2 and ds["u"].attrs["estimate_grids"] == "64 > 32 > 16"
    assert float(ds["u"].min()) > 0 and float(ds["v"].min()) >= -1e-9 and float(ds["u"].max()) <= 1 + 1e-9
    np.testing.assert_allclose(ds["v"].isel(t=0).values, 0.25 * np.exp(-(ds["x"].values - 3) ** 2), atol=1e-12)
