"""Numba kernels of the optical-flow descriptors (private; no validation, fill ``out``).

Only numpy, :mod:`mefeat._jit` and :mod:`mefeat._config` are imported. The callers in
:mod:`mefeat.flow` and :mod:`mefeat.descriptors` validate the inputs, allocate the outputs and
map string options to the integer codes below. Kernels never write to their inputs.

Speed notes (every descriptor must cost well under 10 % of the flow it consumes, DIS included):
flows are read in their own dtype (float32 from OpenCV; values converted exactly to float64 on
load); hot loops run over contiguous float64 rows indexed from 0 (no wraparound checks) and
are branch-free so that LLVM vectorises them (sqrt and divisions are the bottleneck). Two small
FDM reductions use ``fastmath={"reassoc"}`` only: the sums may be reordered (rounding-level),
comparisons stay exact (no contraction, no NaN/inf assumptions). MDMO's kernel uses
``error_model="numpy"`` (no zero-division check inside the vectorised loop).
"""

import math

import numpy as np

from mefeat._jit import helper, jit

__all__ = ["strain_kernel", "strain_backward_kernel", "strain_central_kernel", "bi_woof_kernel", "bi_woof_scratch",
           "roi_main_direction_kernel", "mdmo_scratch", "fdm_kernel", "fdm_scratch"]

# Scratch arrays: the kernels allocate nothing. Each ``*_scratch`` function (NumPy only) allocates
# the work arrays of one kernel call and the caller passes them in (one set per concurrent call;
# their contents on entry do not matter). Every np.empty/np.zeros specialisation inside a kernel
# would be one more numba function to compile (about 50-150 ms each, per process).

#: ``scheme`` codes of :func:`strain_kernel`.
STRAIN_BACKWARD = 0
STRAIN_CENTRAL = 1


@helper
def _diff_x(f, y, x, c, W, scheme):
    # d f[..., c] / d x at (y, x); backward: f[x]-f[x-1], 0 on column 0;
    # central: np.gradient (central inside, one-sided first order at the borders, 0 when W == 1).
    if scheme == 0:
        if x == 0:
            return 0.0
        return np.float64(f[y, x, c]) - np.float64(f[y, x - 1, c])
    if W == 1:
        return 0.0
    if x == 0:
        return np.float64(f[y, 1, c]) - np.float64(f[y, 0, c])
    if x == W - 1:
        return np.float64(f[y, x, c]) - np.float64(f[y, x - 1, c])
    return 0.5 * (np.float64(f[y, x + 1, c]) - np.float64(f[y, x - 1, c]))


@helper
def _diff_y(f, y, x, c, H, scheme):
    if scheme == 0:
        if y == 0:
            return 0.0
        return np.float64(f[y, x, c]) - np.float64(f[y - 1, x, c])
    if H == 1:
        return 0.0
    if y == 0:
        return np.float64(f[1, x, c]) - np.float64(f[0, x, c])
    if y == H - 1:
        return np.float64(f[y, x, c]) - np.float64(f[y - 1, x, c])
    return 0.5 * (np.float64(f[y + 1, x, c]) - np.float64(f[y - 1, x, c]))


@helper
def _load_row(fl, y, u, v):
    # Row y of a C-contiguous (H, W, 2) flow, given flat (``flow.reshape(flow.size)``), into the
    # float64 rows u, v (contiguous rows vectorise below). A slice indexed from 0 keeps the loads
    # free of wraparound checks.
    W = u.shape[0]
    seg = fl[2 * W * y:2 * W * (y + 1)]
    for x in range(W):
        u[x] = seg[2 * x]
        v[x] = seg[2 * x + 1]


@helper
def _strain_row(cu, cv, pu, pv, has_prev, out):
    # os.m strain of one row from its flow (cu, cv) and the previous row's (pu, pv); the
    # differences are 0 on column 0 and, without a previous row (row 0), across rows.
    W = cu.shape[0]
    if has_prev:
        uy = cu[0] - pu[0]
        vy = cv[0] - pv[0]
        s = uy + 0.0
        out[0] = math.sqrt(0.0 * 0.0 + vy * vy + 0.5 * s * s)
        for x in range(1, W):
            ux = cu[x] - cu[x - 1]
            vx = cv[x] - cv[x - 1]
            uy = cu[x] - pu[x]
            vy = cv[x] - pv[x]
            s = uy + vx
            out[x] = math.sqrt(ux * ux + vy * vy + 0.5 * s * s)
    else:
        out[0] = 0.0
        for x in range(1, W):
            ux = cu[x] - cu[x - 1]
            vx = cv[x] - cv[x - 1]
            s = 0.0 + vx
            out[x] = math.sqrt(ux * ux + 0.0 * 0.0 + 0.5 * s * s)


