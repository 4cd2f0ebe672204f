"""Face detection and 68-point landmarks with dlib (imported inside the functions).

The detector is dlib's HOG frontal face detector; the landmark model is the 68-point shape
predictor shipped by the ``face-recognition-models`` package (nothing is downloaded). Both are
loaded once per process and cached.

Large frames are searched for a face on a shrunken copy (``detect_scale="auto"``, see
:func:`find_face`); the landmarks are always fitted on the full-resolution frame. When no face is
found, :func:`find_face` tries a padded copy and other up-sampling levels (``DETECT_FALLBACKS``)
before raising.
"""

import functools
import importlib.util
import os
import threading
import warnings
from typing import NamedTuple

import numpy as np

from mefeat._config import DEFAULT_FACE_UPSAMPLE
from mefeat.exceptions import MefeatError

# --- coarse face detection (``detect_scale="auto"``) ---
# Measured on 1024x768 and 1280x1024 frames with 300-450 px faces: dlib's detector takes ~300 ms at full size with
# upsample 1, ~6 ms on a copy whose short side is 256 px with upsample 0.

#: Short side (px) of the shrunken copy searched for a face. Micro-expression cameras frame the face tightly (it
#: spans about 30-60 % of the frame's short side in CASME II, SAMM, SMIC and DFME), so the face keeps about 80 px
#: or more, the smallest face dlib's detector finds without up-sampling.
DETECT_SHORT_SIDE = 256

#: Frames whose short side is below this many times DETECT_SHORT_SIDE (384 px) are searched at full size:
#: the saving would be small and their faces may be small.
DETECT_MIN_FACTOR = 1.5

#: Largest accepted ``detect_scale`` factor.
DETECT_MAX_FACTOR = 16.0

#: dlib up-sampling used on the shrunken copy (0: faces >= ~80 px of the copy).
DETECT_COARSE_UPSAMPLE = 0

#: Face box predicted from 68 landmarks, as (centre x offset, centre y offset, side) in units of the landmarks' RMS
#: distance from their centroid. Fitted to dlib's full-resolution detections of one real face (the skimage
#: astronaut rendered at 300-450 px at 30 positions): spread 0.08 (centre) and 0.15 (side) in the same units.
BOX_FROM_LANDMARKS = (0.0, -0.07, 2.66)

#: Refinement boxes, as (dx, dy, scale) relative to the landmark-predicted box (dx, dy in units of its side). The
#: landmarks fitted in the nine boxes are averaged. A detector rectangle is only known to within its scan stride,
#: and the landmark model's output moves with the rectangle; averaging over a spread of boxes of about that size
#: removes most of this dependence (mean landmark-transform difference to the full-resolution path 0.17 -> 0.13 px,
#: worst clip 0.35 -> 0.27 px, in a 128 px crop).
REFINE_BOXES = (
    (0.0, 0.0, 1.0), (0.04, 0.0, 1.0), (-0.04, 0.0, 1.0), (0.0, 0.04, 1.0), (0.0, -0.04, 1.0),
    (0.0, 0.0, 0.93), (0.0, 0.0, 1.07), (0.03, 0.03, 1.0), (-0.03, -0.03, 1.0),
)

# --- fallbacks when the first detection finds no face (a face filling the frame: databases' tight crops) ---

#: Further detection attempts, in order, when the first finds nothing: (padding of each side as a fraction of the
#: frame's side, border of the padding, dlib upsample). dlib's detector scans an 80 px window that holds some
#: context around the face; in a tight crop that context is missing, and padding the frame supplies it. Measured
#: (benchmarks/bench_face.py, section 6) on tight crops of 21 faces (the astronaut and the 20 demo subjects) with
#: the jaw spanning 80-110 % of a 128-300 px frame: the first attempt (upsample 1) finds 89.5 % (57-64 % when the
#: jaw is wider than the frame), the 15 % padded frame at upsample 0 100 %, upsample 0 or 2 alone 88-89 %; on the
#: 100 tight face crops of skimage's LFW subset upscaled to 128 and 224 px: 92 % -> 96 %, and none of its 100
#: non-face crops gains a "face". The cheap attempts come first (upsample 0 on a padded 300 px frame takes
#: ~30 ms, upsample 2 ~300 ms); the other upsample levels are those the issue reports found a real CASME II face.
DETECT_FALLBACKS = (
    (0.15, "replicate", 0),
    (0.15, "replicate", 1),
    (0.15, "constant", 0),
    (0.0, None, 0),
    (0.0, None, 2),
)

