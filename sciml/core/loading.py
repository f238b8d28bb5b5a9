"""Load any saved learner by what its bundle says it is."""

from __future__ import annotations

from pathlib import Path

from equations.errors import InvalidDataError
from sciml.core.base import LEARNERS, Learner
from sciml.core.checkpoint import bundle_header


def load_learner(directory: str | Path, kind: str | None = None) -> Learner:
    """The learner saved in ``directory``, whichever it is: its class's ``load`` by the saved ``"learner"`` name.

    Parameters
    ----------
    directory : str or Path
        A folder written by :meth:`sciml.core.base.Learner.save`.
    kind : str, optional
        Refuse a learner of another kind (``"field"``, ``"operator"``,
        ``"accelerator"``) before anything but the header is read.

    Returns
    -------
    Learner
        The fitted learner.

    Raises
    ------
    InvalidDataError
        The folder holds no saved learner, a learner of another kind, or one
        whose name is not registered.
    """
    meta, _ = bundle_header(directory)
    name = meta.get("learner")
    if not isinstance(name, str) or not name:
        raise InvalidDataError(f"{directory} does not hold a saved learner (its meta.json names none)")
    if name not in LEARNERS:
        raise InvalidDataError(f"{directory} holds a {name!r} model, which is not a registered learner; "
                               f"registered learners: {', '.join(LEARNERS.names())}")
    cls = LEARNERS.get(name)
    if kind is not None and cls.kind != kind:
        raise InvalidDataError(f"{directory} holds a {name} model, a learner of kind {cls.kind!r}, "
                               f"not of kind {kind!r}")
    return cls.load(directory)
