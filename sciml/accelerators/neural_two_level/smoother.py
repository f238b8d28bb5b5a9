r"""Symmetric 4-colour Gauss--Seidel on a grid system's padded 9-point stencil (the classical half of the scheme).

The sweeps are the numba kernels of :mod:`solvers.multigrid.galerkin_kernels2d`
(no new kernel): a 9-point stencil never couples two nodes of one colour
``(i % 2, j % 2)``, so a colour is updated at once. The pre-smoother visits the
colours in one order and the post-smoother in the reverse one, so
``post o pre`` from zero is the symmetric Gauss--Seidel preconditioner
(symmetric positive definite for an SPD matrix) and each half is an ``A``-norm
contraction of the error: whatever is added between them, the error never
grows.
"""

from __future__ import annotations

import numpy as np

from equations.errors import InvalidDataError, check_integer
from solvers.multigrid import galerkin_kernels2d as gk

COLOURS = ((0, 0), (0, 1), (1, 0), (1, 1))


class GaussSeidel:
    """Forward / backward 4-colour Gauss--Seidel sweeps on one grid system (padded work arrays).

    Parameters
    ----------
    stencil : numpy.ndarray
        Padded ``(nx + 2, ny + 2, 9)`` stencil (:attr:`solvers.grid_systems.DarcySystem.stencil`).
    unknown : numpy.ndarray
        Grid-shaped ``(nx, ny)`` boolean mask of the unknowns (C order numbering).
    sweeps : int
        Sweeps of each half (pre and post).
    """

    def __init__(self, stencil: np.ndarray, unknown: np.ndarray, sweeps: int = 1):
        unknown = np.asarray(unknown, dtype=bool)
        if unknown.ndim != 2 or stencil.shape != (unknown.shape[0] + 2, unknown.shape[1] + 2, 9):
            raise InvalidDataError(f"stencil {stencil.shape} does not pad the grid {unknown.shape} with 9 entries")
        self.sweeps = check_integer("sweeps", sweeps, 1)
        self.s = np.ascontiguousarray(stencil, dtype=np.float64)
        self.unknown = unknown
        self.mask = np.pad(unknown, 1).astype(np.uint8)
        self.inner = self.mask.astype(bool)
        self.shape = self.mask.shape

    def padded(self, v: np.ndarray) -> np.ndarray:
        """A vector on the unknowns as a padded grid (zero elsewhere)."""
        g = np.zeros(self.shape)
        g[self.inner] = v
        return g

    def forward(self, u: np.ndarray, b: np.ndarray) -> None:
        """``sweeps`` forward sweeps on padded ``u`` for the padded right-hand side ``b`` (in place)."""
        for _ in range(self.sweeps):
            for ci, cj in COLOURS:
                gk.gs4_sweep(u, b, self.s, self.mask, ci, cj)

    def backward(self, u: np.ndarray, b: np.ndarray) -> None:
        """The adjoint of :meth:`forward`: the colours in reverse order."""
        for _ in range(self.sweeps):
            for ci, cj in COLOURS[::-1]:
                gk.gs4_sweep(u, b, self.s, self.mask, ci, cj)

    def residual(self, u: np.ndarray, b: np.ndarray, out: np.ndarray) -> float:
        """``out = b - A u`` (padded, zero off the unknowns); returns ``||out||^2``."""
        return float(gk.residual(u, b, self.s, self.mask, out))

    def apply(self, r: np.ndarray) -> np.ndarray:
        """The symmetric Gauss--Seidel preconditioner: forward then backward sweeps from zero, on the unknowns."""
        b = self.padded(r)
        u = np.zeros(self.shape)
        self.forward(u, b)
        self.backward(u, b)
        return u[self.inner]

    def smooth_error(self, e: np.ndarray, A: object) -> np.ndarray:
        """``(I - S A) e``: the error left by the forward sweeps from zero for ``b = A e`` (``e`` on the unknowns)."""
        u = np.zeros(self.shape)
        self.forward(u, self.padded(A @ e))  # type: ignore[operator]
        return np.asarray(e - u[self.inner])
