"""ETDRK4 coefficients and the periodic spectral Burgers solver."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from equations import Burgers, InvalidDataError, InvalidParameterError
from solvers import ETDRK4, burgers_periodic, solve
from solvers.spectral import integrate


def test_etdrk4_fourth_order_on_stiff_scalar_odes():
    # u' = lam u + cos(u) for a stiff, a mild and a complex lam (full-circle contour)
    lam = np.array([-200.0, -1.0, -0.5 + 3j])
    u0 = np.array([1.0, 1.0, 1.0 + 0j])
    exact = np.array(
        [
            solve_ivp(lambda t, u, a=a: a * u + np.cos(u), (0, 1), [u0[i]], rtol=1e-13, atol=1e-14).y[0, -1]
            for i, a in enumerate(lam)
        ]
    )
    errors = []
    for steps in (20, 40):
        v = integrate(u0, [0.0, 1.0], lam, np.cos, 1.0 / steps)[-1]
        errors.append(np.abs(v - exact).max())
    assert errors[1] < 1e-6
    assert 2**3.5 < errors[0] / errors[1] < 2**4.5


def test_coefficients_match_direct_formulas_and_limits():
    dt = 0.1
    # where the direct formulas are accurate (|dt L| not small) they agree
    lin = np.array([-1.0, -50.0, -4000.0])
    z = dt * lin
    scheme = ETDRK4(lin, dt)
    np.testing.assert_allclose(scheme.q, dt * (np.exp(z / 2) - 1) / z, rtol=1e-10)
    np.testing.assert_allclose(scheme.f1, dt * (-4 - z + np.exp(z) * (4 - 3 * z + z**2)) / z**3, rtol=1e-10)
    np.testing.assert_allclose(scheme.f2, dt * (2 + z + np.exp(z) * (-2 + z)) / z**3, rtol=1e-10)
    np.testing.assert_allclose(scheme.f3, dt * (-4 - 3 * z - z**2 + np.exp(z) * (4 - z)) / z**3, rtol=1e-10)
    # at L -> 0, where they cancel catastrophically, the contour integrals give the limits
    tiny = ETDRK4(np.array([0.0, -1e-9]), dt)
    np.testing.assert_allclose(tiny.q, dt / 2, rtol=1e-9)
    for coef in (tiny.f1, tiny.f2, tiny.f3):
        np.testing.assert_allclose(coef, dt / 6, rtol=1e-9)


def test_heat_equation_modes_decay_exactly():
    n, nu = 64, 0.3
    x = -1.0 + 2.0 * np.arange(n) / n
    u0 = np.sin(np.pi * x) + 0.5 * np.cos(3 * np.pi * x)
    # data scaled down by 1e12 make the quadratic term negligible: the heat equation remains
    u = burgers_periodic(1e-12 * u0, nu, [0.0, 0.5], max_dt=0.1)[:, -1] / 1e-12
    exact = np.exp(-nu * np.pi**2 * 0.5) * np.sin(np.pi * x) + 0.5 * np.exp(
        -nu * 9 * np.pi**2 * 0.5
    ) * np.cos(3 * np.pi * x)
    np.testing.assert_allclose(u, exact, atol=1e-9)


def test_registered_spectral_burgers_agrees_with_cole_hopf():
    eq = Burgers(nu=0.05 / math.pi)
    spec = solve(eq, (33, 5), method="spectral", modes=512, max_dt=2e-3)
    ref = solve(eq, (33, 5))
    assert spec.attrs["solver"] == "spectral" and spec.attrs["modes"] >= 512
    assert float(np.abs(spec - ref).max()) < 1e-8


def test_dealiasing_changes_little_when_resolved():
    n = 256
    x = -1.0 + 2.0 * np.arange(n) / n
    a = burgers_periodic(np.sin(np.pi * x), 0.1, [0.0, 0.5], dealias=True)
    b = burgers_periodic(np.sin(np.pi * x), 0.1, [0.0, 0.5], dealias=False)
    assert np.abs(a - b).max() < 1e-10


def test_bad_input():
    with pytest.raises(InvalidDataError):
        burgers_periodic(np.ones(7), 0.1, [0.0, 1.0])
    with pytest.raises(InvalidDataError):
        burgers_periodic(np.full(8, np.nan), 0.1, [0.0, 1.0])
    with pytest.raises(InvalidDataError):
        burgers_periodic(np.ones(8), 0.1, [1.0, 0.0])
    with pytest.raises(InvalidParameterError):
        burgers_periodic(np.ones(8), 0.0, [0.0, 1.0])
    with pytest.raises(InvalidParameterError):
        ETDRK4(np.ones(4), -1.0)
