"""HOG-TOP / HIGO-TOP: numba kernel vs the NumPy reference, skimage agreement, errors."""

import functools
import math

import numpy as np
import numpy.testing as npt
import pytest
from skimage.feature import hog

from mefeat import Clip
from mefeat.descriptors._hog_top import (
    higo_top,
    hog_top,
    hog_top_feature_names,
    hog_top_n_features,
)
from tests.reference.hog_top_naive import hog_top_naive

# These tests were written when one block was the default grid (now the MER baselines' 5x5 blocks): calls
# without a grid mean one block.
hog_top = functools.partial(hog_top, grid=(1, 1, 1))
higo_top = functools.partial(higo_top, grid=(1, 1, 1))
hog_top_n_features = functools.partial(hog_top_n_features, grid=(1, 1, 1))
hog_top_feature_names = functools.partial(hog_top_feature_names, grid=(1, 1, 1))
FUNCS = {"hog": (hog_top, False), "higo": (higo_top, True)}


def _random_clip(rng, shape, dtype):
    if np.dtype(dtype).kind == "f":
        return rng.normal(100.0, 30.0, shape).astype(dtype)
    info = np.iinfo(dtype)
    hi = min(int(info.max), 1000)
    return rng.integers(max(int(info.min), -1000), hi, shape, endpoint=True).astype(dtype)


# --------------------------------------------------------------------------- kernel vs reference
@pytest.mark.parametrize("kind", ["hog", "higo"])
@pytest.mark.parametrize(
    "shape, grid, orientations, signed, normalize",
    [
        ((5, 12, 10), (1, 1, 1), 8, False, "l1"),
        ((7, 16, 16), (2, 3, 2), 9, True, None),
        ((3, 3, 3), (1, 1, 1), 4, False, None),  # smallest clip
        ((6, 11, 13), (3, 4, 5), 6, True, "l2"),  # uneven block sizes
        ((4, 9, 7), (9, 7, 4), 5, False, "global"),  # one voxel per block
        ((8, 10, 12), 2, 1, False, "l1"),  # int grid, one bin
    ],
)
def test_kernel_matches_reference(rng, kind, shape, grid, orientations, signed, normalize):
    func, count = FUNCS[kind]
    clip = _random_clip(rng, shape, np.uint8)
    g = grid if not isinstance(grid, int) else (grid,) * 3
    expected = hog_top_naive(clip, orientations, g, signed, normalize, count=count)
    for n_threads in (1, 2, None):
        got = func(clip, orientations=orientations, grid=grid, signed=signed, normalize=normalize,
                   n_threads=n_threads)
        assert got.dtype == np.float64 and got.shape == expected.shape
        npt.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.int32, np.int64, np.float32, np.float64])
def test_dtypes_match_reference(rng, dtype):
    clip = _random_clip(rng, (5, 9, 11), dtype)
    for func, count in FUNCS.values():
        got = func(clip, orientations=7, grid=(2, 2, 1), signed=True, normalize=None)
        assert got.dtype == np.float64
        npt.assert_allclose(got, hog_top_naive(clip, 7, (2, 2, 1), True, None, count=count), rtol=1e-12, atol=1e-9)


def test_integer_valued_angles_on_bin_edges(rng):
    # Small integers put many gradients exactly on bin edges (0, 45, 90, 135 degrees):
    # the half-open rule [edge_k, edge_k+1) must match the reference exactly.
    clip = rng.integers(0, 3, (6, 14, 14)).astype(np.uint8)
    for signed in (False, True):
        for n in (4, 8, 2):
            for func, count in FUNCS.values():
                got = func(clip, orientations=n, grid=(2, 2, 2), signed=signed, normalize=None)
                npt.assert_allclose(got, hog_top_naive(clip, n, (2, 2, 2), signed, None, count=count), rtol=1e-12)


def test_clip_object_and_non_contiguous_read_only_input(rng):
    base = _random_clip(rng, (6, 20, 18), np.uint8)
    view = base[:, ::2, :]
    view.flags.writeable = False
    expected = hog_top_naive(np.ascontiguousarray(view), 8, (2, 2, 1), False, "l1")
    npt.assert_allclose(hog_top(view, grid=(2, 2, 1)), expected, rtol=1e-12)
    npt.assert_allclose(hog_top(Clip(np.ascontiguousarray(view)), grid=(2, 2, 1)), expected, rtol=1e-12)
    before = base.copy()
    higo_top(base)
    npt.assert_array_equal(base, before)  # input untouched


# --------------------------------------------------------------------------- hand-checked values
def test_constant_clip_gives_zero():
    clip = np.full((5, 8, 8), 77, dtype=np.uint8)
    for func, _ in FUNCS.values():
        for normalize in ("l1", "l2", "global", None):
            f = func(clip, grid=(2, 2, 1), normalize=normalize)
            npt.assert_array_equal(f, np.zeros(2 * 2 * 1 * 3 * 8))


