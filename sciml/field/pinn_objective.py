"""The PINN loss: PDE residual plus soft (or hard, by ansatz) initial/boundary conditions.

Every boundary condition of the spec is a loss part of its own, on its own
point set (:func:`~sciml.field.sampling.boundary_sets` names them: ``boundary``,
``boundary_1``, ...): ``mean (u - g)^2`` for a Dirichlet condition,
``mean (du/dn - g)^2`` for a Neumann and ``mean (alpha u + beta du/dn - g)^2``
for a Robin condition, with ``du/dn = grad u . n`` from the network's first
derivatives and the geometry's outward normals (:meth:`~equations.geometry.Geometry.normals`).

A system (several ``fields``) is learned by one network with one output per
field: each equation of the residual tuple is a loss part (``residual``,
``residual_1``, ...), each condition penalises its own field's column, the
initial conditions of all fields form the part ``initial``.
"""

from __future__ import annotations

import functools
import inspect
import operator
import warnings
from collections.abc import Callable, Mapping

import numpy as np
import torch

from equations import Equation
from equations.core import (
    DirichletCondition,
    InitialCondition,
    InitialVelocityCondition,
    Jet,
    Jets,
    NeumannCondition,
    RobinCondition,
)
from equations.errors import InvalidDataError, SpecMismatchError
from equations.systems import condition_field, field_names, is_system
from sciml.core.jet_network import JetNetwork
from sciml.core.runtime import restore_rng, rng_state_tensors
from sciml.field.adaptive import PointSampler, Strategy, check_settings, make_strategy
from sciml.field.config import Collocation
from sciml.field.derivatives import DerivativePlan, autodiff_jet, compose_ansatz, network_jet, network_jets
from sciml.field.loss_balancing import CausalSlabs, LossBalancer
from sciml.field.sampling import PointCounts, boundary_sets, collocation_points, describe


