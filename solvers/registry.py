"""Map equation types to classical solver functions.

Each solver module registers its own functions with :func:`register`, so a new
solver is added without touching the others or the :func:`solvers.solve` facade.

A solver function has the signature ``fn(equation, axes, **options)`` where
``axes`` maps each coordinate name (in ``equation.domain.names`` order) to its
1D vector, and returns a :class:`SolverOutput` with values on that tensor grid.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from equations.core import Equation
from equations.errors import InvalidParameterError, UnknownNameError

Stat = int | float | str


@dataclass(frozen=True)
class SolverOutput:
    """Values on the requested tensor grid and scalar statistics for the attributes."""

    values: np.ndarray
    stats: Mapping[str, Stat] = field(default_factory=dict)


SolverFn = Callable[..., SolverOutput]

# equation type -> {solver name: function}; the first name registered is the default
_SOLVERS: dict[type[Equation], dict[str, SolverFn]] = {}


def register(equation_type: type[Equation], name: str) -> Callable[[SolverFn], SolverFn]:
    """Decorator registering ``fn`` as solver ``name`` for ``equation_type``.

    Parameters
    ----------
    equation_type : type
        An :class:`equations.Equation` subclass; subclasses of it inherit the solver.
    name : str
        Solver name, unique per equation type (``"multigrid"``, ``"cole_hopf"``...).
    """
    if not (isinstance(equation_type, type) and issubclass(equation_type, Equation)):
        raise InvalidParameterError(f"solvers are registered for Equation subclasses, got {equation_type!r}")

    def decorate(fn: SolverFn) -> SolverFn:
        table = _SOLVERS.setdefault(equation_type, {})
        if name in table and table[name] is not fn:
            raise InvalidParameterError(f"solver {name!r} is already registered for {equation_type.__name__}")
        table[name] = fn
        return fn

    return decorate


def _table(equation_type: type) -> dict[str, SolverFn] | None:
    for cls in equation_type.__mro__:  # the most specific registration wins
        if cls in _SOLVERS:
            return _SOLVERS[cls]
    return None


def closed_form(equation: Equation, axes: dict[str, np.ndarray]) -> SolverOutput:
    """The equation's exact solution on the grid: the ``"exact"`` method of every spec that has one."""
    names = equation.domain.names
    mesh = np.meshgrid(*(axes[n] for n in names), indexing="ij")
    values = np.asarray(equation.exact(dict(zip(names, mesh))), dtype=np.float64)
    return SolverOutput(np.array(np.broadcast_to(values, mesh[0].shape)))


def _has_exact(equation: Equation | type[Equation]) -> bool:
    flag = getattr(equation, "has_exact", False)
    return flag is True  # a property on a class (exact only for some instances) does not count


def lookup(equation: Equation, method: str | None = None) -> tuple[str, SolverFn]:
    """The ``(name, function)`` solving ``equation``: ``method`` or the default one.

    ``method="exact"`` evaluates the closed form of any spec that has one.
    """
    table = _table(type(equation))
    if method == "exact" and _has_exact(equation) and "exact" not in (table or {}):
        return "exact", closed_form
    if table is None:
        known = ", ".join(sorted(cls.__name__ for cls in _SOLVERS)) or "none"
        raise UnknownNameError(
            f"no classical solver is registered for {type(equation).__name__}; "
            f"equations with a solver: {known}"
        )
    if method is None:
        return next(iter(table.items()))
    try:
        return method, table[method]
    except KeyError:
        raise UnknownNameError(
            f"no solver {method!r} for {type(equation).__name__}; available: {', '.join(available(equation))}"
        ) from None


def check_options(name: str, fn: SolverFn, options: dict) -> None:
    """Raise :class:`InvalidParameterError` for options that ``fn`` does not accept."""
    params = inspect.signature(fn).parameters
    accepted = [p for p, v in params.items() if v.kind is inspect.Parameter.KEYWORD_ONLY]
    bad = sorted(set(options) - set(accepted))
    if bad:
        raise InvalidParameterError(
            f"solver {name!r}: unknown option(s) {', '.join(bad)}; valid: {', '.join(accepted) or 'none'}"
        )


def available(equation: Equation | type[Equation] | None = None) -> tuple[str, ...]:
    """Names of registered solvers: all of them (sorted), or those for ``equation`` (default first)."""
    if equation is None:
        return tuple(sorted({n for table in _SOLVERS.values() for n in table}))
    cls = equation if isinstance(equation, type) else type(equation)
    if not issubclass(cls, Equation):
        raise InvalidParameterError(f"expected an Equation or an Equation subclass, got {equation!r}")
    names = tuple(_table(cls) or ())
    if _has_exact(equation) and "exact" not in names:
        names += ("exact",)
    return names
