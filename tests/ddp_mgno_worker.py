"""Worker of the two-process DDP test: ``torchrun --nproc_per_node 2 tests/ddp_mgno_worker.py OUT``.

Trains a tiny MgNO on seeded random fields under the gloo group; rank 0 saves the model to OUT.
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from sciml import MgNO
from sciml.core.distributed import process_group, rank


def data() -> tuple[np.ndarray, np.ndarray]:
    """Smooth-ish seeded inputs and a fixed nonlinear target map (no solver needed)."""
    rng = np.random.default_rng(0)
    u = rng.standard_normal((12, 9, 9))
    s = np.tanh(u) + 0.5 * np.roll(u, 1, axis=1) + 1.0
    return u, s


def model() -> MgNO:
    return MgNO(channels=3, layers=2, smoothing=(1, 1), epochs=3, batch_size=5, lr=1e-2, dtype="float64", seed=3)


if __name__ == "__main__":
    torch.set_num_threads(1)
    with process_group("gloo"):
        m = model().fit(*data())
        if rank() == 0:
            m.save(sys.argv[1])
