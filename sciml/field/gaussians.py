r"""The learnable Gaussian feature embedding of Physics-Informed Gaussians (Kang et al. 2024).

``FE(s) = sum_i f_i exp(-1/2 sum_d (s_d - mu_id)^2 / sigma_id^2)`` maps the
scaled inputs ``s`` (each coordinate in ``[-1, 1]``) to ``channels`` features
with trainable means ``mu_i``, diagonal widths ``sigma_i`` (stored as
``log sigma``) and feature vectors ``f_i``; a tiny MLP reads the features
(:class:`~sciml.core.networks.MLP` with this as its embedding). The embedding's
input derivatives are closed forms, so the MLP's one-pass jet still gives the
PDE's derivatives:

    d phi / d s_a = -phi z_a,     d2 phi / d s_a d s_b = phi (z_a z_b - delta_ab / sigma_a^2),

with ``z = (s - mu) / sigma^2``.

Cost and memory: with all ``N`` Gaussians at ``n`` points (the default, as in
the paper) the jet is built from ``(n, N)`` matrices only -- one ``exp`` and two
matmuls (:func:`_dense_jet`), with a fused backward of three matmuls
(:class:`GaussianSums`) -- so a step costs a few ``n N`` passes and holds
one ``n N`` matrix (10k points x 4000 Gaussians: 40 M per matrix). With
``neighbours = K`` each point only sums its ``K`` nearest Gaussians in the
Mahalanobis distance (found without gradient, in chunks), memory is ``n K d``
and a fused autograd function (:class:`GaussianJet`) does the work; Gaussians
further away contribute ``exp(-q / 2)`` with ``q`` at least the ``K``-th
smallest distance, which is recorded as :attr:`GaussianEmbedding.truncation`
(the largest neglected Gaussian factor at the last evaluation). Check it: at
the paper's widths a few dozen neighbours leave out factors of order 1e-3.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from equations.errors import InvalidParameterError, check_choice, check_integer
from sciml.core.embeddings import Embedding, Jet
from sciml.field.gaussian_covariance import MIN_EXPONENT, full_covariance_jet, precision

# points per chunk of the (gradient-free) nearest-Gaussian search
SEARCH_CHUNK = 4096


class GaussianEmbedding(Embedding):
    """``channels`` features from ``n_gaussians`` learnable diagonal Gaussians.

    Parameters
    ----------
    in_features : int
        Number of input coordinates.
    n_gaussians : int
        Number of Gaussians ``N``.
    channels : int
        Feature channels ``k`` (the length of each ``f_i``).
    sigma : float
        Initial width in scaled coordinates (the domain is ``[-1, 1]`` per axis).
    neighbours : int, optional
        Sum only the nearest ``neighbours`` Gaussians at each point (None: all).
    learn_means, learn_sigmas : bool
        Train the centres / widths (False keeps them fixed: a fixed mesh).
    covariance : {"diagonal", "full"}
        ``"full"`` adds a trainable ``shear`` (the strictly lower part of each
        precision's Cholesky factor, zero at the start: rotated, sheared
        Gaussians; :mod:`sciml.field.gaussian_covariance`). Sums all Gaussians
        (``neighbours`` must be None).
    generator : torch.Generator
        Seeds the uniform centres and the ``N(0, 0.1^2)`` feature vectors.
    device, dtype
    """

    def __init__(
        self,
        in_features: int,
        n_gaussians: int,
        channels: int = 4,
        sigma: float = 0.1,
        *,
        neighbours: int | None = None,
        learn_means: bool = True,
        learn_sigmas: bool = True,
        covariance: str = "diagonal",
        generator: torch.Generator,
        device: torch.device,
        dtype: torch.dtype,
    ):
        super().__init__()
        self.in_features = check_integer("in_features", in_features, 1)
        n = check_integer("n_gaussians", n_gaussians, 1)
        self.out_features = check_integer("channels", channels, 1)
        if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not (math.isfinite(sigma) and sigma > 0):
            raise InvalidParameterError(f"sigma must be a positive number, got {sigma!r}")
        self.neighbours = None if neighbours is None else check_integer("neighbours", neighbours, 1)
        means = torch.rand((n, in_features), generator=generator, dtype=dtype, device=device) * 2 - 1
        self.means = nn.Parameter(means, requires_grad=learn_means)
        self.log_sigma = nn.Parameter(torch.full((n, in_features), math.log(sigma), device=device, dtype=dtype),
                                      requires_grad=learn_sigmas)
        self.features = nn.Parameter(
            torch.randn((n, self.out_features), generator=generator, dtype=dtype, device=device) * 0.1
        )
        self.covariance = check_choice("covariance", covariance, ("diagonal", "full"))
        if covariance == "full":
            if self.neighbours is not None:
                raise InvalidParameterError("covariance='full' sums all Gaussians: use neighbours=None")
            pairs = in_features * (in_features - 1) // 2
            self.shear = nn.Parameter(torch.zeros((n, pairs), device=device, dtype=dtype),
                                      requires_grad=learn_sigmas)
        self.truncation = 0.0

    @staticmethod
    def count(in_features: int, n_gaussians: int, channels: int, covariance: str = "diagonal") -> int:
        """Numbers in the parameters: centres and log-widths ``(N, d)``, features ``(N, c)``, shears if full."""
        shear = in_features * (in_features - 1) // 2 if covariance == "full" else 0
        return n_gaussians * (2 * in_features + channels + shear)

    @property
    def n_gaussians(self) -> int:
        return self.means.shape[0]

    def _nearest(self, s: torch.Tensor) -> torch.Tensor | None:
        """Indices ``(n, K)`` of each point's ``K`` nearest Gaussians (None: use all)."""
        k = self.neighbours
        if k is None or k >= self.n_gaussians:
            self.truncation = 0.0
            return None
        out, worst = [], math.inf
        with torch.no_grad():
            inv = torch.exp(-2.0 * self.log_sigma)
            for start in range(0, s.shape[0], SEARCH_CHUNK):
                q = _mahalanobis(s[start : start + SEARCH_CHUNK], self.means, inv)
                # one more than needed: the (K+1)-th distance bounds what is left out
                dist, idx = torch.topk(q, k + 1, dim=1, largest=False)
                out.append(idx[:, :k])
                worst = min(worst, float(dist[:, k].min()))
        self.truncation = math.exp(-0.5 * worst)
        return torch.cat(out)

    def _gathered(self, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Means, log-widths ``(1, N, d)`` and features ``(N, c)``, or per point ``(n, K, .)`` when truncated."""
        idx = self._nearest(s)
        if idx is None:
            return self.means[None], self.log_sigma[None], self.features
        return self.means[idx], self.log_sigma[idx], self.features[idx]

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        return self.jet(s, (), ())[0]

    def jet(self, s: torch.Tensor, firsts: Sequence[int], seconds: Sequence[tuple[int, int]]) -> Jet:
        orders = (tuple(firsts), tuple(seconds))
        if self.covariance == "full":
            prec = precision(self.log_sigma, self.shear)
            return full_covariance_jet(s, self.means, prec, self.features, *orders)
        if self.neighbours is None or self.neighbours >= self.n_gaussians:
            self.truncation = 0.0
            return _dense_jet(s, self.means, torch.exp(-2.0 * self.log_sigma), self.features, *orders)
        means, log_sigma, features = self._gathered(s)
        # derivatives of the jet itself wanted (autograd or torch.func checks): the differentiable formulas
        if s.requires_grad or torch._C._are_functorch_transforms_active():
            out = torch.matmul(_weights(s[:, None, :], means, log_sigma, *orders)[-1], features)
        else:
            out = GaussianJet.apply(s[:, None, :], means, log_sigma, features, *orders)
        value, rest = out[:, 0], out[:, 1:]
        first = list(rest[:, : len(firsts)].unbind(1))
        second = list(rest[:, len(firsts) :].unbind(1))
        return value, first, second


class GaussianJet(torch.autograd.Function):
    """Sums of Gaussians and of their first / second input derivatives, with a hand-written backward.

    Inputs: points ``s`` ``(n, 1, d)`` (not differentiated); means and log-widths ``(1, N, d)`` (shared)
    or ``(n, K, d)`` (each point's nearest); features ``(N, c)`` or ``(n, K, c)``.
    Output ``(n, m, c)`` with ``m = 1 + len(firsts) + len(seconds)``: row ``j``
    is ``sum_i W_j[n, i] f_i`` with the weights ``phi``, ``-phi z_a`` and
    ``phi (z_a z_b - delta_ab / sigma_a^2)``.

    Autograd through the same formulas records about thirty ``(n, N, d)``
    tensors and their kernels; here the backward is the chain rule written out
    once (``L = phi Q(z, 1/sigma^2)`` per point and Gaussian), which is 2-3x faster
    on CPU and keeps only ``diff``, ``z`` and the weights. Only first-order
    gradients are supported (the losses never differentiate twice through it).
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, s: torch.Tensor, means: torch.Tensor, log_sigma: torch.Tensor, features: torch.Tensor,
        firsts: tuple[int, ...], seconds: tuple[tuple[int, int], ...],
    ) -> torch.Tensor:
        diff, z, inv, phi, w = _weights(s, means, log_sigma, firsts, seconds)
        ctx.save_for_backward(diff, z, inv, phi, w, features)
        ctx.orders = (firsts, seconds)
        ctx.in_shapes = (means.shape, log_sigma.shape)
        return torch.matmul(w, features)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:  # type: ignore[override]
        diff, z, inv, phi, w, features = ctx.saved_tensors
        firsts, seconds = ctx.orders
        means_shape, sigma_shape = ctx.in_shapes
        q = torch.matmul(grad, features.transpose(-1, -2))  # (n, m, B): grad_j . f_i
        grad_f = None
        if ctx.needs_input_grad[3]:
            if features.ndim == 2:  # shared features: contract over points and rows at once
                n, m, size = w.shape
                grad_f = w.permute(2, 0, 1).reshape(size, n * m) @ grad.reshape(n * m, -1)
            else:
                grad_f = torch.matmul(w.transpose(1, 2), grad)
        # L = phi * Q with Q = q_0 - sum_a z_a q_a + sum_ab (z_a z_b - delta_ab inv_a) q_ab;
        # R_d = dQ/dz_d and T_d = dQ/dinv_d (explicit part)
        total = q[:, 0].clone()
        dim = diff.shape[-1]
        r = [torch.zeros_like(total) for _ in range(dim)]
        t = [torch.zeros_like(total) for _ in range(dim)]
        for j, a in enumerate(firsts, start=1):
            total -= z[..., a] * q[:, j]
            r[a] = r[a] - q[:, j]
        for j, (a, b) in enumerate(seconds, start=1 + len(firsts)):
            total += (z[..., a] * z[..., b] - (inv[..., a] if a == b else 0.0)) * q[:, j]
            r[a] = r[a] + z[..., b] * q[:, j]
            r[b] = r[b] + z[..., a] * q[:, j]
            if a == b:
                t[a] = t[a] - q[:, j]
        phi_total = phi * total
        # dphi/ddiff_d = -phi z_d, dphi/dinv_d = -phi diff_d^2 / 2; dz_a/ddiff_d = delta inv_d, dz_a/dinv_d = d diff_d
        g_diff = torch.stack([phi * r[k] * inv[..., k] - phi_total * z[..., k] for k in range(dim)], -1)
        g_inv = torch.stack([phi * (r[k] * diff[..., k] + t[k]) - 0.5 * phi_total * diff[..., k] ** 2
                             for k in range(dim)], -1)
        grad_means = _reduce(-g_diff, means_shape) if ctx.needs_input_grad[1] else None
        grad_sigma = _reduce(-2.0 * inv * g_inv, sigma_shape) if ctx.needs_input_grad[2] else None
        return None, grad_means, grad_sigma, grad_f, None, None


def _reduce(grad: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """Sum a gradient over the axes its input was broadcast along."""
    dims = tuple(i for i, (g, s) in enumerate(zip(grad.shape, shape)) if s == 1 and g != 1)
    return grad.sum(dims, keepdim=True) if dims else grad


def _weights(
    s: torch.Tensor, means: torch.Tensor, log_sigma: torch.Tensor,
    firsts: tuple[int, ...], seconds: tuple[tuple[int, int], ...],
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(diff, z, 1/sigma^2, phi, W)`` with the jet weights ``W`` stacked as ``(n, m, B)``."""
    inv = torch.exp(-2.0 * log_sigma)
    diff = s - means
    z = diff * inv
    phi = torch.exp((-0.5 * (diff * z).sum(-1)).clamp_min(MIN_EXPONENT))
    weights = [phi, *(-phi * z[..., a] for a in firsts)]
    for a, b in seconds:
        curvature = z[..., a] * z[..., b]
        weights.append(phi * (curvature - inv[..., a] if a == b else curvature))
    return diff, z, inv, phi, torch.stack(weights, 1)


def _mahalanobis(s: torch.Tensor, means: torch.Tensor, inv: torch.Tensor) -> torch.Tensor:
    """``q[n, i] = sum_d (s_nd - mu_id)^2 inv_id`` as one matmul of ``[s^2, s, 1]`` with ``[inv, -2 mu inv, .]``."""
    left, right = _mahalanobis_factors(s, means, inv)
    return left @ right.T


def _mahalanobis_factors(s: torch.Tensor, means: torch.Tensor, inv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``left (n, 2d + 1)`` and ``right (N, 2d + 1)`` with ``q = left @ right.T``."""
    ones = torch.ones_like(s[:, :1])
    left = torch.cat([s * s, s, ones], 1)
    right = torch.cat([inv, -2.0 * means * inv, (means * means * inv).sum(1, keepdim=True)], 1)
    return left, right


def gaussian_sums(s: torch.Tensor, means: torch.Tensor, inv: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``phi @ weights`` with ``phi[n, i] = exp(-q[n, i] / 2)``, ``q`` the Mahalanobis distance of point ``n``.

    Differentiable in ``means``, ``inv`` and ``weights`` (the points ``s`` are
    data). When training, the fused :class:`GaussianSums` holds one ``(n, N)``
    matrix and does the backward in three matmuls and one product; when
    derivatives of the jet itself are wanted (autograd on ``s``, ``torch.func``
    checks) the same formula runs through autograd.
    """
    left, right = _mahalanobis_factors(s, means, inv)
    if s.requires_grad or torch._C._are_functorch_transforms_active():
        return torch.exp((-0.5 * (left @ right.T)).clamp_min(MIN_EXPONENT)) @ weights
    return GaussianSums.apply(left, right, weights)


class GaussianSums(torch.autograd.Function):
    """``exp(max(-left @ right.T / 2, MIN_EXPONENT)) @ weights`` with a hand-written backward.

    Autograd would keep the exponent, its clamp mask and the ``(n, N)`` product
    and spend four extra passes over them; here the backward is
    ``grad_w = phi.T @ g`` and ``grad_right = -(phi * (g @ w.T)).T @ left / 2``
    (the clamp's gradient, at most ``e^-80``, is dropped).
    """

    @staticmethod
    def forward(ctx: Any, left: torch.Tensor, right: torch.Tensor,  # type: ignore[override]
                weights: torch.Tensor) -> torch.Tensor:
        phi = torch.mm(left, right.T).mul_(-0.5).clamp_min_(MIN_EXPONENT).exp_()
        ctx.save_for_backward(left, weights, phi)
        return phi @ weights

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:  # type: ignore[override]
        left, weights, phi = ctx.saved_tensors
        grad_weights = phi.T @ grad if ctx.needs_input_grad[2] else None
        grad_right = None
        if ctx.needs_input_grad[1]:
            # left.T @ x, not x.T @ left: BLAS reduces over the long axis 4x faster this way round
            scaled = (-0.5 * left).T.contiguous()
            grad_right = torch.mm(scaled, torch.mm(grad, weights.T).mul_(phi)).T.contiguous()
        return None, grad_right, grad_weights


def _dense_jet(
    s: torch.Tensor, means: torch.Tensor, inv: torch.Tensor, features: torch.Tensor,
    firsts: tuple[int, ...], seconds: tuple[tuple[int, int], ...],
) -> Jet:
    """The jet of all ``N`` Gaussians at ``n`` points from ``(n, N)`` matrices only.

    ``z_a = s_a inv_a - (mu inv)_a`` is affine in ``s``, so every sum
    ``sum_i phi_i P(z_i) f_i`` splits into ``s``-polynomials times
    ``phi @ (g f)`` with per-Gaussian factors ``g`` (products of ``inv_a`` and
    ``(mu inv)_a``): one ``exp`` and two matmuls instead of ~30 ``(n, N, d)``
    element-wise passes, forward and backward. The price is cancellation of
    order ``eps * max(s^2) / sigma^2`` (inputs are scaled to ``[-1, 1]``):
    about 1e-5 relative in float32 at ``sigma = 0.1``, negligible in float64.
    """
    scaled = means * inv
    factors: dict[tuple[str, ...], torch.Tensor] = {(): torch.ones_like(inv[:, 0])}

    def key(*parts: tuple[str, int]) -> tuple[str, ...]:
        name = tuple(sorted(f"{kind}{axis}" for kind, axis in parts))
        if name not in factors:
            column = torch.ones_like(inv[:, 0])
            for kind, axis in parts:
                column = column * (inv[:, axis] if kind == "i" else scaled[:, axis])
            factors[name] = column
        return name

    first_terms = [(a, key(("i", a)), key(("m", a))) for a in firsts]
    second_terms = [
        (a, b, key(("i", a), ("i", b)), key(("i", a), ("m", b)), key(("m", a), ("i", b)), key(("m", a), ("m", b)),
         key(("i", a)))
        for a, b in seconds
    ]
    names = list(factors)
    channels = features.shape[1]
    sums = gaussian_sums(s, means, inv, torch.cat([factors[n][:, None] * features for n in names], 1))
    h = {n: sums[:, j * channels : (j + 1) * channels] for j, n in enumerate(names)}
    value = h[()]
    first = [h[m] - s[:, a : a + 1] * h[i] for a, i, m in first_terms]
    second = []
    for a, b, ii, im, mi, mm, i_a in second_terms:
        sa, sb = s[:, a : a + 1], s[:, b : b + 1]
        term = sa * sb * h[ii] - sa * h[im] - sb * h[mi] + h[mm]
        second.append(term - h[i_a] if a == b else term)
    return value, first, second
