"""ETDRK4 Fourier solvers of the periodic heat, reaction--diffusion and Allen--Cahn specs."""

import math

import numpy as np
import pytest
from scipy import fft

from equations import AllenCahn, Heat, InvalidParameterError, Jet, ReactionDiffusion, create
from solvers import available, solve


def test_registry_and_defaults():
    assert create("heat", nu=0.2) == Heat(nu=0.2)
    assert create("reaction_diffusion", rho=2.0).rho == 2.0
    assert create("allen_cahn") == AllenCahn(d=1e-4, a=5.0)
    for cls in (Heat, ReactionDiffusion, AllenCahn):
        assert available(cls) == (("etdrk4", "exact", "fd") if cls is Heat else ("etdrk4", "fd"))
        assert cls.default_resolution == (256, 101)


@pytest.mark.parametrize("nx", [64, 60])  # 64 divides the modes (stride), 60 does not (Fourier interpolation)
def test_heat_matches_closed_form(nx):
    eq = Heat(nu=0.3)
    u = solve(eq, (nx, 11), modes=128)
    assert u.attrs["sampling"] == ("stride" if nx == 64 else "fourier")
    x, t = np.meshgrid(u.x.values, u.t.values, indexing="ij")
    assert float(np.abs(u.values - eq.exact({"x": x, "t": t})).max()) < 1e-10


def test_reaction_diffusion_without_diffusion_is_the_logistic_ode_pointwise():
    rho = 5.0
    eq = ReactionDiffusion(nu=0.0, rho=rho)
    u = solve(eq, (256, 11), modes=256, max_dt=1e-3)
    h = eq.initial_value({"x": u.x.values})[:, None]
    growth = np.exp(rho * u.t.values)[None, :]
    exact = h * growth / (h * growth + 1 - h)
    assert float(np.abs(u.values - exact).max()) < 1e-9


def test_allen_cahn_is_fourth_order_in_time():
    eq = AllenCahn()
    ref = solve(eq, (256, 3), modes=256, max_dt=1e-3).values
    errors = [np.abs(solve(eq, (256, 3), modes=256, max_dt=dt).values - ref).max() for dt in (0.05, 0.025, 0.0125)]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    # measured: errors 4.7e-5, 3.2e-6, 2.1e-7; orders 3.87, 3.93
    assert np.all((orders > 3.5) & (orders < 4.5)), orders


@pytest.fixture(scope="module")
def allen_cahn_by_modes():
    eq = AllenCahn()
    return {m: solve(eq, (128, 11), modes=m).values for m in (256, 512, 1024, 2048)}


def test_allen_cahn_spatial_convergence(allen_cahn_by_modes):
    u = allen_cahn_by_modes
    diff = {m: np.abs(u[m] - u[2 * m]).max(axis=0) for m in (256, 512, 1024)}
    # not spectral at 256 vs 512: the interfaces of width sqrt(d / a) ~ 4.5e-3 that form by t = 1
    # are under-resolved (measured at t = 1: 3.6e-4 for 256 vs 512, 8.2e-7 for 512 vs 1024)
    assert diff[256][-1] > 1e-4
    # resolved from 1024 modes on (measured 1.3e-9 at t = 1 for 1024 vs 2048)
    assert diff[1024][-1] < 1e-8
    # the slope of x^2 cos(pi x) jumps at x = +-1, so early on convergence is algebraic,
    # about second order (measured ratios 3.7-4.2 at t = 0.1 and 0.2)
    for m in (256, 512):
        ratios = diff[m][1:3] / diff[2 * m][1:3]
        assert np.all((ratios > 3.0) & (ratios < 5.0)), ratios
    assert diff[1024][1] < 1e-4  # measured 3.2e-5 at t = 0.1


