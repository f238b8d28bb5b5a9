"""Device, dtype and seeding helpers: nothing here touches global torch state."""

from __future__ import annotations

import numpy as np
import torch

from equations.errors import InvalidParameterError

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def resolve_dtype(dtype: str | torch.dtype) -> torch.dtype:
    """``"float32"``/``"float64"`` (or the torch dtype itself) to a torch dtype."""
    if isinstance(dtype, torch.dtype):
        if dtype in _DTYPES.values():
            return dtype
    elif dtype in _DTYPES:
        return _DTYPES[dtype]
    raise InvalidParameterError(f"dtype must be 'float32' or 'float64', got {dtype!r}")


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def resolve_device(device: str | torch.device) -> torch.device:
    """Parse a device string, with a clear error for unavailable devices."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise InvalidParameterError(f"invalid device {device!r}: {exc}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidParameterError(f"device {device!r} requested but CUDA is not available")
    return dev


def numpy_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A numpy Generator from a seed (or the Generator itself)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def torch_generator(seed: int, device: torch.device) -> torch.Generator:
    """A seeded torch Generator on ``device`` (used for weight initialisation)."""
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    return gen
