"""Slow, readable NumPy HOG-TOP / HIGO-TOP, written from the definition (no numba).

1. Central differences [-1, 0, 1] along x, y and t over the whole clip, zero on the first
   and last sample of each axis (the border rule of skimage.feature.hog).
2. Per plane, the orientation rad2deg(atan2(second, first)) modulo 180 (unsigned) or 360
   (signed): XY = (G_x, G_y), XT = (G_x, G_t), YT = (G_y, G_t); a voxel with both
   in-plane gradients zero votes nowhere.
3. Bin k when edges[k] <= angle < edges[k + 1], edges[k] = period / n * k.
4. Blocks: boundaries floor(i * N / n) along each axis; sum the votes (magnitude or 1)
   per [t-block][row][col][plane][bin]; then normalise.
"""

import numpy as np


def gradients(clip):
    """(G_t, G_y, G_x) float64 arrays of shape (T, H, W)."""
    v = np.asarray(clip, dtype=np.float64)
    grads = []
    for axis in range(3):
        g = np.zeros_like(v)
        n = v.shape[axis]
        if n >= 3:
            hi = np.take(v, np.arange(2, n), axis=axis)
            lo = np.take(v, np.arange(0, n - 2), axis=axis)
            idx = [slice(None)] * 3
            idx[axis] = slice(1, n - 1)
            g[tuple(idx)] = hi - lo
        grads.append(g)
    return tuple(grads)


def block_index(n, n_blocks):
    bounds = (np.arange(n_blocks + 1) * n) // n_blocks
    return np.searchsorted(bounds, np.arange(n), side="right") - 1


def hog_top_naive(clip, orientations=8, grid=(1, 1, 1), signed=False, normalize="l1", count=False):
    """Reference HOG-TOP (count=False) / HIGO-TOP (count=True); same output layout."""
    clip = np.asarray(clip)
    T, H, W = clip.shape
    rows, cols, tblocks = grid
    gt, gy, gx = gradients(clip)
    period = 360.0 if signed else 180.0
    edges = np.array([period / orientations * k for k in range(orientations + 1)])
    bt = block_index(T, tblocks)[:, None, None]
    by = block_index(H, rows)[None, :, None]
    bx = block_index(W, cols)[None, None, :]
    block = np.broadcast_to((bt * rows + by) * cols + bx, clip.shape)
    n_blocks = tblocks * rows * cols
    hist = np.zeros((n_blocks, 3, orientations))
    for p, (a, b) in enumerate(((gx, gy), (gx, gt), (gy, gt))):
        angle = np.rad2deg(np.arctan2(b, a)) % period
        k = np.clip(np.searchsorted(edges, angle, side="right") - 1, 0, orientations - 1)
        voting = (a != 0) | (b != 0)
        weight = np.ones_like(a) if count else np.hypot(a, b)
        flat = block[voting] * orientations + k[voting]
        hist[:, p, :] = np.bincount(flat, weights=weight[voting], minlength=n_blocks * orientations).reshape(
            n_blocks, orientations
        )
    if normalize == "l1":
        s = hist.sum(axis=-1, keepdims=True)
        hist = np.where(s > 0, hist / np.where(s > 0, s, 1), 0.0)
    elif normalize == "l2":
        s = np.sqrt((hist**2).sum(axis=-1, keepdims=True))
        hist = np.where(s > 0, hist / np.where(s > 0, s, 1), 0.0)
    elif normalize == "global":
        s = hist.sum()
        hist = hist / s if s > 0 else hist
    elif normalize is not None:
        raise ValueError(normalize)
    return hist.reshape(-1)
