"""The only module of mefeat that imports numba.

Every kernel in :mod:`mefeat._kernels` is decorated with :data:`jit` (the helpers they call with
:data:`helper`). Compilation is lazy (no signatures, nothing is compiled at import), cached on
disk (``cache=True``: numba compiles a kernel once per environment and later processes load the
machine code from the cache) and releases the GIL (``nogil=True``), so that a thread pool over row
or frame blocks scales. There are no ``parallel=True`` kernels: the descriptors split the work
into blocks and run the serial kernel on them in threads (:mod:`mefeat.descriptors._threads`),
which gives the same parallelism at a fraction of the compile time.

Options of :data:`jit`:

* ``fastmath`` off: LBP bits come from exact comparisons and must not depend on FMA contraction.
* ``error_model="numpy"``: integer and float divisions carry no zero check (a float division by
  zero gives inf/nan, an integer one 0, as in NumPy). The kernels receive validated inputs and
  never divide by zero on purpose; without the checks LBP-TOP's kernel compiles in about half
  the time (measured with ``benchmarks/bench_jit.py``).

Compile notice: the first call of a descriptor whose kernels are not in the disk cache compiles
them (a few seconds). :func:`compile_notice` wraps a descriptor's kernel calls; when numba really
compiles inside it (a cache miss, seen through numba's ``numba:compile`` event, not a guess), one
message per descriptor and process is logged at WARNING level on the ``"mefeat"`` logger, e.g.
``mefeat: compiling LBP-TOP kernels, once per environment (about 3 s)...``. With no logging
configured, Python prints WARNING messages to stderr, so the notice shows by default in a terminal
and in a notebook; an application that sets the ``"mefeat"`` logger's level above WARNING (as
``python -m mefeat.extract -q`` does) hides it. :func:`set_compile_notice` (or the environment
variable ``MEFEAT_QUIET=1``) turns it off.

Set ``NUMBA_CACHE_DIR`` when the installed package directory is read-only.
"""

import contextlib
import functools
import logging
import os
import threading

import numba

__all__ = ["jit", "helper", "from_python", "get_num_threads", "max_threads", "jit_disabled", "disk_cached",
           "compile_notice", "set_compile_notice", "compile_notice_enabled"]

#: Kernel decorator (serial, ``nogil``; see the module docstring for the options).
jit = functools.partial(numba.njit, cache=True, nogil=True, error_model="numpy")

#: Decorator of the helpers that only kernels call: the same options but no disk cache of their
#: own. A kernel's cached machine code already contains its helpers, so a process that loads the
#: kernel from the cache never compiles them; writing each helper to the cache too cost about 15 %
#: of the cold compile time (``benchmarks/bench_jit.py``). Helpers have no Python entry point either
#: (``no_cpython_wrapper``: about 30 ms less to compile each); :func:`from_python` calls one from Python.
helper = functools.partial(numba.njit, cache=False, nogil=True, error_model="numpy", no_cpython_wrapper=True,
                           no_cfunc_wrapper=True)

logger = logging.getLogger("mefeat")


def from_python(helper_function):
    """A compiled function, callable from Python, that calls the :data:`helper` ``helper_function``
    with the same arguments and returns its result (tests call the helpers through it). Compiled at
    its first call, never cached; the helper itself under ``NUMBA_DISABLE_JIT``."""
    if jit_disabled():
        return helper_function

    def call(*args):
        return helper_function(*args)

    return numba.njit(call)


def jit_disabled():
    """True when ``NUMBA_DISABLE_JIT`` is set: kernels then run as plain Python."""
    return bool(numba.config.DISABLE_JIT)