def test_hand_computed_ramps():
    # Intensity t * 4 + y * 2 + x: G_x = 2, G_y = 4, G_t = 8 (zero on borders).
    T, H, W = 3, 3, 3
    t, y, x = np.meshgrid(np.arange(T), np.arange(H), np.arange(W), indexing="ij")
    clip = (t * 4 + y * 2 + x).astype(np.float64)
    # Only the centre voxel (1, 1, 1) has all three gradients; interior along x only: (t, y, 1).
    f = hog_top(clip, orientations=4, signed=True, normalize=None).reshape(3, 4)  # bins of 90 deg
    # XY: voxels with x==1 have G_x=2; voxels with y==1 have G_y=4.
    #   (x=1, y=1): atan2(4, 2)=63.4 deg -> bin 0, weight sqrt(20); 3 frames
    #   (x=1, y!=1): angle 0 -> bin 0, weight 2; 2 rows x 3 frames
    #   (x!=1, y=1): angle 90 -> bin 1, weight 4; 2 cols x 3 frames
    npt.assert_allclose(f[0], [3 * np.sqrt(20) + 6 * 2, 6 * 4, 0, 0])
    # XT: only t == 1 has G_t = 8. (x=1,t=1): atan2(8,2) bin 0, 3 rows; (x=1, t!=1): 0 deg, w 2, 2x3;
    #   (x!=1, t=1): 90 deg bin 1, w 8, 2 cols x 3 rows.
    npt.assert_allclose(f[1], [3 * np.sqrt(68) + 6 * 2, 6 * 8, 0, 0])
    # YT: (y=1,t=1): atan2(8,4) bin 0 w sqrt(80), 3 cols; (y=1,t!=1) w 4 x 6; (y!=1,t=1) bin 1 w 8 x 6
    npt.assert_allclose(f[2], [3 * np.sqrt(80) + 6 * 4, 6 * 8, 0, 0])
    # Reversed intensity flips every orientation by 180 degrees: bins 2 and 3 (signed)
    g = hog_top(-clip, orientations=4, signed=True, normalize=None).reshape(3, 4)
    npt.assert_allclose(g[:, 2:], f[:, :2])
    # Unsigned: the flip changes nothing
    npt.assert_allclose(hog_top(-clip, orientations=2, normalize=None), hog_top(clip, orientations=2, normalize=None))
    h = higo_top(clip, orientations=4, signed=True, normalize=None).reshape(3, 4)
    npt.assert_array_equal(h, [[9, 6, 0, 0], [9, 6, 0, 0], [9, 6, 0, 0]])


def test_normalisations(rng):
    clip = _random_clip(rng, (6, 12, 12), np.uint8)
    raw = hog_top(clip, grid=(2, 2, 2), normalize=None).reshape(-1, 8)
    l1 = hog_top(clip, grid=(2, 2, 2), normalize="l1").reshape(-1, 8)
    l2 = hog_top(clip, grid=(2, 2, 2), normalize="l2").reshape(-1, 8)
    gl = hog_top(clip, grid=(2, 2, 2), normalize="global")
    npt.assert_allclose(l1.sum(axis=1), 1.0)
    npt.assert_allclose(np.linalg.norm(l2, axis=1), 1.0)
    npt.assert_allclose(gl.sum(), 1.0)
    npt.assert_allclose(l1 * raw.sum(axis=1, keepdims=True), raw)


def test_t_blocks_are_sums_of_frames(rng):
    clip = _random_clip(rng, (6, 8, 8), np.uint8)
    per_frame = hog_top(clip, grid=(1, 1, 6), normalize=None).reshape(6, -1)
    two = hog_top(clip, grid=(1, 1, 2), normalize=None).reshape(2, -1)
    npt.assert_allclose(two, [per_frame[:3].sum(0), per_frame[3:].sum(0)], rtol=1e-12)


# --------------------------------------------------------------------------- skimage agreement
def _skimage_l1_from_raw(xy, area):
    # skimage: float32 cell sums divided by the cell area, then v / (sum(|v|) + 1e-5).
    v = xy / area
    return v / (np.abs(v).sum(axis=-1, keepdims=True) + 1e-5)


