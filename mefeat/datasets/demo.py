"""The built-in demo data set: micro-expression clips rendered from ``skimage.data.astronaut()``.

Written to disk in the DFME release layout (frame folders plus the three official sheets
``training_full_with_AU.xlsx``, ``testA_full_with_AU.xlsx``, ``testB_full_with_AU.xlsx`` with
subject-disjoint splits) and read back with :func:`load_dfme`, so the demo exercises the real
loading path and the DFME split protocol.
"""

import hashlib
import json
import logging
import os
import shutil

import numpy as np

from mefeat.datasets._vocab import DFME_EMOTIONS

__all__ = ["load_demo", "make_demo", "demo_dir", "EMOTION_AU_FREQUENCIES", "AU_REGIONS", "DEMO_SIZES",
           "DEMO_SHEETS"]

#: 2: three DFME sheets (train/testA/testB) instead of one ``demo_full_with_AU.xlsx``; frames unchanged.
DEMO_VERSION = 3

#: The sheets the demo writes (split -> file name), the names of the DFME release, read in this order.
DEMO_SHEETS = {"train": "training_full_with_AU.xlsx", "testA": "testA_full_with_AU.xlsx",
               "testB": "testB_full_with_AU.xlsx"}

#: ``size=`` presets of :func:`load_demo` (parameters overriding the defaults).
DEMO_SIZES = {
    "full": {},  # 20 subjects x 7 emotions = 140 clips of 40-80 frames, 176 px
    "small": dict(n_subjects=10, clip_frames=(30, 50)),  # 70 clips of 30-50 frames
    "tiny": dict(n_subjects=3, emotions=("happiness", "surprise"), clip_frames=(12, 14), size=160,
                 face_width=104),  # 6 clips
}

#: Share of clips of each emotion containing each AU, as counted in the public part of DFME.
EMOTION_AU_FREQUENCIES = {
    "anger": {4: .70, 7: .24, 24: .13, 5: .08, 10: .05, 17: .05},
    "contempt": {12: .65, 6: .16, 10: .09, 7: .08, 24: .06, 2: .06},
    "disgust": {4: .74, 7: .40, 10: .12, 24: .06, 14: .05, 6: .05},
    "fear": {4: .51, 7: .31, 5: .17, 24: .13, 1: .12, 17: .07},
    "happiness": {12: .79, 6: .49, 24: .11, 10: .06, 1: .04, 17: .04},
    "sadness": {4: .39, 14: .23, 24: .17, 7: .15, 17: .12, 1: .06},
    "surprise": {2: .77, 1: .75, 5: .67, 4: .06, 7: .05, 17: .03},
}

