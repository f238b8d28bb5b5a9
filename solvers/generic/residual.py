"""The spec's own residual on the grid: values, pointwise partials and the assembled sparse Jacobian.

The residual a spec writes once against a :class:`~equations.core.Jet` is
evaluated here with NumPy arrays whose derivatives come from the
finite-difference operators of :class:`~solvers.generic.discretisation.Discretisation`.
A residual is a pointwise function of the jet, so its Jacobian is
``diag(dR/du) + sum_k diag(dR/dJ_k) A_k``: the pointwise partials
``dR/dJ_k`` are central differences in each jet entry (two residual calls per
entry, accurate to about 1e-10), the rest is sparse algebra. The first
Jacobian is checked against a directional difference of the whole discrete
residual, which catches a residual that is not pointwise.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from equations.core import Jet
from equations.errors import SpecMismatchError
from solvers.generic.discretisation import SOLVER, Discretisation

VALUE = "value"
# relative step of the pointwise central differences (error ~ step^2 ~ 1e-12 of the curvature)
PARTIAL_STEP = 1e-6


class GridResidual:
    """``R(U)`` at the unknown nodes of a discretisation, with its Jacobian.

    Parameters
    ----------
    disc : Discretisation
        Grid, unknowns and difference operators.
    """

    def __init__(self, disc: Discretisation, upwind: bool = True):
        self.disc = disc
        self.upwind = upwind and bool(disc.upwind)
        # per first-derivative key: the nodes differenced backwards / forwards at the last `entries` call
        self.choice: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.upwinded = 0  # the most nodes differenced (partly) upwind at one evaluation
        self.name = type(disc.equation).__name__
        self._coords: dict[float | None, dict[str, np.ndarray]] = {}
        self.evaluations = 0
        self.checked = False

    def coords(self, t: float | None) -> dict[str, np.ndarray]:
        if t not in self._coords:
            self._coords = {t: self.disc.unknown_coords(t)}  # one time level cached
        return self._coords[t]

    def entries(self, U: np.ndarray, d: np.ndarray, extra: dict[str, np.ndarray] | None = None,
                t: float | None = None, orientation: np.ndarray | None = None, upwind: bool = True
                ) -> dict[str, np.ndarray]:
        """The jet entries at the unknown nodes: value, spatial derivatives, and ``extra`` (time derivatives).

        Where advection dominates a first derivative ``u_x`` (cell Peclet number
        ``Pe = |dR/du_x| h / (2 |dR/du_xx|) > 1``, where central differences
        oscillate), it is differenced upwind, second order (first order next to
        a boundary): central up to ``Pe = 1``, upwind from ``Pe = 2``, blended
        linearly between so the discrete residual stays continuous. The flow
        direction is the sign of ``dR/du_x`` times ``orientation``: the sign of
        ``dR/du_t`` for evolution problems; for steady ones (None) that of
        ``-dR/du_xx`` (positive diffusion). The blend is recomputed at every
        call (frozen between Jacobians, it lagged a moving front and let it
        oscillate: Burgers at 129 points went from 0.13 to 1.1 max error).
        """
        out = {VALUE: U, **self.disc.jets(U, d)}
        if extra:
            out.update(extra)
        self.choice = {}
        if not (self.upwind and upwind):
            return out
        for k, (back, forth) in self._upwind_weights(out, t, orientation).items():
            (Ab, Cb), (Af, Cf) = self.disc.upwind[k]
            out[k] = out[k] + back * (Ab @ U + Cb @ d - out[k]) + forth * (Af @ U + Cf @ d - out[k])
            self.choice[k] = (back, forth)
        return out

    def _upwind_weights(self, out: dict[str, np.ndarray], t: float | None, orientation: np.ndarray | None
                        ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per first-derivative key, the weights of the backward and forward differences at each node."""
        keys = tuple(self.disc.upwind)
        p = self.partials(out, t, keys + tuple(k + k for k in keys if k + k in out))
        weights = {}
        for k in keys:
            a, nu = p[k], p.get(k + k, np.zeros_like(out[VALUE]))
            orient = orientation if orientation is not None else np.where(nu != 0, -np.sign(nu), 1.0)
            peclet = np.abs(a) * self.disc.spacing[self.disc.names.index(k)] / np.maximum(2.0 * np.abs(nu), 1e-300)
            weight = np.clip(peclet - 1.0, 0.0, 1.0)  # central below Pe = 1, upwind above 2, blended between
            back, forth = np.where(a * orient > 0, weight, 0.0), np.where(a * orient < 0, weight, 0.0)
            if back.any() or forth.any():
                weights[k] = (back, forth)
                self.upwinded = max(self.upwinded, int(np.count_nonzero(back + forth)))
        return weights

    def __call__(self, entries: dict[str, np.ndarray], t: float | None = None) -> np.ndarray:
        """The residual for given jet entries (see :meth:`entries`)."""
        n = self.disc.n_unknowns
        jet = Jet(entries[VALUE], {k: v for k, v in entries.items() if k != VALUE})
        self.evaluations += 1
        try:
            out = self.disc.equation.residual(self.coords(t), jet)
        except KeyError as exc:
            raise SpecMismatchError(
                f"the residual of {self.name} reads a derivative it does not list in `derivatives` "
                f"({exc.args[0] if exc.args else exc}); add the key there"
            ) from None
        except Exception as exc:  # a residual not written against the Jet API fails in many ways
            raise SpecMismatchError(
                f"the residual of {self.name} failed on the generic reference's NumPy jet "
                f"({type(exc).__name__}: {exc}); write it against the Jet API (u.value, u['x'], u['xx']...) "
                f"with xp = equations.namespace.namespace(x) for functions, so it runs on NumPy and torch"
            ) from None
        try:
            values = np.asarray(out, dtype=np.float64)
            return np.array(np.broadcast_to(values, (n,)))
        except (TypeError, ValueError):
            raise SpecMismatchError(
                f"the residual of {self.name} returned {type(out).__name__} of shape {np.shape(out)}; "
                f"expected one real value per point ({n} points)"
            ) from None

    def partials(self, entries: dict[str, np.ndarray], t: float | None = None,
                 keys: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
        """``dR/dJ_k`` per point for every jet entry (or the given ``keys``), by central differences."""
        out = {}
        for key in keys if keys is not None else tuple(entries):
            base = entries[key]
            step = PARTIAL_STEP * (1.0 + np.abs(base))
            plus = self({**entries, key: base + step}, t)
            minus = self({**entries, key: base - step}, t)
            out[key] = (plus - minus) / (2.0 * step)
        return out

    def jacobian(self, partials: dict[str, np.ndarray]) -> sp.csr_matrix:
        """``dR/dU`` assembled from pointwise partials (keys absent from ``partials`` contribute nothing)."""
        J = sp.diags(partials[VALUE]).tocsr() if VALUE in partials else None
        for key, A in self.disc.A.items():
            if key in self.choice:  # the rows differenced upwind at the last `entries` call
                back, forth = self.choice[key]
                (Ab, _), (Af, _) = self.disc.upwind[key]
                A = A + sp.diags(back) @ (Ab - A) + sp.diags(forth) @ (Af - A)
            if key in partials:
                term = sp.diags(partials[key]) @ A
                J = term if J is None else J + term
        n = self.disc.n_unknowns
        return (J if J is not None else sp.csr_matrix((n, n))).tocsr()

    def check_pointwise(self, U: np.ndarray, d: np.ndarray, J: sp.csr_matrix, t: float | None = None,
                        extra: dict[str, np.ndarray] | None = None, seed: int = 0) -> None:
        """Refuse a residual whose discrete Jacobian is not the pointwise one (it couples points).

        Compares ``J v`` with ``(R(U + e v) - R(U - e v)) / 2e`` for a random ``v``.
        """
        if self.checked:
            return
        self.checked = True
        v = np.random.default_rng(seed).standard_normal(len(U))
        eps = 1e-6 * (1.0 + float(np.max(np.abs(U), initial=0.0)))
        choice = self.choice  # keep the stencils J was assembled with
        plus, minus = self.entries(U + eps * v, d, extra, t, upwind=False), self.entries(U - eps * v, d, extra, t,
                                                                                           upwind=False)
        for key, (back, forth) in choice.items():
            (Ab, Cb), (Af, Cf) = self.disc.upwind[key]
            for e, W in ((plus, U + eps * v), (minus, U - eps * v)):
                e[key] = e[key] + back * (Ab @ W + Cb @ d - e[key]) + forth * (Af @ W + Cf @ d - e[key])
        self.choice = choice
        directional = (self(plus, t) - self(minus, t)) / (2 * eps)
        predicted = J @ v
        scale = float(np.max(np.abs(predicted), initial=0.0)) + float(np.max(np.abs(directional), initial=0.0))
        gap = float(np.max(np.abs(predicted - directional), initial=0.0))
        if gap > 1e-4 * scale + 1e-10:
            raise SpecMismatchError(
                f"the residual of {self.name} is not a pointwise function of the jet (its discrete Jacobian "
                f"differs from the pointwise one by {gap:.3g} relative to {scale:.3g}); the generic reference "
                f"({SOLVER!r}) needs each point's residual to depend on that point's jet only"
            )
