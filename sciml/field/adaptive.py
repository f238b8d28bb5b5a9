"""Adaptive collocation: where a PINN-type learner puts its residual points.

Every strategy has one call, ``strategy.resample(residual, sampler, points)``:
``residual`` maps points (float64 ``(n, d)`` array) to the PDE residual there
(its absolute value is used), ``sampler`` draws points by the run's sampling
method and numpy Generator (:class:`PointSampler`), ``points`` are the current
residual points; it returns the new residual points (float64). All randomness
comes from ``sampler.rng`` so that a checkpoint holding that Generator's state
(and :meth:`Strategy.state_tensors`) resumes a run exactly.

- ``None`` (:class:`Uniform`): ``n`` fresh points by the sampling method.
- ``"rad"`` (:class:`RAD`, residual-based adaptive distribution, Wu et al.
  2023): ``n`` points drawn without replacement from a pool ``pool_factor``
  times larger with probability ``|r| / mean|r| + 1``.
- ``"rar"`` (:class:`RAR`, residual-based adaptive refinement, Lu et al. 2021):
  the ``m`` pool points of largest ``|r|`` are *added* to the current points.
- ``"aas"`` (:class:`AAS`, adversarial adaptive sampling, Tang, Zhai, Wan &
  Yang 2024): a normalizing flow ``p`` maximises ``E_p[r^2]`` minus a
  smoothness penalty ``beta int |grad p|^2`` (keeping ``p`` near uniform)
  while the PINN minimises the mean of ``r^2`` over its samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from equations import Equation
from equations.errors import InvalidParameterError, check_integer
from sciml.field.sampling import PointCounts, collocation_points

ResidualFn = Callable[[np.ndarray], np.ndarray]
STRATEGIES = (None, "rad", "rar", "aas")
#: AAS's default smoothness weight ``beta`` (see :class:`AAS`). Chosen on PeakPoisson(k=1000) at a small budget
#: (1000 points, 2000 Adam steps, seeds 0 and 1): 3e-2 beat 1e-4, 1e-3, 1e-2 and 1e-1.
AAS_BETA = 3e-2
#: The most pool points AAS's first term is evaluated on (those of largest weight ``r^2 / q``).
GAIN_POINTS = 1024


@dataclass
class PointSampler:
    """Draws ``n``-point residual sets of ``equation`` by ``method`` (uniform, Sobol...) with ``rng``."""

    equation: Equation
    method: str
    rng: np.random.Generator
    n: int

    def draw(self, m: int) -> np.ndarray:
        """``m`` interior points (float64 ``(m, d)``)."""
        return collocation_points(self.equation, PointCounts(m, 0, 0), self.method, self.rng)["residual"]


class Strategy:
    """Base of the placement strategies (see the module docstring)."""

    name: str | None = None

    def resample(self, residual: ResidualFn, sampler: PointSampler, points: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def to(self, device: torch.device, dtype: torch.dtype) -> None:
        """Follow the network's device and dtype (only AAS holds tensors)."""

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """What a checkpoint must hold besides the points and the numpy Generator."""
        return {}

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        """Restore :meth:`state_tensors`."""


class Uniform(Strategy):
    """``n`` fresh points by the sampling method."""

    def resample(self, residual: ResidualFn, sampler: PointSampler, points: np.ndarray) -> np.ndarray:
        return sampler.draw(sampler.n)


class RAD(Strategy):
    """Residual-based adaptive distribution (Wu et al. 2023), with ``k = c = 1``.

    From a pool of ``pool_factor * n`` points, ``n`` are drawn without
    replacement with probability proportional to ``|r| / mean|r| + 1``.
    """

    name = "rad"

    def __init__(self, pool_factor: int = 10):
        check_integer("pool_factor", pool_factor, 1)
        self.pool_factor = pool_factor

    def resample(self, residual: ResidualFn, sampler: PointSampler, points: np.ndarray) -> np.ndarray:
        n = sampler.n
        pool = sampler.draw(n * self.pool_factor)
        r = residual(pool)
        density = r / r.mean() + 1.0
        return pool[sampler.rng.choice(len(pool), n, replace=False, p=density / density.sum())]


