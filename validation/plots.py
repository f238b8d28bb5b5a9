"""The comparison figure: reference | prediction | error per learner, then loss curves and slices.

The last row holds the loss curves and line plots where errors show best: for
evolution equations ``u(x)`` at a few fixed times (reference against each
learner; shocks and phase errors hide in a colour map), for 2-D steady
problems the two centrelines, for 1-D fields the pointwise errors. The row has
as many panels as there is something to draw, so no panel is left empty.

A system's comparison (several fields, :mod:`validation.fields`) has one row
per learner and field, then one row of line plots per field (each panel titled
``"<field>: ..."``), the loss curves leading the first of them.

A learner's fitted structure (:meth:`sciml.core.base.Learner.fitted_structure`,
stored by ``compare`` with ``attrs["learner"]``) is drawn over its prediction
by ``attrs["role"]``, whatever the learner:

- ``"centres"``: points, one dim of which has a coordinate listing the
  coordinate names (``["x", "y"]``): dots, with 1-sigma ellipses from a
  ``"covariances"`` variable (``(point, name, name)``) or else a ``"widths"``
  one (standard deviations, laid out like the centres);
- ``"trajectories"``: ``(path, step)`` positions along ``attrs["position"]``
  over ``attrs["along"]``, whose values are the last dim's coordinate: lines
  (wrapped into ``attrs["periodic_interval"]`` when given).

Built on ``matplotlib.figure.Figure`` (Agg canvas), so no pyplot global state is
touched and it works without a display.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from sciml.core.atomic import atomic_write
from validation.fields import (
    comparison_fields,
    error_name,
    field_label,
    field_selection,
    prediction_name,
    reference_name,
)


def _field_panel(fig: Figure, ax, da: xr.DataArray, title: str, cmap: str, symmetric: bool) -> tuple[str, str]:
    """Draw ``da`` (a line, a map, or the last time slice of a space-time field); the map's axes."""
    if da.ndim == 3 and "t" in da.dims:  # (2+1)D: the final time
        t_end = float(da["t"].values[-1])
        da = da.isel(t=-1)
        title = f"{title}, t = {t_end:g}"
    dims = da.dims
    if len(dims) == 1:  # ODEs and other 1D fields: a line
        ax.plot(da[dims[0]].values, da.values, lw=1.0)
        ax.set_xlabel(dims[0])
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3)
        return str(dims[0]), ""
    # evolution problems read best with time on the horizontal axis
    horiz, vert = (dims[1], dims[0]) if dims[-1] == "t" else (dims[0], dims[1])
    values = da.transpose(vert, horiz).values
    limit = float(np.nanmax(np.abs(values)))
    vmin, vmax = (-limit, limit) if symmetric else (None, None)
    mesh = ax.pcolormesh(da[horiz].values, da[vert].values, values, shading="auto", cmap=cmap,
                         vmin=vmin, vmax=vmax)
    ax.set_xlabel(horiz)
    ax.set_ylabel(vert)
    ax.set_title(title, fontsize=9)
    fig.colorbar(mesh, ax=ax)
    return str(horiz), str(vert)


def _structure(ds: xr.Dataset, name: str) -> dict[str, list[xr.DataArray]]:
    """The fitted-structure variables of learner ``name`` by role (``attrs["learner"]`` set by ``compare``)."""
    found: dict[str, list[xr.DataArray]] = {}
    for var in ds.data_vars.values():
        if var.attrs.get("learner") == name and "role" in var.attrs:
            found.setdefault(str(var.attrs["role"]), []).append(var)
    return found


def _coordinate_dims(var: xr.DataArray, names: tuple[str, str]) -> list[str]:
    """The dims of ``var`` whose coordinate lists both coordinate ``names`` (e.g. ``["x", "y"]``)."""
    return [str(d) for d in var.dims if d in var.coords and set(names) <= {str(v) for v in var[d].values}]


def _spread(var: xr.DataArray, point: str, horiz: str, vert: str, diagonal: bool) -> np.ndarray | None:
    """The ``(n, 2, 2)`` covariance blocks of the plotted axes from a covariances or widths variable."""
    axes = _coordinate_dims(var, (horiz, vert))
    if point not in var.dims or len(axes) != (1 if diagonal else 2):
        return None
    if not diagonal:
        return var.sel({axes[0]: [horiz, vert], axes[1]: [horiz, vert]}).transpose(point, *axes).values
    widths = var.sel({axes[0]: [horiz, vert]}).transpose(point, axes[0]).values
    block = np.zeros((len(widths), 2, 2))
    block[:, 0, 0], block[:, 1, 1] = widths[:, 0] ** 2, widths[:, 1] ** 2
    return block


