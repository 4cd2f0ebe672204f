"""The linear Eulerian magnification as MIT's amplify_spatial_lpyr_temporal_iir.m runs it, as slow NumPy.

Written from the MIT code's structure, frame by frame and pixel by pixel: a Laplacian pyramid of every
frame (buildLpyr 'auto': 5-tap binomial, 'reflect1' borders, i.e. mirrored without repeating the edge
pixel); two IIR low-pass filters on the pyramid coefficients started on the first frame's pyramid;
their difference scaled per level, walking from the residual (lambda = diagonal / 3) to the finest
level and halving lambda, with the finest and the residual levels zeroed; the reconstruction added to
the *current* frame and clipped. One deliberate difference from the MATLAB, shared with mefeat: the
per-level factor is clipped at 0 from below. mefeat.magnify filters the frames in time first and
builds one pyramid of the filtered clip (equal by linearity).
"""

import math

import numpy as np

BINOM5 = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0


def _mirror(i, n):
    """Index i reflected into 0..n-1 about the edge pixels (reflect1)."""
    while i < 0 or i >= n:
        i = -i if i < 0 else 2 * (n - 1) - i
    return i


def _filter_1d(img, kernel, axis):
    """Correlate every row (axis=1) or column (axis=0) with a 5-tap kernel, mirrored borders."""
    out = np.zeros_like(img)
    H, W = img.shape
    for r in range(H):
        for c in range(W):
            s = 0.0
            for k in range(5):
                if axis == 0:
                    s += kernel[k] * img[_mirror(r + k - 2, H), c]
                else:
                    s += kernel[k] * img[r, _mirror(c + k - 2, W)]
            out[r, c] = s
    return out


def _reduce(img):
    return _filter_1d(_filter_1d(img, BINOM5, 0), BINOM5, 1)[::2, ::2]


def _expand(img, shape):
    up = np.zeros(shape)
    up[::2, ::2] = img
    return _filter_1d(_filter_1d(up, 2 * BINOM5, 0), 2 * BINOM5, 1)


def max_pyr_ht(shape, filt=5):
    """matlabPyrTools maxPyrHt for a 2-D image and a 5-tap filter."""
    if shape[0] < filt or shape[1] < filt:
        return 0
    return 1 + max_pyr_ht((shape[0] // 2, shape[1] // 2), filt)


def build_lpyr(img):
    """[band_1 (finest), ..., band_{n-1}, residual] with n = 1 + maxPyrHt."""
    n = 1 + max_pyr_ht(img.shape)
    pyr = []
    cur = img.astype(np.float64)
    for _ in range(n - 1):
        low = _reduce(cur)
        pyr.append(cur - _expand(low, cur.shape))
        cur = low
    pyr.append(cur)
    return pyr


def recon_lpyr(pyr):
    out = pyr[-1]
    for band in reversed(pyr[:-1]):
        out = _expand(out, band.shape) + band
    return out


def magnify_reference(frames, alpha, lambda_c=16.0, r1=0.4, r2=0.05, value_range=(0.0, 255.0)):
    """Float64 magnified frames, clipped to value_range (no rounding)."""
    frames = np.asarray(frames, dtype=np.float64)
    T, H, W = frames.shape
    pyr = build_lpyr(frames[0])
    lowpass1 = [p.copy() for p in pyr]
    lowpass2 = [p.copy() for p in pyr]
    n_levels = len(pyr)
    out = np.empty_like(frames)
    out[0] = frames[0]
    for t in range(1, T):
        pyr = build_lpyr(frames[t])
        lowpass1 = [(1 - r1) * lp + r1 * p for lp, p in zip(lowpass1, pyr)]
        lowpass2 = [(1 - r2) * lp + r2 * p for lp, p in zip(lowpass2, pyr)]
        filtered = [a - b for a, b in zip(lowpass1, lowpass2)]
        delta = lambda_c / 8 / (1 + alpha)
        exaggeration_factor = 2
        lam = (H ** 2 + W ** 2) ** 0.5 / 3
        for idx in range(n_levels - 1, -1, -1):  # MATLAB l = nLevels:-1:1
            curr_alpha = (lam / delta / 8 - 1) * exaggeration_factor
            if idx == n_levels - 1 or idx == 0:
                filtered[idx] = 0 * filtered[idx]
            elif curr_alpha > alpha:
                filtered[idx] = alpha * filtered[idx]
            else:
                filtered[idx] = max(curr_alpha, 0.0) * filtered[idx]
            lam = lam / 2
        out[t] = np.clip(frames[t] + recon_lpyr(filtered), *value_range)
    return out


def level_alphas_reference(shape, alpha, lambda_c=16.0):
    n = 1 + max_pyr_ht(shape)
    delta = lambda_c / 8 / (1 + alpha)
    lam = math.hypot(*shape) / 3
    out = [0.0] * n
    for idx in range(n - 1, -1, -1):
        curr = (lam / delta / 8 - 1) * 2
        if 0 < idx < n - 1:
            out[idx] = alpha if curr > alpha else max(curr, 0.0)
        lam /= 2
    return np.array(out)
