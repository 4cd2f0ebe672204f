"""Compile the descriptor kernels ahead of the first real call: :func:`warm_up`.

Numba compiles a kernel at its first call and writes the machine code to its disk cache
(``cache=True``); later processes load it in a fraction of a second. :func:`warm_up` makes that
first call on tiny inputs of the dtypes the extraction pipeline uses, so a parent process can pay
the compilation once before it starts worker processes, which then only load the cache.
NumPy only at import time: nothing is compiled or imported from numba until it is called.
"""

import time

import numpy as np

from mefeat.flow import TVL1_COMPILE_SECONDS

__all__ = ["warm_up", "WARM_UP_NAMES", "COMPILE_SECONDS", "SHARED_KERNELS", "KERNELS", "compile_groups",
           "kernels_cached"]

#: Descriptor names accepted by :func:`warm_up`, in pipeline order, and ``"tvl1"``: the kernel of the default
#: optical flow (:func:`mefeat.flow.compute_flow`), which every flow descriptor runs first.
WARM_UP_NAMES = ("lbp_top", "hog_top", "higo_top", "mdmo", "fdm", "bi_woof", "optical_strain", "tvl1")

#: Typical cold compile seconds of each descriptor's kernels in a process that compiles others too
#: (``benchmarks/bench_jit.py``: a descriptor alone in a fresh process minus numba's own start-up of
#: about 0.35 s), quoted by the compile notice (rounded, at least 1 s) and used to balance :func:`compile_groups`.
#: hog_top and higo_top share theirs.
COMPILE_SECONDS = {"lbp_top": 2.4, "hog_top": 0.8, "higo_top": 0.8, "mdmo": 0.9, "fdm": 0.95, "bi_woof": 1.4,
                   "optical_strain": 0.5, "tvl1": TVL1_COMPILE_SECONDS}

#: The numba kernels (``module.function`` of :mod:`mefeat._kernels`) that each descriptor's pipeline
#: call compiles: what :func:`kernels_cached` looks up in numba's disk cache.
KERNELS = {"lbp_top": ("lbp.lbp_top_rows",), "hog_top": ("hog.hog_top_frames_lut",),
           "higo_top": ("hog.hog_top_frames_lut",),
           "mdmo": ("flow.roi_main_direction_kernel",),
           "fdm": ("flow.fdm_kernel",), "bi_woof": ("flow.bi_woof_kernel",),
           "optical_strain": ("flow.strain_backward_kernel",), "tvl1": ("tvl1.tvl1_kernel",)}

#: Descriptors whose kernels share compiled code (HIGO-TOP runs HOG-TOP's kernel; optical strain and
#: Bi-WOOF share their row helpers): compiled in one process, their cost counted once.
SHARED_KERNELS = (("hog_top", "higo_top"), ("bi_woof", "optical_strain"))


def _check_names(names, caller):
    names = (names,) if isinstance(names, str) else tuple(names)
    unknown = [n for n in names if n not in WARM_UP_NAMES]
    if unknown:
        raise ValueError(f"{caller}: unknown descriptor name(s) {unknown}; choose among {list(WARM_UP_NAMES)}")
    return names


def _units(names):
    """``[(members, seconds)]``: the names with kernel-sharing descriptors kept together."""
    names = list(dict.fromkeys(names))
    units, seen = [], set()
    for name in names:
        if name in seen:
            continue
        members = [m for m in next((g for g in SHARED_KERNELS if name in g), (name,)) if m in names]
        seen.update(members)
        units.append((members, max(COMPILE_SECONDS[m] for m in members)))
    return units


def compile_groups(names, n_groups):
    """Split descriptor names into at most ``n_groups`` lists of about equal compile time.

    Descriptors that share kernels (:data:`SHARED_KERNELS`) stay in one list, so that no kernel is
    compiled in two processes; the most expensive go first, each to the least loaded list. Names as
    for :func:`warm_up` (an unknown one raises ValueError).

    Examples
    --------
    >>> compile_groups(["lbp_top", "hog_top", "higo_top", "fdm"], 2)
    [['lbp_top'], ['fdm', 'hog_top', 'higo_top']]
    """
    groups = [[[], 0] for _ in range(max(1, int(n_groups)))]
    for members, seconds in sorted(_units(_check_names(names, "compile_groups")), key=lambda u: -u[1]):
        g = min(groups, key=lambda g: g[1])
        g[0] += members
        g[1] += seconds
    return [g[0] for g in groups if g[0]]


def kernels_cached(names):
    """Whether numba's disk cache holds every kernel of these descriptors (:data:`KERNELS`), built from
    the current source: True, False, or None when that cannot be told (see :func:`mefeat._jit.disk_cached`).

    Reads cache indexes only (no compilation, no loading): a caller can decide whether a first run is
    about to compile before it starts anything. Names as for :func:`warm_up`.
    """
    import importlib

    from mefeat._jit import disk_cached

    state = True
    for ref in dict.fromkeys(r for n in _check_names(names, "kernels_cached") for r in KERNELS[n]):
        module, function = ref.split(".")
        found = disk_cached(getattr(importlib.import_module("mefeat._kernels." + module), function))
        if found is False:
            return False
        if found is None:
            state = None
    return state


