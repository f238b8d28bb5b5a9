r"""Equation families: a spec plus its seeded input distribution, the members of an operator-learning dataset.

A :class:`Family` is a frozen dataclass of the parameters of a random input
(a coefficient, a forcing, initial or boundary data drawn as a random field,
see :mod:`equations.random_fields`) and of the spec's own parameters. It
draws the input on a uniform grid from a :class:`numpy.random.Generator` (or a
seed) and turns those values into one member: an :class:`~equations.Equation`
instance whose parameters hold them. The same spec states the PDE for every
member, for the classical solver (``solvers.solve``) and for the learners
alike; the family only says how its input is random.

>>> from equations.families import FAMILIES
>>> family = FAMILIES.create("antiderivative", length_scale=0.3)
>>> member = family.sample(0, 11)
>>> type(member.equation).__name__, member.input.shape
('Antiderivative', (11,))

A family registers itself by naming itself (``name = "..."``), like a spec;
:data:`FAMILIES` (a :class:`~equations.registry.Registry`) finds the
families of this package and those other packages declare as entry points of
group ``sciml_toolkit.families``. ``validation.datasets`` makes datasets from
families (``family_dataset``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

from equations.core import Domain, Equation, Variable
from equations.errors import InvalidDataError, InvalidParameterError, check_integer
from equations.random_fields import RngLike, as_generator
from equations.registry import Registry


@dataclass(frozen=True)
class Member:
    """One member of a family: the spec instance and the input values it was made from.

    Attributes
    ----------
    equation : Equation
        The spec whose parameters hold the input.
    input : numpy.ndarray
        The input values on the family's input grid (:meth:`Family.input_grid`).
    """

    equation: Equation
    input: np.ndarray


def _check_parameters(name: str, cls: type[Family], params: dict[str, Any]) -> None:
    valid = {f.name for f in fields(cls)}
    bad = sorted(set(params) - valid)
    if bad:
        raise InvalidParameterError(
            f"family {name}: unknown parameter(s) {', '.join(bad)}; valid: {', '.join(sorted(valid)) or 'none'}"
        )


# every equation family by name; a module of this package registers its families by defining them
FAMILIES: Registry[type[Family]] = Registry("family", packages=("equations",), check=_check_parameters,
                                            plural="families")


@dataclass(frozen=True)
class Family:
    """Base class of every equation family (a frozen dataclass of its distribution's parameters).

    Subclasses give ``name`` (registry key), ``title``, ``equation`` (the spec
    class of the members), ``input`` (metadata of the drawn input) and
    ``input_dims`` (its axes), and implement :meth:`draw` and :meth:`member`.
    :meth:`input_grid` places the input on the spec's domain by default
    (``input_dims`` naming spatial coordinates); families with sensors on
    ``[0, 1]`` and the like override it.

    Every parameter is a number (``int``, ``float``) or a ``bool``, so that a
    dataset can take it as a generator parameter and record it in its manifest.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    equation: ClassVar[type[Equation]] = Equation
    input: ClassVar[Variable] = Variable("input", "1", "input function")
    input_dims: ClassVar[tuple[str, ...]] = ("x",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):  # only a class that names itself: a user's subclass must not take its parent's
            FAMILIES.register(cls.name, cls)

    @property
    def domain(self) -> Domain:
        """The members' domain (that of the spec's default instance; override if it has none)."""
        return self.equation().domain

    def input_grid(self, points: int) -> dict[str, np.ndarray]:
        """Coordinates of the input drawn with ``points`` per axis, one 1D vector per name of ``input_dims``.

        Default: the uniform grid of the domain along each axis
        (:meth:`equations.core.Domain.grid`: both ends included, the upper end
        excluded on a periodic axis).

        Raises
        ------
        InvalidParameterError
            ``points`` is not an integer >= 2.
        NotImplementedError
            An input axis that is no spatial coordinate of the domain (override this method).
        """
        points = check_integer("points", points, 2)
        domain = self.domain
        axes = {}
        for dim in self.input_dims:
            if dim not in domain.space.names:
                raise NotImplementedError(
                    f"family {self.name or type(self).__name__}: input axis {dim!r} is not a coordinate of the "
                    f"domain {domain.space.names}; override input_grid"
                )
            (lo, hi) = domain.bounds[domain.names.index(dim)]
            axes[dim] = lo + (hi - lo) * np.arange(points) / points if domain.periodic(dim) \
                else np.linspace(lo, hi, points)
        return axes

    def draw(self, rng: np.random.Generator, points: int) -> np.ndarray:
        """One random input on :meth:`input_grid` (``points`` per axis), float64 of that grid's shape."""
        raise NotImplementedError

    def member(self, values: np.ndarray) -> Equation:
        """The spec instance whose input is ``values`` (drawn by :meth:`draw`, or the user's own)."""
        raise NotImplementedError

    def sample(self, rng: RngLike, points: int) -> Member:
        """Draw one member: :meth:`draw` then :meth:`member`.

        Parameters
        ----------
        rng : numpy.random.Generator or int
            Source of randomness (an integer is a seed).
        points : int
            Points per axis of the input grid, >= 2.

        Returns
        -------
        Member
            The spec instance and the drawn input.

        Raises
        ------
        InvalidDataError
            The drawn input is not finite or not shaped like the input grid (a family bug).
        """
        values = self.check_input(self.draw(as_generator(rng), points), points)
        return Member(self.member(values), values)

    def check_input(self, values: object, points: int) -> np.ndarray:
        """``values`` as float64, checked to be finite and shaped like :meth:`input_grid` (``points`` per axis).

        Raises
        ------
        InvalidDataError
            Not finite numbers of the input grid's shape (from :meth:`draw`: a family bug).
        """
        shape = tuple(len(axis) for axis in self.input_grid(points).values())
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            array = np.full((0,), np.nan)
        if array.shape != shape or not np.all(np.isfinite(array)):
            raise InvalidDataError(
                f"family {self.name or type(self).__name__}: the input must be finite numbers of the input grid's "
                f"shape {shape}, got shape {getattr(values, 'shape', type(values).__name__)}"
            )
        return array

    def parameters(self) -> dict[str, Any]:
        """The family's parameters."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def create(name: str, **params: Any) -> Family:
    """Build a registered family by name, e.g. ``create("darcy", a_plus=10.0)`` (``FAMILIES.create``)."""
    return FAMILIES.create(name, **params)  # type: ignore[no-any-return]


__all__ = ["FAMILIES", "Family", "Member", "create"]
