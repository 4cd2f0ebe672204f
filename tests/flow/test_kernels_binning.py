"""The atan2-free 8-bin tests of mefeat._kernels.flow equal atan2 binning, also next to the edges."""

import math

import numpy as np
import pytest

from mefeat._jit import from_python
from mefeat._kernels import flow

_centred_bin8, _octant_bin8, _orientation_bin = (from_python(h) for h in (flow._centred_bin8, flow._octant_bin8,
                                                                          flow._orientation_bin))


def _adversarial_vectors():
    rng = np.random.default_rng(0)
    vecs = [(1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0), (-1.0, -0.0), (1.0, -0.0), (0.0, 0.0)]
    for k in range(16):  # exact multiples of pi/8, and a few ulps around them
        t = k * np.pi / 8
        c, s = math.cos(t), math.sin(t)
        for du in (-3, -1, 0, 1, 3):
            for dv in (-2, 0, 2):
                vecs.append((c + du * np.spacing(c), s + dv * np.spacing(s)))
        for eps in (1e-7, 1e-9, 1e-10, 1e-12):  # just inside / outside the 1e-9 band
            for sign in (-1, 1):
                tt = t + sign * eps
                vecs.append((math.cos(tt), math.sin(tt)))
    for x in (1.0, -1.0, 3e-5, -7.0):  # tiny other component
        for y in (1e-300, -1e-300, 5e-324, 1e-17, -1e-12):
            vecs += [(x, y), (y, x)]
    for m in (1.0, 1 + 2**-52, 1 - 2**-53):  # |u| == |v| to the last bit
        vecs += [(m, 1.0), (-m, 1.0), (m, -1.0), (-1.0, -m)]
    vecs += [(math.tan(np.pi / 8), 1.0), (1.0, math.tan(np.pi / 8)), (-1.0, -math.tan(3 * np.pi / 8))]
    vecs += list(map(tuple, rng.normal(size=(2000, 2)) * 10.0 ** rng.uniform(-8, 3, (2000, 1))))
    return vecs


VECS = _adversarial_vectors()
EDGES = -180.0 + 45.0 * np.arange(8)


def _atan2_octant(u, v, compat):
    return _orientation_bin(math.atan2(v, u) * (180.0 / math.pi), EDGES, 8, 45.0, compat)


def _atan2_centred(u, v):
    w = 2 * math.pi / 8
    return int(math.floor((math.atan2(v, u) + 0.5 * w) / w)) % 8


@pytest.mark.parametrize("compat", [0, 1])
def test_octant_bin8_equals_atan2_binning(compat):
    n_fast = 0
    for u, v in VECS:
        b = _octant_bin8(u, v, compat)
        if b != -2:
            n_fast += 1
            assert b == _atan2_octant(u, v, compat), (u, v)
    assert n_fast > 1900  # the fast path is taken for almost every generic vector


def test_centred_bin8_equals_atan2_binning():
    n_fast = 0
    for u, v in VECS:
        b = _centred_bin8(u, v)
        if b != -2:
            n_fast += 1
            assert b == _atan2_centred(u, v), (u, v)
    assert n_fast > 1900


def test_fallback_near_edges():
    assert _octant_bin8(1.0, 1.0, 0) == -2 and _octant_bin8(1.0, 0.0, 0) == -2 and _octant_bin8(0.0, 0.0, 1) == -2
    assert _centred_bin8(1.0, math.tan(np.pi / 8)) == -2 and _centred_bin8(0.0, 0.0) == -2
    assert _octant_bin8(1.0, 0.5, 0) == 4 and _octant_bin8(-1.0, 0.5, 1) == -1 and _octant_bin8(-1.0, 0.5, 0) == 7
