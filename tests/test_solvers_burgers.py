"""Cole--Hopf quadrature for Burgers: self-convergence and agreement with ETDRK4."""

import math

import numpy as np
import pytest

from equations import Burgers, InvalidDataError, InvalidParameterError
from solvers import burgers_periodic, cole_hopf, solve
from solvers.burgers import quadrature_grid

NU = 0.01 / math.pi
X = np.linspace(-1.0, 1.0, 129)
T = np.linspace(0.0, 1.0, 11)


def test_quadrature_self_convergence():
    u = cole_hopf(X, T, NU)
    step = quadrature_grid(NU, 1.0)[1] - quadrature_grid(NU, 1.0)[0]
    assert np.abs(cole_hopf(X, T, NU, step=step / 2) - u).max() < 1e-13
    # a too coarse step shows the exponential convergence of the trapezoidal rule
    errors = [np.abs(cole_hopf(X, T, NU, step=h) - u).max() for h in (0.5, 0.4, 0.3)]
    assert errors[0] > 1e-5 and errors[1] < errors[0] / 50 and errors[2] < errors[1] / 1000


@pytest.mark.parametrize("nu", [1e-3, 0.1, 2.0])
def test_default_step_resolves_other_viscosities(nu):
    step = quadrature_grid(nu, 1.0)[1] - quadrature_grid(nu, 1.0)[0]
    u = cole_hopf(X, T, nu)
    assert np.all(np.isfinite(u))
    assert np.abs(cole_hopf(X, T, nu, step=step / 2) - u).max() < 1e-12


def test_initial_value_and_boundaries():
    u = cole_hopf(X, T, NU)
    np.testing.assert_array_equal(u[:, 0], -np.sin(np.pi * X))
    assert np.abs(u[[0, -1], :]).max() < 1e-14
    # odd in x, a decaying front at x = 0 (classical value of the PINN benchmark)
    np.testing.assert_allclose(u, -u[::-1], atol=1e-13)
    assert np.abs(u).max() <= 1.0 + 1e-14


def test_agrees_with_spectral_etdrk4():
    n = 4096
    x = -1.0 + 2.0 * np.arange(n) / n
    times = np.array([0.0, 0.25, 0.5, 1.0])
    u = burgers_periodic(-np.sin(np.pi * x), NU, times, max_dt=5e-4)
    sub = slice(None, None, 16)
    ref = cole_hopf(x[sub], times, NU)
    assert np.abs(u[sub] - ref).max() < 1e-8


def test_solve_burgers_dataarray():
    u = solve(Burgers(nu=NU), (65, 6))
    assert u.dims == ("x", "t") and u.shape == (65, 6)
    assert u.attrs["solver"] == "cole_hopf" and u.attrs["quadrature_points"] > 0
    np.testing.assert_allclose(u.sel(t=0.0), -np.sin(np.pi * u.x), atol=1e-15)


def test_bad_input():
    with pytest.raises(InvalidParameterError):
        cole_hopf(X, T, -1.0)
    with pytest.raises(InvalidDataError):
        cole_hopf(X, -T, NU)
    with pytest.raises(InvalidDataError):
        cole_hopf(np.array([np.nan]), T, NU)
    with pytest.raises(InvalidParameterError):
        cole_hopf(X, T, NU, step=0.0)
