"""The multigrid hierarchy: grids, masks, work arrays and the coarsest-level factorisation.

Levels halve the grid while ``n - 1`` is even and ``n > 5`` on both axes;
coarse masks are the fine mask at coinciding points and the 5-point operator
is rediscretised on each level, so the domain's edges should lie on coarse
grid lines (true for the L-shape on any odd grid).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.linalg import splu

from equations.errors import InvalidDataError
from solvers.fd import check_spacing, laplacian_matrix, unknowns_mask

# half-width, in points on every level, of the local relaxation windows
LOCAL_RADIUS = 8
# masks with more re-entrant corners (staircase boundaries) get no windows
MAX_CORNERS = 8


@dataclass
class Level:
    """One grid of the hierarchy and its work arrays (``u``, ``f`` are empty on the finest)."""

    mask: np.ndarray
    hx: float
    hy: float
    u: np.ndarray
    f: np.ndarray
    r: np.ndarray
    boxes: np.ndarray  # (k, 4) local relaxation windows


def corner_boxes(mask: np.ndarray, radius: int = LOCAL_RADIUS) -> np.ndarray:
    """Windows ``(i0, i1, j0, j1)`` reaching ``radius`` points around each re-entrant corner.

    A re-entrant corner is a fixed point with at least 5 of its 8 neighbours
    unknown (an edge point has 3, a convex corner 1).
    """
    m = mask.astype(bool)
    nx, ny = m.shape
    padded = np.pad(m, 1).astype(np.int8)
    count = sum(padded[1 + di : 1 + di + nx, 1 + dj : 1 + dj + ny] for di in (-1, 0, 1) for dj in (-1, 0, 1))
    ci, cj = np.nonzero(~m & (count >= 5))
    if ci.size > MAX_CORNERS:
        ci, cj = ci[:0], cj[:0]
    boxes = np.stack(
        [
            np.maximum(ci - radius, 1),
            np.minimum(ci + radius + 1, nx - 1),
            np.maximum(cj - radius, 1),
            np.minimum(cj + radius + 1, ny - 1),
        ],
        axis=1,
    )
    return np.ascontiguousarray(boxes, dtype=np.int64).reshape(-1, 4)


class Hierarchy:
    """Grids, masks, work arrays and the coarsest-level factorisation, built once.

    Parameters
    ----------
    mask : numpy.ndarray
        Boolean ``(nx, ny)``, True for unknowns; the outer frame is always fixed zero.
    hx, hy : float
        Fine-grid spacings along axis 0 (x) and axis 1 (y).
    """

    def __init__(self, mask: np.ndarray, hx: float, hy: float):
        check_spacing(hx, hy)
        m = unknowns_mask(mask)
        self.levels: list[Level] = []
        empty = np.zeros((0, 0))
        while True:
            shape = m.shape
            u, f = (empty, empty) if not self.levels else (np.zeros(shape), np.zeros(shape))
            self.levels.append(Level(m, float(hx), float(hy), u, f, np.zeros(shape), corner_boxes(m)))
            nx, ny = shape
            if not ((nx - 1) % 2 == 0 and (ny - 1) % 2 == 0 and nx > 5 and ny > 5):
                break
            m = unknowns_mask(m[::2, ::2].astype(bool))
            hx, hy = 2 * hx, 2 * hy
        coarse = self.levels[-1]
        a, self._coarse_index = laplacian_matrix(coarse.mask.astype(bool), coarse.hx, coarse.hy)
        self._coarse_lu = splu(a.tocsc()) if a.shape[0] else None

    @property
    def shape(self) -> tuple[int, int]:
        """Fine-grid shape ``(nx, ny)``."""
        return self.levels[0].mask.shape

    @property
    def mask(self) -> np.ndarray:
        """Fine-grid unknowns (boolean)."""
        return self.levels[0].mask.astype(bool)

    def coarse_solve(self, u: np.ndarray, f: np.ndarray) -> None:
        """Exact solve on the coarsest level, written into ``u``."""
        if self._coarse_lu is not None:
            u.ravel()[self._coarse_index] = self._coarse_lu.solve(f.ravel()[self._coarse_index])

    def check(self, u: np.ndarray, f: np.ndarray) -> None:
        """Raise :class:`InvalidDataError` unless ``u`` and ``f`` fit the fine grid."""
        for name, a in (("u", u), ("f", f)):
            if not isinstance(a, np.ndarray) or a.shape != self.shape:
                raise InvalidDataError(f"{name} must be an array of shape {self.shape}, got {np.shape(a)}")
            if a.dtype != np.float64 or not a.flags.c_contiguous:
                raise InvalidDataError(f"{name} must be a C-contiguous float64 array")
