r"""Pressure-Poisson systems on 2D grids with solid obstacles: the problem family and its generators.

A :class:`PressurePoisson` spec names a grid of ``(n + 1)^2`` nodes on the unit
square (``h = 1 / n``), the box condition (``"dirichlet"``: zero pressure on
every side; ``"neumann"``: walls on every side, singular with the constants as
null space) and a seeded obstacle layout (circles, boxes or random blobs).
The obstacles are solid nodes: zero flux through every face touching them.
Right-hand sides are seeded too: a random smooth field, or the divergence of
a random smooth velocity field (the fluid-simulation case). The matrix itself
is assembled by :func:`solvers.pressure_poisson.pressure_system` (the Darcy
machinery with ``a = 1``); this module says *what* is solved, not how.

Every random choice takes a seed or a ``numpy.random.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from equations.errors import InvalidDataError, check_choice, check_integer

OBSTACLES = ("none", "circles", "boxes", "blobs")
BOUNDARIES = ("dirichlet", "neumann")
RHS_KINDS = ("smooth", "divergence")
# obstacles keep this many nodes clear of the box sides, so the fluid stays connected around them
_MARGIN = 2


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(None if seed is None else check_integer("seed", seed, 0))


def smooth_field(shape: tuple[int, int], rng: int | np.random.Generator | None, length: float = 0.1) -> np.ndarray:
    """A random smooth field of unit RMS: white noise blurred by a Gaussian of ``length`` (domain units).

    Parameters
    ----------
    shape : tuple of int
        Grid shape ``(n + 1, n + 1)`` on the unit square.
    rng : int or numpy.random.Generator or None
        Seed or generator.
    length : float
        Correlation length as a fraction of the domain (so the field looks the
        same at every resolution).
    """
    noise = _rng(rng).standard_normal(shape)
    sigma = max(length * (shape[0] - 1), 0.5)
    field = ndimage.gaussian_filter(noise, sigma, mode="reflect")
    return field / max(float(np.sqrt(np.mean(field**2))), 1e-300)


def obstacle_mask(
    n: int, kind: str, count: int, rng: int | np.random.Generator | None, size: float = 0.12
) -> np.ndarray:
    """A seeded solid-node mask of shape ``(n + 1, n + 1)`` (True = solid).

    ``kind`` is ``"circles"`` (disks of radius ``~size``), ``"boxes"``
    (axis-aligned rectangles of half-sides ``~size``), ``"blobs"`` (a
    thresholded smooth field; ``count`` is ignored) or ``"none"``. Obstacles stay
    ``2`` nodes off the box sides. Fluid pockets cut off from the largest fluid
    region are filled in (made solid), so the fluid is one connected region.
    """
    n = check_integer("n", n, 8)
    kind = check_choice("obstacles", kind, OBSTACLES)
    count = check_integer("count", count, 0)
    gen = _rng(rng)
    x = np.linspace(0.0, 1.0, n + 1)
    xx, yy = np.meshgrid(x, x, indexing="ij")
    solid = np.zeros((n + 1, n + 1), dtype=bool)
    if kind == "blobs":
        field = smooth_field(solid.shape, gen, length=size / 2)
        solid = field > 1.0  # about 16% of the nodes for a Gaussian field
    elif kind != "none":
        for _ in range(count):
            cx, cy = gen.uniform(0.15, 0.85, size=2)
            if kind == "circles":
                r = size * gen.uniform(0.5, 1.5)
                solid |= (xx - cx) ** 2 + (yy - cy) ** 2 <= r**2
            else:
                a, b = size * gen.uniform(0.4, 1.4, size=2)
                solid |= (np.abs(xx - cx) <= a) & (np.abs(yy - cy) <= b)
    frame = np.zeros_like(solid)
    frame[:_MARGIN, :] = frame[-_MARGIN:, :] = frame[:, :_MARGIN] = frame[:, -_MARGIN:] = True
    solid &= ~frame
    labels, pieces = ndimage.label(~solid)
    if pieces > 1:  # keep the largest fluid region: the rest is sealed off by solids
        sizes = np.bincount(labels.ravel())[1:]
        solid |= labels != 1 + int(np.argmax(sizes))
    return solid


def divergence_field(shape: tuple[int, int], rng: int | np.random.Generator | None, length: float = 0.1) -> np.ndarray:
    """``div v`` (central differences, grid units) of a random smooth velocity ``v``, unit RMS."""
    gen = _rng(rng)
    u, v = smooth_field(shape, gen, length), smooth_field(shape, gen, length)
    div = np.gradient(u, axis=0) + np.gradient(v, axis=1)
    return div / max(float(np.sqrt(np.mean(div**2))), 1e-300)


@dataclass(frozen=True)
class PressurePoisson:
    r"""``-Laplacian(p) = f`` on the unit square around solid obstacles (zero flux on their faces).

    Parameters
    ----------
    n : int
        Cells per side: the grid has ``(n + 1)^2`` nodes, ``h = 1 / n``.
    boundary : {"dirichlet", "neumann"}
        Zero pressure on the box sides, or walls (zero flux) on every side; the
        latter is singular (constants) and its right-hand sides are projected.
    obstacles : {"none", "circles", "boxes", "blobs"}
        Obstacle layout kind.
    count : int
        Number of circles or boxes.
    size : float
        Obstacle radius / half-side (blob correlation length is half of it).
    seed : int
        Seed of the layout (the right-hand sides take their own seeds).
    """

    n: int = 64
    boundary: str = "dirichlet"
    obstacles: str = "circles"
    count: int = 4
    size: float = 0.12
    seed: int = 0

    name = "pressure_poisson"
    title = "2D pressure Poisson equation with solid obstacles"

    def __post_init__(self) -> None:
        check_integer("n", self.n, 8)
        check_choice("boundary", self.boundary, BOUNDARIES)
        check_choice("obstacles", self.obstacles, OBSTACLES)
        check_integer("count", self.count, 0)
        check_integer("seed", self.seed, 0)
        if not (isinstance(self.size, (int, float)) and 0.0 < self.size < 0.5):
            raise InvalidDataError(f"size must be a number in (0, 0.5), got {self.size!r}")

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n + 1, self.n + 1)

    @property
    def spacing(self) -> float:
        return 1.0 / self.n

    @property
    def neumann(self) -> tuple[str, ...]:
        """Side names for :func:`solvers.darcy.darcy_system`."""
        return ("x0", "x1", "y0", "y1") if self.boundary == "neumann" else ()

    def solid(self) -> np.ndarray:
        """The solid-node mask (the same for the same spec)."""
        return obstacle_mask(self.n, self.obstacles, self.count, self.seed, self.size)

    def source(self, kind: str = "smooth", seed: int | np.random.Generator | None = 0) -> np.ndarray:
        """A seeded right-hand side ``f`` on the grid (zero on solid nodes; not yet projected).

        ``kind="smooth"``: a smooth random field; ``"divergence"``: the
        divergence of a smooth random velocity field. The null-space projection
        of the all-Neumann case happens on the assembled ``b``
        (:meth:`solvers.pressure_poisson.PoissonSystem.rhs`).
        """
        kind = check_choice("kind", kind, RHS_KINDS)
        f = smooth_field(self.shape, seed) if kind == "smooth" else divergence_field(self.shape, seed)
        f[self.solid()] = 0.0
        return f
