"""Find a spec by reference: a registered name, ``module:Class`` or ``path/to/file.py[:Class]``.

This is how the command line runs a user's own equation::

    sciml compare my_heat.py:HeatWithSource --param kappa=0.2
    sciml compare mypackage.pdes:Bratu

A file is imported as a module (the user's own code, as ``python file.py``
would run it); nothing here evaluates a string.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

from equations.core import EQUATIONS, Equation
from equations.errors import InvalidParameterError, UnknownNameError


def spec_class(reference: str) -> type[Equation]:
    """The :class:`Equation` subclass ``reference`` names.

    Parameters
    ----------
    reference : str
        A registered equation name (``"burgers"``), ``"module:Class"`` (an
        importable module), or ``"path/to/file.py"`` with an optional
        ``":Class"`` (required when the file defines several specs).

    Raises
    ------
    UnknownNameError
        The name, module, file or class does not exist, or is not an Equation.
    """
    if not isinstance(reference, str) or not reference:
        raise InvalidParameterError(f"an equation reference must be a non-empty string, got {reference!r}")
    target, _, attribute = reference.rpartition(":") if ":" in reference else (reference, "", "")
    if not target.endswith(".py") and ":" not in reference:
        return EQUATIONS.get(reference)  # type: ignore[no-any-return]
    module = _from_file(Path(target)) if target.endswith(".py") else _import(target)
    classes = {name: obj for name, obj in vars(module).items()
               if inspect.isclass(obj) and issubclass(obj, Equation) and obj.__module__ == module.__name__}
    if not attribute:
        if len(classes) != 1:
            found = ", ".join(sorted(classes)) or "none"
            raise UnknownNameError(f"{target} defines {len(classes)} Equation subclasses ({found}); "
                                   f"name one as {target}:ClassName")
        return next(iter(classes.values()))
    obj = getattr(module, attribute, None)
    if not (inspect.isclass(obj) and issubclass(obj, Equation)):
        found = ", ".join(sorted(classes)) or "none"
        raise UnknownNameError(f"{target} has no Equation subclass {attribute!r} (it defines: {found})")
    return obj


def load_spec(reference: str, **params: Any) -> Equation:
    """Build the spec ``reference`` names (see :func:`spec_class`) with ``params``.

    Unknown or invalid parameters raise :class:`InvalidParameterError` naming them.
    """
    cls = spec_class(reference)
    if cls.__dict__.get("name") and cls.name in EQUATIONS and EQUATIONS.get(cls.name) is cls:
        return EQUATIONS.create(cls.name, **params)  # type: ignore[no-any-return]
    valid = set(inspect.signature(cls).parameters)
    bad = sorted(set(params) - valid)
    if bad:
        raise InvalidParameterError(f"{cls.__name__}: unknown parameter(s) {', '.join(bad)}; "
                                    f"valid: {', '.join(sorted(valid)) or 'none'}")
    try:
        return cls(**params)
    except TypeError as exc:
        raise InvalidParameterError(f"{cls.__name__}: {exc}") from None


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise UnknownNameError(f"cannot import module {name!r} ({exc})") from None


def _from_file(path: Path) -> Any:
    if not path.is_file():
        raise UnknownNameError(f"no file {str(path)!r}")
    name = f"sciml_user_spec_{path.stem}_{abs(hash(str(path.resolve())))}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UnknownNameError(f"cannot import {str(path)!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
    except Exception:
        del sys.modules[name]
        raise
    return module
