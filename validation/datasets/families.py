"""Datasets made from equation families: sample a member, solve it with ``solvers.solve``, store it.

A family (:mod:`equations.families`) draws a random input and makes the spec
instance that holds it; this module turns a family into a
:class:`~validation.datasets.registry.DatasetSpec`, so the resumable, chunked
and Dask-capable machinery of :mod:`validation.datasets` (``make``,
``generate``, ``from_inputs``, ``load``) works for it unchanged. Sample ``i``
is the member drawn from ``numpy.random.default_rng([seed, i])``; its output
is ``solvers.solve(member, grid, **options)``, the solver registered for the
spec (the generic finite-difference fallback where none is), so a user's
family needs no solver of its own::

    spec = family_dataset("my_family")            # every default: input and output on the spec's grid
    DATASETS.register(spec.name, spec)
    ds = datasets.make("my_family", 100, resolution=65, seed=0)

A :class:`Recipe` says how a dataset maps its resolution and parameters to
the family's input grid, the solver's grid and options, and what of the
drawn input and of the solution it stores. Its defaults draw the input and
solve on the same ``resolution`` points per axis and store both as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import partial
from typing import Any

import numpy as np

from equations.core import Equation
from equations.errors import InvalidParameterError, SpecMismatchError
from equations.families import FAMILIES, Family
from validation.datasets.registry import Coords, DatasetSpec, Field, coord

Params = Mapping[str, Any]


def _same(resolution: int, params: Params) -> int:
    return resolution


def _no_options(params: Params) -> dict[str, Any]:
    return {}


def _keep(values: np.ndarray, resolution: int, params: Params) -> np.ndarray:
    return values


@dataclass(frozen=True)
class Recipe:
    """How a dataset is made from family ``family``.

    Attributes
    ----------
    family : str
        The family's name in :data:`equations.families.FAMILIES`. Its
        parameters are the dataset parameters of the same names.
    points : callable
        ``points(resolution, params)``: points per axis of the input grid the
        family draws on (default: ``resolution``).
    grid : callable
        ``grid(resolution, params)``: the ``resolution`` argument of
        ``solvers.solve`` (an int or one int per coordinate; default: ``resolution``).
    options : callable
        ``options(params)``: the solver's keyword options (default: none).
    method : str, optional
        The solver's name (default: the first registered for the spec).
    store_input : callable
        ``store_input(values, resolution, params)``: the stored input of one
        sample from its drawn values (default: the values themselves).
    store_output : callable
        ``store_output(values, resolution, params)``: the stored output of one
        sample from the solution's values on ``grid`` (default: all of them).
    solve : callable, optional
        ``solve(equation, resolution, params)``: the output values of one
        member, instead of ``solvers.solve``; for a dataset that needs a
        solver call ``solvers.solve`` does not offer (it must still read the
        problem from the member, and say so in its docstring).
    """

    family: str
    points: Callable[[int, Params], int] = _same
    grid: Callable[[int, Params], int | tuple[int, ...]] = _same
    options: Callable[[Params], dict[str, Any]] = _no_options
    method: str | None = None
    store_input: Callable[[np.ndarray, int, Params], np.ndarray] = _keep
    store_output: Callable[[np.ndarray, int, Params], np.ndarray] = _keep
    solve: Callable[[Equation, int, Params], np.ndarray] | None = None


def family_of(name: str, params: Params) -> Family:
    """The family ``name`` with its parameters taken from the dataset parameters ``params``."""
    cls = FAMILIES.get(name)
    return cls(**{f.name: params[f.name] for f in fields(cls) if f.name in params})


def draw(recipe: Recipe, rng: np.random.Generator, resolution: int, params: Params) -> np.ndarray:
    """One sample's random input on the family's input grid (the ``draw`` of the dataset spec).

    With :func:`solve`, which makes the member of these values, this is
    :meth:`equations.families.Family.sample`; the two are apart so that the
    user's own inputs (``from_inputs``) take the same path from the member on.
    """
    family = family_of(recipe.family, params)
    points = recipe.points(resolution, params)
    return family.check_input(family.draw(rng, points), points)


def solve_member(recipe: Recipe, equation: Equation, resolution: int, params: Params) -> np.ndarray:
    """The solution values of one member: ``recipe.solve`` or ``solvers.solve`` on ``recipe.grid``."""
    if recipe.solve is not None:
        return np.asarray(recipe.solve(equation, resolution, params), dtype=np.float64)
    import solvers  # here: the solver modules load on first use, not when the datasets are listed

    result = solvers.solve(equation, recipe.grid(resolution, params), method=recipe.method, **recipe.options(params))
    return np.asarray(result.values, dtype=np.float64)


def solve(recipe: Recipe, draws: np.ndarray, resolution: int, params: Params) -> tuple[np.ndarray, np.ndarray]:
    """``(inputs, outputs)`` of a stack of drawn (or lifted) inputs: each made a member and solved.

    The ``solve`` of the dataset spec. Each sample is solved on its own, so a
    sample never depends on the others of its chunk.
    """
    family = family_of(recipe.family, params)
    inputs, outputs = [], []
    for values in draws:
        member = family.member(values)
        inputs.append(recipe.store_input(values, resolution, params))
        outputs.append(recipe.store_output(solve_member(recipe, member, resolution, params), resolution, params))
    if not outputs:
        return np.asarray(draws, dtype=np.float64), np.zeros((0,))
    return np.stack(inputs), np.stack(outputs)


def _coords(family: str, resolution: int, params: Params) -> Coords:
    """Input grid and solver grid coordinates, for the default recipe (both on ``resolution`` points)."""
    fam = family_of(family, params)
    out: Coords = {}
    for dim, values in fam.input_grid(resolution).items():
        out[dim] = coord(values, f"{dim} coordinate" if dim != "t" else "time")
    domain = fam.domain
    for dim, values in domain.grid((resolution,) * len(domain.names)).items():
        attrs = domain.coordinate_attrs(dim)
        if dim in out and not np.array_equal(out[dim][0], values):
            raise InvalidParameterError(f"family {family}: the input grid and the solver grid differ along "
                                        f"{dim!r}; give the dataset its own coords")
        out[dim] = (values, {"long_name": attrs["long_name"], "units": attrs["units"]})
    return out


def family_dataset(
    family: str,
    recipe: Recipe | None = None,
    *,
    name: str | None = None,
    title: str | None = None,
    solver: str | None = None,
    input: Field | None = None,
    output: Field | None = None,
    default_resolution: int = 33,
    defaults: Mapping[str, Any] | None = None,
    coords: Callable[[int, Params], Coords] | None = None,
    positive: tuple[str, ...] = (),
    int_minimum: Mapping[str, int] | None = None,
    min_resolution: int = 3,
    lift: Callable[[np.ndarray, int, Params], np.ndarray] | None = None,
    lift_method: str | None = None,
) -> DatasetSpec:
    """The dataset spec of family ``family``: its samples are members solved by ``solvers.solve``.

    Parameters
    ----------
    family : str
        A name in :data:`equations.families.FAMILIES`.
    recipe : Recipe, optional
        How the dataset is made (default ``Recipe(family)``: the input drawn,
        and the member solved, on ``resolution`` points per axis; both stored
        as they are).
    name, title : str, optional
        Registry name and description (default: the family's).
    solver : str, optional
        The solver, as recorded in the manifest (default: ``solvers.solve``
        with the recipe's method, the first registered one if none).
    input, output : Field, optional
        Dims and attributes of the stored variables (default: the family's
        ``input_dims`` and ``input``; the spec's coordinates and ``field``).
    default_resolution : int
        Grid points per axis when none is asked for.
    defaults : mapping, optional
        Every generator parameter with its default (default: the family's
        parameters with their defaults). The family's parameters are taken from
        here by name; the others are the recipe's (``refine``, tolerances...).
    coords : callable, optional
        ``coords(resolution, params)`` (default: the family's input grid and
        the spec's solver grid, both on ``resolution`` points per axis).
    positive, int_minimum, min_resolution, lift, lift_method
        As in :class:`~validation.datasets.registry.DatasetSpec`.

    Returns
    -------
    DatasetSpec
        Register it with ``DATASETS.register(spec.name, spec)`` to make the
        dataset by name (``make``, ``generate``, ``from_inputs``, the CLI).
    """
    recipe = recipe if recipe is not None else Recipe(family)
    cls = FAMILIES.get(family)
    if cls.equation.fields:
        raise SpecMismatchError(f"family_dataset stores one output field; the members of {family!r} "
                                f"({cls.equation.__name__}) have the fields "
                                f"{', '.join(v.name for v in cls.equation.fields)}")
    spec_field = cls.equation.field
    if defaults is None:
        defaults = {f.name: f.default for f in fields(cls)}
    if input is None:
        input = Field(cls.input_dims, cls.input.long_name or cls.input.name, cls.input.units)
    if output is None:
        names = cls().domain.names
        output = Field(names, spec_field.long_name or spec_field.name, spec_field.units)
    extra: dict[str, Any] = {}
    if lift_method is not None:
        extra["lift_method"] = lift_method
    return DatasetSpec(
        name=name or cls.name,
        title=title or cls.title,
        solver=solver or f"solvers.solve ({recipe.method or 'the default solver'} for {cls.equation.__name__})",
        input=input,
        output=output,
        default_resolution=default_resolution,
        defaults=dict(defaults),
        coords=coords if coords is not None else partial(_coords, family),
        draw=partial(draw, recipe),
        solve=partial(solve, recipe),
        positive=positive,
        int_minimum=dict(int_minimum or {}),
        min_resolution=min_resolution,
        lift=lift,
        family=family,
        **extra,
    )