# AU -> control points: (landmark indices averaged, offset (dx, dy) in face units u, direction (dx, dy),
# weight, sigma in u). Image coordinates, y down. u = face width / 10. "side": "R" = image left
# (subject's right), "L" = image right (subject's left); used for unilateral AUs (contempt's L12/R12).
AU_REGIONS = {
    1: [((21,), (0, -.2), (0, -1), 1.0, .8, "R"), ((22,), (0, -.2), (0, -1), 1.0, .8, "L"),
        ((20,), (0, 0), (0, -1), .6, .7, "R"), ((23,), (0, 0), (0, -1), .6, .7, "L")],
    2: [((17, 18), (0, -.2), (0, -1), 1.0, .9, "R"), ((25, 26), (0, -.2), (0, -1), 1.0, .9, "L")],
    4: [((20, 21), (0, 0), (.45, .9), 1.0, .8, "R"), ((22, 23), (0, 0), (-.45, .9), 1.0, .8, "L"),
        ((27,), (0, -.5), (0, .6), .5, .6, "B")],
    5: [((37, 38), (0, 0), (0, -1), 1.0, .4, "R"), ((43, 44), (0, 0), (0, -1), 1.0, .4, "L")],
    6: [((40, 41), (0, 1.3), (0, -1), 1.0, 1.0, "R"), ((46, 47), (0, 1.3), (0, -1), 1.0, 1.0, "L"),
        ((36,), (-.3, .2), (.7, -.7), .5, .4, "R"), ((45,), (.3, .2), (-.7, -.7), .5, .4, "L")],
    7: [((40, 41), (0, 0), (0, -1), 1.0, .4, "R"), ((46, 47), (0, 0), (0, -1), 1.0, .4, "L"),
        ((37, 38), (0, 0), (0, 1), .4, .35, "R"), ((43, 44), (0, 0), (0, 1), .4, .35, "L")],
    9: [((31,), (0, -.8), (0, -1), 1.0, .6, "R"), ((35,), (0, -.8), (0, -1), 1.0, .6, "L"),
        ((28,), (0, 0), (0, 1), .5, .5, "B")],
    10: [((50,), (0, 0), (0, -1), 1.0, .6, "R"), ((52,), (0, 0), (0, -1), 1.0, .6, "L"),
         ((51,), (0, 0), (0, -1), .6, .5, "B")],
    12: [((48,), (0, 0), (-.6, -.8), 1.0, .7, "R"), ((54,), (0, 0), (.6, -.8), 1.0, .7, "L")],
    14: [((48,), (-.2, 0), (.85, -.3), 1.0, .5, "R"), ((54,), (.2, 0), (-.85, -.3), 1.0, .5, "L")],
    15: [((48,), (0, 0), (0, 1), 1.0, .6, "R"), ((54,), (0, 0), (0, 1), 1.0, .6, "L")],
    17: [((8,), (0, -.9), (0, -1), 1.0, .9, "B"), ((57,), (0, .2), (0, -1), .7, .5, "B")],
    20: [((48,), (0, 0), (-1, .2), 1.0, .6, "R"), ((54,), (0, 0), (1, .2), 1.0, .6, "L")],
    23: [((48,), (0, 0), (1, 0), .7, .45, "R"), ((54,), (0, 0), (-1, 0), .7, .45, "L"),
         ((51,), (0, 0), (0, 1), .5, .4, "B"), ((57,), (0, 0), (0, -1), .5, .4, "B")],
    24: [((51, 62), (0, 0), (0, 1), 1.0, .5, "B"), ((57, 66), (0, 0), (0, -1), 1.0, .5, "B")],
    25: [((57, 66), (0, 0), (0, 1), 1.0, .5, "B"), ((51, 62), (0, 0), (0, -1), .3, .5, "B")],
}

_DEFAULTS = dict(n_subjects=20, clips_per_emotion=1, emotions=DFME_EMOTIONS, size=176, face_width=112,
                 clip_frames=(40, 80), fps=200.0, amplitude=(0.8, 1.5), sharpen=0.6, noise=1.0, jitter=0.1)


