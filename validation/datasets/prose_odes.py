r"""PROSE dataset: trajectories of random ODE systems and their right-hand sides as tokens.

Each sample is one member of an ODE system family
(:mod:`equations.ode_systems`): the family is drawn uniformly among the
enabled ones, then its parameters (training or extrapolation ranges) and its
initial state, all from the sample's own generator
(``numpy.random.default_rng([seed, i])``). Its right-hand side, constants
rounded to 3 significant digits, is stored as token ids
(:func:`equations.symbolic.encode_ids`: ``<bos> ... <eos>`` padded with
``<pad>`` = 0 to ``max_tokens``); the trajectory is **that token sequence
decoded** by the toolkit's grammar and integrated by
:func:`solvers.ode_systems.trajectory` (DOP853, ``rtol = atol = rtol``), so
the stored equation is exactly the one that made the data.

Layout (the dataset machinery's two variables; :func:`unpack` names the parts):

* ``input`` (dims ``sample, feature``): everything drawn, as float64
  (integers exactly): ``family`` (index in :data:`FAMILY_ORDER`, fixed
  whatever the enabled subset), ``dim``, ``n_parameters``, ``parameter_1..4``
  (zero-padded, as drawn, unrounded), ``initial_1..3`` (zero-padded),
  ``n_tokens``, ``token_00..`` (the ids).
* ``output`` (dims ``sample, t, component``): the state at ``input_points``
  uniform times on ``[0, t_split]`` (the observed window, both ends) followed
  by ``resolution`` uniform times on ``(t_split, t_final]`` (the prediction
  window); components beyond the system's dimension are zero.

Defaults follow PROSE: 64 + 64 times, ``[0, 2]`` observed, ``(2, 6]``
predicted; every family enabled, training ranges. ``extrapolate=True`` draws
every parameter up to ``spread`` training widths beyond its range
(:class:`equations.ode_systems.OdeSystemFamily`); the draw's distance is in
:func:`unpack`'s ``distance``. 1000 samples take about 10 s on one core.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
import xarray as xr

from equations.errors import InvalidDataError, InvalidParameterError
from equations.ode_systems import HORIZON, MAX_PARAMETERS, ODE_SYSTEMS, OdeSystemFamily
from equations.symbolic import MAX_DIM, VOCABULARY, System, decode_ids, encode, encode_ids
from validation.datasets.registry import DATASETS, Coords, DatasetSpec, Field, coord

#: every family of the dataset, in the order that gives its index (never reordered: append new ones)
FAMILY_ORDER = ("logistic", "lotka_volterra", "damped_oscillator", "van_der_pol", "duffing", "damped_pendulum",
                "fitzhugh_nagumo", "lorenz")

DEFAULTS: dict[str, Any] = {
    "input_points": 64,
    "t_split": 2.0,
    "t_final": 6.0,
    "max_tokens": 64,
    "extrapolate": False,
    "spread": 0.5,
    "rtol": 1e-9,
    **{name: True for name in FAMILY_ORDER},
}

_HEAD = ("family", "dim", "n_parameters", *(f"parameter_{k + 1}" for k in range(MAX_PARAMETERS)),
         *(f"initial_{k + 1}" for k in range(MAX_DIM)), "n_tokens")
_TOKENS = len(_HEAD)  # where the token ids start in a feature vector
COMPONENTS = tuple(f"u_{k + 1}" for k in range(MAX_DIM))


def feature_names(max_tokens: int) -> np.ndarray:
    """Names along the ``feature`` dim for ``max_tokens`` token slots."""
    return np.array([*_HEAD, *(f"token_{j:03d}" for j in range(max_tokens))])


def _check(params: Mapping[str, Any]) -> list[str]:
    """The enabled families; :class:`InvalidParameterError` for inconsistent windows, tolerance or families."""
    if not params["t_split"] < params["t_final"] <= HORIZON:
        raise InvalidParameterError(f"prose_odes: need 0 < t_split < t_final <= {HORIZON} (the horizon the "
                                    f"families were checked on), got t_split = {params['t_split']}, t_final = "
                                    f"{params['t_final']}")
    if not params["rtol"] < 1:
        raise InvalidParameterError(f"prose_odes: rtol must be in (0, 1), got {params['rtol']}")
    enabled = [name for name in FAMILY_ORDER if params[name]]
    if not enabled:
        raise InvalidParameterError(f"prose_odes: every family is disabled; enable one of {', '.join(FAMILY_ORDER)}")
    need = max(token_length(name) for name in enabled)
    if params["max_tokens"] < need:
        raise InvalidParameterError(f"prose_odes: max_tokens must be >= {need} (the longest right-hand side of the "
                                    f"enabled families, with <bos> and <eos>), got {params['max_tokens']}")
    return enabled


@cache
def token_length(name: str) -> int:
    """Tokens (with ``<bos>`` and ``<eos>``) of family ``name``'s right-hand side: the same for every draw.

    Every number takes 5 tokens and a family's tree has one shape, so the
    length is that of any member (here the one at the middle of the ranges).
    """
    fam = ODE_SYSTEMS.create(name)
    return len(encode(fam.system(fam.bounds().mean(axis=1)))) + 2


def times(resolution: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Observed times, ``input_points`` on ``[0, t_split]``, and predicted, ``resolution`` on ``(t_split, t_final]``."""
    t_split, t_final = params["t_split"], params["t_final"]
    observed = np.linspace(0.0, t_split, params["input_points"])
    predicted = t_split + (t_final - t_split) * np.arange(1, resolution + 1) / resolution
    return observed, predicted