def strain_kernel(flow, scheme, out):
    """Optical strain magnitude ``sqrt(u_x^2 + v_y^2 + 0.5 (u_y + v_x)^2)``.

    Parameters
    ----------
    flow : (H, W, 2) float32 or float64, C-contiguous
        Flow (``[..., 0] = u`` x right, ``[..., 1] = v`` y down); read as float64.
    scheme : int
        ``STRAIN_BACKWARD`` (os.m) or ``STRAIN_CENTRAL`` (np.gradient).
    out : (H, W) float64
        Filled with the strain magnitude.

    A plain Python switch over one compiled kernel per scheme (:func:`strain_backward_kernel`,
    :func:`strain_central_kernel`), so that a scheme compiles only its own code.
    """
    if scheme == STRAIN_BACKWARD:
        strain_backward_kernel(flow, out, np.empty((4, flow.shape[1])))
    else:
        strain_central_kernel(flow, out)


@jit
def strain_backward_kernel(flow, out, rows):
    """:func:`strain_kernel` with the os.m backward differences; ``rows`` : (4, W) float64 scratch."""
    H = flow.shape[0]
    fl = flow.reshape(flow.size)
    pu = rows[0]
    pv = rows[1]
    cu = rows[2]
    cv = rows[3]
    for y in range(H):
        _load_row(fl, y, cu, cv)
        _strain_row(cu, cv, pu, pv, y > 0, out[y])
        pu, cu = cu, pu
        pv, cv = cv, pv


@jit
def strain_central_kernel(flow, out):
    """:func:`strain_kernel` with np.gradient's differences (central inside, one-sided at the borders)."""
    H = flow.shape[0]
    W = flow.shape[1]
    for y in range(H):
        for x in range(W):
            ux = _diff_x(flow, y, x, 0, W, STRAIN_CENTRAL)
            vx = _diff_x(flow, y, x, 1, W, STRAIN_CENTRAL)
            uy = _diff_y(flow, y, x, 0, H, STRAIN_CENTRAL)
            vy = _diff_y(flow, y, x, 1, H, STRAIN_CENTRAL)
            s = uy + vx
            out[y, x] = math.sqrt(ux * ux + vy * vy + 0.5 * s * s)


@helper
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
    b = math.floor((angle - edges[0]) / width)  # an int64 already
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


@helper
def _octant_bin8(u, v, compat):
    # The Bi-WOOF 8-bin index from signs and |u| vs |v| (no atan2); -2 when the vector lies within
    # a relative 1e-9 band of an edge (an axis or a diagonal) or is zero, where the caller uses
    # atan2. Outside the band the result equals the atan2 binning exactly (the true angle is
    # >= ~1e-9 rad from every edge, far above the ~1e-15 rounding of atan2 * 180 / pi).
    # Branch-free (selects only) so that loops over it vectorise.
    a = abs(u)
    b = abs(v)
    tol = _EDGE_BAND * (a + b)
    edge = np.int64(a <= tol) | np.int64(b <= tol) | np.int64(abs(a - b) <= tol)
    # outside the band u, v != 0 and |u| != |v|: the quadrant (v > 0, u > 0) gives the base bin
    # (-180 -> 0, -90 -> 2, 0 -> 4, 90 -> 6) and |v| > |u| (flipped in the 2nd/4th quadrants) the half
    pv = np.int64(v > 0)
    q = pv ^ np.int64(u > 0)
    r = 4 * pv + 2 * q + (np.int64(b > a) ^ q)
    r = -1 if (compat and r == 7) else r
    return -2 if edge else r


@helper
def _centred_bin8(u, v):
    # The MDMO 8-bin index (bins centred on k pi/4) from |v| vs tan(pi/8)|u| and tan(3pi/8)|u|;
    # -2 within a relative 1e-9 band of an edge (caller uses atan2), as in _octant_bin8.
    a = abs(u)
    b = abs(v)
    tol = _EDGE_BAND * (a + b)
    t1 = _TAN_PI_8 * a
    t2 = _TAN_3PI_8 * a
    edge = np.int64(a + b == 0.0) | np.int64(abs(b - t1) <= tol) | np.int64(abs(b - t2) <= tol)
    # r = bins away from the horizontal axis (0, 1, 2); mirrored by the signs of u and v
    r = np.int64(b >= t1) + np.int64(b >= t2)
    pu = np.int64(u > 0)
    s = pu ^ np.int64(v < 0)  # 1: u > 0, v >= 0 or u <= 0, v < 0 -> counter-clockwise from the axis
    return -2 if edge else (4 * (1 - pu) + (2 * s - 1) * r) & 7


