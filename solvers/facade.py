"""``solve(equation, resolution)``: dispatch on the equation type, time it, wrap the result.

``solve`` returns one ``DataArray`` (a spec with one field); ``solve_fields``
returns a ``Dataset`` with one variable per field, for systems (and for any
spec).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import xarray as xr

from equations.core import Equation
from equations.errors import InvalidDataError, InvalidParameterError, SpecMismatchError
from equations.systems import check_system, is_system, require_scalar
from solvers.output import to_dataarray
from solvers.registry import SolverFn, bytes_per_point, candidates, check_options, lookup, refusal
from solvers.verification import check_conditions


def solve(
    equation: Equation, resolution: int | Sequence[int], *, method: str | None = None, **options: Any
) -> xr.DataArray:
    """Reference solution of ``equation`` on a uniform tensor grid.

    Parameters
    ----------
    equation : Equation
        The spec (e.g. ``equations.Burgers(nu=0.01 / pi)``).
    resolution : int or sequence of int
        Points per coordinate in ``equation.domain.names`` order (e.g. ``(nx, nt)``
        for Burgers, ``(nx, ny)`` for Poisson); an int is used for every coordinate.
    method : str, optional
        Solver name (see :func:`solvers.available`); default: the first registered
        for the equation's type.
    **options
        Solver-specific keyword options (tolerances, quadrature or mode counts...).

    Returns
    -------
    xarray.DataArray
        Dims ``equation.domain.names``, coordinates from
        ``equation.domain.grid(resolution)``, ``name`` and ``long_name``/``units``
        from ``equation.field``, and attributes ``solver``, ``solve_time_s`` plus
        solver statistics. Points outside a non-rectangular domain are NaN.

    Raises
    ------
    UnknownNameError
        No solver is registered for the equation's type, or ``method`` is unknown.
    SpecMismatchError
        The solver does not implement the spec as given: a subclass redefines
        members the solver would ignore (see :func:`solvers.registry.mismatch`),
        or the result misses the spec's boundary or initial data
        (:func:`solvers.verification.check_conditions`).
    InvalidParameterError
        Bad resolution or options.
    """
    if not isinstance(equation, Equation):
        raise InvalidParameterError(f"solve expects an equations.Equation instance, got {type(equation).__name__}")
    require_scalar(equation, "solvers.solve (solvers.solve_fields returns one variable per field)")
    with torch_threads_kept():
        return _solve(equation, resolution, method, options)[0]


def solve_fields(
    equation: Equation, resolution: int | Sequence[int], *, method: str | None = None, **options: Any
) -> xr.Dataset:
    """Reference solution of any spec, a system included, as a Dataset with one variable per field.

    Parameters and errors as :func:`solve`; a system is checked first
    (:func:`equations.systems.check_system`). Each variable carries its
    field's name, ``long_name`` and ``units`` and the solver's attributes.
    """
    if not isinstance(equation, Equation):
        raise InvalidParameterError(
            f"solve_fields expects an equations.Equation instance, got {type(equation).__name__}"
        )
    check_system(equation)
    with torch_threads_kept():
        arrays = _solve(equation, resolution, method, options)
    return xr.Dataset({a.name: a for a in arrays}, attrs={"equation": equation.label,
                                                          "solver": str(arrays[0].attrs["solver"])})


@contextmanager
def torch_threads_kept() -> Iterator[None]:
    """Put torch's thread count back after a solve.

    numba's OpenMP threading layer sets the process's OpenMP thread count when
    a parallel kernel starts, and torch reads its intra-op thread count from
    the same runtime: without this, a reference solved before a fit (as
    ``compare`` does) silently changed the threads the learner trains on.
    """
    torch = sys.modules.get("torch")  # the solvers never import torch themselves
    saved = torch.get_num_threads() if torch is not None else None
    try:
        yield
    finally:
        if torch is not None and saved is not None and torch.get_num_threads() != saved:
            torch.set_num_threads(saved)


def _solve(equation: Equation, resolution: int | Sequence[int], method: str | None,
           options: dict[str, Any]) -> list[xr.DataArray]:
    chosen = [lookup(equation, method)] if method is not None else candidates(equation)
    if options and len(chosen) > 1:  # options meant for one solver: only the candidates that take them
        chosen = [c for c in chosen if _accepts(c, options)] or chosen[:1]
    for name, fn in chosen:
        check_options(name, fn, options)
    names = equation.domain.names
    if isinstance(resolution, (int, np.integer)) and not isinstance(resolution, bool):
        shape: tuple[int, ...] = (int(resolution),) * len(names)
    elif isinstance(resolution, Sequence) and not isinstance(resolution, (str, bytes)):
        shape = tuple(resolution)
    else:
        raise InvalidParameterError(f"resolution must be an int or a sequence of ints, got {resolution!r}")
    refused: list[str] = []
    for name, fn in chosen:
        # a grid that cannot fit is refused here, before the solver allocates (its own estimate)
        axes = equation.domain.grid(shape, bytes_per_point=bytes_per_point(fn))
        try:
            return _run(equation, axes, name, fn, options)
        except SpecMismatchError as exc:
            if method is not None:
                raise
            refused.append(str(exc))  # the default: try the next solver that may implement the spec
    # every candidate refused the spec at run time; say why, with the registration-time reasons too
    raise refusal(equation, tuple(refused))


def _accepts(candidate: tuple[str, SolverFn], options: dict[str, Any]) -> bool:
    try:
        check_options(*candidate, options)
    except InvalidParameterError:
        return False
    return True


def _run(equation: Equation, axes: dict[str, np.ndarray], name: str, fn: SolverFn,
         options: dict[str, Any]) -> list[xr.DataArray]:
    start = time.perf_counter()
    out = fn(equation, axes, **options)
    elapsed = time.perf_counter() - start
    fields = equation.unknowns
    expected = tuple(len(axes[n]) for n in equation.domain.names) + ((len(fields),) if is_system(equation) else ())
    if out.values.shape != expected:  # a solver bug, not a user error, but report it clearly
        raise InvalidDataError(f"solver {name!r} returned shape {out.values.shape}, expected {expected}")
    results = []
    for j, variable in enumerate(fields):
        values = out.values[..., j] if is_system(equation) else out.values
        result = to_dataarray(equation, axes, values, name, elapsed, out.stats, variable=variable)
        check_conditions(equation, axes, result.values, name, field=variable.name if is_system(equation) else None)
        results.append(result)
    return results
