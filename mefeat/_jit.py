"""The only module of mefeat that imports numba.

Every kernel in :mod:`mefeat._kernels` is decorated with :data:`jit` (serial) or
:data:`pjit` (``parallel=True``). Compilation is lazy (no signatures, nothing is
compiled at import), cached on disk (``cache=True``) and releases the GIL
(``nogil=True``) so that joblib's threading backend scales. ``fastmath`` is off:
LBP bits come from exact comparisons and must not depend on FMA contraction.

Set ``NUMBA_CACHE_DIR`` when the installed package directory is read-only.
"""

import functools

import numba

__all__ = ["jit", "pjit", "prange", "get_num_threads", "set_num_threads", "get_thread_id"]

#: Serial kernel decorator.
jit = functools.partial(numba.njit, cache=True, nogil=True)

#: Parallel kernel decorator: use :data:`prange` for the outer loop only.
pjit = functools.partial(numba.njit, cache=True, nogil=True, parallel=True)

prange = numba.prange
get_num_threads = numba.get_num_threads
set_num_threads = numba.set_num_threads
get_thread_id = numba.get_thread_id
