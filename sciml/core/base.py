"""The learner contract and the registry of learners by name.

A learner stores its hyperparameters in ``__init__`` unchanged (scikit-learn
style), does the work in ``fit``, exposes fitted attributes ending in ``_`` and
predicts at points. ``get_params`` returns the constructor arguments, which is
also what a saved model's JSON config holds. Each class lists a constraint per
argument in ``_constraints`` (:mod:`sciml.core.params`); :meth:`Learner._validate_params`
checks them at the start of ``fit``, on ``load`` and in :func:`create_learner`.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any, ClassVar

import numpy as np

from equations.errors import ExtrapolationWarning, InvalidParameterError, UnknownNameError
from sciml.core.params import Constraint, merged, validate

_LEARNERS: dict[str, type[Learner]] = {}


class Learner:
    """Base class of every learner."""

    name: ClassVar[str] = ""
    kind: ClassVar[str] = ""  # "field", "operator" or "accelerator"
    # a constraint per constructor argument; subclasses add theirs (merged along the MRO)
    _constraints: ClassVar[dict[str, Constraint]] = {}
    # named presets of constructor arguments (see BUDGETS); "full" is the constructor's defaults
    budgets: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            _LEARNERS[cls.name] = cls

    def get_params(self) -> dict[str, Any]:
        """Constructor arguments as given.

        A subclass whose ``__init__`` passes ``**options`` on to its parent's
        contributes its own arguments and then the parent's.
        """
        names: list[str] = []
        for cls in type(self).__mro__:
            init = cls.__dict__.get("__init__")
            if init is None:
                continue
            params = list(inspect.signature(init).parameters.values())
            names += [p.name for p in params if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
            if not any(p.kind is p.VAR_KEYWORD for p in params):
                break
        return {k: getattr(self, k) for k in dict.fromkeys(names)}

    @classmethod
    def parameter_constraints(cls) -> dict[str, Constraint]:
        """Every constraint of this class and its bases (the most derived one wins)."""
        return merged(cls.__mro__)

    def _validate_params(self) -> None:
        """Raise :class:`~equations.errors.InvalidParameterError` naming the first bad hyperparameter."""
        validate(self.name or type(self).__name__, self.get_params(), self.parameter_constraints())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def fit(self, equation: Any, *args: Any, **kwargs: Any) -> Learner:
        raise NotImplementedError

    def predict(self, points: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def warn_extrapolation(learner: object, distance: np.ndarray, where: str, stacklevel: int = 3) -> None:
    """Warn once per learner (:class:`~equations.errors.ExtrapolationWarning`) if some points lie outside.

    Parameters
    ----------
    learner : object
        The learner predicting; it remembers that it has warned.
    distance : array
        Distance of each prediction point outside ``where`` (0 inside).
    where : str
        What the points should lie in (``"the burgers domain (bounds ...)"``).
    stacklevel : int
        Passed to :func:`warnings.warn`, so the warning names the user's call.
    """
    outside = np.asarray(distance) > 0
    if getattr(learner, "_warned_extrapolation", False) or not outside.any():
        return
    learner._warned_extrapolation = True  # type: ignore[attr-defined]
    warnings.warn(f"{type(learner).__name__}.predict: {int(outside.sum())} of {outside.size} points lie outside "
                  f"{where}, up to {float(np.max(distance)):.3g} beyond it; the values there are extrapolated, "
                  "not learned", ExtrapolationWarning, stacklevel=stacklevel)


def learner_names() -> tuple[str, ...]:
    return tuple(sorted(_LEARNERS))


# "quick": a recipe that trains in about a minute on a 2-core CPU (what `sciml compare` runs by default);
# "full": the learner's defaults, the recipe its benchmark measures (minutes to tens of minutes)
BUDGETS = ("quick", "full")


def create_learner(name: str, budget: str | None = None, **params: Any) -> Learner:
    """Build a registered learner by name, e.g. ``create_learner("pinn", adam_steps=100)``.

    Parameters
    ----------
    name : str
        A registered learner (:func:`learner_names`).
    budget : {None, "quick", "full"}
        A preset of the training budget (:data:`BUDGETS`): ``"quick"`` takes the
        class's ``budgets["quick"]`` (about a minute on a 2-core CPU), ``"full"``
        or None its defaults. Explicit ``params`` override the preset.
    **params
        Constructor arguments.

    The hyperparameters are validated at once (:meth:`Learner._validate_params`),
    so a bad value is refused before any reference is solved or any data made.
    """
    try:
        cls = _LEARNERS[name.lower()]
    except (KeyError, AttributeError):
        raise UnknownNameError(
            f"unknown learner {name!r}; registered learners: {', '.join(learner_names())}"
        ) from None
    if budget is not None and budget not in BUDGETS:
        raise InvalidParameterError(f"budget must be one of {', '.join(BUDGETS)}, got {budget!r}")
    preset = cls.budgets.get(budget, {}) if budget is not None else {}
    learner = cls(**{**preset, **params})
    learner._validate_params()
    return learner
