"""Known failures of the default recipes, said up front.

A learner's default recipe is tuned on nothing in particular, and some
equations, at some parameter values, defeat it: the parameter sweeps of
``BENCHMARKS.md`` (``python -m validation.benchmarks.parameter_sweeps``)
measured where. When a learner on its default recipe (only run settings
such as the seed, device, dtype or progress bar changed) is fitted in such a
regime, :func:`warn_known_failure` issues a :class:`RecipeWarning` that says
what was measured there and which recipe works. Each entry quotes the
measurement it rests on; a user's own PDE gets no advice.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from equations import Equation

#: settings that change how a run is done, not the recipe
RUN_SETTINGS = frozenset({"seed", "device", "dtype", "progress", "checkpointing"})


class RecipeWarning(UserWarning):
    """The learner's default recipe was measured to fail on this equation at these parameters."""


@dataclass(frozen=True)
class Advice:
    """A regime where a learner's default recipe fails, with what was measured and what works.

    Parameters
    ----------
    learner, equation : str
        Registered names.
    applies : callable
        True for the equation instances (parameters) the measurement covers.
    message : str
        Formatted with the equation's parameters (``{beta}``...).
    """

    learner: str
    equation: str
    applies: Callable[[Any], bool]
    message: str


#: Each entry quotes ``benchmarks/results/parameter_sweeps.json`` (seed 0) unless it says otherwise.
ADVICE: tuple[Advice, ...] = (
    Advice("pinn", "convection", lambda eq: eq.beta > 30.0,
           "convection at beta={beta:g}: the default PINN recipe was measured to fail at large beta "
           "(relative L2 4.3e-4 at beta=6, 5.3e-3 at beta=30, 0.98 at beta=150); the LPINN, which follows "
           "the characteristics, reached 1.7e-4 at all three: create_learner('lpinn')"),
    Advice("pinn", "helmholtz", lambda eq: max(eq.a1, eq.a2) > 4,
           "Helmholtz at (a1, a2)=({a1}, {a2}): the default PINN recipe was measured to fail at high frequency "
           "(relative L2 9.8e-6 at a1=1, 3.3e-4 at a1=4, 4.7 at a1=20, a2=1), and no default recipe of the "
           "toolkit was measured to work there (the PIG reached 2.6): expect no answer without tuning"),
    Advice("pig", "helmholtz", lambda eq: max(eq.a1, eq.a2) > 4,
           "Helmholtz at (a1, a2)=({a1}, {a2}): the default PIG recipe was measured to fail at high frequency "
           "(relative L2 6.0e-5 at a1=1, 1.4e-4 at a1=4, 2.6 at a1=20, a2=1), and no default recipe of the "
           "toolkit was measured to work there (the PINN reached 4.7): expect no answer without tuning"),
    Advice("pinn", "burgers", lambda eq: eq.nu < 0.005 / 3.141592653589793,
           "Burgers at nu={nu:.3g}: the default PINN recipe was measured to fail below the benchmark viscosity "
           "0.01/pi (relative L2 0.69 at nu=0.01/(5 pi), against 3e-4 to 2.7e-3 at 0.01/pi): the shock is too "
           "thin for its collocation points; no default recipe was measured to work there"),
)


def is_default_recipe(learner: Any) -> bool:
    """Whether every hyperparameter of ``learner`` but the run settings is its class default."""
    defaults = type(learner)().get_params()
    mine = learner.get_params()
    return all(mine[k] == v for k, v in defaults.items() if k not in RUN_SETTINGS)


def advice_for(learner: Any, equation: Equation) -> list[str]:
    """The messages of every :data:`ADVICE` entry that covers ``learner`` fitting ``equation``."""
    if not is_default_recipe(learner):
        return []
    params = equation.parameters()
    return [a.message.format(**params) for a in ADVICE
            if a.learner == learner.name and a.equation == equation.name and a.applies(equation)]


def warn_known_failure(learner: Any, equation: Equation, stacklevel: int = 3) -> None:
    """One :class:`RecipeWarning` per known failure of ``learner``'s default recipe on ``equation``."""
    for message in advice_for(learner, equation):
        warnings.warn(message, RecipeWarning, stacklevel=stacklevel)
