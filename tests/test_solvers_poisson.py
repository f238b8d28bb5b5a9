"""Poisson specs through ``solvers.solve``: FD order, the refined L-shape, bad resolutions."""

import math

import numpy as np
import pytest
import scipy.sparse.linalg as spla

from equations import InvalidParameterError, LShapePoisson, Poisson2D
from solvers import interior_of, laplacian_matrix, solve


def test_second_order_on_manufactured_solution():
    eq = Poisson2D(kx=1, ky=2)
    errors = []
    for n in (17, 33, 65, 129):
        u = solve(eq, n)
        x, y = np.meshgrid(u.x.values, u.y.values, indexing="ij")
        errors.append(np.abs(u.values - eq.exact({"x": x, "y": y})).max())
        assert u.attrs["relative_residual"] <= 1e-10
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all((orders >= 1.9) & (orders <= 2.1)), orders


def test_second_order_with_unequal_spacings():
    eq = Poisson2D(kx=2, ky=1)
    errors = []
    for nx, ny in ((33, 17), (65, 33), (129, 65)):
        u = solve(eq, (nx, ny))
        x, y = np.meshgrid(u.x.values, u.y.values, indexing="ij")
        errors.append(np.abs(u.values - eq.exact({"x": x, "y": y})).max())
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all((orders >= 1.9) & (orders <= 2.1)), orders


def lshape_direct(n: int) -> np.ndarray:
    eq = LShapePoisson()
    axes = eq.domain.grid((n, n))
    mask = interior_of(eq.domain.space.grid_mask(axes))
    h = 2.0 / (n - 1)
    a, index = laplacian_matrix(mask, h, h)
    u = np.zeros(n * n)
    u[index] = spla.spsolve(a.tocsc(), np.ones(index.size))
    return u.reshape(n, n)


def test_lshape_refined_solve_matches_direct_solve_of_the_fine_system():
    u = solve(LShapePoisson(), 33, min_points=257)
    assert u.attrs["refine"] == 3 and u.attrs["fine_points_x"] == 257
    ref = lshape_direct(257)[::8, ::8]
    inside = ~np.isnan(u.values)
    assert np.abs(u.values[inside] - ref[inside]).max() < 1e-9
    # outside the L (x > 0 and y > 0) is NaN, the boundary is zero
    x, y = np.meshgrid(u.x.values, u.y.values, indexing="ij")
    np.testing.assert_array_equal(~inside, (x > 0) & (y > 0))
    assert np.all(u.values[0, :] == 0) and np.all(u.values[16, 17:] == 0)


def test_lshape_symmetric_and_default_refinement(single_thread):
    u = solve(LShapePoisson(f=2.0), 65)
    assert u.attrs["fine_points_x"] == 1025 and u.attrs["converged"] == 1
    v = u.values
    np.testing.assert_allclose(v, v.T, atol=1e-10, equal_nan=True)
    assert np.nanmax(v) > 0 and u.attrs["convergence_factor"] < 0.15


def test_lshape_refinement_converges(single_thread):
    # values at the requested points settle as the fine grid is refined (rate ~h^(4/3) near the corner)
    coarse = [solve(LShapePoisson(), 17, refine=r).values for r in (2, 3, 4)]
    d1 = np.nanmax(np.abs(coarse[1] - coarse[0]))
    d2 = np.nanmax(np.abs(coarse[2] - coarse[1]))
    assert d2 < d1 / 2 ** (4 / 3) * 1.3


@pytest.mark.parametrize("resolution", [64, (33, 32), (30, 30)])
def test_lshape_needs_the_corner_on_the_grid(resolution):
    with pytest.raises(InvalidParameterError, match="grid point"):
        solve(LShapePoisson(), resolution)


def test_lshape_bad_refinement_options():
    with pytest.raises(InvalidParameterError):
        solve(LShapePoisson(), 17, refine=-1)
    with pytest.raises(InvalidParameterError):
        solve(LShapePoisson(), 17, min_points=1.5)
    with pytest.raises(InvalidParameterError, match="fine grid"):
        solve(LShapePoisson(), 1025, refine=4)


def test_solution_is_finite_and_scaled_by_source():
    a = solve(LShapePoisson(f=1.0), 17, refine=2)
    b = solve(LShapePoisson(f=-3.0), 17, refine=2)
    np.testing.assert_allclose(b.values, -3.0 * a.values, rtol=1e-8, atol=1e-12, equal_nan=True)
    assert math.isfinite(float(a.max()))
