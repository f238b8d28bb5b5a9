"""Resumable, chunked dataset generation to netCDF, serially or on a Dask cluster.

Each chunk of samples is written atomically as its own part file in a work
folder next to the target (``.<name>.parts/``), named by a hash of the request
and its sample range, so a killed run restarts without recomputing finished
chunks and never mixes parts of different requests. When all parts exist
they are assembled into the final file, which is moved into place atomically
(a crash leaves the old file or none, never a partial one); the parts are
then removed. Temporary files left by a killed run are removed when it is resumed.
"""

from __future__ import annotations

import glob
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from equations.errors import DatasetError, check_integer
from validation.datasets import build, store
from validation.datasets.registry import DATASETS
from validation.tasks import run_tasks


def _request_key(name: str, seed: int, resolution: int, params: dict[str, Any], chunk: int) -> str:
    """Hash of everything a part's contents depend on (not ``n``: a larger run reuses the parts)."""
    text = json.dumps({"name": name, "seed": seed, "resolution": resolution, "params": params, "chunk": chunk},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def write_part(name: str, seed: int, start: int, stop: int, resolution: int, params: dict[str, Any],
               path: str) -> str:
    """Compute samples ``start .. stop - 1`` and write them atomically to ``path`` (a Dask task)."""
    spec = DATASETS.get(name)
    inputs, outputs = build.compute_samples(name, seed, start, stop, resolution, params)
    ds = xr.Dataset(
        {"input": (("sample", *spec.input.dims), inputs), "output": (("sample", *spec.output.dims), outputs)},
        attrs={"start": start, "stop": stop},
    )
    store.write(ds, path)
    return path


def _part_ok(path: Path, start: int, stop: int) -> bool:
    """Whether a finished part is there and readable (parts are renamed into place only when complete)."""
    if not path.is_file():
        return False
    try:
        ds = store.read(path)
    except DatasetError:
        return False
    return ds.sizes.get("sample") == stop - start and int(ds.attrs.get("stop", -1)) == stop


def _already_done(out: Path, name: str, n: int, seed: int, resolution: int, params: dict[str, Any]) -> bool:
    if not out.is_file():
        return False
    try:
        record = store.load(out).attrs["manifest"]
    except DatasetError:
        return False
    m = json.loads(record)
    return bool(m["name"] == name and m["n"] == n and m["seed"] == seed and m["resolution"] == resolution
                and m["parameters"] == json.loads(json.dumps(params)))


def generate(
    name: str,
    n: int,
    out: str | Path,
    *,
    resolution: int | None = None,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    processes: bool = True,
    chunk: int = 100,
    progress: bool = True,
    **params: Any,
) -> Path:
    """Generate dataset ``name`` into the netCDF file ``out``, resumably.

    Parameters
    ----------
    name, n, resolution, seed, **params
        As in :func:`validation.datasets.make`; the file holds the same data.
    out : str or pathlib.Path
        Target file. If it already holds this very request (name, n, seed,
        resolution, parameters, valid checksum) nothing is recomputed;
        otherwise it is replaced atomically at the end.
    workers : int, optional
        Run the chunks on a Dask ``LocalCluster`` with this many workers
        (one thread each). Default: serially in this process.
    scheduler : str, optional
        Address of a running Dask scheduler to use instead (its workers must
        see the folder of ``out``).
    processes : bool
        Process workers for the ``LocalCluster`` (``False``: threads in this process).
    chunk : int
        Samples per part file (the unit of work and of resumption).
    progress : bool
        Show a tqdm progress bar over the chunks.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    spec, n, seed, res, full = build.check_request(name, n, seed, resolution, params)
    chunk = check_integer("chunk", chunk, 1)
    if workers is not None:
        workers = check_integer("workers", workers, 1)
    out = Path(out)
    if _already_done(out, spec.name, n, seed, res, full):
        return out
    key = _request_key(spec.name, seed, res, full, chunk)
    work = out.parent / f".{out.name}.parts"
    work.mkdir(parents=True, exist_ok=True)
    # temporary files of a killed run (never under a final name): removed, or the work folder would stay
    for stale in [*work.glob(".*.tmp"), *out.parent.glob(f".{glob.escape(out.name)}.*.tmp")]:
        stale.unlink(missing_ok=True)
    ranges = [(start, min(start + chunk, n)) for start in range(0, n, chunk)]
    parts = [work / f"{key}-{start:09d}-{stop:09d}.nc" for start, stop in ranges]
    tasks = [(spec.name, seed, start, stop, res, full, str(path))
             for (start, stop), path in zip(ranges, parts) if not _part_ok(path, start, stop)]
    with tqdm(total=len(parts), initial=len(parts) - len(tasks), disable=not progress, desc=spec.name,
              unit="chunk") as bar:
        run_tasks(write_part, tasks, bar, workers=workers, scheduler=scheduler, processes=processes)
    pieces = [store.read(path) for path in parts]
    inputs = np.concatenate([p["input"].values for p in pieces])
    outputs = np.concatenate([p["output"].values for p in pieces])
    ds = build.assemble(spec, inputs, outputs, seed=seed, resolution=res, params=full)
    store.write(ds, out)
    for path in parts:
        path.unlink(missing_ok=True)
    if not any(work.iterdir()):
        work.rmdir()
    return out
