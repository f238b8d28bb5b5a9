"""Bad input a user might type: typed one-line errors (or a warning) before any large allocation or any work.

- bad values for known hyperparameters of every learner (:mod:`sciml.core.params`);
- grids, networks and datasets that cannot fit in memory (refused with the
  estimate and the memory available; the available memory is pinned here, so
  the tests do not depend on the machine);
- saved models whose config describes a larger network than their weights
  file (refused before the network is built);
- predictions outside the domain or the training points' range
  (:class:`~equations.errors.ExtrapolationWarning`, once per learner).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import equations
import solvers
from equations import resources
from equations.errors import ExtrapolationWarning, InvalidDataError, InvalidParameterError, ResourceError
from sciml import FNO, LPINN, PIG, PINN, DeepONet, MgNO, NeuralCG, create_learner
from sciml.accelerators.neural_cg.net import DCDMNet
from sciml.core.base import LEARNERS
from sciml.core.history import History
from sciml.core.networks import MLP
from sciml.operators.deeponet.net import DeepONetNet
from sciml.operators.grid.fno import FNONet
from sciml.operators.grid.layers import MgNONet
from validation import datasets
from validation.cli import main
from validation.compare import compare

GIB = 2**30
FAST = {"adam_steps": 2, "lbfgs_iter": 0, "compile": False, "n_residual": 64, "n_boundary": 16, "n_initial": 16}


@pytest.fixture
def memory(monkeypatch: pytest.MonkeyPatch) -> int:
    """Pin the available memory to 2 GiB, whatever the machine has."""
    monkeypatch.setattr(resources, "available_memory", lambda: 2 * GIB)
    return 2 * GIB


def _refuse_building(monkeypatch: pytest.MonkeyPatch, *classes: type) -> None:
    """Make the network constructors fail loudly: a refusal must come before any of them runs."""
    for cls in classes:
        def built(*args: Any, _name: str = cls.__name__, **kwargs: Any) -> None:
            raise AssertionError(f"{_name} was built")

        monkeypatch.setattr(cls, "__init__", built)


def _cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return code, err.getvalue()


# -- hyperparameters ------------------------------------------------------------------------------------------------

BAD_VALUES = [  # (learner, option, bad value): every learner, every kind of mistake
    ("pinn", "lr", float("nan")), ("pinn", "lr", "fast"), ("pinn", "lr", -1e-3), ("pinn", "lr", [1e-3]),
    ("pinn", "adam_steps", 2.5), ("pinn", "adam_steps", -1), ("pinn", "adam_steps", 10**30),
    ("pinn", "hidden", []), ("pinn", "hidden", [20, 0]), ("pinn", "hidden", "20"), ("pinn", "hidden", [[20]]),
    ("pinn", "activation", "relu6"), ("pinn", "sampling", 1), ("pinn", "weights", {"residual": -1.0}),
    ("pinn", "compile", 1), ("pinn", "progress", "yes"), ("pinn", "seed", -1), ("pinn", "final_lr", math.inf),
    ("pinn", "aas_uniform", 1.5), ("pinn", "dtype", "float16"), ("pinn", "n_residual", 0),
    ("pinn", "lbfgs_dtype", "float16"), ("pinn", "causal", 0.0), ("pinn", "balancing", "sometimes"),
    ("lpinn", "n_points", "many"), ("lpinn", "lr", None), ("lpinn", "hidden", [32, -1]),
    ("pig", "n_gaussians", 0), ("pig", "sigma", float("nan")), ("pig", "covariance", "spherical"),
    ("pig", "neighbours", 1.5), ("pig", "learn_means", "no"),
    ("deeponet", "branch", 40), ("deeponet", "steps", "10"), ("deeponet", "lr", 1e400), ("deeponet", "loss", "l1"),
    ("deeponet", "batch_size", 0), ("deeponet", "n_collocation", 1), ("deeponet", "physics_weight", -1.0),
    ("fno", "width", 16.0), ("fno", "modes", -12), ("fno", "pad_fraction", 2.0), ("fno", "extent", (1.0,)),
    ("fno", "weight_decay", float("nan")), ("fno", "schedule", "linear"),
    ("mgno", "channels", [24]), ("mgno", "smoothing", (1, 0)), ("mgno", "padding", "mirror"),
    ("mgno", "epochs", -1), ("mgno", "restrict_residual", 1),
]


@pytest.mark.parametrize(("name", "key", "value"), BAD_VALUES)
def test_bad_values_of_known_options_are_typed_errors_naming_option_and_value(name: str, key: str, value: Any):
    with pytest.raises(InvalidParameterError) as info:
        create_learner(name, **{key: value})
    message = str(info.value)
    assert message.startswith(f"{name}: {key} must be "), message
    assert repr(value)[:40] in message and "\n" not in message


@pytest.mark.parametrize("name", LEARNERS.names())
def test_every_option_of_every_learner_has_a_constraint_and_the_defaults_pass(name: str):
    cls = LEARNERS.get(name)
    learner = cls()
    missing = set(learner.get_params()) - set(cls.parameter_constraints())
    assert not missing, f"{name}: options without a constraint: {sorted(missing)}"
    learner._validate_params()  # the defaults are valid


def test_neural_cg_uses_the_same_constraints():
    for key, value in [("channels", "16"), ("lr", -1.0), ("finetune_lr", 0.0), ("finetune_steps", -1),
                       ("low", 1.5), ("recursive", 1), ("dtype", "float16"), ("checkpoint_dir", "")]:
        with pytest.raises(InvalidParameterError, match=rf"^neural_cg: {key} must be .*got "):
            create_learner("neural_cg", **{key: value})
        with pytest.raises(InvalidParameterError, match=rf"^neural_cg: {key} must be .*got "):
            NeuralCG(**{key: value}).fit([])  # refused before anything else
    NeuralCG()._validate_params()  # the defaults pass
    assert set(NeuralCG().get_params()) <= set(NeuralCG._constraints)


def test_fit_validates_before_any_work():
    """Direct API use (no create_learner): fit refuses the value before sampling or building anything."""
    learner = PINN.from_settings(**{k: v for k, v in FAST.items()}, lr="fast")
    with pytest.raises(InvalidParameterError, match="pinn: lr must be a finite number > 0, got 'fast'"):
        learner.fit(equations.create("burgers"))
    assert not hasattr(learner, "history_") and not hasattr(learner, "objective_")
    with pytest.raises(InvalidParameterError, match=r"deeponet: steps must be an integer >= 0, got 2\.5"):
        DeepONet(steps=2.5).fit(np.ones((4, 5)), np.ones((4, 3)), np.linspace(0, 1, 3))
    with pytest.raises(InvalidParameterError, match="fno: modes must be an integer >= 1"):
        FNO(modes=0).fit(np.ones((2, 9, 9)), np.ones((2, 9, 9)))


@pytest.mark.parametrize("argv", [["--set", "lr=nan"], ["--set", 'lr="fast"'], ["--set", "hidden=[0]"],
                                  ["--learner", "pig", "--set", "n_gaussians=-5"]])
def test_cli_bad_known_option_exits_2_with_one_line(argv: list[str]):
    code, err = _cli(["compare", "burgers", "--no-progress", "--out", "/nonexistent-sciml-out/x", *argv])
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sciml: error: ") and " must be " in lines[0], err


# -- memory: grids, networks, datasets -----------------------------------------------------------------------------

def _numbers(message: str) -> list[str]:
    return re.findall(r"[\d.]+ [KMGTP]iB", message)


def test_grid_that_cannot_fit_is_refused_with_estimate_and_available(memory: int):
    eq = equations.create("poisson")
    with pytest.raises(ResourceError) as info:
        solvers.solve(eq, (20000, 20000))
    message = str(info.value)
    # 4e8 points at 128 B: 47.7 GiB, against the 2 GiB available
    assert "(20000, 20000)" in message and _numbers(message) == ["47.7 GiB", "2.0 GiB"], message
    code, err = _cli(["compare", "poisson", "--resolution", "20000", "20000", "--no-progress",
                      "--out", "/nonexistent-sciml-out/x"])
    assert code == 2 and err.count("\n") == 1 and "47.7 GiB" in err and "2.0 GiB is available" in err


def test_a_hungry_solver_declares_its_memory(memory: int):
    """1025^2 fits at the default 128 B per point, not at the sparse LU's 3 kB (a wrong factor would pass it)."""
    eq = equations.create("helmholtz")
    eq.domain.grid((1025, 1025))
    with pytest.raises(ResourceError, match=r"3000 B each\) needs about 2\.9 GiB"):
        solvers.solve(eq, (1025, 1025), method="fd_direct")


