"""Klein--Gordon (leapfrog) and flow mixing (closed form): specs, residuals and references."""

import math

import numpy as np
import pytest
import torch

from equations import FlowMixing, InvalidDataError, InvalidParameterError, KleinGordon, create
from sciml.field.derivatives import DerivativePlan, autodiff_jet
from solvers import available, solve


def random_points(eq, n: int, seed: int = 0) -> torch.Tensor:
    lo, hi = np.array(eq.domain.bounds).T
    return torch.as_tensor(lo + (hi - lo) * np.random.default_rng(seed).uniform(size=(n, len(lo))))


def exact_residual(eq, x: torch.Tensor) -> torch.Tensor:
    plan = DerivativePlan(("x", "y", "t"), eq.derivatives)
    jet = autodiff_jet(lambda p: eq.exact({"x": p[0], "y": p[1], "t": p[2]}), x, plan)
    return eq.residual({"x": x[:, 0], "y": x[:, 1], "t": x[:, 2]}, jet)


def grid_error(eq, u) -> float:
    x, y, t = np.meshgrid(u.x.values, u.y.values, u.t.values, indexing="ij")
    return float(np.abs(u.values - eq.exact({"x": x, "y": y, "t": t})).max())


@pytest.mark.parametrize("eq", [KleinGordon(), KleinGordon(t_max=1.0), FlowMixing(), FlowMixing(v_max=1.0)], ids=repr)
def test_exact_solution_satisfies_the_residual(eq):
    assert eq.domain.names == ("x", "y", "t") and eq.has_exact
    r = exact_residual(eq, random_points(eq, 128))
    assert r.dtype == torch.float64 and torch.abs(r).max() < 1e-8


def test_klein_gordon_leapfrog_is_second_order():
    # u is bilinear in (x, y), so the 5-point Laplacian is exact and the error is the O(dt^2) of leapfrog;
    # 13 output times make dt = h / 3 exactly halve with h (1, 2, 4 steps per output)
    eq = KleinGordon(t_max=1.0)
    outs = [solve(eq, (n, n, 13)) for n in (17, 33, 65)]
    assert [u.attrs["steps"] for u in outs] == [24, 48, 96] and outs[0].attrs["solver"] == "leapfrog"
    errors = np.array([grid_error(eq, u) for u in outs])
    orders = np.log2(errors[:-1] / errors[1:])
    assert np.all((orders >= 1.8) & (orders <= 2.2)), (errors, orders)
    assert errors[-1] < 5e-5


def test_klein_gordon_leapfrog_samples_steps_and_keeps_data():
    eq = KleinGordon(t_max=1.0)
    u = solve(eq, (9, 9, 5), cfl=1.0)
    h, dt = 0.25, u.attrs["dt"]
    assert dt * math.sqrt(2) / h <= 1.0 and math.isclose(0.25 / dt, round(0.25 / dt))
    x, y = np.meshgrid(u.x.values, u.y.values, indexing="ij")
    np.testing.assert_allclose(u.values[:, :, 0], x + y, atol=1e-14)  # initial value
    frame = np.ones_like(x, dtype=bool)
    frame[1:-1, 1:-1] = False
    t = np.broadcast_to(u.t.values, u.shape)
    exact = eq.exact({"x": x[..., None], "y": y[..., None], "t": t})
    np.testing.assert_allclose(u.values[frame], exact[frame], atol=1e-14)  # Dirichlet data
    assert available(eq) == ("leapfrog", "exact", "fd")


def test_klein_gordon_conditions_and_no_ansatz():
    eq = KleinGordon()
    initial, velocity, boundary = eq.conditions()
    rng = np.random.default_rng(2)
    x, y = rng.uniform(-1, 1, (2, 50))
    np.testing.assert_allclose(initial.value({"x": x, "y": y, "t": 0 * x}), eq.exact({"x": x, "y": y, "t": 0 * x}))
    # u_t(x, y, 0) of (x + y) cos 2t + x y sin 2t is 2 x y
    np.testing.assert_allclose(velocity.value({"x": x, "y": y, "t": 0 * x}), 2 * x * y)
    b = eq.domain.space.boundary_from_unit(rng.uniform(0, 1, 40))
    c = {"x": b[:, 0], "y": b[:, 1], "t": rng.uniform(0, 10, 40)}
    np.testing.assert_allclose(boundary.value(c), eq.exact(c))
    # a lift of the bilinear boundary data would be the exact solution: no ansatz is offered
    assert eq.ansatz(c) is None


def test_flow_mixing_closed_form_solver_and_origin():
    eq = FlowMixing()
    u = solve(eq, (9, 9, 5))
    assert u.dims == ("x", "y", "t") and u.attrs["solver"] == "exact" and available(eq) == ("exact", "fd")
    assert grid_error(eq, u) == 0.0 and np.all(np.isfinite(u.values))
    np.testing.assert_allclose(u.values[:, :, 0], -np.tanh(u.y.values / 2)[None, :] + 0 * u.x.values[:, None])
    # omega is smooth through the origin (limit 1 / v_max) and agrees between numpy and torch
    r = np.array([0.0, 1e-6, 1e-3, 0.5, 2.0])
    omega = eq.angular_velocity({"x": r, "y": 0 * r})
    np.testing.assert_allclose(omega[:3], 1 / eq.v_max, rtol=1e-5)
    np.testing.assert_allclose(omega[3:], np.tanh(r[3:]) / np.cosh(r[3:]) ** 2 / (r[3:] * eq.v_max), rtol=1e-14)
    t = torch.tensor(r)
    np.testing.assert_allclose(eq.angular_velocity({"x": t, "y": 0 * t}).numpy(), omega, rtol=1e-14)
    # the residual holds at (and its autodiff is finite near) the origin
    p = torch.tensor([[0.0, 0.0, 1.0], [1e-5, -2e-5, 3.0]], dtype=torch.float64)
    assert torch.abs(exact_residual(eq, p)).max() < 1e-8


@pytest.mark.parametrize(
    ("name", "params", "key"),
    [
        ("klein_gordon", {"t_max": 0.0}, "t_max"),
        ("klein_gordon", {"t_max": math.inf}, "t_max"),
        ("flow_mixing", {"v_max": -1.0}, "v_max"),
        ("flow_mixing", {"t_max": math.nan}, "t_max"),
    ],
)
def test_invalid_parameters(name, params, key):
    with pytest.raises(InvalidParameterError, match=rf"{name}: {key} "):
        create(name, **params)


def test_leapfrog_rejects_bad_options_and_grids():
    with pytest.raises(InvalidParameterError, match="cfl must be in"):
        solve(KleinGordon(), (9, 9, 5), cfl=1.5)
    with pytest.raises(InvalidDataError, match=">= 3 points"):
        solve(KleinGordon(), (2, 9, 5))
