"""The PROSE dataset: layout, manifest, determinism by (seed, i), tokens that state the integrated system."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from equations.errors import InvalidParameterError
from equations.ode_systems import MAX_PARAMETERS
from equations.symbolic import VOCABULARY, decode_ids, encode_ids, evaluate
from validation import datasets
from validation.datasets import build, prose_odes

SMALL = {"input_points": 8, "max_tokens": 48}


def _make(n: int, seed: int = 0, **params: object) -> object:
    return datasets.make("prose_odes", n, resolution=8, seed=seed, **(SMALL | params))


def test_layout_manifest_and_validation() -> None:
    ds = _make(12)
    assert ds["input"].dims == ("sample", "feature") and ds["input"].shape == (12, 4 + MAX_PARAMETERS + 3 + 48)
    assert ds["output"].dims == ("sample", "t", "component") and ds["output"].shape == (12, 16, 3)
    t = ds["t"].values
    np.testing.assert_allclose(t[:8], np.linspace(0.0, 2.0, 8))
    np.testing.assert_allclose(t[8:], 2.0 + 0.5 * np.arange(1, 9))
    assert list(ds["component"].values) == ["u_1", "u_2", "u_3"] and ds["feature"].values[0] == "family"
    record = json.loads(ds.attrs["manifest"])
    assert record["name"] == "prose_odes" and record["resolution"] == 8 and record["parameters"]["lorenz"] is True
    assert "DOP853" in record["solver"]
    datasets.validate(ds)


def test_unpack_names_the_parts() -> None:
    ds = _make(16, seed=1)
    parts = prose_odes.unpack(ds)
    assert parts["u_input"].shape == (16, 8, 3) and parts["u_output"].shape == (16, 8, 3)
    assert parts["tokens"].dtype == np.int64 and parts["tokens"].shape == (16, 48)
    assert parts["family"].attrs["flag_meanings"].split() == list(prose_odes.FAMILY_ORDER)
    np.testing.assert_array_equal(parts["u_input"].values[:, 0], parts["initial"].values)  # u(0) is the draw
    for i in range(16):
        d, n_tok, n_par = int(parts["dim"][i]), int(parts["n_tokens"][i]), int(parts["n_parameters"][i])
        assert parts["mask"].values[i].tolist() == [k < d for k in range(3)]
        assert np.all(parts["u_output"].values[i, :, d:] == 0) and np.all(parts["initial"].values[i, d:] == 0)
        assert np.all(parts["parameters"].values[i, n_par:] == 0) and np.all(parts["parameters"].values[i, :n_par] > 0)
        tokens = parts["tokens"].values[i]
        assert tokens[0] == VOCABULARY.index("<bos>") and tokens[n_tok - 1] == VOCABULARY.index("<eos>")
        assert np.all(tokens[n_tok:] == 0)
    assert np.all(parts["distance"].values == 0)
    assert len(set(parts["family"].values.tolist())) > 4  # a uniform mixture of the families


def test_the_tokens_state_the_system_that_made_the_trajectory() -> None:
    """An independent integration (RK45 on the NumPy walk of the decoded tokens) gives the stored trajectory."""
    ds = _make(6, seed=2)
    t = ds["t"].values
    for system, features, u in zip(prose_odes.systems(ds), ds["input"].values, ds["output"].values):
        y0 = u[0, : system.dim]

        def rhs(_: float, y: np.ndarray, system: object = system) -> np.ndarray:
            return evaluate(system, y)  # type: ignore[arg-type]

        ref = solve_ivp(rhs, (0.0, t[-1]), y0, t_eval=t, rtol=1e-11, atol=1e-11).y.T
        assert np.max(np.abs(u[:, : system.dim] - ref)) < 1e-6 * max(1.0, np.max(np.abs(ref)))
        ids, length = encode_ids(system, 48)  # the stored ids are this system's encoding
        np.testing.assert_array_equal(features[-48:], ids)
        assert decode_ids(ids[:length]) == system


def test_a_sample_depends_only_on_seed_and_index(tmp_path: Path) -> None:
    ds = _make(7, seed=3)
    full = datasets.DATASETS.get("prose_odes").defaults | SMALL
    inputs, outputs = build.compute_samples("prose_odes", 3, 4, 7, 8, full)
    np.testing.assert_array_equal(inputs, ds["input"].values[4:])
    np.testing.assert_array_equal(outputs, ds["output"].values[4:])
    path = datasets.generate("prose_odes", 7, tmp_path / "p.nc", resolution=8, seed=3, chunk=3, progress=False,
                             **SMALL)
    back = datasets.load(path)
    np.testing.assert_array_equal(back["input"].values, ds["input"].values)
    np.testing.assert_array_equal(back["output"].values, ds["output"].values)
    assert back.attrs["manifest"] == ds.attrs["manifest"]
    assert not np.array_equal(_make(7, seed=4)["input"].values, ds["input"].values)


def test_family_selection_and_extrapolation() -> None:
    only = prose_odes.unpack(_make(5, lorenz=True, **{n: False for n in prose_odes.FAMILY_ORDER[:-1]}))
    assert np.all(only["family"].values == prose_odes.FAMILY_ORDER.index("lorenz")) and np.all(only["dim"] == 3)
    far = prose_odes.unpack(_make(10, extrapolate=True, spread=0.25))
    assert np.all((far["distance"].values > 0) & (far["distance"].values <= 0.25))
    assert json.loads(_make(1, extrapolate=True).attrs["manifest"])["parameters"]["extrapolate"] is True


def test_bad_requests_raise_typed_errors() -> None:
    with pytest.raises(InvalidParameterError, match="every family is disabled"):
        _make(1, **{n: False for n in prose_odes.FAMILY_ORDER})
    with pytest.raises(InvalidParameterError, match="t_split < t_final <= 6"):
        _make(1, t_final=8.0)
    with pytest.raises(InvalidParameterError, match="t_split < t_final"):
        _make(1, t_split=3.0, t_final=2.0)
    with pytest.raises(InvalidParameterError, match="lorenz must be true or false"):
        _make(1, lorenz=1)
    with pytest.raises(InvalidParameterError, match="unknown parameter"):
        _make(1, rossler=True)
    with pytest.raises(InvalidParameterError, match="max_tokens"):
        _make(1, max_tokens=4)
    with pytest.raises(InvalidParameterError, match="max_tokens must be >= 43"):
        _make(1, max_tokens=30)
    assert {name: prose_odes.token_length(name) for name in ("logistic", "lorenz", "fitzhugh_nagumo")} == {
        "logistic": 18, "lorenz": 43, "fitzhugh_nagumo": 42}
