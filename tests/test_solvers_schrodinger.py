"""The nonlinear Schrodinger reference (``solvers.schrodinger``): exact soliton, order 4 in time, the spec honoured."""

import math
from dataclasses import dataclass

import numpy as np
import pytest

import solvers
from equations.core import Domain, InitialCondition, PeriodicCondition, TimeInterval
from equations.errors import SpecMismatchError
from equations.geometry import Box
from equations.schrodinger import NonlinearSchrodinger


def test_the_fundamental_soliton_is_reproduced_to_round_off():
    ds = solvers.solve_fields(NonlinearSchrodinger(amplitude=1.0, half_width=20.0), (128, 11))
    assert ds.attrs["solver"] == "etdrk4" and list(ds.data_vars) == ["u", "v"]
    x, t = np.meshgrid(ds["x"].values, ds["t"].values, indexing="ij")
    h = np.exp(0.5j * t) / np.cosh(x)
    assert np.abs(ds["u"].values - h.real).max() < 1e-8
    assert np.abs(ds["v"].values - h.imag).max() < 1e-8


def test_fourth_order_in_time_on_the_breather():
    eq = NonlinearSchrodinger(half_width=20.0)
    fine = solvers.solve_fields(eq, (256, 3), max_dt=1e-3)
    errors = [float(np.abs(solvers.solve_fields(eq, (256, 3), max_dt=dt)["u"] - fine["u"]).max())
              for dt in (0.04, 0.02, 0.01)]
    orders = [math.log2(errors[k] / errors[k + 1]) for k in range(2)]
    assert all(3.7 < p < 4.5 for p in orders), (errors, orders)


def test_off_grid_points_are_interpolated_exactly():
    eq = NonlinearSchrodinger()
    on = solvers.solve_fields(eq, (256, 5))
    off = solvers.solve_fields(eq, (101, 5), modes=on["u"].attrs["modes"])
    assert off["u"].attrs["sampling"] == "fourier"
    np.testing.assert_allclose(off["u"].isel(x=0).values, on["u"].isel(x=0).values, atol=1e-10)  # x = -5 in both


def test_a_subclass_with_its_own_initial_value_gets_its_own_solution():
    @dataclass(frozen=True)
    class Shifted(NonlinearSchrodinger):
        def conditions(self):
            return (InitialCondition(lambda c: 1.0 / np.cosh(c["x"] - 1.0), field="u"),
                    InitialCondition(lambda c: 0.0 * c["x"], field="v"), PeriodicCondition("x"))

    ds = solvers.solve_fields(Shifted(half_width=20.0), (160, 3))
    assert ds.attrs["solver"] == "etdrk4"
    x, t = np.meshgrid(ds["x"].values, ds["t"].values, indexing="ij")
    h = np.exp(0.5j * t) / np.cosh(x - 1.0)
    assert np.abs(ds["u"].values - h.real).max() < 1e-7


def test_a_non_periodic_subclass_is_refused_by_the_spectral_solver():
    @dataclass(frozen=True)
    class Walled(NonlinearSchrodinger):
        @property
        def domain(self):
            return Domain(Box(("x",), (-5.0,), (5.0,), (False,)), TimeInterval(0.0, 1.0))

    with pytest.raises(SpecMismatchError, match="periodic"):
        solvers.solve_fields(Walled(), (64, 3), method="etdrk4")
