"""Numba kernels of HOG-TOP and HIGO-TOP (private; no validation, fill ``out``).

One fused pass per frame, row by row: central-difference gradients ``G_x``, ``G_y``,
``G_t`` (``[-1, 0, 1]``, zero on the first and last index of their axis, as
:func:`skimage.feature.hog`); for each plane XY ``(G_x, G_y)``, XT ``(G_x, G_t)`` and
YT ``(G_y, G_t)`` a vectorised pass that guesses each voxel's orientation bin with a
polynomial ``atan`` and computes its vote, then a scalar pass that adds the votes to
the block histograms, re-binning with the exact ``atan2`` rule the few voxels whose
guess lies near a bin edge (so the bins are exactly those of ``atan2``). For uint8 clips
(every gradient an integer in [-255, 255]) the bin comes instead from a table of all
integer gradients built once by that same rule (:func:`orientation_lut`): identical bins,
without the polynomial and without the exact re-binning of the many integer directions
that lie exactly on an edge (0, 45, 90 degrees ...). The caller
(:mod:`mefeat.descriptors._hog_top`) validates, maps options to the integer codes below,
allocates the per-frame histograms ``part`` and sums them over the frames of each
temporal block. Frames are independent, so the parallel kernel has no write races.

Only numpy, :mod:`mefeat._jit` and :mod:`mefeat._config` are imported; inputs are
never written to.
"""

import math

import numpy as np

from mefeat._config import HOG_ATAN_COEFFS, HOG_EDGE_MARGIN, HOG_LUT_RANGE
from mefeat._jit import jit, pjit, prange

__all__ = ["hog_top_frames_serial", "hog_top_frames_parallel", "orientation_lut", "WEIGHT_MAGNITUDE",
           "WEIGHT_COUNT"]

#: ``params[2]`` codes: HOG-TOP votes with the gradient magnitude, HIGO-TOP with 1.
WEIGHT_MAGNITUDE = 0
WEIGHT_COUNT = 1

_RAD2DEG = 180.0 / math.pi
_A2, _A4, _A6, _A8, _A10, _A12, _A14, _A16 = HOG_ATAN_COEFFS


@jit
def _orientation_bin(a, b, n_bins, period, edges):
    # Bin of the orientation atan2(b, a) in degrees, wrapped into [0, period): the
    # bin k with edges[k] <= angle < edges[k + 1] (edges[k] = period / n_bins * k, the
    # arithmetic of skimage's _hoghistogram). The division only gives a first guess.
    angle = math.atan2(b, a) * _RAD2DEG
    angle = angle % period
    k = int(angle * n_bins / period)
    if k > n_bins - 1:
        k = n_bins - 1
    if k < n_bins - 1 and angle >= edges[k + 1]:
        k += 1
    elif k > 0 and angle < edges[k]:
        k -= 1
    return k


@jit
def _row_angles(a, b, n_bins, period, margin, col_of, code, w, count):
    # Vectorisable pass over one image row of a plane (selects only, no data-dependent
    # branches). code[i] = col_of[i] * n_bins + the bin from a polynomial atan (error
    # <= 2e-8 rad), i.e. the voxel's slot in its row of block histograms, or -1 when
    # that guess lies within `margin` (bin units) of a bin edge and the exact atan2 rule
    # must decide, or -2 when the gradient is zero (no orientation, no vote).
    # w[i] = the vote's magnitude (not written when count is true).
    to_bins = n_bins / (2.0 * math.pi) * (360.0 / period)
    for i in range(a.shape[0]):
        ai = a[i]
        bi = b[i]
        ax = abs(ai)
        ay = abs(bi)
        lo = min(ax, ay)
        hi = max(ax, ay)
        z = lo / hi if hi > 0.0 else 0.0
        z2 = z * z
        q = z * (1.0 + z2 * (_A2 + z2 * (_A4 + z2 * (_A6 + z2 * (_A8 + z2 * (_A10 + z2 * (_A12 + z2 * (_A14 + z2 * _A16))))))))
        q = 0.5 * math.pi - q if ay > ax else q
        q = math.pi - q if ai < 0.0 else q
        q = math.copysign(q, bi) * to_bins
        q = q + n_bins if q < 0.0 else q
        k = int(q)
        frac = q - k
        ok = (k < n_bins) & (frac > margin) & (frac < 1.0 - margin)
        c = col_of[i] * n_bins + k if ok else -1
        code[i] = c if hi > 0.0 else -2
    if not count:
        for i in range(a.shape[0]):
            w[i] = math.sqrt(a[i] * a[i] + b[i] * b[i])


