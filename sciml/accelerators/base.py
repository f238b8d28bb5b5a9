"""The kind of learner that speeds up a classical solver (neural preconditioners)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

from scipy.sparse.linalg import LinearOperator

from sciml.core.base import Learner

A = TypeVar("A", bound="Accelerator")


class Accelerator(Learner):
    """Base of the solver accelerators.

    ``fit(systems)`` trains on a sequence of linear systems (e.g.
    :class:`solvers.PoissonSystem`) and ``preconditioner(system)`` returns a
    SciPy :class:`~scipy.sparse.linalg.LinearOperator` (PyAMG style) for a
    Krylov solver on a new system.
    """

    kind: ClassVar[str] = "accelerator"
    #: the method of :mod:`validation.linear_systems` that uses this accelerator as intended
    linsys_method: ClassVar[str] = "neural"

    def fit(self: A, systems: Sequence[Any], /, *args: Any, **kwargs: Any) -> A:
        """Train on ``systems``; returns ``self`` with ``history_``, ``fit_time_``, ``n_parameters_``."""
        raise NotImplementedError

    def preconditioner(self, system: Any) -> LinearOperator:
        """The learned preconditioner for ``system`` as a SciPy ``LinearOperator``."""
        raise NotImplementedError
