"""Timing helpers shared by the benchmark scripts."""

import os
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


def machine():
    """One line to print beside absolute timings: the CPU model, the core count and the load average."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return f"CPU: {model}, {os.cpu_count()} logical cores; load average {load}"
