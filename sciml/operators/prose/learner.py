"""PROSE (Liu, Sun, Schaeffer et al., 2024): one transformer that predicts trajectories and their equations.

``fit(dataset)`` trains on trajectories of many ODE systems together with
their right-hand sides as token sequences (a ``prose_odes`` dataset read by
:func:`validation.datasets.prose_odes.unpack`, or any Dataset with the same
names, :mod:`sciml.operators.prose.data`). The loss is
``data_weight * MSE(normalised states) + cross-entropy(next token)``, as in
the paper; during training the observed window gets relative Gaussian noise
(``noise``) and the symbolic input is replaced, with probability
``corrupt``, by a corrupted version of the true system (a term added or
removed, or the coefficients perturbed by up to 5 %: :data:`equations.symbolic.CORRUPTIONS`
at their defaults), so the model learns
to read imperfect equations. ``predict`` gives the states at the output
times (or any ``times``), ``generate`` decodes the equation greedily and
parses it with the toolkit's own grammar (:func:`equations.symbolic.decode_ids`;
never ``eval``): an unparsable sequence gives ``None``.

``symbols_in=False, symbols_out=False`` is the paper's data-only baseline
(the data encoder and the data decoder alone).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch

from equations.errors import InvalidDataError, InvalidParameterError
from equations.symbolic import CORRUPTIONS, PAD_ID, VOCABULARY, System, decode_ids, encode_ids
from equations.symbolic.tokens import BOS_ID, EOS_ID
from sciml.core.callbacks import Callback
from sciml.core.memory import NetworkSize, check_network
from sciml.core.params import (
    BOOLEAN,
    FRACTION,
    NON_NEGATIVE,
    POSITIVE,
    POSITIVE_COUNT,
    Constraint,
    optional,
    sequence_of,
)
from sciml.core.runtime import resolve_device, resolve_dtype, torch_generator
from sciml.operators.learner import OperatorLearner
from sciml.operators.prose.data import ProseArrays, as_prose_arrays
from sciml.operators.prose.net import PROSENet, PROSESizes, count_parameters


class PROSE(OperatorLearner):
    """Multimodal operator and equation learner, scikit-learn style.

    Parameters
    ----------
    width, heads, feedforward : int
        Model width (divisible by ``heads``), attention heads, hidden width
        of each feed-forward block. The paper's code: 512, 8, 2048.
    layers : sequence of 5 int
        Depths of the data encoder, symbol encoder, fusion transformer, data
        decoder and symbol decoder (the paper's code: 2, 4, 8, 8, 8).
    symbols_in, symbols_out : bool
        Read the symbolic input; predict the equation. Both False: the
        data-only baseline.
    steps, batch_size, lr, schedule, final_lr
        AdamW settings (:class:`~sciml.core.training.Adam`; ``final_lr`` left
        out decays a cosine schedule to 0 and an exponential one to ``lr / 100``).
        The default 3000 steps of 64 samples take 24 min on ``prose_odes`` on
        one core of a 2-core AMD EPYC with the other core busy (0.48 s a step).
    data_weight : float
        Weight of the data loss against the token cross-entropy.
    noise : float
        Relative Gaussian noise on the observed window during training.
    corrupt : float
        Probability that a training sample's symbolic input is corrupted.
    seed, device, dtype, progress, checkpoint_dir, checkpoint_every, resume
        As for every operator learner.
    """

    name: ClassVar[str] = "prose"
    _constraints: ClassVar[dict[str, Constraint]] = {
        "width": POSITIVE_COUNT, "heads": POSITIVE_COUNT, "feedforward": POSITIVE_COUNT,
        "layers": sequence_of(POSITIVE_COUNT, length=5), "symbols_in": BOOLEAN, "symbols_out": BOOLEAN,
        "steps": POSITIVE_COUNT, "batch_size": optional(POSITIVE_COUNT), "data_weight": POSITIVE,
        "noise": NON_NEGATIVE, "corrupt": FRACTION,
    }

    net_: PROSENet
    layout_: dict[str, Any]

    def __init__(self, width: int = 64, heads: int = 4, feedforward: int = 128,
                 layers: Sequence[int] = (2, 2, 2, 2, 2), symbols_in: bool = True, symbols_out: bool = True,
                 steps: int = 3000, batch_size: int | None = 64, lr: float = 1e-3, schedule: str = "cosine",
                 final_lr: float | None = None, data_weight: float = 1.0, noise: float = 0.02,
                 corrupt: float = 0.15, seed: int = 0, device: str = "cpu", dtype: str = "float32",
                 progress: bool = False, checkpoint_dir: str | None = None, checkpoint_every: int = 1000,
                 resume: bool = False):
        self.width = width
        self.heads = heads
        self.feedforward = feedforward
        self.layers = tuple(layers) if isinstance(layers, (list, tuple, np.ndarray)) else layers
        self.symbols_in = symbols_in
        self.symbols_out = symbols_out
        self.steps = steps
        self.batch_size = batch_size
        self.lr = lr
        self.schedule = schedule
        self.final_lr = final_lr
        self.data_weight = data_weight
        self.noise = noise
        self.corrupt = corrupt
        self._store_run_settings(seed, device, dtype, progress, checkpoint_dir, checkpoint_every, resume)

    # -- building --------------------------------------------------------------------
    def _sizes(self) -> PROSESizes:
        if self.width % self.heads:
            raise InvalidParameterError(f"PROSE width={self.width} must be divisible by heads={self.heads}")
        return PROSESizes(self.width, self.heads, self.feedforward, *self.layers)

    def _network_size(self, components: int, max_tokens: int) -> NetworkSize:
        count = count_parameters(self._sizes(), len(VOCABULARY), components, max_tokens, self.symbols_in,
                                 self.symbols_out)
        return NetworkSize(count + 1 + 2 * components, per_point=4 * self.width)

    def _build(self, components: int, max_tokens: int, training: bool) -> PROSENet:
        device, dtype = resolve_device(self.device), resolve_dtype(self.dtype)
        check_network("the PROSE network", self._network_size(components, max_tokens), dtype, training=training)
        return PROSENet(len(VOCABULARY), components, max_tokens, self._sizes(), symbols_in=self.symbols_in,
                        symbols_out=self.symbols_out, generator=torch_generator(self.seed, device), device=device,
                        dtype=dtype)

    # -- fitting ---------------------------------------------------------------------
    def fit(self, dataset: Any, callbacks: Sequence[Callback] = ()) -> PROSE:  # type: ignore[override]
        """Train on ``dataset`` (see the module docstring); returns ``self`` with ``net_``, ``history_``..."""
        self._validate_params()
        data = as_prose_arrays(dataset, need_output=True)
        assert data.u_output is not None and data.t_output is not None
        corrupted = corrupted_inputs(data.tokens, data.tokens.shape[1], np.random.default_rng(self.seed)) \
            if self.symbols_in and self.corrupt > 0 else data.tokens
        # the padding beyond the longest sequence (true or corrupted) costs attention and teaches nothing
        max_tokens = max(content_length(data.tokens), content_length(corrupted))
        tokens, corrupted = data.tokens[:, :max_tokens], corrupted[:, :max_tokens]
        components = data.u_input.shape[2]
        net = self._build(components, max_tokens, training=True)
        both = np.concatenate([data.u_input, data.u_output], 1)
        present = np.broadcast_to(data.mask[:, None, :], both.shape)
        mean = np.array([both[..., c][present[..., c]].mean() if present[..., c].any() else 0.0
                         for c in range(components)])
        std = np.array([both[..., c][present[..., c]].std() if present[..., c].any() else 1.0
                        for c in range(components)])
        with torch.no_grad():
            net.time_scale.fill_(float(max(data.t_output.max(), data.t_input.max())))
            net.state_mean.copy_(torch.tensor(mean))
            net.state_std.copy_(torch.tensor(np.where(std > 0, std, 1.0)))
        self.layout_ = {"components": int(components), "max_tokens": int(max_tokens),
                        "t_input": data.t_input.tolist(), "t_output": data.t_output.tolist()}
        self._train(net, self._loss_fn(net, data, tokens, corrupted), data.n, self.steps, self.batch_size, callbacks)
        return self

    def _loss_fn(self, net: PROSENet, data: ProseArrays, true_ids: np.ndarray, corrupted: np.ndarray) -> Any:
        dev, dt = net.state_mean.device, net.state_mean.dtype

        def t(a: np.ndarray, dtype: torch.dtype = dt) -> torch.Tensor:
            return torch.tensor(a, dtype=dtype, device=dev)  # a copy: the arrays may be read-only views

        t_in, t_out = t(data.t_input), t(data.t_output)  # type: ignore[arg-type]
        u_in, u_out, mask = t(data.u_input), t(data.u_output), t(data.mask)  # type: ignore[arg-type]
        tokens, wrong = t(true_ids, torch.long), t(corrupted, torch.long)
        noise = torch.Generator(device=dev)
        noise.manual_seed(self.seed + 1)  # the training noise: its own stream (a resumed run redraws it)
        weight, rel, p_corrupt = float(self.data_weight), float(self.noise), float(self.corrupt)

        def loss(batch: torch.Tensor | None) -> torch.Tensor:
            idx = batch if batch is not None else torch.arange(data.n, device=dev)
            b = idx.numel()
            ui = u_in[idx]
            if rel > 0:
                ui = ui * (1 + rel * torch.randn(ui.shape, generator=noise, device=dev, dtype=dt))
            ids_in = tokens[idx]
            if self.symbols_in and p_corrupt > 0:
                swap = torch.rand(b, generator=noise, device=dev) < p_corrupt
                ids_in = torch.where(swap[:, None], wrong[idx], ids_in)
            memory, pad = net.encode(t_in.expand(b, -1), ui, ids_in, ids_in == PAD_ID)
            m = mask[idx][:, None, :]
            err = (net.decode_data(memory, pad, t_out.expand(b, -1)) - u_out[idx]) / net.state_std
            total = weight * (err.square() * m).sum() / (m.sum() * t_out.numel())
            if self.symbols_out:
                target = tokens[idx]
                logits = net.symbol_logits(memory, pad, target[:, :-1])
                total = total + torch.nn.functional.cross_entropy(
                    logits.reshape(-1, logits.shape[-1]), target[:, 1:].reshape(-1), ignore_index=PAD_ID)
            return total

        return loss

    # -- prediction ------------------------------------------------------------------
    def _memory(self, data: ProseArrays, rows: slice) -> tuple[torch.Tensor, torch.Tensor | None]:
        net = self.net_
        dev, dt = net.state_mean.device, net.state_mean.dtype
        u = torch.tensor(data.u_input[rows], dtype=dt, device=dev)
        ids = torch.tensor(data.tokens[rows], dtype=torch.long, device=dev)
        t = torch.tensor(data.t_input, dtype=dt, device=dev).expand(u.shape[0], -1)
        return net.encode(t, u, ids if self.symbols_in else None, (ids == PAD_ID) if self.symbols_in else None)

    def _checked(self, dataset: Any) -> ProseArrays:
        self._check_fitted()
        data = as_prose_arrays(dataset, need_output=False)
        layout = self.layout_
        length = content_length(data.tokens)
        if data.u_input.shape[2] != layout["components"] or length > layout["max_tokens"]:
            raise InvalidDataError(f"PROSE was fitted on {layout['components']} components and <= "
                                   f"{layout['max_tokens']} tokens; got {data.u_input.shape[2]} and {length}")
        if data.t_input.shape != (len(layout["t_input"]),) or not np.allclose(data.t_input, layout["t_input"]):
            raise InvalidDataError("PROSE: the observed times t_input differ from the training ones")
        return dataclasses.replace(data, tokens=data.tokens[:, :length])

    def predict(self, dataset: Any, times: np.ndarray | None = None,  # type: ignore[override]
                batch: int = 256) -> np.ndarray:
        """States ``(n, Q, C)`` at ``times`` (default: the dataset's ``t_output``); zero on absent components."""
        data = self._checked(dataset)
        q = np.asarray(times if times is not None else
                       (data.t_output if data.t_output is not None else self.layout_["t_output"]), dtype=np.float64)
        if q.ndim != 1 or not np.all(np.isfinite(q)):
            raise InvalidDataError(f"PROSE.predict: times must be a 1D finite array, got shape {q.shape}")
        net = self.net_
        out = []
        with torch.no_grad():
            tq = torch.tensor(q, dtype=net.state_mean.dtype, device=net.state_mean.device)
            for k in range(0, data.n, batch):
                memory, pad = self._memory(data, slice(k, k + batch))
                out.append(net.decode_data(memory, pad, tq.expand(memory.shape[0], -1)).cpu().double().numpy())
        return np.concatenate(out) * data.mask[:, None, :]

    def generate_ids(self, dataset: Any, batch: int = 256) -> np.ndarray:
        """Greedily decoded token ids ``(n, max_tokens)`` (``<bos> ... <eos>``, ``<pad>`` after)."""
        if not self.symbols_out:
            raise InvalidParameterError("this PROSE model has no symbol decoder (symbols_out=False)")
        data = self._checked(dataset)
        length = self.layout_["max_tokens"]
        out = np.full((data.n, length), PAD_ID, dtype=np.int64)
        for k in range(0, data.n, batch):
            memory, pad = self._memory(data, slice(k, k + batch))
            ids = self.net_.generate(memory, pad, BOS_ID, EOS_ID, PAD_ID, length).cpu().numpy()
            out[k: k + ids.shape[0], : ids.shape[1]] = ids
        return out

    def generate(self, dataset: Any, batch: int = 256) -> list[System | None]:
        """The equation of each sample, parsed by the toolkit's grammar; None where the tokens do not parse."""
        data = self._checked(dataset)
        dims = data.mask.sum(1)
        out: list[System | None] = []
        for ids, d in zip(self.generate_ids(dataset, batch), dims):
            try:
                out.append(decode_ids(ids, dim=int(d)))
            except InvalidDataError:
                out.append(None)
        return out

    # -- persistence -----------------------------------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        fitted, tensors = super()._state()
        return {**fitted, "layout": dict(self.layout_)}, tensors

    def _saved_size(self, fitted: dict[str, Any]) -> NetworkSize:
        layout = fitted["layout"]
        return self._network_size(int(layout["components"]), int(layout["max_tokens"]))

    def _restore(self, fitted: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        layout = dict(fitted["layout"])
        net = self._build(int(layout["components"]), int(layout["max_tokens"]), training=False)
        self._restore_network(net, tensors)
        self.layout_ = layout


def content_length(tokens: np.ndarray) -> int:
    """Columns up to the last one holding a token other than ``<pad>`` in any row (at least 1)."""
    used = np.flatnonzero((tokens != PAD_ID).any(0))
    return int(used[-1]) + 1 if used.size else 1


def corrupted_inputs(tokens: np.ndarray, max_tokens: int, rng: np.random.Generator,
                     kinds: Sequence[str] | None = None, **options: Any) -> np.ndarray:
    """One corrupted version of each sample's system, as padded ids; the true ids where it does not fit.

    The corruption is drawn uniformly per sample among ``kinds`` (default: every one of
    :data:`equations.symbolic.CORRUPTIONS`) and called with ``options`` (e.g. ``relative``).
    """
    out = tokens.copy()
    names = sorted(CORRUPTIONS) if kinds is None else list(kinds)
    for i, ids in enumerate(tokens):
        corrupt = CORRUPTIONS[names[int(rng.integers(len(names)))]]
        try:
            out[i] = encode_ids(corrupt(decode_ids(ids), rng, **options), max_tokens)[0]
        except (InvalidDataError, InvalidParameterError):  # too long, or nothing to remove: the true system
            continue
    return out
