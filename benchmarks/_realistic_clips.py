"""Synthetic micro-expression clips degraded as real recordings are, with their exact optical flow.

Used by ``bench_flow_choice.py``. One clip is made in three steps, the way a database clip reaches the
default pipeline:

1. **Camera frames.** A subject's neutral face is ``skimage.data.astronaut()`` in grayscale (the demo
   set's source face) under a per-subject shape morph (smooth displacements of the eyes, brows, nose,
   mouth and chin), mirror flip, gamma, contrast and brightness, placed in a tight crop as the
   databases ship them (CASME II "Cropped": the frame is the aligned crop's footprint plus 5-11 px a
   side, so no pixel of the crop is invented by a replicated border; jaw width 150-230 px, so
   alignment shrinks it 1.5-2.3x, as it shrinks CASME II's 225-301 px wide crops). Each frame is
   resampled **once** from the source image through the composed inverse map (cubic), so the motion
   is analytic.
2. **Motion.** Non-rigid action-unit motion: Gaussian-windowed displacement bumps placed by the
   action-unit layout of the demo set (:data:`mefeat.datasets.demo.AU_REGIONS`) on the subject's own
   landmarks, each AU with its own apex amplitude (0.2-1 px *in the aligned 128 px crop*) and its
   own temporal profile (onset at frame 0, smooth rise to an apex at frames 2-6, partial return);
   several AUs per clip; in a quarter of the clips, whatever their class, a blink (both upper lids
   move down by 1.5-4 px, a narrow bump). **Motion boundaries** ("boundaries", :data:`AU_BOUNDARIES`):
   real facial motion is not smooth across the face's anatomical edges. The upper lid slides over the
   eye while the eye below its margin stays (blinks, AU5, AU7, and the brow raisers AU1/AU2, which lift
   the skin above the lid margin only); the cheek and lower lid (AU6, AU7) move below the lower lid
   margin; the upper and lower lips move on their own side of the mouth slit (AU10, AU17, AU23-25); the
   lip corners and nose wings move medially of the nasolabial fold, which deepens (AU9, AU12, AU14,
   AU15, AU20, AU23); the two brows of AU4 move towards each other into the glabellar furrow. So each
   control point's bump is multiplied by a logistic step across its boundary line (lid margins and
   mouth slit through their landmarks, so they lie on the face's intensity edges): the motion changes
   over about one aligned px there, and the true strain is concentrated on lines, as real strain is
   on margins and folds, instead of the rings of a smooth bump. The step's scale is ``max(0.5 camera
   px, amplitude / 2)`` so that the rendered map stays one-to-one (a true occlusion would need layered
   rendering; at sub-pixel amplitudes after the 1.5-2.3x downsampling the difference is below a
   pixel). The bumps are normalised after the cut, so each AU keeps its 0.2-1 px peak. Switched off,
   the motion is the smooth Gaussian bumps of mefeat 0.4's benchmark. On top, slight rigid head
   motion: a sub-pixel random-walk drift of translation (0.05-0.4 px by the last frame, crop px) and
   rotation (0.02-0.2 degrees) about the face centre.
3. **Recording degradations**, per frame at camera resolution: illumination changes (a global gain
   of 0-0.1 % RMS per frame plus a slowly drifting offset and horizontal/vertical gain ramp: CASME II
   and SAMM used LED lighting chosen to avoid flicker; ``flicker_scale`` makes it stronger),
   signal-dependent sensor noise (Poisson-Gaussian: variance ``k * I + s_read^2``, ``k`` 0.005-0.02,
   ``s_read`` 0.5-1 gray level, so 0.9-1.9 gray levels at mid-gray, the 1-2 gray levels of CASME II's
   640x480 frames; slightly correlated by a demosaicing-like 0.6 px blur), 8-bit
   rounding and JPEG compression (quality 75-95, as CASME II and SAMM frames are stored).

Then the pipeline's alignment: 68 dlib landmarks fitted on the degraded onset frame (inside the
known face box, so no clip is lost to a detector miss), :func:`mefeat.face.fit_similarity` and
:func:`mefeat.face.warp_face` (area averaging, bilinear) of every frame to 128 px with that one
transform. The true flows onset -> t in crop coordinates follow analytically from the motion and the
crop transform.

:func:`make_clip` draws everything from ``(seed, subject, label)``; ``degrade=()`` switches the
recording degradations, head motion and motion boundaries off (AUs and alignment unchanged); any
subset of them can be chosen ("boundaries", though a property of the motion rather than of the recording,
is switched the same way, so that the ablation of ``bench_flow_choice.py --ablation`` covers it).

Classes for the classification proxy (``label``, the three MEGC 2019 classes): 0 "negative"
(anger, disgust, fear or sadness), 1 "positive" (happiness), 2 "surprise"; a clip's AUs are drawn
with its emotion's AU frequencies in DFME (e.g. happiness: AU12 79 %, AU6 49 %, AU24 11 %), so the
classes overlap as real ones do (a negative clip may show AU4 alone, AU7 alone, AU4 + AU24 ...).
"""

