"""Where the clips of an extraction run: the :class:`Backend` interface and its serial, loky and Dask
implementations.

A back-end runs a picklable function over tasks and yields the results in any order; the run does
everything else (planning, caching, the progress bar, writing). Another scheduler (Ray, a batch
queue, threads) is one subclass outside mefeat, passed as ``extract_features(..., backend=MyBackend())``::

    class ThreadBackend(Backend):
        name = "threads"

        def start(self, n_workers):
            self.pool = concurrent.futures.ThreadPoolExecutor(n_workers)

        def map_unordered(self, fn, tasks):
            futures = [self.pool.submit(fn, t) for t in tasks]
            for f in concurrent.futures.as_completed(futures):
                yield f.result()

        def shutdown(self, kill=False):
            self.pool.shutdown(wait=not kill, cancel_futures=kill)
"""

import abc
import itertools
import logging
import os

log = logging.getLogger("mefeat")

#: The back-ends named by a string (``extract_features(backend=...)``, ``--backend``).
BACKENDS = ("loky", "dask")

#: Dask LocalCluster settings when no scheduler is given (tests may patch this).
LOCAL_CLUSTER_KWARGS = {"threads_per_worker": 1, "processes": True, "dashboard_address": None}


class Backend(abc.ABC):
    """How an extraction runs its clips.

    The run calls :meth:`start` once before its first parallel work, then :meth:`map_unordered` (and,
    for a back-end with :attr:`warms_in_workers`, :meth:`warm` first), and :meth:`shutdown` at its end,
    with ``kill=True`` when it was interrupted or failed.

    Attributes
    ----------
    name : str
        Recorded in the manifest (``execution.backend``).
    warms_in_workers : bool
        :meth:`warm` places one call on each of several worker processes at once, whose processes then
        run the clips (the numba kernels are compiled there, in parallel, and this process loads none).
        False (the default): the run compiles in this process and the workers load the kernels from
        numba's disk cache at their first clip.
    """

    name = "custom"
    warms_in_workers = False

    def start(self, n_workers):  # noqa: B027 - optional hook
        """Get ready to run up to ``n_workers`` calls at once (may be lazy: start nothing until the first call)."""

    @abc.abstractmethod
    def map_unordered(self, fn, tasks):
        """Yield ``fn(task)`` for every task, in any order, as each finishes.

        ``fn`` is picklable (a :func:`functools.partial` of a module-level function). An exception
        raised by ``fn`` (mefeat's own never raises for a failed clip) or by the back-end ends the run.
        Worker processes with a core each should call :func:`mefeat.extraction.worker.single_threaded`
        before their first task, as loky's and Dask's do (one thread for numba and OpenCV).
        """

    def warm(self, fn, groups):
        """``[fn(g) for g in groups]``, the calls at once, each in its own worker.

        Called only when :attr:`warms_in_workers` is True; the default runs them here, one after the other.
        """
        return [fn(g) for g in groups]

    def in_process(self, n_tasks):
        """True when ``n_tasks`` tasks are better run in this process (the run then runs them serially)."""
        return False

    def shutdown(self, kill=False):  # noqa: B027 - optional hook
        """Release what :meth:`start` took; ``kill``: stop running calls now, without waiting for them."""


class SerialBackend(Backend):
    """Every clip in this process, one after the other (``n_jobs=1``)."""

    name = "serial"

    def map_unordered(self, fn, tasks):
        for t in tasks:
            yield fn(t)

    def in_process(self, n_tasks):
        return True


def _loky_worker_init(parent_pid):
    """A loky worker's start: die with the run's process, one thread for numba and OpenCV."""
    from mefeat.extraction.worker import single_threaded, watch_parent

    watch_parent(parent_pid)  # loky workers are this process's children
    single_threaded()


#: ``[(executor, settings key)]``: the pool of the last :class:`LokyBackend` run, reused by the next one with
#: the same settings and killed by :func:`kill_loky_workers`.
_LIVE = []


