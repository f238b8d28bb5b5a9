r"""Assembled 2D grid systems that grid-aware preconditioners (multigrid, learned multigrid) can read.

:class:`GridSystem` is what such a preconditioner needs besides the matrix:
the padded 9-point stencil of the operator, the unknown and solid masks and
whether the constants are a null space. :class:`solvers.PoissonSystem` (the
pressure-Poisson systems) is one; :class:`DarcySystem`, built by
:func:`darcy_grid_system`, is the variable-coefficient ``-div(a grad u)`` of
:func:`solvers.darcy.darcy_system` (high-contrast media, obstacles).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from equations.errors import InvalidDataError
from solvers.darcy import check_coefficient, check_solid, discretize, fine_stencil, neumann_sides
from solvers.fd import check_spacings
from solvers.multigrid.galerkin import stencil_matrix


class GridSystem(Protocol):
    """A symmetric system on the unknowns of a 2D grid (C order), with its stencil and masks."""

    @property
    def matrix(self) -> sp.csr_matrix: ...

    @property
    def unknown(self) -> np.ndarray: ...

    @property
    def solid(self) -> np.ndarray | None: ...

    @property
    def singular(self) -> bool: ...

    @property
    def stencil(self) -> np.ndarray: ...

    @property
    def shape(self) -> tuple[int, int]: ...

    @property
    def size(self) -> int: ...


@dataclass(frozen=True)
class DarcySystem:
    """``-div(a grad u) = f`` assembled on a grid (the matrix of :func:`solvers.darcy.darcy_system`).

    Attributes
    ----------
    a : numpy.ndarray
        The nodal coefficient.
    matrix : scipy.sparse.csr_matrix
        Symmetric positive (semi)definite, on the unknowns.
    index : numpy.ndarray
        Grid-shaped, the row of each unknown and ``-1`` elsewhere.
    unknown, solid : numpy.ndarray
        Grid-shaped masks (``solid`` is None without obstacles).
    volume : numpy.ndarray
        Control-volume fraction of each node (``b = volume * f``).
    singular : bool
        No Dirichlet node: the constants are the null space.
    stencil : numpy.ndarray
        The padded ``(nx + 2, ny + 2, 9)`` stencil of ``matrix``.
    """

    a: np.ndarray
    matrix: sp.csr_matrix
    index: np.ndarray
    unknown: np.ndarray
    solid: np.ndarray | None
    volume: np.ndarray
    singular: bool
    stencil: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.a.shape[0]), int(self.a.shape[1]))

    @property
    def size(self) -> int:
        return int(self.matrix.shape[0])

    def rhs(self, f: np.ndarray) -> np.ndarray:
        """``b = volume * f`` on the unknowns for a grid source ``f``."""
        f = np.asarray(f, dtype=np.float64)
        if f.shape != self.shape:
            raise InvalidDataError(f"f has shape {f.shape}, the grid is {self.shape}")
        return (self.volume * f)[self.unknown]


def darcy_grid_system(
    a: np.ndarray, hx: float, hy: float, *, neumann: Iterable[str] = (), solid: np.ndarray | None = None
) -> DarcySystem:
    """Assemble ``-div(a grad u)`` on the grid of ``a`` (arguments of :func:`solvers.darcy.darcy_system`).

    Raises
    ------
    InvalidDataError
        A bad coefficient (non-positive, NaN), solid mask or layout without unknowns.
    """
    check_spacings(hx, hy)
    a = check_coefficient(a)
    d = discretize(a, hx, hy, neumann_sides(neumann), check_solid(solid, a.shape))
    stencil = fine_stencil(d)
    index = np.full(a.shape, -1)
    index[d.unknown] = np.arange(int(d.unknown.sum()))
    matrix = stencil_matrix(stencil, np.pad(d.unknown, 1))
    return DarcySystem(a, matrix.tocsr(), index, d.unknown, d.solid, d.volume, d.singular, stencil)
