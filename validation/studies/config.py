"""A study file (TOML) or dict, parsed into a typed, checked :class:`Study`.

A study names one equation (a registered name, ``module:Class`` or
``path/to/file.py[:Class]``), its parameters, the classical reference, the
learners with their options, the seeds, and what to sweep::

    name = "burgers_viscosity"

    [equation]
    name = "burgers"
    parameters = { nu = 0.0031831 }

    [reference]                 # optional: the equation's default grid and solver
    resolution = [256, 100]

    [learners.pinn]             # the label; `learner` defaults to it
    budget = "quick"            # quick (the default) or full
    options = { adam_steps = 2000 }

    [run]
    seeds = [0, 1, 2]
    workers = 2                 # Dask LocalCluster workers (0: serially in this process)

    [sweep]
    mode = "grid"               # every combination; "list": the i-th values together
    parameters = { nu = [0.001, 0.0031831, 0.01] }
    learners.pinn = { lbfgs_iter = [0, 500] }

    [output]
    folder = "results/burgers_viscosity"

``tomllib`` parses the text (nothing is evaluated); every key is then checked
here. An unknown key, a value of the wrong type, an unknown learner, a sweep
over a parameter the equation lacks or an option a learner refuses raises
:class:`StudyError`, one line naming the file, the line, the key and the
reason (``study.toml:14: learners.pinn.options.adam_step: ...``).
"""

from __future__ import annotations

import inspect
import itertools
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from equations.errors import InvalidParameterError, ToolkitError
from validation.studies.toml_lines import key_line

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser, as a package before Python 3.11
    import tomli as tomllib

MODES = ("grid", "list")
#: the gathered Dataset's own dimensions: no swept quantity may take their names
RESERVED = ("seed", "learner", "field", "metric", "point")
#: a study gives every run its own checkpoint folder (``<folder>/checkpoints/<run key>``)
CHECKPOINT_OPTIONS = ("checkpointing", "checkpoint_dir", "resume")
Scalar = int | float | str | bool


class StudyError(InvalidParameterError):
    """A study file that cannot be run: its message is ``file:line: key: reason``."""


@dataclass(frozen=True)
class LearnerEntry:
    """One learner of a study: its label (the name in the results), registered name, budget and options."""

    label: str
    learner: str
    budget: str
    options: Mapping[str, Any]


@dataclass(frozen=True)
class Axis:
    """One swept quantity: an equation parameter (``label`` None) or an option of the learner ``label``."""

    key: str
    values: tuple[Any, ...]
    label: str | None = None

    @property
    def dim(self) -> str:
        """Its dimension name in the gathered Dataset: ``nu``, or ``pinn.adam_steps`` for an option."""
        return self.key if self.label is None else f"{self.label}.{self.key}"


@dataclass(frozen=True)
class Study:
    """A checked study: what to run, how, and where to write it (see the module docstring)."""

    name: str
    equation: str
    parameters: Mapping[str, Any]
    learners: tuple[LearnerEntry, ...]
    axes: tuple[Axis, ...] = ()
    mode: str = "grid"
    seeds: tuple[int, ...] = (0,)
    resolution: tuple[int, ...] | None = None
    method: str | None = None
    solver_options: Mapping[str, Any] = field(default_factory=dict)
    workers: int = 0
    scheduler: str | None = None
    progress: bool = True
    folder: Path = Path("results")
    figures: bool = False
    text: str = ""
    source: str = "<dict>"

    def positions(self) -> list[tuple[int, ...]]:
        """Where each sweep point sits: its index along every axis (grid), or its one index (list)."""
        if self.mode == "list":
            return [(i,) for i in range(len(self.axes[0].values) if self.axes else 1)]
        return list(itertools.product(*(range(len(a.values)) for a in self.axes)))

    def points(self) -> list[dict[str, Any]]:
        """Every point of the sweep as ``{axis dim: value}``, in :meth:`positions` order (one empty point without
        a sweep)."""
        if self.mode == "list":
            return [{a.dim: a.values[i] for a in self.axes} for (i,) in self.positions()]
        return [{a.dim: a.values[i] for a, i in zip(self.axes, index)} for index in self.positions()]

    def equation_parameters(self, point: Mapping[str, Any]) -> dict[str, Any]:
        """The equation's parameters at a sweep point (fixed ones, then the swept ones)."""
        return {**self.parameters, **{a.key: point[a.dim] for a in self.axes if a.label is None}}

    def learner_options(self, entry: LearnerEntry, point: Mapping[str, Any]) -> dict[str, Any]:
        """The options of one learner at a sweep point."""
        return {**entry.options, **{a.key: point[a.dim] for a in self.axes if a.label == entry.label}}


