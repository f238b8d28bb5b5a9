"""Specs with several fields: which condition belongs to which field, and a check that a spec keeps its promises.

A system states ``fields = (Variable("u"), Variable("v"))``; its residual takes
a :class:`~equations.core.Jets` and returns one residual per equation, each
condition names its ``field``, and ``exact`` returns one array per field.
:func:`check_system` verifies all of that on a few probe points before a
solver or a learner relies on it, so a mismatch is a clear error that names
the problem instead of a shape error deep inside a solve.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from equations.core import Condition, Equation, Jet, Jets, PeriodicCondition, canonical_key
from equations.errors import SpecMismatchError

PROBE_POINTS = 5


def field_names(equation: Equation) -> tuple[str, ...]:
    """The names of the spec's unknowns, in order."""
    return tuple(v.name for v in equation.unknowns)


def is_system(equation: Equation) -> bool:
    """Whether the spec has more than one unknown field."""
    return len(equation.unknowns) > 1


def condition_field(equation: Equation, condition: Condition) -> str | None:
    """The field a condition constrains (None: a periodic condition, which holds for every field)."""
    if isinstance(condition, PeriodicCondition):
        return None
    name = getattr(condition, "field", None)
    return name if name is not None else equation.unknowns[0].name


def conditions_of(equation: Equation, name: str) -> tuple[Condition, ...]:
    """The conditions on field ``name`` (periodic conditions hold for every field)."""
    return tuple(c for c in equation.conditions() if condition_field(equation, c) in (None, name))


def require_scalar(equation: Equation, what: str) -> None:
    """Refuse a system where ``what`` handles one field only (:class:`SpecMismatchError`)."""
    if is_system(equation):
        raise SpecMismatchError(
            f"{what} handles specs with one field; {equation.label} is a system of "
            f"{len(equation.unknowns)} fields ({', '.join(field_names(equation))})"
        )


def check_system(equation: Equation, seed: int = 0) -> None:
    """Verify that a spec's fields, conditions, residual and exact solution agree.

    Checks: field names are distinct identifiers; every condition of a system
    names one of its fields (a scalar spec's conditions name its field or
    none); the residual, evaluated on random jets at a few points of the
    domain, returns one array per field (one array for a scalar spec); the
    exact solution, where there is one, returns one array per field.

    Raises
    ------
    SpecMismatchError
        The first broken promise, named.
    """
    names = field_names(equation)
    label = equation.label
    if len(set(names)) != len(names) or not all(isinstance(n, str) and n.isidentifier() for n in names):
        raise SpecMismatchError(f"{label}: field names must be distinct identifiers, got {names}")
    try:
        conditions = tuple(equation.conditions())
    except NotImplementedError:
        conditions = ()
    for cond in conditions:
        named = getattr(cond, "field", None)
        if named is None and is_system(equation) and not isinstance(cond, PeriodicCondition):
            raise SpecMismatchError(f"{label} is a system of fields {names}: its {type(cond).__name__} must name "
                                    f"its field (field=...)")
        if named is not None and named not in names:
            raise SpecMismatchError(f"{label}: a {type(cond).__name__} names the field {named!r}, which is not "
                                    f"one of its fields {names}")
    coords, jets = _probe(equation, seed)
    try:
        # a system's residual takes the Jets, a scalar spec's its one Jet (the base signature names the latter)
        residual = equation.residual(coords, cast(Any, jets if is_system(equation) else jets[names[0]]))
    except NotImplementedError:
        return  # a spec without a residual (solved by a registered solver only) has nothing more to check
    _check_components(label, "residual", residual, len(names), is_system(equation))
    if getattr(equation, "has_exact", False) is True:
        _check_components(label, "exact solution", equation.exact(coords), len(names), is_system(equation))


def _probe(equation: Equation, seed: int) -> tuple[dict[str, np.ndarray], Jets]:
    """Random coordinates inside the bounding box and random jets of every field there."""
    rng = np.random.default_rng(seed)
    domain = equation.domain
    coords = {n: lo + (hi - lo) * rng.uniform(0.25, 0.75, PROBE_POINTS) for n, (lo, hi) in
              zip(domain.names, domain.bounds)}
    keys = tuple(dict.fromkeys(canonical_key(k) for k in equation.derivatives))
    jets = Jets({v.name: Jet(rng.uniform(0.1, 0.9, PROBE_POINTS),
                             {k: rng.uniform(-1.0, 1.0, PROBE_POINTS) for k in keys}) for v in equation.unknowns})
    return coords, jets


def _check_components(label: str, what: str, value: Any, expected: int, system: bool) -> None:
    if system:
        if not isinstance(value, Sequence) or isinstance(value, (str, bytes)) or len(value) != expected:
            count = len(value) if isinstance(value, Sequence) else "not a sequence: 1 array"
            raise SpecMismatchError(f"{label}: the {what} must return one array per field ({expected}), "
                                    f"got {count}")
        parts = list(value)
    else:
        if isinstance(value, (tuple, list)):
            raise SpecMismatchError(f"{label} has one field: its {what} must return one array, got a "
                                    f"{type(value).__name__} of {len(value)}")
        parts = [value]
    for k, part in enumerate(parts):
        try:
            np.broadcast_to(np.asarray(part, dtype=float), (PROBE_POINTS,))
        except (TypeError, ValueError):
            raise SpecMismatchError(f"{label}: component {k} of the {what} is not one real value per point "
                                    f"(shape {np.shape(part)})") from None
