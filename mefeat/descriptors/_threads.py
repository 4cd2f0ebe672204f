"""Run a serial ``nogil`` kernel over independent blocks of work in a small thread pool.

The kernels release the GIL, so threads give the parallelism that ``parallel=True`` kernels gave,
without numba's parfor compilation (which cost several times the serial kernel's compile time).
Each block writes its own output slice, so there are no races. Under ``NUMBA_DISABLE_JIT=1`` the
same code runs the plain-Python kernels (serialised by the GIL, but valid).
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["resolve_threads", "split", "run_blocks"]

_pools = {}
_pools_lock = threading.Lock()
if hasattr(os, "register_at_fork"):  # a forked child has none of the parent's threads
    os.register_at_fork(after_in_child=_pools.clear)


def resolve_threads(n_threads, *, strict=False, name="n_threads"):
    """The thread count of a descriptor call: ``n_threads`` validated, None = the default.

    ``strict``: refuse more threads than ``NUMBA_NUM_THREADS`` (else they are allowed: the pool is
    ours, not numba's).
    """
    from mefeat._jit import get_num_threads, max_threads
    from mefeat._validation import check_n_threads

    if n_threads is None:
        return max(1, get_num_threads())
    return check_n_threads(n_threads, limit=max_threads() if strict else None,
                           limit_name="the thread limit NUMBA_NUM_THREADS", name=name)


def split(n, n_blocks):
    """``n_blocks`` contiguous half-open ranges covering ``range(n)`` (sizes differ by at most 1)."""
    return [((k * n) // n_blocks, ((k + 1) * n) // n_blocks) for k in range(n_blocks)]


def _pool(n_workers):
    with _pools_lock:
        pool = _pools.get(n_workers)
        if pool is None:
            pool = _pools[n_workers] = ThreadPoolExecutor(n_workers, thread_name_prefix="mefeat")
        return pool


def run_blocks(fn, blocks):
    """Call ``fn(*args)`` for every ``args`` in ``blocks``: the first in the calling thread, the others
    in a pool of ``len(blocks) - 1`` threads. Exceptions propagate; returns None."""
    if len(blocks) == 1:
        fn(*blocks[0])
        return
    futures = [_pool(len(blocks) - 1).submit(fn, *args) for args in blocks[1:]]
    try:
        fn(*blocks[0])
    finally:
        for fut in futures:
            fut.result()
