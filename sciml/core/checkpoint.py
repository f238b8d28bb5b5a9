"""Atomic, pickle-free persistence: tensors in safetensors, metadata in JSON.

A checkpoint or saved model is a directory with ``tensors.safetensors`` and
``meta.json``. Both files are written to temporary names and renamed, so a
crash mid-write never leaves a corrupt checkpoint behind. The tensors file,
renamed into place first, carries a copy of the metadata in its header and
both name the save by an id: a process killed between the two renames leaves
new tensors next to an older ``meta.json``, which :func:`load_bundle` sees
from the ids, and it then reads the copy saved with the tensors, never a mix
of two checkpoints.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from equations.errors import InvalidDataError
from sciml.core.atomic import atomic_write, atomic_write_bytes

TENSORS = "tensors.safetensors"
META = "meta.json"
BUNDLE_ID = "bundle_id"  # names one save in both files

#: What building a learner from a damaged ``meta.json`` can raise; each ``load`` turns these into InvalidDataError.
MALFORMED_CONFIG = (KeyError, TypeError, ValueError, OverflowError, ZeroDivisionError, RuntimeError)


def save_bundle(directory: str | Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """Save tensors and JSON metadata into ``directory`` atomically (tensors first)."""
    directory = Path(directory)
    host = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    text = json.dumps(meta, indent=1, sort_keys=True)
    ident = hashlib.sha256(text.encode()).hexdigest()[:16]
    text = json.dumps({**meta, BUNDLE_ID: ident}, indent=1, sort_keys=True)
    atomic_write(directory / TENSORS, lambda tmp: save_file(host, tmp, metadata={META: text, BUNDLE_ID: ident}))
    atomic_write_bytes(directory / META, text.encode())


def load_bundle(directory: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Load what :func:`save_bundle` wrote, with clear errors for missing or corrupt files."""
    meta, _ = bundle_header(directory)
    return bundle_tensors(directory), meta


def bundle_header(directory: str | Path) -> tuple[dict[str, Any], dict[str, tuple[int, ...]]]:
    """The metadata and the tensor shapes of a bundle, without reading any tensor data.

    A model's ``load`` checks its config against these shapes (and the
    available memory) before it builds a network or reads the weights
    (:func:`sciml.core.memory.check_saved`).
    """
    directory = Path(directory)
    for name in (TENSORS, META):
        if not (directory / name).is_file():
            raise InvalidDataError(f"{directory}: missing {name} (not a saved model or checkpoint)")
    try:
        text = (directory / META).read_text()
    except UnicodeDecodeError as exc:
        raise InvalidDataError(f"{directory / META}: corrupt JSON ({exc})") from None
    meta = _json_object(text, directory / META)
    try:
        with safe_open(directory / TENSORS, framework="pt") as fh:
            header = fh.metadata() or {}
            shapes = {key: tuple(fh.get_slice(key).get_shape()) for key in fh.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise InvalidDataError(f"{directory / TENSORS}: corrupt safetensors file ({exc})") from None
    ident = header.get(BUNDLE_ID)
    if ident is not None and meta.get(BUNDLE_ID, ident) != ident and META in header:
        # a save killed between the two renames: the metadata saved with these tensors
        meta = _json_object(header[META], directory / TENSORS)
    meta.pop(BUNDLE_ID, None)
    return meta, shapes


def bundle_tensors(directory: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a bundle (after :func:`bundle_header` has checked what they will cost)."""
    path = Path(directory) / TENSORS
    try:
        with safe_open(path, framework="pt") as fh:
            return {key: fh.get_tensor(key) for key in fh.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise InvalidDataError(f"{path}: corrupt safetensors file ({exc})") from None


def tensors_file_bytes(directory: str | Path) -> int:
    """Size of a bundle's tensors file: what reading its tensors allocates, at most."""
    return (Path(directory) / TENSORS).stat().st_size


def _json_object(text: str, where: Path) -> dict[str, Any]:
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidDataError(f"{where}: corrupt JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise InvalidDataError(f"{where}: expected a JSON object")
    return meta


def jsonable_params(params: dict[str, Any]) -> dict[str, Any]:
    """Constructor arguments as JSON values for a saved config.

    Tuples become lists, mappings dicts, and config objects (dataclasses) the
    dict of their fields, which the constructor accepts back.
    """
    return {k: (list(v) if isinstance(v, tuple) else dict(v) if isinstance(v, Mapping)
                else _fields(v) if dataclasses.is_dataclass(v) and not isinstance(v, type) else v)
            for k, v in params.items()}


def _fields(config: Any) -> dict[str, Any]:
    values = config.given() if hasattr(config, "given") else dataclasses.asdict(config)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def load_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file, read without pickle.

    Raises
    ------
    InvalidDataError
        The file is missing, damaged, not an ``.npz`` archive, or holds object
        arrays (which only pickle could load: they are refused, never run).
    """
    errors = (ValueError, OSError, EOFError, zipfile.BadZipFile)
    try:
        data = np.load(path, allow_pickle=False)
    except errors as exc:
        raise InvalidDataError(f"{path}: cannot load arrays without pickle ({exc})") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise InvalidDataError(f"{path}: not an .npz archive")
    with data:
        try:
            return {key: data[key] for key in data.files}
        except errors as exc:
            raise InvalidDataError(f"{path}: cannot load arrays without pickle ({exc})") from None
