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
from equations.errors import SpecMismatchError
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
    # the closed form of any spec that has one, then the generic reference every spec gets
    assert available(Poisson2D()) == ("multigrid", "exact", "fd")
    assert available(_Unsolved) == ("fd",)


def test_exact_method_evaluates_the_closed_form():
    u = solve(Poisson2D(kx=2), (9, 5), method="exact")
    x, y = np.meshgrid(u["x"].values, u["y"].values, indexing="ij")
    np.testing.assert_array_equal(u.values, np.sin(2 * np.pi * x) * np.sin(np.pi * y))
    assert u.attrs["solver"] == "exact"
    with pytest.raises(UnknownNameError, match="available: cole_hopf"):
        solve(Burgers(), (9, 5), method="exact")  # no closed form


def test_dataarray_values_and_metadata():
    u = solve(Poisson2D(), (17, 9))
    # the 5-point Laplacian maps sin(pi x) sin(pi y) to lambda_h times itself: the discrete solution is known
    hx, hy = 1 / 16, 1 / 8
    lam_h = 4 / hx**2 * math.sin(math.pi * hx / 2) ** 2 + 4 / hy**2 * math.sin(math.pi * hy / 2) ** 2
    x, y = np.meshgrid(np.linspace(0, 1, 17), np.linspace(0, 1, 9), indexing="ij")
    discrete = 2 * math.pi**2 / lam_h * np.sin(math.pi * x) * np.sin(math.pi * y)
    np.testing.assert_allclose(u.values, discrete, rtol=0, atol=1e-8)
    assert u.sel(x=0.25, y=0.75).item() == pytest.approx(discrete[4, 6], abs=1e-8)
    assert u.sel(x=0.5, y=0.5).item() == pytest.approx(1.0080613685734483, abs=1e-8)  # the closed form there is 1
    assert u.dims == ("x", "y") and u.shape == (17, 9) and u.name == "u"
    assert u.attrs["long_name"] == "potential" and u.attrs["units"] == "1"
    assert u.attrs["solver"] == "multigrid" and u.attrs["solve_time_s"] >= 0
    assert {"cycles", "relative_residual", "convergence_factor"} <= set(u.attrs)
    assert u.x.attrs["long_name"] == "x coordinate" and u.x.attrs["units"] == "1"
    np.testing.assert_array_equal(u.y.values, np.linspace(0, 1, 9))
    c = solve(Convection(), (16, 3))
    eq = Convection()
    xc, tc = np.meshgrid(c.x.values, c.t.values, indexing="ij")
    np.testing.assert_allclose(c.values, np.exp(-eq.nu * tc) * np.sin(xc - eq.beta * tc), rtol=0, atol=1e-12)
    assert c.dims == ("x", "t") and c.t.attrs["standard_name"] == "time"
    np.testing.assert_array_equal(c.x.values, 2 * math.pi * np.arange(16) / 16)
    # attributes are plain numbers and strings (netCDF-ready)
    for value in list(u.attrs.values()) + list(c.attrs.values()):
        assert isinstance(value, (int, float, str)) and not isinstance(value, bool)


def test_unknown_equation_method_and_option():
    # a spec without a specialised solver gets the generic reference, which refuses a spec that states no data
    with pytest.raises(SpecMismatchError, match=r"_Unsolved states no boundary condition"):
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


def test_a_solve_leaves_torchs_thread_count_as_it_was() -> None:
    import torch

    from equations import Burgers
    from solvers import solve

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        solve(Burgers(), (33, 9))  # Cole-Hopf: numba's parallel kernels (OpenMP) reset the shared thread count
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
