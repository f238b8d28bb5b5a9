"""Faults: runs killed with SIGKILL resume exactly, every write is atomic, a diverging run stops cleanly.

The killed runs are real child processes: each child hangs at a known point
(after its first checkpoint, or with a part file half-way through its write)
and tells the test so through a marker file; the test then sends SIGKILL, so
nothing in the child gets a chance to clean up.
"""

from __future__ import annotations

import ast
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import xarray as xr
from objectives import Quadratic

from equations import Burgers, Poisson2D
from equations.errors import ToolkitError, TrainingDivergedError
from sciml import PINN, Collocation, DeepONet, Optimiser
from sciml.core import checkpoint as ckpt
from sciml.core.training import Adam, Trainer
from sciml.field.pinn_objective import PINNObjective
from validation import datasets
from validation.datasets import build, store

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("equations", "solvers", "sciml", "validation")

# a tiny PINN with every source of state a resume must restore: Adam moments, resampled
# (RAD) collocation points, the sampler's RNG, then a float64 L-BFGS stage
PINN_KW: dict[str, Any] = dict(hidden=(8, 8), n_residual=80, n_boundary=10, n_initial=10, constraints="soft",
                               adam_steps=60, lbfgs_iter=8, seed=4, resample_every=20, adaptive="rad",
                               checkpoint_every=20, compile=False)
DEEPONET_KW: dict[str, Any] = dict(branch=(16, 16), trunk=(16, 16), steps=60, batch_size=8, lr=3e-3,
                                   schedule="cosine", seed=2, checkpoint_every=20)


def _operator_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x = np.linspace(0.0, 1.0, 12)
    u = rng.standard_normal((30, 12))
    return u, np.cumsum(u, axis=1) / 12, x


_HANG = """
import json, pathlib, sys, time
import torch
torch.set_num_threads(1)
marker = pathlib.Path(sys.argv[1])

def hang():
    marker.write_text("hanging")
    time.sleep(600)
"""

_PINN_CHILD = _HANG + """
from equations import Burgers
from sciml import PINN, Callback
kw, stop = json.loads(sys.argv[2]), int(sys.argv[3])

class Hang(Callback):
    def on_step(self, trainer, loss):
        if trainer.step == stop:
            hang()

PINN.from_settings(**kw).fit(Burgers(), callbacks=[Hang()])
"""

_DEEPONET_CHILD = _HANG + """
import numpy as np
from sciml import Callback, DeepONet
kw, stop = json.loads(sys.argv[2]), int(sys.argv[3])
with np.load(sys.argv[4], allow_pickle=False) as data:
    u, s, x = data["u"], data["s"], data["x"]

class Hang(Callback):
    def on_step(self, trainer, loss):
        if trainer.step == stop:
            hang()

DeepONet(**kw).fit(u, s, x, callbacks=[Hang()])
"""

_DATASET_CHILD = _HANG + """
from validation import datasets
from validation.datasets import build, store
log, out, hang_at = pathlib.Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
real_compute, real_atomic = build.compute_samples, store.atomic_write
writes = []

def compute(name, seed, start, stop, *rest):
    with open(log, "a") as fh:
        fh.write(f"{start}\\n")
    return real_compute(name, seed, start, stop, *rest)

def atomic(path, write):
    writes.append(path)

    def slow(tmp):
        write(tmp)  # the temporary file is complete but not renamed yet when the kill comes
        if len(writes) == hang_at:
            hang()

    return real_atomic(path, slow)

build.compute_samples, store.atomic_write = compute, atomic
datasets.generate("antiderivative", 7, out, resolution=11, chunk=2, progress=False, sensors=21, refine=4)
"""


def _kill_when_hanging(code: str, marker: Path, *args: str) -> None:
    """Run ``code`` in a child Python, wait for it to write ``marker``, then SIGKILL it."""
    # the parent's thread settings: BLAS with another thread count rounds differently (4e-16 on a GRF sample),
    # and the results are compared bit for bit with ones computed here
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", code, str(marker), *args], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            if child.poll() is not None:
                err = child.stderr.read().decode() if child.stderr else ""
                pytest.fail(f"the child exited ({child.returncode}) before hanging:\n{err}")
            if time.monotonic() > deadline:
                pytest.fail("the child never reached the point where it is killed")
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        assert child.stderr is not None
        child.stderr.close()