@jit
def _row_votes(a, b, code, w, n_bins, period, edges, col_of, hist, count):
    # Scalar pass: hist[slot] += vote (1 or the magnitude); hist is the contiguous
    # (cols * n_bins,) row of block histograms of one plane.
    for i in range(a.shape[0]):
        slot = code[i]
        if slot == -2:
            continue
        if slot == -1:
            slot = col_of[i] * n_bins + _orientation_bin(a[i], b[i], n_bins, period, edges)
        hist[slot] += 1.0 if count else w[i]


@jit
def orientation_lut(n_bins, period, edges):
    """Bin of every integer gradient ``(a, b)`` with ``|a|, |b| <= HOG_LUT_RANGE`` (all the
    gradients of a uint8 clip), by the very rule of the generic path (:func:`_row_angles`
    guess, exact ``atan2`` near edges), so the bins are identical: ``lut[(b + R) * (2R + 1)
    + a + R]`` (int16), -2 for the zero gradient."""
    R = HOG_LUT_RANGE
    span = 2 * R + 1
    margin = HOG_EDGE_MARGIN * n_bins * (360.0 / period) / (2.0 * math.pi)
    lut = np.empty(span * span, dtype=np.int16)
    a = np.empty(span)
    b = np.empty(span)
    for i in range(span):
        a[i] = np.float64(i - R)
    zero_cols = np.zeros(span, dtype=np.int64)
    code = np.empty(span, dtype=np.int64)
    w = np.empty(span)
    for j in range(span):
        b[:] = np.float64(j - R)
        _row_angles(a, b, n_bins, period, margin, zero_cols, code, w, True)
        for i in range(span):
            k = code[i]
            if k == -1:
                k = _orientation_bin(a[i], b[i], n_bins, period, edges)
            lut[j * span + i] = k
    return lut


@jit
def _row_lut(a, b, lut, n_bins, col_of, code, w, count):
    # Vectorisable pass of the uint8 path: code[i] = the voxel's index in the exact bin
    # table, w[i] = the vote's magnitude (as _row_angles).
    R = HOG_LUT_RANGE
    span = 2 * R + 1
    for i in range(a.shape[0]):
        code[i] = (np.int64(b[i]) + R) * span + np.int64(a[i]) + R
    if not count:
        for i in range(a.shape[0]):
            w[i] = math.sqrt(a[i] * a[i] + b[i] * b[i])


@jit
def _row_votes_lut(code, w, hist, count, lut, col_of, n_bins):
    # Scalar pass of the uint8 path: the bin from the exact table (-2: zero gradient, no
    # vote), then hist[slot] += vote, in voxel order (as _row_votes).
    for i in range(code.shape[0]):
        k = np.int64(lut[code[i]])
        if k < 0:
            continue
        hist[col_of[i] * n_bins + k] += 1.0 if count else w[i]


