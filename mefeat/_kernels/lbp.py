"""LBP-TOP kernels: one fused pass (sampling, code, mapping, histogram) over the valid voxels.

Private. The caller (:func:`mefeat.descriptors.lbp_top`) validates everything and precomputes the sampling
geometry; these functions check nothing, never write to their inputs and fill a caller-allocated ``hist``.

Formulation (row-vectorised): the centres are processed one (t, y) row at a time, x innermost. For every plane
and neighbour p, the four bilinear corners of all centres of a row lie on at most four contiguous row
segments at constant x offsets; the weights along x depend on x only, those along y and t on the row only.
Neighbours on the pixel lattice (weights (1, 0) at every centre) are compared directly (as integers for
uint8 clips), in one run over a batch of ``LBP_ROW_BATCH`` consecutive rows of a frame (contiguous in the
raveled clip). Bits are set with an int32 select and or (no 64-bit shifts in the vector loops). The codes
of a row are then counted into four interleaved histogram copies (padded: no shared cache lines), as raw
codes when that histogram is small (the caller maps them to bins afterwards: no table lookup per centre),
else through the mapping tables. Hot loops index flat arrays from offsets: array views would cost
reference counting per row.

Geometry arrays (q = plane 0 XY, 1 XT, 2 YT; p = neighbour; axis 0 t, 1 y, 2 x):

* ``off[q, p, axis, k]`` : int64 offset of the low (k=0) / high (k=1) corner along ``axis``.
* ``wt[q, p, k, T]``, ``wy[q, p, k, H]``, ``wx[q, p, k, W + pad]`` : float64 weights of the low/high corner
  at each centre coordinate (exact float32 values for the reference arithmetic); ``wx32`` = ``wx`` as float32.
* ``lattice[q, p]`` : 1 when the neighbour is a lattice pixel for every centre.

Arithmetic codes: 0 = reference (float32 evaluation order of the original MATLAB release, floored,
``>=``), 1 = skimage (float64, ``(1-dc)*tl + dc*tr`` then rows, ``value - centre >= -eps``).
"""

import numpy as np

from mefeat._config import LBP_ROW_BATCH, LBP_SKIMAGE_EPS
from mefeat._jit import helper, jit

__all__ = ["lbp_top_rows", "lbp_scratch", "mapping_table"]


# --------------------------------------------------------------------------- mapping tables (numpy only)

def _transitions(codes, P):
    bits = (codes[:, None] >> np.arange(P)) & 1
    return np.count_nonzero(bits != np.roll(bits, -1, axis=1), axis=1)


def mapping_table(P, kind):
    """Return ``(table, n_bins)``: ``table[code]`` is the bin of LBP ``code`` for ``P`` points.

    ``kind``: ``"u2"`` (uniform codes ascending, non-uniform last, P(P-1)+3 bins), ``"riu2"`` (number of ones
    if uniform, else P+1; P+2 bins), ``"ri"`` (rotation-invariant classes in ascending order of their minimal
    code), ``"default"`` (identity, 2**P bins).
    """
    codes = np.arange(2**P, dtype=np.int64)
    if kind == "default":
        return codes.astype(np.int32), 2**P
    trans = _transitions(codes, P)
    if kind == "u2":
        uniform = trans <= 2
        table = np.full(2**P, np.count_nonzero(uniform), dtype=np.int32)
        table[uniform] = np.arange(np.count_nonzero(uniform), dtype=np.int32)
        return table, int(np.count_nonzero(uniform)) + 1
    if kind == "riu2":
        ones = np.zeros(2**P, dtype=np.int64)
        for i in range(P):
            ones += (codes >> i) & 1
        return np.where(trans <= 2, ones, P + 1).astype(np.int32), P + 2
    if kind == "ri":
        mask = 2**P - 1
        mins = codes.copy()
        for k in range(1, P):
            mins = np.minimum(mins, ((codes >> k) | (codes << (P - k))) & mask)
        classes = np.unique(mins)
        return np.searchsorted(classes, mins).astype(np.int32), int(classes.size)
    raise ValueError(kind)


def lbp_scratch(W, vec):
    """Allocate the work arrays of one :func:`lbp_top_rows` call on clips ``W`` pixels wide whose runs are
    rounded up to multiples of ``vec`` (the kernel's ``ints[17]``) (NumPy only):
    the tuple ``(code, thr, runs)`` of

    * ``code`` : (3, stride) int32, a batch of rows' codes per plane;
    * ``thr`` : (stride,) float32, the batch's float32 thresholds (reference arithmetic);
    * ``runs`` : (3, W, 3) uint64, the column-block runs (primary, differing secondary, secondary),

    with ``stride = LBP_ROW_BATCH * W + 2 * vec`` (a batch of rows plus the overshoot of the rounded-up
    runs). The caller allocates them (one set per concurrent call), so that the kernel compiles no
    array allocation of its own.
    """
    stride = LBP_ROW_BATCH * W + 2 * int(vec)
    return (np.zeros((3, stride), np.int32), np.zeros(stride, np.float32),
            np.zeros((3, max(W, 1), 3), np.uint64))