@pytest.fixture
def one_thread() -> Iterator[None]:
    """The reference runs use the same single intra-op thread as the killed child."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _no_temporaries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.name.endswith(".tmp"))


# -- 1. training killed with SIGKILL ------------------------------------------------------------------------
def test_pinn_killed_with_sigkill_resumes_to_the_uninterrupted_result(tmp_path: Path, one_thread: None) -> None:
    ck = tmp_path / "ck"
    marker = tmp_path / "hanging"
    # steps 41..45 after the step-40 checkpoint are lost with the process and must be redone identically
    _kill_when_hanging(_PINN_CHILD, marker, json.dumps({**PINN_KW, "checkpoint_dir": str(ck)}), "45")
    _, meta = ckpt.load_bundle(ck)
    assert meta["step"] == 40 and meta["stage_index"] == 0  # the last checkpoint before the kill
    assert _no_temporaries(tmp_path) == []
    resumed = PINN.from_settings(**PINN_KW, checkpoint_dir=str(ck), resume=True).fit(Burgers())
    full = PINN.from_settings(**PINN_KW).fit(Burgers())
    assert resumed.history_.step == full.history_.step
    assert resumed.history_.loss == full.history_.loss
    assert [s["stage"] for s in resumed.history_.stages] == ["Adam", "LBFGS"]
    torch.testing.assert_close(resumed.model_.flat, full.model_.flat, rtol=0, atol=0)


def test_deeponet_killed_with_sigkill_resumes_to_the_uninterrupted_result(tmp_path: Path, one_thread: None) -> None:
    ck, data = tmp_path / "ck", tmp_path / "data.npz"
    u, s, x = _operator_data()
    np.savez(data, u=u, s=s, x=x)
    _kill_when_hanging(_DEEPONET_CHILD, tmp_path / "hanging",
                       json.dumps({**DEEPONET_KW, "checkpoint_dir": str(ck)}), "33", str(data))
    assert ckpt.load_bundle(ck)[1]["step"] == 20
    resumed = DeepONet(**DEEPONET_KW, checkpoint_dir=str(ck), resume=True).fit(*_operator_data())
    full = DeepONet(**DEEPONET_KW).fit(*_operator_data())
    assert resumed.history_.loss == full.history_.loss
    for p, q in zip(resumed.net_.parameters(), full.net_.parameters()):
        assert torch.equal(p, q)


def test_a_save_killed_between_its_two_files_resumes_consistently(tmp_path: Path, one_thread: None,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Death after the step-40 tensors are renamed into place but before meta.json is: the
    checkpoint must not pair step-40 weights with step-20 metadata."""
    ck = tmp_path / "ck"
    real = ckpt.atomic_write_bytes
    calls: list[Path] = []

    def die_on_second(path: str | Path, data: bytes) -> Path:
        calls.append(Path(path))
        if len(calls) == 2:
            raise KeyboardInterrupt  # what a SIGKILL leaves on disk at this point
        return real(path, data)

    monkeypatch.setattr(ckpt, "atomic_write_bytes", die_on_second)
    with pytest.raises(KeyboardInterrupt):
        PINN.from_settings(**PINN_KW, checkpoint_dir=str(ck)).fit(Burgers())
    monkeypatch.setattr(ckpt, "atomic_write_bytes", real)
    assert json.loads((ck / "meta.json").read_text())["step"] == 20  # the stale file on disk
    assert ckpt.load_bundle(ck)[1]["step"] == 40  # the metadata saved with the tensors wins
    resumed = PINN.from_settings(**PINN_KW, checkpoint_dir=str(ck), resume=True).fit(Burgers())
    full = PINN.from_settings(**PINN_KW).fit(Burgers())
    assert resumed.history_.loss == full.history_.loss
    torch.testing.assert_close(resumed.model_.flat, full.model_.flat, rtol=0, atol=0)


