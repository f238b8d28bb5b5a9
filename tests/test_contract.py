"""One contract for every learner, one registry for everything.

1. Every registered learner, of every kind, fits a tiny problem, predicts,
   saves, loads and predicts the same, and has ``history_``, ``fit_time_`` and
   ``n_parameters_`` (the settings per kind are here; a learner that needs
   more gets an override, nothing else).
2. Adding an equation, a learner, a solver or a dataset is one new file: each
   is written to a temporary folder as one module, exposed by an entry point of
   a fake installed distribution, and used through ``compare`` and the
   ``sciml`` CLI; a user's unregistered classes work in ``compare`` too.
3. The comparison code never names a learner nor asks a learner what it is.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

import equations
import solvers
from equations import Box, Domain, Equation, Variable
from equations.core import Coords, Jet
from equations.registry import Registry
from sciml.core.base import LEARNERS, Learner, create_learner
from sciml.core.history import History
from validation import compare, datasets
from validation.benchmarks.suite import SUITES
from validation.cli import main

ROOT = Path(__file__).resolve().parents[1]
# the contract holds on any device: SCIML_TEST_DEVICE=cuda runs the learners there (CI has only the CPU)
DEVICE = os.environ.get("SCIML_TEST_DEVICE", "cpu")


# -- 1. the shared contract -----------------------------------------------------------------------------------
@cache
def _equation(name: str) -> Equation:
    return equations.create(name)


@cache
def _dataset(name: str, n: int, resolution: int, **params: Any) -> xr.Dataset:
    return datasets.make(name, n, seed=0, resolution=resolution, **params)


@cache
def _systems() -> tuple[Any, ...]:
    from equations.pressure_poisson import PressurePoisson

    return tuple(solvers.pressure_system(PressurePoisson(n=16, obstacles="circles", count=2, seed=s)) for s in (0, 1))


def _field_points(eq: Equation) -> np.ndarray:
    lo, hi = np.asarray(eq.domain.bounds, dtype=float).T
    return lo + (hi - lo) * np.random.default_rng(0).uniform(0.05, 0.95, (40, len(lo)))


def _accelerator_output(learner: Any, systems: tuple[Any, ...]) -> np.ndarray:
    operator = learner.preconditioner(systems[0])
    return np.asarray(operator @ np.random.default_rng(0).standard_normal(operator.shape[1]))


@dataclass(frozen=True)
class Kind:
    """How to give a learner of one kind a tiny problem and read its prediction."""

    settings: dict[str, Any]
    problem: Callable[[dict[str, Any]], Any]  # from the per-learner "problem" override (or the kind's default)
    predict: Callable[[Any, Any], np.ndarray]
    default_problem: dict[str, Any] = field(default_factory=dict)


KINDS: dict[str, Kind] = {
    "field": Kind(
        settings={"adam_steps": 3, "lbfgs_iter": 0, "hidden": (8,), "compile": False, "progress": False, "seed": 0,
                  "device": DEVICE},
        problem=lambda p: _equation(p["equation"]),
        predict=lambda learner, eq: learner.predict(_field_points(eq)),
        default_problem={"equation": "convection"},
    ),
    "operator": Kind(
        settings={"progress": False, "seed": 0, "device": DEVICE},
        problem=lambda p: _dataset(p["dataset"], p["n"], p["resolution"], **p.get("params", {})),
        predict=lambda learner, ds: learner.predict(ds),
        default_problem={"dataset": "darcy", "n": 4, "resolution": 9},
    ),
    "accelerator": Kind(
        settings={"seed": 0, "device": DEVICE},
        problem=lambda p: _systems(),
        predict=_accelerator_output,
    ),
}

# what a learner needs beyond its kind's settings ("problem" replaces the kind's default problem)
OVERRIDES: dict[str, dict[str, Any]] = {
    "pinn": {"n_residual": 64, "n_boundary": 16, "n_initial": 16},
    "pig": {"n_gaussians": 8, "n_residual": 64, "n_boundary": 16, "n_initial": 16},
    "lpinn": {"n_points": 64},
    "deeponet": {"branch": (8,), "trunk": (8,), "steps": 3,
                 "problem": {"dataset": "antiderivative", "n": 6, "resolution": 12, "params": {"sensors": 12}}},
    "mgno": {"channels": 4, "layers": 1, "smoothing": (1, 1), "epochs": 1, "batch_size": 2},
    "fno": {"width": 4, "modes": 2, "layers": 1, "epochs": 1, "batch_size": 2},
    "neural_cg": {"channels": 4, "levels": 2, "steps": 2, "batch_size": 2, "lanczos_steps": 8},
    "learned_mg": {"width": 4, "layers": 1, "steps": 2, "batch_size": 2, "probes": 2},
    "deep_ritz": {"n_residual": 64, "n_boundary": 16, "problem": {"equation": "semilinear_elliptic"}},
    "deepxde": {"num_domain": 64, "num_boundary": 16, "num_initial": 16},
    "prose": {"width": 8, "heads": 2, "feedforward": 8, "layers": (1, 1, 1, 1, 1), "steps": 2, "batch_size": 2,
              "problem": {"dataset": "prose_odes", "n": 4, "resolution": 6,
                          "params": {"input_points": 5, "max_tokens": 48}}},
}


def _learners() -> list[Any]:
    return [pytest.param(name, id=f"{cls.kind}-{name}") for name, cls in LEARNERS.items()]


@pytest.mark.parametrize("name", _learners())
def test_every_learner_keeps_the_contract(name: str, tmp_path: Path) -> None:
    cls = LEARNERS.get(name)
    assert cls.kind in KINDS, f"{name} declares kind {cls.kind!r}; known kinds: {', '.join(KINDS)}"
    kind = KINDS[cls.kind]
    options = {**kind.settings, **OVERRIDES.get(name, {})}
    problem = kind.problem(options.pop("problem", kind.default_problem))
    learner = create_learner(name, **options)
    assert learner.fit(problem) is learner
    before = kind.predict(learner, problem)
    assert np.isfinite(before).all()
    assert isinstance(learner.history_, History)
    assert isinstance(learner.fit_time_, float) and learner.fit_time_ >= 0
    assert isinstance(learner.n_parameters_, int) and not isinstance(learner.n_parameters_, bool)
    assert learner.n_parameters_ > 0
    assert isinstance(learner.fitted_structure(), xr.Dataset)

    learner.save(tmp_path / name)
    back = cls.load(tmp_path / name)
    np.testing.assert_array_equal(kind.predict(back, problem), before)
    assert isinstance(back.history_, History) and back.history_.loss == learner.history_.loss
    assert back.fit_time_ == learner.fit_time_ and back.n_parameters_ == learner.n_parameters_
    assert back.get_params().keys() == learner.get_params().keys()


# -- 2. one new file per addition, found through entry points -------------------------------------------------
PLUGIN_EQUATION = '''
"""A plugin equation: u'' + f = 0 on [0, 1], u(0) = u(1) = 0 (solution f x (1 - x) / 2)."""
from dataclasses import dataclass

from equations import Box, DirichletCondition, Domain, Equation, Variable


@dataclass(frozen=True)
class PluginBVP(Equation):
    f: float = 1.0

    name = "plugin_bvp"
    title = "Plugin boundary-value problem"
    field = Variable("u", "1", "plugin solution")
    derivatives = ("xx",)
    default_resolution = (33,)

    @property
    def domain(self):
        return Domain(Box(("x",), (0.0,), (1.0,), (False,)))

    def residual(self, coords, u):
        return u["xx"] + self.f

    def conditions(self):
        return (DirichletCondition(lambda c: 0.0 * c["x"]),)
'''

PLUGIN_SOLVER = '''
"""A plugin solver for the plugin equation: its closed form."""
from plugin_equation import PluginBVP
from solvers.registry import SolverOutput, register


@register(PluginBVP, "plugin_closed_form", reads=("f",))
def plugin_closed_form(equation, axes):
    x = axes["x"]
    return SolverOutput(equation.f * x * (1 - x) / 2)
'''

PLUGIN_LEARNER = '''
"""A plugin field learner: least-squares polynomial collocation of a 1D linear equation."""
import time

import numpy as np
import torch

from equations import DirichletCondition, Jet
from sciml.core.base import Learner
from sciml.core.history import History


class PolynomialCollocation(Learner):
    name = "plugin_poly"
    kind = "field"
    budgets = {"quick": {"degree": 4}}

    def __init__(self, degree=6, n_points=32, seed=0, progress=False):
        self.degree, self.n_points, self.seed, self.progress = degree, n_points, seed, progress

    def _jet(self, coef, x):
        d1, d2 = np.polynomial.polynomial.polyder(coef), np.polynomial.polynomial.polyder(coef, 2)
        val = np.polynomial.polynomial.polyval
        return Jet(val(x, coef), {"x": val(x, d1), "xx": val(x, d2)})

    def fit(self, equation):
        t0 = time.perf_counter()
        ((lo, hi),) = equation.domain.bounds
        x = np.linspace(lo, hi, self.n_points)
        n = self.degree + 1
        zero = np.asarray(equation.residual({"x": x}, self._jet(np.zeros(n), x)), float) * np.ones_like(x)
        rows = [np.column_stack([equation.residual({"x": x}, self._jet(np.eye(n)[k], x)) - zero
                                 for k in range(n)])]
        rhs = [-zero]
        ends = np.array([lo, hi])
        for condition in equation.conditions():
            if isinstance(condition, DirichletCondition):
                rows.append(np.vander(ends, n, increasing=True))
                rhs.append(np.asarray(condition.value({"x": ends}), float) * np.ones(2))
        self.coef_, *_ = np.linalg.lstsq(np.vstack(rows), np.concatenate(rhs), rcond=None)
        history = History()
        history.record(1, float(np.sum((np.vstack(rows) @ self.coef_ - np.concatenate(rhs)) ** 2)), {})
        self._set_contract(history, time.perf_counter() - t0, n)
        return self

    def predict(self, points):
        self._check_fitted()
        return np.polynomial.polynomial.polyval(np.asarray(points, float).reshape(-1), self.coef_)

    def _state(self):
        return {}, {"coef": torch.as_tensor(self.coef_)}

    def _restore(self, fitted, tensors):
        self.coef_ = tensors["coef"].numpy()
        self._set_contract(History(), 0.0, len(self.coef_))
'''

PLUGIN_DATASET = '''
"""A plugin dataset: input a random slope a, output the ramp a x on [0, 1]."""
import numpy as np

from validation.datasets.registry import DATASETS, DatasetSpec, Field, coord, unit_grid

SPEC = DatasetSpec(
    name="plugin_ramp",
    title="ramps a x on [0, 1]",
    solver="a x (by hand)",
    input=Field(("parameter",), "slope a"),
    output=Field(("x",), "ramp a x"),
    default_resolution=11,
    defaults={"scale": 1.0},
    coords=lambda res, params: {"parameter": coord(np.zeros(1), "slope"), "x": coord(unit_grid(res), "x")},
    draw=lambda rng, res, params: params["scale"] * rng.uniform(0.5, 1.5, 1),
    solve=lambda draws, res, params: (draws, draws * unit_grid(res)),
)
DATASETS.register(SPEC.name, SPEC)
'''

PLUGINS = {"plugin_equation": PLUGIN_EQUATION, "plugin_solver": PLUGIN_SOLVER, "plugin_learner": PLUGIN_LEARNER,
           "plugin_dataset": PLUGIN_DATASET}
ENTRY_POINTS = """
[sciml_toolkit.equations]
plugin_bvp = plugin_equation

