r"""Expression trees of the right-hand side of an autonomous ODE system ``u' = f(u)``, ``u`` in R^d, d <= 3.

A tree is made of frozen dataclasses: numbers (:class:`Const`), the state
components (:class:`Var`, printed ``u_1``, ``u_2``, ``u_3``), the binary
operators :class:`Add`, :class:`Sub`, :class:`Mul`, the unary :class:`Neg`,
:class:`Sin`, :class:`Cos`, :class:`Exp`, and :class:`Pow` with a small
integer exponent (2 or 3). That is enough for the polynomial and
trigonometric right-hand sides of the classical systems (logistic,
Lotka-Volterra, oscillators, Van der Pol, Duffing, pendulum,
FitzHugh-Nagumo, Lorenz). Python operators build trees::

    u1, u2 = Var(0), Var(1)
    System((u2, -4.0 * u1 - 0.2 * u2))      # a damped oscillator

A :class:`System` holds one tree per component. Trees are values: equal
trees compare equal and hash alike, and every transformation returns a new
tree. :func:`evaluate` walks a tree with NumPy on any batch of states;
:func:`scalar_function` turns a system into a plain Python function of one
state (floats and :mod:`math`), which is what an adaptive integrator calls
thousands of times per trajectory (several times faster than NumPy on
three numbers). Trees are never built from strings by evaluation: the only
way from text to a tree is the token grammar of
:mod:`equations.symbolic.tokens`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from equations.errors import InvalidDataError, InvalidParameterError, is_finite_number

#: Most components of a system (the state dimension ``d``).
MAX_DIM = 3
#: Deepest tree accepted (a system built by hand or decoded from tokens).
MAX_DEPTH = 32
#: The exponents :class:`Pow` accepts.
POWERS = (2, 3)


class Expr:
    """Base class of the expression nodes; Python's ``+ - * ** unary-`` build trees from them."""

    __slots__ = ()

    @property
    def children(self) -> tuple[Expr, ...]:
        """The operands, left to right (none for a leaf)."""
        return ()

    def __add__(self, other: Expr | float) -> Expr:
        return Add(self, as_expr(other))

    def __radd__(self, other: Expr | float) -> Expr:
        return Add(as_expr(other), self)

    def __sub__(self, other: Expr | float) -> Expr:
        return Sub(self, as_expr(other))

    def __rsub__(self, other: Expr | float) -> Expr:
        return Sub(as_expr(other), self)

    def __mul__(self, other: Expr | float) -> Expr:
        return Mul(self, as_expr(other))

    def __rmul__(self, other: Expr | float) -> Expr:
        return Mul(as_expr(other), self)

    def __neg__(self) -> Expr:
        return Neg(self)

    def __pow__(self, exponent: int) -> Expr:
        return Pow(self, exponent)


def as_expr(value: Expr | float) -> Expr:
    """``value`` itself if it is a node, else a :class:`Const` (a finite real number)."""
    return value if isinstance(value, Expr) else Const(value)  # type: ignore[arg-type]


def _check_operand(owner: str, value: object) -> None:
    if not isinstance(value, Expr):
        raise InvalidParameterError(f"{owner}: an operand must be an expression node, got {type(value).__name__}")


@dataclass(frozen=True)
class Const(Expr):
    """A number: a finite real constant (stored as a Python ``float``)."""

    value: float

    def __post_init__(self) -> None:
        if not (is_finite_number(self.value) or isinstance(self.value, (np.integer, np.floating))) \
                or not math.isfinite(float(self.value)):
            raise InvalidParameterError(f"Const: the value must be a finite real number, got {self.value!r}")
        object.__setattr__(self, "value", float(self.value))


@dataclass(frozen=True)
class Var(Expr):
    """State component ``u_{index + 1}`` (``index`` 0-based, below :data:`MAX_DIM`)."""

    index: int

    def __post_init__(self) -> None:
        idx = self.index
        if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)) or not 0 <= idx < MAX_DIM:
            raise InvalidParameterError(f"Var: the index must be an integer in 0..{MAX_DIM - 1}, got {idx!r}")
        object.__setattr__(self, "index", int(idx))

    @property
    def name(self) -> str:
        """``u_1``, ``u_2`` or ``u_3``."""
        return f"u_{self.index + 1}"


@dataclass(frozen=True)
class Binary(Expr):
    """A node with two operands (base class of :class:`Add`, :class:`Sub`, :class:`Mul`)."""

    left: Expr
    right: Expr

    symbol: ClassVar[str] = ""

    def __post_init__(self) -> None:
        _check_operand(type(self).__name__, self.left)
        _check_operand(type(self).__name__, self.right)

    @property
    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Add(Binary):
    """``left + right``."""

    symbol: ClassVar[str] = "+"


