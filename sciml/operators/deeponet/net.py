"""The DeepONet network: branch and trunk MLPs (or POD modes), merged by a dot product.

``G(u)(y)_c = sum_k b_{c,k}(u) t_k(y) + b0_c`` for each output component ``c``:
the branch's last layer has ``p * n_outputs`` features split per output, the
trunk's ``p`` features are shared ("split branch"). Normalisation lives in
buffers (input mean/std, point bounds, output mean/std), so a saved network
predicts in physical units on its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from equations.errors import UnknownNameError

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu, "tanh": torch.tanh, "sin": torch.sin, "gelu": nn.functional.gelu,
    "silu": nn.functional.silu,
}


def activation(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise UnknownNameError(f"unknown activation {name!r}; available: {', '.join(sorted(ACTIVATIONS))}") from None


def _layers(sizes: Sequence[int], gen: torch.Generator, device: torch.device, dtype: torch.dtype) -> nn.ParameterList:
    """Glorot-normal weights and zero biases, ``W0, b0, W1, b1...``."""
    out = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        std = math.sqrt(2.0 / (fan_in + fan_out))
        out.append(nn.Parameter(torch.randn(fan_out, fan_in, generator=gen, dtype=dtype, device=device) * std))
        out.append(nn.Parameter(torch.zeros(fan_out, dtype=dtype, device=device)))
    return nn.ParameterList(out)


def _mlp(x: torch.Tensor, layers: nn.ParameterList, act: Callable, last_activation: bool) -> torch.Tensor:
    n = len(layers) // 2
    for i in range(n):
        x = torch.addmm(layers[2 * i + 1], x, layers[2 * i].T)
        if i < n - 1 or last_activation:
            x = act(x)
    return x


class DeepONetNet(nn.Module):
    """Branch (and trunk) parameters plus the normalisation buffers.

    Parameters
    ----------
    branch : sequence of int
        Branch widths ``[m, ..., p]``; its last layer gets ``p * n_outputs`` features.
    trunk : sequence of int, optional
        Trunk widths ``[d, ..., p]``; ``None`` with ``pod_modes`` (POD-DeepONet).
    activation : str
        Activation of the hidden layers (and of the trunk's output, as in DeepXDE).
    n_outputs : int
    n_points_dim : int
        Dimension ``d`` of the output points.
    pod_modes : int
        Number of POD modes when ``trunk`` is None (``p``); their values and the
        mean output live in the buffers ``pod_basis`` (P, p) and ``pod_mean`` (n_outputs, P).
    """

    in_mean: torch.Tensor
    in_std: torch.Tensor
    pt_shift: torch.Tensor
    pt_scale: torch.Tensor
    out_mean: torch.Tensor
    out_std: torch.Tensor
    pod_basis: torch.Tensor
    pod_mean: torch.Tensor

    def __init__(self, branch: Sequence[int], trunk: Sequence[int] | None, activation_name: str, n_outputs: int,
                 n_points_dim: int, *, pod_modes: int = 0, n_pod_points: int = 0, generator: torch.Generator,
                 device: torch.device, dtype: torch.dtype):
        super().__init__()
        self.p = int(branch[-1])
        self.n_outputs = n_outputs
        self.act = activation(activation_name)
        self.branch = _layers([*branch[:-1], self.p * n_outputs], generator, device, dtype)
        self.trunk = _layers(trunk, generator, device, dtype) if trunk is not None else nn.ParameterList()
        self.bias = nn.Parameter(torch.zeros(n_outputs, dtype=dtype, device=device))
        for key, shape, fill in (("in_mean", (), 0.0), ("in_std", (), 1.0), ("pt_shift", (n_points_dim,), 0.0),
                                 ("pt_scale", (n_points_dim,), 1.0), ("out_mean", (n_outputs,), 0.0),
                                 ("out_std", (n_outputs,), 1.0), ("pod_basis", (n_pod_points, pod_modes), 0.0),
                                 ("pod_mean", (n_outputs, n_pod_points), 0.0)):
            self.register_buffer(key, torch.full(shape, fill, dtype=dtype, device=device))

    @staticmethod
    def count(branch: Sequence[int], trunk: Sequence[int] | None, n_outputs: int, n_points_dim: int, *,
              pod_modes: int = 0, n_pod_points: int = 0) -> int:
        """Numbers in the state dict the constructor makes with these arguments (parameters and buffers)."""

        def layers(sizes: Sequence[int]) -> int:
            return sum(i * o + o for i, o in zip(sizes[:-1], sizes[1:]))

        p = int(branch[-1])
        params = layers([*branch[:-1], p * n_outputs]) + (layers(trunk) if trunk is not None else 0) + n_outputs
        buffers = 2 + 2 * n_points_dim + 2 * n_outputs + n_pod_points * pod_modes + n_outputs * n_pod_points
        return params + buffers

    @property
    def is_pod(self) -> bool:
        return len(self.trunk) == 0

    # -- pieces (normalised units) ----------------------------------------------------
    def encode_inputs(self, u: torch.Tensor) -> torch.Tensor:
        return (u - self.in_mean) / self.in_std

    def encode_points(self, y: torch.Tensor) -> torch.Tensor:
        return (y - self.pt_shift) * self.pt_scale

    def decode(self, g: torch.Tensor, component_dim: int) -> torch.Tensor:
        """Normalised outputs to physical ones; ``component_dim`` is the axis of the components."""
        shape = [1] * g.dim()
        shape[component_dim] = self.n_outputs
        return g * self.out_std.view(shape) + self.out_mean.view(shape)

    def branch_features(self, un: torch.Tensor) -> torch.Tensor:
        """``(n, n_outputs, p)`` from normalised inputs ``(n, m)``."""
        return _mlp(un, self.branch, self.act, False).view(un.shape[0], self.n_outputs, self.p)

    def trunk_features(self, yn: torch.Tensor) -> torch.Tensor:
        """``(..., p)`` from normalised points ``(..., d)``."""
        flat = yn.reshape(-1, yn.shape[-1])
        return _mlp(flat, self.trunk, self.act, True).view(*yn.shape[:-1], self.p)

    # -- whole network --------------------------------------------------------------
    def aligned(self, un: torch.Tensor, yn: torch.Tensor | None) -> torch.Tensor:
        """Normalised outputs ``(n, n_outputs, P)`` at shared points ``yn (P, d)``.

        One trunk evaluation serves the whole batch; POD-DeepONet ignores ``yn``
        (its modes are tied to the training grid) and adds the mean output.
        """
        b = self.branch_features(un)
        if self.is_pod:
            return b @ self.pod_basis.T + self.pod_mean + self.bias[:, None]
        t = self.trunk_features(yn)  # type: ignore[arg-type]
        return b @ t.T + self.bias[:, None]

    def unaligned(self, un: torch.Tensor, yn: torch.Tensor) -> torch.Tensor:
        """Normalised outputs ``(n, Q, n_outputs)`` at per-sample points ``yn (n, Q, d)``."""
        b = self.branch_features(un)  # (n, c, p)
        t = self.trunk_features(yn)  # (n, Q, p)
        return torch.einsum("ncp,nqp->nqc", b, t) + self.bias

    def aligned_with_derivative(self, un: torch.Tensor, yn: torch.Tensor,
                                axis: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised outputs and their derivative in the *normalised* point coordinate ``axis``.

        The trunk's derivative comes from one forward-mode pass
        (:func:`torch.func.jvp`); the result stays differentiable in the weights.
        """
        b = self.branch_features(un)
        tangent = torch.zeros_like(yn)
        tangent[:, axis] = 1.0
        t, dt = torch.func.jvp(self.trunk_features, (yn,), (tangent,))  # type: ignore[misc]
        return b @ t.T + self.bias[:, None], b @ dt.T