# ----------------------------------------------------------------------------- public API
def demo_dir(seed=0, *, data_dir=None, size="full", **params):
    """Folder where the demo set with these parameters lives (created by :func:`make_demo`).

    ``data_dir`` (default: env ``MEFEAT_DATA_DIR``, else ``~/.cache/mefeat``) holds
    ``demo-v2-<seed>`` for the default parameters and ``demo-v2-<seed>-<hash>`` otherwise.
    ``size`` and ``params`` as in :func:`load_demo`.
    """
    base = data_dir or os.environ.get("MEFEAT_DATA_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "mefeat")
    params = _sized(size, params)
    p = _params(**params)
    name = f"demo-v{DEMO_VERSION}-{int(seed)}"
    if p != _params():
        name += "-" + hashlib.sha256(json.dumps(p, sort_keys=True).encode()).hexdigest()[:10]
    return os.path.join(os.fspath(base), name)


def load_demo(seed=0, *, data_dir=None, force=False, n_jobs=1, size="full", **params):
    """Load the demo data set, generating it on first use (deterministic per seed).

    Parameters
    ----------
    seed : int, default 0
    data_dir : str, optional
        Base cache folder (default: env ``MEFEAT_DATA_DIR``, else ``~/.cache/mefeat``).
    force : bool, default False
        Regenerate even when a complete copy exists.
    n_jobs : int, default 1
        Subjects rendered in parallel (joblib); the output does not depend on it.
    size : {"full", "small", "tiny"} or int, default "full"
        A preset of :data:`DEMO_SIZES`: ``"full"`` 20 subjects x 7 emotions = 140 clips;
        ``"small"`` 10 subjects x 7 emotions = 70 clips of 30-50 frames; ``"tiny"`` 3 subjects x
        2 emotions (happiness, surprise) = 6 clips of 12-14 frames at 160 px, for tests.
        ``params`` given explicitly override the preset's. An int is the frame side in pixels
        (the meaning ``size`` had before presets existed) with the ``"full"`` preset.
    **params
        Size of the set (defaults give 20 subjects x 7 emotions = 140 clips of 40-80 frames,
        176x176 px): ``n_subjects=20``, ``clips_per_emotion=1``, ``emotions`` (subset of the 7
        DFME classes), ``size=176`` (frame side, px), ``face_width=112`` (jaw width, px),
        ``clip_frames=(40, 80)`` (clip length range), ``fps=200.0``, ``amplitude=(0.8, 1.5)``
        (peak displacement per AU, px), ``sharpen=0.6`` (exponent on the AU frequencies),
        ``noise=1.0`` (sensor noise sigma, grey levels), ``jitter=0.1`` (head jitter std, px).

    Returns
    -------
    MEDataset
        Read by :func:`load_dfme` from ``<dir>/<Filename>/<frame:05d>.png`` and the three
        sheets ``<dir>/training_full_with_AU.xlsx``, ``testA_full_with_AU.xlsx``,
        ``testB_full_with_AU.xlsx``; ``dataset`` is ``"demo"``; ``split`` is ``"train"``,
        ``"testA"`` or ``"testB"``.

    Notes
    -----
    Rendering: the astronaut's face (dlib 68 landmarks) is cropped, then each subject gets a
    similarity pose change (scale 0.94-1.06, rotation +-4 deg, shift +-3 px), a smooth
    landmark-based shape morph (Gaussian RBF displacements of eyes, brows, nose, mouth and
    jaw, up to ~4 px) and an appearance change (gamma 0.8-1.25, contrast 0.8-1.2,
    brightness +-20, blur sigma 0-0.8). Each clip draws its AU set independently per AU with
    probability ``f ** sharpen`` from :data:`EMOTION_AU_FREQUENCIES`, keeping
    the most frequent AU when none is drawn; contempt's AU12 is unilateral (L or R at
    random). Every AU displaces its landmark region (:data:`AU_REGIONS`) by a Gaussian
    field with a peak of ``amplitude`` px, following a smooth onset -> apex -> offset
    profile (rise 30-50 % of the motion, 4-10 neutral frames before the onset, 2-6 after
    the offset: 0.15-0.35 s of motion at 200 fps); smoothed noise adds head jitter (std 0.1 px)
    and Gaussian noise is added before rounding to uint8. Frames are rendered by backward
    warping with bicubic interpolation.

    Splits: subjects are split in their order (``sub0001`` first), subject-disjoint, like
    DFME's official train/testA/testB: with 20 subjects 14/3/3, in general
    ``round(3 n / 20)`` (at least 1) subjects in each test split and the rest in train (10
    subjects: 6/2/2; 3 subjects: 1/1/1; 2 subjects: 1/1/0; 1 subject: train only; an empty
    split is written as a sheet with the header only). Every subject has clips of every
    emotion, so train holds every emotion. Generation is logged once at INFO on the
    ``"mefeat"`` logger (it takes a while for the full set).

    Deviations from real data (on purpose): one identity source (the morphs and appearance
    changes only imitate subjects); ``sharpen < 1`` makes the secondary AUs more frequent
    than in DFME so the overlapping negative classes stay (partly) learnable; no blinks,
    no illumination flicker, no compression.
    """
    from mefeat.datasets.dfme import load_dfme

    root = make_demo(seed, data_dir=data_dir, force=force, n_jobs=n_jobs, size=size, **params)
    return load_dfme(root, [os.path.join(root, f) for f in DEMO_SHEETS.values()], name="demo")


def make_demo(seed=0, *, data_dir=None, force=False, n_jobs=1, size="full", **params):
    """Generate the demo set on disk (if missing) and return its folder. See :func:`load_demo`."""
    params = _sized(size, params)
    p = _params(**params)
    root = demo_dir(seed, data_dir=data_dir, **params)
    marker = os.path.join(root, "demo.json")
    if not force and os.path.exists(marker):
        return root
    parent = os.path.dirname(root)
    os.makedirs(parent, exist_ok=True)
    n_clips = p["n_subjects"] * len(p["emotions"]) * p["clips_per_emotion"]
    logging.getLogger("mefeat").info("generating the demo data set (%d clips) in %s, once…", n_clips, root)
    from mefeat._io import mkdtemp_shared, replace_folder

    tmp = mkdtemp_shared(os.path.basename(root) + ".tmp-", parent)
    try:
        rows = _generate(tmp, int(seed), p, n_jobs)
        splits = _splits(p["n_subjects"])
        for split, sheet in DEMO_SHEETS.items():
            _write_sheet(os.path.join(tmp, sheet), [r for r in rows if splits[r["Subject"]] == split])
        with open(os.path.join(tmp, "demo.json"), "w") as f:
            json.dump({"version": DEMO_VERSION, "seed": int(seed), "params": p, "n_clips": len(rows),
                       "splits": {s: sorted(k for k, v in splits.items() if v == s) for s in DEMO_SHEETS}},
                      f, indent=1)
        try:
            replace_folder(tmp, root)
        except OSError:
            if not os.path.exists(marker):  # not a race lost to another process that generated it -> real error
                raise
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    return root


# ----------------------------------------------------------------------------- internals
def _sized(size, params):
    """``params`` on top of the ``size`` preset (an int ``size`` is the frame side, the old meaning)."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        return dict(params, size=int(size))
    if not isinstance(size, str) or size not in DEMO_SIZES:
        raise ValueError(f"load_demo: size must be one of {sorted(DEMO_SIZES)} (or an int frame side in px), "
                         f"got {size!r}")
    return dict(DEMO_SIZES[size], **params)


def _splits(n_subjects):
    """Subject name -> "train"/"testA"/"testB": subject-disjoint, in subject order (14/3/3 of 20)."""
    n_test = max(1, int(round(3 * n_subjects / 20))) if n_subjects >= 3 else 0
    n_a = n_test if n_subjects >= 3 else (1 if n_subjects == 2 else 0)
    n_b = n_test
    n_train = n_subjects - n_a - n_b
    names = [f"sub{i + 1:04d}" for i in range(n_subjects)]
    return {s: "train" if i < n_train else ("testA" if i < n_train + n_a else "testB") for i, s in enumerate(names)}

def _params(**params):
    unknown = set(params) - set(_DEFAULTS)
    if unknown:
        raise TypeError(f"load_demo: unknown parameter(s) {sorted(unknown)}; known: {sorted(_DEFAULTS)}")
    p = dict(_DEFAULTS, **params)
    p["emotions"] = [str(e) for e in p["emotions"]]
    bad = [e for e in p["emotions"] if e not in DFME_EMOTIONS]
    if bad:
        raise ValueError(f"load_demo: emotions {bad} are not DFME classes {list(DFME_EMOTIONS)}")
    p["clip_frames"] = [int(v) for v in p["clip_frames"]]
    if not 12 <= p["clip_frames"][0] <= p["clip_frames"][1]:
        raise ValueError(f"load_demo: clip_frames must satisfy 12 <= min <= max, got {p['clip_frames']}")
    p["amplitude"] = [float(v) for v in p["amplitude"]]
    for k in ("n_subjects", "clips_per_emotion", "size", "face_width"):
        p[k] = int(p[k])
        if p[k] < 1:
            raise ValueError(f"load_demo: {k} must be >= 1, got {p[k]}")
    if p["face_width"] > 0.85 * p["size"]:
        raise ValueError(f"load_demo: face_width={p['face_width']} too large for size={p['size']} (max 85 %)")
    for k in ("fps", "sharpen", "noise", "jitter"):
        p[k] = float(p[k])
    return p


_SOURCE = {}


def _source_face():
    """The astronaut in grayscale float32 (0..255) and its 68 dlib landmarks (x, y)."""
    if "face" not in _SOURCE:
        from skimage import data

        rgb = data.astronaut()
        gray = (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114).astype(np.float32)
        lm = _landmarks(np.clip(np.rint(gray), 0, 255).astype(np.uint8))
        _SOURCE["face"] = (gray, lm)
    return _SOURCE["face"]


def _landmarks(img):
    from mefeat.face import detect_landmarks

    return np.asarray(detect_landmarks(img, clip_name="skimage.data.astronaut()"), dtype=np.float64)


def _rbf_field(points, vectors, sigmas, size):
    """Sum of Gaussian bumps: (size, size, 2) float32 field."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    out = np.zeros((size, size, 2), np.float32)
    for (px, py), (vx, vy), s in zip(points, vectors, sigmas):
        r = int(np.ceil(3.5 * s))
        x0, x1 = max(int(px) - r, 0), min(int(px) + r + 1, size)
        y0, y1 = max(int(py) - r, 0), min(int(py) + r + 1, size)
        if x0 >= x1 or y0 >= y1:
            continue
        g = np.exp(-((xx[y0:y1, x0:x1] - px) ** 2 + (yy[y0:y1, x0:x1] - py) ** 2) / (2 * s * s))
        out[y0:y1, x0:x1, 0] += vx * g
        out[y0:y1, x0:x1, 1] += vy * g
    return out


def _subject(rng, p):
    """Neutral face of one subject (float32 size x size) and its landmarks."""
    import cv2

    gray, lm0 = _source_face()
    S, fw = p["size"], p["face_width"]
    width0 = lm0[16, 0] - lm0[0, 0]
    scale = fw / width0 * rng.uniform(0.94, 1.06)
    angle = np.deg2rad(rng.uniform(-4, 4))
    # the landmarks' bounding-box centre at the frame centre: the aligned template crop (about 1.25 jaw widths
    # square, centred there) then lies inside the frame, as in raw recordings (DFME), with room for the jitter
    center0 = 0.5 * (lm0.min(axis=0) + lm0.max(axis=0))
    shift = rng.uniform(-3, 3, size=2)
    c, s = np.cos(angle) * scale, np.sin(angle) * scale
    A = np.array([[c, -s], [s, c]])
    t = np.array([S / 2, S / 2]) + shift - A @ center0
    lm = lm0 @ A.T + t
    # shape morph: smooth RBF displacements around facial parts (output coordinates)
    u = fw / 10.0
    parts = [(36, 41), (42, 47), (17, 21), (22, 26), (31, 35), (48, 59), (5, 11)]
    pts, vecs, sig = [], [], []
    for a, b in parts:
        cxy = lm[a:b + 1].mean(axis=0)
        pts.append(cxy)
        vecs.append(rng.normal(0, 0.12, size=2) * u * 2.5)
        sig.append(u * rng.uniform(0.9, 1.5))
    morph = _rbf_field(pts, vecs, sig, S)  # forward displacement of content
    # backward map: output x samples source at A^-1 (x - morph(x) - t)
    yy, xx = np.mgrid[0:S, 0:S].astype(np.float32)
    qx, qy = xx - morph[..., 0], yy - morph[..., 1]
    Ainv = np.linalg.inv(A)
    sx = Ainv[0, 0] * (qx - t[0]) + Ainv[0, 1] * (qy - t[1])
    sy = Ainv[1, 0] * (qx - t[0]) + Ainv[1, 1] * (qy - t[1])
    src = gray
    if scale < 0.9:  # anti-alias before down-sampling
        src = cv2.GaussianBlur(gray, (0, 0), 0.45 / scale)
    face = cv2.remap(src, sx.astype(np.float32), sy.astype(np.float32), cv2.INTER_CUBIC,
                     borderMode=cv2.BORDER_REFLECT)
    # landmarks follow the morph: x = T(l) + morph(x), fixed point
    x = lm.copy()
    for _ in range(6):
        ix = np.clip(np.rint(x).astype(int), 0, S - 1)
        x = lm + morph[ix[:, 1], ix[:, 0]]
    # appearance
    gamma, contrast, bright = rng.uniform(0.8, 1.25), rng.uniform(0.8, 1.2), rng.uniform(-20, 20)
    blur = rng.uniform(0, 0.8)
    face = 255.0 * (np.clip(face, 0, 255) / 255.0) ** gamma
    face = (face - 128.0) * contrast + 128.0 + bright
    if blur > 0.15:
        face = cv2.GaussianBlur(face.astype(np.float32), (0, 0), blur)
    return np.clip(face, 0, 255).astype(np.float32), x


def _au_field(au, lm, p, side=None):
    u = p["face_width"] / 10.0
    pts, vecs, sig = [], [], []
    for idx, off, d, w, s, sd in AU_REGIONS[au]:
        if side is not None and sd not in (side, "B"):
            continue
        c = lm[list(idx)].mean(axis=0) + np.array(off) * u
        d = np.asarray(d, float)
        d = d / np.linalg.norm(d) * w
        pts.append(c)
        vecs.append(d)
        sig.append(s * u)
    return _rbf_field(pts, vecs, sig, p["size"])


def _draw_aus(rng, emotion, p):
    freq = EMOTION_AU_FREQUENCIES[emotion]
    aus = [a for a, f in freq.items() if rng.random() < f ** p["sharpen"]]
    if not aus:
        aus = [max(freq, key=freq.get)]
    return sorted(aus)


def _smooth_noise(rng, n, std):
    """(n, 2) slow head jitter: white noise smoothed over ~3 frames, rescaled to ``std`` px."""
    from scipy.ndimage import gaussian_filter1d

    z = gaussian_filter1d(rng.normal(0, 1, size=(n, 2)), 3.0, axis=0, mode="nearest")
    sd = z.std(axis=0, keepdims=True)
    return z / np.where(sd > 0, sd, 1) * std


def _profile(n, onset, apex, offset):
    t = np.arange(n, dtype=float)
    prof = np.zeros(n)
    rise = (t >= onset) & (t <= apex)
    x = (t[rise] - onset) / max(apex - onset, 1)
    prof[rise] = x * x * (3 - 2 * x)
    fall = (t > apex) & (t <= offset)
    x = (t[fall] - apex) / max(offset - apex, 1)
    prof[fall] = 1 - x * x * (3 - 2 * x)
    return prof


def _render_subject(root, subject_index, seed, p):
    import cv2

    ss = np.random.SeedSequence([seed, subject_index])
    rng = np.random.default_rng(ss)
    face, lm = _subject(rng, p)
    S = p["size"]
    yy, xx = np.mgrid[0:S, 0:S].astype(np.float32)
    fields = {}
    subject = f"sub{subject_index + 1:04d}"
    rows = []
    k = 0
    for emotion in p["emotions"]:
        for _ in range(p["clips_per_emotion"]):
            k += 1
            clip = f"{subject}_{k:02d}"
            aus = _draw_aus(rng, emotion, p)
            side = None
            if emotion == "contempt" and 12 in aus:
                side = "L" if rng.random() < 0.5 else "R"
            n = int(rng.integers(p["clip_frames"][0], p["clip_frames"][1] + 1))
            pre = int(rng.integers(max(2, n // 10), max(3, n // 6) + 1))
            post = int(rng.integers(2, max(3, n // 12) + 1))
            onset, offset = pre, n - 1 - post
            apex = onset + int(round((offset - onset) * rng.uniform(0.3, 0.5)))
            prof = _profile(n, onset, apex, offset)
            total = np.zeros((S, S, 2), np.float32)
            for au in aus:
                key = (au, side if au == 12 else None)
                if key not in fields:
                    fields[key] = _au_field(au, lm, p, key[1])
                total += fields[key] * np.float32(rng.uniform(*p["amplitude"]))
            jit = _smooth_noise(rng, n, p["jitter"])
            folder = os.path.join(root, clip)
            os.makedirs(folder)
            for f in range(n):
                dx = total[..., 0] * np.float32(prof[f]) + np.float32(jit[f, 0])
                dy = total[..., 1] * np.float32(prof[f]) + np.float32(jit[f, 1])
                img = cv2.remap(face, xx - dx, yy - dy, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
                img = img + rng.normal(0, p["noise"], size=img.shape).astype(np.float32)
                img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
                cv2.imwrite(os.path.join(folder, f"{f:05d}.png"), img)
            tokens = [("L" if side == "L" else "R") + "12" if (au == 12 and side) else str(au) for au in aus]
            au_cell = int(aus[0]) if len(aus) == 1 and not side else "+".join(tokens)
            rows.append({"Subject": subject, "Filename": clip, "OnsetFrame": onset, "ApexFrame": apex,
                         "OffsetFrame": offset, "Emotion": emotion, "EmotionId": DFME_EMOTIONS.index(emotion),
                         "Fps": int(p["fps"]) if float(p["fps"]).is_integer() else p["fps"], "AU": au_cell})
    return rows


def _generate(root, seed, p, n_jobs):
    from joblib import Parallel, delayed

    _source_face()  # detect the source landmarks once before forking workers
    results = Parallel(n_jobs=n_jobs)(
        delayed(_render_subject)(root, i, seed, p) for i in range(p["n_subjects"]))
    return [r for rows in results for r in rows]


def _write_sheet(path, rows):
    import pandas as pd

    df = pd.DataFrame(rows, columns=["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame",
                                     "Emotion", "EmotionId", "Fps", "AU"])
    df["AU"] = df["AU"].astype(object)
    df.to_excel(path, sheet_name="Sheet1", index=False)
