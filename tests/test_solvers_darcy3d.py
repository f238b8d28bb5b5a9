"""3D variable-coefficient multigrid: FD order (Dirichlet and Neumann sides), direct-solve agreement, factors."""

import numpy as np
import pytest
import scipy.sparse.linalg as spla

from equations import InvalidDataError, InvalidParameterError
from solvers import darcy3d_matrix, darcy3d_multigrid, darcy3d_system

PI = np.pi


def coords(shape: tuple[int, int, int]) -> tuple[np.ndarray, ...]:
    return tuple(np.meshgrid(*(np.linspace(0.0, 1.0, n) for n in shape), indexing="ij"))


def manufactured(n: int, neumann: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """``a = 1 + 0.5 sin(2 pi x + 1) cos(pi y) sin(pi z + 0.5)`` and ``f = -div(a grad u)`` for a smooth ``u``.

    ``u = sin(pi x) sin(2 pi y) sin(pi z)`` vanishes on every side; with
    ``neumann``, ``u = cos(pi x) sin(pi y) sin(2 pi z)`` has zero x-derivative
    at ``x = 0, 1`` (and vanishes on the other four sides).
    """
    X, Y, Z = coords((n, n, n))
    g = np.sin(2 * PI * X + 1), np.cos(PI * Y), np.sin(PI * Z + 0.5)
    a = 1 + 0.5 * g[0] * g[1] * g[2]
    grad_a = (
        PI * np.cos(2 * PI * X + 1) * g[1] * g[2],
        -0.5 * PI * g[0] * np.sin(PI * Y) * g[2],
        0.5 * PI * g[0] * g[1] * np.cos(PI * Z + 0.5),
    )
    if neumann:
        (sx, cx), (sy, cy), (sz, cz) = ((np.sin(k * PI * v), np.cos(k * PI * v)) for k, v in ((1, X), (1, Y), (2, Z)))
        u = cx * sy * sz
        grad_u = (-PI * sx * sy * sz, PI * cx * cy * sz, 2 * PI * cx * sy * cz)
        lap = -6 * PI**2 * u
    else:
        (sx, cx), (sy, cy), (sz, cz) = ((np.sin(k * PI * v), np.cos(k * PI * v)) for k, v in ((1, X), (2, Y), (1, Z)))
        u = sx * sy * sz
        grad_u = (PI * cx * sy * sz, 2 * PI * sx * cy * sz, PI * sx * sy * cz)
        lap = -6 * PI**2 * u
    f = -(a * lap + sum(da * du for da, du in zip(grad_a, grad_u)))
    return a, f, u, 1.0 / (n - 1)


def contrast10(shape: tuple[int, int, int]) -> np.ndarray:
    """A smooth coefficient between 1 and 10."""
    X, Y, Z = coords(shape)
    return 1 + 4.5 * (1 + np.sin(2 * PI * X) * np.sin(2 * PI * Y) * np.sin(2 * PI * Z))


@pytest.mark.parametrize("neumann", [(), ("x0", "x1")])
def test_second_order_against_manufactured_solution(neumann):
    # measured: 2.03, 2.00 (Dirichlet) and 2.01, 2.01 (Neumann x0, x1) on 9 -> 17 -> 33
    errors = []
    for n in (9, 17, 33):
        a, f, exact, h = manufactured(n, bool(neumann))
        u, info = darcy3d_multigrid(a, f, h, h, h, neumann=neumann, tol=1e-12)
        assert info.converged
        errors.append(np.abs(u - exact).max())
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all((orders >= 1.8) & (orders <= 2.2)), orders


def direct(a, f, hx, hy, hz, neumann):
    A, b, index = darcy3d_system(a, f, hx, hy, hz, neumann=neumann)
    u = np.zeros(a.shape)
    u[index >= 0] = spla.spsolve(A.tocsc(), b)[index[index >= 0]]
    return u


@pytest.mark.parametrize("neumann", [(), ("x0", "x1"), ("x0", "y1", "z0")])
def test_multigrid_matches_direct_solve(neumann):
    # uneven spacings and a non-cubic grid; the last case has Neumann edges and a corner
    shape, (hx, hy, hz) = (17, 17, 9), (1 / 16, 0.05, 0.1)
    a = contrast10(shape)
    f = np.random.default_rng(0).standard_normal(shape)
    u, info = darcy3d_multigrid(a, f, hx, hy, hz, neumann=neumann, tol=1e-12)
    assert info.converged and info.levels == 2
    ref = direct(a, f, hx, hy, hz, neumann)
    assert np.abs(u - ref).max() < 1e-8 * np.abs(ref).max()
    n = 17
    a, f = contrast10((n, n, n)), np.random.default_rng(1).standard_normal((n, n, n))
    u, info = darcy3d_multigrid(a, f, 1 / 16, 1 / 16, 1 / 16, neumann=neumann, tol=1e-12)
    assert info.converged and info.levels == 3
    ref = direct(a, f, 1 / 16, 1 / 16, 1 / 16, neumann)
    assert np.abs(u - ref).max() < 1e-8 * np.abs(ref).max()


def test_matrix_is_symmetric_with_volume_weighted_rows():
    n, h = 9, 0.125
    a = contrast10((n, n, n))
    A, index = darcy3d_matrix(a, h, h, h)
    assert A.shape == (7**3, 7**3) and np.array_equal(index[1:-1, 1:-1, 1:-1].ravel(), np.arange(7**3))
    assert np.all(index[0] == -1) and abs(A - A.T).max() == 0.0
    A, index = darcy3d_matrix(np.ones((n, n, n)), h, h, h, neumann=("x0", "y0", "z0"))
    assert abs(A - A.T).max() == 0.0 and A.shape[0] == 8**3
    # a = 1: rows of the constant sum to the flux into the Dirichlet sides only, and the
    # corner (eighth volume) row of a pure-interior constant has a zero sum
    row_sums = np.zeros((n, n, n))
    row_sums[index >= 0] = A @ np.ones(A.shape[0])
    assert abs(row_sums[0, 0, 0]) < 1e-12 and abs(row_sums[3, 0, 4]) < 1e-12
    # the corner row is the 7-point reflection scaled by 1/8: diagonal 3 * 2 / h^2 / 8
    assert np.isclose(A[index[0, 0, 0], index[0, 0, 0]], 6 / h**2 / 8)


def test_v22_convergence_factor(single_thread):
    # measured at 33^3 (f = 1, tol 1e-10): 0.055 Dirichlet, 0.045 Neumann x0/x1; W and F 0.027
    n = 33
    a, h = contrast10((n, n, n)), 1.0 / (n - 1)
    f = np.ones((n, n, n))
    for neumann in ((), ("x0", "x1")):
        _, info = darcy3d_multigrid(a, f, h, h, h, neumann=neumann, tol=1e-10)
        assert info.converged and info.convergence_factor < 0.08, (neumann, info.convergence_factor)
    u_v, _ = darcy3d_multigrid(a, f, h, h, h, tol=1e-11)
    u_w, info = darcy3d_multigrid(a, f, h, h, h, tol=1e-11, cycle="W")
    assert info.converged and info.convergence_factor < 0.05
    assert np.abs(u_w - u_v).max() < 1e-9 * np.abs(u_v).max()


def test_bad_input_raises():
    n, h = 9, 0.125
    a, f = np.ones((n, n, n)), np.ones((n, n, n))
    with pytest.raises(InvalidDataError, match="3D"):
        darcy3d_multigrid(a[0], f, h, h, h)
    with pytest.raises(InvalidDataError, match="f shape"):
        darcy3d_multigrid(a, f[:-1], h, h, h)
    with pytest.raises(InvalidDataError, match="positive"):
        darcy3d_multigrid(-a, f, h, h, h)
    bad = a.copy()
    bad[4, 4, 4] = np.nan
    with pytest.raises(InvalidDataError, match="NaN"):
        darcy3d_multigrid(bad, f, h, h, h)
    with pytest.raises(InvalidDataError, match="NaN"):
        darcy3d_multigrid(a, bad, h, h, h)
    with pytest.raises(InvalidDataError, match="NaN"):
        darcy3d_system(a, bad, h, h, h)
    # NaN on a Dirichlet side is never read; on a Neumann side it is
    edge = f.copy()
    edge[0, 4, 4] = np.nan
    u, info = darcy3d_multigrid(a, edge, h, h, h)
    assert info.converged and np.all(np.isfinite(u))
    with pytest.raises(InvalidDataError, match="NaN"):
        darcy3d_multigrid(a, edge, h, h, h, neumann=("x0",))
    with pytest.raises(InvalidParameterError, match="unknown side"):
        darcy3d_multigrid(a, f, h, h, h, neumann=("w0",))
    with pytest.raises(InvalidParameterError, match="unknown side"):
        darcy3d_matrix(a, h, h, h, neumann="x2")
    with pytest.raises(InvalidParameterError, match="pure Neumann"):
        darcy3d_multigrid(a, f, h, h, h, neumann=("x0", "x1", "y0", "y1", "z0", "z1"))
    with pytest.raises(InvalidParameterError, match="hz"):
        darcy3d_multigrid(a, f, h, h, 0.0)
    with pytest.raises(InvalidParameterError, match="cycle"):
        darcy3d_multigrid(a, f, h, h, h, cycle="X")
