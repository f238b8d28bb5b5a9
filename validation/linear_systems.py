r"""Linear-system benchmark view: several Krylov methods on one system, as an xarray Dataset.

The methods are entries of the registry :data:`METHODS`, all through the
toolkit's own Krylov loops so iteration counts and residual histories are
comparable:

* ``cg``: plain CG; ``jacobi``: diagonal PCG; ``ic0``: IC(0)-PCG
  (:func:`solvers.ic0_preconditioner`; a ``1e-8`` diagonal shift on a singular
  all-Neumann matrix, where the exact IC(0) pivots run into the null space);
* ``multigrid``: PCG with one symmetric Galerkin V(2,2) cycle with bilinear
  interpolation (:func:`solvers.grid_preconditioner`, the toolkit's geometric
  multigrid); ``multigrid_operator``: the same Galerkin cycle, V(1,1), with
  operator-dependent interpolation (robust to coefficient jumps); ``pyamg``,
  ``pyamg_rs``: PCG with PyAMG smoothed aggregation / classical Ruge--Stuben
  AMG (optional dependency);
* ``neural``: conjugate directions (:func:`solvers.conjugate_directions`, two
  previous directions) with a fitted accelerator's ``preconditioner(system)``
  as the direction map (the deep conjugate-direction method, DCDM, for the
  shipped one); ``neural_fcg``: the same operator inside flexible
  (Polak--Ribiere) PCG; ``neural_pcg``: plain PCG with the accelerator's
  preconditioner, for accelerators whose preconditioner is a fixed linear SPD
  map (a learned multigrid cycle).

The systems are :class:`solvers.grid_systems.GridSystem`\ s: the
pressure-Poisson systems with obstacles (:func:`solvers.pressure_system`) and
the variable-coefficient Darcy systems (:func:`solvers.grid_systems.darcy_grid_system`).

A method is one registration: a factory ``setup(system, rtol, maxiter,
accelerator) -> solve`` that pays the setup cost (factorisation, hierarchy)
and returns ``b -> (x, info)``::

    @method("ssor", "SSOR-PCG")
    def _ssor(system, rtol, maxiter, accelerator):
        return _krylov(system, my_ssor(system.matrix), rtol, maxiter)

Wall time is setup (factorisation, hierarchy) plus solve, and for the
learned methods includes every network evaluation; the median over ``repeats``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import xarray as xr

import solvers
from equations.errors import InvalidDataError, InvalidParameterError, check_integer
from equations.registry import Registry
from sciml.accelerators.base import Accelerator
from solvers import KrylovInfo, conjugate_directions, grid_preconditioner, ic0_preconditioner
from solvers.grid_systems import GridSystem

Solve = Callable[[np.ndarray], tuple[np.ndarray, KrylovInfo]]
Setup = Callable[[GridSystem, float, int | None, Accelerator | None], Solve]


@dataclass(frozen=True)
class Method:
    """A linear-system method: its label in tables and figures, and its factory.

    Parameters
    ----------
    label : str
        Human-readable name (``"IC(0)-PCG"``).
    setup : callable
        ``setup(system, rtol, maxiter, accelerator) -> solve`` with
        ``solve(b) -> (x, KrylovInfo)``; the setup cost is paid in ``setup``.
    needs_accelerator : bool
        The method uses a fitted accelerator (``accelerator.preconditioner(system)``).
    """

    label: str
    setup: Setup
    needs_accelerator: bool = False


#: every linear-system method by name
METHODS: Registry[Method] = Registry("linear-system method")


def method(name: str, label: str, needs_accelerator: bool = False) -> Callable[[Setup], Setup]:
    """Register the decorated factory as method ``name`` (see the module docstring).

    Parameters
    ----------
    name : str
        The method's name (``--method`` of ``sciml linsys``).
    label : str
        Its label in tables and figures.
    needs_accelerator : bool
        Whether it needs a fitted accelerator.

    Returns
    -------
    callable
        The decorator (it returns the factory unchanged).
    """
    def decorate(setup: Setup) -> Setup:
        METHODS.register(name, Method(label, setup, needs_accelerator))
        return setup

    return decorate


def label(name: str) -> str:
    """The label of method ``name`` (:class:`~equations.errors.UnknownNameError` lists the methods)."""
    return METHODS.get(name).label


def _krylov(system: GridSystem, m: Any, rtol: float, maxiter: int | None, flexible: bool = False) -> Solve:
    return lambda b: solvers.cg(system.matrix, b, rtol=rtol, maxiter=maxiter, M=m, flexible=flexible)


@method("cg", "CG")
def _cg(system: GridSystem, rtol: float, maxiter: int | None, accelerator: Accelerator | None) -> Solve:
    return _krylov(system, None, rtol, maxiter)


@method("jacobi", "Jacobi-PCG")
def _jacobi(system: GridSystem, rtol: float, maxiter: int | None, accelerator: Accelerator | None) -> Solve:
    return _krylov(system, sp.diags(1.0 / system.matrix.diagonal()), rtol, maxiter)


@method("ic0", "IC(0)-PCG")
def _ic0(system: GridSystem, rtol: float, maxiter: int | None, accelerator: Accelerator | None) -> Solve:
    return _krylov(system, ic0_preconditioner(system.matrix, 1e-8 if system.singular else 0.0), rtol, maxiter)


@method("multigrid", "multigrid-PCG")
def _multigrid(system: GridSystem, rtol: float, maxiter: int | None, accelerator: Accelerator | None) -> Solve:
    return _krylov(system, grid_preconditioner(system, sweeps=2), rtol, maxiter)


@method("multigrid_operator", "operator-dependent MG-PCG")
def _multigrid_operator(system: GridSystem, rtol: float, maxiter: int | None,
                        accelerator: Accelerator | None) -> Solve:
    return _krylov(system, grid_preconditioner(system, interpolation="operator"), rtol, maxiter)


@method("pyamg", "PyAMG SA-PCG")
def _pyamg(system: GridSystem, rtol: float, maxiter: int | None, accelerator: Accelerator | None) -> Solve:
    return _krylov(system, _pyamg_solver("smoothed_aggregation_solver", system).aspreconditioner(), rtol, maxiter)


@method("pyamg_rs", "PyAMG RS-PCG")
def _pyamg_rs(system: GridSystem, rtol: float, maxiter: int | None, accelerator: Accelerator | None) -> Solve:
    return _krylov(system, _pyamg_solver("ruge_stuben_solver", system).aspreconditioner(), rtol, maxiter)


def _pyamg_solver(kind: str, system: GridSystem) -> Any:
    try:
        import pyamg
    except ImportError as exc:  # pragma: no cover - optional comparison dependency
        raise InvalidParameterError("methods 'pyamg' and 'pyamg_rs' need the optional package pyamg") from exc
    return getattr(pyamg, kind)(system.matrix)


@method("neural", "neural CD (DCDM)", needs_accelerator=True)
def _neural(system: GridSystem, rtol: float, maxiter: int | None, accelerator: Accelerator | None) -> Solve:
    assert accelerator is not None  # make_solver checks
    direction = accelerator.preconditioner(system)
    return lambda b: conjugate_directions(system.matrix, b, direction, rtol=rtol, maxiter=maxiter)


@method("neural_fcg", "neural flexible PCG", needs_accelerator=True)
def _neural_fcg(system: GridSystem, rtol: float, maxiter: int | None, accelerator: Accelerator | None) -> Solve:
    assert accelerator is not None  # make_solver checks
    return _krylov(system, accelerator.preconditioner(system), rtol, maxiter, flexible=True)


@method("neural_pcg", "neural PCG", needs_accelerator=True)
def _neural_pcg(system: GridSystem, rtol: float, maxiter: int | None, accelerator: Accelerator | None) -> Solve:
    assert accelerator is not None  # make_solver checks
    return _krylov(system, accelerator.preconditioner(system), rtol, maxiter)


def make_solver(name: str, system: GridSystem, *, rtol: float = 1e-6, maxiter: int | None = None,
                model: Accelerator | None = None) -> Solve:
    """Set up method ``name`` on ``system`` (the setup cost is paid here) and return ``b -> (x, info)``.

    Parameters
    ----------
    name : str
        A registered method (:data:`METHODS`).
    system : GridSystem
        The system to solve.
    rtol : float
        Relative residual to reach.
    maxiter : int, optional
        Iteration limit.
    model : Accelerator, optional
        A fitted accelerator, for the methods that need one.

    Returns
    -------
    callable
        ``solve(b) -> (x, KrylovInfo)``.
    """
    entry = METHODS.get(name)
    if entry.needs_accelerator and model is None:
        raise InvalidParameterError(f"method {name!r} needs a trained model (a fitted accelerator, e.g. "
                                    "sciml.core.loading.load_learner of a saved one)")
    return entry.setup(system, rtol, maxiter, model)


def run_linear_system(system: GridSystem, b: np.ndarray, methods: Sequence[str] = ("cg", "jacobi", "ic0"), *,
                      rtol: float = 1e-6, maxiter: int | None = None, repeats: int = 1,
                      model: Accelerator | None = None) -> xr.Dataset:
    """Run ``methods`` on ``A x = b`` and collect iterations, wall times and residual histories.

    Parameters
    ----------
    system : GridSystem
        The system.
    b : numpy.ndarray
        Right-hand side on the unknowns.
    methods : sequence of str
        Registered methods (:data:`METHODS`).
    rtol, maxiter
        Relative residual to reach and iteration limit of every method.
    repeats : int
        Timed runs (setup + solve) per method; the median is reported.
    model : Accelerator, optional
        A fitted accelerator, for the methods that need one (``neural``, ``neural_fcg``).

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
        coords={"solver": names, "iteration": np.arange(length), "label": ("solver", [label(n) for n in names])},
        attrs={"unknowns": system.size, "grid": f"{system.shape[0]}x{system.shape[1]}", "rtol": rtol,
               "repeats": repeats, "system": describe(system)},
    )


