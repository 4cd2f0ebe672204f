"""Training-free spotters for long videos: MDMD (MEGC 2020 baseline) and the LBP chi-squared feature difference.

Both compute a per-frame signal over a stream of face-aligned frames (bounded memory, see
:mod:`mefeat.spotting.stream`), turn it into a contrast, threshold it with
``T = mean(C) + p (max(C) - mean(C))`` over the video, and output intervals labelled micro or
macro. Windows and durations are given in milliseconds and converted with
:func:`mefeat.spotting.stream.ms_to_frames`, so one setting serves 30 fps (CAS(ME)²) and 200 fps
(SAMM Long Videos).
"""

import collections
import math

import numpy as np

from mefeat.spotting.stream import iter_aligned_frames, ms_to_frames

__all__ = [
    "MDMD_K_MS", "MDMD_P", "MDMD_BLOCKS", "MICRO_LENGTH_MS", "LBP_K_MS", "SPOT_FLOW_METHOD",
    "type_lengths", "mdmd_block_values", "mdmd_value", "mdmd_signal", "lbp_block_histograms", "lbp_chi2_signal",
    "contrast", "threshold_runs", "MDMDSpotter", "LBPChi2Spotter",
]

#: MDMD interval k per expression type (ms): 400 ms = 12 frames at 30 fps and 80 at 200 fps; 1300 ms =
#: 39 and 260, the k of the MEGC 2020 baseline (``cmd.m``) on CAS(ME)² and SAMM-LV.
MDMD_K_MS = {"micro": 400.0, "macro": 1300.0}
#: Threshold fraction p of the MEGC 2020 baseline's published run (its ``p1`` folder: T = mean + 0.01 (max - mean)).
MDMD_P = 0.01
#: Blocks per side of the aligned face (6 x 6 in the MEGC 2020 baseline).
MDMD_BLOCKS = 6
#: Length of a micro-expression (ms, inclusive bounds): 233.3-525 ms is 7-16 frames at 30 fps and 47-105 at
#: 200 fps, the MEGC 2020 baseline's limits; longer intervals are macro-expressions (>= 17 / >= 106 frames).
MICRO_LENGTH_MS = (233.3, 525.0)
#: LBP chi-squared half-window k per type (ms): the interval N = 2k + 1 frames spans about 400 / 1300 ms,
#: the MDMD windows (mefeat's choice; see :func:`lbp_chi2_signal`).
LBP_K_MS = {"micro": 200.0, "macro": 650.0}
#: Optical flow of the MDMD spotter: OpenCV's DIS (the baseline used RLOF, a fast local method that
#: OpenCV's main package does not ship; DIS is the fast dense flow it does ship). Four flows per frame
#: (two per k) make TV-L1 too slow for long videos (see ``benchmarks/bench_spotting.py``).
SPOT_FLOW_METHOD = "dis"
_TYPES = ("micro", "macro")
_ANGLES = ("quadrant", "megc2020")


def _signals(values, ks, n, k):
    """The (n,) signal of each half-window from its ``(frame, value)`` pairs (NaN where undefined);
    one array for an int ``k``, else a dict ``{half-window: signal}``."""
    out = {}
    for v in ks:
        sig = np.full(n, np.nan)
        for j, val in values[v]:
            sig[j] = val
        out[v] = sig
    return out[ks[0]] if isinstance(k, (int, np.integer)) else out


def _round_half_up(x):
    # MATLAB's round (half away from zero) for the non-negative counts used here
    return int(math.floor(x + 0.5))


def type_lengths(fps):
    """Inclusive length limits in frames of each expression type at ``fps``.

    Returns
    -------
    dict
        ``{"micro": (min, max), "macro": (max_micro + 1, None)}``.

    Examples
    --------
    >>> type_lengths(30), type_lengths(200)
    ({'micro': (7, 16), 'macro': (17, None)}, {'micro': (47, 105), 'macro': (106, None)})
    """
    lo, hi = (ms_to_frames(v, fps) for v in MICRO_LENGTH_MS)
    return {"micro": (lo, hi), "macro": (hi + 1, None)}