def _coords(resolution: int, params: Mapping[str, Any]) -> Coords:
    _check(params)
    return {
        "feature": (feature_names(params["max_tokens"]), {"long_name": "drawn quantity (see the dataset module)"}),
        "t": coord(np.concatenate(times(resolution, params)), "time"),
        "component": (np.array(COMPONENTS), {"long_name": "state component (zero beyond the system's dimension)"}),
    }


def family(name: str, params: Mapping[str, Any]) -> OdeSystemFamily:
    """The family ``name`` drawing in the dataset's mode (``extrapolate``, ``spread``)."""
    return ODE_SYSTEMS.create(name, extrapolate=params["extrapolate"], spread=params["spread"])  # type: ignore[no-any-return]


def draw(rng: np.random.Generator, resolution: int, params: Mapping[str, Any]) -> np.ndarray:
    """One sample's feature vector: family, then parameters and initial state, then the tokens."""
    enabled = _check(params)
    name = enabled[int(rng.integers(len(enabled)))]
    member = family(name, params).sample(rng)
    ids, length = encode_ids(member.system, params["max_tokens"])
    out = np.zeros(_TOKENS + params["max_tokens"])
    out[0], out[1], out[2] = FAMILY_ORDER.index(name), member.system.dim, member.parameters.size
    out[3: 3 + member.parameters.size] = member.parameters
    out[3 + MAX_PARAMETERS: 3 + MAX_PARAMETERS + member.system.dim] = member.initial
    out[_TOKENS - 1] = length
    out[_TOKENS:] = ids
    return out


def _as_int(values: np.ndarray, what: str) -> np.ndarray:
    ints = np.rint(values)
    if not np.array_equal(ints, values):
        raise InvalidDataError(f"prose_odes: {what} must be integers, got {values!r}")
    return ints.astype(np.int64)


def system_of(features: np.ndarray) -> System:
    """The system a feature vector's tokens state (parsed by the grammar: a typed error if malformed)."""
    n_tokens = int(_as_int(features[_TOKENS - 1: _TOKENS], "n_tokens")[0])
    ids = _as_int(features[_TOKENS:], "token ids")
    if not 0 < n_tokens <= ids.size:
        raise InvalidDataError(f"prose_odes: n_tokens = {n_tokens} outside 1..{ids.size}")
    return decode_ids(ids[:n_tokens], dim=int(_as_int(features[1:2], "dim")[0]))


