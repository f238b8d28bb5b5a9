"""A posteriori check that a reference meets its spec's Dirichlet and initial data.

Every solver's output passes through :func:`check_conditions` in
:func:`solvers.solve`: the values on the boundary nodes (of a box, or of a masked
domain: the finite nodes next to a NaN one) and on the first time level are
compared with the spec's :class:`~equations.core.DirichletCondition` and
:class:`~equations.core.InitialCondition` data. A solver that ignored changed
data is then caught even where the registration rules of
:mod:`solvers.registry` let it through.
"""

from __future__ import annotations

import numpy as np

from equations.core import DirichletCondition, Equation, InitialCondition
from equations.errors import SpecMismatchError
from equations.systems import conditions_of

# the data are imposed exactly by every solver here, or sampled from a converged spectral
# interpolant; a larger deviation means that the solver solved another problem
RELATIVE_TOLERANCE = 1e-4


def boundary_nodes(equation: Equation, values: np.ndarray) -> np.ndarray:
    """Boolean mask of the grid nodes on the spatial boundary (all time levels).

    A node is on the boundary when it holds a value and, along a non-periodic
    spatial axis, it is the first or last node or a neighbour holds NaN (outside
    a masked domain).
    """
    names = equation.domain.names
    finite = np.isfinite(values)
    out = np.zeros(values.shape, dtype=bool)
    for axis, name in enumerate(names):
        if name == "t" or equation.domain.periodic(name):
            continue
        padded = np.pad(finite, [(1, 1) if a == axis else (0, 0) for a in range(values.ndim)],
                        constant_values=False)
        n = values.shape[axis]
        before = np.take(padded, np.arange(0, n), axis=axis)
        after = np.take(padded, np.arange(2, n + 2), axis=axis)
        out |= finite & ~(before & after)
    return out


def condition_deviation(
    equation: Equation, axes: dict[str, np.ndarray], values: np.ndarray, field: str | None = None
) -> dict[str, tuple[float, float]]:
    """``(max |u - data|, max |data|)`` on the boundary (``"dirichlet"``) and at ``t0`` (``"initial"``).

    ``field`` names the field of a system whose ``values`` these are (its conditions only).
    """
    names = equation.domain.names
    mesh = np.meshgrid(*(axes[n] for n in names), indexing="ij")
    out: dict[str, tuple[float, float]] = {}
    try:
        conditions = conditions_of(equation, field) if field is not None else equation.conditions()
    except NotImplementedError:  # a spec that states no conditions: nothing to check against
        return out
    boundary = boundary_nodes(equation, values)
    for condition in conditions:
        if isinstance(condition, DirichletCondition):
            where = boundary.copy()
            if condition.where is not None:
                where[where] = np.broadcast_to(np.asarray(
                    condition.where({n: m[boundary] for n, m in zip(names, mesh)}), dtype=bool), (int(where.sum()),))
            key = "dirichlet"
        elif isinstance(condition, InitialCondition) and "t" in names:
            where = np.zeros(values.shape, dtype=bool)
            index: list[int | slice] = [slice(None)] * values.ndim
            index[names.index("t")] = 0
            where[tuple(index)] = np.isfinite(values[tuple(index)])
            where &= ~boundary  # where initial and boundary data meet, specs may disagree (the boundary wins)
            key = "initial"
        else:
            continue
        if not where.any():
            continue
        data = np.broadcast_to(
            np.asarray(condition.value({n: m[where] for n, m in zip(names, mesh)}), dtype=np.float64),
            (int(where.sum()),))
        deviation, size = out.get(key, (0.0, 0.0))
        out[key] = (max(deviation, float(np.max(np.abs(values[where] - data)))),
                    max(size, float(np.max(np.abs(data)))))
    return out


def check_conditions(equation: Equation, axes: dict[str, np.ndarray], values: np.ndarray, solver: str,
                     field: str | None = None) -> None:
    """Raise :class:`SpecMismatchError` when ``values`` miss the spec's boundary or initial data.

    The tolerance is :data:`RELATIVE_TOLERANCE` times the larger of ``max |u|``
    and ``max |data|`` (plus 1e-12, so zero data met to round-off pass).
    """
    finite = values[np.isfinite(values)]
    scale = float(np.max(np.abs(finite), initial=0.0))
    for key, (deviation, size) in condition_deviation(equation, axes, values, field).items():
        if deviation > RELATIVE_TOLERANCE * max(scale, size) + 1e-12:
            what = "boundary (Dirichlet)" if key == "dirichlet" else "initial"
            of = f" (field {field!r})" if field is not None else ""
            raise SpecMismatchError(
                f"solver {solver!r} returned a solution that misses {type(equation).__name__}'s {what} data{of} "
                f"by up to {deviation:.3g} (max |u| = {scale:.3g}): it does not implement this spec"
            )
