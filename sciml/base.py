"""The learner contract and the registry of learners by name.

A learner stores its hyperparameters in ``__init__`` unchanged (scikit-learn
style), does the work in ``fit``, exposes fitted attributes ending in ``_`` and
predicts at points. ``get_params`` returns the constructor arguments, which is
also what a saved model's JSON config holds.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np

from equations.errors import UnknownNameError

_LEARNERS: dict[str, type[Learner]] = {}


class Learner:
    """Base class of every learner."""

    name: ClassVar[str] = ""
    kind: ClassVar[str] = ""  # "field", "operator" or "accelerator"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            _LEARNERS[cls.name] = cls

    def get_params(self) -> dict[str, Any]:
        """Constructor arguments as given."""
        sig = inspect.signature(type(self).__init__)
        return {k: getattr(self, k) for k in sig.parameters if k != "self"}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def fit(self, equation: Any, *args: Any, **kwargs: Any) -> Learner:
        raise NotImplementedError

    def predict(self, points: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def learner_names() -> tuple[str, ...]:
    return tuple(sorted(_LEARNERS))


def create_learner(name: str, **params: Any) -> Learner:
    """Build a registered learner by name, e.g. ``create_learner("pinn", adam_steps=100)``."""
    try:
        cls = _LEARNERS[name.lower()]
    except KeyError:
        raise UnknownNameError(
            f"unknown learner {name!r}; registered learners: {', '.join(learner_names())}"
        ) from None
    return cls(**params)