# --------------------------------------------------------------------------- numba kernels

# Sampling indexes flat (raveled) arrays from unsigned base offsets: no views are created, unsigned
# indices carry no negative-index wraparound code, so LLVM vectorises the loops; all loops of a plane live
# in one function (a call per neighbour and row costs more than a short vector loop).
# ``f`` = the raveled clip, ``cf`` = the raveled (3, stride) code buffer, ``cb`` its base, ``cc`` the base
# of the centre row segment in ``f``, ``n`` = run length, ``p`` = bit.


@helper
def _plane_codes(f, shape, t, y, q, off, wt, wy, wxf, wx32f, wstride, lattice, n_p, yt_first, arith, exact,
                 thr, cf, cstride, x0, n, f32, row, lattice_pass):
    # lattice_pass: zero the codes and add the lattice neighbours of the batch's ``n`` consecutive
    # samples from centre (t, y, x0) on (the rows of a batch are contiguous in ``f``, so one run covers
    # them all, border columns included: their codes are never counted). Otherwise: add the off-lattice
    # neighbours of the batch's row ``row`` = centre row (t, y), ``n`` = its run length.
    # f32: the reference's float32 arithmetic (arithmetic "reference", bilinear); else the float64 path
    # (skimage, and nearest samples off the lattice: corners that depend on the position, 0/1 weights),
    # whose comparison is ">=" for the reference and skimage's tolerance otherwise.
    neg_eps = -LBP_SKIMAGE_EPS if arith == 1 else 0.0
    H = shape[1]
    W = shape[2]
    Pmax = off.shape[1]
    cc = np.uint64((t * H + y) * W + x0)
    cb = np.uint64(q * cstride + row * W + x0)
    tb = np.uint64(row * W + x0)
    if lattice_pass:
        for i in range(n):
            cf[cb + np.uint64(i)] = 0
    zero = np.int32(0)
    for p in range(n_p):
        bit = np.int32(1) << np.int32(p)  # int32 select + or: no 64-bit shift in the vector loops
        if lattice[q, p] != lattice_pass:
            continue
        if lattice_pass:
            gb = np.uint64(((t + off[q, p, 0, 0]) * H + y + off[q, p, 1, 0]) * W + x0 + off[q, p, 2, 0])
            if exact:  # integer clips, or the reference's plain ">="
                for i in range(n):
                    u = np.uint64(i)
                    cf[cb + u] |= bit if f[gb + u] >= f[cc + u] else zero
            else:  # skimage's tolerance on float clips
                for i in range(n):
                    u = np.uint64(i)
                    cf[cb + u] |= bit if np.float64(f[gb + u]) - np.float64(f[cc + u]) >= neg_eps else zero
        elif q < 2:
            # first axis x (per-x weights); second axis y (XY) or t (XT)
            if q == 0:
                ra = (t * H + y + off[q, p, 1, 0]) * W
                rb = (t * H + y + off[q, p, 1, 1]) * W
                w0 = wy[q, p, 0, y]
                w1 = wy[q, p, 1, y]
            else:
                ra = ((t + off[q, p, 0, 0]) * H + y) * W
                rb = ((t + off[q, p, 0, 1]) * H + y) * W
                w0 = wt[q, p, 0, t]
                w1 = wt[q, p, 1, t]
            k0 = x0 + off[q, p, 2, 0]
            k1 = x0 + off[q, p, 2, 1]
            lo0 = np.uint64(ra + k0)  # (x corner 0, second corner 0)
            hi0 = np.uint64(rb + k0)  # (x corner 0, second corner 1)
            lo1 = np.uint64(ra + k1)
            hi1 = np.uint64(rb + k1)
            wb0 = np.uint64(((q * Pmax + p) * 2) * wstride + x0)
            wb1 = np.uint64(((q * Pmax + p) * 2 + 1) * wstride + x0)
            if f32:
                # reference float32 order, corner (x corner i, second corner j); floor(s) >= centre <=> s >= thr
                fb0 = np.float32(w0)
                fb1 = np.float32(w1)
                for i in range(n):
                    u = np.uint64(i)
                    a0 = wx32f[wb0 + u]
                    a1 = wx32f[wb1 + u]
                    sv = (np.float32(f[lo0 + u]) * a0) * fb0
                    sv = sv + (np.float32(f[hi0 + u]) * a0) * fb1
                    sv = sv + (np.float32(f[lo1 + u]) * a1) * fb0
                    sv = sv + (np.float32(f[hi1 + u]) * a1) * fb1
                    cf[cb + u] |= bit if sv >= thr[tb + u] else zero
            else:
                # skimage: rows = second axis, columns = x; corner (row i, column j)
                for i in range(n):
                    u = np.uint64(i)
                    d0 = wxf[wb0 + u]
                    d1 = wxf[wb1 + u]
                    top = d0 * np.float64(f[lo0 + u]) + d1 * np.float64(f[lo1 + u])
                    bottom = d0 * np.float64(f[hi0 + u]) + d1 * np.float64(f[hi1 + u])
                    v = w0 * top + w1 * bottom
                    cf[cb + u] |= bit if v - np.float64(f[cc + u]) >= neg_eps else zero
        else:
            # YT: axes y and t, all weights constant along the row
            ty0 = t + off[q, p, 0, 0]
            ty1 = t + off[q, p, 0, 1]
            yy0 = y + off[q, p, 1, 0]
            yy1 = y + off[q, p, 1, 1]
            if yt_first == 1:  # y first: corner (y corner i, t corner j)
                v00 = (ty0 * H + yy0) * W + x0
                v01 = (ty1 * H + yy0) * W + x0
                v10 = (ty0 * H + yy1) * W + x0
                v11 = (ty1 * H + yy1) * W + x0
                f0 = wy[q, p, 0, y]
                f1 = wy[q, p, 1, y]
                s0 = wt[q, p, 0, t]
                s1 = wt[q, p, 1, t]
            else:  # t first: corner (t corner i, y corner j)
                v00 = (ty0 * H + yy0) * W + x0
                v01 = (ty0 * H + yy1) * W + x0
                v10 = (ty1 * H + yy0) * W + x0
                v11 = (ty1 * H + yy1) * W + x0
                f0 = wt[q, p, 0, t]
                f1 = wt[q, p, 1, t]
                s0 = wy[q, p, 0, y]
                s1 = wy[q, p, 1, y]
            if f32:
                # reference float32 order, corner (first-axis corner i, second-axis corner j)
                b00 = np.uint64(v00)
                b01 = np.uint64(v01)
                b10 = np.uint64(v10)
                b11 = np.uint64(v11)
                fa0 = np.float32(f0)
                fa1 = np.float32(f1)
                fb0 = np.float32(s0)
                fb1 = np.float32(s1)
                for i in range(n):
                    u = np.uint64(i)
                    sv = (np.float32(f[b00 + u]) * fa0) * fb0
                    sv = sv + (np.float32(f[b01 + u]) * fa0) * fb1
                    sv = sv + (np.float32(f[b10 + u]) * fa1) * fb0
                    sv = sv + (np.float32(f[b11 + u]) * fa1) * fb1
                    cf[cb + u] |= bit if sv >= thr[tb + u] else zero
            else:
                # skimage interpolates along its columns (the first axis) first: pass (row i, column j)
                b00 = np.uint64(v00)  # (column/first corner 0, row corner 0)
                b01 = np.uint64(v01)  # (first 0, row 1)
                b10 = np.uint64(v10)  # (first 1, row 0)
                b11 = np.uint64(v11)
                for i in range(n):
                    u = np.uint64(i)
                    top = f0 * np.float64(f[b00 + u]) + f1 * np.float64(f[b10 + u])
                    bottom = f0 * np.float64(f[b01 + u]) + f1 * np.float64(f[b11 + u])
                    v = s0 * top + s1 * bottom
                    cf[cb + u] |= bit if v - np.float64(f[cc + u]) >= neg_eps else zero


