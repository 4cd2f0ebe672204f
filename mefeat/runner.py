"""The extraction runner: :func:`extract_features` (behind ``python -m mefeat.extract``).

One clip goes through exactly the public code a notebook user calls:
:func:`mefeat.face.align_frames` (the core of :class:`mefeat.FaceAligner`, fed frame by frame),
:class:`mefeat.TemporalNormalizer`, and each descriptor's transformer from the
:mod:`mefeat.catalogue`, with the flows of a clip computed once and shared by every flow
descriptor. ``tests/test_both_doors.py`` checks that the numbers equal those of
:func:`mefeat.catalogue.make_pipeline` bit for bit.

Output folder
-------------
::

    <out>/features/<table>.csv|npz   one table per descriptor (rows: dataset, subject, clip)
    <out>/clips.csv                  the clip table (labels, groups, status)
    <out>/validation_report.csv      every annotation row the loader fixed or dropped
    <out>/manifest.json              versions, parameters, input hashes, timings, failures
    <out>/cache/                     per-clip cache (default; ``cache_dir`` to move or share it)

Reliability
-----------
- Parameters are validated before the first clip is read: :func:`mefeat.catalogue.resolve`, then
  a dry run of each table on a synthetic clip of the prepared size (after the kernels are compiled,
  once, in the run's workers at once). The cache remembers the tables whose settings passed with
  this code, so a re-run or a sweep checks (and compiles) only what is new.
- One run at a time holds ``<out>`` (:class:`mefeat._io.FolderLock`).
- Outputs are built in ``<out>/.staging-*`` and moved into place only when complete, the
  manifest last; a failed run (even with ``force``) leaves the previous outputs untouched.
- The cache is content-addressed (keys from the frame files' bytes, the annotations, the
  parameters, mefeat's source and the versions of the libraries that compute features) and
  checksummed: a truncated, zero-byte, altered or misplaced
  entry is reported and recomputed. After any interruption, a deleted table or a changed
  annotation, the same call computes only what is missing and rewrites the tables.
"""

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import sys
import time

import numpy as np

from mefeat import _cache
from mefeat import catalogue as _catalogue
from mefeat._io import FolderLock, atomic_write, fsync_dir, sha256_file, write_clips_table, write_features, write_json

__all__ = ["extract_features", "ExtractionResult", "ExtractionError", "DEFAULT_OUT", "package_source_hash"]

log = logging.getLogger("mefeat")

#: Default output folder of :func:`extract_features` and ``python -m mefeat.extract``.
DEFAULT_OUT = "mefeat_output"
#: Version of the cache-key scheme and of manifest.json.
ENGINE_VERSION = 2
_FORMATS = ("csv", "npz")
_BACKENDS = ("loky", "dask")
_MANIFEST = "manifest.json"


class ExtractionError(RuntimeError):
    """The run cannot give any result (no clip, every clip failed, a conflicting output folder)."""


@dataclasses.dataclass
class ExtractionResult:
    """What :func:`extract_features` did.

    Attributes
    ----------
    out : str
        The output folder (absolute).
    tables : dict
        ``{table: {"descriptor", "file", "n_clips", "n_features", "computed", "from_cache"}}``.
    n_clips, n_failed, n_dropped : int
        Clips run, clips that failed (see ``failures``), annotation rows the loader dropped.
    failures : list of dict
        ``{"dataset", "subject", "clip", "stage", "reason"}`` per failed clip and stage.
    up_to_date : bool
        Nothing had changed: no file was written.
    manifest : dict
    """

    out: str
    tables: dict
    n_clips: int
    n_failed: int
    n_dropped: int
    failures: list
    up_to_date: bool
    manifest: dict


# --------------------------------------------------------------------------- hashing
_SOURCE_HASH = {}


#: Parts of the package that do not compute features (loaders, evaluation, comparison, figures, the command
#: line): editing them does not invalidate cached features.
_NOT_FEATURE_CODE = ("datasets/", "evaluation/", "compare.py", "extract.py", "plot.py")


