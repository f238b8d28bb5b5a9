"""The physics-informed neural network learner."""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from equations import Equation
from equations.core import InitialVelocityCondition
from equations.errors import InvalidParameterError, SpecMismatchError
from equations.overrides import ANSATZ_INDEPENDENT, defining_class, stale_members
from equations.systems import is_system
from sciml.core.callbacks import Callback
from sciml.core.embeddings import ChainedEmbedding, Embedding, FourierFeatures, PeriodicEmbedding
from sciml.core.history import History
from sciml.core.jet_network import JetNetwork
from sciml.core.memory import NetworkSize
from sciml.core.modified_mlp import ModifiedMLP, check_uniform_widths
from sciml.core.networks import MLP
from sciml.core.params import POSITIVE, POSITIVE_COUNT, Constraint, choice, optional, real
from sciml.core.pirate_net import PirateNet
from sciml.core.runtime import numpy_rng, resolve_device, resolve_dtype, torch_generator
from sciml.field.adaptive import AAS_BETA
from sciml.field.config import NO_CHECKPOINTS, Checkpointing, Collocation, Optimiser
from sciml.field.learner import FieldLearner
from sciml.field.loss_balancing import BALANCING
from sciml.field.pinn_objective import PINNObjective
from sciml.field.time_marching import MarchedSolution, WindowEquation, handover, merge_histories, window_edges

