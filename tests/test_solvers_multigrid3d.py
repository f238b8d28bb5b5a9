"""3D geometric multigrid: FD order, convergence factors, masked domains, preconditioner, Poisson3D."""

import numpy as np
import pytest
import scipy.sparse.linalg as spla

import solvers
from equations import InvalidDataError, InvalidParameterError, Poisson3D
from solvers import Hierarchy3D, cg, laplacian_matrix3d, multigrid3d_solve, poisson_operator, preconditioner3d


def cube(n: int, k: tuple[int, int, int] = (1, 1, 1)) -> tuple[np.ndarray, np.ndarray, float]:
    """Source and exact solution of the manufactured ``sin sin sin`` problem on ``n^3`` points."""
    x = np.linspace(0.0, 1.0, n)
    X, Y, Z = np.meshgrid(x, x, x, indexing="ij")
    u = np.sin(k[0] * np.pi * X) * np.sin(k[1] * np.pi * Y) * np.sin(k[2] * np.pi * Z)
    return (k[0] ** 2 + k[1] ** 2 + k[2] ** 2) * np.pi**2 * u, u, 1.0 / (n - 1)


def hollow_cube(n: int) -> np.ndarray:
    """A cube with an interior box removed (edges on coarse grid lines of every level)."""
    mask = np.ones((n, n, n), dtype=bool)
    q = (n - 1) // 4
    mask[q : 2 * q + 1, q : 3 * q + 1, 2 * q : 3 * q + 1] = False
    return mask


def test_second_order_against_manufactured_solution():
    errors = []
    for n in (9, 17, 33):
        f, exact, h = cube(n, (1, 2, 1))
        u, info = multigrid3d_solve(f, h, h, h, tol=1e-12)
        assert info.converged
        errors.append(np.abs(u - exact).max())
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all((orders >= 1.9) & (orders <= 2.1)), orders


@pytest.mark.parametrize("n", [33, 65])
def test_v22_convergence_factor(n, single_thread):
    f, _, h = cube(n)
    _, info = multigrid3d_solve(f, h, h, h, tol=1e-10)
    assert info.converged and info.convergence_factor < 0.1
    _, info = multigrid3d_solve(f, h, h, h, tol=1e-10, smoother="jacobi")
    # weighted Jacobi (w = 6/7) is the weaker smoother: about 0.25 per V(2,2) cycle
    assert info.converged and info.convergence_factor < 0.3


@pytest.mark.parametrize("cycle", ["W", "F"])
def test_w_and_f_cycles_converge(cycle):
    f, _, h = cube(33)
    u_v, _ = multigrid3d_solve(f, h, h, h, tol=1e-10)
    u, info = multigrid3d_solve(f, h, h, h, tol=1e-10, cycle=cycle)
    assert info.converged and info.convergence_factor < 0.1
    assert np.abs(u - u_v).max() < 1e-9


def test_masked_domain_matches_direct_solve():
    n = 17
    mask = hollow_cube(n)
    h = 1.0 / (n - 1)
    f = np.random.default_rng(0).standard_normal((n, n, n))
    u, info = multigrid3d_solve(f, h, h, h, mask, tol=1e-12)
    assert info.converged and info.convergence_factor < 0.15 and info.levels == 3
    a, index = laplacian_matrix3d(mask, h, h, h)
    ref = np.zeros(f.size)
    ref[index] = spla.spsolve(a.tocsc(), f.ravel()[index])
    assert np.abs(u.ravel() - ref).max() < 1e-8 * np.abs(ref).max()
    assert np.all(u[~mask] == 0.0)


def test_matrix_free_operator_matches_sparse_matrix():
    n = 9
    mask = hollow_cube(n)
    hx, hy, hz = 0.1, 0.2, 0.15
    x = np.random.default_rng(1).standard_normal(n**3)
    a, index = laplacian_matrix3d(mask, hx, hy, hz)
    y = poisson_operator(mask, hx, hy, hz) @ x
    assert np.allclose(y[index], a @ x[index])
    assert np.all(np.delete(y, index) == 0.0)


def test_preconditioner_is_symmetric_and_accelerates_cg():
    n = 33
    mask = hollow_cube(n)
    h = 1.0 / (n - 1)
    m = preconditioner3d(Hierarchy3D(mask, h, h, h))
    rng = np.random.default_rng(2)
    x, y = (np.where(mask.ravel(), rng.standard_normal(n**3), 0.0) for _ in range(2))
    assert abs(x @ (m @ y) - y @ (m @ x)) < 1e-12 * abs(x @ (m @ y))
    assert x @ (m @ x) > 0
    f, _, _ = cube(n)
    b = np.where(mask, f, 0.0).ravel()
    _, info = cg(poisson_operator(mask, h, h, h), b, rtol=1e-8, M=m)
    assert info.converged and info.iterations < 10


def test_bad_input_raises():
    f, _, h = cube(9)
    with pytest.raises(InvalidDataError, match="3D"):
        multigrid3d_solve(f[0], h, h, h)
    g = f.copy()
    g[4, 4, 4] = np.nan
    with pytest.raises(InvalidDataError, match="NaN"):
        multigrid3d_solve(g, h, h, h)
    with pytest.raises(InvalidDataError, match="mask shape"):
        multigrid3d_solve(f, h, h, h, np.ones((9, 9, 8), dtype=bool))
    with pytest.raises(InvalidParameterError, match="hz"):
        multigrid3d_solve(f, h, h, -1.0)
    with pytest.raises(InvalidParameterError, match="symmetric"):
        preconditioner3d(Hierarchy3D(np.ones((9, 9, 9), dtype=bool), h, h, h), cycle="F")
    with pytest.raises(InvalidParameterError, match="hz"):
        poisson_operator(np.ones((9, 9, 9), dtype=bool), h, h)
    with pytest.raises(InvalidDataError, match="another grid"):
        multigrid3d_solve(f, h, h, h, hierarchy=Hierarchy3D(hollow_cube(9), h, h, h))


def test_poisson3d_spec_and_registered_solver():
    eq = Poisson3D(kx=1, ky=1, kz=2)
    assert eq.name == "poisson3d" and eq.default_resolution == (33, 33, 33)
    with pytest.raises(InvalidParameterError, match="kz"):
        Poisson3D(kz=0)
    u = solvers.solve(eq, (17, 17, 17))
    assert u.dims == ("x", "y", "z")
    mesh = np.meshgrid(u["x"].values, u["y"].values, u["z"].values, indexing="ij")
    coords = {"x": mesh[0], "y": mesh[1], "z": mesh[2]}
    exact = eq.exact(coords)
    assert np.abs(u.values - exact).max() < 0.02
    # the exact solution's Jet makes the residual vanish
    c = -np.pi**2 * exact
    jet = {"xx": c, "yy": c, "zz": 4 * c}
    assert np.abs(eq.residual(coords, jet)).max() < 1e-9
