"""Typed errors shared by the whole toolkit.

Every failure caused by bad user input is raised as one of these, so callers
(and the CLI) can report a clear message instead of a traceback.
"""

from __future__ import annotations

import math
from numbers import Integral


class ToolkitError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class InvalidParameterError(ToolkitError, ValueError):
    """A parameter is out of its valid range (``nu <= 0``, an empty domain...)."""


class UnknownNameError(ToolkitError, LookupError):
    """A name (equation, learner, solver) is not registered."""

    def __str__(self) -> str:  # LookupError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidDataError(ToolkitError, ValueError):
    """Input data is malformed: NaN/Inf values, wrong shape, mismatched grids."""


class SpecMismatchError(ToolkitError, ValueError):
    """A solver (or a learner's hard constraint) does not implement the spec it was given.

    Raised, for example, when a user's subclass of a shipped equation changes its
    boundary data and the solver registered for the parent would ignore the change.
    """


class DatasetError(ToolkitError, ValueError):
    """A stored dataset is missing, truncated, corrupt, or disagrees with its manifest."""


class TrainingDivergedError(ToolkitError, RuntimeError):
    """Training produced a non-finite loss; the last good weights were kept."""


class ConvergenceError(ToolkitError, RuntimeError):
    """A classical solver did not converge (Newton stalled, an integrator could not finish).

    The message says which iteration failed, how far it got and what was tried.
    """


class ResourceError(ToolkitError, MemoryError):
    """A request would not fit in the available memory; refused before anything is allocated.

    The message gives the estimate and the memory available
    (:func:`equations.resources.require_memory`).
    """


class ConditionsWarning(UserWarning):
    """A spec's conditions disagree where they meet (initial vs boundary data at the start...)."""


class ExtrapolationWarning(UserWarning):
    """A learner was asked for values outside the domain (or data range) it was trained on."""


def check_integer(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an ``int``; :class:`InvalidParameterError` unless it is an integer in ``[minimum, maximum]``.

    Booleans are refused (``True`` is an ``int`` to Python, never a count here);
    NumPy integers are accepted. ``maximum=None`` leaves the range open above.
    """
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < minimum:
        raise InvalidParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if maximum is not None and int(value) > maximum:
        raise InvalidParameterError(f"{name} must be an integer in {minimum}..{maximum}, got {value!r}")
    return int(value)


# Above this a wave number overflows float arithmetic (10**400 * pi) long before
# any grid or network resolves the mode.
MAX_WAVE_NUMBER = 10**6


def check_choice(name: str, value: object, valid: tuple[str, ...]) -> str:
    """``value`` itself; :class:`InvalidParameterError` naming the choices unless it is one of ``valid``."""
    if not isinstance(value, str) or value not in valid:
        raise InvalidParameterError(f"{name} must be one of {', '.join(map(repr, valid))}, got {value!r}")
    return value


def is_finite_number(value: object) -> bool:
    """Whether ``value`` is a real number (not a bool) that is finite as a float.

    An ``int`` too large for a float (``10**400``) is refused too: every spec
    computes in floating point, where it would overflow.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False
