"""MgNO (He et al., 2024): neural operator layers whose linear parts are multigrid V-cycles.

    model = MgNO(channels=24, layers=5, smoothing=(1, 1, 1, 1, 1, 2), epochs=100).fit(train)
    u = model.predict(test)                  # any grid the levels fit, e.g. 85×85 after 64×64

>>> MgNO(epochs=1).smoothing
(1, 1, 1, 1, 1, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch

from equations.errors import check_choice
from sciml.core.params import BOOLEAN, POSITIVE_COUNT, WIDTHS, Constraint, choice
from sciml.core.runtime import torch_generator
from sciml.operators.grid.layers import PADDINGS, MgNONet
from sciml.operators.grid.learner import GridOperatorLearner


class MgNO(GridOperatorLearner):
    """Multigrid neural operator for fields on a 2-D grid, scikit-learn style.

    Parameters
    ----------
    channels : int
        Channels of ``u`` on every level (24 in the paper's Darcy network).
    layers : int
        Nonlinear layers ``σ(MgConv(u) + Conv1×1(u))``; the first lifts the
        input to ``channels``, a bias-free 1×1 convolution projects at the end.
    smoothing : sequence of int
        Smoothing iterations per multigrid level, fine to coarse; its length is
        the number of levels (the coarsest level must keep >= 2×2 nodes).
    padding : {"zeros", "circular", "reflect"}
        Boundary condition of every convolution: Dirichlet, periodic, Neumann-like.
    restrict_residual : bool
        Restrict ``f - A u`` instead of ``f``.
    **options
        Training, device and checkpoint settings of
        :class:`~sciml.operators.grid.learner.GridOperatorLearner` (``epochs``,
        ``batch_size``, ``lr``, ``schedule``, ``loss``, ``seed``, ``dtype``...).
    """

    name: ClassVar[str] = "mgno"
    channels_last: ClassVar[bool] = True
    _constraints: ClassVar[dict[str, Constraint]] = {
        "channels": POSITIVE_COUNT, "layers": POSITIVE_COUNT, "smoothing": WIDTHS, "padding": choice(*PADDINGS),
        "restrict_residual": BOOLEAN,
    }

    def __init__(self, channels: int = 24, layers: int = 5, smoothing: Sequence[int] = (1, 1, 1, 1, 1, 2),
                 padding: str = "zeros", restrict_residual: bool = False, **options: Any):
        self.channels = channels
        self.layers = layers
        # a tuple as documented; anything else is kept as given, for _validate_params to name
        self.smoothing = tuple(smoothing) if isinstance(smoothing, (list, tuple, np.ndarray)) else smoothing
        self.padding = padding
        self.restrict_residual = restrict_residual
        options.setdefault("lr", 5e-4)
        super().__init__(**options)

    def _parameter_count(self, c_in: int) -> int:
        return MgNONet.count(c_in, 1, self.channels, self.layers, self.smoothing, self.restrict_residual)

    def _network(self, c_in: int, device: torch.device, dtype: torch.dtype) -> torch.nn.Module:
        check_choice("padding", self.padding, PADDINGS)
        return MgNONet(c_in, 1, self.channels, self.layers, self.smoothing, self.padding,
                       torch_generator(self.seed, device), device, dtype, self.restrict_residual)
