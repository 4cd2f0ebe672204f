"""Which flow backend and parameters for the flow descriptors: accuracy against a known motion, then cost.

Input: aligned 128x128 crops of a real face (``skimage.data.astronaut()`` in grayscale, cropped by the
similarity fit of :func:`mefeat.face.fit_similarity` that :func:`mefeat.face.align_clip` uses, with a
small random re-framing per sample) carrying a rendered micro-expression whose flow is known exactly:
Gaussian-windowed displacements of 0.3-1.5 px at the apex placed by the action-unit layout of the demo
set (:data:`mefeat.datasets.demo.AU_REGIONS`; one brow AU, one mouth-corner AU, sometimes a third),
ramped over a 10-frame TIM-like clip (onset -> apex at frame 4 -> back to 20 %), plus Gaussian sensor
noise and 8-bit rounding. Every frame, the onset included, is resampled once from the source image with
``cv2.remap`` (bicubic) through the crop map and the exact inverse of the motion (fixed-point iteration),
so the ground-truth flows onset -> t are analytic.

Per backend and parameter set it measures, on the flows the default pipeline computes (onset -> each
TIM frame for MDMO and FDM, onset -> apex for Bi-WOOF and optical strain):

* ms per flow pair (median over every pair computed, ``cv2.setNumThreads(1)``), also as a ratio to
  TV-L1 epsilon 0.01 measured in the same run, interleaved with it;
* end-point error against the ground truth over the onset -> t flows: all pixels, and pixels that move
  by >= 0.1 px;
* per descriptor (MDMO, FDM, Bi-WOOF, optical strain = 5x5 block means as in ``mefeat.extract``):
  the relative L2 error ``|d - d_true| / |d_true|`` against the descriptor of the true flow;
  the change under solver tolerance (against the row's tighter twin); the change under 0.1 px jitter
  (the same clip re-rendered with the whole frame shifted by 0.1 px, same noise, same landmarks: those
  dlib found on the unshifted onset; the true descriptors' own jitter change is the ``ground truth`` row).

A flow of zeros scores 100 % error on every descriptor (its descriptors are zero vectors).

MDMO is compared in Cartesian form ``(rho cos theta, rho sin theta)``: its raw ``[rho, theta]`` vector
jumps by 2 pi when a near-static ROI's angle crosses +-pi and gives weight to the angle of ROIs that do
not move. The raw-vector tolerance change is printed below the table for comparison with issue 12.

Medians over the samples. Prints one Markdown table and two recommendations (lowest mean descriptor
error, ties within 10 % broken by cost): over every row, and over the rows whose cost per pair fits the
DFME pipeline's budget (``--budget-ms``, default 5 ms: the default pipeline computes 10 pairs per clip,
and the rest of it already takes 13-46 % of the decode time on this project's machine, ``bench_dfme.py``,
so staying within 1.5x the decode floor leaves a few ms for each pair). The second is mefeat's default
flow.

Usage: ``python benchmarks/bench_flow_choice.py [--quick] [--samples 6] [--noise 2.0] [--budget-ms 5] [--rows dis,tvl1]``
"""

import argparse
import os
import pathlib
import statistics
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SIZE = 128
JITTER_PX = 0.1
MOVING_PX = 0.1
DESCRIPTORS = ("mdmo", "fdm", "bi_woof", "strain")
#: Flow pairs per clip of the default pipeline (mefeat.extract): onset -> each of the other 9 TIM frames
#: (shared by MDMO and FDM) + onset -> apex of the aligned clip (shared by Bi-WOOF and optical strain).
PAIRS_PER_CLIP = 10
DFME_CLIPS = 7526