def solve(draws: np.ndarray, resolution: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """``(features, trajectories)``: each sample's tokens decoded and integrated on its own (DOP853)."""
    from solvers.ode_systems import trajectory  # here: the solver loads on first use, not when datasets are listed

    _check(params)
    t = np.concatenate(times(resolution, params))
    draws = np.asarray(draws, dtype=np.float64)
    out = np.zeros((len(draws), t.size, MAX_DIM))
    for i, features in enumerate(draws):
        system = system_of(features)
        initial = features[3 + MAX_PARAMETERS: 3 + MAX_PARAMETERS + system.dim]
        out[i, :, : system.dim] = trajectory(system, initial, t, rtol=params["rtol"], atol=params["rtol"])
    return draws, out


SPEC = DatasetSpec(
    name="prose_odes",
    title="PROSE ODE systems: trajectories on [0, t_split] and (t_split, t_final] with their right-hand sides as "
          "prefix tokens",
    solver="solvers.ode_systems.trajectory (DOP853 on the decoded tokens, one sample at a time)",
    input=Field(("feature",), "family, parameters, initial state and token ids of the right-hand side"),
    output=Field(("t", "component"), "state trajectory u(t)"),
    default_resolution=64,
    defaults=DEFAULTS,
    coords=_coords,
    draw=draw,
    solve=solve,
    positive=("t_split", "t_final", "spread", "rtol"),
    int_minimum={"input_points": 2, "max_tokens": 8},
    min_resolution=1,
    lift_method="feature vectors as stored: the tokens are decoded and integrated",
)
DATASETS.register(SPEC.name, SPEC)


def unpack(ds: xr.Dataset) -> xr.Dataset:
    """The named parts of a ``prose_odes`` dataset, ready for a learner.

    Returns
    -------
    xarray.Dataset
        ``family`` (sample; int, its name in ``attrs["flag_meanings"]``),
        ``dim``, ``n_parameters``, ``n_tokens`` (sample; int),
        ``parameters`` (sample, parameter; zero-padded), ``distance``
        (sample; how far the parameters lie beyond the training ranges, in
        training widths, 0 inside), ``initial`` and ``mask`` (sample,
        component; the mask is True on the system's components),
        ``tokens`` (sample, token; int ids, ``<pad>`` = 0), ``u_input``
        (sample, t_input, component) and ``u_output`` (sample, t_output, component).
    """
    record = json.loads(ds.attrs["manifest"])
    if record.get("name") != SPEC.name:
        raise InvalidDataError(f"unpack: expected a {SPEC.name} dataset, got {record.get('name')!r}")
    features = ds["input"].values
    n_in = int(record["parameters"]["input_points"])
    fam = _as_int(features[:, 0], "family")
    dims = _as_int(features[:, 1], "dim")
    n_par = _as_int(features[:, 2], "n_parameters")
    params = features[:, 3: 3 + MAX_PARAMETERS]
    distance = np.array([ODE_SYSTEMS.create(FAMILY_ORDER[f]).distance(p[:k]) for f, p, k in zip(fam, params, n_par)])
    mask = np.arange(MAX_DIM)[None, :] < dims[:, None]
    u = ds["output"].values
    return xr.Dataset(
        {
            "family": ("sample", fam, {"long_name": "family index", "flag_values": np.arange(len(FAMILY_ORDER)),
                                       "flag_meanings": " ".join(FAMILY_ORDER)}),
            "dim": ("sample", dims, {"long_name": "number of state components"}),
            "n_parameters": ("sample", n_par, {"long_name": "number of parameters"}),
            "parameters": (("sample", "parameter"), params, {"long_name": "parameter values (zero-padded)"}),
            "distance": ("sample", distance, {"long_name": "distance beyond the training ranges (training widths)"}),
            "initial": (("sample", "component"), features[:, 3 + MAX_PARAMETERS: _TOKENS - 1],
                        {"long_name": "initial state (zero-padded)"}),
            "mask": (("sample", "component"), mask, {"long_name": "component present"}),
            "n_tokens": ("sample", _as_int(features[:, _TOKENS - 1], "n_tokens"),
                         {"long_name": "tokens including <bos> and <eos>"}),
            "tokens": (("sample", "token"), _as_int(features[:, _TOKENS:], "token ids"),
                       {"long_name": "token ids of the right-hand side", "vocabulary": " ".join(VOCABULARY)}),
            "u_input": (("sample", "t_input", "component"), u[:, :n_in], {"long_name": "observed trajectory"}),
            "u_output": (("sample", "t_output", "component"), u[:, n_in:], {"long_name": "trajectory to predict"}),
        },
        coords={"sample": ds["sample"].values, "component": ds["component"].values,
                "t_input": ds["t"].values[:n_in], "t_output": ds["t"].values[n_in:]},
    )


def systems(ds: xr.Dataset) -> list[System]:
    """The right-hand side of every sample, parsed from its tokens."""
    return [system_of(features) for features in ds["input"].values]
