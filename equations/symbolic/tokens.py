r"""Prefix-notation tokens of a :class:`~equations.symbolic.tree.System`, and the strict parser back.

The vocabulary is fixed (:data:`VOCABULARY`, 39 tokens, ``<pad>`` has id 0):

==============  ===============================================================
special         ``<pad>`` ``<bos>`` ``<eos>``
separator       ``|`` between the components ``f_1 | f_2 | f_3``
operators       ``add`` ``sub`` ``mul`` (two operands), ``neg`` ``sin`` ``cos``
                ``exp`` ``pow2`` ``pow3`` (one operand)
variables       ``u_1`` ``u_2`` ``u_3``
numbers         sign ``+``/``-``, three mantissa digits ``0``..``9``, exponent
                ``E-7``..``E3``
==============  ===============================================================

A number is written as in PROSE: a sign, :data:`PRECISION` = 3 significant
digits and a power of ten, ``value = sign * d1d2d3 * 10**E``; so
``-0.0423`` is ``- 4 2 3 E-4`` and ``2.5`` is ``+ 2 5 0 E-2``. The first digit
is non-zero except in zero itself (``+ 0 0 0 E0``). Magnitudes from
``1.00e-5`` to ``9.99e5`` are represented; encoding rounds to 3 significant
digits (a relative error of at most 0.5 %, half a unit in the third digit),
magnitudes below ``9.995e-6`` are encoded as zero (an absolute error below
1e-5), and larger ones than ``9.99e5`` are refused. :func:`quantize` gives the
value a number reads back as, so a system can be made to hold exactly what
its tokens say.

A system is the prefix tokens of its components joined by ``|``
(:func:`encode`), optionally framed as ``<bos> ... <eos>`` and padded
(:func:`encode_ids`). :func:`decode` is a left-to-right stack parser of this
grammar alone; it never evaluates text, and any malformed sequence (unknown
or misplaced token, truncation, a missing or extra operand, a malformed
number, too many components) raises :class:`ExpressionSyntaxError` with the
position of the offending token and the reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from equations.errors import InvalidDataError, check_integer
from equations.symbolic.tree import (
    MAX_DEPTH,
    MAX_DIM,
    Add,
    Const,
    Cos,
    Exp,
    Expr,
    Mul,
    Neg,
    Pow,
    Sin,
    Sub,
    System,
    Var,
    map_constants,
)

PAD, BOS, EOS, SEP = "<pad>", "<bos>", "<eos>", "|"
SPECIAL = (PAD, BOS, EOS)
#: operator token -> number of operands
ARITY = {"add": 2, "sub": 2, "mul": 2, "neg": 1, "sin": 1, "cos": 1, "exp": 1, "pow2": 1, "pow3": 1}
VARIABLES = tuple(f"u_{k + 1}" for k in range(MAX_DIM))
SIGNS = ("+", "-")
DIGITS = tuple("0123456789")
#: significant digits of a number
PRECISION = 3
#: the exponent tokens run from E{EXPONENT_MIN} to E{EXPONENT_MAX}
EXPONENT_MIN, EXPONENT_MAX = -7, 3
EXPONENTS = tuple(f"E{e}" for e in range(EXPONENT_MIN, EXPONENT_MAX + 1))
#: every token, in id order
VOCABULARY: tuple[str, ...] = (*SPECIAL, SEP, *ARITY, *VARIABLES, *SIGNS, *DIGITS, *EXPONENTS)
TOKEN_IDS: dict[str, int] = {token: i for i, token in enumerate(VOCABULARY)}
PAD_ID, BOS_ID, EOS_ID = TOKEN_IDS[PAD], TOKEN_IDS[BOS], TOKEN_IDS[EOS]
#: largest magnitude a number token can hold
MAX_MAGNITUDE = float(f"{'9' * PRECISION}e{EXPONENT_MAX}")
_EXPONENT_OF = {token: int(token[1:]) for token in EXPONENTS}
_BINARY = {"add": Add, "sub": Sub, "mul": Mul}
_UNARY = {"neg": Neg, "sin": Sin, "cos": Cos, "exp": Exp}
_TOKEN_OF = {Add: "add", Sub: "sub", Mul: "mul", Neg: "neg", Sin: "sin", Cos: "cos", Exp: "exp"}


class ExpressionSyntaxError(InvalidDataError):
    """A token sequence is not a system of the grammar; ``position`` is the offending token's index.

    Attributes
    ----------
    position : int
        Index (in the sequence given to the parser) of the token where the
        sequence stops being valid; the sequence's length when it ends too soon.
    reason : str
        What is wrong there.
    """

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"invalid expression tokens at position {position}: {reason}")
        self.position = position
        self.reason = reason


# -- numbers ------------------------------------------------------------------------------------------------------
def encode_number(value: float) -> list[str]:
    """The :data:`PRECISION` + 2 tokens of a number: sign, mantissa digits, exponent.

    Raises
    ------
    InvalidDataError
        ``value`` is not finite, or rounds to a magnitude above :data:`MAX_MAGNITUDE`.
    """
    value = float(value)
    if not np.isfinite(value):
        raise InvalidDataError(f"encode_number: cannot encode the non-finite number {value!r}")
    sign = "-" if value < 0 else "+"
    # Python's correctly rounded decimal formatting: "4.23e-02" -> digits 423, exponent -2 - 2
    mantissa, _, exp10 = f"{abs(value):.{PRECISION - 1}e}".partition("e")
    digits = mantissa.replace(".", "")
    exponent = int(exp10) - (PRECISION - 1)
    if digits == "0" * PRECISION or exponent < EXPONENT_MIN:  # zero, or below the smallest magnitude: zero
        return ["+", *("0" * PRECISION), "E0"]
    if exponent > EXPONENT_MAX:
        raise InvalidDataError(f"encode_number: |{value!r}| is above the largest encodable magnitude "
                               f"{MAX_MAGNITUDE:g}")
    return [sign, *digits, f"E{exponent}"]


def _number_value(sign: str, digits: Sequence[str], exponent: str) -> float:
    """The float of a parsed number: the decimal ``±d1d2d3e<E>`` correctly rounded."""
    return float(f"{sign}{''.join(digits)}e{_EXPONENT_OF[exponent]}")


def quantize(value: float) -> float:
    """The value ``value`` reads back as once encoded (3 significant digits, see the module docstring)."""
    tokens = encode_number(value)
    return _number_value(tokens[0], tokens[1:-1], tokens[-1])


def quantize_system(system: System) -> System:
    """``system`` with every constant replaced by :func:`quantize` of it: what its tokens state exactly."""
    return System(tuple(map_constants(comp, quantize) for comp in system.components))


# -- encoding -----------------------------------------------------------------------------------------------------
def _encode_expr(expr: Expr, out: list[str]) -> None:
    stack: list[Expr] = [expr]
    while stack:  # prefix order without recursion
        node = stack.pop()
        if isinstance(node, Const):
            out.extend(encode_number(node.value))
        elif isinstance(node, Var):
            out.append(node.name)
        elif isinstance(node, Pow):
            out.append(f"pow{node.exponent}")
        elif type(node) in _TOKEN_OF:
            out.append(_TOKEN_OF[type(node)])
        else:
            raise InvalidDataError(f"encode: no token for the node {type(node).__name__}")
        stack.extend(reversed(node.children))


def encode(system: System) -> list[str]:
    """Prefix tokens of the components joined by ``|`` (no ``<bos>``/``<eos>``).

    Constants are rounded to :data:`PRECISION` significant digits (see the module docstring).
    """
    if not isinstance(system, System):
        raise InvalidDataError(f"encode: expected a System, got {type(system).__name__}")
    out: list[str] = []
    for k, comp in enumerate(system.components):
        if k:
            out.append(SEP)
        _encode_expr(comp, out)
    return out


def to_ids(tokens: Sequence[str]) -> np.ndarray:
    """The ids of ``tokens`` (int64); :class:`ExpressionSyntaxError` at the first token not in the vocabulary."""
    ids = np.empty(len(tokens), dtype=np.int64)
    for i, token in enumerate(tokens):
        if not isinstance(token, str) or token not in TOKEN_IDS:
            raise ExpressionSyntaxError(i, f"unknown token {token!r}")
        ids[i] = TOKEN_IDS[token]
    return ids


def from_ids(ids: Sequence[int] | np.ndarray) -> list[str]:
    """The tokens of ``ids``; :class:`ExpressionSyntaxError` at the first id that is no token's."""
    array = np.asarray(ids)
    if array.ndim != 1:
        raise InvalidDataError(f"from_ids: expected a 1D sequence of ids, got shape {array.shape}")
    out = []
    for i, value in enumerate(array.tolist()):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(VOCABULARY):
            raise ExpressionSyntaxError(i, f"id {value!r} is not in 0..{len(VOCABULARY) - 1}")
        out.append(VOCABULARY[value])
    return out


