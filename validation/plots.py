"""The comparison figure: reference | prediction | error per learner, and loss curves.

Built on ``matplotlib.figure.Figure`` (Agg canvas), so no pyplot global state is
touched and it works without a display.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from sciml.atomic import atomic_write


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


def _gaussian_overlay(ax, ds: xr.Dataset, name: str, horiz: str, vert: str, most: int = 400) -> None:
    """A PIG's Gaussians over its prediction: centres and 1-sigma ellipses (the adaptive mesh)."""
    centre, width = ds[f"{name}_gaussian_centre"], ds[f"{name}_gaussian_width"]
    inputs = list(centre["input"].values)
    if not vert or horiz not in inputs or vert not in inputs:
        return
    limits = ax.get_xlim(), ax.get_ylim()  # Gaussians may sit outside the domain: keep the field's frame
    cx, cy = centre.sel(input=horiz).values, centre.sel(input=vert).values
    cov_name = f"{name}_gaussian_covariance"
    if cov_name in ds:  # rotated ellipses: the 2x2 block of the plotted axes
        block = ds[cov_name].sel(input=[horiz, vert], input_2=[horiz, vert]).values
    else:
        wx, wy = width.sel(input=horiz).values, width.sel(input=vert).values
        block = np.zeros((len(cx), 2, 2))
        block[:, 0, 0], block[:, 1, 1] = wx**2, wy**2
    ax.plot(cx, cy, ".", ms=1.5, color="k", alpha=0.6)
    for k in range(min(len(cx), most)):  # ellipses for the first ones only: thousands hide the field
        values, vectors = np.linalg.eigh(block[k])
        angle = float(np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1])))
        width_k, height_k = 2 * np.sqrt(np.maximum(values[::-1], 0.0))
        ax.add_patch(Ellipse((cx[k], cy[k]), width_k, height_k, angle=angle, fill=False, lw=0.3, color="k",
                             alpha=0.4))
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])


def comparison_figure(ds: xr.Dataset) -> Figure:
    """One row per learner (reference, prediction, error) plus a row of loss curves."""
    learners = list(ds["learner"].values)
    fig = Figure(figsize=(13, 3.2 * (len(learners) + 1)), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(learners) + 1, 3, squeeze=False)
    for row, name in enumerate(learners):
        l2 = float(ds["metrics"].sel(learner=name, metric="relative_l2"))
        _field_panel(fig, axes[row, 0], ds["reference"], "reference (classical)", "RdBu_r", True)
        horiz, vert = _field_panel(fig, axes[row, 1], ds[name], f"{name} prediction", "RdBu_r", True)
        if f"{name}_gaussian_centre" in ds:
            _gaussian_overlay(axes[row, 1], ds, name, horiz, vert)
        _field_panel(fig, axes[row, 2], ds[f"{name}_error"], f"{name} error (rel. L2 {l2:.2e})",
                     "RdBu_r", True)
    loss_ax = axes[-1, 0]
    for name in learners:
        if f"{name}_loss" in ds:
            loss_ax.semilogy(ds[f"{name}_step"].values, ds[f"{name}_loss"].values, label=name, lw=0.8)
    loss_ax.set_xlabel("step")
    loss_ax.set_ylabel("training loss")
    loss_ax.set_title("loss curves", fontsize=9)
    loss_ax.legend(fontsize=8)
    for ax in axes[-1, 1:]:
        ax.axis("off")
    fig.suptitle(ds.attrs.get("title", ""), fontsize=11)
    return fig


def save_figure(fig: Figure, path: str | Path, dpi: int = 120) -> Path:
    """Save a figure as PNG atomically."""
    return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"))
