"""Darcy (variable-coefficient elliptic): the spec, FD order, multigrid factors, bad input."""

import math

import numpy as np
import pytest
import scipy.sparse.linalg as spla

from equations import Darcy, InvalidDataError, InvalidParameterError, Jet, create
from solvers import available, darcy_matrix, darcy_multigrid, solve


def manufactured(eq: Darcy, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict, float]:
    """``(a, f, u)`` with ``u = sin(pi x) sin(pi y)`` and ``f = -div(a grad u)`` computed analytically."""
    x = np.linspace(0.0, 1.0, n)
    X, Y = np.meshgrid(x, x, indexing="ij")
    c = {"x": X, "y": Y}
    a = eq.coefficient(c)
    ax, ay = eq.coefficient_gradient(c)
    pi = math.pi
    u = np.sin(pi * X) * np.sin(pi * Y)
    ux = pi * np.cos(pi * X) * np.sin(pi * Y)
    uy = pi * np.sin(pi * X) * np.cos(pi * Y)
    f = -(a * (-2 * pi**2 * u) + ax * ux + ay * uy)
    return a, f, u, c, 1.0 / (n - 1)


def direct(a: np.ndarray, f: np.ndarray, h: float) -> np.ndarray:
    u = np.zeros_like(f)
    m = (f.shape[0] - 2, f.shape[1] - 2)
    u[1:-1, 1:-1] = spla.spsolve(darcy_matrix(a, h, h).tocsc(), f[1:-1, 1:-1].ravel()).reshape(m)
    return u


def test_spec_coefficient_gradient_and_residual():
    eq = create("darcy", contrast=10.0, f=2.0)
    assert isinstance(eq, Darcy) and eq.default_resolution == (129, 129)
    a, f_mms, u, c, h = manufactured(eq, 65)
    assert a.min() >= 1.0 - 1e-12 and a.max() <= 10.0 + 1e-12
    # the analytic gradient against central differences of the coefficient
    ax, ay = eq.coefficient_gradient(c)
    np.testing.assert_allclose((a[2:, 1:-1] - a[:-2, 1:-1]) / (2 * h), ax[1:-1, 1:-1], atol=1e-2 * np.abs(ax).max())
    np.testing.assert_allclose((a[1:-1, 2:] - a[1:-1, :-2]) / (2 * h), ay[1:-1, 1:-1], atol=1e-2 * np.abs(ay).max())
    # residual against the exact jet of the manufactured solution: f_spec - f_mms
    pi = math.pi
    X, Y = c["x"], c["y"]
    jet = Jet(
        u,
        {
            "x": pi * np.cos(pi * X) * np.sin(pi * Y),
            "y": pi * np.sin(pi * X) * np.cos(pi * Y),
            "xx": -(pi**2) * u,
            "yy": -(pi**2) * u,
        },
    )
    np.testing.assert_allclose(eq.residual(c, jet), 2.0 - f_mms, atol=1e-10)
    g, d = eq.ansatz(c)
    assert np.all(g == 0) and np.all(d[0, :] == 0) and np.all(d[:, -1] == 0)


@pytest.mark.parametrize("params", [{"contrast": 0.0}, {"contrast": -1.0}, {"contrast": math.inf}, {"f": math.nan}])
def test_spec_validates_parameters(params):
    with pytest.raises(InvalidParameterError):
        Darcy(**params)


def test_second_order_on_manufactured_solution(single_thread):
    eq = Darcy(contrast=10.0)
    errors = []
    for n in (33, 65, 129):
        a, f, u_exact, _, h = manufactured(eq, n)
        u, info = darcy_multigrid(a, f, h, h, tol=1e-10)
        assert info.converged and info.residuals[-1] <= 1e-10
        errors.append(np.abs(u - u_exact).max())
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all((orders >= 1.9) & (orders <= 2.1)), orders