# -------------------------------------------------------------------------------------------- MDMD
def _direction_bins(u, v, angles):
    """Direction bin 0..3 of each vector (-1: excluded), as the MEGC 2020 ``MDMD.m`` bins its angle."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if angles == "megc2020":
            theta = np.degrees(np.arctan(u / v))  # MDMD.m: rad2deg(atan(u./v)), in [-90, 90]
        else:
            theta = np.degrees(np.arctan2(v, u))  # the vector's angle, (-180, 180]
    out = np.full(theta.shape, -1, np.int8)
    out[(theta >= 0) & (theta < 90)] = 0
    out[(theta >= 90) & (theta < 180)] = 1
    out[(theta >= -180) & (theta < -90)] = 2
    out[(theta >= -90) & (theta < 0)] = 3
    if angles == "quadrant":
        out[(theta == 180)] = 1
        out[(u == 0) & (v == 0)] = -1
    return out


def mdmd_block_values(flow_cf, flow_tf, *, blocks=MDMD_BLOCKS, angles="quadrant"):
    """Main directional maximal difference of every block (Wang et al. 2017; MEGC 2020 ``MDMD.m``).

    Parameters
    ----------
    flow_cf : (H, W, 2) ndarray
        Optical flow from the head frame F(i-k) to the current frame F(i) (``[..., 0]`` = u, x).
    flow_tf : (H, W, 2) ndarray
        Optical flow from the head frame F(i-k) to the tail frame F(i+k).
    blocks : int, default 6
        Blocks per side; block height ``H // blocks`` and width ``W // blocks`` (leftover rows and
        columns at the bottom and right are not used, as in ``MDMD.m``).
    angles : {"quadrant", "megc2020"}, default "quadrant"
        How a vector's direction is binned: ``"quadrant"``, the four quadrants of its angle
        (Wang et al.'s four directions); ``"megc2020"``, ``MDMD.m``'s ``atan(u ./ v)``, which lies in
        [-90, 90] so that only two directions (plus exactly vertical ``v = 0`` vectors) occur.

    Returns
    -------
    (blocks * blocks,) ndarray of float64
        Row-major. For each block: the main direction is the bin holding the most vectors of
        ``flow_cf`` (the first on a tie); over its pixels, d = |flow_cf| - |flow_tf|; the value is the
        mean of the largest round(m / 3) of the m differences (0 when the block has no vector).

    Notes
    -----
    ``MDMD.m`` leaves a block without vectors as NaN (the mean of nothing); here it is 0. Zero vectors
    (u = v = 0) have no direction and are excluded in both modes (``MDMD.m``: ``atan(0/0)`` is NaN).
    """
    if angles not in _ANGLES:
        raise ValueError(f"angles must be one of {list(_ANGLES)}, got {angles!r}")
    flow_cf = np.asarray(flow_cf, np.float64)
    flow_tf = np.asarray(flow_tf, np.float64)
    if flow_cf.shape != flow_tf.shape or flow_cf.ndim != 3 or flow_cf.shape[2] != 2:
        raise ValueError(f"flows must both be (H, W, 2); got {flow_cf.shape} and {flow_tf.shape}")
    H, W = flow_cf.shape[:2]
    h, w = H // blocks, W // blocks
    if h < 1 or w < 1:
        raise ValueError(f"a {H}x{W} flow cannot be split into {blocks}x{blocks} blocks")
    bins = _direction_bins(flow_cf[..., 0], flow_cf[..., 1], angles)
    diff = np.hypot(flow_cf[..., 0], flow_cf[..., 1]) - np.hypot(flow_tf[..., 0], flow_tf[..., 1])
    out = np.zeros(blocks * blocks)
    for r in range(blocks):
        for c in range(blocks):
            b = bins[r * h:(r + 1) * h, c * w:(c + 1) * w].ravel()
            counts = np.bincount(b[b >= 0], minlength=4)
            main = int(np.argmax(counts))
            m = int(counts[main])
            n = _round_half_up(m / 3)
            if n == 0:
                continue
            d = diff[r * h:(r + 1) * h, c * w:(c + 1) * w].ravel()[b == main]
            out[r * blocks + c] = np.partition(d, m - n)[m - n:].mean()
    return out


def mdmd_value(flow_cf, flow_tf, *, blocks=MDMD_BLOCKS, angles="quadrant"):
    """The MDMD feature of one frame: the mean of the largest third (rounded) of the block values.

    Parameters and Notes as :func:`mdmd_block_values`. Returns a float.
    """
    v = mdmd_block_values(flow_cf, flow_tf, blocks=blocks, angles=angles)
    n = max(1, _round_half_up(v.size / 3))
    return float(np.sort(v)[::-1][:n].mean())


def _check_k(k):
    ks = (k,) if isinstance(k, (int, np.integer)) else tuple(k)
    for v in ks:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"k must be a positive int (frames) or a sequence of them, got {k!r}")
    return tuple(int(v) for v in ks)


def mdmd_signal(frames, k, *, blocks=MDMD_BLOCKS, angles="quadrant", flow_method=SPOT_FLOW_METHOD, flow_params=None):
    """MDMD feature of every frame of a video, streamed (a window of 2k + 1 frames in memory).

    Parameters
    ----------
    frames : iterable of (H, W) ndarray
        Face-aligned grayscale frames in order (e.g. :func:`mefeat.spotting.stream.iter_aligned_frames`).
    k : int or sequence of int
        Distance in frames between the current frame and its head (i - k) and tail (i + k) frames.
        Several values are computed in one pass over the frames.
    blocks, angles
        See :func:`mdmd_block_values`.
    flow_method : str, default :data:`SPOT_FLOW_METHOD`
        Optical flow method of :func:`mefeat.flow.compute_flow` (None: that function's default).
    flow_params : dict, optional

    Returns
    -------
    (T,) ndarray of float64, or dict of int -> (T,) ndarray
        F[i] for k <= i < T - k, NaN elsewhere (one array per k when ``k`` is a sequence).

    References
    ----------
    Wang, S.-J., Wu, S., Qian, X., Li, J., Fu, X. (2017). A main directional maximal difference analysis
    for spotting facial movements from long-term videos. Neurocomputing 230, 382-389.
    https://doi.org/10.1016/j.neucom.2016.12.034
    """
    from mefeat.flow import compute_flow

    ks = _check_k(k)
    kw = dict(flow_params or {})
    if flow_method is not None:
        kw["method"] = flow_method
    kmax = max(ks)
    window = collections.deque(maxlen=2 * kmax + 1)
    values = {v: [] for v in ks}
    n = 0
    for frame in frames:
        window.append(frame)
        n += 1
        for v in ks:
            # frame j = n - 1 - v is current; its head j - v and tail j + v = n - 1 (the newest)
            j = n - 1 - v
            if j - v < 0:
                continue
            head, cur, tail = window[-1 - 2 * v], window[-1 - v], window[-1]
            values[v].append((j, mdmd_value(compute_flow(head, cur, **kw), compute_flow(head, tail, **kw),
                                            blocks=blocks, angles=angles)))
    return _signals(values, ks, n, k)


# ---------------------------------------------------------------------------------------- LBP chi2
def lbp_block_histograms(frame, *, blocks=MDMD_BLOCKS):
    """Uniform LBP (8 neighbours, radius 1) histograms of the blocks of one frame.

    Parameters
    ----------
    frame : (H, W) ndarray
    blocks : int, default 6

    Returns
    -------
    (blocks * blocks, 59) ndarray of float64
        Row-major blocks; each histogram sums to 1 (59 bins: the 58 uniform codes and one for the
        others, :func:`skimage.feature.local_binary_pattern` ``method="nri_uniform"``).
    """
    from skimage.feature import local_binary_pattern

    frame = np.asarray(frame)
    if frame.dtype.kind not in "ui":  # skimage warns on float input: compare the rounded grey levels
        frame = np.clip(np.rint(frame), 0, 255).astype(np.uint8)
    codes = local_binary_pattern(frame, 8, 1, method="nri_uniform").astype(np.int64)
    H, W = codes.shape
    h, w = H // blocks, W // blocks
    if h < 1 or w < 1:
        raise ValueError(f"a {H}x{W} frame cannot be split into {blocks}x{blocks} blocks")
    out = np.zeros((blocks * blocks, 59))
    for r in range(blocks):
        for c in range(blocks):
            hist = np.bincount(codes[r * h:(r + 1) * h, c * w:(c + 1) * w].ravel(), minlength=59)
            out[r * blocks + c] = hist / hist.sum()
    return out


def _chi2(p, q):
    s = p + q
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(s > 0, (p - q) ** 2 / s, 0.0)
    return t.sum(axis=-1)


def lbp_chi2_signal(frames, k, *, blocks=MDMD_BLOCKS):
    """LBP chi-squared feature difference of every frame (Moilanen et al. 2014; Li et al. 2018), streamed.

    Parameters
    ----------
    frames : iterable of (H, W) ndarray
        Face-aligned grayscale frames in order.
    k : int or sequence of int
        Half-window: the current frame is compared with the average of the frames i - k and i + k.
    blocks : int, default 6

    Returns
    -------
    (T,) ndarray of float64, or dict of int -> (T,) ndarray
        F[i] = the mean of the largest third (rounded) of the blocks' chi-squared distances between the
        current frame's LBP histogram and the mean of the head and tail frames' histograms, for
        k <= i < T - k; NaN elsewhere.

    Notes
    -----
    Deviations: Moilanen et al. use the interval N = 2k + 1 set to the average micro-expression length
    of the database; mefeat gives k in ms (:data:`LBP_K_MS`). Only the block histograms (36 x 59
    numbers per frame) are kept in the window, not the frames.

    References
    ----------
    Moilanen, A., Zhao, G., Pietikäinen, M. (2014). Spotting rapid facial movements from videos using
    appearance-based feature difference analysis. ICPR 2014, 1722-1727. https://doi.org/10.1109/ICPR.2014.303
    Li, X. et al. (2018). Towards reading hidden emotions: a comparative study of spontaneous
    micro-expression spotting and recognition methods. IEEE TAC 9(4), 563-577.
    https://doi.org/10.1109/TAFFC.2017.2667642
    """
    ks = _check_k(k)
    kmax = max(ks)
    window = collections.deque(maxlen=2 * kmax + 1)
    values = {v: [] for v in ks}
    n = 0
    for frame in frames:
        window.append(lbp_block_histograms(frame, blocks=blocks))
        n += 1
        for v in ks:
            j = n - 1 - v
            if j - v < 0:
                continue
            d = _chi2(window[-1 - v], 0.5 * (window[-1 - 2 * v] + window[-1]))
            m = max(1, _round_half_up(d.size / 3))
            values[v].append((j, float(np.sort(d)[::-1][:m].mean())))
    return _signals(values, ks, n, k)


# ------------------------------------------------------------------------------ contrast, threshold
def contrast(signal, m, *, clip_negative=False):
    """C[i] = F[i] - (F[i - m] + F[i + m]) / 2 (NaN where a term is undefined).

    MDMD (``cmd.m``) uses m = k - 1; the LBP chi-squared method m = k and negative values set to 0.

    Parameters
    ----------
    signal : (T,) array_like of float
    m : int
    clip_negative : bool, default False

    Returns
    -------
    (T,) ndarray of float64
    """
    F = np.asarray(signal, np.float64)
    C = np.full(F.shape, np.nan)
    if m < 1 or F.size <= 2 * m:
        return C
    C[m:-m] = F[m:-m] - 0.5 * (F[:-2 * m] + F[2 * m:])
    if clip_negative:
        C = np.where(np.isnan(C), C, np.maximum(C, 0.0))
    return C


def threshold_runs(C, p):
    """Runs of frames with C > T, T = mean(C) + p (max(C) - mean(C)) over the defined values.

    Parameters
    ----------
    C : (T,) array_like of float (NaN = undefined)
    p : float in [0, 1]

    Returns
    -------
    runs : list of (start, end)
        Inclusive frame indices (0-based).
    threshold : float
        NaN when C has no defined value.

    Examples
    --------
    >>> threshold_runs([0, 0, 5, 6, 0, 0, 4, 0], 0.5)
    ([(2, 3), (6, 6)], 3.9375)
    """
    C = np.asarray(C, np.float64)
    ok = np.isfinite(C)
    if not ok.any():
        return [], math.nan
    mean, top = C[ok].mean(), C[ok].max()
    T = float(mean + p * (top - mean))
    hot = np.zeros(C.size + 2, bool)
    hot[1:-1] = ok & (C > T)
    edges = np.flatnonzero(np.diff(hot.astype(np.int8)))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2])], T


# ------------------------------------------------------------------------------------------- spotters
def _base_estimator():
    from sklearn.base import BaseEstimator

    return BaseEstimator


class _Spotter(_base_estimator()):
    """Common part: stream a video, compute the signals, turn them into a predictions table.

    scikit-learn style: ``__init__`` stores its arguments unchanged (``get_params``, ``set_params`` and
    ``clone`` work); they are checked when a video is spotted.
    """

    _DEFAULT_K_MS = None

    def _k(self, kind, fps):
        k_ms = self._DEFAULT_K_MS if self.k_ms is None else self.k_ms
        if kind not in k_ms:
            raise ValueError(f"k_ms has no entry for {kind!r}: {k_ms!r}")
        return ms_to_frames(k_ms[kind], fps)

    def _check(self):
        if not 0 <= float(self.p) <= 1:
            raise ValueError(f"p must be in [0, 1], got {self.p!r}")
        if isinstance(self.types, str) or not all(t in _TYPES for t in self.types):
            raise ValueError(f"types must be a sequence of {list(_TYPES)}, got {self.types!r}")

    def spot(self, frames, *, fps, video="video", frame_numbers=None, align=False, landmarks=None):
        """Spot the intervals of one video.

        Parameters
        ----------
        frames : iterable of path or (H, W) ndarray
            The video's frames in order, read lazily (a list of paths streams the video from disk).
        fps : float
            Frame rate, used to convert the ms settings to frames.
        video : str
            Name written in the ``video`` column.
        frame_numbers : (T,) array_like of int, optional
            The database's number of every frame (``LongVideoDataset.frame_paths``); default 0..T-1.
        align : bool, default False
            Align the faces (one transform per video, :func:`mefeat.spotting.stream.iter_aligned_frames`).
        landmarks : (68, 2) array_like, optional

        Returns
        -------
        pandas.DataFrame
            Columns ``video, onset, offset, type, score`` (score: the largest contrast in the interval),
            in the database's frame numbers.
        """
        return self.intervals(self.signals(frames, fps=fps, align=align, landmarks=landmarks), fps=fps,
                              video=video, frame_numbers=frame_numbers)

    def signals(self, frames, *, fps, align=False, landmarks=None):
        """Per type: ``{"k": frames, "feature": (T,), "contrast": (T,)}`` for one video (see :meth:`spot`)."""
        self._check()
        ks = {t: self._k(t, fps) for t in self.types}
        stream = iter_aligned_frames(frames, align=align, landmarks=landmarks)
        sig = self._signal(stream, tuple(sorted(set(ks.values()))))
        return {t: {"k": ks[t], "feature": sig[ks[t]], "contrast": self._contrast(sig[ks[t]], ks[t])}
                for t in self.types}

    def intervals(self, signals, *, fps, video="video", frame_numbers=None):
        """The predictions table of :meth:`spot` from the output of :meth:`signals`."""
        import pandas as pd

        rows = []
        lengths = type_lengths(fps)
        for t, s in signals.items():
            C = s["contrast"]
            nums = np.arange(C.size) if frame_numbers is None else np.asarray(frame_numbers, np.int64)
            for a, b in self._intervals(C, s["k"], lengths[t]):
                rows.append((video, int(nums[a]), int(nums[b]), t, float(np.nanmax(C[a:b + 1]))))
        return pd.DataFrame(rows, columns=["video", "onset", "offset", "type", "score"])


class MDMDSpotter(_Spotter):
    """MDMD spotter with the MEGC 2020 baseline's settings (Wang et al. 2017; He et al. 2020).

    Parameters
    ----------
    k_ms : dict, optional
        Interval k per type in ms; None: :data:`MDMD_K_MS` (400 / 1300 ms: k = 12 / 39 at 30 fps, 80 / 260 at 200 fps).
    p : float, default :data:`MDMD_P`
        Threshold fraction (T = mean + p (max - mean)).
    blocks : int, default 6
    angles : {"quadrant", "megc2020"}, default "quadrant"
        See :func:`mdmd_block_values`.
    types : tuple, default ("micro", "macro")
    flow_method : str, default :data:`SPOT_FLOW_METHOD`
        See :func:`mdmd_signal`.

    Notes
    -----
    As ``cmd.m`` and ``MDMDmat_to_txt.m`` of the baseline: F from :func:`mdmd_signal`; C = F[i] -
    (F[i-m] + F[i+m]) / 2 with m = k - 1; every run of frames with C > T is an interval; then, as
    its evaluation script, intervals outside the type's length (:func:`type_lengths`) are dropped.
    When a video is too short (T - 6k < 0) k is halved until it fits, as ``cmd.m``'s ``auto_k``.
    Deviations: the optical flow (RLOF in the baseline) and the angle binning (see ``angles``).

    Examples
    --------
    >>> MDMDSpotter(p=0.05)
    MDMDSpotter(p=0.05)
    """

    _DEFAULT_K_MS = MDMD_K_MS

    def __init__(self, *, k_ms=None, p=MDMD_P, blocks=MDMD_BLOCKS, angles="quadrant", types=_TYPES,
                 flow_method=SPOT_FLOW_METHOD):
        self.k_ms = k_ms
        self.p = p
        self.blocks = blocks
        self.angles = angles
        self.types = types
        self.flow_method = flow_method

    def signals(self, frames, *, fps, align=False, landmarks=None):
        n = len(frames) if hasattr(frames, "__len__") else None  # a generator: no auto_k
        self._check()
        ks = {}
        for t in self.types:
            k = self._k(t, fps)
            while n is not None and k > 1 and n - 6 * k < 0:  # cmd.m auto_k: l - 4k < 0 with l = T - 2k
                k = _round_half_up(k / 2)
            ks[t] = k
        stream = iter_aligned_frames(frames, align=align, landmarks=landmarks)
        sig = mdmd_signal(stream, tuple(sorted(set(ks.values()))), blocks=self.blocks, angles=self.angles,
                          flow_method=self.flow_method)
        return {t: {"k": ks[t], "feature": sig[ks[t]], "contrast": contrast(sig[ks[t]], ks[t] - 1)}
                for t in self.types}

    def _intervals(self, C, k, limits):
        runs, _ = threshold_runs(C, self.p)
        lo, hi = limits
        return [(a, b) for a, b in runs if b - a + 1 >= lo and (hi is None or b - a + 1 <= hi)]


class LBPChi2Spotter(_Spotter):
    """LBP chi-squared feature-difference spotter (Moilanen et al. 2014; Li et al. TAC 2018).

    Parameters
    ----------
    k_ms : dict, optional
        Half-window per type in ms; None: :data:`LBP_K_MS`.
    p : float, default 0.01
        Threshold fraction (T = mean + p (max - mean)), as MDMD's published run.
    blocks : int, default 6
    types : tuple, default ("micro", "macro")

    Notes
    -----
    C = F[i] - (F[i-k] + F[i+k]) / 2 with negative values set to 0; the peaks of C above T at least k
    frames apart (:func:`scipy.signal.find_peaks`) are the spotted apexes; each gives the interval
    [peak - k, peak + k] (N = 2k + 1 frames, the method's interval) clipped to the video, labelled with
    the type whose k found it. Moilanen et al. and Li et al. score peaks, not intervals: the
    interval around the peak is mefeat's choice to make the output comparable under
    :func:`mefeat.spotting.evaluate_spotting`.
    """

    _DEFAULT_K_MS = LBP_K_MS

    def __init__(self, *, k_ms=None, p=MDMD_P, blocks=MDMD_BLOCKS, types=_TYPES):
        self.k_ms = k_ms
        self.p = p
        self.blocks = blocks
        self.types = types

    def _signal(self, stream, ks):
        return lbp_chi2_signal(stream, ks, blocks=self.blocks)

    def _contrast(self, F, k):
        return contrast(F, k, clip_negative=True)

    def _intervals(self, C, k, limits):
        from scipy.signal import find_peaks

        _, T = threshold_runs(C, self.p)
        if not math.isfinite(T):
            return []
        Cz = np.where(np.isfinite(C), C, -np.inf)
        peaks, _ = find_peaks(Cz, height=max(T, np.finfo(float).tiny), distance=k)
        return [(max(int(q) - k, 0), min(int(q) + k, C.size - 1)) for q in peaks if Cz[q] > T]
