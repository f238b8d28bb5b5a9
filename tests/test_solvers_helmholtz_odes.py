"""Helmholtz (FD + direct solve), the singular ODE specs (Legendre, hypergeometric), antiderivative and pendulum."""

import math

import numpy as np
import pytest
import torch
from scipy import special

from equations import (
    Antiderivative,
    Helmholtz,
    Hypergeometric,
    InvalidDataError,
    InvalidParameterError,
    Legendre,
    Pendulum,
    create,
)
from equations.odes import interpolate_sensors
from sciml.field.derivatives import DerivativePlan, autodiff_jet
from solvers import antiderivatives, available, pendulum_trajectories, solve


def helmholtz_error(eq: Helmholtz, n: int) -> float:
    u = solve(eq, n)
    assert u.attrs["solver"] == "fd_direct" and u.attrs["relative_residual"] < 1e-10
    x, y = np.meshgrid(u.x.values, u.y.values, indexing="ij")
    return float(np.abs(u.values - eq.exact({"x": x, "y": y})).max())


def test_helmholtz_fd_is_second_order():
    eq = Helmholtz(a1=1, a2=1, k=1.0)
    errors = [helmholtz_error(eq, n) for n in (17, 33, 65)]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all((orders >= 1.9) & (orders <= 2.1)), orders


def test_helmholtz_benchmark_case_error_bound():
    # leading FD error: h^2 pi^2 (a1^4 + a2^4) / 12 / ((a1^2 + a2^2) - k^2 / pi^2) ~ 3.05e-3 at 129^2
    eq = Helmholtz()
    assert (eq.a1, eq.a2, eq.k) == (4, 1, 1.0)
    h = 2.0 / 128
    predicted = h**2 * math.pi**2 * (4**4 + 1) / 12 / ((4**2 + 1) - 1 / math.pi**2)
    error = helmholtz_error(eq, 129)
    assert 0.9 * predicted < error < 1.1 * predicted < 3.5e-3, (error, predicted)


def test_helmholtz_spec_residual_boundary_and_ansatz():
    eq = Helmholtz(a1=2, a2=3, k=2.5)
    rng = np.random.default_rng(1)
    x = torch.as_tensor(rng.uniform(-1, 1, (32, 2)))
    plan = DerivativePlan(("x", "y"), eq.derivatives)
    jet = autodiff_jet(lambda p: eq.exact({"x": p[0], "y": p[1]}), x, plan)
    assert torch.abs(eq.residual({"x": x[:, 0], "y": x[:, 1]}, jet)).max() < 1e-9
    b = eq.domain.space.boundary_from_unit(rng.uniform(0, 1, 40))
    c = {"x": b[:, 0], "y": b[:, 1]}
    assert np.abs(eq.exact(c)).max() < 1e-12
    g, d = eq.ansatz(c)
    assert np.abs(g).max() == 0 and np.abs(d).max() < 1e-12
    assert available(eq) == ("fd_direct", "exact", "fd")


ODES = [Legendre(), Legendre(l=0), Legendre(l=6), Hypergeometric(), Hypergeometric(a=-3, b=0.5, c=1.5)]


@pytest.mark.parametrize("eq", ODES, ids=repr)
def test_ode_exact_solution_satisfies_the_residual(eq):
    assert eq.domain.names == ("x",) and eq.domain.time is None
    lo, hi = eq.domain.bounds[0]
    x = torch.as_tensor(np.concatenate([np.random.default_rng(0).uniform(lo, hi, 64), [lo, hi]])[:, None])
    plan = DerivativePlan(("x",), eq.derivatives)
    jet = autodiff_jet(lambda p: eq.exact({"x": p[0]}), x, plan)
    r = eq.residual({"x": x[:, 0]}, jet)
    assert r.dtype == torch.float64 and torch.abs(r).max() < 1e-9


@pytest.mark.parametrize("eq", ODES, ids=repr)
def test_ode_closed_form_solver_matches_scipy_and_the_spec(eq):
    u = solve(eq, 101)
    assert u.dims == ("x",) and u.attrs["solver"] == "closed_form"
    x = u.x.values
    if isinstance(eq, Legendre):
        ref = special.eval_legendre(eq.l, x)
    else:
        ref = special.hyp2f1(eq.a, eq.b, eq.c, x)
    np.testing.assert_array_equal(u.values, ref)
    np.testing.assert_allclose(eq.exact({"x": x}), ref, rtol=1e-12, atol=1e-12)
    # torch and numpy give the same closed form
    np.testing.assert_allclose(eq.exact({"x": torch.tensor(x)}).numpy(), ref, rtol=1e-12, atol=1e-12)