def bi_woof_scratch(W, n_bins):
    """The scratch of one :func:`bi_woof_kernel` call on a flow ``W`` pixels wide (NumPy only): ``(rows,
    bins, col_hist)`` = (7, W) float64 (previous and current u, v rows, strain, magnitude, per-column
    strain sums), (W,) int64 (the row's bins), (W * n_bins + 1,) float64 (per-column histograms and a
    spare slot)."""
    return np.empty((7, W)), np.empty(W, np.int64), np.empty(W * n_bins + 1)


@jit
def bi_woof_kernel(flow, strain, has_strain, row_ranges, col_ranges, edges, compat, eps, scratch, out):
    """The whole Bi-WOOF vector of one flow field in one pass (histograms, strain, normalisation).

    Parameters
    ----------
    flow : (H, W, 2) float32 or float64, C-contiguous
        Read as float64.
    strain : (H, W) float64
        Optical strain; only read when ``has_strain`` (else any array, e.g. ``(1, 1)``).
    has_strain : int
        0: compute the os.m backward strain of ``flow`` on the fly (exactly :func:`strain_kernel`).
    row_ranges : (n_rows, 2) int64
        Half-open row range of every block row.
    col_ranges : (n_cols, 2) int64
    edges : (n_bins,) float64
        Left bin edges in degrees, starting at -180, equally spaced.
    compat : int
        1 = MATLAB ``histc`` semantics (angles above ``edges[-1]`` are dropped), 0 = equal bins.
    eps : float
        The vector is set to zero when its L2 norm is <= eps.
    scratch : tuple
        :func:`bi_woof_scratch` for this flow's width and ``n_bins`` (overwritten).
    out : (n_rows * n_cols * n_bins,) float64
        Filled with the feature: per block (row-major) the magnitude-weighted orientation histogram
        divided by its sum (zeros when the sum is 0) times the block's strain sum; then L2-normalised.

    Notes
    -----
    One pass over the flow, row by row (rows de-interleaved to float64, branch-free loops that
    vectorise): strain, magnitude and bin of every pixel are exactly those of :func:`strain_kernel`
    and the atan2 binning; the block sums are accumulated per column first and then over the
    block's columns, an order that differs from a row-major sum by rounding only (~1e-16).
    """
    W = flow.shape[1]
    fl = flow.reshape(flow.size)
    n_bins = edges.shape[0]
    width = 360.0 / n_bins
    n_r = row_ranges.shape[0]
    n_c = col_ranges.shape[0]
    rad2deg = 180.0 / math.pi
    rows, bn, col_hist = scratch
    pu = rows[0]
    pv = rows[1]
    cu = rows[2]
    cv = rows[3]
    st = rows[4]
    mg = rows[5]
    # per-column sums over the rows of a block row: the strain (a vectorised row add) and the
    # histogram (pixel x adds to its own slot, so consecutive pixels never wait on each other);
    # the columns of a block are added up at the end of the block row
    col_strain = rows[6]
    trash = W * n_bins
    for bi in range(n_r):
        col_strain[:] = 0.0
        col_hist[:] = 0.0
        y0 = row_ranges[bi, 0]
        if not has_strain and y0 > 0:
            _load_row(fl, y0 - 1, pu, pv)
        for y in range(y0, row_ranges[bi, 1]):
            _load_row(fl, y, cu, cv)
            if has_strain:
                for x in range(W):
                    st[x] = strain[y, x]
            else:
                _strain_row(cu, cv, pu, pv, y > 0, st)
            for x in range(W):
                col_strain[x] += st[x]
            n_edge = 0
            if n_bins == 8:
                for x in range(W):
                    mg[x] = math.sqrt(cu[x] * cu[x] + cv[x] * cv[x])
                    b = _octant_bin8(cu[x], cv[x], compat)
                    bn[x] = b
                    n_edge += 1 if b == -2 else 0
            else:
                for x in range(W):
                    mg[x] = math.sqrt(cu[x] * cu[x] + cv[x] * cv[x])
                    bn[x] = -2
                n_edge = W
            if n_edge:  # rare with 8 bins: vectors within 1e-9 of a bin edge (or zero) use atan2
                for x in range(W):
                    if bn[x] == -2:
                        bn[x] = _orientation_bin(math.atan2(cv[x], cu[x]) * rad2deg, edges, n_bins, width, compat)
            for x in range(W):  # a dropped angle (bin -1, compat) goes to the spare last slot
                b = bn[x]
                col_hist[x * n_bins + b if b >= 0 else trash] += mg[x]
            pu, cu = cu, pu
            pv, cv = cv, pv
        for bj in range(n_c):
            o = (bi * n_c + bj) * n_bins
            s = 0.0
            for b in range(n_bins):
                out[o + b] = 0.0
            for x in range(col_ranges[bj, 0], col_ranges[bj, 1]):
                s += col_strain[x]
                for b in range(n_bins):
                    out[o + b] += col_hist[x * n_bins + b]
            total = 0.0
            for b in range(n_bins):
                total += out[o + b]
            for b in range(n_bins):
                out[o + b] = out[o + b] / total * s if total > 0 else 0.0
    sq = 0.0
    for k in range(out.shape[0]):
        sq += out[k] * out[k]
    norm = math.sqrt(sq)
    for k in range(out.shape[0]):
        out[k] = out[k] / norm if norm > eps else 0.0