@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
@pytest.mark.parametrize(
    "H, W, rows, cols, n",
    [(16, 24, 2, 3, 8), (15, 25, 3, 5, 9), (12, 12, 4, 3, 6), (14, 14, 2, 2, 7), (32, 32, 4, 4, 12)],
)
def test_xy_plane_agrees_with_skimage_hog(rng, dtype, H, W, rows, cols, n):
    T = 3
    clip = _random_clip(rng, (T, H, W), dtype)
    if dtype == np.float64:
        clip = clip / 255.0
    ch, cw = H // rows, W // cols
    area = ch * cw
    raw = hog_top(clip, orientations=n, grid=(rows, cols, T), normalize=None).reshape(T, rows, cols, 3, n)
    l1 = hog_top(clip, orientations=n, grid=(rows, cols, T), normalize="l1").reshape(T, rows, cols, 3, n)
    for t in range(T):  # one t-block per frame: its XY histogram is the frame's HOG
        sk = hog(clip[t], orientations=n, pixels_per_cell=(ch, cw), cells_per_block=(1, 1), block_norm="L1",
                 feature_vector=True).reshape(rows, cols, n)
        # skimage accumulates each cell in float32: the relative error of a sum of `area`
        # positive terms is below area * 2**-24, so |difference| < 2 * area * 2**-24 after
        # normalising. A single voxel in the wrong bin moves a bin by >= min magnitude /
        # cell sum, far above this bound for these data, so the test still pins the binning.
        bound = 2 * area * 2.0**-24
        npt.assert_allclose(_skimage_l1_from_raw(raw[t, :, :, 0], area), sk, rtol=0, atol=bound)
        # Our "l1" has no epsilon: v / s versus v / (s + 1e-5 * area).
        s = raw[t, :, :, 0].sum(axis=-1, keepdims=True)
        npt.assert_allclose(l1[t, :, :, 0], sk, rtol=0, atol=bound + float((1e-5 * area / s).max()))


def test_skimage_exact_edge_angles():
    # Gradients with exactly 45/90/135-degree orientations (integer image): bins must agree.
    img = np.add.outer(np.arange(16), np.arange(16) * 1).astype(np.uint8) % 5
    clip = np.stack([img, img, img])
    raw = hog_top(clip, orientations=8, grid=(2, 2, 3), normalize=None).reshape(3, 2, 2, 3, 8)
    sk = hog(img, orientations=8, pixels_per_cell=(8, 8), cells_per_block=(1, 1), block_norm="L1").reshape(2, 2, 8)
    npt.assert_allclose(_skimage_l1_from_raw(raw[1, :, :, 0], 64), sk, rtol=0, atol=2 * 64 * 2.0**-24)


# --------------------------------------------------------------------------- sizes and names
def test_n_features_and_names():
    for kw in ({}, {"orientations": 12, "grid": (2, 3, 4)}, {"grid": 2, "signed": True}):
        n = hog_top_n_features(**kw)
        names = hog_top_feature_names(**kw)
        assert len(names) == n == hog_top(np.arange(5 * 6 * 6).reshape(5, 6, 6), **kw).size
        assert len(set(names)) == n
    names = hog_top_feature_names(orientations=8, grid=(1, 2, 1))
    assert names[:2] == ["hogtop_t0r0c0_xy_b00", "hogtop_t0r0c0_xy_b01"]
    assert names[8] == "hogtop_t0r0c0_xt_b00" and names[24] == "hogtop_t0r0c1_xy_b00"


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "clip, kw, exc, match",
    [
        (np.zeros((8, 8)), {}, ValueError, "3-D"),
        (np.zeros((2, 8, 8)), {}, ValueError, "2 frame"),
        (np.zeros((4, 2, 8)), {}, ValueError, "2x8"),
        (np.full((4, 8, 8), np.nan), {}, ValueError, "NaN"),
        (np.full((4, 8, 8), np.inf), {}, ValueError, "infinite"),
        (np.zeros((4, 8, 8), dtype=bool), {}, TypeError, "bool"),
        (np.zeros((4, 8, 8), dtype=np.complex128), {}, TypeError, "complex"),
        (np.zeros((4, 8, 8), dtype=np.float16), {}, TypeError, "float16"),
        (np.zeros((4, 8, 8)), {"grid": (9, 1, 1)}, ValueError, "rows=9 exceeds the clip's H=8"),
        (np.zeros((4, 8, 8)), {"grid": (1, 1, 5)}, ValueError, "tblocks=5 exceeds the clip's T=4"),
        (np.zeros((4, 8, 8)), {"grid": (1, 1)}, ValueError, "grid must have 3 entries"),
        (np.zeros((4, 8, 8)), {"grid": (0, 1, 1)}, ValueError, "grid entries must be >= 1"),
        (np.zeros((4, 8, 8)), {"grid": (1.5, 1, 1)}, TypeError, "grid"),
        (np.zeros((4, 8, 8)), {"orientations": 0}, ValueError, "orientations"),
        (np.zeros((4, 8, 8)), {"orientations": 8.0}, TypeError, "orientations"),
        (np.zeros((4, 8, 8)), {"signed": "yes"}, TypeError, "signed"),
        (np.zeros((4, 8, 8)), {"normalize": "L1"}, ValueError, "normalize"),
        (np.zeros((4, 8, 8)), {"n_threads": 0}, ValueError, "n_threads"),
        (np.zeros((4, 8, 8)), {"n_threads": 10_000}, ValueError, "n_threads"),
        (np.zeros((4, 8, 8, 3)), {}, ValueError, "colour"),
    ],
)
def test_bad_input(clip, kw, exc, match):
    for func, _ in FUNCS.values():
        with pytest.raises(exc, match=match):
            func(clip, **kw)


