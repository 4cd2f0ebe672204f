"""Numba kernels of the optical-flow descriptors (private; no validation, fill ``out``).

Only numpy, :mod:`mefeat._jit` and :mod:`mefeat._config` are imported. The callers in
:mod:`mefeat.flow` and :mod:`mefeat.descriptors` validate the inputs, allocate the outputs and
map string options to the integer codes below. Kernels never write to their inputs.
"""

import math

import numpy as np

from mefeat._jit import jit

__all__ = ["strain_kernel", "block_orientation_kernel", "roi_main_direction_kernel", "fdm_kernel"]

#: ``scheme`` codes of :func:`strain_kernel`.
STRAIN_BACKWARD = 0
STRAIN_CENTRAL = 1


@jit
def _diff_x(a, y, x, W, scheme):
    # d a / d x at (y, x) for component a (2-D view); backward: a[x]-a[x-1], 0 on column 0;
    # central: np.gradient (central inside, one-sided first order at the borders, 0 when W == 1).
    if scheme == 0:
        if x == 0:
            return 0.0
        return a[y, x] - a[y, x - 1]
    if W == 1:
        return 0.0
    if x == 0:
        return a[y, 1] - a[y, 0]
    if x == W - 1:
        return a[y, x] - a[y, x - 1]
    return 0.5 * (a[y, x + 1] - a[y, x - 1])


@jit
def _diff_y(a, y, x, H, scheme):
    if scheme == 0:
        if y == 0:
            return 0.0
        return a[y, x] - a[y - 1, x]
    if H == 1:
        return 0.0
    if y == 0:
        return a[1, x] - a[0, x]
    if y == H - 1:
        return a[y, x] - a[y - 1, x]
    return 0.5 * (a[y + 1, x] - a[y - 1, x])


@jit
def strain_kernel(u, v, scheme, out):
    """Optical strain magnitude ``sqrt(u_x^2 + v_y^2 + 0.5 (u_y + v_x)^2)``.

    Parameters
    ----------
    u, v : (H, W) float64
        Flow components (x right, y down).
    scheme : int
        ``STRAIN_BACKWARD`` (os.m) or ``STRAIN_CENTRAL`` (np.gradient).
    out : (H, W) float64
        Filled with the strain magnitude.
    """
    H, W = u.shape
    for y in range(H):
        for x in range(W):
            ux = _diff_x(u, y, x, W, scheme)
            vx = _diff_x(v, y, x, W, scheme)
            uy = _diff_y(u, y, x, H, scheme)
            vy = _diff_y(v, y, x, H, scheme)
            s = uy + vx
            out[y, x] = math.sqrt(ux * ux + vy * vy + 0.5 * s * s)


@jit
def _orientation_bin(angle, edges, n_bins, width, compat):
    # Bin of an angle in degrees, (-180, 180]. compat: histc semantics on ``edges`` (bin k holds
    # edges[k] <= a < edges[k+1]; the last bin holds a == edges[-1] only; larger angles -> -1).
    # default: [edges[k], edges[k] + width) with 180 folded onto -180.
    if compat:
        last = edges[n_bins - 1]
        if angle > last:
            return -1
        if angle == last:
            return n_bins - 1
    b = int(math.floor((angle - edges[0]) / width))
    if b < 0:
        b = 0
    if b > n_bins - 1:
        b = n_bins - 1
    # exact comparisons with the edges (guards against rounding of the division)
    while b > 0 and angle < edges[b]:
        b -= 1
    while b < n_bins - 1 and angle >= edges[b + 1]:
        b += 1
    if not compat and angle >= edges[0] + n_bins * width:
        b = 0
    return b


#: tan(pi/8) and tan(3 pi/8): edges of the 8 MDMO bins centred on 0, pi/4, ...
_TAN_PI_8 = 0.41421356237309503
_TAN_3PI_8 = 2.414213562373095
#: Relative band around a bin edge inside which the geometric 8-bin tests defer to atan2.
_EDGE_BAND = 1e-9


@jit
def _octant_bin8(u, v, compat):
    # The Bi-WOOF 8-bin index from signs and |u| vs |v| (no atan2); -2 when the vector lies within
    # a relative 1e-9 band of an edge (an axis or a diagonal) or is zero, where the caller uses
    # atan2. Outside the band the result equals the atan2 binning exactly (the true angle is
    # >= ~1e-9 rad from every edge, far above the ~1e-15 rounding of atan2 * 180 / pi).
    a = abs(u)
    b = abs(v)
    tol = _EDGE_BAND * (a + b)
    if a <= tol or b <= tol or abs(a - b) <= tol:
        return -2
    if v > 0:
        if u > 0:
            return 4 if b < a else 5
        if b > a:
            return 6
        return -1 if compat else 7
    if u > 0:
        return 3 if b < a else 2
    return 1 if b > a else 0