def mdmo_scratch(roi_ptr, n_bins):
    """The scratch of one :func:`roi_main_direction_kernel` call for these ROIs (NumPy only): ``(count,
    sums, coords, rows, bins)`` = (n_bins,) int64 (votes per direction bin), (3, n_bins) float64 (summed
    magnitude, cosine and sine per bin), (2, P) float64 (x and y of every ROI pixel), (5, n_max) float64
    (a ROI's u, v, magnitude, cosine, sine) and (n_max,) int64 (its bins), ``n_max`` = the largest ROI."""
    roi_ptr = np.asarray(roi_ptr)
    n_max = int(np.diff(roi_ptr).max(initial=0))
    return (np.empty(n_bins, np.int64), np.empty((3, n_bins)), np.empty((2, int(roi_ptr[-1]))),
            np.empty((5, n_max)), np.empty(n_max, np.int64))


@jit(error_model="numpy")
def roi_main_direction_kernel(flows, transforms, roi_pix, roi_ptr, n_bins, eps, scratch, out):
    """MDMO atomic features: per frame and ROI, the mean flow of the main direction bin.

    Parameters
    ----------
    flows : (N, H, W, 2) float64 or float32, C-contiguous (read as float64)
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
    scratch : tuple
        :func:`mdmo_scratch` of these ROIs and ``n_bins`` (overwritten).
    out : (N, R, 2) float64
        Filled with ``rho (cos theta, sin theta)``: rho = mean magnitude, theta = circular mean angle of
        the vectors in the bin with the most vectors (ties: the larger summed magnitude, then the lowest
        bin); 0 when the ROI has no motion.

    Notes
    -----
    Per frame and ROI: the ROI's flow is gathered to contiguous float64 rows, then one branch-free
    (vectorised) pass computes the aligned flow, magnitude, unit vector and bin of every pixel,
    and a scalar pass adds the votes in pixel order (bit-identical to summing one pixel at a time).
    Compiled with ``error_model="numpy"`` so that the divisions carry no zero check (a still pixel's
    quotient is never used).
    """
    N = flows.shape[0]
    H = flows.shape[1]
    W = flows.shape[2]
    R = roi_ptr.shape[0] - 1
    P = roi_pix.shape[0]
    fl = flows.reshape(flows.size)
    width = 2.0 * math.pi / n_bins
    count, sums, coords, rows, bn = scratch
    smag = sums[0]
    scos = sums[1]
    ssin = sums[2]
    # pixel coordinates once (not per frame); per-ROI scratch rows for the vectorised pass
    xs = coords[0]
    ys = coords[1]
    for q in range(P):
        y = roi_pix[q] // W
        ys[q] = y
        xs[q] = roi_pix[q] - y * W
    fu = rows[0]
    fv = rows[1]
    mg = rows[2]
    cs = rows[3]
    sn = rows[4]
    for i in range(N):
        t00 = transforms[i, 0, 0]
        t01 = transforms[i, 0, 1]
        t10 = transforms[i, 1, 0]
        t11 = transforms[i, 1, 1]
        t20 = transforms[i, 2, 0]
        t21 = transforms[i, 2, 1]
        base = i * H * W
        for r in range(R):
            q0 = roi_ptr[r]
            n = roi_ptr[r + 1] - q0
            rp = roi_pix[q0:q0 + n]
            xr = xs[q0:q0 + n]
            yr = ys[q0:q0 + n]
            # pass 0: gather the ROI's flow (float64, contiguous)
            for j in range(n):
                k = 2 * (base + rp[j])
                fu[j] = fl[k]
                fv[j] = fl[k + 1]
            # pass 1 (no branches, vectorises): aligned flow, magnitude, unit vector, 8-bin index
            for j in range(n):
                x = xr[j]
                y = yr[j]
                px = x + fu[j]
                py = y + fv[j]
                uu = px * t00 + py * t10 + t20 - x
                vv = px * t01 + py * t11 + t21 - y
                mag = math.sqrt(uu * uu + vv * vv)
                mg[j] = mag
                cs[j] = uu / mag if mag > eps else 0.0  # a still pixel's entries are never read
                sn[j] = vv / mag if mag > eps else 0.0
                bn[j] = _centred_bin8(uu, vv)
            for b in range(n_bins):
                count[b] = 0
                smag[b] = 0.0
                scos[b] = 0.0
                ssin[b] = 0.0
            # pass 2: votes. The sums of the current bin live in registers while consecutive
            # pixels share it (the same additions in the same order as into the arrays directly).
            cb = -1
            c_n = 0
            c_m = 0.0
            c_c = 0.0
            c_s = 0.0
            for j in range(n):
                mag = mg[j]
                if mag <= eps:
                    continue
                b = bn[j] if n_bins == 8 else -2
                if b == -2:
                    # rare (n_bins != 8, or within 1e-9 of an edge): the aligned flow again, exactly
                    x = xr[j]
                    y = yr[j]
                    px = x + fu[j]
                    py = y + fv[j]
                    uu = px * t00 + py * t10 + t20 - x
                    vv = px * t01 + py * t11 + t21 - y
                    b = math.floor((math.atan2(vv, uu) + 0.5 * width) / width)  # an int64 already
                    if b < 0:
                        b += n_bins
                    elif b >= n_bins:
                        b -= n_bins
                if b != cb:
                    if cb >= 0:
                        count[cb] = c_n
                        smag[cb] = c_m
                        scos[cb] = c_c
                        ssin[cb] = c_s
                    cb = b
                    c_n = count[b]
                    c_m = smag[b]
                    c_c = scos[b]
                    c_s = ssin[b]
                c_n += 1
                c_m += mag
                c_c += cs[j]
                c_s += sn[j]
            if cb >= 0:
                count[cb] = c_n
                smag[cb] = c_m
                scos[cb] = c_c
                ssin[cb] = c_s
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