# (label, method, params, tighter twin label, quick). "dis" params with a leading capital are DIS setters
# (``setVariationalRefinementIterations`` ...), applied to a fresh preset object per pair, as compute_flow does.
VARIANTS = [
    ("tvl1 eps=0.005", "tvl1", {"epsilon": 0.005}, None, False),
    ("tvl1 eps=0.01 (Bi-WOOF authors)", "tvl1", {"epsilon": 0.01}, "tvl1 eps=0.005", True),
    ("tvl1 eps=0.02", "tvl1", {"epsilon": 0.02}, "tvl1 eps=0.01 (Bi-WOOF authors)", True),
    ("tvl1 eps=0.05", "tvl1", {"epsilon": 0.05}, "tvl1 eps=0.01 (Bi-WOOF authors)", True),
    ("tvl1 eps=0.01 nscales=3 warps=1", "tvl1", {"epsilon": 0.01, "nscales": 3, "warps": 1},
     "tvl1 eps=0.005 nscales=3 warps=1", True),
    ("tvl1 eps=0.005 nscales=3 warps=1", "tvl1", {"epsilon": 0.005, "nscales": 3, "warps": 1}, None, False),
    ("tvl1 eps=0.01 nscales=3 warps=2", "tvl1", {"epsilon": 0.01, "nscales": 3, "warps": 2},
     "tvl1 eps=0.01 (Bi-WOOF authors)", False),
    ("tvl1 eps=0.02 nscales=3 warps=3", "tvl1", {"epsilon": 0.02, "nscales": 3, "warps": 3},
     "tvl1 eps=0.01 (Bi-WOOF authors)", False),
    ("tvl1 eps=0.01 nscales=1 warps=1", "tvl1", {"epsilon": 0.01, "nscales": 1, "warps": 1},
     "tvl1 eps=0.01 nscales=3 warps=1", False),
    ("dis ultrafast", "dis", {"preset": "ultrafast"}, "dis fast", True),
    ("dis fast", "dis", {"preset": "fast"}, "dis medium (default)", True),
    ("dis medium (default)", "dis", {"preset": "medium"}, "dis medium vr=20", True),
    ("dis medium vr=20", "dis", {"preset": "medium", "VariationalRefinementIterations": 20}, None, True),
    ("dis medium finest=0", "dis", {"preset": "medium", "FinestScale": 0}, "dis medium finest=0 vr=20", True),
    ("dis medium finest=0 vr=20", "dis", {"preset": "medium", "FinestScale": 0,
                                          "VariationalRefinementIterations": 20}, None, True),
    ("dis medium finest=0 vr=50", "dis", {"preset": "medium", "FinestScale": 0,
                                          "VariationalRefinementIterations": 50}, "dis medium finest=0 vr=20", False),
    ("dis finest=0 stride=2 vr=50", "dis", {"preset": "medium", "FinestScale": 0, "PatchStride": 2,
                                            "VariationalRefinementIterations": 50}, "dis medium finest=0 vr=50",
     False),
    ("farneback (default)", "farneback", {}, "farneback iterations=10", True),
    ("farneback iterations=10", "farneback", {"iterations": 10}, None, False),
]
BASELINE = "tvl1 eps=0.01 (Bi-WOOF authors)"


