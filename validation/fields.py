"""The names of a comparison's variables, per field: one scheme for ``compare``, the figure, the CLI and exporters.

A scalar spec's comparison keeps its historical names (``reference``,
``<learner>``, ``<learner>_error``, metrics over ``(learner, metric)``). A
system's comparison has one variable per field and role
(``reference_<field>``, ``<learner>_<field>``, ``<learner>_<field>_error``),
metrics over ``(learner, field, metric)``, and lists its fields in the
dataset attribute ``fields`` (``"u v p"``). Code that reads a comparison
iterates over :func:`comparison_fields` -- ``(None,)`` for a scalar spec --
and asks these functions for the names.
"""

from __future__ import annotations

from typing import Any

import xarray as xr

FIELDS_ATTR = "fields"  # the dataset attribute listing a system comparison's fields, space separated


def comparison_fields(ds: xr.Dataset) -> tuple[str | None, ...]:
    """The fields of a comparison dataset: their names for a system, ``(None,)`` for a scalar spec."""
    listed = str(ds.attrs.get(FIELDS_ATTR, "")).split()
    return tuple(listed) if listed else (None,)


def reference_name(field: str | None = None) -> str:
    """``reference`` (scalar spec) or ``reference_<field>``."""
    return "reference" if field is None else f"reference_{field}"


def prediction_name(learner: str, field: str | None = None) -> str:
    """``<learner>`` (scalar spec) or ``<learner>_<field>``."""
    return learner if field is None else f"{learner}_{field}"


def error_name(learner: str, field: str | None = None) -> str:
    """``<learner>_error`` (scalar spec) or ``<learner>_<field>_error``."""
    return f"{prediction_name(learner, field)}_error"


def field_selection(field: str | None) -> dict[str, Any]:
    """The ``metrics`` selection of one field (nothing for a scalar spec, whose metrics have no field dim)."""
    return {} if field is None else {"field": field}


def field_label(field: str | None) -> str:
    """A title prefix naming the field (empty for a scalar spec)."""
    return "" if field is None else f"{field}: "