import dataclasses

import numpy as np

from benchmarks._dfme_like import _source  # the astronaut face and its landmarks, as the DFME-like frames use

SIZE = 128
CLASSES = ("negative", "positive", "surprise")
#: Emotions of each class (MEGC 2019's grouping); a clip's AUs are drawn with the emotion's AU frequencies
#: in DFME (:data:`mefeat.datasets.demo.EMOTION_AU_FREQUENCIES`), so classes overlap as real ones do.
CLASS_EMOTIONS = {0: ("anger", "disgust", "fear", "sadness"), 1: ("happiness",), 2: ("surprise",)}
AMPLITUDE_PX = (0.2, 1.0)  # apex peak displacement of one AU, aligned-crop px
#: Ranges of the recording degradations (uniform draws per clip; camera px and gray levels).
DRIFT_PX = (0.05, 0.4)  # head translation by the last frame, aligned-crop px
ROTATION_DEG = (0.02, 0.2)  # head rotation by the last frame
# CASME II and SAMM were lit by LED lamps chosen to avoid flicker: per-frame gain changes of at most
# 0.1 % RMS (below one gray level) and a slow drift; ``flicker_scale`` of make_clip scales all three.
FLICKER_GAIN = (0.0, 0.001)  # RMS of the global gain change per frame
FLICKER_OFFSET = 0.05  # gray levels per frame, random-walk step of a global offset
FLICKER_RAMP = 0.0003  # per frame, random-walk step of a horizontal/vertical gain ramp
# Sensor noise of CASME II's 640x480 frames: about 1-2 gray levels (issue 18). mefeat 0.4's benchmark drew
# 1.8-4.4 gray levels at mid-gray (k 0.02-0.12, read 0.8-2), twice the real level.
NOISE_K = (0.005, 0.02)  # shot-noise variance per gray level
NOISE_READ = (0.5, 1.0)  # read-noise sigma, gray levels
JPEG_QUALITY = (75, 95)
#: Blinks (a nuisance of real clips, in any class): probability per clip and the upper lids' apex
#: displacement (aligned-crop px; a full blink moves the lid by the eye's opening, about 5 px at 128 px).
BLINK_PROB = 0.25
BLINK_PX = (1.5, 4.0)
_BLINK_REGIONS = [((37, 38), (0, 0), (0, 1), 1.0, .3, "R"), ((43, 44), (0, 0), (0, 1), 1.0, .3, "L")]
#: Spatial scale of the AU bumps: a factor drawn per AU on the demo set's sigmas (AU_REGIONS).
SIGMA_SCALE = (1.0, 1.0)
#: Anatomical boundaries of the "boundaries" property: a line through two points (landmarks averaged, plus
#: an offset in face units u = jaw width / 10) and a landmark on the side that moves. The lid margins and
#: the mouth slit follow the landmarks (intensity edges of the face); the nasolabial fold runs from beside
#: the nose wing to beside the mouth corner; the glabellar furrow is the vertical through the nose bridge.
BOUNDARY_LINES = {
    "lid_upper_R": ((37,), (0, 0), (38,), (0, 0), (19,)), "lid_upper_L": ((43,), (0, 0), (44,), (0, 0), (24,)),
    "lid_lower_R": ((41,), (0, 0), (40,), (0, 0), (30,)), "lid_lower_L": ((47,), (0, 0), (46,), (0, 0), (30,)),
    "slit_above": ((60,), (0, 0), (64,), (0, 0), (33,)), "slit_below": ((60,), (0, 0), (64,), (0, 0), (8,)),
    "fold_R": ((31,), (-.2, 0), (48,), (-.35, .1), (33,)), "fold_L": ((35,), (.2, 0), (54,), (.35, .1), (33,)),
    "glabella_R": ((27,), (0, 0), (27,), (0, -1), (21,)), "glabella_L": ((27,), (0, 0), (27,), (0, -1), (22,)),
}
#: Boundary of each control point of :data:`mefeat.datasets.demo.AU_REGIONS` (same order; None: no
#: boundary). Brow raisers (AU1, AU2) and the upper lid (AU5, AU7's upper part, blinks) move above the upper
#: lid margin, the eye below it does not; the cheek (AU6) and the lower lid (AU7) move below the lower lid
#: margin; the upper and lower lips (AU10, AU17, AU23-25) move on their own side of the mouth slit; the lip
#: corners (AU12, AU14, AU15, AU20, AU23) and the nose wings (AU9) move medially of the nasolabial fold;
#: the two brows of AU4 move towards each other and meet in the glabellar furrow.
AU_BOUNDARIES = {
    1: ["lid_upper_R", "lid_upper_L", "lid_upper_R", "lid_upper_L"], 2: ["lid_upper_R", "lid_upper_L"],
    4: ["glabella_R", "glabella_L", None], 5: ["lid_upper_R", "lid_upper_L"],
    6: ["lid_lower_R", "lid_lower_L", None, None],
    7: ["lid_lower_R", "lid_lower_L", "lid_upper_R", "lid_upper_L"], 9: ["fold_R", "fold_L", None],
    10: ["slit_above", "slit_above", "slit_above"], 12: ["fold_R", "fold_L"], 14: ["fold_R", "fold_L"],
    15: ["fold_R", "fold_L"], 17: ["slit_below", "slit_below"], 20: ["fold_R", "fold_L"],
    23: ["fold_R", "fold_L", "slit_above", "slit_below"], 24: ["slit_above", "slit_below"],
    25: ["slit_below", "slit_above"], 45: ["lid_upper_R", "lid_upper_L"],
}
#: Width of a boundary (camera px): the logistic scale ``w`` of the step is ``max(BOUNDARY_WIDTH_PX,
#: amplitude / 2)`` so the step's slope (amplitude / 4w) stays <= 0.5 and the rendered motion one-to-one.
BOUNDARY_WIDTH_PX = 0.5


