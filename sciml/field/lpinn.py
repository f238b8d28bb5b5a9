"""The Lagrangian PINN learner (Mojgani, Balajewicz & Hassanzadeh): PINNs on the characteristics.

See :mod:`sciml.field.lpinn_objective` for the two branches, the ansatz and the
residuals. Predictions are made in the Eulerian frame, so ``compare`` treats an
LPINN like any other field learner: each requested ``(x, t)`` is traced back to
the label of the particle that is there (:meth:`LPINNObjective.labels_of`,
bracketed Newton on the learned map, no scattered-data interpolation) and the
state branch is evaluated on that label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch

from equations import Equation
from equations.errors import InvalidParameterError
from sciml.core.embeddings import PeriodicEmbedding
from sciml.core.memory import NetworkSize
from sciml.core.networks import MLP
from sciml.core.params import POSITIVE_COUNT, Constraint
from sciml.core.runtime import numpy_rng, resolve_device, resolve_dtype, torch_generator
from sciml.core.training import Objective
from sciml.field.learner import FieldLearner
from sciml.field.lpinn_objective import LPINNObjective, lagrangian_form
from sciml.field.sampling import METHODS


class LPINN(FieldLearner):
    """Lagrangian PINN for 1D transport: ``u_t + c(x, t, u) u_x = D u_xx + s(u)``.

    Works on equations with a ``lagrangian()`` form (``convection``,
    ``burgers``). On a periodic interval the branches see ``(cos, sin)`` of the
    label, so periodicity is exact; the initial condition is exact by
    construction.

    Parameters
    ----------
    hidden : sequence of int
        Hidden widths of each branch (the position and the state branch).
    activation : str
    n_points : int
        Label/time collocation points ``(x0, t)``.
    sampling : {"sobol", "uniform", "halton", "lhs"}
    resample_every : int
        Redraw the points every this many Adam steps (0: never).
    lbfgs_resample : bool
        Keep redrawing during L-BFGS (restarting it each time).
    weights : mapping, optional
        Weights of the ``characteristic`` and ``state`` residuals (default 1).
    adam_steps, lr, final_lr, lbfgs_iter, lbfgs_dtype
        Optimiser stages, as for :class:`sciml.PINN`.
    seed : int
    device, dtype
    compile : bool or "auto"
        Accepted for a uniform interface; the LPINN loss runs eagerly.
    progress : bool
    checkpoint_dir, checkpoint_every, resume
        Checkpoint during training (every ``checkpoint_every`` Adam steps and at
        each stage's end) and continue a killed run.
    stall_rtol, stall_window
        Stopping rule for stalled optimisation, as for :class:`sciml.PINN`.
    """

    name = "lpinn"
    budgets: ClassVar[dict[str, dict[str, Any]]] = {"quick": {"adam_steps": 1000, "lbfgs_iter": 500}}
    _constraints: ClassVar[dict[str, Constraint]] = {"n_points": POSITIVE_COUNT}

    def __init__(
        self,
        hidden: Sequence[int] = (32, 32, 32),
        activation: str = "tanh",
        n_points: int = 2048,
        sampling: str = "sobol",
        resample_every: int = 1000,
        lbfgs_resample: bool = False,
        weights: Mapping[str, float] | None = None,
        adam_steps: int = 2000,
        lr: float = 1e-3,
        final_lr: float | None = 1e-4,
        lbfgs_iter: int = 1000,
        lbfgs_dtype: str | None = "float64",
        seed: int = 0,
        device: str = "cpu",
        dtype: str = "float32",
        compile: bool | str = False,
        progress: bool = False,
        checkpoint_dir: str | None = None,
        checkpoint_every: int = 1000,
        resume: bool = False,
        stall_rtol: float | None = 1e-2,
        stall_window: int = 1000,
    ):
        self.hidden = hidden
        self.activation = activation
        self.n_points = n_points
        self.sampling = sampling
        self.resample_every = resample_every
        self.lbfgs_resample = lbfgs_resample
        self.weights = weights
        self.adam_steps = adam_steps
        self.lr = lr
        self.final_lr = final_lr
        self.lbfgs_iter = lbfgs_iter
        self.lbfgs_dtype = lbfgs_dtype
        self.seed = seed
        self.device = device
        self.dtype = dtype
        self.compile = compile
        self.progress = progress
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.resume = resume
        self.stall_rtol = stall_rtol
        self.stall_window = stall_window

    def _network_size(self, equation: Equation) -> NetworkSize:
        # two branches on (label, t); a periodic label is fed as (cos, sin)
        widths = [2 + int(equation.domain.periodic("x")), *self.hidden, 1]
        one = NetworkSize(MLP.count(widths), 4, 2 + sum(widths))
        return one + one

    def _points_per_step(self) -> int:
        return int(self.n_points)

    def _build_net(self, equation: Equation, branch: int) -> MLP:
        domain = equation.domain
        lower, upper = zip(*domain.bounds)
        dev = resolve_device(self.device)
        periodic = domain.periodic("x")
        return MLP(
            [2, *self.hidden, 1], self.activation, lower, upper,
            generator=torch_generator(self.seed + branch, dev), device=dev, dtype=resolve_dtype(self.dtype),
            embedding=PeriodicEmbedding((True, False)) if periodic else None,
        )

    def _objective(self, equation: Equation, points: Mapping[str, np.ndarray] | None,
                   fitted: Mapping[str, Any] | None = None) -> LPINNObjective:
        lagrangian_form(equation)  # a clear error for equations without one, before building networks
        if self.sampling not in METHODS:
            raise InvalidParameterError(f"sampling must be one of {METHODS}, got {self.sampling!r}")
        if points is not None:
            raise InvalidParameterError("the LPINN samples its own (label, time) points; do not pass points")
        training = fitted is None
        return LPINNObjective(
            equation, self._build_net(equation, 0), self._build_net(equation, 1),
            weights=dict(self.weights or {}), n_points=self.n_points if training else 1,
            sampling=self.sampling, rng=numpy_rng(self.seed), resample_every=self.resample_every,
        )

    def _networks(self, objective: Objective) -> dict[str, MLP]:
        assert isinstance(objective, LPINNObjective)
        return {"position": objective.position_net, "state": objective.state_net}

    # -- prediction ---------------------------------------------------------------
    def predict(self, points: np.ndarray, batch_size: int = 65536) -> np.ndarray:
        """The Eulerian solution at ``points`` (shape ``(n, 2)``, columns ``x, t``)."""
        x = self._checked_points(points)
        obj: LPINNObjective = self.objective_  # type: ignore[assignment]
        out = []
        for k in range(0, len(x), batch_size):
            chunk = x[k : k + batch_size]
            labels = obj.labels_of(chunk[:, 0], chunk[:, 1])
            p = torch.as_tensor(np.column_stack([labels, chunk[:, 1]]), dtype=obj.dtype,
                                device=obj.position_net.flat.device)
            out.append(obj.values(p)[1].cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0)

    def characteristics(self, labels: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions and states ``(len(labels), len(times))`` of the particles starting at ``labels``."""
        self._check_fitted()
        obj: LPINNObjective = self.objective_  # type: ignore[assignment]
        x0, t = np.meshgrid(np.asarray(labels, float), np.asarray(times, float), indexing="ij")
        p = torch.as_tensor(np.column_stack([x0.ravel(), t.ravel()]), dtype=obj.dtype,
                            device=obj.position_net.flat.device)
        pos, state = obj.values(p)
        return pos.cpu().numpy().reshape(x0.shape), state.cpu().numpy().reshape(x0.shape)
