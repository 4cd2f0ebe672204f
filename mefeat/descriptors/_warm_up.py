"""Compile the descriptor kernels ahead of the first real call: :func:`warm_up`.

Numba compiles a kernel at its first call and writes the machine code to its disk cache
(``cache=True``); later processes load it in a fraction of a second. :func:`warm_up` makes that
first call on tiny inputs of the dtypes the extraction pipeline uses, so a parent process can pay
the compilation once before it starts worker processes, which then only load the cache.
NumPy only at import time: nothing is compiled or imported from numba until it is called.

What to compile is declared by each descriptor (``DescriptorSpec.warm_up``: the tiny call, the kernels it
compiles, their typical compile seconds) and read from the registry (:mod:`mefeat._registry`) when
needed, so a descriptor registered from a notebook is warmed up like a built-in one.
"""

import importlib
import time

from mefeat import _registry

# Also readable, as views of the registry (see __getattr__): WARM_UP_NAMES, COMPILE_SECONDS, KERNELS, SHARED_KERNELS.
__all__ = ["warm_up", "warm_up_names", "compile_groups", "kernels_cached"]

_declared = _registry.warm_ups


def warm_up_names():
    """The names :func:`warm_up` accepts: every registered descriptor that declares a
    :class:`~mefeat.catalogue.WarmUp`, in the paper's order, and ``"tvl1"`` (the default flow's kernel)."""
    return tuple(_declared())


def _shared(declared):
    """Groups of warm-up names whose kernels share compiled code (a kernel in common, or the same
    ``WarmUp.shared``), each in warm-up order; names that share nothing are left out."""
    groups = []  # [names, tokens]
    for name, unit in declared.items():
        tokens = set(unit.kernels) | ({unit.shared} if unit.shared else set())
        linked = [g for g in groups if g[1] & tokens]
        merged = [[m for g in linked for m in g[0]] + [name], tokens.union(*(g[1] for g in linked))]
        groups = [g for g in groups if g not in linked] + [merged]
    order = list(declared)
    return tuple(tuple(sorted(g[0], key=order.index)) for g in sorted(groups, key=lambda g: order.index(g[0][0]))
                 if len(g[0]) > 1)


def __getattr__(name):
    # Views of the registry, computed when read, so that a descriptor registered later is in them:
    # WARM_UP_NAMES (warm_up_names()), COMPILE_SECONDS and KERNELS ({name: WarmUp.seconds / .kernels}) and
    # SHARED_KERNELS (the names whose kernels share compiled code: compiled in one process, counted once).
    if name == "WARM_UP_NAMES":
        return warm_up_names()
    if name == "COMPILE_SECONDS":
        return {n: unit.seconds for n, unit in _declared().items()}
    if name == "KERNELS":
        return {n: unit.kernels for n, unit in _declared().items()}
    if name == "SHARED_KERNELS":
        return _shared(_declared())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _check_names(names, caller, declared):
    names = (names,) if isinstance(names, str) else tuple(names)
    unknown = [n for n in names if n not in declared]
    if unknown:
        raise ValueError(f"{caller}: unknown descriptor name(s) {unknown}; choose among {list(declared)}")
    return names


def _units(names, declared):
    """``[(members, seconds)]``: the names with kernel-sharing descriptors kept together."""
    names = list(dict.fromkeys(names))
    shared = _shared(declared)
    units, seen = [], set()
    for name in names:
        if name in seen:
            continue
        members = [m for m in next((g for g in shared if name in g), (name,)) if m in names]
        seen.update(members)
        units.append((members, max(declared[m].seconds for m in members)))
    return units


def compile_groups(names, n_groups):
    """Split descriptor names into at most ``n_groups`` lists of about equal compile time.

    Descriptors that share compiled code (a kernel in common, or the same ``WarmUp.shared``) stay in
    one list, so that no kernel is compiled in two processes; the most expensive go first, each to
    the least loaded list. Names as for :func:`warm_up` (an unknown one raises ValueError).

    Examples
    --------
    >>> compile_groups(["lbp_top", "hog_top", "higo_top", "fdm"], 2)
    [['lbp_top'], ['fdm', 'hog_top', 'higo_top']]
    """
    declared = _declared()
    groups = [[[], 0] for _ in range(max(1, int(n_groups)))]
    units = _units(_check_names(names, "compile_groups", declared), declared)
    for members, seconds in sorted(units, key=lambda u: -u[1]):
        g = min(groups, key=lambda g: g[1])
        g[0] += members
        g[1] += seconds
    return [g[0] for g in groups if g[0]]


def _kernel(ref):
    # "module.function" of mefeat._kernels, or "package.module:function" for a kernel outside mefeat
    if ":" in ref:
        return _registry.resolve_object(ref)
    module, function = ref.split(".")
    return getattr(importlib.import_module("mefeat._kernels." + module), function)


def kernels_cached(names):
    """Whether numba's disk cache holds every kernel of these descriptors (their ``WarmUp.kernels``),
    built from the current source: True, False, or None when that cannot be told (see
    :func:`mefeat._jit.disk_cached`).

    Reads cache indexes only (no compilation, no loading): a caller can decide whether a first run is
    about to compile before it starts anything. Names as for :func:`warm_up`.
    """
    from mefeat._jit import disk_cached

    declared = _declared()
    state = True
    for ref in dict.fromkeys(r for n in _check_names(names, "kernels_cached", declared) for r in declared[n].kernels):
        found = disk_cached(_kernel(ref))
        if found is False:
            return False
        if found is None:
            state = None
    return state


def warm_up(names=None):
    """Compile the numba kernels of the given descriptors now, or load them from the disk cache.

    Call it once in a parent process before starting worker processes (joblib/loky, dask): the
    first call in an environment compiles the kernels and writes them to numba's disk cache, and
    the workers then load the compiled code instead of each compiling it again. In a process where
    the cache is already filled it only loads it (well under a second for all descriptors).

    Parameters
    ----------
    names : iterable of str or None, default None
        Names among :func:`warm_up_names`: the registered descriptors that declare a
        :class:`~mefeat.catalogue.WarmUp` (a descriptor registered from a notebook included) and
        ``"tvl1"`` (the default optical flow's kernel); None = all. A single string is accepted
        for a single name.

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
    declared = _declared()
    names = tuple(declared) if names is None else _check_names(names, "warm_up", declared)
    from mefeat._jit import compile_notice

    seconds = sum(sec for _, sec in _units(names, declared))
    t0 = time.perf_counter()
    with compile_notice("descriptor (" + ", ".join(dict.fromkeys(names)) + ")", seconds):
        for name in dict.fromkeys(names):
            declared[name].call()
    return time.perf_counter() - t0
