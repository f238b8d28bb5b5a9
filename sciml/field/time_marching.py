"""Time-marching: an evolution equation learned window by window.

The time interval is cut into equal windows. Each window is an equation of
its own (:class:`WindowEquation`): the same residual and boundary
conditions, the window's time interval, and the initial condition given by
the previous window's prediction at the window's start (and its time
derivative, for equations second order in time). The first window keeps the
equation's own initial data. Each window's network starts from the trained
weights of the previous one, so that later windows begin close to a good
solution. The learned solution on the whole interval is
:class:`MarchedSolution`, which evaluates, at each point, the network of
the window that holds its time (the later window at a shared edge).

Short windows are what lets a PINN follow sharp, long-time dynamics
(Allen--Cahn, Kuramoto--Sivashinsky; Wang, Sankaran & Perdikaris 2022,
Mattey & Ghosh 2022); the price is that errors of one window carry into the
next.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from equations import Equation
from equations.core import (
    Array,
    Condition,
    Coords,
    Domain,
    InitialCondition,
    InitialVelocityCondition,
    Jet,
    TimeInterval,
)
from equations.errors import SpecMismatchError
from sciml.core.history import History
from sciml.field.derivatives import DerivativePlan


class WindowEquation(Equation):
    """``equation`` on the time window ``[start, stop]``, its initial data replaced by ``initial``.

    Parameters
    ----------
    equation : Equation
        An evolution equation (its domain has a time interval).
    start, stop : float
        The window.
    initial : mapping, optional
        Per condition kind (``"initial"``, ``"initial_velocity"``), a function of
        the coordinates giving the values at ``t = start`` of every field
        (``(n,)``, or ``(n, fields)`` for a system). None: the equation's own
        initial conditions (the first window).
    """

    base: Equation
    start: float
    stop: float
    initial: dict[str, Callable[[Coords], Any]] | None

    def __init__(self, equation: Equation, start: float, stop: float,
                 initial: dict[str, Callable[[Coords], Any]] | None = None):
        if equation.domain.time is None:
            raise SpecMismatchError(f"{equation.label} has no time axis: time windows need an evolution equation")
        # a frozen dataclass without fields of its own: set the instance's attributes directly
        for key, value in (("base", equation), ("start", float(start)), ("stop", float(stop)), ("initial", initial),
                           ("field", equation.field), ("fields", equation.fields),
                           ("derivatives", equation.derivatives)):
            object.__setattr__(self, key, value)

    @property
    def domain(self) -> Domain:
        time = self.base.domain.time
        assert time is not None
        return Domain(self.base.domain.space, TimeInterval(self.start, self.stop, time.units))

    @property
    def label(self) -> str:
        return f"{self.base.label} (t in [{self.start:g}, {self.stop:g}])"

    def residual(self, coords: Coords, u: Jet) -> Array:
        return self.base.residual(coords, u)

    def conditions(self) -> tuple[Condition, ...]:
        own = self.base.conditions()
        if self.initial is None:
            return own
        columns = [v.name for v in self.base.unknowns]
        out: list[Any] = []
        for c in own:
            if isinstance(c, (InitialCondition, InitialVelocityCondition)):
                kind = "initial" if isinstance(c, InitialCondition) else "initial_velocity"
                column = columns.index(c.field) if c.field is not None else 0
                out.append(type(c)(_column(self.initial[kind], column, len(columns)), c.field))
            else:
                out.append(c)
        return tuple(out)

    def parameters(self) -> dict[str, Any]:
        return {**self.base.parameters(), "window": [self.start, self.stop]}


def _column(values: Callable[[Coords], Any], column: int, n: int) -> Callable[[Coords], Any]:
    def value(coords: Coords) -> Any:
        v = values(coords)
        return v[:, column] if n > 1 else v
    return value


def window_edges(equation: Equation, windows: int) -> np.ndarray:
    """The ``windows + 1`` edges of equal time windows over the equation's interval."""
    time = equation.domain.time
    if time is None:
        raise SpecMismatchError(f"{equation.label} has no time axis: time windows need an evolution equation")
    return np.linspace(time.start, time.stop, windows + 1)


def handover(objective: Any, names: Sequence[str], t: float, velocity: bool) -> dict[str, Callable]:
    """The trained window's state at time ``t`` as initial data for the next window.

    ``objective`` is the trained window's (its ``value`` and ``u_jet``); the
    returned functions take coordinates as tensors (the next objective's
    points) and give the values without gradient.
    """
    k = list(names).index("t")

    def points(coords: dict[str, Any]) -> torch.Tensor:
        x = torch.stack([torch.as_tensor(coords[n]) for n in names], 1).to(objective.dtype)
        x[:, k] = t
        return x

    def value(coords: dict[str, Any]) -> torch.Tensor:
        with torch.no_grad():
            return objective.value(points(coords)).to(torch.as_tensor(coords[names[0]]).dtype)

    out = {"initial": value}
    if velocity:  # u_t at the edge, from the network's jet
        plan = DerivativePlan(names, ("t",))

        def rate(coords: dict[str, Any]) -> torch.Tensor:
            with torch.no_grad():
                jets = objective.u_jet(points(coords), plan=plan)
                fields = [jets[f] for f in objective.fields] if objective.system else [jets]
                v = torch.stack([j["t"] for j in fields], 1)
                return (v if objective.system else v[:, 0]).to(torch.as_tensor(coords[names[0]]).dtype)

        out["initial_velocity"] = rate
    return out


class MarchedSolution:
    """The solution learned window by window: each point is evaluated by its window's objective.

    Parameters
    ----------
    windows : sequence
        The trained objectives, in time order.
    edges : array
        ``len(windows) + 1`` window edges.
    time_column : int
        Index of ``t`` among the input columns.
    """

    def __init__(self, windows: Sequence[Any], edges: np.ndarray, time_column: int):
        self.windows = list(windows)
        self.edges = np.asarray(edges, dtype=float)
        self.time_column = time_column
        self.hard = False

    @property
    def net(self) -> Any:
        """The first window's network (the dtype and device of all of them)."""
        return self.windows[0].net

    @property
    def dtype(self) -> torch.dtype:
        return self.net.flat.dtype

    @property
    def compiles(self) -> bool:
        """Whether every window's loss ran through ``torch.compile``."""
        return all(getattr(w, "compiles", False) for w in self.windows)

    def value(self, x: torch.Tensor) -> torch.Tensor:
        """The solution at ``x`` from the window that holds each point's time."""
        t = x[:, self.time_column].detach().cpu().numpy()
        which = np.clip(np.searchsorted(self.edges, t, side="right") - 1, 0, len(self.windows) - 1)
        parts = []
        index = torch.as_tensor(which, device=x.device)
        for k, objective in enumerate(self.windows):
            mask = index == k
            if bool(mask.any()):
                parts.append((mask, objective.value(x[mask])))
        shape = (x.shape[0], *parts[0][1].shape[1:])
        out = x.new_empty(shape, dtype=parts[0][1].dtype)
        for mask, v in parts:
            out[mask] = v
        return out


def merge_histories(histories: Sequence[History]) -> History:
    """One history of the windows' runs: steps numbered on, every stage tagged with its ``window``."""
    merged, offset = History(), 0
    for k, h in enumerate(histories):
        for step, loss in zip(h.step, h.loss):
            merged.step.append(step + offset)
            merged.loss.append(loss)
        for name, values in h.parts.items():
            merged.parts.setdefault(name, []).extend(values)
        merged.stages += [{**s, "window": k} for s in h.stages]
        offset += sum(int(s["steps"]) for s in h.stages)
    return merged