[sciml_toolkit.solvers]
plugin_closed_form = plugin_solver

[sciml_toolkit.learners]
plugin_poly = plugin_learner

[sciml_toolkit.datasets]
plugin_ramp = plugin_dataset
"""


def _registries() -> Iterator[Registry[Any]]:
    """Every registry a plugin may add to (the solvers' too, once they are a Registry)."""
    yield from (equations.EQUATIONS, LEARNERS, datasets.DATASETS, SUITES)
    yield from (v for v in vars(solvers.registry).values() if isinstance(v, Registry))


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The four plugin modules and a fake installed distribution declaring them, on ``sys.path``.

    Every registry starts from a copy of its entries and looks again (entry
    points included) on its next lookup; everything is restored afterwards.
    """
    root = tmp_path / "site"
    root.mkdir()
    for module, source in PLUGINS.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))
    dist = root / "sciml_plugin_demo-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: sciml-plugin-demo\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(root))
    for registry in _registries():
        registry.discover()  # the toolkit's own entries first, then a fresh look for the plugin's
        monkeypatch.setattr(registry, "_entries", dict(registry._entries))
        monkeypatch.setattr(registry, "_discovered", False)
    for table in ("_SOLVERS", "_READS"):  # the solver tables as long as they are plain dicts
        if isinstance(getattr(solvers.registry, table, None), dict):
            monkeypatch.setattr(solvers.registry, table, dict(getattr(solvers.registry, table)))
    yield root
    for module in PLUGINS:
        sys.modules.pop(module, None)


def test_one_new_file_per_equation_learner_solver_and_dataset(plugin: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    for name in ("plugin_bvp", "plugin_poly", "plugin_closed_form", "plugin_ramp"):
        assert name in listed

    eq = equations.create("plugin_bvp", f=2.0)
    ds = compare(eq, [create_learner("plugin_poly")])
    assert ds.attrs["reference_solver"] == "plugin_closed_form"
    assert float(ds["metrics"].sel(learner="plugin_poly", metric="relative_l2")) < 1e-10
    np.testing.assert_allclose(ds["reference"].values, ds["x"].values * (1 - ds["x"].values))

    out = tmp_path / "out"
    assert main(["compare", "plugin_bvp", "--learner", "plugin_poly", "--param", "f=3", "--out", str(out),
                 "--no-progress"]) == 0
    assert "plugin_poly" in capsys.readouterr().out
    saved = xr.load_dataset(out / "plugin_bvp.nc", engine="h5netcdf")
    assert saved.attrs["equation_f"] == 3.0 and (out / "plugin_bvp.png").stat().st_size > 0
    learner = create_learner("plugin_poly").fit(eq)
    learner.save(tmp_path / "poly")
    np.testing.assert_array_equal(LEARNERS.get("plugin_poly").load(tmp_path / "poly").predict([0.25]),
                                  learner.predict([0.25]))

    ramps = datasets.make("plugin_ramp", 3, seed=0, resolution=5)
    np.testing.assert_allclose(ramps["output"].values, ramps["input"].values * np.linspace(0, 1, 5))
    assert main(["data", "plugin_ramp", "--n", "3", "--out", str(tmp_path / "ramp.nc"), "--no-progress"]) == 0
    assert datasets.load(tmp_path / "ramp.nc")["output"].shape == (3, 11)


@dataclass(frozen=True)
class UserBVP(Equation):
    """A user's own equation with no ``name``: not registered, but usable (``u = sin(pi x)``)."""

    field = Variable("u")
    derivatives = ("xx",)
    has_exact = True

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (1.0,), (False,)))

    def residual(self, coords: Coords, u: Jet) -> Any:
        return u["xx"] + np.pi**2 * np.sin(np.pi * coords["x"])

    def conditions(self) -> tuple[Any, ...]:
        return ()

    def exact(self, coords: Coords) -> Any:
        return np.sin(np.pi * coords["x"])


