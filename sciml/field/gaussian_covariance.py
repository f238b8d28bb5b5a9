r"""Full-covariance Gaussians: the jet of ``sum_i f_i exp(-(s - mu_i)^T P_i (s - mu_i) / 2)``.

The precision ``P_i = L_i L_i^T`` comes from a lower-triangular factor whose
diagonal is ``1 / sigma_i`` (the diagonal model's widths) and whose strictly
lower part is the trainable ``shear``; zero shear is the diagonal model, so
the paper's recipe -- fine-tune a trained diagonal model with rotated,
sheared Gaussians -- starts exactly where the diagonal one stopped.

With ``z = P (s - mu) = P s - m`` (``m = P mu``) the derivatives are the
diagonal formulas with ``P`` in place of ``diag(1 / sigma^2)``:

    d phi / d s_a = -phi z_a,     d2 phi / d s_a d s_b = phi (z_a z_b - P_ab),

and, ``z`` being affine in ``s``, every sum is a polynomial in ``s`` times
``phi @ (g f)`` with per-Gaussian factors ``g`` built from ``P`` and ``m``
(as :func:`sciml.field.gaussians._dense_jet` does for the diagonal case).
"""

from __future__ import annotations

import torch

from sciml.core.embeddings import Jet

#: Gaussian exponents are clamped here: ``exp`` of a float32 below about -87 is denormal or zero
#: and takes a slow path (about 10x the time of a whole ``exp`` pass over normal numbers), while a
#: factor ``e^-80`` is far below float64 round-off.
MIN_EXPONENT = -80.0


def precision(log_sigma: torch.Tensor, shear: torch.Tensor) -> torch.Tensor:
    """``P = L L^T`` ``(N, d, d)`` with ``diag(L) = exp(-log_sigma)`` and ``shear`` below it."""
    n, d = log_sigma.shape
    factor = torch.diag_embed(torch.exp(-log_sigma))
    rows, cols = torch.tril_indices(d, d, offset=-1, device=log_sigma.device)
    if rows.numel():
        factor = factor.index_put((torch.arange(n, device=log_sigma.device)[:, None], rows[None], cols[None]),
                                  shear)
    return factor @ factor.transpose(1, 2)


def full_covariance_jet(
    s: torch.Tensor, means: torch.Tensor, prec: torch.Tensor, features: torch.Tensor,
    firsts: tuple[int, ...], seconds: tuple[tuple[int, int], ...],
) -> Jet:
    """Value, first and second input derivatives of the feature sums at ``s`` ``(n, d)``."""
    d = s.shape[1]
    m = torch.einsum("iab,ib->ia", prec, means)
    pairs = [(a, b) for a in range(d) for b in range(a, d)]
    # q = s^T P s - 2 s^T m + mu^T m as one matmul
    left = torch.stack([s[:, a] * s[:, b] for a, b in pairs] + [*s.T, torch.ones_like(s[:, 0])], 1)
    right = torch.stack([prec[:, a, b] * (1.0 if a == b else 2.0) for a, b in pairs]
                        + [*(-2.0 * m).T, (means * m).sum(1)], 1)
    phi = torch.exp((-0.5 * (left @ right.T)).clamp_min(MIN_EXPONENT))

    factors: dict[tuple, torch.Tensor] = {(): torch.ones_like(m[:, 0])}

    def g(*parts: tuple) -> tuple:
        """Register the per-Gaussian product of ``("P", a, c)`` / ``("m", a)`` parts; its key."""
        # P is symmetric: one key per unordered index pair
        key = tuple(sorted(("P", min(p[1], p[2]), max(p[1], p[2])) if p[0] == "P" else p for p in parts))
        if key not in factors:
            col = torch.ones_like(m[:, 0])
            for p in key:
                col = col * (prec[:, p[1], p[2]] if p[0] == "P" else m[:, p[1]])
            factors[key] = col
        return key

    # each output is a list of (s-monomial, factor key, sign)
    Term = tuple[tuple[int, ...], tuple, float]
    first_terms: list[list[Term]] = [
        [*(((c,), g(("P", a, c)), -1.0) for c in range(d)), ((), g(("m", a)), 1.0)] for a in firsts
    ]
    second_terms: list[list[Term]] = []
    for a, b in seconds:
        terms: list[Term] = [((c, e), g(("P", a, c), ("P", b, e)), 1.0) for c in range(d) for e in range(d)]
        terms += [((c,), g(("P", a, c), ("m", b)), -1.0) for c in range(d)]
        terms += [((e,), g(("m", a), ("P", b, e)), -1.0) for e in range(d)]
        terms += [((), g(("m", a), ("m", b)), 1.0), ((), g(("P", a, b)), -1.0)]
        second_terms.append(terms)
    keys = list(factors)
    k = features.shape[1]
    sums = phi @ torch.cat([factors[key][:, None] * features for key in keys], 1)
    h = {key: sums[:, j * k : (j + 1) * k] for j, key in enumerate(keys)}

    def combine(terms: list[Term]) -> torch.Tensor:
        out = torch.zeros_like(h[()])
        for monomial, key, sign in terms:
            mono = torch.ones_like(s[:, :1])
            for c in monomial:
                mono = mono * s[:, c : c + 1]
            out = out + sign * mono * h[key]
        return out

    return h[()], [combine(t) for t in first_terms], [combine(t) for t in second_terms]
