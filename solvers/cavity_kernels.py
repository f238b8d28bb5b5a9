r"""numba kernels of the lid-driven cavity solver (:mod:`solvers.cavity`).

Arrays are ``(n + 1, n + 1)`` vertex grids indexed ``[i, j]``, ``i`` along x
and ``j`` along y, spacing ``h = 1 / n``; ``j = n`` is the lid.

The discrete equations (second-order central differences; ``E, W, N, S`` the
neighbours ``[i +- 1, j]``, ``[i, j +- 1]``) are written in the scaled forms
whose Jacobians :func:`assemble` builds:

* streamfunction, interior nodes:
  ``R_psi = psi_E + psi_W + psi_N + psi_S - 4 psi + h^2 omega``
  (``h^2 (Laplacian(psi) + omega)``; ``psi = 0`` on the walls);
* vorticity transport, interior nodes:
  ``R_omega = omega_E + omega_W + omega_N + omega_S - 4 omega
  - (Re / 4) [(psi_N - psi_S)(omega_E - omega_W) - (psi_E - psi_W)(omega_N - omega_S)]``
  (``Re h^2 (Laplacian(omega) / Re - u omega_x - v omega_y)`` with
  ``u = psi_y``, ``v = -psi_x``);
* Thom's wall vorticity, wall nodes but the four corners:
  ``R_wall = h^2 omega_w + 2 psi_1 + 2 U_w h`` (``psi_1`` the streamfunction at the
  first interior node along the wall normal, ``U_w`` the tangential wall speed:
  the lid speed on ``j = n``, 0 on the other walls).

The corners enter no interior stencil and are not unknowns.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

#: A grid index: an ``int``, or the ``int64`` a ``prange`` index is cast to
Index = int | np.int64

#: Jacobian slots per grid node: 6 (streamfunction row) + 9 (vorticity row), or 2 (wall row)
SLOTS = 16


@njit(cache=True)
def numbering(n: int, ipsi: np.ndarray, iom: np.ndarray) -> int:
    """Fill the unknown numbers (``-1``: not an unknown); return their count.

    Interior nodes own a streamfunction and a vorticity unknown (adjacent
    numbers), wall nodes but the corners a vorticity unknown.
    """
    m = 0
    for i in range(n + 1):
        for j in range(n + 1):
            ipsi[i, j] = -1
            iom[i, j] = -1
            if 0 < i < n and 0 < j < n:
                ipsi[i, j] = m
                iom[i, j] = m + 1
                m += 2
            elif not ((i == 0 or i == n) and (j == 0 or j == n)):
                iom[i, j] = m
                m += 1
    return m


@njit(inline="always", cache=True)
def _wall_neighbour(i: Index, j: int, n: int, lid: float) -> tuple[Index, int, float]:
    """The first interior node along the wall normal of wall node ``(i, j)`` and the wall's speed."""
    if i == 0:
        return 1, j, 0.0
    if i == n:
        return n - 1, j, 0.0
    if j == 0:
        return i, 1, 0.0
    return i, n - 1, lid


@njit(inline="always", cache=True)
def _put(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, k: int, row: int, col: int, val: float) -> int:
    """Write the triplet ``(row, col, val)`` at slot ``k`` when ``col`` is an unknown; the next free slot."""
    if col < 0:
        return k
    rows[k] = row
    cols[k] = col
    vals[k] = val
    return k + 1


