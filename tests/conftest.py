"""Fixtures shared by the test modules."""

import numba
import pytest


@pytest.fixture
def single_thread():
    """Run numba kernels on one thread: on a shared 2-core machine a second thread
    waits for a scheduler slice per kernel call, which dominates these larger runs
    (other tests cover the parallel paths)."""
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(threads)
