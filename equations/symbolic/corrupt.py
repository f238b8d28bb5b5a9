r"""Corrupted systems: the wrong symbolic inputs PROSE is claimed to tolerate.

PROSE trains and is tested with symbolic input that is partly wrong: a term
added to or removed from a component, or coefficients off by some relative
amount. Each corruption here takes a :class:`numpy.random.Generator` (or a
seed) and returns a new :class:`~equations.symbolic.tree.System`, changing
exactly what its name says and nothing else:

* :func:`add_term` -- one component ``f_k`` becomes ``f_k + t`` with ``t`` a
  random term (:func:`random_term`); the others are unchanged.
* :func:`remove_term` -- one summand (:func:`~equations.symbolic.tree.terms`)
  is dropped from one component that has at least two, so no component is
  left empty; the other components are unchanged.
* :func:`perturb_coefficients` -- every constant ``c`` becomes
  ``c (1 + relative * xi)``, ``xi ~ U(-1, 1)`` independently; the tree's
  structure is unchanged.

The results hold unrounded constants; :func:`~equations.symbolic.tokens.encode`
rounds them to 3 significant digits like any other.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from equations.errors import InvalidDataError, InvalidParameterError, check_integer, is_finite_number
from equations.random_fields import RngLike, as_generator
from equations.symbolic.tree import Add, Const, Expr, Mul, Pow, Sin, System, Var, from_terms, map_constants, terms

#: default range of the magnitude of an added term's coefficient (log-uniform)
MAGNITUDE = (0.1, 1.0)
#: the shapes of an added term (``c`` its coefficient, ``j <= l`` random components)
TERM_KINDS = ("c", "c*u_j", "c*u_j*u_l", "c*u_j^2", "c*sin(u_j)")


def _component(system: System, component: int | None, rng: np.random.Generator) -> int:
    if component is None:
        return int(rng.integers(system.dim))
    return check_integer("component", component, 0, system.dim - 1)


def random_term(rng: RngLike, dim: int, magnitude: tuple[float, float] = MAGNITUDE) -> Expr:
    """A random term in the variables ``u_1 .. u_dim``.

    The shape is drawn uniformly from :data:`TERM_KINDS`, the variables
    uniformly, and the coefficient ``c = ±m`` with a random sign and ``m``
    log-uniform on ``magnitude``.

    Parameters
    ----------
    rng : numpy.random.Generator or int
        Source of randomness (an integer is a seed).
    dim : int
        Number of variables available, 1 to 3.
    magnitude : (float, float)
        ``0 < low <= high``: range of ``|c|``.
    """
    rng = as_generator(rng)
    dim = check_integer("dim", dim, 1, 3)
    low, high = magnitude
    if not (is_finite_number(low) and is_finite_number(high) and 0 < low <= high):
        raise InvalidParameterError(f"magnitude must be (low, high) with 0 < low <= high, got {magnitude!r}")
    sign = 1.0 if rng.random() < 0.5 else -1.0
    c = Const(sign * float(np.exp(rng.uniform(np.log(low), np.log(high)))))
    kind = int(rng.integers(len(TERM_KINDS)))
    j, l = sorted(int(v) for v in rng.integers(dim, size=2))  # noqa: E741  (the customary index name)
    if kind == 0:
        return c
    if kind == 1:
        return Mul(c, Var(j))
    if kind == 2:
        return Mul(c, Mul(Var(j), Var(l)))
    if kind == 3:
        return Mul(c, Pow(Var(j), 2))
    return Mul(c, Sin(Var(j)))


def add_term(system: System, rng: RngLike, *, component: int | None = None,
             magnitude: tuple[float, float] = MAGNITUDE) -> System:
    """``system`` with a random term added to one component: ``f_k -> Add(f_k, t)``.

    Parameters
    ----------
    system : System
        The system to corrupt.
    rng : numpy.random.Generator or int
        Source of randomness: the component (unless given) and the term (:func:`random_term`).
    component : int, optional
        0-based index of the component to change (default: uniform).
    magnitude : (float, float)
        Range of the term's coefficient magnitude.
    """
    rng = as_generator(rng)
    k = _component(system, component, rng)
    term = random_term(rng, system.dim, magnitude)
    comps = list(system.components)
    comps[k] = Add(comps[k], term)
    return System(tuple(comps))


def remove_term(system: System, rng: RngLike, *, component: int | None = None) -> System:
    """``system`` with one summand removed from one component that has at least two.

    The component is drawn uniformly among those with two or more terms
    (:func:`~equations.symbolic.tree.terms`), then the term uniformly; the
    remaining terms are summed again in order (:func:`~equations.symbolic.tree.from_terms`).

    Raises
    ------
    InvalidDataError
        No component (or not the given one) has two terms: removing one would leave it empty.
    """
    rng = as_generator(rng)
    split = [terms(comp) for comp in system.components]
    candidates = [k for k, items in enumerate(split) if len(items) >= 2]
    if component is not None:
        k = check_integer("component", component, 0, system.dim - 1)
        if k not in candidates:
            raise InvalidDataError(f"remove_term: component {k + 1} has a single term; removing it would leave "
                                   "it empty")
    elif not candidates:
        raise InvalidDataError("remove_term: every component is a single term; removing one would leave it empty")
    else:
        k = candidates[int(rng.integers(len(candidates)))]
    items = split[k]
    drop = int(rng.integers(len(items)))
    comps = list(system.components)
    comps[k] = from_terms(items[:drop] + items[drop + 1:])
    return System(tuple(comps))


def perturb_coefficients(system: System, rng: RngLike, relative: float = 0.05) -> System:
    """``system`` with every constant ``c`` replaced by ``c (1 + relative * xi)``, ``xi ~ U(-1, 1)``.

    Parameters
    ----------
    relative : float
        Largest relative change, in ``(0, 1)``.
    """
    rng = as_generator(rng)
    if not is_finite_number(relative) or not 0 < relative < 1:
        raise InvalidParameterError(f"perturb_coefficients: relative must be in (0, 1), got {relative!r}")

    def perturb(c: float) -> float:
        return c * (1.0 + relative * float(rng.uniform(-1.0, 1.0)))

    return System(tuple(map_constants(comp, perturb) for comp in system.components))


#: every corruption by name
CORRUPTIONS: dict[str, Callable[..., System]] = {
    "add_term": add_term,
    "remove_term": remove_term,
    "perturb_coefficients": perturb_coefficients,
}
