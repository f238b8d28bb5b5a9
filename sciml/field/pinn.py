"""The physics-informed neural network learner."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import torch

from equations import Equation
from equations.errors import InvalidParameterError, SpecMismatchError
from equations.overrides import ANSATZ_INDEPENDENT, defining_class, stale_members
from equations.systems import is_system
from sciml.core.embeddings import Embedding, FourierFeatures, PeriodicEmbedding
from sciml.core.history import History
from sciml.core.memory import NetworkSize
from sciml.core.networks import MLP
from sciml.core.params import POSITIVE, POSITIVE_COUNT, Constraint, choice, optional
from sciml.core.runtime import numpy_rng, resolve_device, resolve_dtype, torch_generator
from sciml.core.training import Objective
from sciml.field.config import NO_CHECKPOINTS, Checkpointing, Collocation, Optimiser
from sciml.field.learner import FieldLearner
from sciml.field.loss_balancing import BALANCING
from sciml.field.pinn_objective import PINNObjective

CONSTRAINTS = ("auto", "soft", "hard")


class PINN(FieldLearner):
    """Physics-informed neural network for one PDE instance.

    The default recipe is what the Burgers benchmark in ``BENCHMARKS.md``
    measures: a 6 x 20 tanh network, hard constraints where the equation offers
    an ansatz, Sobol points redrawn by residual density (RAD) every 2000 Adam
    steps, 15000 Adam steps with the learning rate decaying from 1e-3 to 1e-4,
    then up to 15000 float64 L-BFGS iterations; long runs are compiled.

    Parameters
    ----------
    hidden : sequence of int
        Hidden layer widths.
    activation : str
        ``"tanh"``, ``"sin"`` or ``"sigmoid"``.
    embedding : {None, "periodic", "fourier"}
        Input features (:mod:`sciml.core.embeddings`): ``"periodic"`` feeds
        ``(cos, sin)`` of each periodic coordinate, which makes the network
        exactly periodic there (the periodic penalty is then dropped);
        ``"fourier"`` appends ``fourier_features`` random Fourier features of
        scale ``fourier_sigma``.
    fourier_features, fourier_sigma
        Size and scale of the Fourier feature embedding.
    constraints : {"auto", "soft", "hard"}
        How conditions are imposed: penalty terms (soft), the equation's ansatz
        ``u = g + d * N`` (hard), or hard when the equation has an ansatz (auto).
        Every boundary condition of ``conditions()`` is a penalty term of its
        own on its own points (``boundary`` for the first, ``boundary_1``,
        ``boundary_2``... for the next ones; ``n_boundary`` points each, on
        the part of the boundary its ``where`` selects): ``(u - g)^2`` for a
        Dirichlet, ``(du/dn - g)^2`` for a Neumann and
        ``(alpha u + beta du/dn - g)^2`` for a Robin condition, ``n`` the
        outward unit normal. An ansatz imposes values only, so with hard
        constraints the Neumann and Robin terms stay (soft, on the ansatz).
    collocation : Collocation or mapping, optional
        Points per set, how they are drawn and redrawn, adaptive placement
        (:class:`~sciml.field.config.Collocation`; default: 2540 residual, 80
        boundary, 160 initial Sobol points, RAD every 2000 steps).
    optimiser : Optimiser or mapping, optional
        Adam then L-BFGS, compilation and the stall rule
        (:class:`~sciml.field.config.Optimiser`; default: 15000 Adam steps
        decaying from 1e-3 to 1e-4, up to 15000 float64 L-BFGS iterations,
        compiled when long).
    checkpointing : Checkpointing or mapping, optional
        Checkpoint and resume (:class:`~sciml.field.config.Checkpointing`; default: off).
    weights : mapping, optional
        Loss weights per part (``residual``, ``initial``, ``initial_velocity``,
        ``boundary``, ``boundary_1``..., ``periodic``; default 1).
    causal : float, optional
        Causal training for evolution equations (Wang, Sankaran & Perdikaris
        2022): the residual points are split into ``causal_slabs`` equal time
        slabs and the residual loss is ``mean_i(w_i L_i)`` with ``L_i`` the mean
        squared residual of slab ``i`` and ``w_i = exp(-causal * sum_{k<i} L_k)``
        (computed without gradient), so later times are fitted once earlier
        ones are. None (default) is off; the value is ``eps`` (> 0). The
        smallest weight is recorded in the history as ``causal_min_weight``
        (near 1: causality is respected everywhere).
    causal_slabs : int
        Number of time slabs for ``causal`` (recomputed when points are redrawn).
    balancing : {None, "gradnorm", "loss_change"}
        Adaptive weights ``lambda_i`` of the loss parts, updated every
        ``balance_every`` Adam steps (from step 0) and frozen during L-BFGS,
        which needs a fixed objective. ``"gradnorm"`` (learning-rate annealing,
        Wang, Teng & Perdikaris 2021): the residual keeps weight 1 and each
        other part gets ``lambda_hat = max|grad L_residual| / mean|grad L_i|``
        (gradients over all network parameters), smoothed as
        ``lambda <- 0.9 lambda + 0.1 lambda_hat``. ``"loss_change"`` (the
        singular-ODE weighting): every part gets
        ``lambda_i = n exp(c dL_i) / sum_j exp(c dL_j)`` with
        ``dL_i = L_i / L_i(previous update) - 1`` and ``c = balance_c``, so the
        lambdas sum to the number of parts ``n`` and the slowest-falling part
        weighs most. The total is ``sum_i weights_i lambda_i L_i``; the lambdas
        are recorded in the history as ``lambda_<part>``.
    balance_every : int
        Steps between balancing updates.
    balance_c : float
        Sharpness ``c`` of ``"loss_change"``.
    seed : int
        Seeds the weights and the point sampling.
    device, dtype
        Where and in which precision the network lives (float32 by default).
    progress : bool
        Show a tqdm progress bar.
    """

    name = "pinn"
    # Burgers on 2 cores: 70-83 s, 3.5e-3 - 6.1e-3 over seeds 0-2 (validation.benchmarks.main_job); eager,
    # since a compile costs 10-60 s; 1000 Adam + 1500 L-BFGS was faster but failed seed 1 (0.10)
    budgets: ClassVar[dict[str, dict[str, Any]]] = {
        "quick": {"adam_steps": 1500, "lbfgs_iter": 2000, "resample_every": 500},
    }
    configs: ClassVar[dict[str, Any]] = {
        "collocation": Collocation(n_residual=2540, n_boundary=80, n_initial=160, sampling="sobol", resample_every=2000,
                                   adaptive="rad", rar_points=None, aas_steps=300, aas_uniform=0.2),
        "optimiser": Optimiser(adam_steps=15000, lr=1e-3, final_lr=1e-4, warmup_steps=0,
                               lbfgs_iter=15000, lbfgs_dtype="float64",
                               lbfgs_resample=False, compile="auto", stall_rtol=1e-2, stall_window=1000),
        "checkpointing": NO_CHECKPOINTS,
    }
    _constraints: ClassVar[dict[str, Constraint]] = {
        "embedding": choice(None, "periodic", "fourier"), "fourier_features": POSITIVE_COUNT,
        "fourier_sigma": POSITIVE, "constraints": choice(*CONSTRAINTS),
        "causal": optional(POSITIVE), "causal_slabs": POSITIVE_COUNT, "balancing": choice(*BALANCING),
        "balance_every": POSITIVE_COUNT, "balance_c": POSITIVE,
    }

    def __init__(
        self,
        hidden: Sequence[int] = (20, 20, 20, 20, 20, 20),
        activation: str = "tanh",
        embedding: str | None = None,
        fourier_features: int = 64,
        fourier_sigma: float = 1.0,
        constraints: str = "auto",
        collocation: Collocation | Mapping[str, Any] | None = None,
        optimiser: Optimiser | Mapping[str, Any] | None = None,
        checkpointing: Checkpointing | Mapping[str, Any] | None = None,
        weights: Mapping[str, float] | None = None,
        causal: float | None = None,
        causal_slabs: int = 32,
        balancing: str | None = None,
        balance_every: int = 100,
        balance_c: float = 1.0,
        seed: int = 0,
        device: str = "cpu",
        dtype: str = "float32",
        progress: bool = False,
    ):
        self.hidden = hidden
        self.activation = activation
        self.embedding = embedding
        self.fourier_features = fourier_features
        self.fourier_sigma = fourier_sigma
        self.constraints = constraints
        self.collocation = collocation
        self.weights = weights
        self.causal = causal
        self.causal_slabs = causal_slabs
        self.balancing = balancing
        self.balance_every = balance_every
        self.balance_c = balance_c
        self._store_run_settings(optimiser, checkpointing, seed, device, dtype, progress)

    # -- fitting ------------------------------------------------------------------
    def _hard(self, equation: Equation) -> bool:
        """Validate the settings; whether the conditions are imposed by the equation's ansatz."""
        if self.constraints not in CONSTRAINTS:
            raise InvalidParameterError(f"constraints must be one of {CONSTRAINTS}, got {self.constraints!r}")
        if is_system(equation):  # an ansatz u = g + d * N is stated for one field
            if self.constraints == "hard":
                raise SpecMismatchError(f"{equation.label} is a system of {len(equation.unknowns)} fields: hard "
                                        f"constraints are for one field; use constraints='soft'")
            return False
        has_ansatz = equation.ansatz(
            {n: np.zeros(1) for n in equation.domain.names}
        ) is not None
        stale = stale_members(type(equation), "ansatz", ANSATZ_INDEPENDENT) if has_ansatz else ()
        if stale:  # a subclass changed what the inherited ansatz encodes: it would impose the parent's conditions
            message = (f"{type(equation).__name__} redefines {', '.join(stale)} but inherits the ansatz of "
                       f"{defining_class(type(equation), 'ansatz').__name__}")  # type: ignore[union-attr]
            if self.constraints == "hard":
                raise SpecMismatchError(f"{message}; define ansatz() for it or use constraints='soft'")
            if self.constraints == "auto":
                warnings.warn(f"{message}: imposing the conditions as penalties (constraints='soft')", stacklevel=3)
            has_ansatz = False
        if self.constraints == "hard" and not has_ansatz:
            raise InvalidParameterError(
                f"equation {equation.label!r} has no hard-constraint ansatz; use constraints='soft'"
            )
        return self.constraints == "hard" or (self.constraints == "auto" and has_ansatz)

    def _network_size(self, equation: Equation) -> NetworkSize:
        domain = equation.domain
        d = len(domain.names)
        features, fixed = d, 2 * d  # inputs; the input shift and scale
        if self.embedding == "periodic":
            features = d + sum(domain.periodic(n) for n in domain.names)
        elif self.embedding == "fourier":
            features, fixed = d + 2 * self.fourier_features, fixed + self.fourier_features * d
        widths = [features, *self.hidden, len(equation.unknowns)]
        return NetworkSize(MLP.count(widths), fixed, d + sum(widths))

    def _points_per_step(self) -> int:
        points: Collocation = self.config("collocation")
        return int(points.n_residual) + int(points.n_boundary) + int(points.n_initial)

    def _build_net(self, equation: Equation) -> MLP:
        domain = equation.domain
        lower, upper = zip(*domain.bounds)
        dev, dtype = resolve_device(self.device), resolve_dtype(self.dtype)
        gen = torch_generator(self.seed, dev)
        embedding: Embedding | None = None
        if self.embedding == "periodic":
            periodic = [domain.periodic(n) for n in domain.names]
            if not any(periodic):
                raise InvalidParameterError(f"embedding='periodic': equation {equation.label!r} has no periodic axis")
            embedding = PeriodicEmbedding(periodic)
        elif self.embedding == "fourier":
            embedding = FourierFeatures(len(domain.names), self.fourier_features, self.fourier_sigma,
                                        generator=gen, device=dev, dtype=dtype)
        elif self.embedding is not None:
            raise InvalidParameterError(f"embedding must be None, 'periodic' or 'fourier', got {self.embedding!r}")
        return MLP([len(domain.names), *self.hidden, len(equation.unknowns)], self.activation, lower, upper,
                   generator=gen, device=dev, dtype=dtype, embedding=embedding)

    def _objective(self, equation: Equation, points: Mapping[str, np.ndarray] | None,
                   fitted: Mapping[str, Any] | None = None) -> PINNObjective:
        if fitted is not None:  # a saved model: the network only, no training points
            hard = bool(fitted["hard_constraints"])
            return PINNObjective(
                equation, self._build_net(equation), hard=hard, weights={},
                collocation=replace(self.config("collocation"), n_residual=1, n_boundary=0, n_initial=0,
                                    sampling="uniform", resample_every=0, adaptive=None), rng=numpy_rng(0),
                points={"residual": np.zeros((1, len(equation.domain.names)))},
            )
        hard = self._hard(equation)
        return PINNObjective(
            equation, self._build_net(equation), hard=hard, weights=self.weights or {},
            collocation=self.config("collocation"), rng=numpy_rng(self.seed), points=points,
            compile=self._use_compile(), causal=self.causal, causal_slabs=self.causal_slabs,
            balancing=self.balancing, balance_every=self.balance_every, balance_c=self.balance_c,
        )

    def _networks(self, objective: Objective) -> dict[str, MLP]:
        assert isinstance(objective, PINNObjective)
        return {"flat": objective.net}

    def _fitted_meta(self) -> dict[str, Any]:
        return {"hard_constraints": self.hard_constraints_}

    def _set_fitted(self, eq: Equation, objective: Objective, history: History, seconds: float) -> None:
        super()._set_fitted(eq, objective, history, seconds)
        assert isinstance(objective, PINNObjective)
        self.model_ = objective.net
        self.hard_constraints_ = objective.hard

    # -- prediction ---------------------------------------------------------------
    def predict(self, points: np.ndarray, batch_size: int = 65536) -> np.ndarray:
        """The solution at ``points`` (shape ``(n, d)``, coordinates in ``equation.domain.names`` order).

        Returns ``(n,)`` values, or ``(n, fields)`` for a system (columns in
        ``equation.unknowns`` order).
        """
        x = self._checked_points(points)
        objective = self.objective_
        assert isinstance(objective, PINNObjective)
        out = []
        with torch.no_grad():
            for k in range(0, len(x), batch_size):
                xt = torch.as_tensor(x[k : k + batch_size], dtype=self.model_.flat.dtype,
                                     device=self.model_.flat.device)
                out.append(objective.value(xt).cpu().numpy())
        if not out:
            return np.zeros((0, len(self.equation_.unknowns)) if is_system(self.equation_) else 0)
        return np.concatenate(out)