def test_allen_cahn_bounds_and_metastable_plateaus():
    u = solve(AllenCahn(), (256, 101))
    assert u.attrs["modes"] == 2048
    assert -1.001 <= float(u.min()) and float(u.max()) <= 1.001
    x, end = u.x.values, u.values[:, -1]
    assert end[(np.abs(x) >= 0.25) & (np.abs(x) <= 0.4)].min() > 0.97  # the +1 plateaus
    assert end[np.abs(x) >= 0.7].max() < -0.999  # the -1 plateau around x = +-1
    assert 0 < end[x == 0][0] < 0.1  # the slowly growing dip where u0 = x^2 vanishes to second order
    np.testing.assert_allclose(end, end[(-np.arange(x.size)) % x.size], atol=1e-12)  # u stays even


@pytest.mark.parametrize(
    ("eq", "modes"),
    [(Heat(nu=0.3), 128), (ReactionDiffusion(nu=0.0), 256), (ReactionDiffusion(), 256), (AllenCahn(), 2048)],
    ids=["heat", "logistic", "reaction_diffusion", "allen_cahn"],
)
def test_spec_residual_vanishes_on_solver_output(eq, modes):
    """The spec's residual with spectral x-derivatives and 4th-order central differences in t."""
    nt = 201
    u = solve(eq, (modes, nt), modes=modes)
    values = u.values
    (lo, hi), _ = eq.domain.bounds
    k = 2 * math.pi / (hi - lo) * np.arange(modes // 2 + 1)
    uxx = fft.irfft(-(k**2)[:, None] * fft.rfft(values, axis=0), modes, axis=0)
    dt = 1.0 / (nt - 1)
    ut = (-values[:, 4:] + 8 * values[:, 3:-1] - 8 * values[:, 1:-3] + values[:, :-4]) / (12 * dt)
    inner = slice(2, -2)
    # from t = 0.25 on: earlier, the fast decay of the initial slope jumps needs finer time sampling
    late = u.t.values[inner] >= 0.25
    x, t = np.meshgrid(u.x.values, u.t.values[inner], indexing="ij")
    jet = Jet(values[:, inner], {"t": ut, "xx": uxx[:, inner]})
    r = eq.residual({"x": x, "t": t}, jet)
    assert np.abs(r[:, late]).max() < 1e-6 * max(1.0, np.abs(ut).max())


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Heat(nu=0.0), "heat: nu must be a positive"),
        (lambda: Heat(nu=math.nan), "heat: nu must be a positive"),
        (lambda: ReactionDiffusion(nu=-1.0), "reaction_diffusion: nu must be >= 0"),
        (lambda: ReactionDiffusion(rho=math.inf), "reaction_diffusion: rho must be a finite"),
        (lambda: AllenCahn(d=0.0), "allen_cahn: d must be a positive"),
        (lambda: AllenCahn(a=math.nan), "allen_cahn: a must be a finite"),
        (lambda: solve(Heat(), (16, 3), modes=7), "modes must be an even integer"),
        (lambda: solve(AllenCahn(), (16, 3), max_dt=0.0), "max_dt must be a positive"),
    ],
)
def test_invalid_parameters_name_the_problem(make, message):
    with pytest.raises(InvalidParameterError, match=message):
        make()


def test_heat_exact_satisfies_its_residual_in_torch():
    torch = pytest.importorskip("torch")
    from sciml.field.derivatives import DerivativePlan, autodiff_jet

    eq = Heat(nu=0.3)
    names = eq.domain.names
    lo, hi = np.array(eq.domain.bounds).T
    x = torch.as_tensor(np.random.default_rng(0).uniform(lo, hi, (32, len(names))))
    jet = autodiff_jet(lambda p: eq.exact(dict(zip(names, p))), x, DerivativePlan(names, eq.derivatives))
    assert torch.abs(eq.residual({n: x[:, k] for k, n in enumerate(names)}, jet)).max() < 1e-12
    for spec in (ReactionDiffusion(), AllenCahn()):  # the specs evaluate on tensors too
        u0 = spec.initial_value({"x": x[:, 0]})
        assert torch.is_tensor(u0) and torch.is_tensor(spec.reaction(u0))
