"""A study's page: error against each swept quantity, per learner (median over seeds, the seeds' range as bars).

    sciml report --study results/burgers_nu/burgers_nu.nc --format html --out burgers_nu.html
"""

from __future__ import annotations

import html
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from equations.errors import InvalidDataError

NOT_SWEPT = ("seed", "learner", "field", "metric")


def swept_dims(ds: xr.Dataset) -> list[str]:
    """The swept quantities of a gathered study (for a 'list' sweep, the coordinates along ``point``)."""
    if "point" in ds["metrics"].dims:
        return [str(c) for c in ds.coords if ds[c].dims == ("point",) and c != "point"]
    return [str(d) for d in ds["metrics"].dims if d not in NOT_SWEPT]


def _errors(ds: xr.Dataset) -> xr.DataArray:
    err = ds["metrics"].sel(metric="relative_l2")
    return err.max("field") if "field" in err.dims else err  # a system: its worst field


def sweep_figure(ds: xr.Dataset) -> Any:
    """One panel per swept quantity: relative L2 against its value, a line per learner (and other swept values)."""
    import matplotlib.pyplot as plt

    dims = swept_dims(ds) or ["seed"]
    err = _errors(ds)
    fig, axes = plt.subplots(1, len(dims), figsize=(4.5 * len(dims), 3.6), squeeze=False)
    for ax, dim in zip(axes[0], dims):
        x = np.asarray(ds[dim].values)
        numeric = np.issubdtype(x.dtype, np.number)
        if "point" in err.dims:  # a list sweep: x is this quantity's value at each point
            groups: list[tuple[str, xr.DataArray]] = [("", err)]
            along = "point"
        elif dim == "seed":
            groups, along = [("", err)], "seed"
        else:
            others = [d for d in swept_dims(ds) if d != dim]
            groups = [(", ".join(f"{d}={v}" for d, v in zip(others, values)),
                       err.sel(dict(zip(others, values)))) for values in
                      itertools.product(*(ds[d].values for d in others))]
            along = dim
        for label in ds["learner"].values:
            for suffix, part in groups:
                e = part.sel(learner=label)
                y = e.median("seed") if along != "seed" else e
                lo = e.min("seed") if along != "seed" else e
                hi = e.max("seed") if along != "seed" else e
                xs = x if numeric else np.arange(len(x))
                order = np.argsort(xs)
                ax.errorbar(xs[order], y.values[order], yerr=[(y - lo).values[order], (hi - y).values[order]],
                            marker="o", capsize=3, label=f"{label}" + (f" ({suffix})" if suffix else ""))
        if numeric and (x > 0).all() and x.max() / x.min() >= 10:
            ax.set_xscale("log")
        if not numeric:
            ax.set_xticks(np.arange(len(x)), [str(v) for v in x], rotation=30)
        ax.set_yscale("log")
        ax.set(xlabel=str(ds[dim].attrs.get("long_name", dim)), ylabel="relative L2 (median, seeds' range)")
        ax.legend(fontsize=7)
    fig.suptitle(str(ds.attrs.get("title", "study")))
    fig.tight_layout()
    return fig


def sweep_rows(ds: xr.Dataset) -> list[tuple[str, ...]]:
    """Per sweep point and learner: median relative L2 over the seeds (a system: its worst field), range, time."""
    err, wall = _errors(ds), ds["metrics"].sel(metric="wall_time_s")
    if "field" in wall.dims:
        wall = wall.max("field")
    dims = [d for d in err.dims if d not in ("seed", "learner")]
    rows: list[tuple[str, ...]] = []
    for index in itertools.product(*(range(err.sizes[d]) for d in dims)):
        cell = err.isel(dict(zip(dims, index)))
        where = ", ".join(f"{d}={cell[d].item()}" for d in dims) if "point" not in dims else \
            ", ".join(f"{d}={cell[d].item()}" for d in swept_dims(ds))
        for label in ds["learner"].values:
            e = cell.sel(learner=label).values
            ok = e[np.isfinite(e)]
            w = wall.isel(dict(zip(dims, index))).sel(learner=label).values
            rows.append((where or "—", str(label), f"{np.median(ok):.3e}" if ok.size else "failed",
                         f"{ok.min():.2e} – {ok.max():.2e}" if ok.size else "—", f"{ok.size} of {e.size}",
                         f"{np.nanmedian(w):.1f}" if np.isfinite(w).any() else "—"))
    return rows


HEADER = ("sweep point", "learner", "median rel. L2", "range over seeds", "seeds ok", "median wall [s]")


def write_report(study_file: str | Path, out: str | Path | None = None, fmt: str = "markdown") -> Path:
    """Write the page of the gathered study ``study_file`` (its netCDF) as Markdown or HTML; its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sciml.core.atomic import atomic_write, atomic_write_bytes
    from validation.benchmarks.summary import Table
    from validation.report import CSS, data_uri, html_table, md_table

    path = Path(study_file)
    try:
        ds = xr.load_dataset(path, engine="h5netcdf")
    except (OSError, ValueError) as exc:
        raise InvalidDataError(f"cannot read the study file {path}: {exc}") from None
    if "metrics" not in ds or "study" not in ds.attrs:
        raise InvalidDataError(f"{path} is not a gathered study (no 'metrics' or 'study' attribute); give the "
                               f"<name>.nc that `sciml run` wrote")
    target = Path(out) if out else path.with_name(path.stem + ("_report.html" if fmt == "html" else "_report.md"))
    png = target.with_suffix(".png")
    fig = sweep_figure(ds)
    atomic_write(png, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)
    table = Table(HEADER, sweep_rows(ds))
    title = f"Study {ds.attrs.get('study_name', path.stem)}"
    failed = [f for f in np.asarray(ds["failed"].values).ravel() if f]
    facts = [f"Equation: {ds.attrs.get('equation')}; learners: {ds.attrs.get('learner_names')}; sweep: "
             f"{ds.attrs.get('sweep_mode')} over {', '.join(swept_dims(ds)) or 'nothing'}; seeds "
             f"{', '.join(map(str, ds['seed'].values))}",
             f"Results: {path}; rerun with `sciml run <study file>` (the file is below)"]
    if failed:
        facts.append(f"{len(failed)} results failed; the first: {failed[0]}")
    if fmt == "html":
        e = html.escape
        text = "\n".join([
            f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>",
            f"<style>{CSS}</style></head><body><h1>{e(title)}</h1><ul>",
            *(f"<li>{e(f)}</li>" for f in facts), "</ul>", html_table(table),
            f"<figure><img alt='error vs swept quantities' src='{data_uri(png)}'></figure>",
            f"<h2>Study file</h2><pre>{e(ds.attrs['study'])}</pre></body></html>", ""])
    else:
        text = "\n".join([f"# {title}", "", *(f"- {f}" for f in facts), "", *md_table(table), "",
                          f"![error vs swept quantities]({png.name})", "", "## Study file", "", "```toml",
                          ds.attrs["study"].rstrip(), "```", ""])
    atomic_write_bytes(target, text.encode())
    return target
