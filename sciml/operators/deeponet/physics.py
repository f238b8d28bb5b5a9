"""The physics-informed DeepONet loss for first-order equations driven by an input function.

For each training input ``u_i`` (its sensor values are the spec's ``forcing``,
uniform sensors over the domain, ends included) the spec's residual is
evaluated at fixed collocation points. The residual of such a spec
(``antiderivative``: ``s_x - u``) is affine in the jet ``(s, s_x)``, so its
coefficients are read off the spec once by probing it with three jets,
``r = a s_x + b s + r0``, and every step only combines them with the network's
value and trunk derivative (forward mode, :func:`torch.func.jvp`). The left-end
condition comes from the spec's ``ansatz`` ``s = g + dist N``: where ``dist = 0``
the loss adds ``(s - g)^2``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import torch

from equations import create
from equations.core import Jet
from equations.errors import InvalidParameterError
from sciml.operators.deeponet.data import OperatorData
from sciml.operators.deeponet.net import DeepONetNet


class PhysicsLoss:
    """Residual and condition terms of ``physics`` (an equation name) on the training inputs."""

    def __init__(self, physics: str, data: OperatorData, n_collocation: int):
        eq = create(physics)
        names = eq.domain.names
        if tuple(eq.derivatives) != ("x",) or names != ("x",) or not hasattr(eq, "forcing") or data.c != 1:
            raise InvalidParameterError(
                f"physics={physics!r}: a physics-informed DeepONet needs a 1D first-order spec driven by a "
                "'forcing' input (such as 'antiderivative') and one output")
        assert data.inputs is not None
        lo, hi = eq.domain.bounds[0]
        if data.outputs is None and data.points is not None:
            x = data.points[:, 0]
        else:
            x = np.linspace(lo, hi, int(n_collocation))
        self.points = x[:, None]
        coords = {"x": x}
        zero, one, two = np.zeros_like(x), np.ones_like(x), 2.0 * np.ones_like(x)
        r0, a, b = [], [], []
        for u in data.inputs:
            spec = dataclasses.replace(eq, forcing=tuple(u))  # type: ignore[call-arg]
            base = np.asarray(spec.residual(coords, Jet(zero, {"x": zero})))
            da = np.asarray(spec.residual(coords, Jet(zero, {"x": one}))) - base
            db = np.asarray(spec.residual(coords, Jet(one, {"x": zero}))) - base
            check = np.asarray(spec.residual(coords, Jet(two, {"x": two}))) - base
            if not np.allclose(check, 2 * (da + db), rtol=1e-10, atol=1e-12):
                raise InvalidParameterError(f"physics={physics!r}: the residual is not affine in (s, s_x)")
            r0.append(base)
            a.append(da)
            b.append(db)
        self.r0, self.a, self.b = np.array(r0), np.array(a), np.array(b)
        ansatz = eq.ansatz(coords)
        if ansatz is None:
            self.boundary, self.boundary_values = np.zeros(0, dtype=np.int64), np.zeros(0)
        else:
            g, dist = (np.broadcast_to(np.asarray(v, dtype=float), x.shape) for v in ansatz)
            self.boundary = np.flatnonzero(dist == 0)
            self.boundary_values = g[self.boundary]

    def bind(self, net: DeepONetNet, un: torch.Tensor, device: torch.device,
             dtype: torch.dtype) -> Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor]:
        """The loss closure ``(normalised inputs of the batch, batch indices) -> loss``."""
        def t(v: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(v, dtype=dtype, device=device)

        r0, a, b = t(self.r0), t(self.a), t(self.b)
        bidx, bval = torch.as_tensor(self.boundary, device=device), t(self.boundary_values)
        with torch.no_grad():
            yn = net.encode_points(t(self.points))

        def loss(ub: torch.Tensor, batch: torch.Tensor | None) -> torch.Tensor:
            g, dg = net.aligned_with_derivative(ub, yn, 0)  # (b, 1, Nc), d/d(normalised x)
            s = g[:, 0] * net.out_std + net.out_mean
            ds = dg[:, 0] * (net.out_std * net.pt_scale[0])
            if batch is None:
                r = a * ds + b * s + r0
            else:
                r = a[batch] * ds + b[batch] * s + r0[batch]
            total = r.square().mean()
            if bidx.numel():
                total = total + (s[:, bidx] - bval).square().mean()
            return total

        return loss
