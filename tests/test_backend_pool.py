"""The loky back-end's process pool lives beside joblib's own: a ``Parallel`` after an extraction works."""

import os

from joblib import Parallel, delayed

from mefeat.extraction.backends import LokyBackend, kill_loky_workers


def _pid(_):
    return os.getpid()


def test_joblib_parallel_runs_after_a_loky_extraction_pool_in_the_same_process():
    # a notebook extracting with n_jobs=2 and then comparing (joblib Parallel) used to fail with
    # "'_ReusablePoolExecutor' object has no attribute '_temp_folder_manager'"
    try:
        backend = LokyBackend()
        backend.start(2)
        first = set(backend.map_unordered(_pid, range(6)))
        assert os.getpid() not in first
        assert Parallel(n_jobs=2)(delayed(abs)(i) for i in (-1, -2, -3)) == [1, 2, 3]
        again = LokyBackend()
        again.start(2)
        second = set(again.map_unordered(_pid, range(6)))
        assert again.executor is backend.executor  # the next run with the same settings reuses the pool
        kill_loky_workers()
        third = LokyBackend()
        third.start(2)
        assert not set(third.map_unordered(_pid, range(6))) & (first | second)  # killed workers are replaced
        assert third.executor is not backend.executor
    finally:
        kill_loky_workers()