# ----------------------------------------------------------------------------- scene
class Scene:
    """Source image, crop map and the apex displacement field of one sample (analytic Gaussian bumps)."""

    def __init__(self, seed, n_frames, noise):
        from mefeat.datasets.demo import AU_REGIONS
        from mefeat.face import detect_landmarks, fit_similarity

        src, lm_src = _source()
        rng = np.random.default_rng([seed, 12])
        M0 = fit_similarity(lm_src, SIZE)
        # re-framing of the aligned crop: rotation, scale, shift about the crop centre (content variety)
        ang, sc = np.deg2rad(rng.uniform(-3, 3)), rng.uniform(0.96, 1.04)
        c = SIZE / 2
        P = np.array([[sc * np.cos(ang), -sc * np.sin(ang), 0.0], [sc * np.sin(ang), sc * np.cos(ang), 0.0]])
        P[:, 2] = c - P[:, :2] @ [c, c] + rng.uniform(-2, 2, 2)
        M = np.hstack([P[:, :2] @ M0[:, :2], (P[:, :2] @ M0[:, 2] + P[:, 2])[:, None]])
        Ainv = np.linalg.inv(M[:, :2])
        self.crop_to_src = np.hstack([Ainv, (-Ainv @ M[:, 2])[:, None]])
        self.src = src
        self.n_frames = n_frames
        self.apex = (n_frames - 1) // 2 if n_frames >= 4 else n_frames - 1
        t = np.arange(n_frames, dtype=float)
        x = np.clip(t / self.apex, 0, 1)
        rise = x * x * (3 - 2 * x)
        y = np.clip((t - self.apex) / max(n_frames - 1 - self.apex, 1), 0, 1)
        self.profile = np.where(t <= self.apex, rise, 1 - 0.8 * y * y * (3 - 2 * y))
        self.noise = rng.normal(0, noise, (n_frames, SIZE, SIZE)) if noise > 0 else np.zeros((n_frames, SIZE, SIZE))
        # landmarks of the (noisy, 8-bit) onset crop, as the pipeline would detect them
        onset = self._render_frame(0.0, np.zeros(2))
        self.landmarks = np.asarray(detect_landmarks(_to_u8(onset + self.noise[0]), upsample=1), np.float64)
        lm = self.landmarks
        u = (lm[16, 0] - lm[0, 0]) / 10.0  # face unit, as in the demo set
        aus = [int(rng.choice([1, 2, 4])), int(rng.choice([12, 14, 15, 20]))]
        if rng.random() < 0.5:
            aus.append(int(rng.choice([6, 7, 10, 17])))
        self.aus = aus
        yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
        pts, vecs, sig = [], [], []
        for au in aus:
            k = len(pts)
            for idx, off, d, w, s, _side in AU_REGIONS[au]:
                pts.append(lm[list(idx)].mean(axis=0) + np.asarray(off) * u)
                d = np.asarray(d, float)
                vecs.append(d / np.linalg.norm(d) * w)
                sig.append(s * u)
            # scale the AU so that its peak displacement at the apex is 0.3-1.5 px
            self.pts, self.vecs, self.sig = np.array(pts[k:]), np.array(vecs[k:]), np.array(sig[k:])
            peak = np.hypot(*self.field(xx, yy)).max()
            amp = rng.uniform(0.3, 1.5)
            vecs[k:] = [v * amp / peak for v in vecs[k:]]
        self.pts, self.vecs, self.sig = np.array(pts), np.array(vecs), np.array(sig)
        a = rng.uniform(0, 2 * np.pi)
        self.delta = JITTER_PX * np.array([np.cos(a), np.sin(a)])

    def field(self, x, y):
        """Apex displacement (dx, dy) at points (x, y) (arrays of one shape)."""
        dx = np.zeros_like(x)
        dy = np.zeros_like(x)
        for (px, py), (vx, vy), s in zip(self.pts, self.vecs, self.sig):
            g = np.exp(-((x - px) ** 2 + (y - py) ** 2) / (2 * s * s))
            dx += vx * g
            dy += vy * g
        return dx, dy

    def _origin(self, p, shift, n_iter=30):
        """Frame-0 positions s of the content seen at each pixel of a frame with profile value p:
        ``s + p D(s) = pixel - shift`` (fixed point; |p grad D| < 0.3 here, so it contracts fast)."""
        yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
        qx, qy = xx - shift[0], yy - shift[1]
        sx, sy = qx.copy(), qy.copy()
        if p != 0:
            for _ in range(n_iter):
                dx, dy = self.field(sx, sy)
                sx, sy = qx - p * dx, qy - p * dy
        return sx, sy

    def _render_frame(self, p, shift):
        import cv2

        sx, sy = self._origin(p, shift)
        A = self.crop_to_src
        mx = A[0, 0] * sx + A[0, 1] * sy + A[0, 2]
        my = A[1, 0] * sx + A[1, 1] * sy + A[1, 2]
        return cv2.remap(self.src, mx.astype(np.float32), my.astype(np.float32), cv2.INTER_CUBIC,
                         borderMode=cv2.BORDER_REFLECT).astype(np.float64)

    def clip(self, jitter):
        """uint8 frames (T, 128, 128) and the true flows onset->t ((T-1, 128, 128, 2) float32)."""
        shift = self.delta if jitter else np.zeros(2)
        frames = np.stack([_to_u8(self._render_frame(p, shift) + n) for p, n in zip(self.profile, self.noise)])
        yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
        # onset -> t: the content at pixel x of frame 0 came from s0(x); it is at s0 + shift + p_t D(s0)
        s0x, s0y = xx - shift[0], yy - shift[1]
        dx0, dy0 = self.field(s0x, s0y)
        oe = np.stack([np.stack([p * dx0, p * dy0], -1) for p in self.profile[1:]]).astype(np.float32)
        return frames, oe