@helper
def _block_runs(blk, other, x0, x1, n_cols, only_diff, runs):
    """(n, 3) uint64 runs ``[xa, xb)`` of equal ``blk`` over ``x0 <= x < x1`` with their histogram offset
    ``blk * n_cols``; with ``only_diff`` only the centres where ``blk != other``. Written to the first
    rows of ``runs`` (>= ``x1 - x0`` rows), a view of which is returned."""
    n = 0
    x = x0
    while x < x1:
        if only_diff and blk[x] == other[x]:
            x += 1
            continue
        xa = x
        while x < x1 and blk[x] == blk[xa] and not (only_diff and blk[x] == other[x]):
            x += 1
        runs[n, 0] = xa
        runs[n, 1] = x
        runs[n, 2] = blk[xa] * n_cols
        n += 1
    return runs[:n]


@helper
def _count_run(cf, cb, tf, tb, raw, hf, hstride, n_split, base, xa, xb):
    """``hist[copy, base + col] += 1`` for the codes ``cf[cb + xa:cb + xb]``, ``col`` = the code (``raw``)
    or ``tf[tb + code]``; ``hf`` = the raveled (n_split, hstride) histogram copies (4 or 1), which the
    centres visit in turn. Flat arrays and offsets only: views would cost reference counting per run."""
    x = cb + xa
    xe = cb + xb
    b0 = base
    if n_split == 4:
        b1 = b0 + hstride
        b2 = b1 + hstride
        b3 = b2 + hstride
        if raw:
            while x + np.uint64(4) <= xe:
                hf[b0 + np.uint64(cf[x])] += 1
                hf[b1 + np.uint64(cf[x + np.uint64(1)])] += 1
                hf[b2 + np.uint64(cf[x + np.uint64(2)])] += 1
                hf[b3 + np.uint64(cf[x + np.uint64(3)])] += 1
                x += np.uint64(4)
        else:
            while x + np.uint64(4) <= xe:
                hf[b0 + np.uint64(tf[tb + np.uint64(cf[x])])] += 1
                hf[b1 + np.uint64(tf[tb + np.uint64(cf[x + np.uint64(1)])])] += 1
                hf[b2 + np.uint64(tf[tb + np.uint64(cf[x + np.uint64(2)])])] += 1
                hf[b3 + np.uint64(tf[tb + np.uint64(cf[x + np.uint64(3)])])] += 1
                x += np.uint64(4)
    if raw:
        while x < xe:
            hf[b0 + np.uint64(cf[x])] += 1
            x += np.uint64(1)
    else:
        while x < xe:
            hf[b0 + np.uint64(tf[tb + np.uint64(cf[x])])] += 1
            x += np.uint64(1)


