"""GPU parity: every learner fits, predicts, saves and loads on CUDA, and agrees with its CPU fit.

Marked ``gpu`` and skipped without a CUDA device (CI has none); on a machine
with one::

    python -m pytest -m gpu tests/test_gpu.py
    SCIML_TEST_DEVICE=cuda python -m pytest tests/test_contract.py   # the whole contract on the device
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from test_contract import KINDS, OVERRIDES

from sciml.core.base import LEARNERS, create_learner

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


def _fit(name: str, device: str) -> tuple[object, object, np.ndarray]:
    cls = LEARNERS.get(name)
    kind = KINDS[cls.kind]
    options = {**kind.settings, **OVERRIDES.get(name, {}), "device": device}
    problem = kind.problem(options.pop("problem", kind.default_problem))
    learner = create_learner(name, **options).fit(problem)
    return learner, problem, kind.predict(learner, problem)


@pytest.mark.parametrize("name", sorted(LEARNERS.names()))
def test_every_learner_fits_on_cuda_like_on_the_cpu_and_round_trips(name: str, tmp_path: Path) -> None:
    torch.cuda.empty_cache()
    before = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    learner, problem, on_gpu = _fit(name, "cuda")
    assert torch.cuda.max_memory_allocated() > before, f"{name} did not use the device"
    assert np.isfinite(on_gpu).all()
    _, _, on_cpu = _fit(name, "cpu")
    scale = float(np.abs(on_cpu).max()) or 1.0
    # a few steps from the same seeded weights: only round-off and kernel order differ
    np.testing.assert_allclose(on_gpu, on_cpu, rtol=1e-2, atol=1e-3 * scale)
    learner.save(tmp_path / name)
    back = LEARNERS.get(name).load(tmp_path / name)
    kind = KINDS[LEARNERS.get(name).kind]
    np.testing.assert_allclose(kind.predict(back, problem), on_gpu, rtol=1e-6, atol=1e-7 * scale)
