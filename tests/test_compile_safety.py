"""The PINN loss under ``torch.compile``: the ZeroTensor segfault (issue 16) and the eager fallback.

Root cause of the segfault: for an ansatz ``u = g + d * n`` whose ``g`` is
linear (Legendre, hypergeometric, pendulum) or zero (Helmholtz, Poisson,
Darcy), ``torch.func`` returns the identically zero derivatives of ``g`` as
efficient ZeroTensors, which have no storage (``data_ptr() == 0``). The
objective kept them as loss constants; TorchInductor's CPU kernels read them
as dense inputs: a load from address 0 (``vaddpd (%rdx,%rax,8)`` with
``rdx = 0`` under gdb). ``PINNObjective`` now copies the ansatz jets into
fresh storage (:func:`sciml.field.pinn_objective._dense_jet`);
:func:`test_inductor_still_segfaults_on_zero_tensors` says when torch no longer
needs that.
"""

from __future__ import annotations

import inspect
import math
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import equations
from equations import Equation, Legendre
from sciml import PINN, Collocation, Optimiser
from sciml.field.pinn_objective import PINNObjective

ROOT = Path(__file__).resolve().parents[1]

# The pattern of the ansatz jets, without the toolkit: the second derivative of a
# linear function by forward mode is a ZeroTensor; a compiled function reads it.
ZERO_TENSOR_REPRO = """
import torch
from torch.func import jacfwd, vmap

z = vmap(jacfwd(jacfwd(lambda p: 2.0 * p)))(torch.rand(8))
assert z._is_zerotensor() and z.data_ptr() == 0
f = torch.compile(lambda a, b: (a + b).sum(), dynamic=False)
print("eager", float((torch.ones(8) + z).sum()), flush=True)
print("compiled", float(f(torch.ones(8), z)), flush=True)
"""


