"""How far to trust a grid solution: Richardson estimates from the same solve on coarser grids.

With solutions ``u_h``, ``u_2h`` (and ``u_4h``) of a method of order ``p``,
``u_h - u = (u_h - u_2h) / (r^p - 1)`` to leading order (``r`` the spacing
ratio, 2 for nested grids); three grids give the observed order
``p = log2(|u_2h - u_4h| / |u_h - u_2h|)``. The estimate uses the observed
order when it is available and between 0.5 and 4, else the nominal order 2.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.interpolate import RegularGridInterpolator

NOMINAL_ORDER = 2.0
MIN_COARSE_NODES = 5


def coarser(axes: dict[str, np.ndarray], periodic: dict[str, bool]) -> dict[str, np.ndarray] | None:
    """Every other node (or about half as many when the grid is not nested); None when too coarse."""
    out = {}
    for name, x in axes.items():
        n = len(x)
        if periodic.get(name, False):
            if n % 2:
                return None  # a periodic grid that halves to a non-integer count is not refined here
            out[name] = x[::2]
        elif n % 2 == 1:
            out[name] = x[::2]
        else:
            out[name] = np.linspace(x[0], x[-1], n // 2 + 1)
        if len(out[name]) < MIN_COARSE_NODES:
            return None
    return out


def on_grid(values: np.ndarray, axes: dict[str, np.ndarray], target: dict[str, np.ndarray],
            periodic: dict[str, bool]) -> np.ndarray:
    """``values`` on ``axes`` at the nodes of the coarser grid ``target`` (trailing dimensions kept).

    Nested grids are sliced (no interpolation error); others are interpolated
    by cubic splines, whose error (order 4) stays below the second-order
    differences being measured.
    """
    names = list(axes)
    index = []
    for n in names:
        pos = np.searchsorted(axes[n], target[n])
        pos = np.clip(pos, 0, len(axes[n]) - 1)
        if not np.allclose(axes[n][pos], target[n], rtol=0, atol=1e-12 * (1 + np.abs(target[n]).max())):
            break
        index.append(pos)
    else:
        return values[np.ix_(*index)]  # the open mesh indexes the spatial axes; trailing ones stay whole
    points, data = [], values
    for k, n in enumerate(names):
        x = axes[n]
        if periodic.get(n, False):  # close the period so the interpolant wraps
            period = (x[1] - x[0]) * len(x)
            x = np.append(x, x[0] + period)
            data = np.concatenate([data, np.take(data, [0], axis=k)], axis=k)
        points.append(x)
    mesh = np.meshgrid(*(target[n] for n in names), indexing="ij")
    query = np.stack([m.ravel() for m in mesh], axis=-1)
    interp = RegularGridInterpolator(points, data, method="cubic", bounds_error=False, fill_value=np.nan)
    return interp(query).reshape(mesh[0].shape + values.shape[len(names):])


def estimate(solve: Callable[[dict[str, np.ndarray]], np.ndarray], fine: np.ndarray, axes: dict[str, np.ndarray],
             periodic: dict[str, bool], max_order: float = 4.0) -> dict[str, float | str]:
    """Richardson error estimate of ``fine`` (the solution on ``axes``) from coarser solves.

    Parameters
    ----------
    solve : callable
        The same solve on other spatial axes, returning values of shape
        ``(len(x), len(y), ...) + extra`` (extra: the time axis, not refined).
    fine : numpy.ndarray
        The solution on ``axes`` (NaN outside a masked domain).
    axes, periodic : dict
        The spatial axes and which are periodic.
    max_order : float
        The highest order the estimate may assume (1 where the scheme fell
        back to first-order upwinding).

    Returns
    -------
    dict
        ``error_estimate`` (max abs), ``error_estimate_rel_l2``, ``observed_order``
        (NaN with two grids), ``estimate_grids`` (the resolutions used). The
        differences are taken at the coarse grid's nodes.
    """
    mid_axes = coarser(axes, periodic)
    if mid_axes is None:
        return {"error_estimate": math.nan, "error_estimate_rel_l2": math.nan, "observed_order": math.nan,
                "estimate_grids": "none: the grid is too coarse to halve"}
    mid = solve(mid_axes)
    low_axes = coarser(mid_axes, periodic)
    grids = [tuple(len(x) for x in axes.values()), tuple(len(x) for x in mid_axes.values())]
    ratio = float(np.mean([(mid_axes[n][1] - mid_axes[n][0]) / (axes[n][1] - axes[n][0]) for n in axes]))
    diff = on_grid(fine, axes, mid_axes, periodic) - mid
    order = math.nan
    if low_axes is not None:
        low = solve(low_axes)
        grids.append(tuple(len(x) for x in low_axes.values()))
        a = _l2(on_grid(mid, mid_axes, low_axes, periodic) - low)
        b = _l2(on_grid(fine, axes, low_axes, periodic) - on_grid(mid, mid_axes, low_axes, periodic))
        if a > 0 and b > 0:
            order = math.log(a / b) / math.log(ratio)
    if math.isnan(order) or order > 4:  # two grids, or differences at round-off: the nominal order
        p, note = NOMINAL_ORDER, "nominal order 2"
    elif order < 0.5:  # not yet converging: a cautious estimate
        p, note = 0.5, f"observed order {order:.2f}: the grid is not in the asymptotic range, estimate with order 0.5"
    else:
        p, note = order, "observed order"
    if p > max_order:
        p, note = max_order, f"order {max_order:g}: the scheme is first order (upwind) at fronts; may be optimistic"
    factor = 1.0 / (ratio**p - 1.0)
    scale = _l2(fine)
    return {
        "estimate_order": note,
        "error_estimate": float(np.nanmax(np.abs(diff))) * factor,
        "error_estimate_rel_l2": _l2(diff) * factor / scale if scale > 0 else math.nan,
        "observed_order": order,
        "estimate_grids": " > ".join("x".join(map(str, g)) for g in grids),
    }


def _l2(a: np.ndarray) -> float:
    a = a[np.isfinite(a)]
    return float(np.sqrt(np.mean(a * a))) if a.size else 0.0