@njit(parallel=True, cache=True)
def assemble(
    psi: np.ndarray,
    om: np.ndarray,
    re: float,
    h: float,
    lid: float,
    ipsi: np.ndarray,
    iom: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    vals: np.ndarray,
    res: np.ndarray,
    jacobian: bool,
) -> None:
    """The scaled residuals ``res`` (by unknown number) and, with ``jacobian``, the Jacobian triplets.

    Node ``(i, j)`` writes the :data:`SLOTS` triplets from ``(i (n + 1) + j) SLOTS``
    on; unused slots hold ``(0, 0, 0.0)`` (a zero added to entry ``(0, 0)``,
    which always exists), so rows are filled in parallel without a counter.
    """
    n1 = psi.shape[0]
    n = n1 - 1
    q = 0.25 * re
    h2 = h * h
    for ii in prange(n1):
        i = np.int64(ii)  # prange indices are unsigned: mixed with signed ones they would unify to float
        for j in range(n1):
            base = (i * n1 + j) * SLOTS
            if jacobian:
                for s in range(SLOTS):
                    rows[base + s] = 0
                    cols[base + s] = 0
                    vals[base + s] = 0.0
            r = ipsi[i, j]
            if r >= 0:
                ro = iom[i, j]
                res[r] = psi[i + 1, j] + psi[i - 1, j] + psi[i, j + 1] + psi[i, j - 1] - 4.0 * psi[i, j] + h2 * om[i, j]
                a = psi[i, j + 1] - psi[i, j - 1]
                b = om[i + 1, j] - om[i - 1, j]
                c = psi[i + 1, j] - psi[i - 1, j]
                d = om[i, j + 1] - om[i, j - 1]
                lap = om[i + 1, j] + om[i - 1, j] + om[i, j + 1] + om[i, j - 1] - 4.0 * om[i, j]
                res[ro] = lap - q * (a * b - c * d)
                if not jacobian:
                    continue
                k = base
                rows[k], cols[k], vals[k] = r, r, -4.0
                rows[k + 1], cols[k + 1], vals[k + 1] = r, ro, h2
                k += 2
                # streamfunction neighbours: psi = 0 on the walls (not unknowns)
                k = _put(rows, cols, vals, k, r, ipsi[i + 1, j], 1.0)
                k = _put(rows, cols, vals, k, r, ipsi[i - 1, j], 1.0)
                k = _put(rows, cols, vals, k, r, ipsi[i, j + 1], 1.0)
                k = _put(rows, cols, vals, k, r, ipsi[i, j - 1], 1.0)
                k = base + 6
                rows[k], cols[k], vals[k] = ro, ro, -4.0
                rows[k + 1], cols[k + 1], vals[k + 1] = ro, iom[i + 1, j], 1.0 - q * a
                rows[k + 2], cols[k + 2], vals[k + 2] = ro, iom[i - 1, j], 1.0 + q * a
                rows[k + 3], cols[k + 3], vals[k + 3] = ro, iom[i, j + 1], 1.0 + q * c
                rows[k + 4], cols[k + 4], vals[k + 4] = ro, iom[i, j - 1], 1.0 - q * c
                k += 5
                k = _put(rows, cols, vals, k, ro, ipsi[i, j + 1], -q * b)
                k = _put(rows, cols, vals, k, ro, ipsi[i, j - 1], q * b)
                k = _put(rows, cols, vals, k, ro, ipsi[i + 1, j], q * d)
                _put(rows, cols, vals, k, ro, ipsi[i - 1, j], -q * d)
            elif iom[i, j] >= 0:
                r = iom[i, j]
                ai, aj, speed = _wall_neighbour(i, j, n, lid)
                res[r] = h2 * om[i, j] + 2.0 * psi[ai, aj] + 2.0 * speed * h
                if jacobian:
                    rows[base], cols[base], vals[base] = r, r, h2
                    rows[base + 1], cols[base + 1], vals[base + 1] = r, ipsi[ai, aj], 2.0


@njit(cache=True)
def residual_norms(res: np.ndarray, ipsi: np.ndarray, iom: np.ndarray, h: float) -> tuple[float, float, float]:
    """Point-Jacobi-scaled residuals: ``(max |psi part|, max |omega part|, RMS of both in vorticity units)``.

    Each scaled residual is the change one point-Jacobi update would make to
    its unknown (``R_psi / 4``, ``R_omega / 4``, ``R_wall / h^2``); the RMS
    weights the streamfunction part by ``1 / h^2`` so that every entry is in
    vorticity units.
    """
    n1 = ipsi.shape[0]
    h2 = h * h
    mpsi = 0.0
    mom = 0.0
    total = 0.0
    count = 0
    for i in range(n1):
        for j in range(n1):
            r = ipsi[i, j]
            if r >= 0:
                a = abs(res[r]) * 0.25
                b = abs(res[iom[i, j]]) * 0.25
                mpsi = max(mpsi, a)
                mom = max(mom, b)
                total += (a / h2) ** 2 + b * b
                count += 2
            elif iom[i, j] >= 0:
                b = abs(res[iom[i, j]]) / h2
                mom = max(mom, b)
                total += b * b
                count += 1
    return mpsi, mom, np.sqrt(total / max(count, 1))


@njit(parallel=True, cache=True)
def scatter(d: np.ndarray, ipsi: np.ndarray, iom: np.ndarray, scale: float, psi: np.ndarray, om: np.ndarray) -> None:
    """``psi += scale d``, ``omega += scale d`` at their unknowns."""
    n1 = ipsi.shape[0]
    for i in prange(n1):
        for j in range(n1):
            if ipsi[i, j] >= 0:
                psi[i, j] += scale * d[ipsi[i, j]]
            if iom[i, j] >= 0:
                om[i, j] += scale * d[iom[i, j]]


@njit(parallel=True, cache=True)
def velocity(psi: np.ndarray, h: float, lid: float, u: np.ndarray, v: np.ndarray) -> None:
    """``u = psi_y``, ``v = -psi_x`` by central differences inside; the wall values on the frame.

    The lid (``j = n``) moves at ``lid`` between the corners; the corners
    belong to the resting side walls (``u = v = 0``).
    """
    n1 = psi.shape[0]
    n = n1 - 1
    inv = 0.5 / h
    for i in prange(n1):
        for j in range(n1):
            if 0 < i < n and 0 < j < n:
                u[i, j] = (psi[i, j + 1] - psi[i, j - 1]) * inv
                v[i, j] = -(psi[i + 1, j] - psi[i - 1, j]) * inv
            else:
                u[i, j] = lid if (j == n and 0 < i < n) else 0.0
                v[i, j] = 0.0


