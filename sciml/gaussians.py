r"""The learnable Gaussian feature embedding of Physics-Informed Gaussians (Kang et al. 2024).

``FE(s) = sum_i f_i exp(-1/2 sum_d (s_d - mu_id)^2 / sigma_id^2)`` maps the
scaled inputs ``s`` (each coordinate in ``[-1, 1]``) to ``channels`` features
with trainable means ``mu_i``, diagonal widths ``sigma_i`` (stored as
``log sigma``) and feature vectors ``f_i``; a tiny MLP reads the features
(:class:`~sciml.networks.MLP` with this as its embedding). The embedding's
input derivatives are closed forms, so the MLP's one-pass jet still gives the
PDE's derivatives:

    d phi / d s_a = -phi z_a,     d2 phi / d s_a d s_b = phi (z_a z_b - delta_ab / sigma_a^2),

with ``z = (s - mu) / sigma^2``.

Memory: evaluating all ``N`` Gaussians at ``n`` points holds ``n N d`` numbers
per derivative channel (10k points x 4000 Gaussians x 2D is 80 M floats, and
autograd keeps several such tensors). With ``neighbours = K`` each point only
sums its ``K`` nearest Gaussians in the Mahalanobis distance (found without
gradient, in chunks), so memory is ``n K d``; Gaussians further away contribute
``exp(-q / 2)`` with ``q`` at least the ``K``-th smallest distance, which is
recorded as :attr:`GaussianEmbedding.truncation` (the largest neglected
Gaussian factor at the last evaluation).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from equations.errors import InvalidParameterError, check_integer
from sciml.embeddings import Embedding, Jet

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
        self.truncation = 0.0

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
                diff = s[start : start + SEARCH_CHUNK, None, :] - self.means[None]
                q = (diff * diff * inv[None]).sum(-1)
                # one more than needed: the (K+1)-th distance bounds what is left out
                dist, idx = torch.topk(q, k + 1, dim=1, largest=False)
                out.append(idx[:, :k])
                worst = min(worst, float(dist[:, k].min()))
        self.truncation = math.exp(-0.5 * worst)
        return torch.cat(out)

    def _parts(self, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(z, 1/sigma^2, phi, f)`` per point and (selected) Gaussian."""
        idx = self._nearest(s)
        inv = torch.exp(-2.0 * self.log_sigma)
        f: torch.Tensor
        if idx is None:
            diff, inv_g, f = s[:, None, :] - self.means[None], inv[None], self.features
        else:
            diff, inv_g, f = s[:, None, :] - self.means[idx], inv[idx], self.features[idx]
        z = diff * inv_g
        phi = torch.exp(-0.5 * (diff * z).sum(-1))
        return z, inv_g, phi, f

    @staticmethod
    def _sum(weights: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
        """``sum_i weights[n, i] f[i]`` (shared ``f``) or ``f[n, i]`` (gathered ``f``)."""
        return weights @ f if f.ndim == 2 else torch.einsum("ni,nic->nc", weights, f)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        _, _, phi, f = self._parts(s)
        return self._sum(phi, f)

    def jet(self, s: torch.Tensor, firsts: Sequence[int], seconds: Sequence[tuple[int, int]]) -> Jet:
        z, inv, phi, f = self._parts(s)
        first = [self._sum(-phi * z[..., a], f) for a in firsts]
        second = []
        for a, b in seconds:
            curvature = z[..., a] * z[..., b] - (inv[..., a] if a == b else 0.0)
            second.append(self._sum(phi * curvature, f))
        return self._sum(phi, f), first, second
