"""Slow, readable NumPy restatement of LBP-TOP, written from the reference MANIFEST (sections A and B).

It is the oracle for the numba kernel in :mod:`mefeat._kernels.lbp`. Every sampling position is computed
per centre voxel, directly from the formulas (no precomputed offsets, no row tricks), so it shares no
structure with the kernel beyond the definitions.

Planes and neighbour positions (theta_p = 2*pi*p/P, bit p weight 2**p, set when neighbour >= centre):

==========  ==========================================  ==========================================
plane       convention "zhao2007" (LBPTOP_orig)          convention "huang" (blockwise LBPTOP)
==========  ==========================================  ==========================================
XY          x = xc + Rx cos, y = yc - Ry sin              same
XT          x = xc + Rx cos, t = tc + Rt sin              x = xc + Rx cos, t = tc - Rt sin
YT          y = yc - Ry sin, t = tc + Rt cos              y = yc - Ry cos, t = tc - Rt sin (Ry, not Rx)
==========  ==========================================  ==========================================

Arithmetic:

* ``"reference"``: coordinates in double with 1-based indices; nearest = ``floor(c + 0.5)``; bilinear casts the
  coordinates to float32 and evaluates
  ``(((V[fa,fb]*(1-u))*(1-v) + (V[fa,cb]*(1-u))*v) + (V[ca,fb]*u)*(1-v)) + (V[ca,cb]*u)*v`` in float32
  (a = x for XY/XT, y for YT; b = y for XY, t for XT/YT), floors it and compares with ``>=``.
* ``"skimage"``: skimage's ``local_binary_pattern`` applied to the plane seen as an image whose rows move with
  ``-R sin`` and columns with ``+R cos`` (axes reversed where the convention says otherwise); offsets rounded to
  5 decimals, ``top = (1-dc)*tl + dc*tr``, ``bottom = (1-dc)*bl + dc*br``, ``(1-dr)*top + dr*bottom`` in float64,
  bit set when ``value - centre >= -1e-12``.
"""

import numpy as np

AXES = {"t": 0, "y": 1, "x": 2}

# (axis, sign, trig) per plane: displacement along axis = sign * R_axis * trig(theta)
GEOMETRY = {
    "zhao2007": {
        "XY": (("x", +1, "cos"), ("y", -1, "sin")),
        "XT": (("x", +1, "cos"), ("t", +1, "sin")),
        "YT": (("y", -1, "sin"), ("t", +1, "cos")),
    },
    "huang": {
        "XY": (("x", +1, "cos"), ("y", -1, "sin")),
        "XT": (("x", +1, "cos"), ("t", -1, "sin")),
        "YT": (("y", -1, "cos"), ("t", -1, "sin")),
    },
}
PLANES = ("XY", "XT", "YT")


def u2_table(P):
    """Code -> bin: uniform codes (<= 2 circular transitions) ascending, then one non-uniform bin."""
    codes = np.arange(2**P)
    uniform = [c for c in codes if _transitions(c, P) <= 2]
    table = np.full(2**P, len(uniform), dtype=np.int64)
    table[uniform] = np.arange(len(uniform))
    return table, len(uniform) + 1


def riu2_table(P):
    table = np.array([bin(c).count("1") if _transitions(c, P) <= 2 else P + 1 for c in range(2**P)])
    return table, P + 2


def ri_table(P):
    mins = np.array([min(_rotate(c, k, P) for k in range(P)) for c in range(2**P)])
    classes = np.unique(mins)
    return np.searchsorted(classes, mins), len(classes)


def default_table(P):
    return np.arange(2**P), 2**P


TABLES = {"u2": u2_table, "riu2": riu2_table, "ri": ri_table, "default": default_table}


def _transitions(c, P):
    bits = [(c >> i) & 1 for i in range(P)]
    return sum(bits[i] != bits[(i + 1) % P] for i in range(P))


def _rotate(c, k, P):
    return ((c >> k) | (c << (P - k))) & (2**P - 1)


def _displacement(R, sign, trig, theta):
    f = np.cos(theta) if trig == "cos" else np.sin(theta)
    return sign * (R * f)


