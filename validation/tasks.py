"""Independent tasks run serially or on a Dask cluster, with a progress bar (datasets' chunks, studies' runs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tqdm.auto import tqdm


def run_tasks(function: Callable[..., Any], tasks: Sequence[tuple[Any, ...]], bar: tqdm, *,
              workers: int | None = None, scheduler: str | None = None, processes: bool = True) -> list[Any]:
    """``function(*task)`` for every task; the results in the order the tasks finished.

    Parameters
    ----------
    function : callable
        A module-level function (Dask sends it to the workers by reference).
    tasks : sequence of tuple
        Each task's arguments.
    bar : tqdm
        Advanced once per finished task.
    workers : int, optional
        A Dask ``LocalCluster`` of this many single-threaded workers. With
        neither ``workers`` nor ``scheduler``, the tasks run here, in order.
    scheduler : str, optional
        Address of a running Dask scheduler to use instead.
    processes : bool
        Process workers for the ``LocalCluster`` (``False``: threads in this process).

    A task's exception is raised here, once the cluster is closed.
    """
    if workers is None and scheduler is None:
        out = []
        for task in tasks:
            out.append(function(*task))
            bar.update()
        return out
    if not tasks:
        return []
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers or 1, threads_per_worker=1, processes=processes,
                               dashboard_address=None)
    client = Client(cluster if cluster is not None else scheduler)
    try:
        futures = [client.submit(function, *task, pure=False) for task in tasks]
        out = []
        for future in as_completed(futures):
            out.append(future.result())  # re-raises a failed task's error here
            bar.update()
        return out
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