#: A fallback is skipped when its up-sampled image would exceed this many pixels (about 1 s of detection).
DETECT_FALLBACK_MAX_PIXELS = 4_000_000

__all__ = [
    "FaceNotFoundError",
    "MultipleFacesWarning",
    "FaceDetection",
    "predictor_path",
    "detect_faces",
    "find_face",
    "detect_landmarks",
    "detection_factor",
    "as_uint8_gray",
]


class FaceNotFoundError(MefeatError, ValueError):
    """No face was found in a frame.

    Attributes
    ----------
    clip_name : str or None
        Name of the clip, when the caller gave it.
    frame_index : int or None
        Index of the frame in the clip, when the caller gave it.
    """

    def __init__(self, message, *, clip_name=None, frame_index=None):
        super().__init__(message)
        self.clip_name = clip_name
        self.frame_index = frame_index


class MultipleFacesWarning(UserWarning):
    """A frame holds several faces; the largest one was used."""


class FaceDetection(NamedTuple):
    """The face used in a frame: its 68 landmarks, its rectangle and how many faces were seen.

    Attributes
    ----------
    landmarks : (68, 2) ndarray of float64
        (x, y) = (column, row) in the frame's pixel coordinates (pixel centres at integers).
        Integer positions (dlib's output) when detected at full size or fitted in a given
        ``rect``; the average of several fits (see :func:`find_face`) after a coarse detection.
    rect : tuple of int
        (left, top, right, bottom) of the face rectangle, in full-resolution pixels: the given
        ``rect``, or the detector's rectangle (mapped back from the shrunken copy when
        ``detect_factor > 1``).
    n_faces : int or None
        Faces found by the detector (the largest was used); None when ``rect`` was given.
    detect_factor : float
        Down-scaling of the frame the face was found in: 1.0 for full-resolution detection (also
        after a fallback, or when ``rect`` was given), e.g. 3.0 for a 1024x768 frame searched at
        341x256.
    attempt : str
        How the face was found: ``"upsample 1"`` (the first attempt), ``"shrunk by 3, upsample 0"``,
        a fallback such as ``"padded 15 % (replicate), upsample 0"`` (see :func:`find_face`), or
        ``"rect"`` when ``rect`` was given.
    """

    landmarks: np.ndarray
    rect: tuple
    n_faces: int | None
    detect_factor: float = 1.0
    attempt: str = "rect"


