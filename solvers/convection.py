r"""Exact periodic convection--diffusion ``u_t + beta u_x = nu u_xx`` by the Fourier method.

Each Fourier mode ``e^{i k x}`` of the initial data evolves independently,
multiplied by ``exp(-(i beta k + nu k^2) t)``, so the solution of the
trigonometric interpolant of the sampled data is exact at every time.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import fft

from equations.convection import Convection
from equations.errors import InvalidDataError, InvalidParameterError
from solvers.registry import SolverOutput, register
from solvers.spectral import wavenumbers


def convection_diffusion_periodic(
    u0: np.ndarray, beta: float, nu: float, times: np.ndarray, *, length: float = 2 * math.pi
) -> np.ndarray:
    """Solution at ``times`` for periodic initial values ``u0`` on ``n`` uniform points.

    Parameters
    ----------
    u0 : numpy.ndarray
        Initial values at ``x_j = x_0 + j * length / n``.
    beta, nu : float
        Wave speed and diffusion coefficient (``nu >= 0``).
    times : numpy.ndarray
        1D array of output times (any order, may be negative when ``nu == 0``).
    length : float
        Period.

    Returns
    -------
    numpy.ndarray
        ``u`` with shape ``(n, len(times))``.

    Notes
    -----
    For even ``n`` the Nyquist mode is shared equally by ``+-k``, so it is
    transported as ``cos(beta k t)`` times its amplitude (the real part).
    """
    u0 = np.asarray(u0, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    if u0.ndim != 1 or u0.size < 2:
        raise InvalidDataError(f"u0 must be 1D with at least 2 points, got shape {u0.shape}")
    if times.ndim != 1:
        raise InvalidDataError(f"times must be 1D, got shape {times.shape}")
    if not (np.all(np.isfinite(u0)) and np.all(np.isfinite(times))):
        raise InvalidDataError("u0 and times must be finite")
    for key, v in (("beta", beta), ("nu", nu), ("length", length)):
        if not (isinstance(v, (int, float)) and math.isfinite(v)):
            raise InvalidParameterError(f"convection: {key} must be a finite number, got {v!r}")
    if nu < 0 or length <= 0:
        raise InvalidParameterError(f"convection: need nu >= 0 and length > 0, got nu={nu}, length={length}")
    if nu > 0 and times.size and times.min() < 0:
        raise InvalidDataError("convection: negative times are ill-posed when nu > 0")
    n = u0.size
    k = wavenumbers(n, length)
    factor = np.exp(-(1j * beta * k[:, None] + nu * k[:, None] ** 2) * times[None, :])
    return fft.irfft(fft.rfft(u0)[:, None] * factor, n, axis=0)


@register(Convection, "fourier", reads=("initial_value",))
def solve_fourier(equation: Convection, axes: dict[str, np.ndarray]) -> SolverOutput:
    """Registered solver: the Fourier solution from the spec's initial value on the ``x`` grid."""
    x, t = axes["x"], axes["t"]
    u0 = equation.initial_value({"x": x})
    return SolverOutput(convection_diffusion_periodic(u0, equation.beta, equation.nu, t, length=2 * math.pi))
