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
- ``"aas"`` (:class:`AAS`, adversarial adaptive sampling after Tang, Wan &
  Yang): a small normalizing flow is trained to follow the density
  ``p_r ~ r^2`` while the PINN minimises the mean of ``r^2`` over its samples.
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
    """Adversarial adaptive sampling, simplified (after Tang, Wan & Yang; DAS/AAS).

    The sampler is a mixture ``q = a * uniform + (1 - a) * flow`` on the domain
    with ``a = uniform``. The flow is a RealNVP stack of ``layers`` affine
    coupling layers on ``R^d`` with a standard logistic base, mapped to the
    bounding box by a sigmoid (so the untrained flow is exactly uniform on the
    box); points outside a non-box geometry are rejected. At each call:

    1. a pool of ``pool_factor * n`` points is drawn from the current ``q``
       and ``r^2`` is evaluated there (one residual evaluation, as for RAD);
    2. the flow takes ``steps`` Adam steps maximising the self-normalised
       importance-weighted log-likelihood ``sum_i w_i log q_flow(x_i)``,
       ``w_i ~ r^2(x_i) / q(x_i)``, i.e. it minimises ``KL(p_r || q_flow)``
       with ``p_r ~ r^2`` (the flow chases the residual; the PINN, minimising
       the mean ``r^2`` over the new points, flattens it: the min-max of AAS
       played by alternation, without its Wasserstein penalty);
    3. ``n`` new points are drawn: ``round(a n)`` by the sampling method, the
       rest from the flow. The uniform share keeps coverage from collapsing.

    The flow follows the network's device and dtype; its weights are in
    :meth:`state_tensors`, its Adam state is fresh at every call, and its
    torch Generator is seeded from ``sampler.rng`` at every call, so a resumed
    run repeats an uninterrupted one exactly.
    """

    name = "aas"

    def __init__(self, dim: int, steps: int = 300, uniform: float = 0.2, pool_factor: int = 10,
                 layers: int = 6, width: int = 32, lr: float = 5e-3,
                 device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32):
        check_settings(None, steps, uniform)
        check_integer("pool_factor", pool_factor, 1)
        check_integer("layers", layers, 1)
        check_integer("width", width, 1)
        self.dim, self.steps, self.uniform, self.pool_factor = dim, steps, float(uniform), pool_factor
        self.lr = lr
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
        pool, log_q = self._draw(sampler, sampler.n * self.pool_factor, gen, density=True)
        r2 = np.abs(residual(pool)) ** 2
        log_w = np.log(np.maximum(r2, 1e-300)) - log_q
        ok = np.isfinite(log_w) & (r2 > 0)
        if ok.sum() >= 2:
            w = np.where(ok, np.exp(log_w - log_w[ok].max()), 0.0)
            self._fit(pool, w / w.sum(), sampler, gen)
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
                u = self.flow.sample(max(2 * (m - have), 16), gen).double().cpu().numpy()
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
        """``m`` points of the mixture (and, if asked, its log density in box coordinates)."""
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

    def _fit(self, pool: np.ndarray, w: np.ndarray, sampler: PointSampler, gen: torch.Generator) -> None:
        lo, hi = self._box(sampler)
        u = self._unit(pool, lo, hi)
        weights = torch.as_tensor(w, dtype=u.dtype, device=u.device)
        opt = torch.optim.Adam(self.flow.parameters(), lr=self.lr)
        batch = min(len(u), 4096)
        for _ in range(self.steps):
            if batch < len(u):
                idx = torch.randint(len(u), (batch,), generator=gen, device=u.device)
                ub, wb = u[idx], weights[idx] * (len(u) / batch)
            else:
                ub, wb = u, weights
            opt.zero_grad(set_to_none=True)
            loss = -(wb * self.flow.log_prob(ub)).sum()
            if not torch.isfinite(loss):
                break
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.flow.parameters(), 10.0)
            opt.step()


class _Flow(torch.nn.Module):
    """RealNVP on ``R^d`` (logistic base) followed by a sigmoid onto ``(0, 1)^d``."""

    masks: torch.Tensor

    def __init__(self, dim: int, layers: int, width: int, gen: torch.Generator):
        super().__init__()
        self.dim = dim
        # layer k conditions on the coordinates with (index + k) even and moves the others
        masks = torch.stack([((torch.arange(dim) + k) % 2 == 0) for k in range(layers)]).double()
        self.register_buffer("masks", masks)
        self.nets = torch.nn.ModuleList(
            torch.nn.Sequential(torch.nn.Linear(dim, width), torch.nn.Tanh(), torch.nn.Linear(width, width),
                                torch.nn.Tanh(), torch.nn.Linear(width, 2 * dim))
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

    def _st(self, k: int, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        cond = self.masks[k].to(h.dtype)
        s, t = self.nets[k](h * cond).chunk(2, dim=1)
        move = 1 - cond
        return 2.0 * torch.tanh(s / 2.0) * move, t * move, cond

    def log_prob(self, u: torch.Tensor) -> torch.Tensor:
        """Log density on the unit box at ``u``."""
        eps = 1e-6 if u.dtype == torch.float32 else 1e-12
        y = torch.logit(u.clamp(eps, 1 - eps))
        out = (torch.nn.functional.softplus(y) + torch.nn.functional.softplus(-y)).sum(1)  # sigmoid Jacobian
        h = y
        for k in reversed(range(len(self.nets))):
            s, t, _ = self._st(k, h)
            h = (h - t) * torch.exp(-s)
            out = out - s.sum(1)
        return out - (torch.nn.functional.softplus(h) + torch.nn.functional.softplus(-h)).sum(1)

    def sample(self, m: int, gen: torch.Generator) -> torch.Tensor:
        """``m`` samples on the unit box."""
        p = next(self.parameters())
        eps = 1e-6 if p.dtype == torch.float32 else 1e-12
        u0 = torch.rand((m, self.dim), generator=gen, device=p.device, dtype=p.dtype).clamp(eps, 1 - eps)
        h = torch.logit(u0)
        for k in range(len(self.nets)):
            s, t, _ = self._st(k, h)
            h = h * torch.exp(s) + t
        return torch.sigmoid(h)


def make_strategy(name: str | None, *, dim: int, n: int, pool_factor: int = 10, rar_points: int | None = None,
                  aas_steps: int = 300, aas_uniform: float = 0.2, **aas: Any) -> Strategy:
    """The strategy called ``name`` (one of :data:`STRATEGIES`) for ``n`` residual points in ``dim`` inputs."""
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
