"""Per-clip cost of the flow backends and of each flow descriptor on top of its flow.

Frames: the face of ``skimage.data.astronaut()`` cropped to 128x128, with synthetic motion (a slow
global drift plus a local "expression" around the mouth). Prints three tables:

1. flow cost per frame pair for each backend (TV-L1 with the IPOL defaults, DIS medium, Farneback);
2. each descriptor's cost, as a percentage of the flow it consumes (target < 10 %), and its speed-up
   over the slow NumPy reference in ``tests/reference/flow_naive.py`` (same run);
3. MDMO over a whole clip (onset -> each frame flows + descriptor) with ``n_jobs`` None (OpenCV's
   own threads), 1 and 2 (target: n_jobs=2 >= 1.7x n_jobs=1).

Usage: ``python benchmarks/bench_flow.py [--quick] [--frames 64] [--repeat 3]``
"""

import argparse
import pathlib
import statistics
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def make_clip(n_frames):
    """(T, 128, 128) uint8 face clip and the onset frame's landmarks (dlib 68, crop coordinates)."""
    from tests.flow._data import face_crop, face_landmarks, shifted

    img = face_crop()
    frames = []
    for t in range(n_frames):
        a = t / max(n_frames - 1, 1)
        f = shifted(img, 0.6 * a, -0.4 * a)
        f[95:115, 40:90] = shifted(img, -1.5 * np.sin(np.pi * a), 0.0)[95:115, 40:90]
        frames.append(np.clip(np.rint(f), 0, 255).astype(np.uint8))
    return np.stack(frames), face_landmarks()


def timeit(fn, repeat, min_sample=0.02):
    """Median seconds per call over ``repeat`` samples.

    A sample runs ``fn`` enough times to last >= ``min_sample`` seconds (a single call of a
    sub-millisecond descriptor is at the mercy of one interrupt); a call that alone lasts that long
    is timed once per sample, and the first (calibration) call counts as a sample.
    """
    t = time.perf_counter()
    fn()
    first = time.perf_counter() - t
    number = max(1, int(min_sample / max(first, 1e-9)))
    times = [first] if number == 1 else []
    while len(times) < repeat:
        t = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t) / number)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="16 frames, 1 repeat")
    parser.add_argument("--frames", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    n_frames, repeat = (16, 1) if args.quick else (args.frames, args.repeat)

    import cv2

    from mefeat.descriptors import bi_woof, fdm, mdmo
    from mefeat.flow import clip_flows, compute_flow, optical_strain
    from tests.reference import flow_naive as naive

    frames, lm = make_clip(n_frames)
    apex = n_frames // 2
    print(f"clip: {n_frames} frames of 128x128, apex {apex}; repeat {repeat}; cv2 threads {cv2.getNumThreads()}")

    # warm-up: numba compile/cache load, OpenCV init
    f_warm = clip_flows(frames[:3], mode="onset_each", method="dis")
    bi_woof(f_warm[0]), mdmo(f_warm, lm), fdm(f_warm, grid=(2, 2, 1)), optical_strain(f_warm[0])

    print("\n1. flow per frame pair (1 OpenCV thread)")
    print(f"{'backend':<10} {'ms/pair':>9} {'pairs/s':>9}")
    pair_ms = {}
    old = cv2.getNumThreads()
    cv2.setNumThreads(1)
    for method in ("tvl1", "dis", "farneback"):
        t = timeit(lambda: compute_flow(frames[0], frames[apex], method=method), repeat)
        pair_ms[method] = 1e3 * t
        print(f"{method:<10} {1e3 * t:9.2f} {1 / t:9.1f}")
    cv2.setNumThreads(old)

    print("\n2. descriptor cost on top of its flow (flow = 1 pair for Bi-WOOF/strain, "
          f"{n_frames - 1} pairs for MDMO/FDM)")
    flows = clip_flows(frames, mode="onset_each", method="dis", n_jobs=2)
    f_apex = flows[apex - 1]
    rows = [
        ("bi_woof", 1, lambda: bi_woof(f_apex), lambda: naive.bi_woof_naive(f_apex)),
        ("bi_woof compat", 1, lambda: bi_woof(f_apex, compat=True), lambda: naive.bi_woof_naive(f_apex, compat=True)),
        ("optical_strain", 1, lambda: optical_strain(f_apex), lambda: naive.strain_naive(f_apex)),
        ("mdmo", n_frames - 1, lambda: mdmo(flows, lm), lambda: naive.mdmo_naive(flows, lm)),
        ("fdm", n_frames - 1, lambda: fdm(flows), lambda: naive.fdm_naive(flows)),
    ]
    print(f"{'descriptor':<15} {'ms':>8} {'% of TV-L1':>11} {'% of DIS':>9} {'% of Farneback':>15} {'x vs NumPy ref':>15}")
    for name, n_pairs, fast, slow in rows:
        t = 1e3 * timeit(fast, repeat)
        t_ref = 1e3 * timeit(slow, 1)
        pct = {m: 100 * t / (n_pairs * pair_ms[m]) for m in pair_ms}
        print(f"{name:<15} {t:8.2f} {pct['tvl1']:10.2f}% {pct['dis']:8.1f}% {pct['farneback']:14.1f}% {t_ref / t:14.1f}x")

    print(f"\n3. MDMO over the {n_frames}-frame clip (TV-L1 onset -> each frame + descriptor)")

    def mdmo_clip(n_jobs):
        return mdmo(clip_flows(frames, mode="onset_each", method="tvl1", n_jobs=n_jobs), lm)

    base = None
    print(f"{'n_jobs':<32} {'s/clip':>8} {'speed-up vs n_jobs=1':>21}")
    res = {}
    for n_jobs in (1, 2, None):
        res[n_jobs] = timeit(lambda: mdmo_clip(n_jobs), 1 if n_frames > 32 else repeat)
    base = res[1]
    labels = {1: "1 (1 thread, OpenCV 1 thread)", 2: "2 (2 threads x 1 OpenCV thread)",
              None: "None (OpenCV's own threads)"}
    for n_jobs in (1, 2, None):
        print(f"{labels[n_jobs]:<32} {res[n_jobs]:8.2f} {base / res[n_jobs]:20.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
