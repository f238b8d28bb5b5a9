"""Where a key sits in a TOML file: the line an error about it names.

``tomllib`` parses to plain dicts and forgets positions, so the line of a key
is found again in the text: every table header (``[a.b]``) and every
``key = value`` line gives the full key path it defines; the line defining
the longest prefix of the path asked for wins (a key inside an inline table
``parameters = { nu = 1 }`` is reported at the line of ``parameters``); a
path only defined through longer ones (a misspelt ``[learner.pinn]``) is
reported at the first of them.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*\[\[?\s*(?P<key>[^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGNMENT = re.compile(r"^\s*(?P<key>(?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_\-]+)"
                         r"(?:\s*\.\s*(?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*=")
_PART = re.compile(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_\-]+)")


def _parts(key: str) -> tuple[str, ...]:
    return tuple(next(g for g in m.groups() if g is not None) for m in _PART.finditer(key))


def key_line(text: str, path: tuple[str, ...]) -> int | None:
    """1-based line of the TOML text that defines ``path`` (or its longest defined prefix); None if none does."""
    table: tuple[str, ...] = ()
    best, best_len = None, 0
    below = None  # the first line defining something under ``path`` (a misspelt table: [learner.pinn])
    in_string = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.count('"""') % 2 or line.count("'''") % 2:  # a multi-line string opens or closes
            in_string = not in_string
            continue
        if in_string:
            continue
        header = _HEADER.match(line)
        if header:
            table = _parts(header.group("key"))
            defined = table
        else:
            assignment = _ASSIGNMENT.match(line)
            if not assignment:
                continue
            defined = table + _parts(assignment.group("key"))
        if len(defined) > best_len and path[:len(defined)] == defined:
            best, best_len = number, len(defined)
        if below is None and defined[:len(path)] == path:
            below = number
    return best if best is not None else below
