"""Data-parallel operator training: two gloo processes under torchrun match one process on the same batches."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from sciml import MgNO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from ddp_mgno_worker import data, model  # noqa: E402


def test_two_process_training_matches_one_process(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(ROOT / "tests" / "ddp_mgno_worker.py"), str(tmp_path / "ddp")]
    run = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    two = MgNO.load(tmp_path / "ddp")
    one = model().fit(*data())
    # 12 samples, batch 5: two steps an epoch, ranks get 3 + 2 samples (uneven slices, weighted)
    assert len(two.history_.loss) == len(one.history_.loss) == 6
    np.testing.assert_allclose(two.history_.loss, one.history_.loss, rtol=1e-10)
    for (k, a), b in zip(one.net_.state_dict().items(), two.net_.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12, msg=k)
    u, _ = data()
    np.testing.assert_allclose(two.predict(u), one.predict(u), rtol=1e-9, atol=1e-12)
