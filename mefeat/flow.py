"""Dense optical flow between frames (mefeat's TV-L1, OpenCV backends).

Flow fields are ``(H, W, 2)`` float32 arrays with ``[..., 0] = u`` (horizontal, positive to the
right, i.e. towards larger column index) and ``[..., 1] = v`` (vertical, positive **downwards**,
towards larger row index): ``frame1[y + v, x + u] ~ frame0[y, x]``.

OpenCV and the numba kernels are imported inside the functions, so ``import mefeat.flow`` stays cheap.
``mefeat.flow.optical_strain`` is :func:`mefeat.descriptors.optical_strain` (it lives beside the
descriptors; still importable from here).
"""

import warnings

import numpy as np

from mefeat._config import DEFAULT_FLOW_METHOD, DIS_DEFAULTS, FARNEBACK_DEFAULTS, TVL1_DEFAULTS, TVL1_MEFEAT_OPTIONS
from mefeat._registry import WarmUp, register_warm_up
from mefeat._validation import check_clip, check_frame, check_n_jobs, check_option, n_workers

__all__ = ["compute_flow", "clip_flows", "FLOW_METHODS", "flow_pairs", "clip_apex_index"]

#: Flow backends and their default parameters (keyword names accepted by :func:`compute_flow`).
#: ``"tvl1"`` is mefeat's numba TV-L1 and ``"tvl1_opencv"`` OpenCV's DualTVL1, with the same defaults.
FLOW_METHODS = {"tvl1": {**TVL1_DEFAULTS, **TVL1_MEFEAT_OPTIONS}, "tvl1_opencv": TVL1_DEFAULTS,
                "dis": DIS_DEFAULTS, "farneback": FARNEBACK_DEFAULTS}

_DIS_PRESETS = ("ultrafast", "fast", "medium")
_TVL1_BORDERS = ("zero", "replicate")
#: Typical cold compile seconds of the TV-L1 kernel (quoted by the compile notice).
TVL1_COMPILE_SECONDS = 7.0
#: Version of mefeat's TV-L1 (``"tvl1"``: the numba kernel and its driver here). Raise it with every change that
#: alters its flows; the extraction manifest records it beside each flow table's parameters.
TVL1_IMPLEMENTATION_VERSION = 1
_MODES = ("onset_apex", "onset_each", "consecutive")


def check_flow_params(method, params):
    """The parameters of flow backend ``method``: its defaults updated with ``params`` (unknown names raise)."""
    check_option(method, name="method", options=tuple(FLOW_METHODS))
    defaults = FLOW_METHODS[method]
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {', '.join(unknown)} for method={method!r}; valid parameters: "
            + ", ".join(f"{k} (default {v!r})" for k, v in defaults.items())
        )
    out = dict(defaults)
    out.update(params)
    if method == "dis":
        check_option(out["preset"], name="preset", options=_DIS_PRESETS)
    if method.startswith("tvl1"):
        _check_tvl1_params(method, out)
    return out


def _check_tvl1_params(method, p):
    for name in ("tau", "lambda_", "theta", "scale_step"):
        v = p[name]
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not v > 0:
            raise ValueError(f"method={method!r}: {name} must be a positive number; got {v!r}")
    if not p["scale_step"] < 1:
        raise ValueError(f"method={method!r}: scale_step must be in (0, 1); got {p['scale_step']!r}")
    for name in ("epsilon", "gamma"):
        v = p[name]
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not v >= 0:
            raise ValueError(f"method={method!r}: {name} must be a number >= 0; got {v!r}")
    for name in ("nscales", "warps", "inner_iterations", "outer_iterations"):
        v = p[name]
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"method={method!r}: {name} must be an int >= 1; got {v!r}")
    if p["median_filtering"] not in (0, 1, 3, 5) or isinstance(p["median_filtering"], bool):
        raise ValueError(f"method={method!r}: median_filtering must be 0 or 1 (off), 3 or 5 (the median sizes "
                         f"OpenCV's TV-L1 supports on float images); got {p['median_filtering']!r}")
    if method == "tvl1":
        if p["gamma"] != 0:
            raise ValueError("method='tvl1' has no illumination term: gamma must be 0; "
                             "method='tvl1_opencv' (OpenCV's DualTVL1) supports gamma > 0")
        check_option(p["border"], name="border", options=_TVL1_BORDERS)


