"""The numba kernels of a run: compiled (or loaded from numba's disk cache) before the first clip,
in several worker processes at once when the back-end can (:attr:`Backend.warms_in_workers`), and
the dry run that checks every table's parameters on a synthetic prepared clip."""

import dataclasses
import logging
import threading
import time

import numpy as np

from mefeat import catalogue as _catalogue
from mefeat._config import DEFAULT_FLOW_METHOD
from mefeat.extraction import backends as _backends
from mefeat.extraction import worker as _worker

log = logging.getLogger("mefeat")


def n_workers(n_jobs):
    """Worker processes of ``n_jobs`` (None or -1: every core, as joblib counts them; -2: all but one)."""
    from joblib import cpu_count

    from mefeat._validation import n_workers as workers_of

    return workers_of(n_jobs, cpu_count())


def ready_worker(names):
    """A worker's first task: compile (or load) the kernels of the descriptors ``names``, then import
    what its clips need (scikit-learn through the transformers: about 1 s of one core), so that the
    workers pay that in parallel, each while the other compiles, not one after the other at their first
    clip."""
    from mefeat.descriptors import warm_up

    warm_up(names)
    import mefeat.transformers._base  # noqa: F401  (scikit-learn)


def worker_groups(specs, workers, backend, flow_method=DEFAULT_FLOW_METHOD):
    """``(names, groups)``: the numba kernel names of these descriptor specs, and the groups
    (:func:`~mefeat.descriptors._warm_up.compile_groups`) to compile at once in ``backend``'s workers,
    or ``[]`` when the compile belongs in one process (a back-end that cannot place them, JIT disabled,
    one worker or one group). The one rule of :func:`compile_ahead` and :func:`warm_kernels`.

    The flow descriptors list the default flow's kernel (``"tvl1"``); it is left out when the run uses
    another ``flow_method``. Read from the specs' declarations only: nothing is imported (this runs
    first thing in the command, before scikit-learn is loaded)."""
    from mefeat import _jit
    from mefeat.descriptors._warm_up import compile_groups

    names = sorted({k for spec in specs for k in spec.kernels if k != "tvl1" or flow_method == "tvl1"})
    if not backend.warms_in_workers or _jit.jit_disabled() or not names:
        return names, []
    groups = compile_groups(names, workers)
    return names, (groups if len(groups) > 1 else [])


@dataclasses.dataclass
class AheadCompile:
    """A :func:`compile_ahead` compile: its thread, its back-end, and its error if it failed."""

    thread: threading.Thread
    backend: object
    error: BaseException = None


#: The compile started by :func:`compile_ahead` (an :class:`AheadCompile`), until the run has waited for it.
#: Only the main thread changes it.
_ahead = []


def compile_ahead(descriptors="default", n_jobs=None, backend="loky"):
    """Start compiling the numba kernels of ``descriptors`` in the run's loky workers, in the background.

    ``python -m mefeat.extract`` calls it first thing, before it imports scikit-learn, opens the data
    set and plans the run (about 2 s of one core on the demo), so that a first run in a new environment
    compiles during that time instead of after it. Only when it will pay: a back-end that compiles in its
    workers (loky) with at least two workers, kernels that split into several
    :func:`~mefeat.descriptors._warm_up.compile_groups`, and a numba disk cache that lacks some of them
    (:func:`~mefeat.descriptors._warm_up.kernels_cached`, which reads cache indexes only). With the
    kernels cached, nothing starts: a run that finds every feature in its own cache then starts no
    worker at all.

    Returns True if a compile was started. The run waits for it before it compiles, loads or runs any
    kernel (:func:`await_compile_ahead`), so no kernel is compiled twice; :func:`end_compile_ahead`
    kills its workers if the run ends without needing it. Descriptor names that do not resolve start
    nothing (the run reports them).

    The cache check (:func:`mefeat._jit.disk_cached`) matches the kernels' bytecode, not their
    signatures or the CPU the cache was written on: a cache filled on another machine, or with other
    argument types only, counts as filled, and the run then compiles as it did before (no harm but no
    head start).
    """
    from mefeat.descriptors._warm_up import kernels_cached

    if _ahead:
        return False
    try:
        backend = _backends.get_backend(backend)
        workers = n_workers(n_jobs)
        names, groups = worker_groups(_catalogue._split_tables(descriptors).values(), workers, backend)
    except ValueError:
        return False
    if not groups or kernels_cached(names) is not False:
        return False
    backend.start(workers)

    def body():
        try:
            backend.warm(ready_worker, groups)
        except BaseException as exc:  # workers stopped by end_compile_ahead, or a crash: the run compiles
            ahead.error = exc

    log.info("numba's disk cache lacks kernels of %s: compiling them in %d worker processes while the run "
             "starts (once per environment)", ", ".join(names), len(groups))
    ahead = AheadCompile(threading.Thread(target=body, name="mefeat-compile-ahead", daemon=True), backend)
    _ahead.append(ahead)
    ahead.thread.start()
    return True


