"""Cost and agreement of the flow backends, and the cost of each flow descriptor on top of its flow.

Prints four tables:

1. **Cost per 128 px frame pair** of every backend, measured in the same run, interleaved (round robin,
   one call of each backend per round), on one core (``cv2.setNumThreads(1)``; mefeat's kernel is
   serial): median wall ms, median CPU ms of the calling thread (``time.thread_time``: robust to other
   processes sharing the core) and both as ratios to OpenCV's TV-L1. Frames: the face of
   ``skimage.data.astronaut()`` cropped to 128x128 with a slow global drift and a local "expression".
2. Each descriptor's cost, as a percentage of the flow it consumes (target < 10 %), and its speed-up
   over the slow NumPy reference in ``tests/reference/flow_naive.py`` (same run).
3. MDMO over a whole clip (onset -> each frame flows of the default TV-L1 + descriptor) with ``n_jobs``
   None, 1 and 2 (threads; target: n_jobs=2 >= 1.7x n_jobs=1).
4. **Agreement of mefeat's TV-L1 with OpenCV's DualTVL1** (the reference implementation) at the
   authors' parameters, on the realistic clips of ``benchmarks/_realistic_clips.py`` (non-rigid AU
   motion of 0.2-1 px, head motion, flicker, sensor noise, JPEG, alignment to 128 px): the flows the
   default pipeline computes (onset -> each of 9 frames), the mean end-point error between the two
   backends and against the true flow, and each descriptor's relative change ``|d - d_ref| / |d_ref|``
   (MDMO in Cartesian form, FDM, Bi-WOOF, the 5x5 strain block means of the apex flow) against
   OpenCV's and its error against the true flow's descriptors. The ``OpenCV nudged`` row is OpenCV
   against itself with one pixel of every frame changed by 0.01 gray level: the sensitivity of a
   tolerance-stopped solver (epsilon = 0.01 moves the iteration at which it stops), i.e. the noise
   floor of any agreement figure. Medians over clips.

Usage: ``python benchmarks/bench_flow.py [--quick] [--frames 64] [--repeat 3] [--pairs 40] [--clips 8]``
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
    parser.add_argument("--pairs", type=int, default=40, help="interleaved rounds of table 1")
    parser.add_argument("--clips", type=int, default=8, help="realistic clips of table 4 (0: skip)")
    args = parser.parse_args(argv)
    n_frames, repeat = (16, 1) if args.quick else (args.frames, args.repeat)
    n_rounds, n_clips = (8, 2) if args.quick else (args.pairs, args.clips)

    import cv2

    from mefeat.descriptors import bi_woof, fdm, mdmo
    from mefeat.flow import clip_flows, optical_strain
    from tests.reference import flow_naive as naive

    frames, lm = make_clip(n_frames)
    apex = n_frames // 2
    print(f"clip: {n_frames} frames of 128x128, apex {apex}; repeat {repeat}; cv2 threads {cv2.getNumThreads()}")

    # warm-up: numba compile/cache load, OpenCV init
    clip_flows(frames[:2], mode="onset_each", method="tvl1")
    f_warm = clip_flows(frames[:3], mode="onset_each", method="dis")
    bi_woof(f_warm[0]), mdmo(f_warm, lm), fdm(f_warm, grid=(2, 2, 1)), optical_strain(f_warm[0])

    print(f"\n1. flow per 128 px frame pair, one core, {n_rounds} interleaved rounds "
          "(ratios: OpenCV's TV-L1 / backend)")
    pair_ms = cost_table(frames, apex, n_rounds)
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
    print(f"{'descriptor':<15} {'ms':>8} {'% of TV-L1':>11} {'% of DIS':>9} {'% of Farneback':>15} "
          f"{'x vs NumPy ref':>15}")
    for name, n_pairs, fast, slow in rows:
        t = 1e3 * timeit(fast, repeat)
        t_ref = 1e3 * timeit(slow, 1)
        pct = {m: 100 * t / (n_pairs * pair_ms[m]) for m in pair_ms}
        print(f"{name:<15} {t:8.2f} {pct['tvl1']:10.2f}% {pct['dis']:8.1f}% {pct['farneback']:14.1f}% "
              f"{t_ref / t:14.1f}x")

    print(f"\n3. MDMO over the {n_frames}-frame clip (mefeat TV-L1 onset -> each frame + descriptor)")

    def mdmo_clip(n_jobs):
        return mdmo(clip_flows(frames, mode="onset_each", method="tvl1", n_jobs=n_jobs), lm)

    base = None
    print(f"{'n_jobs':<32} {'s/clip':>8} {'speed-up vs n_jobs=1':>21}")
    res = {}
    for n_jobs in (1, 2, None):
        res[n_jobs] = timeit(lambda: mdmo_clip(n_jobs), 1 if n_frames > 32 else repeat)
    base = res[1]
    labels = {1: "1 (1 thread)", 2: "2 (2 threads)", None: "None (1 thread)"}
    for n_jobs in (1, 2, None):
        print(f"{labels[n_jobs]:<32} {res[n_jobs]:8.2f} {base / res[n_jobs]:20.2f}x")
    if n_clips:
        print(f"\n4. mefeat's TV-L1 against OpenCV's DualTVL1 (authors' parameters), {n_clips} realistic clips, "
              "onset -> each of 9 frames; medians over clips")
        agreement_table(n_clips)
    return 0


#: Backends of table 1: (label, method, params).
BACKENDS = [("tvl1 (mefeat)", "tvl1", {}), ("tvl1_opencv", "tvl1_opencv", {}), ("dis medium", "dis", {}),
            ("farneback", "farneback", {})]


def cost_table(frames, apex, n_rounds):
    """Table 1: interleaved per-pair cost; returns {method: median wall ms}."""
    import cv2

    from mefeat.flow import compute_flow

    pairs = [(0, t) for t in range(1, len(frames))]
    wall = {lab: [] for lab, *_ in BACKENDS}
    cpu = {lab: [] for lab, *_ in BACKENDS}
    old = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        for r in range(n_rounds):
            i, j = pairs[r % len(pairs)]
            order = BACKENDS[r % len(BACKENDS):] + BACKENDS[:r % len(BACKENDS)]  # no backend always first
            for lab, method, params in order:
                t, c = time.perf_counter(), time.thread_time()
                compute_flow(frames[i], frames[j], method=method, **params)
                cpu[lab].append(time.thread_time() - c)
                wall[lab].append(time.perf_counter() - t)
    finally:
        cv2.setNumThreads(old)
    ref = "tvl1_opencv"
    w_ref, c_ref = statistics.median(wall[ref]), statistics.median(cpu[ref])
    print(f"{'backend':<15} {'wall ms':>8} {'CPU ms':>8} {'x (wall)':>9} {'x (CPU)':>8}")
    out = {}
    for lab, method, _ in BACKENDS:
        w, c = statistics.median(wall[lab]), statistics.median(cpu[lab])
        print(f"{lab:<15} {1e3 * w:8.1f} {1e3 * c:8.1f} {w_ref / w:9.1f} {c_ref / c:8.1f}")
        out.setdefault(method, 1e3 * w)
    return out


def _descriptors(oe, apex, landmarks):
    from mefeat.descriptors import bi_woof, fdm, mdmo
    from mefeat.flow import optical_strain

    m = mdmo(oe, landmarks)
    rho, th = m[:36], m[36:]
    s = optical_strain(oe[apex - 1])
    H, W = s.shape
    strain = np.array([s[r * H // 5:(r + 1) * H // 5, c * W // 5:(c + 1) * W // 5].mean()
                       for r in range(5) for c in range(5)])
    return {"mdmo": np.concatenate([rho * np.cos(th), rho * np.sin(th)]), "fdm": fdm(oe),
            "bi_woof": bi_woof(oe[apex - 1]), "strain": strain}


def _rel(a, b):
    n = np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / n) if n > 0 else float("nan")


def _epe(a, b):
    return float(np.hypot(*(a - b).transpose(3, 0, 1, 2)).mean())


def agreement_table(n_clips):
    """Table 4 (see the module docstring)."""
    import cv2

    from benchmarks._realistic_clips import make_clip
    from mefeat.flow import clip_flows

    names = ("mdmo", "fdm", "bi_woof", "strain")
    rows = {k: {"epe_ocv": [], "epe_true": [], "chg": {d: [] for d in names}, "err": {d: [] for d in names},
                "ms": []} for k in ("tvl1 (mefeat)", "tvl1_opencv", "OpenCV nudged", "dis medium")}
    old = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        for seed in range(n_clips):
            clip = make_clip(seed, subject=seed % 4)
            nudged = clip.frames.astype(np.float32)
            nudged[:, 64, 64] += 0.01
            inputs = {"tvl1 (mefeat)": ("tvl1", clip.frames), "tvl1_opencv": ("tvl1_opencv", clip.frames),
                      "OpenCV nudged": ("tvl1_opencv", nudged), "dis medium": ("dis", clip.frames)}
            flows = {}
            for k, (method, frames) in inputs.items():
                c = time.thread_time()
                flows[k] = clip_flows(frames, mode="onset_each", onset=0, method=method, n_jobs=1)
                rows[k]["ms"].append(1e3 * (time.thread_time() - c) / len(flows[k]))
            d_true = _descriptors(clip.flows, clip.apex, clip.landmarks)
            d = {k: _descriptors(f, clip.apex, clip.landmarks) for k, f in flows.items()}
            for k, r in rows.items():
                r["epe_ocv"].append(_epe(flows[k], flows["tvl1_opencv"]))
                r["epe_true"].append(_epe(flows[k], clip.flows))
                for n in names:
                    r["chg"][n].append(_rel(d[k][n], d["tvl1_opencv"][n]))
                    r["err"][n].append(_rel(d[k][n], d_true[n]))
    finally:
        cv2.setNumThreads(old)
    med = statistics.median
    print(f"{'flow':<15} {'CPU ms/pair':>11} {'EPE vs OpenCV':>14} {'EPE vs truth':>13} "
          f"{'change vs OpenCV % (MDMO/FDM/Bi-WOOF/strain)':>46} {'error vs truth % (same order)':>31}")
    for k, r in rows.items():
        chg = " / ".join(f"{100 * med(r['chg'][n]):.1f}" for n in names)
        err = " / ".join(f"{100 * med(r['err'][n]):.0f}" for n in names)
        print(f"{k:<15} {med(r['ms']):11.1f} {med(r['epe_ocv']):14.4f} {med(r['epe_true']):13.4f} {chg:>46} {err:>31}")


if __name__ == "__main__":
    sys.exit(main())
