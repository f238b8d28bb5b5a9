"""Hand-written backpropagation for the aligned DeepONet data loss (the fast path).

For small networks on a CPU the autograd engine's per-node overhead costs more
than the arithmetic; the aligned loss (shared points, one trunk pass) is a
short chain of matrix products, so its gradient is written out here: about
thirty tensor calls per step and no graph. It covers the relative-L2 and MSE
data losses with the activations below; anything else (physics terms, other
activations) goes through autograd. ``tests/test_sciml_deeponet.py`` checks it
against autograd.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from sciml.operators.deeponet.net import DeepONetNet


def _relu(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    h = torch.relu(z)
    return h, h > 0


def _tanh(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    h = torch.tanh(z)
    return h, 1.0 - h * h


def _sin(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.sin(z), torch.cos(z)


# activation -> (value, derivative) at the pre-activation
DERIVATIVES: dict[str, Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]] = {
    "relu": _relu, "tanh": _tanh, "sin": _sin}


def _forward(x: torch.Tensor, layers: list[torch.Tensor], act: Callable, last: bool) -> tuple[torch.Tensor, list]:
    """Output and the (layer input, activation derivative or None) of each layer."""
    saved = []
    n = len(layers) // 2
    for i in range(n):
        z = torch.addmm(layers[2 * i + 1], x, layers[2 * i].T)
        if i < n - 1 or last:
            h, d = act(z)
            saved.append((x, d))
            x = h
        else:
            saved.append((x, None))
            x = z
    return x, saved


def _backward(g: torch.Tensor, layers: list[torch.Tensor], saved: list) -> list[torch.Tensor]:
    """Gradients ``[dW0, db0, dW1, db1, ...]`` from the output gradient ``g``."""
    grads: list[torch.Tensor] = [torch.empty(0)] * len(layers)
    for i in range(len(saved) - 1, -1, -1):
        x, d = saved[i]
        if d is not None:
            g = g * d
        grads[2 * i] = g.T @ x
        grads[2 * i + 1] = g.sum(0)
        if i:
            g = g @ layers[2 * i]
    return grads


def aligned_loss_and_grads(net: DeepONetNet, activation: str, un: torch.Tensor, yn: torch.Tensor | None,
                           target: torch.Tensor, weight: torch.Tensor | None
                           ) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The aligned data loss and its gradients, in the order ``[*net.branch, *net.trunk, net.bias]``.

    ``un (b, m)`` normalised inputs, ``yn (P, d)`` normalised points (unused for
    POD), ``target (b, c, P)`` normalised outputs, ``weight (b, c)`` the
    relative-L2 weights (``out_std / ||s||``) or None for the MSE.
    """
    act = DERIVATIVES[activation]
    with torch.no_grad():
        branch = list(net.branch)
        bflat, bsaved = _forward(un, branch, act, False)
        b, c, p = un.shape[0], net.n_outputs, net.p
        bfeat = bflat.view(b, c, p)
        if net.is_pod:
            t, tsaved, trunk = net.pod_basis, [], []  # type: ignore[var-annotated]
            g = bfeat @ t.T + net.pod_mean + net.bias[:, None]
        else:
            trunk = list(net.trunk)
            t, tsaved = _forward(yn, trunk, act, True)  # type: ignore[arg-type]
            g = bfeat @ t.T + net.bias[:, None]
        diff = g - target
        if weight is None:
            loss = diff.square().mean()
            dg = diff * (2.0 / diff.numel())
        else:
            norms = torch.linalg.vector_norm(diff, dim=2)
            loss = (norms * weight).mean()
            dg = diff * (weight / (norms * (b * c))).unsqueeze(2)
        dbias = dg.sum((0, 2))
        grads = _backward((dg @ t).view(b, c * p), branch, bsaved)
        if trunk:
            grads += _backward(dg.reshape(b * c, -1).T @ bfeat.reshape(b * c, p), trunk, tsaved)
        grads.append(dbias)
    return loss, grads
