"""DeepXDE as a field learner: a toolkit spec translated into a DeepXDE problem and trained by DeepXDE's own loop.

:class:`DeepXDELearner` reads an :class:`~equations.core.Equation` and builds
the same problem with DeepXDE's PyTorch backend:

- the geometry: a :class:`~equations.geometry.Box` becomes an ``Interval``,
  ``Rectangle``, ``Cuboid`` or ``Hypercube``; a
  :class:`~equations.geometry.Polygon` a ``Triangle``, an axis-aligned
  ``Rectangle`` or a ``Polygon``; with a time interval, a ``GeometryXTime``
  with its ``TimeDomain``;
- the residual: ``pde(x, y)`` builds a :class:`~equations.core.Jet` of the
  spec's ``derivatives`` with ``dde.grad.jacobian`` / ``dde.grad.hessian``
  (third and higher orders by differentiating again) and a coords dict of
  torch columns by coordinate name, and calls ``equation.residual`` itself;
- the conditions: ``InitialCondition`` -> ``IC``, ``InitialVelocityCondition``
  -> ``OperatorBC`` on ``u_t`` at ``t0``, ``DirichletCondition`` ->
  ``DirichletBC``, ``NeumannCondition`` -> ``NeumannBC``, ``RobinCondition``
  -> ``RobinBC`` and ``PeriodicCondition`` -> ``PeriodicBC`` (values only, as
  the PINN's penalty). A condition's ``where`` mask is combined with
  DeepXDE's ``on_boundary``, and a Neumann or Robin condition leaves out the
  points where a Dirichlet condition holds (Dirichlet data win, as in the
  PINN's sampling). DeepXDE's Robin condition is ``du/dn = f(x, u)``: the
  toolkit's ``alpha u + beta du/dn = g`` is ``f = (g - alpha u) / beta``, and
  its loss term is weighted by ``beta**2`` so that it equals the PINN's
  ``(alpha u + beta du/dn - g)^2``. Normal derivatives use the toolkit
  geometry's own outward normals (its convention at corners, not DeepXDE's
  averaged ones).

What DeepXDE cannot express is refused by name before any training, with
:class:`~equations.errors.SpecMismatchError`: a system of several fields,
a geometry other than a plain ``Box`` or ``Polygon``, a condition type
DeepXDE has no counterpart for, a derivative key on a coordinate the domain
lacks, a residual that raises or does not return one value per point. A
``where`` mask or a condition value that misbehaves, or a condition that
gets no training point, is an :class:`~equations.errors.InvalidParameterError`.

DeepXDE keeps global state: importing its PyTorch backend makes CUDA
torch's default device when a GPU is visible (DeepXDE 1.15,
``deepxde/backend/pytorch/tensor.py``), its float precision is a module
global (``dde.config.set_default_float`` also sets torch's default dtype),
``dde.config.set_random_seed`` seeds Python's, NumPy's and torch's global
generators, and its L-BFGS options are a module dict. The learner imports
DeepXDE lazily (:func:`import_deepxde`), puts torch's default device and
dtype back after the import, and runs each build and fit in a session
(:meth:`DeepXDELearner.session`) that sets these for the learner's seed,
device and dtype and restores all of them (and the global random states)
afterwards.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import math
import os
import random
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from equations import Equation
from equations.core import (
    DirichletCondition,
    InitialCondition,
    InitialVelocityCondition,
    Jet,
    NeumannCondition,
    PeriodicCondition,
    RobinCondition,
    Where,
    canonical_key,
)
from equations.errors import (
    InvalidDataError,
    InvalidParameterError,
    SpecMismatchError,
    ToolkitError,
    TrainingDivergedError,
)
from equations.geometry import Box, Polygon
from sciml.core.base import copy_tensors
from sciml.core.callbacks import Callback
from sciml.core.history import History
from sciml.core.memory import NetworkSize, check_network
from sciml.core.params import (
    BOOLEAN,
    COUNT,
    DEVICE,
    DTYPE,
    NON_NEGATIVE,
    POSITIVE,
    POSITIVE_COUNT,
    SEED,
    WIDTHS,
    Constraint,
    choice,
    mapping_of,
    optional,
)
from sciml.core.runtime import dtype_name, resolve_device, resolve_dtype
from sciml.field.learner import FieldLearner, _saved_equation

#: DeepXDE's smooth activations (a PDE residual needs second derivatives: no ReLU).
ACTIVATIONS = ("tanh", "sin", "sigmoid", "silu", "gelu")
#: DeepXDE's weight initialisers in its PyTorch backend.
INITIALIZERS = ("Glorot normal", "Glorot uniform", "He normal", "He uniform")
#: DeepXDE's point distributions (``train_distribution`` of ``dde.data.PDE``).
DISTRIBUTIONS = ("Hammersley", "Sobol", "Halton", "LHS", "pseudo", "uniform")
#: L-BFGS iterations per DeepXDE L-BFGS call at most (its own value; the stage loops over calls).
LBFGS_CHUNK = 1000
#: The stop of an L-BFGS stage that ended before its budget. In float32, torch's L-BFGS (DeepXDE's ``ftol = 0``,
#: ``gtol = 1e-8``) also stops when its line search finds no decrease or its direction is no descent direction,
#: which happens after a handful of iterations in some runs (Burgers: 2 of 12 runs stopped after 3 iterations and
#: kept 4e-2 / 0.16 relative L2 where their neighbours reached 5e-3); the record says so instead of "converged".
LBFGS_EARLY_STOP = "stopped early: torch's L-BFGS under DeepXDE's tolerances (converged, or its line search failed)"
# coordinates within this many machine epsilons (of the magnitude) of a face or a vertex line are snapped onto it
SNAP_ULPS = 8


# -- DeepXDE, its backend and its global state ------------------------------------------------------------------
def import_deepxde() -> Any:
    """DeepXDE with its PyTorch backend; torch's default device and dtype are what they were before.

    ``DDE_BACKEND`` is set to ``pytorch`` when neither it nor DeepXDE's older
    ``DDEBACKEND`` is set.

    Raises
    ------
    InvalidParameterError
        DeepXDE is not installed, or another backend is chosen or already loaded.
    """
    chosen = os.environ.get("DDE_BACKEND") or os.environ.get("DDEBACKEND")
    loaded = sys.modules.get("deepxde")
    if loaded is None and chosen not in (None, "pytorch"):
        raise InvalidParameterError(f"the deepxde learner runs DeepXDE's PyTorch backend, but DDE_BACKEND={chosen!r}; "
                                    "set DDE_BACKEND=pytorch (or unset it) before DeepXDE is imported")
    os.environ.setdefault("DDE_BACKEND", "pytorch")
    dtype = torch.get_default_dtype()
    holder = getattr(torch, "_GLOBAL_DEVICE_CONTEXT", None)  # where set_default_device keeps its context
    context = getattr(holder, "device_context", None)
    device = torch.get_default_device() if holder is None else None
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # its "Using backend: pytorch" banner
            import deepxde
    except ImportError as exc:
        raise InvalidParameterError("the deepxde learner needs DeepXDE: pip install 'deepxde>=1.10' (in the test "
                                    f"and bench extras) ({exc})") from None
    finally:
        # on a CUDA machine the import makes CUDA the default device of the whole process: undo it
        torch.set_default_dtype(dtype)
        if holder is not None:
            if getattr(holder, "device_context", None) is not context:
                torch.set_default_device(None if context is None else context.device)
        elif torch.get_default_device() != device:
            torch.set_default_device(None if device == torch.device("cpu") else device)
    backend = getattr(getattr(deepxde, "backend", None), "backend_name", None)
    if backend != "pytorch":
        raise InvalidParameterError(f"DeepXDE was imported with its {backend!r} backend; the deepxde learner needs its "
                                    "PyTorch backend (DDE_BACKEND=pytorch, set before DeepXDE is first imported)")
    return deepxde


@contextlib.contextmanager
def deepxde_session(dde: Any, seed: int, device: torch.device, dtype: torch.dtype) -> Iterator[None]:
    """DeepXDE's globals set for one build or fit, and put back afterwards.

    Inside: DeepXDE's float precision and torch's default dtype are
    ``dtype``, the default device is ``device`` (DeepXDE creates its tensors
    there), and every generator is seeded by ``dde.config.set_random_seed``.
    Afterwards the default dtype and device, DeepXDE's precision, seed and
    L-BFGS options, and the states of Python's, NumPy's and torch's global
    generators are what they were.
    """
    saved_dtype = torch.get_default_dtype()
    saved_precision = dde.config.real.precision
    saved_seed = dde.config.random_seed
    options = dde.optimizers.config.LBFGS_options
    saved_options = dict(options)
    # DeepXDE seeds (and samples from) NumPy's legacy global generator: its state is what is put back
    python_state, numpy_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    cuda = [device.index] if device.type == "cuda" else []
    # a device context costs a little on every torch call: only where DeepXDE's tensors must go elsewhere
    placed = torch.device(device) if device != torch.get_default_device() else contextlib.nullcontext()
    with torch.random.fork_rng(devices=cuda), placed:
        try:
            torch.set_default_dtype(dtype)
            (dde.config.real.set_float64 if dtype == torch.float64 else dde.config.real.set_float32)()
            dde.config.set_random_seed(seed)
            yield
        finally:
            torch.set_default_dtype(saved_dtype)
            getattr(dde.config.real, f"set_float{saved_precision}")()
            dde.config.random_seed = saved_seed
            options.clear()
            options.update(saved_options)
            random.setstate(python_state)
            np.random.set_state(numpy_state)  # noqa: NPY002


# -- the translation ------------------------------------------------------------------------------------------
@dataclass
class DeepXDEProblem:
    """A spec translated into DeepXDE.

    Attributes
    ----------
    model : deepxde.Model
        On the translated data and a fresh ``dde.nn.FNN``; compiled for Adam at
        the learner's ``lr`` when it takes Adam steps.
    parts : list of str
        The loss terms in DeepXDE's order: ``residual``, then one per
        condition in ``conditions()`` order (``initial``, ``initial_velocity``,
        ``boundary``, ``boundary_1``..., ``periodic``...; the boundary names
        are the PINN's).
    points : dict of str to numpy.ndarray
        ``residual``: DeepXDE's ``train_x_all`` (where the residual is
        evaluated; it holds the sampled boundary and initial points too); per
        condition, its points (a periodic condition's points on either end).
    loss_weights : list of float
        One per part (``weights`` times ``beta**2`` for a Robin condition).
    """

    model: Any
    parts: list[str]
    points: dict[str, np.ndarray]
    loss_weights: list[float]


@dataclass(frozen=True)
class _Term:
    """One condition as a DeepXDE BC, its loss part's name and what weights it."""

    name: str
    bc: Any
    factor: float  # the loss weight that makes the term the PINN's (Robin: beta**2)
    values: Callable[[np.ndarray], np.ndarray] | None  # its data at points, checked at build time


class _Snap:
    """Coordinates of DeepXDE's points for the spec's functions: float64, snapped onto faces and vertex lines.

    DeepXDE samples in its precision (float32 by default): a face at ``x = 0.3``
    holds points at ``float32(0.3)``, ``1.2e-8`` away, which an
    ``OnPlane("x", 0.3)`` with its ``atol = 1e-9`` would not select. Within
    :data:`SNAP_ULPS` epsilons of a box face, a polygon's vertex coordinate or
    an end of the time interval a coordinate is moved onto it.
    """

    def __init__(self, equation: Equation, dtype: torch.dtype):
        domain = equation.domain
        planes: list[np.ndarray] = []
        for k, (lo, hi) in enumerate(domain.bounds):
            values = {float(lo), float(hi)}
            if k < domain.space.dim and isinstance(domain.space, Polygon):
                values |= {float(v[k]) for v in domain.space.vertices}
            planes.append(np.array(sorted(values)))
        self.names = domain.names
        self.planes = planes
        eps = float(torch.finfo(dtype).eps)
        self.tol = [SNAP_ULPS * eps * max(abs(float(lo)), abs(float(hi)), float(hi) - float(lo))
                    for lo, hi in domain.bounds]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = np.array(x, dtype=np.float64).reshape(-1, len(self.names))
        for k, planes in enumerate(self.planes):
            gap = np.abs(out[:, k, None] - planes[None, :])
            near = gap.argmin(axis=1)
            hit = gap[np.arange(len(out)), near] <= self.tol[k]
            out[hit, k] = planes[near[hit]]
        return out

    def coords(self, x: np.ndarray) -> dict[str, np.ndarray]:
        snapped = self(x)
        return {name: snapped[:, k] for k, name in enumerate(self.names)}


def derivative_keys(equation: Equation) -> tuple[str, ...]:
    """The spec's ``derivatives`` as canonical keys, each on coordinates the domain has."""
    names = equation.domain.names
    keys = tuple(dict.fromkeys(canonical_key(k) for k in equation.derivatives))
    for key in keys:
        missing = sorted(set(key) - set(names))
        if missing:
            raise SpecMismatchError(f"{equation.label}: derivative {key!r} is taken along {', '.join(missing)}, which "
                                    f"is not a coordinate of its domain ({', '.join(names)})")
    return keys


def residual_function(dde: Any, equation: Equation) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """DeepXDE's ``pde(x, y)``: the spec's own residual on a jet built by ``dde.grad``.

    First derivatives come from ``dde.grad.jacobian``, second ones from
    ``dde.grad.hessian``, higher ones by a Jacobian of the derivative one
    order below (``u_xxt`` is ``d/dt`` of ``u_xx``). Coordinates and jet
    entries are ``(n,)`` columns, as the PINN gives them; the residual
    comes back as DeepXDE's ``(n, 1)``.
    """
    names = equation.domain.names
    index = {name: k for k, name in enumerate(names)}
    keys = derivative_keys(equation)
    label = equation.label

    def pde(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        taken: dict[str, torch.Tensor] = {}

        def derivative(key: str) -> torch.Tensor:
            if key not in taken:
                if len(key) == 1:
                    taken[key] = dde.grad.jacobian(y, x, i=0, j=index[key])
                elif len(key) == 2:
                    taken[key] = dde.grad.hessian(y, x, component=0, i=index[key[0]], j=index[key[1]])
                else:
                    taken[key] = dde.grad.jacobian(derivative(key[:-1]), x, i=0, j=index[key[-1]])
            return taken[key]

        jet = Jet(y[:, 0], {key: derivative(key)[:, 0] for key in keys})
        r = equation.residual({name: x[:, k] for name, k in index.items()}, jet)
        return _column(r, y, f"{label}: the residual")

    return pde


def _column(value: Any, like: torch.Tensor, what: str) -> torch.Tensor:
    """``value`` (a number, ``(n,)`` or ``(n, 1)``) as an ``(n, 1)`` tensor like ``like``."""
    n = like.shape[0]
    if not isinstance(value, torch.Tensor):
        try:
            value = torch.as_tensor(np.asarray(value, dtype=float), dtype=like.dtype, device=like.device)
        except (TypeError, ValueError) as exc:
            raise SpecMismatchError(f"{what} returned {type(value).__name__}, not one value per point "
                                    f"({exc})") from None
    if value.ndim == 0 or tuple(value.shape) in ((n,), (n, 1)):
        return torch.broadcast_to(value.reshape(-1, 1) if value.ndim else value, (n, 1))
    raise SpecMismatchError(f"{what} returned shape {tuple(value.shape)} for {n} points; one value per point is needed")


def _describe(condition: object) -> str:
    where = getattr(condition, "where", None)
    return type(condition).__name__ + ("" if where is None else f" where {where!r}")


def _data(values: Callable[[Any], Any], snap: _Snap, what: str) -> Callable[[np.ndarray], np.ndarray]:
    """A condition's data as DeepXDE's ``func(X) -> (n, 1)``, on snapped float64 coordinates, checked."""

    def func(x: np.ndarray) -> np.ndarray:
        n = len(x)
        try:
            v = np.asarray(values(snap.coords(x)), dtype=float)
            return np.broadcast_to(v.reshape(-1) if v.ndim else v, (n,)).reshape(n, 1).copy()  # writable for torch
        except ToolkitError:
            raise
        except Exception as exc:  # a user's function: say which condition failed, not where in DeepXDE
            raise InvalidParameterError(f"{what} failed on {n} of DeepXDE's points: {type(exc).__name__}: "
                                        f"{exc}") from None

    return func


def _mask(where: Where, coords: Mapping[str, np.ndarray], what: str) -> bool:
    """``where`` at one point (coords of one-element arrays), checked to be one boolean."""
    try:
        m = np.asarray(where(coords), dtype=np.bool_).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"{what}: its 'where' must return one boolean per boundary point: {exc}") from None
    if m.size != 1:
        raise InvalidParameterError(f"{what}: its 'where' returned {m.size} values for one boundary point")
    return bool(m[0])


def _on_part(where: Where | None, dirichlet: Sequence[Where | None], snap: _Snap,
             what: str) -> Callable[[np.ndarray, bool], bool]:
    """DeepXDE's per-point ``on_boundary(x, on)``: on the boundary, in ``where``, in no Dirichlet part."""

    def on_boundary(x: np.ndarray, on: bool) -> bool:
        if not on:
            return False
        coords = snap.coords(x)
        if where is not None and not _mask(where, coords, what):
            return False
        return not any(other is None or _mask(other, coords, what) for other in dirichlet)

    return on_boundary


def _normals(dde: Any, equation: Equation, snap: _Snap) -> Any:
    """The toolkit geometry's outward normals in DeepXDE's ``boundary_normal(X, beg, end, aux)`` form."""
    space, timed = equation.domain.space, equation.domain.time is not None

    def normals(x: np.ndarray) -> np.ndarray:
        n = space.normals(snap(x)[:, : space.dim])
        return np.column_stack([n, np.zeros(len(n))]) if timed else n

    boundary_conditions = dde.icbc.boundary_conditions
    return boundary_conditions.npfunc_range_autocache(dde.utils.return_tensor(normals))


def _at_start(t0: float, tol: float) -> Callable[[np.ndarray, bool], bool]:
    return lambda x, _on: bool(abs(float(x[-1]) - t0) <= tol)


def condition_terms(dde: Any, equation: Equation, geom: Any, snap: _Snap) -> list[_Term]:
    """Every condition of the spec as a DeepXDE BC (see the module docstring), in ``conditions()`` order."""
    label, domain = equation.label, equation.domain
    conditions = tuple(equation.conditions())
    dirichlet = [c.where for c in conditions if isinstance(c, DirichletCondition)]
    counts: dict[str, int] = {}

    def name_of(kind: str) -> str:
        k = counts.get(kind, 0)
        counts[kind] = k + 1
        return kind if k == 0 else f"{kind}_{k}"

    terms: list[_Term] = []
    for cond in conditions:
        if isinstance(cond, (InitialCondition, InitialVelocityCondition)):
            if domain.time is None:
                raise SpecMismatchError(f"{label}: {type(cond).__name__} without a time interval")
            t_index, t0 = len(domain.names) - 1, float(domain.time.start)
            if isinstance(cond, InitialCondition):
                name = name_of("initial")
                values = _data(cond.value, snap, f"{label}: the value of {_describe(cond)} ({name})")
                bc = dde.icbc.IC(geom, values, lambda _, on_initial: on_initial)
            else:
                name = name_of("initial_velocity")
                values = _data(cond.value, snap, f"{label}: the value of {_describe(cond)} ({name})")
                bc = dde.icbc.OperatorBC(geom, _velocity_error(dde, values, t_index),
                                         _at_start(t0, snap.tol[t_index]))
            terms.append(_Term(name, bc, 1.0, values))
        elif isinstance(cond, (DirichletCondition, NeumannCondition, RobinCondition)):
            name = name_of("boundary")
            what = f"{label}: boundary set {name!r} ({_describe(cond)})"
            values = _data(cond.value, snap, f"{label}: the value of {_describe(cond)} ({name})")
            if isinstance(cond, DirichletCondition):
                bc = dde.icbc.DirichletBC(geom, values, _on_part(cond.where, (), snap, what))
                factor = 1.0
            else:
                on = _on_part(cond.where, dirichlet, snap, what)
                if isinstance(cond, NeumannCondition):
                    bc, factor = dde.icbc.NeumannBC(geom, values, on), 1.0
                else:  # alpha u + beta du/dn = g  <=>  du/dn = (g - alpha u) / beta; beta^2 restores the scale
                    bc = dde.icbc.RobinBC(geom, _robin_flux(values, float(cond.alpha), float(cond.beta)), on)
                    factor = float(cond.beta) ** 2
                bc.boundary_normal = _normals(dde, equation, snap)
            terms.append(_Term(name, bc, factor, values))
        elif isinstance(cond, PeriodicCondition):
            space = domain.space
            if cond.axis not in space.names or not isinstance(space, Box):
                raise SpecMismatchError(f"{label}: PeriodicCondition({cond.axis!r}) needs a spatial axis of a box; the "
                                        f"domain is a {type(space).__name__} on {', '.join(space.names)}")
            k = space.names.index(cond.axis)
            lo, hi, tol = float(space.lower[k]), float(space.upper[k]), snap.tol[k]

            def ends(x: np.ndarray, on: bool, k: int = k, lo: float = lo, hi: float = hi, tol: float = tol) -> bool:
                return bool(on) and (abs(float(x[k]) - lo) <= tol or abs(float(x[k]) - hi) <= tol)

            terms.append(_Term(name_of("periodic"), dde.icbc.PeriodicBC(geom, k, ends, derivative_order=0), 1.0, None))
        else:
            raise SpecMismatchError(f"{label}: DeepXDE has no counterpart of the condition {type(cond).__name__} "
                                    "(it takes initial, initial-velocity, Dirichlet, Neumann, Robin and periodic ones)")
    return terms


def _robin_flux(values: Callable[[np.ndarray], np.ndarray], alpha: float,
                beta: float) -> Callable[[np.ndarray, torch.Tensor], torch.Tensor]:
    """DeepXDE's Robin ``f(x, u)`` with ``du/dn = f``: ``(g - alpha u) / beta``; ``g`` kept for the last points."""
    kept: dict[str, Any] = {"key": None}

    def flux(x: np.ndarray, y: torch.Tensor) -> torch.Tensor:
        key = (x.shape, x.tobytes())  # the same boundary points every step: evaluate g once
        if kept["key"] != key or kept["g"].device != y.device or kept["g"].dtype != y.dtype:
            kept.update(key=key, g=torch.as_tensor(values(x), dtype=y.dtype, device=y.device))
        return (kept["g"] - alpha * y) / beta

    return flux


def _velocity_error(dde: Any, values: Callable[[np.ndarray], np.ndarray],
                    t_index: int) -> Callable[[torch.Tensor, torch.Tensor, np.ndarray], torch.Tensor]:
    """DeepXDE's ``OperatorBC`` function for ``u_t = v`` (DeepXDE slices the initial rows from it)."""
    kept: dict[str, Any] = {"x": None}

    def error(inputs: torch.Tensor, outputs: torch.Tensor, x: np.ndarray) -> torch.Tensor:
        if kept["x"] is not x or kept["v"].dtype != outputs.dtype:  # the same training array every step
            kept.update(x=x, v=torch.as_tensor(values(x), dtype=outputs.dtype, device=outputs.device))
        return dde.grad.jacobian(outputs, inputs, i=0, j=t_index) - kept["v"]

    return error


def geometry(dde: Any, equation: Equation) -> Any:
    """The DeepXDE geometry of the spec's domain (see the module docstring); refuses others by name."""
    space, interval = equation.domain.space, equation.domain.time
    geo = dde.geometry
    if type(space) is Box:  # a subclass may change what is inside: DeepXDE would not know
        lo, hi = [float(v) for v in space.lower], [float(v) for v in space.upper]
        shapes = {1: lambda: geo.Interval(lo[0], hi[0]), 2: lambda: geo.Rectangle(lo, hi),
                  3: lambda: geo.Cuboid(lo, hi)}
        geom = shapes.get(space.dim, lambda: geo.Hypercube(lo, hi))()
    elif type(space) is Polygon:
        v = np.asarray(space.vertices, dtype=float)
        try:
            if len(v) == 3:
                geom = geo.Triangle(*v)
            elif geo.Rectangle.is_valid(v):  # DeepXDE's Polygon refuses axis-aligned rectangles
                geom = geo.Rectangle(v.min(axis=0), v.max(axis=0))
            else:
                geom = geo.Polygon(v)
        except (ValueError, ZeroDivisionError) as exc:
            raise SpecMismatchError(f"{equation.label}: DeepXDE refuses its polygon ({exc})") from None
    else:
        raise SpecMismatchError(f"{equation.label}: DeepXDE has no geometry for a {type(space).__name__} (the deepxde "
                                "learner translates a Box or a Polygon)")
    if interval is None:
        return geom
    return geo.GeometryXTime(geom, geo.TimeDomain(float(interval.start), float(interval.stop)))


# -- the learner ----------------------------------------------------------------------------------------------
COMPILE = Constraint(lambda v: v is False or v == "auto",
                     "False or 'auto' (DeepXDE's PyTorch loop runs eagerly; 'auto' never compiles)")


class DeepXDELearner(FieldLearner):
    """DeepXDE (PyTorch backend) on a toolkit spec: the translation of the module docstring, DeepXDE's own loop.

    The defaults are DeepXDE's standard Burgers setup (the peer of the PINN
    benchmark): a 3 x 20 tanh network initialised Glorot normal, 2540
    domain, 80 boundary and 160 initial Hammersley points, 15000 Adam steps
    at 1e-3, then DeepXDE's L-BFGS (up to 15000 iterations), in float32.
    Training is ``model.compile("adam", lr)``, ``model.train(iterations)``,
    then ``model.compile("L-BFGS")``, ``model.train()``.

    Parameters
    ----------
    hidden : sequence of int
        Hidden layer widths of DeepXDE's ``FNN``.
    activation : str
        One of :data:`ACTIVATIONS`.
    initializer : str
        One of :data:`INITIALIZERS` (DeepXDE's names).
    num_domain, num_boundary, num_initial : int
        DeepXDE's point counts: inside the domain, on its boundary (shared by
        every boundary condition, each keeping the points its ``where``
        selects), at the initial time (evolution specs only).
    train_distribution : str
        How DeepXDE samples them, one of :data:`DISTRIBUTIONS`.
    adam_steps, lr : int, float
        Adam steps and learning rate (constant, DeepXDE's default).
    lbfgs_iter : int
        L-BFGS iterations at most (0: none). DeepXDE's L-BFGS runs in the
        network's precision and stops at its own tolerances.
    weights : mapping, optional
        Loss weight per part (:attr:`DeepXDEProblem.parts`; default 1).
    record_every : int
        Adam steps between the losses DeepXDE evaluates and ``history_``
        records (DeepXDE's ``display_every``).
    compile : False or "auto"
        Accepted for the field learners' common settings; DeepXDE's PyTorch
        loop is not compiled, so ``True`` is refused.
    seed : int
        Seeds DeepXDE (``dde.config.set_random_seed``): the points and the
        initial weights. Two fits with one seed on the CPU predict identically.
    device, dtype
        Where and in which precision DeepXDE builds and trains.
    progress : bool
        DeepXDE's own printed loss table.

    Attributes
    ----------
    net_ : torch.nn.Module
        The trained DeepXDE ``FNN``.
    model_ : deepxde.Model or None
        The DeepXDE model after ``fit`` (None for a loaded learner).
    parts_ : list of str
        The loss parts, in DeepXDE's order.
    points_ : dict of str to numpy.ndarray
        The training points by set (:attr:`DeepXDEProblem.points`; empty for a loaded learner).
    """

    name = "deepxde"
    fits_systems: ClassVar[bool] = False
    net_: torch.nn.Module
    model_: Any
    points_: dict[str, np.ndarray]
    parts_: list[str]
    # about a minute of DeepXDE's Burgers on 2 cores (~210 Adam steps/s, ~190 L-BFGS iterations/s; not benchmarked)
    budgets: ClassVar[dict[str, dict[str, Any]]] = {"quick": {"adam_steps": 5000, "lbfgs_iter": 5000}}
    _constraints: ClassVar[dict[str, Constraint]] = {
        "hidden": WIDTHS, "activation": choice(*ACTIVATIONS), "initializer": choice(*INITIALIZERS),
        "num_domain": POSITIVE_COUNT, "num_boundary": COUNT, "num_initial": COUNT,
        "train_distribution": choice(*DISTRIBUTIONS), "adam_steps": COUNT, "lr": POSITIVE, "lbfgs_iter": COUNT,
        "weights": optional(mapping_of(NON_NEGATIVE)), "record_every": POSITIVE_COUNT, "compile": COMPILE,
        "seed": SEED, "device": DEVICE, "dtype": DTYPE, "progress": BOOLEAN,
    }

    def __init__(
        self,
        hidden: Sequence[int] = (20, 20, 20),
        activation: str = "tanh",
        initializer: str = "Glorot normal",
        num_domain: int = 2540,
        num_boundary: int = 80,
        num_initial: int = 160,
        train_distribution: str = "Hammersley",
        adam_steps: int = 15000,
        lr: float = 1e-3,
        lbfgs_iter: int = 15000,
        weights: Mapping[str, float] | None = None,
        record_every: int = 100,
        compile: bool | str = False,
        seed: int = 0,
        device: str = "cpu",
        dtype: str = "float32",
        progress: bool = False,
    ):
        self.hidden = hidden
        self.activation = activation
        self.initializer = initializer
        self.num_domain = num_domain
        self.num_boundary = num_boundary
        self.num_initial = num_initial
        self.train_distribution = train_distribution
        self.adam_steps = adam_steps
        self.lr = lr
        self.lbfgs_iter = lbfgs_iter
        self.weights = weights
        self.record_every = record_every
        self.compile = compile
        self.seed = seed
        self.device = device
        self.dtype = dtype
        self.progress = progress

    # -- sizes --------------------------------------------------------------------------------------------------
    def _widths(self, equation: Equation) -> list[int]:
        return [len(equation.domain.names), *(int(w) for w in self.hidden), 1]

    def _network_size(self, equation: Equation) -> NetworkSize:
        widths = self._widths(equation)
        weights = sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))
        return NetworkSize(weights, 0, sum(widths))

    def _points_per_step(self) -> int:
        # DeepXDE evaluates the residual on the boundary and initial points too, and the conditions again there
        return int(self.num_domain) + 2 * (int(self.num_boundary) + int(self.num_initial))

    def _check_size(self, equation: Equation) -> None:
        check_network(f"training the {self.name} network for {equation.label}", self._network_size(equation),
                      self.dtype, training=True, points=self._points_per_step())

    # -- DeepXDE ------------------------------------------------------------------------------------------------
    def session(self, dde: Any | None = None) -> contextlib.AbstractContextManager[None]:
        """DeepXDE's globals for this learner's seed, device and dtype, restored on exit (:func:`deepxde_session`).

        :meth:`build_model` and :meth:`fit` run in one; train a model from
        :meth:`build_model` in one too when its dtype or device is not the
        process default.
        """
        dde = dde if dde is not None else import_deepxde()
        return deepxde_session(dde, int(self.seed), resolve_device(self.device), resolve_dtype(self.dtype))

    def build_model(self, equation: Equation) -> DeepXDEProblem:
        """The spec translated into a DeepXDE model, compiled for Adam, with its points: nothing is trained.

        Seeded as :meth:`fit` is: the same seed gives the same points and initial weights.

        Raises
        ------
        SpecMismatchError
            DeepXDE cannot express the spec (named in the message).
        InvalidParameterError
            A setting is bad, or a condition's ``where`` or value misbehaves or selects no point.
        """
        self._check_fit(equation)
        dde = import_deepxde()
        with self.session(dde):
            return self._build(dde, equation)

    def _build(self, dde: Any, equation: Equation) -> DeepXDEProblem:
        label = equation.label
        geom = geometry(dde, equation)
        pde = residual_function(dde, equation)
        snap = _Snap(equation, resolve_dtype(self.dtype))
        terms = condition_terms(dde, equation, geom, snap)
        bcs = [t.bc for t in terms]
        common = dict(num_domain=int(self.num_domain), num_boundary=int(self.num_boundary),
                      train_distribution=self.train_distribution)
        with warnings.catch_warnings():  # DeepXDE 1.15's Polygon calls np.cross on 2D vectors, deprecated in NumPy 2
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"deepxde\.")
            if equation.domain.time is None:
                data = dde.data.PDE(geom, pde, bcs, **common)
            else:
                data = dde.data.TimePDE(geom, pde, bcs, num_initial=int(self.num_initial), **common)
        # DeepXDE's Polygon samples its boundary in float64 whatever its precision, and the stacked training arrays
        # follow: cast them to the network's precision (the test set is the training set, one array)
        real = dde.config.real(np)
        data.train_x_all, data.train_x_bc = data.train_x_all.astype(real), data.train_x_bc.astype(real)
        data.train_x = data.test_x = data.train_x.astype(real)
        points = {"residual": np.asarray(data.train_x_all, dtype=float)}
        starts = np.cumsum([0, *data.num_bcs])
        for term, begin, end in zip(terms, starts[:-1], starts[1:]):
            x = np.asarray(data.train_x_bc[begin:end], dtype=float)
            if len(x) == 0:
                counts = (f"num_boundary={self.num_boundary}" if "boundary" in term.name or "periodic" in term.name
                          else f"num_initial={self.num_initial}")
                raise InvalidParameterError(
                    f"{label}: the condition of loss part {term.name!r} gets none of DeepXDE's {counts} points; "
                    "check its 'where' (e.g. OnPlane's axis and value) against the domain, or raise the count")
            if term.values is not None:
                term.values(x)  # a condition's data that fails does so here, not inside DeepXDE's training step
            points[term.name] = x
        parts = ["residual", *(t.name for t in terms)]
        loss_weights = self._loss_weights(label, parts, [1.0, *(t.factor for t in terms)])
        net = self._network(dde, equation)
        self._probe(dde, equation, pde, net, data.train_x_all)
        model = dde.Model(data, net)
        if self.adam_steps:
            self._compile(model, "adam", lr=float(self.lr), loss_weights=loss_weights)
        return DeepXDEProblem(model, parts, points, loss_weights)

    def _network(self, dde: Any, equation: Equation) -> torch.nn.Module:
        """DeepXDE's ``FNN`` for the spec, initialised on the CPU from the seeded generator, then moved.

        Initialised on a GPU it would draw from that device's generator: the
        same seed would give other weights there than on the CPU.
        """
        with torch.device("cpu"):
            net = dde.nn.FNN(self._widths(equation), self.activation, self.initializer)
        return net.to(resolve_device(self.device))

    def _loss_weights(self, label: str, parts: list[str], factors: list[float]) -> list[float]:
        given = dict(self.weights or {})
        unknown = sorted(set(given) - set(parts))
        if unknown:
            raise InvalidParameterError(f"deepxde: weights name {', '.join(map(repr, unknown))}, not a loss part of "
                                        f"{label} ({', '.join(parts)})")
        return [float(given.get(part, 1.0)) * factor for part, factor in zip(parts, factors)]

    @staticmethod
    def _probe(dde: Any, equation: Equation, pde: Callable[..., torch.Tensor], net: torch.nn.Module,
               points: np.ndarray) -> None:
        """Evaluate the residual on a few training points, so a residual DeepXDE cannot run is refused now."""
        x = torch.as_tensor(np.asarray(points[:8]), dtype=next(net.parameters()).dtype).requires_grad_()
        try:
            r = pde(x, net(x))
        except ToolkitError:
            raise
        except KeyError as exc:  # the Jet names what was asked and what there is
            raise SpecMismatchError(f"{equation.label}: its residual reads a derivative its `derivatives` do not list "
                                    f"({exc.args[0] if exc.args else exc})") from None
        except Exception as exc:
            raise SpecMismatchError(f"{equation.label}: its residual cannot be evaluated on DeepXDE's torch tensors "
                                    f"({type(exc).__name__}: {exc})") from None
        finally:
            dde.grad.clear()
        del r

    def _compile(self, model: Any, optimizer: str, **options: Any) -> None:
        if "verbose" in inspect.signature(model.compile).parameters:  # DeepXDE >= 1.11 prints unless told
            options["verbose"] = int(self.progress)
        model.compile(optimizer, **options)

    # -- fitting ------------------------------------------------------------------------------------------------
    def fit(self, equation: Equation, points: Mapping[str, np.ndarray] | None = None,
            callbacks: Sequence[Callback] = ()) -> DeepXDELearner:
        """Translate ``equation`` (:meth:`build_model`), train with DeepXDE's loop, keep the network.

        ``points`` and ``callbacks`` (of the toolkit's trainer) are refused:
        DeepXDE samples its own points and runs its own loop.

        Raises
        ------
        SpecMismatchError, InvalidParameterError
            As :meth:`build_model`.
        TrainingDivergedError
            DeepXDE's loss became non-finite (it stops there).
        """
        if points is not None or callbacks:
            raise InvalidParameterError("the deepxde learner samples its own points and runs DeepXDE's loop: fixed "
                                        "points and the toolkit's callbacks are not supported")
        self._check_fit(equation)
        dde = import_deepxde()
        history = History()
        with self.session(dde):
            problem = self._build(dde, equation)
            model = problem.model
            t0 = time.perf_counter()  # training only, as the other learners' fit_time_
            verbose = int(self.progress)
            if self.adam_steps:
                clock = _clock(dde)
                model.train(iterations=int(self.adam_steps), display_every=int(self.record_every),
                            callbacks=[clock], verbose=verbose)
                history.stages.append(clock.stage("Adam", int(model.train_state.step), "budget"))
                self._check_finite(model, "Adam")
            if self.lbfgs_iter:
                _lbfgs_options(dde, int(self.lbfgs_iter))
                self._compile(model, "L-BFGS", loss_weights=problem.loss_weights)
                clock = _clock(dde, lbfgs_cap=int(self.lbfgs_iter))
                model.train(callbacks=[clock], verbose=verbose)
                # torch's own count: DeepXDE takes a call of one iteration for convergence and leaves it out
                steps = int(model.opt.state_dict()["state"].get(0, {}).get("n_iter", 0))
                stop = "budget" if steps >= int(self.lbfgs_iter) else LBFGS_EARLY_STOP
                history.stages.append(clock.stage("LBFGS", steps, stop, single=False))
                self._check_finite(model, "L-BFGS")
        for step, loss in zip(model.losshistory.steps, model.losshistory.loss_train):
            if history.step and history.step[-1] == int(step):  # each stage starts by evaluating the same step
                continue
            values = [float(v) for v in np.asarray(loss).reshape(-1)]
            history.record(int(step), float(sum(values)), dict(zip(problem.parts, values)))
        self._set_fitted_net(equation, model.net, problem.parts, history, time.perf_counter() - t0)
        self.model_, self.points_ = model, problem.points
        return self

    @staticmethod
    def _check_finite(model: Any, stage: str) -> None:
        loss = np.asarray(model.train_state.loss_train, dtype=float)
        if not np.isfinite(loss).all():
            raise TrainingDivergedError(f"deepxde: the loss became {loss.sum()} by step {model.train_state.step} "
                                        f"({stage} stage), where DeepXDE stopped. Try a smaller lr or float64.")

    def _set_fitted_net(self, equation: Equation, net: torch.nn.Module, parts: list[str], history: History,
                        seconds: float) -> None:
        net.eval()
        self.equation_ = equation
        self.net_ = net
        self.parts_ = list(parts)
        self.model_ = None
        self.points_ = {}
        self._set_contract(history, seconds, sum(p.numel() for p in net.parameters()))

    def _is_fitted(self) -> bool:
        return hasattr(self, "net_")

    # -- prediction -----------------------------------------------------------------------------------------------
    def predict(self, points: np.ndarray, batch_size: int = 65536) -> np.ndarray:
        """The solution at ``points`` (shape ``(n, d)``, in ``equation.domain.names`` order): ``(n,)`` values."""
        x = self._checked_points(points)
        first = next(self.net_.parameters())
        out = []
        with torch.no_grad():
            for k in range(0, len(x), batch_size):
                xt = torch.as_tensor(x[k : k + batch_size], dtype=first.dtype, device=first.device)
                out.append(self.net_(xt)[:, 0].double().cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0)

    # -- persistence ----------------------------------------------------------------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        fitted = {"equation": {"name": self.equation_.name, "parameters": self.equation_.parameters()},
                  "dtype": dtype_name(next(self.net_.parameters()).dtype), "parts": self.parts_}
        return fitted, dict(self.net_.state_dict())

    def _saved_size(self, fitted: dict[str, Any]) -> NetworkSize:
        return self._network_size(_saved_equation(fitted))

    def _restore(self, fitted: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        equation = _saved_equation(fitted)
        dde = import_deepxde()
        with self.session(dde):  # a fresh FNN of the saved shape (its random init is overwritten)
            net = self._network(dde, equation)
        targets = dict(net.state_dict())
        extra = sorted(set(tensors) - set(targets))
        if extra:
            raise InvalidDataError(f"the weights file has tensors a DeepXDE FNN of this config lacks: "
                                   f"{', '.join(extra)}")
        copy_tensors(targets, tensors)
        self._set_fitted_net(equation, net, list(fitted.get("parts", ["residual"])), History(), 0.0)


def _lbfgs_options(dde: Any, iterations: int) -> None:
    """DeepXDE's L-BFGS options for ``iterations`` iterations in equal calls.

    DeepXDE runs L-BFGS in calls of ``iter_per_step`` iterations until
    ``maxiter`` is reached, but sets ``iter_per_step`` only when it is
    imported (``min(1000, 15000)``): a later ``set_LBFGS_options(maxiter=50)``
    still runs 1000. Here the calls are equal chunks of at most
    :data:`LBFGS_CHUNK` (15000 gives DeepXDE's own 15 x 1000); the clock's
    ``lbfgs_cap`` shortens the last call so that the total never passes
    ``iterations`` (a call that runs out of function evaluations first would
    otherwise be followed by a full one).
    """
    dde.optimizers.config.set_LBFGS_options(maxiter=iterations)
    options = dde.optimizers.config.LBFGS_options
    chunk = math.ceil(iterations / math.ceil(iterations / LBFGS_CHUNK))
    options["iter_per_step"] = chunk
    options["fun_per_step"] = options["maxfun"] * chunk // options["maxiter"]


def _clock(dde: Any, lbfgs_cap: int | None = None) -> Any:
    """A DeepXDE callback timing one ``model.train``: its first step apart from the steady ones.

    With ``lbfgs_cap``, before each L-BFGS call it lowers torch's per-call
    ``max_iter`` (and ``max_eval``, DeepXDE's 1.25 per iteration) to the
    iterations left of the cap.
    """

    class Clock(dde.callbacks.Callback):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.start = self.first = self.end = math.nan
            self.step0 = 0

        def on_train_begin(self) -> None:
            self.start = time.perf_counter()
            self.step0 = int(self.model.train_state.step)

        def on_batch_begin(self) -> None:
            if lbfgs_cap is not None:
                left = lbfgs_cap - (int(self.model.train_state.step) - self.step0)
                for group in self.model.opt.param_groups:
                    group["max_iter"] = max(1, min(group["max_iter"], left))
                    group["max_eval"] = max(1, min(group["max_eval"], group["max_iter"] * 5 // 4))

        def on_batch_end(self) -> None:
            if math.isnan(self.first):
                self.first = time.perf_counter()

        def on_train_end(self) -> None:
            self.end = time.perf_counter()

        def stage(self, name: str, steps: int, stop: str, single: bool = True) -> dict[str, Any]:
            """The stage's record as the toolkit's trainer writes it.

            ``single``: a DeepXDE batch is one step (Adam). Its L-BFGS batches
            are chunks of up to :data:`LBFGS_CHUNK` iterations, so neither
            the first iteration nor the steady rate is seen (NaN).
            """
            seconds = self.end - self.start
            first = self.first - self.start if single else math.nan
            steady = (steps - 1) / (self.end - self.first) if single and steps > 1 else math.nan
            return {"stage": name, "steps": steps, "seconds": seconds,
                    "steps_per_second": steps / seconds if seconds > 0 else math.nan,
                    "first_step_seconds": first, "steady_steps_per_second": steady, "stop": stop}

    return Clock()