def encode_ids(system: System, max_length: int) -> tuple[np.ndarray, int]:
    """``<bos> tokens <eos>`` as ids padded with ``<pad>`` (id 0) to ``max_length``, and the unpadded length.

    Raises
    ------
    InvalidDataError
        The framed sequence is longer than ``max_length`` (the message gives its length).
    """
    ids = to_ids([BOS, *encode(system), EOS])
    if ids.size > max_length:
        raise InvalidDataError(f"encode_ids: the system needs {ids.size} tokens with <bos> and <eos>, more than "
                               f"max_length = {max_length}: {system}")
    out = np.full(max_length, PAD_ID, dtype=np.int64)
    out[: ids.size] = ids
    return out, int(ids.size)


# -- parsing ------------------------------------------------------------------------------------------------------
def _parse_number(tokens: Sequence[str], i: int, stop: int) -> tuple[Const, int]:
    """The number starting with its sign at ``i``, and the index after it."""
    start = i
    digits = []
    for j in range(i + 1, i + 1 + PRECISION):
        if j >= stop:
            raise ExpressionSyntaxError(j, f"the number starting at position {start} is cut short: "
                                           f"{PRECISION} mantissa digits and an exponent must follow its sign")
        if tokens[j] not in DIGITS:
            raise ExpressionSyntaxError(j, f"the number starting at position {start} needs {PRECISION} mantissa "
                                           f"digits, got {tokens[j]!r}")
        digits.append(tokens[j])
    j = i + 1 + PRECISION
    if j >= stop:
        raise ExpressionSyntaxError(j, f"the number starting at position {start} lacks its exponent token")
    if tokens[j] not in _EXPONENT_OF:
        raise ExpressionSyntaxError(j, f"the number starting at position {start} needs an exponent token "
                                       f"(E{EXPONENT_MIN}..E{EXPONENT_MAX}), got {tokens[j]!r}")
    if digits[0] == "0" and any(d != "0" for d in digits):
        raise ExpressionSyntaxError(i + 1, f"the number starting at position {start} has a leading zero "
                                           f"({''.join(digits)}); a mantissa starts with 1..9 unless it is 000")
    return Const(_number_value(tokens[i], digits, tokens[j])), j + 1