@jit
def _centred_bin8(u, v):
    # The MDMO 8-bin index (bins centred on k pi/4) from |v| vs tan(pi/8)|u| and tan(3pi/8)|u|;
    # -2 within a relative 1e-9 band of an edge (caller uses atan2), as in _octant_bin8.
    a = abs(u)
    b = abs(v)
    tol = _EDGE_BAND * (a + b)
    t1 = _TAN_PI_8 * a
    t2 = _TAN_3PI_8 * a
    if a + b == 0.0 or abs(b - t1) <= tol or abs(b - t2) <= tol:
        return -2
    r = 0 if b < t1 else (1 if b < t2 else 2)
    if u > 0:
        return r if v >= 0 else (8 - r) % 8
    return 4 - r if v >= 0 else 4 + r


@jit
def block_orientation_kernel(u, v, strain, row_ranges, col_ranges, edges, compat, out_hist, out_strain):
    """Magnitude-weighted orientation histogram and strain sum of every block (Bi-WOOF).

    Parameters
    ----------
    u, v, strain : (H, W) float64
    row_ranges : (n_rows, 2) int64
        Half-open row range of every block row.
    col_ranges : (n_cols, 2) int64
    edges : (n_bins,) float64
        Left bin edges in degrees, starting at -180, equally spaced.
    compat : int
        1 = MATLAB ``histc`` semantics (angles above ``edges[-1]`` are dropped), 0 = equal bins.
    out_hist : (n_rows * n_cols, n_bins) float64
        Filled with the raw (unnormalised) histograms, blocks in row-major order.
    out_strain : (n_rows * n_cols,) float64
        Filled with the strain sum of each block.
    """
    n_bins = edges.shape[0]
    width = 360.0 / n_bins
    n_r = row_ranges.shape[0]
    n_c = col_ranges.shape[0]
    rad2deg = 180.0 / math.pi
    for bi in range(n_r):
        for bj in range(n_c):
            k = bi * n_c + bj
            for b in range(n_bins):
                out_hist[k, b] = 0.0
            s = 0.0
            for y in range(row_ranges[bi, 0], row_ranges[bi, 1]):
                for x in range(col_ranges[bj, 0], col_ranges[bj, 1]):
                    uu = u[y, x]
                    vv = v[y, x]
                    s += strain[y, x]
                    mag = math.sqrt(uu * uu + vv * vv)
                    b = _octant_bin8(uu, vv, compat) if n_bins == 8 else -2
                    if b == -2:
                        b = _orientation_bin(math.atan2(vv, uu) * rad2deg, edges, n_bins, width, compat)
                    if b >= 0:
                        out_hist[k, b] += mag
            out_strain[k] = s


@jit
def roi_main_direction_kernel(flows, transforms, roi_pix, roi_ptr, n_bins, eps, out):
    """MDMO atomic features: per frame and ROI, the mean flow of the main direction bin.

    Parameters
    ----------
    flows : (N, H, W, 2) float64 or float32 (read as float64)
    transforms : (N, 3, 2) float64
        Per-frame alignment map: the aligned flow at pixel p = (x, y) is
        ``(p + w(p)) T[:2] + T[2] - p`` (row vectors). ``T[:2] = I, T[2] = 0`` means no alignment.
    roi_pix : (P,) int64
        Flat pixel indices ``y * W + x`` of all ROIs, concatenated.
    roi_ptr : (R + 1,) int64
        ROI ``r`` owns ``roi_pix[roi_ptr[r]:roi_ptr[r + 1]]``.
    n_bins : int
        Direction bins centred on ``2 pi k / n_bins`` (half-open ``[c - w/2, c + w/2)``).
    eps : float
        Vectors with magnitude <= eps are not motion and do not vote.
    out : (N, R, 2) float64
        Filled with ``rho (cos theta, sin theta)``: rho = mean magnitude, theta = circular mean angle of
        the vectors in the bin with the most vectors (ties: the larger summed magnitude, then the lowest
        bin); 0 when the ROI has no motion.
    """
    N, H, W, _ = flows.shape
    R = roi_ptr.shape[0] - 1
    width = 2.0 * math.pi / n_bins
    count = np.zeros(n_bins, np.int64)
    smag = np.zeros(n_bins)
    scos = np.zeros(n_bins)
    ssin = np.zeros(n_bins)
    for i in range(N):
        t00 = transforms[i, 0, 0]
        t01 = transforms[i, 0, 1]
        t10 = transforms[i, 1, 0]
        t11 = transforms[i, 1, 1]
        t20 = transforms[i, 2, 0]
        t21 = transforms[i, 2, 1]
        for r in range(R):
            for b in range(n_bins):
                count[b] = 0
                smag[b] = 0.0
                scos[b] = 0.0
                ssin[b] = 0.0
            for q in range(roi_ptr[r], roi_ptr[r + 1]):
                p = roi_pix[q]
                y = p // W
                x = p - y * W
                px = x + float(flows[i, y, x, 0])
                py = y + float(flows[i, y, x, 1])
                uu = px * t00 + py * t10 + t20 - x
                vv = px * t01 + py * t11 + t21 - y
                mag = math.sqrt(uu * uu + vv * vv)
                if mag <= eps:
                    continue
                b = _centred_bin8(uu, vv) if n_bins == 8 else -2
                if b == -2:
                    b = int(math.floor((math.atan2(vv, uu) + 0.5 * width) / width))
                    if b < 0:
                        b += n_bins
                    elif b >= n_bins:
                        b -= n_bins
                count[b] += 1
                smag[b] += mag
                scos[b] += uu / mag
                ssin[b] += vv / mag
            best = 0
            for b in range(1, n_bins):
                if count[b] > count[best] or (count[b] == count[best] and smag[b] > smag[best]):
                    best = b
            if count[best] == 0:
                out[i, r, 0] = 0.0
                out[i, r, 1] = 0.0
                continue
            rho = smag[best] / count[best]
            theta = math.atan2(ssin[best], scos[best])
            out[i, r, 0] = rho * math.cos(theta)
            out[i, r, 1] = rho * math.sin(theta)


