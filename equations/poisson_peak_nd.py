"""A d-dimensional Poisson problem with a Gaussian peak: the high-dimensional adaptive-sampling test."""

from __future__ import annotations

from dataclasses import dataclass

from equations.core import Array, Coords, DirichletCondition, Domain, Equation, Jet, Variable
from equations.errors import InvalidParameterError
from equations.geometry import SPATIAL_AXES, Box
from equations.namespace import namespace

#: The dimensions the spec accepts (its axes are the first ``d`` letters of ``SPATIAL_AXES``).
MIN_DIM, MAX_DIM = 2, 10


@dataclass(frozen=True)
class PeakPoissonND(Equation):
    r"""``-Delta u = f`` on ``[-1, 1]^d`` with ``u = exp(-10 |x|^2)``, Dirichlet data from ``u``.

    The high-dimensional test of adversarial adaptive sampling (Tang, Zhai,
    Wan & Yang, ICLR 2024, their 10D peak): ``f = (20 d - 400 |x|^2) u``. The
    solution is a Gaussian of standard deviation ``1/sqrt(20)`` per axis, so
    the share of ``[-1, 1]^d`` where ``|x|^2 < 1/2`` (where ``f`` is not
    negligible) falls from 39 % at ``d = 2`` to 3 % at ``d = 5`` and 8e-5 at
    ``d = 10``: uniform collocation points almost never see the source.

    The axes are named by the first ``d`` letters of
    :data:`equations.geometry.SPATIAL_AXES` (``x``, ``y``, ``z``, ``a``, ``b``
    ...). There is no default grid (``default_resolution`` is empty): from
    ``d = 4`` on a grid is out of reach; measure on points with
    :meth:`exact`.

    Parameters
    ----------
    d : int
        Dimension, an integer from 2 to 10.
    """

    d: int = 2

    name = "poisson_peak_nd"
    title = "d-dimensional Poisson with a Gaussian peak on [-1, 1]^d"
    has_exact = True
    field = Variable("u", "1", "potential")

    def __post_init__(self) -> None:
        if isinstance(self.d, bool) or not isinstance(self.d, int) or not MIN_DIM <= self.d <= MAX_DIM:
            raise InvalidParameterError(
                f"poisson_peak_nd: d must be an integer from {MIN_DIM} to {MAX_DIM}, got {self.d!r}")

    @property
    def axes(self) -> tuple[str, ...]:
        """The coordinate names, in input order."""
        return tuple(SPATIAL_AXES[: self.d])

    @property
    def derivatives(self) -> tuple[str, ...]:  # type: ignore[override]  # d-dependent: not the base's ClassVar
        """``("xx", "yy", ...)``: the Laplacian's terms."""
        return tuple(a + a for a in self.axes)

    @property
    def domain(self) -> Domain:
        return Domain(Box(self.axes, (-1.0,) * self.d, (1.0,) * self.d, (False,) * self.d))

    def _r2(self, coords: Coords) -> Array:
        return sum(coords[a] ** 2 for a in self.axes)

    def exact(self, coords: Coords) -> Array:
        xs = [coords[a] for a in self.axes]
        return namespace(*xs).exp(-10.0 * self._r2(coords))

    def source(self, coords: Coords) -> Array:
        # -Delta exp(-10 r^2) = (20 d - 400 r^2) exp(-10 r^2)
        return (20.0 * self.d - 400.0 * self._r2(coords)) * self.exact(coords)

    def residual(self, coords: Coords, u: Jet) -> Array:
        return sum(u[a + a] for a in self.axes) + self.source(coords)

    def conditions(self) -> tuple:
        return (DirichletCondition(self.exact),)
