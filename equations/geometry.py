"""Spatial geometries: bounding box, membership test, and maps from the unit cube.

A geometry does not sample by itself: samplers (in ``sciml``) draw points in the
unit cube (uniform, Sobol...) and a geometry maps them to its interior or its
boundary, so every sampling strategy works on every geometry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.path import Path

from equations.errors import InvalidParameterError, is_finite_number

#: Spatial axis names, one letter each (derivative keys are strings of them): ``x``, ``y``, ``z``, then
#: ``a`` to ``q`` for the fourth to twentieth axis of a high-dimensional box.
SPATIAL_AXES = "xyzabcdefghijklmnopq"  # 20 axes (no "t": time)


@dataclass(frozen=True)
class Geometry:
    """Base class: ``names``, ``lower``, ``upper`` and ``periodic`` per axis."""

    names: tuple[str, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    periodic: tuple[bool, ...]

    def __post_init__(self) -> None:
        entries = (self.names, self.lower, self.upper, self.periodic)
        if not all(isinstance(e, (tuple, list)) for e in entries) or not (
            0 < len(self.names) == len(self.lower) == len(self.upper) == len(self.periodic)
        ):
            raise InvalidParameterError("geometry needs one (lower, upper, periodic) entry per axis name")
        for name, lo, hi, periodic in zip(self.names, self.lower, self.upper, self.periodic):
            if not isinstance(name, str) or len(name) != 1 or name not in SPATIAL_AXES:
                raise InvalidParameterError(f"spatial axis names are single letters of {SPATIAL_AXES!r} "
                                            f"('x', 'y', 'z' first), got {name!r}")
            if not (is_finite_number(lo) and is_finite_number(hi)) or hi <= lo:
                raise InvalidParameterError(f"axis {name!r} is empty or unbounded: [{lo!r}, {hi!r}]")
            if not isinstance(periodic, (bool, np.bool_)):
                raise InvalidParameterError(f"axis {name!r}: periodic must be true or false, got {periodic!r}")
        if len(set(self.names)) != len(self.names):
            raise InvalidParameterError(f"axis names must differ, got {tuple(self.names)}")

    @property
    def dim(self) -> int:
        return len(self.names)

    def contains(self, points: np.ndarray) -> np.ndarray:
        """Boolean mask of the points (shape ``(n, dim)``) inside the closed domain."""
        raise NotImplementedError

    def distance(self, points: np.ndarray) -> np.ndarray:
        """Euclidean distance of each point ``(n, dim)`` to the closed domain (0 inside).

        Here: to the bounding box; geometries that do not fill their box refine it.
        """
        lo, hi = np.asarray(self.lower), np.asarray(self.upper)
        excess = np.maximum(np.maximum(lo - points, points - hi), 0.0)
        return np.sqrt((excess**2).sum(axis=1))

    def from_unit_cube(self, u: np.ndarray) -> np.ndarray:
        """Map unit-cube samples affinely onto the bounding box."""
        lo, hi = np.asarray(self.lower), np.asarray(self.upper)
        return lo + (hi - lo) * u

    def boundary_from_unit(self, s: np.ndarray) -> np.ndarray:
        """Map ``s`` in ``[0, 1)^(dim-1)`` (``[0,1)`` per row in 1D/2D) to boundary points.

        Geometries of 3 or more dimensions that implement it take ``s`` of
        shape ``(n, dim - 1)``; lower-dimensional ones a vector ``(n,)``.
        """
        raise NotImplementedError

    def normals(self, points: np.ndarray) -> np.ndarray:
        """Outward unit normals ``(n, dim)`` at boundary points ``(n, dim)``.

        Each point gets the normal of the nearest piece of the boundary (a
        face of a box, an edge of a polygon), so points a little off the
        boundary are fine; subclasses say how corners are treated.

        Raises
        ------
        NotImplementedError
            The geometry has no normals.
        """
        raise NotImplementedError(f"{type(self).__name__} has no boundary normals")

    def grid_mask(self, axes: dict[str, np.ndarray]) -> np.ndarray:
        """Inside-mask of a tensor grid given by its 1D coordinate vectors."""
        mesh = np.meshgrid(*(axes[n] for n in self.names), indexing="ij")
        pts = np.stack([m.ravel() for m in mesh], axis=1)
        return self.contains(pts).reshape(mesh[0].shape)


@dataclass(frozen=True)
class Box(Geometry):
    """An axis-aligned box (an interval in 1D, a rectangle in 2D)."""

    def contains(self, points: np.ndarray) -> np.ndarray:
        lo, hi = np.asarray(self.lower), np.asarray(self.upper)
        eps = 1e-12 * (hi - lo)
        return np.all((points >= lo - eps) & (points <= hi + eps), axis=1)

    def boundary_from_unit(self, s: np.ndarray) -> np.ndarray:
        """Boundary points: ``s`` ``(n,)`` in 1D/2D (arc length), ``(n, dim - 1)`` from 3D on (face, position)."""
        if self.dim >= 3 and np.ndim(s) == 2 and np.shape(s)[1] == self.dim - 1:
            return self._faces_from_unit(np.asarray(s, dtype=float))
        s = np.asarray(s, dtype=float).reshape(-1)
        lo, hi = np.asarray(self.lower), np.asarray(self.upper)
        if self.dim == 1:
            return np.where(s[:, None] < 0.5, lo, hi)
        if self.dim == 2:
            return _polygon_boundary(
                np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]]), s
            )
        raise InvalidParameterError(f"a {self.dim}D box maps (n, {self.dim - 1}) unit samples to its boundary, "
                                    f"got shape {np.shape(s)}")

    def _faces_from_unit(self, s: np.ndarray) -> np.ndarray:
        """Uniform points on the ``2 dim`` faces of a box of 3 or more dimensions.

        ``s[:, 0]`` picks a face with probability proportional to its area
        (lower face of axis 0, upper face of axis 0, lower face of axis 1,
        ...) and, rescaled within that face's share, gives the first free
        coordinate on it; ``s[:, 1:]`` give the others, so uniform (or
        low-discrepancy) ``s`` give uniform points on the boundary.
        """
        lo, hi = np.asarray(self.lower, dtype=float), np.asarray(self.upper, dtype=float)
        width = hi - lo
        areas = np.repeat(np.prod(width) / width, 2)  # faces of axis k have the area prod_{j != k} width_j
        cum = np.concatenate([[0.0], np.cumsum(areas)]) / areas.sum()
        face = np.clip(np.searchsorted(cum, s[:, 0], side="right") - 1, 0, len(areas) - 1)
        first = np.clip((s[:, 0] - cum[face]) / (cum[face + 1] - cum[face]), 0.0, 1.0)
        axis = face // 2
        out = np.empty((len(s), self.dim))
        for k in range(self.dim):
            mine = axis == k
            free = np.column_stack([first[mine], s[mine, 1:]])  # the dim - 1 coordinates along the face
            out[mine] = lo + width * np.insert(free, k, 0.0, axis=1)
            out[mine, k] = np.where(face[mine] % 2 == 0, lo[k], hi[k])
        return out

    def normals(self, points: np.ndarray) -> np.ndarray:
        """Outward unit normals ``(n, dim)``: the axis direction of the face nearest each point.

        The faces are the lower and upper end of every axis (periodic ones
        included, as in :meth:`boundary_from_unit`); ``-e_k`` on the lower and
        ``+e_k`` on the upper face of axis ``k``. The nearest face is the one at
        the smallest distance ``|x_k - lower_k|`` or ``|upper_k - x_k|``; at a
        corner, where several faces are equally near, the first in the order
        lower of axis 0, upper of axis 0, lower of axis 1, ... is taken (so the
        corner ``(lower_x, lower_y)`` of a rectangle gets ``(-1, 0)``).
        """
        pts = _as_points(points, self.dim)
        lo, hi = np.asarray(self.lower), np.asarray(self.upper)
        # (n, 2 dim) distances in the order lower_0, upper_0, lower_1, upper_1, ...
        gaps = np.stack([np.abs(pts - lo), np.abs(hi - pts)], axis=2).reshape(len(pts), 2 * self.dim)
        face = np.argmin(gaps, axis=1)
        out = np.zeros_like(pts)
        out[np.arange(len(pts)), face // 2] = np.where(face % 2 == 0, -1.0, 1.0)
        return out

    def distance_factor(self, coords: dict) -> object:
        """A smooth factor vanishing on the non-periodic faces (for hard constraints)."""
        d = 1.0
        for name, lo, hi, per in zip(self.names, self.lower, self.upper, self.periodic):
            if not per:
                x = coords[name]
                d = d * (x - lo) * (hi - x) * (4.0 / (hi - lo) ** 2)
        return d


@dataclass(frozen=True)
class Polygon(Geometry):
    """A simple 2D polygon given by its vertices in order (e.g. an L-shape)."""

    vertices: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.dim != 2 or len(self.vertices) < 3:
            raise InvalidParameterError("a polygon needs 2 axes and at least 3 vertices")

    @classmethod
    def from_vertices(cls, vertices: list[tuple[float, float]]) -> Polygon:
        v = np.asarray(vertices, dtype=float)
        return cls(
            names=("x", "y"),
            lower=tuple(v.min(axis=0)),
            upper=tuple(v.max(axis=0)),
            periodic=(False, False),
            vertices=tuple(map(tuple, v)),
        )

    def contains(self, points: np.ndarray) -> np.ndarray:
        # a tiny positive radius makes the test include the boundary itself
        path = Path(np.asarray(self.vertices))
        scale = max(u - lo for lo, u in zip(self.lower, self.upper))
        inside = path.contains_points(points, radius=1e-9 * scale)
        inside |= path.contains_points(points, radius=-1e-9 * scale)
        return inside

    def boundary_from_unit(self, s: np.ndarray) -> np.ndarray:
        return _polygon_boundary(np.asarray(self.vertices), np.asarray(s, dtype=float).reshape(-1))

    def normals(self, points: np.ndarray) -> np.ndarray:
        """Outward unit normals ``(n, 2)``: the normal of the edge nearest each point.

        Outward for either vertex orientation (the sign of the polygon's
        signed area decides). Edge ``i`` runs from vertex ``i`` to vertex
        ``i + 1`` (the last one back to vertex 0); at a vertex, where two edges
        are equally near, the lower edge index is taken: vertex ``i >= 1``
        gets the normal of edge ``i - 1`` (the edge ending there), vertex 0
        that of edge 0.
        """
        pts = _as_points(points, 2)
        v = np.asarray(self.vertices, dtype=float)
        a, ab = v, np.roll(v, -1, axis=0) - v
        s = np.clip(((pts[:, None, :] - a[None]) * ab[None]).sum(-1) / (ab * ab).sum(-1), 0.0, 1.0)
        gap = np.linalg.norm(pts[:, None, :] - (a[None] + s[..., None] * ab[None]), axis=-1)
        edge = np.argmin(gap, axis=1)
        area = 0.5 * float(np.sum(a[:, 0] * np.roll(a[:, 1], -1) - np.roll(a[:, 0], -1) * a[:, 1]))
        # (dy, -dx) points to the right of the edge: outward for a counter-clockwise polygon
        right = np.column_stack([ab[:, 1], -ab[:, 0]]) / np.linalg.norm(ab, axis=1)[:, None]
        return (right if area > 0 else -right)[edge] + 0.0  # + 0.0: no negative zeros

    def distance(self, points: np.ndarray) -> np.ndarray:
        """Distance to the polygon: 0 inside, else to the nearest edge (the L-shape's cut-out corner counts)."""
        points = np.asarray(points, dtype=float)
        out = np.zeros(len(points))
        away = ~self.contains(points)
        if away.any():
            p = points[away][:, None, :]  # (m, 1, 2) against every edge (1, e, 2)
            a = np.asarray(self.vertices)[None]
            b = np.roll(np.asarray(self.vertices), -1, axis=0)[None]
            ab = b - a
            s = np.clip(((p - a) * ab).sum(-1) / (ab * ab).sum(-1), 0.0, 1.0)
            out[away] = np.linalg.norm(p - (a + s[..., None] * ab), axis=-1).min(axis=1)
        return out


def _as_points(points: np.ndarray, dim: int) -> np.ndarray:
    """``points`` as a float ``(n, dim)`` array, or :class:`InvalidParameterError`."""
    pts = np.asarray(points, dtype=float)
    if pts.ndim == 1 and dim == 1:
        pts = pts[:, None]
    if pts.ndim != 2 or pts.shape[1] != dim:
        raise InvalidParameterError(f"boundary points must have shape (n, {dim}), got {pts.shape}")
    return pts


def _polygon_boundary(vertices: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Points at arc-length fraction ``s`` along the closed polygon."""
    closed = np.vstack([vertices, vertices[:1]])
    seg = np.linalg.norm(np.diff(closed, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)]) / seg.sum()
    k = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1)
    frac = ((s - cum[k]) / (cum[k + 1] - cum[k]))[:, None]
    return closed[k] + frac * (closed[k + 1] - closed[k])
