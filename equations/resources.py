"""Memory checks made before large allocations: a request that cannot fit is refused up front.

Grids (:meth:`equations.core.Domain.grid`), networks (:mod:`sciml.core.memory`) and
datasets (:mod:`validation.datasets`) estimate what they are about to allocate
and call :func:`require_memory`, which raises
:class:`~equations.errors.ResourceError` with the estimate and the available
memory instead of letting the process grow until the kernel kills it.

The estimates are lower bounds (what must be held at least), so a refusal is
certain to be right; a request that passes may still need more.
"""

from __future__ import annotations

import os
from pathlib import Path

from equations.errors import ResourceError

MEMINFO = Path("/proc/meminfo")


def available_memory() -> int | None:
    """Bytes of memory available to new allocations, or None where the system does not say.

    ``MemAvailable`` of ``/proc/meminfo`` (free memory plus reclaimable
    caches, what Linux itself would hand out); otherwise the free physical
    pages from :func:`os.sysconf`.
    """
    try:
        for line in MEMINFO.read_text().splitlines():
            key, _, value = line.partition(":")
            if key == "MemAvailable":
                return int(value.split()[0]) * 1024  # the file counts kB
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows) or no such name
        return None


def format_bytes(n: float) -> str:
    """``3.2 GiB``, ``512 MiB``...: a byte count for messages."""
    try:
        n = float(n)
    except OverflowError:  # an int estimate beyond any float, from absurd sizes
        return "more than 1e300 PiB"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def require_memory(what: str, nbytes: float) -> None:
    """Raise :class:`~equations.errors.ResourceError` unless ``nbytes`` fit in the available memory.

    Parameters
    ----------
    what : str
        The request, as the message should name it (``"a (20000, 20000) grid
        for solver 'multigrid'"``).
    nbytes : float
        Estimated bytes (a lower bound); may exceed any integer type.

    Raises
    ------
    ResourceError
        Naming ``what``, the estimate and the available memory.
    """
    available = available_memory()
    if available is not None and nbytes > available:
        raise ResourceError(f"{what} needs about {format_bytes(nbytes)} of memory, but only "
                            f"{format_bytes(available)} is available; refused before allocating")