def test_unknown_memory_is_not_a_refusal(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(resources, "available_memory", lambda: None)
    resources.require_memory("anything", 10**30)


def test_available_memory_reads_meminfo():
    available = resources.available_memory()
    meminfo = Path("/proc/meminfo")
    if not meminfo.is_file():
        pytest.skip("no /proc/meminfo")
    line = next(x for x in meminfo.read_text().splitlines() if x.startswith("MemAvailable:"))
    # the same reading, up to what other processes allocated in between
    assert available is not None and abs(available - int(line.split()[1]) * 1024) < GIB


@pytest.mark.parametrize(("cls", "options"), [(PINN, {"hidden": [30000] * 3}), (LPINN, {"hidden": [30000] * 3}),
                                              (PIG, {"n_gaussians": 10**9}), (PINN, {"n_residual": 10**9})])
def test_field_network_that_cannot_fit_is_refused_before_building(cls, options, memory, monkeypatch):
    _refuse_building(monkeypatch, MLP)
    fast = {"adam_steps": 2, "lbfgs_iter": 0, "n_points": 64} if cls is LPINN else FAST
    learner = cls.from_settings(**{**fast, **options})
    with pytest.raises(ResourceError) as info:
        learner.fit(equations.create("burgers"))
    message = str(info.value)
    assert message.startswith(f"training the {cls.name} network for burgers (") and "2.0 GiB is available" in message


def test_operator_networks_that_cannot_fit_are_refused_before_building(memory, monkeypatch):
    _refuse_building(monkeypatch, DeepONetNet, FNONet, MgNONet, DCDMNet)
    u, s = np.random.default_rng(0).standard_normal((2, 4, 9, 9)) + 2.0
    with pytest.raises(ResourceError, match=r"^the DeepONet network for 5 sensors \(.* parameters\) needs about"):
        DeepONet(branch=(40000, 40000), trunk=(40000, 40000), steps=1).fit(
            np.ones((4, 5)), np.ones((4, 3)), np.linspace(0, 1, 3))
    with pytest.raises(ResourceError, match=r"^the fno network \(.*\) needs about .* 2\.0 GiB is available"):
        FNO(width=2000, epochs=1, batch_size=2).fit(u, s)
    with pytest.raises(ResourceError, match=r"^the mgno network"):
        MgNO(channels=5000, smoothing=(1, 1), epochs=1, batch_size=2).fit(u, s)
    with pytest.raises(ResourceError, match=r"^the NeuralCG network"):
        NeuralCG(channels=20000)._net()


def test_dataset_that_cannot_fit_is_refused_before_work(memory, tmp_path: Path):
    with pytest.raises(ResourceError, match=r"^1,000,000 samples of dataset 'darcy' at resolution 85 .* needs about "
                                            r"215\.3 GiB"):
        datasets.make("darcy", 10**6, resolution=85)
    with pytest.raises(ResourceError, match="resolution 1000000000"):  # before even the coordinates are made
        datasets.make("darcy", 1, resolution=10**9)
    out = tmp_path / "d.nc"
    with pytest.raises(ResourceError):
        datasets.generate("darcy", 10**6, out, resolution=85, progress=False)
    assert list(tmp_path.iterdir()) == []  # no work folder, no part written
    code, err = _cli(["data", "darcy", "--n", "1000000", "--resolution", "85", "--no-progress", "--out", str(out)])
    assert code == 2 and err.count("\n") == 1 and "215.3 GiB" in err
    # the user's own inputs: a resolution far beyond them is refused before the solver runs
    with pytest.raises(ResourceError, match=r"^3 samples of dataset 'antiderivative' at resolution 100000000000"):
        datasets.from_inputs("antiderivative", np.ones((3, 10)), resolution=10**11)


# -- loading -------------------------------------------------------------------------------------------------------

def _edit_params(folder: Path, **changes: Any) -> None:
    meta_path = folder / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["params"].update(changes)
    meta_path.write_text(json.dumps(meta))


def _saved_field(tmp_path: Path) -> Path:
    folder = tmp_path / "pinn"
    PINN.from_settings(**FAST).fit(equations.create("burgers")).save(folder)
    return folder


def test_pinn_load_of_an_oversized_config_is_refused_before_building(tmp_path: Path, monkeypatch):
    """The issue's case: meta.json says hidden=[100000]*3; nothing of 80 GB may be asked for."""
    folder = _saved_field(tmp_path)
    _edit_params(folder, hidden=[100000] * 3)
    _refuse_building(monkeypatch, MLP)
    with pytest.raises(InvalidDataError, match=r"the config describes a network of 20,000,600,001 numbers, but the "
                                               r"weights file holds 2,181"):
        PINN.load(folder)


def test_load_of_a_bad_config_value_is_a_malformed_config(tmp_path: Path):
    folder = _saved_field(tmp_path)
    _edit_params(folder, optimiser={"lr": "fast"})
    with pytest.raises(InvalidDataError, match=r"malformed model config .*lr must be"):
        PINN.load(folder)


def test_load_that_cannot_fit_is_refused(tmp_path: Path, monkeypatch):
    folder = _saved_field(tmp_path)
    assert PINN.load(folder).n_parameters_ == 2181
    monkeypatch.setattr(resources, "available_memory", lambda: 1024)
    with pytest.raises(ResourceError, match=r"^loading the model in .* needs about .* 1\.0 KiB is available"):
        PINN.load(folder)


def test_operator_loads_of_oversized_configs_are_refused_before_building(tmp_path: Path, monkeypatch):
    rng = np.random.default_rng(0)
    x = np.linspace(0, 1, 6)
    DeepONet(branch=(8, 8), trunk=(8, 8), steps=2).fit(rng.standard_normal((4, 5)), rng.standard_normal((4, 6)),
                                                        x).save(tmp_path / "deeponet")
    u = rng.standard_normal((2, 9, 9)) + 2.0
    FNO(width=4, modes=2, layers=1, epochs=1, batch_size=2).fit(u, 2 * u).save(tmp_path / "fno")
    MgNO(channels=4, layers=1, smoothing=(1, 1), epochs=1, batch_size=2).fit(u, 2 * u).save(tmp_path / "mgno")
    cg = NeuralCG(channels=4, levels=1)
    cg.net_ = cg._net()
    cg._set_contract(History(), 0.0, cg._parameter_count())
    cg.save(tmp_path / "neural_cg")
    big = [100000] * 3
    for folder, changes in [("deeponet", {"branch": big, "trunk": big}), ("fno", {"width": 100000}),
                            ("mgno", {"channels": 100000}), ("neural_cg", {"channels": 100000})]:
        _edit_params(tmp_path / folder, **changes)
    _refuse_building(monkeypatch, DeepONetNet, FNONet, MgNONet, DCDMNet)
    for folder, cls in [("deeponet", DeepONet), ("fno", FNO), ("mgno", MgNO), ("neural_cg", NeuralCG)]:
        with pytest.raises(InvalidDataError, match=r"the config describes a network of .* but the weights file holds"):
            cls.load(tmp_path / folder)


def test_size_estimates_equal_the_built_networks():
    """The closed-form counts that guard fit and load are exact (a stale formula would refuse or pass wrongly)."""
    burgers, convection = equations.create("burgers"), equations.create("convection")
    for learner, eq in [(PINN(hidden=(7, 5)), burgers), (PINN(embedding="fourier", fourier_features=6), burgers),
                        (PINN(embedding="periodic"), convection), (PIG(n_gaussians=9, covariance="full"), burgers)]:
        size = learner._network_size(eq)
        net = learner._build_net(eq)
        assert size.saved == sum(p.numel() for p in net.parameters())
        assert size.saved + size.other == sum(t.numel() for t in net.state_dict().values())
    lp = LPINN(hidden=(6, 4))
    objective = lp._objective(convection, None, {})
    assert lp._network_size(convection).saved == sum(
        p.numel() for net in lp._networks(objective).values() for p in net.parameters())
    for grid in (FNO(width=5, modes=3, layers=2),
                 MgNO(channels=3, layers=2, smoothing=(2, 1, 1), restrict_residual=True)):
        assert grid._parameter_count(1) == sum(t.numel() for t in grid._build(1).state_dict().values())
    for cg in (NeuralCG(channels=3, levels=0), NeuralCG(channels=3, levels=2, pairs=2, coarse_pairs=3)):
        assert cg._parameter_count() == sum(t.numel() for t in cg._net().state_dict().values())


# -- extrapolation ---------------------------------------------------------------------------------------------------

def _only_extrapolation(record: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, ExtrapolationWarning)]


