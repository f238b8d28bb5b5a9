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
import xarray as xr

from equations import Equation
from equations.errors import InvalidParameterError
from sciml.core.embeddings import PeriodicEmbedding
from sciml.core.jet_network import JetNetwork
from sciml.core.memory import NetworkSize
from sciml.core.networks import MLP
from sciml.core.params import COUNT, POSITIVE_COUNT, Constraint, choice
from sciml.core.runtime import numpy_rng, resolve_device, resolve_dtype, torch_generator
from sciml.field.config import NO_CHECKPOINTS, Checkpointing, Optimiser
from sciml.field.learner import FieldLearner
from sciml.field.lpinn_objective import LPINNObjective, lagrangian_form
from sciml.field.sampling import METHODS


class LPINN(FieldLearner):
    """Lagrangian PINN for 1D transport: ``u_t + c(x, t, u) u_x = D u_xx + s(u)``.

    Works on equations with a ``lagrangian()`` form (``convection``,
    ``burgers``). On a periodic interval the branches see ``(cos, sin)`` of the
    label, so periodicity is exact; the initial condition is exact by
    construction. On a bounded interval the wall particles keep their initial
    state, and that is the only boundary data it can impose: ``fit`` refuses
    Neumann and Robin conditions, Dirichlet conditions on part of the
    boundary or with other values, and boundary conditions on a periodic
    interval with :class:`~equations.errors.SpecMismatchError`
    (:func:`~sciml.field.lpinn_objective.check_boundary_conditions`).

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
    weights : mapping, optional
        Weights of the ``characteristic`` and ``state`` residuals (default 1).
    optimiser : Optimiser or mapping, optional
        Adam then L-BFGS and the stall rule (:class:`~sciml.field.config.Optimiser`;
        default: 2000 Adam steps decaying from 1e-3 to 1e-4, up to 1000 float64
        L-BFGS iterations, eager: the LPINN loss is not compiled).
    checkpointing : Checkpointing or mapping, optional
        Checkpoint and resume (:class:`~sciml.field.config.Checkpointing`; default: off).
    seed : int
    device, dtype
    progress : bool
    """

    name = "lpinn"
    # one characteristic field carries one transported state: a system would need characteristics per wave family
    fits_systems = False
    budgets: ClassVar[dict[str, dict[str, Any]]] = {"quick": {"adam_steps": 1000, "lbfgs_iter": 500}}
    configs: ClassVar[dict[str, Any]] = {
        "optimiser": Optimiser(adam_steps=2000, lr=1e-3, final_lr=1e-4, warmup_steps=0,
                               lbfgs_iter=1000, lbfgs_dtype="float64",
                               lbfgs_resample=False, compile=False, stall_rtol=1e-2, stall_window=1000),
        "checkpointing": NO_CHECKPOINTS,
    }
    _constraints: ClassVar[dict[str, Constraint]] = {
        "n_points": POSITIVE_COUNT, "sampling": choice(*METHODS), "resample_every": COUNT,
    }

    def __init__(
        self,
        hidden: Sequence[int] = (32, 32, 32),
        activation: str = "tanh",
        n_points: int = 2048,
        sampling: str = "sobol",
        resample_every: int = 1000,
        weights: Mapping[str, float] | None = None,
        optimiser: Optimiser | Mapping[str, Any] | None = None,
        checkpointing: Checkpointing | Mapping[str, Any] | None = None,
        seed: int = 0,
        device: str = "cpu",
        dtype: str = "float32",
        progress: bool = False,
    ):
        self.hidden = hidden
        self.activation = activation
        self.n_points = n_points
        self.sampling = sampling
        self.resample_every = resample_every
        self.weights = weights
        self._store_run_settings(optimiser, checkpointing, seed, device, dtype, progress)

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
        if points is not None:
            raise InvalidParameterError("the LPINN samples its own (label, time) points; do not pass points")
        training = fitted is None
        return LPINNObjective(
            equation, self._build_net(equation, 0), self._build_net(equation, 1),
            weights=dict(self.weights or {}), n_points=self.n_points if training else 1,
            sampling=self.sampling, rng=numpy_rng(self.seed), resample_every=self.resample_every,
        )

    def _networks(self, objective: Any) -> dict[str, JetNetwork]:
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

    def fitted_structure(self, n_labels: int = 17, n_times: int = 51) -> xr.Dataset:
        """The learned characteristics (drawn by ``comparison_figure`` over the prediction).

        Parameters
        ----------
        n_labels : int
            Particles, starting at evenly spaced labels ``x0`` across the interval.
        n_times : int
            Evenly spaced times of the paths, both ends included.

        Returns
        -------
        xarray.Dataset
            ``characteristic`` (role ``"trajectories"``): positions ``x(x0, t)``
            over ``(label, time)``, with ``attrs["position"] = "x"`` and
            ``attrs["along"] = "t"`` (and ``attrs["periodic_interval"]`` on a
            periodic interval, where the positions are not wrapped); and
            ``characteristic_state``: the state carried along each path
            (:meth:`characteristics`).
        """
        self._check_fitted()
        bounds = dict(zip(self.equation_.domain.names, self.equation_.domain.bounds))
        (x_lo, x_hi), (t_lo, t_hi) = (tuple(float(b) for b in bounds[n]) for n in ("x", "t"))
        periodic = self.equation_.domain.periodic("x")
        labels = np.linspace(x_lo, x_hi, n_labels, endpoint=not periodic)
        times = np.linspace(t_lo, t_hi, n_times)
        positions, states = self.characteristics(labels, times)
        coords = {"label": labels, "time": times}
        path_attrs: dict[str, Any] = {"role": "trajectories", "position": "x", "along": "t",
                                      "long_name": "positions x(x0, t) of the particles starting at x0"}
        if periodic:
            path_attrs["periodic_interval"] = [x_lo, x_hi]
        field = self.equation_.field
        return xr.Dataset({
            "characteristic": xr.DataArray(positions, coords, ("label", "time"), attrs=path_attrs),
            "characteristic_state": xr.DataArray(states, coords, ("label", "time"), attrs={
                "long_name": f"{field.long_name or field.name} carried along the characteristics",
                "units": field.units}),
        })