def await_compile_ahead():
    """Wait for the :func:`compile_ahead` compile, if one runs (its kernels are then in the disk cache)."""
    while _ahead:
        ahead = _ahead[-1]
        ahead.thread.join()  # an interrupt here leaves the entry for end_compile_ahead to stop
        _ahead.pop()
        if ahead.error is not None:
            log.debug("compiling ahead failed (%r); the run compiles what it needs", ahead.error)


def end_compile_ahead():
    """Stop a :func:`compile_ahead` compile that the run did not wait for (nothing to compute, an error,
    an interrupt): its workers are killed, what they compiled so far stays in the disk cache."""
    if _ahead and _ahead[-1].thread.is_alive():
        _ahead[-1].backend.shutdown(kill=True)
    await_compile_ahead()


def warm_kernels(plan, backend, workers, with_dry_run):
    """Compile the tables' numba kernels (or load them from numba's disk cache), then :func:`dry_run`.

    Returns the dry run's seconds (0 without ``with_dry_run``). With a back-end that compiles in its workers (loky),
    several workers and kernels that split into several groups
    (:func:`mefeat.descriptors._warm_up.compile_groups`), the groups are compiled at once in the worker
    processes the run then reuses (about halving a first run's wait on two cores; with a warm cache the
    workers load what they would load at their first clip anyway), and the dry run runs in one of them:
    this process never loads a kernel. Otherwise (one process, Dask, one kernel group such as a
    one-descriptor sweep) here, and only for the dry run: Dask workers load the kernels from the disk
    cache, and a single process at its first call.
    """
    from mefeat.descriptors import warm_up

    await_compile_ahead()
    names, groups = worker_groups([t.spec for t in plan.tables], workers, backend,
                                  plan.flow.get("method", DEFAULT_FLOW_METHOD))
    if groups:
        backend.warm(ready_worker, groups)
        return list(backend.map_unordered(dry_run, [plan]))[0] if with_dry_run else 0.0
    if not with_dry_run:
        return 0.0
    if names:
        warm_up(names)
    return dry_run(plan)


def dry_run(plan):
    """Run every table once on a synthetic prepared clip: data-dependent checks and kernel compilation.

    The clip has the prepared shape (``tim.n_frames`` frames of ``face.size`` px, or a 64 px
    stand-in without alignment) and the canonical landmarks, so a parameter that cannot work on
    the real prepared clips (radii longer than the TIM clip, a grid finer than the crop ...)
    fails here, before any clip is read, with the table's name. Runs where the kernels are loaded
    (:func:`warm_kernels`): in this process or in a worker.
    """
    from mefeat import Clip
    from mefeat.face import template_landmarks

    size = int(plan.face.get("size", 128)) if plan.face.get("align", True) else 64
    rng = np.random.default_rng(0)
    n_raw = max(int(plan.tim["n_frames"]) + 2, 12)
    base = rng.integers(60, 200, (size, size)).astype(np.float64)
    frames = np.stack([np.roll(base, k, axis=1) + rng.integers(0, 8, (size, size)) for k in range(n_raw)])
    frames = frames.astype(np.uint8)
    lm = template_landmarks(size, plan.face.get("margin", 0.1)) if plan.face.get("align", True) else None
    header = Clip(frames, onset=0, apex=n_raw // 2, offset=n_raw - 1, name="(dry run)", landmarks=lm)
    tim = _catalogue.make_stage("tim", plan.tim).transform([header])[0]
    prepared = {"tim": tim, "key_frames": header.replace(frames=frames[[0, n_raw // 2]], onset=0, apex=1, offset=1)}
    for clip in prepared.values():  # as in the run: shared by every descriptor, read-only
        clip.frames.setflags(write=False)
    t0 = time.perf_counter()
    # the flow backend's parameters were checked by catalogue.resolve; the descriptors only need flows of the
    # right shape, which DIS gives in a millisecond (the per-clip backend would take seconds here)
    feats, errors = _worker.compute_features(prepared, plan.tables, {"method": "dis", "preset": "ultrafast"})
    for table in plan.tables:
        if table.name in feats and table.name not in errors:
            try:
                n_names = len(table.spec.feature_names(table.params))
            except Exception as exc:
                errors[table.name] = f"get_feature_names_out() failed: {type(exc).__name__}: {exc}"
                continue
            if n_names != feats[table.name].shape[0]:
                errors[table.name] = (f"the transformer returns {feats[table.name].shape[0]} features but "
                                      f"get_feature_names_out() names {n_names}")
    if errors:
        name, msg = next(iter(errors.items()))
        table = next(t for t in plan.tables if t.name == name)
        raise ValueError(f"{name} cannot run on the prepared clips ({input_shape(plan, table.spec)}) with "
                         f"{_catalogue._jsonable(table.params)}: {msg}")
    return time.perf_counter() - t0


def input_shape(plan, spec):
    """The prepared input of ``spec``, in words, for an error message."""
    size = plan.face.get("size", 128) if plan.face.get("align", True) else "raw"
    if spec.input == "tim":
        return f"{plan.tim['n_frames']} TIM frames of {size} px"
    return f"onset and apex frames of {size} px"
