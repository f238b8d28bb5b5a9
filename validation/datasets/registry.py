"""The dataset registry: what each operator-learning dataset holds and how one chunk of it is made.

:data:`DATASETS` is a :class:`equations.registry.Registry` like every other:
a module of this package (or of a third-party package, through the entry
point group ``sciml_toolkit.datasets``) adds a dataset by calling
``DATASETS.register(spec.name, spec)``; ``DATASETS.names()`` lists them and
``DATASETS.get(name)`` returns one, importing the modules on first use.

A :class:`DatasetSpec` names the dimensions and coordinates of the ``input``
and ``output`` variables, the generator parameters and their defaults, and
two functions: ``draw`` (one sample's random input, from that sample's own
generator) and ``solve`` (the classical solver, on a stack of draws). The
shipped datasets are made from equation families
(:func:`validation.datasets.families.family_dataset`), whose ``draw`` and
``solve`` sample a member of the family and solve it with ``solvers.solve``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from equations.errors import InvalidParameterError, check_integer, is_finite_number
from equations.registry import Registry

Coords = dict[str, tuple[np.ndarray, dict[str, str]]]


@dataclass(frozen=True)
class Field:
    """Dimensions (after ``sample``) and CF attributes of a dataset variable."""

    dims: tuple[str, ...]
    long_name: str
    units: str = "1"


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset family.

    Attributes
    ----------
    name, title : str
        Registry name and a one-line description.
    solver : str
        The classical solver that makes the outputs (recorded in the manifest).
    input, output : Field
        Dims and attributes of the two variables.
    default_resolution : int
        Grid points per output axis when none is asked for.
    defaults : Mapping
        Every generator parameter with its default; an ``int`` default makes
        the parameter an integer >= ``int_minimum[key]`` (1 if absent), a
        ``float`` default a finite number (> 0 if listed in ``positive``).
    coords : callable
        ``coords(resolution, params)``: values and attributes of every non-sample dim.
    draw : callable
        ``draw(rng, resolution, params)``: one sample's random input (any array).
    solve : callable
        ``solve(draws, resolution, params)``: ``(inputs, outputs)`` for the stacked draws.
    lift : callable, optional
        ``lift(inputs, resolution, params)``: the draws ``solve`` takes, made
        from user-supplied inputs ``(n, *input shape)`` given on the ``input``
        variable's grid (:func:`validation.datasets.from_inputs`). ``None``:
        the draws are the inputs themselves.
    lift_method : str
        How ``lift`` reads the user's inputs (recorded in the manifest).
    family : str, optional
        The equation family the samples are members of (a name in
        :data:`equations.families.FAMILIES`), when ``draw`` and ``solve`` are
        those of :func:`validation.datasets.families.family_dataset`.
    """

    name: str
    title: str
    solver: str
    input: Field
    output: Field
    default_resolution: int
    defaults: Mapping[str, Any]
    coords: Callable[[int, Mapping[str, Any]], Coords]
    draw: Callable[[np.random.Generator, int, Mapping[str, Any]], np.ndarray]
    solve: Callable[[np.ndarray, int, Mapping[str, Any]], tuple[np.ndarray, np.ndarray]]
    positive: tuple[str, ...] = ()
    int_minimum: Mapping[str, int] = field(default_factory=dict)
    min_resolution: int = 2
    lift: Callable[[np.ndarray, int, Mapping[str, Any]], np.ndarray] | None = None
    lift_method: str = "used as given (the solver reads the input values themselves)"
    family: str | None = None


# every dataset family by name; each module of `validation.datasets` registers its own by defining it
DATASETS: Registry[DatasetSpec] = Registry("dataset", packages=("validation.datasets",))


def resolve(spec: DatasetSpec, resolution: object, params: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    """Checked resolution and the full parameter dict (defaults filled in, JSON-friendly types)."""
    res = spec.default_resolution
    if resolution is not None:
        res = check_integer("resolution", resolution, spec.min_resolution)
    unknown = sorted(set(params) - set(spec.defaults))
    if unknown:
        raise InvalidParameterError(
            f"{spec.name}: unknown parameter(s) {', '.join(unknown)}; valid: {', '.join(sorted(spec.defaults))}"
        )
    out: dict[str, Any] = {}
    for key, default in spec.defaults.items():
        value = params.get(key, default)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise InvalidParameterError(f"{spec.name}: {key} must be true or false, got {value!r}")
            out[key] = value
        elif isinstance(default, int):
            out[key] = check_integer(key, value, spec.int_minimum.get(key, 1))
        else:
            ok = (isinstance(value, (np.integer, np.floating)) and bool(np.isfinite(value))) or is_finite_number(value)
            if not ok or (key in spec.positive and float(value) <= 0):
                bound = " > 0" if key in spec.positive else ""
                raise InvalidParameterError(f"{spec.name}: {key} must be a finite number{bound}, got {value!r}")
            out[key] = float(value)
    return res, out


def unit_grid(points: int) -> np.ndarray:
    """``points`` uniform points on ``[0, 1]``, both ends included."""
    return np.linspace(0.0, 1.0, points)


def coord(values: np.ndarray, long_name: str, units: str = "1") -> tuple[np.ndarray, dict[str, str]]:
    """A coordinate with its CF attributes."""
    return np.asarray(values), {"long_name": long_name, "units": units}
