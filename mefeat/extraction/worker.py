"""The work of one clip, in a worker process (or this one): read and align its frames, normalise
time, compute every missing table (the flows once for all descriptors), cache what it computed.

One clip goes through exactly the public code a notebook user calls:
:func:`mefeat.face.align_frames` (the core of :class:`mefeat.FaceAligner`, fed frame by frame),
:class:`mefeat.TemporalNormalizer`, and each descriptor's transformer from the :mod:`mefeat.catalogue`.
"""

import os
import time

import numpy as np

from mefeat import catalogue as _catalogue
from mefeat._io import file_hash
from mefeat.extraction.keys import bytes_digest, combine_digests, read_cached, write_cached
from mefeat.extraction.records import ClipFailure, ClipResult


class _FlowMemo:
    """In-process stand-in for joblib.Memory: the flows of one clip, computed once for all descriptors."""

    def __init__(self):
        self.store, self.seconds = {}, 0.0

    def cache(self, func, ignore=()):
        import joblib

        def wrapper(*args):
            key = joblib.hash(args[:-1] if "n_jobs" in ignore else args)
            if key not in self.store:
                t0 = time.thread_time()
                self.store[key] = func(*args)
                self.seconds += time.thread_time() - t0
            return self.store[key]

        return wrapper


class FrameReader:
    """Frame i of a clip, read and decoded ahead in a thread (decode overlaps the alignment's warping).

    ``seconds`` is the CPU time of the reading thread (reads, hashes, decodes). Every stage's time in
    ``ClipResult.timings`` is CPU time of the thread that ran it (``time.thread_time``), not wall
    time: the main thread's waits for this one are not counted twice, and other processes' load does
    not inflate it.

    Every file is read once: its bytes are hashed (for the clip digest, see
    :func:`~mefeat.extraction.keys.bytes_digest`) and decoded from the same buffer.
    """

    def __init__(self, paths, lookahead=3):
        from concurrent.futures import ThreadPoolExecutor

        self.paths, self.lookahead = paths, lookahead
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="mefeat-decode")
        self.futures, self.hashes = {}, {}
        self.seconds = 0.0

    def _decode(self, i):
        from mefeat._frames import decode_frame, read_frame_bytes

        t0 = time.thread_time()
        try:
            data = read_frame_bytes(self.paths[i])
            self.hashes[i] = file_hash(data)
            return decode_frame(data, self.paths[i])
        finally:
            self.seconds += time.thread_time() - t0

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
        return combine_digests([self.hashes[i] for i in range(len(self.paths))])

    def close(self):
        # not waiting: a read that blocks (a stalled network file system) must not keep an interrupted run alive
        for f in self.futures.values():
            f.cancel()
        self.pool.shutdown(wait=False, cancel_futures=True)


def prepare(header, paths, plan, timings):
    """Aligned, time-normalised clip and aligned key frames of one clip (the stages of make_pipeline).

    Returns the prepared arrays and the clip digest of the frame files read on the way.
    """
    from mefeat.flow import clip_apex_index

    t0 = time.thread_time()
    if plan.face.get("align", True):
        from mefeat.face import align_frames

        aligner = _catalogue.make_stage("face", plan.face)
        face_kw = {k: v for k, v in aligner.get_params().items() if k not in ("n_jobs", "verbose", "reference")}
        reader = FrameReader(paths)
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
    timings["align"] = time.thread_time() - t0
    if aligned.n_frames < 2:
        raise ValueError(f"clip {header.name!r} has {aligned.n_frames} frame; at least 2 are needed")
    magnify = _catalogue.magnify_settings(plan.tim)  # part of plan.tim, hence of the prep key
    if magnify:  # both prepared inputs come from the magnified clip
        t0 = time.thread_time()
        aligned = _catalogue.make_stage("magnify", magnify).transform([aligned])[0]
        timings["magnify"] = time.thread_time() - t0
    t0 = time.thread_time()
    tim = _catalogue.make_stage("tim", plan.tim).transform([aligned])[0]
    apex = clip_apex_index(aligned)
    key_frames = aligned.frames[[aligned.onset, apex]]
    timings["tim"] = time.thread_time() - t0
    lm = aligned.landmarks
    return {"tim_frames": tim.frames, "tim_idx": np.array([tim.onset, -1 if tim.apex is None else tim.apex,
                                                           tim.offset]),
            "key_frames": key_frames, "landmarks": np.zeros((0, 2)) if lm is None else lm}, digest


