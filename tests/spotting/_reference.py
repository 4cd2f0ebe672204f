"""Slow, readable NumPy references of the spotters, written from the MEGC 2020 baseline's MDMD.m / cmd.m
and from Moilanen et al. (2014): plain loops over blocks and pixels."""

import math

import numpy as np


def matlab_round(x):
    return int(math.floor(x + 0.5))


def mdmd_frame_value(u, v, u2, v2, blocks, angles):
    """MDMD.m for one frame: u, v = flow F(i-k) -> F(i); u2, v2 = flow F(i-k) -> F(i+k)."""
    H, W = u.shape
    height, width = H // blocks, W // blocks
    rset = []
    for row in range(blocks):
        for col in range(blocks):
            pix = [(y, x) for y in range(row * height, (row + 1) * height)
                   for x in range(col * width, (col + 1) * width)]
            groups = [[], [], [], []]
            for y, x in pix:
                if u[y, x] == 0 and v[y, x] == 0:
                    continue
                if angles == "megc2020":
                    if v[y, x] == 0:
                        theta = 90.0 if u[y, x] > 0 else -90.0
                    else:
                        theta = math.degrees(math.atan(u[y, x] / v[y, x]))
                else:
                    theta = math.degrees(math.atan2(v[y, x], u[y, x]))
                if 0 <= theta < 90:
                    groups[0].append((y, x))
                elif 90 <= theta <= 180:
                    groups[1].append((y, x))
                elif -180 <= theta < -90:
                    groups[2].append((y, x))
                elif -90 <= theta < 0:
                    groups[3].append((y, x))
            counts = [len(g) for g in groups]
            main = counts.index(max(counts))
            R = [math.hypot(u[y, x], v[y, x]) - math.hypot(u2[y, x], v2[y, x]) for y, x in groups[main]]
            R = sorted(R, reverse=True)[:matlab_round(len(R) / 3)]
            rset.append(sum(R) / len(R) if R else 0.0)
    rset = sorted(rset, reverse=True)[:matlab_round(blocks * blocks / 3)]
    return sum(rset) / len(rset)


def contrast_loop(F, m):
    C = [math.nan] * len(F)
    for i in range(m, len(F) - m):
        C[i] = F[i] - (F[i - m] + F[i + m]) / 2
    return np.array(C)


def chi2_signal(hists, k):
    """hists: (T, n_blocks, n_bins) of every frame; F[i] from the frames i - k, i, i + k."""
    T, nb, _ = hists.shape
    F = [math.nan] * T
    for i in range(k, T - k):
        d = []
        for b in range(nb):
            avg = (hists[i - k, b] + hists[i + k, b]) / 2
            s = 0.0
            for p, q in zip(hists[i, b], avg):
                if p + q > 0:
                    s += (p - q) ** 2 / (p + q)
            d.append(s)
        top = sorted(d, reverse=True)[:max(1, matlab_round(nb / 3))]
        F[i] = sum(top) / len(top)
    return np.array(F)