@helper(fastmath={"reassoc"})
def _moving_sums(bu, bv, bc, n):
    # Sum and count of the vectors with bc < inf (the moving ones). ``reassoc`` only lets the sums
    # vectorise (rounding-level changes of the totals); the selections are exact comparisons.
    sx = 0.0
    sy = 0.0
    m = 0
    for j in range(n):
        keep = bc[j] < math.inf
        sx += bu[j] if keep else 0.0
        sy += bv[j] if keep else 0.0
        m += 1 if keep else 0
    return sx, sy, m


@helper(fastmath={"reassoc"})
def _cone_sums(bu, bv, bc, n, xi_x, xi_y):
    # Sum and count of the inliers ``u xi_x + v xi_y >= bc`` (bc = cos_max |f|, inf when still).
    sx = 0.0
    sy = 0.0
    m = 0
    for j in range(n):
        keep = bu[j] * xi_x + bv[j] * xi_y >= bc[j]
        sx += bu[j] if keep else 0.0
        sy += bv[j] if keep else 0.0
        m += 1 if keep else 0
    return sx, sy, m


def fdm_scratch(W, row_edges, col_edges, time_edges):
    """The scratch of one :func:`fdm_kernel` call with these cuboid edges (NumPy only): ``(slab, rows,
    place)`` = (3, n_cols * n_max) float64 (a slab's cuboids side by side: u, v, cos_max |f|), (3, W)
    float64 (one image row's u, v, cos_max |f|) and (2, W) int64 (where each column goes in the slab:
    start, stride); ``n_max`` >= the largest cuboid's number of vectors (at least 1)."""
    n_max = max(1, int(np.diff(time_edges).max()) * int(np.diff(row_edges).max()) * int(np.diff(col_edges).max()))
    return np.empty((3, (len(col_edges) - 1) * n_max)), np.empty((3, W)), np.empty((2, W), np.int64)