class UserInterpolant(Learner):
    """A user's own learner with no ``name``: a Chebyshev interpolant of the closed form."""

    kind = "field"

    def __init__(self, degree: int = 12):
        self.degree = degree

    def fit(self, equation: Equation) -> UserInterpolant:
        ((lo, hi),) = equation.domain.bounds
        nodes = lo + (hi - lo) * (1 - np.cos(np.linspace(0, np.pi, self.degree + 1))) / 2
        self.fit_ = np.polynomial.Chebyshev.fit(nodes, equation.exact({"x": nodes}), self.degree, domain=(lo, hi))
        self._set_contract(History(), 0.0, self.degree + 1)
        return self

    def predict(self, points: np.ndarray) -> np.ndarray:
        return self.fit_(np.asarray(points, dtype=float).reshape(-1))  # type: ignore[no-any-return]


def test_a_users_unregistered_equation_and_learner_work_in_compare() -> None:
    assert UserBVP.name == "" and UserInterpolant.name == ""
    assert "userinterpolant" not in LEARNERS
    ds = compare(UserBVP(), [UserInterpolant()], resolution=(65,))
    assert list(ds["metrics"]["learner"].values) == ["userinterpolant"]
    assert float(ds["metrics"].sel(learner="userinterpolant", metric="relative_l2")) < 1e-8
    assert ds.attrs["reference_solver"] == "exact"


