"""Input validation shared by descriptors and transformers (numpy only).

Every public front function validates here and passes C-contiguous, typed arrays to
the kernels, which check nothing. Errors name the parameter and the numbers and say
what to do; kernels never see a bad input, so users never see a numba traceback.

Kernels never write to their inputs, so read-only arrays (joblib memmaps) are accepted
as they are; a non-contiguous array is copied once.
"""

import numbers

import numpy as np

from mefeat._config import SUPPORTED_FRAME_DTYPES

__all__ = [
    "check_clip",
    "check_frame",
    "check_flow",
    "check_flows",
    "check_landmarks",
    "check_int_tuple",
    "check_option",
    "check_finite",
    "check_n_jobs",
    "n_workers",
    "check_n_threads",
]


def _frames_of(x):
    # A mefeat.Clip (or anything with a ``frames`` attribute) -> its frames.
    return getattr(x, "frames", x)


def _check_dtype(arr, name):
    if arr.dtype == object:
        raise TypeError(f"{name} has dtype object; pass a numeric array, e.g. np.asarray({name}, dtype=np.uint8)")
    if arr.dtype == bool:
        raise TypeError(f"{name} has dtype bool; convert it first, e.g. {name}.astype(np.uint8) * 255")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} has complex dtype {arr.dtype}; pass its real magnitude, e.g. np.abs({name})")
    if arr.dtype.name not in SUPPORTED_FRAME_DTYPES:
        raise TypeError(
            f"{name} has unsupported dtype {arr.dtype}; supported: {', '.join(SUPPORTED_FRAME_DTYPES)} "
            f"(convert with {name}.astype(np.float64))"
        )


def check_finite(arr, name):
    """Raise ValueError if a floating array holds NaN or inf (integer arrays pass)."""
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        n_bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {n_bad} NaN or infinite value(s); clean or interpolate them first")
    return arr


def check_clip(clip, *, name="clip", min_frames=1, min_size=(1, 1), dtype=None):
    """Validate a grayscale clip and return it as a C-contiguous array.

    Parameters
    ----------
    clip : (T, H, W) array_like or mefeat.Clip
        Grayscale frames (a :class:`mefeat.Clip` is unwrapped to its ``frames``).
    name : str
        Name used in error messages.
    min_frames : int
        Smallest acceptable T.
    min_size : (int, int)
        Smallest acceptable (H, W).
    dtype : numpy dtype or None
        Cast to this dtype (exactly, no rounding check); None keeps the input dtype
        when it is one of ``SUPPORTED_FRAME_DTYPES``.

    Returns
    -------
    clip : (T, H, W) ndarray
        C-contiguous; the input itself when nothing needed to change.

    Raises
    ------
    TypeError
        Unsupported dtype (bool, complex, object, float16, ...).
    ValueError
        Wrong number of dimensions, too few frames, frames too small, NaN or inf.
    """
    arr = np.asarray(_frames_of(clip))
    if arr.ndim == 4 and arr.shape[-1] in (3, 4):
        raise ValueError(
            f"{name} has shape {arr.shape}, which looks like a colour clip (T, H, W, {arr.shape[-1]}); "
            "mefeat descriptors take grayscale (T, H, W) clips: convert each frame first, e.g. "
            "skimage.color.rgb2gray or cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)"
        )
    if arr.ndim != 3:
        raise ValueError(f"{name} must be a 3-D (T, H, W) array, got {arr.ndim}-D with shape {arr.shape}")
    _check_dtype(arr, name)
    T, H, W = arr.shape
    if T < min_frames:
        raise ValueError(f"{name} has {T} frame(s); at least {min_frames} are needed")
    if H < min_size[0] or W < min_size[1]:
        raise ValueError(f"{name} frames are {H}x{W} (HxW); at least {min_size[0]}x{min_size[1]} are needed")
    check_finite(arr, name)
    if dtype is not None and arr.dtype != np.dtype(dtype):
        arr = arr.astype(dtype)
    return np.ascontiguousarray(arr)


def check_frame(frame, *, name="frame", dtype=None):
    """Validate one grayscale (H, W) frame; same rules as :func:`check_clip`."""
    arr = np.asarray(frame)
    if arr.ndim == 3 and arr.shape[-1] in (3, 4):
        raise ValueError(
            f"{name} has shape {arr.shape}, which looks like a colour image; pass a grayscale (H, W) frame"
        )
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (H, W) array, got {arr.ndim}-D with shape {arr.shape}")
    _check_dtype(arr, name)
    check_finite(arr, name)
    if dtype is not None and arr.dtype != np.dtype(dtype):
        arr = arr.astype(dtype)
    return np.ascontiguousarray(arr)