def describe(system: GridSystem) -> str:
    """A one-line description of a system for titles and attributes."""
    spec = getattr(system, "spec", None)
    if spec is not None:
        return f"pressure Poisson, {spec.boundary} box, {spec.obstacles} obstacles"
    a = getattr(system, "a", None)
    if a is not None:
        solids = 0 if system.solid is None else int(system.solid.sum())
        return (f"Darcy, coefficient {float(a.min()):.3g}..{float(a.max()):.3g}"
                + (f", {solids} solid nodes" if solids else ""))
    return type(system).__name__


def convergence_figure(ds: xr.Dataset) -> Any:
    """Semilogy relative residual against iteration, one line per method (a matplotlib Figure)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for name in ds["solver"].values:
        h = ds["residual_history"].sel(solver=name).values
        ax.semilogy(np.arange(h.size)[np.isfinite(h)], h[np.isfinite(h)],
                    label=f"{label(str(name))} ({int(ds['iterations'].sel(solver=name))} it)")
    ax.axhline(float(ds.attrs["rtol"]), color="0.5", lw=0.8, ls="--")
    ax.set_xlabel("iteration")
    ax.set_ylabel(r"$\|r_k\| / \|b\|$")
    ax.set_title(f"{ds.attrs['grid']} grid, {ds.attrs['unknowns']} unknowns\n{ds.attrs.get('system', '')}", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
