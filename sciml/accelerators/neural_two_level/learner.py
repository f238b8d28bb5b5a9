r"""Neural two-level preconditioner (robustness-first design): smoother + network correction inside flexible CG.

One application ``z = B(r)`` of the preconditioner to a residual ``r``:

1. pre-smoothing: forward 4-colour Gauss--Seidel sweeps from zero
   (:mod:`sciml.accelerators.neural_two_level.smoother`), residual ``r1``;
2. network correction: the multiscale network
   (:class:`~sciml.accelerators.neural_two_level.net.VCycleNet`) maps ``r1`` to
   ``m`` fields ``C``; the correction is the ``A``-optimal one in their span,
   ``C beta`` with ``(C^T A C) beta = C^T r1`` (``m`` extra matrix products);
3. post-smoothing: the backward sweeps (the adjoint order).

Safeguard: the Galerkin step can only lower the ``A``-norm error, by
``g = beta . C^T r1``; directions with a non-positive or non-finite curvature
are dropped, and the whole correction is dropped (the smoother-only
preconditioner for that iteration) when the network's output is not finite
or its gain ``g`` is below ``drop_tol`` times the pre-smoother's own gain.
Each of the three steps is an ``A``-norm contraction of the error, so
``||e - B(r)||_A <= ||(I - S^T A)(I - S A) e||_A < ||e||_A`` whatever the
weights are: ``r . B(r) > 0`` and flexible CG (Polak--Ribiere, or explicit
conjugate directions) converges at least as fast as steepest descent with the
symmetric Gauss--Seidel preconditioner. The network only has to help.

Training (:meth:`NeuralTwoLevel.fit`, small grids): random errors ``e0``,
pre-smoothed exactly as at use (``e1 = (I - S A)^nu e0``), ``r1 = A e1``; the
loss is the mean ``log(||E_post (e1 - C beta)||_A^2 / ||e1||_A^2)`` with the
exact post-smoother ``E_post`` in torch (a colour at a time), so the network is
rewarded only for the error the smoother cannot remove: the smooth end of the
spectrum.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.linalg import LinearOperator

from equations.errors import InvalidDataError
from sciml.accelerators.base import Accelerator
from sciml.accelerators.neural_two_level.net import IN_CHANNELS, LOG_SCALE, MIN_SIDE, VCycleNet
from sciml.accelerators.neural_two_level.smoother import COLOURS, GaussSeidel
from sciml.core.base import load_module_state
from sciml.core.callbacks import Callback, ProgressBar
from sciml.core.history import History
from sciml.core.params import (
    BOOLEAN,
    DEVICE,
    DTYPE,
    NON_NEGATIVE,
    PATH,
    POSITIVE,
    POSITIVE_COUNT,
    SEED,
    Constraint,
    integer,
)
from sciml.core.runtime import numpy_rng, restore_rng, rng_state_tensors
from sciml.core.training import Adam, StallRule, Trainer
from solvers import KrylovInfo, cg, conjugate_directions

MAX_TRAINING_NODES = 129 * 129


def check_system(system: Any) -> None:
    """Refuse anything but a 2D grid system with a padded 9-point stencil and a grid of at least ``MIN_SIDE``."""
    needed = ("matrix", "stencil", "unknown", "shape", "size")
    missing = [k for k in needed if not hasattr(system, k)]
    if missing:
        raise InvalidDataError(f"{type(system).__name__} is not a grid system (no {', '.join(missing)}): "
                               "use solvers.grid_systems.darcy_grid_system or a PoissonSystem")
    shape = tuple(system.shape)
    if len(shape) != 2 or min(shape) < MIN_SIDE:
        raise InvalidDataError(f"grid {shape} is too small: sides of at least {MIN_SIDE} nodes needed")
    if system.stencil.shape != (shape[0] + 2, shape[1] + 2, 9):
        raise InvalidDataError(f"stencil has shape {system.stencil.shape}, expected {(shape[0] + 2, shape[1] + 2, 9)}")


class Layout:
    """What the network needs of one system besides the residual: mask, scaled log diagonal, inverse diagonal.

    The log of the stencil's diagonal stands for the log coefficient (it is a
    local mean of it), centred over the unknowns: scale free, and defined for
    every grid system, not only Darcy.
    """

    def __init__(self, system: Any, device: torch.device, dtype: torch.dtype):
        unknown = np.asarray(system.unknown, dtype=bool)
        diag = np.asarray(system.stencil[1:-1, 1:-1, 4])[unknown]
        if not np.all(diag > 0):
            raise InvalidDataError("the stencil's diagonal must be positive on the unknowns (an SPD system)")
        logd = np.zeros(unknown.shape)
        logd[unknown] = (np.log(diag) - np.log(diag).mean()) / LOG_SCALE
        self.device, self.dtype, self.shape = device, dtype, tuple(unknown.shape)
        self.mask = torch.as_tensor(unknown, device=device)
        self.static = torch.stack((torch.as_tensor(logd), torch.as_tensor(unknown, dtype=torch.float64)))
        self.static = self.static.to(device, dtype)
        self.dinv = torch.as_tensor(1.0 / diag, device=device, dtype=torch.float64)

    def features(self, r: torch.Tensor) -> torch.Tensor:
        """Network input ``(B, 3, nx, ny)`` for residuals ``r`` ``(B, N)`` on the unknowns (float64)."""
        s = r * self.dinv
        s = s / s.pow(2).mean(1, keepdim=True).sqrt().clamp_min(1e-300)
        grid = torch.zeros((r.shape[0], *self.shape), device=self.device, dtype=self.dtype)
        grid[:, self.mask] = s.to(self.dtype)
        return torch.cat((grid[:, None], self.static.expand(r.shape[0], IN_CHANNELS - 1, *self.shape)), dim=1)

    def fields(self, net: VCycleNet, r: torch.Tensor) -> torch.Tensor:
        """The network's ``m`` correction fields ``(B, N, m)`` (float64) for residuals ``(B, N)``."""
        out = net(self.features(r), self.mask)
        return out.permute(0, 2, 3, 1)[:, self.mask].to(torch.float64)


