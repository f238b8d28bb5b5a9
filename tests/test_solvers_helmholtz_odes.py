"""Helmholtz (FD + direct solve) and the singular ODE specs (Legendre, hypergeometric)."""

import math

import numpy as np
import pytest
import torch
from scipy import special

from equations import Helmholtz, Hypergeometric, InvalidParameterError, Legendre, create
from sciml.derivatives import DerivativePlan, autodiff_jet
from solvers import available, solve


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
    assert available(eq) == ("fd_direct",)


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
    ],
)
def test_invalid_parameters(name, params, key):
    with pytest.raises(InvalidParameterError, match=rf"{name}: {key} "):
        create(name, **params)


def test_hypergeometric_message_says_only_polynomials():
    with pytest.raises(InvalidParameterError, match="only the polynomial case"):
        Hypergeometric(a=0.5)
