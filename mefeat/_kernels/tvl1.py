"""Numba kernel of dual TV-L1 optical flow (private; no validation, fills ``out``).

The Zach-Pock-Bischof duality-based TV-L1 scheme with the choices of OpenCV's
``cv::optflow::DualTVL1OpticalFlow`` (itself derived from the IPOL code of Sanchez, Meinhardt-Llopis
and Facciolo), computed in float32 like OpenCV:

* pyramid: level ``s`` is the previous level resized by ``scale_step`` (OpenCV ``resize``: the mean
  of each 2x2 cell when ``scale_step == 0.5``, bilinear with half-pixel centres otherwise); levels
  smaller than 16 px on a side are dropped (OpenCV's rule). The caller computes the level sizes;
* at each level, from the coarsest: ``warps`` times (1) warp ``I1`` and its centred gradient
  (replicated border) by the current flow with bicubic interpolation (Keys ``a = -0.75``, OpenCV's
  ``INTER_CUBIC``), (2) up to ``outer`` times: 5x5 (or 3x3) median filter of the flow (replicated
  border), then up to ``inner`` primal-dual iterations: thresholding step ``v``, primal step
  ``u = v + theta div p``, dual step ``p = (p + tau/theta grad u) / (1 + tau/theta |grad u|)``
  (forward differences, zero at the last row/column; backward-difference divergence); both loops stop
  as soon as the sum over the level of the squared change of ``u`` in one iteration is at most
  ``epsilon^2 * n_pixels`` (OpenCV's rule, the sum taken in float32 in row-major order as OpenCV does);
  the dual variable starts at 0 at each level;
* the flow is upsampled bilinearly to the next level and multiplied by ``1 / scale_step``.

Speed (the reason this exists; OpenCV's arithmetic, a different schedule): one inner iteration is
one sweep over the level instead of OpenCV's six passes (thresholding, two divergences, primal step,
two forward gradients, dual step): the primal update of row ``y`` is followed by the dual update of
row ``y - 1``, which needs the new ``u`` of rows ``y - 1`` and ``y`` only, while the divergence at
row ``y`` still reads the old dual variable of rows ``y - 1`` and ``y`` (exactly OpenCV's order).
The median filter runs a pruned Batcher odd-even merge network (exact median) on whole rows at once,
so it vectorises. The three bicubic warps share their weights. Nothing is allocated: the caller
passes ``scratch`` (:func:`tvl1_scratch`).

Border of the warp, ``ip[4]``: OpenCV's ``remap`` reads outside the image as 0 (``BORDER_CONSTANT``,
:data:`BORDER_ZERO`); IPOL replicates the border (:data:`BORDER_REPLICATE`). Sampling positions are
exact (OpenCV 5's ``remap`` bicubic result to float rounding; older OpenCV releases rounded them to
1/32 px).

Deviations from OpenCV, all at float32 rounding level: the dual step takes ``|grad u|`` with a float32
square root (OpenCV: a double ``hypot`` cast to float) and multiplies by ``1 / (1 + tau/theta |grad u|)``
(OpenCV divides twice); the bicubic taps are summed row by row of the separable weights. With a fixed
number of iterations (``epsilon = 0``) the flows agree with OpenCV 5.1's to a mean of about 1e-5 px
(``tests/flow/test_tvl1.py``). With ``epsilon > 0`` such rounding can move the iteration at which a
warp stops, as any change of the input does in OpenCV itself.

Only numpy and :mod:`mefeat._jit` are imported; inputs are never written to.
"""

import math

import numpy as np

from mefeat._jit import helper, jit

__all__ = ["tvl1_kernel", "tvl1_scratch", "tvl1_level_sizes", "median_network", "tvl1_buffer_size", "N_SLOTS",
           "BORDER_ZERO", "BORDER_REPLICATE"]

#: ``ip[4]`` codes: samples outside the image read as 0 (OpenCV's ``remap`` default) or as the
#: nearest border pixel (IPOL).
BORDER_ZERO = 0
BORDER_REPLICATE = 1

#: Smallest level side kept in the pyramid (OpenCV drops levels under 16 px).
MIN_LEVEL_SIZE = 16
#: Work images per level besides the two pyramids (see the slot constants below).
N_SLOTS = 14