def test_bad_options_without_clip():
    with pytest.raises(ValueError, match="normalize"):
        hog_top_n_features(normalize="max")
    with pytest.raises(ValueError, match="grid"):
        hog_top_feature_names(grid=(1, 2))


# --------------------------------------------------------------------------- binning near edges
@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("n", [7, 8, 9, 12])
def test_fast_binning_equals_atan2_rule_near_edges(rng, signed, n):
    # The kernel's polynomial first guess must never change a bin: probe directions at
    # each edge and offset by +-1e-15 ... 1e-3 rad, plus random and axis-aligned vectors.
    from mefeat._jit import from_python
    from mefeat._kernels import hog

    _row_angles, _row_votes = from_python(hog._row_angles), from_python(hog._row_votes)

    period = 360.0 if signed else 180.0
    edges = np.array([period / n * k for k in range(n + 1)])
    base = np.deg2rad(edges[:-1])
    base = np.concatenate([base, base + np.pi])  # the opposite directions too
    offsets = np.array([0.0, 1e-15, -1e-15, 1e-12, -1e-12, 1e-9, -1e-9, 1e-7, -1e-7, 1e-6, -1e-6, 1e-5, -1e-5,
                        1e-3, -1e-3])
    ang = (base[:, None] + offsets[None, :]).ravel()
    radius = rng.uniform(0.1, 300.0, ang.size)
    a = np.concatenate([radius * np.cos(ang), rng.normal(size=2000), [1.0, -1.0, 0.0, 0.0, 3.0, -3.0]])
    b = np.concatenate([radius * np.sin(ang), rng.normal(size=2000), [0.0, 0.0, 2.0, -2.0, 3.0, 3.0]])
    # The rule is defined with libm's atan2 (math.atan2, as in the kernel): NumPy's SIMD
    # arctan2 may differ from it by 1 ulp, which matters only this close to an edge.
    deg = np.array([math.atan2(bi, ai) * (180.0 / math.pi) % period for ai, bi in zip(a, b)])
    expected = np.searchsorted(edges, deg, side="right") - 1
    expected = np.minimum(expected, n - 1)
    code, w = np.empty(a.size, dtype=np.int64), np.empty_like(a)
    margin = 1e-6 * n * (360.0 / period) / (2 * np.pi)
    _row_angles(a, b, n, period, margin, np.arange(a.size), code, w, True)
    hist = np.zeros(a.size * n)  # one block column per vector: its own histogram row
    _row_votes(a, b, code, w, n, period, edges, np.arange(a.size), hist, True)
    hist = hist.reshape(a.size, n)
    assert (code == -1).any()  # the exact fallback was exercised
    npt.assert_array_equal(hist.sum(axis=1), 1.0)
    npt.assert_array_equal(hist.argmax(axis=1), expected)


def test_huge_int64_values_refused():
    clip = np.full((3, 4, 4), 2**60, dtype=np.int64)
    with pytest.raises(ValueError, match="2\\*\\*52"):
        hog_top(-clip)
    with pytest.raises(ValueError, match="2\\*\\*52"):
        hog_top(clip)
    with pytest.raises(TypeError, match="uint64"):
        higo_top(clip.astype(np.uint64))


@pytest.mark.parametrize("n_bins,signed", [(8, False), (9, True), (1, False)])
def test_orientation_table_is_the_exact_atan2_rule(n_bins, signed):
    # Every entry of the uint8 bin table (built in NumPy) is the bin of the exact rule (libm atan2,
    # skimage's edges), which is also what the generic kernel path computes.
    from mefeat._config import HOG_LUT_RANGE
    from mefeat._kernels.hog import _orientation_bin, orientation_lut

    exact = getattr(_orientation_bin, "py_func", _orientation_bin)
    period = 360.0 if signed else 180.0
    edges = np.array([period / n_bins * k for k in range(n_bins + 1)])
    lut = orientation_lut(n_bins, period, edges)
    R = HOG_LUT_RANGE
    span = 2 * R + 1
    assert lut.dtype == np.int16 and lut.shape == (span * span,)
    expected = np.array([exact(float(i - R), float(j - R), n_bins, period, edges) if (i, j) != (R, R) else -2
                         for j in range(span) for i in range(span)], dtype=np.int16)
    npt.assert_array_equal(lut, expected)
