r"""Seeded Gaussian random fields: the input distributions of the operator-learning families.

Two samplers, both returning ``float64`` arrays with the sample axis first:

- :func:`rbf_grf_1d`: a zero-mean field with the squared-exponential (RBF)
  kernel ``k(x, y) = variance * exp(-|x - y|^2 / (2 l^2))`` at arbitrary
  points, from an eigen-decomposition of the kernel matrix (the DeepONet
  inputs, length scale 0.2);
- :func:`spectral_grf`: the field ``N(0, sigma^2 (-Delta + tau^2 I)^(-alpha))``
  on ``[0, length]^d`` (``d = 1, 2``) by its Karhunen--Loeve expansion,
  with periodic (FFT) or homogeneous Neumann (DCT-I) boundary conditions,
  truncated to the modes the grid resolves (the FNO inputs: Darcy
  ``alpha = 2, tau = 3``; Burgers ``625 (-Delta + 25 I)^(-2)``).

With ``lambda_k = sigma^2 (mu_k + tau^2)^(-alpha)``, ``mu_k`` the eigenvalues
of ``-Delta`` and ``phi_k`` its L2-orthonormal eigenfunctions, a sample is
``u = sum_k sqrt(lambda_k) xi_k phi_k`` with independent standard normal ``xi_k``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import fft

from equations.errors import InvalidDataError, InvalidParameterError, check_choice, check_integer

BOUNDARIES = ("periodic", "neumann")

RngLike = np.random.Generator | int | np.integer


def as_generator(rng: RngLike) -> np.random.Generator:
    """``rng`` itself, or a fresh :class:`numpy.random.Generator` seeded with the integer ``rng``."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise InvalidParameterError(f"rng must be a numpy Generator or a non-negative integer seed, got {rng!r}")


def _positive(name: str, value: object, *, allow_zero: bool = False) -> float:
    ok = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
    if ok and math.isfinite(float(value)) and (float(value) > 0 or (allow_zero and float(value) == 0)):  # type: ignore[arg-type]
        return float(value)  # type: ignore[arg-type]
    bound = ">= 0" if allow_zero else "> 0"
    raise InvalidParameterError(f"{name} must be a finite number {bound}, got {value!r}")


@lru_cache(maxsize=8)
def _rbf_factor(x_bytes: bytes, length_scale: float) -> np.ndarray:
    """``F`` with ``F F^T = K`` (kernel matrix of unit variance), by ``eigh``.

    Cholesky fails on the RBF kernel (its eigenvalues fall below rounding
    within a few dozen modes); clipping the negative rounding-level
    eigenvalues of ``eigh`` instead gives a factor exact to rounding.
    """
    x = np.frombuffer(x_bytes, dtype=np.float64)
    kernel = np.exp(-0.5 * ((x[:, None] - x[None, :]) / length_scale) ** 2)
    lam, vec = np.linalg.eigh(kernel)
    factor = vec * np.sqrt(np.clip(lam, 0.0, None))
    factor.setflags(write=False)
    return factor


def rbf_kernel(x: np.ndarray, length_scale: float, variance: float = 1.0) -> np.ndarray:
    """The covariance matrix ``variance * exp(-(x_i - x_j)^2 / (2 length_scale^2))``."""
    x = np.asarray(x, dtype=np.float64)
    return variance * np.exp(-0.5 * ((x[:, None] - x[None, :]) / length_scale) ** 2)