def predictor_path():
    """Path of dlib's 68-point model shipped by ``face-recognition-models``.

    Located without importing the package (its ``__init__`` imports ``pkg_resources``).

    Returns
    -------
    path : str

    Raises
    ------
    FileNotFoundError
        The package or the model file is missing.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the package face-recognition-models (dlib's 68-point landmark model) is not installed: "
            "pip install face-recognition-models"
        )
    path = os.path.join(spec.submodule_search_locations[0], "models", "shape_predictor_68_face_landmarks.dat")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"dlib's 68-point model is missing at {path}; reinstall face-recognition-models")
    return path


# dlib documents object_detector as unsafe for concurrent use (it keeps scan buffers), and the
# Python call releases the GIL: detections are serialised with this lock. Making one detector per
# thread instead would cost ~2 s each (deserialising the HOG model). shape_predictor is documented
# as safe to share between threads.
_DETECTOR_LOCK = threading.Lock()


@functools.cache
def _detector():
    import dlib

    with _DETECTOR_LOCK:  # creating it takes ~2 s: never twice
        return dlib.get_frontal_face_detector()


@functools.cache
def _predictor(path):
    import dlib

    return dlib.shape_predictor(path)


def _where(clip_name, frame_index):
    parts = []
    if frame_index is not None:
        parts.append(f"frame {frame_index}")
    if clip_name is not None:
        parts.append(f"of clip {clip_name!r}")
    return " ".join(parts) if parts else "the frame"


def as_uint8_gray(frame, *, name="frame"):
    """Return ``frame`` as a C-contiguous uint8 grayscale (H, W) array for dlib.

    Parameters
    ----------
    frame : (H, W) or (H, W, 3|4) array_like
        Grayscale or RGB(A) (channel order R, G, B as from skimage/PIL; alpha ignored). uint8 is used as is;
        other integer dtypes must hold values in 0..255; floats are taken on the 0..255 scale,
        saturated to it and rounded (unrounded TIM output overshoots slightly).
    name : str, default "frame"
        What the error messages call the input.

    Returns
    -------
    gray : (H, W) ndarray of uint8

    Raises
    ------
    TypeError
        bool, complex or object dtype.
    ValueError
        Wrong shape, NaN/inf, or integer values outside [0, 255].
    """
    arr = np.asarray(frame)
    if arr.dtype == object or arr.dtype == bool or np.issubdtype(arr.dtype, np.complexfloating) or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise TypeError(f"{name} has dtype {arr.dtype}; pass uint8 (or numeric 0..255) grayscale or RGB pixels")
    if arr.ndim == 3 and arr.shape[-1] in (3, 4):
        arr = arr[..., :3]
    elif arr.ndim != 2:
        raise ValueError(f"{name} must be a grayscale (H, W) or RGB (H, W, 3) image, got shape {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} is empty: shape {arr.shape}")
    if arr.dtype != np.uint8:
        if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinite values")
        if np.issubdtype(arr.dtype, np.integer):
            lo, hi = int(arr.min()), int(arr.max())
            if lo < 0 or hi > 255:
                raise ValueError(
                    f"{name} ({arr.dtype}) has values in [{lo}, {hi}]; face detection expects the 0..255 scale "
                    f"(rescale, e.g. ({name} / {name}.max() * 255).astype(np.uint8))"
                )
        else:
            arr = np.clip(arr, 0, 255)  # float frames (e.g. unrounded TIM output) are saturated
        arr = np.rint(arr).astype(np.uint8)
    if arr.ndim == 3:
        import cv2

        arr = cv2.cvtColor(np.ascontiguousarray(arr), cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(arr)


def check_upsample(upsample):
    """Validate dlib's detector ``upsample`` (an int in 0..4) and return it."""
    if isinstance(upsample, bool) or not isinstance(upsample, (int, np.integer)) or not 0 <= upsample <= 4:
        raise ValueError(f"upsample must be an int in 0..4 (dlib pyramid up-sampling), got {upsample!r}")
    return int(upsample)


def detect_faces(frame, *, upsample=DEFAULT_FACE_UPSAMPLE):
    """Detect frontal faces with dlib's HOG detector.

    Parameters
    ----------
    frame : (H, W) or (H, W, 3) array_like
        Grayscale or RGB image (see :func:`as_uint8_gray`).
    upsample : int, default 1
        Times dlib up-samples the image before detecting: 1 finds faces down to about 40 px,
        0 is about 4x faster but needs faces of about 80 px.

    Returns
    -------
    rects : list of (left, top, right, bottom) tuples of int
        Sorted by area, largest first (ties: higher detector score first). Empty when no face.

    Examples
    --------
    >>> import numpy as np
    >>> from mefeat.face import detect_faces
    >>> detect_faces(np.zeros((64, 64), np.uint8))
    []
    """
    gray = as_uint8_gray(frame)
    upsample = check_upsample(upsample)
    detector = _detector()
    with _DETECTOR_LOCK:
        rects, scores, _ = detector.run(gray, upsample, 0.0)
    faces = [((r.left(), r.top(), r.right(), r.bottom()), float(s)) for r, s in zip(rects, scores)]
    faces.sort(key=lambda f: (-(f[0][2] - f[0][0]) * (f[0][3] - f[0][1]), -f[1]))
    return [f[0] for f in faces]


def _check_rect(rect, shape):
    try:
        left, top, right, bottom = (int(round(float(v))) for v in rect)
    except (TypeError, ValueError):
        raise TypeError(f"rect must be (left, top, right, bottom) numbers, got {rect!r}") from None
    if right <= left or bottom <= top:
        raise ValueError(f"rect (left, top, right, bottom) = {rect!r} is empty")
    return left, top, right, bottom


