r"""Fourier pseudo-spectral ETDRK4 for 1D periodic problems ``u_t = L u + N(u)``.

The linear part ``L`` is diagonal in Fourier space and integrated exactly;
the nonlinear part by the fourth-order exponential Runge--Kutta scheme of Cox
and Matthews, with the ``phi``-function coefficients evaluated by contour
integrals as proposed by Kassam and Trefethen (2005), which avoids the
cancellation of the direct formulas when ``h L`` is small.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy import fft

from equations.burgers import Burgers
from equations.errors import InvalidDataError, InvalidParameterError, SpecMismatchError
from solvers.registry import SolverOutput, register

Nonlinear = Callable[[np.ndarray], np.ndarray]


class ETDRK4:
    """Coefficients of one ETDRK4 step of size ``dt`` for the diagonal operator ``linear``.

    Parameters
    ----------
    linear : numpy.ndarray
        Diagonal of ``L`` in Fourier space (real or complex).
    dt : float
        Step size.
    contour_points : int
        Points on the circle of radius 1 around each ``dt * L`` (Kassam--Trefethen use 32).
    """

    def __init__(self, linear: np.ndarray, dt: float, contour_points: int = 32):
        if not (math.isfinite(dt) and dt > 0):
            raise InvalidParameterError(f"ETDRK4: dt must be a positive finite number, got {dt!r}")
        lin = np.asarray(linear)
        self.dt = float(dt)
        hl = self.dt * lin
        self.e = np.exp(hl)
        self.e2 = np.exp(hl / 2)
        real = not np.iscomplexobj(lin)
        # for real L the integrals are real: the upper half circle suffices
        # (Kassam--Trefethen); complex L needs the full circle at the same density
        count = contour_points if real else 2 * contour_points
        roots = np.exp(1j * math.pi * (np.arange(count) + 0.5) / contour_points)
        lr = hl[:, None] + roots[None, :]
        elr = np.exp(lr)

        def mean(values: np.ndarray) -> np.ndarray:
            avg = values.mean(axis=1)
            return self.dt * (avg.real if real else avg)

        self.q = mean((np.exp(lr / 2) - 1) / lr)
        self.f1 = mean((-4 - lr + elr * (4 - 3 * lr + lr**2)) / lr**3)
        self.f2 = mean((2 + lr + elr * (-2 + lr)) / lr**3)
        self.f3 = mean((-4 - 3 * lr - lr**2 + elr * (4 - lr)) / lr**3)

    def step(self, v: np.ndarray, nonlinear: Nonlinear) -> np.ndarray:
        """Advance the Fourier coefficients ``v`` by one step."""
        nv = nonlinear(v)
        a = self.e2 * v + self.q * nv
        na = nonlinear(a)
        b = self.e2 * v + self.q * na
        nb = nonlinear(b)
        c = self.e2 * a + self.q * (2 * nb - nv)
        nc = nonlinear(c)
        return self.e * v + self.f1 * nv + 2 * self.f2 * (na + nb) + self.f3 * nc


def integrate(
    v0: np.ndarray, times: ArrayLike, linear: np.ndarray, nonlinear: Nonlinear, max_dt: float
) -> list[np.ndarray]:
    """Fourier coefficients at each of ``times`` (increasing, from ``times[0]`` = start).

    Each interval between output times is split into equal steps no longer than
    ``max_dt``, so outputs fall exactly on the requested times; coefficients are
    reused while the step size does not change.
    """
    t = np.asarray(times, dtype=np.float64)
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(np.diff(t) < 0):
        raise InvalidDataError("times must be a non-empty, finite, non-decreasing 1D sequence")
    if not (math.isfinite(max_dt) and max_dt > 0):
        raise InvalidParameterError(f"max_dt must be a positive finite number, got {max_dt!r}")
    out = [v0.copy()]
    v = v0.copy()
    scheme: ETDRK4 | None = None
    for span in np.diff(t):
        if span > 0:
            steps = max(1, math.ceil(span / max_dt * (1 - 1e-12)))
            dt = span / steps
            if scheme is None or abs(scheme.dt - dt) > 1e-13 * dt:
                scheme = ETDRK4(linear, dt)
            for _ in range(steps):
                v = scheme.step(v, nonlinear)
        out.append(v.copy())
    return out


def wavenumbers(n: int, length: float) -> np.ndarray:
    """Angular wavenumbers of ``scipy.fft.rfft`` on ``n`` points of a period ``length``."""
    return 2 * math.pi / length * np.arange(n // 2 + 1, dtype=np.float64)


def burgers_periodic(
    u0: np.ndarray,
    nu: float,
    times: ArrayLike,
    *,
    length: float = 2.0,
    max_dt: float = 1e-3,
    dealias: bool = True,
) -> np.ndarray:
    """Viscous Burgers ``u_t + (u^2 / 2)_x = nu u_xx`` with periodic data, by ETDRK4.

    Parameters
    ----------
    u0 : numpy.ndarray
        Initial values on the ``n`` points ``x_j = x_0 + j * length / n`` (even ``n``).
    nu : float
        Viscosity, > 0.
    times : sequence of float
        Output times, non-decreasing, starting at the time of ``u0``.
    length : float
        Period (2 for ``[-1, 1]``).
    max_dt : float
        Largest time step.
    dealias : bool
        Apply the 2/3 rule to the quadratic term (and the initial data).

    Returns
    -------
    numpy.ndarray
        ``u`` with shape ``(n, len(times))``.
    """
    u0 = np.asarray(u0, dtype=np.float64)
    if u0.ndim != 1 or u0.size < 4 or u0.size % 2:
        raise InvalidDataError(f"u0 must be 1D with an even number (>= 4) of points, got shape {u0.shape}")
    if not np.all(np.isfinite(u0)):
        raise InvalidDataError("u0 contains NaN or Inf")
    if not (isinstance(nu, (int, float)) and math.isfinite(nu) and nu > 0):
        raise InvalidParameterError(f"burgers_periodic: nu must be a positive finite number, got {nu!r}")
    if not (math.isfinite(length) and length > 0):
        raise InvalidParameterError(f"burgers_periodic: length must be positive, got {length!r}")
    n = u0.size
    k = wavenumbers(n, length)
    ik = 1j * k
    ik[-1] = 0.0  # the Nyquist mode of an odd derivative is set to zero for real data
    keep = np.ones(k.size) if not dealias else (np.arange(k.size) <= n // 3).astype(np.float64)
    coef = -0.5 * ik * keep

    def nonlinear(v: np.ndarray) -> np.ndarray:
        u = fft.irfft(v, n)
        return coef * fft.rfft(u * u)

    v0 = fft.rfft(u0) * keep
    states = integrate(v0, times, -nu * k**2, nonlinear, max_dt)
    return np.stack([fft.irfft(v, n) for v in states], axis=1)


@register(Burgers, "spectral", reads=("initial_value",))
def solve_spectral(
    equation: Burgers,
    axes: dict[str, np.ndarray],
    *,
    modes: int = 4096,
    max_dt: float = 5e-4,
    dealias: bool = True,
) -> SolverOutput:
    """Registered solver: ETDRK4 for the Burgers spec, treated as 2-periodic.

    Valid because ``-sin(pi x)`` is odd and 2-periodic, so the periodic solution
    stays odd and vanishes at ``x = +-1``. The periodic grid uses at least
    ``modes`` points and contains every requested ``x``. The defaults agree
    with Cole--Hopf to about 1e-9 at ``nu = 0.01 / pi``.
    """
    x, t = axes["x"], axes["t"]
    if isinstance(modes, bool) or not isinstance(modes, (int, np.integer)) or modes < 4:
        raise InvalidParameterError(f"spectral: modes must be an integer >= 4, got {modes!r}")
    cells = x.size - 1
    factor = max(1, math.ceil(modes / cells))
    factor += (cells * factor) % 2  # an even number of points
    n = cells * factor
    grid = -1.0 + 2.0 * np.arange(n) / n
    u0 = np.asarray(equation.initial_value({"x": grid}), dtype=np.float64)
    # the periodic solution is the Dirichlet one only for odd data (u0(-x) = -u0(x), so u0(+-1) = 0)
    odd = u0 + u0[(-np.arange(n)) % n]
    if np.abs(odd).max() > 1e-12 * max(1.0, float(np.abs(u0).max())):
        raise SpecMismatchError(
            f"spectral: {type(equation).__name__}'s initial value is not odd and 2-periodic, so the periodic "
            "solution this solver computes is not the Dirichlet one"
        )
    u = burgers_periodic(u0, equation.nu, t, max_dt=max_dt, dealias=dealias)
    # requested x_i = grid index i * factor; x = 1 wraps to index 0
    idx = (np.arange(x.size) * factor) % n
    return SolverOutput(u[idx], {"modes": int(n), "max_dt": float(max_dt), "dealias": int(dealias)})