@dataclasses.dataclass
class RealisticClip:
    """One rendered clip.

    Attributes
    ----------
    frames : (T, 128, 128) ndarray of uint8
        Aligned crops, as the pipeline's alignment gives them.
    flows : (T - 1, 128, 128, 2) ndarray of float32
        True flows onset -> t (t = 1..T-1), ``[..., 0] = u`` (right), ``[..., 1] = v`` (down).
    landmarks : (68, 2) ndarray of float64
        Landmarks fitted on the degraded onset frame, in crop coordinates.
    apex : int
        Frame of the largest total motion (the clip's annotated apex).
    label, subject : int
    info : dict
        What was drawn (AUs, amplitudes, degradations), for logs.
    """

    frames: np.ndarray
    flows: np.ndarray
    landmarks: np.ndarray
    apex: int
    label: int
    subject: int
    info: dict




def _bumps(x, y, pts, vecs, sig, cuts=None):
    """Sum of Gaussian displacement bumps at (x, y); ``cuts[i]`` (or None) confines bump ``i`` to one side
    of a line: ``(nx, ny, c, w)`` multiplies it by ``logistic((nx x + ny y - c) / w)``."""
    dx = np.zeros_like(x)
    dy = np.zeros_like(x)
    for i, ((px, py), (vx, vy), s) in enumerate(zip(pts, vecs, sig)):
        g = np.exp(-((x - px) ** 2 + (y - py) ** 2) / (2 * s * s))
        if cuts is not None and cuts[i] is not None:
            nx, ny, c, w = cuts[i]
            g = g / (1 + np.exp(-np.clip((nx * x + ny * y - c) / w, -50, 50)))
        dx += vx * g
        dy += vy * g
    return dx, dy


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