def test_ode_conditions_and_ansatz_meet_the_end_values():
    np.testing.assert_allclose(Hypergeometric().exact({"x": np.linspace(0, 2, 5)}), (1 - np.linspace(0, 2, 5)) ** 2)
    for eq in ODES:
        lo, hi = eq.domain.bounds[0]
        b = eq.domain.space.boundary_from_unit(np.array([0.1, 0.9]))
        np.testing.assert_array_equal(b[:, 0], [lo, hi])
        (cond,) = eq.conditions()
        ends = cond.value({"x": b[:, 0]})
        if isinstance(eq, Legendre):
            np.testing.assert_allclose(ends, [(-1) ** eq.l, 1.0])
        g, d = eq.ansatz({"x": b[:, 0]})
        np.testing.assert_allclose(g, ends, atol=1e-12)
        np.testing.assert_allclose(d, 0.0, atol=1e-12)


@pytest.mark.parametrize(
    ("name", "params", "key"),
    [
        ("helmholtz", {"a1": 0}, "a1"),
        ("helmholtz", {"a2": 1.5}, "a2"),
        ("helmholtz", {"a1": True}, "a1"),
        ("helmholtz", {"k": 0.0}, "k"),
        ("helmholtz", {"k": math.inf}, "k"),
        ("legendre", {"l": -1}, "l"),
        ("legendre", {"l": 2.5}, "l"),
        ("hypergeometric", {"a": 1}, "a"),
        ("hypergeometric", {"a": -1.5}, "a"),
        ("hypergeometric", {"b": math.nan}, "b"),
        ("hypergeometric", {"c": -1}, "c"),
        ("pendulum", {"k": 0.0}, "k"),
        ("pendulum", {"forcing": (1.0,)}, "forcing"),
        ("pendulum", {"forcing": (1.0, math.nan)}, "forcing"),
        ("antiderivative", {"forcing": "ab"}, "forcing"),
        ("antiderivative", {"forcing": 3.0}, "forcing"),
    ],
)
def test_invalid_parameters(name, params, key):
    with pytest.raises(InvalidParameterError, match=rf"{name}: {key} "):
        create(name, **params)


def test_hypergeometric_message_says_only_polynomials():
    with pytest.raises(InvalidParameterError, match="only the polynomial case"):
        Hypergeometric(a=0.5)


DEEPONET_ODES = [Antiderivative(), Pendulum(), Pendulum(k=4.0)]


@pytest.mark.parametrize("eq", DEEPONET_ODES, ids=repr)
def test_deeponet_ode_exact_solution_satisfies_residual_and_ansatz(eq):
    assert eq.domain.names == ("x",) and eq.domain.bounds == ((0.0, 1.0),) and eq.has_exact
    x = torch.as_tensor(np.concatenate([np.random.default_rng(0).uniform(0, 1, 64), [0.0, 1.0]])[:, None])
    jet = autodiff_jet(lambda p: eq.exact({"x": p[0]}), x, DerivativePlan(("x",), (*eq.derivatives, "x")))
    r = eq.residual({"x": x[:, 0]}, jet)
    assert r.dtype == torch.float64 and torch.abs(r).max() < 1e-10
    # the initial data hold at x = 0 (the pendulum starts at rest), which the ansatz meets exactly
    zero = torch.zeros((1, 1), dtype=torch.float64)
    jet0 = autodiff_jet(lambda p: eq.exact({"x": p[0]}), zero, DerivativePlan(("x",), ("x",)))
    assert abs(float(jet0.value)) < 1e-15
    if isinstance(eq, Pendulum):
        assert abs(float(jet0["x"])) < 1e-15
    g, d = eq.ansatz({"x": np.array([0.0, 0.5])})
    np.testing.assert_array_equal(g, 0.0)
    assert d[0] == 0.0 and d[1] > 0 and eq.conditions() == ()


def test_antiderivative_quadrature_matches_closed_form():
    eq = Antiderivative()
    u = solve(eq, 101)
    assert u.dims == ("x",) and u.attrs["solver"] == "quadrature" and available(eq) == ("quadrature", "exact", "fd")
    assert u.attrs["quadrature"] == "cumulative_simpson" and u.attrs["points"] == 801
    assert np.abs(u.values - eq.exact({"x": u.x.values})).max() < 1e-10


def test_cumulative_quadrature_orders():
    """Cumulative Simpson is fourth order and trapezoid second order on cos(2 pi x)."""
    for method, expected in (("simpson", 4.0), ("trapezoid", 2.0)):
        errors = []
        for n in (33, 65, 129):
            x = np.linspace(0, 1, n)
            s = antiderivatives(np.cos(2 * np.pi * x), x, method=method)
            errors.append(np.abs(s - np.sin(2 * np.pi * x) / (2 * np.pi)).max())
        orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
        assert np.all(np.abs(orders - expected) < 0.1), (method, errors, orders)