class _Reader:
    """Checks the parsed tables against the schema, raising :class:`StudyError` at the offending key."""

    def __init__(self, text: str, source: str, toml: bool):
        self.text, self.source, self.toml = text, source, toml

    def error(self, path: tuple[str, ...], reason: str) -> StudyError:
        line = key_line(self.text, path) if self.toml else None
        where = f"{self.source}:{line}" if line else self.source
        return StudyError(f"{where}: {'.'.join(path) or '(top level)'}: {reason}")

    def table(self, data: Any, path: tuple[str, ...], allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise self.error(path, f"must be a table, got {_kind(data)}")
        for key in data:
            if key not in allowed:
                import difflib

                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise self.error((*path, str(key)), f"unknown key; {hint}valid keys here: {', '.join(allowed)}")
        return dict(data)

    def typed(self, data: Mapping[str, Any], path: tuple[str, ...], key: str, kind: type | tuple[type, ...],
              default: Any = None, required: bool = False) -> Any:
        if key not in data:
            if required:
                raise self.error((*path, key), "is required")
            return default
        value = data[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
            raise self.error((*path, key), f"must be {_kind_name(kind)}, got {_kind(value)} {value!r}")
        return value

    def scalars(self, data: Any, path: tuple[str, ...]) -> dict[str, Any]:
        """A table of plain values (numbers, strings, booleans, arrays of them)."""
        out = self.table(data, path, tuple(data) if isinstance(data, Mapping) else ())
        for key, value in out.items():
            if isinstance(value, Mapping):
                raise self.error((*path, key), "must be a value (number, string, boolean or array), got a table")
        return out

    def values(self, data: Any, path: tuple[str, ...]) -> tuple[Any, ...]:
        """A swept quantity's values: a non-empty array of distinct plain values."""
        if not isinstance(data, list) or not data:
            raise self.error(path, f"a swept quantity must be a non-empty array of values, got {_kind(data)} "
                                   f"{data!r}")
        if any(isinstance(v, Mapping) for v in data):
            raise self.error(path, "swept values must be numbers, strings, booleans or arrays, not tables")
        keys = [json.dumps(v) for v in data]
        if len(set(keys)) != len(keys) or any(a == b for i, a in enumerate(data) for b in data[i + 1:]):
            raise self.error(path, f"repeats a value (1 and 1.0, 0 and false count as one): {data!r}")
        return tuple(data)


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {int: "an integer", float: "a number", str: "a string", bool: "a boolean", list: "an array",
             dict: "a table"}
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kind))


def _kind(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
            dict: "a table"}.get(type(value), type(value).__name__)


TOP = ("name", "equation", "reference", "learners", "run", "sweep", "output")