def galerkin_step(G: np.ndarray, g: np.ndarray, rel: float = 1e-10) -> tuple[np.ndarray, float]:
    """``beta`` minimising the ``A``-norm error in span ``C`` from ``G = C^T A C``, ``g = C^T r``, and the gain.

    Columns of non-positive or non-finite curvature and near-dependent
    combinations (eigenvalues below ``rel`` of the largest, after scaling to
    unit ``A``-norm) are dropped: a pseudo-inverse, so ``gain = g . beta >= 0``.
    """
    beta = np.zeros_like(g)
    d = np.diag(G).copy()
    keep = np.isfinite(d) & (d > 0) & np.isfinite(g)
    if not keep.any() or not np.all(np.isfinite(G[np.ix_(keep, keep)])):
        return beta, 0.0
    s = 1.0 / np.sqrt(d[keep])
    lam, v = np.linalg.eigh(G[np.ix_(keep, keep)] * s[:, None] * s[None, :])
    good = lam > rel * max(lam.max(), 0.0)
    if not good.any():
        return beta, 0.0
    gs = g[keep] * s
    coef = v[:, good].T @ gs / lam[good]
    beta[keep] = s * (v[:, good] @ coef)
    return beta, float(gs @ (v[:, good] @ coef))


@dataclass
class Stats:
    """Counters of a two-level preconditioner: applications, dropped corrections, seconds in the network."""

    applications: int = 0
    dropped: int = 0
    network_seconds: float = 0.0
    correction_seconds: float = 0.0


