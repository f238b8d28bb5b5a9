r"""The classical reference for symbolic ODE systems ``u' = f(u)``: DOP853 on the tree, one solve per sample.

:func:`trajectory` integrates a :class:`~equations.symbolic.System` (a
family member's right-hand side, or an expression a model generated and
:func:`~equations.symbolic.decode` parsed) from an initial state with
:func:`scipy.integrate.solve_ivp` (``method="DOP853"``, ``rtol = atol = 1e-9``
by default) and returns the state at the requested times. The right-hand
side is the tree compiled to plain Python arithmetic
(:func:`~equations.symbolic.scalar_function`), several times faster than
NumPy on three numbers. :func:`trajectories` does it for a batch, each
sample with its own adaptive steps, so a sample never depends on the others.

It never returns a silently wrong array: a failed step-size control, a
state leaving ``|u| <= bound`` (a terminal event), an overflow, or more
right-hand-side evaluations than ``max_evaluations`` (a stiff or exploding
system) raise :class:`~equations.errors.ConvergenceError` naming the time
reached and the reason; or, with ``on_failure="nan"`` in
:func:`trajectories`, leave that sample's trajectory NaN (for scoring
generated expressions, where failing is an outcome to count).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.integrate import solve_ivp

from equations.errors import ConvergenceError, InvalidDataError, InvalidParameterError, check_choice, check_integer
from equations.symbolic import System, scalar_function

#: default bound on ``max |u_k|`` before a trajectory counts as blown up
BOUND = 1e6
#: default cap on right-hand-side evaluations per trajectory
MAX_EVALUATIONS = 200_000
ON_FAILURE = ("raise", "nan")


class _Stop(Exception):
    """Raised inside the right-hand side to abandon an integration (overflow, too many evaluations)."""


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value):
        raise InvalidParameterError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _tolerance(name: str, value: object) -> float:
    v = _number(name, value)
    if not 0 < v < 1:
        raise InvalidParameterError(f"{name} must be a number in (0, 1), got {value!r}")
    return v


def _times(t: object, t0: float) -> np.ndarray:
    try:
        times = np.asarray(t, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidDataError(f"t must be a 1D array of times, got {t!r}") from None
    if times.ndim != 1 or times.size < 1 or not np.all(np.isfinite(times)):
        raise InvalidDataError(f"t must be a non-empty 1D array of finite times, got shape {times.shape}")
    if np.any(np.diff(times) <= 0) or times[0] < t0:
        raise InvalidDataError(f"t must be increasing and start at or after t0 = {t0}")
    return times


def trajectory(
    system: System,
    initial: Sequence[float] | np.ndarray,
    t: Sequence[float] | np.ndarray,
    *,
    t0: float = 0.0,
    rtol: float = 1e-9,
    atol: float = 1e-9,
    bound: float = BOUND,
    max_evaluations: int = MAX_EVALUATIONS,
) -> np.ndarray:
    """The solution of ``u' = f(u)``, ``u(t0) = initial``, at the times ``t``.

    Parameters
    ----------
    system : System
        The right-hand side ``f`` (``d`` components).
    initial : array of shape (d,)
        The state at ``t0``: finite, ``|u_k| <= bound``.
    t : array of shape (m,)
        Increasing output times ``>= t0`` (``t0`` itself may be one).
    t0 : float
        Initial time.
    rtol, atol : float
        Tolerances of :func:`scipy.integrate.solve_ivp` (DOP853), in ``(0, 1)``.
    bound : float
        Largest ``|u_k|`` allowed on the way (a terminal event), > 0.
    max_evaluations : int
        Most evaluations of ``f`` allowed, >= 100.

    Returns
    -------
    numpy.ndarray
        Shape ``(m, d)``, float64.

    Raises
    ------
    ConvergenceError
        The integration failed, left the bound, overflowed or took more than
        ``max_evaluations`` evaluations (the message gives the time reached and the system).
    InvalidDataError, InvalidParameterError
        Malformed ``system``, ``initial``, ``t`` or options.
    """
    if not isinstance(system, System):
        raise InvalidDataError(f"trajectory: expected a System, got {type(system).__name__}")
    rtol, atol = _tolerance("rtol", rtol), _tolerance("atol", atol)
    bound, t0 = _number("bound", bound), _number("t0", t0)
    if bound <= 0:
        raise InvalidParameterError(f"bound must be > 0, got {bound!r}")
    max_evaluations = check_integer("max_evaluations", max_evaluations, 100)
    times = _times(t, t0)
    try:
        y0 = np.asarray(initial, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidDataError(f"initial must be {system.dim} numbers, got {initial!r}") from None
    if y0.shape != (system.dim,) or not np.all(np.isfinite(y0)) or np.max(np.abs(y0)) > bound:
        raise InvalidDataError(f"initial must be {system.dim} finite numbers within the bound {bound:g}, "
                               f"got {initial!r}")
    if times[-1] == t0:  # only the initial time asked for
        return y0[None].copy()

    f = scalar_function(system)
    calls, reached = [0], [t0]

    def rhs(tau: float, y: np.ndarray) -> list[float]:
        calls[0] += 1
        reached[0] = tau
        if calls[0] > max_evaluations:
            raise _Stop(f"more than {max_evaluations} evaluations of f (stiff or exploding system)")
        try:
            return f(y.tolist())
        except (OverflowError, ValueError) as exc:  # math.exp or ** out of range
            raise _Stop(f"overflow in f ({exc})") from None

    def escape(_: float, y: np.ndarray) -> float:
        return bound - float(np.max(np.abs(y)))

    escape.terminal = True  # type: ignore[attr-defined]
    try:
        sol = solve_ivp(rhs, (t0, float(times[-1])), y0, method="DOP853", t_eval=times, rtol=rtol, atol=atol,
                        events=escape)
    except _Stop as stop:
        raise ConvergenceError(f"trajectory: integration abandoned near t = {reached[0]:.6g}: {stop}; "
                               f"system {system}") from None
    if sol.status == 1:
        raise ConvergenceError(f"trajectory: |u| exceeded the bound {bound:g} at t = {sol.t_events[0][0]:.6g}; "
                               f"system {system}")
    if sol.status != 0 or sol.y.shape[1] != times.size:
        raise ConvergenceError(f"trajectory: DOP853 failed near t = {reached[0]:.6g} ({sol.message}); "
                               f"system {system}")
    out = np.ascontiguousarray(sol.y.T)
    if not np.all(np.isfinite(out)) or np.max(np.abs(out)) > bound:
        raise ConvergenceError(f"trajectory: non-finite or out-of-bound values; system {system}")
    return out


def trajectories(
    systems: System | Sequence[System],
    initial: np.ndarray | Sequence[Sequence[float]],
    t: Sequence[float] | np.ndarray,
    *,
    pad_to: int | None = None,
    on_failure: str = "raise",
    **options: float,
) -> np.ndarray:
    """:func:`trajectory` for a batch of samples, each solved on its own.

    Parameters
    ----------
    systems : System or sequence of System
        One system for every sample, or one per sample.
    initial : sequence of arrays
        One initial state per sample (of its system's dimension); a 2D
        array ``(n, d)`` when all have the same dimension.
    t : array of shape (m,)
        The output times, shared by all samples.
    pad_to : int, optional
        Pad the components with zeros to this many (at least every
        dimension; needed when they differ). Default: the common dimension.
    on_failure : {"raise", "nan"}
        ``"raise"``: a failed sample raises :class:`~equations.errors.ConvergenceError`
        naming it; ``"nan"``: that sample's components are NaN.
    **options
        ``t0``, ``rtol``, ``atol``, ``bound``, ``max_evaluations`` of :func:`trajectory`.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, m, pad_to or d)``.
    """
    check_choice("on_failure", on_failure, ON_FAILURE)
    unknown = sorted(set(options) - {"t0", "rtol", "atol", "bound", "max_evaluations"})
    if unknown:
        raise InvalidParameterError(f"trajectories: unknown option(s) {', '.join(unknown)}")
    starts = list(initial)
    n = len(starts)
    batch = [systems] * n if isinstance(systems, System) else list(systems)
    if len(batch) != n:
        raise InvalidDataError(f"trajectories: {len(batch)} systems for {n} initial states")
    for i, system in enumerate(batch):
        if not isinstance(system, System):
            raise InvalidDataError(f"trajectories: sample {i} is not a System ({type(system).__name__})")
    dims = {s.dim for s in batch}
    if pad_to is None:
        if len(dims) > 1:
            raise InvalidDataError(f"trajectories: systems of dimensions {sorted(dims)}; give pad_to")
        width = dims.pop() if dims else 1
    else:
        width = check_integer("pad_to", pad_to, max(dims, default=1))
    times = _times(t, _number("t0", options.get("t0", 0.0)))
    out = np.zeros((n, times.size, width))
    for i, (system, y0) in enumerate(zip(batch, starts)):
        try:
            out[i, :, : system.dim] = trajectory(system, y0, times, **options)  # type: ignore[arg-type]
        except ConvergenceError as exc:
            if on_failure == "raise":
                raise ConvergenceError(f"trajectories: sample {i}: {exc}") from None
            out[i, :, : system.dim] = np.nan
    return out