def parse_study(study: str | Path | Mapping[str, Any]) -> Study:
    """A checked :class:`Study` from a TOML file path or a dict of the same tables.

    Raises
    ------
    StudyError
        The file cannot be read or parsed, or a key is unknown, mistyped or
        refused (one line: file, line, key, reason).
    """
    if isinstance(study, Mapping):
        text, source, toml, data = json.dumps(study, indent=1, default=str), "<dict>", False, study
        default_name = "study"
    else:
        path = Path(study)
        source, toml, default_name = str(path), True, path.stem
        try:
            text = path.read_text()
        except OSError as exc:
            raise StudyError(f"{path}: cannot read the study file ({exc.strerror or exc})") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise StudyError(f"{path}: not valid TOML: {exc}") from None
    r = _Reader(text, source, toml)
    top = r.table(data, (), TOP)
    name = r.typed(top, (), "name", str, default_name)
    if not name.replace("-", "_").isidentifier():
        raise r.error(("name",), f"must be a plain name (letters, digits, _ and -), got {name!r}")
    equation = r.table(r.typed(top, (), "equation", dict, required=True), ("equation",), ("name", "parameters"))
    reference = r.table(top.get("reference", {}), ("reference",), ("resolution", "method", "options"))
    learners = r.table(r.typed(top, (), "learners", dict, required=True), ("learners",), tuple(top["learners"]))
    run = r.table(top.get("run", {}), ("run",), ("seeds", "workers", "scheduler", "progress"))
    sweep = r.table(top.get("sweep", {}), ("sweep",), ("mode", "parameters", "learners"))
    output = r.table(top.get("output", {}), ("output",), ("folder", "figures"))

    spec = r.typed(equation, ("equation",), "name", str, required=True)
    parameters = r.scalars(equation.get("parameters", {}), ("equation", "parameters"))
    entries = tuple(_learner(r, label, table) for label, table in learners.items())
    if not entries:
        raise r.error(("learners",), "names no learner; add a table such as [learners.pinn]")
    mode = r.typed(sweep, ("sweep",), "mode", str, "grid")
    if mode not in MODES:
        raise r.error(("sweep", "mode"), f"must be one of {', '.join(MODES)}, got {mode!r}")
    axes = _axes(r, sweep, entries)
    if mode == "list" and len({len(a.values) for a in axes}) > 1:
        lengths = ", ".join(f"{a.dim}: {len(a.values)}" for a in axes)
        raise r.error(("sweep", "mode"), f"'list' takes the i-th values together, so every swept array needs the "
                                         f"same length ({lengths})")
    seeds = tuple(r.typed(run, ("run",), "seeds", list, [0]))
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds) \
            or len(set(seeds)) != len(seeds):
        raise r.error(("run", "seeds"), f"must be a non-empty array of distinct non-negative integers, got "
                                        f"{list(seeds)!r}")
    workers = r.typed(run, ("run",), "workers", int, 0)
    if workers < 0:
        raise r.error(("run", "workers"), f"must be >= 0 (0: serially in this process), got {workers}")
    resolution = r.typed(reference, ("reference",), "resolution", list)
    if resolution is not None and not (resolution and all(isinstance(n, int) and not isinstance(n, bool) and n >= 2
                                                          for n in resolution)):
        raise r.error(("reference", "resolution"), f"must be an array of integers >= 2 (points per coordinate), "
                                                   f"got {resolution!r}")
    out = Study(
        name=name, equation=spec, parameters=parameters, learners=entries, axes=axes, mode=mode, seeds=seeds,
        resolution=tuple(resolution) if resolution is not None else None,
        method=r.typed(reference, ("reference",), "method", str),
        solver_options=r.scalars(reference.get("options", {}), ("reference", "options")),
        workers=workers, scheduler=r.typed(run, ("run",), "scheduler", str),
        progress=r.typed(run, ("run",), "progress", bool, True),
        folder=Path(r.typed(output, ("output",), "folder", str, f"results/{name}")),
        figures=r.typed(output, ("output",), "figures", bool, False), text=text, source=source)
    _check_equation(r, out)
    _check_learners(r, out)
    return out


def _learner(r: _Reader, label: str, table: Any) -> LearnerEntry:
    from sciml.core.base import BUDGETS

    path = ("learners", label)
    if not label.isidentifier() or label in ("reference", "metrics"):
        raise r.error(path, "a learner's label must be an identifier other than reference/metrics")
    t = r.table(table, path, ("learner", "budget", "options"))
    budget = r.typed(t, path, "budget", str, "quick")
    if budget not in BUDGETS:
        raise r.error((*path, "budget"), f"must be one of {', '.join(BUDGETS)}, got {budget!r}")
    return LearnerEntry(label, r.typed(t, path, "learner", str, label), budget,
                        r.scalars(t.get("options", {}), (*path, "options")))


def _axes(r: _Reader, sweep: Mapping[str, Any], entries: tuple[LearnerEntry, ...]) -> tuple[Axis, ...]:
    axes = [Axis(key, r.values(values, ("sweep", "parameters", key)))
            for key, values in r.table(sweep.get("parameters", {}), ("sweep", "parameters"),
                                       tuple(sweep.get("parameters", {}) or ())).items()]
    for axis in axes:
        if axis.key in RESERVED:
            raise r.error(("sweep", "parameters", axis.key), f"cannot be swept under this name: the results already "
                                                             f"have the dimensions {', '.join(RESERVED)}")
    labels = tuple(e.label for e in entries)
    learners = r.table(sweep.get("learners", {}), ("sweep", "learners"), labels)
    for label, options in learners.items():
        path = ("sweep", "learners", label)
        table = r.table(options, path, tuple(options) if isinstance(options, Mapping) else ())
        fixed = next(e for e in entries if e.label == label).options
        for key in table:
            if key in fixed:
                raise r.error((*path, key), f"is also fixed in [learners.{label}] options; state it in one place")
        axes += [Axis(key, r.values(values, (*path, key)), label) for key, values in table.items()]
    return tuple(axes)


