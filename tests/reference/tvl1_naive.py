"""Slow, readable NumPy dual TV-L1 optical flow: the reference of :mod:`mefeat._kernels.tvl1`.

Written from Zach, Pock & Bischof (DAGM 2007), the IPOL description of Sanchez, Meinhardt-Llopis &
Facciolo (IPOL 2013, algorithms 1-2) and the choices of OpenCV's ``DualTVL1OpticalFlow`` (float32
arithmetic, 2x2-mean pyramid, levels under 16 px dropped, bicubic warping with Keys' a = -0.75 and
zero outside the image, median filtering of the flow before every outer iteration, the stopping rule
``sum |u^{n+1} - u^n|^2 <= epsilon^2 * n_pixels``). One whole-array NumPy step per line of the
algorithm; nothing fused, nothing reused. Even image sides only (the 2x2-mean pyramid).
"""

import numpy as np
from scipy import ndimage

F = np.float32


def pyramid_sizes(shape, nscales, scale_step):
    sizes = [tuple(shape)]
    for _ in range(1, nscales):
        h, w = sizes[-1]
        h2, w2 = int(np.rint(h * scale_step)), int(np.rint(w * scale_step))
        if h2 < 16 or w2 < 16:
            break
        sizes.append((h2, w2))
    return sizes


def downsample_half(img):
    """Mean of every 2x2 cell (OpenCV's resize by 0.5 of a float image with even sides)."""
    return ((img[0::2, 0::2] + img[0::2, 1::2]) + (img[1::2, 0::2] + img[1::2, 1::2])) * F(0.25)


def upsample_bilinear(img, shape):
    """Bilinear resize with half-pixel centres, replicated border (OpenCV INTER_LINEAR)."""
    h, w = img.shape
    H, W = shape

    def axis(n_out, n_in):
        s = ((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5).astype(F)
        i0 = np.floor(s).astype(int)
        t = (s - i0).astype(F)
        t[i0 < 0] = 0
        i0[i0 < 0] = 0
        t[i0 >= n_in - 1] = 0
        i0[i0 >= n_in - 1] = n_in - 1
        return i0, np.minimum(i0 + 1, n_in - 1), t

    y0, y1, ty = axis(H, h)
    x0, x1, tx = axis(W, w)
    r0 = img[y0][:, x0] * (F(1) - tx) + img[y0][:, x1] * tx
    r1 = img[y1][:, x0] * (F(1) - tx) + img[y1][:, x1] * tx
    return r0 * (F(1) - ty)[:, None] + r1 * ty[:, None]


def centered_gradient(img):
    """Central differences 0.5 (f[i+1] - f[i-1]) with the border replicated."""
    p = np.pad(img, 1, mode="edge")
    gx = F(0.5) * (p[1:-1, 2:] - p[1:-1, :-2])
    gy = F(0.5) * (p[2:, 1:-1] - p[:-2, 1:-1])
    return gx, gy


def keys_weights(t, a=-0.75):
    """Keys' cubic convolution weights of the taps at offsets -1, 0, 1, 2 for a fraction t."""
    t = t.astype(np.float64)
    d = [t + 1, t, 1 - t, 2 - t]

    def k(s):
        return np.where(s <= 1, (a + 2) * s ** 3 - (a + 3) * s ** 2 + 1,
                        a * s ** 3 - 5 * a * s ** 2 + 8 * a * s - 4 * a)

    return [k(np.abs(x)) for x in d]


def bicubic(img, mx, my, border):
    """img sampled at (mx, my) with Keys' bicubic; outside the image 0 ("zero") or the nearest pixel."""
    h, w = img.shape
    ix, iy = np.floor(mx).astype(int), np.floor(my).astype(int)
    wx, wy = keys_weights(mx - ix), keys_weights(my - iy)
    out = np.zeros(mx.shape, np.float64)
    for a in range(4):
        for b in range(4):
            yy, xx = iy - 1 + a, ix - 1 + b
            inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            v = img[np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)]
            if border == "zero":
                v = np.where(inside, v, 0)
            out += wy[a] * wx[b] * v
    return out.astype(F)


def forward_gradient(u):
    """Forward differences, 0 on the last column (x) and the last row (y)."""
    ux = np.zeros_like(u)
    uy = np.zeros_like(u)
    ux[:, :-1] = u[:, 1:] - u[:, :-1]
    uy[:-1, :] = u[1:, :] - u[:-1, :]
    return ux, uy