def disk_cached(kernel):
    """Whether numba's disk cache holds machine code of ``kernel`` (a :data:`jit` function) built from its
    current source: True or False, or None when that cannot be told (JIT disabled, numba's cache internals
    not as expected). Reads the kernel's small cache index only; compiles and loads nothing.

    An index written by another version of the source is stale (numba compares the source file's time
    stamp and size, and the function's bytecode): False.
    """
    if jit_disabled():
        return None
    try:
        import hashlib

        index = kernel._cache._cache_file._load_index()  # {} when absent or stale
        code = hashlib.sha256(kernel.py_func.__code__.co_code).hexdigest()
        return any(key[2][0] == code for key in index)
    except Exception:  # numba internals changed: unknown
        return None


def max_threads():
    """Largest thread count of a descriptor call: numba's ``NUMBA_NUM_THREADS`` (set by joblib's loky
    workers to their share of the cores)."""
    return int(numba.config.NUMBA_NUM_THREADS)


def get_num_threads():
    """Default thread count of a descriptor call (``n_threads=None``): :func:`numba.get_num_threads`
    if numba's own thread pool is running (so ``numba.set_num_threads`` is honoured), else
    ``NUMBA_NUM_THREADS``. Never starts numba's thread pool (mefeat has no ``parallel=True`` kernel)."""
    from numba.np.ufunc import parallel

    if getattr(parallel, "_is_initialized", False):
        return int(numba.get_num_threads())
    return max_threads()


# --------------------------------------------------------------------------- compile notice

_notice_enabled = None  # None: follow MEFEAT_QUIET
_noticed = set()  # labels already announced in this process
_active = []  # (label, seconds) of the compile_notice blocks in progress (any thread)
_lock = threading.Lock()
_listener = None
_compiles = 0  # numba compilations started in this process since the listener was installed


def set_compile_notice(enabled):
    """Show (True) or hide (False) the one-line notice of a first call that compiles kernels.

    ``None`` restores the default: shown unless the environment variable ``MEFEAT_QUIET`` is set
    to a non-empty value other than ``"0"``. Returns the previous setting.
    """
    global _notice_enabled
    if enabled is not None and not isinstance(enabled, bool):
        raise TypeError(f"set_compile_notice takes True, False or None; got {enabled!r}")
    previous, _notice_enabled = _notice_enabled, enabled
    return previous


def compile_notice_enabled():
    """Whether the compile notice is currently shown (see :func:`set_compile_notice`)."""
    if _notice_enabled is not None:
        return _notice_enabled
    return os.environ.get("MEFEAT_QUIET", "") in ("", "0")


def _announce():
    # Called at the start of a real numba compilation (never on a disk-cache load).
    with _lock:
        if not _active:
            return
        label, seconds = _active[0]  # the outermost block (warm_up() around the descriptors it calls)
        if label in _noticed:
            return
        _noticed.add(label)
    if compile_notice_enabled():
        logger.warning("mefeat: compiling %s kernels, once per environment (about %d s)...", label,
                       max(1, round(float(seconds))))


def _install_listener():
    global _listener
    if _listener is not None or jit_disabled():
        return
    from numba.core import event

    class _CompileListener(event.Listener):
        def on_start(self, ev):
            global _compiles
            _compiles += 1
            _announce()

        def on_end(self, ev):
            pass

    with _lock:
        if _listener is None:
            _listener = _CompileListener()
            event.register("numba:compile", _listener)


def compile_count():
    """How many numba compilations started in this process inside :func:`compile_notice` blocks so far.

    Lets a caller tell whether a call compiled (the disk cache was cold) or only loaded code.
    """
    return _compiles


@contextlib.contextmanager
def compile_notice(label, seconds):
    """Announce once per process that the kernels called inside this block are being compiled.

    Parameters
    ----------
    label : str
        What is compiled, e.g. ``"LBP-TOP"``.
    seconds : float
        The typical compile time, quoted in whole seconds (at least 1) in the message.

    Nothing is printed when the kernels come from the disk cache or were compiled earlier in the
    process; the cost outside a compilation is a few microseconds.
    """
    if label in _noticed:
        yield
        return
    _install_listener()
    entry = (label, seconds)
    with _lock:
        _active.append(entry)
    try:
        yield
    finally:
        with _lock:
            _active.remove(entry)
