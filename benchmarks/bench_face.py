"""Face front end and TIM: per-frame costs and the peak memory of streaming alignment.

Run from the repository root::

    /work/venv/bin/python benchmarks/bench_face.py            # 270 frames of 768x1024 (DFME-sized)
    /work/venv/bin/python benchmarks/bench_face.py --quick    # 40 frames, fewer repeats

Prints three tables:

1. per-frame cost (median ms) of frame decoding, dlib HOG detection (upsample 0 and 1), the 68
   landmarks, and the warp + crop to 128x128, on 480x640 and 768x1024 frames;
2. the peak RSS (VmHWM of a fresh subprocess; ``ru_maxrss`` is shown too but on Linux it survives exec()
   and so includes the parent's memory at spawn time) of aligning
   a synthetic 270x768x1024 clip whose frames are image files: streaming (``align_frames`` on the
   file list) vs naive (load the whole clip into one array, then ``align_clip``), plus the baseline
   of a process that only imports the modules and reads one frame; target < 300 MB for streaming;
3. TIM: mefeat's closed form vs the literal SVD/eig/solve reference, and FaceAligner over several
   clips with 1 job, 2 threads and 2 processes;
4. the cost of aligning one 130-frame clip of 1024x768 and 1280x1024 PNG frames (DFME sizes), split into
   face detection, landmarks, 130 warps and 130 PNG decodes, with full-resolution detection
   (``detect_scale=1.0``, upsample 1) and the default coarse detection (``detect_scale="auto"``);
5. how far the coarse detection moves the alignment: mean/max distance between where the two crop
   transforms put the 68 landmarks (crop px), and between the two landmark sets (source px), over
   faces of 300-450 px at several positions.

6. detection on tight face crops (the face filling the frame, as in databases' own crops): the share of
   faces found by the first attempt (what ``find_face`` did before its fallbacks) and with the fallbacks,
   by jaw width / frame width (0.8-1.1) and frame width (128, 224, 300 px), on the astronaut and the demo's
   subjects (``load_demo`` onset frames); the attempt that found them; landmark error against the landmarks
   of the uncropped frame; and on skimage's LFW subset (100 tight face crops, 100 non-faces, 25 px
   upscaled): faces found and non-faces with a "face";
7. alignment border (``border="fit"`` vs ``"replicate"``): share of the template crop outside the frame,
   zoom, landmark displacement, warnings and bit-identity, on the demo's clips (onset frame) and on
   CASME II-like tight crops.

``--only 4 5`` runs some sections only. ``--quick`` uses the tiny demo (3 subjects) and fewer LFW faces.

Timings on a busy machine are noisy; compare ratios within one run.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _median_ms(fn, repeat, clock=time.perf_counter):
    times = []
    for _ in range(repeat):
        t = clock()
        fn()
        times.append(clock() - t)
    return 1e3 * statistics.median(times)


def synthetic_frame(H, W, face_px, dx=0.0, dy=0.0):
    """The astronaut's face scaled so it is ``face_px`` wide, on an HxW canvas, shifted by (dx, dy)."""
    import cv2
    from skimage import data

    g = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    s = face_px / 90.0  # the astronaut's face is ~90 px wide
    A = np.array([[s, 0.0, W / 2 - 220 * s + dx], [0.0, s, H / 2 - 125 * s + dy]])
    return cv2.warpAffine(g, A, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def bench_per_frame(repeat):
    import cv2

    from mefeat.face import detect_faces, find_face, fit_similarity, warp_face

    rows = []
    for H, W, face_px in [(480, 640, 150), (768, 1024, 300)]:
        frame = synthetic_frame(H, W, face_px)
        ok, jpg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 95])
        ok, png = cv2.imencode(".png", frame)
        det = find_face(frame, upsample=0)
        M = fit_similarity(det.landmarks)
        steps = [
            ("decode JPEG (q95)", lambda: cv2.imdecode(jpg, cv2.IMREAD_GRAYSCALE), repeat),
            ("decode PNG", lambda: cv2.imdecode(png, cv2.IMREAD_GRAYSCALE), repeat),
            ("detect, upsample 0", lambda: detect_faces(frame, upsample=0), repeat),
            ("detect, upsample 1", lambda: detect_faces(frame, upsample=1), max(2, repeat // 3)),
            ("find_face, detect_scale='auto'", lambda: find_face(frame), repeat),
            ("68 landmarks in a rect", lambda: find_face(frame, rect=det.rect), repeat),
            ("warp+crop 128, antialias", lambda: warp_face(frame, M, 128), repeat),
            ("warp+crop 128, plain", lambda: warp_face(frame, M, 128, antialias=False), repeat),
            ("cv2.warpAffine on whole frame", lambda: cv2.warpAffine(frame, M, (128, 128)), repeat),
        ]
        for step, fn, rep in steps:
            rows.append((f"{H}x{W}", step, _median_ms(fn, rep)))
    print("\n1. Per-frame cost (median ms)")
    print(f"{'frame':>10}  {'step':<32}{'ms':>9}")
    for size, step, ms in rows:
        print(f"{size:>10}  {step:<32}{ms:9.2f}")


CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
import numpy as np
paths = {paths!r}
mode = {mode!r}
import cv2
from mefeat import Clip
from mefeat.face import align_clip, align_frames
from mefeat.face.landmarks import _detector, _predictor, predictor_path
t = time.perf_counter()
_detector(), _predictor(predictor_path())  # dlib's models, loaded once per process
load = time.perf_counter() - t
t = time.perf_counter()
if mode == "baseline":
    frame = cv2.imread(paths[0], cv2.IMREAD_GRAYSCALE)
    shape = frame.shape
elif mode == "stream":
    res = align_frames(paths, reference_index=0, clip_name="bench")
    shape = res.frames.shape
else:
    first = cv2.imread(paths[0], cv2.IMREAD_GRAYSCALE)
    clip = np.empty((len(paths),) + first.shape, np.uint8)
    for i, p in enumerate(paths):
        clip[i] = cv2.imread(p, cv2.IMREAD_GRAYSCALE)
    out = align_clip(Clip(clip, name="bench"))
    shape = out.frames.shape
dt = time.perf_counter() - t
hwm = None
try:
    with open("/proc/self/status") as fh:
        hwm = [int(line.split()[1]) / 1024 for line in fh if line.startswith("VmHWM")][0]
except OSError:
    pass
print(json.dumps({{"maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "hwm_mb": hwm,
                   "seconds": dt, "load": load, "shape": list(shape)}}))
"""


def bench_memory(n_frames, ext):
    import cv2

    print(f"\n2. Peak RSS of aligning a synthetic {n_frames}x768x1024 clip stored as {ext.upper()} files")
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        rng = np.random.default_rng(0)
        base = synthetic_frame(768, 1024, 300)
        for i in range(n_frames):
            # small sub-pixel motion + sensor noise, as in a real clip
            shift = np.array([[1.0, 0.0, 0.3 * np.sin(i / 9)], [0.0, 1.0, 0.2 * np.cos(i / 7)]])
            f = cv2.warpAffine(base, shift, (1024, 768), borderMode=cv2.BORDER_REFLECT)
            f = np.clip(f + rng.normal(0, 1.5, f.shape), 0, 255).astype(np.uint8)
            p = os.path.join(tmp, f"{i:05d}.{ext}")
            cv2.imwrite(p, f, [cv2.IMWRITE_JPEG_QUALITY, 95] if ext == "jpg" else [])
            paths.append(p)
        raw_mb = n_frames * 768 * 1024 / 2**20
        print(f"raw clip in memory: {raw_mb:.0f} MB (uint8); aligned output: {n_frames * 128 * 128 / 2**20:.1f} MB")
        print("peak RSS = VmHWM of the child (Linux): ru_maxrss survives exec() and so also counts the parent's")
        print("memory at spawn time, shown for reference. 'baseline' = imports + dlib's models + one decoded frame;")
        print("seconds exclude loading the models (load s) and include the reference-frame detection "
              "(detect_scale='auto')")
        print(f"{'mode':<10}{'peak RSS MB':>13}{'ru_maxrss MB':>14}{'load s':>8}{'seconds':>10}{'ms/frame':>10}"
              "  output")
        for mode in ("baseline", "stream", "naive"):
            code = CHILD.format(root=str(ROOT), paths=paths, mode=mode)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            if out.returncode != 0:
                print(f"{mode:<10} failed: {out.stderr.strip()[-500:]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            per = 1e3 * r["seconds"] / n_frames if mode != "baseline" else float("nan")
            hwm = r["hwm_mb"] if r["hwm_mb"] is not None else r["maxrss_mb"]
            print(f"{mode:<10}{hwm:13.0f}{r['maxrss_mb']:14.0f}{r['load']:8.2f}{r['seconds']:10.2f}{per:10.2f}"
                  f"  {tuple(r['shape'])}")


def bench_tim_and_parallel(quick):
    import warnings

    from mefeat import Clip, FaceAligner
    from mefeat.temporal import tim
    from tests.reference.tim import tim_reference

    print("\n3a. TIM to 10 frames (median ms): closed form vs literal SVD/eig/solve reference")
    print(f"{'clip':>14}{'mefeat':>10}{'literal':>10}{'ratio':>8}{'max |diff|':>12}")
    rng = np.random.default_rng(0)
    for n, side in [(30, 128), (120, 128)] + ([] if quick else [(270, 128)]):
        x = rng.integers(0, 256, (n, side, side)).astype(np.uint8)
        rep = 3 if quick else 5
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = _median_ms(lambda: tim(x, 10), rep)
            b = _median_ms(lambda: tim_reference(x, 10), max(1, rep // 2))
            diff = np.abs(tim(x, 10) - tim_reference(x, 10)).max()
        print(f"{f'{n}x{side}x{side}':>14}{a:10.1f}{b:10.1f}{b / a:8.1f}{diff:12.2e}")

    print("\n3b. FaceAligner over clips of 480x640 frames (seconds): 1 job vs 2 threads vs 2 processes")
    n_clips, T = (4, 10) if quick else (6, 30)
    clips = []
    for i in range(n_clips):
        frames = np.stack([synthetic_frame(480, 640, 150, dx=0.2 * k, dy=0.1 * i) for k in range(T)])
        clips.append(Clip(frames, name=f"c{i}"))
    results = {}
    for label, est in [("1 job", FaceAligner()), ("2 threads", FaceAligner(n_jobs=2))]:
        results[label] = _median_ms(lambda: est.transform(clips), 2) / 1e3
    est = FaceAligner(n_jobs=2)
    est._parallel_prefer = "processes"  # the alternative, for comparison only
    results["2 processes"] = _median_ms(lambda: est.transform(clips), 2) / 1e3
    print(f"{n_clips} clips x {T} frames: " + ", ".join(f"{k} {v:.2f} s" for k, v in results.items()))


def _noisy_png(frame, rng):
    """PNG bytes of ``frame`` with sensor-like noise (a clean synthetic frame would compress, and decode, too well)."""
    import cv2

    noisy = np.clip(frame + rng.normal(0, 1.5, frame.shape), 0, 255).astype(np.uint8)
    return cv2.imencode(".png", noisy)[1]


def bench_clip_share(repeat, n_frames=130):
    import cv2

    from mefeat.face import find_face, fit_similarity, warp_face
    from mefeat.face.landmarks import _detect_shrunk, _fit, _refine, detect_faces, detection_factor

    print(f"\n4. One {n_frames}-frame clip of PNG frames (median ms): where the time goes")
    print("wall = elapsed time, cpu = this process's CPU time (less sensitive to other jobs on the machine)")
    print(f"{'frame':>10}  {'detection':<22}{'clock':>6}{'detect':>9}{'landmarks':>10}{'warps':>9}{'decodes':>9}"
          f"{'total':>9}{'detect %':>10}")
    rng = np.random.default_rng(0)
    for H, W, face_px in [(768, 1024, 300), (1024, 1280, 400)]:
        frame = synthetic_frame(H, W, face_px)
        png = _noisy_png(frame, rng)
        full = find_face(frame, detect_scale=1.0)
        M = fit_similarity(full.landmarks)
        factor = detection_factor(frame.shape)
        lm0 = _fit(frame, _detect_shrunk(frame, factor)[0])
        for clock_name, clock in [("wall", time.perf_counter), ("cpu", time.process_time)]:
            decode = _median_ms(lambda: cv2.imdecode(png, cv2.IMREAD_GRAYSCALE), repeat, clock)
            warp = _median_ms(lambda: warp_face(frame, M, 128), repeat, clock)
            fit = _median_ms(lambda: _fit(frame, full.rect), repeat, clock)
            rows = [
                ("full size, upsample 1",
                 _median_ms(lambda: detect_faces(frame, upsample=1), max(3, repeat // 3), clock), fit),
                (f"auto (/{factor:g}, upsample 0)", _median_ms(lambda: _detect_shrunk(frame, factor), repeat, clock),
                 fit + _median_ms(lambda: _refine(frame, lm0), repeat, clock)),
            ]
            for label, det, lm in rows:
                total = det + lm + n_frames * (warp + decode)
                print(f"{f'{H}x{W}':>10}  {label:<22}{clock_name:>6}{det:9.1f}{lm:10.1f}{n_frames * warp:9.1f}"
                      f"{n_frames * decode:9.1f}{total:9.1f}{100 * det / total:9.1f}%")
    print("(landmarks: one fit at full size; auto adds the refinement's nine fits)")


def bench_alignment_difference():
    from mefeat.face import find_face, fit_similarity

    print("\n5. Coarse (detect_scale='auto') vs full-resolution detection: how far the alignment moves")
    print(f"{'frame':>10}{'face':>6}{'factor':>8}{'transform mean':>16}{'max':>7}{'landmarks mean':>16}{'max':>7}")
    rng = np.random.default_rng(1)
    means, maxes = [], []
    for H, W in [(768, 1024), (1024, 1280)]:
        for face_px in (300, 340, 380, 420, 450):
            for _ in range(3):
                dx, dy = rng.uniform(-40, 40, 2)
                frame = synthetic_frame(H, W, face_px, dx, dy)
                full, coarse = find_face(frame, detect_scale=1.0), find_face(frame)
                M0, M1 = fit_similarity(full.landmarks), fit_similarity(coarse.landmarks)
                p = full.landmarks
                moved = np.linalg.norm((p @ M0[:, :2].T + M0[:, 2]) - (p @ M1[:, :2].T + M1[:, 2]), axis=1)
                lm = np.linalg.norm(coarse.landmarks - full.landmarks, axis=1)
                means.append(moved.mean())
                maxes.append(moved.max())
                print(f"{f'{H}x{W}':>10}{face_px:6d}{coarse.detect_factor:8.2f}{moved.mean():16.3f}{moved.max():7.3f}"
                      f"{lm.mean():16.2f}{lm.max():7.2f}")
    print(f"transform (crop px, 128 px crop) over {len(means)} frames: mean {np.mean(means):.3f}, "
          f"largest frame mean {np.max(means):.3f}, largest point {np.max(maxes):.3f}")


def _tight_crop(gray, lm, fill, width, aspect=1.0):
    """``gray`` cropped so the jaw (landmarks 0-16) spans ``fill`` of a ``width`` px frame, landmark box centred."""
    import cv2

    jaw = lm[16, 0] - lm[0, 0]
    cx, cy = 0.5 * (lm[0, 0] + lm[16, 0]), 0.5 * (lm[:, 1].min() + lm[:, 1].max())
    s = width * fill / jaw
    H = int(round(width * aspect))
    A = cv2.getRotationMatrix2D((cx, cy), 0.0, s)
    A[:, 2] += (width / 2 - 0.5 - cx, H / 2 - 0.5 - cy)
    src = gray if s >= 1 else cv2.GaussianBlur(gray, (0, 0), 0.45 / s)
    frame = cv2.warpAffine(src, A, (width, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return frame, lm @ A[:, :2].T + A[:, 2]


def _face_sources(quick):
    """(name, uint8 frame, landmarks): the astronaut and one onset frame per demo subject."""
    import cv2
    from skimage import data

    from mefeat.datasets import load_demo
    from mefeat.face import find_face

    g = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    out = [("astronaut", g, find_face(g).landmarks)]
    ds = load_demo(size="tiny" if quick else "full")
    seen = set()
    for i in range(len(ds)):
        clip = ds[i]
        if clip.subject in seen:
            continue
        seen.add(clip.subject)
        frame = clip.frames[clip.onset]
        out.append((clip.name, frame, find_face(frame).landmarks))
    return out, ds


def bench_tight_detection(quick):
    import collections

    import cv2
    from skimage import data

    from mefeat.face import FaceNotFoundError, find_face
    from mefeat.face.landmarks import _locate

    sources, _ = _face_sources(quick)
    fills, widths = (0.8, 0.9, 1.0, 1.1), (128, 224, 300)
    print(f"\n6. Face detection on tight crops of {len(sources)} faces (astronaut + demo subjects), square and "
          "1.2x tall frames: share found")
    first, after = collections.Counter(), collections.Counter()
    n = collections.Counter()
    attempts = collections.Counter()
    err_first, err_fallback = [], []
    t_first, t_after = [], []
    for _name, gray, lm in sources:
        for fill in fills:
            for width in widths:
                for aspect in (1.0, 1.2):
                    frame, truth = _tight_crop(gray, lm, fill, width, aspect)
                    jaw = fill * width
                    t = time.perf_counter()
                    ok_first = bool(_locate(frame, 1, "auto", fallbacks=False).faces)
                    t_first.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    try:
                        det = find_face(frame)
                    except FaceNotFoundError:
                        det = None
                    t_after.append(time.perf_counter() - t)
                    key = (fill, width)
                    n[key] += 1
                    first[key] += ok_first
                    after[key] += det is not None
                    if det is not None:
                        attempts[det.attempt] += 1
                        e = np.linalg.norm(det.landmarks - truth, axis=1).mean() / jaw
                        (err_first if ok_first else err_fallback).append(e)
    print(f"{'jaw/width':>10}{'width':>7}{'crops':>7}{'first attempt':>15}{'with fallbacks':>16}")
    for fill in fills:
        for width in widths:
            k = (fill, width)
            print(f"{fill:10.1f}{width:7d}{n[k]:7d}{first[k] / n[k]:15.3f}{after[k] / n[k]:16.3f}")
    tot = sum(n.values())
    print(f"{'all':>10}{'':>7}{tot:7d}{sum(first.values()) / tot:15.3f}{sum(after.values()) / tot:16.3f}")
    print("found by: " + ", ".join(f"{k} {v}" for k, v in attempts.most_common()))
    print(f"landmark error (mean distance / jaw width, against the uncropped frame's landmarks): first attempt "
          f"{np.mean(err_first):.4f} (max {np.max(err_first):.4f}); fallbacks "
          + (f"{np.mean(err_fallback):.4f} (max {np.max(err_fallback):.4f})" if err_fallback else "-"))
    print(f"median time per crop: first attempt {1e3 * np.median(t_first):.1f} ms, find_face with fallbacks "
          f"{1e3 * np.median(t_after):.1f} ms")

    lfw = np.rint(data.lfw_subset() * 255).astype(np.uint8)
    faces, nonfaces = (lfw[:30], lfw[100:130]) if quick else (lfw[:100], lfw[100:])
    print(f"\n6b. skimage's LFW subset ({len(faces)} tight face crops, {len(nonfaces)} non-faces, 25 px upscaled)")
    print(f"{'width':>7}{'faces: first':>14}{'with fallbacks':>16}{'non-faces: first':>18}{'with fallbacks':>16}")
    for width in (128, 224):
        row = []
        for imgs in (faces, nonfaces):
            a = b = 0
            for im in imgs:
                big = cv2.resize(im, (width, width), interpolation=cv2.INTER_CUBIC)
                a += bool(_locate(big, 1, "auto", fallbacks=False).faces)
                b += bool(_locate(big, 1, "auto").faces)
            row += [a / len(imgs), b / len(imgs)]
        print(f"{width:7d}{row[0]:14.2f}{row[1]:16.2f}{row[2]:18.2f}{row[3]:16.2f}")


def bench_border(quick):
    import warnings

    from mefeat.face import CropFittedWarning, align_frames

    sources, ds = _face_sources(quick)
    print("\n7. Alignment border: border='fit' (default) vs 'replicate' (onset frame of every demo clip; "
          "CASME II-like tight crops)")
    print(f"{'frames':<34}{'n':>4}{'outside mean':>13}{'max':>6}{'identical':>10}{'zoom mean':>10}{'max':>6}"
          f"{'moved px':>9}{'max':>6}{'warned':>7}")

    def row(label, items):
        outs, zooms, moved, same, warned = [], [], [], 0, 0
        for frames, lm in items:
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always", CropFittedWarning)
                fit = align_frames(frames, landmarks=lm)
            rep = align_frames(frames, landmarks=lm, border="replicate")
            warned += any(issubclass(x.category, CropFittedWarning) for x in w)
            same += bool(np.array_equal(fit.frames, rep.frames))
            m = fit.meta
            outs.append(m["outside_fraction"])
            zooms.append(m["fit_zoom"])
            moved.append(m["fit_moved_px"])
        print(f"{label:<34}{len(items):4d}{np.mean(outs):13.3f}{np.max(outs):6.3f}{same:10d}{np.mean(zooms):10.3f}"
              f"{np.max(zooms):6.3f}{np.mean(moved):9.2f}{np.max(moved):6.2f}{warned:7d}")

    from mefeat.face import find_face

    demo = []
    for i in range(len(ds)):
        clip = ds[i]
        frame = clip.frames[clip.onset]
        demo.append(([frame], find_face(frame).landmarks))
    row(f"demo ({ds[0].frames.shape[1]} px frames)", demo)
    for fill, width, aspect in [(0.8, 240, 1.2), (0.9, 260, 1.15), (1.0, 280, 1.15), (1.1, 240, 1.2)]:
        items = [([f], pts) for f, pts in (_tight_crop(g, lm, fill, width, aspect) for _, g, lm in sources)]
        row(f"tight: jaw {fill:.0%} of {width}x{int(round(width * aspect))}", items)
    print("outside = share of the template crop's pixels outside the frame (replicated with 'replicate'); "
          "identical = clips whose 'fit' crop equals the 'replicate' crop bit for bit; moved = mean landmark "
          "displacement by the fitting (128 px crop); warned = CropFittedWarning (the fitted crop cuts the "
          "template's face box)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 frames and fewer repeats")
    parser.add_argument("--frames", type=int, default=None, help="frames of the synthetic clip (default 270)")
    parser.add_argument("--format", choices=("jpg", "png"), default="jpg", help="frame file format")
    parser.add_argument("--only", type=int, nargs="+", choices=(1, 2, 3, 4, 5, 6, 7), help="sections to run")
    args = parser.parse_args(argv)
    n_frames = args.frames or (40 if args.quick else 270)
    only = set(args.only or (1, 2, 3, 4, 5, 6, 7))
    from mefeat.face.landmarks import _detector, _predictor, predictor_path

    _detector(), _predictor(predictor_path())  # dlib's models, loaded before anything is timed
    if 1 in only:
        bench_per_frame(5 if args.quick else 15)
    if 2 in only:
        bench_memory(n_frames, args.format)
    if 3 in only:
        bench_tim_and_parallel(args.quick)
    if 4 in only:
        bench_clip_share(5 if args.quick else 15)
    if 5 in only:
        bench_alignment_difference()
    if 6 in only:
        bench_tight_detection(args.quick)
    if 7 in only:
        bench_border(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
