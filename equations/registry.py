"""One registry type for everything the toolkit looks up by name.

Equations, learners, solvers, datasets, linear-system methods and benchmark
suites are each held by a :class:`Registry` with the same verbs:

>>> from equations import EQUATIONS
>>> "burgers" in EQUATIONS
True
>>> EQUATIONS.create("burgers", nu=0.01).nu
0.01

``register`` adds an entry (a class registers itself by naming itself, see
:class:`equations.Equation`), ``get`` returns it, ``create`` calls it with
parameters, ``names`` lists them. A registry finds its entries itself: on the
first lookup it imports every module of its packages (so a new module
registers without being listed anywhere) and loads the Python entry points of
its group, so a third-party package adds an equation, a learner or a solver by
declaring, in its own ``pyproject.toml``::

    [project.entry-points."sciml_toolkit.equations"]
    my_pde = "my_package.my_module:MyPDE"

An entry point names a module to import (which registers what it defines) or
an object, registered under the entry point's name if it is not registered
already.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil
import warnings
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, Generic, TypeVar

from equations.errors import InvalidParameterError, UnknownNameError

T = TypeVar("T")

# entry-point groups are "sciml_toolkit.<kind>s" (or "sciml_toolkit.<plural>")
ENTRY_POINT_PREFIX = "sciml_toolkit."


class PluginWarning(UserWarning):
    """A package's module or entry point failed to load; its entries are missing."""


class Registry(Generic[T]):
    """Names to entries of one kind (lower-case names; lookups ignore case).

    Parameters
    ----------
    kind : str
        What the entries are (``"equation"``, ``"learner"``...), used in messages
        and in the entry-point group ``sciml_toolkit.<kind>s`` (``<plural>`` if given).
    packages : sequence of str
        Packages whose modules are imported on the first lookup, so that every
        module that registers something is found without an import list.
    check : callable, optional
        ``check(name, entry, params)`` run by :meth:`create` before the call, to
        refuse bad parameters with a message that names them.
    plural : str, optional
        The plural of ``kind`` where adding an "s" is wrong (``"families"``).
    """

    def __init__(self, kind: str, packages: Sequence[str] = (),
                 check: Callable[[str, T, dict[str, Any]], None] | None = None, plural: str | None = None):
        self.kind = kind
        self.plural = plural or f"{kind}s"
        self.packages = tuple(packages)
        self.check = check
        self.group = f"{ENTRY_POINT_PREFIX}{self.plural.replace(' ', '_')}"
        self._entries: dict[str, T] = {}
        self._discovered = False

    # -- the verbs ------------------------------------------------------------------
    def register(self, name: str, entry: T | None = None, *, replace: bool = False) -> Any:
        """Add ``entry`` under ``name``; without ``entry``, a decorator that does.

        Raises
        ------
        InvalidParameterError
            ``name`` is not a non-empty string, or another entry holds it
            (unless ``replace``; re-running the same definition, e.g. a notebook
            cell, replaces it).
        """
        if not isinstance(name, str) or not name.strip():
            raise InvalidParameterError(f"a {self.kind} name must be a non-empty string, got {name!r}")
        key = name.lower()
        if entry is None:
            def decorate(obj: T) -> T:
                self.register(name, obj, replace=replace)
                return obj
            return decorate
        held = self._entries.get(key)
        if held is not None and held is not entry and not replace and _identity(held) != _identity(entry):
            raise InvalidParameterError(
                f"{self.kind} name {name!r} is taken by {_identity(held)}; cannot register {_identity(entry)}"
            )
        self._entries[key] = entry
        return entry

    def get(self, name: str) -> T:
        """The entry registered under ``name``; :class:`UnknownNameError` lists the registered names."""
        key = name.lower() if isinstance(name, str) else None
        if key not in self._entries:
            self.discover()
        if key not in self._entries:
            raise UnknownNameError(f"unknown {self.kind} {name!r}; registered {self.plural}: {', '.join(self.names())}")
        return self._entries[key]  # type: ignore[index]

    def create(self, name: str, /, **params: Any) -> Any:
        """Call the entry ``name`` with ``params`` (build a class, run a factory)."""
        factory = self.get(name)
        if not callable(factory):
            raise InvalidParameterError(f"{self.kind} {name!r} is not something to create")
        if self.check is not None:
            self.check(name, factory, params)
        return factory(**params)

    def names(self) -> tuple[str, ...]:
        """Every registered name, sorted."""
        self.discover()
        return tuple(sorted(self._entries))

    def items(self) -> Iterator[tuple[str, T]]:
        """``(name, entry)`` pairs in name order."""
        for name in self.names():
            yield name, self._entries[name]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        if name.lower() not in self._entries:
            self.discover()
        return name.lower() in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self._entries)} entries)"

    # -- discovery ------------------------------------------------------------------
    def discover(self) -> None:
        """Import every module of the packages and load the entry points (once)."""
        if self._discovered:
            return
        self._discovered = True  # first: the imports below may look names up again
        for package in self.packages:
            for module in _modules(package):
                _load(f"module {module}", partial(importlib.import_module, module))
        for point in importlib.metadata.entry_points(group=self.group):
            loaded = _load(f"entry point {point.name} = {point.value} ({self.group})", point.load)
            if loaded is not None and not _is_module(loaded) and point.name.lower() not in self._entries:
                self.register(point.name, loaded)


def _modules(package: str) -> list[str]:
    """Every module below ``package`` (importing its ``__init__`` first)."""
    root = importlib.import_module(package)
    paths = getattr(root, "__path__", None)
    if paths is None:
        return []
    return sorted(m.name for m in pkgutil.walk_packages(paths, f"{package}.")
                  if not m.name.rsplit(".", 1)[-1].startswith("__"))


def _load(what: str, load: Callable[[], Any]) -> Any:
    """Run ``load``; a failure warns (:class:`PluginWarning`) instead of breaking every lookup."""
    try:
        return load()
    except Exception as exc:  # a broken plugin must not take the toolkit down with it
        warnings.warn(f"{what} failed to load ({type(exc).__name__}: {exc}); its entries are missing",
                      PluginWarning, stacklevel=3)
        return None


def _is_module(obj: Any) -> bool:
    return type(obj).__name__ == "module"


def _identity(obj: Any) -> str:
    """``module.qualname`` of a class or function (what a re-run of the same definition keeps)."""
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"