def package_source_hash(package_dir=None):
    """sha256 over the relative paths and bytes of the ``*.py`` files of mefeat that compute features.

    Part of every cache key: editing any descriptor, kernel, flow, face, temporal or runner module
    invalidates the cached results; the loaders, evaluation, comparison, figures and command line
    (:data:`_NOT_FEATURE_CODE`) do not enter it. Memoised per folder for the life of the process
    (about 2 ms).
    """
    if package_dir is None:
        package_dir = os.path.dirname(os.path.abspath(__file__))
    package_dir = os.fspath(package_dir)
    if package_dir not in _SOURCE_HASH:
        files = []
        for folder, dirs, names in os.walk(package_dir):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
            files += [os.path.join(folder, n) for n in names if n.endswith(".py")]
        h = hashlib.sha256()
        for path in sorted(files, key=lambda p: os.path.relpath(p, package_dir).replace(os.sep, "/")):
            rel = os.path.relpath(path, package_dir).replace(os.sep, "/")
            if rel.startswith(_NOT_FEATURE_CODE):
                continue
            h.update(rel.encode() + b"\0")
            with open(path, "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())
        _SOURCE_HASH[package_dir] = h.hexdigest()
    return _SOURCE_HASH[package_dir]


#: Distributions whose versions enter every cache key: they compute features (frames, faces, flows, kernels).
_KEYED_DISTRIBUTIONS = ("numpy", "scipy", "numba", "llvmlite", "scikit-image", "dlib-bin", "dlib",
                        "opencv-contrib-python-headless", "opencv-contrib-python", "opencv-python-headless",
                        "opencv-python")
_VERSIONS = []


def _dependency_versions():
    """``{distribution: version}`` of the installed libraries that compute features (part of every
    cache key: upgrading OpenCV, dlib or numba recomputes the features). Memoised per process."""
    if not _VERSIONS:
        from importlib import metadata

        found = {}
        for name in _KEYED_DISTRIBUTIONS:
            try:
                found[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                pass
        _VERSIONS.append(found)
    return dict(_VERSIONS[0])


def _h(*parts):
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode()).hexdigest()


def _spec_fingerprint(spec):
    """'' for mefeat's own descriptors (their code is in the source hash), else a hash of the class source."""
    cls = spec.transformer_class
    if getattr(cls, "__module__", "").split(".")[0] == "mefeat":
        return ""
    return hashlib.sha256(_catalogue.source_of(spec).encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class _Plan:
    """Everything a worker needs besides the clip: stage settings, tables and key material."""

    face: dict
    tim: dict
    flow: dict
    tables: tuple  # ((table, spec, params, fingerprint), ...)
    source: str
    cache_dir: object
    versions: dict = dataclasses.field(default_factory=_dependency_versions)

    def prep_key(self, digest, annot):
        return _h("prep", ENGINE_VERSION, self.source, self.versions, digest, annot, self.face, self.tim)

    def checked_keys(self):
        """Keys of "this table's settings passed the dry run with this code" (:func:`_dry_run`), per table.

        The flow settings are not part of them: the dry run always uses a fixed cheap flow, and
        :func:`mefeat.catalogue.resolve` checks the flow parameters on every call.
        """
        return {t: _h("checked", ENGINE_VERSION, self.source, self.versions, self.face, self.tim, spec.name,
                      spec.input, _catalogue._jsonable(params), fp)
                for t, spec, params, fp in self.tables}

    def feat_keys(self, prep_key):
        return {t: _h("feat", prep_key, spec.name, spec.input, _catalogue._jsonable(params),
                      self.flow if spec.uses_flow else None, fp)
                for t, spec, params, fp in self.tables}


def _stat_key(paths):
    """Key of the frame files' identity (path, size, mtime, inode): finds a clip's byte digest without reading."""
    return _h("stat", [(p, s.st_size, s.st_mtime_ns, s.st_ino) for p, s in ((p, os.stat(p)) for p in paths)])


def _combine(file_hashes):
    return hashlib.sha256(b"".join(file_hashes)).hexdigest()


def _bytes_digest(paths):
    """A clip's digest: sha256 over the sha256 of each frame file's bytes, in frame order."""
    hashes = []
    for p in paths:
        with open(p, "rb") as f:
            hashes.append(hashlib.sha256(f.read()).digest())
    return _combine(hashes)


def _read_cached(cache_dir, kind, key, report):
    """A verified cache entry or None; a corrupt one is reported, removed and treated as missing."""
    if cache_dir is None:
        return None
    path = _cache.entry_path(cache_dir, kind, key)
    try:
        return _cache.read_entry(path, key)
    except _cache.CorruptEntry as exc:
        report.append(f"{path}: {exc}")
        _cache.remove_entry(path)
        return None
    except OSError as exc:
        report.append(f"{path}: unreadable ({exc})")
        return None


def _write_cached(cache_dir, kind, key, arrays):
    if cache_dir is not None:
        _cache.write_entry(_cache.entry_path(cache_dir, kind, key), key, arrays)


# --------------------------------------------------------------------------- per clip
class _FlowMemo:
    """In-process stand-in for joblib.Memory: the flows of one clip, computed once for all descriptors."""

    def __init__(self):
        self.store, self.seconds = {}, 0.0

    def cache(self, func, ignore=()):
        import joblib

        def wrapper(*args):
            key = joblib.hash(args[:-1] if "n_jobs" in ignore else args)
            if key not in self.store:
                t0 = time.perf_counter()
                self.store[key] = func(*args)
                self.seconds += time.perf_counter() - t0
            return self.store[key]

        return wrapper


class _Reader:
    """Frame i of a clip, read and decoded ahead in a thread (decode overlaps the alignment's warping).

    Every file is read once: its bytes are hashed (for the clip digest, see :func:`_bytes_digest`)
    and decoded from the same buffer.
    """

    def __init__(self, paths, lookahead=3):
        from concurrent.futures import ThreadPoolExecutor

        self.paths, self.lookahead = paths, lookahead
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="mefeat-decode")
        self.futures, self.hashes = {}, {}
        self.seconds = 0.0

    def _decode(self, i):
        from mefeat._frames import decode_frame

        t0 = time.perf_counter()
        try:
            with open(self.paths[i], "rb") as f:
                data = f.read()
            self.hashes[i] = hashlib.sha256(data).digest()
            return decode_frame(data, self.paths[i])
        finally:
            self.seconds += time.perf_counter() - t0

    def __call__(self, i):
        fut = self.futures.pop(i, None) or self.pool.submit(self._decode, i)
        for j in range(i + 1, min(i + 1 + self.lookahead, len(self.paths))):
            if j not in self.futures:
                self.futures[j] = self.pool.submit(self._decode, j)
        return fut.result()

    def digest(self):
        """The clip digest, once every frame has been read (else None)."""
        if len(self.hashes) < len(self.paths):
            return None
        return _combine([self.hashes[i] for i in range(len(self.paths))])

    def close(self):
        for f in self.futures.values():
            f.cancel()
        self.pool.shutdown(wait=True)


def _prepare(header, paths, plan, timings):
    """Aligned, time-normalised clip and aligned key frames of one clip (the stages of make_pipeline).

    Returns the prepared arrays and the clip digest of the frame files read on the way.
    """
    from mefeat.flow import clip_apex_index

    t0 = time.perf_counter()
    if plan.face.get("align", True):
        from mefeat.face import align_frames

        aligner = _catalogue.make_stage("face", plan.face)
        face_kw = {k: v for k, v in aligner.get_params().items() if k not in ("n_jobs", "verbose", "reference")}
        reader = _Reader(paths)
        try:
            res = align_frames(reader, n_frames=len(paths), reference_index=header.onset, clip_name=header.name,
                               **face_kw)
        finally:
            reader.close()
            timings["decode"] = timings.get("decode", 0.0) + reader.seconds
        digest = reader.digest()
        meta = dict(header.meta)
        res.meta["reference"] = aligner.reference
        meta["alignment"] = res.meta
        aligned = header.replace(frames=res.frames, landmarks=res.landmarks, meta=meta)
    else:
        from mefeat._frames import read_frame

        aligned = header.replace(frames=np.stack([read_frame(p) for p in paths]))
        digest = None
    timings["align"] = time.perf_counter() - t0
    if aligned.n_frames < 2:
        raise ValueError(f"clip {header.name!r} has {aligned.n_frames} frame; at least 2 are needed")
    t0 = time.perf_counter()
    tim = _catalogue.make_stage("tim", plan.tim).transform([aligned])[0]
    apex = clip_apex_index(aligned)
    key_frames = aligned.frames[[aligned.onset, apex]]
    timings["tim"] = time.perf_counter() - t0
    lm = aligned.landmarks
    return {"tim_frames": tim.frames, "tim_idx": np.array([tim.onset, -1 if tim.apex is None else tim.apex,
                                                           tim.offset]),
            "key_frames": key_frames, "landmarks": np.zeros((0, 2)) if lm is None else lm}, digest


def _prepared_clips(header, entry):
    lm = entry["landmarks"] if entry["landmarks"].size else None
    on, ap, off = (int(v) for v in entry["tim_idx"])
    tim = header.replace(frames=entry["tim_frames"], onset=on, apex=None if ap < 0 else ap, offset=off, landmarks=lm)
    key = header.replace(frames=entry["key_frames"], onset=0, apex=1, offset=1, landmarks=lm)
    return {"tim": tim, "key_frames": key}


def compute_features(prepared, tables, flow, timings=None):
    """Every table's feature vector for one prepared clip (the flows computed once).

    Parameters
    ----------
    prepared : dict
        ``{"tim": Clip, "key_frames": Clip}``.
    tables : sequence of (table, DescriptorSpec, params, ...)
    flow : dict
        Flow stage settings.

    Returns
    -------
    features : dict of table -> (n_features,) float64 ndarray
    errors : dict of table -> str
    """
    memo = _FlowMemo()
    feats, errors = {}, {}
    timings = {} if timings is None else timings
    for table, spec, params, *_ in tables:
        t0, f0 = time.perf_counter(), memo.seconds
        try:
            tr = spec.make_transformer(params, flow=flow, memory=memo)
            vec = np.asarray(tr.transform([prepared[spec.input]]), np.float64)[0]
            if not np.all(np.isfinite(vec)):
                raise ValueError(f"{int(np.count_nonzero(~np.isfinite(vec)))} non-finite feature values")
            feats[table] = vec
        except Exception as exc:  # a descriptor's failure on one clip is recorded, the run goes on
            errors[table] = f"{type(exc).__name__}: {exc}"
        flow_s = memo.seconds - f0
        timings["flow"] = timings.get("flow", 0.0) + flow_s
        timings[table] = timings.get(table, 0.0) + time.perf_counter() - t0 - flow_s
    return feats, errors


def _work(task, plan):
    """Compute (or fetch) the missing features of one clip. Runs in a worker process."""
    if task.get("single_thread"):  # one of several worker processes: one thread each (read before numba starts)
        os.environ.setdefault("NUMBA_NUM_THREADS", "1")
        import cv2

        cv2.setNumThreads(1)
    header, paths = task["header"], task["paths"]
    timings, corrupt = {}, []
    out = {"i": task["i"], "features": {}, "failures": [], "timings": timings, "corrupt": corrupt,
           "digest": task["digest"], "computed": []}
    try:
        digest, entry = task["digest"], None
        if digest is None and plan.face.get("align", True):
            # no digest memo: read, hash and decode every frame in one pass, then look for cached results
            entry, digest = _prepare(header, paths, plan, timings)
        if digest is None:
            t0 = time.perf_counter()
            digest = _bytes_digest(paths)
            timings["hash"] = time.perf_counter() - t0
        if task["digest"] is None:
            _write_cached(plan.cache_dir, "clip", task["stat_key"], {"digest": np.array(digest)})
        out["digest"] = digest
        prep_key = plan.prep_key(digest, task["annot"])
        keys = plan.feat_keys(prep_key)
        todo = []
        for t, spec, params, fp in plan.tables:
            cached = _read_cached(plan.cache_dir, "feat", keys[t], corrupt)
            if cached is not None:
                out["features"][t] = cached["x"]
            else:
                todo.append((t, spec, params, fp))
        if not todo:
            return out
        from_cache = False
        if entry is None:
            entry = _read_cached(plan.cache_dir, "prep", prep_key, corrupt)
            from_cache = entry is not None
        if entry is None:
            entry, _ = _prepare(header, paths, plan, timings)
        if not from_cache:
            _write_cached(plan.cache_dir, "prep", prep_key, entry)
        feats, errors = compute_features(_prepared_clips(header, entry), todo, plan.flow, timings)
        for t, vec in feats.items():
            _write_cached(plan.cache_dir, "feat", keys[t], {"x": vec})
            out["features"][t] = vec
            out["computed"].append(t)
        out["failures"] += [(t, msg) for t, msg in errors.items()]
    except Exception as exc:
        from mefeat.face import FaceNotFoundError

        stage = "face" if isinstance(exc, FaceNotFoundError) else "read" if isinstance(exc, OSError) else "prepare"
        out["failures"].append((stage, f"{type(exc).__name__}: {exc}"))
    return out


def _work_batch(tasks, plan):
    return [_work(t, plan) for t in tasks]


# --------------------------------------------------------------------------- validation by dry run
def _dry_run(plan):
    """Run every table once on a synthetic prepared clip: data-dependent checks and kernel compilation.

    The clip has the prepared shape (``tim.n_frames`` frames of ``face.size`` px, or a 64 px
    stand-in without alignment) and the canonical landmarks, so a parameter that cannot work on
    the real prepared clips (radii longer than the TIM clip, a grid finer than the crop ...)
    fails here, before any clip is read, with the table's name. Runs where the kernels are loaded
    (:func:`_warm_kernels`): in this process or in a worker.
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
    t0 = time.perf_counter()
    # the flow backend's parameters were checked by catalogue.resolve; the descriptors only need flows of the
    # right shape, which DIS gives in a millisecond (the per-clip backend would take seconds here)
    _, errors = compute_features(prepared, plan.tables, {"method": "dis", "preset": "ultrafast"})
    if errors:
        table, msg = next(iter(errors.items()))
        spec, params = next((s, p) for t, s, p, _ in plan.tables if t == table)
        raise ValueError(f"{table} cannot run on the prepared clips ({_input_shape(plan, spec)}) with "
                         f"{_catalogue._jsonable(params)}: {msg}")
    return time.perf_counter() - t0


def _n_workers(n_jobs):
    """Worker processes of ``n_jobs`` (None or -1: every core, as joblib counts them)."""
    from joblib import cpu_count

    return cpu_count() if n_jobs in (None, -1) else int(n_jobs)


def _loky(n_jobs, **kwargs):
    """The run's joblib loky ``Parallel``: calls with the same ``n_jobs`` reuse the same worker processes."""
    from joblib import Parallel

    return Parallel(n_jobs=-1 if n_jobs is None else n_jobs, backend="loky", **kwargs)


def _ready_worker(names):
    """A worker's first task: compile (or load) the kernels of the descriptors ``names``, then import
    what its clips need (scikit-learn through the transformers: about 1 s of one core), so that the
    workers pay that in parallel, each while the other compiles, not one after the other at their first
    clip."""
    from mefeat.descriptors import warm_up

    warm_up(names)
    import mefeat.transformers._base  # noqa: F401  (scikit-learn)


def _worker_groups(specs, n_jobs, backend):
    """``(names, groups)``: the numba kernel names of these descriptor specs, and the groups
    (:func:`~mefeat.descriptors._warm_up.compile_groups`) to compile at once in the run's loky workers,
    or ``[]`` when the compile belongs in one process (another backend, JIT disabled, one worker or one
    group). The one rule of :func:`compile_ahead` and :func:`_warm_kernels`."""
    from mefeat import _jit
    from mefeat.descriptors._warm_up import compile_groups

    names = sorted({k for spec in specs for k in spec.kernels})
    if backend != "loky" or _jit.jit_disabled() or not names:
        return names, []
    groups = compile_groups(names, _n_workers(n_jobs))
    return names, (groups if len(groups) > 1 else [])


#: The compile started by :func:`compile_ahead`, as ``(thread, state)`` (``state["error"]`` if it failed),
#: until the run has waited for it. Only the main thread changes it.
_ahead = []


def compile_ahead(descriptors="default", n_jobs=None, backend="loky"):
    """Start compiling the numba kernels of ``descriptors`` in the run's loky workers, in the background.

    ``python -m mefeat.extract`` calls it first thing, before it imports scikit-learn, opens the data
    set and plans the run (about 2 s of one core on the demo), so that a first run in a new environment
    compiles during that time instead of after it. Only when it will pay: the loky backend with at least
    two workers, kernels that split into several :func:`~mefeat.descriptors._warm_up.compile_groups`,
    and a numba disk cache that lacks some of them (:func:`~mefeat.descriptors._warm_up.kernels_cached`,
    which reads cache indexes only). With the kernels cached, nothing starts: a run that finds every
    feature in its own cache then starts no worker at all.

    Returns True if a compile was started. The run waits for it before it compiles, loads or runs any
    kernel (:func:`_await_compile_ahead`), so no kernel is compiled twice; :func:`end_compile_ahead`
    kills its workers if the run ends without needing it. Descriptor names that do not resolve start
    nothing (the run reports them).

    The cache check (:func:`mefeat._jit.disk_cached`) matches the kernels' bytecode, not their
    signatures or the CPU the cache was written on: a cache filled on another machine, or with other
    argument types only, counts as filled, and the run then compiles as it did before (no harm but no
    head start).
    """
    import threading

    from mefeat.descriptors._warm_up import kernels_cached

    if _ahead:
        return False
    try:
        names, groups = _worker_groups(_catalogue._split_tables(descriptors).values(), n_jobs, backend)
    except ValueError:
        return False
    if not groups or kernels_cached(names) is not False:
        return False
    state = {}

    def body():
        from joblib import delayed

        try:
            _loky(n_jobs)(delayed(_ready_worker)(g) for g in groups)
        except BaseException as exc:  # workers stopped by end_compile_ahead, or a crash: the run compiles
            state["error"] = exc

    log.info("numba's disk cache lacks kernels of %s: compiling them in %d worker processes while the run "
             "starts (once per environment)", ", ".join(names), len(groups))
    thread = threading.Thread(target=body, name="mefeat-compile-ahead", daemon=True)
    _ahead.append((thread, state))
    thread.start()
    return True


def _await_compile_ahead():
    """Wait for the :func:`compile_ahead` compile, if one runs (its kernels are then in the disk cache)."""
    while _ahead:
        thread, state = _ahead[-1]
        thread.join()  # an interrupt here leaves the entry for end_compile_ahead to stop
        _ahead.pop()
        if "error" in state:
            log.debug("compiling ahead failed (%r); the run compiles what it needs", state["error"])


def end_compile_ahead():
    """Stop a :func:`compile_ahead` compile that the run did not wait for (nothing to compute, an error,
    an interrupt): its workers are killed, what they compiled so far stays in the disk cache."""
    if _ahead and _ahead[-1][0].is_alive():
        _kill_loky_workers()
    _await_compile_ahead()


def _warm_kernels(plan, n_jobs, backend, dry_run):
    """Compile the tables' numba kernels (or load them from numba's disk cache), then :func:`_dry_run`.

    Returns the dry run's seconds (0 without it). With several loky workers and kernels that
    split into several groups (:func:`mefeat.descriptors._warm_up.compile_groups`), the groups are
    compiled at once in the worker processes the run then reuses (about halving a first run's wait
    on two cores; with a warm cache the workers load what they would load at their first clip
    anyway), and the dry run runs in one of them: this process never loads a kernel. Otherwise
    (one process, Dask, one kernel group such as a one-descriptor sweep) here, and only for the dry
    run: Dask workers load the kernels from the disk cache, and a single process at its first call.
    """
    from mefeat.descriptors import warm_up

    _await_compile_ahead()
    names, groups = _worker_groups([spec for _, spec, _, _ in plan.tables], n_jobs, backend)
    if groups:
        from joblib import delayed

        par = _loky(n_jobs)
        try:
            par(delayed(_ready_worker)(g) for g in groups)
            return par([delayed(_dry_run)(plan)])[0] if dry_run else 0.0
        except BaseException:
            _kill_loky_workers()
            raise
    if not dry_run:
        return 0.0
    if names:
        warm_up(names)
    return _dry_run(plan)


def _input_shape(plan, spec):  # noqa: N802 - a small formatter used in one message
    size = plan.face.get("size", 128) if plan.face.get("align", True) else "raw"
    if spec.input == "tim":
        return f"{plan.tim['n_frames']} TIM frames of {size} px"
    return f"onset and apex frames of {size} px"


# --------------------------------------------------------------------------- the run
def _dataset_identity(dataset):
    """What makes two runs "the same data set": its name and the folder its frames come from.

    For a composite data set, one folder per part (``{"casme2": ..., "samm": ...}``). How the data
    set was loaded (sheets, seed, command line) is recorded beside it in the manifest, not compared:
    an edited annotation sheet is the same data set, and only its changed clips are recomputed.
    """
    table = dataset.table
    if "frame_dir" not in table or not len(table):
        return {"name": dataset.name, "roots": {}}
    parts = table["dataset"].astype(str) if "dataset" in table else [dataset.name] * len(table)
    roots = {}
    for part, d in zip(parts, table["frame_dir"].astype(str)):
        roots.setdefault(part, []).append(os.path.dirname(os.path.abspath(d)))
    return {"name": dataset.name, "roots": {k: os.path.commonpath(v) for k, v in sorted(roots.items())}}


def _row_annot(row, n_frames):
    def num(v):
        return None if v is None else int(v)

    return [num(row.get("onset")), num(row.get("apex")), num(row.get("offset")), n_frames]


def _stale_cleanup(out):
    """Remove what an interrupted run left in ``out`` (we hold its lock): temp files and staging folders."""
    removed = 0
    for folder in (out, os.path.join(out, "features")):
        if not os.path.isdir(folder):
            continue
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            if name.startswith(".staging-") and os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
            elif name.startswith(".") and name.endswith(".tmp"):
                try:
                    os.unlink(path)
                    removed += 1
                except OSError:
                    pass
    if removed:
        log.info("removed %d temporary file(s) left by an interrupted run in %s", removed, out)


def _cache_cleanup(cache_dir, max_age_s=3600):
    """Remove cache temp files older than an hour (another run sharing the cache may be writing newer ones)."""
    if cache_dir is None or not os.path.isdir(cache_dir):
        return
    now = time.time()
    for folder, _, names in os.walk(cache_dir):
        for name in names:
            if name.endswith(".tmp"):
                path = os.path.join(folder, name)
                try:
                    if now - os.stat(path).st_mtime > max_age_s:
                        os.unlink(path)
                except OSError:
                    pass


def _read_manifest(out):
    path = os.path.join(out, _MANIFEST)
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as exc:
        log.warning("%s is unreadable (%s); it will be rewritten", path, exc)
        return {}


def _output_files(out):
    found = [n for n in ("clips.csv", "validation_report.csv") if os.path.isfile(os.path.join(out, n))]
    feat = os.path.join(out, "features")
    if os.path.isdir(feat):
        found += [os.path.join("features", n) for n in sorted(os.listdir(feat))
                  if n.endswith(_FORMATS) and not n.startswith(".")]
    return found


def _tuples(obj):
    if isinstance(obj, list):
        return tuple(_tuples(v) for v in obj)
    if isinstance(obj, dict):
        return {k: _tuples(v) for k, v in obj.items()}
    return obj


def _table_set(res, old, force):
    """The tables this run writes: the requested ones plus (without ``force``) those already in ``out``."""
    tables = dict(res.tables)
    if force or not old:
        return tables
    for name, info in (old.get("tables") or {}).items():
        cfg = info.get("config", {})
        if name in tables:
            if cfg != res.config(name):
                raise ExtractionError(
                    f"table {name!r} in the output folder was computed with other settings "
                    f"({_diff(cfg, res.config(name))}); use force=True (--force) to replace it, another output "
                    f"folder, or a new table name (--descriptors {name}_2={res.tables[name][0].name})")
            continue
        try:
            spec = _catalogue.get(cfg.get("descriptor"))
        except ValueError:
            raise ExtractionError(f"table {name!r} in the output folder comes from descriptor "
                                  f"{cfg.get('descriptor')!r}, which is not registered now; use --force") from None
        params = {k: _tuples(v) for k, v in cfg.get("params", {}).items()}
        probe = _catalogue.Resolved({name: (spec, params)}, res.face, res.tim, res.flow)
        if probe.config(name) != cfg:
            raise ExtractionError(
                f"table {name!r} in the output folder was computed with other preprocessing "
                f"({_diff(cfg, probe.config(name))}); this run would make it inconsistent with the others: "
                "use force=True (--force) to replace every table, or another output folder")
        tables[name] = (spec, params)
    return tables


def _diff(old, new):
    keys = sorted(set(old) | set(new))
    parts = []
    for k in keys:
        if old.get(k) != new.get(k):
            if isinstance(old.get(k), dict) and isinstance(new.get(k), dict):
                sub = [f"{k}.{s}: {old[k].get(s)!r} -> {new[k].get(s)!r}" for s in sorted(set(old[k]) | set(new[k]))
                       if old[k].get(s) != new[k].get(s)]
                parts += sub
            else:
                parts.append(f"{k}: {old.get(k)!r} -> {new.get(k)!r}")
    return "; ".join(parts[:4]) or "different settings"


def extract_features(dataset, descriptors="default", params=None, *, out=DEFAULT_OUT, n_jobs=None, backend="loky",
                     scheduler=None, cache_dir=None, force=False, strict=False, fmt="csv", progress=True,
                     dataset_info=None, annotation_files=None, argv=None):
    """Compute descriptor tables for every clip of a data set, cached, resumable and safe to interrupt.

    Parameters
    ----------
    dataset : mefeat.datasets.MEDataset
        E.g. ``mefeat.datasets.load_demo()`` or ``load_casme2(root, sheet)``.
    descriptors : "default", "all", str or sequence of str, default "default"
        Catalogue names (``mefeat.catalogue.names()``), comma-separated or listed;
        ``alias=name`` writes descriptor ``name`` to a table called ``alias``.
    params : dict, optional
        ``{"lbp_top.radii": (1, 1, 4), "tim.n_frames": 10, "flow.method": "tvl1"}`` (or nested
        ``{"lbp_top": {...}}``). Validated before any clip is read.
    out : str or path-like, default "mefeat_output"
    n_jobs : int or None
        Worker processes (None or -1: all cores; 1: in this process).
    backend : {"loky", "dask"}
        ``"dask"``: a ``dask.distributed`` cluster (``scheduler`` address, or a local cluster).
    scheduler : str, optional
    cache_dir : str, path-like or "none", optional
        Default ``<out>/cache``; share one between output folders to reuse results.
    force : bool, default False
        Replace every table in ``out`` by the requested ones (new outputs are swapped in only
        when complete). Without it, tables already in ``out`` are kept and updated, and a table
        of the same name computed with other settings is an error.
    strict : bool, default False
        Raise :class:`ExtractionError` when any clip failed.
    fmt : {"csv", "npz"}
    progress : bool, default True
        A progress bar on stderr.
    dataset_info : dict, optional
        How the data set was loaded (name, roots, sheets), recorded in the manifest. An output
        folder holds one data set: its name and the folders of its frames.
    annotation_files : sequence of path-like, optional
        The annotation sheets read, whose sha256 the manifest records.
    argv : list of str, optional
        The command line, for the manifest.

    Returns
    -------
    ExtractionResult

    Raises
    ------
    ValueError
        Unknown descriptor or parameter, or a value the descriptor rejects (before any work).
    ExtractionError
        No clip to run (the message gives the validation report's counts), every clip failed,
        ``strict`` and some failed, or ``out`` holds another data set's or settings' tables.
    mefeat._io.OutputLocked
        Another run holds ``out``.

    Examples
    --------
    >>> import mefeat
    >>> from mefeat.datasets import load_demo
    >>> r = mefeat.extract_features(load_demo(size="tiny"), "lbp_top", out="out")   # doctest: +SKIP
    >>> X = mefeat.read_features("out", "lbp_top"); clips = mefeat.read_clips("out")  # doctest: +SKIP
    """
    t_start = time.perf_counter()
    res = _catalogue.resolve(descriptors, params)
    if fmt not in _FORMATS:
        raise ValueError(f"fmt must be one of {_FORMATS}, got {fmt!r}")
    if backend not in _BACKENDS:
        raise ValueError(f"backend must be one of {_BACKENDS}, got {backend!r}")
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0
                               or n_jobs < -1):
        raise ValueError(f"n_jobs must be None, -1 or a positive int, got {n_jobs!r}")
    if scheduler is not None and backend != "dask":
        raise ValueError("scheduler is only used with backend='dask'")
    n_dropped = int(len(dataset.validation_report[dataset.validation_report["action"] == "dropped"])) if (
        len(dataset.validation_report) and "action" in dataset.validation_report) else 0
    if len(dataset) == 0:
        raise ExtractionError(f"no clip to extract: the data set {dataset.name!r} is empty after validation "
                              f"({_report_counts(dataset)}); see its validation_report")
    index = [(str(r["dataset"]), str(r["subject"]), str(r["clip"])) for _, r in dataset.table.iterrows()]
    dup = sorted({k for k in index if index.count(k) > 1}) if len(set(index)) < len(index) else []
    if dup:
        raise ExtractionError(f"{len(dup)} clip ids appear twice in the data set (dataset/subject/clip), e.g. "
                              f"{'/'.join(dup[0])}; every clip needs its own id")
    out = os.path.abspath(os.fspath(out))
    if isinstance(cache_dir, str) and cache_dir.strip().lower() == "none":
        cache_dir = None
    else:
        cache_dir = os.path.abspath(os.fspath(cache_dir) if cache_dir is not None else os.path.join(out, "cache"))
    identity = _dataset_identity(dataset)
    sheets = {os.path.basename(os.fspath(p)): sha256_file(p) for p in (annotation_files or ()) if os.path.isfile(p)}
    lock = FolderLock(out, holder=" ".join(argv) if argv else "extract_features").acquire()
    try:
        return _run(dataset, res, out, cache_dir, identity, index, n_dropped, t_start, n_jobs=n_jobs,
                    backend=backend, scheduler=scheduler, force=force, strict=strict, fmt=fmt,
                    progress=progress, argv=argv, sheets=sheets, dataset_info=dataset_info)
    finally:
        lock.release()


