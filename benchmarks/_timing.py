"""Timing helper shared by the benchmark scripts."""

import time


def best_time(fn, repeat, *, warmup=False):
    """Best wall time (s) of ``repeat`` calls of ``fn``; ``warmup`` adds one untimed call first."""
    if warmup:
        fn()  # compilation, caches
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
