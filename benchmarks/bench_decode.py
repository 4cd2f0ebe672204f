"""The pure-decode floor of a DFME-sized data set: cv2.imread of every onset..offset frame.

On the DFME-like set of :mod:`benchmarks._dfme_like` (PNG frames of 1024x768 and 1280x1024, rendered
once and cached), per frame size:

* ``cv2.imread(path, cv2.IMREAD_GRAYSCALE)`` of every onset..offset frame of every clip, in 1 process
  and in 2 processes (joblib loky, warm workers, tasks of at most 32 frames): seconds per clip,
  ms per frame, and the 2-process speed-up;
* reading the file bytes and hashing them with sha256 (what a feature cache keyed on input hashes
  pays) per frame, as a ratio to decoding;
* the library's reader, ``MEDataset.read_frames(i, with_hash=True)`` (bytes + sha256 + decode +
  stack), as a ratio to the bare imread;
* the same frame saved as a 3-channel PNG, decoded to gray in memory, as a ratio to the gray PNG
  (if the real frames are colour, the floor moves by this factor);
* a control with no I/O (sha256 of a buffer in memory), 1 vs 2 processes, next to each 2-process
  decode: on a shared machine it tells how much of the second core was free at the time.

The files are read once untimed first, so every figure is for a warm page cache (decode, not disk).
Medians over ``--repeat`` passes; the passes interleave the variants, so the ratios come from one run.

:func:`decode_floor` is importable (``benchmarks/bench_dfme.py`` uses it as the floor of its end-to-end
run)::

    from benchmarks._dfme_like import make_dfme_like
    from benchmarks.bench_decode import decode_floor
    root, sheets = make_dfme_like("/tmp/mefeat-bench")
    decode_floor(root, sheets, n_jobs=2)  # {'seconds_total': ..., 'seconds_per_clip': ..., 'n_frames': ...}

Usage: ``python benchmarks/bench_decode.py [--quick] [--data-dir DIR] [--repeat 3]``
"""

import argparse
import hashlib
import os
import pathlib
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Frames per joblib task: small enough to balance 2 workers over a few clips, large enough
#: (>= ~0.1 s of work) that loky's ~0.1 ms per task is noise.
CHUNK = 32


def clip_frame_paths(root, sheets):
    """Onset..offset frame paths of every clip of a DFME-format set, via :func:`mefeat.datasets.load_dfme`."""
    from mefeat.datasets import load_dfme

    ds = load_dfme(root, sheets)
    return [ds.frame_paths(i) for i in range(len(ds))]


def _decode(paths):
    import cv2

    cv2.setNumThreads(1)
    n = 0
    for p in paths:
        img = cv2.imread(p, cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise OSError(f"cv2.imread could not decode {p!r}")
        n += 1
    return n


def _hash(paths):
    for p in paths:
        with open(p, "rb") as f:
            hashlib.sha256(f.read()).hexdigest()
    return len(paths)


def _read(paths):
    for p in paths:
        with open(p, "rb") as f:
            f.read()
    return len(paths)


def _burn(paths):
    """Control task, pure CPU and no I/O: sha256 of 8 MiB per "path"; shows how much of a second core the
    machine has free at the time (2-process speed-up of this task)."""
    buf = bytes(8 << 20)
    for _ in paths:
        hashlib.sha256(buf).digest()
    return len(paths)


def _chunks(clips, size=CHUNK):
    return [paths[i:i + size] for paths in clips for i in range(0, len(paths), size)]


def _run(fn, clips, n_jobs):
    """Seconds to apply ``fn`` to all frames of ``clips`` with ``n_jobs`` processes (1: in this process)."""
    if n_jobs == 1:
        t = time.perf_counter()
        n = sum(fn(paths) for paths in clips)
        return time.perf_counter() - t, n
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=n_jobs, backend="loky")
    parallel(delayed(_decode)([]) for _ in range(2 * n_jobs))  # warm workers (spawn, import cv2)
    t = time.perf_counter()
    n = sum(parallel(delayed(fn)(c) for c in _chunks(clips)))
    return time.perf_counter() - t, n


def decode_floor(root, sheets, n_jobs=1):
    """Wall time of ``cv2.imread(path, IMREAD_GRAYSCALE)`` over every onset..offset frame of a DFME-format set.

    Parameters
    ----------
    root : str or path-like
        Data set folder (``<root>/<Filename>/<frame:05d>.png``).
    sheets : str or list of str
        Annotation sheet(s), as for :func:`mefeat.datasets.load_dfme`.
    n_jobs : int
        1: decode in this process; k > 1: k loky processes, warmed up before the clock starts, tasks
        of at most :data:`CHUNK` frames.

    Returns
    -------
    dict
        ``seconds_total`` (decoding only: the sheet is read and the frames listed before timing),
        ``seconds_per_clip``, ``n_frames`` (decoded), plus ``n_clips``, ``seconds_per_frame``,
        ``n_jobs`` and ``cpu_seconds_total`` (CPU time of this process, ``n_jobs=1`` only, else None:
        unlike wall time it hardly moves with other processes' load). One pass; the page cache is
        as the caller left it (call twice, or read the files first, for a warm-cache floor).
    """
    clips = clip_frame_paths(root, sheets)
    cpu = time.process_time()
    seconds, n = _run(_decode, clips, int(n_jobs))
    cpu = time.process_time() - cpu if int(n_jobs) == 1 else None
    return {"seconds_total": seconds, "seconds_per_clip": seconds / max(len(clips), 1), "n_frames": n,
            "n_clips": len(clips), "seconds_per_frame": seconds / max(n, 1), "n_jobs": int(n_jobs),
            "cpu_seconds_total": cpu}