def _report_counts(dataset):
    rep = dataset.validation_report
    if not len(rep):
        return "the annotation sheet has no clip rows"
    counts = rep.groupby(["action"]).size().to_dict() if "action" in rep else {}
    reasons = rep["reason"].astype(str).str.slice(0, 60).value_counts().head(3).to_dict() if "reason" in rep else {}
    return (", ".join(f"{n} rows {a}" for a, n in counts.items()) + "; most common: "
            + "; ".join(f"{n} x {r}" for r, n in reasons.items()))


def _run(dataset, res, out, cache_dir, identity, index, n_dropped, t_start, *, n_jobs, backend, scheduler, force,
         strict, fmt, progress, argv, sheets, dataset_info):
    from mefeat import __version__

    stage_t = {}
    _stale_cleanup(out)
    _cache_cleanup(cache_dir)
    old = _read_manifest(out)
    if old is None and not force and _output_files(out):
        raise ExtractionError(f"{out} holds {', '.join(_output_files(out)[:4])} but no manifest.json of an "
                              "earlier run; use force=True (--force) to replace them, or another output folder")
    if old and not force and old.get("dataset") not in (None, identity):
        raise ExtractionError(f"{out} holds the features of another data set ({old.get('dataset')}); use "
                              "force=True (--force) to replace them, or another output folder")
    tables = _table_set(res, old or {}, force)
    resolved = _catalogue.Resolved(tables, res.face, res.tim, res.flow)
    source = package_source_hash()
    plan = _Plan(res.face, res.tim, res.flow,
                 tuple((t, spec, params, _spec_fingerprint(spec)) for t, (spec, params) in tables.items()),
                 source, cache_dir)
    # every table tried once on a synthetic prepared clip (data-dependent parameter checks) before any clip is
    # read; a cache entry remembers that these settings passed with this code, so a re-run skips it
    t0 = time.perf_counter()
    corrupt = []
    checked_keys = plan.checked_keys()
    unchecked = tuple(e for e in plan.tables if _read_cached(cache_dir, "checked", checked_keys[e[0]], corrupt) is None)
    stage_t["validate"] = 0.0
    if unchecked:
        # a sweep (some tables already checked) of descriptors without flows is milliseconds of work per clip
        # in this process: check it here too, the kernels being in numba's cache since the earlier run
        sweep = len(unchecked) < len(plan.tables) and not any(spec.uses_flow for _, spec, *_ in unchecked)
        stage_t["validate"] = _warm_kernels(dataclasses.replace(plan, tables=unchecked), 1 if sweep else n_jobs,
                                            "loky" if sweep else backend, dry_run=True)
        for t, *_ in unchecked:
            try:
                _write_cached(cache_dir, "checked", checked_keys[t], {"ok": np.array(True)})
            except OSError as exc:  # only a shortcut for the next run: not worth failing this one
                log.warning("could not record the dry run in the cache (%s); the next run repeats it", exc)
    stage_t["compile"] = time.perf_counter() - t0 - stage_t["validate"]
    # plan every clip: frame paths, byte digest (from the stat memo), cached features; nothing is decoded
    t0 = time.perf_counter()
    n = len(dataset)
    results = [None] * n
    try:
        tasks = _plan_clips(dataset, plan, results, corrupt)
    except BaseException:
        _kill_loky_workers()  # workers started for the dry run do not wait for loky's idle timeout
        raise
    stage_t["plan"] = time.perf_counter() - t0
    n_unreadable = sum(1 for r in results if r is not None and r["failures"])
    log.info("%d clips: %d with every table cached, %d to compute (some or all of %s)%s", n,
             n - len(tasks) - n_unreadable, len(tasks), ", ".join(tables),
             f", {n_unreadable} unreadable" if n_unreadable else "")
    run_jobs, run_backend = n_jobs, backend
    if tasks:
        if all(t["light"] for t in tasks):  # milliseconds of work per clip: not worth worker processes
            run_jobs, run_backend = 1, "loky"
        elif len(unchecked) < len(plan.tables):  # not all compiled or loaded so far: in the workers, at once
            t0 = time.perf_counter()
            _warm_kernels(plan, n_jobs, backend, dry_run=False)
            stage_t["compile"] += time.perf_counter() - t0
    t0 = time.perf_counter()
    if tasks:
        _await_compile_ahead()
        for r in _dispatch(tasks, plan, n_jobs=run_jobs, backend=run_backend, scheduler=scheduler,
                           progress=progress):
            results[r["i"]] = r
    stage_t["compute_wall"] = time.perf_counter() - t0
    for r in results:
        corrupt += r["corrupt"]
    for msg in corrupt:
        log.warning("corrupt cache entry recomputed: %s", msg)
    return _finish(dataset, resolved, plan, results, index, out, cache_dir, identity, old, n_dropped, stage_t,
                   t_start, fmt=fmt, strict=strict, force=force, argv=argv, backend=backend, n_jobs=n_jobs,
                   scheduler=scheduler, corrupt=corrupt, version=__version__, sheets=sheets,
                   dataset_info=dataset_info)