_SRC = {}


def _source():
    if "s" not in _SRC:
        from skimage import data

        from mefeat.face import detect_landmarks

        rgb = data.astronaut().astype(np.float32)
        gray = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
        _SRC["s"] = (gray, np.asarray(detect_landmarks(_to_u8(gray)), np.float64))
    return _SRC["s"]


def _to_u8(img):
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- flows and descriptors
def flow_fn(method, params):
    """A function (frame0, frame1) -> flow for one row of VARIANTS."""
    from mefeat.flow import compute_flow

    setters = {k: v for k, v in params.items() if k[0].isupper()}
    if not setters:
        return lambda a, b: compute_flow(a, b, method=method, **params)
    import cv2

    code = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
            "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}[params["preset"]]

    def dis(a, b):
        d = cv2.DISOpticalFlow_create(code)  # a fresh object per pair, as compute_flow does
        for k, v in setters.items():
            getattr(d, "set" + k)(v)
        return np.ascontiguousarray(d.calc(a, b, None), dtype=np.float32)

    return dis


def clip_flows_timed(fn, frames, times):
    """Onset->each flows of a clip, appending each pair's seconds to ``times``."""
    oe = []
    for t in range(1, len(frames)):
        t0 = time.perf_counter()
        oe.append(fn(frames[0], frames[t]))
        times.append(time.perf_counter() - t0)
    return np.stack(oe)


def descriptors(oe, apex, landmarks):
    """MDMO (Cartesian and raw), FDM, Bi-WOOF and the CLI's 5x5 strain block means, each with its
    default flows (FDM: onset -> each frame, shared with MDMO)."""
    from mefeat.descriptors import bi_woof, fdm, mdmo
    from mefeat.flow import optical_strain

    m = mdmo(oe, landmarks)
    rho, th = m[:36], m[36:]
    f_apex = oe[apex - 1]
    s = optical_strain(f_apex)
    H, W = s.shape
    strain = np.array([s[r * H // 5:(r + 1) * H // 5, c * W // 5:(c + 1) * W // 5].mean()
                       for r in range(5) for c in range(5)])
    return {"mdmo": np.concatenate([rho * np.cos(th), rho * np.sin(th)]), "mdmo_raw": m,
            "fdm": fdm(oe), "bi_woof": bi_woof(f_apex), "strain": strain}


def rel(a, b):
    n = np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / n) if n > 0 else float("nan")


def epe(flow, gt):
    e = np.hypot(*(flow - gt).transpose(3, 0, 1, 2))
    moving = np.hypot(gt[..., 0], gt[..., 1]) >= MOVING_PX
    return float(e.mean()), float(e[moving].mean()) if moving.any() else float("nan")