def sample_plane(V, plane, centres, radii, P, *, convention, interpolation, arithmetic):
    """Codes (n_centres,) of one plane at the given centres ((n, 3) int array of (t, y, x))."""
    radius = {"x": radii[0], "y": radii[1], "t": radii[2]}
    geom = GEOMETRY[convention][plane]
    centre_vals = V[centres[:, 0], centres[:, 1], centres[:, 2]]
    codes = np.zeros(len(centres), dtype=np.int64)
    for p in range(P):
        theta = 2 * np.pi * p / P
        if interpolation == "nearest":
            idx = centres.copy()
            for axis, sign, trig in geom:
                d = _displacement(radius[axis], sign, trig, theta)
                pos1 = (centres[:, AXES[axis]] + 1).astype(np.float64) + d  # 1-based, double
                idx[:, AXES[axis]] = np.floor(pos1 + 0.5).astype(np.int64) - 1
            g = V[idx[:, 0], idx[:, 1], idx[:, 2]]
            if arithmetic == "reference":
                bit = g >= centre_vals
            else:
                bit = (g - centre_vals) >= -1e-12
        elif arithmetic == "reference":
            bit = _bilinear_reference(V, geom, centres, radius, theta, centre_vals)
        else:
            bit = _bilinear_skimage(V, geom, centres, radius, P, p, centre_vals)
        codes += bit.astype(np.int64) << p
    return codes


def _bilinear_reference(V, geom, centres, radius, theta, centre_vals):
    # geom lists (a, b): a = x for XY/XT, y for YT; b = y for XY, t for XT/YT
    lo, hi, w = {}, {}, {}
    for axis, sign, trig in geom:
        d = _displacement(radius[axis], sign, trig, theta)
        pos32 = ((centres[:, AXES[axis]] + 1).astype(np.float64) + d).astype(np.float32)
        f = np.floor(pos32)
        lo[axis] = f.astype(np.int64) - 1
        hi[axis] = np.ceil(pos32).astype(np.int64) - 1
        w[axis] = (pos32 - f).astype(np.float32)  # exact in float32
    (a, _, _), (b, _, _) = geom
    one = np.float32(1)
    u, v = w[a], w[b]

    def corner(ia, ib):
        idx = centres.copy()
        idx[:, AXES[a]] = ia
        idx[:, AXES[b]] = ib
        return V[idx[:, 0], idx[:, 1], idx[:, 2]].astype(np.float32)

    s = (corner(lo[a], lo[b]) * (one - u)) * (one - v)
    s = s + (corner(lo[a], hi[b]) * (one - u)) * v
    s = s + (corner(hi[a], lo[b]) * u) * (one - v)
    s = s + (corner(hi[a], hi[b]) * u) * v
    assert s.dtype == np.float32
    return np.floor(s).astype(np.float64) >= centre_vals


def _bilinear_skimage(V, geom, centres, radius, P, p, centre_vals):
    # rows axis: the one displaced by +-R sin; columns: +-R cos. skimage rows move with -R sin and
    # columns with +R cos, so an axis displaced the other way is read in reversed index order.
    (ax0, s0, trig0), (ax1, s1, trig1) = geom
    if trig0 == "sin":
        row_ax, row_sign, col_ax, col_sign = ax0, s0, ax1, s1
    else:
        row_ax, row_sign, col_ax, col_sign = ax1, s1, ax0, s0
    shape = V.shape
    angles = 2 * np.pi * np.arange(P, dtype=np.float64) / P
    rr = np.round(-radius[row_ax] * np.sin(angles), 5)[p]
    cc = np.round(radius[col_ax] * np.cos(angles), 5)[p]

    def axis_samples(axis, rev, off):
        n = shape[AXES[axis]]
        i = centres[:, AXES[axis]]
        i_or = (n - 1 - i) if rev else i  # index in the oracle image
        pos = i_or.astype(np.float64) + off
        mn = np.floor(pos)
        mx = np.ceil(pos)
        dd = pos - mn
        back = (lambda k: n - 1 - k) if rev else (lambda k: k)
        return back(mn.astype(np.int64)), back(mx.astype(np.int64)), dd

    r_min, r_max, dr = axis_samples(row_ax, row_sign == +1, rr)
    c_min, c_max, dc = axis_samples(col_ax, col_sign == -1, cc)

    def px(ir, ic):
        idx = centres.copy()
        idx[:, AXES[row_ax]] = ir
        idx[:, AXES[col_ax]] = ic
        return V[idx[:, 0], idx[:, 1], idx[:, 2]].astype(np.float64)

    top = (1 - dc) * px(r_min, c_min) + dc * px(r_min, c_max)
    bottom = (1 - dc) * px(r_max, c_min) + dc * px(r_max, c_max)
    value = (1 - dr) * top + dr * bottom
    return value - centre_vals >= -1e-12


