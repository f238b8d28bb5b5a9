"""1D wave equation: spec, closed form, sine-series and leapfrog references."""

import math

import numpy as np
import pytest
import torch

from equations import InvalidDataError, InvalidParameterError, Wave, create
from sciml.field.derivatives import DerivativePlan, autodiff_jet
from solvers import available, solve


def grid_error(eq: Wave, u) -> float:
    x, t = np.meshgrid(u.x.values, u.t.values, indexing="ij")
    return float(np.abs(u.values - eq.exact({"x": x, "t": t})).max())


@pytest.mark.parametrize("eq", [Wave(), Wave(c=1.0, k=3, t_max=2.0)], ids=repr)
def test_exact_solution_satisfies_residual_and_conditions(eq):
    assert eq.domain.names == ("x", "t") and eq.has_exact
    lo, hi = np.array(eq.domain.bounds).T
    p = torch.as_tensor(np.random.default_rng(0).uniform(lo, hi, (128, 2)))
    plan = DerivativePlan(("x", "t"), (*eq.derivatives, "t"))
    jet = autodiff_jet(lambda q: eq.exact({"x": q[0], "t": q[1]}), p, plan)
    r = eq.residual({"x": p[:, 0], "t": p[:, 1]}, jet)
    assert r.dtype == torch.float64 and torch.abs(r).max() < 1e-8
    # initial value, initial velocity and fixed ends
    x = np.linspace(0, 1, 41)
    c0 = {"x": x, "t": 0 * x}
    initial, _, boundary = eq.conditions()  # value, velocity (checked below), ends
    np.testing.assert_allclose(initial.value(c0), eq.exact(c0), atol=1e-14)
    p0 = torch.as_tensor(np.stack([x, 0 * x], axis=1))
    jet0 = autodiff_jet(lambda q: eq.exact({"x": q[0], "t": q[1]}), p0, DerivativePlan(("x", "t"), ("t",)))
    np.testing.assert_allclose(jet0["t"].numpy(), eq.initial_velocity(c0), atol=1e-12)
    ends = {"x": np.array([0.0, 1.0]), "t": np.array([0.3, 0.7])}
    np.testing.assert_allclose(eq.exact(ends), 0.0, atol=1e-14)
    np.testing.assert_array_equal(boundary.value(ends), 0.0)


def test_ansatz_meets_initial_value_velocity_and_ends():
    eq = Wave()
    rng = np.random.default_rng(1)
    x, t = rng.uniform(0, 1, (2, 30))
    g, d = eq.ansatz({"x": x, "t": 0 * t})
    np.testing.assert_allclose(g, eq.initial_value({"x": x}), atol=0)
    np.testing.assert_array_equal(d, 0.0)  # t^2 factor: value and velocity at t = 0 are g's
    g, d = eq.ansatz({"x": np.array([0.0, 1.0]), "t": np.array([0.4, 0.9])})
    np.testing.assert_allclose(g, 0.0, atol=1e-15)
    np.testing.assert_array_equal(d, 0.0)


def test_spectral_default_is_exact_to_round_off():
    eq = Wave()
    u = solve(eq, (65, 33))
    assert u.dims == ("x", "t") and u.attrs["solver"] == "spectral"
    assert available(eq) == ("spectral", "leapfrog", "exact", "fd")
    assert u.attrs["modes"] == 63 and grid_error(eq, u) < 1e-13
    v = solve(Wave(c=0.7, k=2, t_max=3.0), (33, 17))
    assert grid_error(Wave(c=0.7, k=2, t_max=3.0), v) < 1e-13


def test_leapfrog_is_second_order_in_space_time():
    # 11 output times and c dt / h = 0.4 exactly: dt halves with h (16, 32, 64, 128 steps per output);
    # times t = j / 10 avoid the extrema of cos(8 pi t), where the leading phase error would cancel
    eq = Wave()
    outs = [solve(eq, (n, 11), method="leapfrog", cfl=0.4) for n in (33, 65, 129, 257)]
    assert [u.attrs["courant"] for u in outs] == pytest.approx([0.4] * 4, rel=1e-12)
    assert [u.attrs["steps"] for u in outs] == [160, 320, 640, 1280]
    errors = np.array([grid_error(eq, u) for u in outs])
    orders = np.log2(errors[:-1] / errors[1:])
    assert np.all((orders >= 1.9) & (orders <= 2.1)), (errors, orders)
    assert errors[-1] < 2e-3


def test_leapfrog_step_choice_and_cfl_limit():
    eq = Wave(c=1.0, k=3)
    u = solve(eq, (21, 5), method="leapfrog", cfl=1.0)
    h, dt = 1 / 20, u.attrs["dt"]
    assert dt / h <= 1.0 + 1e-12 and math.isclose(0.25 / dt, round(0.25 / dt))
    # at Courant number 1 leapfrog is exact on the grid for zero initial velocity
    assert u.attrs["courant"] == pytest.approx(1.0) and grid_error(eq, u) < 1e-12
    np.testing.assert_array_equal(u.values[[0, -1]], 0.0)
    with pytest.raises(InvalidParameterError, match="cfl must be in"):
        solve(eq, (21, 5), method="leapfrog", cfl=1.5)
    with pytest.raises(InvalidDataError, match=">= 3 points"):
        solve(eq, (2, 5), method="leapfrog")


@pytest.mark.parametrize(
    ("params", "key"),
    [({"c": 0.0}, "c"), ({"c": math.inf}, "c"), ({"k": 0}, "k"), ({"k": 2.5}, "k"), ({"t_max": -1.0}, "t_max")],
)
def test_invalid_parameters(params, key):
    with pytest.raises(InvalidParameterError, match=rf"wave: {key} "):
        create("wave", **params)
