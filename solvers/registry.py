"""Map equation types to classical solver functions.

Each solver module registers its own functions with :func:`register`, so a new
solver is added in one new module, without touching the others, an import list
or the :func:`solvers.solve` facade: the registry (:data:`SOLVERS`, the
toolkit's generic :class:`~equations.registry.Registry`) imports every module
of the package on its first lookup, and loads the modules other packages name
as entry points of group ``sciml_toolkit.solvers``.

A solver function has the signature ``fn(equation, axes, **options)`` where
``axes`` maps each coordinate name (in ``equation.domain.names`` order) to its
1D vector, and returns a :class:`SolverOutput` with values on that tensor grid.

A solver registered for a class implements that class as it is written. A
subclass (a user's variant of a shipped spec) inherits the solver only if every
member it redefines is one the solver takes as data (``reads``); otherwise
:func:`lookup` refuses it with :class:`~equations.errors.SpecMismatchError`
naming the changed members, so a solver never returns the parent problem's
solution for a changed problem.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from equations.core import GRID_BYTES_PER_POINT, Equation
from equations.errors import InvalidParameterError, SpecMismatchError, UnknownNameError
from equations.overrides import changed_members, defining_class
from equations.registry import Registry

Stat = int | float | str


@dataclass(frozen=True)
class SolverOutput:
    """Values on the requested tensor grid and scalar statistics for the attributes."""

    values: np.ndarray
    stats: Mapping[str, Stat] = field(default_factory=dict)


SolverFn = Callable[..., SolverOutput]



@dataclass(frozen=True)
class Solver:
    """One registered solver: the function, the spec type it implements and what of the spec it reads."""

    equation_type: type[Equation]
    name: str
    fn: SolverFn
    reads: frozenset[str]


# every solver as "<EquationType>.<name>"; the modules of `solvers` (and entry points of group
# sciml_toolkit.solvers) register theirs by importing, found on the first lookup
SOLVERS: Registry[Solver] = Registry("solver", packages=("solvers",))
# equation type -> {solver name: function}; the first name registered is the default
_SOLVERS: dict[type[Equation], dict[str, SolverFn]] = {}
# (equation type, solver name) -> the spec members the solver evaluates (takes as data)
_READS: dict[tuple[type[Equation], str], frozenset[str]] = {}

# solvers for any spec (the generic reference), tried after every specialised one
_FALLBACKS: dict[str, SolverFn] = {}

# a numerical solver never reads the closed form, so a subclass may restate it freely
NOT_READ_BY_SOLVERS = frozenset({"exact"})


def register(
    equation_type: type[Equation], name: str, *, reads: tuple[str, ...] = ()
) -> Callable[[SolverFn], SolverFn]:
    """Decorator registering ``fn`` as solver ``name`` for ``equation_type``.

    Parameters
    ----------
    equation_type : type
        An :class:`equations.Equation` subclass; subclasses of it inherit the solver
        when they redefine nothing but the members in ``reads``.
    name : str
        Solver name, unique per equation type (``"multigrid"``, ``"cole_hopf"``...).
    reads : tuple of str
        Spec members the solver evaluates from the instance it is given (e.g.
        ``("source", "conditions", "domain")``), so a subclass may redefine them.
        The solver must then honour whatever they return, or raise
        :class:`~equations.errors.SpecMismatchError` itself (e.g. a domain that
        is not a box). ``("*",)``: the solver reads the whole spec, so every
        subclass inherits it (it must then check what it cannot honour).
    """
    if not (isinstance(equation_type, type) and issubclass(equation_type, Equation)):
        raise InvalidParameterError(f"solvers are registered for Equation subclasses, got {equation_type!r}")

    def decorate(fn: SolverFn) -> SolverFn:
        table = _SOLVERS.setdefault(equation_type, {})
        if name in table and table[name] is not fn:
            raise InvalidParameterError(f"solver {name!r} is already registered for {equation_type.__name__}")
        table[name] = fn
        _READS[(equation_type, name)] = frozenset(reads)
        SOLVERS.register(f"{equation_type.__qualname__}.{name}", Solver(equation_type, name, fn, frozenset(reads)),
                         replace=True)
        return fn

    return decorate


def register_fallback(name: str) -> Callable[[SolverFn], SolverFn]:
    """Decorator registering ``fn`` as solver ``name`` for every spec, after the specialised ones.

    A fallback reads the whole spec (residual, conditions, domain), so it
    implements any subclass as given, or refuses it at run time with
    :class:`~equations.errors.SpecMismatchError`. :func:`candidates` lists it
    after the registered solvers that implement the spec.
    """

    def decorate(fn: SolverFn) -> SolverFn:
        if name in _FALLBACKS and _FALLBACKS[name] is not fn:
            raise InvalidParameterError(f"fallback solver {name!r} is already registered")
        _FALLBACKS[name] = fn
        SOLVERS.register(f"Equation.{name}", Solver(Equation, name, fn, frozenset({"*"})), replace=True)
        return fn

    return decorate


def fallbacks() -> dict[str, SolverFn]:
    """The solvers every spec gets (name -> function), in registration order."""
    SOLVERS.discover()
    return dict(_FALLBACKS)


def _registered_class(equation_type: type) -> type[Equation] | None:
    SOLVERS.discover()  # the solver modules register on import
    for cls in equation_type.__mro__:  # the most specific registration wins
        if cls in _SOLVERS:
            return cls
    return None


def _table(equation_type: type) -> dict[str, SolverFn] | None:
    cls = _registered_class(equation_type)
    return None if cls is None else _SOLVERS[cls]


def closed_form(equation: Equation, axes: dict[str, np.ndarray]) -> SolverOutput:
    """The equation's exact solution on the grid: the ``"exact"`` method of every spec that has one."""
    names = equation.domain.names
    mesh = np.meshgrid(*(axes[n] for n in names), indexing="ij")
    values = np.asarray(equation.exact(dict(zip(names, mesh))), dtype=np.float64)
    return SolverOutput(np.array(np.broadcast_to(values, mesh[0].shape)))


