r"""The neural conjugate-direction method (DCDM): training and use of the network as a solver.

:class:`NeuralCG` holds the hyperparameters (scikit-learn style); ``fit`` trains
:class:`sciml.accelerators.neural_cg.net.DCDMNet` on right-hand sides from the Ritz vectors
of the given training systems (:mod:`sciml.accelerators.neural_cg.data`), optionally mixed
with the problem family's own random right-hand sides (``rhs_mix``), with the
scale-free loss :func:`dcdm_loss`; ``solve`` runs
:func:`solvers.krylov.conjugate_directions` with the network's
output as search direction; ``preconditioner`` wraps it as a (nonlinear)
``LinearOperator`` for flexible CG. Residuals are scaled to unit RMS before
the network sees them, so one network serves every grid size and residual
size. Save/load: safetensors + JSON, no pickle.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.linalg import LinearOperator

from equations.errors import (
    InvalidDataError,
    TrainingDivergedError,
    check_integer,
)
from sciml.accelerators.neural_cg.data import family_rhs, mixed_rhs, ritz_vectors
from sciml.accelerators.neural_cg.net import DCDMNet
from sciml.core.checkpoint import MALFORMED_CONFIG, bundle_header, bundle_tensors, save_bundle, tensors_file_bytes
from sciml.core.memory import NetworkSize, check_network, check_saved
from sciml.core.params import (
    BOOLEAN,
    COUNT,
    DEVICE,
    DTYPE,
    FRACTION,
    NON_NEGATIVE,
    POSITIVE,
    POSITIVE_COUNT,
    SEED,
    Constraint,
    choice,
    sequence_of,
    validate,
)
from sciml.core.runtime import dtype_name, numpy_rng, resolve_device, resolve_dtype
from solvers.krylov import KrylovInfo, conjugate_directions
from solvers.pressure_poisson import PoissonSystem

# rhs_trajectory: pool refresh period (steps), solves per training system, iterations per solve
TRAJECTORY_REFRESH, TRAJECTORY_RUNS, TRAJECTORY_ITERATIONS = 50, 4, 30


def dcdm_loss(A: torch.Tensor, b: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    r"""Mean over the batch of ``||b - alpha A f||^2 / ||b||^2`` with ``alpha = f . b / f . A f``.

    ``alpha`` is the exact line-search step along ``f``, so the loss does not
    change when ``f`` is scaled and is zero for ``f = A^{-1} b``. ``A`` is a
    (sparse) ``(N, N)`` tensor, ``b`` and ``f`` are ``(N, batch)``.
    """
    af = A @ f
    alpha = (f * b).sum(0) / (f * af).sum(0)
    return ((b - alpha * af) ** 2).sum(0).div((b * b).sum(0)).mean()


def torch_matrix(A: sp.spmatrix, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """A SciPy sparse matrix as a coalesced torch sparse COO tensor."""
    coo = sp.coo_matrix(A)
    index = torch.as_tensor(np.vstack((coo.row, coo.col)), dtype=torch.int64)
    return torch.sparse_coo_tensor(index, torch.as_tensor(coo.data), size=coo.shape, dtype=dtype, device=device,
                                   check_invariants=False).coalesce()


class NeuralCG:
    """Deep Conjugate Direction Method for pressure-Poisson systems.

    Parameters
    ----------
    channels, levels, pairs, coarse_pairs, recursive, gain, upsample
        Network shape (see :class:`sciml.accelerators.neural_cg.net.DCDMNet`).
    k : int
        Previous directions each new one is ``A``-orthogonalised against.
    lanczos_steps : int
        Lanczos steps per training matrix (Ritz vectors of the training data).
    low, weight : float
        The lowest ``low * m`` Ritz coefficients are scaled by ``weight``
        (the paper: 0.55 and 9; see :func:`sciml.accelerators.neural_cg.data.sample_rhs`).
    rhs_mix : float
        Fraction (in ``[0, 1]``) of each training batch drawn from the problem
        family's own seeded right-hand sides on the training layout (smooth
        fields and divergences of smooth velocities at random correlation
        lengths, :func:`sciml.accelerators.neural_cg.data.family_rhs`) instead of the Ritz
        vectors; ``0`` is the paper's recipe (the default), ``1`` skips the
        Lanczos runs. Nothing is solved either way.
    rhs_lengths : tuple of float
        Range of the correlation lengths (domain fractions) of those fields.
    rhs_trajectory : float
        Fraction (in ``[0, 1]``, with ``rhs_mix`` at most 1 in all) of each
        batch drawn from the residuals the conjugate-direction solver itself
        meets with the current network: every :data:`TRAJECTORY_REFRESH` steps,
        :data:`TRAJECTORY_RUNS` family right-hand sides per training system
        are solved for :data:`TRAJECTORY_ITERATIONS` iterations and the
        residuals the network was given are pooled (unit norm). Costs about
        ``TRAJECTORY_RUNS * TRAJECTORY_ITERATIONS`` network evaluations per
        system per refresh; ``0`` (default) switches it off.
    batch_size, steps, lr : int, int, float
        Adam minibatch size, steps and learning rate (cosine decay to 0).
    seed : int
        Seeds the weights, the Lanczos start vectors and the training batches.
    device, dtype : str
        Torch device and precision of the network (float32 default).
    """

    _constraints: ClassVar[dict[str, Constraint]] = {
        "channels": POSITIVE_COUNT, "levels": COUNT, "pairs": COUNT, "coarse_pairs": COUNT, "recursive": BOOLEAN,
        "gain": POSITIVE, "upsample": choice("nearest", "bilinear"), "k": POSITIVE_COUNT,
        "lanczos_steps": POSITIVE_COUNT, "low": FRACTION, "weight": NON_NEGATIVE, "rhs_mix": FRACTION,
        "rhs_lengths": Constraint(lambda v: sequence_of(POSITIVE, length=2)(v) and v[0] <= v[1],
                                  "two numbers 0 < low <= high"),
        "rhs_trajectory": FRACTION, "batch_size": POSITIVE_COUNT, "steps": POSITIVE_COUNT, "lr": NON_NEGATIVE,
        "seed": SEED, "device": DEVICE, "dtype": DTYPE,
    }

    def __init__(self, channels: int = 16, levels: int = 3, pairs: int = 1, coarse_pairs: int = 1,
                 recursive: bool = False, gain: float = 1.0, upsample: str = "nearest", *, k: int = 2,
                 lanczos_steps: int = 400,
                 low: float = 0.55, weight: float = 9.0, rhs_mix: float = 0.0,
                 rhs_lengths: tuple[float, float] = (0.02, 0.2), rhs_trajectory: float = 0.0,
                 batch_size: int = 16, steps: int = 500, lr: float = 2e-3,
                 seed: int = 0, device: str = "cpu", dtype: str = "float32"):
        validate("NeuralCG", {k: v for k, v in locals().items() if k in self._constraints}, self._constraints)
        self.channels, self.levels, self.pairs, self.coarse_pairs = channels, levels, pairs, coarse_pairs
        self.recursive, self.gain, self.upsample, self.low, self.weight = recursive, gain, upsample, low, weight
        self.rhs_mix, self.rhs_lengths = rhs_mix, (float(rhs_lengths[0]), float(rhs_lengths[1]))
        self.rhs_trajectory = rhs_trajectory
        self.k, self.lanczos_steps, self.batch_size, self.steps, self.lr = k, lanczos_steps, batch_size, steps, lr
        self.seed, self.device, self.dtype = seed, device, dtype

    def _net(self, training: bool = True) -> DCDMNet:
        """The network; :class:`~equations.errors.ResourceError` first if it would not fit in memory."""
        check_network("the NeuralCG network", NetworkSize(self._parameter_count()), self.dtype, training=training)
        return DCDMNet(self.channels, self.levels, self.pairs, self.coarse_pairs, self.recursive,
                       gain=self.gain, upsample=self.upsample, seed=self.seed,
                       device=self.device, dtype=self.dtype)

    def _parameter_count(self) -> int:
        """Numbers in the network's state dict, counted before it is built."""
        return DCDMNet.count(self.channels, self.levels, self.pairs, self.coarse_pairs, self.gain)

    def fit(self, systems: Sequence[PoissonSystem], steps: int | None = None,
            log: Callable[[str], None] | None = None, warm_start: bool = False) -> NeuralCG:
        """Train on Ritz-vector (and, with ``rhs_mix``, family) right-hand sides of ``systems``.

        Round robin, one system per step.

        ``warm_start=True`` continues from the fitted network (e.g. a second
        stage with more weight on the low end, ``low`` smaller, or with
        ``rhs_mix > 0``) and appends to ``history_``. Each call's ``steps``,
        ``lr``, ``rhs_mix``, ``low`` and ``weight`` are appended to
        ``stages_`` (saved in the model's meta).
        """
        if not systems:
            raise InvalidDataError("fit needs at least one training system")
        steps = check_integer("steps", self.steps if steps is None else steps, 1)
        n_traj = round(self.rhs_trajectory * self.batch_size)
        n_rest = self.batch_size - n_traj
        n_fam = round(self.rhs_mix * self.batch_size)
        if n_fam > n_rest:
            raise InvalidDataError(f"rhs_mix + rhs_trajectory must be at most 1, got {self.rhs_mix} and "
                                   f"{self.rhs_trajectory}")
        dev, dt = resolve_device(self.device), resolve_dtype(self.dtype)
        rng = numpy_rng(self.seed)
        start = time.perf_counter()
        data = []
        for s in systems:
            vectors = None if n_fam == n_rest else ritz_vectors(s.matrix, self.lanczos_steps, rng)[1]
            h2 = s.spec.spacing**2  # grid units keep float32 entries O(1); the loss is scale free
            data.append((s, vectors, torch_matrix(h2 * s.matrix, dev, dt), torch.as_tensor(s.unknown, device=dev)))
        self.data_time_s_ = time.perf_counter() - start
        net = self._fitted().train() if warm_start else self._net()
        gains = [p for n, p in net.named_parameters() if n == "log_gain"]
        rest = [p for n, p in net.named_parameters() if n != "log_gain"]
        groups: list[dict[str, Any]] = [{"params": rest}, {"params": gains, "lr": 10 * self.lr}]
        opt = torch.optim.Adam(groups, lr=self.lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
        if not warm_start:
            self.history_: list[float] = []
            self.stages_: list[dict[str, Any]] = []
        self.stages_ = [*getattr(self, "stages_", []), {"steps": steps, "lr": self.lr, "rhs_mix": self.rhs_mix,
                                                        "rhs_trajectory": self.rhs_trajectory,
                                                        "low": self.low, "weight": self.weight}]
        pools: list[np.ndarray] = []
        for step in range(steps):
            if n_traj and step % TRAJECTORY_REFRESH == 0:
                net.eval()
                pools = [self._trajectory_pool(net, d[0], rng) for d in data]
                net.train()
            s, vectors, a_t, mask = data[step % len(data)]
            b_np = mixed_rhs(s, vectors, n_rest, rng, n_fam / n_rest, self.low, self.weight,
                             self.rhs_lengths) if n_rest else np.empty((s.size, 0))
            if n_traj:
                pool = pools[step % len(data)]
                b_np = np.concatenate([pool[:, rng.integers(0, pool.shape[1], n_traj)], b_np], axis=1)
            b = torch.as_tensor(b_np.T.copy(), device=dev, dtype=dt)  # (batch, N)
            f = _apply_net(net, s, b, mask)
            loss = dcdm_loss(a_t, b.T, f.T)
            if not torch.isfinite(loss):
                raise TrainingDivergedError(f"non-finite DCDM loss at step {step}")
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            self.history_.append(float(loss.detach()))
            if log is not None and (step % 50 == 0 or step == steps - 1):
                log(f"step {step:5d}  loss {self.history_[-1]:.4e}  ({time.perf_counter() - start:.0f} s)")
        earlier = getattr(self, "train_time_s_", None) if warm_start else None
        self.train_time_s_ = (earlier or 0.0) + time.perf_counter() - start
        self.net_ = net.eval()
        return self

    def _trajectory_pool(self, net: DCDMNet, system: PoissonSystem, rng: np.random.Generator) -> np.ndarray:
        """Unit-norm residuals ``(N, m)`` handed to ``net`` by short conjugate-direction solves of family b."""
        seen: list[np.ndarray] = []
        direction = _direction(net, system)

        def record(r: np.ndarray) -> np.ndarray:
            seen.append(r / max(float(np.linalg.norm(r)), 1e-300))
            return direction(r)

        for b in family_rhs(system, TRAJECTORY_RUNS, rng, self.rhs_lengths).T:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # the short runs stop at maxiter on purpose
                conjugate_directions(system.matrix, b, record, rtol=1e-12, maxiter=TRAJECTORY_ITERATIONS, k=self.k)
        return np.stack(seen, axis=1)

    def _fitted(self) -> DCDMNet:
        if not hasattr(self, "net_"):
            raise InvalidDataError("NeuralCG is not fitted: call fit() or NeuralCG.load()")
        return self.net_

    def direction(self, system: PoissonSystem) -> Callable[[np.ndarray], np.ndarray]:
        """``r -> f(r)`` on the unknowns of ``system`` (float64 in and out; torch in between)."""
        return _direction(self._fitted(), system)

    def preconditioner(self, system: PoissonSystem) -> LinearOperator:
        """The network as a (nonlinear) ``M`` for ``solvers.cg(..., flexible=True)``."""
        return LinearOperator((system.size, system.size), matvec=self.direction(system), dtype=np.float64)

    def solve(self, system: PoissonSystem, b: np.ndarray, x0: np.ndarray | None = None, *, rtol: float = 1e-6,
              atol: float = 0.0, maxiter: int | None = None, k: int | None = None,
              callback: Callable[[np.ndarray], object] | None = None) -> tuple[np.ndarray, KrylovInfo]:
        """Conjugate directions with the network (calling convention of :func:`solvers.cg`)."""
        return conjugate_directions(system.matrix, b, self.direction(system), x0, rtol=rtol, atol=atol,
                                    maxiter=maxiter, k=self.k if k is None else k, callback=callback)

    def save(self, directory: str | Path) -> None:
        """Weights to ``tensors.safetensors``, hyperparameters and history to ``meta.json``."""
        net = self._fitted()
        meta = {"kind": "neural_cg", "params": self.get_params(), "history": self.history_,
                "train_time_s": getattr(self, "train_time_s_", None), "stages": getattr(self, "stages_", None)}
        save_bundle(directory, dict(net.state_dict()), meta)

    @classmethod
    def load(cls, directory: str | Path, device: str = "cpu", dtype: str | None = None) -> NeuralCG:
        """A fitted model saved by :meth:`save` (optionally on another device / in another dtype).

        The config is validated and the network it describes is counted
        against the weights file's header and the available memory before
        anything is built or read (:func:`sciml.core.memory.check_saved`).
        """
        meta, shapes = bundle_header(directory)
        if meta.get("kind") != "neural_cg":
            raise InvalidDataError(f"{directory}: not a saved NeuralCG model")
        try:
            params = dict(meta["params"], device=device)
            if dtype is not None:
                params["dtype"] = dtype
            model = cls(**params)
            size = NetworkSize(model._parameter_count())
        except MALFORMED_CONFIG as exc:
            raise InvalidDataError(f"{directory}: malformed model ({type(exc).__name__}: {exc})") from None
        check_saved(directory, size, model.dtype, shapes, tensors_file_bytes(directory))
        tensors = bundle_tensors(directory)
        try:
            net = model._net(training=False)
            dt = resolve_dtype(model.dtype)
            net.load_state_dict({k: v.to(dt) for k, v in tensors.items()})
            model.net_, model.history_ = net.eval(), [float(x) for x in meta.get("history", [])]
            if meta.get("train_time_s") is not None:
                model.train_time_s_ = float(meta["train_time_s"])
            if meta.get("stages"):
                model.stages_ = list(meta["stages"])
        except MALFORMED_CONFIG as exc:
            raise InvalidDataError(f"{directory}: malformed model ({type(exc).__name__}: {exc})") from None
        return model

    def get_params(self) -> dict[str, Any]:
        return {"channels": self.channels, "levels": self.levels, "pairs": self.pairs,
                "coarse_pairs": self.coarse_pairs, "recursive": self.recursive, "gain": self.gain,
                "upsample": self.upsample,
                "low": self.low,
                "weight": self.weight, "rhs_mix": self.rhs_mix, "rhs_lengths": list(self.rhs_lengths),
                "rhs_trajectory": self.rhs_trajectory,
                "k": self.k, "lanczos_steps": self.lanczos_steps,
                "batch_size": self.batch_size, "steps": self.steps, "lr": self.lr, "seed": self.seed,
                "device": str(self.device), "dtype": dtype_name(resolve_dtype(self.dtype))}


def _direction(net: DCDMNet, system: PoissonSystem) -> Callable[[np.ndarray], np.ndarray]:
    p = next(net.parameters())
    mask = torch.as_tensor(system.unknown, device=p.device)

    def apply(r: np.ndarray) -> np.ndarray:
        b = torch.as_tensor(np.asarray(r).reshape(1, -1), device=p.device, dtype=p.dtype)
        with torch.no_grad():
            out = _apply_net(net, system, b, mask)
        return out[0].to("cpu", torch.float64).numpy()

    return apply


def _apply_net(net: DCDMNet, system: PoissonSystem, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The network on a batch ``(B, N)`` of unknown-vectors: scatter to grids (unit RMS), gather back."""
    rms = b.pow(2).mean(1, keepdim=True).sqrt().clamp_min(1e-300)
    grid = torch.zeros((b.shape[0], *system.shape), device=b.device, dtype=b.dtype)
    grid[:, mask] = b / rms
    return net(grid, mask)[:, mask]