class TwoLevelPreconditioner:
    """``B(r)``: pre-smoothing, the network's ``A``-optimal correction, post-smoothing (see the module docstring).

    Parameters
    ----------
    system : GridSystem
        The system (matrix, padded stencil, unknowns).
    net : VCycleNet or None
        The network; None gives the symmetric Gauss--Seidel preconditioner alone.
    sweeps : int
        Gauss--Seidel sweeps before and after the correction.
    drop_tol : float
        Drop the correction when its ``A``-norm gain is below ``drop_tol`` times the pre-smoother's.
    """

    def __init__(self, system: Any, net: VCycleNet | None, sweeps: int = 1, drop_tol: float = 1e-4):
        check_system(system)
        self.A = sp.csr_matrix(system.matrix)
        self.smoother = GaussSeidel(system.stencil, system.unknown, sweeps)
        self.net, self.drop_tol, self.stats = net, float(drop_tol), Stats()
        self.layout = None
        if net is not None:
            p = next(net.parameters())
            self.layout = Layout(system, p.device, p.dtype)
        self.n = int(system.size)

    def __call__(self, r: np.ndarray) -> np.ndarray:
        r = np.ascontiguousarray(np.asarray(r, dtype=np.float64).reshape(-1))
        sm = self.smoother
        b, u, res = sm.padded(r), np.zeros(sm.shape), np.zeros(sm.shape)
        sm.forward(u, b)
        self.stats.applications += 1
        if self.net is not None:
            sm.residual(u, b, res)
            r1, x = res[sm.inner], u[sm.inner]
            smoother_gain = float(x @ r + x @ r1)  # ||e||_A^2 - ||e1||_A^2 = 2 x.r - x.A x, and A x = r - r1
            t0 = time.perf_counter()
            with torch.no_grad():
                c = self.layout.fields(self.net, torch.as_tensor(r1[None], device=self.layout.device))[0]
            c = c.cpu().numpy()
            t1 = time.perf_counter()
            ac = self.A @ c
            beta, gain = galerkin_step(c.T @ ac, c.T @ r1)
            self.stats.network_seconds += t1 - t0
            self.stats.correction_seconds += time.perf_counter() - t0
            if math.isfinite(gain) and gain > self.drop_tol * max(smoother_gain, 0.0) and np.all(np.isfinite(beta)):
                u[sm.inner] += c @ beta
            else:  # the safeguard: this iteration uses the smoother-only direction
                self.stats.dropped += 1
        sm.backward(u, b)
        return u[sm.inner]

    def operator(self) -> LinearOperator:
        """As a (nonlinear when a network is in) SciPy ``LinearOperator``; its ``stats`` attribute is shared."""
        op = LinearOperator((self.n, self.n), matvec=self, dtype=np.float64)
        op.stats = self.stats  # type: ignore[attr-defined]
        return op