# -- 2. dataset generation killed with SIGKILL --------------------------------------------------------------
def test_dataset_generation_killed_with_sigkill_resumes_without_recomputing(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    out, log = tmp_path / "a.nc", tmp_path / "computed.txt"
    work = tmp_path / ".a.nc.parts"
    # killed while the third part (samples 4-5) sits complete under its temporary name
    _kill_when_hanging(_DATASET_CHILD, tmp_path / "hanging", str(log), str(out), "3")
    assert log.read_text().split() == ["0", "2", "4"]
    assert not out.exists()
    finished = sorted(work.glob("*.nc"))
    assert [p.name.split("-")[1:] for p in finished] == [["000000000", "000000002.nc"],
                                                         ["000000002", "000000004.nc"]]
    for part in finished:  # everything under a final name is complete and readable
        assert store.read(part).sizes["sample"] == 2
    assert len(_no_temporaries(work)) == 1  # the killed write, under a temporary name only

    computed: list[int] = []
    real = build.compute_samples

    def counting(name: str, seed: int, start: int, stop: int, *rest: Any) -> Any:
        computed.append(start)
        return real(name, seed, start, stop, *rest)

    monkeypatch.setattr(build, "compute_samples", counting)
    datasets.generate("antiderivative", 7, out, resolution=11, chunk=2, progress=False, sensors=21, refine=4)
    assert computed == [4, 6]  # the two finished chunks were reused, not recomputed
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a.nc", "computed.txt", "hanging"])
    fresh = datasets.make("antiderivative", 7, resolution=11, sensors=21, refine=4)
    got = datasets.load(out)
    for var in ("input", "output"):
        assert np.array_equal(got[var].values, fresh[var].values)
    assert got.attrs["manifest"] == fresh.attrs["manifest"]


# -- 3. atomic writes ---------------------------------------------------------------------------------------
def _half_then_fail(real: Callable[..., Any], target_arg: int = 0) -> Callable[..., Any]:
    """A writer that writes the real bytes, truncates them to half and then raises (a crash mid-write)."""

    def broken(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        path = Path(args[target_arg])
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        raise OSError("disk full (simulated)")

    return broken


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def tiny_pinn() -> PINN:
    return PINN(
        hidden=(6,),
        seed=0,
        collocation=Collocation(n_residual=40),
        optimiser=Optimiser(adam_steps=5, lbfgs_iter=0, compile=False),
    ).fit(Poisson2D())


@pytest.mark.parametrize("which", ["tensors", "meta"])
def test_model_save_interrupted_mid_write_keeps_the_old_model(tmp_path: Path, tiny_pinn: PINN, which: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "model"
    tiny_pinn.save(model)
    before = _snapshot(model)
    other = PINN(
        hidden=(6,),
        seed=1,
        collocation=Collocation(n_residual=40),
        optimiser=Optimiser(adam_steps=7, lbfgs_iter=0, compile=False),
    ).fit(Poisson2D())
    if which == "tensors":
        monkeypatch.setattr(ckpt, "save_file", _half_then_fail(ckpt.save_file, 1))
    else:
        monkeypatch.setattr(ckpt, "atomic_write_bytes", lambda path, data: ckpt.atomic_write(
            path, _half_then_fail(lambda tmp: Path(tmp).write_bytes(data))))
    with pytest.raises(OSError, match="simulated"):
        other.save(model)
    monkeypatch.undo()
    if which == "tensors":
        assert _snapshot(model) == before  # nothing renamed: the old model, byte for byte
    assert _no_temporaries(tmp_path) == []
    back = PINN.load(model)  # a complete, consistent model (the old one, or the new tensors with their metadata)
    pts = np.random.default_rng(0).uniform(0, 1, (20, 2))
    expected = tiny_pinn if which == "tensors" else other
    np.testing.assert_array_equal(back.predict(pts), expected.predict(pts))


def test_checkpoint_interrupted_mid_write_keeps_the_last_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ck = tmp_path / "ck"
    obj = Quadratic()
    Trainer([Adam(10, lr=1e-2)], checkpoint_dir=ck, checkpoint_every=5).fit(obj)
    before = _snapshot(ck)
    monkeypatch.setattr(ckpt, "save_file", _half_then_fail(ckpt.save_file, 1))
    with pytest.raises(OSError, match="simulated"):  # a new run over the same folder fails at its first save
        Trainer([Adam(10, lr=1e-3)], checkpoint_dir=ck, checkpoint_every=5).fit(Quadratic())
    monkeypatch.undo()
    assert _snapshot(ck) == before and _no_temporaries(tmp_path) == []
    assert ckpt.load_bundle(ck)[1]["step"] == 10


def test_dataset_write_interrupted_mid_write_keeps_the_old_file(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "a.nc"
    kw: dict[str, Any] = dict(resolution=11, chunk=4, progress=False, sensors=21, refine=4)
    datasets.generate("antiderivative", 4, out, **kw)
    before = out.read_bytes()
    real = xr.Dataset.to_netcdf

    def final_write_fails(self: xr.Dataset, path: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(path).name.startswith(".a.nc."):  # the assembled file, not a part
            return _half_then_fail(real, 1)(self, path, *args, **kwargs)
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(xr.Dataset, "to_netcdf", final_write_fails)
    with pytest.raises(OSError, match="simulated"):
        datasets.generate("antiderivative", 6, out, **kw)
    monkeypatch.undo()
    assert out.read_bytes() == before and _no_temporaries(tmp_path) == []
    assert datasets.load(out).sizes["sample"] == 4


@pytest.mark.parametrize("writer", ["netcdf", "vtu", "xdmf", "png"])
def test_compare_export_interrupted_mid_write_keeps_the_old_file(tmp_path: Path, writer: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import meshio
    from matplotlib.figure import Figure

    from validation import export, plots

    x, y = np.linspace(0, 1, 4), np.linspace(0, 1, 3)
    ds = xr.Dataset({"reference": (("x", "y"), np.ones((4, 3))), "pinn": (("x", "y"), np.zeros((4, 3)))},
                    coords={"x": x, "y": y})
    fig = Figure()
    fig.add_subplot().plot([0, 1])
    write: dict[str, Callable[[Path], Any]] = {
        "netcdf": lambda p: export.to_netcdf(ds, p), "vtu": lambda p: export.to_vtu(ds, p),
        "xdmf": lambda p: export.to_xdmf(ds, p), "png": lambda p: plots.save_figure(fig, p)}
    path = tmp_path / f"out.{writer}"
    write[writer](path)
    before = path.read_bytes()
    if writer == "netcdf":
        monkeypatch.setattr(xr.Dataset, "to_netcdf", _half_then_fail(xr.Dataset.to_netcdf, 1))
    elif writer == "png":
        monkeypatch.setattr(Figure, "savefig", _half_then_fail(Figure.savefig, 1))
    else:
        monkeypatch.setattr(meshio, "write", _half_then_fail(meshio.write, 0))
    with pytest.raises(OSError, match="simulated"):
        write[writer](path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("out.")) == []


_WRITES = {"write_text", "write_bytes", "savefig", "save_file", "to_netcdf", "to_zarr", "to_csv", "savez",
           "savez_compressed", "save", "tofile", "dump", "imsave", "write"}


def _unprotected_writes(source: str) -> list[int]:
    """Lines of ``source`` that write a file other than through :mod:`sciml.core.atomic`.

    A write call is protected when its target is the temporary path that
    ``atomic_write`` hands its callback (a name ``tmp``), when it writes to an
    open file handle (the handle was opened on ``tmp``), or when it is a method
    of an in-memory object (``model.save`` goes through save_bundle itself).
    ``open(..., "w"/"a"/"x")`` must open ``tmp`` too.
    """
    bad = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        if isinstance(func, ast.Name) and func.id == "open" and len(node.args) >= 2:
            mode = node.args[1]
            if isinstance(mode, ast.Constant) and any(c in str(mode.value) for c in "wax") and "tmp" not in names:
                bad.append(node.lineno)
        elif isinstance(func, ast.Attribute) and func.attr in _WRITES:
            owner = func.value
            module_call = isinstance(owner, ast.Name) and owner.id in ("np", "numpy", "json", "meshio", "plt",
                                                                          "torch", "pickle")
            path_call = func.attr in ("write_text", "write_bytes", "savefig", "to_netcdf", "to_zarr", "to_csv",
                                      "tofile")
            if (module_call or path_call) and "tmp" not in names and "fh" not in names:
                bad.append(node.lineno)
        elif isinstance(func, ast.Name) and func.id in ("save_file", "savez", "savefig"):
            if "tmp" not in names:
                bad.append(node.lineno)
    return sorted(set(bad))


# writes that are not atomic on purpose: (file, the line's code) -> why
_NOT_ATOMIC = {
    ("validation/report.py", 'with open(log, "wb") as fh:'):
        "a suite's log, streamed by its process while it runs so that a crash leaves what it printed",
}


def test_every_file_write_goes_through_atomic_write() -> None:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "atomic.py":
                continue
            name, lines = str(path.relative_to(ROOT)), path.read_text().splitlines()
            bad = [n for n in _unprotected_writes("\n".join(lines))
                   if (name, lines[n - 1].strip()) not in _NOT_ATOMIC]
            if bad:
                found[name] = [f"{n}: {lines[n - 1].strip()}" for n in bad]
    assert found == {}, f"file writes that bypass sciml.core.atomic: {found}"


def test_the_write_audit_finds_plain_writes() -> None:
    bad = "\n".join(['from pathlib import Path', 'import numpy as np', 'Path("a").write_text("x")',
                     'np.save("b.npy", np.zeros(2))', 'fig.savefig(out)', 'open(out, "w").write("x")',
                     'ds.to_netcdf(out)'])
    assert _unprotected_writes(bad) == [3, 4, 5, 6, 7]
    good = "\n".join(['atomic_write(out, lambda tmp: fig.savefig(tmp, format="png"))',
                      'atomic_write(out, lambda tmp: ds.to_netcdf(tmp))', 'model.save(out)',
                      'with open(tmp, "wb") as fh:\n    np.savez(fh, a=1)'])
    assert _unprotected_writes(good) == []


# -- 4. divergence ------------------------------------------------------------------------------------------
def test_nan_loss_stops_keeps_the_last_checkpoint_and_resumes_from_it(tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    with pytest.raises(TrainingDivergedError, match=r"loss became nan at step 23 \(Adam stage\).*last good "
                                                    r"checkpoint was kept.*smaller learning rate"):
        Trainer([Adam(40, lr=0.05)], checkpoint_dir=ck, checkpoint_every=10).fit(Quadratic(nan_at=23))
    tensors, meta = ckpt.load_bundle(ck)
    assert meta["step"] == 20 and meta["in_stage"] == 20 and meta["has_optimizer"]
    reference = Quadratic()
    Trainer([Adam(20, lr=0.05)]).fit(reference)
    assert torch.equal(tensors["param.0"], reference.p.detach())  # the step-20 weights, untouched
    resumed, full = Quadratic(), Quadratic()
    history = Trainer([Adam(40, lr=0.05)], checkpoint_dir=ck, checkpoint_every=10, resume=True).fit(resumed)
    assert history.loss == Trainer([Adam(40, lr=0.05)]).fit(full).loss
    assert torch.equal(resumed.p, full.p)


def test_weights_turned_inf_are_never_checkpointed(tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    obj = Quadratic(inf_grad_at=19)  # step 20's update makes the weights NaN right before a checkpoint
    with pytest.raises(TrainingDivergedError, match="weights became nan at step 20"):
        Trainer([Adam(40, lr=0.05)], checkpoint_dir=ck, checkpoint_every=10).fit(obj)
    tensors, meta = ckpt.load_bundle(ck)
    assert meta["step"] == 10 and torch.isfinite(tensors["param.0"]).all()
    assert torch.isfinite(obj.p).all()  # the last good weights were restored in memory too
    end = Quadratic(inf_grad_at=39)  # the very last update: the run must not end on NaN weights
    with pytest.raises(TrainingDivergedError, match="weights became nan at step 40"):
        Trainer([Adam(40, lr=0.05)]).fit(end)
    assert torch.isfinite(end.p).all()


def test_operator_weights_turned_inf_are_never_checkpointed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    u, s, x = _operator_data()
    kw: dict[str, Any] = dict(branch=(8, 8), trunk=(8, 8), steps=30, checkpoint_every=10,
                              checkpoint_dir=str(tmp_path))
    real_step = torch.optim.Adam.step
    calls = [0]

    def poisoned_step(self: torch.optim.Adam, *args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        out = real_step(self, *args, **kwargs)
        if calls[0] == 20:
            with torch.no_grad():
                for group in self.param_groups:
                    group["params"][0].fill_(math.inf)
        return out

    monkeypatch.setattr(torch.optim.Adam, "step", poisoned_step)
    with pytest.raises(TrainingDivergedError, match=r"weights became nan at step 20.*last good checkpoint was kept"):
        DeepONet(**kw).fit(u, s, x)
    tensors, meta = ckpt.load_bundle(tmp_path)
    assert meta["step"] == 10
    assert all(torch.isfinite(t).all() for k, t in tensors.items() if k.startswith("param."))


def test_pinn_nan_loss_raises_typed_error_and_keeps_a_loadable_checkpoint(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    real = PINNObjective.loss
    calls = [0]

    def nan_at_35(self: PINNObjective) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        calls[0] += 1
        loss, parts = real(self)
        return (loss * math.nan, parts) if calls[0] == 36 else (loss, parts)

    monkeypatch.setattr(PINNObjective, "loss", nan_at_35)
    kw = {**PINN_KW, "lbfgs_iter": 0}
    ck = tmp_path / "ck"
    with pytest.raises(TrainingDivergedError, match="at step 35"):
        PINN.from_settings(**kw, checkpoint_dir=str(ck)).fit(Burgers())
    monkeypatch.undo()
    tensors, meta = ckpt.load_bundle(ck)
    assert meta["step"] == 20 and all(torch.isfinite(t).all() for t in tensors.values() if t.is_floating_point())
    resumed = PINN.from_settings(**kw, checkpoint_dir=str(ck), resume=True).fit(Burgers())
    assert resumed.history_.loss == PINN.from_settings(**kw).fit(Burgers()).history_.loss


def test_corrupt_checkpoint_is_a_typed_error_not_a_resume(tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    Trainer([Adam(5)], checkpoint_dir=ck, checkpoint_every=5).fit(Quadratic())
    data = (ck / "tensors.safetensors").read_bytes()
    (ck / "tensors.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ToolkitError, match="corrupt safetensors"):
        Trainer([Adam(10)], checkpoint_dir=ck, resume=True).fit(Quadratic())
