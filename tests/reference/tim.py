"""The literal TIM of the reference MATLAB (TrainPGM.m + synPGM.m), as slow readable NumPy.

Written from METHODS §8 / MANIFEST §C, step by step: centring, economy SVD, path-graph Laplacian
eigenvectors (sorted), W = (Q Q^T)^-1 Q V0 via solve, scale factors from Q[:, 0], synthesis with
(W^T)^-1 via solve. mefeat.temporal.tim uses the algebraically equal closed form instead.
"""

import numpy as np


def tim_reference(frames, n_frames):
    frames = np.asarray(frames)
    n = frames.shape[0]
    X = frames.reshape(n, -1).T.astype(np.float64)  # D x n, one frame per column
    mu = X.mean(axis=1, keepdims=True)
    Xc = X - mu
    U, S, Vt = np.linalg.svd(Xc, full_matrices=False)
    U, S, Vt = U[:, : n - 1], S[: n - 1], Vt[: n - 1]  # drop the zero triplet left by centring
    Q = S[:, None] * Vt  # (n-1) x n
    G = np.zeros((n, n))
    for i in range(n - 1):
        G[i, i + 1] = G[i + 1, i] = 1.0
    L = np.diag(G.sum(axis=1)) - G
    ev, vecs = np.linalg.eig(L)
    order = np.argsort(ev.real)
    V0 = vecs[:, order].real[:, 1:]  # n x (n-1), constant eigenvector dropped
    W = np.linalg.solve(Q @ Q.T, Q @ V0)
    k = np.arange(1, n)
    m = (Q[:, 0] @ W) / np.sin(k * np.pi / n + np.pi * (n - k) / (2 * n))
    pos = np.linspace(0, 1, n_frames)
    s = pos * (1 - 1 / n) + 1 / n
    out = np.empty((X.shape[0], n_frames))
    for j, sj in enumerate(s):
        v = np.sin(sj * k * np.pi + np.pi * (n - k) / (2 * n))
        out[:, j] = U @ np.linalg.solve(W.T, v * m) + mu[:, 0]
    return out.T.reshape((n_frames,) + frames.shape[1:])