class LokyBackend(Backend):
    """Worker processes of joblib's loky (reused from one run to the next in a process).

    The workers stay after a run (a second call in the same process starts at once; loky stops them
    after 5 idle minutes); :meth:`shutdown` with ``kill=True``, or :func:`kill_loky_workers`, kills
    them at once. Each worker watches this process and exits when it is gone (a run killed by the OOM
    killer leaves no worker computing on).
    """

    name = "loky"
    warms_in_workers = True
    #: seconds an idle worker waits for work before it exits (joblib's idle_worker_timeout)
    idle_timeout = 300

    def __init__(self):
        self.n_workers = None
        self.executor = None

    def start(self, n_workers):
        self.n_workers = int(n_workers)

    def _max_workers(self):
        from joblib import cpu_count

        return self.n_workers or cpu_count()

    def _executor(self):
        """A loky process pool with this process's settings, kept from one run to the next (its workers keep
        the kernels they compiled). It is mefeat's own pool, not loky's process-wide reusable executor:
        joblib's ``Parallel`` expects that one to be built by joblib itself (a later ``Parallel`` in the
        same process, such as a comparison after an extraction in a notebook, would fail on it)."""
        from joblib import cpu_count
        from joblib.externals.loky import ProcessPoolExecutor
        from joblib.parallel import ParallelBackendBase

        n = self._max_workers()
        # the thread limits joblib's loky backend gives its workers: cores / workers for each native thread pool
        env = {var: str(os.environ.get(var, max(cpu_count() // n, 1)))
               for var in ParallelBackendBase.MAX_NUM_THREADS_VARS}
        if ParallelBackendBase.TBB_ENABLE_IPC_VAR not in os.environ:
            env[ParallelBackendBase.TBB_ENABLE_IPC_VAR] = "1"
        key = (os.getpid(), n, tuple(sorted(env.items())))
        if _LIVE and _LIVE[0][1] == key and _usable(_LIVE[0][0]):
            self.executor = _LIVE[0][0]
            return self.executor
        kill_loky_workers()  # another worker count or environment: the old pool goes
        # idle workers exit after idle_timeout; the pool starts new ones when work comes
        self.executor = ProcessPoolExecutor(max_workers=n, timeout=self.idle_timeout, env=env,
                                            initializer=_loky_worker_init, initargs=(os.getpid(),))
        _LIVE[:] = [(self.executor, key)]
        return self.executor

    def map_unordered(self, fn, tasks):
        from concurrent.futures import FIRST_COMPLETED, wait

        # at most two calls a worker in loky's hands (joblib's pre_dispatch): a kill then finds almost nothing
        # queued (loky's manager thread can fail on a queue emptied under it and print its traceback), and no
        # cancel() on the way out (a cancelled future breaks loky's kill: the workers would live on);
        # shutdown(kill=True) drops what is pending
        executor, todo = self._executor(), iter(tasks)
        running = {executor.submit(fn, t) for t in itertools.islice(todo, 2 * self._max_workers())}
        while running:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for f in done:
                for t in itertools.islice(todo, 1):
                    running.add(executor.submit(fn, t))
                yield f.result()

    def warm(self, fn, groups):
        executor = self._executor()
        futures = [executor.submit(fn, g) for g in groups]
        return [f.result() for f in futures]

    def in_process(self, n_tasks):
        return self.n_workers == 1 or n_tasks == 1

    def shutdown(self, kill=False):
        """``kill``: kill the workers now (an interrupted or failed run); else keep them for the next run."""
        if kill and self.executor is not None:
            _kill(self.executor)


def _usable(executor):
    """True when ``executor`` still accepts work (not shut down, no worker crashed)."""
    try:
        executor.submit(int).result()
    except RuntimeError:  # shut down, or BrokenProcessPool after a worker died
        return False
    return True


def _kill(executor):
    try:
        executor.shutdown(wait=False, kill_workers=True)
    except Exception:  # pragma: no cover - best effort on the way out
        pass


def kill_loky_workers():
    """Kill the loky workers of this process's extraction runs now (the command's exit, a compile ahead
    nobody needs, a test that needs new workers). Does nothing when no run started any."""
    if _LIVE:
        _kill(_LIVE.pop()[0])


class DaskBackend(Backend):
    """A ``dask.distributed`` cluster: ``scheduler`` (an address) or a local cluster of ``n_workers``
    processes (:data:`LOCAL_CLUSTER_KWARGS`), started at the first clip and closed at the run's end.
    Clips are sent in batches of up to 8 (Dask's per-task overhead)."""

    name = "dask"

    def __init__(self, scheduler=None):
        self.scheduler = scheduler
        self.n_workers = None
        self.client = self.cluster = None

    def start(self, n_workers):
        self.n_workers = int(n_workers)

    def _connect(self):
        try:
            import dask
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:
            raise ImportError("backend='dask' needs dask.distributed: pip install 'mefeat[dask]'") from exc
        quiet = logging.getLogger("mefeat").getEffectiveLevel() > logging.INFO
        level = logging.ERROR if quiet else logging.WARNING
        for name in ("distributed", "distributed.nanny", "distributed.scheduler", "distributed.worker",
                     "distributed.core", "distributed.http.proxy"):
            logging.getLogger(name).setLevel(level)
        # The nanny's default MALLOC_TRIM_THRESHOLD_=65536 makes glibc return memory to the OS on almost every
        # free, which cost ~10 % on our per-clip arrays: workers run with the process defaults, like loky's.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                              "distributed.admin.system-monitor.gil.enabled": False}):
            if self.scheduler:
                self.client = Client(self.scheduler)
            else:
                from joblib import cpu_count

                self.cluster = LocalCluster(n_workers=self.n_workers or cpu_count(), silence_logs=level,
                                            **LOCAL_CLUSTER_KWARGS)
                self.client = Client(self.cluster)

    def map_unordered(self, fn, tasks):
        from dask.distributed import as_completed

        if self.client is None:
            self._connect()
        client, tasks = self.client, list(tasks)
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or 1)
        size = max(1, min(8, len(tasks) // (4 * n_workers)))  # batches amortise Dask's per-task overhead
        batches = [tasks[i:i + size] for i in range(0, len(tasks), size)]
        fn_f = client.scatter(fn, broadcast=True)
        futures = [client.submit(_run_batch, fn_f, b, pure=False) for b in batches]
        try:
            for fut in as_completed(futures):
                yield from fut.result()
        except BaseException:
            for f in futures:
                f.cancel()
            raise

    def shutdown(self, kill=False):
        if self.client is None and self.cluster is None:
            return
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
        try:
            if self.client is not None:
                self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()
            self.client = self.cluster = None


def _run_batch(fn, tasks):
    """A Dask task: several clips in one of the cluster's worker processes (one thread each)."""
    from mefeat.extraction.worker import single_threaded

    single_threaded()
    return [fn(t) for t in tasks]


def get_backend(backend, scheduler=None):
    """The :class:`Backend` of ``backend``: "loky", "dask" (with ``scheduler``) or a Backend instance."""
    if isinstance(backend, Backend):
        return backend
    if backend == "dask":
        return DaskBackend(scheduler)
    if backend == "loky":
        return LokyBackend()
    raise ValueError(f"backend must be one of {BACKENDS} or a mefeat.extraction.Backend, got {backend!r}")