def rbf_grf_1d(
    x: np.ndarray, n: int, length_scale: float, rng: RngLike, variance: float = 1.0
) -> np.ndarray:
    """Zero-mean Gaussian random field with the RBF kernel, sampled at the points ``x``.

    Parameters
    ----------
    x : numpy.ndarray
        1D array of finite points (any order).
    n : int
        Number of samples, >= 1.
    length_scale : float
        Kernel length scale ``l``, > 0.
    rng : numpy.random.Generator or int
        Source of randomness (an integer is a seed).
    variance : float
        Pointwise variance, > 0.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, len(x))``; the covariance of each row is :func:`rbf_kernel`.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size < 1 or not np.all(np.isfinite(x)):
        raise InvalidDataError(f"rbf_grf_1d: x must be a non-empty finite 1D array, got shape {x.shape}")
    n = check_integer("n", n, 1)
    length_scale = _positive("length_scale", length_scale)
    variance = _positive("variance", variance)
    gen = as_generator(rng)
    factor = _rbf_factor(x.tobytes(), length_scale)
    xi = gen.standard_normal((n, x.size))
    return math.sqrt(variance) * (xi @ factor.T)


def spectral_eigenvalues(
    shape: tuple[int, ...],
    *,
    alpha: float,
    tau: float,
    sigma: float = 1.0,
    boundary: str = "periodic",
    length: float = 1.0,
    mean_zero: bool = True,
) -> np.ndarray:
    """``lambda_k = sigma^2 (mu_k + tau^2)^(-alpha)`` of every mode the grid ``shape`` resolves.

    Periodic: modes in :func:`scipy.fft.rfftn` layout, ``mu_k = (2 pi |k| / length)^2``
    (integer ``k``, negative along all but the last axis). Neumann: modes
    ``k = 0 .. N - 1`` per axis in DCT-I layout, ``mu_k = (pi |k| / length)^2``.
    With ``mean_zero`` the constant mode has ``lambda_0 = 0``.
    """
    if boundary == "periodic":
        axes = [np.fft.fftfreq(m, d=1.0 / m) for m in shape[:-1]] + [np.arange(shape[-1] // 2 + 1.0)]
        scale = 2 * math.pi / length
    else:
        axes = [np.arange(float(m)) for m in shape]
        scale = math.pi / length
    grids = np.meshgrid(*axes, indexing="ij")
    mu = sum((scale * g) ** 2 for g in grids)
    lam = sigma**2 * (mu + tau**2) ** (-alpha)
    if mean_zero:
        lam[(0,) * len(shape)] = 0.0
    return np.asarray(lam, dtype=np.float64)


def _neumann_weights(m: int, length: float) -> np.ndarray:
    """``phi_k(x_j) = w_k cos(pi k j / (m - 1))`` on the vertex grid, and DCT-I weights its middle terms by 2."""
    w = np.full(m, math.sqrt(2.0 / length))
    w[0] = math.sqrt(1.0 / length)
    return w


def spectral_grf(
    shape: int | tuple[int, ...],
    n: int,
    rng: RngLike,
    *,
    alpha: float = 2.0,
    tau: float = 3.0,
    sigma: float = 1.0,
    boundary: str = "periodic",
    length: float = 1.0,
    mean_zero: bool = True,
) -> np.ndarray:
    """Samples of ``N(0, sigma^2 (-Delta + tau^2 I)^(-alpha))`` on a uniform 1D or 2D grid.

    Parameters
    ----------
    shape : int or tuple of int
        Grid points per axis (1 or 2 axes). Periodic: ``x_j = j * length / N``
        (``j = 0 .. N - 1``, at least 2 points); Neumann: the vertex grid
        ``x_j = j * length / (N - 1)`` with both ends (at least 2 points).
    n : int
        Number of samples, >= 1.
    rng : numpy.random.Generator or int
        Source of randomness (an integer is a seed).
    alpha : float
        Smoothness exponent, > 0 (``alpha > d / 2`` for a field with finite
        pointwise variance in the continuum limit).
    tau : float
        Inverse length scale, >= 0 (> 0 unless ``mean_zero``).
    sigma : float
        Amplitude, > 0.
    boundary : {"periodic", "neumann"}
        Periodic (FFT) or zero-flux (cosine series, DCT-I) eigenfunctions.
    length : float
        Side of the box ``[0, length]^d``, > 0.
    mean_zero : bool
        Drop the constant mode (the FNO convention), so every sample has zero mean.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, *shape)``, float64.
    """
    dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if len(dims) not in (1, 2):
        raise InvalidParameterError(f"shape must have 1 or 2 axes, got {shape!r}")
    dims = tuple(check_integer("shape", m, 2) for m in dims)
    n = check_integer("n", n, 1)
    alpha = _positive("alpha", alpha)
    tau = _positive("tau", tau, allow_zero=bool(mean_zero))
    sigma = _positive("sigma", sigma)
    length = _positive("length", length)
    boundary = check_choice("boundary", boundary, BOUNDARIES)
    gen = as_generator(rng)
    lam = spectral_eigenvalues(dims, alpha=alpha, tau=tau, sigma=sigma, boundary=boundary,
                               length=length, mean_zero=mean_zero)
    axes = tuple(range(1, len(dims) + 1))
    if boundary == "periodic":
        # filtered white noise: E|rfft(w)_k|^2 = N^d, so this scale gives u the covariance
        # sum_k lambda_k phi_k(x) phi_k(y) with phi_k = length^(-d/2) exp(2 pi i k x / length)
        points = math.prod(dims)
        scale = np.sqrt(lam * points / length ** len(dims))
        noise = gen.standard_normal((n, *dims))
        return np.asarray(fft.irfftn(fft.rfftn(noise, axes=axes) * scale, s=dims, axes=axes), dtype=np.float64)
    coeff = gen.standard_normal((n, *dims)) * np.sqrt(lam)
    for axis, m in zip(axes, dims):
        w = _neumann_weights(m, length)
        w[1:-1] /= 2.0  # DCT-I counts the middle terms twice
        coeff = coeff * w.reshape([-1 if a == axis else 1 for a in range(coeff.ndim)])
        coeff = fft.dct(coeff, type=1, axis=axis)
    return np.asarray(coeff, dtype=np.float64)


def neumann_coefficients(u: np.ndarray, length: float = 1.0) -> np.ndarray:
    """The KL coefficients ``sqrt(lambda_k) xi_k`` of Neumann samples (inverse of :func:`spectral_grf`).

    ``u`` has shape ``(n, *shape)``; the result has the same shape.
    """
    coeff = np.asarray(u, dtype=np.float64)
    for axis in range(1, coeff.ndim):
        m = coeff.shape[axis]
        w = _neumann_weights(m, length)
        w[1:-1] /= 2.0
        coeff = fft.idct(coeff, type=1, axis=axis) / w.reshape([-1 if a == axis else 1 for a in range(coeff.ndim)])
    return coeff
