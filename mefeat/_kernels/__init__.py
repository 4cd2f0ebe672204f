"""Private numba kernels. They validate nothing, never write to their inputs and fill
an ``out`` array allocated by the caller. Only :mod:`mefeat._jit` imports numba."""