@pytest.mark.parametrize("cls", [PINN, LPINN, PIG])
def test_predict_outside_the_domain_warns_once_saying_how_many_and_how_far(cls):
    options = {"adam_steps": 2, "lbfgs_iter": 0} | ({"n_gaussians": 16} if cls is PIG else {})
    learner = cls.from_settings(**options).fit(equations.create("burgers"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExtrapolationWarning)
        inside = learner.predict(np.array([[-1.0, 0.0], [1.0, 1.0], [0.3, 0.5]]))  # faces included
    assert np.isfinite(inside).all()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        learner.predict(np.array([[0.0, 0.5], [10.0, 0.5], [0.0, -3.0]]))
        learner.predict(np.array([[50.0, 0.5]]))  # once per learner: no second warning
    messages = _only_extrapolation(record)
    assert len(messages) == 1, messages
    assert "2 of 3 points lie outside the burgers domain" in messages[0] and "up to 9 beyond" in messages[0]
    caught = next(w for w in record if issubclass(w.category, ExtrapolationWarning))
    assert caught.filename == __file__  # it names the user's call, not the library's internals


def test_cut_out_corner_of_the_l_shape_is_outside_but_compare_does_not_warn():
    eq = equations.create("poisson_lshape")
    reference = solvers.solve(eq, (17, 17), refine=0)
    assert np.isnan(reference.values).any()  # the corner is not part of the domain
    learner = PINN.from_settings(**FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExtrapolationWarning)
        ds = compare(eq, {"pinn": learner}, reference=reference)
    assert np.array_equal(np.isnan(ds["pinn"].values), np.isnan(reference.values))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        learner.predict(np.array([[0.5, 0.5], [-0.5, -0.5]]))  # in the bounding box, in the cut-out square
    messages = _only_extrapolation(record)
    assert len(messages) == 1 and "1 of 2 points" in messages[0] and "up to 0.5 beyond" in messages[0]


def test_deeponet_warns_outside_its_training_points_also_after_load(tmp_path: Path):
    rng = np.random.default_rng(1)
    x = np.linspace(0.0, 1.0, 8)
    model = DeepONet(branch=(8, 8), trunk=(8, 8), steps=2).fit(rng.standard_normal((4, 5)),
                                                               rng.standard_normal((4, 8)), x)
    u = rng.standard_normal((2, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExtrapolationWarning)
        model.predict(u, x)
        model.predict(u)
    model.save(tmp_path / "m")
    for m in (model, DeepONet.load(tmp_path / "m")):  # the range is saved with the model
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            m.predict(u, np.array([0.5, 1.5, 3.0]))
        messages = _only_extrapolation(record)
        assert len(messages) == 1 and "2 of 3 points lie outside the training points' range [0, 1]" in messages[0]
        assert "up to 2 beyond" in messages[0]


def test_torch_dtype_and_device_objects_are_accepted():
    PINN(dtype=torch.float64, device=torch.device("cpu"))._validate_params()