def _misplaced(token: str, i: int) -> ExpressionSyntaxError:
    if token in DIGITS:
        return ExpressionSyntaxError(i, f"digit {token!r} outside a number (a number starts with its sign)")
    if token in _EXPONENT_OF:
        return ExpressionSyntaxError(i, f"exponent {token!r} outside a number")
    if token in SPECIAL:
        return ExpressionSyntaxError(i, f"special token {token} inside the expression")
    return ExpressionSyntaxError(i, f"unknown token {token!r}")


def _parse_component(tokens: Sequence[str], start: int, stop: int, dim: int, end: int) -> Expr:
    """One component's prefix expression on ``tokens[start:stop]`` (a left-to-right operator stack)."""
    # each frame: [operator token, its position, operands so far]
    stack: list[tuple[str, int, list[Expr]]] = []
    i = start
    while True:
        if i >= stop:
            if stack:
                op, at, got = stack[-1]
                where = "the sequence ends" if stop == end else f"{SEP!r} at position {stop} ends the component"
                raise ExpressionSyntaxError(i, f"operator {op!r} at position {at} needs {ARITY[op]} operand(s), "
                                               f"got {len(got)} before {where} (truncated or missing operand)")
            raise ExpressionSyntaxError(i, "empty component")
        token = tokens[i]
        node: Expr
        if token in ARITY:
            if len(stack) >= MAX_DEPTH - 1:  # the operand below it would make the tree deeper than MAX_DEPTH
                raise ExpressionSyntaxError(i, f"expression nested deeper than {MAX_DEPTH} levels")
            stack.append((token, i, []))
            i += 1
            continue
        if token in VARIABLES:
            index = VARIABLES.index(token)
            if index >= dim:
                raise ExpressionSyntaxError(i, f"variable {token} in a system of {dim} component(s)")
            node, i = Var(index), i + 1
        elif token in SIGNS:
            node, i = _parse_number(tokens, i, stop)
        else:
            raise _misplaced(token, i)
        # the operand completes operators up the stack
        while stack:
            op, at, got = stack[-1]
            got.append(node)
            if len(got) < ARITY[op]:
                break
            stack.pop()
            if op in _BINARY:
                node = _BINARY[op](got[0], got[1])
            elif op in _UNARY:
                node = _UNARY[op](got[0])
            else:
                node = Pow(got[0], int(op[3:]))
        if not stack:
            if i != stop:
                if tokens[i] not in ARITY and tokens[i] not in VARIABLES and tokens[i] not in SIGNS:
                    raise _misplaced(tokens[i], i)
                raise ExpressionSyntaxError(i, f"extra token {tokens[i]!r} after a complete expression "
                                               "(too many operands or numbers)")
            return node