# ----------------------------------------------------------------------------- run
def run(n_samples, n_frames, noise, variants, log=print):
    import cv2

    rows = {lab: {"times": [], "epe": [], "epe_mov": [], "err": {k: [] for k in DESCRIPTORS},
                  "jit": {k: [] for k in DESCRIPTORS}, "desc": [], "raw_tol": [],
                  "tol": {k: [] for k in DESCRIPTORS}} for lab, *_ in variants}
    gt_row = {"jit": {k: [] for k in DESCRIPTORS}}
    fns = {lab: flow_fn(m, p) for lab, m, p, *_ in variants}
    old = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        for seed in range(n_samples):
            sc = Scene(seed, n_frames, noise)
            clips = {j: sc.clip(j) for j in (False, True)}
            if seed == 0:  # warm-up: OpenCV objects, numba kernels (cache load or compile)
                f = clips[False][0]
                for fn in fns.values():
                    fn(f[0], f[1])
                descriptors(clips[False][1], sc.apex, sc.landmarks)
            d_gt = {j: descriptors(clips[j][1], sc.apex, sc.landmarks) for j in (False, True)}
            for k in DESCRIPTORS:
                gt_row["jit"][k].append(rel(d_gt[True][k], d_gt[False][k]))
            order = list(variants)
            order = order[seed % len(order):] + order[:seed % len(order)]  # rotate: no row always first
            t_sample = time.perf_counter()
            for lab, *_ in order:
                r = rows[lab]
                d = {}
                for j in (False, True):
                    frames, gt_oe = clips[j]
                    oe = clip_flows_timed(fns[lab], frames, r["times"])
                    d[j] = descriptors(oe, sc.apex, sc.landmarks)
                    if not j:
                        e_all, e_mov = epe(oe, gt_oe)
                        r["epe"].append(e_all)
                        r["epe_mov"].append(e_mov)
                for k in DESCRIPTORS:
                    r["err"][k].append(rel(d[False][k], d_gt[False][k]))
                    r["jit"][k].append(rel(d[True][k], d[False][k]))
                r["desc"].append(d[False])
            log(f"  sample {seed}: AUs {sc.aus}, apex displacement max "
                f"{np.hypot(*sc.field(*np.mgrid[0:SIZE, 0:SIZE][::-1].astype(float))).max():.2f} px, "
                f"{time.perf_counter() - t_sample:.1f} s, load {os.getloadavg()[0]:.2f}")
    finally:
        cv2.setNumThreads(old)
    for lab, _m, _p, twin, *_ in variants:
        if twin in rows:
            for a, b in zip(rows[lab]["desc"], rows[twin]["desc"]):
                for k in DESCRIPTORS:
                    rows[lab]["tol"][k].append(rel(a[k], b[k]))
                rows[lab]["raw_tol"].append(rel(a["mdmo_raw"], b["mdmo_raw"]))
    return rows, gt_row


def _med(v):
    return statistics.median(v) if v else float("nan")


def _fmt4(d):
    vals = [_med(d[k]) for k in DESCRIPTORS]
    return "n/a" if all(np.isnan(vals)) else " / ".join(f"{100 * v:.0f}" for v in vals)


