"""Seeded Gaussian random fields: covariance and spectrum against their targets, seeds, parameter checks.

Statistical tolerances: with ``M`` samples, a sample variance of a Gaussian
coefficient has relative standard deviation ``sqrt(2 / M)`` (real) or
``1 / sqrt(M)`` (complex); the bounds below are 6 of those, safe for the
maximum over every mode tested (the seeds are fixed, so the tests are exact
repeats anyway).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import fft

from equations.errors import InvalidParameterError
from equations.random_fields import (
    neumann_coefficients,
    rbf_grf_1d,
    rbf_kernel,
    spectral_eigenvalues,
    spectral_grf,
)

M = 4000
TOL = 6 * math.sqrt(2 / M)


def test_rbf_covariance_matches_the_kernel() -> None:
    x = np.linspace(0.0, 1.0, 40)
    u = rbf_grf_1d(x, M, 0.2, np.random.default_rng(1), variance=2.0)
    assert u.shape == (M, 40) and u.dtype == np.float64
    cov = u.T @ u / M  # zero mean known
    target = rbf_kernel(x, 0.2, 2.0)
    # entry (i, j) has standard deviation sqrt((K_ii K_jj + K_ij^2) / M) <= 2 sqrt(2 / M)
    assert np.max(np.abs(cov - target)) < 6 * 2.0 * math.sqrt(2 / M)
    assert np.allclose(np.diag(cov), 2.0, rtol=TOL)


@pytest.mark.parametrize("shape", [(64,), (16, 12)])
def test_periodic_spectrum_matches_the_eigenvalues(shape: tuple[int, ...]) -> None:
    length = 2.0
    u = spectral_grf(shape, M, 3, alpha=2.0, tau=5.0, sigma=25.0, length=length)
    assert u.shape == (M, *shape)
    axes = tuple(range(1, len(shape) + 1))
    power = np.mean(np.abs(fft.rfftn(u, axes=axes)) ** 2, axis=0)
    points = math.prod(shape)
    estimate = power * length ** len(shape) / points**2
    lam = spectral_eigenvalues(shape, alpha=2.0, tau=5.0, sigma=25.0, length=length)
    assert estimate.flat[0] < 1e-20 and lam.flat[0] == 0.0  # mean zero
    nonzero = lam > 0
    assert np.max(np.abs(estimate[nonzero] / lam[nonzero] - 1)) < TOL
    # pointwise variance = sum of lambda_k |phi_k|^2 over the full (two-sided) spectrum
    full = np.concatenate([lam, lam[..., 1:(shape[-1] + 1) // 2][..., ::-1]], axis=-1)
    assert abs(u.var(axis=0).mean() / (full.sum() / length ** len(shape)) - 1) < TOL


@pytest.mark.parametrize("shape", [(33,), (17, 9)])
def test_neumann_coefficients_have_the_eigenvalues_as_variances(shape: tuple[int, ...]) -> None:
    u = spectral_grf(shape, M, 4, alpha=2.0, tau=3.0, sigma=3.0, boundary="neumann", mean_zero=False)
    assert u.shape == (M, *shape)
    coeff = neumann_coefficients(u)
    lam = spectral_eigenvalues(shape, alpha=2.0, tau=3.0, sigma=3.0, boundary="neumann", mean_zero=False)
    assert np.max(np.abs(coeff.var(axis=0) / lam - 1)) < TOL
    mean_zero = spectral_grf(shape, 3, 4, boundary="neumann")
    assert np.allclose(neumann_coefficients(mean_zero)[(slice(None),) + (0,) * len(shape)], 0.0, atol=1e-14)


def test_seeds_reproduce_exactly() -> None:
    x = np.linspace(0.0, 1.0, 50)
    assert np.array_equal(rbf_grf_1d(x, 3, 0.2, 7), rbf_grf_1d(x, 3, 0.2, np.random.default_rng(7)))
    assert not np.array_equal(rbf_grf_1d(x, 3, 0.2, 7), rbf_grf_1d(x, 3, 0.2, 8))
    for boundary in ("periodic", "neumann"):
        a = spectral_grf((8, 8), 2, 5, boundary=boundary)
        assert np.array_equal(a, spectral_grf((8, 8), 2, np.random.default_rng(5), boundary=boundary))


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: rbf_grf_1d(np.linspace(0, 1, 5), 1, 0.0, 0), "length_scale"),
        (lambda: rbf_grf_1d(np.linspace(0, 1, 5), 1, 0.2, 0, variance=-1.0), "variance"),
        (lambda: rbf_grf_1d(np.linspace(0, 1, 5), 0, 0.2, 0), "n"),
        (lambda: rbf_grf_1d(np.linspace(0, 1, 5), 1, 0.2, "seed"), "rng"),  # type: ignore[arg-type]
        (lambda: spectral_grf(8, 1, 0, alpha=0.0), "alpha"),
        (lambda: spectral_grf(8, 1, 0, tau=-1.0), "tau"),
        (lambda: spectral_grf(8, 1, 0, tau=0.0, mean_zero=False), "tau"),
        (lambda: spectral_grf(8, 1, 0, sigma=float("nan")), "sigma"),
        (lambda: spectral_grf(8, 1, 0, boundary="dirichlet"), "boundary"),
        (lambda: spectral_grf((4, 4, 4), 1, 0), "shape"),
        (lambda: spectral_grf(1, 1, 0), "shape"),
    ],
)
def test_bad_parameters_raise_with_the_name(call, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidParameterError, match=name):
        call()