def check_flow(flow, *, name="flow", dtype=np.float64):
    """Validate one flow field ``(H, W, 2)`` with ``[..., 0] = u`` (x) and ``[..., 1] = v`` (y, down)."""
    arr = np.asarray(flow)
    if arr.ndim != 3 or arr.shape[-1] != 2:
        raise ValueError(f"{name} must have shape (H, W, 2) with [..., 0]=u, [..., 1]=v; got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{name} has dtype {arr.dtype}; pass a float array")
    check_finite(arr, name)
    return np.ascontiguousarray(arr, dtype=dtype)


def check_flows(flows, *, name="flows", dtype=np.float64, min_flows=1):
    """Validate a stack of flow fields ``(N, H, W, 2)`` (a single ``(H, W, 2)`` is refused)."""
    arr = np.asarray(flows)
    if arr.ndim != 4 or arr.shape[-1] != 2:
        raise ValueError(f"{name} must have shape (N, H, W, 2); got shape {arr.shape}")
    if arr.shape[0] < min_flows:
        raise ValueError(f"{name} holds {arr.shape[0]} flow field(s); at least {min_flows} are needed")
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{name} has dtype {arr.dtype}; pass a float array")
    check_finite(arr, name)
    return np.ascontiguousarray(arr, dtype=dtype)


def check_landmarks(landmarks, *, name="landmarks", n_points=68):
    """Validate landmarks ``(n_points, 2)`` as (x, y) = (column, row) float64."""
    arr = np.asarray(landmarks)
    if arr.shape != (n_points, 2):
        raise ValueError(f"{name} must have shape ({n_points}, 2) as (x, y) columns; got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{name} has dtype {arr.dtype}; pass a numeric array")
    check_finite(arr, name)
    return np.ascontiguousarray(arr, dtype=np.float64)


def check_int_tuple(value, *, name, length, minimum=None):
    """Validate a tuple of ``length`` integers (an int is broadcast) and return it as a tuple."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (int(value),) * length
    try:
        out = tuple(value)
    except TypeError:
        raise TypeError(f"{name} must be an int or a sequence of {length} ints, got {value!r}") from None
    if len(out) != length:
        raise ValueError(f"{name} must have {length} entries, got {len(out)}: {value!r}")
    for v in out:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must hold integers, got {value!r}")
    out = tuple(int(v) for v in out)
    if minimum is not None and min(out) < minimum:
        raise ValueError(f"{name} entries must be >= {minimum}, got {out}")
    return out


def check_option(value, *, name, options):
    """Check that ``value`` is one of ``options`` (strings, or None when listed)."""
    if value not in options:
        shown = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {shown}; got {value!r}")
    return value


def check_n_jobs(n_jobs, *, name="n_jobs"):
    """``n_jobs`` as None or a non-zero int: mefeat's one rule for worker counts (joblib's convention).

    Parameters
    ----------
    n_jobs : int or None
        A positive count; -1 every core, -2 every core but one (``n_cpus + 1 + n_jobs``); None the
        default of the caller.
    name : str
        Name used in the error message (``"--n-jobs"`` for a command line).

    Returns
    -------
    int or None

    Raises
    ------
    ValueError
        0, a bool, or not an integer.

    Examples
    --------
    >>> check_n_jobs(-2), check_n_jobs(None)
    (-2, None)
    """
    if n_jobs is None:
        return None
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ValueError(f"{name} must be None, a positive int or a negative int counted from the cores "
                         f"(-1 = all cores, -2 = all but one), got {n_jobs!r}")
    return int(n_jobs)


def n_workers(n_jobs, n_cpus):
    """The number of workers that a checked ``n_jobs`` (:func:`check_n_jobs`) means on ``n_cpus`` cores.

    None and -1: ``n_cpus``; a negative count: ``n_cpus + 1 + n_jobs`` (at least 1); a positive count:
    itself.

    Examples
    --------
    >>> n_workers(None, 8), n_workers(-2, 8), n_workers(3, 8), n_workers(-20, 8)
    (8, 7, 3, 1)
    """
    if n_jobs is None:
        return int(n_cpus)
    return int(n_jobs) if n_jobs > 0 else max(1, int(n_cpus) + 1 + int(n_jobs))


def check_n_threads(n_threads, *, limit=None, limit_name="the thread limit", name="n_threads"):
    """``n_threads`` as None or an int >= 1, at most ``limit``: mefeat's one rule for thread counts.

    Parameters
    ----------
    n_threads : int or None
    limit : int or None
        Largest count accepted; None: no limit.
    limit_name : str
        What ``limit`` is, for the message (``"NUMBA_NUM_THREADS"``).
    name : str
        Name used in the error messages.

    Returns
    -------
    int or None

    Raises
    ------
    ValueError
        Not an int >= 1, or more than ``limit``.
    """
    if n_threads is None:
        return None
    if isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral) or n_threads < 1:
        raise ValueError(f"{name} must be None or an int >= 1, got {n_threads!r}")
    if limit is not None and n_threads > limit:
        raise ValueError(f"{name}={n_threads} exceeds {limit_name}={limit}; pass a smaller {name} or None")
    return int(n_threads)