class TwoLevelObjective:
    """The post-smoothed ``A``-norm error-reduction loss on random pre-smoothed errors, as a trainer objective.

    Parameters
    ----------
    net : VCycleNet
        The network being trained.
    systems : sequence of GridSystem
        Training systems (small grids).
    sweeps : int
        Pre- and post-smoothing sweeps (as at use).
    batch_size, probes : int
        Systems per step and random errors per system.
    rng : numpy.random.Generator
        Source of the batches and errors (checkpointed).
    smooth_emphasis : int
        Extra Gauss--Seidel sweeps on the random errors before the pre-smoother:
        shifts them to the smooth end of the spectrum (the modes a Krylov
        iteration with the smoother leaves).
    """

    def __init__(self, net: VCycleNet, systems: Sequence[Any], sweeps: int, batch_size: int, probes: int,
                 rng: np.random.Generator, smooth_emphasis: int = 0):
        self.net, self.sweeps, self.batch_size, self.probes, self.rng = net, sweeps, batch_size, probes, rng
        self.smooth_emphasis = smooth_emphasis
        p = next(net.parameters())
        self.items = []
        for s in systems:
            A = sp.csr_matrix(s.matrix)
            coo = A.tocoo()
            At = torch.sparse_coo_tensor(np.vstack((coo.row, coo.col)), coo.data, size=coo.shape,
                                         dtype=torch.float64, check_invariants=False).coalesce().to(p.device)
            unknown = np.asarray(s.unknown, dtype=bool)
            ii, jj = np.nonzero(unknown)  # C order: the numbering of the unknowns
            colours = [torch.as_tensor(((ii + 1) % 2 == ci) & ((jj + 1) % 2 == cj), device=p.device)
                       for ci, cj in COLOURS]
            self.items.append((A, At, GaussSeidel(s.stencil, unknown, sweeps), Layout(s, p.device, p.dtype),
                               colours))

    def parameters(self) -> list[torch.nn.Parameter]:
        """The network's parameters."""
        return list(self.net.parameters())

    def on_step(self, step: int) -> bool:
        """The loss is stochastic but never restarts anything."""
        return False

    def sample(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Pre-smoothed random errors ``e1`` and their residuals ``A e1``, both ``(probes, N)`` float64."""
        A, _, gs, layout, _ = self.items[i]
        e0 = self.rng.standard_normal((self.probes, A.shape[0]))
        for _ in range(self.smooth_emphasis // gs.sweeps):
            e0 = np.stack([gs.smooth_error(e, A) for e in e0])
        e0 /= np.linalg.norm(e0, axis=1, keepdims=True)  # scale free: keep the numbers O(1)
        e1 = np.stack([gs.smooth_error(e, A) for e in e0])
        r1 = (A @ e1.T).T
        dev = layout.device
        return torch.as_tensor(e1, device=dev), torch.as_tensor(r1, device=dev)

    def item_loss(self, i: int) -> torch.Tensor:
        """Mean ``log`` of the post-smoothed ``A``-norm error ratio of one system's probes."""
        _, At, _, layout, colours = self.items[i]
        e1, r1 = self.sample(i)
        c = layout.fields(self.net, r1)  # (B, N, m)
        bsz, n, m = c.shape
        ac = (At @ c.permute(1, 0, 2).reshape(n, bsz * m)).reshape(n, bsz, m).permute(1, 0, 2)
        G = c.transpose(1, 2) @ ac
        g = (c * r1[..., None]).sum(1)
        d = torch.diagonal(G, dim1=1, dim2=2).clamp_min(1e-300).rsqrt()
        Gs = G * d[:, :, None] * d[:, None, :] + 1e-6 * torch.eye(m, dtype=G.dtype, device=G.device)
        beta = d * torch.linalg.solve(Gs, (g * d)[..., None])[..., 0]
        e = (e1 - (c * beta[:, None, :]).sum(2)).T  # (N, B)
        for _ in range(self.sweeps):  # the exact backward sweeps: one colour at a time
            for col in reversed(colours):
                e = e - (col.to(e.dtype) * layout.dinv)[:, None] * (At @ e)
        after = (e * (At @ e)).sum(0)
        before = (e1 * r1).sum(1)
        return torch.log(after / before).mean()

    def loss(self) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Mean over a random batch of systems of :meth:`item_loss`."""
        p = next(self.net.parameters())
        picks = self.rng.choice(len(self.items), size=min(self.batch_size, len(self.items)), replace=False)
        total = sum(self.item_loss(int(i)) for i in picks) / len(picks)
        return total.to(p.dtype), {}

    def cast(self, dtype: torch.dtype) -> None:
        """Move the network to ``dtype`` (the algebra stays float64)."""
        self.net.to(dtype)
        for item in self.items:
            item[3].static = item[3].static.to(dtype)
            item[3].dtype = dtype

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """The batch generator's state."""
        return rng_state_tensors(self.rng)

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        """Continue the batch generator from a checkpoint."""
        self.rng = restore_rng(self.rng, tensors)


class NeuralTwoLevel(Accelerator):
    """Symmetric Gauss--Seidel plus a multiscale network's smooth-mode correction, safeguarded, in flexible CG.

    Parameters
    ----------
    width : int
        Feature channels of the network at every level.
    directions : int
        Correction fields per application (the ``A``-optimal combination is taken).
    coarsest : int
        The network restricts until a side has at most this many nodes.
    sweeps : int
        Gauss--Seidel sweeps before and after the correction (training and use).
    drop_tol : float
        Safeguard: drop the correction when its ``A``-norm gain is below
        ``drop_tol`` times the pre-smoother's.
    smooth_emphasis : int
        Extra Gauss--Seidel sweeps on the random training errors (0: white
        noise, then the pre-smoother): moves the loss to the smooth end.
    k : int
        Krylov memory of :meth:`solve`: 1 is flexible CG (Polak--Ribiere),
        ``k > 1`` conjugate directions against the last ``k`` directions.
    batch_size, probes : int
        Training systems per Adam step and random errors per system.
    steps, lr : int, float
        Adam steps and initial learning rate (cosine decay to 0).
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
    net_ : VCycleNet
        The fitted network.
    history_, fit_time_, n_parameters_
        The learner contract's fitted attributes.
    """

    name: ClassVar[str] = "neural_two_level"
    _constraints: ClassVar[dict[str, Constraint]] = {
        "width": POSITIVE_COUNT, "directions": POSITIVE_COUNT, "coarsest": integer(3), "sweeps": POSITIVE_COUNT,
        "drop_tol": NON_NEGATIVE, "smooth_emphasis": integer(0), "k": POSITIVE_COUNT, "batch_size": POSITIVE_COUNT,
        "probes": POSITIVE_COUNT,
        "steps": POSITIVE_COUNT, "lr": POSITIVE, "seed": SEED, "device": DEVICE, "dtype": DTYPE,
        "progress": BOOLEAN, "checkpoint_dir": PATH, "checkpoint_every": POSITIVE_COUNT, "resume": BOOLEAN,
    }

    def __init__(self, width: int = 12, directions: int = 4, coarsest: int = 5, *, sweeps: int = 1,
                 drop_tol: float = 1e-4, smooth_emphasis: int = 0, k: int = 1, batch_size: int = 4, probes: int = 4,
                 steps: int = 300,
                 lr: float = 2e-3, seed: int = 0, device: str = "cpu", dtype: str = "float32",
                 progress: bool = False, checkpoint_dir: str | None = None, checkpoint_every: int = 100,
                 resume: bool = False):
        self.width, self.directions, self.coarsest, self.sweeps = width, directions, coarsest, sweeps
        self.drop_tol, self.smooth_emphasis, self.k = drop_tol, smooth_emphasis, k
        self.batch_size, self.probes = batch_size, probes
        self.steps, self.lr, self.seed, self.device, self.dtype = steps, lr, seed, device, dtype
        self.progress, self.checkpoint_dir = progress, checkpoint_dir
        self.checkpoint_every, self.resume = checkpoint_every, resume

    def _net(self) -> VCycleNet:
        return VCycleNet(self.width, self.directions, self.coarsest, seed=self.seed, device=self.device,
                         dtype=self.dtype)

    # -- fitting -----------------------------------------------------------------------
    def fit(self, systems: Sequence[Any], callbacks: Sequence[Callback] = ()) -> NeuralTwoLevel:
        """Train the network on the post-smoothed ``A``-norm error-reduction loss of ``systems``.

        Parameters
        ----------
        systems : sequence of GridSystem
            Training systems of at most ``129 x 129`` nodes (e.g.
            :func:`sciml.accelerators.learned_multigrid.data.training_systems`).
        callbacks : sequence of Callback
            Extra trainer callbacks.

        Returns
        -------
        NeuralTwoLevel
            ``self`` with ``net_``, ``history_``, ``fit_time_``, ``n_parameters_``.

        Raises
        ------
        InvalidParameterError
            A hyperparameter is out of range.
        InvalidDataError
            No systems, a system that is not a grid system, too small or too large.
        """
        self._validate_params()
        systems = list(systems)
        if not systems:
            raise InvalidDataError("fit needs at least one training system")
        for s in systems:
            check_system(s)
            if s.shape[0] * s.shape[1] > MAX_TRAINING_NODES:
                raise InvalidDataError(f"training grid {tuple(s.shape)} is larger than 129 x 129 nodes: train "
                                       "small, the shared weights carry to large grids")
        start = time.perf_counter()
        net = self._net()
        objective = TwoLevelObjective(net, systems, self.sweeps, self.batch_size, self.probes, numpy_rng(self.seed),
                                      self.smooth_emphasis)
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
    def preconditioner(self, system: Any) -> LinearOperator:
        """The two-level map ``r -> B(r)`` on the unknowns of ``system`` (nonlinear: for flexible CG).

        The returned operator's ``stats`` (:class:`Stats`) counts applications,
        dropped corrections and the seconds spent in the network.

        Raises
        ------
        InvalidDataError
            Not a grid system, or a grid smaller than ``5 x 5``.
        """
        self._check_fitted()
        return TwoLevelPreconditioner(system, self.net_, self.sweeps, self.drop_tol).operator()

    def solve(self, system: Any, b: np.ndarray, x0: np.ndarray | None = None, *, rtol: float = 1e-6,
              atol: float = 0.0, maxiter: int | None = None, M: LinearOperator | None = None,
              callback: Callable[[np.ndarray], object] | None = None) -> tuple[np.ndarray, KrylovInfo]:
        """Flexible CG (``k = 1``) or conjugate directions (``k > 1``) with :meth:`preconditioner`.

        ``M`` reuses an operator made by :meth:`preconditioner` (to read its ``stats``).
        """
        m = self.preconditioner(system) if M is None else M
        if self.k == 1:
            return cg(system.matrix, b, x0, rtol=rtol, atol=atol, maxiter=maxiter, M=m, flexible=True,
                      callback=callback)
        return conjugate_directions(system.matrix, b, m.matvec, x0, rtol=rtol, atol=atol, maxiter=maxiter,
                                    k=self.k, callback=callback)

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
