"""Geometric multigrid: convergence factors, agreement with a direct solve, preconditioner."""

import numpy as np
import pytest
import scipy.sparse.linalg as spla
from grids import direct, lshape_mask

from equations import InvalidDataError, InvalidParameterError
from solvers import Hierarchy, multigrid_solve, poisson_operator, preconditioner, v_cycle


def square(n: int) -> tuple[np.ndarray, float]:
    x = np.linspace(0.0, 1.0, n)
    X, Y = np.meshgrid(x, x, indexing="ij")
    return 5 * np.pi**2 * np.sin(np.pi * X) * np.sin(2 * np.pi * Y), 1.0 / (n - 1)


def test_convergence_factor_is_small_and_grid_independent(single_thread):
    factors = []
    for n in (65, 129, 257, 513):
        f, h = square(n)
        _, info = multigrid_solve(f, h, h)
        assert info.converged and info.residuals[-1] <= 1e-10
        factors.append(info.convergence_factor)
    assert max(factors) < 0.15
    assert max(factors) - min(factors) < 0.02


def test_lshape_agrees_with_direct_solve():
    n = 129
    mask = lshape_mask(n)
    h = 2.0 / (n - 1)
    f = np.ones((n, n))
    u, info = multigrid_solve(f, h, h, mask)
    assert info.convergence_factor < 0.15
    assert np.abs(u - direct(f, mask, h, h)).max() < 1e-9
    assert np.all(u[~mask] == 0.0)


def test_unequal_spacings_and_rectangular_grid():
    nx, ny = 65, 33
    hx, hy = 1.0 / (nx - 1), 1.0 / (ny - 1)  # hy = 2 hx: the stencil is anisotropic
    rng = np.random.default_rng(0)
    f = rng.standard_normal((nx, ny))
    u, info = multigrid_solve(f, hx, hy)
    # a pointwise smoother slows down with anisotropy but still converges
    assert info.converged and info.convergence_factor < 0.5
    assert np.abs(u - direct(f, np.ones((nx, ny), bool), hx, hy)).max() < 1e-9 * np.abs(u).max()


def test_grid_without_coarsening_is_a_direct_solve():
    f = np.ones((20, 14))
    _, info = multigrid_solve(f, 0.1, 0.2)
    assert info.levels == 1 and info.cycles == 1


def test_v_cycle_preconditioner_is_symmetric_and_accelerates_cg():
    n = 65
    mask = lshape_mask(n)
    h = 2.0 / (n - 1)
    hier = Hierarchy(mask, h, h)
    m = preconditioner(hier)
    rng = np.random.default_rng(1)
    unknown = hier.mask  # the L without its boundary
    x, y = (rng.standard_normal(n * n) * unknown.ravel() for _ in range(2))
    assert abs(x @ m.matvec(y) - y @ m.matvec(x)) < 1e-12 * np.linalg.norm(x) * np.linalg.norm(m.matvec(y))
    assert x @ m.matvec(x) > 0
    op = poisson_operator(mask, h, h)  # the matrix-free -Laplacian, zero off the unknowns
    b = np.where(unknown, 1.0, 0.0).ravel()
    iterations = []
    u, status = spla.cg(op, b, rtol=1e-10, M=m, callback=lambda _: iterations.append(1))
    assert status == 0 and len(iterations) <= 10
    np.testing.assert_allclose(u.reshape(n, n), direct(b.reshape(n, n), mask, h, h), atol=1e-9)
    # one cycle from zero equals the operator
    u1 = np.zeros((n, n))
    v_cycle(hier, u1, b.reshape(n, n).copy(), symmetric=True)
    np.testing.assert_allclose(u1.ravel(), m.matvec(b), rtol=1e-14, atol=1e-14)


def test_bad_input():
    f, h = square(17)
    bad = f.copy()
    bad[8, 8] = np.nan
    with pytest.raises(InvalidDataError, match="NaN"):
        multigrid_solve(bad, h, h)
    with pytest.raises(InvalidDataError, match="shape"):
        multigrid_solve(f, h, h, mask=np.ones((17, 16), bool))
    with pytest.raises(InvalidDataError):
        multigrid_solve(f[0], h, h)
    with pytest.raises(InvalidParameterError):
        multigrid_solve(f, -h, h)
    with pytest.raises(InvalidParameterError):
        multigrid_solve(f, h, h, tol=0.0)
    with pytest.raises(InvalidParameterError):
        multigrid_solve(f, h, h, pre=0, post=0)
    hier = Hierarchy(np.ones((17, 17), bool), h, h)
    with pytest.raises(InvalidDataError, match="shape"):
        v_cycle(hier, np.zeros((9, 9)), np.zeros((9, 9)))
    with pytest.raises(InvalidDataError, match="float64"):
        v_cycle(hier, np.zeros((17, 17), np.float32), f)


def test_options_threads_warm_start_and_reused_hierarchy():
    f, h = square(129)
    hier = Hierarchy(np.ones(f.shape, bool), h, h)
    u1, info1 = multigrid_solve(f, h, h, hierarchy=hier, threads=1)
    u2, _ = multigrid_solve(f, h, h, hierarchy=hier)
    np.testing.assert_allclose(u1, u2, rtol=0, atol=1e-12 * np.abs(u1).max())
    _, warm = multigrid_solve(f, h, h, u0=u1, hierarchy=hier)
    assert warm.cycles <= 1 < info1.cycles
    zero, info = multigrid_solve(np.zeros_like(f), h, h)
    assert info.cycles == 0 and not zero.any()
    with pytest.raises(InvalidParameterError):
        multigrid_solve(f, h, h, threads=0)
    with pytest.raises(InvalidDataError, match="hierarchy"):
        multigrid_solve(f[:-2, :-2], h, h, hierarchy=hier)
    with pytest.warns(RuntimeWarning, match="stopped after 2 cycles"):
        _, short = multigrid_solve(f, h, h, max_cycles=2)
    assert not short.converged