class RAR(Strategy):
    """Residual-based adaptive refinement (Lu et al. 2021, DeepXDE).

    Each call draws a pool of ``pool_factor * n`` points and appends the
    ``points`` of them with the largest ``|r|`` to the current set, which thus
    grows by ``points`` per call. The set is capped at ``max_points`` (default
    ``4 n``): once there, the oldest *added* points make room for the new ones
    (the first ``n`` points are always kept), so the set stays at the cap.
    """

    name = "rar"

    def __init__(self, points: int, pool_factor: int = 10, max_points: int | None = None):
        check_integer("rar_points", points, 1)
        check_integer("pool_factor", pool_factor, 1)
        if max_points is not None:
            check_integer("max_points", max_points, 1)
        self.points, self.pool_factor, self.max_points = points, pool_factor, max_points

    def resample(self, residual: ResidualFn, sampler: PointSampler, points: np.ndarray) -> np.ndarray:
        n = sampler.n
        pool = sampler.draw(max(n * self.pool_factor, self.points))
        r = np.abs(residual(pool))
        top = np.argsort(-r, kind="stable")[: self.points]
        grown = np.concatenate([points, pool[top]])
        cap = max(self.max_points if self.max_points is not None else 4 * n, n + self.points)
        if len(grown) > cap:  # drop the oldest added points, keep the base set
            grown = np.concatenate([grown[:n], grown[len(grown) - (cap - n):]])
        return grown


