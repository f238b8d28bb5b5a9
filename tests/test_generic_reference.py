"""The generic reference ``fd``: a spec's own residual solved by finite differences, verified by refinement.

Every spec here is a user's spec (defined in this file, unknown to the
package) with a manufactured solution, so the observed order of convergence
is measured against a closed form, and the Richardson estimate stored in the
output is checked against the true error.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp

import solvers
from equations import (
    Box,
    DirichletCondition,
    Domain,
    Equation,
    InitialCondition,
    InitialVelocityCondition,
    NeumannCondition,
    OnPlane,
    PeriodicCondition,
    Polygon,
    RobinCondition,
    TimeInterval,
    create,
)
from equations.errors import ConditionsWarning, ConvergenceError, InvalidParameterError, SpecMismatchError
from equations.namespace import namespace
from solvers.generic.steady import solve_steady

UNIT_SQUARE = Box(("x", "y"), (0.0, 0.0), (1.0, 1.0), (False, False))


def _mesh(da):
    return dict(zip(da.dims, np.meshgrid(*(da[n].values for n in da.dims), indexing="ij")))


def _errors(eq: Equation, sizes, exact, **options):
    """Max errors against ``exact`` on grids of ``sizes`` (a function of n giving the resolution)."""
    out = []
    for n in sizes:
        u = solvers.solve(eq, sizes[n] if isinstance(sizes, dict) else n, method="fd", **options)
        out.append((float(np.nanmax(np.abs(u.values - exact(_mesh(u))))), u))
    return out


def _order(e_coarse: float, e_fine: float) -> float:
    return math.log2(e_coarse / e_fine)


# -- steady: mixed Dirichlet / Neumann / Robin on a box, nonlinear --------------------------------
def _mixed_exact(c):
    xp = namespace(c["x"])
    return xp.sin(2.0 * c["x"] + 0.5) * xp.cos(c["y"]) + c["y"] ** 2


@dataclass(frozen=True)
class MixedNonlinear(Equation):
    """-Laplace u + u^3 = f, Dirichlet on x = 0 and y = 0, Neumann on x = 1, Robin on y = 1."""

    derivatives = ("xx", "yy")

    @property
    def domain(self) -> Domain:
        return Domain(UNIT_SQUARE)

    def source(self, c):
        xp = namespace(c["x"])
        s, co = xp.sin(2.0 * c["x"] + 0.5), xp.cos(c["y"])
        u = _mixed_exact(c)
        return 5.0 * s * co - 2.0 + u**3

    def residual(self, c, u):
        return -(u["xx"] + u["yy"]) + u.value**3 - self.source(c)

    def conditions(self):
        xp = np
        return (
            DirichletCondition(_mixed_exact, where=OnPlane("x", 0.0)),
            DirichletCondition(_mixed_exact, where=OnPlane("y", 0.0)),
            # du/dn = u_x on x = 1
            NeumannCondition(lambda c: 2.0 * xp.cos(2.0 * c["x"] + 0.5) * xp.cos(c["y"]), where=OnPlane("x", 1.0)),
            # u + 2 du/dn = u + 2 u_y on y = 1
            RobinCondition(lambda c: _mixed_exact(c) + 2.0 * (-xp.sin(2.0 * c["x"] + 0.5) * xp.sin(c["y"])
                                                              + 2 * c["y"]),
                           alpha=1.0, beta=2.0, where=OnPlane("y", 1.0)),
        )


def test_nonlinear_mixed_conditions_converge_at_order_two_and_the_estimate_tracks_the_error():
    (e1, _), (e2, u2) = _errors(MixedNonlinear(), (17, 33), _mixed_exact)
    assert 1.8 < _order(e1, e2) < 2.3, (e1, e2)
    assert u2.attrs["solver"] == "fd" and u2.attrs["newton_iterations"] >= 3  # nonlinear: real Newton steps
    assert 1.8 < u2.attrs["observed_order"] < 2.3
    assert 0.5 * e2 < u2.attrs["error_estimate"] < 2.0 * e2
    assert u2.attrs["newton_residual"] < 1e-6


def test_dropping_the_neumann_condition_is_refused_not_guessed():
    @dataclass(frozen=True)
    class Missing(MixedNonlinear):
        def conditions(self):
            return super().conditions()[:2] + super().conditions()[3:]

    with pytest.raises(SpecMismatchError, match=r"without data .*x=1"):
        solvers.solve(Missing(), 9, method="fd")


def test_large_dirichlet_problems_use_multigrid_preconditioned_newton_steps(monkeypatch):
    @dataclass(frozen=True)
    class AllDirichlet(MixedNonlinear):
        def conditions(self):
            return (DirichletCondition(_mixed_exact),)

    # the path large grids take (40k unknowns and up), here on a small grid
    monkeypatch.setattr("solvers.generic.preconditioning.MIN_UNKNOWNS", 1000)
    u = solvers.solve(AllDirichlet(), (65, 65), method="fd", refine=False)
    assert u.attrs["linear_solver"] == "gmres+multigrid" and u.attrs["newton_iterations"] >= 3
    assert float(np.abs(u.values - _mixed_exact(_mesh(u))).max()) < 3e-5  # order 2 at h = 1/64
    poisson = create("poisson")
    fd, mg = solvers.solve(poisson, (65, 65), method="fd", refine=False), solvers.solve(poisson, (65, 65))
    assert fd.attrs["linear_solver"] == "gmres+multigrid"
    assert float(np.abs(fd.values - mg.values).max()) < 1e-9  # the same 5-point scheme


# -- polygon with non-zero boundary data ----------------------------------------------------------
@dataclass(frozen=True)
class PolygonPoisson(Equation):
    """-Laplace u = f on an L-shaped polygon with u = exp(x) sin(y) + x y on its boundary."""

    derivatives = ("xx", "yy")

    @property
    def domain(self) -> Domain:
        return Domain(Polygon.from_vertices([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)]))

    @staticmethod
    def exact(c):
        xp = namespace(c["x"])
        return xp.exp(c["x"]) * xp.sin(c["y"]) + c["x"] * c["y"] + 0.25 * c["x"] ** 2

    def residual(self, c, u):
        return u["xx"] + u["yy"] - 0.5 + 0.0 * c["x"]

    def conditions(self):
        return (DirichletCondition(self.exact),)


def test_polygon_with_boundary_data_is_second_order_and_nan_outside():
    (e1, _), (e2, u) = _errors(PolygonPoisson(), (17, 33), PolygonPoisson.exact)
    assert _order(e1, e2) > 1.8 and e2 < 3e-4
    c = _mesh(u)
    outside = (c["x"] > 1 + 1e-9) & (c["y"] > 1 + 1e-9)
    assert np.isnan(u.values[outside]).all() and np.isfinite(u.values[~outside]).all()


# -- 3D steady with a Robin face ------------------------------------------------------------------
@dataclass(frozen=True)
class Robin3D(Equation):
    """-Laplace u + u = f on the unit cube, Robin on z = 1, Dirichlet elsewhere; u = cos(x + y) e^z."""

    derivatives = ("xx", "yy", "zz")

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y", "z"), (0.0,) * 3, (1.0,) * 3, (False,) * 3))

    @staticmethod
    def exact(c):
        xp = namespace(c["x"])
        return xp.cos(c["x"] + c["y"]) * xp.exp(c["z"])

    def residual(self, c, u):
        return -(u["xx"] + u["yy"] + u["zz"]) + u.value - 2.0 * self.exact(c)

    def conditions(self):
        return (RobinCondition(lambda c: 3.0 * self.exact(c), alpha=2.0, beta=1.0, where=OnPlane("z", 1.0)),
                DirichletCondition(self.exact))


def test_3d_robin_face_is_second_order():
    (e1, _), (e2, _) = _errors(Robin3D(), (9, 17), Robin3D.exact, refine=False)
    assert 1.8 < _order(e1, e2) < 2.4, (e1, e2)


# -- evolution: a 2D heat equation with a source and a Neumann face --------------------------------
@dataclass(frozen=True)
class HeatWithSource(Equation):
    """u_t = 0.1 Laplace u + f on the unit square, t in [0, 0.5]; u = e^-t cos(pi x) sin(pi y / 2) + x y."""

    derivatives = ("t", "xx", "yy")

    @property
    def domain(self) -> Domain:
        return Domain(UNIT_SQUARE, TimeInterval(0.0, 0.5))

    @staticmethod
    def exact(c):
        xp = namespace(c["x"])
        return xp.exp(-c["t"]) * xp.cos(math.pi * c["x"]) * xp.sin(0.5 * math.pi * c["y"]) + c["x"] * c["y"]

    def residual(self, c, u):
        xp = namespace(c["x"])
        mode = xp.exp(-c["t"]) * xp.cos(math.pi * c["x"]) * xp.sin(0.5 * math.pi * c["y"])
        f = mode * (-1.0 + 0.1 * 1.25 * math.pi**2)
        return u["t"] - 0.1 * (u["xx"] + u["yy"]) - f

    def conditions(self):
        return (InitialCondition(self.exact),
                NeumannCondition(lambda c: c["x"], where=OnPlane("y", 1.0)),  # u_y = x at y = 1
                DirichletCondition(self.exact))


def test_heat_with_source_and_neumann_face_is_second_order_in_space():
    sizes = {9: (9, 9, 6), 17: (17, 17, 6)}
    (e1, _), (e2, u) = _errors(HeatWithSource(), sizes, HeatWithSource.exact)
    assert 1.8 < _order(e1, e2) < 2.3, (e1, e2)
    assert u.attrs["time_integrator"] == "BDF" and 0.3 * e2 < u.attrs["error_estimate"] < 3 * e2


# -- evolution, second order in time, periodic ----------------------------------------------------
@dataclass(frozen=True)
class DampedWave(Equation):
    """u_tt + 0.5 u_t = u_xx - u on a periodic interval; u = e^{-t/4} cos(w t) sin(x)."""

    derivatives = ("tt", "t", "xx")

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (2 * math.pi,), (True,)), TimeInterval(0.0, 2.0))

    @staticmethod
    def exact(c):
        xp = namespace(c["x"])
        w = math.sqrt(2.0 - 1.0 / 16)
        return xp.exp(-c["t"] / 4) * xp.cos(w * c["t"]) * xp.sin(c["x"])

    def residual(self, c, u):
        return u["tt"] + 0.5 * u["t"] - u["xx"] + u.value

    def conditions(self):
        return (InitialCondition(self.exact), InitialVelocityCondition(lambda c: -0.25 * np.sin(c["x"])),
                PeriodicCondition("x"))


def test_second_order_in_time_with_damping_is_second_order_in_space():
    (e1, _), (e2, _) = _errors(DampedWave(), {16: (16, 9), 32: (32, 9)}, DampedWave.exact, refine=False,
                               time_rtol=1e-10, time_atol=1e-12)
    assert 1.8 < _order(e1, e2) < 2.3, (e1, e2)


# -- shipped equations: the generic reference agrees with the specialised solvers ----------------
@pytest.mark.parametrize("name, resolution, tolerance", [
    ("poisson", (33, 33), 1e-9),         # the same 5-point scheme as the multigrid: equal to round-off
    ("heat", (64, 21), 2e-3),            # vs the closed form
    ("reaction_diffusion", (128, 11), 1e-3),  # vs ETDRK4
    ("darcy", (65, 65), 1e-4),           # vs the flux multigrid (relative to max |u| ~ 1e-2)
    ("helmholtz", (65, 65), 2e-2),
])
def test_shipped_equations_agree_with_their_specialised_solver(name, resolution, tolerance):
    eq = create(name)
    fd = solvers.solve(eq, resolution, method="fd", refine=False)
    ref = solvers.solve(eq, resolution, method="exact" if eq.has_exact and name != "poisson" else None)
    assert ref.attrs["solver"] != "fd"
    assert float(np.nanmax(np.abs(fd.values - ref.values))) < tolerance


def test_burgers_front_is_upwinded_not_oscillating():
    eq = create("burgers")
    u = solvers.solve(eq, (129, 11), method="fd", refine=False)
    assert u.attrs["upwinded_nodes"] > 0
    # no overshoot beyond the data's range (central differences oscillate, or blow up, here)
    assert float(np.abs(u.values).max()) <= 1.0 + 1e-6
    ref = solvers.solve(eq, (129, 11))
    assert float(np.sqrt(np.mean((u.values - ref.values) ** 2))) < 0.05


# -- the registry: the fallback every spec gets ---------------------------------------------------
def test_fallback_is_listed_last_and_used_when_nothing_specialised_exists():
    assert solvers.available(create("poisson"))[-1] == "fd"
    assert solvers.available(MixedNonlinear) == ("fd",)
    u = solvers.solve(PolygonPoisson(), 9)
    assert u.attrs["solver"] == "fd" and "error_estimate" in u.attrs
    with pytest.raises(InvalidParameterError, match=r"unknown option.*tol"):
        solvers.solve(PolygonPoisson(), 9, tol=1e-3)
    with pytest.raises(InvalidParameterError, match="rtol"):
        solvers.solve(PolygonPoisson(), 9, method="fd", rtol=-1.0)


# -- bad input: typed errors with the reason --------------------------------------------------------
@dataclass(frozen=True)
class _Spec(Equation):
    derivatives = ("xx",)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (1.0,), (False,)))

    def residual(self, c, u):
        return u["xx"] + 1.0

    def conditions(self):
        return (DirichletCondition(lambda c: 0.0 * c["x"]),)


def test_a_residual_not_written_against_the_jet_is_refused_with_the_reason():
    @dataclass(frozen=True)
    class NotJet(_Spec):
        def residual(self, c, u):
            return u.second_derivative + 1.0

    @dataclass(frozen=True)
    class Unlisted(_Spec):
        def residual(self, c, u):
            return u["xx"] + u["x"]

    @dataclass(frozen=True)
    class Coupled(_Spec):
        def residual(self, c, u):
            return u["xx"] + np.mean(u.value) + 1.0  # couples every point

    with pytest.raises(SpecMismatchError, match="Jet API"):
        solvers.solve(NotJet(), 9, method="fd")
    with pytest.raises(SpecMismatchError, match="does not list in `derivatives`"):
        solvers.solve(Unlisted(), 9, method="fd")
    with pytest.raises(SpecMismatchError, match="not a pointwise function"):
        solvers.solve(Coupled(), 9, method="fd")


def test_inconsistent_conditions_are_refused_or_warned():
    @dataclass(frozen=True)
    class SteadyWithInitial(_Spec):
        def conditions(self):
            return (*super().conditions(), InitialCondition(lambda c: 0.0 * c["x"]))

    @dataclass(frozen=True)
    class PeriodicOnAWall(_Spec):
        def conditions(self):
            return (*super().conditions(), PeriodicCondition("x"))

    @dataclass(frozen=True)
    class NoInitial(_Spec):
        derivatives = ("t", "xx")

        @property
        def domain(self) -> Domain:
            return Domain(Box(("x",), (0.0,), (1.0,), (False,)), TimeInterval(0.0, 1.0))

        def residual(self, c, u):
            return u["t"] - u["xx"]

    @dataclass(frozen=True)
    class Clash(NoInitial):
        def conditions(self):
            return (*super().conditions(), InitialCondition(lambda c: 1.0 + 0.0 * c["x"]))

    with pytest.raises(SpecMismatchError, match="initial condition but has no time interval"):
        solvers.solve(SteadyWithInitial(), 9, method="fd")
    with pytest.raises(SpecMismatchError, match="not periodic along that axis"):
        solvers.solve(PeriodicOnAWall(), 9, method="fd")
    with pytest.raises(SpecMismatchError, match="states no InitialCondition"):
        solvers.solve(NoInitial(), (9, 3), method="fd")
    with pytest.warns(ConditionsWarning, match="initial data differ from the Dirichlet data"):
        solvers.solve(Clash(), (9, 3), method="fd", refine=False)


def test_newton_that_cannot_converge_raises_convergence_error_not_a_hang():
    # u^3 - 2u + 2 = 0: Newton from 0 cycles, and the homotopy from 0 runs into a fold
    with pytest.raises(ConvergenceError, match=r"continuation .* stalled"):
        solve_steady(lambda U: U**3 - 2 * U + 2, lambda U: sp.diags(3 * U**2 - 2).tocsr(), np.zeros(1), name="cubic")

    @dataclass(frozen=True)
    class NoSolution(_Spec):
        def residual(self, c, u):
            return u["xx"] - u.value**2 - 1e3  # u'' = u^2 + 1000 with u = 0 at both ends: no solution
    with pytest.raises(ConvergenceError, match="Newton did not converge on NoSolution"):
        solvers.solve(NoSolution(), 17, method="fd", refine=False)


def test_blow_up_and_a_collapsing_step_raise_convergence_error():
    @dataclass(frozen=True)
    class BlowUp(_Spec):
        derivatives = ("t", "xx")

        @property
        def domain(self) -> Domain:
            return Domain(Box(("x",), (0.0,), (1.0,), (False,)), TimeInterval(0.0, 1.0))

        def residual(self, c, u):
            return u["t"] - 1e-3 * u["xx"] - u.value**2  # u' = u^2 from u = 5: blows up at t = 0.2

        def conditions(self):
            return (InitialCondition(lambda c: 5.0 + 0.0 * c["x"]), NeumannCondition(lambda c: 0.0 * c["x"]))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ConvergenceError, match=r"t = 0\.[12]"):
            solvers.solve(BlowUp(), (9, 5), method="fd", refine=False)
        with pytest.raises(ConvergenceError, match="budget of 50"):
            solvers.solve(BlowUp(), (9, 5), method="fd", refine=False, max_evaluations=50)


def test_a_residual_nonlinear_in_u_t_is_refused():
    @dataclass(frozen=True)
    class SquaredRate(_Spec):
        derivatives = ("t", "xx")

        @property
        def domain(self) -> Domain:
            return Domain(Box(("x",), (0.0,), (1.0,), (False,)), TimeInterval(0.0, 1.0))

        def residual(self, c, u):
            return u["t"] ** 2 - u["xx"]

        def conditions(self):
            return (InitialCondition(lambda c: 0.0 * c["x"]), DirichletCondition(lambda c: 0.0 * c["x"]))

    with pytest.raises(SpecMismatchError, match="not linear in u_t"):
        solvers.solve(SquaredRate(), (9, 3), method="fd")
