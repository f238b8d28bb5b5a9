r"""Variational specs: a PDE stated once by its energy density, the Euler--Lagrange residual derived from it.

A :class:`VariationalEquation` gives the Lagrangian ``L(x, u, grad u)`` and the
source ``f``; its solutions minimise

    E(u) = \int_Omega L(x, u, grad u) - f u  dx

over the functions that meet its Dirichlet conditions, and its residual is the
Euler--Lagrange equation, written as every spec's residual (zero at the
solution, ``Delta u + f`` for ``L = |grad u|^2 / 2``):

    div(dL/dp (x, u, grad u)) - dL/du (x, u, grad u) + f = 0,
    div(dL/dp) = sum_i d^2L/dp_i dx_i + sum_i d^2L/dp_i du u_i + sum_ij d^2L/dp_i dp_j u_ij.

The partial derivatives of ``L`` are taken pointwise by ``torch.func`` (torch
is imported only here, when a residual is evaluated); NumPy arrays (the
classical references) are evaluated in float64 and returned as NumPy, torch
tensors (the learners) stay in the caller's graph, so a PINN trains through
the derived residual and an energy learner minimises
:meth:`VariationalEquation.energy_density`.

A subclass writes :meth:`~VariationalEquation.lagrangian` with ``namespace``
operations that work on torch scalars (``torch.func.vmap`` evaluates it point
by point) and states ``derivatives = second_derivatives(names)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from equations.core import Array, Coords, Equation, Jet
from equations.errors import SpecMismatchError


def second_derivatives(names: tuple[str, ...]) -> tuple[str, ...]:
    """The jet keys an Euler--Lagrange residual reads: every first and second derivative in ``names``."""
    return (*names, *(a + b for i, a in enumerate(names) for b in names[i:]))


class VariationalEquation(Equation):
    """Base of the specs stated by an energy density ``L(x, u, grad u) - f u`` (see the module docstring).

    Subclasses are frozen dataclasses that implement :attr:`domain`,
    :meth:`lagrangian`, :meth:`conditions` and optionally :meth:`source`,
    and set ``derivatives = second_derivatives(("x", "y"))`` (or the
    coordinates of their domain).
    """

    def lagrangian(self, coords: Coords, u: Any, grad: tuple[Any, ...]) -> Any:
        """``L(x, u, grad u)`` at one point (torch scalars, under ``torch.func.vmap``)."""
        raise NotImplementedError

    def source(self, coords: Coords) -> Array:
        """``f`` at ``coords`` (arrays; default zero)."""
        first = next(iter(coords.values()))
        return 0.0 * first

    def energy_density(self, coords: Coords, u: Jet) -> Array:
        """``L(x, u, grad u) - f u`` at ``coords`` from the jet's value and first derivatives."""
        names = self.domain.names
        return _pointwise(self, coords, u, names, second=False) - self.source(coords) * u.value

    def residual(self, coords: Coords, u: Jet) -> Array:
        """The Euler--Lagrange residual ``div(dL/dp) - dL/du + f``."""
        return _pointwise(self, coords, u, self.domain.names, second=True) + self.source(coords)

    def manufactured_source(self, coords: Coords, exact: Jet) -> Array:
        """The ``f`` that makes ``exact`` (a jet with every key of ``derivatives``) the solution.

        ``f = -(div(dL/dp) - dL/du)`` at ``exact``, to round-off: a manufactured
        case states ``L`` and ``u*`` and gets its source from this.
        """
        return -_pointwise(self, coords, exact, self.domain.names, second=True)


def _pointwise(spec: VariationalEquation, coords: Coords, jet: Jet, names: tuple[str, ...], second: bool) -> Array:
    """``L`` (``second`` False) or ``div(dL/dp) - dL/du`` (``second`` True) at every point, as the jet's arrays."""
    import torch
    from torch.func import grad, jacfwd, vmap

    numpy_in = isinstance(jet.value, np.ndarray) or np.isscalar(jet.value)
    shape = np.shape(jet.value)

    def tensor(a: Any) -> Any:
        return torch.as_tensor(np.asarray(a, dtype=np.float64)) if numpy_in else a

    missing = [n for n in names if n not in coords]
    if missing:
        raise SpecMismatchError(f"{spec.label}: the Lagrangian's coordinates {missing} are not in the points given")
    x = torch.stack([tensor(coords[n]).reshape(-1) for n in names], -1)
    u = tensor(jet.value).reshape(-1)
    p = torch.stack([tensor(jet[n]).reshape(-1) for n in names], -1)

    def ell(xi: Any, ui: Any, pi: Any) -> Any:
        return spec.lagrangian(dict(zip(names, xi.unbind(), strict=True)), ui, tuple(pi.unbind()))

    if not second:
        out = vmap(ell)(x, u, p)
    else:
        hess = torch.stack([torch.stack([tensor(jet[a + b]).reshape(-1) for b in names], -1) for a in names], -2)
        d_u = vmap(grad(ell, argnums=1))(x, u, p)
        flux_x, flux_u, flux_p = vmap(jacfwd(grad(ell, argnums=2), argnums=(0, 1, 2)))(x, u, p)
        divergence = (torch.diagonal(flux_x, dim1=-2, dim2=-1).sum(-1) + (flux_u * p).sum(-1)
                      + (flux_p * hess).sum((-2, -1)))
        out = divergence - d_u
    out = out.reshape(shape)
    return out.detach().numpy() if numpy_in else out