@dataclass(frozen=True)
class Sub(Binary):
    """``left - right``."""

    symbol: ClassVar[str] = "-"


@dataclass(frozen=True)
class Mul(Binary):
    """``left * right``."""

    symbol: ClassVar[str] = "*"


@dataclass(frozen=True)
class Unary(Expr):
    """A node with one operand (base class of :class:`Neg` and the functions)."""

    arg: Expr

    def __post_init__(self) -> None:
        _check_operand(type(self).__name__, self.arg)

    @property
    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)


@dataclass(frozen=True)
class Neg(Unary):
    """``-arg``."""


@dataclass(frozen=True)
class Function(Unary):
    """An elementary function of one argument (base class of :class:`Sin`, :class:`Cos`, :class:`Exp`)."""

    name: ClassVar[str] = ""
    numpy: ClassVar[Callable[[np.ndarray], np.ndarray]]
    scalar: ClassVar[Callable[[float], float]]


@dataclass(frozen=True)
class Sin(Function):
    """``sin(arg)``."""

    name: ClassVar[str] = "sin"
    numpy: ClassVar[Callable[[np.ndarray], np.ndarray]] = np.sin
    scalar: ClassVar[Callable[[float], float]] = math.sin


@dataclass(frozen=True)
class Cos(Function):
    """``cos(arg)``."""

    name: ClassVar[str] = "cos"
    numpy: ClassVar[Callable[[np.ndarray], np.ndarray]] = np.cos
    scalar: ClassVar[Callable[[float], float]] = math.cos


@dataclass(frozen=True)
class Exp(Function):
    """``exp(arg)``."""

    name: ClassVar[str] = "exp"
    numpy: ClassVar[Callable[[np.ndarray], np.ndarray]] = np.exp
    scalar: ClassVar[Callable[[float], float]] = math.exp


