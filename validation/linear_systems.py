r"""Linear-system benchmark view: several Krylov methods on one system, as an xarray Dataset.

Methods (the keys of :data:`METHODS`), all through the toolkit's own Krylov
loops so iteration counts and residual histories are comparable:

* ``cg``: plain CG; ``jacobi``: diagonal PCG; ``ic0``: IC(0)-PCG
  (:mod:`solvers.krylov.ichol`; a ``1e-8`` diagonal shift on a singular all-Neumann
  matrix, where the exact IC(0) pivots run into the null space);
* ``multigrid``: PCG with one symmetric Galerkin V(2,2) cycle
  (:mod:`solvers.krylov.preconditioners`); ``pyamg``: PCG with PyAMG smoothed
  aggregation (optional dependency);
* ``neural``: the neural conjugate-direction method (:class:`sciml.accelerators.neural_cg.learner.NeuralCG`);
  ``neural_fcg``: the same network inside flexible (Polak--Ribiere) PCG.

Wall time is setup (factorisation, hierarchy) plus solve, and for the neural
methods includes every network evaluation; the median over ``repeats``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
import xarray as xr

import solvers
from equations.errors import InvalidDataError, InvalidParameterError, check_integer
from solvers.krylov import KrylovInfo, conjugate_directions, galerkin_preconditioner, ic0_preconditioner
from solvers.pressure_poisson import PoissonSystem

Solve = Callable[[np.ndarray], tuple[np.ndarray, KrylovInfo]]
LABELS = {"cg": "CG", "jacobi": "Jacobi-PCG", "ic0": "IC(0)-PCG", "multigrid": "multigrid-PCG",
          "pyamg": "PyAMG SA-PCG", "neural": "neural CD (DCDM)", "neural_fcg": "neural flexible PCG"}


def _krylov(system: PoissonSystem, m: Any, rtol: float, maxiter: int | None, flexible: bool = False) -> Solve:
    return lambda b: solvers.cg(system.matrix, b, rtol=rtol, maxiter=maxiter, M=m, flexible=flexible)


def _pyamg(system: PoissonSystem, rtol: float, maxiter: int | None) -> Solve:
    try:
        import pyamg
    except ImportError as exc:  # pragma: no cover - optional comparison dependency
        raise InvalidParameterError("method 'pyamg' needs the optional package pyamg") from exc
    ml = pyamg.smoothed_aggregation_solver(system.matrix)
    return _krylov(system, ml.aspreconditioner(), rtol, maxiter)


def make_solver(name: str, system: PoissonSystem, *, rtol: float = 1e-6, maxiter: int | None = None,
                model: Any = None) -> Solve:
    """Set up method ``name`` on ``system`` (the setup cost is paid here) and return ``b -> (x, info)``."""
    if name == "cg":
        return _krylov(system, None, rtol, maxiter)
    if name == "jacobi":
        return _krylov(system, sp.diags(1.0 / system.matrix.diagonal()), rtol, maxiter)
    if name == "ic0":
        return _krylov(system, ic0_preconditioner(system.matrix, 1e-8 if system.singular else 0.0), rtol, maxiter)
    if name == "multigrid":
        h = system.spec.spacing
        m = galerkin_preconditioner(np.ones(system.shape), h, h, neumann=system.spec.neumann, solid=system.solid,
                                    sweeps=2)
        return _krylov(system, m, rtol, maxiter)
    if name == "pyamg":
        return _pyamg(system, rtol, maxiter)
    if name in ("neural", "neural_fcg"):
        if model is None:
            raise InvalidParameterError(f"method {name!r} needs a trained model (NeuralCG)")
        if name == "neural_fcg":
            return _krylov(system, model.preconditioner(system), rtol, maxiter, flexible=True)
        direction = model.direction(system)
        return lambda b: conjugate_directions(system.matrix, b, direction, rtol=rtol, maxiter=maxiter, k=model.k)
    raise InvalidParameterError(f"unknown method {name!r}; the methods are {', '.join(LABELS)}")


METHODS = tuple(LABELS)


def run_linear_system(system: PoissonSystem, b: np.ndarray, methods: Sequence[str] = ("cg", "jacobi", "ic0"), *,
                      rtol: float = 1e-6, maxiter: int | None = None, repeats: int = 1,
                      model: Any = None) -> xr.Dataset:
    """Run ``methods`` on ``A x = b`` and collect iterations, wall times and residual histories.

    Returns
    -------
    xarray.Dataset
        Dims ``solver`` (the method names) and ``iteration``: ``iterations``, ``wall_time_s``
        (median of ``repeats`` of setup + solve), ``setup_time_s``,
        ``relative_residual`` (recomputed ``||b - A x|| / ||b||``), ``converged``
        and ``residual_history`` (relative, NaN after the last iteration).
    """
    b = np.asarray(b, dtype=np.float64)
    if b.shape != (system.size,):
        raise InvalidDataError(f"b must have shape ({system.size},), got {b.shape}")
    if not np.all(np.isfinite(b)):
        raise InvalidDataError("b contains NaN or Inf")
    repeats = check_integer("repeats", repeats, 1)
    rows = []
    for name in methods:
        totals, setups = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            solve = make_solver(name, system, rtol=rtol, maxiter=maxiter, model=model)
            setup = time.perf_counter() - start
            x, info = solve(b)
            totals.append(time.perf_counter() - start)
            setups.append(setup)
        true = float(np.linalg.norm(b - system.matrix @ x) / np.linalg.norm(b))
        rows.append((name, info, float(np.median(totals)), float(np.median(setups)), true))
    length = max(len(r[1].residual_history) for r in rows)
    hist = np.full((len(rows), length), np.nan)
    norm_b = float(np.linalg.norm(b))
    for i, r in enumerate(rows):
        hist[i, : len(r[1].residual_history)] = np.asarray(r[1].residual_history) / norm_b
    names = [r[0] for r in rows]
    return xr.Dataset(
        {
            "iterations": ("solver", [r[1].iterations for r in rows]),
            "wall_time_s": ("solver", [r[2] for r in rows], {"long_name": "setup + solve wall time (median)"}),
            "setup_time_s": ("solver", [r[3] for r in rows]),
            "relative_residual": ("solver", [r[4] for r in rows], {"long_name": "||b - A x|| / ||b||"}),
            "converged": ("solver", np.array([r[1].converged for r in rows], dtype=np.int8)),
            "residual_history": (("solver", "iteration"), hist, {"long_name": "||r_k|| / ||b||"}),
        },
        coords={"solver": names, "iteration": np.arange(length), "label": ("solver", [LABELS[n] for n in names])},
        attrs={"unknowns": system.size, "grid": f"{system.shape[0]}x{system.shape[1]}", "rtol": rtol,
               "boundary": system.spec.boundary, "obstacles": system.spec.obstacles, "repeats": repeats},
    )


def convergence_figure(ds: xr.Dataset) -> Any:
    """Semilogy relative residual against iteration, one line per method (a matplotlib Figure)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for name in ds["solver"].values:
        h = ds["residual_history"].sel(solver=name).values
        ax.semilogy(np.arange(h.size)[np.isfinite(h)], h[np.isfinite(h)],
                    label=f"{LABELS[str(name)]} ({int(ds['iterations'].sel(solver=name))} it)")
    ax.axhline(float(ds.attrs["rtol"]), color="0.5", lw=0.8, ls="--")
    ax.set_xlabel("iteration")
    ax.set_ylabel(r"$\|r_k\| / \|b\|$")
    ax.set_title(f"{ds.attrs['grid']} grid, {ds.attrs['unknowns']} unknowns, {ds.attrs['obstacles']} obstacles")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
