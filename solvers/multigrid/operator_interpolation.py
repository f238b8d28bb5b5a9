r"""Operator-dependent interpolation (de Zeeuw's black-box multigrid, collapsed stencils) as Galerkin ``P`` columns.

Bilinear interpolation assumes the error is smooth across a fine node; where
the coefficient jumps by orders of magnitude it is smooth only in the *flux*,
and the Galerkin cycle with bilinear ``P`` slows down (tens to hundreds of CG
iterations on 1:1e6 media). Interpolating with the operator's own couplings
restores it (Alcouffe, Brandt, Dendy & Painter 1981; de Zeeuw 1990):

- a fine node between two coarse nodes along x takes from each the sum of its
  stencil's column on that side over the sum of its middle column (the stencil
  collapsed along y), and likewise along y;
- a cell-centre node solves its own row for its value, with the four
  edge nodes around it already interpolated.

Couplings to Dirichlet nodes stay in the diagonal, so the weights next to a
Dirichlet side sum to less than one, as they should; couplings to solid nodes
do not exist, so next to an obstacle the weights move to the fluid side and
constants are reproduced there. Every weight is clipped to ``[0, 1]``.

Next to an obstacle in a locally smooth medium, :func:`interpolation_weights`
uses bilinear weights instead: there the collapsed weights leave narrow fluid
pockets between staircase boundaries poorly represented on the coarse grid
(measured, CG to 1e-6 on 16 circular obstacles: 19-20 iterations at 257^2
and 513^2 against 9 with bilinear weights there; unchanged on 1:1e6 media).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage

# a fine node's medium counts as smooth where its axis couplings are within this factor of each other
SMOOTH_RATIO = 10.0
BILINEAR_WEIGHTS = (0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    safe = np.where(den > 0.0, den, 1.0)
    return np.asarray(np.clip(np.where(den > 0.0, num / safe, 0.0), 0.0, 1.0))


def edge_and_centre_weights(s: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, ...]:
    """Interpolation weights of the fine nodes of a real ``(2m + 1, 2m + 1, 9)`` stencil ``s``.

    Returns ``(x_lo, x_hi, y_lo, y_hi, c00, c01, c10, c11)``: the weights of an
    x-edge node ``(2I + 1, 2J)`` on coarse ``(I, J)`` and ``(I + 1, J)``, of a
    y-edge node ``(2I, 2J + 1)`` on ``(I, J)`` and ``(I, J + 1)``, and of a cell
    centre ``(2I + 1, 2J + 1)`` on its four corners; ``valid`` ``(m + 1, m + 1)``
    marks the coarse nodes a fine node may draw on.
    """
    e = s[1::2, 0::2]  # x-edge nodes: columns k = 0..2 (west), 6..8 (east)
    x_lo = _ratio(-(e[..., 0] + e[..., 1] + e[..., 2]) * valid[:-1, :], e[..., 3] + e[..., 4] + e[..., 5])
    x_hi = _ratio(-(e[..., 6] + e[..., 7] + e[..., 8]) * valid[1:, :], e[..., 3] + e[..., 4] + e[..., 5])
    e = s[0::2, 1::2]  # y-edge nodes: k = 0, 3, 6 (south), 2, 5, 8 (north)
    y_lo = _ratio(-(e[..., 0] + e[..., 3] + e[..., 6]) * valid[:, :-1], e[..., 1] + e[..., 4] + e[..., 7])
    y_hi = _ratio(-(e[..., 2] + e[..., 5] + e[..., 8]) * valid[:, 1:], e[..., 1] + e[..., 4] + e[..., 7])
    c = s[1::2, 1::2]  # centres: corners k = 0, 2, 6, 8; edges k = 1, 7 (y-edges), 3, 5 (x-edges)
    diag = c[..., 4]
    c00 = _ratio(-(c[..., 0] + c[..., 1] * y_lo[:-1, :] + c[..., 3] * x_lo[:, :-1]) * valid[:-1, :-1], diag)
    c01 = _ratio(-(c[..., 2] + c[..., 1] * y_hi[:-1, :] + c[..., 5] * x_lo[:, 1:]) * valid[:-1, 1:], diag)
    c10 = _ratio(-(c[..., 6] + c[..., 7] * y_lo[1:, :] + c[..., 3] * x_hi[:, :-1]) * valid[1:, :-1], diag)
    c11 = _ratio(-(c[..., 8] + c[..., 7] * y_hi[1:, :] + c[..., 5] * x_hi[:, 1:]) * valid[1:, 1:], diag)
    return x_lo, x_hi, y_lo, y_hi, c00, c01, c10, c11


def interpolation_weights(s: np.ndarray, valid: np.ndarray, unknown: np.ndarray) -> tuple[np.ndarray, ...]:
    """The weights of :func:`edge_and_centre_weights`, bilinear next to obstacles in a smooth medium.

    ``unknown`` ``(2m + 1, 2m + 1)`` marks the fine unknowns; a fine node is
    next to an obstacle when a non-unknown node inside the grid (not on its
    sides, which are Dirichlet) is among its 8 neighbours, and its medium is
    smooth when its own and its neighbours' axis couplings are within
    :data:`SMOOTH_RATIO` of each other (so a coefficient jump next to an
    obstacle keeps the collapsed weights).
    """
    weights = list(edge_and_centre_weights(s, valid))
    unknown = np.asarray(unknown, dtype=bool)
    solid = ~unknown
    solid[[0, -1], :] = False
    solid[:, [0, -1]] = False
    axis = -s[..., [1, 3, 5, 7]]
    largest = np.where(axis > 0, axis, 0.0).max(-1)
    smallest = np.where(axis > 0, axis, np.inf).min(-1)
    smooth = ndimage.minimum_filter((largest <= SMOOTH_RATIO * smallest).astype(np.uint8), size=3, mode="nearest")
    near = ndimage.binary_dilation(solid, np.ones((3, 3), dtype=bool)) & unknown & smooth.astype(bool)
    kinds = (near[1::2, 0::2], near[0::2, 1::2], near[1::2, 1::2])
    valids = (valid[:-1, :], valid[1:, :], valid[:, :-1], valid[:, 1:],
              valid[:-1, :-1], valid[:-1, 1:], valid[1:, :-1], valid[1:, 1:])
    for k, (w, kind) in enumerate(zip(BILINEAR_WEIGHTS, (0, 0, 1, 1, 2, 2, 2, 2), strict=True)):
        weights[k] = np.where(kinds[kind], w * valids[k], weights[k])
    return tuple(weights)


def columns_from_weights(weights: tuple[Any, ...], mask_c: Any) -> Any:
    """The padded columns ``(m + 3, m + 3, 9)`` of ``P`` from the fine nodes' weights (``prolong_columns`` layout)."""
    x_lo, x_hi, y_lo, y_hi, c00, c01, c10, c11 = weights
    mx, my = x_lo.shape[0], y_lo.shape[1]
    # torch tensors work too (the learned multigrid trains through this assembly)
    cols = x_lo.new_zeros((mx + 3, my + 3, 9)) if hasattr(x_lo, "new_zeros") else np.zeros((mx + 3, my + 3, 9))
    inner = cols[1:-1, 1:-1]
    inner[..., 4] = 1.0
    inner[:-1, :, 7], inner[1:, :, 1] = x_lo, x_hi
    inner[:, :-1, 5], inner[:, 1:, 3] = y_lo, y_hi
    inner[:-1, :-1, 8], inner[:-1, 1:, 6], inner[1:, :-1, 2], inner[1:, 1:, 0] = c00, c01, c10, c11
    return cols * mask_c[..., None]


def operator_dependent(stencil: np.ndarray, mask: np.ndarray, mask_c: np.ndarray, excluded_c: np.ndarray) -> np.ndarray:
    """The :class:`~solvers.multigrid.galerkin.ProlongationRule` of operator-dependent interpolation."""
    valid = ~excluded_c[1:-1, 1:-1]
    return columns_from_weights(interpolation_weights(stencil[1:-1, 1:-1], valid, mask[1:-1, 1:-1]), mask_c)