_I1X, _I1Y, _WX, _WY, _GRAD, _RHO, _U1, _U2, _P11, _P12, _P21, _P22, _T1, _T2 = range(N_SLOTS)
_FLT_EPSILON = np.float32(np.finfo(np.float32).eps)
_A = np.float32(-0.75)  # OpenCV's bicubic constant (Keys' a)


def tvl1_level_sizes(shape, nscales, scale_step):
    """Pyramid level sizes ``(L, 2)`` int64 as OpenCV builds them: each side times ``scale_step``
    rounded half to even, levels with a side under 16 px dropped (level 0, the input, is always kept)."""
    h, w = int(shape[0]), int(shape[1])
    sizes = [(h, w)]
    for _ in range(1, int(nscales)):
        h2, w2 = int(np.rint(h * scale_step)), int(np.rint(w * scale_step))
        if h2 < MIN_LEVEL_SIZE or w2 < MIN_LEVEL_SIZE:
            break
        sizes.append((h2, w2))
        h, w = h2, w2
    return np.array(sizes, np.int64)


def tvl1_scratch(shape, n_levels):
    """Work array of one :func:`tvl1_kernel` call: ``(2 * n_levels + N_SLOTS, H * W)`` float32."""
    return np.empty((2 * int(n_levels) + N_SLOTS, int(shape[0]) * int(shape[1])), np.float32)


def tvl1_buffer_size(width, median_ksize):
    """Length of the ``buf`` work array of :func:`tvl1_kernel` (float32)."""
    n_med = median_ksize * median_ksize if median_ksize > 1 else 0
    return (n_med + 2) * int(width)