class _Subject:
    """Neutral face geometry of one subject: source -> camera similarity, shape morph, appearance."""

    def __init__(self, subject):
        gray, lm0 = _source()
        rng = np.random.default_rng([subject, 7101])
        self.flip = bool(rng.random() < 0.5)
        jaw0 = lm0[16, 0] - lm0[0, 0]
        self.jaw = rng.uniform(150, 230)  # camera px
        scale = self.jaw / jaw0
        ang = np.deg2rad(rng.uniform(-4, 4))
        c, s = np.cos(ang) * scale, np.sin(ang) * scale
        A = np.array([[c, -s], [s, c]])
        from mefeat.face import fit_similarity

        # tight crop as databases ship them: the frame is the aligned crop's footprint plus 2-8 px a side
        # (the footprint of the template crop, margin included; translation does not change its size)
        lm_a = lm0 @ A.T
        M = fit_similarity(lm_a, SIZE)
        Minv = np.linalg.inv(M[:, :2])
        corners = (np.array([[0, 0], [SIZE, 0], [0, SIZE], [SIZE, SIZE]], float) - M[:, 2]) @ Minv.T
        pad = rng.uniform(2, 8, 2) + 3  # + 3 px for the morph and the landmark fit on the degraded onset
        lo, hi = corners.min(axis=0) - pad, corners.max(axis=0) + pad
        self.shape = (int(np.ceil(hi[1] - lo[1])), int(np.ceil(hi[0] - lo[0])))
        t = -lo
        self.A, self.t = A, t  # source -> camera (before morph)
        lm = lm0 @ A.T + t
        if self.flip:
            lm = _flip_landmarks(lm, self.shape[1])
        u = self.jaw / 10
        parts = [(36, 41), (42, 47), (17, 21), (22, 26), (31, 35), (48, 59), (5, 11)]
        self.m_pts = np.array([lm[a:b + 1].mean(axis=0) for a, b in parts])
        self.m_vecs = rng.normal(0, 0.3, (len(parts), 2)) * u
        self.m_sig = u * rng.uniform(0.9, 1.5, len(parts))
        # landmarks follow the morph (forward displacement of content): x = l + m(x), fixed point
        x = lm.copy()
        for _ in range(8):
            dx, dy = _bumps(x[:, 0], x[:, 1], self.m_pts, self.m_vecs, self.m_sig)
            x = lm + np.stack([dx, dy], 1)
        self.landmarks = x
        self.gamma, self.contrast, self.bright = rng.uniform(0.8, 1.25), rng.uniform(0.85, 1.15), rng.uniform(-15, 15)
        self.gray = gray

    def to_source(self, cx, cy):
        """Source-image coordinates of the neutral face's content at camera points (cx, cy)."""
        dx, dy = _bumps(cx, cy, self.m_pts, self.m_vecs, self.m_sig)
        qx, qy = cx - dx, cy - dy  # approximate inverse of the morph (|grad m| << 1)
        if self.flip:
            qx = self.shape[1] - 1 - qx
        Ainv = np.linalg.inv(self.A)
        sx = Ainv[0, 0] * (qx - self.t[0]) + Ainv[0, 1] * (qy - self.t[1])
        sy = Ainv[1, 0] * (qx - self.t[0]) + Ainv[1, 1] * (qy - self.t[1])
        return sx, sy

    def appearance(self, img):
        img = 255.0 * (np.clip(img, 0, 255) / 255.0) ** self.gamma
        return (img - 128.0) * self.contrast + 128.0 + self.bright


_FLIP = np.r_[16:-1:-1, 26:16:-1, 27:31, 35:30:-1, [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40],
              54:47:-1, 59:54:-1, 64:59:-1, 67:64:-1]


def _flip_landmarks(lm, width):
    out = lm[_FLIP].copy()
    out[:, 0] = width - 1 - out[:, 0]
    return out


