r"""The training loss: how much error a two-grid cycle with the network's ``P`` leaves, on small grids.

For one small system (at most a few thousand unknowns) the operator ``A`` is a
dense matrix, ``P`` is assembled densely from the network's columns
(differentiably), ``A_c = P^T A P`` is solved exactly and the smoother is the
4-colour Gauss--Seidel of the deployed cycle (:mod:`solvers.multigrid.galerkin`,
reversed after the coarse correction). The error propagation of one cycle is

    E = S_post (I - P A_c^{-1} P^T A) S_pre,

and the loss (:func:`ritz_loss`) is the log condition number that the slowest
modes of ``E`` give PCG, from a few Ritz values tracked by warm-started
subspace iteration. Greenfeld et al. (2019) train on ``||E||_F``; here the
Frobenius norm (and ``||E^2||_F``) was measured to be dominated by
well-damped modes: training on it made the 1:1e6 checkerboards slower
(23-24 instead of 16-18 CG iterations), while the Ritz loss kept them within
two iterations of the untrained (operator-dependent) cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from equations.errors import InvalidDataError
from solvers.multigrid.galerkin import COLOURS, STENCIL_OFFSETS
from solvers.multigrid.operator_interpolation import interpolation_weights

# dense training systems stay below this many unknowns (an N x N float64 matrix)
MAX_UNKNOWNS = 4096


class SingularLevelError(InvalidDataError):
    """A training operator that is not positive definite to round-off (it cannot be trained on)."""


@dataclass
class DenseLevel:
    """One training operator as dense torch data, with the index maps ``P`` is scattered through.

    Attributes
    ----------
    stencil : torch.Tensor
        Real (unpadded) ``(nx, ny, 9)`` stencil (the network's input).
    mask : torch.Tensor
        Boolean ``(nx, ny)`` unknowns.
    base : tuple of torch.Tensor
        The operator-dependent weights of the fine nodes (the network corrects them).
    mask_c : torch.Tensor
        Float ``(m + 3, m + 3)`` padded coarse unknowns.
    matrix : torch.Tensor
        Dense ``(N, N)`` float64 operator on the unknowns.
    inverse_diagonal : torch.Tensor
        ``1 / diag(A)``, ``(N, 1)``.
    colours : list of torch.Tensor
        Per Gauss--Seidel colour, the float mask ``(N, 1)`` of its unknowns.
    p_rows, p_cols, p_entries : torch.Tensor
        ``P[p_rows, p_cols] = pc.view(-1, 9)[p_entries]`` (flat padded-column indices).
    coarse_size : int
        Coarse unknowns.
    """

    stencil: torch.Tensor
    mask: torch.Tensor
    base: tuple[torch.Tensor, ...]
    mask_c: torch.Tensor
    matrix: torch.Tensor
    inverse_diagonal: torch.Tensor
    colours: list[torch.Tensor]
    p_rows: torch.Tensor
    p_cols: torch.Tensor
    p_entries: torch.Tensor
    coarse_size: int


def dense_level(stencil: np.ndarray, unknown: np.ndarray, mask_c: np.ndarray, valid_c: np.ndarray,
                device: torch.device) -> DenseLevel:
    """The :class:`DenseLevel` of a padded stencil, its real unknown mask and the real coarse masks.

    Raises
    ------
    InvalidDataError
        More than :data:`MAX_UNKNOWNS` unknowns or sides that are not ``2 m + 1``;
        :class:`SingularLevelError` for an operator that is not positive
        definite to round-off.
    """
    nx, ny = unknown.shape
    if nx % 2 == 0 or ny % 2 == 0:
        raise InvalidDataError(f"training grids need odd sides (2m + 1), got {nx} x {ny}")
    n = int(unknown.sum())
    if n > MAX_UNKNOWNS:
        raise InvalidDataError(f"a training system has {n} unknowns; the dense two-grid loss takes at most "
                               f"{MAX_UNKNOWNS} (train on grids up to 65 x 65)")
    number = np.full((nx + 2, ny + 2), -1)
    number[1:-1, 1:-1][unknown] = np.arange(n)
    dense = np.zeros((n, n))
    rows = number[1:-1, 1:-1]
    for k, (di, dj) in enumerate(STENCIL_OFFSETS):
        cols = number[1 + di : nx + 1 + di, 1 + dj : ny + 1 + dj]
        keep = (rows >= 0) & (cols >= 0)
        np.add.at(dense, (rows[keep], cols[keep]), stencil[1:-1, 1:-1, k][keep])
    dense = 0.5 * (dense + dense.T)
    # P: coarse node (I, J) (padded (I + 1, J + 1)) weighs fine node (2I + di, 2J + dj) by column entry k
    mcy = mask_c.shape[1]
    coarse_number = np.full(mask_c.shape, -1)
    coarse_number[mask_c] = np.arange(int(mask_c.sum()))
    p_rows, p_cols, p_entries = [], [], []
    big_i, big_j = np.nonzero(mask_c)
    for k, (di, dj) in enumerate(STENCIL_OFFSETS):
        fi, fj = 2 * big_i + di, 2 * big_j + dj
        inside = (fi >= 0) & (fi < nx) & (fj >= 0) & (fj < ny)
        f = np.full(fi.shape, -1)
        f[inside] = number[1 + fi[inside], 1 + fj[inside]]
        keep = f >= 0
        p_rows.append(f[keep])
        p_cols.append(coarse_number[big_i[keep], big_j[keep]])
        p_entries.append(((big_i[keep] + 1) * (mcy + 2) + (big_j[keep] + 1)) * 9 + k)
    colours = []
    ii, jj = np.nonzero(unknown)
    for ci, cj in COLOURS:  # padded parity, as the deployed kernel
        colours.append(torch.as_tensor((((ii + 1) % 2 == ci) & ((jj + 1) % 2 == cj)).astype(np.float64),
                                       device=device)[:, None])
    diag = np.diag(dense).copy()
    if np.any(diag <= 0):
        raise InvalidDataError("a training operator has a non-positive diagonal")
    # the two-grid analysis needs A positive definite in floating point, which some high-contrast Galerkin
    # coarse levels are not (4 of the 128 levels of the benchmark's training set)
    shifted = torch.as_tensor(dense) - 1e-10 * float(diag.max()) * torch.eye(n, dtype=torch.float64)
    if int(torch.linalg.cholesky_ex(shifted).info) != 0:
        raise SingularLevelError("a training operator is singular to round-off (condition number over 1e10)")

    def tensor(x: np.ndarray, dtype: torch.dtype = torch.int64) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(x), dtype=dtype, device=device)

    return DenseLevel(
        stencil=tensor(stencil[1:-1, 1:-1], torch.float64), mask=tensor(unknown, torch.bool),
        base=tuple(tensor(w, torch.float64) for w in interpolation_weights(stencil[1:-1, 1:-1], valid_c, unknown)),
        mask_c=tensor(np.pad(mask_c, 1), torch.float64), matrix=tensor(dense, torch.float64),
        inverse_diagonal=tensor(1.0 / diag, torch.float64)[:, None], colours=colours,
        p_rows=tensor(np.concatenate(p_rows)), p_cols=tensor(np.concatenate(p_cols)),
        p_entries=tensor(np.concatenate(p_entries)), coarse_size=int(mask_c.sum()))


def assemble_p(level: DenseLevel, pc: torch.Tensor) -> torch.Tensor:
    """The dense ``(N, N_c)`` prolongation of the padded columns ``pc`` (differentiable in ``pc``)."""
    p = pc.new_zeros((level.matrix.shape[0], level.coarse_size), dtype=torch.float64)
    return p.index_put((level.p_rows, level.p_cols), pc.reshape(-1)[level.p_entries].to(torch.float64))


def smooth(level: DenseLevel, e: torch.Tensor, reverse: bool) -> torch.Tensor:
    """One 4-colour Gauss--Seidel sweep's error propagation on the columns of ``e``."""
    for c in level.colours[::-1] if reverse else level.colours:
        e = e - c * level.inverse_diagonal * (level.matrix @ e)
    return e


def cycle_error(level: DenseLevel, pc: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
    """``E e`` for the two-grid cycle with columns ``pc`` (padded ``(m + 3, m + 3, 9)``), float64."""
    p = assemble_p(level, pc)
    ap = level.matrix @ p
    coarse = p.T @ ap
    # P need not have full rank (the hierarchy keeps some coarse unknowns on solid fine nodes, whose columns
    # hold interpolation weights only, and a learned P can make them dependent): a shift at 1e-10 of the
    # largest coarse diagonal stands in for the pseudo-inverse
    coarse = coarse + 1e-10 * coarse.diagonal().max() * torch.eye(coarse.shape[0], dtype=coarse.dtype,
                                                                    device=coarse.device)
    e = smooth(level, e, reverse=False)
    e = e - p @ torch.cholesky_solve(ap.T @ e, torch.linalg.cholesky(coarse))
    return smooth(level, e, reverse=True)


def ritz_loss(level: DenseLevel, pc: torch.Tensor, subspace: torch.Tensor, iterations: int = 3,
              top: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """``-mean log(1 - theta_i)`` over the ``top`` largest Ritz values of the cycle's error propagation.

    ``E`` is self-adjoint and positive semi-definite in the ``A`` inner product
    (the post-smoother is the adjoint of the pre-smoother), so PCG with the cycle
    sees the spectrum ``1 - eig(E)`` and its iterations grow with
    ``sqrt(1 / (1 - theta_max))``: the loss is the log condition number the
    slowest modes give. ``subspace`` ``(N, K)`` is advanced by ``iterations``
    steps of subspace iteration with ``E`` (detached: warm-started from the
    previous training step, it tracks the slow modes as ``P`` changes) and a
    Rayleigh--Ritz step; the Ritz values are then recomputed with gradient
    (at an eigenvector a Rayleigh quotient's derivative is the eigenvalue's).

    Returns
    -------
    (torch.Tensor, torch.Tensor)
        The loss (scalar, float64) and the updated subspace (Ritz vectors,
        slowest first), to pass back at the next step.
    """
    a = level.matrix
    with torch.no_grad():
        fixed, v = pc.detach(), subspace
        for _ in range(iterations):
            v = cycle_error(level, fixed, v)
            # unit A-norm columns, then a jitter: columns damped to round-off (or to zero) stay harmless
            v = v / torch.sqrt((v * (a @ v)).sum(0)).clamp_min(1e-150)
            gram = v.T @ a @ v
            gram = 0.5 * (gram + gram.T) + 1e-10 * torch.eye(gram.shape[0], dtype=gram.dtype, device=gram.device)
            chol = torch.linalg.cholesky(gram)
            v = torch.linalg.solve_triangular(chol, v.T, upper=False).T  # A-orthonormal columns
        h = v.T @ a @ cycle_error(level, fixed, v)
        _, y = torch.linalg.eigh(0.5 * (h + h.T))
        v = v @ y.flip(1)
    w = v[:, :top]
    theta = (w * (a @ cycle_error(level, pc, w))).sum(0) / (w * (a @ w)).sum(0).clamp_min(1e-300)
    return -torch.log1p(-theta.clamp(max=1.0 - 1e-12)).mean(), v