def _plan_clips(dataset, plan, results, corrupt):
    """The clips with something to compute (tasks); fills ``results`` for the fully cached and unreadable ones."""
    cache_dir = plan.cache_dir
    tasks = []
    for i in range(len(dataset)):
        row = dataset.row(i)
        base = {"i": i, "features": {}, "failures": [], "timings": {}, "corrupt": [], "digest": None, "computed": []}
        try:
            paths = dataset.frame_paths(i)
            header = dataset.clip_from_frames(i, np.zeros((len(paths), 1, 1), np.uint8))
            stat_key = _stat_key(paths)
        except Exception as exc:
            base["failures"].append(("read", f"{type(exc).__name__}: {exc}"))
            results[i] = base
            continue
        memo = _read_cached(cache_dir, "clip", stat_key, corrupt)
        digest = None if memo is None else str(memo["digest"])
        annot = _row_annot(row, len(paths))
        task = {"i": i, "header": header, "paths": paths, "digest": digest, "stat_key": stat_key, "annot": annot,
                "light": False}
        if digest is not None:
            prep_key = plan.prep_key(digest, annot)
            keys = plan.feat_keys(prep_key)
            feats, missing = {}, []
            for t, spec, *_ in plan.tables:
                entry = _read_cached(cache_dir, "feat", keys[t], corrupt)
                if entry is None:
                    missing.append(spec)
                else:
                    feats[t] = entry["x"]
            if not missing:
                results[i] = {**base, "features": feats, "digest": digest}
                continue
            # only descriptors without flows are missing and the prepared clip is cached (a parameter sweep):
            # no frame to decode, no flow, milliseconds of work
            task["light"] = (not any(spec.uses_flow for spec in missing)
                             and os.path.exists(_cache.entry_path(cache_dir, "prep", prep_key)))
        tasks.append(task)
    return tasks


