r"""Learned multigrid (setup-time design): a network sets ``P`` of a Galerkin multigrid once per system.

After Greenfeld, Galun, Kimmel, Yavneh & Basri (ICML 2019) and Luz, Galun,
Maron, Basri & Yavneh (ICML 2020): the network maps the operator's local
stencils to interpolation weights (:mod:`sciml.accelerators.learned_multigrid.net`)
and is trained to minimise the error a two-grid cycle leaves on small random
high-contrast systems (:mod:`sciml.accelerators.learned_multigrid.two_grid`).
At use, the same network (shared weights) is evaluated once per level on that
level's Galerkin operator; the coarse operators are ``P^T A P`` and the cycle
is the numba Galerkin V-cycle of :mod:`solvers.multigrid.galerkin` with
4-colour Gauss--Seidel. The network is out of the loop after set-up, so each
Krylov iteration costs one V-cycle, and because every ``P`` it can produce is
a convex interpolation, the cycle is a symmetric positive definite
preconditioner whatever the weights: CG always converges.

:class:`LearnedMultigrid` is an :class:`~sciml.accelerators.base.Accelerator`:
``fit(systems)`` on small grid systems (at most 65^2 nodes,
:func:`sciml.accelerators.learned_multigrid.data.training_systems`),
``preconditioner(system)`` on any :class:`solvers.grid_systems.GridSystem`
of odd side ``2^k + 1`` (Darcy, pressure Poisson), ``solve`` runs CG with it.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from scipy.sparse.linalg import LinearOperator

from equations.errors import InvalidDataError
from sciml.accelerators.base import Accelerator
from sciml.accelerators.learned_multigrid.net import ProlongationNet, corrected_weights, stencil_features
from sciml.accelerators.learned_multigrid.two_grid import DenseLevel, SingularLevelError, dense_level, ritz_loss
from sciml.core.base import load_module_state
from sciml.core.callbacks import Callback, ProgressBar
from sciml.core.history import History
from sciml.core.params import (
    BOOLEAN,
    DEVICE,
    DTYPE,
    FRACTION,
    PATH,
    POSITIVE,
    POSITIVE_COUNT,
    SEED,
    Constraint,
)
from sciml.core.runtime import numpy_rng, restore_rng, rng_state_tensors
from sciml.core.training import Adam, StallRule, Trainer
from solvers import KrylovInfo, cg, grid_preconditioner
from solvers.grid_systems import GridSystem
from solvers.multigrid.galerkin import GalerkinHierarchy, ProlongationRule
from solvers.multigrid.operator_interpolation import (
    columns_from_weights,
    interpolation_weights,
    operator_dependent,
)


def training_levels(systems: Sequence[GridSystem], device: torch.device, coarse: bool = True) -> list[DenseLevel]:
    """Dense two-grid data of each system's fine level and (``coarse``) of its first Galerkin coarse level.

    The coarse levels are the 9-point Galerkin operators of operator-dependent
    ``P``: the kind of stencil the shared network meets below the finest level.
    """
    levels, skipped = [], 0
    for system in systems:
        h = GalerkinHierarchy(system.stencil, system.unknown, system.solid, system.singular,
                              prolongation=operator_dependent)
        depth = min(len(h.levels) - 1, 2 if coarse else 1)
        for k in range(depth):
            fine, mc = h.levels[k], h.levels[k + 1].mask
            valid = ~h.excluded[k][1:-1, 1:-1]
            try:
                levels.append(dense_level(fine.s, fine.mask[1:-1, 1:-1].astype(bool),
                                          mc[1:-1, 1:-1].astype(bool), valid, device))
            except SingularLevelError:
                skipped += 1  # an operator singular to round-off teaches nothing about P; the others still count
    if not levels and skipped:
        raise InvalidDataError(f"all {skipped} training levels are singular to round-off (an all-Neumann system "
                               "has the constants as null space: train on systems with a Dirichlet side)")
    if not levels:
        raise InvalidDataError("no training system has a coarse level (sides 2^k + 1 >= 9 needed)")
    if skipped:
        warnings.warn(f"{skipped} of {skipped + len(levels)} training levels are singular to round-off and were "
                      "left out", RuntimeWarning, stacklevel=2)
    return levels


class TwoGridObjective:
    """The mean Ritz loss of a random batch of training levels, as a trainer objective.

    Parameters
    ----------
    net : ProlongationNet
        The network being trained.
    levels : sequence of DenseLevel
        The training operators.
    batch_size, probes, ritz : int
        Levels per step, size of each level's tracked subspace, Ritz values in the loss.
    gain : float
        Largest change of a weight's log (:func:`corrected_weights`).
    rng : numpy.random.Generator
        Source of the batches and the starting subspaces (its state and the
        subspaces are checkpointed).
    """

    # subspace iterations at a level's first visit (from random vectors) and at every later one (warm)
    FIRST_ITERATIONS, WARM_ITERATIONS = 15, 3

    def __init__(self, net: ProlongationNet, levels: Sequence[DenseLevel], batch_size: int, probes: int, ritz: int,
                 gain: float, rng: np.random.Generator):
        self.net, self.levels, self.gain = net, list(levels), gain
        self.batch_size, self.probes, self.ritz, self.rng = batch_size, probes, min(ritz, probes), rng
        self.subspaces: dict[int, torch.Tensor] = {}

    def parameters(self) -> list[torch.nn.Parameter]:
        """The network's parameters."""
        return list(self.net.parameters())

    def on_step(self, step: int) -> bool:
        """The loss is stochastic but never restarts anything."""
        return False

    def loss(self) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Mean over a batch of levels of the Ritz loss (every level counts alike)."""
        p = next(self.net.parameters())
        picks = self.rng.choice(len(self.levels), size=min(self.batch_size, len(self.levels)), replace=False)
        total = p.new_zeros((), dtype=torch.float64)
        for i in map(int, picks):
            level = self.levels[i]
            start = self.subspaces.get(i)
            iterations = self.WARM_ITERATIONS
            if start is None:
                start = torch.as_tensor(self.rng.standard_normal((level.matrix.shape[0], self.probes)),
                                        device=level.matrix.device)
                iterations = self.FIRST_ITERATIONS
            pc = columns(self.net, level.stencil, level.mask, level.base, level.mask_c, self.gain)
            loss, self.subspaces[i] = ritz_loss(level, pc, start, iterations, self.ritz)
            total = total + loss
        return (total / len(picks)).to(p.dtype), {}

    def cast(self, dtype: torch.dtype) -> None:
        """Move the network to ``dtype`` (the dense algebra stays float64)."""
        self.net.to(dtype)

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """The batch generator's state and the tracked subspaces."""
        return {**rng_state_tensors(self.rng), **{f"subspace_{i}": v for i, v in self.subspaces.items()}}

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        """Continue the batch generator and the subspaces from a checkpoint."""
        self.subspaces = {int(k.split("_")[1]): v for k, v in tensors.items() if k.startswith("subspace_")}
        self.rng = restore_rng(self.rng, {k: v for k, v in tensors.items() if not k.startswith("subspace_")})


