"""Spotting speed on a SAMM Long Videos-sized video (200 fps, 2040x1088 grayscale JPEG) against decoding it.

Usage: python benchmarks/bench_spotting.py [--frames N] [--repeat R]

Writes N frames (the demo face, enlarged, on a 2040x1088 canvas, with sensor noise) as JPEG to a
temporary folder, then times, interleaved in each repeat:

* decode: reading and decoding every frame (the floor of any spotter that reads the video);
* decode + align: the same, plus the face crop of :func:`mefeat.spotting.stream.iter_aligned_frames`
  (one transform per video, 128 px crops);
* MDMD / LBP chi2: the spotting signals of both expression types at 200 fps (k = 80 and 260 frames for
  MDMD, 40 and 130 for LBP chi2) on the aligned crops held in memory.

Prints frames per second and the ratio to decoding. A spotter's signal only starts after 2k + 1
frames, so a short video under-counts its cost: "steady" is the rate once both windows are full
(2 MDMD evaluations = 4 optical flows per frame), computed from the measured time per evaluation.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parents[1]))  # repo root
from benchmarks._timing import machine  # noqa: E402


def _write_video(folder, n, seed=0):
    import cv2

    from mefeat.datasets.demo import _source_face

    gray, lm = _source_face()
    x0, x1 = max(int(lm[:, 0].min()) - 60, 0), int(lm[:, 0].max()) + 60
    y0, y1 = max(int(lm[:, 1].min()) - 90, 0), int(lm[:, 1].max()) + 40
    face = cv2.resize(gray[y0:y1, x0:x1], None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC)
    canvas = np.full((1088, 2040), 90, np.float32)
    h, w = face.shape
    oy, ox = (1088 - h) // 2, (2040 - w) // 2
    canvas[oy:oy + h, ox:ox + w] = face
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        img = np.clip(canvas + rng.normal(0, 2, canvas.shape), 0, 255).astype(np.uint8)
        p = os.path.join(folder, f"001_1_{i + 1:04d}.jpg")
        cv2.imwrite(p, img, [cv2.IMWRITE_JPEG_QUALITY, 92])
        paths.append(p)
    return paths


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=700, help="frames of the video (default 700 = 3.5 s)")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    from mefeat._frames import decode_frame
    from mefeat.spotting import spotters as sp
    from mefeat.spotting.stream import iter_aligned_frames, ms_to_frames

    print(machine())
    tmp = tempfile.mkdtemp(prefix="bench_spotting-")
    try:
        paths = _write_video(tmp, args.frames)
        n = len(paths)
        kmd = tuple(ms_to_frames(sp.MDMD_K_MS[t], 200) for t in ("micro", "macro"))
        klb = tuple(ms_to_frames(sp.LBP_K_MS[t], 200) for t in ("micro", "macro"))
        aligned = list(iter_aligned_frames(paths[:3], align=True))  # warm-up: dlib, cv2, the flow
        sp.mdmd_signal(iter(aligned), 1)
        best = {}

        def run(name, fn):
            t0 = time.perf_counter()
            out = fn()
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - t0)
            return out

        for _ in range(args.repeat):
            def decode():
                for p in paths:
                    with open(p, "rb") as f:
                        decode_frame(f.read(), p)

            run("decode", decode)
            aligned = run("decode + align", lambda: list(iter_aligned_frames(paths, align=True)))
            run("MDMD", lambda: sp.mdmd_signal(iter(aligned), kmd))
            run("LBP chi2", lambda: sp.lbp_chi2_signal(iter(aligned), klb))
        evals = sum(max(n - 2 * k, 0) for k in kmd)
        print(f"{n} frames of 2040x1088 (200 fps: {n / 200:.1f} s), crops {aligned[0].shape}, best of {args.repeat}")
        print(f"{'stage':16s} {'frames/s':>9s} {'x decode time':>14s}")
        for name, t in best.items():
            print(f"{name:16s} {n / t:9.1f} {t / best['decode']:14.2f}")
        steady = evals / best["MDMD"] / 2
        print(f"MDMD steady state (both windows full, 4 flows per frame): {steady:.1f} frames/s, "
              f"{(1 / steady) / (best['decode'] / n):.2f} x decode time")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