def _tvl1_flows(frames, pairs, p, out):
    """mefeat's TV-L1 (:mod:`mefeat._kernels.tvl1`) of ``pairs`` of ``frames`` into ``out[n]`` (one thread,
    one work array for all the pairs)."""
    from mefeat._jit import compile_notice
    from mefeat._kernels import tvl1 as K

    H, W = frames.shape[1:]
    sizes = K.tvl1_level_sizes((H, W), p["nscales"], p["scale_step"])
    fp = np.array([p["tau"], p["lambda_"], p["theta"], p["epsilon"], p["scale_step"]], np.float64)
    border = K.BORDER_ZERO if p["border"] == "zero" else K.BORDER_REPLICATE
    network, target = K.median_network(int(p["median_filtering"]))
    ip = np.array([p["warps"], p["inner_iterations"], p["outer_iterations"], p["median_filtering"], border,
                   target], np.int64)
    scratch = K.tvl1_scratch((H, W), len(sizes))
    buf = np.empty(K.tvl1_buffer_size(W, int(p["median_filtering"])), np.float32)
    info = np.zeros((len(sizes), 3), np.int64)
    with compile_notice("TV-L1 optical flow", TVL1_COMPILE_SECONDS):
        for n, (i, j) in pairs:
            K.tvl1_kernel(frames[i], frames[j], sizes, fp, ip, network, scratch, buf, out[n], info)
    return out


def _tvl1_clip(frames, pairs, p, n_jobs):
    """(N, H, W, 2) flows of ``pairs`` by mefeat's TV-L1; the frames are converted to float32 once (the
    onset frame is shared by its pairs); ``n_jobs`` threads (the kernel releases the GIL), each with its
    own work arrays, over interleaved subsets of the pairs."""
    arr = np.ascontiguousarray(frames, dtype=np.float32)
    H, W = arr.shape[1:]
    if min(H, W) < 2:
        raise ValueError(f"TV-L1 needs frames of at least 2x2 pixels; got {H}x{W}")
    out = np.empty((len(pairs), H, W, 2), np.float32)
    jobs = list(enumerate(pairs))
    if n_jobs is None or n_jobs == 1 or len(jobs) == 1:
        return _tvl1_flows(arr, jobs, p, out)
    import os

    from joblib import Parallel, delayed

    k = max(1, min(n_workers(n_jobs, os.cpu_count() or 1), len(jobs)))
    Parallel(n_jobs=k, prefer="threads")(delayed(_tvl1_flows)(arr, jobs[c::k], p, out) for c in range(k))
    return out


def _as_cv_image(frame, need_uint8):
    # uint8 stays as it is; other dtypes are intensities on the 0-255 scale. OpenCV's TV-L1 multiplies
    # float input by 255 (it expects [0, 1]), so float frames go in as float32 / 255, which gives
    # exactly the uint8 result on integer-valued frames.
    if frame.dtype == np.uint8:
        return frame
    if need_uint8:
        return np.clip(np.rint(frame), 0, 255).astype(np.uint8)
    return (frame / 255.0).astype(np.float32)