@jit
def fdm_kernel(flows, row_edges, col_edges, time_edges, n_iter, cos_max, eps, scratch, out):
    """Principal flow direction of every spatio-temporal cuboid (Facial Dynamics Map).

    Parameters
    ----------
    flows : (N, H, W, 2) float64 or float32, C-contiguous (read as float64)
    row_edges, col_edges, time_edges : (n + 1,) int64
        Cuboid boundaries (half-open) along y, x and the flow index.
    n_iter : int
        Maximum number of re-estimations after the initial direction.
    cos_max : float
        A vector f is an inlier of direction xi when ``f . xi >= cos_max * |f|``.
    eps : float
        Vectors with magnitude <= eps are ignored.
    scratch : tuple
        :func:`fdm_scratch` of these edges (overwritten).
    out : (n_t * n_r * n_c, 3) float64
        Filled with ``(xi_x, xi_y, m)``: the unit principal direction and the mean projection m of the
        inliers on it; zeros when the cuboid has no motion or its vectors cancel.

    Notes
    -----
    Each slab of cuboids (one time block x one row block) is first copied, cuboid by cuboid, to
    float64 ``u, v`` and ``cos_max |f|`` (inf for a still vector; |f| in float64 for float32 flows
    too), so that the repeated inlier passes are plain vectorised loops; the sums run in vector
    lanes (a different order than one sequential sum: rounding-level differences).
    """
    H = flows.shape[1]
    W = flows.shape[2]
    fl = flows.reshape(flows.size)
    n_t = time_edges.shape[0] - 1
    n_r = row_edges.shape[0] - 1
    n_c = col_edges.shape[0] - 1
    slab, rows, place = scratch
    n_max = slab.shape[1] // n_c  # >= every cuboid's number of vectors
    # one slab (time block x row block) at a time: the cuboids of the slab side by side in
    # bu/bv/bc; pixel x of the slab's m-th row goes to dest[x] + m * step[x]
    bu = slab[0]
    bv = slab[1]
    bc = slab[2]
    ru = rows[0]
    rv = rows[1]
    rc = rows[2]
    dest = place[0]
    step = place[1]
    for ci in range(n_c):
        for x in range(col_edges[ci], col_edges[ci + 1]):
            dest[x] = ci * n_max + x - col_edges[ci]
            step[x] = col_edges[ci + 1] - col_edges[ci]
    for ti in range(n_t):
        for ri in range(n_r):
            m = 0
            for t in range(time_edges[ti], time_edges[ti + 1]):
                for y in range(row_edges[ri], row_edges[ri + 1]):
                    o = 2 * (t * H + y) * W
                    seg = fl[o:o + 2 * W]
                    for x in range(W):  # whole rows: long vectorised loops
                        uu = np.float64(seg[2 * x])
                        vv = np.float64(seg[2 * x + 1])
                        mag = math.sqrt(uu * uu + vv * vv)
                        ru[x] = uu
                        rv[x] = vv
                        rc[x] = cos_max * mag if mag > eps else math.inf
                    for x in range(W):
                        d = dest[x] + m * step[x]
                        bu[d] = ru[x]
                        bv[d] = rv[x]
                        bc[d] = rc[x]
                    m += 1
            for ci in range(n_c):
                k = (ti * n_r + ri) * n_c + ci
                out[k, 0] = 0.0
                out[k, 1] = 0.0
                out[k, 2] = 0.0
                n = m * (col_edges[ci + 1] - col_edges[ci])
                cu = bu[ci * n_max:ci * n_max + n]
                cv = bv[ci * n_max:ci * n_max + n]
                cc = bc[ci * n_max:ci * n_max + n]
                # initial direction: the unit vector maximising the summed projections = normalised sum
                sx, sy, n_all = _moving_sums(cu, cv, cc, n)
                norm = math.sqrt(sx * sx + sy * sy)
                if n_all == 0 or norm <= eps:
                    continue
                xi_x = sx / norm
                xi_y = sy / norm
                proj = norm / n_all
                # robust re-estimation: keep the vectors within the inlier cone of xi, re-solve
                for _ in range(n_iter):
                    sx, sy, n_in = _cone_sums(cu, cv, cc, n, xi_x, xi_y)
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