def _finish(dataset, resolved, plan, results, index, out, cache_dir, identity, old, n_dropped, stage_t, t_start, *,
            fmt, strict, force, argv, backend, n_jobs, scheduler, corrupt, version, sheets, dataset_info):
    tables = resolved.tables
    failures, status = [], []
    per_stage, computed, cached = {}, {t: 0 for t in tables}, {t: 0 for t in tables}
    for key, r in zip(index, results):
        for k, v in r["timings"].items():
            per_stage[k] = per_stage.get(k, 0.0) + v
        for t in tables:
            if t in r["features"]:
                (computed if t in r["computed"] else cached)[t] += 1
        for stage, msg in r["failures"]:
            failures.append({"dataset": key[0], "subject": key[1], "clip": key[2], "stage": stage, "reason": msg})
        status.append("ok" if not r["failures"] else "failed: " + "; ".join(f"{s}: {m}" for s, m in r["failures"])[:500])
    n_failed = sum(1 for s in status if s != "ok")
    reasons = {}
    for f in failures:
        r = f"{f['stage']}: {f['reason'].split(':')[0]}"
        reasons[r] = reasons.get(r, 0) + 1
    if n_failed == len(results):
        example = failures[0] if failures else {"clip": "?", "reason": "?"}
        _write_failed_run(out, failures)
        raise ExtractionError(
            f"every clip failed ({len(results)} of {len(results)}; "
            + "; ".join(f"{c} x {r}" for r, c in sorted(reasons.items(), key=lambda kv: -kv[1])[:3])
            + f"; e.g. {example['clip']}: {example['reason'][:200]}). Nothing was written to {out} except "
            f"failed_run.json; earlier outputs are untouched")
    # assemble
    arrays = {}
    for t, (spec, params) in tables.items():
        keep = [i for i, r in enumerate(results) if t in r["features"]]
        dims = {results[i]["features"][t].shape[0] for i in keep}
        if len(dims) > 1:
            raise ExtractionError(f"table {t}: clips gave feature vectors of different lengths {sorted(dims)}")
        names = spec.feature_names(params)
        X = np.stack([results[i]["features"][t] for i in keep]) if keep else np.zeros((0, len(names)))
        arrays[t] = (X, [index[i] for i in keep], names)
    ctab = dataset.table.copy()
    ctab["status"] = status
    import io

    buf = io.StringIO()
    ctab.to_csv(buf, index=False)
    clip_keys = {"/".join(k): (r["digest"], sorted(r["features"])) for k, r in zip(index, results)}
    state = _h(ENGINE_VERSION, version, plan.source, plan.versions, {t: resolved.config(t) for t in tables}, clip_keys,
               hashlib.sha256(buf.getvalue().encode()).hexdigest(), fmt,
               {t: hashlib.sha256(np.ascontiguousarray(a[0]).tobytes()).hexdigest() for t, a in arrays.items()})
    if old and not force and old.get("state_sha256") == state and _outputs_intact(out, old):
        # this call computed nothing: its counts are all "from cache"
        now = {t: {**info, "computed": 0, "from_cache": info.get("n_clips", 0)} for t, info in old["tables"].items()}
        _summary(out, {**old, "tables": now}, n_failed, reasons, failures, up_to_date=True, n_dropped=n_dropped)
        return ExtractionResult(out, now, len(results), n_failed, n_dropped, failures, True, old)
    t0 = time.perf_counter()
    staging = os.path.join(out, f".staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        outputs = {}
        for t, (X, idx, names) in arrays.items():
            path = write_features(staging, t, X, idx, names, fmt=fmt, overwrite=True)
            outputs[t] = {"descriptor": tables[t][0].name, "label": tables[t][0].label,
                          "file": os.path.relpath(path, staging), "sha256": sha256_file(path), "n_clips": len(idx),
                          "n_features": int(X.shape[1]), "computed": computed[t], "from_cache": cached[t],
                          "config": resolved.config(t)}
        write_clips_table(staging, ctab, overwrite=True)
        with atomic_write(os.path.join(staging, "validation_report.csv"), "w", newline="") as f:
            dataset.validation_report.to_csv(f, index=False)
        stage_t["write"] = time.perf_counter() - t0
        manifest = {
            "format_version": ENGINE_VERSION, "mefeat_version": version, "mefeat_source_sha256": plan.source,
            "dependencies": plan.versions,
            "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "argv": list(argv or []),
            "dataset": identity, "source": _catalogue._jsonable(dataset_info),
            "stages": _catalogue._jsonable(resolved.stages),
            "n_clips": len(results), "n_failed": n_failed, "n_dropped_rows": n_dropped,
            "validation_report_rows": int(len(dataset.validation_report)),
            "input_hashes": {"method": "sha256 over the bytes of each clip's frame files (onset..offset, in order); "
                                       "annotation sheets: sha256 of the file",
                             "annotations": sheets, "clips": {k: v[0] for k, v in clip_keys.items()}},
            "timings_s": {"wall": time.perf_counter() - t_start, **{k: round(v, 4) for k, v in stage_t.items()},
                          "per_stage_cpu_sum": {k: round(v, 4) for k, v in sorted(per_stage.items())}},
            "execution": {"backend": backend, "n_jobs": n_jobs, "scheduler": scheduler, "cache_dir": cache_dir},
            "tables": outputs, "failures": failures, "failure_summary": reasons,
            "corrupt_cache_entries": corrupt, "state_sha256": state,
        }
        write_json(os.path.join(staging, _MANIFEST), manifest)
        _swap_in(staging, out, set(outputs[t]["file"] for t in outputs))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _summary(out, manifest, n_failed, reasons, failures, up_to_date=False, n_dropped=n_dropped)
    result = ExtractionResult(out, outputs, len(results), n_failed, n_dropped, failures, False, manifest)
    if strict and n_failed:
        raise ExtractionError(f"{n_failed} of {len(results)} clips failed (strict); details in "
                              f"{os.path.join(out, _MANIFEST)} 'failures'")
    return result


def _outputs_intact(out, manifest):
    for info in (manifest.get("tables") or {}).values():
        path = os.path.join(out, info.get("file", ""))
        if not os.path.isfile(path) or sha256_file(path) != info.get("sha256"):
            return False
    return all(os.path.isfile(os.path.join(out, f)) for f in ("clips.csv", "validation_report.csv"))


def _swap_in(staging, out, table_files):
    """Move the staged outputs into ``out`` (tables, clip table, report, then the manifest last)."""
    os.makedirs(os.path.join(out, "features"), exist_ok=True)
    for rel in sorted(table_files) + ["clips.csv", "validation_report.csv"]:
        os.replace(os.path.join(staging, rel), os.path.join(out, rel))
    for rel in _output_files(out):  # tables no longer part of the folder (force), or the other format
        if rel.startswith("features") and rel not in table_files:
            os.unlink(os.path.join(out, rel))
    fsync_dir(os.path.join(out, "features"))
    os.replace(os.path.join(staging, _MANIFEST), os.path.join(out, _MANIFEST))
    fsync_dir(out)


def _write_failed_run(out, failures):
    try:
        write_json(os.path.join(out, "failed_run.json"), {"created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                       time.gmtime()),
                                                          "failures": failures})
    except OSError as exc:  # pragma: no cover - reported by the caller's error anyway
        log.warning("could not write failed_run.json: %s", exc)


def _summary(out, manifest, n_failed, reasons, failures, *, up_to_date, n_dropped):
    tables = manifest.get("tables", {})
    head = "is up to date" if up_to_date else "written"
    lines = [f"mefeat: {out} {head}: {manifest.get('n_clips')} clips, {len(tables)} feature tables, "
             f"{n_dropped} annotation rows dropped by validation (validation_report.csv)"]
    for t, o in tables.items():
        lines.append(f"  {t:16s} {o['n_clips']:6d} clips x {o['n_features']:6d} features "
                     f"(computed {o['computed']}, cached {o['from_cache']})")
    if n_failed:
        lines.append(f"  {n_failed} clip(s) failed (details: manifest.json 'failures', clips.csv 'status'):")
        for r, c in sorted(reasons.items(), key=lambda kv: -kv[1]):
            example = next(f for f in failures if f"{f['stage']}: {f['reason'].split(':')[0]}" == r)
            lines.append(f"    {c:5d} x {r}  (e.g. {example['clip']}: {example['reason'][:120]})")
    log.warning("\n".join(lines)) if n_failed else log.info("\n".join(lines))


# --------------------------------------------------------------------------- execution backends
def _dispatch(tasks, plan, *, n_jobs, backend, scheduler, progress):
    """Yield worker results as they come (loky processes, a Dask cluster, or this process)."""
    from joblib import delayed

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc="extract", unit="clip", file=sys.stderr, dynamic_ncols=True)
    try:
        if backend == "loky" and (n_jobs == 1 or len(tasks) == 1):
            for t in tasks:
                r = _work(t, plan)
                if bar is not None:
                    bar.update(1)
                yield r
            return
        if backend == "dask":
            yield from _dispatch_dask(tasks, plan, n_jobs, scheduler, bar)
            return
        for t in tasks:
            t["single_thread"] = True
        par = _loky(n_jobs, return_as="generator_unordered")
        try:
            for r in par(delayed(_work)(t, plan) for t in tasks):
                if bar is not None:
                    bar.update(1)
                yield r
        except BaseException:
            _kill_loky_workers()
            raise
    finally:
        if bar is not None:
            bar.close()


