"""Face alignment and cropping: one similarity transform per clip, streamed frame by frame.

cv2 is imported inside the functions. The transform maps the reference frame's 68 dlib landmarks
onto the canonical template (:mod:`mefeat.face._template`) placed in a ``size`` x ``size`` crop.
When that crop reaches past the frame (a database's tight face crop), it is moved and zoomed
until it lies inside (``border="fit"``, :func:`fit_inside`), so no pixel is invented.
"""

import dataclasses
import logging
import math
import os
import warnings

import numpy as np

from mefeat._config import DEFAULT_FACE_BORDER, DEFAULT_FACE_MARGIN, DEFAULT_FACE_SIZE, DEFAULT_FACE_UPSAMPLE
from mefeat._validation import check_landmarks
from mefeat.face._template import TEMPLATE, umeyama
from mefeat.face.landmarks import MultipleFacesWarning, as_uint8_gray, detection_factor, find_face

__all__ = [
    "AlignedFrames",
    "CropFittedWarning",
    "template_landmarks",
    "fit_similarity",
    "fit_inside",
    "warp_face",
    "align_frames",
    "align_clip",
]

log = logging.getLogger("mefeat")

#: Values of ``border`` (see :func:`align_frames`).
BORDERS = ("fit", "replicate")


def check_size_margin(size, margin):
    """Validate the crop ``size`` (int >= 16) and ``margin`` (float in [0, 0.5)); returns them as (int, float)."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 16:
        raise ValueError(f"size must be an int >= 16 (pixels of the square crop), got {size!r}")
    if isinstance(margin, bool) or not isinstance(margin, (int, float, np.floating)) or not 0 <= margin < 0.5:
        raise ValueError(f"margin must be a float in [0, 0.5) (fraction of the crop on each side), got {margin!r}")
    return int(size), float(margin)


def check_border(border):
    """Validate ``border`` (one of :data:`BORDERS`) and return it."""
    if not isinstance(border, str) or border not in BORDERS:
        raise ValueError(f"border must be one of {BORDERS}, got {border!r}")
    return border


def template_landmarks(size=DEFAULT_FACE_SIZE, margin=DEFAULT_FACE_MARGIN):
    """The canonical 68 landmarks in the coordinates of a ``size`` x ``size`` aligned crop.

    Parameters
    ----------
    size : int, default 128
        Output side in pixels.
    margin : float, default 0.1
        Fraction of ``size`` left on each side of the template's landmark bounding box (whose
        larger side, the jaw width, then spans ``(1 - 2 * margin) * size`` pixels).

    Returns
    -------
    points : (68, 2) ndarray of float64
        (x, y), pixel centres at integers (the crop spans -0.5 .. size - 0.5).
    """
    size, margin = check_size_margin(size, margin)
    return margin * size - 0.5 + TEMPLATE * (1.0 - 2.0 * margin) * size


def fit_similarity(landmarks, size=DEFAULT_FACE_SIZE, margin=DEFAULT_FACE_MARGIN):
    """Least-squares similarity transform from a face's landmarks to the template in the crop.

    Parameters
    ----------
    landmarks : (68, 2) array_like
        (x, y) landmarks in source pixel coordinates.
    size, margin
        See :func:`template_landmarks`.

    Returns
    -------
    M : (2, 3) ndarray of float64
        ``crop_xy = M[:, :2] @ source_xy + M[:, 2]`` (rotation, isotropic scale, translation;
        Umeyama's closed form, all 68 points weighted equally).
    """
    lm = check_landmarks(landmarks)
    return umeyama(lm, template_landmarks(size, margin))


def _apply(M, pts):
    return pts @ M[:, :2].T + M[:, 2]


def _invert(M):
    A = np.linalg.inv(M[:, :2])
    return np.hstack([A, (-A @ M[:, 2])[:, None]])


def _compose(M1, M2):
    """M1 after M2."""
    return np.hstack([M1[:, :2] @ M2[:, :2], (M1[:, :2] @ M2[:, 2] + M1[:, 2])[:, None]])


def _warp_plan(M, size, shape, antialias):
    """How :func:`warp_face` samples: the frame region it reads, the area resize, the final warp.

    Returns ``(x0, y0, x1, y1, resized, A)``: the region ``frame[y0:y1, x0:x1]``, the (w, h) it is
    area-resized to (None without resize) and the (2, 3) transform from that (resized) image to
    the crop.
    """
    M = np.asarray(M, np.float64)
    H, W = shape
    s = math.sqrt(abs(np.linalg.det(M[:, :2])))
    Minv = _invert(M)
    corners = np.array([[-0.5, -0.5], [size - 0.5, -0.5], [-0.5, size - 0.5], [size - 0.5, size - 0.5]])
    src = _apply(Minv, corners)
    pad = 3 + (int(math.ceil(2.0 / s)) if s < 1 else 0)
    x0 = max(0, int(math.floor(src[:, 0].min())) - pad)
    x1 = min(W, int(math.ceil(src[:, 0].max())) + pad + 1)
    y0 = max(0, int(math.floor(src[:, 1].min())) - pad)
    y1 = min(H, int(math.ceil(src[:, 1].max())) + pad + 1)
    if x1 - x0 < 2 or y1 - y0 < 2:  # the crop lies outside the frame: use the whole frame
        x0, y0, x1, y1 = 0, 0, W, H
    A = M.copy()
    A[:, 2] += M[:, :2] @ np.array([x0, y0], np.float64)  # ROI coords -> crop
    resized = None
    if antialias and s < 1.0:
        h, w = y1 - y0, x1 - x0
        nw, nh = max(2, int(round(w * s))), max(2, int(round(h * s)))
        rx, ry = nw / w, nh / h
        resized = (nw, nh)
        # small-image coords -> ROI coords: x = (x' + 0.5) / rx - 0.5
        S = np.array([[1.0 / rx, 0.0, 0.5 / rx - 0.5], [0.0, 1.0 / ry, 0.5 / ry - 0.5]])
        A = _compose(A, S)
    return x0, y0, x1, y1, resized, A


def _sampled_positions(M, size, shape, antialias, points=None):
    """Positions, in the image :func:`warp_face` warps, of the crop's pixel centres (or ``points``).

    Returns ``(positions (N, 2), (w, h))``: bilinear sampling reads no border pixel with a non-zero
    weight exactly when every position lies in ``[0, w - 1] x [0, h - 1]``.
    """
    x0, y0, x1, y1, resized, A = _warp_plan(M, size, shape, antialias)
    w, h = resized if resized is not None else (x1 - x0, y1 - y0)
    if points is None:
        c = np.arange(size, dtype=np.float64)
        points = np.stack(np.meshgrid(c, c), axis=-1).reshape(-1, 2)
    return _apply(_invert(A), points), (w, h)


def _outside(M, size, shape, antialias, points=None):
    """Boolean mask: which crop pixel centres (or ``points``) are sampled outside the frame."""
    pos, (w, h) = _sampled_positions(M, size, shape, antialias, points)
    return (pos[:, 0] < 0) | (pos[:, 0] > w - 1) | (pos[:, 1] < 0) | (pos[:, 1] > h - 1)


#: Fitting the crop inside the frame (``border="fit"``): zooms tried between the smallest zoom that fits and
#: FIT_ZOOM_SPAN times it (on a grid of FIT_ZOOM_STEPS values), and the extra safety distance (source px) from
#: the frame's border retried when rounding in the antialias resize still puts a sample outside.
FIT_ZOOM_SPAN = 2.0
FIT_ZOOM_STEPS = 401
FIT_SLACKS = (0.01, 0.05, 0.25, 1.0, 4.0)



class CropFittedWarning(UserWarning):
    """The aligned crop had to change a lot to stay inside the frame: it cuts the template's face box.

    Issued by :func:`align_frames` with ``border="fit"`` when the frame is so tight (e.g. a
    database's face crop narrower than the jaw plus the margin) that the fitted crop no longer
    holds the template's 68 landmarks (:func:`template_landmarks`) moved by the fitting: the zoom
    ate the whole margin or the shift exceeded it. Smaller fittings are logged at INFO level on the
    ``"mefeat"`` logger.
    """


def fit_inside(M, shape, size=DEFAULT_FACE_SIZE, *, antialias=True, points=None):
    """Move and zoom a crop transform so that the crop samples no pixel outside the frame.

    Parameters
    ----------
    M : (2, 3) array_like
        Source -> crop transform (from :func:`fit_similarity`).
    shape : (int, int)
        (H, W) of the frame.
    size : int, default 128
        Side of the crop.
    antialias : bool, default True
        As in :func:`warp_face` (the area-averaged copy has fewer pixel centres near the border).
    points : (N, 2) array_like, optional
        Source points (the face's landmarks) kept inside the crop and whose displacement in the
        crop is minimised; default a 17 x 17 grid over ``M``'s crop.

    Returns
    -------
    M_fit : (2, 3) ndarray of float64
        ``M`` itself (the same values, bit for bit) when the crop already lies inside the frame; else
        the same rotation, the scale multiplied by ``zoom`` >= 1 and a new translation.
    info : dict
        ``outside_fraction`` (share of ``M``'s crop pixels sampled outside the frame), ``zoom``,
        ``shift_px`` ((dx, dy): where the crop centre of ``M`` lands in the fitted crop, minus the
        centre; crop px), ``moved_px`` (mean distance the ``points`` move in the crop).

    Notes
    -----
    A crop lies inside the frame when :func:`warp_face` reads no pixel outside it with a non-zero
    weight: every crop pixel centre maps to within the frame's outer pixel centres (within the
    area-averaged copy's outer pixel centres when ``antialias`` shrinks). The fitted crop is, of all
    crops with the same rotation, a zoom >= 1 about the crop centre and any shift that lie inside
    the frame, the one that keeps the most ``points`` inside the crop and, among those, moves them
    least on average (searched over zooms; for each zoom the smallest shift that fits). Zoom and
    shift both cost registration: a shift moves every point by the same amount, a zoom moves points
    in proportion to their distance from the centre, so a zoom of a few percent often moves the
    face's landmarks less than the shift it replaces (on the demo's 140 clips: 6.8 px on average in
    the 128 px crop, against 13.3 px when shifting first and zooming only as much as needed).
    """
    M = np.asarray(M, np.float64)
    H, W = (int(v) for v in shape)
    size = int(size)
    outside = _outside(M, size, (H, W), antialias)
    info = {"outside_fraction": float(outside.mean()), "zoom": 1.0, "shift_px": (0.0, 0.0), "moved_px": 0.0}
    if not outside.any():
        return M, info
    A = M[:, :2]
    s = math.sqrt(abs(np.linalg.det(A)))
    cc = 0.5 * (size - 1)
    c0 = _apply(_invert(M), np.array([[cc, cc]]))[0]  # source point at the crop centre (zoom about it)
    k = (abs(A[0, 0]) + abs(A[0, 1])) / s  # |cos| + |sin|: half-extent of the rotated square per half side
    if points is None:  # a 17 x 17 grid over the crop
        g = np.linspace(0.0, size - 1.0, 17)
        pts = _apply(_invert(M), np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2))
    else:
        pts = np.asarray(points, np.float64)
    ref = _apply(M, pts)
    short = min(H, W) - 1.0

    def reach(z, slack):  # footprint half-extent + distance kept from the border, source px (z: float or array)
        e = np.maximum(0.0, 0.5 / (s * z) - 0.5) if antialias else 0.0
        return cc * k / (s * z) + e + slack

    for slack in FIT_SLACKS:
        lo, hi = 1.0, 2.0
        while reach(hi, slack) > 0.5 * short:
            lo, hi = hi, 2.0 * hi
            if hi > 1e6:
                raise ValueError(f"a {H}x{W} frame is too small to hold a {size} px crop")
        if reach(1.0, slack) <= 0.5 * short:
            hi = 1.0
        for _ in range(60):  # bisection: the smallest zoom whose footprint fits the frame's short side
            if hi - lo < 1e-12:
                break
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if reach(mid, slack) <= 0.5 * short else (mid, hi)
        z = np.linspace(hi, hi * FIT_ZOOM_SPAN, FIT_ZOOM_STEPS)
        r = reach(z, slack)
        # for each zoom, the crop centre (source px) nearest to c0 that keeps the footprint inside
        c = np.stack([np.minimum(np.maximum(c0[0], r), W - 1.0 - r), np.minimum(np.maximum(c0[1], r), H - 1.0 - r)], 1)
        lin = z[:, None, None] * A  # (n, 2, 2)
        moved_pts = np.einsum("nij,pj->npi", lin, pts) + (cc - np.einsum("nij,nj->ni", lin, c))[:, None, :]
        lost = np.sum(np.any((moved_pts < -0.5) | (moved_pts > size - 0.5), axis=2), axis=1)
        moved = np.mean(np.linalg.norm(moved_pts - ref, axis=2), axis=1)
        best = np.lexsort((z, moved, lost))[0]  # fewest points lost, then least moved, then smallest zoom
        Mz = np.empty((2, 3))
        Mz[:, :2] = lin[best]
        Mz[:, 2] = cc - lin[best] @ c[best]
        if not _outside(Mz, size, (H, W), antialias).any():
            d = _apply(Mz, c0[None])[0] - cc
            info.update(zoom=float(z[best]), shift_px=(float(d[0]), float(d[1])), moved_px=float(moved[best]))
            return Mz, info
    raise RuntimeError(f"could not fit a {size} px crop inside a {H}x{W} frame")  # not reached in practice


def warp_face(frame, M, size=DEFAULT_FACE_SIZE, *, antialias=True):
    """Warp one grayscale frame with the crop transform ``M`` into a ``size`` x ``size`` image.

    Parameters
    ----------
    frame : (H, W) ndarray
        uint8, uint16, float32 or float64 grayscale frame.
    M : (2, 3) array_like
        Source -> crop transform (from :func:`fit_similarity`, or :func:`fit_inside`).
    size : int
        Output side.
    antialias : bool, default True
        When ``M`` shrinks the image (scale < 1), first resize the needed region with area
        averaging (``cv2.INTER_AREA``) so the bilinear warp does not alias.

    Returns
    -------
    crop : (size, size) ndarray
        Same dtype as ``frame`` for uint8/uint16/float32/float64. Pixels that map outside the frame
        replicate its border: :func:`align_frames` (``border="fit"``) first moves the crop inside
        the frame with :func:`fit_inside`, so that none do.

    Notes
    -----
    Only the region of the frame that maps into the crop (plus a few pixels) is touched, so the
    cost does not grow with the frame size. OpenCV's bilinear warp quantises sub-pixel positions
    to 1/32 px.
    """
    return _warp_planned(frame, _warp_plan(M, size, frame.shape, antialias), size)


def _warp_planned(frame, plan, size):
    """:func:`warp_face` with its :func:`_warp_plan` computed beforehand (once per clip in :func:`align_frames`)."""
    import cv2

    x0, y0, x1, y1, resized, A = plan
    roi = frame[y0:y1, x0:x1]
    if resized is not None:
        roi = cv2.resize(roi, resized, interpolation=cv2.INTER_AREA)  # a strided view: no copy needed
    return cv2.warpAffine(roi, A, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@dataclasses.dataclass
class AlignedFrames:
    """Result of :func:`align_frames`.

    Attributes
    ----------
    frames : (T, size, size) ndarray
        Aligned crops (uint8 when the input frames are uint8, else float64).
    landmarks : (68, 2) ndarray of float64
        The reference frame's landmarks in crop coordinates.
    meta : dict
        What :func:`align_clip` stores in ``Clip.meta["alignment"]``: ``transform`` ((2, 3) list,
        source -> crop), ``transforms`` ((T, 2, 3) list, per-frame mode only), ``landmarks_per_frame``
        ((T, 68, 2) list, per-frame mode only), ``scale``, ``rotation_deg``, ``fit_rmse_px`` (template
        fit residual, crop px), ``n_faces`` (None when landmarks were given), ``face_rect``,
        ``detect_factor`` (down-scaling of the frame the face was detected in, 1.0 = full
        resolution, None when landmarks were given, see :func:`mefeat.face.find_face`),
        ``detect_attempt`` (which detection attempt found the face, e.g. ``"upsample 1"`` or a
        fallback such as ``"padded 15 % (replicate), upsample 0"``; None when landmarks were given),
        ``reference_index``, ``source_landmarks`` (reference, source px), ``input_shape``, ``size``,
        ``margin``, ``per_frame``, ``antialias``, ``template``, and the border fitting: ``border``,
        ``template_transform``, ``outside_fraction``, ``fit_zoom``, ``fit_shift_px``,
        ``fit_moved_px``, ``effective_margin``, ``landmarks_outside``, ``template_outside``
        (see :func:`align_frames`, Notes). ``transform`` is the applied (fitted) transform and
        ``scale`` its scale; ``fit_rmse_px`` measures the template fit before fitting.
    """

    frames: np.ndarray
    landmarks: np.ndarray
    meta: dict = dataclasses.field(default_factory=dict)


class _Source:
    """Random access to frames given as a sequence of paths/arrays, a (T, H, W) array or a callable."""

    def __init__(self, frames, n_frames, clip_name):
        self.clip_name = clip_name
        if callable(frames) and not isinstance(frames, np.ndarray):
            if n_frames is None:
                raise ValueError("frames is a callable i -> frame: pass n_frames as well")
            self.get, self.n = frames, int(n_frames)
        else:
            if isinstance(frames, (str, bytes, os.PathLike)):
                raise TypeError("frames must be a sequence of frame paths or arrays, not a single path")
            try:
                self.n = len(frames)
            except TypeError:
                raise TypeError(f"frames must be a sequence or a callable, got {type(frames).__name__}") from None
            self.get = frames.__getitem__
        if self.n < 1:
            raise ValueError(f"clip {clip_name!r} has no frames")

    def read(self, i):
        item = self.get(i)
        if isinstance(item, (str, bytes, os.PathLike)):
            from mefeat._frames import read_frame

            try:
                return read_frame(os.fsdecode(item))
            except OSError as exc:  # missing, empty or undecodable file
                raise ValueError(f"could not read frame {i} of clip {self.clip_name!r}: {exc}") from exc
        arr = np.asarray(item)
        if arr.ndim == 3 and arr.shape[-1] in (3, 4):
            return as_uint8_gray(arr, name=f"frame {i}") if arr.dtype == np.uint8 else _gray_float(arr)
        if arr.ndim != 2:
            raise ValueError(
                f"frame {i} of clip {self.clip_name!r} must be (H, W) grayscale or (H, W, 3) RGB, got {arr.shape}"
            )
        if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
            raise TypeError(f"frame {i} of clip {self.clip_name!r} has unsupported dtype {arr.dtype}")
        if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
            raise ValueError(f"frame {i} of clip {self.clip_name!r} contains NaN or infinite values")
        return arr


def _track(frame, prev_rect, upsample, detect_scale, clip_name, index):
    """Re-detect the face near ``prev_rect`` (a window of 3x its size), else in the whole frame.

    Returns the landmarks (full-frame coordinates) and the rectangle of the face nearest to ``prev_rect``.
    """
    from mefeat.face.landmarks import FaceNotFoundError, _fit_detected, _locate, not_found_detail

    H, W = frame.shape
    left, top, right, bottom = prev_rect
    w, h = right - left, bottom - top
    x0, y0 = max(0, left - w), max(0, top - h)
    x1, y1 = min(W, right + w), min(H, bottom + h)
    gray = as_uint8_gray(frame[y0:y1, x0:x1]) if x1 - x0 > 8 and y1 - y0 > 8 else None
    found = None if gray is None else _locate(gray, upsample, detect_scale, fallbacks=False)
    faces = [] if found is None else [(a + x0, b + y0, c + x0, d + y0) for a, b, c, d in found.faces]
    factor, pad = (found.factor, None) if faces else (1.0, None)
    if not faces:
        whole = as_uint8_gray(frame)
        found = _locate(whole, upsample, detect_scale)
        faces, factor, pad = found.faces, found.factor, found.pad
    if not faces:
        raise FaceNotFoundError(
            f"per-frame alignment: no face found in frame {index} of clip {clip_name!r} "
            f"({H}x{W} px, searched near the previous frame's face, then in the whole frame); "
            + not_found_detail(whole, found.tried),
            clip_name=clip_name,
            frame_index=index,
        )
    cx, cy = 0.5 * (left + right), 0.5 * (top + bottom)
    rect = min(faces, key=lambda r: (0.5 * (r[0] + r[2]) - cx) ** 2 + (0.5 * (r[1] + r[3]) - cy) ** 2)
    return _fit_detected(as_uint8_gray(frame), rect, factor, pad), rect


def _gray_float(rgb):
    rgb = np.asarray(rgb[..., :3], np.float64)
    return rgb @ np.array([0.299, 0.587, 0.114])


def _warp_dtype(frame):
    if frame.dtype in (np.uint8, np.uint16, np.float32, np.float64):
        return frame
    return frame.astype(np.float64)


def _check_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    return int(value)


def align_frames(
    frames,
    *,
    reference_index=0,
    size=DEFAULT_FACE_SIZE,
    margin=DEFAULT_FACE_MARGIN,
    per_frame=False,
    landmarks=None,
    upsample=DEFAULT_FACE_UPSAMPLE,
    detect_scale="auto",
    antialias=True,
    border=DEFAULT_FACE_BORDER,
    n_frames=None,
    clip_name=None,
):
    """Align and crop a clip read one frame at a time (bounded memory).

    The reference frame is read first, its face detected (largest face) and its landmarks fitted;
    then every frame is read, warped and cropped in turn, so only one full-size frame is in memory
    at a time and the peak memory stays near the cropped output.

    Parameters
    ----------
    frames : sequence of path or (H, W)/(H, W, 3) array, (T, H, W) ndarray, or callable
        Frame files (decoded to uint8 grayscale: colour files converted, 16-bit files reduced to
        their high byte), arrays, or a callable ``i -> frame`` (then give ``n_frames``). RGB
        arrays are converted to grayscale.
    reference_index : int, default 0
        Frame whose landmarks define the transform (the onset, normally).
    size : int, default 128
        Side of the square output crop (see :func:`align_clip` for the choice).
    margin : float, default 0.1
        See :func:`template_landmarks`.
    per_frame : bool, default False
        Re-fit landmarks and transform on every frame (for clips with head motion). The face is
        re-detected in a window of 3x the previous frame's face rectangle (the face nearest to it
        is kept; whole frame if none), which costs one small detection per frame.
    landmarks : (68, 2) array_like or None
        Landmarks of the reference frame in source coordinates; skips detection.
    upsample : int, default 1
        dlib detector up-sampling of full-resolution detection (see :func:`mefeat.face.detect_faces`).
    detect_scale : "auto" or float, default "auto"
        Search a shrunken copy of the frame for the face, then fit the landmarks at full
        resolution; full-resolution detection when the copy holds no face. ``"auto"`` shrinks
        frames whose short side is >= 384 px to a short side of ~256 px (1024x768: by 3, the
        detection then takes ~7 ms instead of ~300 ms); 1.0 detects at full resolution. See
        :func:`mefeat.face.find_face`. Also used by ``per_frame`` re-detection.
    antialias : bool, default True
        See :func:`warp_face`.
    border : {"fit", "replicate"}, default "fit"
        What to do when the template crop reaches past the frame (a database's tight face crop,
        or a face near the frame's edge). ``"fit"``: move and zoom the crop until it lies inside
        the frame (:func:`fit_inside`), so no output pixel is invented; a crop that already lies
        inside is left exactly as it was. ``"replicate"``: keep the template crop and fill what
        lies outside with the frame's replicated border (streaks that optical flow and strain
        take for motion). See Notes.
    n_frames : int, optional
        Number of frames, required when ``frames`` is a callable.
    clip_name : str, optional
        Named in errors and warnings.

    Returns
    -------
    AlignedFrames
        ``frames`` (T, size, size), ``landmarks`` (68, 2) in crop coordinates, ``meta``.

    Raises
    ------
    FaceNotFoundError
        No face in the reference frame (the message names the clip and frame).
    ValueError, TypeError
        Bad parameters or unreadable frames.

    Warns
    -----
    MultipleFacesWarning
        Several faces in the reference frame (the largest is used; ``meta["n_faces"]`` says how many).
    CropFittedWarning
        ``border="fit"`` had to cut into the template's face box to stay inside the frame.

    Notes
    -----
    Border policy. Frames come in two kinds: raw video frames, where the face is small in a large
    frame and the template crop lies inside it (DFME, CASME II RAW, SAMM), and databases' own
    tight face crops (CASME II "Cropped", the SMIC/SAMM crops most papers use), where the face
    fills the frame and the template crop (jaw width plus ``margin`` on each side) reaches past
    it. Filling that part with replicated border pixels makes streaks whose optical flow is the
    largest of the crop and whose strain peaks, so strain-weighted descriptors (Bi-WOOF) weight
    exactly those blocks; that cost Bi-WOOF 0.11 UF1 on CASME II's cropped frames against using
    the database crop as is. ``"fit"`` therefore keeps every sample inside the frame and changes
    the crop as little as it can (:func:`fit_inside`: of the crops with the same rotation, zoomed
    by >= 1 about the crop centre and shifted, that lie inside the frame, the one that keeps the
    most landmarks inside and moves them least, mean crop px), rather than masking pixels, which
    every descriptor would have to honour. Raw frames are not affected (bit-identical output);
    the price on tight crops is a registration that varies a little from clip to clip (recorded
    in ``meta``). With one transform per clip, the fitting is computed once on the reference
    frame and applied to every frame; with ``per_frame``, on every frame.

    ``meta`` records ``outside_fraction`` (share of the template crop's pixels that lay outside
    the frame: for ``"replicate"``, the share of replicated pixels), ``fit_zoom``,
    ``fit_shift_px``, ``fit_moved_px`` (mean displacement of the reference landmarks by the
    fitting, crop px), ``effective_margin`` (``margin`` after the zoom), ``landmarks_outside`` and
    ``template_outside`` (landmarks of the face and of the template that fall outside the
    fitted crop), ``template_transform`` (before fitting) and ``transform`` (applied); with
    ``per_frame``, the values of the frame whose fitting moved the landmarks most, plus the lists
    ``outside_fractions`` and ``fit_zooms``. Every fitting is logged at INFO level on the
    ``"mefeat"`` logger.
    """
    size, margin = check_size_margin(size, margin)
    border = check_border(border)
    src = _Source(frames, n_frames, clip_name)
    T = src.n
    ref = _check_int(reference_index, "reference_index")
    if not 0 <= ref < T:
        raise ValueError(f"reference_index={ref} is outside the clip's frames 0..{T - 1}")
    ref_frame = _warp_dtype(src.read(ref))
    if landmarks is None:
        det = find_face(
            ref_frame, upsample=upsample, detect_scale=detect_scale, clip_name=clip_name, frame_index=ref
        )
        ref_lm, rect, n_faces, factor = det.landmarks, det.rect, det.n_faces, det.detect_factor
        attempt = det.attempt
        if n_faces > 1:
            warnings.warn(
                f"{n_faces} faces found in frame {ref} of clip {clip_name!r}; aligning the largest, rect={rect}",
                MultipleFacesWarning,
                stacklevel=2,
            )
    else:
        ref_lm = check_landmarks(landmarks)
        lo, hi = ref_lm.min(0), ref_lm.max(0)
        rect, n_faces, factor = (int(lo[0]), int(lo[1]), int(math.ceil(hi[0])), int(math.ceil(hi[1]))), None, None
        attempt = None
        detection_factor(ref_frame.shape, detect_scale)  # validated even when unused
    M_template = fit_similarity(ref_lm, size, margin)
    M, fit = _fit_border(M_template, ref_frame.shape, size, margin, antialias, ref_lm, border)
    fits = [] if per_frame else [fit]
    out_dtype = np.uint8 if ref_frame.dtype == np.uint8 else np.float64
    out = np.empty((T, size, size), dtype=out_dtype)
    transforms = np.empty((T, 2, 3)) if per_frame else None
    lms = np.empty((T, 68, 2)) if per_frame else None
    prev_rect = rect
    # one transform per clip: where and how every frame is sampled is the same for all (frames have one shape)
    plan = None if per_frame else _warp_plan(M, size, ref_frame.shape, antialias)
    for i in range(T):
        frame = ref_frame if i == ref else _warp_dtype(src.read(i))
        if frame.shape != ref_frame.shape:
            raise ValueError(
                f"frame {i} of clip {clip_name!r} is {frame.shape[0]}x{frame.shape[1]}, the reference frame "
                f"{ref_frame.shape[0]}x{ref_frame.shape[1]}"
            )
        if frame.dtype != ref_frame.dtype:
            raise ValueError(
                f"frame {i} of clip {clip_name!r} has dtype {frame.dtype}, the reference frame {ref_frame.dtype}; "
                "pass frames of one dtype (the output dtype follows the reference frame)"
            )
        Mi = M
        if per_frame:
            if i == ref:
                lm_i = ref_lm
            else:
                lm_i, prev_rect = _track(frame, prev_rect, upsample, detect_scale, clip_name, i)
            if i == ref:
                Mi, fit_i = M, fit
            else:
                Mi, fit_i = _fit_border(
                    fit_similarity(lm_i, size, margin), frame.shape, size, margin, antialias, lm_i, border
                )
            fits.append(fit_i)
            transforms[i] = Mi
            lms[i] = _apply(Mi, lm_i)
        w = warp_face(frame, Mi, size, antialias=antialias) if per_frame else _warp_planned(frame, plan, size)
        out[i] = np.rint(w) if out_dtype == np.uint8 and w.dtype != np.uint8 else w
    crop_lm = _apply(M, ref_lm)
    tmpl = template_landmarks(size, margin)
    scale = math.sqrt(abs(np.linalg.det(M[:, :2])))
    worst = max(fits, key=lambda f: (f["template_outside"], f["moved_px"], f["outside_fraction"]))
    outside = max(f["outside_fraction"] for f in fits)
    _report_fit(worst, outside, border, size, clip_name)
    meta = {
        "template": "mefeat.face._template.TEMPLATE (symmetrised dlib-68 of skimage astronaut)",
        "size": size,
        "margin": margin,
        "per_frame": bool(per_frame),
        "antialias": bool(antialias),
        "reference_index": ref,
        "transform": M.tolist(),
        "scale": scale,
        "rotation_deg": math.degrees(math.atan2(M[1, 0], M[0, 0])),
        "fit_rmse_px": float(np.sqrt(np.mean(np.sum((_apply(M_template, ref_lm) - tmpl) ** 2, axis=1)))),
        "border": border,
        "template_transform": M_template.tolist(),
        "outside_fraction": outside,
        "fit_zoom": worst["zoom"],
        "fit_shift_px": worst["shift_px"],
        "fit_moved_px": worst["moved_px"],
        "effective_margin": 0.5 - (0.5 - margin) * worst["zoom"],
        "landmarks_outside": worst["landmarks_outside"],
        "template_outside": worst["template_outside"],
        "n_faces": n_faces,
        "detect_factor": factor,
        "detect_attempt": attempt,
        "face_rect": tuple(int(v) for v in rect),
        "source_landmarks": ref_lm.tolist(),
        "input_shape": tuple(int(v) for v in ref_frame.shape),
    }
    if per_frame:
        meta["transforms"] = transforms.tolist()
        meta["outside_fractions"] = [f["outside_fraction"] for f in fits]
        meta["fit_zooms"] = [f["zoom"] for f in fits]
        meta["landmarks_per_frame"] = lms.tolist()
    return AlignedFrames(out, crop_lm, meta)


def _fit_border(M_template, shape, size, margin, antialias, landmarks, border):
    """``(M, info)``: ``M`` fitted inside the frame (``border="fit"``) or as is, with :func:`fit_inside`'s info."""
    M = M_template
    if border == "fit":
        M, info = fit_inside(M_template, shape, size, antialias=antialias, points=landmarks)
    else:
        info = {"outside_fraction": float(_outside(M, size, shape, antialias).mean()), "zoom": 1.0,
                "shift_px": (0.0, 0.0), "moved_px": 0.0}
    info["landmarks_outside"] = _n_outside(_apply(M, landmarks), size)
    info["template_outside"] = _n_outside(_apply(_compose(M, _invert(M_template)), template_landmarks(size, margin)),
                                          size)
    return M, info


def _n_outside(points, size):
    return int(np.sum(np.any((points < -0.5) | (points > size - 0.5), axis=1)))


def _report_fit(fit, outside, border, size, clip_name):
    """Log (and warn about a large change of) the crop's fitting inside the frame."""
    if outside == 0.0:
        return
    name = "the clip" if clip_name is None else f"clip {clip_name!r}"
    if border == "replicate":
        log.info("%s: %.1f %% of the aligned crop lies outside the frame (border='replicate': replicated border "
                 "pixels)", name, 100 * outside)
        return
    msg = (f"{name}: {100 * outside:.1f} % of the template crop lay outside the frame; the crop was fitted "
           f"inside (zoom {fit['zoom']:.3f}, shift ({fit['shift_px'][0]:.1f}, {fit['shift_px'][1]:.1f}) px), "
           f"moving the face's landmarks by {fit['moved_px']:.1f} px on average in the {size} px crop")
    if fit["template_outside"]:
        warnings.warn(f"{msg}; the fitted crop cuts the template's face box ({fit['template_outside']} of its 68 "
                      f"landmarks fall outside; {fit['landmarks_outside']} of the face's own): the frame is too "
                      "tight for this margin (give the face more room, a smaller margin, or border='replicate' to "
                      "keep the template crop with replicated border pixels)", CropFittedWarning, stacklevel=3)
    else:
        log.info(msg)


def _reference_index(clip, reference):
    if isinstance(reference, str):
        if reference == "onset":
            return clip.onset
        if reference == "apex":
            return clip.apex_or_middle
        if reference == "first":
            return 0
        raise ValueError(f"reference must be 'onset', 'apex', 'first' or a frame index, got {reference!r}")
    return _check_int(reference, "reference")


def align_clip(
    clip,
    *,
    size=DEFAULT_FACE_SIZE,
    margin=DEFAULT_FACE_MARGIN,
    reference="onset",
    per_frame=False,
    landmarks=None,
    upsample=DEFAULT_FACE_UPSAMPLE,
    detect_scale="auto",
    antialias=True,
    border=DEFAULT_FACE_BORDER,
):
    """Align and crop the face of a clip with one similarity transform.

    Parameters
    ----------
    clip : mefeat.Clip
        Grayscale clip (frames (T, H, W)).
    size : int, default 128
        Side of the square crop. 128 px keeps the descriptors cheap (LBP-TOP, HOG-TOP and the
        flow scale with the pixel count: TV-L1 is ~140 ms per 128-px pair vs ~380 ms at 256 px)
        while keeping the eyes (~15 px) and mouth (~35 px) large enough for 1-3 px LBP radii; the MER
        literature crops to 128-231 px (CASME II faces are ~280x340, DFME ~300 px, so 128 means
        down-sampling by ~2.3, which also averages out sensor noise).
    margin : float, default 0.1
        Fraction of ``size`` left on each side of the template's landmark box (the jaw width
        spans 80 % of the crop; brows and chin have ~10 % of forehead and neck around them).
    reference : {"onset", "apex", "first"} or int, default "onset"
        Frame whose landmarks define the transform ("apex" uses ``clip.apex_or_middle``).
    per_frame : bool, default False
        Re-fit per frame (head motion). Off by default: one transform keeps the sub-pixel
        inter-frame motion that carries the micro-expression; per-frame fits add the landmark
        jitter (~0.5 px) as spurious motion.
    landmarks : (68, 2) array_like or None
        Reference-frame landmarks in source coordinates (skips detection). ``clip.landmarks`` is
        not used implicitly: pass ``landmarks=clip.landmarks`` if they belong to the reference frame.
    upsample : int, default 1
        dlib detector up-sampling when detecting at full resolution.
    detect_scale : "auto" or float, default "auto"
        Detect the face on a shrunken copy of the reference frame and fit the landmarks at full
        resolution (``"auto"``: short side ~256 px for frames with a short side >= 384 px; a float:
        that factor; 1.0: full-resolution detection). Falls back to full-resolution detection when
        the copy holds no face. See :func:`mefeat.face.find_face`.
    antialias : bool, default True
        Area-average before warping when shrinking (see :func:`warp_face`).
    border : {"fit", "replicate"}, default "fit"
        ``"fit"``: move/zoom the crop until it lies inside the frame, so no pixel is invented
        (databases' tight face crops); crops inside the frame are unchanged. ``"replicate"``:
        the template crop with the frame's border replicated (mefeat 0.3's behaviour). See
        :func:`align_frames`.

    Returns
    -------
    clip : mefeat.Clip
        Frames (T, size, size) (uint8 for uint8 input, else float64); ``landmarks`` = the reference
        frame's landmarks in crop coordinates; onset/apex/offset and the other fields unchanged;
        ``meta["alignment"]`` as described in :class:`AlignedFrames`.

    Raises
    ------
    FaceNotFoundError
        No face found in the reference frame.

    Warns
    -----
    MultipleFacesWarning
        Several faces: the largest is aligned, ``meta["alignment"]["n_faces"]`` records the count.

    Notes
    -----
    The canonical template is a symmetrised dlib-68 shape of one real face (see
    :mod:`mefeat.face._template`), not a population mean shape; the fit uses all 68 points with
    equal weights (Umeyama). Papers align differently (e.g. eye-based affine, per-frame ASM + LWM
    in CASME II's release, or no alignment at all for DFME baselines): expect small differences.

    References
    ----------
    S. Umeyama, IEEE TPAMI 13(4):376-380, 1991, doi:10.1109/34.88573.

    Examples
    --------
    >>> from skimage import data
    >>> import numpy as np
    >>> from mefeat import Clip
    >>> from mefeat.face import align_clip
    >>> gray = (data.astronaut() @ [0.299, 0.587, 0.114]).astype(np.uint8)
    >>> out = align_clip(Clip(np.stack([gray, gray]), name="astro"))
    >>> out.frames.shape, out.landmarks.shape
    ((2, 128, 128), (68, 2))
    """
    from mefeat._clip import Clip

    if not isinstance(clip, Clip):
        raise TypeError(f"clip must be a mefeat.Clip, got {type(clip).__name__}")
    ref = _reference_index(clip, reference)
    res = align_frames(
        clip.frames,
        reference_index=ref,
        size=size,
        margin=margin,
        per_frame=per_frame,
        landmarks=landmarks,
        upsample=upsample,
        detect_scale=detect_scale,
        antialias=antialias,
        border=border,
        clip_name=clip.name,
    )
    meta = dict(clip.meta)
    res.meta["reference"] = reference if isinstance(reference, str) else int(reference)
    meta["alignment"] = res.meta
    return clip.replace(frames=res.frames, landmarks=res.landmarks, meta=meta)
