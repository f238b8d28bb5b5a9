"""Typed errors shared by the whole toolkit.

Every failure caused by bad user input is raised as one of these, so callers
(and the CLI) can report a clear message instead of a traceback.
"""

from __future__ import annotations


class ToolkitError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class InvalidParameterError(ToolkitError, ValueError):
    """A parameter is out of its valid range (``nu <= 0``, an empty domain...)."""


class UnknownNameError(ToolkitError, LookupError):
    """A name (equation, learner, solver) is not registered."""

    def __str__(self) -> str:  # LookupError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidDataError(ToolkitError, ValueError):
    """Input data is malformed: NaN/Inf values, wrong shape, mismatched grids."""


class TrainingDivergedError(ToolkitError, RuntimeError):
    """Training produced a non-finite loss; the last good weights were kept."""
