"""Darcy multigrid with Galerkin coarse operators, Neumann sides and solid obstacles."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy import ndimage

from equations import Darcy, InvalidDataError, InvalidParameterError
from solvers import darcy_matrix, darcy_multigrid, darcy_system
from solvers.darcy import discretize, galerkin_hierarchy, neumann_sides
from solvers.multigrid.galerkin import stencil_matrix

ALL = ("x0", "x1", "y0", "y1")


def grid(n: int) -> tuple[np.ndarray, np.ndarray, float]:
    x = np.linspace(0.0, 1.0, n)
    X, Y = np.meshgrid(x, x, indexing="ij")
    return X, Y, 1.0 / (n - 1)


def manufactured(n: int, pure: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """``u = cos(pi x) sin(pi y)`` (zero x-flux at x = 0, 1) or ``cos(pi x) cos(pi y)`` (zero flux everywhere)."""
    X, Y, h = grid(n)
    eq = Darcy(contrast=10.0)
    c = {"x": X, "y": Y}
    a, (ax, ay) = eq.coefficient(c), eq.coefficient_gradient(c)
    pi = math.pi
    cy, dy = (np.cos(pi * Y), -pi * np.sin(pi * Y)) if pure else (np.sin(pi * Y), pi * np.cos(pi * Y))
    u = np.cos(pi * X) * cy
    f = -(a * (-2 * pi**2 * u) + ax * (-pi * np.sin(pi * X) * cy) + ay * np.cos(pi * X) * dy)
    return a, f, u, h


def volume_mean(v: np.ndarray) -> float:
    w = np.ones(v.shape[0])
    w[0] = w[-1] = 0.5
    weights = np.outer(w, w)
    return float(np.sum(weights * v) / np.sum(weights))


def direct(a, f, h, neumann=(), solid=None):
    """Sparse direct solve of darcy_system; pure Neumann through the bordered system, then mean zero."""
    A, b, index = darcy_system(a, f, h, h, neumann=neumann, solid=solid)
    n = A.shape[0]
    if set(neumann) == set(ALL):
        w = np.ones(a.shape[0])
        w[0] = w[-1] = 0.5
        vol = np.outer(w, w)[index >= 0]
        b = b - vol * b.sum() / vol.sum()
        one = sp.csc_matrix(np.ones((n, 1)))
        x = spla.spsolve(sp.bmat([[A, one], [one.T, None]], format="csc"), np.append(b, 0.0))[:n]
        x -= np.sum(vol * x) / vol.sum()
    else:
        x = spla.spsolve(A.tocsc(), b)
    u = np.zeros(a.shape)
    u[index >= 0] = x[index[index >= 0]]
    return u


def prolongation(mf: np.ndarray, mc: np.ndarray) -> sp.csr_matrix:
    """Bilinear ``P`` from the coarse to the fine unknowns, built point by point."""
    fnum = np.full(mf.shape, -1)
    fnum[mf] = np.arange(mf.sum())
    cnum = np.full(mc.shape, -1)
    cnum[mc] = np.arange(mc.sum())
    rows, cols, vals = [], [], []
    for ic, jc in zip(*np.nonzero(mc)):
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                i, j = 2 * ic + di, 2 * jc + dj
                if 0 <= i < mf.shape[0] and 0 <= j < mf.shape[1] and fnum[i, j] >= 0:
                    rows.append(fnum[i, j])
                    cols.append(cnum[ic, jc])
                    vals.append((1 - abs(di) / 2) * (1 - abs(dj) / 2))
    return sp.csr_matrix((vals, (rows, cols)), shape=(mf.sum(), mc.sum()))


def disk(n: int, radius: float = 0.2) -> np.ndarray:
    X, Y, _ = grid(n)
    return (X - 0.5) ** 2 + (Y - 0.45) ** 2 < radius**2


@pytest.mark.parametrize(
    "n, neumann, with_solid", [(9, (), False), (17, ("x0", "y1"), True), (17, ALL, False), (17, ALL, True)]
)
def test_galerkin_stencil_equals_sparse_triple_product(n, neumann, with_solid):
    rng = np.random.default_rng(1)
    a = rng.uniform(1.0, 10.0, (n, n))
    solid = disk(n, 0.25) if with_solid else None
    h = galerkin_hierarchy(discretize(a, 1 / (n - 1), 1 / (n - 1), neumann_sides(neumann), solid))
    assert len(h.levels) >= 2
    fine_matrix = stencil_matrix(h.levels[0].s, h.levels[0].mask)
    assert abs(fine_matrix - darcy_matrix(a, 1 / (n - 1), 1 / (n - 1), neumann=neumann, solid=solid)).max() == 0
    for fine, coarse in zip(h.levels[:-1], h.levels[1:]):
        A = stencil_matrix(fine.s, fine.mask)
        Ac = stencil_matrix(coarse.s, coarse.mask)
        P = prolongation(fine.mask[1:-1, 1:-1].astype(bool), coarse.mask[1:-1, 1:-1].astype(bool))
        R = 0.25 * P.T  # full weighting
        ref = R @ A @ P
        assert abs(Ac - ref).max() <= 1e-12 * abs(ref).max()
        assert abs(Ac - Ac.T).max() == 0.0


def test_second_order_with_neumann_on_two_sides(single_thread):
    errors = []
    for n in (33, 65, 129):
        a, f, u_exact, h = manufactured(n, pure=False)
        u, info = darcy_multigrid(a, f, h, h, neumann=("x0", "x1"))
        # measured: 0.106, 0.107, 0.108
        assert info.converged and info.convergence_factor < 0.13
        errors.append(np.abs(u - u_exact).max())
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all((orders >= 1.8) & (orders <= 2.2)), orders  # measured 1.98, 2.00


def test_pure_neumann_mean_zero_second_order_and_direct(single_thread):
    errors = []
    for n in (33, 65, 129):
        a, f, u_exact, h = manufactured(n, pure=True)
        u, info = darcy_multigrid(a, f, h, h, neumann=ALL)
        assert info.converged and info.convergence_factor < 0.16  # measured 0.129, 0.133, 0.134
        assert abs(volume_mean(u)) < 1e-12
        errors.append(np.abs(u - (u_exact - volume_mean(u_exact))).max())
        if n == 65:
            ref = direct(a, f, h, ALL)
            assert np.abs(u - ref).max() < 1e-8 * np.abs(ref).max()
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all((orders >= 1.8) & (orders <= 2.2)), orders


@pytest.mark.parametrize("neumann, bound", [((), 0.15), (("y0", "y1"), 0.17), (ALL, 0.3)])
def test_solid_obstacle_matches_direct_solve(single_thread, neumann, bound):
    # measured factors at 129^2: 0.121 (Dirichlet box), 0.141 (Neumann y sides), 0.26 (pure Neumann)
    n = 129
    X, Y, h = grid(n)
    a = Darcy(contrast=10.0).coefficient({"x": X, "y": Y})
    f = np.cos(math.pi * X) if neumann == ALL else np.ones((n, n))
    solid = disk(n)
    u, info = darcy_multigrid(a, f, h, h, neumann=neumann, solid=solid)
    assert info.converged and info.convergence_factor < bound, info.convergence_factor
    assert np.all(u[solid] == 0.0)
    ref = direct(a, f, h, neumann, solid)
    assert np.abs(u - ref).max() < 1e-8 * np.abs(ref).max()


def thresholded(n: int, low: float, seed: int = 0) -> np.ndarray:
    """FNO-style piecewise constant coefficient: 12 where a smoothed white noise is positive, ``low`` elsewhere."""
    g = ndimage.gaussian_filter(np.random.default_rng(seed).standard_normal((n, n)), sigma=n / 32, mode="wrap")
    return np.where(g > 0, 12.0, low)


def test_galerkin_versus_rediscretized_on_jumps(single_thread):
    # measured (jumps 12 / 3): rediscretized 0.291 (129^2), 0.310 (257^2); Galerkin 0.289, 0.316
    for n in (129, 257):
        a, h = thresholded(n, 3.0), 1.0 / (n - 1)
        f = np.ones((n, n))
        _, gal = darcy_multigrid(a, f, h, h)
        _, red = darcy_multigrid(a, f, h, h, coarse="rediscretize")
        assert gal.converged and red.converged
        assert gal.convergence_factor < 0.35, gal.convergence_factor
        assert red.convergence_factor < 0.35, red.convergence_factor
    # jumps 12 / 0.12 at 129^2: rediscretization diverges (factor 7.7), Galerkin converges (0.86)
    a = thresholded(129, 0.12)
    f = np.ones(a.shape)
    _, gal = darcy_multigrid(a, f, 1 / 128, 1 / 128, max_cycles=200)
    assert gal.converged and gal.convergence_factor < 0.9
    with pytest.warns(RuntimeWarning, match="stopped"):
        _, red = darcy_multigrid(a, f, 1 / 128, 1 / 128, coarse="rediscretize", max_cycles=5)
    assert red.residuals[-1] > 1.0


def test_w_and_f_cycles():
    a, f, _, h = manufactured(33, pure=False)
    for neumann, coarse in (((), "rediscretize"), (("x0", "x1"), "galerkin")):
        ref, _ = darcy_multigrid(a, f, h, h, neumann=neumann, coarse=coarse)
        for cycle in ("W", "F"):
            u, info = darcy_multigrid(a, f, h, h, neumann=neumann, cycle=cycle, coarse=coarse)
            assert info.converged and np.abs(u - ref).max() < 1e-8
    _, info = darcy_multigrid(a, np.zeros_like(f), h, h, cycle="W")
    assert info.cycles == 0


def test_bad_input_raises_toolkit_errors():
    a, f, _, h = manufactured(17, pure=True)
    with pytest.raises(InvalidDataError, match="incompatible"):
        darcy_multigrid(a, np.ones_like(f), h, h, neumann=ALL)
    with pytest.raises(InvalidParameterError, match="unknown side 'left'"):
        darcy_multigrid(a, f, h, h, neumann=("x0", "left"))
    with pytest.raises(InvalidDataError, match="solid mask shape"):
        darcy_multigrid(a, f, h, h, solid=np.zeros((16, 17), dtype=bool))
    with pytest.raises(InvalidDataError, match="boolean"):
        darcy_multigrid(a, f, h, h, solid=np.full(a.shape, 0.5))
    g = f.copy()
    g[0, 5] = math.nan  # on a Neumann side: an unknown
    with pytest.raises(InvalidDataError, match="NaN"):
        darcy_multigrid(a, g, h, h, neumann=("x0",))
    darcy_multigrid(a, g, h, h)  # on a Dirichlet side it is ignored
    with pytest.raises(InvalidParameterError, match="coarse"):
        darcy_multigrid(a, f, h, h, coarse="algebraic")
    with pytest.raises(InvalidParameterError, match="rediscretize"):
        darcy_multigrid(a, f, h, h, coarse="rediscretize", neumann=("x0",))
    with pytest.raises(InvalidParameterError, match="cycle"):
        darcy_multigrid(a, f, h, h, cycle="X")
    ring = np.zeros(a.shape, dtype=bool)
    ring[4:13, 4] = ring[4:13, 12] = ring[4, 4:13] = ring[12, 4:13] = True
    with pytest.raises(InvalidDataError, match="enclosed"):
        darcy_multigrid(a, f, h, h, solid=ring)
    with pytest.raises(InvalidDataError, match="no unknowns"):
        darcy_multigrid(a, f, h, h, solid=np.ones(a.shape, dtype=bool))
