"""Security: no load path unpickles, nothing evaluates user strings.

Each crafted file carries a payload that would create a marker file if it
ever ran; loading it must raise one of the toolkit's typed errors and the
marker must not exist afterwards. A source scan keeps unsafe calls out of
the packages.
"""

from __future__ import annotations

import ast
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from objectives import Quadratic

from equations import Poisson2D
from equations.errors import ToolkitError
from sciml import PINN, Collocation, DeepONet, Optimiser
from sciml.core.checkpoint import load_arrays, load_bundle
from sciml.core.training import Adam, Trainer
from validation import datasets
from validation.cli import main

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("equations", "solvers", "sciml", "validation")


class _Payload:
    """Unpickling this runs ``touch marker``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self) -> tuple:
        return os.system, (f"touch {self.marker}",)


def _code(marker: Path) -> str:
    """A string that would create ``marker`` if anything passed it to eval/exec."""
    return f"__import__('os').system('touch {marker}')"


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    path = tmp_path / "PWNED"
    pickle.loads(pickle.dumps(_Payload(path)))  # the payload works when it is unpickled...
    assert path.exists()
    path.unlink()
    return path  # ...so its absence after a load means nothing unpickled it


@pytest.fixture(scope="module")
def saved_pinn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pinn") / "model"
    PINN(
        hidden=(6,),
        seed=0,
        collocation=Collocation(n_residual=40),
        optimiser=Optimiser(adam_steps=3, lbfgs_iter=0, compile=False),
    ).fit(Poisson2D()).save(folder)
    return folder


def _copy(folder: Path, to: Path) -> Path:
    to.mkdir()
    for f in folder.iterdir():
        (to / f.name).write_bytes(f.read_bytes())
    return to


# -- pickles disguised as weights or checkpoints ------------------------------------------------------------
@pytest.mark.parametrize("form", ["pickle", "torch.save"])
def test_pickled_weights_file_is_refused_without_running(tmp_path: Path, marker: Path, saved_pinn: Path,
                                                          form: str) -> None:
    model = _copy(saved_pinn, tmp_path / "model")
    weights = model / "tensors.safetensors"
    if form == "pickle":
        weights.write_bytes(pickle.dumps({"net": _Payload(marker)}))
    else:
        torch.save({"net": _Payload(marker)}, weights)  # what a .pt/.pth checkpoint looks like
    for load in (PINN.load, DeepONet.load, load_bundle):
        with pytest.raises(ToolkitError, match="corrupt safetensors"):
            load(model)
    with pytest.raises(ToolkitError, match="corrupt safetensors"):  # resuming a run from it
        Trainer([Adam(3)], checkpoint_dir=model, resume=True).fit(Quadratic(start=[1.0], target=0.0))
    assert not marker.exists()


def test_pickle_as_metadata_is_refused_without_running(tmp_path: Path, marker: Path, saved_pinn: Path) -> None:
    model = _copy(saved_pinn, tmp_path / "model")
    (model / "meta.json").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ToolkitError, match="corrupt JSON"):
        PINN.load(model)
    assert not marker.exists()


def test_npz_object_array_is_refused_without_running(tmp_path: Path, marker: Path) -> None:
    from validation.benchmarks import burgers_pinn

    path = tmp_path / "points.npz"
    np.savez(path, residual=np.array([_Payload(marker)], dtype=object), boundary=np.zeros((2, 2)))
    with pytest.raises(ToolkitError, match="without pickle"):
        load_arrays(path)
    with pytest.raises(ToolkitError, match="without pickle"):  # the benchmark worker's load path
        burgers_pinn.run_toolkit(0, str(path), 1, 0, compile=False)
    (tmp_path / "plain.npy").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ToolkitError, match="without pickle"):
        load_arrays(tmp_path / "plain.npy")
    assert not marker.exists()
    np.savez(path, a=np.arange(3.0))
    assert load_arrays(path)["a"].tolist() == [0.0, 1.0, 2.0]  # plain numeric arrays still load


# -- strings that look like code ----------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["activation", "equation parameter", "equation name", "hidden"])
def test_code_strings_in_a_saved_config_are_data_not_code(tmp_path: Path, marker: Path, saved_pinn: Path,
                                                          where: str) -> None:
    model = _copy(saved_pinn, tmp_path / "model")
    meta = json.loads((model / "meta.json").read_text())
    code = _code(marker)
    if where == "activation":
        meta["params"]["activation"] = code
    elif where == "hidden":
        meta["params"]["hidden"] = code
    elif where == "equation parameter":
        meta["fitted"]["equation"]["parameters"] = {"source": code}
    else:
        meta["fitted"]["equation"]["name"] = code
    (model / "meta.json").write_text(json.dumps(meta))  # keeps its bundle id: this file is what load reads
    with pytest.raises(ToolkitError):
        PINN.load(model).predict(np.zeros((1, 2)))
    assert not marker.exists()


def test_code_strings_on_the_command_line_are_data_not_code(tmp_path: Path, marker: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code = _code(marker)
    for argv in (["compare", "burgers", "--param", f"nu={code}"],
                 ["compare", code],
                 ["compare", "poisson2d", "--learner", code],
                 ["data", code, "--n", "2"]):
        assert main([*argv, "--out", str(tmp_path / "out")]) == 2, argv
        assert "sciml: error:" in capsys.readouterr().err
    assert not marker.exists()


def test_code_in_a_dataset_manifest_is_data_not_code(tmp_path: Path, marker: Path) -> None:
    import xarray as xr

    path = datasets.generate("antiderivative", 2, tmp_path / "a.nc", resolution=11, progress=False, sensors=21,
                             refine=4)
    ds = datasets.load(path)
    record = json.loads(ds.attrs["manifest"])
    record["name"] = _code(marker)
    for manifest in (json.dumps(record), _code(marker)):
        bad = ds.copy()
        bad.attrs["manifest"] = manifest
        bad.to_netcdf(tmp_path / "bad.nc", engine="h5netcdf")
        with pytest.raises(ToolkitError):
            datasets.load(tmp_path / "bad.nc")
    assert isinstance(xr.open_dataset(path, engine="h5netcdf").attrs["manifest"], str)
    assert not marker.exists()


# -- the source scan ----------------------------------------------------------------------------------------
_UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "marshal", "shelve", "joblib", "jsonpickle"}
_UNSAFE_BUILTINS = {"eval", "exec", "compile", "__import__"}


def _keyword(call: ast.Call, name: str) -> object:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value.value if isinstance(kw.value, ast.Constant) else "<expression>"
    return None


def unsafe_calls(source: str) -> list[str]:
    """``line: what`` for each unsafe construct in ``source``: pickle-like imports, eval/exec,
    ``torch.load`` without ``weights_only=True``, ``np.load`` without ``allow_pickle=False``,
    ``allow_pickle=True`` anywhere, ``yaml.load``/``unsafe_load`` and ``read_pickle``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] in _UNSAFE_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in _UNSAFE_MODULES:
            found.append(f"{node.lineno}: from {node.module} import")
        elif isinstance(node, ast.Call):
            func = node.func
            if _keyword(node, "allow_pickle") not in (None, False):
                found.append(f"{node.lineno}: allow_pickle={_keyword(node, 'allow_pickle')}")
            if isinstance(func, ast.Name) and func.id in _UNSAFE_BUILTINS:
                found.append(f"{node.lineno}: {func.id}()")
            elif isinstance(func, ast.Attribute):
                owner = func.value.id if isinstance(func.value, ast.Name) else None
                if owner == "torch" and func.attr == "load" and _keyword(node, "weights_only") is not True:
                    found.append(f"{node.lineno}: torch.load without weights_only=True")
                elif owner in ("np", "numpy") and func.attr == "load" and _keyword(node, "allow_pickle") is not False:
                    found.append(f"{node.lineno}: np.load without allow_pickle=False")
                elif owner == "yaml" and func.attr in ("load", "unsafe_load", "full_load", "load_all"):
                    found.append(f"{node.lineno}: yaml.{func.attr}")
                elif func.attr in ("read_pickle", "to_pickle") or (owner in _UNSAFE_MODULES):
                    found.append(f"{node.lineno}: {owner}.{func.attr}")
                elif owner == "builtins" and func.attr in _UNSAFE_BUILTINS:
                    found.append(f"{node.lineno}: builtins.{func.attr}")
    return sorted(found, key=lambda s: int(s.split(":")[0]))


def test_package_sources_have_no_pickle_eval_or_unsafe_loads() -> None:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            hits = unsafe_calls(path.read_text())
            if hits:
                found[str(path.relative_to(ROOT))] = hits
    assert found == {}, f"unsafe constructs in the packages: {found}"


def test_the_scan_finds_what_it_looks_for() -> None:
    bad = "\n".join([
        "import pickle", "from dill import loads", "x = eval(s)", "exec(code)", "torch.load(p)",
        "torch.load(p, weights_only=False)", "np.load(p)", "np.load(p, allow_pickle=True)", "yaml.load(f)",
        "pd.read_pickle(p)", "net.eval()", "torch.load(p, weights_only=True)", "np.load(p, allow_pickle=False)",
        "json.loads(s)",
    ])
    lines = [int(hit.split(":")[0]) for hit in unsafe_calls(bad)]
    assert sorted(set(lines)) == list(range(1, 11))  # lines 11-14 are safe
