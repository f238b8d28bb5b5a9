"""What a spec subclass changed relative to one of its bases.

A classical solver registered for ``Poisson2D`` implements ``Poisson2D`` as that
class states it; a user's subclass that redefines ``conditions()`` or
``source()`` states another problem. :func:`changed_members` lists the members
that such a subclass (and every class between it and the base) defines anew, so
that solvers (and the learners' hard-constraint ansatz) can accept exactly the
changes they take as data and refuse the others, instead of silently solving
the parent's problem.
"""

from __future__ import annotations

# members that describe a spec, or hint how to solve it, without changing the problem it states
# (``continuation``: the path a Newton solver may take to the same minimiser)
DESCRIPTIVE = frozenset({"name", "title", "field", "default_resolution", "has_exact", "continuation"})


def changed_members(equation_type: type, base: type) -> tuple[str, ...]:
    """Members defined anew by ``equation_type`` or a class between it and ``base``.

    Parameters
    ----------
    equation_type : type
        A spec class (the type of the equation being solved).
    base : type
        One of its bases (the class a solver was registered for).

    Returns
    -------
    tuple of str
        Sorted names of methods, properties and class attributes that override
        (or add to) what ``base`` states. Dataclass fields (the spec's
        parameters, which solvers read as data), dunder methods (``__init__``,
        ``__post_init__`` validation...) and the descriptive attributes in
        :data:`DESCRIPTIVE` do not count.
    """
    if not issubclass(equation_type, base):
        raise TypeError(f"{equation_type.__name__} is not a subclass of {base.__name__}")
    # the spec's parameters: data every solver reads from the instance
    parameters = {f.name for f in getattr(equation_type, "__dataclass_fields__", {}).values()}
    changed: set[str] = set()
    for cls in equation_type.__mro__:
        if cls is base:
            break
        for key in vars(cls):
            if key in DESCRIPTIVE or key in parameters or (key.startswith("__") and key.endswith("__")):
                continue
            changed.add(key)
    return tuple(sorted(changed))


def defining_class(equation_type: type, member: str) -> type | None:
    """The class in ``equation_type``'s MRO whose body defines ``member`` (None if none does)."""
    for cls in equation_type.__mro__:
        if member in vars(cls):
            return cls
    return None


def stale_members(equation_type: type, member: str, allowed: frozenset[str]) -> tuple[str, ...]:
    """Members redefined below the class that defines ``member``, other than ``allowed``.

    ``member`` restates part of the problem for one consumer (``ansatz``: the
    conditions, for hard constraints; ``lagrangian``: the PDE along
    characteristics). If a subclass redefines what it restates (say
    ``conditions``) without redefining ``member`` itself, the restatement is
    stale: the returned names are non-empty and the consumer must not use it.
    """
    owner = defining_class(equation_type, member)
    if owner is None:
        return ()
    return tuple(m for m in changed_members(equation_type, owner) if m not in allowed)


# what an ansatz (g, d) does not depend on: it encodes the conditions and the domain only
ANSATZ_INDEPENDENT = frozenset({"residual", "source", "exact", "derivatives", "lagrangian"})