class AAS(Strategy):
    r"""Adversarial adaptive sampling (Tang, Zhai, Wan & Yang, ICLR 2024).

    AAS solves ``min_u max_p J(u, p)`` with

    .. math::

        J(u, p) = \int_\Omega \hat r_u^2(x)\, p(x)\, dx - \beta \int |\nabla_x p(x)|^2\, dx,

    ``p`` a density given by a normalizing flow. The paper's abstract states
    the idea (the residual-induced distribution is pushed towards the
    uniform one by embedding their Wasserstein distance in the loss); its
    Section 3 could not be consulted while writing this, so the regulariser
    is our reading of it: with ``p`` as the critic of the
    Kantorovich--Rubinstein dual of ``W_1`` (``int r^2 p`` against the
    uniform average of ``r^2``), the 1-Lipschitz constraint on the critic is
    relaxed to the Sobolev (H^1-seminorm) penalty ``beta int |grad p|^2``.
    Minimising over ``u`` then lowers both the mean residual and its
    deviation from a flat profile; the penalty keeps ``p`` smooth and near
    uniform (``beta -> infinity``: a PINN with uniform points; ``beta = 0``:
    ``p`` a point mass at the largest residual). The maximiser solves
    ``-2 beta Delta p = r_hat^2 - mean(r_hat^2)`` where ``p > 0``: in 2D the
    residual smoothed by the Green's function, ``p ~ log(R / |x - x0|) /
    (4 pi beta)`` around a sharp peak, supported in ``R = sqrt(8 beta)``
    (unit-box coordinates).

    The two players alternate as in the paper: the PINN takes
    ``resample_every`` steps on the current points (``k_u``), then this
    method takes ``steps`` Adam steps of the flow (``k_p``) and draws the new
    points: ``round(uniform * n)`` by the sampling method and the rest from
    the flow. The flow persists across calls (warm start).

    Where this differs from the paper, and why:

    * **Gradient estimator.** The strategy sees the residual as a NumPy
      function (no graph to the network), so ``x = T(z)`` cannot be
      differentiated through ``r`` (the paper's reparameterised gradient).
      The first term is estimated by importance sampling on one pool of
      ``pool_factor * n`` points drawn from the current mixture ``q`` (one
      residual evaluation per call, as for RAD and RAR):
      ``sum_i r_hat^2(x_i) p_theta(x_i) / q(x_i) / (pool size)``,
      differentiated in ``theta`` through ``p_theta(x_i)`` (at ``theta =
      theta_q`` the score-function gradient of ``E_p[r_hat^2]``). It is
      unbiased for any ``theta`` (``q`` has the uniform share, so it covers
      the domain); it is evaluated on the pool points that carry 99.9 % of
      the weight (at most :data:`GAIN_POINTS`), so it is a fixed, smooth
      function of the weights during the ``steps`` steps (minibatches of a
      pool where a few points hold all the weight left the flow at uniform).
    * **Penalty estimate.** ``int |grad p|^2`` (over the flow's bounding box,
      in unit-box coordinates) is estimated on ``batch`` fresh points of the
      current mixture at every step, ``mean |grad p_theta|^2 / q_t`` with
      the points and ``q_t`` held fixed (unbiased), so that a spike the flow
      grows between the pool points is seen; ``|grad p|^2 = p^2 |grad log
      p|^2``.
    * **Scale.** ``r_hat^2 = r^2 / int r^2`` (the integral estimated on the
      pool): without it ``beta`` has the units of ``r^2`` and a fixed value
      smooths differently at every stage of training; with it ``beta`` is a
      squared length in unit-box coordinates.
    * **Flow.** A coupling flow on the unit box with piecewise-quadratic
      couplings (Mueller et al. 2019; ``layers`` of width ``width``), not
      KRnet: its density and the density's gradient are bounded up to the
      faces, which the penalty needs (an affine-coupling flow mapped onto the
      box by a sigmoid has an infinite ``int |grad p|^2`` as soon as it
      leaves the identity, and its penalty estimates blew up to 1e11 within
      five steps). The untrained flow is exactly uniform; points outside a
      non-box domain are rejected.
    * **Uniform share.** The PINN's points mix ``uniform`` of uniform points
      (the paper's algorithm trains on the flow's samples only).

    The flow follows the network's device and dtype; its weights are in
    :meth:`state_tensors`, its Adam state is fresh at every call, and its
    torch Generator is seeded from ``sampler.rng`` at every call, so a resumed
    run repeats an uninterrupted one exactly.

    Parameters
    ----------
    dim : int
        Number of inputs.
    steps : int
        Flow steps per call (``k_p``).
    uniform : float
        Share of the new points drawn by the sampling method, in ``[0, 1]``.
    pool_factor : int
        Pool size for the first term, in multiples of ``n``.
    beta : float
        Weight of the smoothness penalty (> 0); :data:`AAS_BETA` by default.
    layers, width : int
        Coupling layers and the width of their two-hidden-layer networks.
    lr : float
        Adam learning rate of the flow.
    batch : int
        Fresh points per step for the penalty estimate.
    device, dtype
        Where the flow starts (it follows the network).
    """

    name = "aas"

    def __init__(self, dim: int, steps: int = 50, uniform: float = 0.2, pool_factor: int = 10,
                 beta: float | None = None, layers: int = 4, width: int = 32, lr: float = 5e-3,
                 batch: int = 512, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32):
        check_settings(None, steps, uniform)
        for key, value in (("dim", dim), ("pool_factor", pool_factor), ("layers", layers), ("width", width),
                           ("batch", batch)):
            check_integer(key, value, 1)
        beta = AAS_BETA if beta is None else beta
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0.0 < beta < math.inf:
            raise InvalidParameterError(f"aas beta must be a positive finite number, got {beta!r}")
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0.0 < lr < math.inf:
            raise InvalidParameterError(f"aas lr must be a positive finite number, got {lr!r}")
        self.dim, self.steps, self.uniform, self.pool_factor = dim, steps, float(uniform), pool_factor
        self.beta, self.lr, self.batch = float(beta), float(lr), batch
        self.flow = _Flow(dim, layers, width, torch.Generator().manual_seed(0))
        self.flow.to(device=torch.device(device), dtype=dtype)
        self._initialised = False  # the first call re-draws the weights from the run's Generator
        self._domain_fraction: float | None = None

    # -- Strategy ---------------------------------------------------------------------
    def to(self, device: torch.device, dtype: torch.dtype) -> None:
        self.flow.to(device=device, dtype=dtype)

    def state_tensors(self) -> dict[str, torch.Tensor]:
        if not self._initialised:
            return {}
        return {f"flow.{k}": v.detach().clone() for k, v in self.flow.state_dict().items()}

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        flow = {k.removeprefix("flow."): v for k, v in tensors.items() if k.startswith("flow.")}
        if flow:
            with torch.no_grad():
                for k, p in self.flow.state_dict().items():
                    p.copy_(flow[k])
            self._initialised = True

    def resample(self, residual: ResidualFn, sampler: PointSampler, points: np.ndarray) -> np.ndarray:
        p = next(self.flow.parameters())
        gen = torch.Generator(device=p.device).manual_seed(int(sampler.rng.integers(2**63 - 1)))
        if not self._initialised:
            self.flow.reset(gen)
            self._initialised = True
        # one residual evaluation per call: a pool of the current mixture q, weighted r^2 / q
        pool, log_q = self._draw(sampler, sampler.n * self.pool_factor, gen, density=True)
        w = np.abs(residual(pool)) ** 2 * np.exp(-log_q)
        w = np.where(np.isfinite(w), w, 0.0)
        if np.count_nonzero(w) >= 2:
            self._ascend(pool, w / w.mean(), sampler, gen)  # w / mean(w) = r_hat^2 / q: int r_hat^2 = 1
        new, _ = self._draw(sampler, sampler.n, gen, density=False)
        return new

    # -- pieces -------------------------------------------------------------------------
    def _box(self, sampler: PointSampler) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = np.array(sampler.equation.domain.bounds, dtype=float).T
        return lo, hi

    def _inside(self, sampler: PointSampler, x: np.ndarray) -> np.ndarray:
        space = sampler.equation.domain.space
        return space.contains(x[:, : space.dim])

    def _fraction_inside(self, sampler: PointSampler) -> float:
        """Share of the bounding box inside the domain (fixed Monte Carlo estimate, 1 for boxes)."""
        if self._domain_fraction is None:
            lo, hi = self._box(sampler)
            u = np.random.default_rng(12345).random((1 << 14, self.dim))
            self._domain_fraction = max(float(self._inside(sampler, lo + (hi - lo) * u).mean()), 1e-6)
        return self._domain_fraction

    def _flow_points(self, sampler: PointSampler, m: int, gen: torch.Generator) -> tuple[np.ndarray, float]:
        """``m`` flow samples inside the domain and the flow's acceptance rate."""
        lo, hi = self._box(sampler)
        out, have, drawn = [], 0, 0
        while have < m and drawn < 1000 * max(m, 16):
            with torch.no_grad():
                u = self.flow.sample(max(2 * (m - have), 16), gen)[0].double().cpu().numpy()
            x = lo + (hi - lo) * u
            keep = self._inside(sampler, x)
            out.append(x[keep])
            have += int(keep.sum())
            drawn += len(x)
        accepted = have / max(drawn, 1)
        pts = np.concatenate(out)[:m] if out else np.zeros((0, self.dim))
        if len(pts) < m:  # the flow has left the domain: fill up uniformly
            pts = np.concatenate([pts, sampler.draw(m - len(pts))])
        return pts, max(accepted, 1e-6)

    def _draw(self, sampler: PointSampler, m: int, gen: torch.Generator,
              density: bool) -> tuple[np.ndarray, np.ndarray]:
        """``m`` points of the mixture (and, if asked, its log density in unit-box coordinates)."""
        m_uniform = round(self.uniform * m)
        flow, accepted = self._flow_points(sampler, m - m_uniform, gen)
        x = np.concatenate([flow, sampler.draw(m_uniform)]) if m_uniform else flow
        if not density:
            return x, np.zeros(0)
        lo, hi = self._box(sampler)
        with torch.no_grad():
            log_flow = self.flow.log_prob(self._unit(x, lo, hi)).double().cpu().numpy()
        q = self.uniform / self._fraction_inside(sampler) + (1 - self.uniform) * np.exp(log_flow) / accepted
        return x, np.log(q)

    def _unit(self, x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> torch.Tensor:
        p = next(self.flow.parameters())
        return torch.as_tensor((x - lo) / (hi - lo), dtype=p.dtype, device=p.device)

    def _ascend(self, pool: np.ndarray, w: np.ndarray, sampler: PointSampler, gen: torch.Generator) -> None:
        """``steps`` Adam steps of the flow up ``J = int r_hat^2 p - beta int |grad p|^2``.

        The first term is ``sum_i w_i p_theta(x_i) / len(pool)`` (``w =
        r_hat^2 / q``, ``q`` the mixture the pool was drawn from): importance
        sampling, unbiased for any weights, summed over the pool points that
        carry 99.9 % of the weight (at least ``batch``, at most
        :data:`GAIN_POINTS`) and dropping the rest. The penalty is
        estimated on ``batch`` fresh points of the current mixture ``q_t`` at
        every step, ``mean_i |grad p_theta(u_i)|^2 / q_t(u_i)`` with the
        points and ``q_t`` held fixed (no gradient through them), so a spike
        the flow grows between the pool points is seen; ``|grad p|^2 = p^2
        |grad log p|^2``.
        """
        lo, hi = self._box(sampler)
        # the pool points that carry 99.9 % of the weight (at most GAIN_POINTS): the first term is then a
        # deterministic function of the weights, cheap enough to evaluate in full at every step
        order = np.argsort(-w, kind="stable")
        cover = int(np.searchsorted(np.cumsum(w[order]), 0.999 * w.sum())) + 1
        keep = order[: min(max(cover, self.batch), GAIN_POINTS, len(w))]
        x = self._unit(pool[keep], lo, hi)
        weights = torch.as_tensor(w[keep] / len(w), dtype=x.dtype, device=x.device)
        opt = torch.optim.Adam(self.flow.parameters(), lr=self.lr)
        n_uniform = round(self.uniform * self.batch)
        with torch.enable_grad():
            for _ in range(self.steps):
                gain = (weights * torch.exp(self.flow.log_prob(x))).sum()
                with torch.no_grad():  # fresh points of the current mixture q_t, and q_t there (held fixed)
                    flow, log_flow = self.flow.sample(self.batch - n_uniform, gen)
                    uniform = torch.rand((n_uniform, self.dim), generator=gen, device=x.device, dtype=x.dtype)
                    u = torch.cat([flow, uniform])
                    log_qt = torch.log(self.uniform + (1 - self.uniform) * torch.exp(
                        torch.cat([log_flow, self.flow.log_prob(uniform)])))
                u.requires_grad_(True)
                log_p = self.flow.log_prob(u)
                (grad,) = torch.autograd.grad(log_p.sum(), u, create_graph=True)
                penalty = (torch.exp(2 * log_p - log_qt) * (grad * grad).sum(1)).mean()
                loss = self.beta * penalty - gain
                if not torch.isfinite(loss):  # a blown-up step: keep the last finite flow
                    break
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()


class _Flow(torch.nn.Module):
    """A coupling flow on the unit box with piecewise-quadratic couplings (Mueller et al. 2019).

    Layer ``k`` keeps the coordinates with ``(index + k)`` even and maps each
    other one through the CDF of a piecewise-linear density on ``[0, 1]``
    (``bins`` bins; widths and vertex heights from a two-hidden-layer tanh
    network of the kept ones). The flow's density is bounded, continuous and
    has a bounded gradient up to the box's faces, so ``int |grad p|^2`` is
    finite (the logit / affine-coupling / sigmoid flow it replaces has
    ``p ~ (1 - u)^(e^-s - 1)`` at the faces, whose gradient penalty is
    infinite). With zero output layers every coupling is the identity: the
    untrained flow is exactly uniform.

    ``log_prob`` runs data to base (the CDFs, closed form); ``sample`` the
    inverse (a quadratic per coordinate).
    """

    masks: torch.Tensor

    def __init__(self, dim: int, layers: int, width: int, gen: torch.Generator, bins: int = 8):
        super().__init__()
        self.dim, self.bins = dim, bins
        masks = torch.stack([((torch.arange(dim) + k) % 2 == 0) for k in range(layers)]).double()
        self.register_buffer("masks", masks)
        self.nets = torch.nn.ModuleList(
            torch.nn.Sequential(torch.nn.Linear(dim, width), torch.nn.Tanh(), torch.nn.Linear(width, width),
                                torch.nn.Tanh(), torch.nn.Linear(width, dim * (2 * bins + 1)))
            for _ in range(layers)
        )
        self.reset(gen)

    def reset(self, gen: torch.Generator) -> None:
        """Glorot-uniform hidden layers from ``gen``; zero output layers (the identity map)."""
        with torch.no_grad():
            for net in self.nets:
                linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
                for layer in linears:
                    bound = math.sqrt(6.0 / (layer.in_features + layer.out_features))
                    w = torch.empty(layer.weight.shape, dtype=torch.float64).uniform_(-bound, bound, generator=gen)
                    layer.weight.copy_(w if layer is not linears[-1] else torch.zeros_like(w))
                    layer.bias.zero_()

    def _bins(self, k: int, h: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Layer ``k``'s bin edges, widths, vertex heights and cumulative areas per point and coordinate."""
        cond = self.masks[k].to(h.dtype)
        out = self.nets[k](h * cond).view(len(h), self.dim, 2 * self.bins + 1)
        # a floor on widths and heights keeps every coupling invertible and its density away from 0
        w = 1e-3 + (1 - 1e-3 * self.bins) * torch.softmax(out[..., : self.bins], dim=-1)
        v = torch.exp(out[..., self.bins:].clamp(-8.0, 8.0)) + 1e-3
        areas = 0.5 * (v[..., :-1] + v[..., 1:]) * w
        v = v / areas.sum(-1, keepdim=True)  # the density integrates to 1
        areas = 0.5 * (v[..., :-1] + v[..., 1:]) * w
        zero = torch.zeros_like(w[..., :1])
        edges = torch.cat([zero, torch.cumsum(w, -1)], -1)
        cum = torch.cat([zero, torch.cumsum(areas, -1)], -1)
        return cond, edges, w, v, cum

    @staticmethod
    def _pick(t: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.gather(t, -1, b[..., None])[..., 0]

    def _cdf(self, x: torch.Tensor, edges: torch.Tensor, w: torch.Tensor, v: torch.Tensor,
             cum: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The CDF at ``x`` and the density there, per coordinate."""
        b = torch.searchsorted(edges[..., 1:-1].contiguous(), x[..., None].contiguous())[..., 0]
        wb, vb, vb1 = self._pick(w, b), self._pick(v, b), self._pick(v, b + 1)
        alpha = ((x - self._pick(edges, b)) / wb).clamp(0.0, 1.0)
        return self._pick(cum, b) + wb * alpha * (vb + 0.5 * alpha * (vb1 - vb)), vb + alpha * (vb1 - vb)

    def _inverse_cdf(self, c: torch.Tensor, edges: torch.Tensor, w: torch.Tensor, v: torch.Tensor,
                     cum: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The point where the CDF is ``c`` and the density there, per coordinate."""
        b = torch.searchsorted(cum[..., 1:-1].contiguous(), c[..., None].contiguous())[..., 0]
        wb, vb, vb1 = self._pick(w, b), self._pick(v, b), self._pick(v, b + 1)
        rest = (c - self._pick(cum, b)).clamp_min(0.0)
        # rest = wb vb alpha + wb (vb1 - vb) alpha^2 / 2, solved in the form that is stable as vb1 -> vb
        a1, a2 = wb * vb, 0.5 * wb * (vb1 - vb)
        alpha = (2 * rest / (a1 + torch.sqrt((a1 * a1 + 4 * a2 * rest).clamp_min(0.0)))).clamp(0.0, 1.0)
        return (self._pick(edges, b) + wb * alpha).clamp(0.0, 1.0), vb + alpha * (vb1 - vb)

    def log_prob(self, u: torch.Tensor) -> torch.Tensor:
        """Log density on the unit box at ``u``."""
        h = u.clamp(0.0, 1.0)
        out = torch.zeros(len(h), dtype=h.dtype, device=h.device)
        for k in range(len(self.nets)):
            cond, edges, w, v, cum = self._bins(k, h)
            c, density = self._cdf(h, edges, w, v, cum)
            move = 1 - cond
            h = cond * h + move * c
            out = out + (move * torch.log(density)).sum(1)
        return out

    def sample(self, m: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``m`` samples on the unit box and their log density."""
        p = next(self.parameters())
        h = torch.rand((m, self.dim), generator=gen, device=p.device, dtype=p.dtype)
        log_p = torch.zeros(m, dtype=h.dtype, device=h.device)
        for k in reversed(range(len(self.nets))):
            cond, edges, w, v, cum = self._bins(k, h)
            x, density = self._inverse_cdf(h, edges, w, v, cum)
            move = 1 - cond
            h = cond * h + move * x
            log_p = log_p + (move * torch.log(density)).sum(1)
        return h, log_p


def make_strategy(name: str | None, *, dim: int, n: int, pool_factor: int = 10, rar_points: int | None = None,
                  aas_steps: int = 50, aas_uniform: float = 0.2, **aas: Any) -> Strategy:
    """The strategy called ``name`` (one of :data:`STRATEGIES`) for ``n`` residual points in ``dim`` inputs.

    ``aas`` are further :class:`AAS` arguments (``beta``, ``device``, ``dtype``...).
    """
    if name is None:
        return Uniform()
    if name == "rad":
        return RAD(pool_factor)
    if name == "rar":
        return RAR(max(n // 20, 1) if rar_points is None else rar_points, pool_factor)
    if name == "aas":
        return AAS(dim, aas_steps, aas_uniform, pool_factor, **aas)
    raise InvalidParameterError(f"adaptive must be one of {STRATEGIES}, got {name!r}")


def check_settings(rar_points: int | None, aas_steps: int, aas_uniform: float) -> None:
    """Raise InvalidParameterError for bad ``rar_points``, ``aas_steps`` or ``aas_uniform``."""
    if rar_points is not None:
        check_integer("rar_points", rar_points, 1)
    check_integer("aas_steps", aas_steps, 1)
    if isinstance(aas_uniform, bool) or not isinstance(aas_uniform, (int, float)) or not 0.0 <= aas_uniform <= 1.0:
        raise InvalidParameterError(f"aas_uniform must be a number in [0, 1], got {aas_uniform!r}")
