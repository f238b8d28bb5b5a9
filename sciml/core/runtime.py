"""Device, dtype and seeding helpers: nothing here touches global torch state."""

from __future__ import annotations

import json

import numpy as np
import torch

from equations.errors import InvalidParameterError, check_integer

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def resolve_dtype(dtype: str | torch.dtype) -> torch.dtype:
    """``"float32"``/``"float64"`` (or the torch dtype itself) to a torch dtype."""
    if isinstance(dtype, torch.dtype):
        if dtype in _DTYPES.values():
            return dtype
    elif isinstance(dtype, str) and dtype in _DTYPES:
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
    return np.random.default_rng(None if seed is None else check_integer("seed", seed, 0))


def torch_generator(seed: int, device: torch.device) -> torch.Generator:
    """A seeded torch Generator on ``device`` (used for weight initialisation)."""
    gen = torch.Generator(device=device)
    gen.manual_seed(check_integer("seed", seed, 0))
    return gen


def rng_state_tensors(rng: np.random.Generator) -> dict[str, torch.Tensor]:
    """The full state of ``rng`` as tensors (for a checkpoint): bit-generator state and spawn count.

    scipy's Sobol and Halton engines spawn a child of the generator's seed
    sequence each time; ``bit_generator.state`` does not hold that count, so a
    checkpoint without it would give a resumed run other QMC points.
    """
    state = json.dumps(rng.bit_generator.state).encode()
    seq = rng.bit_generator.seed_seq
    return {"rng_state": torch.tensor(list(state), dtype=torch.uint8),
            "rng_spawned": torch.tensor(int(getattr(seq, "n_children_spawned", 0)))}


def restore_rng(rng: np.random.Generator, tensors: dict[str, torch.Tensor]) -> np.random.Generator:
    """A generator in the state saved by :func:`rng_state_tensors` (``rng`` itself when it can be)."""
    seq = rng.bit_generator.seed_seq
    spawned = int(tensors["rng_spawned"]) if "rng_spawned" in tensors else None
    if spawned is not None and isinstance(seq, np.random.SeedSequence) and seq.n_children_spawned != spawned:
        # the spawn count is read-only: rebuild the same seed sequence with the saved count
        seq = np.random.SeedSequence(seq.entropy, spawn_key=seq.spawn_key, pool_size=seq.pool_size,
                                     n_children_spawned=spawned)
        rng = np.random.Generator(type(rng.bit_generator)(seq))
    rng.bit_generator.state = json.loads(bytes(tensors["rng_state"].tolist()).decode())
    return rng
