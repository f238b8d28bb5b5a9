"""Symbolic ODE right-hand sides: trees, PROSE-style tokens, the strict parser, evaluation and corruptions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equations.errors import InvalidDataError, InvalidParameterError
from equations.ode_systems import ODE_SYSTEMS
from equations.symbolic import (
    MAX_DEPTH,
    PAD_ID,
    VOCABULARY,
    Add,
    Const,
    Cos,
    Exp,
    Expr,
    ExpressionSyntaxError,
    Mul,
    Neg,
    Pow,
    Sin,
    Sub,
    System,
    Var,
    add_term,
    constants,
    decode,
    decode_ids,
    depth,
    encode,
    encode_ids,
    encode_number,
    evaluate,
    from_ids,
    from_terms,
    perturb_coefficients,
    quantize,
    quantize_system,
    remove_term,
    scalar_function,
    terms,
    to_ids,
    to_string,
    walk,
)
from equations.symbolic.corrupt import TERM_KINDS

FAST = settings(max_examples=120, deadline=None, derandomize=True)
u1, u2, u3 = Var(0), Var(1), Var(2)


# -- numbers and vocabulary ---------------------------------------------------------------------------------------
def test_the_vocabulary_is_fixed() -> None:
    assert len(VOCABULARY) == 39 and len(set(VOCABULARY)) == 39
    assert VOCABULARY[PAD_ID] == "<pad>" and VOCABULARY[:4] == ("<pad>", "<bos>", "<eos>", "|")
    assert {"add", "sub", "mul", "neg", "sin", "cos", "exp", "pow2", "pow3", "u_1", "u_2", "u_3", "+", "-",
            "E-7", "E3"} <= set(VOCABULARY)


@pytest.mark.parametrize(("value", "tokens"), [
    (-0.0423, ["-", "4", "2", "3", "E-4"]),
    (2.5, ["+", "2", "5", "0", "E-2"]),
    (10.0, ["+", "1", "0", "0", "E-1"]),
    (9.996, ["+", "1", "0", "0", "E-1"]),  # rounds up into the next decade
    (0.0, ["+", "0", "0", "0", "E0"]),
    (1e-5, ["+", "1", "0", "0", "E-7"]),
    (9.99e-6, ["+", "0", "0", "0", "E0"]),  # below the smallest magnitude: zero
    (-999e3, ["-", "9", "9", "9", "E3"]),
])
def test_numbers_are_sign_three_digits_and_exponent(value: float, tokens: list[str]) -> None:
    assert encode_number(value) == tokens


def test_numbers_keep_three_significant_digits() -> None:
    rng = np.random.default_rng(0)
    values = rng.choice([-1, 1], 2000) * 10 ** rng.uniform(-4.9, 5.9, 2000)
    for v in values:
        q = quantize(v)
        assert abs(q - v) <= 5e-3 * abs(v) and quantize(q) == q and math.copysign(1, q) == math.copysign(1, v)
    with pytest.raises(InvalidDataError, match="largest encodable"):
        encode_number(9.996e5)
    with pytest.raises(InvalidDataError, match="non-finite"):
        encode_number(float("nan"))


# -- round trips --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ODE_SYSTEMS.names())
@pytest.mark.parametrize("extrapolate", [False, True])
def test_every_family_round_trips_through_tokens(name: str, extrapolate: bool) -> None:
    family = ODE_SYSTEMS.create(name, extrapolate=extrapolate)
    rng = np.random.default_rng(1)
    for _ in range(20):
        sample = family.sample(rng)
        assert decode(encode(sample.system)) == sample.system  # the sample's system holds its tokens' values
        ids, length = encode_ids(sample.system, 64)
        assert ids.dtype == np.int64 and ids[0] == VOCABULARY.index("<bos>") and ids[length - 1] == 2
        assert np.all(ids[length:] == PAD_ID)
        assert decode_ids(ids, dim=family.dim) == sample.system  # <bos> ... <eos> <pad>... accepted
        raw = family.system(sample.parameters)  # unrounded constants agree to 3 significant digits
        back = decode(encode(raw))
        np.testing.assert_allclose(constants(back.components[-1]), constants(raw.components[-1]), rtol=5e-3)
        assert back == quantize_system(raw)


def test_encoding_is_prefix_with_separators() -> None:
    system = System((u2, -4.0 * u1 - 0.25 * u2**2))
    assert encode(system) == ["u_2", "|", "sub", "mul", "-", "4", "0", "0", "E-2", "u_1", "mul", "+", "2", "5", "0",
                              "E-3", "pow2", "u_2"]
    assert to_string(system) == "u_1' = u_2; u_2' = -4*u_1 - 0.25*u_2^2"
    assert to_string(System((Neg(Sin(u1 + 1.0)) * Exp(Cos(u1)) ** 3,))) == "u_1' = -sin(u_1 + 1)*exp(cos(u_1))^3"
    assert from_ids(to_ids(encode(system))) == encode(system)


# -- the parser refuses what is not a system ----------------------------------------------------------------------
MALFORMED = [
    (["add", "u_1"], 2, "operator 'add' at position 0 needs 2 operand"),  # truncated
    (["<bos>", "add", "u_1", "u_1"], 4, "no <eos>"),  # truncated before <eos>
    (["mul", "u_1", "|", "u_2"], 2, "before '|' at position 2"),  # wrong arity within a component
    (["u_1", "u_1"], 1, "extra token 'u_1'"),  # too many operands
    (["+", "1", "0", "0", "E0", "+", "2", "0", "0", "E0"], 5, "too many operands or numbers"),
    (["+", "4", "2"], 3, "cut short"),  # truncated number
    (["+", "4", "2", "u_1", "E0"], 3, "needs 3 mantissa digits"),
    (["-", "4", "2", "3", "4"], 4, "exponent token"),
    (["+", "0", "4", "2", "E0"], 1, "leading zero"),
    (["4"], 0, "digit '4' outside a number"),
    (["E-2"], 0, "exponent 'E-2' outside a number"),
    (["sin", "x"], 1, "unknown token 'x'"),
    (["u_1", "<pad>"], 1, "special token <pad>"),
    (["u_1", "<eos>", "u_1"], 2, "after <eos>"),
    (["u_2"], 0, "variable u_2 in a system of 1 component"),
    (["u_1", "|", "u_3"], 2, "variable u_3 in a system of 2"),
    (["u_1", "|", "|", "u_2"], 2, "empty component"),
    (["u_1", "|"], 2, "empty component"),
    ([], 0, "empty component"),
    (["u_1", "|", "u_1", "|", "u_1", "|", "u_1"], 5, "4 components"),
    (["neg"] * MAX_DEPTH + ["u_1"], MAX_DEPTH - 1, "deeper than"),
    (["u_1", 3], 1, "must be a string"),
]


@pytest.mark.parametrize(("tokens", "position", "reason"), MALFORMED)
def test_malformed_sequences_raise_with_position_and_reason(tokens: list, position: int, reason: str) -> None:
    with pytest.raises(ExpressionSyntaxError, match=f"position {position}: .*{reason}") as info:
        decode(tokens)
    assert info.value.position == position and isinstance(info.value, InvalidDataError)


def test_the_number_of_components_can_be_required() -> None:
    with pytest.raises(ExpressionSyntaxError, match=r"1 component.*expected 2"):
        decode(["u_1"], dim=2)
    with pytest.raises(ExpressionSyntaxError, match=r"position 1: 2 component.*expected 1"):
        decode(["u_1", "|", "u_1"], dim=1)


def test_ids_and_lengths_are_checked() -> None:
    with pytest.raises(ExpressionSyntaxError, match="position 1: unknown token 'x'"):
        to_ids(["u_1", "x"])
    with pytest.raises(ExpressionSyntaxError, match=r"position 2: id 39 is not in 0\.\.38"):
        from_ids([4, 5, 39])
    with pytest.raises(ExpressionSyntaxError, match="position 0: id -1"):
        decode_ids(np.array([-1]))
    with pytest.raises(InvalidDataError, match=r"needs 9 tokens.*max_length = 6"):
        encode_ids(System((2.0 * u1,)), 6)


# -- random trees (hypothesis) ------------------------------------------------------------------------------------
NUMBERS = st.floats(min_value=-1e5, max_value=1e5, allow_nan=False).map(quantize)


def _trees(dim: int, functions: bool = True) -> st.SearchStrategy[Expr]:
    leaves = st.one_of(NUMBERS.map(Const), st.integers(0, dim - 1).map(Var))
    unary = [Neg, Sin, Cos, Exp] if functions else [Neg]
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(st.sampled_from([Add, Sub, Mul]), inner, inner).map(lambda t: t[0](t[1], t[2])),
            st.tuples(st.sampled_from(unary), inner).map(lambda t: t[0](t[1])),
            st.tuples(inner, st.sampled_from([2, 3])).map(lambda t: Pow(t[0], t[1])),
        ),
        max_leaves=12,
    ).filter(lambda e: depth(e) <= MAX_DEPTH)


def _systems(functions: bool = True) -> st.SearchStrategy[System]:
    return st.integers(1, 3).flatmap(lambda d: st.tuples(*([_trees(d, functions)] * d)).map(System))


@FAST
@given(_systems())
def test_random_trees_round_trip(system: System) -> None:
    tokens = encode(system)
    assert decode(tokens) == system
    ids, length = encode_ids(system, len(tokens) + 5)
    assert decode_ids(ids) == system and length == len(tokens) + 2


@FAST
@given(_systems(functions=False), st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_the_compiled_function_does_the_numpy_walks_arithmetic(system: System, state: list[float]) -> None:
    """Sums, products and powers: the same IEEE operations, so the same bits (inf and nan included)."""
    with np.errstate(all="ignore"):
        expected = evaluate(system, np.array([state]))[0]
    np.testing.assert_array_equal(np.array(scalar_function(system)(state)), expected)


@FAST
@given(st.lists(st.sampled_from(VOCABULARY), max_size=25))
def test_any_token_sequence_parses_or_raises_the_typed_error(tokens: list[str]) -> None:
    try:
        system = decode(tokens)
    except ExpressionSyntaxError as exc:
        assert 0 <= exc.position <= len(tokens) and exc.reason
        return
    assert decode(encode(system)) == system


# -- trees and evaluation -----------------------------------------------------------------------------------------
def test_evaluate_walks_the_tree_on_any_batch() -> None:
    system = System((u2 * u3 - 2.0 * Sin(u1), Exp(-0.5 * u1) + u2**3, Neg(Cos(u3)) * u1**2))
    u = np.random.default_rng(2).normal(size=(4, 5, 3))
    a, b, c = u[..., 0], u[..., 1], u[..., 2]
    expected = np.stack([b * c - 2 * np.sin(a), np.exp(-0.5 * a) + b**3, -np.cos(c) * a**2], axis=-1)
    np.testing.assert_allclose(evaluate(system, u), expected, rtol=1e-14)
    np.testing.assert_allclose(evaluate(system, np.concatenate([u, u], axis=-1)), expected, rtol=1e-14)
    f = scalar_function(system)
    np.testing.assert_allclose([f(row) for row in u.reshape(-1, 3).tolist()], expected.reshape(-1, 3), rtol=1e-13)
    with pytest.raises(InvalidDataError, match=r"shape \(\.\.\., 3\)"):
        evaluate(system, u[..., :2])


def test_trees_validate_their_nodes() -> None:
    with pytest.raises(InvalidParameterError, match="finite"):
        Const(float("inf"))
    with pytest.raises(InvalidParameterError, match="finite"):
        Const(True)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="index"):
        Var(3)
    with pytest.raises(InvalidParameterError, match="exponent"):
        Pow(u1, 4)
    with pytest.raises(InvalidParameterError, match="operand"):
        Add(u1, "u_2")  # type: ignore[arg-type]
    with pytest.raises(InvalidDataError, match="uses u_2 but the system has 1"):
        System((u1 + u2,))
    with pytest.raises(InvalidDataError, match="1 to 3 components"):
        System((u1,) * 4)
    deep: Expr = u1
    for _ in range(MAX_DEPTH):
        deep = Neg(deep)
    with pytest.raises(InvalidDataError, match="deeper"):
        System((deep,))
    assert Const(np.float32(0.5)).value == 0.5 and Sin(u1) != Cos(u1) and hash(u1 + 1.0) == hash(u1 + 1.0)


def test_terms_flatten_the_top_sum() -> None:
    expr = u1 - 2.0 * u2 + Sin(u1) - Neg(u2)
    assert terms(expr) == [(1, u1), (-1, Mul(Const(2.0), u2)), (1, Sin(u1)), (1, u2)]
    assert terms(Mul(u1, u1 + u2)) == [(1, Mul(u1, u1 + u2))]
    items = [(-1, u2), (1, Sin(u1)), (-1, Mul(u1, u2))]
    assert terms(from_terms(items)) == items and from_terms(items) == Sub(Add(Neg(u2), Sin(u1)), Mul(u1, u2))


# -- corruptions --------------------------------------------------------------------------------------------------
LORENZ = ODE_SYSTEMS.create("lorenz").sample(0).system
STATES = np.random.default_rng(3).normal(size=(50, 3))


def _kind(term: Expr) -> str:
    if isinstance(term, Const):
        return "c"
    assert isinstance(term, Mul) and isinstance(term.left, Const) and 0.1 <= abs(term.left.value) <= 1.0
    body = term.right
    if isinstance(body, Var):
        return "c*u_j"
    if isinstance(body, Mul):
        assert isinstance(body.left, Var) and isinstance(body.right, Var) and body.left.index <= body.right.index
        return "c*u_j*u_l"
    if isinstance(body, Pow):
        assert isinstance(body.base, Var) and body.exponent == 2
        return "c*u_j^2"
    assert isinstance(body, Sin) and isinstance(body.arg, Var)
    return "c*sin(u_j)"


def test_add_term_adds_one_term_to_one_component() -> None:
    rng = np.random.default_rng(4)
    kinds, changed = set(), set()
    for _ in range(60):
        new = add_term(LORENZ, rng)
        diff = [k for k in range(3) if new.components[k] != LORENZ.components[k]]
        assert len(diff) == 1
        k = diff[0]
        changed.add(k)
        comp = new.components[k]
        assert isinstance(comp, Add) and comp.left == LORENZ.components[k]
        kinds.add(_kind(comp.right))
        delta = evaluate(new, STATES) - evaluate(LORENZ, STATES)
        np.testing.assert_allclose(delta[:, k], evaluate(comp.right, STATES), rtol=1e-9, atol=1e-9)
    assert kinds == set(TERM_KINDS) and changed == {0, 1, 2}
    assert add_term(LORENZ, 7, component=2).components[:2] == LORENZ.components[:2]


def test_remove_term_drops_one_summand_and_never_empties_a_component() -> None:
    rng = np.random.default_rng(5)
    for _ in range(40):
        new = remove_term(LORENZ, rng)
        diff = [k for k in range(3) if new.components[k] != LORENZ.components[k]]
        assert len(diff) == 1
        k = diff[0]
        before, after = terms(LORENZ.components[k]), terms(new.components[k])
        assert len(after) == len(before) - 1 >= 1
        removed = [t for t in before if t not in after]
        assert len(removed) == 1  # the others stay, in order
        sign, term = removed[0]
        delta = evaluate(LORENZ, STATES)[:, k] - evaluate(new, STATES)[:, k]
        np.testing.assert_allclose(delta, sign * evaluate(term, STATES), rtol=1e-9, atol=1e-9)
    oscillator = ODE_SYSTEMS.create("damped_oscillator").sample(0).system  # u_1' = u_2 has a single term
    for seed in range(10):
        assert remove_term(oscillator, seed).components[0] == u2
    with pytest.raises(InvalidDataError, match="single term"):
        remove_term(System((u2, u1)), 0)
    with pytest.raises(InvalidDataError, match="component 1 has a single term"):
        remove_term(oscillator, 0, component=0)


def test_perturb_coefficients_moves_every_constant_within_the_relative_amount() -> None:
    rng = np.random.default_rng(6)
    new = perturb_coefficients(LORENZ, rng, relative=0.1)
    old_c = np.concatenate([constants(c) for c in LORENZ.components])
    new_c = np.concatenate([constants(c) for c in new.components])
    ratio = new_c / old_c - 1
    assert np.all(np.abs(ratio) <= 0.1) and np.all(ratio != 0) and np.std(ratio) > 0.01
    # structure unchanged: the same tree once the old constants are put back
    for a, b in zip(LORENZ.components, new.components):
        assert [type(n) for n in walk(a)] == [type(n) for n in walk(b)]
    with pytest.raises(InvalidParameterError, match="relative"):
        perturb_coefficients(LORENZ, rng, relative=1.5)
    a, b = perturb_coefficients(LORENZ, 3), perturb_coefficients(LORENZ, 3)
    assert a == b  # a seed gives the same corruption