CONSTRAINTS = ("auto", "soft", "hard")
ARCHITECTURES = ("mlp", "modified_mlp", "pirate")
EMBEDDINGS = (None, "periodic", "fourier", "periodic+fourier")


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
    architecture : {"mlp", "modified_mlp", "pirate"}
        The network family. ``"mlp"``: plain fully connected layers.
        ``"modified_mlp"`` (Wang, Teng & Perdikaris 2021): two encoders ``U``,
        ``V`` of the inputs and every hidden layer gated between them
        (:class:`~sciml.core.modified_mlp.ModifiedMLP`; equal ``hidden``
        widths). ``"pirate"`` (PirateNet, Wang et al. 2024): ``len(hidden)``
        adaptive residual blocks whose gates start at 0, so that the network
        starts as a linear model of its embedding, whose output layer is
        fitted by least squares to the initial condition (or, without one,
        to the first Dirichlet condition) before training: the
        physics-informed initialisation (:class:`~sciml.core.pirate_net.PirateNet`;
        equal ``hidden`` widths; best with ``embedding="fourier"``).
    weight_factorisation : float, optional
        Random weight factorisation (Wang, Wang & Perdikaris 2022): every
        dense weight is trained as ``diag(exp(s)) V`` with log-scales
        ``s ~ N(weight_factorisation, 0.1)`` at initialisation (JAX-PI uses
        1.0 with tanh; :mod:`sciml.core.flat_layers`). None (default): plain weights.
    embedding : {None, "periodic", "fourier", "periodic+fourier"}
        Input features (:mod:`sciml.core.embeddings`): ``"periodic"`` feeds
        ``(cos, sin)`` of each periodic coordinate, which makes the network
        exactly periodic there (the periodic penalty is then dropped);
        ``"fourier"`` appends ``fourier_features`` random Fourier features of
        scale ``fourier_sigma``; ``"periodic+fourier"`` takes the Fourier
        features of the periodic ones (exactly periodic as well).
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
    time_windows : int
        Time-marching (:mod:`sciml.field.time_marching`): the time interval
        is cut into this many equal windows, learned one after the other;
        each window's network starts from the previous window's weights and
        its initial condition is the previous window's prediction at the
        window's start. The optimiser and collocation settings apply to each
        window (the cost grows with the windows). Conditions are penalties
        (an ansatz encodes the initial data of the first window only). 1
        (default): the whole interval at once.
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
    #: the loss (a subclass with another loss, e.g. an energy, sets its own)
    objective_class: ClassVar[type[PINNObjective]] = PINNObjective
    # Burgers on 2 cores: 70-83 s, 3.5e-3 - 6.1e-3 over seeds 0-2 (validation.benchmarks.main_job); eager,
    # since a compile costs 10-60 s; 1000 Adam + 1500 L-BFGS was faster but failed seed 1 (0.10)
    budgets: ClassVar[dict[str, dict[str, Any]]] = {
        "quick": {"adam_steps": 1500, "lbfgs_iter": 2000, "resample_every": 500},
    }
    configs: ClassVar[dict[str, Any]] = {
        "collocation": Collocation(n_residual=2540, n_boundary=80, n_initial=160, sampling="sobol", resample_every=2000,
                                   adaptive="rad", rar_points=None, aas_steps=50, aas_uniform=0.2,
                                   aas_beta=AAS_BETA),
        "optimiser": Optimiser(adam_steps=15000, lr=1e-3, final_lr=1e-4, warmup_steps=0,
                               lbfgs_iter=15000, lbfgs_dtype="float64",
                               lbfgs_resample=False, compile="auto", stall_rtol=1e-2, stall_window=1000),
        "checkpointing": NO_CHECKPOINTS,
    }
    _constraints: ClassVar[dict[str, Constraint]] = {
        "architecture": choice(*ARCHITECTURES), "weight_factorisation": optional(real(-10.0, 10.0)),
        "embedding": choice(*EMBEDDINGS), "fourier_features": POSITIVE_COUNT,
        "fourier_sigma": POSITIVE, "constraints": choice(*CONSTRAINTS),
        "causal": optional(POSITIVE), "causal_slabs": POSITIVE_COUNT, "time_windows": POSITIVE_COUNT,
        "balancing": choice(*BALANCING), "balance_every": POSITIVE_COUNT, "balance_c": POSITIVE,
    }

    def __init__(
        self,
        hidden: Sequence[int] = (20, 20, 20, 20, 20, 20),
        activation: str = "tanh",
        architecture: str = "mlp",
        weight_factorisation: float | None = None,
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
        time_windows: int = 1,
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
        self.architecture = architecture
        self.weight_factorisation = weight_factorisation
        self.embedding = embedding
        self.fourier_features = fourier_features
        self.fourier_sigma = fourier_sigma
        self.constraints = constraints
        self.collocation = collocation
        self.weights = weights
        self.causal = causal
        self.causal_slabs = causal_slabs
        self.time_windows = time_windows
        self.balancing = balancing
        self.balance_every = balance_every
        self.balance_c = balance_c
        self._store_run_settings(optimiser, checkpointing, seed, device, dtype, progress)

    # -- fitting ------------------------------------------------------------------
    def fit(self, equation: Equation, points: Mapping[str, np.ndarray] | None = None,
            callbacks: Sequence[Callback] = ()) -> PINN:
        """Train on ``equation`` (window by window when ``time_windows > 1``); see :meth:`FieldLearner.fit`."""
        if self.time_windows == 1:
            return super().fit(equation, points, callbacks)
        self._check_fit(equation)
        if points is not None:
            raise InvalidParameterError("fixed collocation points cannot be combined with time_windows > 1")
        if self.constraints == "hard":
            raise InvalidParameterError("time_windows > 1 imposes the conditions as penalties: use constraints="
                                        "'soft' or 'auto' (an ansatz encodes the first window's initial data only)")
        edges = window_edges(equation, self.time_windows)
        names = equation.domain.names
        velocity = any(isinstance(c, InitialVelocityCondition) for c in equation.conditions())
        ckpt: Checkpointing = self.config("checkpointing")
        objectives: list[PINNObjective] = []
        histories: list[History] = []
        initial = None
        t0 = time.perf_counter()
        try:
            for k in range(self.time_windows):
                window = WindowEquation(equation, edges[k], edges[k + 1], initial)
                objective = self._objective(window, None)
                if objectives:  # start from the previous window's weights (its own input scaling stays)
                    with torch.no_grad():
                        objective.net.flat.copy_(objectives[-1].net.flat)
                where = str(Path(ckpt.checkpoint_dir) / f"window_{k}") if ckpt.checkpoint_dir else None
                trainer = self._trainer(self._stages(), callbacks, window.label, where)
                objectives.append(objective)
                histories.append(trainer.history)
                trainer.fit(objective)
                initial = handover(objective, names, float(edges[k + 1]), velocity)
        finally:
            if objectives:
                solution = MarchedSolution(objectives, edges[: len(objectives) + 1], names.index("t"))
                self._set_fitted(equation, solution, merge_histories(histories), time.perf_counter() - t0)
        return self

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
        if self.embedding in ("periodic", "periodic+fourier"):
            features = d + sum(domain.periodic(n) for n in domain.names)
        if self.embedding in ("fourier", "periodic+fourier"):
            features, fixed = features + 2 * self.fourier_features, fixed + self.fourier_features * features
        out, factorised = len(equation.unknowns), self.weight_factorisation is not None
        if self.architecture == "mlp":
            widths = [features, *self.hidden, out]
            return NetworkSize(MLP.count(widths, factorised), fixed, d + sum(widths))
        width, depth = check_uniform_widths(self.hidden, self.architecture)
        if self.architecture == "modified_mlp":
            n = ModifiedMLP.count(features, out, width, depth, factorised)
            return NetworkSize(n, fixed, d + features + (depth + 2) * width + out)
        n = PirateNet.count(features, out, width, depth, factorised)
        return NetworkSize(n, fixed, d + (depth + 1) * features + (2 * depth + 2) * width + out)

    def _points_per_step(self) -> int:
        points: Collocation = self.config("collocation")
        return int(points.n_residual) + int(points.n_boundary) + int(points.n_initial)

    def _build_embedding(self, equation: Equation, gen: torch.Generator) -> Embedding | None:
        domain = equation.domain
        dev, dtype = resolve_device(self.device), resolve_dtype(self.dtype)
        if self.embedding not in EMBEDDINGS:
            raise InvalidParameterError(f"embedding must be one of {EMBEDDINGS}, got {self.embedding!r}")
        if self.embedding is None:
            return None
        periodic: Embedding | None = None
        if self.embedding in ("periodic", "periodic+fourier"):
            flags = [domain.periodic(n) for n in domain.names]
            if not any(flags):
                raise InvalidParameterError(f"embedding={self.embedding!r}: equation {equation.label!r} has no "
                                            f"periodic axis")
            periodic = PeriodicEmbedding(flags)
            if self.embedding == "periodic":
                return periodic
        n_in = periodic.out_features if periodic is not None else len(domain.names)
        fourier = FourierFeatures(n_in, self.fourier_features, self.fourier_sigma, generator=gen, device=dev,
                                  dtype=dtype)
        return ChainedEmbedding(periodic, fourier) if periodic is not None else fourier

    def _build_net(self, equation: Equation) -> JetNetwork:
        domain = equation.domain
        lower, upper = zip(*domain.bounds)
        dev, dtype = resolve_device(self.device), resolve_dtype(self.dtype)
        gen = torch_generator(self.seed, dev)
        embedding = self._build_embedding(equation, gen)
        common: dict[str, Any] = dict(generator=gen, device=dev, dtype=dtype, embedding=embedding,
                      factorisation=self.weight_factorisation)
        d, out = len(domain.names), len(equation.unknowns)
        if self.architecture == "mlp":
            return MLP([d, *self.hidden, out], self.activation, lower, upper, **common)
        width, depth = check_uniform_widths(self.hidden, self.architecture)
        family = ModifiedMLP if self.architecture == "modified_mlp" else PirateNet
        return family(d, out, width, depth, self.activation, lower, upper, **common)

    def _objective(self, equation: Equation, points: Mapping[str, np.ndarray] | None,
                   fitted: Mapping[str, Any] | None = None) -> PINNObjective:
        if fitted is not None:  # a saved model: the network only, no training points
            hard = bool(fitted["hard_constraints"])
            return self.objective_class(
                equation, self._build_net(equation), hard=hard, weights={},
                collocation=replace(self.config("collocation"), n_residual=1, n_boundary=0, n_initial=0,
                                    sampling="uniform", resample_every=0, adaptive=None), rng=numpy_rng(0),
                points={"residual": np.zeros((1, len(equation.domain.names)))},
            )
        hard = self._hard(equation)
        objective = self.objective_class(
            equation, self._build_net(equation), hard=hard, weights=self.weights or {},
            collocation=self.config("collocation"), rng=numpy_rng(self.seed), points=points,
            compile=self._use_compile(), causal=self.causal, causal_slabs=self.causal_slabs,
            balancing=self.balancing, balance_every=self.balance_every, balance_c=self.balance_c,
        )
        if isinstance(objective.net, PirateNet) and not hard:
            _physics_informed_init(objective)
        return objective

    def _fitted_objective(self, equation: Equation, fitted: Mapping[str, Any]) -> PINNObjective | MarchedSolution:
        windows = int(fitted.get("time_windows", 1))
        if windows == 1:
            return self._objective(equation, None, fitted)
        edges = window_edges(equation, windows)  # a saved time-marching model: one network per window
        return MarchedSolution([self._objective(WindowEquation(equation, a, b), None, fitted)
                                for a, b in zip(edges[:-1], edges[1:])], edges, equation.domain.names.index("t"))

    def _networks(self, objective: Any) -> dict[str, JetNetwork]:
        if isinstance(objective, MarchedSolution):  # one network per time window
            return {("flat" if k == 0 else f"window_{k}"): w.net for k, w in enumerate(objective.windows)}
        assert isinstance(objective, PINNObjective)
        return {"flat": objective.net}

    def _fitted_meta(self) -> dict[str, Any]:
        windows = len(self.objective_.windows) if isinstance(self.objective_, MarchedSolution) else 1
        return {"hard_constraints": self.hard_constraints_, "time_windows": windows}

    def _set_fitted(self, eq: Equation, objective: Any, history: History, seconds: float) -> None:
        super()._set_fitted(eq, objective, history, seconds)
        assert isinstance(objective, (PINNObjective, MarchedSolution))
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
        assert isinstance(objective, (PINNObjective, MarchedSolution))
        out = []
        with torch.no_grad():
            for k in range(0, len(x), batch_size):
                xt = torch.as_tensor(x[k : k + batch_size], dtype=self.model_.flat.dtype,
                                     device=self.model_.flat.device)
                out.append(objective.value(xt).cpu().numpy())
        if not out:
            return np.zeros((0, len(self.equation_.unknowns)) if is_system(self.equation_) else 0)
        return np.concatenate(out)


def _physics_informed_init(objective: PINNObjective, times: int = 8) -> None:
    """Fit a PirateNet's output layer to the initial data, or else to the first Dirichlet condition's.

    The initial data is fitted as a state held constant over the time
    interval (at ``times`` evenly spaced times): fitted at ``t = 0`` alone, the
    least-squares weights are free to vary wildly in time, which the residual
    then has to undo.
    """
    net = objective.net
    assert isinstance(net, PirateNet)
    for key in ("initial", *objective.slices):
        if key in objective.targets and key in objective.columns and key != "initial_velocity":
            x, y = objective.x[key], objective.targets[key]
            y = y if y.ndim == 2 else y[:, None]
            if key == "initial":
                k = objective.names.index("t")
                t0, t1 = objective.eq.domain.bounds[k]
                copies = []
                for t in torch.linspace(float(t0), float(t1), times, dtype=x.dtype, device=x.device):
                    xt = x.clone()
                    xt[:, k] = t
                    copies.append(xt)
                x, y = torch.cat(copies), y.repeat(times, 1)
            net.fit_output(x, y, objective.columns[key])
            return
