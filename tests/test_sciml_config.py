"""Config objects of the field learners: one name per setting, learner defaults kept, bad input named."""

from __future__ import annotations

import json

import pytest

from equations import InvalidParameterError
from sciml import LPINN, PIG, PINN, Checkpointing, Collocation, Optimiser, create_learner
from sciml.core.checkpoint import jsonable_params


def test_a_field_left_out_keeps_the_learners_own_default():
    pig = PIG(optimiser=Optimiser(adam_steps=7))
    assert pig.config("optimiser").adam_steps == 7
    assert pig.config("optimiser").lr == 1e-2 and PINN(optimiser=Optimiser(adam_steps=7)).config("optimiser").lr == 1e-3
    assert LPINN(optimiser={"lr": 5e-3}).config("optimiser").adam_steps == 2000  # a mapping works the same
    assert PINN().config("collocation") == PINN.configs["collocation"]


def test_every_setting_has_one_name_everywhere():
    by_name = create_learner("pinn", adam_steps=9, n_residual=64, resume=True, hidden=(4,))
    by_config = PINN(hidden=(4,), optimiser=Optimiser(adam_steps=9), collocation=Collocation(n_residual=64),
                     checkpointing=Checkpointing(resume=True))
    for key in PINN.configs:
        assert by_name.config(key) == by_config.config(key)
    assert PINN.from_settings(adam_steps=9, hidden=(4,)).config("optimiser") == by_name.config("optimiser")
    # a config given whole and a field of it by name: the field is laid over the config
    both = PINN.from_settings(optimiser=Optimiser(lr=2e-3), adam_steps=9)
    assert (both.config("optimiser").lr, both.config("optimiser").adam_steps) == (2e-3, 9)


def test_saved_config_is_json_and_builds_the_same_learner():
    pinn = PINN(optimiser=Optimiser(adam_steps=9, lbfgs_dtype=None), collocation={"n_residual": 64})
    params = json.loads(json.dumps(jsonable_params(pinn.get_params())))
    assert params["optimiser"] == {"adam_steps": 9, "lbfgs_dtype": None}  # only what was set
    again = PINN(**params)
    assert all(again.config(k) == pinn.config(k) for k in PINN.configs)


def test_bad_settings_are_named():
    with pytest.raises(InvalidParameterError, match=r"pinn: unknown setting adam_step \(did you mean 'adam_steps'\?\)"):
        create_learner("pinn", adam_step=3)
    with pytest.raises(InvalidParameterError, match="pinn: optimiser has no setting adam_step; its settings: "):
        PINN(optimiser={"adam_step": 3})._validate_params()
    with pytest.raises(InvalidParameterError, match="pinn: lr must be a finite number > 0, got -1"):
        PINN(optimiser=Optimiser(lr=-1))._validate_params()
    with pytest.raises(InvalidParameterError, match="pinn: collocation must be a Collocation, a mapping"):
        PINN(collocation=Optimiser())._validate_params()
    assert repr(Optimiser(adam_steps=3)) == "Optimiser(adam_steps=3)"
