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
temporal block. Frames are independent: the caller runs :func:`hog_top_frames` on
disjoint frame ranges in threads (the kernel releases the GIL), without write races.

Only numpy, :mod:`mefeat._jit` and :mod:`mefeat._config` are imported; inputs are
never written to.
"""

import math

import numpy as np

from mefeat._config import HOG_ATAN_COEFFS, HOG_EDGE_MARGIN, HOG_LUT_RANGE
from mefeat._jit import helper, jit

__all__ = ["hog_top_frames", "hog_top_frames_lut", "orientation_lut", "hog_scratch", "WEIGHT_MAGNITUDE",
           "WEIGHT_COUNT"]

#: ``params[2]`` codes: HOG-TOP votes with the gradient magnitude, HIGO-TOP with 1.
WEIGHT_MAGNITUDE = 0
WEIGHT_COUNT = 1

_RAD2DEG = 180.0 / math.pi
_A2, _A4, _A6, _A8, _A10, _A12, _A14, _A16 = HOG_ATAN_COEFFS


@helper
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


@helper
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
        lo = ax if ax < ay else ay  # min/max as selects: no overloads to compile
        hi = ay if ax < ay else ax
        z = lo / hi if hi > 0.0 else 0.0
        z2 = z * z
        q = z * (1.0 + z2 * (_A2 + z2 * (_A4 + z2 * (_A6 + z2 * (_A8 + z2 * (_A10 + z2 * (_A12 + z2 * (
            _A14 + z2 * _A16))))))))
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


@helper
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


def orientation_lut(n_bins, period, edges):
    """Bin of every integer gradient ``(a, b)`` with ``|a|, |b| <= HOG_LUT_RANGE`` (all the
    gradients of a uint8 clip), by the very rule of the generic path: the :func:`_row_angles`
    guess, evaluated here in NumPy with the same float64 operations in the same order (so the
    same bits), and the exact ``atan2`` rule :func:`_orientation_bin` for the guesses near an
    edge. ``lut[(b + R) * (2R + 1) + a + R]`` (int16), -2 for the zero gradient.

    NumPy only (no kernel to compile); the few hundred to few thousand edge cases run the plain
    Python body of :func:`_orientation_bin` (``math.atan2``, the libm function the kernel calls).
    """
    R = HOG_LUT_RANGE
    span = 2 * R + 1
    margin = HOG_EDGE_MARGIN * n_bins * (360.0 / period) / (2.0 * math.pi)
    to_bins = n_bins / (2.0 * math.pi) * (360.0 / period)
    g = np.arange(span, dtype=np.float64) - R
    a = np.broadcast_to(g[None, :], (span, span)).ravel()  # index j * span + i: a = i - R, b = j - R
    b = np.broadcast_to(g[:, None], (span, span)).ravel()
    ax = np.abs(a)
    ay = np.abs(b)
    lo = np.minimum(ax, ay)
    hi = np.maximum(ax, ay)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(hi > 0.0, lo / np.where(hi > 0.0, hi, 1.0), 0.0)
    z2 = z * z
    q = z * (1.0 + z2 * (_A2 + z2 * (_A4 + z2 * (_A6 + z2 * (_A8 + z2 * (_A10 + z2 * (_A12 + z2 * (
        _A14 + z2 * _A16))))))))
    q = np.where(ay > ax, 0.5 * math.pi - q, q)
    q = np.where(a < 0.0, math.pi - q, q)
    q = np.copysign(q, b) * to_bins
    q = np.where(q < 0.0, q + n_bins, q)
    k = q.astype(np.int64)  # q >= 0: truncation = int()
    frac = q - k
    ok = (k < n_bins) & (frac > margin) & (frac < 1.0 - margin)
    lut = np.where(ok, k, -1)
    lut[hi == 0.0] = -2
    exact = getattr(_orientation_bin, "py_func", _orientation_bin)  # the plain Python body
    for idx in np.flatnonzero(lut == -1):
        lut[idx] = exact(float(a[idx]), float(b[idx]), n_bins, period, edges)
    return lut.astype(np.int16)


@helper
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


@helper
def _row_votes_lut(code, w, hist, count, lut, col_of, n_bins):
    # Scalar pass of the uint8 path: the bin from the exact table (-2: zero gradient, no
    # vote), then hist[slot] += vote, in voxel order (as _row_votes).
    for i in range(code.shape[0]):
        k = np.int64(lut[code[i]])
        if k < 0:
            continue
        hist[col_of[i] * n_bins + k] += 1.0 if count else w[i]


def hog_scratch(W, rows, cols, n_bins):
    """Allocate the work arrays of one :func:`hog_top_frames` / :func:`hog_top_frames_lut` call on
    clips ``W`` pixels wide (NumPy only): the tuple ``(local, rows, code)`` of

    * ``local`` : (rows, 3, cols * n_bins) float64, one frame's block histograms per plane;
    * ``rows`` : (4, W) float64, the image row's G_x, G_y, G_t and votes;
    * ``code`` : (W,) int64, the row's histogram slots (or table indexes).

    The caller allocates them, so that the kernels compile no array allocation of their own
    (each ``np.zeros``/``np.empty`` specialisation costs compile time); concurrent calls need one
    each. Their contents on entry do not matter.
    """
    return np.zeros((rows, 3, cols * n_bins)), np.zeros((4, W)), np.zeros(W, np.int64)


@jit
def hog_top_frames(clip, row_of, col_of, params, edges, part, scratch, t_start, t_stop):
    """Fill the per-frame block histograms of HOG-TOP / HIGO-TOP for frames ``t_start <= t < t_stop``.

    Parameters
    ----------
    clip : (T, H, W) ndarray, C-contiguous, float64 (or uint8)
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
        Output; ``part[t]`` is overwritten with the block histograms of frame ``t`` (frames
        outside the range are not touched, so threads can fill disjoint ranges).
    scratch : tuple
        :func:`hog_scratch` of this clip, one per concurrent call (overwritten).
    t_start, t_stop : int
        Frame range.

    Bins come from the polynomial ``atan`` guess, re-checked with ``atan2`` near the edges. Per
    frame, row by row: gradients, then for plane 0 XY (G_x, G_y), 1 XT (G_x, G_t) and 2 YT
    (G_y, G_t) the vectorised guess pass and the scalar vote pass into per-frame histograms.
    (The frame loop lives in this function, not in a helper: every separately compiled numba
    function costs about 0.3 s of compile time.)
    """
    T, H, W = clip.shape
    n_bins = params[0]
    period = 360.0 if params[1] == 1 else 180.0
    count = params[2] == WEIGHT_COUNT
    margin = HOG_EDGE_MARGIN * n_bins * (360.0 / period) / (2.0 * math.pi)
    local, rows, code = scratch
    gx = rows[0]
    gy = rows[1]
    gt = rows[2]
    w = rows[3]
    gx[0] = 0.0  # the first and last column of G_x stay 0
    gx[W - 1] = 0.0
    for t in range(t_start, t_stop):
        has_t = 0 < t < T - 1
        local[:] = 0.0
        gt[:] = 0.0
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
            _row_angles(gx, gy, n_bins, period, margin, col_of, code, w, count)
            _row_votes(gx, gy, code, w, n_bins, period, edges, col_of, local[br, 0], count)
            _row_angles(gx, gt, n_bins, period, margin, col_of, code, w, count)
            _row_votes(gx, gt, code, w, n_bins, period, edges, col_of, local[br, 1], count)
            _row_angles(gy, gt, n_bins, period, margin, col_of, code, w, count)
            _row_votes(gy, gt, code, w, n_bins, period, edges, col_of, local[br, 2], count)
        for r in range(part.shape[1]):  # part[t, r, c, p, k] = local[r, p, c * n_bins + k]
            for p in range(3):
                for c in range(part.shape[2]):
                    for k in range(n_bins):
                        part[t, r, c, p, k] = local[r, p, c * n_bins + k]


@jit
def hog_top_frames_lut(clip, row_of, col_of, params, part, lut, scratch, t_start, t_stop):
    """:func:`hog_top_frames` for uint8 clips, bins read from ``lut`` = :func:`orientation_lut` for
    these options (``((2 * HOG_LUT_RANGE + 1) ** 2,)`` int16): the same bins, and the same
    ``scratch``. A kernel of its own,
    so that the common uint8 case compiles only the table path."""
    T, H, W = clip.shape
    n_bins = params[0]
    count = params[2] == WEIGHT_COUNT
    local, rows, code = scratch
    gx = rows[0]
    gy = rows[1]
    gt = rows[2]
    w = rows[3]
    gx[0] = 0.0  # the first and last column of G_x stay 0
    gx[W - 1] = 0.0
    for t in range(t_start, t_stop):
        has_t = 0 < t < T - 1
        local[:] = 0.0
        gt[:] = 0.0
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
            _row_lut(gx, gy, lut, n_bins, col_of, code, w, count)
            _row_votes_lut(code, w, local[br, 0], count, lut, col_of, n_bins)
            _row_lut(gx, gt, lut, n_bins, col_of, code, w, count)
            _row_votes_lut(code, w, local[br, 1], count, lut, col_of, n_bins)
            _row_lut(gy, gt, lut, n_bins, col_of, code, w, count)
            _row_votes_lut(code, w, local[br, 2], count, lut, col_of, n_bins)
        for r in range(part.shape[1]):  # part[t, r, c, p, k] = local[r, p, c * n_bins + k]
            for p in range(3):
                for c in range(part.shape[2]):
                    for k in range(n_bins):
                        part[t, r, c, p, k] = local[r, p, c * n_bins + k]