def compute_flow(frame0, frame1, *, method=DEFAULT_FLOW_METHOD, **params):
    """Dense optical flow from ``frame0`` to ``frame1``.

    Parameters
    ----------
    frame0, frame1 : (H, W) ndarray
        Grayscale frames of the same shape. uint8 is used as is; any other dtype is taken as
        intensities on the **0-255 scale** (float frames in [0, 1] must be multiplied by 255: the
        TV-L1 ``lambda_`` and the Farneback/DIS thresholds assume that range; a warning is issued when
        float frames look like [0, 1] data). ``"dis"`` and ``"farneback"`` need 8-bit input, so other
        dtypes are rounded and clipped to uint8 for them; ``"tvl1"`` computes on ``float32(frame)``,
        ``"tvl1_opencv"`` gets ``float32(frame / 255)`` (OpenCV's TV-L1 rescales float input by 255);
        integer-valued float frames give exactly the uint8 result.
    method : {"tvl1", "tvl1_opencv", "dis", "farneback"}, default "tvl1"
        ``"tvl1"``: mefeat's TV-L1 (:mod:`mefeat._kernels.tvl1`, numba), the default of every flow
        descriptor: the Zach-Pock-Bischof duality-based TV-L1 exactly as OpenCV's ``DualTVL1`` computes
        it, 3-4x faster. ``"tvl1_opencv"``: ``cv2.optflow.DualTVL1OpticalFlow`` itself (the reference
        implementation; the only one with ``gamma > 0``). ``"dis"``: ``cv2.DISOpticalFlow`` (dense
        inverse search): about 20x cheaper than ``"tvl1"``, less accurate on real micro-motion.
        ``"farneback"``: ``cv2.calcOpticalFlowFarneback``.
    **params
        Backend parameters; unknown names raise ValueError listing the valid ones.

        * ``"tvl1"`` and ``"tvl1_opencv"``: ``tau=0.25, lambda_=0.15, theta=0.3, nscales=5,
          scale_step=0.5, warps=5, epsilon=0.01, inner_iterations=30, outer_iterations=10, gamma=0.0,
          median_filtering=5`` (the IPOL settings used by the Bi-WOOF authors: tau .25, lambda .15,
          theta .3, 5 scales, zoom .5, 5 warps, eps .01; ``median_filtering`` 0 or 1 = off, 3 or 5).
          ``"tvl1"`` also takes ``border="zero"`` (OpenCV's warp: 0 outside the frame) or
          ``"replicate"`` (IPOL's), and only ``gamma=0``.
        * ``"dis"``: ``preset="medium"`` (``"ultrafast"``, ``"fast"``, ``"medium"``).
        * ``"farneback"``: ``pyr_scale=0.5, levels=3, winsize=15, iterations=3, poly_n=5,
          poly_sigma=1.2, flags=0`` (meb's MDMO settings).

    Returns
    -------
    flow : (H, W, 2) ndarray of float32
        ``[..., 0] = u`` (x, right), ``[..., 1] = v`` (y, down).

    Raises
    ------
    ValueError
        Frames not 2-D, of different shapes, containing NaN/inf; unknown method or parameter.
    TypeError
        Unsupported dtype (bool, complex, object).

    Notes
    -----
    Why TV-L1 is the default: it is the flow of the published Bi-WOOF/STSTNet pipelines, and on real
    CASME II frames it beats DIS by 0.04-0.10 UF1 on every flow descriptor. mefeat's ``"tvl1"``
    computes OpenCV's algorithm step for step in float32 (same pyramid, bicubic warp with zero outside
    the frame, thresholding, primal-dual updates, 5x5 median, stopping rule); what differs is the
    schedule (one fused pass per iteration, no allocation; see :mod:`mefeat._kernels.tvl1`). With a fixed
    number of iterations the two agree to float rounding (mean end-point error about 1e-5 px). At the
    authors' ``epsilon`` both stop on a tolerance, so the iteration at which they stop, and hence the
    flow, moves with any rounding difference: on realistic 128 px micro-motion clips the two differ by a
    mean of about 0.005 px and descriptors by 1-4 %, the same as OpenCV against itself when one pixel
    changes by 0.01 gray level; their errors against the true flow are equal
    (``benchmarks/bench_flow.py``). mefeat's costs about 26 ms per 128 px pair on one core, OpenCV's
    about 95 ms.

    OpenCV's TV-L1 is not the IPOL C implementation (Sanchez, Meinhardt-Llopis, Facciolo 2013) that
    the Bi-WOOF/STSTNet authors ran. With identical parameters on a real CASME II clip the two agree
    to a median end-point error of 0.07 px (98.6 % of pixels within 1 px), but they differ near the
    image border, mostly in the bottom 34 rows (boundary handling: mean v 0.53 px for IPOL vs
    0.11 px for OpenCV; ``border="replicate"`` gives IPOL's boundary handling). Features computed with
    ``"tvl1"`` are therefore close to, not identical with, the published pipelines; crop the borders if
    that matters. TV-L1 stops on ``epsilon``, so its cost grows on noisy frames.

    References
    ----------
    .. [1] C. Zach, T. Pock, H. Bischof, "A duality based approach for realtime TV-L1 optical flow",
       DAGM 2007, doi:10.1007/978-3-540-74936-3_22.
    .. [2] J. Sanchez, E. Meinhardt-Llopis, G. Facciolo, "TV-L1 optical flow estimation", IPOL 3
       (2013) 137-150, doi:10.5201/ipol.2013.26.
    .. [3] T. Kroeger et al., "Fast optical flow using dense inverse search", ECCV 2016,
       doi:10.1007/978-3-319-46493-0_29.
    .. [4] G. Farneback, "Two-frame motion estimation based on polynomial expansion", SCIA 2003,
       doi:10.1007/3-540-45103-X_50.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> f0 = rng.integers(0, 256, (32, 32), dtype=np.uint8)
    >>> compute_flow(f0, f0, method="dis").shape
    (32, 32, 2)
    >>> compute_flow(f0, np.roll(f0, 1, axis=1), warps=1, outer_iterations=1, inner_iterations=3).dtype
    dtype('float32')
    """
    f0 = check_frame(frame0, name="frame0")
    f1 = check_frame(frame1, name="frame1")
    if f0.shape != f1.shape:
        raise ValueError(f"frame0 and frame1 must have the same shape; got {f0.shape} and {f1.shape}")
    p = check_flow_params(method, params)
    for f, name in ((f0, "frame0"), (f1, "frame1")):
        if np.issubdtype(f.dtype, np.floating) and f.size and f.max() <= 1.0 and f.max() > f.min():
            warnings.warn(
                f"{name} is a float frame with values in [0, 1]; flow parameters assume intensities on the "
                "0-255 scale: pass frame * 255 (or uint8)", UserWarning, stacklevel=2
            )
            break
    if method == "tvl1":
        return _tvl1_clip(np.stack([f0, f1]), [(0, 1)], p, None)[0]
    import cv2

    if method == "tvl1_opencv":
        if f0.dtype != f1.dtype:
            f0, f1 = f0.astype(np.float64), f1.astype(np.float64)
        a = _as_cv_image(f0, False)
        b = _as_cv_image(f1, False)
        algo = cv2.optflow.DualTVL1OpticalFlow_create(
            tau=float(p["tau"]), lambda_=float(p["lambda_"]), theta=float(p["theta"]),
            nscales=int(p["nscales"]), warps=int(p["warps"]), epsilon=float(p["epsilon"]),
            innnerIterations=int(p["inner_iterations"]), outerIterations=int(p["outer_iterations"]),
            scaleStep=float(p["scale_step"]), gamma=float(p["gamma"]),
            medianFiltering=int(p["median_filtering"]), useInitialFlow=False,
        )
        flow = algo.calc(a, b, None)
    elif method == "dis":
        a = _as_cv_image(f0, True)
        b = _as_cv_image(f1, True)
        preset = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
                  "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}[p["preset"]]
        flow = cv2.DISOpticalFlow_create(preset).calc(a, b, None)
    else:
        a = _as_cv_image(f0, True)
        b = _as_cv_image(f1, True)
        flow = cv2.calcOpticalFlowFarneback(
            a, b, None, float(p["pyr_scale"]), int(p["levels"]), int(p["winsize"]), int(p["iterations"]),
            int(p["poly_n"]), float(p["poly_sigma"]), int(p["flags"]),
        )
    return np.ascontiguousarray(flow, dtype=np.float32)