def check_points(name: str, points: np.ndarray, dim: int) -> np.ndarray:
    """A float64 ``(n, dim)`` array without NaN/Inf, or a clear error."""
    arr = np.asarray(points, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise InvalidDataError(f"{name} points must have shape (n, {dim}), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise InvalidDataError(f"{name} points contain NaN or Inf")
    return arr


class PINNObjective:
    """Holds the network, the collocation points and computes the loss.

    Parameters
    ----------
    equation : Equation
    net : JetNetwork
    hard : bool
        Use the equation's ansatz ``u = g + d * net`` for the conditions it
        meets exactly: initial, Dirichlet and periodic ones. Neumann and Robin
        conditions (an ansatz imposes values, not normal derivatives) stay
        soft loss parts, evaluated on ``u = g + d * net``.
    weights : mapping
        Loss weights per part (``residual``, ``initial``, ``initial_velocity``,
        ``boundary``, ``boundary_1``..., ``periodic``; default 1).
    collocation : Collocation
        How many points per set, how they are drawn, and how they are redrawn
        every ``resample_every`` steps, Adam and L-BFGS iterations alike
        (:class:`~sciml.field.config.Collocation`): uniformly by ``sampling``
        (``adaptive`` None); by residual-based adaptive distribution
        (``"rad"``, Wu et al. 2023): from a pool ``pool_factor`` times larger,
        with probability ``|r|^k / mean(|r|^k) + c`` (k = c = 1), which crowds
        points into fronts; by residual-based adaptive refinement (``"rar"``,
        Lu et al. 2021): the ``rar_points`` pool points of largest ``|r|`` are
        added to the current set (capped at 4x ``n_residual``); or by
        adversarial adaptive sampling (``"aas"``).
    rng : numpy.random.Generator
        Draws every point set.
    points : mapping, optional
        Fixed points for some sets (``residual``, ``initial``, ``boundary``...)
        instead of sampled ones, e.g. to match another library.
    pool_factor : int
        Size of the candidate pool of the adaptive strategies, in residual sets.
    causal : float, optional
        Causal training (evolution equations only): the residual loss becomes
        ``mean_i(w_i L_i)`` over ``causal_slabs`` time slabs with
        ``w_i = exp(-causal * sum_{k<i} L_k)`` (:class:`~sciml.field.loss_balancing.CausalSlabs`);
        the smallest weight is recorded as the part ``causal_min_weight``.
    causal_slabs : int
        Number of time slabs (recomputed whenever the points change).
    balancing : {None, "gradnorm", "loss_change"}
        Adaptive weights ``lambda_i`` of the loss parts
        (:class:`~sciml.field.loss_balancing.LossBalancer`), updated in :meth:`on_step`
        every ``balance_every`` Adam steps and frozen during L-BFGS (which needs
        a fixed objective); the total is ``sum_i weights_i lambda_i L_i`` and the
        lambdas are recorded as the parts ``lambda_<part>``.
    balance_every, balance_alpha, balance_c
        Update period, gradnorm smoothing and loss-change sharpness.

    Parts that only report (``causal_min_weight``, ``lambda_*``) are never
    added to the total.

    A system's residual is a tuple of equations: the ``k``-th is the part
    ``residual`` (k = 0) or ``residual_<k>``, and the causal weights, when on,
    come from their sum. Its network has one output column per field
    (``equation.unknowns`` order); every condition compares the column of the
    field it names. Hard constraints are for scalar specs only.

    Every boundary condition of ``equation.conditions()`` has its own point
    set and loss part, named by :func:`~sciml.field.sampling.boundary_sets`:
    ``boundary`` for the first one (the single whole-boundary Dirichlet
    condition of most specs: the part it always was), ``boundary_1``,
    ``boundary_2``... for the next ones, in ``conditions()`` order; which
    condition each name holds is :attr:`boundary_conditions`. A Dirichlet
    part is ``mean (u - g)^2``; a Neumann part ``mean (du/dn - g)^2`` and a
    Robin part ``mean (alpha u + beta du/dn - g)^2``, with
    ``du/dn = sum_k u_k n_k`` over the spatial axes, ``n`` the outward unit
    normal of the geometry at each point (computed once per point set).
    """

    def __init__(
        self,
        equation: Equation,
        net: JetNetwork,
        *,
        hard: bool,
        weights: Mapping[str, float],
        collocation: Collocation,
        rng: np.random.Generator,
        points: Mapping[str, np.ndarray] | None = None,
        pool_factor: int = 10,
        compile: bool = False,
        causal: float | None = None,
        causal_slabs: int = 32,
        balancing: str | None = None,
        balance_every: int = 100,
        balance_alpha: float = 0.1,
        balance_c: float = 1.0,
    ):
        self.eq = equation
        self.net = net
        self.hard = hard
        self.fields = field_names(equation)
        self.system = is_system(equation)
        if hard and self.system:
            raise SpecMismatchError(f"{equation.label} is a system: hard constraints (an ansatz) are for one field")
        if net.n_outputs != len(self.fields):
            raise InvalidDataError(f"the network has {net.n_outputs} outputs; {equation.label} has "
                                   f"{len(self.fields)} field(s) ({', '.join(self.fields)})")
        self.residual_names = ["residual"] + [f"residual_{k}" for k in range(1, len(self.fields))]
        self.weights = dict(weights)
        self.collocation = collocation
        self.counts = PointCounts(collocation.n_residual, collocation.n_boundary, collocation.n_initial)
        self.sampling, self.rng = collocation.sampling, rng
        self.resample_every = collocation.resample_every
        self.adaptive = collocation.adaptive
        self.pool_factor = pool_factor
        c = collocation
        check_settings(c.rar_points, c.aas_steps, c.aas_uniform)
        self._strategy: Strategy | None = None
        self.strategy  # noqa: B018 (validates the settings now)
        self._last_resample = 0
        self.causal = CausalSlabs(equation, causal, causal_slabs) if causal is not None else None
        self.balancer: LossBalancer | None = None
        self._frozen = False  # balancing weights are frozen during L-BFGS
        self._compiled = _compile(self._eager_loss) if compile else None
        self.names = equation.domain.names
        self.plan = DerivativePlan(self.names, self.jet_keys())
        self.boundary_conditions = boundary_sets(equation)
        # du/dn needs the first derivatives in the spatial coordinates
        self._grad_plan = DerivativePlan(self.names, equation.domain.space.names)
        self._t_plan = DerivativePlan(self.names, ("t",)) if "t" in self.names else self.plan
        dim = len(self.names)
        raw = collocation_points(equation, self.counts, self.sampling, rng)
        if points is not None:  # given sets replace sampled ones; sets not given are still sampled
            unknown = sorted(set(points) - set(raw))
            if unknown:
                raise InvalidDataError(
                    f"unknown point set(s) {unknown} for {equation.label}; expected some of {sorted(raw)}"
                )
            raw.update(points)
        self.points = {k: check_points(k, v, dim) for k, v in raw.items()}
        self._prepare()
        if balancing is not None:
            self.balancer = LossBalancer(balancing, self.loss_names(), balance_every, balance_alpha, balance_c)
            self._prepare_weights()

    # -- set-up -------------------------------------------------------------------
    @property
    def dtype(self) -> torch.dtype:
        return self.net.flat.dtype

    def _tensor(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, dtype=self.dtype, device=self.net.flat.device)

    def _coords(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {n: x[:, k] for k, n in enumerate(self.names)}

    def _prepare(self) -> None:
        """Tensors, targets and ansatz jets for the current points and dtype."""
        self.x = {k: self._tensor(v) for k, v in self.points.items()}
        self.coords = self._coords(self.x["residual"])
        self.targets: dict[str, torch.Tensor] = {}
        # the initial (velocity) data of every field on the shared initial points: (n, fields with data)
        self.columns: dict[str, list[int]] = {}
        for kind, cls in (("initial", InitialCondition), ("initial_velocity", InitialVelocityCondition)):
            given = {self._column(c): c for c in self.eq.conditions() if isinstance(c, cls)}
            if given and "initial" in self.x:
                x0, coords0 = self.x["initial"], self._coords(self.x["initial"])
                self.columns[kind] = sorted(given)
                self.targets[kind] = torch.stack([_as_vector(given[k].value(coords0), x0) for k in sorted(given)], 1)
        for key, cond in self.boundary_conditions.items():
            if key in self.x:
                self.targets[key] = _as_vector(cond.value(self._coords(self.x[key])), self.x[key])
                self.columns[key] = [self._column(cond)]
        dirichlet = [k for k, c in self.boundary_conditions.items() if isinstance(c, DirichletCondition)]
        # every soft-condition value goes through the network in one batch
        self.slices: dict[str, slice] = {}
        chunks, start = [], 0
        # a periodic embedding makes the network periodic exactly: no penalty needed
        exact = self.net.embedding is not None and self.net.embedding.exactly_periodic
        periodic_keys = () if exact else ("periodic_lo", "periodic_hi")
        for key in ("initial", *dirichlet, *periodic_keys):
            if key in self.x and (key in self.targets or key.startswith("periodic")):
                n = self.x[key].shape[0]
                self.slices[key] = slice(start, start + n)
                chunks.append(self.x[key])
                start += n
        self.x_conditions = torch.cat(chunks) if chunks else None
        self.ansatz_jets = self._ansatz_jets(self.x["residual"]) if self.hard else None
        self._prepare_flux()
        self._prepare_weights()

    def _column(self, condition: object) -> int:
        """The network output column of the field a condition constrains."""
        name = condition_field(self.eq, condition)  # type: ignore[arg-type]
        return self.fields.index(name) if name is not None else 0

    def _prepare_flux(self) -> None:
        """Points, outward normals and (hard) ansatz jets of the Neumann and Robin sets, in one batch.

        ``flux_slices`` locates each set in ``x_flux``; ``flux_normals`` holds
        the normals ``(n, space dim)`` of all of them.
        """
        self.flux_slices: dict[str, slice] = {}
        chunks, normals, start = [], [], 0
        space = self.eq.domain.space
        for key, cond in self.boundary_conditions.items():
            if isinstance(cond, (NeumannCondition, RobinCondition)) and key in self.x:
                n = self.x[key].shape[0]
                self.flux_slices[key] = slice(start, start + n)
                chunks.append(self.x[key])
                try:
                    normals.append(space.normals(self.points[key][:, : space.dim]))
                except NotImplementedError as exc:
                    raise SpecMismatchError(
                        f"{self.eq.label}: boundary set {key!r} ({describe(cond)}) needs the outward normals of "
                        f"the boundary, and the geometry {type(space).__name__} has none"
                    ) from exc
                start += n
        self.x_flux = torch.cat(chunks) if chunks else None
        self.flux_normals = self._tensor(np.concatenate(normals)) if normals else None
        self.flux_ansatz_jets = (
            self._ansatz_jets(self.x_flux, self._grad_plan) if self.hard and self.x_flux is not None else None
        )

    def _prepare_weights(self) -> None:
        """Causal slabs of the current residual points; balancing weights in the current dtype."""
        if self.causal is not None:
            self.causal.prepare(self.points["residual"][:, self.names.index("t")], self.x["residual"])
        if self.balancer is not None:
            self._lambdas = self._tensor(self.balancer.lambdas.numpy())

    def loss_names(self) -> list[str]:
        """The parts that make up the total (in the order :meth:`loss` reports them)."""
        names = list(self.residual_names)
        if not self.hard and self.x_conditions is not None:
            names += ["initial"] if "initial" in self.slices else []
        names += [k for k in self.boundary_conditions if k in self.flux_slices or (not self.hard and k in self.slices)]
        if not self.hard and self.x_conditions is not None:
            names += ["periodic"] if "periodic_lo" in self.slices else []
        return names

    def _ansatz_jets(self, x: torch.Tensor, plan: DerivativePlan | None = None) -> tuple[Jet, Jet]:
        """Jets of the ansatz parts ``g`` and ``d`` at ``x`` (the derivatives of ``plan``, default the
        residual's), as dense tensors in the objective's dtype.

        ``torch.func`` forward mode returns two kinds of tensor that must not be
        kept as loss constants: an identically zero derivative (``g_xx`` of a
        linear ``g``, every derivative of ``g = 0``) is an efficient ZeroTensor
        without storage (``data_ptr() == 0``), which TorchInductor's CPU
        kernels read anyway -- a segmentation fault (pytorch/pytorch#197067,
        reproduced in ``tests/test_compile_safety.py``) -- and a tangent
        of ``python_float * x`` comes back float64 for float32 ``x``
        (pytorch/pytorch#160513), which silently turned float32 residuals into
        float64 ones. Both are copied into fresh storage of ``x``'s dtype.
        """
        def part(k: int):
            return lambda p: self._ansatz(dict(zip(self.names, p)))[k]

        plan = plan or self.plan
        with torch.no_grad():
            g, d = autodiff_jet(part(0), x, plan), autodiff_jet(part(1), x, plan)
            return _dense_jet(g, x), _dense_jet(d, x)

    # -- Objective protocol -----------------------------------------------------------
    def parameters(self) -> list[torch.nn.Parameter]:
        # the layers' flat vector, and an embedding's own parameters (PIG) when it has trainable ones
        return [p for p in self.net.parameters() if p.requires_grad]

    def u_jet(self, x: torch.Tensor, ansatz_jets: tuple[Jet, Jet] | None = None,
              plan: DerivativePlan | None = None) -> Jet | Jets:
        """Solution jet at ``x`` (the derivatives of ``plan``, default the residual's); a system's :class:`Jets`.

        With hard constraints the ansatz jets (for the same plan) are computed unless given.
        """
        plan = plan or self.plan
        if self.system:
            return network_jets(self.net, x, plan, self.fields)
        n = network_jet(self.net, x, plan)
        if not self.hard:
            return n
        g, d = ansatz_jets if ansatz_jets is not None else self._ansatz_jets(x, plan)
        return compose_ansatz(g, d, n, plan)

    def normal_derivative(self, jet: Jet, normals: torch.Tensor) -> torch.Tensor:
        """``du/dn = sum_k u_k n_k`` over the spatial axes, from a jet with their first derivatives."""
        space = self.eq.domain.space.names
        out = jet[space[0]] * normals[:, 0]
        for k in range(1, len(space)):
            out = out + jet[space[k]] * normals[:, k]
        return out

    def value(self, x: torch.Tensor) -> torch.Tensor:
        """The learned solution at points ``x`` (ansatz applied when hard): ``(n,)``, a system's ``(n, fields)``."""
        v = self._values(x)
        return v if self.system else v[:, 0]

    def _values(self, x: torch.Tensor) -> torch.Tensor:
        """Every output column at ``x``, ``(n, fields)``."""
        n = self.net(x)
        if not self.hard:
            return n
        g, d = self._ansatz(self._coords(x))  # scalar specs only
        return (g + d * n[:, 0]).reshape(-1, 1)

    def _ansatz(self, coords: dict) -> tuple:
        ansatz = self.eq.ansatz(coords)
        assert ansatz is not None  # hard constraints are only chosen for equations with an ansatz
        return ansatz

    @property
    def compiles(self) -> bool:
        """Whether the loss runs through ``torch.compile`` (its first call per dtype compiles)."""
        return self._compiled is not None

    def loss(self) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The weighted total and the parts (compiled when asked for, eager after a failed compile).

        Compilation happens at the first call per dtype (float32 Adam, then the
        float64 recompile of L-BFGS): a failure that Python can catch there, or
        in a later call, switches this objective to eager for good, with one
        warning.
        """
        if self._compiled is None:
            return self._eager_loss()
        try:
            return self._compiled()
        except Exception as exc:  # no C++ compiler, unsupported backend...: stay correct, run eager
            _warn_eager(exc)
            self._compiled = None
            return self._eager_loss()

    def residuals(self, coords: dict[str, torch.Tensor], u: Jet | Jets) -> list[torch.Tensor]:
        """The spec's residual as a list of equations (one for a scalar spec)."""
        r = self.eq.residual(coords, u)  # type: ignore[arg-type]
        return list(r) if self.system else [r]

    def _fields_of(self, jet: Jet | Jets) -> list[Jet]:
        """A jet per output column (a scalar spec's one jet)."""
        return [jet[name] for name in self.fields] if isinstance(jet, Jets) else [jet]

    def jet_keys(self) -> tuple[str, ...]:
        """The derivatives computed at the residual points (the spec's; an energy needs fewer)."""
        return tuple(self.eq.derivatives)

    def physics_parts(self, report: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The loss parts of the PDE itself at the residual points: mean squared residuals (causal if asked)."""
        u = self.u_jet(self.x["residual"], self.ansatz_jets)
        rs = self.residuals(self.coords, u)
        if self.causal is None:
            return {name: (r * r).mean() for name, r in zip(self.residual_names, rs)}
        losses, report["causal_min_weight"] = self.causal.losses([r * r for r in rs])
        return dict(zip(self.residual_names, losses))

    def _eager_loss(self) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        report: dict[str, torch.Tensor] = {}  # recorded, never added to the total
        parts = self.physics_parts(report)
        flux = None
        if self.x_flux is not None:  # Neumann and Robin sets (soft also with hard constraints)
            assert self.flux_normals is not None
            jets = self._fields_of(self.u_jet(self.x_flux, self.flux_ansatz_jets, self._grad_plan))
            flux = [(jet.value, self.normal_derivative(jet, self.flux_normals)) for jet in jets]
        v = self._values(self.x_conditions) if not self.hard and self.x_conditions is not None else None
        if v is not None and "initial" in self.slices:
            e = v[self.slices["initial"]][:, self.columns["initial"]] - self.targets["initial"]
            parts["initial"] = (e * e).mean()
        for key, cond in self.boundary_conditions.items():  # one part per boundary condition, in order
            (column,) = self.columns.get(key, [0])
            if flux is not None and key in self.flux_slices:
                where = self.flux_slices[key]
                value, du_dn = flux[column][0][where], flux[column][1][where]
                if isinstance(cond, RobinCondition):
                    e = cond.alpha * value + cond.beta * du_dn - self.targets[key]
                else:
                    e = du_dn - self.targets[key]
                parts[key] = (e * e).mean()
            elif v is not None and key in self.slices:
                e = v[self.slices[key], column] - self.targets[key]
                parts[key] = (e * e).mean()
        if v is not None and "periodic_lo" in self.slices:
            e = v[self.slices["periodic_lo"]] - v[self.slices["periodic_hi"]]
            parts["periodic"] = (e * e).mean()
        if not self.hard and "initial_velocity" in self.targets:  # an ansatz meets it exactly
            jets = self._fields_of(self.u_jet(self.x["initial"], plan=self._t_plan))
            u_t = torch.stack([jets[k]["t"] for k in self.columns["initial_velocity"]], 1)
            e = u_t - self.targets["initial_velocity"]
            parts["initial_velocity"] = (e * e).mean()
        lam: dict[str, torch.Tensor] = {}
        if self.balancer is not None:
            lam = {k: self._lambdas[i] for i, k in enumerate(self.balancer.names)}
            report.update({f"lambda_{k}": v.detach().clone() for k, v in lam.items()})
        terms = [self.weights.get(k, 1.0) * (lam[k] * v if k in lam else v) for k, v in parts.items()]
        return functools.reduce(operator.add, terms), {**parts, **report}

    def cast(self, dtype: torch.dtype) -> None:
        self.net.to(dtype)
        self._prepare()

    def on_stage(self, stage: object) -> None:
        """Called by the trainer as a stage starts: loss weights are frozen during L-BFGS.

        Its strong-Wolfe line search needs one fixed function: the balancing
        weights stop updating and the causal weights are held at their values
        at the start of the stage (weights that move with the parameters but
        carry no gradient make the line search fail after one iteration). An
        L-BFGS stage is checkpointed only at its end, so a resumed run freezes
        the same weights again.
        """
        self._frozen = type(stage).__name__ == "LBFGS"
        if self.causal is not None:
            r2 = None
            if self._frozen:
                with torch.no_grad():
                    rs = self.residuals(self.coords, self.u_jet(self.x["residual"], self.ansatz_jets))
                    r2 = functools.reduce(operator.add, [r * r for r in rs])
            self.causal.freeze(r2)

    def rebalance(self) -> None:
        """Update the balancing weights from the loss parts at the current parameters and points."""
        assert self.balancer is not None
        with torch.set_grad_enabled(self.balancer.method == "gradnorm"):
            _, parts = self._eager_loss()
            self.balancer.update(parts, self.parameters())
        with torch.no_grad():
            self._lambdas.copy_(self._tensor(self.balancer.lambdas.numpy()))

    def on_step(self, step: int) -> bool:
        """Resample once ``resample_every`` steps have passed; True if the points changed.

        Before that, every ``balance_every`` steps (not during L-BFGS), the
        balancing weights are updated.
        """
        if self.balancer is not None and not self._frozen and self.balancer.due(step):
            self.rebalance()
        if not self.resample_every or step - self._last_resample < self.resample_every:
            return False
        self._last_resample = step
        self.resample()
        return True

    @property
    def strategy(self) -> Strategy:
        """The placement strategy of ``adaptive`` (rebuilt if ``adaptive`` was changed)."""
        if self._strategy is None or self._strategy.name != self.adaptive:
            self._strategy = make_strategy(
                self.adaptive, dim=len(self.eq.domain.names), n=self.counts.residual, pool_factor=self.pool_factor,
                rar_points=self.collocation.rar_points, aas_steps=self.collocation.aas_steps,
                aas_uniform=self.collocation.aas_uniform, beta=self.collocation.aas_beta,
                device=self.net.flat.device, dtype=self.net.flat.dtype,
            )
        return self._strategy

    def residual_at(self, points: np.ndarray) -> np.ndarray:
        """``|r|`` of the current solution at ``points`` (a system's ``sum_k |r_k|``; float64, no gradients)."""
        x = self._tensor(points)
        with torch.no_grad():
            r = functools.reduce(operator.add, [r.abs() for r in self.residuals(self._coords(x), self.u_jet(x))])
            return r.double().cpu().numpy()

    def resample(self) -> None:
        """Place new residual points by the ``adaptive`` strategy (:mod:`sciml.field.adaptive`)."""
        strategy = self.strategy
        strategy.to(self.net.flat.device, self.dtype)
        sampler = PointSampler(self.eq, self.sampling, self.rng, self.counts.residual)
        self.points["residual"] = strategy.resample(self.residual_at, sampler, self.points["residual"])
        self._prepare()

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """Current points, resampling clock and sampler state, so a resumed run continues exactly."""
        out = {f"points.{k}": torch.as_tensor(v) for k, v in self.points.items()}
        out["last_resample"] = torch.tensor(self._last_resample)
        out.update(rng_state_tensors(self.rng))
        out.update({f"sampler.{k}": v for k, v in self.strategy.state_tensors().items()})
        if self.balancer is not None:
            out.update({f"balance.{k}": v for k, v in self.balancer.state_tensors().items()})

        return out

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        if not tensors:
            return
        self.points = {k.removeprefix("points."): v.double().numpy() for k, v in tensors.items()
                       if k.startswith("points.")}
        self._last_resample = int(tensors["last_resample"])
        self.rng = restore_rng(self.rng, tensors)
        self.strategy.load_state_tensors(
            {k.removeprefix("sampler."): v for k, v in tensors.items() if k.startswith("sampler.")})
        if self.balancer is not None:
            self.balancer.load_state_tensors(
                {k.removeprefix("balance."): v for k, v in tensors.items() if k.startswith("balance.")})
        self._prepare()


#: Compiled graphs of the loss kept per process. Dynamo caches them on the code
#: object of ``_eager_loss``, shared by every objective, and silently runs
#: eagerly once the cache is full (8 by default): with two graphs per fit
#: (float32, float64), from the fifth model of a process on (a benchmark table,
#: ``compare`` with several learners) training was 3x slower without a word.
RECOMPILE_LIMIT = 64
_COMPILE_PARAMETERS = inspect.signature(torch.compile).parameters


def _compile(fn: Callable[[], tuple[torch.Tensor, dict[str, torch.Tensor]]]) -> Callable | None:
    """``fn`` through ``torch.compile``, or None (with the fallback warning) if that raises already.

    ``dynamic=False``: a graph specialised to the point counts fuses the many
    small element-wise ops of a step into a few kernels; graphs for equal
    shapes and dtypes are shared across objectives (the seeds of one recipe
    compile once).
    """
    # older torch versions have no per-call limit and keep the global one
    limit = {"recompile_limit": RECOMPILE_LIMIT} if "recompile_limit" in _COMPILE_PARAMETERS else {}
    try:
        return torch.compile(fn, dynamic=False, **limit)  # type: ignore[call-overload]
    except Exception as exc:  # e.g. a Python version torch.compile does not support
        _warn_eager(exc)
        return None


def _warn_eager(exc: Exception) -> None:
    warnings.warn(f"torch.compile failed ({type(exc).__name__}: {exc}); training continues eagerly",
                  RuntimeWarning, stacklevel=3)


def _dense_jet(jet: Jet, like: torch.Tensor) -> Jet:
    """``jet`` with every tensor copied into fresh contiguous storage of ``like``'s dtype and device.

    ``Tensor.to(dtype)`` returns a ZeroTensor itself when the dtype already
    matches; a copy into a new ``empty`` tensor always allocates storage.
    """
    def dense(v: torch.Tensor) -> torch.Tensor:
        return torch.empty(v.shape, dtype=like.dtype, device=like.device).copy_(v)

    return Jet(dense(jet.value), {k: dense(jet[k]) for k in jet.keys()})


def _as_vector(values: object, x: torch.Tensor) -> torch.Tensor:
    """Condition values as a 1D tensor matching the points (scalars broadcast)."""
    v = torch.as_tensor(values, dtype=x.dtype, device=x.device)
    return v.expand(x.shape[0]).clone() if v.ndim == 0 else v.reshape(x.shape[0])
