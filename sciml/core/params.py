"""Declarative checks of hyperparameters, shared by every learner (scikit-learn's ``_parameter_constraints``).

Each learner class lists a constraint per constructor argument in
``_constraints``; :meth:`sciml.core.base.Learner._validate_params` checks them all
at the start of ``fit``, on ``load`` and in :func:`sciml.create_learner` (so
the command line refuses ``--set lr=nan`` before any work), and raises
:class:`~equations.errors.InvalidParameterError` naming the learner, the
option, what it must be and the value given::

    pinn: lr must be a finite number > 0, got 'fast'

A constraint is a callable ``constraint(value) -> bool`` with a ``text``
saying what it accepts. The checks are cheap and allocate nothing; sizes
that would not fit in memory are refused separately (:mod:`sciml.core.memory`),
once the equation or data give the network its shape.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from equations.errors import InvalidParameterError, ToolkitError

#: the largest count or seed accepted: what torch and NumPy index with (int64)
MAX_INT = 2**63 - 1


@dataclass(frozen=True)
class Constraint:
    """A named predicate: ``accepts(value)`` and the phrase ``text`` used in the error message."""

    accepts: Callable[[Any], bool]
    text: str

    def __call__(self, value: Any) -> bool:
        try:
            return bool(self.accepts(value))
        except (TypeError, ValueError, OverflowError, ToolkitError):  # e.g. comparing a list with 0
            return False


def integer(low: int = 0, high: int = MAX_INT) -> Constraint:
    """An ``int`` (NumPy integers too, never a bool or a float such as ``2.0``) in ``[low, high]``."""
    text = f"an integer >= {low}" if high == MAX_INT else f"an integer in [{low}, {high}]"
    return Constraint(lambda v: not isinstance(v, (bool, np.bool_)) and isinstance(v, Integral)
                      and low <= int(v) <= high, text)


def real(low: float = -math.inf, high: float = math.inf, *, low_open: bool = False,
         high_open: bool = False) -> Constraint:
    """A finite real number (not a bool, not a string) in the interval given."""

    def accepts(v: Any) -> bool:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, Real) or not math.isfinite(v):
            return False
        x = float(v)
        above = x > low if low_open else x >= low
        below = x < high if high_open else x <= high
        return above and below

    if low == 0 and low_open and high == math.inf:
        text = "a finite number > 0"
    elif high == math.inf:
        text = f"a finite number {'>' if low_open else '>='} {low:g}" if low > -math.inf else "a finite number"
    else:
        text = f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    return Constraint(accepts, text)


POSITIVE = real(0.0, low_open=True)
NON_NEGATIVE = real(0.0)
FRACTION = real(0.0, 1.0)
BOOLEAN = Constraint(lambda v: isinstance(v, (bool, np.bool_)), "true or false")
SEED = integer(0)
COUNT = integer(0)
POSITIVE_COUNT = integer(1)


def choice(*values: Any) -> Constraint:
    """One of ``values`` (strings compared by value, None/True/False by identity: ``1`` is not ``True``)."""

    def accepts(v: Any) -> bool:
        return any(v is c or (isinstance(v, str) and isinstance(c, str) and v == c) for c in values)

    return Constraint(accepts, "one of " + ", ".join(repr(c) for c in values))


def optional(c: Constraint) -> Constraint:
    """None or what ``c`` accepts."""
    return Constraint(lambda v: v is None or c(v), f"None or {c.text}")


def any_of(*cs: Constraint) -> Constraint:
    """What any of ``cs`` accepts."""
    return Constraint(lambda v: any(c(v) for c in cs), " or ".join(c.text for c in cs))


def sequence_of(c: Constraint, min_len: int = 1, length: int | None = None) -> Constraint:
    """A list, tuple or 1-D array (never a string or a mapping) of ``min_len`` or more (or exactly ``length``) items."""

    def accepts(v: Any) -> bool:
        if isinstance(v, np.ndarray) and v.ndim != 1:
            return False
        if not isinstance(v, (list, tuple, np.ndarray)) or len(v) < min_len or (length is not None
                                                                               and len(v) != length):
            return False
        return all(c(x) for x in v)

    size = f"{length}" if length is not None else f"{min_len} or more"
    return Constraint(accepts, f"a list of {size} items, each {c.text}")


def mapping_of(c: Constraint) -> Constraint:
    """A mapping from names (strings) to values ``c``."""
    return Constraint(lambda v: isinstance(v, Mapping) and all(isinstance(k, str) and c(x) for k, x in v.items()),
                      f"a mapping of names to values, each {c.text}")


WIDTHS = sequence_of(POSITIVE_COUNT)
PATH = optional(Constraint(lambda v: isinstance(v, (str, os.PathLike)) and str(v) != "", "a path"))
NAME = Constraint(lambda v: isinstance(v, str) and v != "", "a name")


def _device(v: Any) -> bool:
    import torch

    from sciml.core.runtime import resolve_device

    return isinstance(v, (str, torch.device)) and bool(resolve_device(v).type)


def _dtype(v: Any) -> bool:
    from sciml.core.runtime import resolve_dtype

    return bool(resolve_dtype(v))  # raises (refused) for anything but float32/float64


DEVICE = Constraint(_device, "an available device such as 'cpu' or 'cuda'")
DTYPE = Constraint(_dtype, "'float32' or 'float64'")


def validate(owner: str, params: Mapping[str, Any], constraints: Mapping[str, Constraint]) -> None:
    """Raise :class:`InvalidParameterError` for the first parameter its constraint refuses.

    Parameters without a constraint are not checked here (the learner's own
    code checks them where they are used).
    """
    for key, value in params.items():
        c = constraints.get(key)
        if c is not None and not c(value):
            beyond = isinstance(value, Integral) and not isinstance(value, bool) and abs(int(value)) > MAX_INT
            note = " (beyond the int64 range torch and NumPy count with)" if beyond else ""
            raise InvalidParameterError(f"{owner}: {key} must be {c.text}, got {_shown(value)}{note}")


def _shown(value: Any) -> str:
    """``repr`` of the value on one line, cut short (a huge list must not make a huge message)."""
    text = " ".join(repr(value).split())
    return text if len(text) <= 80 else text[:77] + "..."


def merged(classes: Sequence[type]) -> dict[str, Constraint]:
    """The ``_constraints`` of ``classes`` (an MRO), the most derived class's winning."""
    out: dict[str, Constraint] = {}
    for cls in reversed(classes):
        out.update(cls.__dict__.get("_constraints", {}))
    return out