def test_antiderivatives_batch_and_sensor_input():
    x = np.linspace(0, 1, 65)
    batch = np.stack([np.ones_like(x), x, np.cos(np.pi * x)])
    s = antiderivatives(batch, x)
    np.testing.assert_allclose(s[0], x, atol=1e-15)
    np.testing.assert_allclose(s[1], x**2 / 2, atol=1e-15)
    np.testing.assert_allclose(s[2], np.sin(np.pi * x) / np.pi, atol=1e-7)
    with pytest.raises(InvalidDataError, match="last axis"):
        antiderivatives(batch[:, :-1], x)
    with pytest.raises(InvalidParameterError, match="simpson"):
        antiderivatives(batch, x, method="midpoint")
    # sensor values define a piecewise-linear input: the reference integrates it exactly
    eq = Antiderivative(forcing=[0.0, 1.0, -1.0, 2.0])
    assert eq.forcing == (0.0, 1.0, -1.0, 2.0) and not eq.has_exact
    u = solve(eq, 7)
    assert u.attrs["quadrature"] == "cumulative_trapezoid"
    fine = np.linspace(0, 1, 30001)
    reference = antiderivatives(interpolate_sensors(eq.forcing, fine), fine, method="trapezoid")[::5000]
    np.testing.assert_allclose(u.values, reference, atol=1e-12)
    with pytest.raises(NotImplementedError, match="sensor values"):
        eq.exact({"x": fine})


def test_interpolate_sensors_numpy_and_torch():
    values = (1.0, 3.0, 2.0)
    x = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(interpolate_sensors(values, x), [1.0, 2.0, 3.0, 2.5, 2.0])
    xt = torch.tensor(x, requires_grad=True)
    y = interpolate_sensors(values, xt)
    np.testing.assert_allclose(y.detach().numpy(), [1.0, 2.0, 3.0, 2.5, 2.0])
    (grad,) = torch.autograd.grad(y.sum(), xt)
    np.testing.assert_allclose(grad.numpy(), [4.0, 4.0, -2.0, -2.0, -2.0])  # slope of the piece


def test_pendulum_dop853_matches_manufactured_solution():
    for eq in (Pendulum(), Pendulum(k=4.0)):
        u = solve(eq, 101)
        assert u.dims == ("x",) and u.attrs["solver"] == "dop853" and u.attrs["method"] == "DOP853"
        assert np.abs(u.values - eq.exact({"x": u.x.values})).max() < 1e-10
    assert available(Pendulum()) == ("dop853", "exact", "fd")


def test_pendulum_sensor_forcing_converges_with_the_sensors():
    """Sampling the manufactured forcing at m sensors: error O(1 / m^2) from the linear interpolant."""
    eq = Pendulum()
    errors = []
    for m in (51, 101, 201):
        sensors = np.linspace(0, 1, m)
        sampled = Pendulum(forcing=tuple(eq.source({"x": sensors})))
        assert not sampled.has_exact
        u = solve(sampled, 51)
        errors.append(np.abs(u.values - eq.exact({"x": u.x.values})).max())
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all((orders > 1.9) & (orders < 2.1)), (errors, orders)


def test_pendulum_trajectories_batch():
    t = np.linspace(0, 1, 41)
    rng = np.random.default_rng(5)
    forcings = rng.normal(size=(8, 20))
    batch = pendulum_trajectories(forcings, t, k=2.0)
    assert batch.shape == (8, 2, 41)
    np.testing.assert_array_equal(batch[:, :, 0], 0.0)
    one = pendulum_trajectories(forcings[3], t, k=2.0)
    np.testing.assert_allclose(one[0], batch[3], atol=1e-10)
    # the same forcing given as a function of time (vector-valued) gives the same trajectories
    sensors = np.linspace(0, 1, 20)
    as_function = pendulum_trajectories(
        lambda tau: np.array([np.interp(tau, sensors, f) for f in forcings]), t, k=2.0
    )
    np.testing.assert_allclose(as_function, batch, atol=1e-8)
    # the angle is the integral of the velocity
    fine = np.linspace(0, 1, 1601)
    states = pendulum_trajectories(forcings, fine, k=2.0)
    np.testing.assert_allclose(antiderivatives(states[:, 1], fine, method="trapezoid"), states[:, 0], atol=1e-5)
    # zero forcing: the pendulum stays at rest
    np.testing.assert_array_equal(pendulum_trajectories(np.zeros((2, 5)), t)[:, 0], 0.0)
    with pytest.raises(InvalidDataError, match="cover"):
        pendulum_trajectories(forcings, t, sensors=np.linspace(0.1, 1, 20))