@jit
def _hog_top_frame(clip, t, row_of, col_of, params, edges, part, lut):
    # Vote every voxel of frame t into part[t, block_row, block_col, plane, bin].
    T, H, W = clip.shape
    n_bins = params[0]
    period = 360.0 if params[1] == 1 else 180.0
    count = params[2] == WEIGHT_COUNT
    margin = HOG_EDGE_MARGIN * n_bins * (360.0 / period) / (2.0 * math.pi)
    has_t = 0 < t < T - 1
    n_cols = part.shape[2]
    use_lut = lut.shape[0] > 0  # uint8 clip: exact bins from the table
    local = np.zeros((part.shape[1], 3, n_cols * n_bins))  # contiguous per-frame histograms
    gx = np.zeros(W)
    gy = np.zeros(W)
    gt = np.zeros(W)
    code = np.empty(W, dtype=np.int64)
    w = np.empty(W)
    for y in range(H):
        br = row_of[y]
        # [-1, 0, 1] differences, zero on the first and last sample of each axis
        for x in range(1, W - 1):
            gx[x] = np.float64(clip[t, y, x + 1]) - np.float64(clip[t, y, x - 1])
        if 0 < y < H - 1:
            for x in range(W):
                gy[x] = np.float64(clip[t, y + 1, x]) - np.float64(clip[t, y - 1, x])
        else:
            gy[:] = 0.0
        if has_t:
            for x in range(W):
                gt[x] = np.float64(clip[t + 1, y, x]) - np.float64(clip[t - 1, y, x])
        # plane 0: XY (G_x, G_y); 1: XT (G_x, G_t); 2: YT (G_y, G_t)
        if use_lut:
            _row_lut(gx, gy, lut, n_bins, col_of, code, w, count)
            _row_votes_lut(code, w, local[br, 0], count, lut, col_of, n_bins)
            _row_lut(gx, gt, lut, n_bins, col_of, code, w, count)
            _row_votes_lut(code, w, local[br, 1], count, lut, col_of, n_bins)
            _row_lut(gy, gt, lut, n_bins, col_of, code, w, count)
            _row_votes_lut(code, w, local[br, 2], count, lut, col_of, n_bins)
        else:
            _row_angles(gx, gy, n_bins, period, margin, col_of, code, w, count)
            _row_votes(gx, gy, code, w, n_bins, period, edges, col_of, local[br, 0], count)
            _row_angles(gx, gt, n_bins, period, margin, col_of, code, w, count)
            _row_votes(gx, gt, code, w, n_bins, period, edges, col_of, local[br, 1], count)
            _row_angles(gy, gt, n_bins, period, margin, col_of, code, w, count)
            _row_votes(gy, gt, code, w, n_bins, period, edges, col_of, local[br, 2], count)
    for r in range(part.shape[1]):
        for p in range(3):
            for c in range(n_cols):
                for k in range(n_bins):
                    part[t, r, c, p, k] = local[r, p, c * n_bins + k]


@jit
def hog_top_frames_serial(clip, row_of, col_of, params, edges, part, lut):
    """Fill the per-frame block histograms of HOG-TOP / HIGO-TOP (one thread).

    Parameters
    ----------
    clip : (T, H, W) ndarray, C-contiguous, any real dtype
        The clip; read only. Arithmetic is float64.
    row_of : (H,) int64 ndarray
        Block row of every image row.
    col_of : (W,) int64 ndarray
        Block column of every image column.
    params : (3,) int64 ndarray
        ``(n_bins, signed, weight)``: ``signed`` 1 for orientations in [0, 360), 0 for
        [0, 180); ``weight`` :data:`WEIGHT_MAGNITUDE` or :data:`WEIGHT_COUNT`.
    edges : (n_bins + 1,) float64 ndarray
        Bin edges in degrees, ``edges[k] = period / n_bins * k``.
    part : (T, rows, cols, 3, n_bins) float64 ndarray
        Output; ``part[t]`` is overwritten with the block histograms of frame ``t``.
    lut : ((2 * HOG_LUT_RANGE + 1) ** 2,) int16 ndarray, or empty
        :func:`orientation_lut` for these options when ``clip`` is uint8 (bins read from
        it), else an empty array (bins from the polynomial guess and ``atan2``).
    """
    for t in range(clip.shape[0]):
        _hog_top_frame(clip, t, row_of, col_of, params, edges, part, lut)


@pjit
def hog_top_frames_parallel(clip, row_of, col_of, params, edges, part, lut):
    """Parallel version of :func:`hog_top_frames_serial`: each thread owns whole frames
    (``part[t]``), so there are no write races."""
    for t in prange(clip.shape[0]):
        _hog_top_frame(clip, t, row_of, col_of, params, edges, part, lut)
