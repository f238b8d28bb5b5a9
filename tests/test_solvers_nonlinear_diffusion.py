"""2D nonlinear diffusion (SPINN / PIG benchmark): spec, residual, and the FD + RK4 reference."""

import math

import numpy as np
import pytest
import torch

from equations import InvalidDataError, InvalidParameterError, Jet, NonlinearDiffusion, create
from equations.nonlinear_diffusion import SPINN_BUMPS
from sciml.field.derivatives import DerivativePlan, autodiff_jet
from solvers import available, solve


def coarse_difference(coarse: np.ndarray, fine: np.ndarray) -> float:
    """Max difference at the coarse grid's points (every other fine point in x and y)."""
    return float(np.abs(coarse - fine[::2, ::2]).max())


def test_initial_value_is_the_spinn_benchmark():
    eq = NonlinearDiffusion()
    assert (eq.alpha, eq.t_max) == (0.05, 1.0) and eq.bumps == SPINN_BUMPS and not eq.has_exact
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-1, 1, (2, 50))
    expected = (
        0.25 * np.exp(-((x - 0.3) ** 2 + (y - 0.2) ** 2) / 0.1)
        + 0.4 * np.exp(-((x + 0.5) ** 2 + (y + 0.1) ** 2) * 15)
        + 0.3 * np.exp(-(x**2 + (y + 0.5) ** 2) * 20)
    )
    np.testing.assert_allclose(eq.initial_value({"x": x, "y": y}), expected, rtol=1e-14)
    xt, yt = torch.tensor(x), torch.tensor(y)
    np.testing.assert_allclose(eq.initial_value({"x": xt, "y": yt}).numpy(), expected, rtol=1e-14)
    # the benchmark's data are not exactly 0 on the boundary (largest value ~9.4e-3 at x = -1, y = -0.1)
    b = eq.domain.space.boundary_from_unit(np.linspace(0, 1, 4001, endpoint=False))
    on_boundary = eq.initial_value({"x": b[:, 0], "y": b[:, 1]})
    assert 9.3e-3 < on_boundary.max() < 9.5e-3 <= eq.max_boundary_initial_value()
    # lists (as JSON gives them back) are stored as tuples
    assert NonlinearDiffusion(bumps=[[1, 0, 0, 2]]).bumps == ((1.0, 0.0, 0.0, 2.0),)


def test_residual_is_the_conservative_form():
    """alpha (|grad u|^2 + u Delta u) == (alpha / 2) Delta(u^2), on a smooth test function (torch autodiff)."""
    eq = NonlinearDiffusion(alpha=0.3)

    def u(p):
        x, y, t = p
        return torch.exp(-t) * torch.sin(2 * x + y) + x * y**2

    pts = torch.as_tensor(np.random.default_rng(3).uniform(-1, 1, (64, 3)))
    jet = autodiff_jet(u, pts, DerivativePlan(("x", "y", "t"), eq.derivatives))
    r = eq.residual({"x": pts[:, 0], "y": pts[:, 1], "t": pts[:, 2]}, jet)
    jet2 = autodiff_jet(lambda p: u(p) ** 2, pts, DerivativePlan(("x", "y", "t"), ("xx", "yy")))
    expected = jet["t"] - 0.5 * eq.alpha * (jet2["xx"] + jet2["yy"])
    assert r.dtype == torch.float64 and torch.allclose(r, expected, atol=1e-12)


def test_fd_rk4_is_second_order_by_self_convergence():
    eq = NonlinearDiffusion()
    outs = [solve(eq, (n, n, 11)) for n in (17, 33, 65)]
    assert outs[0].dims == ("x", "y", "t") and outs[0].attrs["solver"] == "fd_rk4" and available(eq) == ("fd_rk4", "fd")
    # the step scales with h^2 (stability limit of RK4): time errors O(dt^4) are negligible
    steps = [u.attrs["steps"] for u in outs]
    assert steps[1] >= 3 * steps[0] and steps[2] >= 3 * steps[1]
    d1 = coarse_difference(outs[0].values, outs[1].values)
    d2 = coarse_difference(outs[1].values, outs[2].values)
    order = math.log2(d1 / d2)
    assert 1.8 <= order <= 2.2, (d1, d2, order)
    assert d2 < 2e-3


def test_fd_rk4_positivity_mass_and_maximum_principle():
    eq = NonlinearDiffusion()
    u = solve(eq, (65, 65, 11))
    values = u.values
    assert u.attrs["min_value"] >= 0.0 and values.min() >= 0.0
    assert values.max() <= values[:, :, 0].max() + 1e-15  # maximum principle
    peak = values.max(axis=(0, 1))
    assert np.all(np.diff(peak) < 0)  # the bumps spread out
    # mass is conserved up to the tiny flux through the boundary, where u ~ 1e-2 at most
    assert abs(u.attrs["mass_change"]) < 1e-3
    np.testing.assert_array_equal(values[[0, -1]], 0.0)
    np.testing.assert_array_equal(values[:, [0, -1]], 0.0)


def test_fd_solution_satisfies_the_spec_residual():
    """The spec's residual, fed with centred differences of the reference, is small against u_t."""
    eq = NonlinearDiffusion()
    u = solve(eq, (65, 65, 201))
    v, h, dt = u.values, 2 / 64, 1 / 200
    c = v[1:-1, 1:-1, 1:-1]
    derivatives = {
        "t": (v[1:-1, 1:-1, 2:] - v[1:-1, 1:-1, :-2]) / (2 * dt),
        "x": (v[2:, 1:-1, 1:-1] - v[:-2, 1:-1, 1:-1]) / (2 * h),
        "y": (v[1:-1, 2:, 1:-1] - v[1:-1, :-2, 1:-1]) / (2 * h),
        "xx": (v[2:, 1:-1, 1:-1] - 2 * c + v[:-2, 1:-1, 1:-1]) / h**2,
        "yy": (v[1:-1, 2:, 1:-1] - 2 * c + v[1:-1, :-2, 1:-1]) / h**2,
    }
    r = eq.residual({}, Jet(c, derivatives))
    assert np.abs(r).max() < 0.05 * np.abs(derivatives["t"]).max()


def test_bad_options_grids_and_parameters():
    eq = NonlinearDiffusion()
    with pytest.raises(InvalidParameterError, match="cfl must be in"):
        solve(eq, (9, 9, 3), cfl=0.0)
    with pytest.raises(InvalidDataError, match=">= 3 points"):
        solve(eq, (2, 9, 3))
    for params, key in [
        ({"alpha": 0.0}, "alpha"),
        ({"t_max": math.nan}, "t_max"),
        ({"bumps": ((-0.1, 0.0, 0.0, 1.0),)}, "bumps_amplitude"),
        ({"bumps": ((0.1, 0.0, 0.0, 0.0),)}, "bumps_sharpness"),
        ({"bumps": ((0.1, math.inf, 0.0, 1.0),)}, "bumps_x0"),
    ]:
        with pytest.raises(InvalidParameterError, match=rf"nonlinear_diffusion: {key} "):
            create("nonlinear_diffusion", **params)
    for bad in [(), ((1.0, 2.0),), "abc", 3]:
        with pytest.raises(InvalidParameterError, match="bumps must be"):
            NonlinearDiffusion(bumps=bad)
