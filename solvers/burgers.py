r"""Cole--Hopf reference for viscous Burgers with ``u(x, 0) = -sin(pi x)`` on ``[-1, 1]``.

With ``s = sqrt(4 nu t)`` the solution is the ratio of two Gaussian-weighted
integrals over the real line,

.. math::

    u(x, t) = -\frac{\int \sin(\pi (x - s z))\, w(z)\, dz}{\int w(z)\, dz},
    \qquad w(z) = \exp\!\Big(-\frac{\cos(\pi (x - s z))}{2 \pi \nu} - z^2\Big),

which is also the Dirichlet solution on ``[-1, 1]`` because the initial value is
odd and 2-periodic. The integrands are analytic and decay like ``exp(-z^2)``,
so the trapezoidal rule on a uniform grid converges exponentially fast.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from scipy import special

from equations.burgers import Burgers
from equations.errors import InvalidDataError, InvalidParameterError
from solvers.registry import SolverOutput, register

# exp(-z^2) alone needs a step below ~0.3 for a 1e-16 trapezoidal error
MAX_STEP = 0.25
# target of the a-priori aliasing estimate used to pick the default step
ALIAS_TOL = 1e-17


def quadrature_grid(nu: float, t_max: float, step: float | None = None) -> np.ndarray:
    """Uniform, symmetric ``z`` nodes wide and fine enough for all ``t <= t_max``.

    The half-width ``sqrt(1 / (pi nu)) + 6`` makes ``exp(-z^2)`` outweigh the
    ``exp(+-1 / (2 pi nu))`` range of the cosine factor by ``e^-36``. The default
    step is the largest (at most :data:`MAX_STEP`) whose :func:`alias_error`
    is below :data:`ALIAS_TOL`.
    """
    half = math.sqrt(1.0 / (math.pi * nu)) + 6.0
    if step is None:
        step = MAX_STEP
        while alias_error(nu, t_max, step) > ALIAS_TOL:
            step *= 0.9
    n_half = math.ceil(half / step)
    return step * np.arange(-n_half, n_half + 1, dtype=np.float64)


def alias_error(nu: float, t_max: float, step: float) -> float:
    """Bound on the relative trapezoidal error of the Cole--Hopf integrals for ``t <= t_max``.

    ``exp(-a cos(pi (x - s z)))`` is a sum of harmonics ``e^{i n pi s z}`` with
    weights ``I_n(a) / I_0(a)``; times ``exp(-z^2)`` each becomes a Gaussian bump
    in frequency, and a step ``h`` aliases frequency ``2 pi / h`` onto zero. Each
    bump is taken at its worst ``s <= s(t_max)`` (fully aliased once its centre can
    reach ``2 pi / h``), with one extra harmonic for the ``sin`` of the numerator.
    """
    a = 1.0 / (2.0 * math.pi * nu)
    s_max = math.sqrt(4.0 * nu * max(t_max, 0.0))
    n = np.arange(int(2.0 * a + 40.0 * math.sqrt(a + 1.0) + 10.0))
    r = special.ive(n, a) / special.ive(0, a)
    # harmonic m of the numerator's integrand gets weight from m - 1, m, m + 1
    r = np.maximum(r, np.maximum(np.concatenate([[r[1]], r[:-1]]), np.concatenate([r[1:], [0.0]])))
    offset = np.maximum(2.0 * math.pi / step - math.pi * s_max * n, 0.0)
    return float(np.sum(r * np.exp(-0.25 * offset**2)))


@njit(parallel=True, fastmath=True, cache=True)
def _cole_hopf_kernel(x: np.ndarray, t: np.ndarray, nu: float, z: np.ndarray, out: np.ndarray) -> None:
    """``out[i, k] = u(x[i], t[k])`` by the trapezoidal rule on the nodes ``z``."""
    nx, nt, nz = x.size, t.size, z.size
    a = 1.0 / (2.0 * math.pi * nu)
    # cos(pi (x - s z)) = cos(pi x) C + sin(pi x) S, with C, S shared by all x at one t
    c_tab = np.empty((nt, nz))
    s_tab = np.empty((nt, nz))
    for k in range(nt):
        s = math.sqrt(4.0 * nu * t[k])
        for m in range(nz):
            c_tab[k, m] = math.cos(math.pi * s * z[m])
            s_tab[k, m] = math.sin(math.pi * s * z[m])
    zz = z * z
    for p in prange(nx * nt):
        i = p // nt
        k = p % nt
        cx = math.cos(math.pi * x[i])
        sx = math.sin(math.pi * x[i])
        if t[k] == 0.0:
            out[i, k] = -sx
            continue
        # subtract the largest exponent: the raw ones span +-1/(2 pi nu)
        emax = -np.inf
        for m in range(nz):
            e = -a * (cx * c_tab[k, m] + sx * s_tab[k, m]) - zz[m]
            if e > emax:
                emax = e
        num = 0.0
        den = 0.0
        for m in range(nz):
            w = math.exp(-a * (cx * c_tab[k, m] + sx * s_tab[k, m]) - zz[m] - emax)
            if m == 0 or m == nz - 1:
                w *= 0.5
            num += (sx * c_tab[k, m] - cx * s_tab[k, m]) * w
            den += w
        out[i, k] = -num / den


def cole_hopf(x: np.ndarray, t: np.ndarray, nu: float, *, step: float | None = None) -> np.ndarray:
    """Burgers solution for ``u(x, 0) = -sin(pi x)`` on the tensor grid ``x`` by ``t``.

    Parameters
    ----------
    x, t : numpy.ndarray
        1D coordinate vectors (``t >= 0``); ``t = 0`` returns the initial value exactly.
    nu : float
        Viscosity, > 0.
    step : float, optional
        Quadrature step in ``z``; default: the largest step (at most
        :data:`MAX_STEP`) whose estimated aliasing error is below :data:`ALIAS_TOL`.

    Returns
    -------
    numpy.ndarray
        ``u`` with shape ``(len(x), len(t))``.
    """
    if not (isinstance(nu, (int, float)) and math.isfinite(nu) and nu > 0):
        raise InvalidParameterError(f"cole_hopf: nu must be a positive finite number, got {nu!r}")
    x = np.ascontiguousarray(x, dtype=np.float64)
    t = np.ascontiguousarray(t, dtype=np.float64)
    if x.ndim != 1 or t.ndim != 1:
        raise InvalidDataError(f"cole_hopf: x and t must be 1D, got shapes {x.shape} and {t.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(t))):
        raise InvalidDataError("cole_hopf: x and t must be finite")
    if t.size and t.min() < 0:
        raise InvalidDataError(f"cole_hopf: times must be >= 0, got min {t.min()}")
    if step is not None and not (math.isfinite(step) and step > 0):
        raise InvalidParameterError(f"cole_hopf: step must be a positive finite number, got {step!r}")
    z = quadrature_grid(nu, float(t.max()) if t.size else 0.0, step)
    out = np.empty((x.size, t.size))
    if out.size:
        _cole_hopf_kernel(x, t, float(nu), z, out)
    return out


@register(Burgers, "cole_hopf")
def solve_cole_hopf(
    equation: Burgers, axes: dict[str, np.ndarray], *, step: float | None = None
) -> SolverOutput:
    """Registered solver: Cole--Hopf quadrature on the requested ``(x, t)`` grid."""
    x, t = axes["x"], axes["t"]
    z = quadrature_grid(equation.nu, float(t.max()), step)
    u = cole_hopf(x, t, equation.nu, step=step)
    return SolverOutput(u, {"quadrature_points": int(z.size), "quadrature_step": float(z[1] - z[0])})