def flow_pairs(n_frames, *, mode="onset_apex", onset=0, apex=None):
    """Frame index pairs ``(i, j)`` (flow from frame i to frame j) of a clip flow mode.

    Parameters
    ----------
    n_frames : int
    mode : {"onset_apex", "onset_each", "consecutive"}
        ``"onset_apex"``: ``[(onset, apex)]``; ``"onset_each"``: ``(onset, t)`` for every
        ``t > onset``; ``"consecutive"``: ``(t, t + 1)`` for ``onset <= t < n_frames - 1``.
    onset : int
    apex : int or None
        Required by ``"onset_apex"``.

    Returns
    -------
    pairs : list of (int, int)

    Raises
    ------
    ValueError
        Unknown mode, indices out of range, apex missing or not after onset, fewer than 2 frames.
    """
    check_option(mode, name="mode", options=_MODES)
    if not 0 <= onset < n_frames:
        raise ValueError(f"onset={onset} is outside the clip's frames 0..{n_frames - 1}")
    if mode == "onset_apex":
        if apex is None:
            raise ValueError("mode='onset_apex' needs an apex index: pass apex=... or a Clip with an apex")
        if not onset < apex < n_frames:
            raise ValueError(f"apex={apex} must satisfy onset={onset} < apex <= {n_frames - 1}")
        return [(onset, apex)]
    if onset >= n_frames - 1:
        raise ValueError(f"mode={mode!r} needs at least one frame after onset={onset}; the clip has {n_frames}")
    if mode == "onset_each":
        return [(onset, t) for t in range(onset + 1, n_frames)]
    return [(t, t + 1) for t in range(onset, n_frames - 1)]


def clip_apex_index(clip):
    """Apex used for onset->apex flow: the annotated apex, else the middle of onset..offset (or of
    the clip), else (when that middle is the onset itself, e.g. 2-frame clips) the last frame."""
    if clip.apex is not None:
        return clip.apex
    mid = clip.apex_or_middle
    return mid if mid > clip.onset else clip.n_frames - 1