@njit(cache=True)
def corner_vorticity(om: np.ndarray) -> None:
    """Give each corner the mean of its two wall neighbours (the corners are not unknowns)."""
    n = om.shape[0] - 1
    om[0, 0] = 0.5 * (om[1, 0] + om[0, 1])
    om[n, 0] = 0.5 * (om[n - 1, 0] + om[n, 1])
    om[0, n] = 0.5 * (om[1, n] + om[0, n - 1])
    om[n, n] = 0.5 * (om[n - 1, n] + om[n, n - 1])


@njit(inline="always", cache=True)
def _derivative(w: np.ndarray, i: Index, j: int, axis: int, n: int, h: float) -> float:
    """``dw/dx`` (``axis = 0``) or ``dw/dy`` at node ``(i, j)``: central inside, second-order one-sided on the frame."""
    k = i if axis == 0 else j
    di, dj = (1, 0) if axis == 0 else (0, 1)
    if k == 0:
        return (-3.0 * w[i, j] + 4.0 * w[i + di, j + dj] - w[i + 2 * di, j + 2 * dj]) / (2.0 * h)
    if k == n:
        return (3.0 * w[i, j] - 4.0 * w[i - di, j - dj] + w[i - 2 * di, j - 2 * dj]) / (2.0 * h)
    return (w[i + di, j + dj] - w[i - di, j - dj]) / (2.0 * h)


@njit(parallel=True, cache=True)
def momentum_forcing(u: np.ndarray, v: np.ndarray, om: np.ndarray, h: float, re: float,
                     fx: np.ndarray, fy: np.ndarray) -> None:
    r"""``F = grad p`` from the steady momentum equation: ``F = -(u . grad) u + (1 / Re) (-omega_y, omega_x)``.

    ``Laplacian(u) = (-omega_y, omega_x)`` holds for a divergence-free field.
    Inside, central differences; on the walls the convective term vanishes
    (``u`` and ``v`` are constant along every wall) and the vorticity
    derivatives are second-order one-sided across the wall.
    """
    n1 = u.shape[0]
    n = n1 - 1
    c = 1.0 / re
    for ii in prange(n1):
        i = np.int64(ii)
        for j in range(n1):
            fx[i, j] = -c * _derivative(om, i, j, 1, n, h)
            fy[i, j] = c * _derivative(om, i, j, 0, n, h)
            if 0 < i < n and 0 < j < n:
                ux = _derivative(u, i, j, 0, n, h)
                uy = _derivative(u, i, j, 1, n, h)
                vx = _derivative(v, i, j, 0, n, h)
                vy = _derivative(v, i, j, 1, n, h)
                fx[i, j] -= u[i, j] * ux + v[i, j] * uy
                fy[i, j] -= u[i, j] * vx + v[i, j] * vy


@njit(cache=True)
def pressure_rhs(fx: np.ndarray, fy: np.ndarray, h: float, f: np.ndarray) -> None:
    r"""Right-hand side of ``-Laplacian(p) = -div F`` in the control-volume form, ``grad p . n = F . n`` on the walls.

    Each node owns a control volume (``h^2``, half on a wall, a quarter at a
    corner); integrating ``Laplacian(p) = div F`` over it, the wall part of the
    boundary cancels (the Neumann data ``F . n`` appear on both sides), so only
    the interior faces remain, each with the mean of ``F`` at its two nodes and
    a weight ``w`` (1, or 1/2 for a face along a wall):
    ``sum_faces w (p_P - p_nb) / h^2 = -(1 / h) sum_faces w F_face . n_face``.
    ``f`` is that right-hand side divided by the volume fraction, the form of
    :func:`solvers.darcy.darcy_multigrid` (``b = volume f``). Every interior
    face enters two volumes with opposite signs, so the control-volume sum of
    ``b`` vanishes exactly: the pure Neumann problem is compatible.
    """
    n1 = fx.shape[0]
    n = n1 - 1
    for i in range(n1):
        for j in range(n1):
            f[i, j] = 0.0
    for i in range(n):
        for j in range(n1):
            w = 0.5 if (j == 0 or j == n) else 1.0
            flux = w * 0.5 * (fx[i, j] + fx[i + 1, j]) / h  # through the face between (i, j) and (i + 1, j), along +x
            f[i, j] -= flux
            f[i + 1, j] += flux
    for i in range(n1):
        for j in range(n):
            w = 0.5 if (i == 0 or i == n) else 1.0
            flux = w * 0.5 * (fy[i, j] + fy[i, j + 1]) / h
            f[i, j] -= flux
            f[i, j + 1] += flux
    for i in range(n1):
        for j in range(n1):
            vol = (0.5 if (i == 0 or i == n) else 1.0) * (0.5 if (j == 0 or j == n) else 1.0)
            f[i, j] /= vol
