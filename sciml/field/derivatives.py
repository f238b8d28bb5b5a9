"""Derivatives of learners with respect to their inputs.

Two engines fill the same :class:`equations.Jet`:

* :func:`network_jet` uses :meth:`sciml.core.jet_network.JetNetwork.jet` (one forward pass,
  first and second derivatives) -- the fast path;
* :func:`autodiff_jet` uses ``torch.func`` (``vmap`` of nested ``jacfwd``) on
  any function of one point -- any order, used for ansatz factors and as an
  independent check of the fast path.

:func:`compose_ansatz` applies the product rule for hard constraints
``u = g + d * n``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch.func import jacfwd, vmap

from equations.core import Jet, Jets, canonical_key
from equations.errors import InvalidParameterError
from sciml.core.jet_network import JetNetwork


class DerivativePlan:
    """Which input derivatives a residual needs, as indices into the input columns."""

    def __init__(self, names: Sequence[str], keys: Sequence[str]):
        self.names = tuple(names)
        self.keys = tuple(canonical_key(k) for k in keys)
        for key in self.keys:
            missing = [c for c in key if c not in self.names]
            if missing:
                raise InvalidParameterError(f"derivative {key!r} uses {missing} not in inputs {self.names}")
        self.max_order = max((len(k) for k in self.keys), default=0)
        letters = sorted({c for k in self.keys for c in k}, key=self.names.index)
        self.firsts = [self.names.index(c) for c in letters]
        self.first_keys = letters
        self.second_keys = [k for k in self.keys if len(k) == 2]
        self.seconds = [(self.names.index(k[0]), self.names.index(k[1])) for k in self.second_keys]
        # the product rule of hard constraints also needs every first derivative
        self.all_keys = tuple(dict.fromkeys([*letters, *self.keys]))


def network_jet(net: JetNetwork, x: torch.Tensor, plan: DerivativePlan) -> Jet:
    """Value and derivatives of a scalar-output network at points ``x`` (n, d)."""
    if plan.max_order > 2:
        return autodiff_jet(lambda p: net(p[None])[0, 0], x, plan)
    value, first, second = net.jet(x, plan.firsts, plan.seconds)
    derivs = dict(zip(plan.first_keys, (f[:, 0] for f in first)))
    derivs.update(zip(plan.second_keys, (s[:, 0] for s in second)))
    return Jet(value[:, 0], derivs)


def network_jets(net: JetNetwork, x: torch.Tensor, plan: DerivativePlan, fields: Sequence[str]) -> Jets:
    """The jets of a system's fields from one multi-output network (output column ``k`` is field ``fields[k]``).

    One :meth:`~sciml.core.jet_network.JetNetwork.jet` pass gives every column's
    derivatives at once.
    """
    if plan.max_order > 2:
        return Jets({name: autodiff_jet(_column(net, k), x, plan) for k, name in enumerate(fields)})
    value, first, second = net.jet(x, plan.firsts, plan.seconds)
    out = Jets()
    for k, name in enumerate(fields):
        derivs = dict(zip(plan.first_keys, (f[:, k] for f in first)))
        derivs.update(zip(plan.second_keys, (s[:, k] for s in second)))
        out[name] = Jet(value[:, k], derivs)
    return out


def _column(net: JetNetwork, k: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """Output ``k`` of ``net`` as a function of one point."""
    return lambda p: net(p[None])[0, k]


def autodiff_jet(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, plan: DerivativePlan) -> Jet:
    """Jet of a scalar function of one point (shape (d,)) by ``torch.func``."""

    def partial(f: Callable, i: int) -> Callable:
        return lambda p: jacfwd(f)(p)[i]

    derivs = {}
    for key in plan.all_keys:
        f = fn
        for c in key:
            f = partial(f, plan.names.index(c))
        derivs[key] = vmap(f)(x)
    return Jet(vmap(fn)(x), derivs)


def compose_ansatz(g: Jet, d: Jet, n: Jet, plan: DerivativePlan) -> Jet:
    """Jet of ``u = g + d * n`` by the product rule (orders 1 and 2)."""
    if plan.max_order > 2:
        raise InvalidParameterError("hard constraints support derivatives up to second order")
    derivs = {}
    for key in plan.keys:
        if len(key) == 1:
            derivs[key] = g[key] + d[key] * n.value + d.value * n[key]
        else:
            a, b = key[0], key[1]
            derivs[key] = (
                g[key] + d[key] * n.value + d[a] * n[b] + d[b] * n[a] + d.value * n[key]
            )
    return Jet(g.value + d.value * n.value, derivs)