def _kill_loky_workers():
    """Kill the run's loky workers now (an interrupted run, a compile ahead nobody needs).

    The live executor itself: ``get_reusable_executor()`` with arguments other than joblib's would
    first shut it down *waiting* for its pending tasks, then kill a new, empty one.
    """
    try:
        from joblib.externals.loky import reusable_executor

        executor = reusable_executor._executor
        if executor is not None:
            executor.shutdown(wait=False, kill_workers=True)
    except Exception:  # pragma: no cover - best effort on the way out
        pass


#: Dask LocalCluster settings when no scheduler is given (tests may patch this).
LOCAL_CLUSTER_KWARGS = {"threads_per_worker": 1, "processes": True, "dashboard_address": None}


def _dispatch_dask(tasks, plan, n_jobs, scheduler, bar):
    try:
        import dask
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise ImportError("backend='dask' needs dask.distributed: pip install 'mefeat[dask]'") from exc
    quiet = logging.getLogger("mefeat").getEffectiveLevel() > logging.INFO
    level = logging.ERROR if quiet else logging.WARNING
    for name in ("distributed", "distributed.nanny", "distributed.scheduler", "distributed.worker",
                 "distributed.core", "distributed.http.proxy"):
        logging.getLogger(name).setLevel(level)
    cluster = None
    # The nanny's default MALLOC_TRIM_THRESHOLD_=65536 makes glibc return memory to the OS on almost every
    # free, which cost ~10 % on our per-clip arrays: workers run with the process defaults, like loky's.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                          "distributed.admin.system-monitor.gil.enabled": False}):
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=_n_workers(n_jobs), silence_logs=level, **LOCAL_CLUSTER_KWARGS)
            client = Client(cluster)
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or 1)
        size = max(1, min(8, len(tasks) // (4 * n_workers)))  # batches amortise Dask's per-task overhead
        for t in tasks:
            t["single_thread"] = True
        batches = [tasks[i:i + size] for i in range(0, len(tasks), size)]
        plan_f = client.scatter(plan, broadcast=True)
        futures = [client.submit(_work_batch, b, plan_f, pure=False) for b in batches]
        try:
            for fut in as_completed(futures):
                for r in fut.result():
                    if bar is not None:
                        bar.update(1)
                    yield r
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    finally:
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
        client.close()
        if cluster is not None:
            cluster.close()