def _draw_points(ax: Any, centres: xr.DataArray, structure: dict[str, list[xr.DataArray]], horiz: str,
                 vert: str, most: int) -> bool:
    """Role ``"centres"``: dots, and 1-sigma ellipses from a ``"covariances"`` or ``"widths"`` variable."""
    axes = _coordinate_dims(centres, (horiz, vert))
    points = [str(d) for d in centres.dims if d not in axes]
    if len(axes) != 1 or len(points) != 1:
        return False
    cx, cy = centres.sel({axes[0]: horiz}).values, centres.sel({axes[0]: vert}).values
    ax.plot(cx, cy, ".", ms=1.5, color="k", alpha=0.6)
    blocks = [_spread(v, points[0], horiz, vert, diagonal=False) for v in structure.get("covariances", [])]
    blocks += [_spread(v, points[0], horiz, vert, diagonal=True) for v in structure.get("widths", [])]
    block = next((b for b in blocks if b is not None), None)  # rotated ellipses first, else axis-aligned ones
    for k in range(min(len(cx), most) if block is not None else 0):  # thousands of ellipses hide the field
        values, vectors = np.linalg.eigh(block[k])  # type: ignore[index]
        angle = float(np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1])))
        width_k, height_k = 2 * np.sqrt(np.maximum(values[::-1], 0.0))
        ax.add_patch(Ellipse((cx[k], cy[k]), width_k, height_k, angle=angle, fill=False, lw=0.3, color="k",
                             alpha=0.4))
    return True


def _draw_trajectories(ax: Any, paths: xr.DataArray, horiz: str, vert: str) -> bool:
    """Role ``"trajectories"``: one line per path of ``attrs["position"]`` over ``attrs["along"]``.

    The last dim's coordinate holds the values of ``along``; with
    ``attrs["periodic_interval"] = [lo, hi]`` the positions are wrapped into it
    and each line is broken where it wraps.
    """
    position, along = paths.attrs.get("position"), paths.attrs.get("along")
    if paths.ndim != 2 or {position, along} != {horiz, vert}:
        return False
    steps = np.asarray(paths[paths.dims[-1]].values, dtype=float)
    for row in np.asarray(paths.values, dtype=float):
        if "periodic_interval" in paths.attrs:
            lo, hi = (float(v) for v in paths.attrs["periodic_interval"])
            row = lo + np.mod(row - lo, hi - lo)
            row[1:][np.abs(np.diff(row)) > (hi - lo) / 2] = np.nan  # no line across the panel where it wraps
        xs, ys = (steps, row) if horiz == along else (row, steps)
        ax.plot(xs, ys, lw=0.6, color="k", alpha=0.5)
    return True


def _structure_overlay(ax: Any, ds: xr.Dataset, name: str, horiz: str, vert: str, most: int = 400) -> None:
    """A learner's fitted structure over its prediction map, drawn by role (unknown roles are skipped)."""
    structure = _structure(ds, name)
    if not vert or not structure:
        return
    limits = ax.get_xlim(), ax.get_ylim()  # structure may reach outside the domain: keep the field's frame
    for centres in structure.get("centres", []):
        _draw_points(ax, centres, structure, horiz, vert, most)
    for paths in structure.get("trajectories", []):
        _draw_trajectories(ax, paths, horiz, vert)
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])


def slice_indices(n_times: int, count: int = 4) -> list[int]:
    """Indices of ``count`` times spread over ``n_times`` steps: nearest to ``k / count`` of the span, last included.

    >>> slice_indices(101)
    [25, 50, 75, 100]
    """
    picks = [int(np.floor(k * (n_times - 1) / count + 0.5)) for k in range(1, count + 1)]  # halves round up
    return sorted(set(picks))


def _lines(ax: Any, ds: xr.Dataset, learners: list[str], select: dict[str, int], along: str,
           title: str, field: str | None = None) -> None:
    """Reference (solid) and each learner's prediction (dashed) along ``along`` at the index ``select``."""
    ref = ds[reference_name(field)].isel(select)
    ax.plot(ref[along].values, ref.values, color="k", lw=1.6, label="reference")
    for name in learners:
        ax.plot(ref[along].values, ds[prediction_name(name, field)].isel(select).values, "--", lw=1.1, label=name)
    ax.set_xlabel(along)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)


