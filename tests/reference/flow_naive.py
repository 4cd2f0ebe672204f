"""Slow, readable NumPy references of the flow descriptors, written from the papers and METHODS.md.

Independent of mefeat's kernels and region code: ROIs are rasterised with matplotlib's Path, flow is
sampled with scipy's map_coordinates, histograms use explicit comparisons.
"""

import numpy as np


def strain_naive(flow, scheme="backward"):
    """os.m strain (backward differences, first row/column replicated) or np.gradient central."""
    u, v = flow[..., 0].astype(np.float64), flow[..., 1].astype(np.float64)
    if scheme == "backward":
        ux = np.diff(u, axis=1, prepend=u[:, :1])
        vx = np.diff(v, axis=1, prepend=v[:, :1])
        uy = np.diff(u, axis=0, prepend=u[:1, :])
        vy = np.diff(v, axis=0, prepend=v[:1, :])
    else:
        ux = np.gradient(u, axis=1) if u.shape[1] > 1 else np.zeros_like(u)
        vx = np.gradient(v, axis=1) if u.shape[1] > 1 else np.zeros_like(u)
        uy = np.gradient(u, axis=0) if u.shape[0] > 1 else np.zeros_like(u)
        vy = np.gradient(v, axis=0) if u.shape[0] > 1 else np.zeros_like(u)
    return np.sqrt(ux**2 + vy**2 + 0.5 * (uy + vx) ** 2)


