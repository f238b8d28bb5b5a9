"""The registry of benchmark suites: one module per suite, which registers itself.

A suite is a module with a ``main(argv)`` that runs it and writes its result
JSON (``--out``); it registers a :class:`Suite` in :data:`SUITES`, so
``python -m validation.benchmarks``, ``sciml report`` and the summaries find
it without a list to edit::

    SUITES.register("my_suite", Suite("my_suite", "What it measures", summarise_my_suite,
                                      quick=("--smoke",)))

Discovery imports every module of :mod:`validation.benchmarks`, so a suite
module imports its heavy or optional dependencies (torch, DeepXDE, PyAMG)
inside its functions, never at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from equations.errors import check_choice
from equations.registry import Registry

if TYPE_CHECKING:
    from validation.benchmarks.summary import Summary

#: ``quick``: every suite at a tiny budget (checks the pipeline); ``full``: each suite's committed budget.
BUDGETS = ("quick", "full")


@dataclass
class Suite:
    """One benchmark suite.

    Attributes
    ----------
    name : str
        Registry name, and the ``benchmark`` field of its result JSON.
    title : str
        Heading of its section in the report.
    summarise : callable
        ``summarise(results, summary)`` fills a
        :class:`~validation.benchmarks.summary.Summary` (tables, targets,
        notes) from the result JSON.
    quick : tuple of str
        Command-line arguments of the quick budget (the full budget is the
        suite's defaults).
    module : str
        The module run as ``python -m <module>`` (default
        ``validation.benchmarks.<name>``).
    """

    name: str
    title: str
    summarise: Callable[[dict[str, Any], Summary], None]
    quick: tuple[str, ...] = ()
    module: str = field(default="")

    def __post_init__(self) -> None:
        self.module = self.module or f"validation.benchmarks.{self.name}"

    def args(self, budget: str) -> list[str]:
        """The suite's command-line arguments at ``budget`` (``--out`` is added by the caller)."""
        check_choice("budget", budget, BUDGETS)
        return list(self.quick) if budget == "quick" else []


# every suite by name; each module of `validation.benchmarks` that is a suite registers itself
SUITES: Registry[Suite] = Registry("suite", packages=("validation.benchmarks",))