def report(rows, gt_row, variants, budget_ms=5.0):
    base_ms = 1e3 * _med(rows[BASELINE]["times"]) if BASELINE in rows else float("nan")
    print("\n| backend + params | ms/pair | cost vs tvl1 eps=0.01 | DFME h (10 pairs/clip, 2 cores) | EPE all (px) "
          "| EPE moving (px) | MDMO err % | FDM err % | Bi-WOOF err % | strain err % | mean err % "
          "| tolerance change % (MDMO/FDM/BW/strain) | jitter change % (MDMO/FDM/BW/strain) |")
    print("|" + "---|" * 13)
    print(f"| ground truth | – | – | – | 0 | 0 | 0 | 0 | 0 | 0 | 0 | – | {_fmt4(gt_row['jit'])} |")
    scores = {}
    for lab, _m, _p, twin, *_ in variants:
        r = rows[lab]
        ms = 1e3 * _med(r["times"])
        errs = [_med(r["err"][k]) for k in DESCRIPTORS]
        scores[lab] = (float(np.mean(errs)), ms)
        hours = DFME_CLIPS * PAIRS_PER_CLIP * ms / 1e3 / 3600 / 2
        tol = _fmt4(r["tol"]) + (f" (vs {twin})" if twin in rows else "")
        print(f"| {lab} | {ms:.3g} | {ms / base_ms:.2g}x | {hours:.2g} | {_med(r['epe']):.3f} | "
              f"{_med(r['epe_mov']):.3f} | " + " | ".join(f"{100 * e:.0f}" for e in errs)
              + f" | {100 * scores[lab][0]:.0f} | {tol} | {_fmt4(r['jit'])} |")
    raw = [(lab, _med(rows[lab]["raw_tol"])) for lab, *_ in variants if rows[lab]["raw_tol"]]
    print("\nMDMO tolerance change on the raw [rho, theta] vector (issue 12's measure): "
          + ", ".join(f"{lab}: {100 * v:.0f} %" for lab, v in raw))
    best = min(s for s, _ in scores.values())
    ok = [lab for lab, (s, _) in scores.items() if s <= 1.1 * best]
    pick = min(ok, key=lambda lab: scores[lab][1])
    fit = {lab: v for lab, v in scores.items() if v[1] <= budget_ms}
    print(f"\nper descriptor, lowest error vs ground truth: "
          + ", ".join(f"{k}: {min(rows, key=lambda lab: _med(rows[lab]['err'][k]))}" for k in DESCRIPTORS))
    print(f"recommendation (lowest mean descriptor error, ties within 10 % of the best ({100 * best:.0f} %) "
          f"go to the cheapest): {pick}: mean error {100 * scores[pick][0]:.0f} %, "
          f"{scores[pick][1]:.1f} ms/pair = {scores[pick][1] / base_ms:.2f}x tvl1 eps=0.01")
    if fit:
        best_fit = min(s for s, _ in fit.values())
        pick_fit = min((lab for lab, (s, _) in fit.items() if s <= 1.1 * best_fit), key=lambda lab: fit[lab][1])
        print(f"within the pipeline's flow budget ({budget_ms:g} ms/pair, see --budget-ms), same rule: {pick_fit}: "
              f"mean error {100 * fit[pick_fit][0]:.0f} %, {fit[pick_fit][1]:.1f} ms/pair")
        return pick_fit
    return pick


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 2 samples of 6 frames, only the rows marked quick in VARIANTS")
    parser.add_argument("--samples", type=int, default=6)
    parser.add_argument("--budget-ms", type=float, default=5.0,
                        help="cost per pair that keeps the DFME pipeline within 1.5x its decode floor "
                        "(default 5; why: see the module docstring)")
    parser.add_argument("--rows", default="", help="comma-separated substrings: only the rows whose label "
                        "contains one of them (the baseline row is always kept)")
    parser.add_argument("--frames", type=int, default=10, help="TIM clip length (default 10, as mefeat.extract)")
    parser.add_argument("--noise", type=float, default=2.0, help="sensor noise sigma, gray levels")
    args = parser.parse_args(argv)
    n_samples, n_frames = (2, 6) if args.quick else (args.samples, args.frames)
    variants = [v for v in VARIANTS if v[4] or not args.quick]
    if args.rows:
        keys = [k.strip() for k in args.rows.split(",") if k.strip()]
        variants = [v for v in variants if v[0] == BASELINE or any(k in v[0] for k in keys)]
    import cv2

    print(f"flow choice: {n_samples} samples x {n_frames}-frame 128 px clips, noise sigma {args.noise}, "
          f"jitter {JITTER_PX} px; OpenCV {cv2.__version__}, 1 thread; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()}")
    t0 = time.perf_counter()
    rows, gt_row = run(n_samples, n_frames, args.noise, variants)
    report(rows, gt_row, variants, args.budget_ms)
    if args.quick:
        print("(--quick is a smoke test: 2 samples, fewer rows; base a choice on the full run)")
    print(f"\n{time.perf_counter() - t0:.0f} s; load at the end {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
