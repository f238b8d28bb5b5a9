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
from sciml import PINN, Optimiser
from validation import compare


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
    eq = GrayScott()
    with pytest.raises(SpecMismatchError, match=r"compare handles specs with one field; GrayScott is a system of 2"):
        compare(eq, {"pinn": PINN(optimiser=Optimiser(adam_steps=1, lbfgs_iter=0, compile=False))})
    with pytest.raises(SpecMismatchError, match=r"the pinn learner handles specs with one field"):
        PINN(optimiser=Optimiser(adam_steps=1, lbfgs_iter=0, compile=False)).fit(eq)
    with pytest.raises(SpecMismatchError, match=r"handles specs with one field"):
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
