r"""The Lagrangian PINN loss: a characteristic branch and a state branch, trained together.

For ``u_t + c(x, t, u) u_x = D u_xx + s(u)`` (an equation's
:class:`~equations.lagrangian.LagrangianForm`), a particle is labelled by its
start ``x0``. Two networks of ``(x0, t)`` give its position ``X`` and state ``U``:

    X = x0 + t (c0(x0) + w(x0) N_X(x0, t)),      U = u0(x0) + t w(x0) N_U(x0, t),

so the initial condition holds exactly; ``c0 = c(x0, 0, u0(x0))`` is the initial
speed for linear transport (the whole answer for linear convection) and 0 for a
speed that depends on ``u`` (see :meth:`LPINNObjective._initial_speed`), and ``w`` is 1 on a periodic
interval (where the networks see ``(cos, sin)`` of ``x0``: exactly periodic) and
``(x0 - a)(b - x0) / ((b - a) / 2)^2`` on ``[a, b]``, which pins the wall
particles (valid when the speed and the state vanish at the walls, as for the
Burgers benchmark). The residuals are

    r_X = X_t - c(X, t, U),          r_U = U_t - D U_xx - s(U),

with the second derivative in the *physical* coordinate by the chain rule,
``U_x = U_x0 / X_x0`` and ``U_xx = (U_x0x0 X_x0 - U_x0 X_x0x0) / X_x0^3``
(a derivative in ``x0`` alone is right only for constant speed).

Boundary conditions: the ansatz imposes no boundary data besides keeping the
wall particles at their initial state, so a spec whose boundary conditions
ask for anything else (a Neumann or Robin condition, a Dirichlet condition on
part of the boundary or with values other than the initial ones at the walls,
any boundary condition on a periodic interval) is refused with
:class:`~equations.errors.SpecMismatchError` (:func:`check_boundary_conditions`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from functools import partial

import numpy as np
import torch

from equations import Equation
from equations.core import Array, DirichletCondition, InitialCondition, Jet
from equations.errors import InvalidParameterError, SpecMismatchError
from equations.lagrangian import LagrangianForm
from equations.overrides import defining_class, stale_members
from sciml.core.networks import MLP
from sciml.core.runtime import restore_rng, rng_state_tensors
from sciml.field.derivatives import DerivativePlan, autodiff_jet, compose_ansatz, network_jet
from sciml.field.sampling import PointCounts, boundary_sets, collocation_points, describe


def lagrangian_form(equation: Equation) -> tuple[LagrangianForm, Callable[[dict], Array]]:
    """The equation's Lagrangian form and initial value, or a clear error if it has none.

    Raises
    ------
    InvalidParameterError
        The equation has no Lagrangian form (or is not 1D in space with time and an initial value).
    SpecMismatchError
        A subclass changed what an inherited ``lagrangian()`` restates, or the
        equation states boundary conditions the LPINN cannot honour
        (:func:`check_boundary_conditions`).
    """
    method = getattr(equation, "lagrangian", None)
    form = method() if method is not None else None
    initial = [c.value for c in equation.conditions() if isinstance(c, InitialCondition)]
    if form is None or equation.domain.names != ("x", "t") or not initial:
        raise InvalidParameterError(
            f"equation {equation.label!r} has no Lagrangian (characteristic) form; the LPINN solves 1D "
            "transport equations u_t + c u_x = D u_xx + s(u) with an initial value (e.g. 'convection', "
            "'burgers')"
        )
    stale = stale_members(type(equation), "lagrangian", LAGRANGIAN_INDEPENDENT)
    if stale:  # the inherited form restates the parent's PDE and boundary behaviour
        raise SpecMismatchError(
            f"{type(equation).__name__} redefines {', '.join(stale)} but inherits the lagrangian() form of "
            f"{defining_class(type(equation), 'lagrangian').__name__}; define lagrangian() for it"  # type: ignore[union-attr]
        )
    check_boundary_conditions(equation, initial[0])
    return form, initial[0]


def check_boundary_conditions(equation: Equation, initial_value: Callable[[dict], Array]) -> None:
    """Refuse the boundary conditions the LPINN would ignore (:class:`SpecMismatchError`).

    The LPINN's ansatz keeps each wall particle of a bounded interval at its
    initial state for all times and has no boundary term, so the one boundary
    condition it honours is a Dirichlet condition on the whole boundary of a
    bounded interval whose values equal the initial value at the walls at all
    times (``u = 0`` for Burgers). Checked at the two walls at 9 times
    (relative tolerance 1e-9). Neumann and Robin conditions, Dirichlet
    conditions on part of the boundary or with other values, and any
    boundary condition on a periodic interval are refused: the message names
    the learner and the condition.
    """
    periodic = equation.domain.periodic("x")
    for key, cond in boundary_sets(equation).items():
        if isinstance(cond, DirichletCondition) and cond.where is None and not periodic:
            if _matches_initial_at_walls(equation, cond, initial_value):
                continue
            reason = ("its values differ from the initial value at the walls, where the LPINN keeps the state "
                      "at its initial value for all times")
        elif periodic:
            reason = "the interval is periodic, and the LPINN's solution is periodic there with no boundary data"
        elif isinstance(cond, DirichletCondition):
            reason = "the LPINN has no boundary term to impose data on part of the boundary"
        else:
            reason = "the LPINN has no boundary term, so it would ignore a condition on the normal derivative"
        raise SpecMismatchError(
            f"learner 'lpinn' cannot honour the boundary condition {key!r} ({describe(cond)}) of "
            f"{type(equation).__name__}: {reason}; use the 'pinn' or 'pig' learner, which impose every boundary "
            "condition as a loss term"
        )


def _matches_initial_at_walls(
    equation: Equation, cond: DirichletCondition, initial_value: Callable[[dict], Array]
) -> bool:
    """Whether the Dirichlet data equal the initial value at both walls at 9 times of the interval."""
    (lo, hi), (t0, t1) = equation.domain.bounds
    t = torch.linspace(t0, t1, 9, dtype=torch.float64).repeat(2)
    x = torch.tensor([lo] * 9 + [hi] * 9, dtype=torch.float64)

    def values(f: Callable[[dict], Array], times: torch.Tensor) -> np.ndarray:
        v = torch.as_tensor(f({"x": x, "t": times}), dtype=torch.float64)
        return np.broadcast_to(v.detach().cpu().numpy(), (len(x),))

    data, start = values(cond.value, t), values(initial_value, torch.full_like(t, t0))
    scale = max(1.0, float(np.max(np.abs(start))))
    return bool(np.all(np.abs(data - start) <= 1e-9 * scale))


# the LPINN reads the initial value from the conditions at run time; everything else the form restates
LAGRANGIAN_INDEPENDENT = frozenset({"exact", "ansatz", "initial_value"})


class LPINNObjective:
    """Both branches, the label/time points and the loss (the trainer's ``Objective``).

    Parameters
    ----------
    equation : Equation
        A 1D evolution equation with a :class:`LagrangianForm`.
    position_net, state_net : MLP
        Networks of ``(x0, t)`` for ``N_X`` and ``N_U``.
    weights : mapping
        Weights of the ``characteristic`` and ``state`` residuals.
    n_points : int
        Number of ``(x0, t)`` collocation points.
    sampling : str
        How they are drawn (see :mod:`sciml.field.sampling`).
    rng : numpy.random.Generator
    resample_every : int
        Redraw the points every this many steps (0: never).
    """

    def __init__(
        self,
        equation: Equation,
        position_net: MLP,
        state_net: MLP,
        *,
        weights: dict[str, float],
        n_points: int,
        sampling: str,
        rng: np.random.Generator,
        resample_every: int = 0,
    ):
        self.eq = equation
        self.form, self.initial_value = lagrangian_form(equation)
        self.position_net, self.state_net = position_net, state_net
        self.weights = dict(weights)
        self.counts = PointCounts(n_points, 0, 0)
        self.sampling, self.rng = sampling, rng
        self.resample_every = resample_every
        self._last_resample = 0
        self.plan = DerivativePlan(("x", "t"), ("t", "x", "xx"))
        (self.lo, self.hi), _ = equation.domain.bounds
        self.periodic = equation.domain.periodic("x")
        self.points = self._sample()
        self._prepare()

    # -- set-up ---------------------------------------------------------------------
    @property
    def dtype(self) -> torch.dtype:
        return self.position_net.flat.dtype

    def _sample(self) -> np.ndarray:
        return collocation_points(self.eq, self.counts, self.sampling, self.rng)["residual"]

    def _tensor(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, dtype=self.dtype, device=self.position_net.flat.device)

    def _prepare(self) -> None:
        self.x = self._tensor(self.points)
        self.known = self._known_jets(self.x)

    def _window(self, x0: torch.Tensor) -> torch.Tensor:
        if self.periodic:
            return torch.ones_like(x0)
        half = (self.hi - self.lo) / 2
        return (x0 - self.lo) * (self.hi - x0) / half**2

    def _known_parts(self, p: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``(x0 + t c0, u0, t w)`` at one point ``p = (x0, t)``: the fixed parts of the ansatz."""
        x0, t = p[0], p[1]
        coords = {"x": x0, "t": 0.0 * t}
        u0 = self.initial_value(coords)
        return x0 + t * self._initial_speed(coords, u0), u0, t * self._window(x0)

    def _initial_speed(self, coords: dict, u0: torch.Tensor) -> torch.Tensor:
        """``c0 = c(x0, 0, u0(x0))`` for linear transport; 0 when the speed depends on ``u``.

        For a nonlinear speed (Burgers) the straight characteristics
        ``x0 + t c0`` cross after a finite time (``1 / pi`` for ``u0 = -sin pi x``),
        where ``X_x0`` vanishes and the chain-rule ``U_xx`` blows up: the
        position branch then starts from ``X = x0`` and learns the speed.
        """
        return self.form.speed(coords, u0) if self.form.linear else 0.0 * u0

    def _known_jets(self, x: torch.Tensor, plan: DerivativePlan | None = None) -> tuple[Jet, Jet, Jet]:
        plan = plan or self.plan
        with torch.no_grad():
            g_x, g_u, d = (autodiff_jet(partial(_part, self._known_parts, k), x, plan) for k in range(3))
        return g_x, g_u, d

    # -- the branches ---------------------------------------------------------------------
    def branches(self, x: torch.Tensor, known: tuple[Jet, Jet, Jet] | None = None) -> tuple[Jet, Jet]:
        """Jets (``t``, ``x``, ``xx``: derivatives in the label ``x0``) of the position and the state."""
        g_x, g_u, d = known if known is not None else self._known_jets(x)
        pos = compose_ansatz(g_x, d, network_jet(self.position_net, x, self.plan), self.plan)
        state = compose_ansatz(g_u, d, network_jet(self.state_net, x, self.plan), self.plan)
        return pos, state

    def values(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Position ``X`` and state ``U`` at label/time points ``x`` (no derivatives)."""
        x0, t = x[:, 0], x[:, 1]
        with torch.no_grad():
            coords = {"x": x0, "t": 0.0 * t}
            u0 = self.initial_value(coords)
            d = t * self._window(x0)
            return (x0 + t * self._initial_speed(coords, u0) + d * self.position_net(x)[:, 0],
                    u0 + d * self.state_net(x)[:, 0])

    # -- Objective protocol -----------------------------------------------------------------
    def parameters(self) -> list[torch.nn.Parameter]:
        return [self.position_net.flat, self.state_net.flat]

    def loss(self) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        pos, state = self.branches(self.x, self.known)
        t = self.x[:, 1]
        r_x = pos["t"] - self.form.speed({"x": pos.value, "t": t}, state.value)
        parts = {"characteristic": (r_x * r_x).mean()}
        r_u = state["t"]
        if self.form.diffusion:
            jac = pos["x"]
            u_xx = (state["xx"] * jac - state["x"] * pos["xx"]) / jac**3
            r_u = r_u - self.form.diffusion * u_xx
        if self.form.source is not None:
            r_u = r_u - self.form.source(state.value)
        parts["state"] = (r_u * r_u).mean()
        total = sum(self.weights.get(k, 1.0) * v for k, v in parts.items())
        return total, parts

    def cast(self, dtype: torch.dtype) -> None:
        self.position_net.to(dtype)
        self.state_net.to(dtype)
        self._prepare()

    def on_step(self, step: int) -> bool:
        if not self.resample_every or step - self._last_resample < self.resample_every:
            return False
        self._last_resample = step
        self.points = self._sample()
        self._prepare()
        return True

    def state_tensors(self) -> dict[str, torch.Tensor]:
        return {"points": torch.as_tensor(self.points), "last_resample": torch.tensor(self._last_resample),
                **rng_state_tensors(self.rng)}

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        if not tensors:
            return
        self.points = tensors["points"].double().numpy()
        self._last_resample = int(tensors["last_resample"])
        self.rng = restore_rng(self.rng, tensors)
        self._prepare()

    # -- back to the Eulerian frame ------------------------------------------------------------
    def labels_of(self, x: np.ndarray, t: np.ndarray, n_labels: int = 1024, newton: int = 6) -> np.ndarray:
        """The labels ``x0`` of the particles at positions ``x`` at times ``t``.

        For each distinct time the positions of ``n_labels`` evenly spaced
        labels bracket every target (the map ``x0 -> X`` is increasing while
        characteristics do not cross; on a periodic interval it shifts by one
        period per period); linear interpolation in the bracket, then Newton
        steps with ``X_x0`` from the position branch, kept inside the bracket.
        Where learned characteristics cross (a steep front) the map is made
        monotone by a running maximum, with a RuntimeWarning.
        """
        length = self.hi - self.lo
        grid = (self.lo + length * np.arange(n_labels) / n_labels if self.periodic
                else np.linspace(self.lo, self.hi, n_labels))
        guess, lower, upper = np.empty_like(x), np.empty_like(x), np.empty_like(x)
        target = x.copy()
        times, inverse = np.unique(t, return_inverse=True)
        crossed: list[float] = []
        for k, tk in enumerate(times):
            pos = self._positions(grid, tk)
            lab = grid
            if self.periodic:  # one period of labels beyond, and targets moved into [pos[0], pos[0] + L)
                pos, lab = np.append(pos, pos[0] + length), np.append(grid, grid[0] + length)
            if np.any(np.diff(pos) <= 0):
                # crossing characteristics (a shock the network resolved too sharply): keep, as a shock
                # does, the particles that are furthest along -- the running maximum of the positions
                crossed.append(tk)
                pos = np.maximum.accumulate(pos)
            sel = inverse == k
            xs = target[sel]
            if self.periodic:
                xs = pos[0] + np.mod(xs - pos[0], length)
                target[sel] = xs
            j = np.clip(np.searchsorted(pos, xs, side="right") - 1, 0, len(pos) - 2)
            gap = pos[j + 1] - pos[j]
            frac = np.where(gap > 0, (xs - pos[j]) / np.where(gap > 0, gap, 1.0), 0.0)
            lower[sel], upper[sel] = lab[j], lab[j + 1]
            guess[sel] = lab[j] + frac * (lab[j + 1] - lab[j])
        if crossed:
            warnings.warn(
                f"the learned characteristics cross at {len(crossed)} of {len(times)} times (first t = "
                f"{crossed[0]:g}): the Eulerian prediction there follows the front-most particles",
                RuntimeWarning, stacklevel=3,
            )
        x0 = guess
        plan = DerivativePlan(("x", "t"), ("x",))
        for _ in range(newton):
            p = self._tensor(np.column_stack([x0, t]))
            g_x, _, d = self._known_jets(p, plan)
            with torch.no_grad():
                pos_jet = compose_ansatz(g_x, d, network_jet(self.position_net, p, plan), plan)
            value = pos_jet.value.double().cpu().numpy()
            slope = pos_jet["x"].double().cpu().numpy()
            step = (value - target) / np.where(slope > 0, slope, math.inf)
            x0 = np.clip(x0 - step, lower, upper)
        return x0

    def _positions(self, labels: np.ndarray, t: float) -> np.ndarray:
        p = self._tensor(np.column_stack([labels, np.full(len(labels), t)]))
        return self.values(p)[0].double().cpu().numpy()


def _part(parts: Callable[[torch.Tensor], tuple[torch.Tensor, ...]], k: int, p: torch.Tensor) -> torch.Tensor:
    return parts(p)[k]
