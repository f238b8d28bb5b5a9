"""References for the ODE specs: closed forms (Legendre, hypergeometric), quadrature and scipy ODEs.

Legendre and hypergeometric solutions are special functions evaluated by
``scipy.special`` on the requested grid; they are independent of the
polynomial recurrences and sums the specs use for their :meth:`exact` (which
also work on torch tensors).

The DeepONet problems come with batch functions that a dataset generator calls
on many input functions at once: :func:`antiderivatives` (cumulative Simpson or
trapezoid quadrature along the last axis) and :func:`pendulum_trajectories`
(``scipy.integrate.solve_ivp`` with DOP853, all samples in one system,
restarted at every sensor so that the piecewise-linear forcing is smooth on
each integration interval).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special
from scipy.integrate import cumulative_simpson, cumulative_trapezoid, solve_ivp
from scipy.interpolate import CubicHermiteSpline

from equations.errors import InvalidDataError, InvalidParameterError
from equations.odes import Antiderivative, Hypergeometric, Legendre, Pendulum
from solvers.registry import SolverOutput, register


@register(Legendre, "closed_form")
def solve_legendre(equation: Legendre, axes: dict[str, np.ndarray]) -> SolverOutput:
    """Registered solver: ``P_l(x)`` by :func:`scipy.special.eval_legendre`."""
    return SolverOutput(special.eval_legendre(equation.l, axes["x"]))


@register(Hypergeometric, "closed_form")
def solve_hypergeometric(equation: Hypergeometric, axes: dict[str, np.ndarray]) -> SolverOutput:
    """Registered solver: ``2F1(a, b; c; x)`` by :func:`scipy.special.hyp2f1`."""
    return SolverOutput(special.hyp2f1(float(equation.a), equation.b, equation.c, axes["x"]))


def _increasing(name: str, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size < 2 or not np.all(np.isfinite(x)) or np.any(np.diff(x) <= 0):
        raise InvalidDataError(f"{name} must be a 1D increasing finite array of >= 2 points")
    return x


def antiderivatives(u_values: np.ndarray, x: np.ndarray, *, method: str = "simpson") -> np.ndarray:
    """``s(x) = integral of u from x[0] to x`` for a batch of sampled functions.

    Parameters
    ----------
    u_values : numpy.ndarray
        Values of the integrands at ``x`` along the last axis (shape ``(..., n)``).
    x : numpy.ndarray
        Increasing points (shape ``(n,)``); the integral starts at ``x[0]`` with 0.
    method : {"simpson", "trapezoid"}
        ``"simpson"``: :func:`scipy.integrate.cumulative_simpson` (fourth order
        for smooth integrands on a uniform grid); ``"trapezoid"``:
        :func:`scipy.integrate.cumulative_trapezoid` (second order, exact for
        integrands that are linear between consecutive points).

    Returns
    -------
    numpy.ndarray
        The antiderivatives, same shape as ``u_values``.
    """
    x = _increasing("x", x)
    u = np.asarray(u_values, dtype=np.float64)
    if u.shape[-1:] != x.shape:
        raise InvalidDataError(f"u_values must have {x.size} values along the last axis, got shape {u.shape}")
    if method == "simpson":
        return cumulative_simpson(u, x=x, axis=-1, initial=0.0)
    if method == "trapezoid":
        return cumulative_trapezoid(u, x=x, axis=-1, initial=0.0)
    raise InvalidParameterError(f"antiderivatives: method must be 'simpson' or 'trapezoid', got {method!r}")


@register(Antiderivative, "quadrature", reads=("source",))
def solve_antiderivative(equation: Antiderivative, axes: dict[str, np.ndarray], *, refine: int = 8) -> SolverOutput:
    """Registered solver: cumulative quadrature of the input function.

    A closed-form input is integrated by cumulative Simpson on the output grid
    refined ``refine`` times; an input given by sensor values with linear
    interpolation by cumulative trapezoid on the union of the output points
    and the sensors, which is exact up to round-off. Sensor values with cubic
    interpolation (the smooth input of the antiderivative dataset, sampled
    finely) are integrated by cumulative Simpson on the sensors (fourth
    order), and ``s`` is read at the output points from the cubic Hermite
    interpolant of ``s`` and ``s' = u`` at the sensors (fourth order too).

    Parameters
    ----------
    refine : int
        Subintervals of the fine grid per output interval (closed-form input), >= 1.

    Returns the values (dims ``x``) and the statistics ``quadrature`` and ``points``.
    """
    if isinstance(refine, bool) or not isinstance(refine, int) or refine < 1:
        raise InvalidParameterError(f"quadrature: refine must be a positive integer, got {refine!r}")
    x = axes["x"]
    if equation.forcing is None:
        fine = np.linspace(x[0], x[-1], refine * (x.size - 1) + 1)
        s = antiderivatives(equation.source({"x": fine}), fine, method="simpson")[::refine]
        return SolverOutput(s, {"quadrature": "cumulative_simpson", "points": int(fine.size)})
    sensors = np.linspace(0.0, 1.0, len(equation.forcing))
    if equation.interpolation == "cubic":
        u = np.asarray(equation.forcing, dtype=np.float64)
        s = antiderivatives(u, sensors, method="simpson")
        return SolverOutput(CubicHermiteSpline(sensors, s, u)(x),
                            {"quadrature": "cumulative_simpson+hermite", "points": int(sensors.size)})
    grid = np.union1d(x, sensors)
    s = antiderivatives(equation.source({"x": grid}), grid, method="trapezoid")
    return SolverOutput(s[np.searchsorted(grid, x)], {"quadrature": "cumulative_trapezoid", "points": int(grid.size)})


def _interpolate_rows(values: np.ndarray, sensors: np.ndarray, t: float) -> np.ndarray:
    """Row-wise piecewise-linear interpolation of ``values`` (``(n, m)``) at one time ``t``."""
    j = int(np.clip(np.searchsorted(sensors, t, side="right") - 1, 0, sensors.size - 2))
    w = (t - sensors[j]) / (sensors[j + 1] - sensors[j])
    return values[:, j] + w * (values[:, j + 1] - values[:, j])


def pendulum_trajectories(
    forcings: np.ndarray | Callable[[float], np.ndarray | float],
    t: np.ndarray,
    k: float = 1.0,
    *,
    sensors: np.ndarray | None = None,
    rtol: float = 1e-12,
    atol: float = 1e-12,
) -> np.ndarray:
    """Solve ``s1' = s2, s2' = -k sin(s1) + u(t)``, ``s(t[0]) = 0`` for a batch of forcings.

    Parameters
    ----------
    forcings : numpy.ndarray or callable
        Either sensor values (shape ``(n_samples, m)``; a 1D array is one sample)
        whose piecewise-linear interpolants are the forcings, or a function of
        one time returning the forcing of every sample (shape ``(n_samples,)``)
        or one value (a single sample).
    t : numpy.ndarray
        Increasing output times; the trajectories start at rest at ``t[0]``.
    k : float
        Gravity coefficient, > 0.
    sensors : numpy.ndarray, optional
        Increasing sensor times of sensor-value forcings (default: ``m`` uniform
        points on ``[t[0], t[-1]]``); they must cover ``[t[0], t[-1]]``.
    rtol, atol : float
        Tolerances of :func:`scipy.integrate.solve_ivp` with ``method="DOP853"``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_samples, 2, len(t))``: the angle ``s1`` and the angular velocity ``s2``.
    """
    t = _increasing("t", t)
    if not (isinstance(k, (int, float)) and np.isfinite(k) and k > 0) or isinstance(k, bool):
        raise InvalidParameterError(f"pendulum_trajectories: k must be a positive finite number, got {k!r}")
    if callable(forcings):
        fn = forcings
        n = np.atleast_1d(np.asarray(fn(float(t[0])), dtype=np.float64)).size
        breaks = np.array([t[0], t[-1]])

        def force(tau: float) -> np.ndarray:
            return np.broadcast_to(np.asarray(fn(tau), dtype=np.float64), (n,))

    else:
        values = np.atleast_2d(np.asarray(forcings, dtype=np.float64))
        n, m = values.shape
        if m < 2 or not np.all(np.isfinite(values)):
            raise InvalidDataError(f"forcings need >= 2 finite sensor values per sample, got shape {values.shape}")
        grid = np.linspace(t[0], t[-1], m) if sensors is None else _increasing("sensors", sensors)
        if grid.size != m:
            raise InvalidDataError(f"{m} sensor values per sample but {grid.size} sensors")
        if grid[0] > t[0] or grid[-1] < t[-1]:
            raise InvalidDataError("the sensors must cover the output times")
        inside = grid[(grid > t[0]) & (grid < t[-1])]
        breaks = np.concatenate([[t[0]], inside, [t[-1]]])

        def force(tau: float) -> np.ndarray:
            return _interpolate_rows(values, grid, tau)

    def rhs(tau: float, y: np.ndarray) -> np.ndarray:
        return np.concatenate([y[n:], -k * np.sin(y[:n]) + force(tau)])

    out = np.zeros((n, 2, t.size))
    y = np.zeros(2 * n)
    for a, b in zip(breaks[:-1], breaks[1:]):
        take = np.flatnonzero((t >= a) & (t <= b))
        evals = np.union1d(t[take], [b])  # always end on b: its state starts the next interval
        sol = solve_ivp(rhs, (a, b), y, method="DOP853", rtol=rtol, atol=atol, t_eval=evals)
        if not sol.success:
            raise InvalidDataError(f"pendulum_trajectories: solve_ivp failed on [{a}, {b}]: {sol.message}")
        at = np.searchsorted(evals, t[take])
        out[:, 0, take] = sol.y[:n, at]
        out[:, 1, take] = sol.y[n:, at]
        y = sol.y[:, -1]
    return out


@register(Pendulum, "dop853", reads=("source",))
def solve_pendulum(
    equation: Pendulum, axes: dict[str, np.ndarray], *, rtol: float = 1e-12, atol: float = 1e-12
) -> SolverOutput:
    """Registered solver: :func:`pendulum_trajectories` (DOP853) for the spec's forcing; the angle.

    Parameters
    ----------
    rtol, atol : float
        Tolerances of :func:`scipy.integrate.solve_ivp`, > 0.

    Returns the values (dims ``x``, the time) and the statistics ``method`` and ``rtol``.
    """
    for key, v in (("rtol", rtol), ("atol", atol)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 < v < 1):
            raise InvalidParameterError(f"dop853: {key} must be in (0, 1), got {v!r}")
    x = axes["x"]
    forcing: np.ndarray | Callable[[float], np.ndarray]
    if equation.forcing is None:
        def forcing(tau: float) -> np.ndarray:
            return np.asarray(equation.source({"x": np.array([tau])}))
        sensors = None
    else:
        forcing = np.asarray(equation.forcing)[None, :]
        sensors = np.linspace(0.0, 1.0, len(equation.forcing))
    s = pendulum_trajectories(forcing, x, equation.k, sensors=sensors, rtol=rtol, atol=atol)
    return SolverOutput(s[0, 0], {"method": "DOP853", "rtol": float(rtol)})