def _check_equation(r: _Reader, study: Study) -> None:
    """The spec exists, every fixed or swept parameter is one of its own, and every sweep point builds."""
    import solvers
    from equations.loading import load_spec, spec_class

    try:
        cls = spec_class(study.equation)
    except ToolkitError as exc:
        raise r.error(("equation", "name"), str(exc)) from None
    valid = tuple(inspect.signature(cls).parameters)
    shown = ", ".join(valid) or "none"
    for key in study.parameters:
        if key not in valid:
            raise r.error(("equation", "parameters", key), f"{cls.__name__} has no parameter {key!r} (it has: "
                                                           f"{shown})")
    for axis in study.axes:
        if axis.label is None and axis.key not in valid:
            raise r.error(("sweep", "parameters", axis.key), f"{cls.__name__} has no parameter {axis.key!r} to "
                                                             f"sweep (it has: {shown})")
        if axis.label is None and axis.key in study.parameters:
            raise r.error(("sweep", "parameters", axis.key), "is also fixed in [equation] parameters; state it "
                                                             "in one place")
    for point in study.points():
        try:
            eq = load_spec(study.equation, **study.equation_parameters(point))
        except ToolkitError as exc:
            raise r.error(_blamed(exc, study), f"at {_point_text(point)}: {exc}") from None
        if study.resolution is not None and len(study.resolution) != len(eq.domain.names):
            raise r.error(("reference", "resolution"), f"needs {len(eq.domain.names)} entries, one per coordinate "
                                                       f"{eq.domain.names}, got {list(study.resolution)}")
        if study.resolution is None and not eq.default_resolution:
            raise r.error(("reference",), f"{cls.__name__} has no default resolution: give [reference] "
                                          f"resolution, one entry per coordinate {eq.domain.names}")
    if study.method is not None and study.method not in solvers.available():
        raise r.error(("reference", "method"), f"unknown solver {study.method!r} (known: "
                                               f"{', '.join(solvers.available())})")


def _blamed(exc: Exception, study: Study) -> tuple[str, ...]:
    """The key an equation's refusal names (a swept or a fixed parameter), else the first swept one."""
    text = str(exc)
    for axis in study.axes:
        if axis.label is None and (f"{axis.key}=" in text or f"{axis.key} " in text or f"'{axis.key}'" in text):
            return ("sweep", "parameters", axis.key)
    for key in study.parameters:
        if f"{key}=" in text or f"{key} " in text or f"'{key}'" in text:
            return ("equation", "parameters", key)
    swept = [a for a in study.axes if a.label is None]
    return ("sweep", "parameters", swept[0].key) if swept else ("equation", "parameters")


def _check_learners(r: _Reader, study: Study) -> None:
    """Every learner is a registered field learner that accepts its options at every sweep point."""
    from sciml import LEARNERS, create_learner

    for entry in study.learners:
        path = ("learners", entry.label)
        if entry.learner not in LEARNERS:
            key = (*path, "learner") if "learner" in _raw_keys(r, path) else path
            raise r.error(key, f"unknown learner {entry.learner!r} (registered: {', '.join(LEARNERS.names())})")
        if LEARNERS.get(entry.learner).kind != "field":
            raise r.error(path, f"{entry.learner!r} is a {LEARNERS.get(entry.learner).kind} learner; a study "
                                "fits field learners on an equation")
        swept = [a for a in study.axes if a.label == entry.label]
        for point in study.points():
            options = study.learner_options(entry, point)
            if "seed" in options:
                raise r.error((*path, "options", "seed"), "seeds are set for every learner in [run] seeds")
            taken = [k for k in CHECKPOINT_OPTIONS if k in options]
            if taken:
                raise r.error((*path, "options", taken[0]), "a study checkpoints every run in its own folder "
                                                            "(<folder>/checkpoints/) and resumes it; set only "
                                                            "checkpoint_every")
            options["seed"] = study.seeds[0]
            try:
                create_learner(entry.learner, budget=entry.budget, **options)
            except (ToolkitError, TypeError) as exc:
                bad = next((k for k in options if f"'{k}'" in str(exc) or f" {k} " in str(exc)), None)
                where: tuple[str, ...] = (*path, "options")
                if bad is not None:
                    where = ("sweep", "learners", entry.label, bad) if any(a.key == bad for a in swept) \
                        else (*where, bad)
                raise r.error(where, f"{entry.learner}: {exc}") from None


def _raw_keys(r: _Reader, path: tuple[str, ...]) -> set[str]:
    """The keys of the table at ``path`` as written (to point at ``learner = ...`` only when it is there)."""
    data: Any = tomllib.loads(r.text) if r.toml else json.loads(r.text)
    for key in path:
        data = data.get(key, {}) if isinstance(data, Mapping) else {}
    return set(data) if isinstance(data, Mapping) else set()


def _point_text(point: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} = {v!r}" for k, v in point.items()) or "the fixed parameters"
