"""Pick the array module (numpy or torch) of the arrays a spec receives.

Specs are written once with ``xp = namespace(x)`` and ``xp.sin(...)``; torch is
imported only when a torch tensor is passed, so ``equations`` never needs it.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np


def namespace(*arrays: Any) -> ModuleType:
    """Return ``torch`` if any argument is a torch tensor, else ``numpy``."""
    for a in arrays:
        if type(a).__module__.startswith("torch"):
            import torch

            return torch
    return np