def detection_factor(shape, detect_scale="auto"):
    """Down-scaling factor of the frame copy searched for a face.

    Parameters
    ----------
    shape : (int, int)
        (H, W) of the frame.
    detect_scale : "auto" or float, default "auto"
        ``"auto"``: shrink so that the short side is about 256 px
        (``min(H, W) / DETECT_SHORT_SIDE``), but only when that factor is at least 1.5 (frames
        with a short side below 384 px are searched at full size); a float >= 1: that factor
        (1.0 = full resolution).

    Returns
    -------
    factor : float
        >= 1; 1.0 means detection on the full-resolution frame.

    Raises
    ------
    ValueError
        ``detect_scale`` is neither ``"auto"`` nor a number in [1, 16].

    Examples
    --------
    >>> from mefeat.face import detection_factor
    >>> detection_factor((768, 1024)), detection_factor((1024, 1280)), detection_factor((480, 640))
    (3.0, 4.0, 1.875)
    >>> detection_factor((300, 400)), detection_factor((768, 1024), 1.0)
    (1.0, 1.0)
    """
    if isinstance(detect_scale, str):
        if detect_scale != "auto":
            raise ValueError(
                f"detect_scale must be 'auto' or a factor in [1, {DETECT_MAX_FACTOR:g}], got {detect_scale!r}"
            )
        factor = min(shape[0], shape[1]) / DETECT_SHORT_SIDE
        return float(factor) if factor >= DETECT_MIN_FACTOR else 1.0
    if (
        isinstance(detect_scale, (bool, np.bool_))
        or not isinstance(detect_scale, (int, float, np.integer, np.floating))
        or not 1.0 <= float(detect_scale) <= DETECT_MAX_FACTOR
    ):
        raise ValueError(
            f"detect_scale must be 'auto' or a factor in [1, {DETECT_MAX_FACTOR:g}] (1 = full resolution, "
            f"4 = detect on a 4x smaller copy), got {detect_scale!r}"
        )
    return float(detect_scale)


def _shrink(gray, factor):
    """``(small, fx, fy)``: ``gray`` shrunk by ``factor`` with area averaging, and the exact x/y factors."""
    import cv2

    H, W = gray.shape
    w, h = max(1, int(round(W / factor))), max(1, int(round(H / factor)))
    return cv2.resize(gray, (w, h), interpolation=cv2.INTER_AREA), W / w, H / h


def _unshrink(rects, fx, fy):
    # small pixel i covers full-resolution pixels [i fx, (i + 1) fx): map the rectangle's outer edges
    return [
        (int(round(x0 * fx)), int(round(y0 * fy)), int(round((x1 + 1) * fx)) - 1, int(round((y1 + 1) * fy)) - 1)
        for x0, y0, x1, y1 in rects
    ]


def _detect_shrunk(gray, factor, upsample=DETECT_COARSE_UPSAMPLE):
    """Faces found on a copy shrunk by ``factor``, as full-resolution rectangles (largest first)."""
    small, fx, fy = _shrink(gray, factor)
    return _unshrink(detect_faces(small, upsample=upsample), fx, fy)


def _pad(gray, fraction, border):
    """``(padded, (px, py))``: ``gray`` with ``round(fraction * side)`` pixels added on each side."""
    import cv2

    py, px = int(round(fraction * gray.shape[0])), int(round(fraction * gray.shape[1]))
    if border == "replicate":
        return cv2.copyMakeBorder(gray, py, py, px, px, cv2.BORDER_REPLICATE), (px, py)
    value = int(np.median(gray))
    return cv2.copyMakeBorder(gray, py, py, px, px, cv2.BORDER_CONSTANT, value=value), (px, py)


def _describe(fraction, border, upsample):
    pad = f"padded {100 * fraction:g} % ({border}), " if fraction else ""
    return f"{pad}upsample {upsample}"


