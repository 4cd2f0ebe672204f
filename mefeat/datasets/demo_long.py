"""The long-video demo: the demo face with micro- and macro-expressions, blinks and head motion at known
intervals among neutral stretches, written in CAS(ME)²'s or SAMM Long Videos' layout and read back with
the real loaders (:func:`mefeat.datasets.load_casme_sq`, :func:`mefeat.datasets.load_samm_lv`).
"""

import hashlib
import json
import logging
import os
import shutil

import numpy as np

from mefeat.datasets.demo import DEMO_VERSION, _au_field, _draw_aus, _profile, _rbf_field, _source_face, _subject

__all__ = ["load_long_demo", "make_long_demo", "LONG_DEMO_LAYOUTS", "LONG_DEMO_EMOTIONS"]

#: 1: first version.
LONG_DEMO_VERSION = 1
#: Layout -> frame rate of the database it imitates.
LONG_DEMO_LAYOUTS = {"casme_sq": 30.0, "samm_lv": 200.0}
#: Emotions of the planted expressions (one positive, one negative, surprise: MEGC's three classes).
LONG_DEMO_EMOTIONS = ("happiness", "disgust", "surprise")
_OBJECTIVE = {"happiness": "positive", "disgust": "negative", "surprise": "surprise"}
_CASME_VIDEOS = [(101, "disgust1"), (102, "disgust2"), (401, "anger1"), (502, "happy2")]

_DEFAULTS = dict(n_subjects=4, videos_per_subject=2, size=128, face_width=100, sharpen=0.6, noise=1.0,
                 events=("micro", "macro", "blink", "micro", "head", "micro"), lead_s=1.5, gap_s=(2.6, 3.4),
                 micro_s=(0.30, 0.45), macro_s=(1.2, 2.2), blink_s=(0.20, 0.30), head_s=(0.8, 1.2),
                 micro_amplitude=(1.2, 1.8), macro_amplitude=(3.0, 4.5), blink_amplitude=2.5, head_shift=3.0)


def _params(layout, **params):
    if layout not in LONG_DEMO_LAYOUTS:
        raise ValueError(f"layout must be one of {sorted(LONG_DEMO_LAYOUTS)}, got {layout!r}")
    unknown = set(params) - set(_DEFAULTS)
    if unknown:
        raise TypeError(f"load_long_demo: unknown parameter(s) {sorted(unknown)}; known: {sorted(_DEFAULTS)}")
    p = dict(_DEFAULTS, **params)
    p["events"] = [str(e) for e in p["events"]]
    bad = [e for e in p["events"] if e not in ("micro", "macro", "blink", "head")]
    if bad:
        raise ValueError(f"load_long_demo: unknown event kind(s) {bad}")
    if p["videos_per_subject"] > len(_CASME_VIDEOS):
        raise ValueError(f"load_long_demo: at most {len(_CASME_VIDEOS)} videos per subject")
    for k in ("gap_s", "micro_s", "macro_s", "blink_s", "head_s", "micro_amplitude", "macro_amplitude"):
        p[k] = [float(v) for v in p[k]]
    p["layout"], p["fps"] = layout, LONG_DEMO_LAYOUTS[layout]
    return p


