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