def columns(net: ProlongationNet, stencil: torch.Tensor, mask: torch.Tensor, base: tuple[torch.Tensor, ...],
            mask_c: torch.Tensor, gain: float) -> torch.Tensor:
    """Padded float64 columns of ``P``: the operator-dependent weights ``base`` as corrected by the network.

    ``stencil`` and ``mask`` are the real (unpadded) fine stencil and unknowns,
    ``mask_c`` the padded coarse unknowns as a float ``(m + 3, m + 3)``.
    """
    p = next(net.parameters())
    delta = net(stencil_features(stencil.to(p.device, p.dtype), mask.to(p.device))).to(torch.float64)
    return columns_from_weights(corrected_weights(delta, base, gain), mask_c)


def prolongation_rule(net: ProlongationNet, gain: float) -> ProlongationRule:
    """The network as the :class:`~solvers.multigrid.galerkin.ProlongationRule` of a Galerkin hierarchy."""
    p = next(net.parameters())

    def rule(stencil: np.ndarray, mask: np.ndarray, mask_c: np.ndarray, excluded_c: np.ndarray) -> np.ndarray:
        real = stencil[1:-1, 1:-1]
        base = tuple(torch.as_tensor(w, device=p.device)
                     for w in interpolation_weights(real, ~excluded_c[1:-1, 1:-1], mask[1:-1, 1:-1]))
        with torch.no_grad():
            pc = columns(net, torch.as_tensor(real), torch.as_tensor(mask[1:-1, 1:-1].astype(bool)), base,
                         torch.as_tensor(mask_c, device=p.device, dtype=torch.float64), gain)
        return np.asarray(pc.cpu().numpy())

    return rule