def divergence(p1, p2):
    """Backward differences, the adjoint of -forward_gradient (p taken as 0 before the first row/column)."""
    d1 = p1.copy()
    d1[:, 1:] -= p1[:, :-1]
    d2 = p2.copy()
    d2[1:, :] -= p2[:-1, :]
    return d1 + d2


def threshold(u1, u2, wx, wy, grad, rho_c, l_t):
    """The point-wise minimiser v of |rho(v)| lambda + |v - u|^2 / (2 theta) (IPOL eq. 10)."""
    rho = rho_c + (wx * u1 + wy * u2)
    c = np.zeros_like(u1)
    mid = grad > np.finfo(F).eps
    c[mid] = -rho[mid] / grad[mid]
    c = np.where(rho > l_t * grad, -l_t, c)
    c = np.where(rho < -l_t * grad, l_t, c)
    return (u1 + c * wx).astype(F), (u2 + c * wy).astype(F)


def one_level(i0, i1, u1, u2, *, tau, lambda_, theta, warps, epsilon, inner_iterations, outer_iterations,
              median_filtering, border):
    h, w = i0.shape
    l_t, taut = F(lambda_ * theta), F(tau / theta)
    p11, p12, p21, p22 = (np.zeros((h, w), F) for _ in range(4))
    i1x, i1y = centered_gradient(i1)
    yy, xx = np.mgrid[0:h, 0:w].astype(F)
    stop = F(epsilon * epsilon * h * w)
    n_inner = 0
    for _ in range(warps):
        mx, my = xx + u1, yy + u2
        i1w, wx, wy = (bicubic(img, mx, my, border) for img in (i1, i1x, i1y))
        grad = wx * wx + wy * wy
        rho_c = i1w - wx * u1 - wy * u2 - i0
        err = np.inf
        n_o = 0
        while err > stop and n_o < outer_iterations:
            n_o += 1
            if median_filtering > 1:
                u1 = ndimage.median_filter(u1, size=median_filtering, mode="nearest")
                u2 = ndimage.median_filter(u2, size=median_filtering, mode="nearest")
            n_i = 0
            while err > stop and n_i < inner_iterations:
                n_i += 1
                n_inner += 1
                v1, v2 = threshold(u1, u2, wx, wy, grad, rho_c, l_t)
                n1 = v1 + F(theta) * divergence(p11, p12)
                n2 = v2 + F(theta) * divergence(p21, p22)
                err = float(np.sum((n1 - u1).astype(np.float64) ** 2 + (n2 - u2).astype(np.float64) ** 2))
                u1, u2 = n1, n2
                u1x, u1y = forward_gradient(u1)
                u2x, u2y = forward_gradient(u2)
                ng1 = F(1) + taut * np.sqrt(u1x * u1x + u1y * u1y)
                ng2 = F(1) + taut * np.sqrt(u2x * u2x + u2y * u2y)
                p11, p12 = (p11 + taut * u1x) / ng1, (p12 + taut * u1y) / ng1
                p21, p22 = (p21 + taut * u2x) / ng2, (p22 + taut * u2y) / ng2
    return u1, u2, n_inner


def tvl1_naive(frame0, frame1, *, tau=0.25, lambda_=0.15, theta=0.3, nscales=5, scale_step=0.5, warps=5,
               epsilon=0.01, inner_iterations=30, outer_iterations=10, median_filtering=5, border="zero", gamma=0.0):
    """Flow (H, W, 2) float32 from frame0 to frame1 (0-255 scale) and the inner iterations per level
    (finest first). No illumination term (``gamma`` must be 0)."""
    assert scale_step == 0.5 and gamma == 0
    sizes = pyramid_sizes(frame0.shape, nscales, scale_step)
    i0s, i1s = [np.asarray(frame0, F)], [np.asarray(frame1, F)]
    for _ in sizes[1:]:
        i0s.append(downsample_half(i0s[-1]))
        i1s.append(downsample_half(i1s[-1]))
    u1 = u2 = None
    counts = [0] * len(sizes)
    for s in range(len(sizes) - 1, -1, -1):
        if u1 is None:
            u1, u2 = np.zeros(sizes[s], F), np.zeros(sizes[s], F)
        else:
            u1 = upsample_bilinear(u1, sizes[s]) * F(1 / scale_step)
            u2 = upsample_bilinear(u2, sizes[s]) * F(1 / scale_step)
        u1, u2, counts[s] = one_level(i0s[s], i1s[s], u1, u2, tau=tau, lambda_=lambda_, theta=theta, warps=warps,
                                      epsilon=epsilon, inner_iterations=inner_iterations,
                                      outer_iterations=outer_iterations, median_filtering=median_filtering,
                                      border=border)
    return np.stack([u1, u2], -1), counts
