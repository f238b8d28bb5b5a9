"""Matrix-free conjugate gradient: agreement with SciPy, the Poisson operator, preconditioners, errors."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from equations import InvalidDataError, InvalidParameterError
from solvers.fd import laplacian_matrix
from solvers.krylov import KrylovInfo, cg, poisson_operator, preconditioner
from solvers.multigrid import Hierarchy


def lshape_mask(n: int) -> np.ndarray:
    mask = np.ones((n, n), dtype=bool)
    mask[n // 2 :, n // 2 :] = False
    return mask


def spd_system(n: int = 25, seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray]:
    """A sparse SPD matrix (shifted L-shape Laplacian with a varying diagonal) and a right-hand side."""
    rng = np.random.default_rng(seed)
    a, index = laplacian_matrix(lshape_mask(n), 0.1, 0.13)
    a = (a + sp.diags(rng.uniform(0.0, 50.0, index.size))).tocsr()
    return a, rng.standard_normal(index.size)


def scipy_cg(a, b, **kw):
    count = []
    x, status = spla.cg(a, b, callback=lambda _: count.append(1), **kw)
    return x, status, len(count)


@pytest.mark.parametrize("kind", ["sparse", "dense", "operator"])
def test_agrees_with_scipy_cg(kind):
    a, b = spd_system()
    op = {"sparse": a, "dense": a.toarray(), "operator": spla.aslinearoperator(a)}[kind]
    x, info = cg(op, b, rtol=1e-10)
    x_ref, status, its = scipy_cg(a, b, rtol=1e-10, atol=0.0)
    assert status == 0 and info.converged
    assert isinstance(info, KrylovInfo)
    assert abs(info.iterations - its) <= 1
    assert np.linalg.norm(x - x_ref) <= 1e-8 * np.linalg.norm(x_ref)
    assert len(info.residual_history) == info.iterations + 1
    assert info.residual_history[-1] <= 1e-10 * np.linalg.norm(b)
    assert info.relative_residual == pytest.approx(info.residual_history[-1] / np.linalg.norm(b))
    # the recursive residual tracks the true one
    assert np.linalg.norm(b - a @ x) <= 1e-9 * np.linalg.norm(b)


def test_agrees_with_scipy_jacobi_pcg_and_x0_and_atol():
    a, b = spd_system(seed=3)
    d = a.diagonal()
    m = spla.LinearOperator(a.shape, matvec=lambda v: v.ravel() / d, dtype=np.float64)
    x0 = np.random.default_rng(4).standard_normal(b.size)
    x, info = cg(a, b, x0, rtol=0.0, atol=1e-7, M=m)
    x_ref, status, its = scipy_cg(a, b, x0=x0, rtol=0.0, atol=1e-7, M=m)
    assert status == 0 and info.converged
    assert abs(info.iterations - its) <= 1
    assert np.linalg.norm(x - x_ref) <= 1e-8 * np.linalg.norm(x_ref)
    assert info.residual_history[0] == pytest.approx(np.linalg.norm(b - a @ x0))
    assert info.residual_history[-1] <= 1e-7


def test_poisson_operator_matches_laplacian_matrix():
    n, hx, hy = 21, 0.1, 0.07
    mask = lshape_mask(n)
    a, index = laplacian_matrix(mask, hx, hy)
    op = poisson_operator(mask, hx, hy)
    assert op.shape == (n * n, n * n)
    rng = np.random.default_rng(2)
    off = np.ones(n * n, dtype=bool)
    off[index] = False
    for _ in range(3):
        v = rng.standard_normal(n * n)  # garbage off the unknowns must be ignored
        out = op.matvec(v)
        np.testing.assert_allclose(out[index], a @ v[index], rtol=1e-13, atol=1e-10)
        assert np.all(out[off] == 0.0)
        np.testing.assert_allclose(op.rmatvec(v), out)
    # positive definite on the unknowns, like -Laplacian
    w = np.zeros(n * n)
    w[index] = rng.standard_normal(index.size)
    assert w @ op.matvec(w) > 0


def test_multigrid_preconditioner_cuts_iterations(single_thread):
    n = 129
    h = 1.0 / (n - 1)
    mask = np.ones((n, n), dtype=bool)
    op = poisson_operator(mask, h, h)
    hier = Hierarchy(mask, h, h)
    b = np.where(hier.mask, 1.0, 0.0).ravel()
    _, plain = cg(op, b, rtol=1e-8)
    x, info = cg(op, b, rtol=1e-8, M=preconditioner(hier))
    assert plain.converged and plain.iterations > 100
    assert info.converged and info.iterations <= 15
    assert np.linalg.norm(b - op.matvec(x)) <= 1e-8 * np.linalg.norm(b)
    a, index = laplacian_matrix(mask, h, h)
    np.testing.assert_allclose(x[index], spla.spsolve(a.tocsc(), b[index]), rtol=1e-6, atol=1e-9)
    assert np.all(x[~hier.mask.ravel()] == 0.0)


def test_multigrid_preconditioner_on_lshape(single_thread):
    n = 65
    h = 2.0 / (n - 1)
    mask = lshape_mask(n)
    hier = Hierarchy(mask, h, h)
    op = poisson_operator(mask, h, h)
    b = np.where(hier.mask, 1.0, 0.0).ravel()
    x, info = cg(op, b, rtol=1e-10, M=preconditioner(hier))
    assert info.converged and info.iterations <= 15
    a, index = laplacian_matrix(mask, h, h)
    np.testing.assert_allclose(x[index], spla.spsolve(a.tocsc(), b[index]), rtol=1e-8, atol=1e-12)


def test_jacobi_operator_preconditioner_on_poisson():
    n, hx, hy = 33, 1.0 / 32, 1.0 / 64  # anisotropic spacing
    mask = lshape_mask(n)
    op = poisson_operator(mask, hx, hy)
    unknown = Hierarchy(mask, hx, hy).mask.ravel()
    inv_diag = np.where(unknown, 1.0 / (2 / hx**2 + 2 / hy**2), 0.0)
    m = spla.LinearOperator(op.shape, matvec=lambda v: inv_diag * v.ravel(), dtype=np.float64)
    b = np.where(unknown, np.random.default_rng(5).standard_normal(n * n), 0.0)
    x, info = cg(op, b, rtol=1e-9, M=m)
    _, _, its = scipy_cg(op, b, rtol=1e-9, atol=0.0, M=m)
    assert info.converged and abs(info.iterations - its) <= 1
    assert np.linalg.norm(b - op.matvec(x)) <= 1e-8 * np.linalg.norm(b)


def test_callback_once_per_iteration():
    a, b = spd_system(n=13)
    seen: list[np.ndarray] = []
    x, info = cg(a, b, callback=lambda xk: seen.append(xk.copy()))
    assert len(seen) == info.iterations > 0
    np.testing.assert_array_equal(seen[-1], x)


def test_not_spd_raises():
    a, b = spd_system(n=13)
    with pytest.raises(InvalidDataError, match="not symmetric positive definite"):
        cg(-a, b)
    indefinite = sp.diags(np.r_[np.ones(b.size - 1), -1.0])
    with pytest.raises(InvalidDataError, match="not symmetric positive definite"):
        cg(indefinite, np.ones(b.size))
    with pytest.raises(InvalidDataError, match="preconditioner"):
        cg(a, b, M=-sp.identity(b.size))


def test_bad_input_raises():
    a, b = spd_system(n=13)
    bad = b.copy()
    bad[3] = np.nan
    with pytest.raises(InvalidDataError, match="NaN"):
        cg(a, bad)
    bad[3] = np.inf
    with pytest.raises(InvalidDataError, match="NaN or Inf"):
        cg(a, bad)
    with pytest.raises(InvalidDataError, match=rf"\({b.size + 1},\)"):
        cg(a, np.ones(b.size + 1))
    with pytest.raises(InvalidDataError, match="shape"):
        cg(a, b, M=sp.identity(b.size + 2))
    with pytest.raises(InvalidDataError, match="shape"):
        cg(a, b, x0=np.zeros(b.size - 1))
    with pytest.raises(InvalidDataError, match="shape"):
        cg(a, np.ones((b.size, 2)))
    with pytest.raises(InvalidParameterError):
        cg(a, b, rtol=-1.0)
    with pytest.raises(InvalidParameterError):
        cg(a, b, maxiter=-1)


def test_maxiter_warns_and_reports_unconverged():
    a, b = spd_system()
    with pytest.warns(RuntimeWarning, match="maxiter=3"):
        x, info = cg(a, b, maxiter=3)
    assert not info.converged and info.iterations == 3 and len(info.residual_history) == 4
    assert info.relative_residual > 1e-8 and np.all(np.isfinite(x))


def test_zero_rhs_and_converged_x0():
    a, b = spd_system(n=13)
    x, info = cg(a, np.zeros(b.size))
    assert info.converged and info.iterations == 0 and not x.any()
    exact = spla.spsolve(a.tocsc(), b)
    x, info = cg(a, b, x0=exact, rtol=1e-6)
    assert info.converged and info.iterations == 0
    np.testing.assert_array_equal(x, exact)