def _fallbacks(gray, upsample, factor, tried):
    """The DETECT_FALLBACKS attempts, on the frame (``factor`` 1) or on its copy shrunk by ``factor``.

    Returns ``(faces, pad, attempt)``: rectangles in full-resolution frame coordinates (they may reach
    past the frame), the ``(fraction, border)`` padding they were found with (None: unpadded) and a
    description. Appends each attempt's description (or why it was skipped) to ``tried``.
    """
    if factor > 1.0:
        base, fx, fy = _shrink(gray, factor)
        first = DETECT_COARSE_UPSAMPLE  # the shrunken copy was searched at this level
    else:
        base, fx, fy, first = gray, 1.0, 1.0, upsample
    where = f"shrunk by {factor:g}, " if factor > 1.0 else ""
    for fraction, border, up in DETECT_FALLBACKS:
        if not fraction and up == first:
            continue
        label = where + _describe(fraction, border, up)
        img, (px, py) = _pad(base, fraction, border) if fraction else (base, (0, 0))
        if img.size * 4 ** up > DETECT_FALLBACK_MAX_PIXELS:
            tried.append(f"{label} (skipped: over {DETECT_FALLBACK_MAX_PIXELS:,} px)")
            continue
        tried.append(label)
        rects = detect_faces(img, upsample=up)
        if rects:
            rects = [(x0 - px, y0 - py, x1 - px, y1 - py) for x0, y0, x1, y1 in rects]
            return _unshrink(rects, fx, fy) if factor > 1.0 else rects, (fraction, border) if fraction else None, label
    return [], None, None


def _fit(gray, rect):
    import dlib

    shape = _predictor(predictor_path())(gray, dlib.rectangle(*(int(round(v)) for v in rect)))
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


def _refine(gray, landmarks):
    """Average of the landmark fits in the REFINE_BOXES around the box predicted from ``landmarks``."""
    c = landmarks.mean(axis=0)
    r = float(np.sqrt(np.mean(np.sum((landmarks - c) ** 2, axis=1))))
    ox, oy, side = BOX_FROM_LANDMARKS
    cx, cy, side = c[0] + ox * r, c[1] + oy * r, side * r
    fits = []
    for dx, dy, scale in REFINE_BOXES:
        x, y, half = cx + dx * side, cy + dy * side, 0.5 * scale * side
        fits.append(_fit(gray, (x - half, y - half, x + half, y + half)))
    return np.mean(fits, axis=0)


class _Located(NamedTuple):
    faces: list  # full-resolution (left, top, right, bottom), largest first; empty when no face
    factor: float  # down-scaling of the image the faces were found in
    pad: tuple | None  # (fraction, border) of the padded frame they were found in, None if unpadded
    attempt: str | None  # description of the attempt that found them
    tried: list  # descriptions of every attempt made


def _locate(gray, upsample, detect_scale, fallbacks=True):
    """Find faces: the shrunken copy first (``detection_factor > 1``), then the full-resolution frame with
    ``upsample``, then (``fallbacks``) the DETECT_FALLBACKS attempts. Returns a :class:`_Located`.
    """
    factor = detection_factor(gray.shape, detect_scale)
    tried = []
    if factor > 1.0:
        label = f"shrunk by {factor:g}, upsample {DETECT_COARSE_UPSAMPLE}"
        tried.append(label)
        faces = _detect_shrunk(gray, factor)
        if faces:
            return _Located(faces, factor, None, label, tried)
    label = f"upsample {upsample}"
    tried.append(label)
    faces = detect_faces(gray, upsample=upsample)
    if faces or not fallbacks:
        return _Located(faces, 1.0, None, label if faces else None, tried)
    faces, pad, label = _fallbacks(gray, upsample, factor, tried)
    return _Located(faces, factor if faces else 1.0, pad, label, tried)


def _fit_detected(gray, rect, factor, pad=None):
    """Landmarks in ``rect`` (refined after a coarse detection); on the padded frame when ``pad`` is given."""
    if pad is not None:
        padded, (px, py) = _pad(gray, *pad)
        left, top, right, bottom = rect
        return _fit_detected(padded, (left + px, top + py, right + px, bottom + py), factor) - (px, py)
    landmarks = _fit(gray, rect)
    return _refine(gray, landmarks) if factor > 1.0 else landmarks