@dataclass(frozen=True)
class Pow(Expr):
    """``base ** exponent`` for an exponent in :data:`POWERS` (2 or 3)."""

    base: Expr
    exponent: int

    def __post_init__(self) -> None:
        _check_operand("Pow", self.base)
        if isinstance(self.exponent, bool) or self.exponent not in POWERS:
            raise InvalidParameterError(f"Pow: the exponent must be one of {POWERS}, got {self.exponent!r}")
        object.__setattr__(self, "exponent", int(self.exponent))

    @property
    def children(self) -> tuple[Expr, ...]:
        return (self.base,)


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node of ``expr`` in prefix order (a node before its operands, left to right)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def depth(expr: Expr) -> int:
    """Nodes on the longest path from the root to a leaf (a leaf has depth 1); no recursion."""
    deepest, stack = 0, [(expr, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in node.children)
    return deepest


def constants(expr: Expr) -> list[float]:
    """The values of the :class:`Const` nodes in prefix order."""
    return [node.value for node in walk(expr) if isinstance(node, Const)]


def map_constants(expr: Expr, fn: Callable[[float], float]) -> Expr:
    """``expr`` with every constant ``c`` replaced by ``fn(c)``; the structure is unchanged.

    ``fn`` is called on the constants in prefix order (the order of :func:`constants`).
    """
    if isinstance(expr, Const):
        return Const(fn(expr.value))
    if isinstance(expr, Binary):
        left = map_constants(expr.left, fn)
        return type(expr)(left, map_constants(expr.right, fn))
    if isinstance(expr, Unary):
        return type(expr)(map_constants(expr.arg, fn))
    if isinstance(expr, Pow):
        return Pow(map_constants(expr.base, fn), expr.exponent)
    return expr


def terms(expr: Expr) -> list[tuple[int, Expr]]:
    """The signed summands of ``expr``: ``a - b + c`` gives ``[(1, a), (-1, b), (1, c)]``.

    The :class:`Add`, :class:`Sub` and :class:`Neg` nodes at the top are
    flattened (``-(a - b)`` gives ``[(-1, a), (1, b)]``); every other node (a
    product, a function, a number, a variable) is one term, so
    ``terms(from_terms(items)) == items`` for such terms.
    """
    out: list[tuple[int, Expr]] = []
    stack: list[tuple[int, Expr]] = [(1, expr)]
    while stack:
        sign, node = stack.pop()
        if isinstance(node, (Add, Sub)):
            stack.append((sign if isinstance(node, Add) else -sign, node.right))
            stack.append((sign, node.left))
        elif isinstance(node, Neg):
            stack.append((-sign, node.arg))
        else:
            out.append((sign, node))
    return out


def from_terms(items: Sequence[tuple[int, Expr]]) -> Expr:
    """The sum of signed terms, left to right (the inverse of :func:`terms`); at least one term.

    A leading negative term becomes a :class:`Neg`; the others are joined by
    :class:`Add` or :class:`Sub`.
    """
    if not items:
        raise InvalidDataError("from_terms: an expression needs at least one term")
    sign, first = items[0]
    out = first if sign > 0 else Neg(first)
    for sign, term in items[1:]:
        out = Add(out, term) if sign > 0 else Sub(out, term)
    return out


@dataclass(frozen=True)
class System:
    """The right-hand side of ``u' = f(u)``: one expression per component of ``u`` (1 to 3).

    Component ``k`` may use the variables ``u_1 .. u_d`` only (``d`` the number of components).

    Parameters
    ----------
    components : tuple of Expr
        ``f_1, ..., f_d``; a list is stored as a tuple.

    Raises
    ------
    InvalidDataError
        No component or more than :data:`MAX_DIM`, a component that is not an
        expression, a variable beyond ``d``, or a tree deeper than :data:`MAX_DEPTH`.
    """

    components: tuple[Expr, ...]

    def __post_init__(self) -> None:
        comps = self.components
        if isinstance(comps, Expr) or not isinstance(comps, (tuple, list)):
            raise InvalidDataError(f"System: components must be a tuple of expressions, got {type(comps).__name__}")
        comps = tuple(comps)
        if not 1 <= len(comps) <= MAX_DIM:
            raise InvalidDataError(f"System: a system has 1 to {MAX_DIM} components, got {len(comps)}")
        for k, comp in enumerate(comps):
            if not isinstance(comp, Expr):
                raise InvalidDataError(f"System: component {k + 1} is not an expression ({type(comp).__name__})")
            if depth(comp) > MAX_DEPTH:
                raise InvalidDataError(f"System: component {k + 1} is nested deeper than {MAX_DEPTH} levels")
            for node in walk(comp):
                if isinstance(node, Var) and node.index >= len(comps):
                    raise InvalidDataError(f"System: component {k + 1} uses {node.name} but the system has "
                                           f"{len(comps)} component(s)")
        object.__setattr__(self, "components", comps)

    @property
    def dim(self) -> int:
        """The number of components ``d``."""
        return len(self.components)

    def __str__(self) -> str:
        return to_string(self)


def _evaluate(expr: Expr, u: np.ndarray) -> np.ndarray:
    if isinstance(expr, Const):
        return np.full(u.shape[:-1], expr.value)
    if isinstance(expr, Var):
        return u[..., expr.index]
    if isinstance(expr, Add):
        return _evaluate(expr.left, u) + _evaluate(expr.right, u)
    if isinstance(expr, Sub):
        return _evaluate(expr.left, u) - _evaluate(expr.right, u)
    if isinstance(expr, Mul):
        return _evaluate(expr.left, u) * _evaluate(expr.right, u)
    if isinstance(expr, Neg):
        return -_evaluate(expr.arg, u)
    if isinstance(expr, Function):
        return type(expr).numpy(_evaluate(expr.arg, u))
    if isinstance(expr, Pow):  # products, as in scalar_function: the same IEEE operations
        x = _evaluate(expr.base, u)
        return x * x if expr.exponent == 2 else x * x * x
    raise InvalidDataError(f"evaluate: unknown node {type(expr).__name__}")


def evaluate(system: System | Expr, u: np.ndarray) -> np.ndarray:
    """``f(u)`` for a batch of states, by walking the tree with NumPy.

    Parameters
    ----------
    system : System or Expr
        The right-hand side (or one expression).
    u : numpy.ndarray
        States, shape ``(..., d)`` with ``d`` at least the system's dimension
        (extra trailing components, such as zero padding, are ignored).

    Returns
    -------
    numpy.ndarray
        Shape ``(..., d)`` for a system (``u.shape[:-1]`` for one expression), float64.
        Overflow gives ``inf`` (NumPy's rules), never an exception.
    """
    u = np.asarray(u, dtype=np.float64)
    need = system.dim if isinstance(system, System) else 1 + max(
        (n.index for n in walk(system) if isinstance(n, Var)), default=-1)
    if u.ndim < 1 or u.shape[-1] < need:
        raise InvalidDataError(f"evaluate: states must have shape (..., {need}) or wider, got {u.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        if isinstance(system, System):
            return np.stack([_evaluate(comp, u) for comp in system.components], axis=-1)
        return _evaluate(system, u)


ScalarFn = Callable[[Sequence[float]], float]


def _compile(expr: Expr) -> ScalarFn:
    """A closure computing ``expr`` on one state (a sequence of floats) with Python floats and :mod:`math`."""
    if isinstance(expr, Const):
        value = expr.value
        return lambda u: value
    if isinstance(expr, Var):
        index = expr.index
        return lambda u: u[index]
    if isinstance(expr, Binary):
        a, b = _compile(expr.left), _compile(expr.right)
        if isinstance(expr, Add):
            return lambda u: a(u) + b(u)
        if isinstance(expr, Sub):
            return lambda u: a(u) - b(u)
        return lambda u: a(u) * b(u)
    if isinstance(expr, Neg):
        a = _compile(expr.arg)
        return lambda u: -a(u)
    if isinstance(expr, Function):
        a, fn = _compile(expr.arg), type(expr).scalar
        return lambda u: fn(a(u))
    if isinstance(expr, Pow):
        a = _compile(expr.base)
        if expr.exponent == 2:
            def square(u: Sequence[float]) -> float:
                x = a(u)
                return x * x
            return square
        def cube(u: Sequence[float]) -> float:
            x = a(u)
            return x * x * x
        return cube
    raise InvalidDataError(f"scalar_function: unknown node {type(expr).__name__}")


def scalar_function(system: System) -> Callable[[Sequence[float]], list[float]]:
    """``f`` as a plain Python function of one state: ``f([u_1, .., u_d]) -> [f_1, .., f_d]``.

    The same arithmetic as :func:`evaluate`, on Python floats (sums,
    products and powers give the same bits; ``sin``, ``cos``, ``exp`` come
    from :mod:`math` instead of NumPy). An overflow in ``exp`` raises
    :class:`OverflowError`, ``sin`` or ``cos`` of ``inf`` :class:`ValueError`;
    one in a product gives ``inf``.
    """
    fns = [_compile(comp) for comp in system.components]
    return lambda u: [fn(u) for fn in fns]


# precedence for printing: a sum binds loosest, then products, signs, powers, then atoms and calls
_PRECEDENCE = {Add: 1, Sub: 1, Mul: 2, Neg: 3, Pow: 4}


def _format_number(value: float) -> str:
    return f"{value:.6g}"


def _precedence(expr: Expr) -> int:
    if isinstance(expr, Const) and expr.value < 0:
        return 3
    return _PRECEDENCE.get(type(expr), 5)


def _negative_term(expr: Expr) -> Expr | None:
    """``-expr`` for a negative number or a product led by one (for printing only), else ``None``."""
    if isinstance(expr, Const) and expr.value < 0:
        return Const(-expr.value)
    if isinstance(expr, Mul) and isinstance(expr.left, Const) and expr.left.value < 0:
        return Mul(Const(-expr.left.value), expr.right)
    return None


def _to_string(expr: Expr) -> str:
    if isinstance(expr, Const):
        return _format_number(expr.value)
    if isinstance(expr, Var):
        return expr.name
    if isinstance(expr, Function):
        return f"{type(expr).name}({_to_string(expr.arg)})"
    if isinstance(expr, Neg):
        inner = _to_string(expr.arg)
        return f"-({inner})" if _precedence(expr.arg) <= 3 else f"-{inner}"
    if isinstance(expr, Pow):
        inner = _to_string(expr.base)
        return f"({inner})^{expr.exponent}" if _precedence(expr.base) <= 4 else f"{inner}^{expr.exponent}"
    if isinstance(expr, Add) and _negative_term(expr.right) is not None:  # "a + -2*b" reads "a - 2*b"
        return _to_string(Sub(expr.left, _negative_term(expr.right)))  # type: ignore[arg-type]
    if isinstance(expr, Binary):
        mine = _precedence(expr)
        left, right = _to_string(expr.left), _to_string(expr.right)
        if _precedence(expr.left) < mine:
            left = f"({left})"
        # on the right, an operand of the same level needs parentheses after "-" (and a sign always does)
        p = _precedence(expr.right)
        if p < mine or (p == mine and isinstance(expr, Sub)) or p == 3:
            right = f"({right})"
        sep = f" {expr.symbol} " if mine == 1 else expr.symbol
        return f"{left}{sep}{right}"
    raise InvalidDataError(f"to_string: unknown node {type(expr).__name__}")


def to_string(system: System | Expr) -> str:
    """Infix text for people, e.g. ``"u_1' = 0.5*u_1 - 0.25*u_1^2"`` (never parsed back).

    Constants are printed with 6 significant digits; components are joined by ``"; "``.
    """
    if isinstance(system, System):
        return "; ".join(f"u_{k + 1}' = {_to_string(comp)}" for k, comp in enumerate(system.components))
    return _to_string(system)