def test_inductor_still_segfaults_on_zero_tensors() -> None:
    """Fails once torch reads ZeroTensor inputs correctly: then ``_dense_jet``'s storage copy can go.

    (pytorch/pytorch#197067, open for torch 2.13.0 on CPU.) The dtype cast in
    ``_dense_jet`` stays either way: forward mode returns float64 tangents for
    ``python_float * x`` with float32 ``x`` (pytorch/pytorch#160513).
    """
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    proc = subprocess.run([sys.executable, "-c", ZERO_TENSOR_REPRO], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert "eager 8.0" in proc.stdout, proc.stderr[-2000:]
    if proc.returncode > 0 and "compiled" not in proc.stdout:
        pytest.skip(f"torch.compile does not run here, so the workaround cannot be checked: {proc.stderr[-500:]}")
    assert proc.returncode != 0, (
        f"torch {torch.__version__} compiles a function of a ZeroTensor ({proc.stdout.split()[-1]}, expected 8.0): "
        "the ZeroTensor workaround in sciml.field.pinn_objective._dense_jet may go (keep its dtype cast)")
    assert proc.returncode == -signal.SIGSEGV, proc.stderr[-2000:]


def _equations_with_ansatz() -> list[Equation]:
    out = []
    for name in equations.__all__:
        cls = getattr(equations, name)
        if not (inspect.isclass(cls) and issubclass(cls, Equation)) or cls is Equation:
            continue
        try:
            eq = cls()
        except TypeError:  # needs arguments: not a shipped problem with defaults
            continue
        if eq.ansatz({n: np.zeros(1) for n in eq.domain.names}) is not None:
            out.append(eq)
    return out


def _jet_tensors(objective: PINNObjective) -> dict[str, torch.Tensor]:
    assert objective.ansatz_jets is not None
    g, d = objective.ansatz_jets
    return {f"{part}.{key}": t for part, jet in (("g", g), ("d", d))
            for key, t in (("value", jet.value), *((k, jet[k]) for k in jet.keys()))}


def test_ansatz_jets_are_dense_in_the_objective_dtype() -> None:
    """Every shipped ansatz: jets with storage, in float32 for Adam and float64 after the L-BFGS cast."""
    eqs = _equations_with_ansatz()
    assert {"legendre", "hypergeometric", "helmholtz", "poisson"} <= {e.name for e in eqs}
    for eq in eqs:
        learner = PINN(
            hidden=(4,),
            constraints="hard",
            collocation=Collocation(n_residual=16, n_boundary=8, n_initial=8),
            optimiser=Optimiser(compile=False),
        )
        objective = learner._objective(eq, None)
        for dtype in (torch.float32, torch.float64):
            if dtype == torch.float64:
                objective.cast(dtype)
            for key, t in _jet_tensors(objective).items():
                where = f"{eq.name} {key} ({dtype})"
                assert not t._is_zerotensor() and t.data_ptr() != 0, f"{where}: no storage"
                assert t.dtype == dtype, f"{where}: {t.dtype}"
                assert t.shape == (16,) and t.is_contiguous(), where


def test_dense_jets_keep_the_values() -> None:
    """Legendre l=3: ``g = x`` on [-1, 1] (g(+-1) = +-1) and ``d = 1 - x^2``: exact jets after the copy."""
    learner = PINN(
        hidden=(4,),
        constraints="hard",
        collocation=Collocation(n_residual=16),
        optimiser=Optimiser(compile=False),
    )
    objective = learner._objective(Legendre(l=3), None)
    x = objective.x["residual"][:, 0]
    assert objective.ansatz_jets is not None
    g, d = objective.ansatz_jets
    torch.testing.assert_close(g.value, x)
    torch.testing.assert_close(g["x"], torch.ones_like(x))
    torch.testing.assert_close(g["xx"], torch.zeros_like(x))
    torch.testing.assert_close(d.value, 1 - x**2)
    torch.testing.assert_close(d["x"], -2 * x)
    torch.testing.assert_close(d["xx"], torch.full_like(x, -2.0))


# -- fallback to eager ------------------------------------------------------------------------------------------

SMALL: dict[str, Any] = {"hidden": (8,), "n_residual": 32, "n_boundary": 8, "adaptive": None, "resample_every": 0,
                         "adam_steps": 3, "lbfgs_iter": 2, "final_lr": None, "seed": 0}


def _fit(monkeypatch: pytest.MonkeyPatch, fake: Any) -> tuple[PINN, list[warnings.WarningMessage]]:
    """A small compiled PINN on Legendre with ``torch.compile`` replaced by ``fake``."""
    with monkeypatch.context() as m:
        m.setattr(torch, "compile", fake)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            learner = PINN.from_settings(constraints="hard", **SMALL, compile=True).fit(Legendre(l=3))
    return learner, [w for w in caught if "torch.compile failed" in str(w.message)]


@pytest.fixture(scope="module")
def eager_losses() -> list[float]:
    return PINN.from_settings(constraints="hard", **SMALL, compile=False).fit(Legendre(l=3)).history_.loss


def _raises_at_compile_time(fn: Any, **kwargs: Any) -> Any:
    raise RuntimeError("torch.compile is not supported here")


def _raises_at_first_call(fn: Any, **kwargs: Any) -> Any:
    def compiled() -> Any:
        raise RuntimeError("C++ compile failed")
    return compiled


def _raises_at_float64_recompile(fn: Any, **kwargs: Any) -> Any:
    """Works like eager for float32 (Adam), fails at the recompile for float64 (L-BFGS)."""
    owner = fn.__self__

    def compiled() -> Any:
        if owner.dtype == torch.float64:
            raise RuntimeError("recompile for float64 failed")
        return fn()
    return compiled


@pytest.mark.parametrize("fake", [_raises_at_compile_time, _raises_at_first_call, _raises_at_float64_recompile])
def test_failed_compile_falls_back_to_eager_with_one_warning(
        monkeypatch: pytest.MonkeyPatch, eager_losses: list[float], fake: Any) -> None:
    learner, warned = _fit(monkeypatch, fake)
    assert len(warned) == 1, [str(w.message) for w in warned]
    message = str(warned[0].message)
    assert "RuntimeError" in message and "training continues eagerly" in message
    assert warned[0].category is RuntimeWarning
    objective = learner.objective_
    assert isinstance(objective, PINNObjective) and objective._compiled is None  # eager from then on
    losses = learner.history_.loss
    assert len(losses) == len(eager_losses) and all(map(math.isfinite, losses))
    # the same run as an eager one, step by step: the fallback computes the same loss
    assert losses == eager_losses