def find_face(
    frame, *, upsample=DEFAULT_FACE_UPSAMPLE, detect_scale="auto", rect=None, clip_name=None, frame_index=None
):
    """Landmarks of the largest face in a frame, with its rectangle and the number of faces.

    Parameters
    ----------
    frame : (H, W) or (H, W, 3) array_like
        Grayscale or RGB image (see :func:`as_uint8_gray`).
    upsample : int, default 1
        dlib up-sampling of the full-resolution detection (see :func:`detect_faces`).
    detect_scale : "auto" or float, default "auto"
        Search a shrunken copy of the frame for the face (see :func:`detection_factor`): with
        ``"auto"``, frames with a short side of 384 px or more are shrunk to a short side of ~256 px
        (1024x768 by 3, 1280x1024 by 4) and searched with upsample 0. A float >= 1 gives the
        factor; 1.0 always detects at full resolution (with ``upsample``), as before this option.
    rect : (left, top, right, bottom) or None
        Fit the landmarks inside this face rectangle and skip detection (e.g. the reference
        frame's rectangle, to track a face through a clip).
    clip_name, frame_index : str, int, optional
        Only used in error messages.

    Returns
    -------
    FaceDetection
        ``(landmarks (68, 2) float64 (x, y), rect, n_faces, detect_factor)``.

    Raises
    ------
    FaceNotFoundError
        No face found, neither on the shrunken copy nor at full resolution nor by the fallbacks
        (the message names the clip, the frame and every attempt).

    Notes
    -----
    Coarse detection (``detection_factor > 1``):

    1. dlib's HOG detector runs on the copy shrunk with area averaging, without up-sampling, so it
       finds faces of at least ~80 px there (~240 px in a 1024x768 frame, ~320 px in a 1280x1024
       one). Face detection then costs ~6 ms instead of ~300 ms on 1024x768 and 1280x1024 frames.
    2. The largest rectangle is mapped back to full-resolution pixels.
    3. The 68 landmarks are fitted on the **full-resolution** frame in that rectangle.
    4. Refinement: a face box is predicted from these landmarks, and the landmarks are fitted again
       in nine boxes around it (shifted by up to 4 % of the side, scaled by 0.93-1.07) and
       averaged (~2 ms per fit). The coarse rectangle is only known to within the detector's scan
       stride at the small scale (8 px there, 24-32 px in the frame), and dlib's landmarks follow
       the rectangle they are fitted in by up to several pixels; the averaged fit no longer depends
       on where the coarse rectangle fell.
    5. When the shrunken copy holds no face, detection is repeated at full resolution with
       ``upsample`` (the ``detect_scale=1.0`` behaviour), so small faces are still found, at the
       full cost plus ~6 ms.

    Fallbacks, only when these attempts find no face (the usual path costs nothing more): the
    attempts of ``DETECT_FALLBACKS`` in turn, on the frame (on its shrunken copy when
    ``detection_factor > 1``): the frame padded by 15 % of its side on each side (replicated
    border, upsample 0 then 1; constant border at the frame's median, upsample 0), then the
    unpadded frame at the upsample levels 0 and 2 not yet tried. The first attempt that finds a
    face is used; its landmarks are fitted on the same padded frame and mapped back, and ``rect``
    may then reach past the frame; ``attempt`` says which it was. dlib's detector scans a window
    with some context around the face; a database's tight face crop (the face filling the frame)
    lacks that context, and padding restores it: on tight crops of 21 faces, jaw at 80-110 % of
    a 128-300 px frame, the first attempt found 89.5 % (57-64 % with the jaw wider than the
    frame), the padded frame 100 %, other upsample levels alone 88-89 % (numbers of
    ``benchmarks/bench_face.py``, section 6). The error names every attempt made.

    Measured on the astronaut face rendered at 300-450 px in 1024x768 and 1280x1024 frames (30
    positions and sizes, ``benchmarks/bench_face.py``), the crop transform of
    :func:`mefeat.face.fit_similarity` puts the 68 points 0.13 px (mean) from where the
    full-resolution detection puts them in the 128 px crop (largest mean of one frame 0.24 px,
    largest single point 0.37 px). Without the refinement: 0.17, 0.35 and 0.59 px. That is about
    how much dlib's fit depends on its box anyway: refitting the full-resolution landmarks in the
    box predicted from them moves the transform by 0.17 px on average.

    Only faces seen on the shrunken copy are counted in ``n_faces``: a second, small face (e.g. in
    the background) may be missed there. Pass ``detect_scale=1.0`` to get the full-resolution
    behaviour, e.g. for frames where the face fills less than ~30 % of the short side.
    """
    gray = as_uint8_gray(frame)
    if rect is not None:
        rect = _check_rect(rect, gray.shape)
        return FaceDetection(_fit(gray, rect), rect, None, 1.0)
    found = _locate(gray, check_upsample(upsample), detect_scale)
    if not found.faces:
        raise FaceNotFoundError(
            f"no face found in {_where(clip_name, frame_index)} ({gray.shape[0]}x{gray.shape[1]} px); "
            + not_found_detail(gray, found.tried),
            clip_name=clip_name,
            frame_index=frame_index,
        )
    rect = tuple(int(v) for v in found.faces[0])
    landmarks = _fit_detected(gray, rect, found.factor, found.pad)
    return FaceDetection(landmarks, rect, len(found.faces), found.factor, found.attempt)


