r"""The discrete energy of a variational spec on a box grid: P1 elements on the Kuhn triangulation.

Every grid cell of a ``d``-dimensional box (``d`` = 2 or 3) is cut into ``d!``
simplices, one per ordering ``pi`` of the axes: vertices ``v_0`` (the cell's
lower corner) and ``v_k = v_{k-1} + e_{pi(k)}``. A continuous piecewise-linear
``u`` has on such a simplex the gradient ``(grad u)_{pi(k)} = (u(v_k) -
u(v_{k-1})) / h_{pi(k)}``; ``L`` is integrated by the centroid rule and the
source by the nodal (lumped) rule, so

    E_h(u) = sum_S |S| L(x_S, mean_S u, grad_S u) - sum_i h^d f(x_i) u_i.

For ``L = |grad u|^2 / 2`` the Hessian of ``E_h`` is the 5-point (7-point)
Laplacian times ``h^d``. The nodal error of its minimiser is ``O(h^2)`` for a
smooth solution (verified in the tests). The gradient and Hessian of ``E_h``
come from those of ``L`` at the centroids
(:func:`equations.variational.lagrangian_derivatives`), with ``z = (u, grad
u) = C u_S`` linear in the simplex's nodal values: ``|S| C^T dL/dz`` and
``|S| C^T (d2L/dz2) C``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from equations.variational import VariationalEquation, lagrangian_derivatives


@dataclass(frozen=True)
class KuhnMesh:
    """The simplices of a tensor grid, their local maps and centroids.

    Attributes
    ----------
    shape : tuple of int
        Nodes per axis.
    steps : tuple of float
        Grid spacing per axis.
    vertices : numpy.ndarray
        ``(m, d + 1)`` flat (C order) node indices of each simplex.
    maps : numpy.ndarray
        ``(m, d + 1, d + 1)``: ``C`` with ``(mean u, grad u) = C u_S``.
    centroids : numpy.ndarray
        ``(m, d)`` centroid coordinates.
    volume : float
        ``|S|``, the same for every simplex.
    """

    shape: tuple[int, ...]
    steps: tuple[float, ...]
    vertices: np.ndarray
    maps: np.ndarray
    centroids: np.ndarray
    volume: float

    @property
    def dim(self) -> int:
        return len(self.shape)

    @property
    def cell_volume(self) -> float:
        """``h^d``: the lumped source weight of a node."""
        return math.prod(self.steps)


def kuhn_mesh(axes: list[np.ndarray]) -> KuhnMesh:
    """The Kuhn triangulation of the uniform tensor grid ``axes`` (one 1D vector per axis)."""
    shape = tuple(int(a.size) for a in axes)
    d = len(shape)
    steps = tuple(float((a[-1] - a[0]) / (a.size - 1)) for a in axes)
    strides = np.array([math.prod(shape[k + 1 :]) for k in range(d)])
    corners = np.stack(np.meshgrid(*(np.arange(n - 1) for n in shape), indexing="ij"), -1).reshape(-1, d)
    lower = np.array([a[0] for a in axes])
    vertices, maps, centroids = [], [], []
    for order in itertools.permutations(range(d)):
        path = np.zeros((d + 1, d), dtype=np.int64)
        c = np.zeros((d + 1, d + 1))
        c[0, :] = 1.0 / (d + 1)
        for k, axis in enumerate(order, start=1):
            path[k] = path[k - 1]
            path[k, axis] += 1
            c[1 + axis, k] += 1.0 / steps[axis]
            c[1 + axis, k - 1] -= 1.0 / steps[axis]
        vertices.append((corners[:, None, :] + path[None]) @ strides)
        centroids.append(lower + (corners + path.mean(0)) * np.array(steps))
        maps.append(np.broadcast_to(c, (corners.shape[0], d + 1, d + 1)))
    return KuhnMesh(
        shape, steps, np.concatenate(vertices), np.concatenate(maps), np.concatenate(centroids),
        math.prod(steps) / math.factorial(d),
    )  # fmt: skip


@dataclass(frozen=True)
class EnergyState:
    """``E_h``, its gradient and Hessian at one ``u`` (whole grid, boundary nodes included)."""

    energy: float
    gradient: np.ndarray
    hessian: sp.csr_matrix
    curvature: np.ndarray  # (m, d, d): d2L/dp2 at each centroid (ellipticity is its positive definiteness)


class DiscreteEnergy:
    """``E_h`` of a spec on a grid (see the module docstring); ``f`` is evaluated once.

    Parameters
    ----------
    spec : VariationalEquation
        The problem.
    axes : list of numpy.ndarray
        The grid's 1D coordinate vectors, in the domain's axis order.
    """

    def __init__(self, spec: VariationalEquation, axes: list[np.ndarray]) -> None:
        self.spec = spec
        self.mesh = kuhn_mesh(axes)
        self.names = spec.domain.names
        nodes = np.meshgrid(*axes, indexing="ij")
        f = np.asarray(spec.source(dict(zip(self.names, nodes))), dtype=np.float64)
        self.load = np.broadcast_to(f, self.mesh.shape).reshape(-1) * self.mesh.cell_volume
        self._centroids = {n: self.mesh.centroids[:, k] for k, n in enumerate(self.names)}

    def gram(self) -> sp.csr_matrix:
        """The Hessian of ``sum_S |S| (u^2 + |grad u|^2) / 2``: the discrete ``I - Delta`` (an H^1 inner product)."""
        mesh = self.mesh
        local = mesh.volume * np.einsum("mai,maj->mij", mesh.maps, mesh.maps)
        return self._assemble(local)

    def _assemble(self, local: np.ndarray) -> sp.csr_matrix:
        mesh = self.mesh
        n = math.prod(mesh.shape)
        rows = np.repeat(mesh.vertices, mesh.dim + 1, axis=1).reshape(-1)
        cols = np.tile(mesh.vertices, (1, mesh.dim + 1)).reshape(-1)
        return sp.csr_matrix((local.reshape(-1), (rows, cols)), shape=(n, n))

    def _local(self, u: np.ndarray) -> np.ndarray:
        """``z = (mean u, grad u)`` on every simplex, ``(m, d + 1)``."""
        return np.einsum("mij,mj->mi", self.mesh.maps, u[self.mesh.vertices])

    def energy(self, u: np.ndarray) -> float:
        """``E_h(u)`` for the flattened grid values ``u``."""
        z = self._local(u)
        value, _, _ = lagrangian_derivatives(self.spec, self._centroids, z[:, 0], z[:, 1:], order=0)
        return float(self.mesh.volume * value.sum() - self.load @ u)

    def state(self, u: np.ndarray) -> EnergyState:
        """``E_h``, its gradient and Hessian at ``u``."""
        mesh = self.mesh
        z = self._local(u)
        value, first, second = lagrangian_derivatives(self.spec, self._centroids, z[:, 0], z[:, 1:])
        assert first is not None and second is not None  # order 2
        n = math.prod(mesh.shape)
        local_grad = mesh.volume * np.einsum("mji,mj->mi", mesh.maps, first)
        gradient = np.zeros(n)
        for a in range(mesh.dim + 1):
            gradient += np.bincount(mesh.vertices[:, a], local_grad[:, a], minlength=n)
        hessian = self._assemble(mesh.volume * np.einsum("mai,mab,mbj->mij", mesh.maps, second, mesh.maps))
        energy = float(mesh.volume * value.sum() - self.load @ u)
        return EnergyState(energy, gradient - self.load, hessian, second[:, 1:, 1:])
