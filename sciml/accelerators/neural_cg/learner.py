r"""The neural conjugate-direction method (DCDM): training and use of the network as a solver.

:class:`NeuralCG` is an :class:`~sciml.accelerators.base.Accelerator`: it holds
the hyperparameters (scikit-learn style); ``fit(systems)`` trains
:class:`sciml.accelerators.neural_cg.net.DCDMNet` on right-hand sides from the
Ritz vectors of the given training systems
(:mod:`sciml.accelerators.neural_cg.data`) with the scale-free loss
:func:`dcdm_loss`, through the shared :class:`~sciml.core.training.Trainer`
(:class:`DCDMObjective`: checkpoints, resumption, the non-finite-loss guard);
``preconditioner(system)`` gives the network as a (nonlinear) SciPy
``LinearOperator``; ``solve`` runs :func:`solvers.conjugate_directions` with
the network's output as search direction. Residuals are scaled to unit RMS
before the network sees them, so one network serves every grid size and
residual size. Save/load: the learner contract's safetensors + JSON, no pickle.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.linalg import LinearOperator

from equations.errors import InvalidDataError
from sciml.accelerators.base import Accelerator
from sciml.accelerators.neural_cg.data import ritz_vectors, sample_rhs
from sciml.accelerators.neural_cg.net import DCDMNet
from sciml.core.base import load_module_state
from sciml.core.callbacks import Callback, ProgressBar
from sciml.core.history import History
from sciml.core.memory import NetworkSize, check_network
from sciml.core.params import (
    BOOLEAN,
    COUNT,
    DEVICE,
    DTYPE,
    FRACTION,
    NON_NEGATIVE,
    PATH,
    POSITIVE,
    POSITIVE_COUNT,
    SEED,
    Constraint,
)
from sciml.core.runtime import numpy_rng, restore_rng, rng_state_tensors
from sciml.core.training import Adam, Stage, StallRule, Trainer
from solvers import KrylovInfo, PoissonSystem, conjugate_directions


def dcdm_loss(A: torch.Tensor, b: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    r"""Mean over the batch of ``||b - alpha A f||^2 / ||b||^2`` with ``alpha = f . b / f . A f``.

    ``alpha`` is the exact line-search step along ``f``, so the loss does not
    change when ``f`` is scaled and is zero for ``f = A^{-1} b``.

    Parameters
    ----------
    A : torch.Tensor
        The (sparse) ``(N, N)`` matrix.
    b, f : torch.Tensor
        Right-hand sides and the network's directions, ``(N, batch)``.

    Returns
    -------
    torch.Tensor
        The scalar loss.
    """
    af = A @ f
    alpha = (f * b).sum(0) / (f * af).sum(0)
    return ((b - alpha * af) ** 2).sum(0).div((b * b).sum(0)).mean()


def torch_matrix(A: sp.spmatrix, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """A SciPy sparse matrix as a coalesced torch sparse COO tensor.

    Parameters
    ----------
    A : scipy.sparse.spmatrix
        The matrix.
    device, dtype
        Where and in what precision the tensor lives.

    Returns
    -------
    torch.Tensor
        The sparse COO tensor.
    """
    coo = sp.coo_matrix(A)
    index = torch.as_tensor(np.vstack((coo.row, coo.col)), dtype=torch.int64)
    return torch.sparse_coo_tensor(index, torch.as_tensor(coo.data), size=coo.shape, dtype=dtype, device=device,
                                   check_invariants=False).coalesce()


class DCDMObjective:
    """The DCDM loss on the training systems, as a :class:`~sciml.core.training.Objective`.

    Each step trains on one system, round robin by the trainer's step count,
    with ``batch_size`` right-hand sides drawn from that system's Ritz vectors
    (:func:`sciml.accelerators.neural_cg.data.sample_rhs`) by the objective's
    own generator, whose state a checkpoint holds (so a resumed run draws the
    same batches).

    Parameters
    ----------
    net : DCDMNet
        The network being trained.
    systems : sequence of PoissonSystem
        The training systems.
    vectors : sequence of numpy.ndarray
        The Ritz vectors ``(N, m)`` of each system (ascending Ritz values).
    batch_size : int
        Right-hand sides per step.
    rng : numpy.random.Generator
        Source of the batches (owned by the objective from here on).
    low, weight : float
        The lowest ``low * m`` Ritz coefficients are scaled by ``weight``.
    """

    def __init__(self, net: DCDMNet, systems: Sequence[PoissonSystem], vectors: Sequence[np.ndarray],
                 batch_size: int, rng: np.random.Generator, low: float = 0.55, weight: float = 9.0):
        self.net, self.systems, self.vectors = net, list(systems), list(vectors)
        self.batch_size, self.rng, self.low, self.weight = batch_size, rng, low, weight
        p = next(net.parameters())
        self.device, self.dtype = p.device, p.dtype
        # grid units (h^2 A) keep float32 entries O(1); the loss is scale free
        self._scaled = [s.spec.spacing**2 * s.matrix for s in self.systems]
        self.matrices = [torch_matrix(a, self.device, self.dtype) for a in self._scaled]
        self.masks = [torch.as_tensor(s.unknown, device=self.device) for s in self.systems]
        self.turn = 0

    def parameters(self) -> list[torch.nn.Parameter]:
        """The network's parameters."""
        return list(self.net.parameters())

    def on_step(self, step: int) -> bool:
        """Pick the system of ``step`` (round robin); the loss itself never changes."""
        self.turn = step % len(self.systems)
        return False

    def loss(self) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The DCDM loss of a fresh batch on the current system, and no parts."""
        i = self.turn
        b_np = sample_rhs(self.vectors[i], self.batch_size, self.rng, self.low, self.weight)
        b = torch.as_tensor(b_np.T.copy(), device=self.device, dtype=self.dtype)  # (batch, N)
        f = apply_net(self.net, self.systems[i], b, self.masks[i])
        return dcdm_loss(self.matrices[i], b.T, f.T), {}

    def cast(self, dtype: torch.dtype) -> None:
        """Move the network and the matrices to ``dtype``."""
        self.net.to(dtype)
        self.dtype = dtype
        self.matrices = [torch_matrix(a, self.device, dtype) for a in self._scaled]

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """The batch generator's state (a checkpoint's part of the objective)."""
        return rng_state_tensors(self.rng)

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        """Continue the batch generator from a checkpoint."""
        self.rng = restore_rng(self.rng, tensors)


class NeuralCG(Accelerator):
    """Deep Conjugate Direction Method for pressure-Poisson systems.

    Parameters
    ----------
    channels, levels, pairs, coarse_pairs, recursive
        Network shape (see :class:`sciml.accelerators.neural_cg.net.DCDMNet`).
    k : int
        Previous directions each new one is ``A``-orthogonalised against in
        :meth:`solve` (training does not use it).
    lanczos_steps : int
        Lanczos steps per training matrix (Ritz vectors of the training data).
    low, weight : float
        The lowest ``low * m`` Ritz coefficients are scaled by ``weight``
        (the paper: 0.55 and 9; see :func:`sciml.accelerators.neural_cg.data.sample_rhs`).
    batch_size : int
        Right-hand sides per Adam step (one training system per step, round robin).
    steps, lr : int, float
        The Adam stage: steps and initial learning rate, cosine decay to 0.
    finetune_steps, finetune_lr : int, float
        A second Adam stage (a warm restart: fresh Adam moments, cosine decay
        from ``finetune_lr`` to 0) on the same training data; 0 steps: none.
    seed : int
        Seeds the weights, the Lanczos start vectors and the training batches.
    device, dtype : str
        Torch device and precision of the network (float32 default).
    progress : bool
        Show a progress bar per stage.
    checkpoint_dir, checkpoint_every, resume
        Checkpoint folder (None: no checkpoints), Adam steps between
        checkpoints, and whether to continue from a checkpoint found there.

    Attributes
    ----------
    net_ : DCDMNet
        The fitted network (in evaluation mode).
    history_, fit_time_, n_parameters_
        The learner contract's fitted attributes; ``fit_time_`` includes the
        Lanczos runs.
    """

    name: ClassVar[str] = "neural_cg"
    _constraints: ClassVar[dict[str, Constraint]] = {
        "channels": POSITIVE_COUNT, "levels": COUNT, "pairs": COUNT, "coarse_pairs": COUNT, "recursive": BOOLEAN,
        "k": POSITIVE_COUNT, "lanczos_steps": POSITIVE_COUNT, "low": FRACTION, "weight": NON_NEGATIVE,
        "batch_size": POSITIVE_COUNT, "steps": POSITIVE_COUNT, "lr": POSITIVE, "finetune_steps": COUNT,
        "finetune_lr": POSITIVE, "seed": SEED, "device": DEVICE, "dtype": DTYPE, "progress": BOOLEAN,
        "checkpoint_dir": PATH, "checkpoint_every": POSITIVE_COUNT, "resume": BOOLEAN,
    }

    def __init__(self, channels: int = 16, levels: int = 3, pairs: int = 1, coarse_pairs: int = 1,
                 recursive: bool = False, *, k: int = 2, lanczos_steps: int = 400, low: float = 0.55,
                 weight: float = 9.0, batch_size: int = 16, steps: int = 500, lr: float = 2e-3,
                 finetune_steps: int = 0, finetune_lr: float = 5e-4, seed: int = 0, device: str = "cpu",
                 dtype: str = "float32", progress: bool = False, checkpoint_dir: str | None = None,
                 checkpoint_every: int = 100, resume: bool = False):
        self.channels, self.levels, self.pairs, self.coarse_pairs = channels, levels, pairs, coarse_pairs
        self.recursive, self.k, self.lanczos_steps, self.low, self.weight = recursive, k, lanczos_steps, low, weight
        self.batch_size, self.steps, self.lr = batch_size, steps, lr
        self.finetune_steps, self.finetune_lr = finetune_steps, finetune_lr
        self.seed, self.device, self.dtype, self.progress = seed, device, dtype, progress
        self.checkpoint_dir, self.checkpoint_every, self.resume = checkpoint_dir, checkpoint_every, resume

    # -- the network -----------------------------------------------------------------
    def _net(self, training: bool = True) -> DCDMNet:
        """The network; :class:`~equations.errors.ResourceError` first if it would not fit in memory."""
        check_network("the NeuralCG network", NetworkSize(self._parameter_count()), self.dtype, training=training)
        return DCDMNet(self.channels, self.levels, self.pairs, self.coarse_pairs, self.recursive, seed=self.seed,
                       device=self.device, dtype=self.dtype)

    def _parameter_count(self) -> int:
        """Numbers in the network's state dict, counted before it is built."""
        return DCDMNet.count(self.channels, self.levels, self.pairs, self.coarse_pairs)

    def _stages(self) -> list[Stage]:
        """One cosine-decayed Adam stage, and the fine-tuning one if asked for."""
        never = StallRule(rtol=None)  # a stochastic loss: run the whole budget
        stages: list[Stage] = [_cosine(self.steps, self.lr, never)]
        if self.finetune_steps:
            stages.append(_cosine(self.finetune_steps, self.finetune_lr, never))
        return stages

    # -- fitting -----------------------------------------------------------------------
    def fit(self, systems: Sequence[PoissonSystem], callbacks: Sequence[Callback] = ()) -> NeuralCG:
        """Train on Ritz-vector right-hand sides of ``systems``, one system per step (round robin).

        Parameters
        ----------
        systems : sequence of PoissonSystem
            The training systems (:func:`solvers.pressure_system`).
        callbacks : sequence of Callback
            Extra trainer callbacks (a progress bar is added with ``progress=True``).

        Returns
        -------
        NeuralCG
            ``self``, with ``net_``, ``history_``, ``fit_time_`` and ``n_parameters_`` set.

        Raises
        ------
        InvalidParameterError
            A hyperparameter has a bad value (named in the message).
        InvalidDataError
            No training system was given.
        TrainingDivergedError
            The loss or the weights became non-finite (the last good weights are kept).
        """
        self._validate_params()
        systems = list(systems)
        if not systems:
            raise InvalidDataError("fit needs at least one training system")
        start = time.perf_counter()
        net = self._net()
        rng = numpy_rng(self.seed)
        vectors = [ritz_vectors(s.matrix, self.lanczos_steps, rng)[1] for s in systems]
        objective = DCDMObjective(net, systems, vectors, self.batch_size, rng, self.low, self.weight)
        cbs = list(callbacks) + ([ProgressBar(every=10, desc=self.name)] if self.progress else [])
        trainer = Trainer(self._stages(), cbs, checkpoint_dir=self.checkpoint_dir,
                          checkpoint_every=self.checkpoint_every, resume=self.resume)
        try:
            trainer.fit(objective)
        finally:
            self.net_ = net.eval()
            self._set_contract(trainer.history, time.perf_counter() - start, _count(net))
        return self

    # -- use -------------------------------------------------------------------------
    def direction(self, system: PoissonSystem) -> Callable[[np.ndarray], np.ndarray]:
        """``r -> f(r)`` on the unknowns of ``system`` (float64 in and out; torch in between).

        Parameters
        ----------
        system : PoissonSystem
            The system whose layout (grid, unknowns) the residuals live on.

        Returns
        -------
        callable
            The direction map.
        """
        self._check_fitted()
        return _direction(self.net_, system)

    def preconditioner(self, system: PoissonSystem) -> LinearOperator:
        """The network as a (nonlinear) ``M``: for :func:`solvers.conjugate_directions` or flexible CG.

        Parameters
        ----------
        system : PoissonSystem
            The system to precondition.

        Returns
        -------
        scipy.sparse.linalg.LinearOperator
            ``M @ r`` is the network's direction for residual ``r``.
        """
        return LinearOperator((system.size, system.size), matvec=self.direction(system), dtype=np.float64)

    def solve(self, system: PoissonSystem, b: np.ndarray, x0: np.ndarray | None = None, *, rtol: float = 1e-6,
              atol: float = 0.0, maxiter: int | None = None, k: int | None = None,
              callback: Callable[[np.ndarray], object] | None = None) -> tuple[np.ndarray, KrylovInfo]:
        """Conjugate directions with the network (calling convention of :func:`solvers.cg`).

        Parameters
        ----------
        system : PoissonSystem
            The system ``A x = b``.
        b : numpy.ndarray
            Right-hand side on the unknowns.
        x0, rtol, atol, maxiter, callback
            As for :func:`solvers.conjugate_directions`.
        k : int, optional
            Previous directions to orthogonalise against (default: the ``k`` hyperparameter).

        Returns
        -------
        (numpy.ndarray, KrylovInfo)
            The solution and the iteration record.
        """
        return conjugate_directions(system.matrix, b, self.direction(system), x0, rtol=rtol, atol=atol,
                                    maxiter=maxiter, k=self.k if k is None else k, callback=callback)

    # -- persistence -------------------------------------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        return {}, dict(self.net_.state_dict())

    def _saved_size(self, fitted: dict[str, Any]) -> NetworkSize:
        return NetworkSize(self._parameter_count())

    def _restore(self, fitted: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        net = self._net(training=False)
        load_module_state(net, tensors)
        self.net_ = net.eval()
        self._set_contract(History(), 0.0, _count(net))


def _cosine(steps: int, lr: float, stall: StallRule) -> Adam:
    """Adam with cosine annealing from ``lr`` to 0 (``CosineAnnealingLR(opt, steps)``, ``eta_min=0``)."""
    return Adam(steps, lr, final_lr=0.0, schedule="cosine", stall=stall)


def _count(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def _direction(net: DCDMNet, system: PoissonSystem) -> Callable[[np.ndarray], np.ndarray]:
    p = next(net.parameters())
    mask = torch.as_tensor(system.unknown, device=p.device)

    def apply(r: np.ndarray) -> np.ndarray:
        b = torch.as_tensor(np.asarray(r).reshape(1, -1), device=p.device, dtype=p.dtype)
        with torch.no_grad():
            out = apply_net(net, system, b, mask)
        return out[0].to("cpu", torch.float64).numpy()

    return apply


def apply_net(net: DCDMNet, system: PoissonSystem, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The network on a batch ``(B, N)`` of unknown-vectors: scatter to grids (unit RMS), gather back."""
    rms = b.pow(2).mean(1, keepdim=True).sqrt().clamp_min(1e-300)
    grid = torch.zeros((b.shape[0], *system.shape), device=b.device, dtype=b.dtype)
    grid[:, mask] = b / rms
    return net(grid, mask)[:, mask]
