"""The PROSE learner at tiny budgets: its network, its data, what it learns, what it refuses."""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
import pytest
import torch
import xarray as xr

from equations.errors import InvalidDataError, InvalidParameterError
from equations.symbolic import VOCABULARY, System, decode_ids
from sciml import PROSE
from sciml.operators.prose.learner import corrupted_inputs
from sciml.operators.prose.net import PROSENet, PROSESizes, count_parameters
from validation.datasets import make
from validation.datasets.prose_odes import FAMILY_ORDER, unpack

TINY = {"width": 16, "heads": 2, "feedforward": 32, "layers": (1, 1, 1, 1, 1), "batch_size": 16}


@cache
def _data(n: int, seed: int, family: str | None = None) -> xr.Dataset:
    only = {name: name == family for name in FAMILY_ORDER} if family else {}
    return unpack(make("prose_odes", n, seed=seed, input_points=16, resolution=16, **only))


def test_the_parameter_count_is_known_before_the_network_is_built() -> None:
    sizes = PROSESizes(32, 4, 48, 1, 2, 3, 1, 2)
    for symbols_in, symbols_out in itertools.product([True, False], repeat=2):
        net = PROSENet(len(VOCABULARY), 3, 60, sizes, symbols_in=symbols_in, symbols_out=symbols_out,
                       generator=torch.Generator().manual_seed(0), device=torch.device("cpu"), dtype=torch.float32)
        assert sum(p.numel() for p in net.parameters()) == count_parameters(
            sizes, len(VOCABULARY), 3, 60, symbols_in, symbols_out)


def test_the_seed_fixes_the_weights_without_touching_the_global_generator() -> None:
    state = torch.get_rng_state()
    a, b = (PROSE(**TINY, steps=1, seed=3).fit(_data(16, 0)) for _ in range(2))
    assert torch.equal(torch.get_rng_state(), state)
    for (name, p), q in zip(a.net_.named_parameters(), b.net_.parameters()):
        assert torch.equal(p, q), name


def test_a_query_time_is_answered_the_same_whatever_else_is_asked() -> None:
    model = PROSE(**TINY, steps=5).fit(_data(16, 0))
    test = _data(4, 1)
    both = model.predict(test, times=np.array([2.5, 4.0]))
    one = model.predict(test, times=np.array([4.0]))
    np.testing.assert_allclose(both[:, 1], one[:, 0], rtol=1e-5, atol=1e-6)
    assert both.shape == (4, 2, 3)
    assert np.all(both[~test["mask"].values[:, None, :].repeat(2, 1)] == 0)  # absent components are zero


def test_training_lowers_both_losses_and_the_data_error() -> None:
    train, test = _data(64, 0, "logistic"), _data(16, 1, "logistic")
    y = test["u_output"].values

    def error(m: PROSE) -> float:
        return float(np.linalg.norm(m.predict(test) - y) / np.linalg.norm(y))

    untrained = error(PROSE(**TINY, steps=1).fit(train))
    model = PROSE(**TINY, steps=300, lr=3e-3).fit(train)
    loss = np.asarray(model.history_.loss)
    assert loss[-20:].mean() < 0.3 * loss[:20].mean()
    assert error(model) < 0.5 * untrained  # measured 0.062 against 0.41
    decoded = model.generate(test)
    assert sum(s is not None for s in decoded) >= len(decoded) // 2  # measured: 16 of 16 parse


def test_generate_parses_with_the_grammar_and_gives_none_for_what_does_not_parse(
        monkeypatch: pytest.MonkeyPatch) -> None:
    model = PROSE(**TINY, steps=1).fit(_data(16, 0))
    test = _data(2, 1)
    ids = test["tokens"].values.copy()
    ids[1, 3:] = 0  # truncated: not a system
    monkeypatch.setattr(model, "generate_ids", lambda ds, batch=256: ids)
    first, second = model.generate(test)
    assert isinstance(first, System) and first == decode_ids(test["tokens"].values[0]) and second is None


def test_corrupted_inputs_are_other_systems_that_still_parse() -> None:
    tokens = _data(32, 0)["tokens"].values
    wrong = corrupted_inputs(tokens, tokens.shape[1], np.random.default_rng(0))
    changed = [i for i in range(len(tokens)) if not np.array_equal(wrong[i], tokens[i])]
    assert len(changed) >= 24
    for i in changed:
        assert decode_ids(wrong[i]) != decode_ids(tokens[i])


def test_the_data_only_baseline_has_no_symbol_branch() -> None:
    model = PROSE(**TINY, steps=2, symbols_in=False, symbols_out=False).fit(_data(16, 0))
    assert not hasattr(model.net_, "symbol_encoder") and not hasattr(model.net_, "symbol_decoder")
    assert model.predict(_data(4, 1)).shape == (4, 16, 3)
    with pytest.raises(InvalidParameterError, match="no symbol decoder"):
        model.generate(_data(4, 1))


def test_a_made_dataset_is_read_as_its_unpacked_parts() -> None:
    raw = make("prose_odes", 8, seed=0, input_points=16, resolution=16)
    model = PROSE(**TINY, steps=1).fit(unpack(raw))
    np.testing.assert_array_equal(model.predict(raw), model.predict(unpack(raw)))


def test_bad_input_is_refused_by_name() -> None:
    data = _data(16, 0)
    with pytest.raises(InvalidParameterError, match="width=30 must be divisible by heads=4"):
        PROSE(width=30, heads=4, steps=1).fit(data)
    with pytest.raises(InvalidDataError, match="lacks u_output"):
        PROSE(**TINY, steps=1).fit(data.drop_vars("u_output"))
    with pytest.raises(InvalidDataError, match="token ids must be integers"):
        PROSE(**TINY, steps=1).fit(data.assign(tokens=data["tokens"] + len(VOCABULARY)))
    with pytest.raises(InvalidDataError, match="u_input has non-finite values"):
        PROSE(**TINY, steps=1).fit(data.assign(u_input=data["u_input"] * np.nan))
    model = PROSE(**TINY, steps=1).fit(data)
    with pytest.raises(InvalidDataError, match="observed times t_input differ"):
        model.predict(data.assign_coords(t_input=data["t_input"] * 2))
    with pytest.raises(InvalidParameterError, match="layers must be"):
        PROSE(layers=(1, 1)).fit(data)


def test_padding_beyond_the_longest_equation_costs_nothing() -> None:
    data = _data(16, 0, "logistic")
    wide = data.pad(token=(0, 20), constant_values=0)
    a, b = PROSE(**TINY, steps=3, corrupt=0.0).fit(data), PROSE(**TINY, steps=3, corrupt=0.0).fit(wide)
    assert a.layout_["max_tokens"] == b.layout_["max_tokens"] == int(data["n_tokens"].max())
    np.testing.assert_allclose(a.predict(wide), b.predict(data), rtol=1e-5, atol=1e-6)