def _has_exact(equation: Equation | type[Equation]) -> bool:
    flag = getattr(equation, "has_exact", False)
    return flag is True  # a property on a class (exact only for some instances) does not count


def mismatch(equation: Equation, method: str) -> str | None:
    """Why solver ``method`` cannot be trusted with ``equation`` (None if it can).

    A registered solver implements the class it was registered for; the
    closed form implements the class that defines ``exact``. A subclass that
    redefines any other member (conditions, source, domain, residual, initial
    value...) states a different problem, unless the solver reads that member.
    """
    equation_type = type(equation)
    if method in fallbacks() and method not in (_table(equation_type) or {}):
        return None  # a fallback reads the whole spec
    if method == "exact" and "exact" not in (_table(equation_type) or {}):
        owner = defining_class(equation_type, "exact")
        if owner is None or not _has_exact(equation):
            return f"{equation_type.__name__} has no closed form"
        # a manufactured case derives its source from members a subclass may then redefine (a Lagrangian)
        reads: frozenset[str] = frozenset(getattr(owner, "exact_holds_for", ()))
    else:
        owner = _registered_class(equation_type)
        if owner is None or method not in _SOLVERS[owner]:
            return f"no solver {method!r} is registered for {equation_type.__name__}"
        reads = _READS.get((owner, method), frozenset()) | NOT_READ_BY_SOLVERS
        if "*" in reads:  # the solver reads the whole spec (and refuses what it cannot honour itself)
            return None
    changed = [m for m in changed_members(equation_type, owner) if m not in reads]
    if not changed:
        return None
    takes = f" (it takes {', '.join(sorted(reads - NOT_READ_BY_SOLVERS))} from the spec)" if reads - {"exact"} else ""
    return (
        f"solver {method!r} implements {owner.__name__} as written{takes}, but {equation_type.__name__} "
        f"redefines {', '.join(changed)}"
    )


