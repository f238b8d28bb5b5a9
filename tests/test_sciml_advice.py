"""Known failures of default recipes are said up front (sciml.field.advice)."""

from __future__ import annotations

import warnings

import pytest

import equations
from sciml import LPINN, PIG, PINN
from sciml.field import advice
from sciml.field.advice import Advice, RecipeWarning, advice_for, is_default_recipe


def test_default_recipe_ignores_run_settings_only():
    assert is_default_recipe(PINN())
    assert is_default_recipe(PINN(seed=7, dtype="float64", progress=False))
    assert not is_default_recipe(PINN(hidden=(32, 32)))
    assert not is_default_recipe(PINN(time_windows=4))
    assert is_default_recipe(PIG(seed=1)) and is_default_recipe(LPINN(seed=1))


def test_fit_warns_once_per_entry_with_the_equations_parameters(monkeypatch):
    entry = Advice("pinn", "reaction", lambda eq: eq.rho > 3, "reaction at rho={rho:g}: use the other recipe")
    monkeypatch.setattr(advice, "ADVICE", (entry,))
    tiny = {"adam_steps": 2, "lbfgs_iter": 0, "n_residual": 64, "n_initial": 16}
    with pytest.warns(RecipeWarning, match="reaction at rho=5: use the other recipe"):
        advice.warn_known_failure(PINN(seed=0), equations.Reaction(rho=5.0))
    assert advice_for(PINN(seed=0), equations.Reaction(rho=1.0)) == []  # outside the measured regime
    assert advice_for(PIG(seed=0), equations.Reaction(rho=5.0)) == []  # another learner
    from sciml import create_learner

    with warnings.catch_warnings():
        warnings.simplefilter("error", RecipeWarning)  # a changed recipe is the user's own: no advice
        create_learner("pinn", seed=0, **tiny).fit(equations.Reaction(rho=5.0))
    with pytest.warns(RecipeWarning):
        monkeypatch.setattr(PINN, "_stages", lambda self: [])  # the warning comes before any training
        PINN(seed=0).fit(equations.Reaction(rho=5.0))


@pytest.mark.parametrize("entry", advice.ADVICE, ids=lambda a: f"{a.learner}-{a.equation}")
def test_every_entry_names_a_registered_learner_and_equation_and_formats(entry):
    from sciml import create_learner

    learner = create_learner(entry.learner)
    eq = equations.create(entry.equation)
    message = entry.message.format(**eq.parameters())
    assert learner.name == entry.learner and "{" not in message
