"""Streaming over long videos: frames read one at a time, aligned once per video, in bounded memory.

A spotter needs a few frames around the current one (the MDMD spotter frames i-k, i and i+k),
never the whole video: :func:`iter_aligned_frames` decodes and warps one frame at a time with a
single face transform fitted on the video's first frame (``align_frames`` on that frame), and the
spotters keep a window of 2k + 1 frames (or of their per-frame features) in a ring buffer. Peak
memory is therefore about (2k + 1) x size² bytes (SAMM-LV macro-expressions: k = 260, 128 px crops:
8.5 MB), whatever the length of the video.
"""

import math

import numpy as np

__all__ = ["ms_to_frames", "iter_aligned_frames"]


def ms_to_frames(ms, fps):
    """A duration in milliseconds as a whole number of frames (rounded half up, at least 1).

    Parameters
    ----------
    ms : float
    fps : float

    Returns
    -------
    int

    Examples
    --------
    >>> ms_to_frames(400, 30), ms_to_frames(400, 200)      # the MDMD micro-expression k of MEGC 2020
    (12, 80)
    >>> ms_to_frames(1300, 30), ms_to_frames(1300, 200)    # ... and its macro-expression k
    (39, 260)
    """
    if not (isinstance(fps, (int, float, np.integer, np.floating)) and fps > 0 and math.isfinite(fps)):
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    if not (isinstance(ms, (int, float, np.integer, np.floating)) and ms >= 0 and math.isfinite(ms)):
        raise ValueError(f"a duration in ms must be a non-negative number, got {ms!r}")
    return max(1, int(math.floor(ms * fps / 1000.0 + 0.5)))


def iter_aligned_frames(frames, *, size=128, align=True, landmarks=None):
    """Yield the frames of a video one at a time, face-aligned with one transform for the whole video.

    Parameters
    ----------
    frames : iterable of path or (H, W) ndarray
        Frame files (decoded to uint8 grayscale) or arrays, in order. Read lazily.
    size : int, default 128
        Side of the aligned crop.
    align : bool, default True
        False: yield the decoded frames unchanged (already cropped faces, e.g. the demo).
    landmarks : (68, 2) array_like, optional
        Landmarks of the first frame (source pixels); skips the face detection.

    Yields
    ------
    (size, size) uint8 ndarray (or the frame itself when ``align=False``)

    Notes
    -----
    The transform is fitted on the first frame (:func:`mefeat.face.align_frames` on it) and applied to
    every frame with :func:`mefeat.face.warp_face`: head motion within the video is not compensated,
    as in the MEGC 2020 baseline, which crops each video once. Memory: one source frame at a time.
    """
    from mefeat._frames import decode_frame

    def read(f):
        if isinstance(f, np.ndarray):
            return f
        with open(f, "rb") as fh:
            return decode_frame(fh.read(), f)

    M = None
    for f in frames:
        img = read(f)
        if not align:
            yield img
            continue
        if M is None:
            from mefeat.face import align_frames

            res = align_frames([img], size=size, landmarks=landmarks)
            M = np.asarray(res.meta["transform"], np.float64)
            yield res.frames[0]
            continue
        from mefeat.face import warp_face

        w = warp_face(img, M, size)
        yield w if w.dtype == np.uint8 else np.clip(np.rint(w), 0, 255).astype(np.uint8)