@jit
def fdm_kernel(flows, row_edges, col_edges, time_edges, n_iter, cos_max, eps, out):
    """Principal flow direction of every spatio-temporal cuboid (Facial Dynamics Map).

    Parameters
    ----------
    flows : (N, H, W, 2) float64 or float32 (read as float64)
    row_edges, col_edges, time_edges : (n + 1,) int64
        Cuboid boundaries (half-open) along y, x and the flow index.
    n_iter : int
        Maximum number of re-estimations after the initial direction.
    cos_max : float
        A vector f is an inlier of direction xi when ``f . xi >= cos_max * |f|``.
    eps : float
        Vectors with magnitude <= eps are ignored.
    out : (n_t * n_r * n_c, 3) float64
        Filled with ``(xi_x, xi_y, m)``: the unit principal direction and the mean projection m of the
        inliers on it; zeros when the cuboid has no motion or its vectors cancel.
    """
    n_t = time_edges.shape[0] - 1
    n_r = row_edges.shape[0] - 1
    n_c = col_edges.shape[0] - 1
    for ti in range(n_t):
        for ri in range(n_r):
            for ci in range(n_c):
                k = (ti * n_r + ri) * n_c + ci
                out[k, 0] = 0.0
                out[k, 1] = 0.0
                out[k, 2] = 0.0
                # initial direction: the unit vector maximising the summed projections = normalised sum
                sx = 0.0
                sy = 0.0
                n_all = 0
                for t in range(time_edges[ti], time_edges[ti + 1]):
                    for y in range(row_edges[ri], row_edges[ri + 1]):
                        for x in range(col_edges[ci], col_edges[ci + 1]):
                            uu = float(flows[t, y, x, 0])
                            vv = float(flows[t, y, x, 1])
                            if math.sqrt(uu * uu + vv * vv) > eps:
                                sx += uu
                                sy += vv
                                n_all += 1
                norm = math.sqrt(sx * sx + sy * sy)
                if n_all == 0 or norm <= eps:
                    continue
                xi_x = sx / norm
                xi_y = sy / norm
                proj = norm / n_all
                # robust re-estimation: keep the vectors within the inlier cone of xi, re-solve
                for it in range(n_iter):
                    sx = 0.0
                    sy = 0.0
                    n_in = 0
                    for t in range(time_edges[ti], time_edges[ti + 1]):
                        for y in range(row_edges[ri], row_edges[ri + 1]):
                            for x in range(col_edges[ci], col_edges[ci + 1]):
                                uu = float(flows[t, y, x, 0])
                                vv = float(flows[t, y, x, 1])
                                mag = math.sqrt(uu * uu + vv * vv)
                                if mag > eps and uu * xi_x + vv * xi_y >= cos_max * mag:
                                    sx += uu
                                    sy += vv
                                    n_in += 1
                    norm = math.sqrt(sx * sx + sy * sy)
                    if n_in == 0 or norm <= eps:
                        break
                    nx = sx / norm
                    ny = sy / norm
                    proj = norm / n_in
                    if nx == xi_x and ny == xi_y:
                        break
                    xi_x = nx
                    xi_y = ny
                out[k, 0] = xi_x
                out[k, 1] = xi_y
                out[k, 2] = proj