def lookup(equation: Equation, method: str | None = None) -> tuple[str, SolverFn]:
    """The ``(name, function)`` solving ``equation``: ``method`` or the default one.

    ``method="exact"`` evaluates the closed form of any spec that has one. The
    default is the first registered solver that implements the spec as given
    (see :func:`mismatch`).

    Raises
    ------
    UnknownNameError
        No solver is registered for the spec's type, or ``method`` is unknown.
    SpecMismatchError
        The solver(s) would ignore members the spec redefines.
    """
    table = _table(type(equation))
    if method == "exact" and _has_exact(equation) and "exact" not in (table or {}):
        reason = mismatch(equation, "exact")
        if reason:
            raise SpecMismatchError(f"{reason}; its closed form may not solve it. {_ADVICE}")
        return "exact", closed_form
    if method is None:
        return candidates(equation)[0]
    if method in fallbacks() and method not in (table or {}):
        return method, fallbacks()[method]
    if table is None:
        raise _no_solver(equation)
    if method not in table:
        raise UnknownNameError(
            f"no solver {method!r} for {type(equation).__name__}; available: {', '.join(available(equation))}"
        )
    reason = mismatch(equation, method)
    if reason:
        raise SpecMismatchError(f"{reason}. {_ADVICE}")
    return method, table[method]


def _no_solver(equation: Equation) -> UnknownNameError:
    SOLVERS.discover()
    known = ", ".join(sorted(cls.__name__ for cls in _SOLVERS)) or "none"
    return UnknownNameError(
        f"no classical solver is registered for {type(equation).__name__}; equations with a solver: {known}"
    )


def candidates(equation: Equation) -> list[tuple[str, SolverFn]]:
    """The registered solvers that implement ``equation`` as given, in registration order.

    Raises
    ------
    UnknownNameError
        No solver is registered for the spec's type.
    SpecMismatchError
        Every registered solver would ignore a member the spec redefines.
    """
    table = _table(type(equation)) or {}
    found = [(name, table[name]) for name in table if mismatch(equation, name) is None]
    found += [(name, fn) for name, fn in fallbacks().items() if name not in table]
    if not found:
        raise refusal(equation) if table else _no_solver(equation)
    return found


def refusal(equation: Equation, found_at_run_time: tuple[str, ...] = ()) -> SpecMismatchError:
    """The error saying why no registered solver implements ``equation`` (with reasons solvers gave)."""
    reasons = [r for r in (mismatch(equation, name) for name in _table(type(equation)) or ()) if r]
    return SpecMismatchError("; ".join([*reasons, *found_at_run_time]) + f". {_ADVICE}")


_ADVICE = (
    "Register a solver for the subclass (solvers.register(YourClass, name)), or pass a reference "
    "computed another way"
)


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
        SOLVERS.discover()
        return tuple(sorted({n for table in _SOLVERS.values() for n in table} | set(_FALLBACKS)))
    cls = equation if isinstance(equation, type) else type(equation)
    if not issubclass(cls, Equation):
        raise InvalidParameterError(f"expected an Equation or an Equation subclass, got {equation!r}")
    names = tuple(_table(cls) or ())
    if _has_exact(equation) and "exact" not in names:
        names += ("exact",)
    return names + tuple(n for n in fallbacks() if n not in names)


# solver -> bytes of working memory per grid point, for those needing more than GRID_BYTES_PER_POINT
_MEMORY: dict[SolverFn, float] = {}


def needs_memory(bytes_per_point: float) -> Callable[[SolverFn], SolverFn]:
    """Decorator: the solver holds about ``bytes_per_point`` bytes per grid point (a sparse LU's fill-in...).

    :func:`solvers.solve` refuses a grid whose estimate does not fit in the
    available memory before the solver starts (:meth:`equations.core.Domain.grid`).
    """

    def decorate(fn: SolverFn) -> SolverFn:
        _MEMORY[fn] = float(bytes_per_point)
        return fn

    return decorate


def bytes_per_point(fn: SolverFn) -> float:
    """The working memory per grid point of solver ``fn`` (:data:`equations.core.GRID_BYTES_PER_POINT` by default)."""
    return _MEMORY.get(fn, GRID_BYTES_PER_POINT)
