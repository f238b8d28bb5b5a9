r"""Symbolic right-hand sides of autonomous ODE systems ``u' = f(u)`` (d <= 3), as trees and as tokens.

The symbol side of PROSE: an expression tree per component
(:mod:`~equations.symbolic.tree`), its prefix tokens with PROSE-style
numbers and the strict parser back (:mod:`~equations.symbolic.tokens`), and
the corruptions of the robustness claims (:mod:`~equations.symbolic.corrupt`)::

    >>> from equations.symbolic import Var, System, encode, decode, evaluate
    >>> u1, u2 = Var(0), Var(1)
    >>> system = System((u2, -4.0 * u1 - 0.25 * u2))
    >>> encode(system)[:6]
    ['u_2', '|', 'sub', 'mul', '-', '4']
    >>> decode(encode(system)) == system
    True
    >>> evaluate(system, [[1.0, 2.0]]).tolist()
    [[2.0, -4.5]]
"""

from equations.symbolic.corrupt import CORRUPTIONS, add_term, perturb_coefficients, random_term, remove_term
from equations.symbolic.tokens import (
    BOS,
    EOS,
    PAD,
    PAD_ID,
    PRECISION,
    SEP,
    VOCABULARY,
    ExpressionSyntaxError,
    decode,
    decode_ids,
    encode,
    encode_ids,
    encode_number,
    from_ids,
    quantize,
    quantize_system,
    to_ids,
)
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
    constants,
    depth,
    evaluate,
    from_terms,
    map_constants,
    scalar_function,
    terms,
    to_string,
    walk,
)

__all__ = [
    "BOS", "CORRUPTIONS", "EOS", "MAX_DEPTH", "MAX_DIM", "PAD", "PAD_ID", "PRECISION", "SEP", "VOCABULARY",
    "Add", "Const", "Cos", "Exp", "Expr", "ExpressionSyntaxError", "Mul", "Neg", "Pow", "Sin", "Sub", "System",
    "Var", "add_term", "constants", "decode", "decode_ids", "depth", "encode", "encode_ids", "encode_number",
    "evaluate", "from_ids", "from_terms", "map_constants", "perturb_coefficients", "quantize", "quantize_system",
    "random_term", "remove_term", "scalar_function", "terms", "to_ids", "to_string", "walk",
]
