"""Machine description and result files shared by the benchmark suites."""

from __future__ import annotations

import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from sciml.core.atomic import atomic_write_bytes


def machine() -> dict[str, Any]:
    """CPU model, core count, memory and package versions of this run."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30 if hasattr(os, "sysconf") else None
    versions: dict[str, str | None] = {}
    for pkg in ("torch", "numpy", "scipy", "numba", "deepxde"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem, 1) if mem else None,
            "python": platform.python_version(), "platform": platform.platform(), "versions": versions}


def write_results(path: str | Path, results: dict[str, Any], markdown: str | None = None) -> Path:
    """Write machine-readable results (JSON) atomically; with ``markdown``, also the ``.md`` beside it, and print it."""
    path = Path(path)
    atomic_write_bytes(path, json.dumps(results, indent=1).encode())
    if markdown is not None:
        atomic_write_bytes(path.with_suffix(".md"), markdown.encode())
        print(markdown)
    return path