@jit
def lbp_top_rows(vol, flat, off, wt, wy, wx, wx32, lattice, n_points, tables, blk_t, blk_y, blk_x, ints, hist,
                 scratch, row_start, row_stop):
    """Add the codes of centre rows ``row_start .. row_stop-1`` to ``hist``.

    ``hist`` : (n_split, >= n_blocks * n_cols) int32 with ``n_split`` 4 or 1; ``n_cols`` = ``3 * n_code``
    when counting raw codes (``ints[18] == 1``: column ``q * n_code + code``, the caller maps the codes
    to bins afterwards), else ``n_bins_total`` (column ``tables[q, code]``). Consecutive centres of a run
    add to the copies in turn (split histograms break the store-to-load chain of repeated bins); the
    caller sums the copies. Rows are numbered ``(t - t0) * (y1 - y0) + (y - y0)``. ``ints`` = (t0, t1,
    y0, y1, x0, x1, arithmetic, n_row_blocks, n_col_blocks, exact_lattice_compare, yt_first, (unused x3),
    n_bins_total, nearest, integer_input, vector multiple, raw codes, n_code = 2**max(n_points)).
    ``vol`` (T, H, W) and ``flat`` (T*H*W + pad) hold the same clip (``flat`` = ``vol`` raveled +
    ``pad >= vector multiple`` elements); ``wx``/``wx32`` have ``W + pad`` columns. Sampling runs over
    ``x1 - x0`` rounded up to the vector multiple (half-open centre ranges). ``blk_*`` : (2, n)
    primary/secondary block index per coordinate. ``scratch`` = :func:`lbp_scratch` of this width (overwritten).
    """
    # flags: u8 = uint8 clip (the reference's thresholds are the values),
    # f32 = reference float32 arithmetic, exact = plain ">=" on lattice samples, raw = raw-code histogram.
    # Flags and constants reach the callees as runtime values (np.bool_, np.int64), never as literals:
    # a literal True/False/0 argument makes numba compile one more specialisation of the callee
    # (measured: twice the compile time of _plane_codes, and numba prunes no branch for it).
    u8 = ints[16] == 1
    f32 = ints[6] == 0 and ints[15] != 1  # reference arithmetic, bilinear
    exact = ints[9] == 1
    raw = ints[18] == 1
    t0 = ints[0]
    y0 = ints[2]
    y1 = ints[3]
    x0 = ints[4]
    x1 = ints[5]
    arith = ints[6]
    n_rb = ints[7]
    n_cb = ints[8]
    yt_first = ints[10]
    n_total = ints[14]
    n_y = y1 - y0
    H = vol.shape[1]
    W = vol.shape[2]
    vec = ints[17]
    n_code = ints[19]
    n_cols = 3 * n_code if raw else n_total  # histogram columns per block
    n_run = ((x1 - x0 + vec - 1) // vec) * vec
    wstride = wx.shape[3]  # >= x0 + n_run
    code, thr, runs = scratch  # code and threshold buffers: a batch of rows (see lbp_scratch)
    cstride = code.shape[1]
    # column-block runs (the same for every row): primary block; secondary block where it differs from
    # the primary one (enough when the row's t and y blocks are the same); secondary block everywhere
    yes = np.bool_(True)
    no = np.bool_(False)
    seg_p = _block_runs(blk_x[0], blk_x[0], x0, x1, n_cols, no, runs[0])
    seg_d = _block_runs(blk_x[1], blk_x[0], x0, x1, n_cols, yes, runs[1])
    seg_s = _block_runs(blk_x[1], blk_x[0], x0, x1, n_cols, no, runs[2])
    n_seg_p = seg_p.shape[0]
    inf32 = np.float32(np.inf)
    f = flat  # the clip raveled, followed by at least ``vec`` padding elements (the runs overshoot)
    cf = code.ravel()
    wxf = wx.ravel()
    wx32f = wx32.ravel()
    shape = vol.shape
    hf = hist.ravel()  # contiguous (n_split, hstride)
    hstride = np.uint64(hist.shape[1])
    n_split = hist.shape[0]
    tf = tables.ravel()
    n_tab = tables.shape[1]
    # rows share the batch buffers with stride W, so a row's (rounded-up) run must not reach the next row
    batch = LBP_ROW_BATCH if n_run <= W else 1
    r = row_start
    while r < row_stop:
        # a batch: up to ``batch`` consecutive centre rows of one frame
        t = t0 + r // n_y
        y = y0 + r % n_y
        nb = batch  # min(batch, y1 - y, row_stop - r), as selects: no overload to compile
        nb = y1 - y if y1 - y < nb else nb
        nb = row_stop - r if row_stop - r < nb else nb
        n_len = (nb - 1) * W + n_run  # one run over the batch's rows (border columns included)
        crow = (t * H + y) * W + x0  # the first centre in ``f``
        if f32:  # the thresholds are only read by the float32 paths
            if u8:
                for i in range(n_len):
                    thr[x0 + i] = np.float32(f[crow + i])  # exact for uint8
            else:
                # floor(s) >= c  <=>  s >= ceil(c)  <=>  s >= smallest float32 >= ceil(c)   (s float32)
                for i in range(n_len):
                    v = np.ceil(np.float64(f[crow + i]))
                    fv = np.float32(v)
                    if np.float64(fv) < v:
                        fv = np.nextafter(fv, inf32)
                    thr[x0 + i] = fv
        for q in range(3):
            _plane_codes(f, shape, t, y, q, off, wt, wy, wxf, wx32f, wstride, lattice, n_points[q], yt_first,
                         arith, exact, thr, cf, cstride, x0, n_len, f32, np.int64(0), yes)
            for j in range(nb):
                _plane_codes(f, shape, t, y + j, q, off, wt, wy, wxf, wx32f, wstride, lattice, n_points[q],
                             yt_first, arith, exact, thr, cf, cstride, x0, n_run, f32, j, no)
        for j in range(nb):
            # count the codes of centre row (t, y + j), at offset j * W of the code buffer: in its
            # primary block, plus the secondary block once where it differs in any dimension (the
            # same loop for both, one _count_run call site: less code to compile)
            pt = blk_t[0, t]
            st = blk_t[1, t]
            py = blk_y[0, y + j]
            sy = blk_y[1, y + j]
            bp = np.uint64((pt * n_rb + py) * n_cb * n_cols)
            bs = np.uint64((st * n_rb + sy) * n_cb * n_cols)
            seg_2 = seg_d if (pt == st and py == sy) else seg_s
            n_seg_2 = seg_2.shape[0]
            for q in range(3):
                cb = np.uint64(q * cstride + j * W)
                tb = np.uint64(q * n_tab)
                qo = np.uint64(q * n_code) if raw else np.uint64(0)
                for s in range(n_seg_p + n_seg_2):
                    if s < n_seg_p:
                        base = bp + seg_p[s, 2] + qo
                        xa = seg_p[s, 0]
                        xb = seg_p[s, 1]
                    else:
                        base = bs + seg_2[s - n_seg_p, 2] + qo
                        xa = seg_2[s - n_seg_p, 0]
                        xb = seg_2[s - n_seg_p, 1]
                    _count_run(cf, cb, tf, tb, raw, hf, hstride, n_split, base, xa, xb)
        r += nb
