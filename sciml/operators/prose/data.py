"""The arrays a PROSE learner trains on and predicts from, read from an xarray Dataset.

The layout is that of :func:`validation.datasets.prose_odes.unpack` (a
``prose_odes`` dataset's named parts): ``u_input`` (sample, t_input,
component), ``u_output`` (sample, t_output, component), ``tokens`` (sample,
token; int ids, ``<pad>`` = 0), ``mask`` (sample, component) with the times
as the coordinates ``t_input`` and ``t_output``. Any Dataset with these names
works, so a user's own trajectories and equations can be fed the same way.
A ``prose_odes`` dataset as made (``input`` features named along ``feature``,
``output`` over ``t``) is read directly too, by the names of its features and
the ``input_points`` of its manifest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from equations.errors import InvalidDataError
from equations.symbolic import VOCABULARY

REQUIRED = ("u_input", "tokens", "mask")


@dataclass(frozen=True)
class ProseArrays:
    """Float64 trajectories, int64 token ids and a bool component mask, checked for shape and finiteness."""

    t_input: np.ndarray  # (T,)
    u_input: np.ndarray  # (n, T, C)
    tokens: np.ndarray  # (n, L)
    mask: np.ndarray  # (n, C)
    t_output: np.ndarray | None = None  # (Q,)
    u_output: np.ndarray | None = None  # (n, Q, C)

    @property
    def n(self) -> int:
        return int(self.u_input.shape[0])


def _finite(name: str, a: Any) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise InvalidDataError(f"PROSE data: {name} has non-finite values")
    return a


def _from_features(ds: Any) -> dict[str, np.ndarray]:
    """The named arrays of a ``prose_odes`` dataset as made (features along ``feature``, states over ``t``)."""
    names = [str(v) for v in ds["feature"].values]
    try:
        n_in = int(json.loads(ds.attrs["manifest"])["parameters"]["input_points"])
        features = np.asarray(ds["input"].values)
        dims = features[:, names.index("dim")]
        tokens = features[:, [i for i, name in enumerate(names) if name.startswith("token_")]]
        u, t = np.asarray(ds["output"].values), np.asarray(ds["t"].values)
    except (KeyError, ValueError, TypeError, json.JSONDecodeError) as exc:
        raise InvalidDataError(f"PROSE data: not a prose_odes dataset ({type(exc).__name__}: {exc})") from None
    if u.ndim != 3 or not 0 < n_in < u.shape[1]:
        raise InvalidDataError(f"PROSE data: output must be (sample, t, component) with more than {n_in} times")
    return {"u_input": u[:, :n_in], "u_output": u[:, n_in:], "tokens": tokens, "t_input": t[:n_in],
            "t_output": t[n_in:], "mask": np.arange(u.shape[2])[None, :] < dims[:, None]}


def _named(ds: Any, need_output: bool) -> dict[str, np.ndarray]:
    """The named arrays of either layout; InvalidDataError naming what is missing."""
    if not hasattr(ds, "data_vars"):
        raise InvalidDataError(f"PROSE takes an xarray Dataset with {', '.join(REQUIRED)}, got {type(ds).__name__}")
    if "u_input" not in ds.data_vars and "input" in ds.data_vars and "feature" in ds.coords:
        return _from_features(ds)
    wanted = (*REQUIRED, "u_output") if need_output else REQUIRED
    missing = [v for v in wanted if v not in ds.data_vars]
    if missing:
        raise InvalidDataError(f"PROSE data lacks {', '.join(missing)} (see sciml.operators.prose.data)")
    out = {k: np.asarray(ds[k].values) for k in (*REQUIRED, "t_input")}
    if "u_output" in ds.data_vars:
        out |= {k: np.asarray(ds[k].values) for k in ("u_output", "t_output")}
    return out


def as_prose_arrays(ds: Any, *, need_output: bool) -> ProseArrays:
    """The arrays of ``ds`` (see the module docstring), checked; InvalidDataError naming what is wrong."""
    a = _named(ds, need_output)
    u_in, tokens, mask = _finite("u_input", a["u_input"]), np.asarray(a["tokens"]), np.asarray(a["mask"], dtype=bool)
    if u_in.ndim != 3 or tokens.ndim != 2 or mask.shape != (u_in.shape[0], u_in.shape[2]) \
            or tokens.shape[0] != u_in.shape[0]:
        raise InvalidDataError(f"PROSE data: u_input must be (sample, t_input, component), tokens (sample, token) "
                               f"and mask (sample, component); got {u_in.shape}, {tokens.shape}, {mask.shape}")
    if tokens.size and (tokens.min() < 0 or tokens.max() >= len(VOCABULARY) or not np.all(tokens == np.round(tokens))):
        raise InvalidDataError(f"PROSE data: token ids must be integers in [0, {len(VOCABULARY)})")
    t_out = u_out = None
    if "u_output" in a:
        u_out = _finite("u_output", a["u_output"])
        if u_out.ndim != 3 or u_out.shape[0] != u_in.shape[0] or u_out.shape[2] != u_in.shape[2]:
            raise InvalidDataError(f"PROSE data: u_output must be (sample, t_output, component) like u_input, got "
                                   f"{u_out.shape}")
        t_out = _finite("t_output", a["t_output"])
    return ProseArrays(_finite("t_input", a["t_input"]), u_in, tokens.astype(np.int64), mask, t_out, u_out)