def _body(tokens: Sequence[str]) -> tuple[int, int]:
    """``(start, stop)`` of the expression in a sequence framed by optional ``<bos>``, ``<eos>`` and ``<pad>``."""
    start = 1 if tokens and tokens[0] == BOS else 0
    eos = next((i for i in range(start, len(tokens)) if tokens[i] == EOS), None)
    if eos is None:
        if start:
            raise ExpressionSyntaxError(len(tokens), "the sequence starts with <bos> but has no <eos> (truncated)")
        return start, len(tokens)
    for j in range(eos + 1, len(tokens)):
        if tokens[j] != PAD:
            raise ExpressionSyntaxError(j, f"token {tokens[j]!r} after <eos> (only <pad> may follow)")
    return start, eos


def decode(tokens: Sequence[str], *, dim: int | None = None) -> System:
    """The system written by ``tokens``: the strict inverse of :func:`encode`.

    Parameters
    ----------
    tokens : sequence of str
        Prefix tokens of the components separated by ``|``; optionally
        ``<bos>`` first, then ``<eos>`` followed by nothing but ``<pad>``.
    dim : int, optional
        The number of components the system must have.

    Returns
    -------
    System
        Its constants are the numbers' values (3 significant digits).

    Raises
    ------
    ExpressionSyntaxError
        At the first token where the sequence is not a system: unknown or
        misplaced token, truncation, a missing or extra operand, a malformed
        number, an empty component, more components than 3 (or than ``dim``),
        a variable beyond the number of components, nesting deeper than
        :data:`~equations.symbolic.tree.MAX_DEPTH`.
    """
    if dim is not None:
        dim = check_integer("decode: dim", dim, 1, MAX_DIM)
    tokens = list(tokens)
    for i, token in enumerate(tokens):
        if not isinstance(token, str):
            raise ExpressionSyntaxError(i, f"a token must be a string, got {type(token).__name__}")
    start, stop = _body(tokens)
    seps = [i for i in range(start, stop) if tokens[i] == SEP]
    n = len(seps) + 1
    if n > MAX_DIM:
        raise ExpressionSyntaxError(seps[MAX_DIM - 1], f"{n} components; a system has at most {MAX_DIM}")
    if dim is not None and n != dim:
        at = seps[dim - 1] if n > dim else stop
        raise ExpressionSyntaxError(at, f"{n} component(s), expected {dim}")
    bounds = [start, *(s + 1 for s in seps)], [*seps, stop]
    comps = tuple(_parse_component(tokens, a, b, n, stop) for a, b in zip(*bounds))
    return System(comps)


def decode_ids(ids: Sequence[int] | np.ndarray, *, dim: int | None = None) -> System:
    """:func:`decode` of :func:`from_ids` (positions in errors are positions in ``ids``)."""
    return decode(from_ids(ids), dim=dim)