class UserStructured(Learner):
    """A user's learner with fitted structure: ``n`` centres with covariances, and two trajectories."""

    kind = "field"

    def __init__(self, n: int = 3):
        self.n = n

    def fit(self, equation: Equation) -> UserStructured:
        self._set_contract(History(), 0.0, 1)
        return self

    def predict(self, points: np.ndarray) -> np.ndarray:
        return np.zeros(len(points))

    def fitted_structure(self) -> xr.Dataset:
        axes = {"axis": ["x", "y"], "axis_2": ["x", "y"]}
        centres = np.column_stack([np.linspace(-0.5, 0.5, self.n), np.zeros(self.n)])
        cov = np.tile([[0.02, 0.01], [0.01, 0.02]], (self.n, 1, 1))
        x = np.linspace(-1, 1, 5)
        return xr.Dataset({
            "centre": xr.DataArray(centres, {"axis": axes["axis"]}, ("point", "axis"), attrs={"role": "centres"}),
            "covariance": xr.DataArray(cov, axes, ("point", "axis", "axis_2"), attrs={"role": "covariances"}),
            "path": xr.DataArray(np.stack([0.5 * x, -0.5 * x]), {"along_x": x}, ("curve", "along_x"),
                                 attrs={"role": "trajectories", "position": "y", "along": "x"}),
            "note": xr.DataArray([1.0], dims="k", attrs={"role": "nothing the figure knows"}),
        })