def long_demo_dir(seed=0, *, layout="casme_sq", data_dir=None, **params):
    """Folder of the long-video demo with these parameters (see :func:`load_long_demo`)."""
    base = data_dir or os.environ.get("MEFEAT_DATA_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "mefeat")
    p = _params(layout, **params)
    # the faces and AU fields are the clip demo's: a new clip-demo version is a new long demo too
    name = f"longdemo-v{LONG_DEMO_VERSION}.{DEMO_VERSION}-{layout}-{int(seed)}"
    if p != _params(layout):
        name += "-" + hashlib.sha256(json.dumps(p, sort_keys=True).encode()).hexdigest()[:10]
    return os.path.join(os.fspath(base), name)


def load_long_demo(seed=0, *, layout="casme_sq", data_dir=None, force=False, n_jobs=1, **params):
    """Load the long-video demo, generating it on first use (deterministic per seed).

    Parameters
    ----------
    seed : int, default 0
    layout : {"casme_sq", "samm_lv"}, default "casme_sq"
        ``"casme_sq"``: 30 fps, ``rawpic/s01/01_0101disgust1/img1.jpg`` and
        ``CAS(ME)^2code_final.xlsx`` (sheets ``CASFEcode_final``, ``naming rule1``, ``naming rule2``);
        ``"samm_lv"``: 200 fps, ``001_1/001_1_0001.jpg`` and ``SAMM_LongVideos_V2_Release.xlsx`` with
        a preamble of notes (plus an ``Estimated Emotion`` column, which the real sheet lacks).
    data_dir : str, optional
        Base cache folder (default: env ``MEFEAT_DATA_DIR``, else ``~/.cache/mefeat``).
    force : bool, default False
    n_jobs : int, default 1
        Videos rendered in parallel (the output does not depend on it).
    **params
        ``n_subjects=4``, ``videos_per_subject=2``, ``size=128`` (frame side, px), ``face_width=100``,
        ``events`` (the sequence of events of each video, default ``("micro", "macro", "blink",
        "micro", "head", "micro")``, shuffled per video), ``lead_s=1.5`` (neutral start),
        ``gap_s=(2.6, 3.4)`` (neutral stretch after each event), durations ``micro_s=(0.30, 0.45)``,
        ``macro_s=(1.2, 2.2)``, ``blink_s=(0.20, 0.30)``, ``head_s=(0.8, 1.2)``, peak displacements
        ``micro_amplitude=(1.2, 1.8)`` and ``macro_amplitude=(3.0, 4.5)`` px per AU,
        ``blink_amplitude=2.5`` px, ``head_shift=3.0`` px, ``noise=1.0`` (grey levels), ``sharpen=0.6``.

    Returns
    -------
    LongVideoDataset
        As the layout's loader returns it, plus ``events``: a DataFrame of every planted event
        (``video, onset, apex, offset, kind``; blinks and head motions are not annotated in the sheet).

    Notes
    -----
    The faces, AU fields and onset-apex-offset profile are those of the clip demo
    (:func:`mefeat.datasets.load_demo`): each expression draws its AUs from the emotion's DFME
    frequencies. A blink moves the upper eyelids down by ``blink_amplitude`` px; a head motion shifts the
    whole face by up to ``head_shift`` px and back. Frames are already face crops (no alignment needed).
    Micro-expressions last 0.30-0.45 s (9-14 frames at 30 fps, 60-90 at 200 fps: inside the MEGC 2020
    limits of :func:`mefeat.spotting.spotters.type_lengths`), macro-expressions 1.2-2.2 s.
    """
    from mefeat.datasets.longvideo import load_casme_sq, load_samm_lv

    root = make_long_demo(seed, layout=layout, data_dir=data_dir, force=force, n_jobs=n_jobs, **params)
    if layout == "casme_sq":
        ds = load_casme_sq(root, os.path.join(root, "CAS(ME)^2code_final.xlsx"))
    else:
        ds = load_samm_lv(root, os.path.join(root, "SAMM_LongVideos_V2_Release.xlsx"))
    import pandas as pd

    with open(os.path.join(root, "demo.json")) as f:
        ds.events = pd.DataFrame(json.load(f)["events"], columns=["video", "onset", "apex", "offset", "kind"])
    ds.name = f"longdemo_{layout}"
    return ds


def make_long_demo(seed=0, *, layout="casme_sq", data_dir=None, force=False, n_jobs=1, **params):
    """Generate the long-video demo on disk (if missing) and return its folder. See :func:`load_long_demo`."""
    from joblib import Parallel, delayed

    p = _params(layout, **params)
    root = long_demo_dir(seed, layout=layout, data_dir=data_dir, **params)
    marker = os.path.join(root, "demo.json")
    if not force and os.path.exists(marker):
        return root
    parent = os.path.dirname(root)
    os.makedirs(parent, exist_ok=True)
    logging.getLogger("mefeat").info("generating the long-video demo in %s, once…", root)
    from mefeat._io import mkdtemp_shared, replace_folder

    tmp = mkdtemp_shared(os.path.basename(root) + ".tmp-", parent)
    try:
        _source_face()
        jobs = [(s, v) for s in range(p["n_subjects"]) for v in range(p["videos_per_subject"])]
        results = Parallel(n_jobs=n_jobs)(delayed(_render_video)(tmp, s, v, int(seed), p) for s, v in jobs)
        rows = [r for rs, _ in results for r in rs]
        events = [e for _, es in results for e in es]
        if layout == "casme_sq":
            _write_casme(tmp, rows, p)
        else:
            _write_samm(tmp, rows)
        with open(os.path.join(tmp, "demo.json"), "w") as f:
            json.dump({"version": LONG_DEMO_VERSION, "seed": int(seed), "params": p, "events": events}, f, indent=1)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_folder(tmp, root)
    return root


def _names(p, s, v):
    """(video id as the loader names it, frame folder relative to the root, file name of frame n)."""
    if p["layout"] == "casme_sq":
        code, name = _CASME_VIDEOS[v]
        video = f"{s + 1:02d}_{code:04d}"
        return video, os.path.join("rawpic", f"s{s + 1:02d}", f"{video}{name}"), (lambda n: f"img{n}.jpg")
    video = f"{s + 1:03d}_{v + 1}"
    return video, video, (lambda n, video=video: f"{video}_{n:04d}.jpg")


def _render_video(root, s, v, seed, p):
    import cv2

    fps, S = p["fps"], p["size"]
    face, lm = _subject(np.random.default_rng(np.random.SeedSequence([seed, s])), p)
    rng = np.random.default_rng(np.random.SeedSequence([seed, s, v, 1]))
    video, folder, fname = _names(p, s, v)
    kinds = list(p["events"])
    rng.shuffle(kinds)
    u = p["face_width"] / 10.0
    sec = (lambda lo_hi: rng.uniform(*lo_hi))  # noqa: E731
    t = int(round(p["lead_s"] * fps))
    planned = []
    for kind in kinds:
        n = max(3, int(round(sec(p[f"{kind}_s"]) * fps)))
        onset, offset = t, t + n - 1
        apex = onset + int(round((offset - onset) * rng.uniform(0.3, 0.5)))
        if kind in ("micro", "macro"):
            emotion = LONG_DEMO_EMOTIONS[int(rng.integers(len(LONG_DEMO_EMOTIONS)))]
            aus = _draw_aus(rng, emotion, p)
            amp = p[f"{kind}_amplitude"]
            field = sum(_au_field(a, lm, p) * np.float32(rng.uniform(*amp)) for a in aus)
        elif kind == "blink":
            emotion, aus = None, []
            pts = [lm[[37, 38]].mean(axis=0), lm[[43, 44]].mean(axis=0)]
            field = _rbf_field(pts, [(0, p["blink_amplitude"])] * 2, [0.45 * u] * 2, S)
        else:
            emotion, aus = None, []
            ang = rng.uniform(0, 2 * np.pi)
            field = np.empty((S, S, 2), np.float32)
            field[..., 0], field[..., 1] = p["head_shift"] * np.cos(ang), p["head_shift"] * np.sin(ang)
        planned.append((kind, onset, apex, offset, emotion, aus, field))
        t = offset + 1 + int(round(sec(p["gap_s"]) * fps))
    n_frames = t
    profiles = [(_profile(n_frames, on, ap, off), field) for _, on, ap, off, _, _, field in planned]
    yy, xx = np.mgrid[0:S, 0:S].astype(np.float32)
    out = os.path.join(root, folder)
    os.makedirs(out)
    for f in range(n_frames):
        dx = np.zeros((S, S), np.float32)
        dy = np.zeros((S, S), np.float32)
        for prof, field in profiles:
            if prof[f] > 0:
                dx += field[..., 0] * np.float32(prof[f])
                dy += field[..., 1] * np.float32(prof[f])
        img = cv2.remap(face, xx - dx, yy - dy, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        img = img + rng.normal(0, p["noise"], size=img.shape).astype(np.float32)
        cv2.imwrite(os.path.join(out, fname(f + 1)), np.clip(np.rint(img), 0, 255).astype(np.uint8),
                    [cv2.IMWRITE_JPEG_QUALITY, 95])
    rows, events = [], []
    j = 0
    for kind, on, ap, off, emotion, aus, _ in planned:
        events.append([video, on + 1, ap + 1, off + 1, kind])  # frame numbers are 1-based
        if kind in ("micro", "macro"):
            j += 1
            rows.append({"s": s, "v": v, "j": j, "video": video, "onset": on + 1, "apex": ap + 1, "offset": off + 1,
                         "kind": kind, "emotion": emotion, "aus": "+".join(str(a) for a in aus)})
    return rows, events


def _write_casme(root, rows, p):
    import pandas as pd

    body = [[r["s"] + 1, f"{_CASME_VIDEOS[r['v']][1]}_{r['j']}", r["onset"], r["apex"], r["offset"], r["aus"],
             _OBJECTIVE[r["emotion"]], f"{r['kind']}-expression", r["emotion"], r["offset"] - r["onset"] + 1]
            for r in rows]
    rule1 = [[f"s{s + 1:02d}", f"{s + 1:02d}", s + 1] for s in range(p["n_subjects"])]
    with pd.ExcelWriter(os.path.join(root, "CAS(ME)^2code_final.xlsx")) as xw:
        pd.DataFrame(body).to_excel(xw, sheet_name="CASFEcode_final", header=False, index=False)
        pd.DataFrame(rule1).to_excel(xw, sheet_name="naming rule1", header=False, index=False)
        pd.DataFrame([list(c) for c in _CASME_VIDEOS]).to_excel(xw, sheet_name="naming rule2", header=False,
                                                                 index=False)


def _write_samm(root, rows):
    import pandas as pd

    header = ["Subject", "Filename", "Inducement Code", "Onset", "Apex", "Offset", "Duration", "Type",
              "Action Units", "Estimated Emotion", "Notes"]
    pad = [""] * (len(header) - 1)
    preamble = [["SAMM Long Videos layout (mefeat long-video demo)"] + pad,
                ["Frames are numbered from 1 in every video; 200 fps."] + pad, [""] * len(header)]
    body = [[r["s"] + 1, f"{r['video']}_{r['j']}", r["v"] + 1, r["onset"], r["apex"], r["offset"],
             r["offset"] - r["onset"] + 1, "Micro - 1/2" if r["kind"] == "micro" else "Macro", r["aus"],
             r["emotion"], ""] for r in rows]
    pd.DataFrame(preamble + [header] + body).to_excel(os.path.join(root, "SAMM_LongVideos_V2_Release.xlsx"),
                                                      header=False, index=False)
