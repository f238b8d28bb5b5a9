"""Atomic, pickle-free persistence: tensors in safetensors, metadata in JSON.

A checkpoint or saved model is a directory with ``tensors.safetensors`` and
``meta.json``. Both files are written to temporary names and renamed, so a
crash mid-write never leaves a corrupt checkpoint behind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from equations.errors import InvalidDataError
from sciml.atomic import atomic_write, atomic_write_bytes

TENSORS = "tensors.safetensors"
META = "meta.json"


def save_bundle(directory: str | Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """Save tensors and JSON metadata into ``directory`` atomically (tensors first)."""
    directory = Path(directory)
    host = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    atomic_write(directory / TENSORS, lambda tmp: save_file(host, tmp))
    atomic_write_bytes(directory / META, json.dumps(meta, indent=1, sort_keys=True).encode())


def load_bundle(directory: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Load what :func:`save_bundle` wrote, with clear errors for missing or corrupt files."""
    directory = Path(directory)
    for name in (TENSORS, META):
        if not (directory / name).is_file():
            raise InvalidDataError(f"{directory}: missing {name} (not a saved model or checkpoint)")
    try:
        meta = json.loads((directory / META).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidDataError(f"{directory / META}: corrupt JSON ({exc})") from None
    try:
        tensors = load_file(directory / TENSORS)
    except (SafetensorError, OSError, ValueError) as exc:
        raise InvalidDataError(f"{directory / TENSORS}: corrupt safetensors file ({exc})") from None
    if not isinstance(meta, dict):
        raise InvalidDataError(f"{directory / META}: expected a JSON object")
    return tensors, meta


def jsonable_params(params: dict[str, Any]) -> dict[str, Any]:
    """Constructor arguments as JSON values (tuples as lists, mappings as dicts) for a saved config."""
    return {k: (list(v) if isinstance(v, tuple) else dict(v) if isinstance(v, Mapping) else v)
            for k, v in params.items()}
