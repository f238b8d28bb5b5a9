"""Fixtures shared by the test modules, and one thread per pytest-xdist worker."""

import os

WORKER = bool(os.environ.get("PYTEST_XDIST_WORKER"))
if WORKER:
    # the suite runs on one xdist worker per core (pyproject's addopts): two OpenMP threads per worker
    # would put four on two cores, and every parallel region would wait for a descheduled one.
    # Defaults only: a test may still ask for more threads (the parallel paths' own tests do)
    os.environ["OMP_NUM_THREADS"] = "1"

import numba  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

if WORKER:
    numba.set_num_threads(1)
    torch.set_num_threads(1)


@pytest.fixture
def single_thread():
    """Run numba kernels on one thread: on a shared 2-core machine a second thread
    waits for a scheduler slice per kernel call, which dominates these larger runs
    (other tests cover the parallel paths)."""
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(threads)