def _au_motion(rng, aus, lm, u, crop_scale, n_frames, boundaries=True):
    """Per AU: bumps (camera coords, scaled to the drawn crop-px peak), per-AU profile and, with
    ``boundaries``, each bump's cut ``(nx, ny, c, w)`` across its :data:`AU_BOUNDARIES` line (else None)."""
    from mefeat.datasets.demo import AU_REGIONS

    groups = []
    apex0 = int(rng.integers(3, 6)) if n_frames >= 8 else max(1, (n_frames - 1) // 2)
    for au in aus:
        pts, vecs, sig, lines = [], [], [], []
        for idx, off, d, w, s, _side in (_BLINK_REGIONS if au == 45 else AU_REGIONS[au]):
            pts.append(lm[list(idx)].mean(axis=0) + np.asarray(off) * u)
            d = np.asarray(d, float)
            vecs.append(d / np.linalg.norm(d) * w)
            sig.append(s * u)
        for name in AU_BOUNDARIES[au]:
            lines.append(None if name is None else _line(lm, u, BOUNDARY_LINES[name]))
        pts, vecs, sig = np.array(pts), np.array(vecs), np.array(sig) * rng.uniform(*SIGMA_SCALE)
        amp = rng.uniform(*(BLINK_PX if au == 45 else AMPLITUDE_PX)) / crop_scale  # camera px
        wb = max(BOUNDARY_WIDTH_PX, amp / 2)
        cuts = [None if ln is None else (*ln, wb) for ln in lines] if boundaries else None
        # peak of the unit field (boundaries included), on a grid around the bumps (camera px)
        gx, gy = np.meshgrid(np.linspace(pts[:, 0].min() - 2 * sig.max(), pts[:, 0].max() + 2 * sig.max(), 160),
                             np.linspace(pts[:, 1].min() - 2 * sig.max(), pts[:, 1].max() + 2 * sig.max(), 160))
        peak = np.hypot(*_bumps(gx, gy, pts, vecs, sig, cuts)).max()
        vecs = vecs * amp / peak
        t = np.arange(n_frames, dtype=float)
        a = min(max(apex0 + int(rng.integers(-1, 2)), 1), n_frames - 1)
        rise = _smoothstep(t / a)
        fall = 1 - rng.uniform(0.3, 0.8) * _smoothstep((t - a) / max(n_frames - 1 - a, 1))
        prof = np.where(t <= a, rise, fall)
        groups.append((pts, vecs, sig, prof, cuts))
    return groups


def _line(lm, u, spec):
    """(nx, ny, c) of a boundary: unit normal towards the moving side, ``n . x = c`` on the line."""
    a, oa, b, ob, side = spec
    pa = lm[list(a)].mean(axis=0) + np.asarray(oa) * u
    pb = lm[list(b)].mean(axis=0) + np.asarray(ob) * u
    n = np.array([pa[1] - pb[1], pb[0] - pa[0]])
    n /= np.linalg.norm(n)
    if n @ lm[list(side)].mean(axis=0) < n @ pa:
        n = -n
    return float(n[0]), float(n[1]), float(n @ pa)


DEGRADATIONS = ("boundaries", "head", "flicker", "noise", "jpeg")


def draw_aus(rng, label):
    """AUs of one clip of class ``label``: an emotion of the class, then each AU with its DFME frequency
    (at least the most frequent one)."""
    from mefeat.datasets.demo import EMOTION_AU_FREQUENCIES

    emotions = CLASS_EMOTIONS[label]
    freq = EMOTION_AU_FREQUENCIES[emotions[int(rng.integers(len(emotions)))]]
    aus = [int(a) for a, f in freq.items() if rng.random() < f]
    return aus or [max(freq, key=freq.get)]


def make_clip(seed, *, subject=0, label=None, n_frames=10, degrade=DEGRADATIONS, flicker_scale=1.0):
    """Render one clip (see the module docstring).

    Parameters
    ----------
    seed : int
        Draws the AUs, amplitudes, head motion and degradations.
    subject : int
        Draws the face (geometry, appearance, camera scale, crop).
    label : int or None
        Class 0, 1 or 2 (see ``CLASSES``); None draws one.
    n_frames : int
    degrade : collection of str
        Which of ``DEGRADATIONS`` (motion "boundaries", "head" motion, illumination "flicker",
        signal-dependent sensor "noise", "jpeg" compression) to apply; the others are off. Without
        "noise", Gaussian noise of sigma 1 is added before the 8-bit rounding. Every draw is made
        whatever is switched off, so the same seed gives the same clip up to the properties left out.
    flicker_scale : float
        Multiplies the flicker's gain, offset and ramp (``FLICKER_*``): 10 gives the 0.5-1 % per-frame
        gain changes of lighting that flickers.

    Returns
    -------
    RealisticClip
    """
    import cv2

    from mefeat.face import detect_landmarks, fit_similarity, warp_face

    sub = _Subject(subject)
    rng = np.random.default_rng([seed, subject, 7102])
    if label is None:
        label = int(rng.integers(len(CLASSES)))
    aus = draw_aus(rng, label)
    if rng.random() < BLINK_PROB:
        aus.append(45)
    # crop scale of the true landmarks (alignment's will differ slightly: it sees the degraded onset)
    crop_scale = np.sqrt(abs(np.linalg.det(fit_similarity(sub.landmarks, SIZE)[:, :2])))
    u = sub.jaw / 10
    groups = _au_motion(rng, aus, sub.landmarks, u, crop_scale, n_frames, "boundaries" in degrade)
    H, W = sub.shape
    centre = sub.landmarks.mean(axis=0)
    degrade = set(degrade)
    unknown = degrade - set(DEGRADATIONS)
    if unknown:
        raise ValueError(f"make_clip: unknown degradation(s) {sorted(unknown)}; choose from {DEGRADATIONS}")
    steps = rng.normal(0, 1, (n_frames - 1, 3))
    walk = np.vstack([np.zeros(3), np.cumsum(steps, axis=0)])
    walk /= max(np.abs(walk[-1]).max(), 1e-9)
    tr = walk[:, :2] * rng.uniform(*DRIFT_PX) / crop_scale  # camera px
    rot = np.deg2rad(walk[:, 2] * rng.uniform(*ROTATION_DEG))
    if "head" not in degrade:
        tr, rot = np.zeros_like(tr), np.zeros_like(rot)

    def forward(t, x, y):
        """Camera position at frame t of the content at (x, y) of frame 0."""
        dx, dy = np.zeros_like(x), np.zeros_like(x)
        for pts, vecs, sig, prof, cuts in groups:
            if prof[t] != 0:
                bx, by = _bumps(x, y, pts, vecs * prof[t], sig, cuts)
                dx += bx
                dy += by
        px, py = x + dx - centre[0], y + dy - centre[1]
        c, s = np.cos(rot[t]), np.sin(rot[t])
        return c * px - s * py + centre[0] + tr[t, 0], s * px + c * py + centre[1] + tr[t, 1]

    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    k, s_read = rng.uniform(*NOISE_K), rng.uniform(*NOISE_READ)
    quality = int(rng.integers(JPEG_QUALITY[0], JPEG_QUALITY[1] + 1))
    flick = rng.uniform(*FLICKER_GAIN) * flicker_scale
    gain = 1 + flick * rng.normal(0, 1, n_frames)
    offset = np.cumsum(rng.normal(0, FLICKER_OFFSET * flicker_scale, n_frames))
    ramp = np.cumsum(rng.normal(0, FLICKER_RAMP * flicker_scale, (n_frames, 2)), axis=0)
    frames_cam = []
    for t in range(n_frames):
        # inverse of forward(t): s with forward(t, s) = pixel, by fixed-point iteration (a contraction where
        # |grad D| < 1: a boundary adds at most 0.5), each pixel until it moves by < 1e-6 px; the test
        # checks that the true flow explains the rendered frames
        sx, sy = xx.ravel().copy(), yy.ravel().copy()
        idx = np.arange(sx.size) if t else np.arange(0)
        for _ in range(60):
            if not idx.size:
                break
            fx, fy = forward(t, sx[idx], sy[idx])
            rx, ry = xx.ravel()[idx] - fx, yy.ravel()[idx] - fy
            sx[idx] += rx
            sy[idx] += ry
            idx = idx[np.abs(rx) + np.abs(ry) > 1e-6]
        sx, sy = sx.reshape(H, W), sy.reshape(H, W)
        mx, my = sub.to_source(sx, sy)
        img = cv2.remap(sub.gray, mx.astype(np.float32), my.astype(np.float32), cv2.INTER_CUBIC,
                        borderMode=cv2.BORDER_REFLECT).astype(np.float64)
        img = sub.appearance(img)
        if "flicker" in degrade:
            g = gain[t] * (1 + ramp[t, 0] * (xx / W - 0.5) + ramp[t, 1] * (yy / H - 0.5))
            img = np.clip(img * g + offset[t], 0, 255)
        z = rng.normal(0, 1, img.shape)
        if "noise" in degrade:
            noise = z * np.sqrt(k * np.clip(img, 0, 255) + s_read ** 2)
            noise = cv2.GaussianBlur(noise, (0, 0), 0.6) * 1.6  # demosaicing correlation, variance kept ~
        else:
            noise = z
        img = np.clip(np.rint(img + noise), 0, 255).astype(np.uint8)
        if "jpeg" in degrade:
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
            img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
        frames_cam.append(img)
    # the pipeline's alignment: landmarks fitted on the degraded onset, one similarity for the clip
    x0, y0 = sub.landmarks.min(axis=0)
    x1, y1 = sub.landmarks.max(axis=0)
    rect = (int(max(x0 - 2, 0)), int(max(y0 - 0.1 * (y1 - y0), 0)), int(min(x1 + 2, W - 1)), int(min(y1 + 2, H - 1)))
    lm_cam = np.asarray(detect_landmarks(frames_cam[0], rect=rect), np.float64)
    M = fit_similarity(lm_cam, SIZE)
    frames = np.stack([warp_face(f, M, SIZE) for f in frames_cam])
    lm_crop = lm_cam @ M[:, :2].T + M[:, 2]
    # true flows onset -> t in crop coordinates: x -> M forward(t, M^-1 x) - x
    Ainv = np.linalg.inv(M[:, :2])
    gy, gx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    cx = Ainv[0, 0] * (gx - M[0, 2]) + Ainv[0, 1] * (gy - M[1, 2])
    cy = Ainv[1, 0] * (gx - M[0, 2]) + Ainv[1, 1] * (gy - M[1, 2])
    flows = np.empty((n_frames - 1, SIZE, SIZE, 2), np.float32)
    for t in range(1, n_frames):
        fx, fy = forward(t, cx, cy)
        flows[t - 1, ..., 0] = M[0, 0] * fx + M[0, 1] * fy + M[0, 2] - gx
        flows[t - 1, ..., 1] = M[1, 0] * fx + M[1, 1] * fy + M[1, 2] - gy
    # crop corners inside the camera frame? (a replicated border would be a different benchmark)
    corners = np.array([[0, 0], [SIZE, 0], [0, SIZE], [SIZE, SIZE]], float)
    cc = (corners - M[:, 2]) @ Ainv.T
    outside = float(max(0, -cc.min(), (cc[:, 0] - W).max(), (cc[:, 1] - H).max()))
    au_motion = np.hypot(flows[..., 0], flows[..., 1]).reshape(n_frames - 1, -1)
    apex = int(np.argmax(np.percentile(au_motion, 99, axis=1))) + 1
    info = {"aus": aus, "jaw_px": round(sub.jaw), "frame": (H, W), "crop_scale": round(float(crop_scale), 3),
            "peak_px": round(float(au_motion.max()), 2), "outside_px": round(outside, 1)}
    info.update(degrade="+".join(d for d in DEGRADATIONS if d in degrade))
    for name, keys in (("jpeg", {"jpeg": quality}), ("noise", {"noise_k": round(k, 3), "read": round(s_read, 2)}),
                       ("flicker", {"flicker": round(flick, 4)}),
                       ("head", {"drift_px": round(float(np.hypot(*tr[-1]) * crop_scale), 2),
                                 "rot_deg": round(float(np.rad2deg(rot[-1])), 3)})):
        if name in degrade:
            info.update(keys)
    return RealisticClip(frames, flows, lm_crop, apex, int(label), int(subject), info)
