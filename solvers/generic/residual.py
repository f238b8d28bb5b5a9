"""The spec's own residual on the grid: values, pointwise partials and the assembled sparse Jacobian.

The residual a spec writes once against a :class:`~equations.core.Jet` (or,
for a system, a :class:`~equations.core.Jets` of one jet per field) is
evaluated here with NumPy arrays whose derivatives come from the
finite-difference operators of :class:`~solvers.generic.discretisation.Discretisation`
(one per field). A residual is a pointwise function of the jets, so its
Jacobian is ``sum_(j, k) diag(dR/dJ_jk) A_k^(j)`` over the fields ``j`` and
jet entries ``k`` (the value's operator is the identity): the pointwise
partials are central differences in each jet entry (two residual calls per
entry, accurate to about 1e-10), the rest is sparse algebra. For a system of
``M`` fields the unknowns and the residuals are stacked field by field
(``M n`` each), equation ``i`` evaluated at the nodes of field ``i``. The
first Jacobian is checked against a directional difference of the whole
discrete residual, which catches a residual that is not pointwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from equations.core import Jet, Jets
from equations.errors import SpecMismatchError
from solvers.generic.discretisation import SOLVER, Discretisation

VALUE = "value"
# relative step of the pointwise central differences (error ~ step^2 ~ 1e-12 of the curvature)
PARTIAL_STEP = 1e-6

Key = tuple[str, str]  # (field, jet entry): ("u", "value"), ("v", "xx")...
Entries = dict[Key, np.ndarray]


class GridResidual:
    """``R(U)`` at the unknown nodes of one discretisation per field, with its Jacobian.

    Parameters
    ----------
    discs : Discretisation or sequence of Discretisation
        Grid, unknowns and difference operators of each field (one for a spec
        with one field). Every field must have the same unknown nodes.
    upwind : bool
        Difference first derivatives upwind where advection dominates.
    """

    def __init__(self, discs: Discretisation | Sequence[Discretisation], upwind: bool = True):
        self.discs = [discs] if isinstance(discs, Discretisation) else list(discs)
        self.disc = self.discs[0]
        self.system = len(self.discs) > 1
        self.fields = tuple(v.name for v in self.disc.equation.unknowns)
        self.name = self.disc.equation.label
        for other in self.discs[1:]:
            if not np.array_equal(other.unknown, self.disc.unknown):
                raise SpecMismatchError(
                    f"the generic reference ({SOLVER!r}) solves a system whose fields share their unknown nodes; "
                    f"in {self.name} the Dirichlet data of {other.variable!r} and {self.disc.variable!r} cover "
                    f"different nodes"
                )
        self.n = self.disc.n_unknowns
        self.upwind = upwind and any(d.upwind for d in self.discs)
        # per (field, first-derivative key): the weights of the backward / forward differences at the last call
        self.choice: dict[Key, tuple[np.ndarray, np.ndarray]] = {}
        self.upwinded = 0  # the most nodes differenced (partly) upwind at one evaluation
        self._coords: dict[float | None, dict[str, np.ndarray]] = {}
        self.evaluations = 0
        self.checked = False

    # -- data and entries ------------------------------------------------------------------------
    def coords(self, t: float | None) -> dict[str, np.ndarray]:
        if t not in self._coords:
            self._coords = {t: self.disc.unknown_coords(t)}  # one time level cached
        return self._coords[t]

    def data(self, t: float | None = None) -> list[np.ndarray]:
        """Each field's data vector at time ``t``."""
        return [disc.data(t) for disc in self.discs]

    def split(self, U: np.ndarray) -> list[np.ndarray]:
        """The stacked unknowns as one vector per field."""
        return [U[j * self.n:(j + 1) * self.n] for j in range(len(self.discs))]

    def entries(self, U: np.ndarray, d: list[np.ndarray], extra: Entries | None = None, t: float | None = None,
                orientation: list[np.ndarray] | None = None, upwind: bool = True) -> Entries:
        """The jet entries at the unknown nodes: values, spatial derivatives, and ``extra`` (time derivatives).

        Where advection dominates a first derivative ``u_x`` (cell Peclet number
        ``Pe = |dR/du_x| h / (2 |dR/du_xx|) > 1``, where central differences
        oscillate), it is differenced upwind, second order (first order next to
        a boundary): central up to ``Pe = 1``, upwind from ``Pe = 2``, blended
        linearly between so the discrete residual stays continuous (for a
        system, field ``j``'s derivatives by equation ``j``'s partials). The
        flow direction is the sign of ``dR/du_x`` times ``orientation`` (per
        field): the sign of ``dR/du_t`` for evolution problems; for steady ones
        (None) that of ``-dR/du_xx`` (positive diffusion). The blend is
        recomputed at every call (frozen between Jacobians, it lagged a moving
        front and let it oscillate: Burgers at 129 points went from 0.13 to 1.1
        max error).
        """
        out: Entries = {}
        for f, disc, Uf, df in zip(self.fields, self.discs, self.split(U), d):
            out[(f, VALUE)] = Uf
            out.update({(f, k): v for k, v in disc.jets(Uf, df).items()})
        if extra:
            out.update(extra)
        self.choice = {}
        if not (self.upwind and upwind):
            return out
        for (f, k), (back, forth) in self._upwind_weights(out, t, orientation).items():
            j = self.fields.index(f)
            (Ab, Cb), (Af, Cf) = self.discs[j].upwind[k]
            Uf, df = self.split(U)[j], d[j]
            out[(f, k)] = out[(f, k)] + back * (Ab @ Uf + Cb @ df - out[(f, k)]) + forth * (
                Af @ Uf + Cf @ df - out[(f, k)])
            self.choice[(f, k)] = (back, forth)
        return out

    def _upwind_weights(self, out: Entries, t: float | None, orientation: list[np.ndarray] | None
                        ) -> dict[Key, tuple[np.ndarray, np.ndarray]]:
        """Per (field, first-derivative key), the weights of the backward and forward differences at each node."""
        keys = [(f, k) for f, disc in zip(self.fields, self.discs) for k in disc.upwind]
        keys += [(f, k + k) for f, k in keys if (f, k + k) in out]
        p = self.partials(out, t, tuple(keys))
        weights = {}
        for j, (f, disc) in enumerate(zip(self.fields, self.discs)):
            rows = slice(j * self.n, (j + 1) * self.n)  # equation j, paired with field j
            for k in disc.upwind:
                a = p[(f, k)][rows]
                nu = p[(f, k + k)][rows] if (f, k + k) in p else np.zeros(self.n)
                orient = orientation[j] if orientation is not None else np.where(nu != 0, -np.sign(nu), 1.0)
                peclet = np.abs(a) * disc.spacing[disc.names.index(k)] / np.maximum(2.0 * np.abs(nu), 1e-300)
                weight = np.clip(peclet - 1.0, 0.0, 1.0)  # central below Pe = 1, upwind above 2, blended between
                back, forth = np.where(a * orient > 0, weight, 0.0), np.where(a * orient < 0, weight, 0.0)
                if back.any() or forth.any():
                    weights[(f, k)] = (back, forth)
                    self.upwinded = max(self.upwinded, int(np.count_nonzero(back + forth)))
        return weights

    # -- the residual --------------------------------------------------------------------------------
    def __call__(self, entries: Entries, t: float | None = None) -> np.ndarray:
        """The residual for given jet entries (see :meth:`entries`), stacked by equation."""
        jets = Jets({f: Jet(entries[(f, VALUE)], {k: v for (g, k), v in entries.items() if g == f and k != VALUE})
                     for f in self.fields})
        self.evaluations += 1
        try:
            out = self.disc.equation.residual(self.coords(t), cast(Any, jets if self.system else jets[self.fields[0]]))
        except KeyError as exc:
            raise SpecMismatchError(
                f"the residual of {self.name} reads a derivative it does not list in `derivatives` (or a field not "
                f"in `fields`: {exc.args[0] if exc.args else exc}); add it there"
            ) from None
        except Exception as exc:  # a residual not written against the Jet API fails in many ways
            raise SpecMismatchError(
                f"the residual of {self.name} failed on the generic reference's NumPy jet "
                f"({type(exc).__name__}: {exc}); write it against the Jet API (u.value, u['x'], u['xx']...) "
                f"with xp = equations.namespace.namespace(x) for functions, so it runs on NumPy and torch"
            ) from None
        parts = list(out) if self.system and isinstance(out, (tuple, list)) else [out]
        if len(parts) != len(self.fields):
            raise SpecMismatchError(f"the residual of {self.name} returned {len(parts)} equation(s) for its "
                                    f"{len(self.fields)} fields {self.fields}")
        try:
            return np.concatenate([np.broadcast_to(np.asarray(p, dtype=np.float64), (self.n,)) for p in parts])
        except (TypeError, ValueError):
            raise SpecMismatchError(
                f"the residual of {self.name} returned {type(out).__name__} of shape {np.shape(out)}; "
                f"expected one real value per point ({self.n} points) per equation"
            ) from None

    def partials(self, entries: Entries, t: float | None = None, keys: tuple[Key, ...] | None = None
                 ) -> dict[Key, np.ndarray]:
        """``dR/dJ_jk`` per point (every equation, stacked) for each jet entry (or the given ``keys``)."""
        out = {}
        for key in keys if keys is not None else tuple(entries):
            base = entries[key]
            step = PARTIAL_STEP * (1.0 + np.abs(base))
            plus = self({**entries, key: base + step}, t)
            minus = self({**entries, key: base - step}, t)
            out[key] = (plus - minus) / np.tile(2.0 * step, len(self.fields))
        return out

    def spatial_keys(self) -> tuple[Key, ...]:
        """The (field, entry) pairs the unknowns enter: every value and spatial derivative."""
        return tuple((f, k) for f, disc in zip(self.fields, self.discs) for k in (VALUE, *disc.keys))

    def operator(self, key: Key) -> sp.csr_matrix:
        """The (n, n) map from a field's unknowns to one of its jet entries (upwind rows as last chosen)."""
        f, k = key
        disc = self.discs[self.fields.index(f)]
        if k == VALUE:
            return sp.identity(self.n, format="csr")
        A = disc.A[k]
        if key in self.choice:  # the rows differenced upwind at the last `entries` call
            back, forth = self.choice[key]
            (Ab, _), (Af, _) = disc.upwind[k]
            A = A + sp.diags(back) @ (Ab - A) + sp.diags(forth) @ (Af - A)
        return A

    def jacobian(self, partials: dict[Key, np.ndarray]) -> sp.csr_matrix:
        """``dR/dU`` (stacked, ``M n`` square) from pointwise partials (absent keys contribute nothing)."""
        M = len(self.fields)
        columns = []
        for f in self.fields:
            block = sp.csr_matrix((M * self.n, self.n))
            for key in self.spatial_keys():
                if key[0] == f and key in partials:
                    block = block + sp.diags(partials[key]) @ sp.vstack([self.operator(key)] * M)
            columns.append(block)
        return sp.hstack(columns).tocsr()

    def check_pointwise(self, U: np.ndarray, d: list[np.ndarray], J: sp.csr_matrix, t: float | None = None,
                        extra: Entries | None = None, seed: int = 0) -> None:
        """Refuse a residual whose discrete Jacobian is not the pointwise one (it couples points).

        Compares ``J v`` with ``(R(U + e v) - R(U - e v)) / 2e`` for a random ``v``.
        """
        if self.checked:
            return
        self.checked = True
        v = np.random.default_rng(seed).standard_normal(len(U))
        eps = 1e-6 * (1.0 + float(np.max(np.abs(U), initial=0.0)))
        choice = self.choice  # keep the stencils J was assembled with
        sides = []
        for W in (U + eps * v, U - eps * v):
            e = self.entries(W, d, extra, t, upwind=False)
            for key, (back, forth) in choice.items():
                j = self.fields.index(key[0])
                (Ab, Cb), (Af, Cf) = self.discs[j].upwind[key[1]]
                Wf = self.split(W)[j]
                e[key] = e[key] + back * (Ab @ Wf + Cb @ d[j] - e[key]) + forth * (Af @ Wf + Cf @ d[j] - e[key])
            sides.append(e)
        self.choice = choice
        directional = (self(sides[0], t) - self(sides[1], t)) / (2 * eps)
        predicted = J @ v
        scale = float(np.max(np.abs(predicted), initial=0.0)) + float(np.max(np.abs(directional), initial=0.0))
        gap = float(np.max(np.abs(predicted - directional), initial=0.0))
        if gap > 1e-4 * scale + 1e-10:
            raise SpecMismatchError(
                f"the residual of {self.name} is not a pointwise function of the jet (its discrete Jacobian "
                f"differs from the pointwise one by {gap:.3g} relative to {scale:.3g}); the generic reference "
                f"({SOLVER!r}) needs each point's residual to depend on that point's jet only"
            )