def _flow_chunk(frames, pairs, method, params, single_thread):
    if single_thread:
        import cv2

        cv2.setNumThreads(1)
    return [compute_flow(frames[i], frames[j], method=method, **params) for i, j in pairs]


def clip_flows(frames, *, mode="onset_apex", onset=None, apex=None, method=DEFAULT_FLOW_METHOD, n_jobs=None,
               **params):
    """Optical flows of a clip: onset to apex, onset to each frame, or consecutive pairs.

    Parameters
    ----------
    frames : (T, H, W) ndarray or mefeat.Clip
        A :class:`mefeat.Clip` supplies its ``onset`` and ``apex_or_middle`` unless given here.
    mode : {"onset_apex", "onset_each", "consecutive"}
        See :func:`flow_pairs`.
    onset : int or None
        None: the clip's onset (0 for arrays).
    apex : int or None
        None: the clip's apex (when not annotated: the middle of onset..offset, or the last frame
        when that middle is the onset); arrays need it for ``"onset_apex"``.
    method : {"tvl1", "tvl1_opencv", "dis", "farneback"}, default "tvl1"
        See :func:`compute_flow`.
    n_jobs : int or None
        None: one call after another (mefeat's ``"tvl1"`` on one thread; OpenCV's backends with OpenCV's
        own threading as configured). An int k: k Python threads. ``"tvl1"``: each thread takes every
        k-th pair with its own work arrays (the kernel releases the GIL); the frames are converted to
        float32 once for all pairs. OpenCV's backends: each pair on a single OpenCV thread
        (``cv2.setNumThreads(1)`` for the duration of the call, restored afterwards). Threads avoid
        process start-up and pickling. -1 means all cores.
    **params
        Backend parameters, see :func:`compute_flow`.

    Returns
    -------
    flows : (N, H, W, 2) ndarray of float32
        One flow per pair, in the order of :func:`flow_pairs`.

    Raises
    ------
    ValueError
        Bad clip, mode, indices, method or parameters.
    """
    clip_onset = getattr(frames, "onset", 0)
    clip_apex = clip_apex_index(frames) if hasattr(frames, "frames") else None
    arr = check_clip(frames, name="frames", min_frames=2)
    onset = clip_onset if onset is None else int(onset)
    apex = clip_apex if apex is None else int(apex)
    pairs = flow_pairs(arr.shape[0], mode=mode, onset=onset, apex=apex)
    p = check_flow_params(method, params)
    check_n_jobs(n_jobs)
    if method == "tvl1":
        return _tvl1_clip(arr, pairs, p, n_jobs)
    if n_jobs is None or n_jobs == 1 or len(pairs) == 1:
        if n_jobs == 1:
            import cv2

            old = cv2.getNumThreads()
            try:
                flows = _flow_chunk(arr, pairs, method, p, True)
            finally:
                cv2.setNumThreads(old)
        else:
            flows = _flow_chunk(arr, pairs, method, p, False)
    else:
        import os

        import cv2
        from joblib import Parallel, delayed

        k = max(1, min(n_workers(n_jobs, os.cpu_count() or 1), len(pairs)))
        old = cv2.getNumThreads()
        try:
            # one task per pair (TV-L1's cost varies from pair to pair); joblib batches cheap ones
            parts = Parallel(n_jobs=k, prefer="threads", batch_size="auto")(
                delayed(_flow_chunk)(arr, [pair], method, p, True) for pair in pairs
            )
        finally:
            cv2.setNumThreads(old)
        flows = [part[0] for part in parts]
    H, W = arr.shape[1:]
    out = np.empty((len(pairs), H, W, 2), np.float32)
    for n, f in enumerate(flows):
        out[n] = f
    return out


def _warm_up_tvl1():
    f = np.zeros((16, 16), np.uint8)  # every parameter goes into arrays: one specialisation for all settings
    compute_flow(f, f, method="tvl1", warps=1, outer_iterations=1, inner_iterations=1)


#: How :func:`mefeat.descriptors.warm_up` compiles the TV-L1 kernel ahead of time (warm-up name ``"tvl1"``,
#: listed by every flow descriptor's declaration: each runs the default flow first).
TVL1_WARM_UP = register_warm_up("tvl1", WarmUp(_warm_up_tvl1, ("tvl1.tvl1_kernel",), seconds=TVL1_COMPILE_SECONDS))


def __getattr__(name):
    # optical_strain moved to mefeat.descriptors (beside the descriptors that use it); still importable from here
    if name == "optical_strain":
        from mefeat.descriptors import optical_strain

        return optical_strain
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
