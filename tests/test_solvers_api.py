"""The ``solvers.solve`` facade and the registry."""

import math
from dataclasses import dataclass

import numpy as np
import pytest

from equations import (
    Burgers,
    Convection,
    Domain,
    Equation,
    InvalidParameterError,
    LShapePoisson,
    Poisson2D,
    UnknownNameError,
)
from equations.geometry import Box
from solvers import SolverOutput, available, register, solve


@dataclass(frozen=True)
class _Unsolved(Equation):
    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (1.0,), (False,)))


def test_available_lists_registered_solvers():
    names = available()
    assert {"cole_hopf", "spectral", "fourier", "multigrid"} <= set(names)
    assert available(Burgers)[0] == "cole_hopf"
    assert available(Poisson2D()) == ("multigrid", "exact")  # the closed form of any spec that has one
    assert available(_Unsolved) == ()


def test_exact_method_evaluates_the_closed_form():
    u = solve(Poisson2D(kx=2), (9, 5), method="exact")
    x, y = np.meshgrid(u["x"].values, u["y"].values, indexing="ij")
    np.testing.assert_array_equal(u.values, np.sin(2 * np.pi * x) * np.sin(np.pi * y))
    assert u.attrs["solver"] == "exact"
    with pytest.raises(UnknownNameError, match="available: cole_hopf"):
        solve(Burgers(), (9, 5), method="exact")  # no closed form


def test_dataarray_metadata():
    u = solve(Poisson2D(), (17, 9))
    assert u.dims == ("x", "y") and u.shape == (17, 9) and u.name == "u"
    assert u.attrs["long_name"] == "potential" and u.attrs["units"] == "1"
    assert u.attrs["solver"] == "multigrid" and u.attrs["solve_time_s"] >= 0
    assert {"cycles", "relative_residual", "convergence_factor"} <= set(u.attrs)
    assert u.x.attrs["long_name"] == "x coordinate" and u.x.attrs["units"] == "1"
    np.testing.assert_array_equal(u.y.values, np.linspace(0, 1, 9))
    c = solve(Convection(), (16, 3))
    assert c.t.attrs["standard_name"] == "time"
    np.testing.assert_array_equal(c.x.values, 2 * math.pi * np.arange(16) / 16)
    # attributes are plain numbers and strings (netCDF-ready)
    for value in list(u.attrs.values()) + list(c.attrs.values()):
        assert isinstance(value, (int, float, str)) and not isinstance(value, bool)


def test_unknown_equation_method_and_option():
    with pytest.raises(UnknownNameError, match=r"_Unsolved.*Burgers"):
        solve(_Unsolved(), 8)
    with pytest.raises(UnknownNameError, match="cole_hopf, spectral"):
        solve(Burgers(), (8, 3), method="fem")
    with pytest.raises(InvalidParameterError, match=r"unknown option.*tol"):
        solve(Burgers(), (8, 3), tol=1e-3)
    with pytest.raises(InvalidParameterError):
        solve("burgers", (8, 3))
    with pytest.raises(InvalidParameterError):
        solve(Burgers(), (8,))


def test_register_new_solver_for_a_new_equation():
    @dataclass(frozen=True)
    class Constant(_Unsolved):
        pass

    @register(Constant, "ones")
    def ones(equation, axes):
        return SolverOutput(np.ones(axes["x"].size), {"note": "test"})

    u = solve(Constant(), 5)
    assert u.attrs["solver"] == "ones" and float(u.sum()) == 5.0
    with pytest.raises(InvalidParameterError, match="already registered"):
        register(Constant, "ones")(lambda equation, axes: None)


def test_masked_domain_is_nan_outside():
    u = solve(LShapePoisson(), 9, refine=1)
    assert int(np.isnan(u.values).sum()) == 16
