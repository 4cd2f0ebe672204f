"""scikit-learn clip-to-clip transformers: FaceAligner and TemporalNormalizer.

``FaceAligner`` pairs with :func:`mefeat.face.align_clip`, ``TemporalNormalizer`` with
:func:`mefeat.temporal.normalize_clip`.
"""

import numbers

import numpy as np

from mefeat._config import DEFAULT_TIM_FRAMES
from mefeat._validation import check_option
from mefeat.face import align_clip
from mefeat.transformers._base import ClipToClipTransformer, check_n_jobs, check_verbose, defaults_of

__all__ = ["FaceAligner", "TemporalNormalizer"]

_ALIGN = defaults_of(align_clip)


def _check_n_jobs(n_jobs):
    check_n_jobs(n_jobs)


class FaceAligner(ClipToClipTransformer):
    """Detect, align and crop the face of every clip (one similarity transform per clip).

    Parameters
    ----------
    size : int, default 128
        Side of the square output crop in pixels (see :func:`mefeat.face.align_clip` for why 128).
    margin : float, default 0.1
        Fraction of the crop left on each side of the template's landmark box.
    reference : {"onset", "apex", "first"} or int, default "onset"
        Frame whose landmarks define the transform.
    per_frame : bool, default False
        Re-fit the transform on every frame (clips with head motion).
    upsample : int, default 1
        dlib detector up-sampling (0 is ~4x faster, needs faces >= ~80 px).
    detect_scale : "auto" or float, default "auto"
        Look for the face on a copy shrunk by this factor, then fit the landmarks at full
        resolution ("auto": by the frame size, so DFME's 1024x768 frames are searched at 1/3;
        1.0: full resolution); see :func:`mefeat.face.find_face`.
    antialias : bool, default True
        Area-average before a shrinking warp.
    border : {"fit", "replicate"}, default "fit"
        ``"fit"``: when the template crop reaches past the frame (a database's tight face crop),
        move and zoom it until it lies inside, so no pixel is invented; crops inside the frame
        are unchanged. ``"replicate"``: keep the template crop and replicate the frame's border.
        See :func:`mefeat.face.align_frames`.
    n_jobs : int or None
        Clips processed in parallel with joblib threads (None or 1: sequential).
    verbose : bool or int, default False
        Show a progress bar (tqdm, on stderr) over the clips.

    See Also
    --------
    mefeat.face.align_clip : Equivalent function without the estimator API.

    Notes
    -----
    Stateless: ``fit`` only validates the parameters. ``transform`` returns a list of
    :class:`mefeat.Clip` whose ``meta["alignment"]`` records the transform, the face count and
    how much of the template crop lay outside the frame (``outside_fraction``, ``fit_zoom``, ...).

    Parallelism uses threads, chosen on evidence: dlib's HOG detector releases the GIL (a Python
    probe thread kept running with gaps <= 8 ms during a 570 ms detection call), and so do OpenCV's
    imread/resize/warpAffine; threads also avoid pickling raw clips (a 270x768x1024 clip is 212 MB)
    to worker processes and re-loading dlib's models in each (~2-6 s per worker; with 2 loky
    processes 6 clips took 6.8 s vs 1.1 s sequential in benchmarks/bench_face.py). Detection calls
    are serialised by a lock (dlib's detector is not safe for concurrent use, one detection per
    clip); decoding, landmarks and warping run in parallel.

    Examples
    --------
    >>> import numpy as np
    >>> from skimage import data
    >>> from mefeat import Clip, FaceAligner
    >>> gray = (data.astronaut() @ [0.299, 0.587, 0.114]).astype(np.uint8)
    >>> [aligned] = FaceAligner(size=96).fit_transform([Clip(np.stack([gray, gray]), name="astro")])
    >>> aligned.frames.shape, aligned.landmarks.shape
    ((2, 96, 96), (68, 2))
    """

    _parallel_prefer = "threads"

    def __init__(
        self,
        *,
        size=_ALIGN["size"],
        margin=_ALIGN["margin"],
        reference=_ALIGN["reference"],
        per_frame=_ALIGN["per_frame"],
        upsample=_ALIGN["upsample"],
        detect_scale=_ALIGN["detect_scale"],
        antialias=_ALIGN["antialias"],
        border=_ALIGN["border"],
        n_jobs=None,
        verbose=False,
    ):
        self.size = size
        self.margin = margin
        self.reference = reference
        self.per_frame = per_frame
        self.upsample = upsample
        self.detect_scale = detect_scale
        self.antialias = antialias
        self.border = border
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self):
        from mefeat.face.align import check_border, check_size_margin
        from mefeat.face.landmarks import check_upsample, detection_factor

        size, margin = check_size_margin(self.size, self.margin)
        ref = self.reference
        if isinstance(ref, str):
            check_option(ref, name="reference", options=("onset", "apex", "first"))
        elif isinstance(ref, bool) or not isinstance(ref, numbers.Integral) or ref < 0:
            raise ValueError(f"reference must be 'onset', 'apex', 'first' or a frame index >= 0, got {ref!r}")
        for name in ("per_frame", "antialias"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be a bool, got {getattr(self, name)!r}")
        detection_factor((1, 1), self.detect_scale)  # raises on a bad detect_scale
        _check_n_jobs(self.n_jobs)
        check_verbose(self.verbose)
        return {
            "size": size,
            "margin": margin,
            "reference": ref,
            "per_frame": bool(self.per_frame),
            "upsample": check_upsample(self.upsample),
            "detect_scale": self.detect_scale,
            "antialias": bool(self.antialias),
            "border": check_border(self.border),
        }

    def _transform_one(self, clip, params):
        from mefeat.face import align_clip

        return align_clip(clip, **params)


class TemporalNormalizer(ClipToClipTransformer):
    """Resample every clip to a fixed number of frames (TIM or linear interpolation).

    Parameters
    ----------
    n_frames : int, default 10
        Output length (10 is the MEGC 2019 LBP-TOP baseline's and meb's default).
    method : {"tim", "linear"}, default "tim"
        :func:`mefeat.temporal.tim` or :func:`mefeat.temporal.linear_interpolate`.
    dtype : numpy dtype, "same" or None, default "same"
        ``"same"``: integer clips (uint8 video) come back rounded and saturated to their own dtype,
        float clips as unrounded float64. None keeps unrounded float64 frames; an integer dtype
        rounds and saturates (e.g. ``np.uint8`` to reproduce meb's rounded TIM).
    n_jobs : int or None
        Clips processed in parallel with joblib threads (numpy's matmul releases the GIL).
    verbose : bool or int, default False
        Show a progress bar (tqdm, on stderr) over the clips.

    See Also
    --------
    mefeat.temporal.normalize_clip : Equivalent function without the estimator API.

    Notes
    -----
    Stateless: ``fit`` only validates. The default ``dtype="same"`` differs from
    :func:`mefeat.temporal.normalize_clip`'s (None, the unrounded reference output) on purpose:
    in a pipeline the next step is usually LBP-TOP, whose sign tests flip on the ~1e-12
    differences between interpolated frames that should be equal, so uint8 video should stay
    uint8. onset/apex/offset are mapped to the nearest output frame
    (:func:`mefeat.temporal.map_index`).

    Examples
    --------
    >>> import numpy as np
    >>> from mefeat import Clip, TemporalNormalizer
    >>> clip = Clip(np.random.default_rng(0).integers(0, 256, (30, 8, 8), dtype=np.uint8), apex=12)
    >>> [short] = TemporalNormalizer(n_frames=10).fit_transform([clip])
    >>> short.frames.shape, short.frames.dtype, short.apex
    ((10, 8, 8), dtype('uint8'), 4)
    """

    _parallel_prefer = "threads"

    def __init__(self, *, n_frames=DEFAULT_TIM_FRAMES, method="tim", dtype="same", n_jobs=None, verbose=False):
        self.n_frames = n_frames
        self.method = method
        self.dtype = dtype
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self):
        from mefeat.temporal import check_n_frames

        n_frames = check_n_frames(self.n_frames)
        check_option(self.method, name="method", options=("tim", "linear"))
        if self.dtype is not None and not (isinstance(self.dtype, str) and self.dtype == "same"):
            try:
                dt = np.dtype(self.dtype)
            except TypeError:
                raise TypeError(f"dtype must be None or a numpy dtype, got {self.dtype!r}") from None
            if not (np.issubdtype(dt, np.integer) or np.issubdtype(dt, np.floating)):
                raise TypeError(f"dtype must be an integer or float dtype, got {dt}")
        _check_n_jobs(self.n_jobs)
        check_verbose(self.verbose)
        return {"n_frames": n_frames, "method": self.method, "dtype": self.dtype}

    def _transform_one(self, clip, params):
        from mefeat.temporal import normalize_clip

        return normalize_clip(clip, params["n_frames"], params["method"], dtype=params["dtype"])
