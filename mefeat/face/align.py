"""Face alignment and cropping: one similarity transform per clip, streamed frame by frame.

cv2 is imported inside the functions. The transform maps the reference frame's 68 dlib landmarks
onto the canonical template (:mod:`mefeat.face._template`) placed in a ``size`` x ``size`` crop.
"""

import dataclasses
import math
import os
import warnings

import numpy as np

from mefeat._config import DEFAULT_FACE_MARGIN, DEFAULT_FACE_SIZE, DEFAULT_FACE_UPSAMPLE
from mefeat._validation import check_landmarks
from mefeat.face._template import TEMPLATE, umeyama
from mefeat.face.landmarks import MultipleFacesWarning, as_uint8_gray, detection_factor, find_face

__all__ = ["AlignedFrames", "template_landmarks", "fit_similarity", "warp_face", "align_frames", "align_clip"]


def check_size_margin(size, margin):
    """Validate the crop ``size`` (int >= 16) and ``margin`` (float in [0, 0.5)); returns them as (int, float)."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 16:
        raise ValueError(f"size must be an int >= 16 (pixels of the square crop), got {size!r}")
    if isinstance(margin, bool) or not isinstance(margin, (int, float, np.floating)) or not 0 <= margin < 0.5:
        raise ValueError(f"margin must be a float in [0, 0.5) (fraction of the crop on each side), got {margin!r}")
    return int(size), float(margin)


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


def warp_face(frame, M, size=DEFAULT_FACE_SIZE, *, antialias=True):
    """Warp one grayscale frame with the crop transform ``M`` into a ``size`` x ``size`` image.

    Parameters
    ----------
    frame : (H, W) ndarray
        uint8, uint16, float32 or float64 grayscale frame.
    M : (2, 3) array_like
        Source -> crop transform (from :func:`fit_similarity`).
    size : int
        Output side.
    antialias : bool, default True
        When ``M`` shrinks the image (scale < 1), first resize the needed region with area
        averaging (``cv2.INTER_AREA``) so the bilinear warp does not alias.

    Returns
    -------
    crop : (size, size) ndarray
        Same dtype as ``frame`` for uint8/uint16/float32/float64. Pixels that map outside the frame
        replicate its border.

    Notes
    -----
    Only the region of the frame that maps into the crop (plus a few pixels) is touched, so the
    cost does not grow with the frame size. OpenCV's bilinear warp quantises sub-pixel positions
    to 1/32 px.
    """
    import cv2

    M = np.asarray(M, np.float64)
    H, W = frame.shape
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
    roi = frame[y0:y1, x0:x1]
    A = M.copy()
    A[:, 2] += M[:, :2] @ np.array([x0, y0], np.float64)  # ROI coords -> crop
    if antialias and s < 1.0:
        h, w = roi.shape
        nw, nh = max(2, int(round(w * s))), max(2, int(round(h * s)))
        rx, ry = nw / w, nh / h
        roi = cv2.resize(roi, (nw, nh), interpolation=cv2.INTER_AREA)  # a strided view: no copy needed
        # small-image coords -> ROI coords: x = (x' + 0.5) / rx - 0.5
        S = np.array([[1.0 / rx, 0.0, 0.5 / rx - 0.5], [0.0, 1.0 / ry, 0.5 / ry - 0.5]])
        A = _compose(A, S)
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
        ``reference_index``, ``source_landmarks`` (reference, source px), ``input_shape``, ``size``,
        ``margin``, ``per_frame``, ``antialias``, ``template``.
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
    from mefeat.face.landmarks import FaceNotFoundError, _fit_detected, _locate

    H, W = frame.shape
    left, top, right, bottom = prev_rect
    w, h = right - left, bottom - top
    x0, y0 = max(0, left - w), max(0, top - h)
    x1, y1 = min(W, right + w), min(H, bottom + h)
    gray = as_uint8_gray(frame[y0:y1, x0:x1]) if x1 - x0 > 8 and y1 - y0 > 8 else None
    found, factor = ([], 1.0) if gray is None else _locate(gray, upsample, detect_scale)
    faces = [(a + x0, b + y0, c + x0, d + y0) for a, b, c, d in found]
    if not faces:
        faces, factor = _locate(as_uint8_gray(frame), upsample, detect_scale)
    if not faces:
        raise FaceNotFoundError(
            f"per-frame alignment: no face found in frame {index} of clip {clip_name!r}",
            clip_name=clip_name,
            frame_index=index,
        )
    cx, cy = 0.5 * (left + right), 0.5 * (top + bottom)
    rect = min(faces, key=lambda r: (0.5 * (r[0] + r[2]) - cx) ** 2 + (0.5 * (r[1] + r[3]) - cy) ** 2)
    return _fit_detected(as_uint8_gray(frame), rect, factor), rect


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
    """
    size, margin = check_size_margin(size, margin)
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
        detection_factor(ref_frame.shape, detect_scale)  # validated even when unused
    M = fit_similarity(ref_lm, size, margin)
    out_dtype = np.uint8 if ref_frame.dtype == np.uint8 else np.float64
    out = np.empty((T, size, size), dtype=out_dtype)
    transforms = np.empty((T, 2, 3)) if per_frame else None
    lms = np.empty((T, 68, 2)) if per_frame else None
    prev_rect = rect
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
            Mi = fit_similarity(lm_i, size, margin)
            transforms[i] = Mi
            lms[i] = _apply(Mi, lm_i)
        w = warp_face(frame, Mi, size, antialias=antialias)
        out[i] = np.rint(w) if out_dtype == np.uint8 and w.dtype != np.uint8 else w
    crop_lm = _apply(M, ref_lm)
    tmpl = template_landmarks(size, margin)
    scale = math.sqrt(abs(np.linalg.det(M[:, :2])))
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
        "fit_rmse_px": float(np.sqrt(np.mean(np.sum((crop_lm - tmpl) ** 2, axis=1)))),
        "n_faces": n_faces,
        "detect_factor": factor,
        "face_rect": tuple(int(v) for v in rect),
        "source_landmarks": ref_lm.tolist(),
        "input_shape": tuple(int(v) for v in ref_frame.shape),
    }
    if per_frame:
        meta["transforms"] = transforms.tolist()
        meta["landmarks_per_frame"] = lms.tolist()
    return AlignedFrames(out, crop_lm, meta)


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
        clip_name=clip.name,
    )
    meta = dict(clip.meta)
    res.meta["reference"] = reference if isinstance(reference, str) else int(reference)
    meta["alignment"] = res.meta
    return clip.replace(frames=res.frames, landmarks=res.landmarks, meta=meta)