def _line_panels(ds: xr.Dataset, learners: list[str], times: int,
                 field: str | None = None) -> list[Callable[[Any], None]]:
    """The line plots of one field (the last row's for a scalar spec), as functions drawing on a given axes."""
    dims = [str(d) for d in ds[reference_name(field)].dims]
    space = [d for d in dims if d != "t"]
    prefix = field_label(field)
    panels: list[Callable[[Any], None]] = []
    if "t" in dims and space:  # evolution: u(x) at fixed times (other space dims at their middle)
        middle = {d: ds.sizes[d] // 2 for d in space[1:]}
        at = "".join(f", {d} = {float(ds[d].values[i]):.3g}" for d, i in middle.items())
        for i in slice_indices(ds.sizes["t"], times):
            title = f"{prefix}t = {float(ds['t'].values[i]):.3g}{at}"
            panels.append(partial(_lines, ds=ds, learners=learners, select={"t": i, **middle}, along=space[0],
                                  title=title, field=field))
    elif len(dims) == 2:  # steady 2-D: the two centrelines
        for along, across in (dims, dims[::-1]):
            j = ds.sizes[across] // 2
            panels.append(partial(_lines, ds=ds, learners=learners, select={across: j}, along=along,
                                  title=f"{prefix}centreline {across} = {float(ds[across].values[j]):.3g}",
                                  field=field))
    elif len(dims) == 1:  # a line already: its pointwise errors side by side

        def errors(ax: Any) -> None:
            for name in learners:
                ax.plot(ds[dims[0]].values, ds[error_name(name, field)].values, lw=1.0, label=name)
            ax.set_xlabel(dims[0])
            ax.set_title(f"{prefix}pointwise error (prediction - reference)", fontsize=9)
            ax.grid(alpha=0.3)

        panels.append(errors)
    return panels


def _loss_panel(ds: xr.Dataset, learners: list[str]) -> Callable[[Any], None] | None:
    with_loss = [name for name in learners if f"{name}_loss" in ds]
    if not with_loss:
        return None

    def draw(ax: Any) -> None:
        for name in with_loss:
            ax.semilogy(ds[f"{name}_step"].values, ds[f"{name}_loss"].values, label=name, lw=0.8)
        ax.set_xlabel("step")
        ax.set_ylabel("training loss")
        ax.set_title("loss curves", fontsize=9)
        ax.legend(fontsize=8)

    return draw


def comparison_figure(ds: xr.Dataset, times: int = 4) -> Figure:
    """One row per learner (reference, prediction, error), then a row of loss curves and line plots.

    Parameters
    ----------
    ds : xarray.Dataset
        As returned by :func:`validation.compare`. A learner's fitted
        structure (variables with ``attrs["learner"]``) is drawn over its
        prediction by ``attrs["role"]`` (see the module docstring).
    times : int
        Number of fixed times of the ``u(x)`` slices of evolution equations
        (:func:`slice_indices`: evenly spread, the last time included).

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes`` starts with the learners' rows (reference, prediction,
        error for each), then the last row's panels, then the colour bars.
        For a system (:func:`validation.fields.comparison_fields`), one row per
        learner and field (learner-major), then one row of line plots per
        field (the loss curves first in the first of them).
    """
    learners = [str(name) for name in ds["learner"].values]
    fields = comparison_fields(ds)
    loss = _loss_panel(ds, learners)
    line_rows = [_line_panels(ds, learners, times, field) for field in fields]
    has_lines = any(line_rows)
    if loss is not None:
        line_rows[0] = [loss, *line_rows[0]]
    bottom = [row for row in line_rows if row]
    n_rows = len(learners) * len(fields) + len(bottom)
    fig = Figure(figsize=(13, 3.2 * n_rows), layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(n_rows, 1)
    pairs = [(name, field) for name in learners for field in fields]
    rows = [grid[row].subgridspec(1, 3).subplots(squeeze=False)[0] for row in range(len(pairs))]
    last = [grid[len(pairs) + k].subgridspec(1, len(row)).subplots(squeeze=False)[0] for k, row in enumerate(bottom)]
    for axes, (name, field) in zip(rows, pairs):
        _field_row(fig, axes, ds, name, field)
    for axes, row in zip(last, bottom):
        for ax, draw in zip(axes, row):
            draw(ax)
    if has_lines:  # one legend for the line plots is enough
        last[-1][-1].legend(fontsize=7)
    fig.suptitle(ds.attrs.get("title", ""), fontsize=11)
    return fig


def _field_row(fig: Figure, axes: Any, ds: xr.Dataset, name: str, field: str | None) -> None:
    """Reference, prediction (with the learner's fitted structure) and error of one field of one learner."""
    l2 = float(ds["metrics"].sel(learner=name, metric="relative_l2", **field_selection(field)))
    of = "" if field is None else f" {field}"
    _field_panel(fig, axes[0], ds[reference_name(field)], f"reference{of} (classical)", "RdBu_r", True)
    horiz, vert = _field_panel(fig, axes[1], ds[prediction_name(name, field)], f"{name}{of} prediction", "RdBu_r",
                               True)
    _structure_overlay(axes[1], ds, name, horiz, vert)
    _field_panel(fig, axes[2], ds[error_name(name, field)], f"{name}{of} error (rel. L2 {l2:.2e})", "RdBu_r", True)


def save_figure(fig: Figure, path: str | Path, dpi: int = 120) -> Path:
    """Save a figure as PNG atomically."""
    return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"))