def median_network(ksize):
    """The compare-exchanges ``(n, 2)`` int64 ``(i, j)`` (min to ``v_i``, max to ``v_j``) of an exact
    median of the ``ksize * ksize`` values ``v_0 ..`` of a window (row-major), and the index of the median.

    A Batcher odd-even merge sorting network on the next power of two of wires (the extra wires hold
    +inf: their compare-exchanges are dropped or become relabellings), pruned to the compare-exchanges
    that can change the median (``ksize`` 3: 24; 5: 113). ``ksize <= 1``: none (no filtering).
    """
    if ksize <= 1:
        return np.zeros((0, 2), np.int64), 0
    n_values = ksize * ksize
    n = 1
    while n < n_values:
        n *= 2
    pairs = []
    p = 1
    while p < n:
        k = p
        while k >= 1:
            for j in range(k % p, n - k, 2 * k):
                for i in range(min(k, n - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        pairs.append((i + j, i + j + k))
            k //= 2
        p *= 2
    var = {i: (i if i < n_values else None) for i in range(n)}  # wire -> value index (None: +inf)
    ops = []
    for a, b in pairs:
        if var[b] is None:  # min(x, inf) = x stays on wire a
            continue
        if var[a] is None:  # the value moves to wire a, inf to wire b
            var[a], var[b] = var[b], None
            continue
        ops.append((var[a], var[b]))
    target = var[n_values // 2]
    needed = {target}
    kept = []
    for a, b in reversed(ops):
        if a in needed or b in needed:
            kept.append((a, b))
            needed.update((a, b))
    return np.array(kept[::-1], np.int64).reshape(-1, 2), target


@helper
def _level(scratch, slot, h, w):
    return scratch[slot, :h * w].reshape((h, w))


@helper
def _downsample(src, dst, step):
    # OpenCV resize(src, dst, Size(), step, step, INTER_LINEAR): a 2x2 mean (INTER_AREA's fast path)
    # when step == 0.5, else bilinear with half-pixel centres and replicated border.
    h, w = src.shape
    h2, w2 = dst.shape
    if step == 0.5:
        q = np.float32(0.25)
        for y in range(h2):
            y0 = 2 * y
            y1 = y0 + 1
            for x in range(w2):
                x0 = 2 * x
                x1 = x0 + 1
                if y1 < h and x1 < w:
                    dst[y, x] = ((src[y0, x0] + src[y0, x1]) + (src[y1, x0] + src[y1, x1])) * q
                else:  # odd side: mean of the cell's pixels inside the image
                    s = np.float32(0.0)
                    c = 0
                    for yy in range(y0, min(y1 + 1, h)):
                        for xx in range(x0, min(x1 + 1, w)):
                            s += src[yy, xx]
                            c += 1
                    dst[y, x] = s / np.float32(c)
        return
    _bilinear(src, dst, 1.0 / step, 1.0 / step, np.float32(1.0))


@helper
def _bilinear(src, dst, scale_y, scale_x, factor):
    # OpenCV INTER_LINEAR resize (half-pixel centres, replicated border), values times ``factor``.
    h, w = src.shape
    h2, w2 = dst.shape
    one = np.float32(1.0)
    for y in range(h2):
        fy = np.float32((y + 0.5) * scale_y - 0.5)
        sy = int(math.floor(fy))
        fy = fy - np.float32(sy)
        if sy < 0:
            sy = 0
            fy = np.float32(0.0)
        if sy >= h - 1:
            sy = h - 1
            fy = np.float32(0.0)
        sy1 = min(sy + 1, h - 1)
        for x in range(w2):
            fx = np.float32((x + 0.5) * scale_x - 0.5)
            sx = int(math.floor(fx))
            fx = fx - np.float32(sx)
            if sx < 0:
                sx = 0
                fx = np.float32(0.0)
            if sx >= w - 1:
                sx = w - 1
                fx = np.float32(0.0)
            sx1 = min(sx + 1, w - 1)
            r0 = src[sy, sx] * (one - fx) + src[sy, sx1] * fx
            r1 = src[sy1, sx] * (one - fx) + src[sy1, sx1] * fx
            dst[y, x] = (r0 * (one - fy) + r1 * fy) * factor


@helper
def _centered_gradient(src, gx, gy):
    # 0.5 (f[i+1] - f[i-1]) with the border replicated (OpenCV's centeredGradient).
    h, w = src.shape
    half = np.float32(0.5)
    for y in range(h):
        ym = max(y - 1, 0)
        yp = min(y + 1, h - 1)
        for x in range(1, w - 1):
            gx[y, x] = half * (src[y, x + 1] - src[y, x - 1])
        gx[y, 0] = half * (src[y, 1] - src[y, 0])
        gx[y, w - 1] = half * (src[y, w - 1] - src[y, w - 2])
        for x in range(w):
            gy[y, x] = half * (src[yp, x] - src[ym, x])


@helper
def _cubic_coeffs(t):
    # OpenCV interpolateCubic (Keys, a = -0.75), float32
    one = np.float32(1.0)
    t1 = t + one
    c0 = ((_A * t1 - np.float32(5.0) * _A) * t1 + np.float32(8.0) * _A) * t1 - np.float32(4.0) * _A
    c1 = ((_A + np.float32(2.0)) * t - (_A + np.float32(3.0))) * t * t + one
    s = one - t
    c2 = ((_A + np.float32(2.0)) * s - (_A + np.float32(3.0))) * s * s + one
    c3 = one - c0 - c1 - c2
    return c0, c1, c2, c3


@helper
def _warp(i0, i1, i1x, i1y, u1, u2, wx, wy, grad, rho, border):
    # Bicubic warp of I1 and its gradient by the flow, then |grad|^2 and the constant part of rho
    # (OpenCV: buildFlowMap, three remaps, calcGradRho).
    h, w = i0.shape
    for y in range(h):
        for x in range(w):
            mx = np.float32(x) + u1[y, x]
            my = np.float32(y) + u2[y, x]
            fx = math.floor(mx)
            fy = math.floor(my)
            ix = int(fx)
            iy = int(fy)
            tx = mx - np.float32(fx)
            ty = my - np.float32(fy)
            cx0, cx1, cx2, cx3 = _cubic_coeffs(tx)
            cy0, cy1, cy2, cy3 = _cubic_coeffs(ty)
            s0 = np.float32(0.0)
            s1 = np.float32(0.0)
            s2 = np.float32(0.0)
            if iy >= 1 and iy + 2 < h and ix >= 1 and ix + 2 < w:
                for k in range(4):
                    yy = iy - 1 + k
                    cy = cy0 if k == 0 else (cy1 if k == 1 else (cy2 if k == 2 else cy3))
                    r0 = (i1[yy, ix - 1] * cx0 + i1[yy, ix] * cx1 + i1[yy, ix + 1] * cx2 + i1[yy, ix + 2] * cx3)
                    r1 = (i1x[yy, ix - 1] * cx0 + i1x[yy, ix] * cx1 + i1x[yy, ix + 1] * cx2
                          + i1x[yy, ix + 2] * cx3)
                    r2 = (i1y[yy, ix - 1] * cx0 + i1y[yy, ix] * cx1 + i1y[yy, ix + 1] * cx2
                          + i1y[yy, ix + 2] * cx3)
                    s0 += r0 * cy
                    s1 += r1 * cy
                    s2 += r2 * cy
            elif border == 0 and (ix + 3 <= 0 or ix - 1 >= w or iy + 3 <= 0 or iy - 1 >= h):
                pass  # the whole 4x4 neighbourhood lies outside: 0
            else:
                for k in range(4):
                    yy = iy - 1 + k
                    cy = cy0 if k == 0 else (cy1 if k == 1 else (cy2 if k == 2 else cy3))
                    if yy < 0 or yy >= h:
                        if border == 0:
                            continue
                        yy = min(max(yy, 0), h - 1)
                    r0 = np.float32(0.0)
                    r1 = np.float32(0.0)
                    r2 = np.float32(0.0)
                    for j in range(4):
                        xx = ix - 1 + j
                        cx = cx0 if j == 0 else (cx1 if j == 1 else (cx2 if j == 2 else cx3))
                        if xx < 0 or xx >= w:
                            if border == 0:
                                continue
                            xx = min(max(xx, 0), w - 1)
                        r0 += i1[yy, xx] * cx
                        r1 += i1x[yy, xx] * cx
                        r2 += i1y[yy, xx] * cx
                    s0 += r0 * cy
                    s1 += r1 * cy
                    s2 += r2 * cy
            wx[y, x] = s1
            wy[y, x] = s2
            grad[y, x] = s1 * s1 + s2 * s2
            rho[y, x] = s0 - s1 * u1[y, x] - s2 * u2[y, x] - i0[y, x]


@helper
def _median(src, dst, ksize, network, target, rows):
    # Exact ksize x ksize median of src into dst, replicated border (OpenCV medianBlur on float32):
    # the window's values for a whole image row go to the rows of ``rows`` (one per window position),
    # then the compare-exchanges of the network run on whole rows (vectorised across x).
    h, w = src.shape
    r = ksize // 2
    for y in range(h):
        for ky in range(ksize):
            row = src[min(max(y + ky - r, 0), h - 1)]
            for kx in range(ksize):
                b = rows[ky * ksize + kx]
                d = kx - r
                for x in range(max(0, -d), min(w, w - d)):
                    b[x] = row[x + d]
                for x in range(0, max(0, -d)):
                    b[x] = row[0]
                for x in range(min(w, w - d), w):
                    b[x] = row[w - 1]
        for c in range(network.shape[0]):
            ba = rows[network[c, 0]]
            bb = rows[network[c, 1]]
            for x in range(w):
                lo = min(ba[x], bb[x])
                hi = max(ba[x], bb[x])
                ba[x] = lo
                bb[x] = hi
        out = dst[y]
        m = rows[target]
        for x in range(w):
            out[x] = m[x]


@helper
def _dual_px(p11, p12, p21, p22, x, ux1, uy1, ux2, uy2, taut):
    one = np.float32(1.0)
    r1 = one / (one + taut * np.sqrt(ux1 * ux1 + uy1 * uy1))
    r2 = one / (one + taut * np.sqrt(ux2 * ux2 + uy2 * uy2))
    p11[x] = (p11[x] + taut * ux1) * r1
    p12[x] = (p12[x] + taut * uy1) * r1
    p21[x] = (p21[x] + taut * ux2) * r2
    p22[x] = (p22[x] + taut * uy2) * r2


@helper
def _dual_row(a1, a2, b1, b2, p11, p12, p21, p22, taut):
    # p <- (p + taut grad u) / (1 + taut |grad u|) on one row (OpenCV's forwardGradient and
    # estimateDualVariables): a = u on this row, b = u on the next row (this row again on the last
    # row, so that the vertical difference is exactly 0); 0 horizontal difference on the last column.
    w = a1.shape[0]
    for x in range(w - 1):
        _dual_px(p11, p12, p21, p22, x, a1[x + 1] - a1[x], b1[x] - a1[x], a2[x + 1] - a2[x], b2[x] - a2[x], taut)
    x = w - 1
    zero = np.float32(0.0)
    _dual_px(p11, p12, p21, p22, x, zero, b1[x] - a1[x], zero, b2[x] - a2[x], taut)


@helper
def _primal_px(wx, wy, grad, rho, u1, u2, x, div1, div2, l_t, theta, err):
    zero = np.float32(0.0)
    ix = wx[x]
    iy = wy[x]
    g = grad[x]
    a1 = u1[x]
    a2 = u2[x]
    r = rho[x] + (ix * a1 + iy * a2)
    lg = l_t * g
    c = -r / g
    c = c if g > _FLT_EPSILON else zero
    c = -l_t if r > lg else c
    c = l_t if r < -lg else c
    n1 = (a1 + c * ix) + theta * div1
    n2 = (a2 + c * iy) + theta * div2
    u1[x] = n1
    u2[x] = n2
    err[x] = (n1 - a1) * (n1 - a1) + (n2 - a2) * (n2 - a2)


@helper
def _primal_row(wx, wy, grad, rho, u1, u2, p11, p12, q12, p21, p22, q22, l_t, theta, err):
    # Thresholding (OpenCV's estimateV), divergence and primal step (estimateU) on one row; q12, q22:
    # the dual variable's second components on the previous row (zeros on the first row). err[x]:
    # the squared change of u. Branch-free (selects), so that the loop vectorises.
    w = u1.shape[0]
    # OpenCV's first column: p1 + p2 - p2(y - 1)
    _primal_px(wx, wy, grad, rho, u1, u2, 0, (p11[0] + p12[0]) - q12[0], (p21[0] + p22[0]) - q22[0], l_t, theta,
               err)
    for x in range(1, w):
        _primal_px(wx, wy, grad, rho, u1, u2, x, (p11[x] - p11[x - 1]) + (p12[x] - q12[x]),
                   (p21[x] - p21[x - 1]) + (p22[x] - q22[x]), l_t, theta, err)


@helper
def _sweep(wx, wy, grad, rho, u1, u2, p11, p12, p21, p22, l_t, theta, taut, err_row, zero_row):
    # One primal-dual iteration over the level; returns the float32 sum of the squared change of u
    # (row-major order, as OpenCV's estimateU). Row y's primal step reads the old dual variable of
    # rows y - 1 and y; row y - 1's dual step then reads the new u of rows y - 1 and y.
    h = u1.shape[0]
    err = np.float32(0.0)
    for y in range(h):
        q12 = zero_row if y == 0 else p12[y - 1]
        q22 = zero_row if y == 0 else p22[y - 1]
        _primal_row(wx[y], wy[y], grad[y], rho[y], u1[y], u2[y], p11[y], p12[y], q12, p21[y], p22[y], q22,
                    l_t, theta, err_row)
        for e in err_row:
            err += e
        if y > 0:
            _dual_row(u1[y - 1], u2[y - 1], u1[y], u2[y], p11[y - 1], p12[y - 1], p21[y - 1], p22[y - 1], taut)
    _dual_row(u1[h - 1], u2[h - 1], u1[h - 1], u2[h - 1], p11[h - 1], p12[h - 1], p21[h - 1], p22[h - 1], taut)
    return err


@jit
def tvl1_kernel(i0, i1, sizes, fp, ip, network, scratch, buf, out, info):
    """Dual TV-L1 flow from ``i0`` to ``i1`` (see the module docstring).

    Parameters
    ----------
    i0, i1 : (H, W) float32 C-contiguous
        Frames on the 0-255 scale.
    sizes : (L, 2) int64
        Pyramid level sizes (:func:`tvl1_level_sizes`), ``sizes[0] == (H, W)``.
    fp : (5,) float64
        ``tau, lambda, theta, epsilon, scale_step``.
    ip : (6,) int64
        ``warps, inner_iterations, outer_iterations, median ksize (<= 1: none), border code``
        (:data:`BORDER_ZERO` or :data:`BORDER_REPLICATE`), median index of the network.
    network : (n, 2) int64
        The median's compare-exchanges (:func:`median_network`; its median index is ``ip[5]``).
    scratch : (2 L + N_SLOTS, H * W) float32
        Work array (:func:`tvl1_scratch`); contents on entry do not matter.
    buf : ((ksize * ksize + 2) * W,) float32
        Work rows (:func:`tvl1_buffer_size`).
    out : (H, W, 2) float32
        The flow ``[..., 0] = u`` (x), ``[..., 1] = v`` (y down).
    info : (L, 3) int64
        Filled per level with the inner iterations (sweeps), outer iterations (median filterings) and
        warps run.
    """
    tau, lam, theta, eps, step = fp[0], fp[1], fp[2], fp[3], fp[4]
    warps, n_inner, n_outer, ksize, border, target = ip[0], ip[1], ip[2], ip[3], ip[4], ip[5]
    n_med = ksize * ksize if ksize > 1 else 0
    n_levels = sizes.shape[0]
    l_t = np.float32(lam * theta)
    taut = np.float32(tau / theta)
    theta32 = np.float32(theta)
    info[:, :] = 0
    h, w = sizes[0, 0], sizes[0, 1]
    a = _level(scratch, 0, h, w)
    b = _level(scratch, n_levels, h, w)
    for y in range(h):
        for x in range(w):
            a[y, x] = i0[y, x]
            b[y, x] = i1[y, x]
    for s in range(1, n_levels):
        hp, wp, h, w = sizes[s - 1, 0], sizes[s - 1, 1], sizes[s, 0], sizes[s, 1]
        _downsample(_level(scratch, s - 1, hp, wp), _level(scratch, s, h, w), step)
        _downsample(_level(scratch, n_levels + s - 1, hp, wp), _level(scratch, n_levels + s, h, w), step)
    base = 2 * n_levels
    for s in range(n_levels - 1, -1, -1):
        h, w = sizes[s, 0], sizes[s, 1]
        u1 = _level(scratch, base + _U1, h, w)
        u2 = _level(scratch, base + _U2, h, w)
        if s == n_levels - 1:
            u1[:, :] = 0.0
            u2[:, :] = 0.0
        else:  # upsample the coarser level's flow (kept in T1, T2) and scale it
            hc, wc = sizes[s + 1, 0], sizes[s + 1, 1]
            f = np.float32(1.0 / step)
            _bilinear(_level(scratch, base + _T1, hc, wc), u1, hc / h, wc / w, f)
            _bilinear(_level(scratch, base + _T2, hc, wc), u2, hc / h, wc / w, f)
        i0s = _level(scratch, s, h, w)
        i1s = _level(scratch, n_levels + s, h, w)
        i1x = _level(scratch, base + _I1X, h, w)
        i1y = _level(scratch, base + _I1Y, h, w)
        wx = _level(scratch, base + _WX, h, w)
        wy = _level(scratch, base + _WY, h, w)
        grad = _level(scratch, base + _GRAD, h, w)
        rho = _level(scratch, base + _RHO, h, w)
        p11 = _level(scratch, base + _P11, h, w)
        p12 = _level(scratch, base + _P12, h, w)
        p21 = _level(scratch, base + _P21, h, w)
        p22 = _level(scratch, base + _P22, h, w)
        t1 = _level(scratch, base + _T1, h, w)
        t2 = _level(scratch, base + _T2, h, w)
        p11[:, :] = 0.0
        p12[:, :] = 0.0
        p21[:, :] = 0.0
        p22[:, :] = 0.0
        med_rows = buf[:n_med * w].reshape((n_med, w))
        err_row = buf[n_med * w:(n_med + 1) * w]
        zero_row = buf[(n_med + 1) * w:(n_med + 2) * w]
        zero_row[:] = 0.0
        _centered_gradient(i1s, i1x, i1y)
        scaled_eps = np.float32(eps * eps * h * w)
        for _warp_i in range(warps):
            info[s, 2] += 1
            _warp(i0s, i1s, i1x, i1y, u1, u2, wx, wy, grad, rho, border)
            err = np.float32(np.inf)
            n_o = 0
            while err > scaled_eps and n_o < n_outer:
                n_o += 1
                info[s, 1] += 1
                if ksize > 1:
                    t1[:, :] = u1
                    t2[:, :] = u2
                    _median(t1, u1, ksize, network, target, med_rows)
                    _median(t2, u2, ksize, network, target, med_rows)
                n_i = 0
                while err > scaled_eps and n_i < n_inner:
                    n_i += 1
                    info[s, 0] += 1
                    err = _sweep(wx, wy, grad, rho, u1, u2, p11, p12, p21, p22, l_t, theta32, taut, err_row,
                                 zero_row)
        if s > 0:
            t1[:, :] = u1
            t2[:, :] = u2
    u1 = _level(scratch, base + _U1, sizes[0, 0], sizes[0, 1])
    u2 = _level(scratch, base + _U2, sizes[0, 0], sizes[0, 1])
    for y in range(sizes[0, 0]):
        for x in range(sizes[0, 1]):
            out[y, x, 0] = u1[y, x]
            out[y, x, 1] = u2[y, x]
