"""The tensor grid of the generic reference: unknown nodes, boundary data and finite-difference operators.

Every derivative the spec's residual reads (``equation.derivatives``) becomes a
sparse matrix of central differences (second order; third and fourth
derivatives only along periodic axes) acting on the unknown nodes plus a data
vector ``d``: ``jet[key] = A[key] @ U + C[key] @ d``, evaluated at the
unknown nodes. What ``d`` holds:

* Dirichlet values at the nodes where a :class:`~equations.core.DirichletCondition`
  holds (those nodes are not unknowns);
* Neumann and Robin data at the box-face nodes they govern. Those nodes are
  unknowns; the residual is evaluated there with a ghost node outside the
  face, eliminated by the second-order central difference of the condition
  (``u_ghost = u_inner + 2 h (g - alpha u_b) / beta``; Neumann: ``alpha = 0,
  beta = 1``).

A face node with no condition gets a linearly extrapolated ghost when the
residual has no second derivative across that face (an outflow boundary of a
first-order problem) and is refused otherwise. Domains other than boxes
(polygons, any geometry with an inside test) are masked: the nodes inside the
closed domain with a stencil neighbour outside it carry Dirichlet data, which
is exact for grid-aligned polygons and first order (a staircase) otherwise;
flux data there are refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from equations.core import (
    DirichletCondition,
    Equation,
    InitialCondition,
    InitialVelocityCondition,
    NeumannCondition,
    PeriodicCondition,
    RobinCondition,
    canonical_key,
)
from equations.errors import InvalidDataError, SpecMismatchError
from equations.geometry import Box
from equations.systems import conditions_of

SOLVER = "fd"
# central-difference stencils of derivative order k (offsets -r..r, divided by h^k)
STENCILS = {
    1: np.array([-0.5, 0.0, 0.5]),
    2: np.array([1.0, -2.0, 1.0]),
    3: np.array([-0.5, 1.0, 0.0, -1.0, 0.5]),
    4: np.array([1.0, -4.0, 6.0, -4.0, 1.0]),
}


def split_keys(equation: Equation) -> tuple[tuple[str, ...], str | None]:
    """The spatial derivative keys the residual reads, and its time key (``"t"``, ``"tt"`` or None)."""
    spatial, time = [], None
    space = equation.domain.space.names
    for raw in equation.derivatives:
        key = canonical_key(raw)
        if "t" in key:
            if key not in ("t", "tt") or equation.domain.time is None:
                raise SpecMismatchError(
                    f"the generic reference ({SOLVER!r}) solves u_t = F(...) or u_tt = F(...) by the method of lines; "
                    f"{type(equation).__name__} reads the derivative {raw!r}"
                    + ("" if equation.domain.time is not None else " but has no time interval")
                )
            time = key if time is None else max(time, key, key=len)
        elif any(c not in space for c in key):
            raise SpecMismatchError(
                f"{type(equation).__name__} reads the derivative {raw!r}, but its domain has the axes {space}"
            )
        else:
            spatial.append(key)
    if equation.domain.time is not None and time is None:
        raise SpecMismatchError(
            f"{type(equation).__name__} has a time interval but its residual reads no time derivative "
            f"('t' or 'tt' in `derivatives`)"
        )
    return tuple(dict.fromkeys(spatial)), time


@dataclass
class Discretisation:
    """Unknowns, data and difference operators of a spec's space on one tensor grid.

    Parameters
    ----------
    equation : Equation
        The spec.
    axes : dict
        1D node vectors of the spatial axes (uniform; periodic axes without
        their upper end).
    variable : str, optional
        The field of a system this discretises (its own conditions); None for
        a spec with one field.
    """

    equation: Equation
    axes: dict[str, np.ndarray]
    variable: str | None = None  # the field of a system whose conditions apply (None: the spec's one field)
    names: tuple[str, ...] = field(init=False)
    shape: tuple[int, ...] = field(init=False)
    spacing: tuple[float, ...] = field(init=False)
    active: np.ndarray = field(init=False)
    dirichlet: np.ndarray = field(init=False)
    unknown: np.ndarray = field(init=False)
    keys: tuple[str, ...] = field(init=False)
    time_key: str | None = field(init=False)
    A: dict[str, sp.csr_matrix] = field(init=False)
    C: dict[str, sp.csr_matrix] = field(init=False)

    def __post_init__(self) -> None:
        eq, space = self.equation, self.equation.domain.space
        self.names = space.names
        self.shape = tuple(len(self.axes[n]) for n in self.names)
        self.spacing = tuple(_spacing(n, self.axes[n]) for n in self.names)
        self.periodic = tuple(bool(p) for p in space.periodic)
        self.keys, self.time_key = split_keys(eq)
        self._conditions = _sorted_conditions(eq, self.variable)
        self.box = isinstance(space, Box)
        if not self.box and (self._conditions["neumann"] or self._conditions["robin"]):
            raise SpecMismatchError(
                f"the generic reference ({SOLVER!r}) imposes Neumann and Robin data on the faces of a box; "
                f"{type(eq).__name__}'s domain is a {type(space).__name__} (state Dirichlet data there)"
            )
        order = self._orders()
        self.mesh = np.meshgrid(*(self.axes[n] for n in self.names), indexing="ij")
        self.active = np.ones(self.shape, bool) if self.box else space.grid_mask(self.axes)
        if not self.active.any():
            raise InvalidDataError(f"no grid node of {self.shape} lies inside {type(eq).__name__}'s domain")
        frame = self._frame()
        self.dirichlet, self._dirichlet_owner = self._dirichlet_nodes(frame)
        self.unknown = self.active & ~self.dirichlet
        if not self.unknown.any():
            raise InvalidDataError(f"the grid {self.shape} has no unknown node inside the domain: refine it")
        self._flux: list[tuple[np.ndarray, Callable, float]] = []  # (node mask, data function, weight) per block
        P = self._padding_map(order)
        rows = self._unknown_rows()
        n = self.n_unknowns
        self.A, self.C = {}, {}
        for key in self.keys:
            self.A[key], self.C[key] = _split(sp.csr_matrix(self._difference(key)[rows]) @ P, n)
        # one-sided (upwind) first derivatives, for the nodes where advection dominates
        self.upwind: dict[str, tuple[tuple[sp.csr_matrix, sp.csr_matrix], tuple[sp.csr_matrix, sp.csr_matrix]]] = {}
        for key in self.keys:
            if len(key) == 1:
                a = self.names.index(key)
                self.upwind[key] = (_split(self._one_sided(a, rows, -1) @ P, n),
                                    _split(self._one_sided(a, rows, +1) @ P, n))

    # -- public ------------------------------------------------------------------------------
    @property
    def n_unknowns(self) -> int:
        return int(self.unknown.sum())

    def unknown_coords(self, t: float | None = None) -> dict[str, np.ndarray]:
        """Coordinates of the unknown nodes (with ``t`` as an array when given)."""
        out = {n: m[self.unknown] for n, m in zip(self.names, self.mesh)}
        if t is not None:
            out["t"] = np.full(self.n_unknowns, float(t))
        return out

    def data(self, t: float | None = None) -> np.ndarray:
        """The data vector ``d`` at time ``t``: Dirichlet values, then flux data per face block."""
        parts = [self._dirichlet_values(t)]
        for mask, value, weight in self._flux:
            parts.append(weight * _evaluate(value, self._coords(mask, t), int(mask.sum()), "boundary"))
        return np.concatenate(parts) if parts else np.zeros(0)

    def jets(self, U: np.ndarray, d: np.ndarray) -> dict[str, np.ndarray]:
        """``jet[key]`` at the unknown nodes for unknowns ``U`` and data ``d``."""
        return {k: self.A[k] @ U + self.C[k] @ d for k in self.keys}

    def full(self, U: np.ndarray, d: np.ndarray, fill: float = np.nan) -> np.ndarray:
        """The solution on the whole grid: unknowns, Dirichlet data, ``fill`` outside the domain."""
        out = np.full(self.shape, fill)
        out[self.unknown] = U
        out[self.dirichlet] = d[: int(self.dirichlet.sum())]
        return out

    def initial(self, value: Callable) -> np.ndarray:
        """An initial-value callable evaluated at the unknown nodes (at the start time)."""
        t0 = self.equation.domain.time.start if self.equation.domain.time is not None else None
        return _evaluate(value, self.unknown_coords(t0), self.n_unknowns, "initial")

    # -- set-up ------------------------------------------------------------------------------
    def _orders(self) -> dict[str, int]:
        """The highest derivative order per spatial axis; > 2 only along periodic axes."""
        order = {n: 0 for n in self.names}
        for key in self.keys:
            for n in self.names:
                order[n] = max(order[n], key.count(n))
        for n, p in zip(self.names, self.periodic):
            if order[n] > (4 if p else 2):
                raise SpecMismatchError(
                    f"the generic reference ({SOLVER!r}) differentiates up to order 2 along non-periodic axes "
                    f"(4 along periodic ones); {type(self.equation).__name__} reads order {order[n]} along {n!r}"
                )
        return order

    def _coords(self, mask: np.ndarray, t: float | None) -> dict[str, np.ndarray]:
        out = {n: m[mask] for n, m in zip(self.names, self.mesh)}
        if t is not None:
            out["t"] = np.full(int(mask.sum()), float(t))
        return out

    def _frame(self) -> np.ndarray:
        """Active nodes with a stencil neighbour outside the domain (or beyond a non-periodic grid end)."""
        if self.box:
            frame = np.zeros(self.shape, bool)
            for a, p in enumerate(self.periodic):
                if not p:
                    frame[_face(a, 0, len(self.shape))] = True
                    frame[_face(a, -1, len(self.shape))] = True
            return frame
        padded = np.pad(self.active, 1, constant_values=False)
        inside = np.ones(self.shape, bool)
        # the whole 3^d neighbourhood: a re-entrant corner of a grid-aligned polygon has only a diagonal
        # neighbour outside, and it is a boundary point
        offsets = np.array(np.meshgrid(*([(-1, 0, 1)] * len(self.shape)), indexing="ij")).reshape(len(self.shape), -1).T
        for off in offsets:
            sl = tuple(slice(1 + o, 1 + o + n) for o, n in zip(off, self.shape))
            inside &= padded[sl]
        return self.active & ~inside

    def _dirichlet_nodes(self, frame: np.ndarray) -> tuple[np.ndarray, list[tuple[np.ndarray, Callable]]]:
        """Nodes carrying Dirichlet data (a Dirichlet condition holds there), with the condition per node."""
        eq = self.equation
        t0 = eq.domain.time.start if eq.domain.time is not None else None
        taken = np.zeros(self.shape, bool)
        owners = []
        for cond in self._conditions["dirichlet"]:
            here = frame & ~taken
            if cond.where is not None and here.any():
                sel = np.asarray(_evaluate(cond.where, self._coords(here, t0), int(here.sum()), "where"), bool)
                mask = np.zeros(self.shape, bool)
                mask[here] = sel
                here = mask
            if here.any():
                owners.append((here, cond.value))
                taken |= here
        if not self.box:
            missing = frame & ~taken
            if missing.any():
                raise SpecMismatchError(_uncovered(eq, missing, self._coords(missing, t0),
                                                   "no Dirichlet condition holds there"))
        return taken, owners

    def _dirichlet_values(self, t: float | None) -> np.ndarray:
        out = np.zeros(self.shape)
        for mask, value in self._dirichlet_owner:
            out[mask] = _evaluate(value, self._coords(mask, t), int(mask.sum()), "Dirichlet")
        return out[self.dirichlet]

    def _padding_map(self, order: dict[str, int]) -> sp.csr_matrix:
        """``P``: the padded grid (one ghost layer per non-periodic face) from ``[U; d]``."""
        n_full = math.prod(self.shape)
        n_u, n_d = self.n_unknowns, int(self.dirichlet.sum())
        full_idx = np.arange(n_full).reshape(self.shape)
        S = sp.csr_matrix((np.ones(n_u), (full_idx[self.unknown], np.arange(n_u))), shape=(n_full, n_u))
        T = sp.csr_matrix((np.ones(n_d), (full_idx[self.dirichlet], np.arange(n_d))), shape=(n_full, n_d))
        P = sp.hstack([S, T]).tocsr()
        shape = list(self.shape)
        t0 = self.equation.domain.time.start if self.equation.domain.time is not None else None
        # the face classification is made on the unpadded grid; earlier ghost layers extrapolate
        for a, (name, h, periodic) in enumerate(zip(self.names, self.spacing, self.periodic)):
            if periodic:
                continue
            blocks = []
            rows_b, cols_b, vals_b = [], [], []  # the ghost rows' dependence on the previous array
            new_shape = shape.copy()
            new_shape[a] += 2
            prev = np.arange(math.prod(shape)).reshape(shape)
            new = np.arange(math.prod(new_shape)).reshape(new_shape)
            inner = tuple(slice(1, -1) if b == a else slice(None) for b in range(len(shape)))
            rows_b.append(new[inner].ravel())
            cols_b.append(prev.ravel())
            vals_b.append(np.ones(prev.size))
            for side in (0, -1):
                # faces keep their axis (length 1), so a 1D face is an array too
                ghost = np.take(new, [0 if side == 0 else new_shape[a] - 1], axis=a)
                node = np.take(prev, [0 if side == 0 else shape[a] - 1], axis=a)
                nxt = np.take(prev, [1 if side == 0 else shape[a] - 2], axis=a)
                c_node, c_next, flux = self._face_rule(a, side, order[name], node.shape, t0)
                rows_b += [ghost.ravel(), ghost.ravel()]
                cols_b += [node.ravel(), nxt.ravel()]
                vals_b += [c_node.ravel(), c_next.ravel()]
                for mask, value, scale in flux:
                    blocks.append((ghost, side, mask, value, scale * h))
            E = sp.csr_matrix((np.concatenate(vals_b), (np.concatenate(rows_b), np.concatenate(cols_b))),
                              shape=(math.prod(new_shape), math.prod(shape)))
            P = E @ P
            for ghost, side, mask, value, weight in blocks:  # data columns: one per flux node of this face
                face_mask = mask[_face(a, side, len(self.shape))]
                pads = [(1, 1) if (b < a and not self.periodic[b]) else (0, 0) for b in range(len(self.shape))]
                rows = ghost[np.pad(face_mask, pads, constant_values=False)]
                G = sp.csr_matrix((np.ones(len(rows)), (rows, np.arange(len(rows)))),
                                  shape=(P.shape[0], len(rows)))
                P = sp.hstack([P, G]).tocsr()
                self._flux.append((mask, value, weight))
            shape = new_shape
        self.padded_shape = tuple(shape)
        return P.tocsr()

    def _face_rule(self, a: int, side: int, order: int, face_shape: tuple[int, ...], t0: float | None):
        """Ghost coefficients on (face node, next node) and the flux-data blocks of one face.

        ``face_shape`` is the face of the partly padded array (earlier axes carry
        ghost layers, whose ghosts extrapolate).
        """
        eq = self.equation
        c_node = np.full(face_shape, 2.0)  # linear extrapolation by default
        c_next = np.full(face_shape, -1.0)
        # the face of the unpadded grid inside the partly padded face array
        core = tuple(slice(1, -1) if (b < a and not self.periodic[b]) else slice(None) for b in range(len(self.shape)))
        node_face = _face(a, side, len(self.shape))
        flux_nodes = np.zeros(self.shape, bool)
        flux_nodes[node_face] = self.unknown[node_face]  # face nodes without Dirichlet data
        flux_blocks = []
        if flux_nodes.any():
            probe = self._probe(flux_nodes, a, t0)
            governed = np.zeros(self.shape, bool)
            core_node, core_next = c_node[core], c_next[core]
            for cond in self._conditions["neumann"] + self._conditions["robin"]:
                here = flux_nodes & ~governed
                if not here.any():
                    break
                if cond.where is not None:
                    sel = np.asarray(_evaluate(cond.where, {k: v[here[flux_nodes]] for k, v in probe.items()},
                                               int(here.sum()), "where"), bool)
                    mask = np.zeros(self.shape, bool)
                    mask[here] = sel
                    here = mask
                if not here.any():
                    continue
                governed |= here
                on_face = here[node_face]
                alpha, beta = (0.0, 1.0) if isinstance(cond, NeumannCondition) else (cond.alpha, cond.beta)
                core_node[on_face] = -2.0 * self.spacing[a] * alpha / beta
                core_next[on_face] = 1.0
                flux_blocks.append((here, cond.value, 2.0 / beta))
            c_node[core], c_next[core] = core_node, core_next
            missing = flux_nodes & ~governed
            if missing.any() and order >= 2:
                raise SpecMismatchError(_uncovered(eq, missing, self._coords(missing, t0),
                                                   f"the residual differentiates twice along {self.names[a]!r}"))
        return c_node, c_next, flux_blocks

    def _probe(self, mask: np.ndarray, a: int, t0: float | None) -> dict[str, np.ndarray]:
        """Face-node coordinates nudged a quarter step along the face towards its centre.

        A condition's ``where`` is asked at these points, so at an edge or a
        corner each face takes the condition stated for that face (``OnPlane("x", 1)``
        holds on the face x = 1 but not on the face y = 1 that meets it).
        """
        out = self._coords(mask, t0)
        for b, (n, h) in enumerate(zip(self.names, self.spacing)):
            if b != a and not self.periodic[b]:
                centre = 0.5 * (self.axes[n][0] + self.axes[n][-1])
                out[n] = out[n] + 0.25 * h * np.sign(centre - out[n])
        return out

    def _unknown_rows(self) -> np.ndarray:
        """Flat indices of the unknown nodes in the padded grid."""
        pad = [1 if not p else 0 for p in self.periodic]
        idx = np.argwhere(self.unknown) + np.array(pad)
        return np.ravel_multi_index(tuple(idx.T), self.padded_shape)

    def _one_sided(self, a: int, rows: np.ndarray, direction: int) -> sp.csr_matrix:
        """Second-order one-sided first derivative along axis ``a`` at the padded ``rows``.

        ``direction = -1`` looks backwards (``(3 u_i - 4 u_(i-1) + u_(i-2)) / 2h``),
        ``+1`` forwards; where the second node away is not on the grid (next to
        a face or a masked boundary) the first-order difference is used.
        """
        shape, h = self.padded_shape, self.spacing[a]
        valid = self.active
        for b, p in enumerate(self.periodic):
            if not p:  # ghost layers hold values on a box; outside a masked domain nothing does
                valid = np.pad(valid, [(1, 1) if c == b else (0, 0) for c in range(len(shape))],
                               constant_values=self.box)
        idx = np.array(np.unravel_index(rows, shape))

        def shifted(k: int) -> tuple[np.ndarray, np.ndarray]:
            j = idx.copy()
            j[a] = j[a] + k * direction
            if self.periodic[a]:
                j[a] %= shape[a]
                return np.ravel_multi_index(tuple(j), shape), np.ones(len(rows), bool)
            inside = (j[a] >= 0) & (j[a] < shape[a])
            j[a] = np.clip(j[a], 0, shape[a] - 1)
            flat = np.ravel_multi_index(tuple(j), shape)
            return flat, inside & valid.ravel()[flat]

        one, _ = shifted(1)
        two, second = shifted(2)
        sign = -float(direction)  # backwards: +3u_i - 4u_(i-1) + u_(i-2); forwards: the mirror, negated
        r = np.arange(len(rows))
        coef_i = np.where(second, 1.5, 1.0) * sign / h
        coef_1 = np.where(second, -2.0, -1.0) * sign / h
        coef_2 = np.where(second, 0.5, 0.0) * sign / h
        return sp.csr_matrix((np.concatenate([coef_i, coef_1, coef_2]),
                              (np.concatenate([r, r, r]), np.concatenate([rows, one, two]))),
                             shape=(len(rows), math.prod(shape)))

    def _difference(self, key: str) -> sp.csr_matrix:
        """The central-difference operator of ``key`` on the padded grid (Kronecker product of 1D ones)."""
        op = None
        for a, (name, h, periodic) in enumerate(zip(self.names, self.spacing, self.periodic)):
            m = self.padded_shape[a]
            k = key.count(name)
            one = sp.identity(m, format="csr") if k == 0 else _difference_1d(k, m, h, periodic)
            op = one if op is None else sp.kron(op, one, format="csr")
        return op


def _difference_1d(order: int, m: int, h: float, periodic: bool) -> sp.csr_matrix:
    stencil = STENCILS[order] / h**order
    r = len(stencil) // 2
    if periodic:
        rows = np.repeat(np.arange(m), len(stencil))
        cols = (rows + np.tile(np.arange(-r, r + 1), m)) % m
        return sp.csr_matrix((np.tile(stencil, m), (rows, cols)), shape=(m, m))
    return sp.diags([np.full(m - abs(o), s) for o, s in zip(range(-r, r + 1), stencil)],
                    list(range(-r, r + 1)), shape=(m, m), format="csr")


def _split(op: sp.spmatrix, n: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """An operator on ``[U; d]`` as its unknown part and its data part."""
    op = sp.csc_matrix(op)
    return op[:, :n].tocsr(), op[:, n:].tocsr()


def _spacing(name: str, x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or len(x) < 3:
        raise InvalidDataError(f"axis {name!r} needs at least 3 nodes, got {x.shape}")
    h = np.diff(x)
    if not np.allclose(h, h[0], rtol=1e-9, atol=0) or h[0] <= 0:
        raise InvalidDataError(f"the generic reference needs a uniform increasing grid along {name!r}")
    return float(h[0])


def _face(a: int, side: int, ndim: int) -> tuple:
    """The index of the first (``side = 0``) or last (``-1``) layer along axis ``a``, keeping the axis."""
    layer = slice(0, 1) if side == 0 else slice(-1, None)
    return tuple(layer if b == a else slice(None) for b in range(ndim))


def _sorted_conditions(equation: Equation, variable: str | None = None) -> dict[str, list]:
    """The conditions on field ``variable`` (None: the spec's one field) by kind; refuses what cannot be honoured."""
    try:
        conditions = conditions_of(equation, variable or equation.unknowns[0].name)
    except NotImplementedError:
        conditions = ()
    out: dict[str, list] = {k: [] for k in ("dirichlet", "neumann", "robin", "initial", "velocity", "periodic")}
    kinds = {DirichletCondition: "dirichlet", NeumannCondition: "neumann", RobinCondition: "robin",
             InitialCondition: "initial", InitialVelocityCondition: "velocity", PeriodicCondition: "periodic"}
    for cond in conditions:
        kind = kinds.get(type(cond))
        if kind is None:
            raise SpecMismatchError(f"the generic reference ({SOLVER!r}) does not know the condition "
                                    f"{type(cond).__name__} of {type(equation).__name__}")
        out[kind].append(cond)
    domain = equation.domain
    name = type(equation).__name__
    for cond in out["periodic"]:
        if not domain.periodic(cond.axis):
            raise SpecMismatchError(f"{name} states a PeriodicCondition along {cond.axis!r}, but its domain's "
                                    f"geometry is not periodic along that axis (set periodic=True for it)")
    if domain.time is None and (out["initial"] or out["velocity"]):
        raise SpecMismatchError(f"{name} states an initial condition but has no time interval")
    if not (out["dirichlet"] or out["neumann"] or out["robin"]) and not all(domain.space.periodic):
        raise SpecMismatchError(
            f"{name} states no boundary condition{f' on field {variable!r}' if variable else ''} "
            f"({'its conditions on that field' if variable else 'its `conditions()`'}: "
            f"{', '.join(type(c).__name__ for c in conditions) or 'none'}); the generic reference "
            f"({SOLVER!r}) needs data on the non-periodic boundary (Dirichlet, Neumann or Robin, "
            f"restricted with `where` where it holds on part of it)"
        )
    return out


def _evaluate(fn: Callable, coords: dict[str, np.ndarray], n: int, what: str) -> np.ndarray:
    """A spec callable at ``coords`` as a finite float array of length ``n``."""
    try:
        out = np.broadcast_to(np.asarray(fn(coords), dtype=np.float64 if what != "where" else None), (n,))
    except (ValueError, TypeError) as exc:
        raise InvalidDataError(f"a {what} callable returned an array that does not match its {n} points: {exc}") \
            from None
    if what != "where" and not np.isfinite(out).all():
        raise InvalidDataError(f"the {what} data are not finite at {int((~np.isfinite(out)).sum())} of {n} nodes")
    return np.array(out)


def _uncovered(equation: Equation, mask: np.ndarray, coords: dict[str, np.ndarray], why: str) -> str:
    where = ", ".join(f"{k}={v[0]:.4g}" for k, v in coords.items())
    return (f"the conditions of {type(equation).__name__} leave {int(mask.sum())} boundary node(s) without data "
            f"(e.g. at {where}) and {why}: state a condition there (or check the conditions' `where`)")
