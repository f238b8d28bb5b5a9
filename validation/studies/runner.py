"""Run a study: every (sweep point, learner, seed) an independent task, resumable, gathered into one Dataset.

Layout of the output folder (``[output] folder``)::

    <name>.nc                  the gathered Dataset (metrics over the swept quantities, seed, learner)
    references/<key>.nc        one classical reference per point of the equation's parameters
    runs/<label>-<key>.nc      one comparison per learner, sweep point and seed (``validation.compare``)
    checkpoints/<key>/         a run in progress (learners that checkpoint), removed when it is done

Each file is written atomically under a key hashed from everything its
content depends on (the equation and all its parameters, the file of a
user's spec, the grid and solver; the learner's resolved hyperparameters,
its budget preset expanded, and the seed), so a killed study resumes without
redoing finished runs (a learner that checkpoints continues its unfinished
run from its last checkpoint), and a changed study file reruns exactly the
runs it changed. A run whose training diverges or does not converge is
recorded as failed with its message and not retried; any other error stops
the study with its message (fix it and run again: nothing finished is
lost). The study's text is stored in every file (attribute ``study``): a
result says how to reproduce it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from equations.errors import ConvergenceError, TrainingDivergedError
from validation.studies.config import Study, parse_study

FORMAT_VERSION = 1


@dataclass(frozen=True)
class ReferenceTask:
    """Solve the classical reference of one point of the equation's parameters into ``path``."""

    equation: str
    parameters: Mapping[str, Any]
    resolution: tuple[int, ...] | None
    method: str | None
    solver_options: Mapping[str, Any]
    key: str
    path: str
    attrs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FitTask:
    """Fit one learner at one sweep point and seed against a solved reference, into ``path``."""

    equation: str
    parameters: Mapping[str, Any]
    label: str
    learner: str
    budget: str
    options: Mapping[str, Any]
    seed: int
    reference: str
    key: str
    path: str
    attrs: Mapping[str, str] = field(default_factory=dict)
    figure: bool = False
    checkpoints: str | None = None


