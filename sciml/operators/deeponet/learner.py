"""DeepONet (Lu et al., 2021): learn an operator ``u -> G(u)`` from input/output function pairs.

Data layouts (``n`` samples, ``m`` sensors, ``d`` point dimensions, ``c`` outputs):

- aligned (Cartesian product): ``inputs (n, m)``, ``points (P, d)`` shared by
  every sample, ``outputs (n, P)`` or ``(n, P, c)``. Each step evaluates the
  trunk once for the whole batch; the data are normalised once before training.
- unaligned: ``points (n, Q, d)`` of each sample's own output points,
  ``outputs (n, Q)`` or ``(n, Q, c)``; ``Q = 1`` gives the paper's triplets
  ``(u, y, G(u)(y))``.
- an xarray Dataset with ``input`` (sample, sensor...) and ``output``
  (sample, *output dims[, component]``) as made by :func:`validation.datasets.make`.

Variants: POD-DeepONet (``pod_modes``: the trunk is replaced by the POD modes
of the training outputs), several outputs (the branch's last layer is split per
output, the trunk is shared), physics-informed (``physics``: the residual of a
first-order equation spec such as ``antiderivative`` at collocation points, with
or without data). Inputs, points and outputs are normalised with the training
data's statistics, which are saved with the model.

>>> DeepONet(steps=10).branch
(40, 40)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch

from equations.core import OUTSIDE_RTOL
from equations.errors import InvalidDataError, InvalidParameterError, check_integer
from sciml.core.base import warn_extrapolation
from sciml.core.callbacks import Callback
from sciml.core.memory import NetworkSize, check_network
from sciml.core.params import (
    BOOLEAN,
    COUNT,
    NAME,
    NON_NEGATIVE,
    POSITIVE_COUNT,
    WIDTHS,
    Constraint,
    choice,
    integer,
    optional,
    sequence_of,
)
from sciml.core.runtime import resolve_device, resolve_dtype, torch_generator
from sciml.operators.deeponet.data import OperatorData, as_operator_data
from sciml.operators.deeponet.fast import DERIVATIVES, aligned_loss_and_grads
from sciml.operators.deeponet.net import ACTIVATIONS, DeepONetNet
from sciml.operators.deeponet.physics import PhysicsLoss
from sciml.operators.learner import OperatorLearner
from sciml.operators.shapes import input_batch, query_points

LOSSES = ("auto", "relative_l2", "mse")


class DeepONet(OperatorLearner):
    """Deep operator network, scikit-learn style.

    Parameters
    ----------
    branch, trunk : sequence of int
        Hidden and output widths of the branch net (its input width is the
        number of sensors) and of the trunk net (input: the point dimension);
        the last widths (``p``) must agree. The paper's antiderivative network
        is ``branch=(40, 40), trunk=(40, 40)``.
    activation : str
        ``relu`` (the paper's), ``tanh``, ``sin``, ``gelu`` or ``silu``.
    pod_modes : int, optional
        POD-DeepONet with this many modes (aligned data only; ``trunk`` unused).
    steps, lr, schedule, final_lr, batch_size
        Adam settings (:class:`~sciml.core.training.Adam`; ``final_lr`` left
        out: ``lr / 100``, for ``one_cycle`` ``lr / 25 / 1e4``);
        ``batch_size=None`` is full-batch training.
    loss : {"auto", "relative_l2", "mse"}
        Data loss: the relative L2 error per sample and output averaged over the
        batch, or the mean squared error of the normalised outputs; ``auto``
        picks ``mse`` for one point per sample (triplets), else ``relative_l2``.
    normalize : bool
        Standardise inputs and outputs and scale points to [-1, 1] with the
        training data's statistics.
    physics : str, optional
        Name of a registered first-order equation spec driven by the input
        (``"antiderivative"``): its residual at ``n_collocation`` uniform points
        and its left-end condition are added to the loss (``physics_weight``).
    seed, device, dtype
        Seed of the weights and the batch order; where and in which precision.
    progress, checkpoint_dir, checkpoint_every, resume
        tqdm bar; checkpoint folder, period in steps and resumption.
    compile : bool
        Wrap the loss in :func:`torch.compile` (worth it for long GPU runs).
    """

    name: ClassVar[str] = "deeponet"
    # with the training settings every operator learner shares (OperatorLearner._constraints)
    _constraints: ClassVar[dict[str, Constraint]] = {
        "branch": WIDTHS, "trunk": sequence_of(POSITIVE_COUNT, min_len=0), "activation": choice(*ACTIVATIONS),
        "pod_modes": optional(POSITIVE_COUNT), "steps": COUNT, "batch_size": optional(POSITIVE_COUNT),
        "loss": choice(*LOSSES), "normalize": BOOLEAN, "physics": optional(NAME), "physics_weight": NON_NEGATIVE,
        "n_collocation": integer(2), "compile": BOOLEAN,
    }

    net_: DeepONetNet
    layout_: dict[str, Any]

    def __init__(self, branch: Sequence[int] = (40, 40), trunk: Sequence[int] = (40, 40), activation: str = "relu",
                 pod_modes: int | None = None, steps: int = 10000, lr: float = 1e-3, schedule: str = "constant",
                 final_lr: float | None = None, batch_size: int | None = None, loss: str = "auto",
                 normalize: bool = True, physics: str | None = None, physics_weight: float = 1.0,
                 n_collocation: int = 101, seed: int = 0, device: str = "cpu", dtype: str = "float32",
                 progress: bool = False, checkpoint_dir: str | None = None, checkpoint_every: int = 1000,
                 resume: bool = False, compile: bool = False):
        # tuples as documented; anything else is kept as given for _validate_params to name
        self.branch = tuple(branch) if isinstance(branch, (list, tuple, np.ndarray)) else branch
        self.trunk = tuple(trunk) if isinstance(trunk, (list, tuple, np.ndarray)) else trunk
        self.activation = activation
        self.pod_modes = pod_modes
        self.steps = steps
        self.lr = lr
        self.schedule = schedule
        self.final_lr = final_lr
        self.batch_size = batch_size
        self.loss = loss
        self.normalize = normalize
        self.physics = physics
        self.physics_weight = physics_weight
        self.n_collocation = n_collocation
        self._store_run_settings(seed, device, dtype, progress, checkpoint_dir, checkpoint_every, resume)
        self.compile = compile

    # -- fitting --------------------------------------------------------------------
    def fit(self, dataset: Any, outputs: np.ndarray | None = None,
            points: np.ndarray | None = None, callbacks: Sequence[Callback] = ()) -> DeepONet:
        """Train on a Dataset, or on input functions ``dataset`` with ``outputs`` at ``points``.

        See the module docstring for the array layouts. With ``physics`` and no
        ``outputs``, only the inputs (and optional collocation ``points``) are
        needed. Returns ``self`` with ``net_``, ``history_``, ``fit_time_``,
        ``n_parameters_`` set.
        """
        self._validate_params()
        data = as_operator_data(dataset, outputs, points)
        if data.outputs is None and self.physics is None:
            raise InvalidParameterError("DeepONet.fit needs outputs (or physics= for physics-only training)")
        if self.pod_modes is not None and (not data.aligned or data.outputs is None):
            raise InvalidParameterError("POD-DeepONet needs aligned training outputs (shared points)")
        device, dtype = resolve_device(self.device), resolve_dtype(self.dtype)
        physics = PhysicsLoss(self.physics, data, self.n_collocation) if self.physics else None
        net = self._build(data, device, dtype)
        self._set_statistics(net, data, physics)
        loss_fn = self._loss_fn(net, data, physics, device, dtype)
        self.layout_ = {**data.layout(), "point_bounds": _point_bounds(data, physics)}
        self._train(net, loss_fn, data.n, self.steps, self.batch_size, callbacks)
        return self

    def _layers(self, data: OperatorData) -> tuple[list[int], list[int] | None, int]:
        """Branch widths, trunk widths (None for POD) and the number of POD points, checked."""
        for w in (*self.branch, *self.trunk):
            check_integer("layer width", w, 1)
        if not self.branch or (self.pod_modes is None and (not self.trunk or self.trunk[-1] != self.branch[-1])):
            raise InvalidParameterError(f"branch and trunk need >= 1 layer and the same last width (p), got "
                                        f"branch={self.branch}, trunk={self.trunk}")
        branch = [data.m, *self.branch]
        n_pod = 0
        if self.pod_modes is not None:
            p = check_integer("pod_modes", self.pod_modes, 1)
            n_pod = data.n_points
            if p > min(data.n * data.c, n_pod):
                raise InvalidParameterError(f"pod_modes={p} exceeds the rank bound {min(data.n * data.c, n_pod)}")
            branch[-1] = p
        trunk = None if self.pod_modes is not None else [data.d, *self.trunk]
        return branch, trunk, n_pod

    def _network_size(self, data: OperatorData) -> NetworkSize:
        """What the network for ``data`` will hold (its state dict), counted before it is built."""
        branch, trunk, n_pod = self._layers(data)
        count = DeepONetNet.count(branch, trunk, data.c, data.d, pod_modes=branch[-1] if n_pod else 0,
                                  n_pod_points=n_pod)
        return NetworkSize(count, per_point=data.d + sum(trunk or ()))

    def _build(self, data: OperatorData, device: torch.device, dtype: torch.dtype,
               training: bool = True) -> DeepONetNet:
        """The network for ``data``; :class:`~equations.errors.ResourceError` first if it would not fit."""
        check_network(f"the DeepONet network for {data.m} sensors", self._network_size(data), dtype,
                      training=training)
        branch, trunk, n_pod = self._layers(data)
        return DeepONetNet(branch, trunk, self.activation, data.c, data.d, pod_modes=branch[-1] if n_pod else 0,
                           n_pod_points=n_pod, generator=torch_generator(self.seed, device), device=device,
                           dtype=dtype)

    def _set_statistics(self, net: DeepONetNet, data: OperatorData, physics: PhysicsLoss | None) -> None:
        stats: dict[str, Any] = {}
        if self.normalize:
            assert data.inputs is not None
            stats["in_mean"], stats["in_std"] = np.mean(data.inputs), _std(data.inputs)
            pts = data.points if data.points is not None else physics.points  # type: ignore[union-attr]
            flat = pts.reshape(-1, data.d)
            lo, hi = flat.min(0), flat.max(0)
            stats["pt_shift"] = (lo + hi) / 2
            stats["pt_scale"] = np.where(hi > lo, 2.0 / np.where(hi > lo, hi - lo, 1.0), 1.0)
            if data.outputs is not None:
                by_c = np.moveaxis(data.outputs, -1, 0).reshape(data.c, -1)
                stats["out_mean"], stats["out_std"] = by_c.mean(1), np.array([_std(v) for v in by_c])
        if net.is_pod:
            mean_c, std_c = stats.get("out_mean", np.zeros(data.c)), stats.get("out_std", np.ones(data.c))
            s = np.moveaxis((data.outputs - mean_c) / std_c, -1, 1)  # type: ignore[operator]  # (n, c, P)
            mean = s.mean(0)
            _, _, vt = np.linalg.svd((s - mean).reshape(-1, data.n_points), full_matrices=False)
            # modes scaled to unit RMS over the points, so the branch's coefficients are O(1)
            stats["pod_basis"] = vt[: self.pod_modes].T * np.sqrt(data.n_points)
            stats["pod_mean"] = mean
        with torch.no_grad():
            for key, value in stats.items():
                buf = getattr(net, key)
                buf.copy_(torch.as_tensor(np.asarray(value), dtype=buf.dtype).reshape(buf.shape))

    def _loss_fn(self, net: DeepONetNet, data: OperatorData, physics: PhysicsLoss | None, device: torch.device,
                 dtype: torch.dtype) -> Any:
        def t(a: np.ndarray) -> torch.Tensor:
            return torch.tensor(a, dtype=dtype, device=device)

        assert data.inputs is not None
        with torch.no_grad():  # normalise the data once, not every step
            un = net.encode_inputs(t(data.inputs))
            yn = net.encode_points(t(data.points)) if data.points is not None else None
            sn, weight = None, None
            if data.outputs is not None:
                s = t(data.outputs)
                sn = (s - net.out_mean) / net.out_std  # (n, P|Q, c)
                kind = self.loss if self.loss != "auto" else ("mse" if data.n_points == 1 else "relative_l2")
                if kind == "relative_l2":
                    norms = torch.linalg.vector_norm(s, dim=1)  # (n, c)
                    if bool((norms == 0).any()):
                        raise InvalidDataError("relative_l2 loss: some training outputs are identically zero; "
                                               "use loss='mse'")
                    weight = net.out_std / norms
                if data.aligned:
                    sn = sn.transpose(1, 2).contiguous()  # (n, c, P): the network's aligned layout
        pi = physics.bind(net, un, device, dtype) if physics is not None else None
        aligned, w_pi = data.aligned, float(self.physics_weight)
        if aligned and pi is None and sn is not None and self.activation in DERIVATIVES and not self.compile:
            params = [*net.branch, *net.trunk, net.bias]  # the order of the gradients below

            def fast(batch: torch.Tensor | None) -> torch.Tensor:  # hand-written gradient, no autograd graph
                ub, target = (un, sn) if batch is None else (un[batch], sn[batch])  # type: ignore[index]
                w = weight if weight is None or batch is None else weight[batch]
                value, grads = aligned_loss_and_grads(net, self.activation, ub, yn, target, w)
                for p, g in zip(params, grads):
                    p.grad = g
                return value

            return fast

        def loss(batch: torch.Tensor | None) -> torch.Tensor:
            ub = un if batch is None else un[batch]
            total = torch.zeros((), dtype=dtype, device=device)
            if sn is not None:
                target = sn if batch is None else sn[batch]
                if aligned:
                    g = net.aligned(ub, yn)
                    diff = g - target  # (b, c, P)
                    point_dim = 2
                else:
                    assert yn is not None
                    g = net.unaligned(ub, yn if batch is None else yn[batch])
                    diff = g - target  # (b, Q, c)
                    point_dim = 1
                if weight is None:
                    total = diff.square().mean()
                else:
                    w = weight if batch is None else weight[batch]
                    total = (torch.linalg.vector_norm(diff, dim=point_dim) * w).mean()
            if pi is not None:
                total = total + w_pi * pi(ub, batch)
            return total

        return torch.compile(loss) if self.compile else loss

    # -- prediction -------------------------------------------------------------------
    def predict(self, inputs: Any, points: np.ndarray | None = None,  # type: ignore[override]
                batch: int = 4096) -> np.ndarray:
        """Outputs for ``inputs`` (or a Dataset) at ``points``.

        ``inputs`` are ``(n, m)``, ``(n, m, 1)`` or one function ``(m,)``;
        ``points`` ``(P, d)`` (for ``d = 1`` also ``(P,)``) are shared by every
        sample and give ``(n, P[, c])``; ``(n, Q, d)`` (for ``d = 1`` also
        ``(n, Q)``) are per-sample points and give ``(n, Q[, c])``; ``None``
        means the training points (aligned fits). The component axis ``c`` is
        there when the training outputs had one. A Dataset gives an array shaped
        like its ``output``. Other shapes raise InvalidDataError naming the
        expected and the given shape (:mod:`sciml.operators.shapes`).
        """
        self._check_fitted()
        net, layout = self.net_, self.layout_
        shape = None
        if hasattr(inputs, "data_vars"):  # on the dataset's output grid (or the training one)
            n = inputs.sizes["sample"]
            if "output" in inputs.data_vars:
                data = as_operator_data(inputs)
                inputs, points, shape = data.inputs, data.points, (n, *(data.output_shape or ()))
            else:
                inputs = np.asarray(inputs["input"].values).reshape(n, -1)
                shape = (n, *layout["output_shape"]) if layout["output_shape"] else None
        u = input_batch(inputs, layout["m"])
        if points is None:
            if layout["points"] is None:
                raise InvalidParameterError("predict needs points (the model was not fitted on shared points)")
            points = np.asarray(layout["points"])
        y = query_points(points, layout["d"], u.shape[0])
        _warn_outside_training(self, y)
        if net.is_pod and (y.ndim == 3 or not np.array_equal(y, np.asarray(layout["points"]))):
            raise InvalidParameterError("a POD-DeepONet predicts at its training points only")
        dtype, device = net.bias.dtype, net.bias.device
        out = []
        with torch.no_grad():
            yn = net.encode_points(torch.tensor(y, dtype=dtype, device=device))
            for k in range(0, u.shape[0], batch):
                un = net.encode_inputs(torch.as_tensor(u[k : k + batch], dtype=dtype, device=device))
                if y.ndim == 2:
                    out.append(net.decode(net.aligned(un, yn), 1).transpose(1, 2))
                else:
                    out.append(net.decode(net.unaligned(un, yn[k : k + batch]), 2))
        pred = torch.cat(out).cpu().numpy().astype(np.float64)
        if shape is not None:
            return pred.reshape(shape)
        return pred[..., 0] if layout["squeeze"] else pred

    # -- persistence (the base's save/load call these) ---------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """The network with the layout; shared points go with the tensors, the layout says whether there are any."""
        fitted, tensors = super()._state()
        layout = dict(self.layout_)
        if layout["points"] is not None:
            tensors["layout.points"] = torch.as_tensor(np.asarray(layout["points"]))
        layout["points"] = layout["points"] is not None
        return {**fitted, "layout": layout}, tensors

    def _saved_size(self, fitted: dict[str, Any]) -> NetworkSize:
        layout = dict(fitted["layout"])
        data = OperatorData.from_layout({**layout, "points": None})
        _checked_bounds(layout.get("point_bounds"), data.d)
        return self._network_size(data)

    def _restore(self, fitted: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        layout, tensors = dict(fitted["layout"]), dict(tensors)
        layout["points"] = tensors.pop("layout.points").numpy() if layout["points"] else None
        data = OperatorData.from_layout(layout)
        layout["point_bounds"] = _checked_bounds(layout.get("point_bounds"), data.d)
        net = self._build(data, resolve_device(self.device), resolve_dtype(self.dtype), training=False)
        self._restore_network(net, tensors)
        self.layout_ = layout


def _point_bounds(data: OperatorData, physics: PhysicsLoss | None) -> list[list[float]] | None:
    """``[lower, upper]`` per point coordinate of the training (or collocation) points; None if there are none."""
    pts = data.points if data.points is not None else (physics.points if physics is not None else None)
    if pts is None:
        return None
    flat = np.asarray(pts, dtype=float).reshape(-1, data.d)
    return [flat.min(0).tolist(), flat.max(0).tolist()]


def _checked_bounds(bounds: Any, d: int) -> list[list[float]] | None:
    """Saved point bounds as ``[lower, upper]`` of ``d`` finite numbers each; ValueError (a malformed model) else."""
    if bounds is None:  # absent: a model saved before the bounds were recorded
        return None
    arr = np.asarray(bounds, dtype=float)  # raises ValueError/TypeError for ragged or non-numeric lists
    if arr.shape != (2, d) or not np.isfinite(arr).all() or (arr[0] > arr[1]).any():
        raise ValueError(f"layout point_bounds must be [lower, upper] with {d} finite numbers each, lower <= upper")
    return arr.tolist()


def _warn_outside_training(learner: DeepONet, y: np.ndarray) -> None:
    """ExtrapolationWarning (once per learner) for output points outside the training points' range."""
    bounds = learner.layout_.get("point_bounds")
    if not bounds:  # a model saved before the bounds were recorded
        return
    lo, hi = np.asarray(bounds[0], dtype=float), np.asarray(bounds[1], dtype=float)
    tol = OUTSIDE_RTOL * np.maximum(hi - lo, np.abs(hi) + np.abs(lo) + 1.0)
    flat = y.reshape(-1, y.shape[-1])
    excess = np.maximum(np.maximum(lo - tol - flat, flat - hi - tol), 0.0)
    box = " x ".join(f"[{a:g}, {b:g}]" for a, b in zip(lo, hi))
    warn_extrapolation(learner, np.sqrt((excess**2).sum(axis=1)), f"the training points' range {box}",
                       stacklevel=4)


def _std(a: np.ndarray) -> float:
    s = float(np.std(a))
    return s if s > 0 else 1.0