def bi_woof_naive(flow, strain=None, grid=(5, 5), n_bins=8, compat=False):
    """Bi-WOOF from MANIFEST §E (compat) or equal 45-degree bins over disjoint blocks."""
    flow = flow.astype(np.float64)
    H, W = flow.shape[:2]
    if strain is None:
        strain = strain_naive(flow)
    mag = np.hypot(flow[..., 0], flow[..., 1])
    ang = np.degrees(np.arctan2(flow[..., 1], flow[..., 0]))
    width = 360.0 / n_bins
    edges = [-180.0 + k * width for k in range(n_bins)]

    def ranges(n, parts):
        if not compat:
            return [(k * n // parts, (k + 1) * n // parts) for k in range(parts)]
        h = n // parts
        if parts == 1:
            return [(0, n)]
        out = [(0, min(h + 1, n))]
        out += [(k * h - 1, (k + 1) * h + 1) for k in range(1, parts - 1)]
        return out + [((parts - 1) * h - 1, n)]

    feats = []
    for y0, y1 in ranges(H, grid[0]):
        for x0, x1 in ranges(W, grid[1]):
            a = ang[y0:y1, x0:x1].ravel()
            m = mag[y0:y1, x0:x1].ravel()
            hist = np.zeros(n_bins)
            for k in range(n_bins):
                if k < n_bins - 1:
                    sel = (a >= edges[k]) & (a < edges[k + 1])
                elif compat:
                    sel = a == edges[k]
                else:
                    sel = (a >= edges[k]) & (a < 180.0)
                if not compat and k == 0:
                    sel = sel | (a >= 180.0)  # 180 is the same direction as -180
                hist[k] = m[sel].sum()
            if hist.sum() > 0:
                hist = hist / hist.sum()
            feats.append(hist * strain[y0:y1, x0:x1].sum())
    out = np.concatenate(feats)
    n = np.linalg.norm(out)
    return out / n if n > 1e-12 else out


# METHODS.md §5, written out again: helper points and the 36 quadrilaterals.
def _helpers(lm, delta):
    mid = lambda a, b: (lm[a] + lm[b]) / 2  # noqa: E731
    up = lambda a: lm[a] - np.array([0.0, delta])  # noqa: E731
    T = {0: up(17), 1: up(19), 2: up(21), 4: up(22), 5: up(24), 6: up(26)}
    T[3] = (T[2] + T[4]) / 2
    T[7], T[8] = mid(3, 29), mid(13, 29)
    T[9] = T[11] = mid(4, 33)
    T[10] = T[12] = mid(12, 33)
    T[13] = T[17] = mid(5, 59)
    T[14] = T[21] = mid(11, 55)
    T[15], T[16] = mid(2, 41), mid(14, 46)
    T[18], T[19], T[20] = mid(6, 58), mid(8, 57), mid(10, 56)
    return T


ROI_TABLE = """17,T0,T1,19; 19,T1,T2,21; 21,T2,T3,27; 27,T3,T4,22; 22,T4,T5,24; 24,T5,T6,26;
1,0,17,36; 36,17,19,38; 38,19,21,39; 39,21,27,28; 28,27,22,42; 42,22,24,43;
43,24,26,45; 45,26,16,15; 3,2,T15,T7; T7,T15,41,39; T7,39,28,29; 29,28,42,T8;
T8,42,46,T16; T8,T16,14,13; T11,T7,29,33; 33,29,T8,T12; T13,T9,33,59; 55,33,T10,T14;
T18,T17,59,58; T19,T18,58,57; T20,T19,57,56; T21,T20,56,55; 4,3,T7,T11; T12,T8,13,12;
5,4,T9,T13; T14,T10,12,11; 6,5,T17,T18; 8,6,T18,T19; 10,8,T19,T20; 11,10,T20,T21"""


def roi_masks_naive(landmarks, shape, delta=20.0):
    """(36, H, W) bool masks: pixel centres inside each quadrilateral (matplotlib Path)."""
    from matplotlib.path import Path

    lm = np.asarray(landmarks, np.float64)
    T = _helpers(lm, delta)
    H, W = shape
    yy, xx = np.mgrid[0:H, 0:W]
    centres = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float64)
    masks = []
    for roi in ROI_TABLE.replace("\n", " ").split(";"):
        verts = [T[int(s.strip()[1:])] if s.strip().startswith("T") else lm[int(s)] for s in roi.split(",")]
        masks.append(Path(np.array(verts)).contains_points(centres).reshape(H, W))
    return np.array(masks)


def mdmo_naive(flows, landmarks, n_bins=8, align=True, delta=20.0, masks=None):
    """MDMO from METHODS §5: main direction bin, mean magnitude + circular mean angle, frame average."""
    from scipy.ndimage import map_coordinates

    flows = flows.astype(np.float64)
    N, H, W, _ = flows.shape
    lm = np.asarray(landmarks, np.float64)
    if masks is None:
        masks = roi_masks_naive(lm, (H, W), delta)
    stable = [0, 1, 2, 3, 4, 5, 11, 12, 13, 14, 15, 16, 30]
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    width = 2 * np.pi / n_bins
    atomic = np.zeros((N, len(masks), 2))
    for i in range(N):
        u, v = flows[i, ..., 0], flows[i, ..., 1]
        if align:
            p = lm[stable]
            coords = [np.clip(p[:, 1], 0, H - 1), np.clip(p[:, 0], 0, W - 1)]
            w = np.stack([map_coordinates(u, coords, order=1), map_coordinates(v, coords, order=1)], axis=1)
            if align == "affine":
                T = np.linalg.lstsq(np.c_[p + w, np.ones(len(p))], p, rcond=None)[0]
            else:
                T = np.vstack([np.linalg.lstsq(p + w, p, rcond=None)[0], [0.0, 0.0]])
            nx = (xx + u) * T[0, 0] + (yy + v) * T[1, 0] + T[2, 0] - xx
            ny = (xx + u) * T[0, 1] + (yy + v) * T[1, 1] + T[2, 1] - yy
            u, v = nx, ny
        for k, m in enumerate(masks):
            uu, vv = u[m], v[m]
            mag = np.hypot(uu, vv)
            keep = mag > 1e-9
            uu, vv, mag = uu[keep], vv[keep], mag[keep]
            if mag.size == 0:
                continue
            ang = np.arctan2(vv, uu)
            b = np.floor((ang + width / 2) / width).astype(int) % n_bins
            counts = np.bincount(b, minlength=n_bins)
            summed = np.bincount(b, weights=mag, minlength=n_bins)
            # most vectors; ties -> larger summed magnitude; then the lowest bin
            main = max(range(n_bins), key=lambda k: (counts[k], summed[k], -k))
            sel = b == main
            rho = mag[sel].mean()
            theta = np.arctan2(np.sin(ang[sel]).sum(), np.cos(ang[sel]).sum())
            atomic[i, k] = rho * np.cos(theta), rho * np.sin(theta)
    mean = atomic.mean(axis=0)
    rho = np.hypot(mean[:, 0], mean[:, 1])
    theta = np.where(rho > 0, np.arctan2(mean[:, 1], mean[:, 0]), 0.0)
    if rho.max() > 0:
        rho = rho / rho.max()
    return np.concatenate([rho, theta])


def fdm_naive(flows, grid=(6, 6, 2), n_iter=10, max_angle=np.pi / 4, magnitude=True):
    """FDM as documented in mefeat.descriptors.fdm: robust normalised-sum direction per cuboid."""
    flows = flows.astype(np.float64)
    N, H, W, _ = flows.shape
    r, c, t = grid
    out = []
    for ti in range(t):
        for ri in range(r):
            for ci in range(c):
                cub = flows[ti * N // t:(ti + 1) * N // t, ri * H // r:(ri + 1) * H // r,
                            ci * W // c:(ci + 1) * W // c].reshape(-1, 2)
                mag = np.hypot(cub[:, 0], cub[:, 1])
                cub, mag = cub[mag > 1e-9], mag[mag > 1e-9]
                s = cub.sum(axis=0)
                if len(cub) == 0 or np.linalg.norm(s) <= 1e-9:
                    out.append(np.zeros(2))
                    continue
                xi = s / np.linalg.norm(s)
                m = np.linalg.norm(s) / len(cub)
                for _ in range(n_iter):
                    inl = cub[cub @ xi >= np.cos(max_angle) * mag]
                    s = inl.sum(axis=0)
                    if len(inl) == 0 or np.linalg.norm(s) <= 1e-9:
                        break
                    new = s / np.linalg.norm(s)
                    m = np.linalg.norm(s) / len(inl)
                    if np.array_equal(new, xi):
                        break
                    xi = new
                out.append(xi * m if magnitude else xi)
    return np.concatenate(out)