def not_found_detail(gray, tried):
    """The part of a FaceNotFoundError message that says what was tried and what dlib needs."""
    hint = ""
    if gray.max() <= 1:
        hint = " The frame's values are all <= 1: pass pixels on the 0..255 scale."
    elif int(gray.max()) - int(gray.min()) < 16:
        hint = f" The frame has almost no contrast (values {int(gray.min())}..{int(gray.max())})."
    return (
        f"dlib's HOG detector tried: {'; '.join(tried)}. It finds roughly frontal, upright faces "
        f"(yaw and roll within ~30 deg) of at least ~80 px at upsample 0 and ~40 px at upsample 1.{hint}"
    )


def detect_landmarks(
    frame, *, upsample=DEFAULT_FACE_UPSAMPLE, detect_scale="auto", rect=None, clip_name=None, frame_index=None
):
    """68 dlib landmarks of the largest face in a frame.

    Parameters
    ----------
    frame : (H, W) or (H, W, 3) array_like
        Grayscale or RGB image; uint8, or another numeric dtype on the 0..255 scale.
    upsample : int, default 1
        See :func:`detect_faces`.
    detect_scale : "auto" or float, default "auto"
        Detect on a shrunken copy of large frames, fit at full resolution (see :func:`find_face`).
    rect : (left, top, right, bottom) or None
        Skip detection and fit inside this rectangle.
    clip_name, frame_index : str, int, optional
        Named in the error message and warning.

    Returns
    -------
    landmarks : (68, 2) ndarray of float64
        (x, y) = (column, row), dlib's 0-based 68-point order (jaw 0-16, brows 17-26, nose 27-35,
        eyes 36-47, mouth 48-67). dlib returns integer pixel positions (averages of several fits
        after a coarse detection, see :func:`find_face`).

    Raises
    ------
    FaceNotFoundError
        No face found.

    Warns
    -----
    MultipleFacesWarning
        Several faces were found; the largest (by rectangle area) is used. Use :func:`find_face`
        to get the count without a warning.

    Notes
    -----
    Face detection: Dalal-Triggs HOG + linear SVM (dlib ``get_frontal_face_detector``); landmarks:
    Kazemi & Sullivan's ensemble of regression trees trained on iBUG 300-W (dlib's model; its
    licence excludes commercial use of the 300-W data).

    References
    ----------
    V. Kazemi, J. Sullivan, "One millisecond face alignment with an ensemble of regression trees",
    CVPR 2014, doi:10.1109/CVPR.2014.241. D. E. King, "Dlib-ml: a machine learning toolkit",
    JMLR 10:1755-1758, 2009.
    """
    det = find_face(
        frame, upsample=upsample, detect_scale=detect_scale, rect=rect, clip_name=clip_name, frame_index=frame_index
    )
    if det.n_faces is not None and det.n_faces > 1:
        warnings.warn(
            f"{det.n_faces} faces found in {_where(clip_name, frame_index)}; using the largest, rect={det.rect}",
            MultipleFacesWarning,
            stacklevel=2,
        )
    return det.landmarks
