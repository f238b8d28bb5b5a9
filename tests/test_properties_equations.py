"""Property-based bad input for equation specs, domains and grids (hypothesis).

Every registered equation, given any value for any of its parameters, either
builds a usable spec or raises the toolkit's own :class:`ToolkitError` naming
the parameter; never a bare ``TypeError``/``OverflowError`` from inside, never
a spec that silently holds a bool, a string or a non-finite number.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import solvers
from equations import available, create
from equations.core import EQUATIONS, MAX_GRID_POINTS, Domain, TimeInterval
from equations.errors import InvalidParameterError, ToolkitError, UnknownNameError
from equations.geometry import Box

FAST = settings(max_examples=150, deadline=None, derandomize=True)

HUGE = st.sampled_from([10**400, -(10**400), 2**64, 10**30])
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**6), max_value=10**6),
    HUGE,
    st.sampled_from([0, 0.0, -0.0, 1, -1, 5e-324, 1e308, np.float64(2.5), np.int64(3), np.float32(0.5)]),
)
JUNK = st.one_of(
    st.none(), st.booleans(), st.text(max_size=4), st.binary(max_size=4), st.just(np.nan),
    st.lists(NUMBERS, max_size=5), st.tuples(NUMBERS, NUMBERS),
    st.dictionaries(st.text(max_size=2), NUMBERS, max_size=2),
    st.lists(st.lists(NUMBERS, min_size=3, max_size=5), min_size=1, max_size=2),
    st.lists(st.text(min_size=4, max_size=4), min_size=1, max_size=2), st.just(np.array([1.0, 2.0])),
)
VALUES = st.one_of(NUMBERS, JUNK)
PARAMETERS = [(name, f.name) for name in available() for f in fields(EQUATIONS.get(name))]


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _check_usable(eq: Any, key: str, value: Any) -> None:
    """A spec that was built holds a sane value for ``key`` and a finite domain."""
    held = getattr(eq, key)
    if isinstance(held, tuple):  # forcing / bumps: normalised to tuples of finite floats
        flat = [x for item in held for x in (item if isinstance(item, tuple) else (item,))]
        assert flat and all(isinstance(x, float) and math.isfinite(x) for x in flat), (key, value, held)
    elif held is not None:
        assert _is_number(held) and math.isfinite(float(held)), (key, value, held)
    assert all(math.isfinite(lo) and math.isfinite(hi) and lo < hi for lo, hi in eq.domain.bounds)
    assert key in eq.parameters()


@FAST
@given(st.sampled_from(PARAMETERS), VALUES)
def test_any_parameter_value_builds_a_spec_or_raises_a_typed_error_naming_it(
    name_key: tuple[str, str], value: Any
) -> None:
    name, key = name_key
    try:
        eq = create(name, **{key: value})
    except ToolkitError as exc:
        assert key in str(exc), (name, key, value, str(exc))
    else:
        _check_usable(eq, key, value)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.one_of(st.text(max_size=12), st.none(), st.integers(), st.lists(st.text(max_size=2), max_size=2)))
def test_unknown_equation_names_raise_unknown_name_error(name: Any) -> None:
    if isinstance(name, str) and name.lower() in available():
        return
    with pytest.raises(UnknownNameError, match="unknown equation"):
        create(name)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.sampled_from(available()), st.text(min_size=1, max_size=8))
def test_unknown_parameter_names_are_listed(name: str, key: str) -> None:
    if key in {f.name for f in fields(EQUATIONS.get(name))}:
        return
    with pytest.raises(InvalidParameterError, match="unknown parameter"):
        create(name, **{key: 1.0})


# -- grids --------------------------------------------------------------------------------------------------
SIZES = st.one_of(
    st.integers(min_value=-3, max_value=40), st.floats(min_value=-5, max_value=50),
    st.sampled_from([math.nan, math.inf]),
    st.sampled_from([10**12, 2**40, 10**400, 2.0, 3.0, np.int64(5), np.float64(4.0)]),
    st.none(), st.booleans(), st.text(max_size=3), st.binary(max_size=2), st.lists(st.integers(2, 5), max_size=2),
)
DOMAINS = {name: create(name).domain for name in ("legendre", "burgers", "convection", "poisson", "poisson3d")}


def _valid_size(n: Any) -> bool:
    if isinstance(n, (bool, np.bool_)) or not _is_number(n):
        return False
    if isinstance(n, (int, np.integer)):
        return n >= 2
    return bool(np.isfinite(n)) and n == int(n) and n >= 2


@FAST
@given(st.sampled_from(sorted(DOMAINS)), st.lists(SIZES, min_size=0, max_size=4))
def test_grid_sizes_give_a_grid_or_a_typed_error(name: str, resolution: list[Any]) -> None:
    domain: Domain = DOMAINS[name]
    ok = len(resolution) == len(domain.names) and all(_valid_size(n) for n in resolution)
    ok = ok and math.prod(int(n) for n in resolution) <= MAX_GRID_POINTS
    if not ok:
        with pytest.raises(InvalidParameterError, match="resolution"):
            domain.grid(tuple(resolution))
        return
    axes = domain.grid(tuple(resolution))
    for (axis, values), n, (lo, hi) in zip(axes.items(), resolution, domain.bounds):
        assert values.shape == (int(n),) and np.all(np.diff(values) > 0)
        assert values[0] == lo and values[-1] <= hi and np.all(np.isfinite(values))
        assert (values[-1] < hi) == domain.periodic(axis)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.one_of(SIZES, st.lists(SIZES, min_size=0, max_size=3), st.tuples(SIZES, SIZES)))
def test_solve_refuses_bad_resolutions_before_solving(resolution: Any) -> None:
    eq = create("poisson")
    if isinstance(resolution, (int, np.integer)) and _valid_size(resolution) and resolution**2 <= MAX_GRID_POINTS:
        return  # a valid size: would solve
    if isinstance(resolution, (list, tuple)) and len(resolution) == 2 and all(_valid_size(n) for n in resolution):
        if math.prod(int(n) for n in resolution) <= MAX_GRID_POINTS:
            return
    with pytest.raises(InvalidParameterError, match="resolution"):
        solvers.solve(eq, resolution)


BOUNDS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5), HUGE, st.none(), st.text(max_size=2)
)


@FAST
@given(st.lists(st.tuples(st.sampled_from(["x", "y", "z", "t", "", "xy", 1]), BOUNDS, BOUNDS,
                          st.one_of(st.booleans(), st.none(), st.integers(0, 1), st.text(max_size=1))),
                min_size=0, max_size=3))
def test_box_bounds_give_a_valid_box_or_a_typed_error(axes: list[tuple[Any, Any, Any, Any]]) -> None:
    names, lower, upper, periodic = (tuple(a[i] for a in axes) for i in range(4))
    try:
        box = Box(names, lower, upper, periodic)
    except InvalidParameterError:
        return
    assert box.dim == len(axes) >= 1 and len(set(box.names)) == box.dim
    for name, lo, hi, p in zip(box.names, box.lower, box.upper, box.periodic):
        assert name in ("x", "y", "z") and isinstance(p, bool)
        assert _is_number(lo) and _is_number(hi) and math.isfinite(lo) and math.isfinite(hi) and lo < hi


@FAST
@given(BOUNDS, BOUNDS)
def test_time_intervals_are_finite_and_ordered_or_refused(start: Any, stop: Any) -> None:
    try:
        interval = TimeInterval(start, stop)
    except InvalidParameterError as exc:
        assert "time interval" in str(exc)
        return
    assert _is_number(start) and _is_number(stop) and math.isfinite(start) and math.isfinite(stop)
    assert interval.start < interval.stop


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [  # regressions: each raised a bare OverflowError/TypeError or built a wrong spec before
        ("burgers", {"nu": 10**400}, "nu must be a positive finite number"),
        ("burgers", {"nu": True}, "nu must be a positive finite number"),
        ("poisson_peak", {"k": 10**400}, "k must be a finite number >= 16"),
        ("hypergeometric", {"a": -(10**400)}, "a must be an integer in -1000..0"),
        ("hypergeometric", {"a": -1e15}, "a must be an integer in -1000..0"),  # the closed form looped 1e15 times
        ("legendre", {"l": 10**400}, "l must be an integer in 0..1000"),
        ("poisson", {"kx": 10**400}, "kx must be an integer in 1..1000000"),
        ("poisson3d", {"kz": 10**400}, "kz must be an integer in 1..1000000"),
        ("wave", {"k": 10**400}, "k must be an integer in 1..1000000"),
        ("linear_elliptic", {"k": 10**400}, "k must be an integer in 1..1000000"),
        ("antiderivative", {"forcing": "12"}, "forcing must be None or a sequence"),
        ("antiderivative", {"forcing": (10**400, 1.0)}, "forcing must be None or a sequence"),
        ("nonlinear_diffusion", {"bumps": ("1234",)}, "bumps must be a sequence"),
    ],
)
def test_regressions_found_by_the_properties(name: str, params: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        create(name, **params)


def test_grid_regressions() -> None:
    domain = create("poisson").domain
    for resolution in [(3, None), (3, float("nan")), (3, float("inf")), (3, 10**400), (2**16, 2**16)]:
        with pytest.raises(InvalidParameterError, match="resolution"):
            domain.grid(resolution)
    with pytest.raises(InvalidParameterError, match="resolution must be an int or a sequence"):
        solvers.solve(create("poisson"), b"33")  # was read as (51, 51)
    with pytest.raises(InvalidParameterError, match="axis names must differ"):
        Box(("x", "x"), (0.0, 0.0), (1.0, 1.0), (False, False))
