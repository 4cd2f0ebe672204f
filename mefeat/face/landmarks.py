"""Face detection and 68-point landmarks with dlib (imported inside the functions).

The detector is dlib's HOG frontal face detector; the landmark model is the 68-point shape
predictor shipped by the ``face-recognition-models`` package (nothing is downloaded). Both are
loaded once per process and cached.
"""

import functools
import importlib.util
import os
import threading
import warnings
from typing import NamedTuple, Optional

import numpy as np

from mefeat._config import DEFAULT_FACE_UPSAMPLE

__all__ = [
    "FaceNotFoundError",
    "MultipleFacesWarning",
    "FaceDetection",
    "predictor_path",
    "detect_faces",
    "find_face",
    "detect_landmarks",
    "as_uint8_gray",
]


class FaceNotFoundError(ValueError):
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
    rect : tuple of int
        (left, top, right, bottom) of the face rectangle the landmarks were fitted in.
    n_faces : int or None
        Faces found by the detector (the largest was used); None when ``rect`` was given.
    """

    landmarks: np.ndarray
    rect: tuple
    n_faces: Optional[int]


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


@functools.lru_cache(maxsize=None)
def _detector():
    import dlib

    with _DETECTOR_LOCK:  # creating it takes ~2 s: never twice
        return dlib.get_frontal_face_detector()


@functools.lru_cache(maxsize=None)
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


def _check_upsample(upsample):
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
    upsample = _check_upsample(upsample)
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


def find_face(frame, *, upsample=DEFAULT_FACE_UPSAMPLE, rect=None, clip_name=None, frame_index=None):
    """Landmarks of the largest face in a frame, with its rectangle and the number of faces.

    Parameters
    ----------
    frame : (H, W) or (H, W, 3) array_like
        Grayscale or RGB image (see :func:`as_uint8_gray`).
    upsample : int, default 1
        See :func:`detect_faces`.
    rect : (left, top, right, bottom) or None
        Fit the landmarks inside this face rectangle and skip detection (e.g. the reference
        frame's rectangle, to track a face through a clip).
    clip_name, frame_index : str, int, optional
        Only used in error messages.

    Returns
    -------
    FaceDetection
        ``(landmarks (68, 2) float64 (x, y), rect, n_faces)``.

    Raises
    ------
    FaceNotFoundError
        The detector found no face (the message names the clip and frame).
    """
    gray = as_uint8_gray(frame)
    if rect is None:
        faces = detect_faces(gray, upsample=upsample)
        if not faces:
            hint = ""
            if gray.max() <= 1:
                hint = " The frame's values are all <= 1: pass pixels on the 0..255 scale."
            raise FaceNotFoundError(
                f"no face found in {_where(clip_name, frame_index)} ({gray.shape[0]}x{gray.shape[1]} px, "
                f"upsample={upsample}); dlib's HOG detector needs a roughly frontal face of at least "
                f"~{80 // (2 ** upsample)} px.{hint}",
                clip_name=clip_name,
                frame_index=frame_index,
            )
        rect, n_faces = faces[0], len(faces)
    else:
        rect, n_faces = _check_rect(rect, gray.shape), None
    import dlib

    shape = _predictor(predictor_path())(gray, dlib.rectangle(*rect))
    landmarks = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
    return FaceDetection(landmarks, tuple(int(v) for v in rect), n_faces)


def detect_landmarks(frame, *, upsample=DEFAULT_FACE_UPSAMPLE, rect=None, clip_name=None, frame_index=None):
    """68 dlib landmarks of the largest face in a frame.

    Parameters
    ----------
    frame : (H, W) or (H, W, 3) array_like
        Grayscale or RGB image; uint8, or another numeric dtype on the 0..255 scale.
    upsample : int, default 1
        See :func:`detect_faces`.
    rect : (left, top, right, bottom) or None
        Skip detection and fit inside this rectangle.
    clip_name, frame_index : str, int, optional
        Named in the error message and warning.

    Returns
    -------
    landmarks : (68, 2) ndarray of float64
        (x, y) = (column, row), dlib's 0-based 68-point order (jaw 0-16, brows 17-26, nose 27-35,
        eyes 36-47, mouth 48-67). dlib returns integer pixel positions.

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
    det = find_face(frame, upsample=upsample, rect=rect, clip_name=clip_name, frame_index=frame_index)
    if det.n_faces is not None and det.n_faces > 1:
        warnings.warn(
            f"{det.n_faces} faces found in {_where(clip_name, frame_index)}; using the largest, rect={det.rect}",
            MultipleFacesWarning,
            stacklevel=2,
        )
    return det.landmarks