def block_geometry(T, H, W, radii, grid, overlap):
    """Huang's block sizes: (bw, bh, bt, ov_x, ov_y) with temporal overlap 1 (MANIFEST B)."""
    B = max(radii[0], radii[1])
    rows, cols, tparts = grid
    Wi, Hi, Ti = W - 2 * B, H - 2 * B, T - 2 * radii[2]
    ov_x = max(int(np.ceil((np.ceil(Wi / cols) - 1) * overlap)) - 1, 0)
    ov_y = max(int(np.ceil((np.ceil(Hi / rows) - 1) * overlap)) - 1, 0)
    bw = (Wi + ov_x * (cols - 1)) // cols
    bh = (Hi + ov_y * (rows - 1)) // rows
    bt = (Ti + (tparts - 1)) // tparts
    return bw, bh, bt, ov_x, ov_y


def assign(offset, size, ov, n):
    """(primary, secondary) block of an interior offset along one axis (MANIFEST B)."""
    if offset < size:
        prim = 0
    else:
        prim = (offset - size) // (size - ov) + 1
    prim = min(prim, n - 1)
    sec = int(np.ceil((offset + 1 + (prim + 1) * ov) / size)) - 1
    sec = min(sec, n - 1)
    return prim, sec


def lbp_top_naive(V, *, radii=(1, 1, 1), n_points=(8, 8, 8), grid=(1, 1, 1), overlap=0.0, mapping="u2",
                  interpolation="bilinear", convention="zhao2007", normalize="plane", arithmetic="reference"):
    """LBP-TOP feature vector, order [t-block][row][col][plane][bin]."""
    V = np.asarray(V)
    V = V.astype(np.float64)
    T, H, W = V.shape
    Rx, Ry, Rt = radii
    B = max(Rx, Ry)
    tt, yy, xx = np.meshgrid(np.arange(Rt, T - Rt), np.arange(B, H - B), np.arange(B, W - B), indexing="ij")
    centres = np.stack([tt.ravel(), yy.ravel(), xx.ravel()], axis=1)
    bw, bh, bt, ov_x, ov_y = block_geometry(T, H, W, radii, grid, overlap)
    rows, cols, tparts = grid
    blocks = []  # per centre: list of flat block indices it is counted in
    for t, y, x in centres:
        pt, st = assign(t - Rt, bt, 1, tparts)
        py, sy = assign(y - B, bh, ov_y, rows)
        px_, sx = assign(x - B, bw, ov_x, cols)
        first = (pt * rows + py) * cols + px_
        second = (st * rows + sy) * cols + sx
        blocks.append((first, second) if (st, sy, sx) != (pt, py, px_) else (first,))
    n_blocks = tparts * rows * cols
    parts = []
    hists = []
    for q, plane in enumerate(PLANES):
        P = n_points[q]
        table, n_bins = TABLES[mapping](P)
        codes = sample_plane(V, plane, centres, radii, P, convention=convention,
                             interpolation=interpolation, arithmetic=arithmetic)
        h = np.zeros((n_blocks, n_bins))
        for k, bl in enumerate(blocks):
            for b in bl:
                h[b, table[codes[k]]] += 1
        hists.append(h)
    for b in range(n_blocks):
        for q in range(3):
            h = hists[q][b].copy()
            if normalize == "plane":
                h = h / h.sum() if h.sum() > 0 else h
            parts.append(h)
    out = np.concatenate(parts)
    if normalize == "global":
        out = out / out.sum()
    return out


def plane_codes(V, *, radii, n_points, convention, interpolation, arithmetic):
    """Per-plane code volumes over the valid centres: list of 3 arrays (T', H', W')."""
    V = np.asarray(V).astype(np.float64)
    T, H, W = V.shape
    Rx, Ry, Rt = radii
    B = max(Rx, Ry)
    tt, yy, xx = np.meshgrid(np.arange(Rt, T - Rt), np.arange(B, H - B), np.arange(B, W - B), indexing="ij")
    centres = np.stack([tt.ravel(), yy.ravel(), xx.ravel()], axis=1)
    return [sample_plane(V, plane, centres, radii, n_points[q], convention=convention, interpolation=interpolation,
                         arithmetic=arithmetic).reshape(tt.shape) for q, plane in enumerate(PLANES)]