def lagrangian_derivatives(
    spec: VariationalEquation, coords: Coords, u: np.ndarray, grad: np.ndarray, order: int = 2
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``L``, its gradient and its Hessian in ``z = (u, grad u)`` at ``n`` points, float64 NumPy.

    Parameters
    ----------
    spec : VariationalEquation
        The spec whose :meth:`~VariationalEquation.lagrangian` is differentiated.
    coords : dict of str to numpy.ndarray
        The ``n`` points, one ``(n,)`` array per coordinate of the domain.
    u : numpy.ndarray
        ``(n,)`` values.
    grad : numpy.ndarray
        ``(n, d)`` gradients, in the domain's coordinate order.
    order : int
        2: all three; 0: ``L`` only (the others are None).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        ``L`` ``(n,)``, ``dL/dz`` ``(n, d + 1)`` and ``d2L/dz2`` ``(n, d + 1, d + 1)``
        (the discrete energy's gradient and Hessian of a Newton solver are built from them).
    """
    import torch
    from torch.func import grad as gradient
    from torch.func import hessian, vmap

    names = spec.domain.names
    x = torch.as_tensor(np.stack([np.asarray(coords[n], dtype=np.float64).reshape(-1) for n in names], -1))
    z = torch.as_tensor(np.concatenate([np.asarray(u, np.float64).reshape(-1, 1), np.asarray(grad, np.float64)], 1))

    def ell(xi: Any, zi: Any) -> Any:
        return spec.lagrangian(dict(zip(names, xi.unbind(), strict=True)), zi[0], tuple(zi[1:].unbind()))

    value = vmap(ell)(x, z)
    if order == 0:
        return value.numpy(), None, None
    first = vmap(gradient(ell, argnums=1))(x, z)
    second = vmap(hessian(ell, argnums=1))(x, z)
    return value.numpy(), first.numpy(), second.numpy()


def check_convex_in_gradient(spec: VariationalEquation, rng: np.random.Generator, probes: int = 256) -> None:
    """Refuse a Lagrangian whose ``d2L/dp2`` has a negative eigenvalue at a probe point.

    An energy method needs ``L`` convex in ``grad u`` (otherwise the energy has
    no minimiser and its Euler--Lagrange equation is not elliptic). Probed at
    ``probes`` random points of the domain's bounding box with ``u`` uniform in
    ``[-3, 3]`` and ``grad u`` of length up to 10: a necessary check, not a proof.

    Raises
    ------
    SpecMismatchError
        Naming the point, ``u``, ``grad u`` and the eigenvalue.
    """
    names = spec.domain.names
    space = spec.domain.space
    lower, upper = np.asarray(space.lower, dtype=float), np.asarray(space.upper, dtype=float)
    x = lower + (upper - lower) * rng.random((probes, len(names)))
    u = rng.uniform(-3.0, 3.0, probes)
    grad = rng.standard_normal((probes, len(names)))
    grad *= rng.uniform(0.0, 10.0, (probes, 1)) / np.maximum(np.linalg.norm(grad, axis=1, keepdims=True), 1e-12)
    coords = {n: x[:, k] for k, n in enumerate(names)}
    _, _, second = lagrangian_derivatives(spec, coords, u, grad)
    assert second is not None  # order 2
    eig = np.linalg.eigvalsh(second[:, 1:, 1:])
    scale = max(float(np.abs(eig).max()), 1e-300)
    worst = int(np.argmin(eig[:, 0]))
    if not np.isfinite(eig).all() or eig[worst, 0] < -1e-10 * scale:
        where = ", ".join(f"{n}={v:.3g}" for n, v in zip(names, x[worst]))
        raise SpecMismatchError(
            f"{spec.label}: the Lagrangian is not convex in grad u at {where} (u={u[worst]:.3g}, grad u="
            f"{np.array2string(grad[worst], precision=3)}): d2L/dp2 has the eigenvalue {eig[worst, 0]:.3g}, so the "
            "energy has no minimiser for an energy method to find; fit a PINN on its residual instead"
        )