def test_multigrid_agrees_with_direct_solve(single_thread):
    a, f, _, _, h = manufactured(Darcy(contrast=10.0), 65)
    u, info = darcy_multigrid(a, f, h, h)
    assert info.converged
    ref = direct(a, f, h)
    assert np.abs(u - ref).max() < 1e-9 * np.abs(ref).max()
    assert np.all(u[0, :] == 0) and np.all(u[:, -1] == 0)
    mat = darcy_matrix(a, h, h)
    assert abs(mat - mat.T).max() == 0.0


@pytest.mark.parametrize(
    "coarse, contrast, bound",
    [("rediscretize", 10.0, 0.1), ("rediscretize", 100.0, 0.15), ("galerkin", 10.0, 0.14), ("galerkin", 100.0, 0.15)],
)
def test_convergence_factor_is_small_and_grid_independent(single_thread, coarse, contrast, bound):
    # measured, rediscretized: contrast 10 -> 0.063, 0.065, 0.066; contrast 100 -> 0.113, 0.115, 0.115
    # Galerkin: contrast 10 -> 0.111, 0.117, 0.120; contrast 100 -> 0.119, 0.124, 0.128
    factors = []
    for n in (65, 129, 257):
        a, f, _, _, h = manufactured(Darcy(contrast=contrast), n)
        _, info = darcy_multigrid(a, f, h, h, coarse=coarse)
        assert info.converged
        factors.append(info.convergence_factor)
    assert max(factors) < bound, factors
    assert max(factors) - min(factors) < 0.02, factors


def test_registered_solver_through_solve():
    assert available(Darcy()) == ("multigrid", "fd")  # fd: the generic fallback every spec gets
    u = solve(Darcy(contrast=10.0, f=1.0), 65)
    assert u.attrs["converged"] == 1 and u.attrs["relative_residual"] <= 1e-10
    assert u.attrs["convergence_factor"] < 0.13  # Galerkin coarse operators by default (0.11)
    v = u.values
    assert np.all(v[0, :] == 0) and np.all(v[:, 0] == 0) and v.max() > 0
    # linear in f
    w = solve(Darcy(contrast=10.0, f=-2.0), 65).values
    np.testing.assert_allclose(w, -2.0 * v, rtol=1e-8, atol=1e-12)


def test_bad_input_raises_typed_errors():
    a, f, _, _, h = manufactured(Darcy(), 17)
    bad = a.copy()
    bad[3, 4] = 0.0
    with pytest.raises(InvalidDataError, match="positive"):
        darcy_multigrid(bad, f, h, h)
    bad[3, 4] = -1.0
    with pytest.raises(InvalidDataError):
        darcy_matrix(bad, h, h)
    bad[3, 4] = math.nan
    with pytest.raises(InvalidDataError):
        darcy_multigrid(bad, f, h, h)
    g = f.copy()
    g[5, 5] = math.nan
    with pytest.raises(InvalidDataError, match="NaN"):
        darcy_multigrid(a, g, h, h)
    with pytest.raises(InvalidDataError, match="shape"):
        darcy_multigrid(a, f[:-1], h, h)
    with pytest.raises(InvalidDataError):
        darcy_multigrid(a[0], f[0], h, h)
    with pytest.raises(InvalidParameterError):
        darcy_multigrid(a, f, 0.0, h)
    with pytest.raises(InvalidParameterError):
        darcy_multigrid(a, f, h, h, tol=-1.0)
    with pytest.raises(InvalidParameterError):
        darcy_multigrid(a, f, h, h, pre=0, post=0)
    with pytest.raises(InvalidParameterError):
        darcy_multigrid(a, f, h, h, max_cycles=0)


def test_zero_source_and_max_cycles_warning():
    a, f, _, _, h = manufactured(Darcy(), 33)
    u, info = darcy_multigrid(a, np.zeros_like(f), h, h)
    assert info.cycles == 0 and info.converged and np.all(u == 0)
    with pytest.warns(RuntimeWarning, match="stopped"):
        _, info = darcy_multigrid(a, f, h, h, max_cycles=2)
    assert not info.converged and info.cycles == 2