def _frame_shape(path):
    import cv2

    return cv2.imread(path, cv2.IMREAD_GRAYSCALE).shape


def _colour_ratio(path, repeat):
    """Median ms of imdecode(gray) of the frame's gray PNG and of an RGB PNG of it (alternated), and their MiB."""
    import cv2

    g = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    rgb = cv2.merge([g, cv2.GaussianBlur(g, (0, 0), 1.0), 255 - g])  # 3 different planes: no free compression
    bufs = (cv2.imencode(".png", g)[1], cv2.imencode(".png", rgb)[1])
    ts = ([], [])
    for _ in range(repeat):
        for k, buf in enumerate(bufs):
            t = time.perf_counter()
            cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
            ts[k].append(time.perf_counter() - t)
    ms = [1e3 * statistics.median(t) for t in ts]
    return ms[0], ms[1], bufs[0].nbytes / 2**20, bufs[1].nbytes / 2**20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 clips x 40 frames, 1 pass")
    parser.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "mefeat-bench"),
                        help="where the DFME-like set is rendered and cached")
    parser.add_argument("--repeat", type=int, default=3, help="passes (medians)")
    parser.add_argument("--n-jobs-render", type=int, default=2, help="processes for the first rendering")
    args = parser.parse_args(argv)
    import cv2

    from benchmarks._dfme_like import make_dfme_like
    from mefeat.datasets import load_dfme

    kw, repeat = ({"n_clips": 4, "n_frames": 40}, 1) if args.quick else ({}, args.repeat)
    t0 = time.perf_counter()
    root, sheets = make_dfme_like(args.data_dir, n_jobs=args.n_jobs_render, **kw)
    t_make = time.perf_counter() - t0
    ds = load_dfme(root, sheets)
    clips = [ds.frame_paths(i) for i in range(len(ds))]
    _read([p for c in clips for p in c])  # warm the page cache
    groups = {}
    for i, c in enumerate(clips):
        groups.setdefault(_frame_shape(c[0]), []).append(i)
    n_total = sum(map(len, clips))
    mb = sum(os.path.getsize(p) for c in clips for p in c) / 2**20
    print(f"decode floor: {root}\n  {len(clips)} clips, {n_total} onset..offset frames, {mb:.0f} MiB of PNG "
          f"(set ready in {t_make:.1f} s); OpenCV {cv2.__version__}; {repeat} pass(es); "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()}")

    res = {}  # (shape, what) -> list of seconds per pass
    for r in range(repeat):
        for shape, idx in groups.items():
            acc = dict.fromkeys(("decode1", "read", "hash", "library"), 0.0)
            for i in idx:  # interleaved clip by clip, so that a load change hits every variant alike
                for what, fn in (("decode1", _decode), ("read", _read), ("hash", _hash)):
                    acc[what] += _run(fn, [clips[i]], 1)[0]
                t = time.perf_counter()
                ds.read_frames(i, with_hash=True)
                acc["library"] += time.perf_counter() - t
            acc["decode2"] = _run(_decode, [clips[i] for i in idx], 2)[0]
            control = [[None] * 8 for _ in range(8)]
            acc["control1"] = _run(_burn, control, 1)[0]
            acc["control2"] = _run(_burn, control, 2)[0]
            for what, v in acc.items():
                res.setdefault((shape, what), []).append(v)
        print(f"  pass {r + 1}/{repeat} done, load {os.getloadavg()[0]:.2f}")

    print("\n| frame size (W x H) | clips | frames/clip | MiB/frame | imread 1 proc: s/clip | ms/frame "
          "| imread 2 procs: s/clip | ms/frame | 2-proc speed-up | read bytes, ms/frame | read + sha256, ms/frame "
          "| (read + sha256) / decode | library read_frames(with_hash) / imread | RGB PNG / gray PNG decode "
          "| control: CPU-only task, 2-proc speed-up |")
    print("|" + "---|" * 15)
    for shape, idx in groups.items():
        n = sum(len(clips[i]) for i in idx)
        med = {w: statistics.median(res[(shape, w)])
               for w in ("decode1", "decode2", "hash", "read", "library", "control1", "control2")}
        sz = sum(os.path.getsize(p) for i in idx for p in clips[i]) / 2**20 / n
        g_ms, c_ms, _g_mb, _c_mb = _colour_ratio(clips[idx[0]][len(clips[idx[0]]) // 2], max(9, 3 * repeat))
        print(f"| {shape[1]} x {shape[0]} | {len(idx)} | {n / len(idx):.0f} | {sz:.2f} "
              f"| {med['decode1'] / len(idx):.3f} | {1e3 * med['decode1'] / n:.2f} "
              f"| {med['decode2'] / len(idx):.3f} | {1e3 * med['decode2'] / n:.2f} "
              f"| {med['decode1'] / med['decode2']:.2f}x | {1e3 * med['read'] / n:.3f} | {1e3 * med['hash'] / n:.2f} "
              f"| {med['hash'] / med['decode1']:.3f} | {med['library'] / med['decode1']:.2f}x | {c_ms / g_ms:.2f}x "
              f"| {med['control1'] / med['control2']:.2f}x |")
    tot1 = sum(statistics.median(res[(s, "decode1")]) for s in groups)
    tot2 = sum(statistics.median(res[(s, "decode2")]) for s in groups)
    print(f"\nall clips: imread {tot1:.2f} s on 1 process, {tot2:.2f} s on 2 ({tot1 / tot2:.2f}x); "
          f"{tot1 / len(clips):.3f} / {tot2 / len(clips):.3f} s per clip. "
          f"Load at the end {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
