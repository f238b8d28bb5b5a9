"""Property-based damaged model configs (hypothesis): ``meta.json`` of saved learners.

Any entry of a saved model's JSON config replaced by a random JSON value (or
removed) either loads a model that still predicts, or raises the toolkit's own
:class:`ToolkitError`; never a ``TypeError``/``KeyError``/``OverflowError``
from inside the network builders.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from equations import Burgers
from equations.errors import InvalidDataError, ToolkitError, UnknownNameError
from sciml import FNO, PINN, Collocation, DeepONet, NeuralCG, Optimiser

X = np.linspace(0.0, 1.0, 11)
U = np.random.default_rng(0).standard_normal((8, 11))


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("models")
    PINN(
        hidden=(8, 8),
        collocation=Collocation(n_residual=32, n_boundary=8, n_initial=8, resample_every=0),
        optimiser=Optimiser(adam_steps=2, lbfgs_iter=0, compile=False),
    ).fit(Burgers()).save(root / "pinn")
    DeepONet(steps=3).fit(U, np.cumsum(U, 1) / 10, X).save(root / "deeponet")
    from validation.datasets import make

    FNO(width=4, modes=2, epochs=1, batch_size=4).fit(make("darcy", 4, resolution=9, seed=0)).save(root / "fno")
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "neural_cg", root / "neural_cg")
    yield {"pinn": root / "pinn", "deeponet": root / "deeponet", "fno": root / "fno", "neural_cg": root / "neural_cg"}
    torch.set_num_threads(threads)


def _neural_cg_direction(model: NeuralCG) -> np.ndarray:
    from equations import PressurePoisson
    from solvers.pressure_poisson import pressure_system

    system = pressure_system(PressurePoisson(n=16, seed=1))
    return model.direction(system)(system.rhs("smooth", 0))


CLASSES: dict[str, Any] = {"pinn": PINN, "deeponet": DeepONet, "fno": FNO, "neural_cg": NeuralCG}
INPUTS: dict[str, Any] = {"pinn": np.zeros((4, 2)), "deeponet": U[:2], "fno": np.zeros((1, 9, 9))}
USE: dict[str, Any] = {name: (lambda m, x=x: m.predict(x)) for name, x in INPUTS.items()}  # what a loaded model does
USE["neural_cg"] = _neural_cg_direction
JSON = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([10**19, 10**400 // 10**390, -(2**63)]),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5), st.just([]), st.just({}),
    st.lists(st.integers(-2, 9), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _paths(meta: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if prefix:
        yield prefix
    if isinstance(meta, dict) and len(prefix) < 2:
        for key, value in meta.items():
            if key != "bundle_id":
                yield from _paths(value, (*prefix, key))


def _mutated_load(saved: dict[str, Path], name: str, data: st.DataObject) -> None:
    meta = json.loads((saved[name] / "meta.json").read_text())
    path = data.draw(st.sampled_from(sorted(_paths(meta))), label="path")
    value = data.draw(st.one_of(JSON, st.just(KeyError)), label="value")
    parent = meta
    for key in path[:-1]:
        parent = parent[key]
    if value is KeyError:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "m"
        shutil.copytree(saved[name], folder)
        (folder / "meta.json").write_text(json.dumps(meta))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = CLASSES[name].load(folder)
        except ToolkitError:
            return
    try:  # a model that loaded must work, or fail with a typed error
        pred = np.asarray(USE[name](model))
    except ToolkitError:
        return
    assert pred.size > 0 and (name == "neural_cg" or pred.shape[0] == len(INPUTS[name]))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data())
def test_pinn_config_mutations_load_or_raise_typed_errors(saved: dict[str, Path], data: st.DataObject) -> None:
    _mutated_load(saved, "pinn", data)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data())
def test_deeponet_config_mutations_load_or_raise_typed_errors(saved: dict[str, Path], data: st.DataObject) -> None:
    _mutated_load(saved, "deeponet", data)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(data=st.data())
def test_fno_config_mutations_load_or_raise_typed_errors(saved: dict[str, Path], data: st.DataObject) -> None:
    _mutated_load(saved, "fno", data)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(data=st.data())
def test_neural_cg_config_mutations_load_or_raise_typed_errors(saved: dict[str, Path], data: st.DataObject) -> None:
    _mutated_load(saved, "neural_cg", data)


@pytest.mark.parametrize(
    ("name", "path", "value"),
    [  # regressions: each raised a bare exception from load before
        ("pinn", ("fitted",), []),  # KeyError outside the guarded block
        ("pinn", ("params", "hidden"), None),  # TypeError from the network builder
        ("pinn", ("params", "seed"), "x"),  # ValueError
        ("pinn", ("params", "dtype"), []),  # TypeError: unhashable
        ("pinn", ("fit_time_s",), 10**400),  # OverflowError
        ("deeponet", ("fitted", "layout", "c"), -1),  # ZeroDivisionError
        ("deeponet", ("fit_time_s",), None),  # TypeError outside the guarded block
        ("fno", ("fitted", "evaluations"), None),  # TypeError outside the guarded block
        ("fno", ("fitted", "stats", "in_std"), 0),  # predict divided by zero
        ("fno", ("fitted", "stats"), []),  # KeyError from predict
        ("neural_cg", ("params",), None),  # TypeError from the constructor
    ],
)
def test_config_regressions(saved: dict[str, Path], tmp_path: Path, name: str, path: tuple[str, ...],
                            value: Any) -> None:
    folder = tmp_path / "m"
    shutil.copytree(saved[name], folder)
    meta = json.loads((folder / "meta.json").read_text())
    parent = meta
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(InvalidDataError, match="malformed model"):
        CLASSES[name].load(folder)


def test_a_config_naming_no_equation_raises_unknown_name_error(saved: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "m"
    shutil.copytree(saved["pinn"], folder)
    meta = json.loads((folder / "meta.json").read_text())
    meta["fitted"]["equation"]["name"] = None  # was an AttributeError from equations.create
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(UnknownNameError, match="unknown equation None"):
        PINN.load(folder)