def _key(content: Mapping[str, Any]) -> str:
    text = json.dumps({**content, "format": FORMAT_VERSION}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _spec_source(equation: str) -> str:
    """The text of a user's spec file (part of the keys: an edited file reruns its studies), else ''."""
    target = equation.rpartition(":")[0] if ":" in equation else equation
    path = Path(target)
    return path.read_text() if target.endswith(".py") and path.is_file() else ""


def _done(path: Path, key: str) -> bool:
    """Whether ``path`` holds the finished task ``key`` (written atomically, so present means complete)."""
    if not path.is_file():
        return False
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return bool(ds.attrs.get("task_key") == key)
    except (OSError, ValueError):
        return False


def _netcdf_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    from validation.compare import netcdf_attr

    return {k: netcdf_attr(v) for k, v in attrs.items()}


def solve_reference_task(task: ReferenceTask) -> str:
    """Solve and write one reference (a Dask task); its path."""
    from equations.loading import load_spec
    from equations.systems import is_system
    from validation.compare import solve_reference
    from validation.export import to_netcdf

    eq = load_spec(task.equation, **task.parameters)
    ref = solve_reference(eq, task.resolution, task.method, task.solver_options)
    ds = ref if isinstance(ref, xr.Dataset) else xr.Dataset({"reference": ref})
    for name in ds.data_vars:
        ds[name].attrs = _netcdf_attrs(ds[name].attrs)
    ds.attrs = {**_netcdf_attrs(ds.attrs), **task.attrs, "task_key": task.key, "system": int(is_system(eq))}
    to_netcdf(ds, task.path)
    return task.path


def _read_reference(path: str) -> xr.DataArray | xr.Dataset:
    ds = xr.load_dataset(path, engine="h5netcdf")
    return ds if ds.attrs.get("system") else ds["reference"]


def fit_task(task: FitTask, threads: int | None = None) -> str:
    """Fit, compare and write one run (a Dask task); its path.

    ``threads`` sets torch's threads in a Dask worker (one per single-threaded
    worker, so workers do not oversubscribe the cores); None leaves them.
    """
    from equations.loading import load_spec
    from sciml import create_learner
    from validation.compare import compare
    from validation.export import to_netcdf

    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    eq = load_spec(task.equation, **task.parameters)
    settings = run_settings(task.learner, task.options, task.seed)
    if task.checkpoints is not None:  # this run's own folder: a killed run continues where it was
        settings |= {"checkpoint_dir": task.checkpoints, "resume": True}
    learner = create_learner(task.learner, budget=task.budget, **settings)
    try:
        ds = compare(eq, {task.label: learner}, reference=_read_reference(task.reference))
        failure = ""
    except (TrainingDivergedError, ConvergenceError) as exc:  # a result of this run: recorded, the study goes on
        ds, failure = xr.Dataset(), f"{type(exc).__name__}: {exc}"
    ds.attrs.update({**task.attrs, "task_key": task.key, "failed": failure})
    to_netcdf(ds, task.path)
    if task.checkpoints is not None:
        shutil.rmtree(task.checkpoints, ignore_errors=True)
    if task.figure and not failure:
        from validation.plots import comparison_figure, save_figure

        save_figure(comparison_figure(ds), Path(task.path).with_suffix(".png"))
    return task.path


def run_settings(learner: str, options: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """A run's learner settings: the study's options, its seed, and no progress bar of its own."""
    from sciml import LEARNERS

    settings: dict[str, Any] = {**options, "seed": seed}
    if "progress" in LEARNERS.get(learner).parameter_constraints():
        settings.setdefault("progress", False)
    return settings


def _resolved(learner: str, budget: str, options: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The learner's hyperparameters as they will run (the budget preset expanded): part of a run's key."""
    from sciml import create_learner
    from sciml.core.checkpoint import jsonable_params

    params = jsonable_params(create_learner(learner, budget=budget, **run_settings(learner, options, seed))
                             .get_params())
    params.pop("progress", None)
    return params


def _checkpoints(learner: str) -> bool:
    from sciml import LEARNERS

    return "checkpointing" in LEARNERS.get(learner).configs


@dataclass
class _Plan:
    references: dict[str, ReferenceTask]
    fits: dict[str, FitTask]
    # (point index, seed index, learner index) -> the fit's key
    cells: dict[tuple[int, int, int], str]


def plan(study: Study) -> _Plan:
    """Every task of ``study`` (deduplicated: a run shared by several sweep points is one task)."""
    from equations.loading import load_spec

    folder = study.folder.resolve()  # absolute: Dask workers may not share this process's working folder
    equation = _absolute_spec(study.equation)
    source = _spec_source(equation)
    attrs = {"study": study.text, "study_source": study.source, "study_name": study.name}
    references: dict[str, ReferenceTask] = {}
    fits: dict[str, FitTask] = {}
    cells: dict[tuple[int, int, int], str] = {}
    for p, point in enumerate(study.points()):
        parameters = study.equation_parameters(point)
        eq = load_spec(equation, **parameters)
        ref_key = _key({"equation": eq.label, "spec": equation, "source": source, "parameters": eq.parameters(),
                        "resolution": study.resolution or eq.default_resolution, "method": study.method,
                        "options": study.solver_options})
        references[ref_key] = ReferenceTask(equation, parameters, study.resolution, study.method,
                                            study.solver_options, ref_key, str(folder / "references" / f"{ref_key}.nc"),
                                            attrs)
        for s, seed in enumerate(study.seeds):
            for j, entry in enumerate(study.learners):
                options = study.learner_options(entry, point)
                key = _key({"reference": ref_key, "label": entry.label, "learner": entry.learner,
                            "params": _resolved(entry.learner, entry.budget, options, seed)})
                run = {"parameters": parameters, "learner": entry.learner, "label": entry.label,
                       "budget": entry.budget, "options": options, "seed": seed}
                fits[key] = FitTask(equation, parameters, entry.label, entry.learner, entry.budget, options,
                                    seed, references[ref_key].path, key,
                                    str(folder / "runs" / f"{entry.label}-{key}.nc"),
                                    {**attrs, "run": json.dumps(run, default=str)}, study.figures,
                                    str(folder / "checkpoints" / key) if _checkpoints(entry.learner) else None)
                cells[p, s, j] = key
    return _Plan(references, fits, cells)


def _absolute_spec(equation: str) -> str:
    """A user's spec file as an absolute path (``path/to/file.py[:Class]``); names and modules as they are."""
    target, colon, attribute = equation.rpartition(":") if ":" in equation else (equation, "", "")
    if not target.endswith(".py"):
        return equation
    return f"{Path(target).resolve()}{colon}{attribute}"


def run_study(study: str | Path | Mapping[str, Any] | Study, *, workers: int | None = None,
              scheduler: str | None = None, progress: bool | None = None) -> xr.Dataset:
    """Run a study file (or dict, or parsed :class:`Study`) and gather its results.

    Parameters
    ----------
    study : path, dict or Study
        A TOML study file (see :mod:`validation.studies.config`), the same
        tables as a dict, or a parsed study.
    workers : int, optional
        Dask ``LocalCluster`` workers (0: serially in this process); default:
        the study's ``[run] workers``.
    scheduler : str, optional
        Address of a running Dask scheduler (its workers must see the output
        folder and a user's spec file); default: the study's ``[run] scheduler``.
    progress : bool, optional
        Show a progress bar over the runs; default: the study's ``[run] progress``.

    Returns
    -------
    xarray.Dataset
        ``metrics`` over (the swept quantities, ``seed``, ``learner``,
        [``field``], ``metric``), ``failed`` (a failed run's message, else
        ''), ``run_file``; also written to ``<folder>/<name>.nc``.
    """
    from validation.export import to_netcdf
    from validation.tasks import run_tasks

    if not isinstance(study, Study):
        study = parse_study(study)
    workers = study.workers if workers is None else workers
    scheduler = study.scheduler if scheduler is None else scheduler
    progress = study.progress if progress is None else progress
    tasks = plan(study)
    fits = [t for t in tasks.fits.values() if not _done(Path(t.path), t.key)]
    # only the references that a pending run needs
    needed = {t.reference for t in fits}
    refs = [t for t in tasks.references.values() if t.path in needed and not _done(Path(t.path), t.key)]
    total = len(needed) + len(tasks.fits)
    for sub in ("references", "runs"):
        (study.folder.resolve() / sub).mkdir(parents=True, exist_ok=True)
    parallel = {"workers": workers or None, "scheduler": scheduler}
    threads = 1 if parallel["workers"] or scheduler else None
    with tqdm(total=total, initial=total - len(refs) - len(fits), disable=not progress, desc=study.name,
              unit="run") as bar:
        run_tasks(solve_reference_task, [(t,) for t in refs], bar, **parallel)  # type: ignore[arg-type]
        run_tasks(fit_task, [(t, threads) for t in fits], bar, **parallel)  # type: ignore[arg-type]
    ds = gather(study, tasks)
    ds.attrs.update(runs_total=len(tasks.fits), runs_reused=len(tasks.fits) - len(fits))
    to_netcdf(ds, study.folder / f"{study.name}.nc")
    return ds


def gather(study: Study, tasks: _Plan) -> xr.Dataset:
    """The runs' metrics as one Dataset with the swept quantities, seed and learner as dimensions."""
    runs: dict[str, xr.Dataset] = {}
    for key, task in tasks.fits.items():
        with xr.open_dataset(task.path, engine="h5netcdf") as ds:
            runs[key] = ds[["metrics"]].load() if "metrics" in ds else xr.Dataset(attrs=dict(ds.attrs))
            runs[key].attrs = dict(ds.attrs)
    ok = [r for r in runs.values() if "metrics" in r]
    template = ok[0]["metrics"].isel(learner=0, drop=True) if ok else _metrics_template(study)
    points = study.points()
    point_dims, point_coords = _point_axes(study, len(points))
    dims = (*point_dims, "seed", "learner")
    shape = tuple(len(c) for c in point_coords.values()) if study.mode == "grid" else (len(points),)
    shape = (*shape, len(study.seeds), len(study.learners))
    metrics = np.full((*shape, *template.shape), np.nan)
    failed = np.full(shape, "", dtype=object)
    files = np.full(shape, "", dtype=object)
    positions = study.positions()
    for (p, s, j), key in tasks.cells.items():
        index = (*positions[p], s, j)
        run = runs[key]
        files[index] = str(Path(tasks.fits[key].path).relative_to(study.folder.resolve()))
        failed[index] = run.attrs.get("failed", "")
        if "metrics" in run:
            metrics[index] = run["metrics"].isel(learner=0).values
    coords: dict[str, Any] = {**point_coords, "seed": list(study.seeds), "learner": [e.label for e in study.learners],
              **{str(d): template[d].values for d in template.dims}}
    out = xr.Dataset({
        "metrics": ((*dims, *template.dims), metrics, {"long_name": "comparison metrics per run",
                                                       "description": template.attrs.get("description", "")}),
        "failed": (dims, failed.astype(str), {"long_name": "error of a failed run ('' if it succeeded)"}),
        "run_file": (dims, files.astype(str), {"long_name": "the run's comparison file, relative to the study "
                                                            "folder"}),
    }, coords=coords)
    for axis in study.axes:
        target = "equation parameter" if axis.label is None else f"option of learner {axis.label}"
        out[axis.dim].attrs["long_name"] = f"{axis.key} ({target})"
    out.attrs = {"Conventions": "CF-1.10", "title": f"study {study.name}: {study.equation}",
                 "study": study.text, "study_source": study.source, "study_name": study.name,
                 "equation": study.equation, "sweep_mode": study.mode,
                 "learner_names": " ".join(f"{e.label}={e.learner}" for e in study.learners)}
    return out


def _metrics_template(study: Study) -> xr.DataArray:
    """The shape of one run's metrics (field, metric), for a study in which every run failed."""
    from equations.loading import load_spec
    from equations.systems import field_names, is_system
    from validation.compare import METRIC_ATTRS, METRICS

    eq = load_spec(_absolute_spec(study.equation), **study.equation_parameters(study.points()[0]))
    attrs = {"description": "; ".join(f"{k}: {v}" for k, v in METRIC_ATTRS.items())}
    if is_system(eq):
        names = list(field_names(eq))
        return xr.DataArray(np.full((len(names), len(METRICS)), np.nan), {"field": names, "metric": list(METRICS)},
                            ("field", "metric"), attrs=attrs)
    return xr.DataArray(np.full(len(METRICS), np.nan), {"metric": list(METRICS)}, ("metric",), attrs=attrs)


def _coordinate(values: tuple[Any, ...]) -> np.ndarray:
    """Swept values as a coordinate (arrays and mixed types as their JSON text)."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=float if any(isinstance(v, float) for v in values) else int)
    if all(isinstance(v, (str, bool)) and type(v) is type(values[0]) for v in values):
        return np.asarray(values)
    return np.asarray([json.dumps(v) for v in values])


def _point_axes(study: Study, n_points: int) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The dimensions and coordinates of the sweep: one per swept quantity (grid) or ``point`` (list)."""
    if study.mode == "grid":
        return tuple(a.dim for a in study.axes), {a.dim: _coordinate(a.values) for a in study.axes}
    return ("point",), {"point": np.arange(n_points), **{a.dim: ("point", _coordinate(a.values))
                                                        for a in study.axes}}


def load_study(path: str | Path) -> xr.Dataset:
    """A gathered study Dataset from its netCDF file (see :func:`run_study`)."""
    return xr.load_dataset(path, engine="h5netcdf")