class LearnedMultigrid(Accelerator):
    """A Galerkin multigrid whose prolongation a network sets from the operator, as a CG preconditioner.

    Parameters
    ----------
    width, layers : int
        The prolongation network (:class:`ProlongationNet`).
    gain : float
        Largest change of the log of an operator-dependent weight before the
        node's weights are rescaled to their old sum (``w e^{gain tanh(delta)}``,
        :func:`~sciml.accelerators.learned_multigrid.net.corrected_weights`).
    coarse_levels : bool
        Also train on the first Galerkin coarse level of each training system
        (the 9-point stencils the network meets below the finest level).
    batch_size : int
        Training levels per Adam step.
    probes : int
        Size of the subspace of slow modes tracked per training level.
    ritz : int
        Largest Ritz values of the two-grid error propagation in the loss
        (:func:`sciml.accelerators.learned_multigrid.two_grid.ritz_loss`).
    steps, lr : int, float
        Adam steps and initial learning rate (cosine decay to 0).
    sweeps : int
        Gauss--Seidel sweeps before and after each coarse correction at use.
    seed : int
        Seeds the weights and the training batches.
    device, dtype : str
        Torch device and precision of the network.
    progress : bool
        Show a progress bar while training.
    checkpoint_dir, checkpoint_every, resume
        Checkpoint folder (None: none), steps between checkpoints, resume from it.

    Attributes
    ----------
    net_ : ProlongationNet
        The fitted network.
    history_, fit_time_, n_parameters_
        The learner contract's fitted attributes.
    """

    name: ClassVar[str] = "learned_mg"
    linsys_method: ClassVar[str] = "neural_pcg"
    _constraints: ClassVar[dict[str, Constraint]] = {
        "width": POSITIVE_COUNT, "layers": POSITIVE_COUNT, "gain": FRACTION, "coarse_levels": BOOLEAN,
        "batch_size": POSITIVE_COUNT, "probes": POSITIVE_COUNT, "ritz": POSITIVE_COUNT, "steps": POSITIVE_COUNT,
        "lr": POSITIVE, "sweeps": POSITIVE_COUNT, "seed": SEED, "device": DEVICE, "dtype": DTYPE, "progress": BOOLEAN,
        "checkpoint_dir": PATH, "checkpoint_every": POSITIVE_COUNT, "resume": BOOLEAN,
    }

    def __init__(self, width: int = 16, layers: int = 3, gain: float = 0.5, *, coarse_levels: bool = True,
                 batch_size: int = 8, probes: int = 8, ritz: int = 4, steps: int = 300, lr: float = 3e-3,
                 sweeps: int = 1,
                 seed: int = 0, device: str = "cpu", dtype: str = "float32", progress: bool = False,
                 checkpoint_dir: str | None = None, checkpoint_every: int = 100, resume: bool = False):
        self.width, self.layers, self.gain, self.coarse_levels = width, layers, gain, coarse_levels
        self.batch_size, self.probes, self.ritz, self.steps, self.lr = batch_size, probes, ritz, steps, lr
        self.sweeps, self.seed, self.device, self.dtype, self.progress = sweeps, seed, device, dtype, progress
        self.checkpoint_dir, self.checkpoint_every, self.resume = checkpoint_dir, checkpoint_every, resume

    def _net(self) -> ProlongationNet:
        return ProlongationNet(self.width, self.layers, seed=self.seed, device=self.device, dtype=self.dtype)

    # -- fitting -----------------------------------------------------------------------
    def fit(self, systems: Sequence[GridSystem], callbacks: Sequence[Callback] = ()) -> LearnedMultigrid:
        """Train the prolongation network on the two-grid loss of ``systems`` (small grids).

        Parameters
        ----------
        systems : sequence of GridSystem
            Training systems with odd sides ``2^k + 1`` and at most 4096 unknowns
            (e.g. :func:`sciml.accelerators.learned_multigrid.data.training_systems`).
        callbacks : sequence of Callback
            Extra trainer callbacks.

        Returns
        -------
        LearnedMultigrid
            ``self`` with ``net_``, ``history_``, ``fit_time_``, ``n_parameters_``.

        Raises
        ------
        InvalidParameterError
            A hyperparameter is out of range.
        InvalidDataError
            No systems, a system too large for the dense loss, or without a coarse level.
        """
        self._validate_params()
        systems = list(systems)
        if not systems:
            raise InvalidDataError("fit needs at least one training system")
        start = time.perf_counter()
        net = self._net()
        levels = training_levels(systems, next(net.parameters()).device, self.coarse_levels)
        objective = TwoGridObjective(net, levels, self.batch_size, self.probes, self.ritz, self.gain,
                                     numpy_rng(self.seed))
        cbs = list(callbacks) + ([ProgressBar(every=10, desc=self.name)] if self.progress else [])
        stage = Adam(self.steps, self.lr, final_lr=0.0, schedule="cosine", stall=StallRule(rtol=None))
        trainer = Trainer([stage], cbs, checkpoint_dir=self.checkpoint_dir, checkpoint_every=self.checkpoint_every,
                          resume=self.resume)
        try:
            trainer.fit(objective)
        finally:
            self.net_ = net.eval()
            self._set_contract(trainer.history, time.perf_counter() - start, _count(net))
        return self

    # -- use -------------------------------------------------------------------------
    def hierarchy(self, system: GridSystem) -> GalerkinHierarchy:
        """The Galerkin hierarchy of ``system`` with the network's ``P`` at every level (the set-up)."""
        self._check_fitted()
        return GalerkinHierarchy(system.stencil, system.unknown, system.solid, system.singular,
                                 prolongation=prolongation_rule(self.net_, self.gain))

    def preconditioner(self, system: GridSystem) -> LinearOperator:
        """One symmetric V-cycle of the learned hierarchy from zero, on the unknowns of ``system``.

        Raises
        ------
        InvalidDataError
            The grid does not coarsen (sides must be odd, ``2^k + 1``).
        """
        self._check_fitted()
        return grid_preconditioner(system, sweeps=self.sweeps, interpolation=prolongation_rule(self.net_, self.gain))

    def solve(self, system: GridSystem, b: np.ndarray, x0: np.ndarray | None = None, *, rtol: float = 1e-6,
              atol: float = 0.0, maxiter: int | None = None,
              callback: Callable[[np.ndarray], object] | None = None) -> tuple[np.ndarray, KrylovInfo]:
        """CG on ``system.matrix`` preconditioned by :meth:`preconditioner` (the calling convention of ``cg``)."""
        return cg(system.matrix, b, x0, rtol=rtol, atol=atol, maxiter=maxiter, M=self.preconditioner(system),
                  callback=callback)

    # -- persistence -------------------------------------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        return {}, dict(self.net_.state_dict())

    def _restore(self, fitted: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        net = self._net()
        load_module_state(net, tensors)
        self.net_ = net.eval()
        self._set_contract(History(), 0.0, _count(net))


def _count(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
