"""The kind of learner that learns a map between functions from data (DeepONet, MgNO, FNO)."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

import numpy as np

from sciml.core.base import Learner

OL = TypeVar("OL", bound="OperatorLearner")


class OperatorLearner(Learner):
    """Base of the operator learners.

    ``fit(dataset)`` trains on an operator dataset (an :class:`xarray.Dataset`
    with ``input`` and ``output`` over a ``sample`` dimension, as made by
    :mod:`validation.datasets`) and ``predict(inputs)`` maps new input
    functions (``(n, *input_shape)`` or such a dataset) to outputs.
    """

    kind: ClassVar[str] = "operator"

    def fit(self: OL, dataset: Any, *args: Any, **kwargs: Any) -> OL:
        """Train on ``dataset``; returns ``self`` with ``history_``, ``fit_time_``, ``n_parameters_``."""
        raise NotImplementedError

    def predict(self, inputs: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        """Outputs for the input functions ``inputs``."""
        raise NotImplementedError
