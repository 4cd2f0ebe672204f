"""A DFME-like data set on disk for the benchmarks: real face, DFME frame sizes, DFME release layout.

:func:`make_dfme_like` renders clips of the astronaut's face (``skimage.data.astronaut()`` in gray)
scaled to 300-450 px wide and placed in frames of DFME size (1024x768 for parts A and C, 1280x1024 for
part B), with a slow sub-pixel head jitter and action-unit-localised micro-motion (the demo set's AU
layout, :data:`mefeat.datasets.demo.AU_REGIONS`, drawn per emotion with
:data:`mefeat.datasets.demo.EMOTION_AU_FREQUENCIES`), Gaussian sensor noise and 8-bit rounding.
It writes them in the DFME release layout: ``<root>/<Filename>/<frame:05d>.png`` (0-based frame numbers)
and the sheet ``<root>/training_full_with_AU.xlsx`` (``Subject | Filename | OnsetFrame | ApexFrame |
OffsetFrame | Emotion | EmotionId | Fps | AU``), which :func:`mefeat.load_dfme` reads.

The rendering is cached: a folder named after the parameters, completed atomically (rendered in a
temporary folder, then renamed) and marked by ``dfme_like.json``; a second call returns at once.

Usage from a benchmark::

    from benchmarks._dfme_like import make_dfme_like
    root, sheets = make_dfme_like("/tmp/mefeat-bench")          # 14 clips x 130 frames, ~1.8k PNGs
    ds = mefeat.datasets.load_dfme(root, sheets)

``python benchmarks/_dfme_like.py [out_dir] [--quick]`` renders (or finds) the set and prints its summary.
"""

import hashlib
import json
import os
import shutil
import sys
import tempfile

import numpy as np

__all__ = ["make_dfme_like", "DFME_LIKE_VERSION", "SHEET_NAME"]

#: Bump when the rendering changes (part of the cache folder name).
DFME_LIKE_VERSION = 1
SHEET_NAME = "training_full_with_AU.xlsx"
_COLUMNS = ["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Emotion", "EmotionId", "Fps", "AU"]
_NOISE = 2.0  # sensor noise sigma, gray levels
_JITTER = 0.3  # head jitter std, px (smooth over ~3 frames)
_DRIFT = 1.0  # slow head drift over the clip, px at most
_FACE_PX = (300, 450)  # face (jaw) width in the frame
_AMPLITUDE = (0.3, 1.5)  # apex micro-motion per 100 px of face width, px


def make_dfme_like(out_dir, n_clips=14, n_frames=130, sizes=((768, 1024), (1024, 1280)), seed=0, *, n_jobs=1):
    """Render (or find in the cache) a DFME-like data set.

    Parameters
    ----------
    out_dir : str or path-like
        Parent folder; the set goes to a sub-folder named after the parameters.
    n_clips : int
        Clips, spread over ``sizes`` in turn (clip k has size ``sizes[k % len(sizes)]``).
    n_frames : int
        Frames per clip folder (>= 12). The annotated onset is frame 0-3 and the offset 0-3 frames
        before the last, so onset..offset holds ``n_frames - 6`` to ``n_frames`` frames.
    sizes : sequence of (height, width)
        Frame sizes. (768, 1024) gives part-A (500 fps, subjects sub0001-0015) and part-C clips
        (200 fps, sub0111-) in turn, (1024, 1280) part-B clips (300 fps, sub0016-0110), as in DFME;
        any other size gets 200 fps and part-C subjects. Two clips per subject.
    seed : int
    n_jobs : int
        joblib processes for the rendering (clips are independent).

    Returns
    -------
    root : str
        The data set folder (``<root>/<Filename>/00000.png ...``).
    sheets : list of str
        ``[<root>/training_full_with_AU.xlsx]``, for :func:`mefeat.datasets.load_dfme`.

    Notes
    -----
    Each clip: a random emotion, its AUs drawn from the DFME AU frequencies, each AU's apex
    displacement 0.3-1.5 px per 100 px of face width (1-7 px at these face sizes, 0.3-1.5 px once the
    face is aligned to 128 px), a smoothstep rise to the apex (30-50 % of onset..offset) and fall; head
    motion = a drift of up to 1 px plus smooth jitter of 0.3 px std; noise sigma 2 gray levels. The
    micro-motion is applied with the first-order inverse map ``x - d(x)`` (as the demo set does): the
    exact flow is not recorded, this set is for throughput, not accuracy (see ``bench_flow_choice.py``).
    """
    n_clips, n_frames, seed = int(n_clips), int(n_frames), int(seed)
    sizes = tuple((int(h), int(w)) for h, w in sizes)
    if n_clips < 1 or n_frames < 12 or not sizes:
        raise ValueError(f"need n_clips >= 1, n_frames >= 12 and at least one size; got {n_clips}, {n_frames}, {sizes}")
    params = {"version": DFME_LIKE_VERSION, "n_clips": n_clips, "n_frames": n_frames,
              "sizes": [list(s) for s in sizes], "seed": seed}
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:10]
    out_dir = os.fspath(out_dir)
    root = os.path.join(out_dir, f"dfme_like-{n_clips}x{n_frames}-s{seed}-{key}")
    sheet = os.path.join(root, SHEET_NAME)
    if os.path.exists(os.path.join(root, "dfme_like.json")):
        return root, [sheet]
    os.makedirs(out_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=os.path.basename(root) + ".tmp-", dir=out_dir)
    try:
        from joblib import Parallel, delayed

        _source()  # landmarks of the source once, before the workers fork
        specs = _clip_specs(n_clips, n_frames, sizes, seed)
        rows = Parallel(n_jobs=n_jobs)(delayed(_render_clip)(tmp, spec) for spec in specs)
        _write_sheet(os.path.join(tmp, SHEET_NAME), rows)
        with open(os.path.join(tmp, "dfme_like.json"), "w") as f:
            json.dump(dict(params, clips=[{k: r[k] for k in ("Filename", "Fps")} | {"size": s["size"]}
                                          for r, s in zip(rows, specs)]), f, indent=1)
        if os.path.exists(root):  # an incomplete folder without its marker
            shutil.rmtree(root)
        try:
            os.replace(tmp, root)
        except OSError:
            if not os.path.exists(os.path.join(root, "dfme_like.json")):  # not a lost race: a real error
                raise
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    return root, [sheet]