class Default:
    """The value of a config field left out: the learner's own default applies."""

    _instance: Default | None = None

    def __new__(cls) -> Default:  # one instance, so ``is DEFAULT`` holds after copies
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DEFAULT"

    def __reduce__(self) -> str:
        return "DEFAULT"


DEFAULT = Default()


@dataclasses.dataclass(frozen=True, repr=False)
class Settings:
    """Base of the config objects (:mod:`sciml.field.config`).

    A field left at :data:`DEFAULT` takes the learner's own default when the
    learner resolves the config; ``constraints`` checks each field by name.
    """

    constraints: ClassVar[dict[str, Constraint]] = {}

    def given(self) -> dict[str, Any]:
        """The fields set explicitly."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if getattr(self, f.name) is not DEFAULT}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.given().items())})"


def resolve_config(owner: str, key: str, given: Any, default: Settings) -> Settings:
    """The config object an argument stands for: the learner's ``default`` with what ``given`` sets laid over.

    ``given`` may be None (``default``), a :class:`Settings` of the same type
    (its fields not left at :data:`DEFAULT`) or a mapping of field names.

    Raises
    ------
    InvalidParameterError
        Anything else, or a mapping naming a field the config does not have.
    """
    kind = type(default)
    if given is None:
        return default
    if isinstance(given, kind):
        return dataclasses.replace(default, **given.given())
    if isinstance(given, Mapping):
        names = {f.name for f in dataclasses.fields(kind)}
        unknown = sorted(str(k) for k in given if k not in names)
        if unknown:
            raise InvalidParameterError(f"{owner}: {key} has no setting {', '.join(unknown)}; "
                                        f"its settings: {', '.join(sorted(names))}")
        return dataclasses.replace(default, **given)
    raise InvalidParameterError(f"{owner}: {key} must be a {kind.__name__}, a mapping of its settings or None, "
                                f"got {_shown(given)}")
