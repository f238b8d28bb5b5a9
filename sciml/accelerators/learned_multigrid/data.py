r"""Random high-contrast media and obstacle layouts: the training and test systems of the learned multigrid.

A layout is drawn in physical units on the unit square (inclusion sizes and
obstacle radii are fractions of the side), so the same seed gives the same
medium at every resolution and a test on an unseen seed at 1025^2 asks the
network about geometry it never saw. Kinds of coefficient field:

- ``"checker"``: a checkerboard of ``k x k`` cells, ``k`` in 2..12, random offset;
- ``"inclusions"``: a thresholded Gaussian random field (correlation length
  2--12 % of the side): connected and isolated high-coefficient islands;
- ``"lognormal"``: ``exp`` of a smooth Gaussian field spanning the contrast;
- ``"constant"``: ``a = 1``.

Two-phase fields take the values 1 and ``contrast`` (which phase is high is
random). Obstacles are solid discs and boxes (zero flux on their faces).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from equations.errors import InvalidDataError, check_choice, check_integer
from equations.pressure_poisson import smooth_field
from sciml.core.runtime import numpy_rng
from solvers.grid_systems import DarcySystem, darcy_grid_system

KINDS = ("checker", "inclusions", "lognormal", "constant")
RHS_KINDS = ("smooth", "white")


def coefficient(n: int, kind: str, contrast: float, rng: np.random.Generator) -> np.ndarray:
    """A nodal coefficient ``(n, n)`` on the unit square with values in ``[1, contrast]``."""
    check_choice("kind", kind, KINDS)
    if not contrast >= 1.0:
        raise InvalidDataError(f"contrast must be >= 1, got {contrast!r}")
    x = np.linspace(0.0, 1.0, n)
    if kind == "constant":
        return np.ones((n, n))
    if kind == "checker":
        k = int(rng.integers(2, 13))
        ox, oy = rng.uniform(0, 1.0 / k, 2)
        high = ((np.floor((x[:, None] + ox) * k) + np.floor((x[None, :] + oy) * k)) % 2).astype(bool)
    else:
        length = rng.uniform(0.02, 0.12) if kind == "inclusions" else rng.uniform(0.05, 0.2)
        # the field is drawn on a fixed 256^2 lattice and sampled, so it does not depend on n
        g = ndimage.gaussian_filter(rng.standard_normal((256, 256)), 256 * length, mode="wrap")
        g = ndimage.map_coordinates(g, np.meshgrid(x * 255, x * 255, indexing="ij"), order=1)
        g = (g - g.mean()) / max(g.std(), 1e-300)
        if kind == "lognormal":
            return np.asarray(np.exp(np.clip(g / 3.0, -1.0, 1.0) * 0.5 * np.log(contrast)) * np.sqrt(contrast))
        high = g > rng.uniform(-0.5, 0.5)
    if rng.random() < 0.5:
        high = ~high
    return np.where(high, contrast, 1.0)


def obstacles(n: int, count: int, rng: np.random.Generator, size: tuple[float, float] = (0.03, 0.08)) -> np.ndarray:
    """A solid mask ``(n, n)`` of ``count`` discs and boxes (radius / half side in ``size``) off the box sides."""
    x = np.linspace(0.0, 1.0, n)
    xx, yy = np.meshgrid(x, x, indexing="ij")
    solid = np.zeros((n, n), dtype=bool)
    for _ in range(check_integer("count", count, 0)):
        r = rng.uniform(*size)
        cx, cy = rng.uniform(r + 0.05, 1 - r - 0.05, 2)
        if rng.random() < 0.5:
            solid |= (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
        else:
            solid |= (np.abs(xx - cx) <= r) & (np.abs(yy - cy) <= r)
    solid[[0, -1], :] = False
    solid[:, [0, -1]] = False
    return solid


def random_system(n: int, seed: int | np.random.Generator, *, kind: str | None = None,
                  contrast: float | None = None, obstacle_count: int | None = None) -> DarcySystem:
    """One seeded Darcy system on ``n x n`` nodes (zero Dirichlet sides); unset choices are drawn.

    Parameters
    ----------
    n : int
        Nodes per side (odd, ``2^k + 1`` for a full multigrid hierarchy).
    seed : int or numpy.random.Generator
        Source of every random choice.
    kind : str, optional
        Coefficient kind (:data:`KINDS`); drawn when None.
    contrast : float, optional
        Coefficient contrast; ``10^U(0, 6)`` when None.
    obstacle_count : int, optional
        Solid obstacles; 0 to 12 (zero with probability 1/2) when None.
    """
    rng = numpy_rng(seed)
    kind = KINDS[int(rng.integers(len(KINDS)))] if kind is None else kind
    contrast = float(10.0 ** rng.uniform(0.0, 6.0)) if contrast is None else float(contrast)
    if obstacle_count is None:
        obstacle_count = 0 if rng.random() < 0.5 else int(rng.integers(1, 13))
    a = coefficient(n, kind, contrast, rng)
    solid = obstacles(n, obstacle_count, rng)
    h = 1.0 / (n - 1)
    try:
        return darcy_grid_system(a, h, h, solid=solid)
    except InvalidDataError:  # an obstacle ring enclosed fluid: keep the medium, drop the obstacles
        return darcy_grid_system(a, h, h)


def training_systems(count: int, n: int = 33, seed: int | np.random.Generator = 0) -> list[DarcySystem]:
    """``count`` random systems (:func:`random_system`) on ``n x n`` nodes, all from one seed."""
    rng = numpy_rng(seed)
    return [random_system(n, rng) for _ in range(check_integer("count", count, 1))]


def random_rhs(system: DarcySystem, kind: str = "smooth", seed: int | np.random.Generator = 0) -> np.ndarray:
    """A seeded right-hand side of unit 2-norm on the unknowns of ``system``.

    ``kind="smooth"``: ``volume * f`` for a smooth random source ``f``
    (correlation length 0.1 of the side, the same field at every resolution);
    ``"white"``: independent standard normal entries.
    """
    kind = check_choice("kind", kind, RHS_KINDS)
    rng = numpy_rng(seed)
    b = system.rhs(smooth_field(system.shape, rng)) if kind == "smooth" else rng.standard_normal(system.size)
    return np.asarray(b / np.linalg.norm(b))