def prepared_clips(header, entry):
    """The prepared clips of one cache entry, read-only: every descriptor of the run gets the same arrays."""
    for arr in entry.values():
        arr.setflags(write=False)
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
    tables : sequence of mefeat.extraction.records.Table
    flow : dict
        Flow stage settings.
    timings : dict, optional
        CPU seconds per stage (this thread's), added to.

    Returns
    -------
    features : dict of table -> (n_features,) float64 ndarray
    errors : dict of table -> str
    """
    memo = _FlowMemo()
    feats, errors = {}, {}
    timings = {} if timings is None else timings
    for table in tables:
        spec = table.spec
        t0, f0 = time.thread_time(), memo.seconds
        try:
            tr = spec.make_transformer(table.params, flow=flow, memory=memo)
            try:
                clips = [prepared[spec.input]]
                if not type(tr).__module__.startswith("mefeat."):  # a user's transformer may need fit(X) first
                    tr.fit(clips)
                out = np.asarray(tr.transform(clips), np.float64)
            except ValueError as exc:
                if "read-only" not in str(exc):
                    raise
                raise ValueError(f"descriptor {spec.name!r} writes into its input clip, which every descriptor of "
                                 f"the run shares (read-only): copy the frames first ({exc})") from None
            if out.ndim != 2 or out.shape[0] != 1:
                raise ValueError(f"descriptor {spec.name!r} returned an array of shape {out.shape} for 1 clip; "
                                 "a transformer must return one row per clip, (n_clips, n_features)")
            vec = out[0]
            if not np.all(np.isfinite(vec)):
                raise ValueError(f"{int(np.count_nonzero(~np.isfinite(vec)))} non-finite feature values")
            feats[table.name] = vec
        except Exception as exc:  # a descriptor's failure on one clip is recorded, the run goes on
            errors[table.name] = f"{type(exc).__name__}: {exc}"
        flow_s = memo.seconds - f0
        timings["flow"] = timings.get("flow", 0.0) + flow_s
        timings[table.name] = timings.get(table.name, 0.0) + time.thread_time() - t0 - flow_s
    return feats, errors


# --------------------------------------------------------------------------- worker processes
_WATCHDOG = []


def watch_parent(parent_pid):
    """In a worker process: exit as soon as the process that started the run is gone.

    A run killed by SIGKILL (the OOM killer) cannot stop its workers; without this they compute the
    queued clips on for minutes, holding the terminal's stdout (``extract | tee log`` does not return).
    A daemon thread checks every half second whether the worker has been re-parented.
    """
    if _WATCHDOG or os.getppid() != parent_pid:
        if not _WATCHDOG and os.getppid() != parent_pid:
            os._exit(1)
        return
    import threading

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)

    t = threading.Thread(target=watch, name="mefeat-parent-watch", daemon=True)
    t.start()
    _WATCHDOG.append(t)


def single_threaded():
    """In one of several worker processes: one thread each for numba and OpenCV (call before numba starts)."""
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    import cv2

    cv2.setNumThreads(1)


def work(task, plan):
    """Compute (or fetch) the missing features of one clip (a :class:`~mefeat.extraction.records.Task`).

    Returns a :class:`~mefeat.extraction.records.ClipResult`; a failure of the clip or of one table
    is recorded in it, never raised.
    """
    header, paths = task.header, task.paths
    timings, corrupt, cache_errors = {}, [], []
    features, computed, failures = {}, [], []
    digest = result_digest = task.digest

    def store(kind, key, arrays):
        err = write_cached(plan.cache_dir, kind, key, arrays)
        if err:
            cache_errors.append(err)

    def result():
        return ClipResult(task.i, features, failures, timings, corrupt, result_digest, computed, cache_errors)

    try:
        entry = None
        if digest is None and plan.face.get("align", True):
            # no digest memo: read, hash and decode every frame in one pass, then look for cached results
            entry, digest = prepare(header, paths, plan, timings)
        if digest is None:
            t0 = time.thread_time()
            digest = bytes_digest(paths)
            timings["hash"] = time.thread_time() - t0
        if task.digest is None:
            store("clip", task.stat_key, {"digest": np.array(digest)})
        result_digest = digest
        prep_key = plan.prep_key(digest, task.annot)
        keys = plan.feat_keys(prep_key)
        todo = []
        for table in plan.tables:
            cached = read_cached(plan.cache_dir, "feat", keys[table.name], corrupt)
            if cached is not None:
                features[table.name] = cached["x"]
            else:
                todo.append(table)
        if not todo:
            return result()
        from_cache = False
        if entry is None:
            entry = read_cached(plan.cache_dir, "prep", prep_key, corrupt)
            from_cache = entry is not None
        if entry is None:
            entry, _ = prepare(header, paths, plan, timings)
        if not from_cache:
            store("prep", prep_key, entry)
        feats, errors = compute_features(prepared_clips(header, entry), todo, plan.flow, timings)
        for name, vec in feats.items():
            store("feat", keys[name], {"x": vec})
            features[name] = vec
            computed.append(name)
        failures.extend(ClipFailure(name, msg) for name, msg in errors.items())
    except Exception as exc:
        from mefeat.face import FaceNotFoundError

        stage = "face" if isinstance(exc, FaceNotFoundError) else "read" if isinstance(exc, OSError) else "prepare"
        failures.append(ClipFailure(stage, f"{type(exc).__name__}: {exc}"))
    return result()