def _landmarks():
    # 68 distinct points inside a 16x16 image: only the kernels' argument types matter here
    t = np.linspace(0.0, 2.0 * np.pi, 68, endpoint=False)
    return np.stack([8.0 + 6.0 * np.cos(t), 8.0 + 6.0 * np.sin(3.0 * t)], axis=1)


def _lbp_top():
    from mefeat.descriptors._lbp_top import lbp_top

    lbp_top(np.zeros((3, 3, 3), np.uint8), radii=1, grid=1, n_threads=1)  # same kernel types as the defaults


def _hog_top():
    from mefeat.descriptors._hog_top import hog_top

    hog_top(np.zeros((3, 3, 3), np.uint8), grid=1, n_threads=1)  # also builds the orientations=8 bin table


def _higo_top():
    from mefeat.descriptors._hog_top import higo_top

    higo_top(np.zeros((3, 3, 3), np.uint8), grid=1, n_threads=1)  # the HOG-TOP kernel: nothing new to compile


def _mdmo():
    from mefeat.descriptors._mdmo import mdmo

    mdmo(np.zeros((1, 16, 16, 2), np.float32), _landmarks())


def _fdm():
    from mefeat.descriptors._fdm import fdm

    fdm(np.zeros((2, 6, 6, 2), np.float32))


def _bi_woof():
    from mefeat.descriptors._bi_woof import bi_woof

    bi_woof(np.arange(50, dtype=np.float32).reshape(5, 5, 2))


def _optical_strain():
    # the kernel of mefeat.flow.optical_strain, called with the argument types that function passes
    from mefeat._kernels.flow import STRAIN_BACKWARD, strain_kernel

    strain_kernel(np.zeros((2, 2, 2), np.float32), int(STRAIN_BACKWARD), np.empty((2, 2), np.float64))


def _tvl1():
    from mefeat.flow import compute_flow

    f = np.zeros((16, 16), np.uint8)  # every parameter goes into arrays: one specialisation for all settings
    compute_flow(f, f, method="tvl1", warps=1, outer_iterations=1, inner_iterations=1)


_WARM = {"lbp_top": _lbp_top, "hog_top": _hog_top, "higo_top": _higo_top, "mdmo": _mdmo, "fdm": _fdm,
         "bi_woof": _bi_woof, "optical_strain": _optical_strain, "tvl1": _tvl1}


def warm_up(names=None):
    """Compile the numba kernels of the given descriptors now, or load them from the disk cache.

    Call it once in a parent process before starting worker processes (joblib/loky, dask): the
    first call in an environment compiles the kernels and writes them to numba's disk cache, and
    the workers then load the compiled code instead of each compiling it again. In a process where
    the cache is already filled it only loads it (well under a second for all descriptors).

    Parameters
    ----------
    names : iterable of str or None, default None
        Descriptor names among ``"lbp_top"``, ``"hog_top"``, ``"higo_top"``, ``"mdmo"``, ``"fdm"``,
        ``"bi_woof"``, ``"optical_strain"`` (:func:`mefeat.flow.optical_strain`) and ``"tvl1"`` (the
        default optical flow's kernel); None = all.
        A single string is accepted for a single name.

    Returns
    -------
    seconds : float
        Wall time spent (compilation or cache loading, plus the tiny calls).

    Raises
    ------
    ValueError
        An unknown name.

    Notes
    -----
    The kernels are specialised on the argument types, and warm_up compiles those of the extraction
    pipeline: uint8 ``(T, H, W)`` clips (as produced by TIM) for the texture descriptors and float32
    ``(H, W, 2)`` flows (OpenCV's output) for the flow descriptors. Other input dtypes (float64
    clips, float64 flows) compile one more specialisation at their first call. The compile notice
    (see :func:`mefeat._jit.set_compile_notice`) is shown once if something is compiled.
    Under ``NUMBA_DISABLE_JIT=1`` nothing is compiled and the call only runs the tiny inputs.

    Examples
    --------
    >>> from mefeat.descriptors import warm_up
    >>> seconds = warm_up(["bi_woof"])
    """
    names = WARM_UP_NAMES if names is None else _check_names(names, "warm_up")
    from mefeat._jit import compile_notice

    seconds = sum(sec for _, sec in _units(names))
    t0 = time.perf_counter()
    with compile_notice("descriptor (" + ", ".join(dict.fromkeys(names)) + ")", seconds):
        for name in dict.fromkeys(names):
            _WARM[name]()
    return time.perf_counter() - t0