# ----------------------------------------------------------------------------- internals
_SRC = {}


def _source():
    """The astronaut in gray float32 (0..255) and its dlib landmarks."""
    if "s" not in _SRC:
        from skimage import data

        from mefeat.face import detect_landmarks

        rgb = data.astronaut().astype(np.float32)
        gray = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
        lm = np.asarray(detect_landmarks(np.clip(np.rint(gray), 0, 255).astype(np.uint8)), np.float64)
        _SRC["s"] = (gray, lm)
    return _SRC["s"]


def _clip_specs(n_clips, n_frames, sizes, seed):
    from mefeat.datasets._vocab import DFME_EMOTIONS
    from mefeat.datasets.demo import EMOTION_AU_FREQUENCIES

    rng = np.random.default_rng([seed, 77])
    next_subject = {"A": 1, "B": 16, "C": 111}
    fps = {"A": 500, "B": 300, "C": 200}
    count = {}
    specs = []
    for k in range(n_clips):
        size = sizes[k % len(sizes)]
        if size == (1024, 1280):
            part = "B"
        elif size == (768, 1024):
            part = "A" if count.get(size, 0) % 2 == 0 else "C"
        else:
            part = "C"
        count[size] = count.get(size, 0) + 1
        # two clips per subject and part
        n_part = sum(1 for s in specs if s["part"] == part)
        subject = f"sub{next_subject[part] + n_part // 2:04d}"
        emotion = DFME_EMOTIONS[int(rng.integers(len(DFME_EMOTIONS)))]
        freq = EMOTION_AU_FREQUENCIES[emotion]
        aus = sorted(a for a, f in freq.items() if rng.random() < f ** 0.6) or [max(freq, key=freq.get)]
        onset = int(rng.integers(0, 4))
        offset = n_frames - 1 - int(rng.integers(0, 4))
        apex = onset + int(round((offset - onset) * rng.uniform(0.3, 0.5)))
        specs.append({"k": k, "size": size, "part": part, "subject": subject, "clip": f"{subject}_{n_part % 2 + 1:02d}",
                      "fps": fps[part], "emotion": emotion, "emotion_id": DFME_EMOTIONS.index(emotion), "aus": aus,
                      "onset": onset, "apex": apex, "offset": offset, "n_frames": n_frames,
                      "seed": [seed, k]})
    return specs


def _profile(n, onset, apex, offset):
    t = np.arange(n, dtype=float)
    x = np.clip((t - onset) / max(apex - onset, 1), 0, 1)
    y = np.clip((t - apex) / max(offset - apex, 1), 0, 1)
    return np.where(t <= apex, x * x * (3 - 2 * x), 1 - y * y * (3 - 2 * y))


