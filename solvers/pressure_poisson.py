r"""Assembly of :class:`equations.pressure_poisson.PressurePoisson` systems with the Darcy machinery.

The matrix is that of :func:`solvers.darcy.darcy_system` with ``a = 1`` and
the spec's solid nodes and Neumann sides, so the discretisation (half and
quarter control volumes on walls, staircase obstacles) is written once.
Vectors of the system are the **unknowns only** (C order over the grid);
:meth:`PoissonSystem.to_grid` / :meth:`PoissonSystem.from_grid` map between
them and ``(n + 1)^2`` grids (zero off the unknowns), the layout a
convolutional network works on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from equations.errors import InvalidDataError
from equations.pressure_poisson import PressurePoisson
from solvers.darcy import darcy_system, discretize, fine_stencil, neumann_sides
from solvers.multigrid import galerkin_kernels2d as gk


@dataclass(frozen=True)
class PoissonSystem:
    """An assembled pressure-Poisson system.

    Attributes
    ----------
    spec : PressurePoisson
    matrix : scipy.sparse.csr_matrix
        Symmetric positive definite (or semidefinite with the constants as
        null space when ``singular``), ``(N, N)`` on the unknowns.
    index : numpy.ndarray
        Grid-shaped, the row of each unknown and ``-1`` elsewhere.
    unknown : numpy.ndarray
        Grid-shaped bool, True on unknowns.
    solid : numpy.ndarray
        Grid-shaped bool, True on solid nodes.
    volume : numpy.ndarray
        Control-volume fraction of each node (``b = volume * f``).
    singular : bool
        All-Neumann box: ``b`` must be orthogonal to the constants.
    """

    spec: PressurePoisson
    matrix: sp.csr_matrix
    index: np.ndarray
    unknown: np.ndarray
    solid: np.ndarray
    volume: np.ndarray
    singular: bool
    stencil: np.ndarray  # padded 9-point stencil (matrix-free operator)

    @property
    def size(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def shape(self) -> tuple[int, int]:
        return self.spec.shape

    def to_grid(self, v: np.ndarray) -> np.ndarray:
        """A vector on the unknowns as a grid (zero elsewhere); a leading batch axis is kept."""
        v = np.asarray(v)
        if v.shape[-1] != self.size:
            raise InvalidDataError(f"vector of length {v.shape[-1]} does not match the {self.size} unknowns")
        out = np.zeros((*v.shape[:-1], *self.shape), dtype=v.dtype)
        out[..., self.unknown] = v
        return out

    def from_grid(self, g: np.ndarray) -> np.ndarray:
        """The unknowns of a grid (or a batch of grids), C order."""
        g = np.asarray(g)
        if g.shape[-2:] != self.shape:
            raise InvalidDataError(f"grid of shape {g.shape[-2:]} does not match the system's grid {self.shape}")
        return g[..., self.unknown]

    def project(self, b: np.ndarray) -> np.ndarray:
        """``b`` without its null-space component (the mean, all-Neumann box); ``b`` itself otherwise."""
        b = np.asarray(b, dtype=np.float64)
        return b - b.mean() if self.singular else b

    def rhs(self, kind: str = "smooth", seed: int | np.random.Generator | None = 0) -> np.ndarray:
        """A seeded consistent right-hand side ``b`` (unit 2-norm) on the unknowns."""
        f = self.spec.source(kind, seed)
        b = self.project((self.volume * f)[self.unknown])
        norm = float(np.linalg.norm(b))
        if norm == 0.0:
            raise InvalidDataError("the right-hand side vanished on the unknowns")
        return b / norm

    def operator(self) -> LinearOperator:
        """The matrix-free operator (the 9-point stencil kernel of the Galerkin multigrid), same as ``matrix``."""
        s, shape = self.stencil, (self.shape[0] + 2, self.shape[1] + 2)
        mask = np.zeros(shape, dtype=np.uint8)
        mask[1:-1, 1:-1] = self.unknown
        zero = np.zeros(shape)
        inner = np.zeros(shape, dtype=bool)
        inner[1:-1, 1:-1] = self.unknown

        def apply(x: np.ndarray) -> np.ndarray:
            u = np.zeros(shape)
            u[inner] = np.asarray(x, dtype=np.float64).reshape(-1)
            out = np.empty(shape)
            gk.residual(u, zero, s, mask, out)  # out = 0 - A u
            return -out[inner]

        return LinearOperator((self.size, self.size), matvec=apply, rmatvec=apply, dtype=np.float64)


def pressure_system(spec: PressurePoisson, solid: np.ndarray | None = None) -> PoissonSystem:
    """Assemble ``spec`` (``solid`` overrides the spec's layout, e.g. a hand-made mask).

    Raises
    ------
    InvalidDataError
        ``solid`` does not have the grid's shape, or leaves no unknowns or a
        fluid region cut off from every Dirichlet node.
    """
    if not isinstance(spec, PressurePoisson):
        raise InvalidDataError(f"spec must be a PressurePoisson, got {type(spec).__name__}")
    solid = spec.solid() if solid is None else np.asarray(solid)
    if solid.shape != spec.shape:
        raise InvalidDataError(f"solid mask shape {solid.shape} does not match the grid shape {spec.shape}")
    solid = solid.astype(bool)
    h = spec.spacing
    a = np.ones(spec.shape)
    matrix, _, index = darcy_system(a, np.zeros(spec.shape), h, h, neumann=spec.neumann, solid=solid)
    d = discretize(a, h, h, neumann_sides(spec.neumann), solid if solid.any() else None)
    return PoissonSystem(spec, matrix.tocsr(), index, d.unknown, solid, d.volume, d.singular, fine_stencil(d))