def test_fitted_structure_is_stored_per_label_and_drawn_by_role(tmp_path: Path) -> None:
    from equations import Helmholtz
    from validation import comparison_figure, save_figure, to_netcdf

    ds = compare(Helmholtz(), {"a": UserStructured(3), "b": UserStructured(5)}, resolution=(9, 9))
    assert ds["a_centre"].dims == ("a_point", "a_axis") and ds["b_centre"].shape == (5, 2)
    assert ds["b_covariance"].dims == ("b_point", "b_axis", "b_axis_2") and list(ds["b_axis"].values) == ["x", "y"]
    assert ds["a_path"].attrs == {"role": "trajectories", "position": "y", "along": "x", "learner": "a"}
    back = xr.load_dataset(to_netcdf(ds, tmp_path / "s.nc"), engine="h5netcdf")
    for data in (ds, back):  # drawn from the comparison and from its netCDF file alike
        fig = comparison_figure(data)
        prediction = fig.axes[1]  # learner a: reference, prediction, error
        assert len(prediction.patches) == 3  # one ellipse per centre
        assert len(prediction.lines) == 1 + 2  # the centres, then one line per trajectory
        np.testing.assert_allclose(prediction.lines[1].get_ydata(), 0.5 * np.linspace(-1, 1, 5))
        assert len(fig.axes[4].patches) == 5  # learner b's prediction
    assert save_figure(fig, tmp_path / "s.png").stat().st_size > 0


# -- 3. the comparison code names no learner -----------------------------------------------------------------
GENERIC = ["validation/compare.py", "validation/operator_compare.py", "validation/plots.py",
           "validation/linear_systems.py"]


def _learner_words() -> set[str]:
    words = {"pinn", "lpinn", "pig", "deeponet", "mgno", "fno", "neural_cg", "neuralcg"}
    for name, cls in LEARNERS.items():
        words |= {name.lower(), cls.__name__.lower()}
    return words


@pytest.mark.parametrize("path", GENERIC)
def test_comparison_code_names_no_learner(path: str) -> None:
    text = (ROOT / path).read_text()
    found = sorted({m.group(0) for m in re.finditer(r"[A-Za-z_][A-Za-z0-9_]*", text)
                    if m.group(0).lower() in _learner_words()})
    assert not found, f"{path} names learners: {found}"
    assert not re.search(r"getattr\(\s*learner\b", text), f"{path} asks a learner what it is with getattr"