def _render_clip(root, spec):
    """Write one clip's PNG frames; return its sheet row."""
    import cv2

    from mefeat.datasets.demo import AU_REGIONS

    gray, lm0 = _source()
    rng = np.random.default_rng(spec["seed"])
    H, W = spec["size"]
    face_px = rng.uniform(*_FACE_PX)
    width0 = lm0[16, 0] - lm0[0, 0]
    s = face_px / width0
    ang = np.deg2rad(rng.uniform(-5, 5))
    A = s * np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])  # source -> frame
    centre0 = lm0.mean(axis=0)
    centre = np.array([W / 2, H / 2]) + rng.uniform(-0.08, 0.08, 2) * (W, H)
    t = centre - A @ centre0
    lm = lm0 @ A.T + t
    Ainv = np.linalg.inv(A)
    # frame -> source map of the still face
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    bx = (Ainv[0, 0] * (xx - t[0]) + Ainv[0, 1] * (yy - t[1])).astype(np.float32)
    by = (Ainv[1, 0] * (xx - t[0]) + Ainv[1, 1] * (yy - t[1])).astype(np.float32)
    del xx, yy
    # apex micro-motion, on the face's bounding box only (frame coordinates, content displacement)
    u = face_px / 10.0
    pts, vecs, sig = [], [], []
    for au in spec["aus"]:
        amp = rng.uniform(*_AMPLITUDE) * face_px / 100.0
        for idx, off, d, w, sg, _side in AU_REGIONS[au]:
            pts.append(lm[list(idx)].mean(axis=0) + np.asarray(off) * u)
            d = np.asarray(d, float)
            vecs.append(d / np.linalg.norm(d) * w * amp)
            sig.append(sg * u)
    pts = np.array(pts)
    pad = 4 * max(sig)
    x0, y0 = (int(max(0, np.floor(v))) for v in pts.min(axis=0) - pad)
    x1, y1 = int(min(W, np.ceil(pts[:, 0].max() + pad))), int(min(H, np.ceil(pts[:, 1].max() + pad)))
    gy, gx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    dx = np.zeros_like(gx)
    dy = np.zeros_like(gx)
    for (px, py), (vx, vy), sg in zip(pts, vecs, sig):
        g = np.exp(-((gx - px) ** 2 + (gy - py) ** 2) / (2 * sg * sg))
        dx += vx * g
        dy += vy * g
    # the source-map change of a content displacement (dx, dy): -Ainv @ (dx, dy)
    mdx = (-(Ainv[0, 0] * dx + Ainv[0, 1] * dy)).astype(np.float32)
    mdy = (-(Ainv[1, 0] * dx + Ainv[1, 1] * dy)).astype(np.float32)
    n = spec["n_frames"]
    prof = _profile(n, spec["onset"], spec["apex"], spec["offset"])
    head = _head_motion(rng, n)
    src = cv2.GaussianBlur(gray, (0, 0), 0.5)  # soften the 3-5x up-sampled JPEG blocks of the source
    folder = os.path.join(root, spec["clip"])
    os.makedirs(folder)
    mx = np.empty_like(bx)
    my = np.empty_like(by)
    for f in range(n):
        hx, hy = Ainv @ head[f]
        np.subtract(bx, np.float32(hx), out=mx)
        np.subtract(by, np.float32(hy), out=my)
        if prof[f] > 0:
            mx[y0:y1, x0:x1] += np.float32(prof[f]) * mdx
            my[y0:y1, x0:x1] += np.float32(prof[f]) * mdy
        img = cv2.remap(src, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        img += rng.standard_normal(img.shape, dtype=np.float32) * np.float32(_NOISE)
        np.rint(img, out=img)
        img = np.clip(img, 0, 255).astype(np.uint8)
        if not cv2.imwrite(os.path.join(folder, f"{f:05d}.png"), img):
            raise OSError(f"could not write {folder}/{f:05d}.png")
    aus = spec["aus"]
    return {"Subject": spec["subject"], "Filename": spec["clip"], "OnsetFrame": spec["onset"],
            "ApexFrame": spec["apex"], "OffsetFrame": spec["offset"], "Emotion": spec["emotion"],
            "EmotionId": spec["emotion_id"], "Fps": spec["fps"],
            "AU": int(aus[0]) if len(aus) == 1 else "+".join(map(str, aus))}


def _head_motion(rng, n):
    """(n, 2) head translation in px: a linear drift of up to _DRIFT plus smooth jitter of _JITTER std."""
    from scipy.ndimage import gaussian_filter1d

    z = gaussian_filter1d(rng.normal(0, 1, size=(n, 2)), 3.0, axis=0, mode="nearest")
    sd = z.std(axis=0, keepdims=True)
    z = z / np.where(sd > 0, sd, 1) * _JITTER
    drift = rng.uniform(-_DRIFT, _DRIFT, 2) * np.linspace(0, 1, n)[:, None]
    return z + drift


def _write_sheet(path, rows):
    import pandas as pd

    df = pd.DataFrame(rows, columns=_COLUMNS)
    df["AU"] = df["AU"].astype(object)
    df.to_excel(path, sheet_name="Sheet1", index=False)


def main(argv=None):
    import argparse
    import time

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", default=os.path.join(tempfile.gettempdir(), "mefeat-bench"))
    parser.add_argument("--quick", action="store_true", help="4 clips x 24 frames")
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args(argv)
    kw = {"n_clips": 4, "n_frames": 24} if args.quick else {}
    t0 = time.perf_counter()
    root, sheets = make_dfme_like(args.out_dir, n_jobs=args.n_jobs, **kw)
    from mefeat.datasets import load_dfme

    ds = load_dfme(root, sheets)
    print(f"{root}: {len(ds)} clips, {time.perf_counter() - t0:.1f} s (render or cache hit), load {os.getloadavg()}")
    print(ds.table[["subject", "clip", "onset", "apex", "offset", "emotion", "fps"]].to_string())
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
