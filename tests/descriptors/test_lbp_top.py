"""LBP-TOP: golden files of both MATLAB releases, skimage agreement, the naive NumPy oracle, bad input."""

import functools
import glob
import os

import numpy as np
import pytest
from skimage.feature import local_binary_pattern

import mefeat
from mefeat.descriptors import lbp_top as _lbp_top
from mefeat.descriptors import lbp_top_feature_names as _lbp_top_feature_names
from mefeat.descriptors import lbp_top_n_features as _lbp_top_n_features
from tests.conftest import DATA_DIR, load_reference
from tests.reference.lbp_top_naive import (
    TABLES,
    lbp_top_naive,
    plane_codes,
    ri_table,
    riu2_table,
    sample_plane,
    u2_table,
)

# These tests pin the whole-volume LBP-TOP of the original release (radii 1, one block per plane), which
# was the function's default before the MER baselines' (radii (1, 1, 4), 5x5 blocks) became it; every
# call below without radii or grid means that configuration.
WHOLE_VOLUME = {"radii": (1, 1, 1), "grid": (1, 1, 1)}
lbp_top = functools.partial(_lbp_top, **WHOLE_VOLUME)
lbp_top_feature_names = functools.partial(_lbp_top_feature_names, **WHOLE_VOLUME)
lbp_top_n_features = functools.partial(_lbp_top_n_features, **WHOLE_VOLUME)

GOLDEN_A = sorted(os.path.basename(p) for p in glob.glob(str(DATA_DIR / "lbptop_orig_*.npz")))
GOLDEN_B = sorted(os.path.basename(p) for p in glob.glob(str(DATA_DIR / "lbptop_block_*.npz")))


def _clip(shape=(9, 20, 22), seed=0, dtype=np.uint8):
    return np.random.default_rng(seed).integers(0, 256, size=shape).astype(dtype)


def _smooth_clip(shape=(9, 20, 22)):
    # integer ramps: plenty of exact interpolation ties (interpolated value == centre)
    t, y, x = np.meshgrid(*(np.arange(n) for n in shape), indexing="ij")
    return (3 * x + 2 * y + 5 * t).astype(np.uint8)


def _flat_patches_clip(shape=(9, 16, 17), levels=(5, 10, 20)):
    # few grey levels: flat neighbourhoods where the float32 reference and skimage resolve ties differently
    return np.random.default_rng(0).choice(levels, size=shape).astype(np.uint8)


# --------------------------------------------------------------------------- golden files

def test_all_golden_files_present():
    assert len(GOLDEN_A) == 11 and len(GOLDEN_B) == 4


@pytest.mark.parametrize("name", GOLDEN_A)
@pytest.mark.parametrize("n_threads", [1, 2])
def test_golden_whole_volume(name, n_threads):
    clip, expected, p = load_reference(name)
    radii = (p["FxRadius"], p["FyRadius"], p["TInterval"])
    interpolation = "bilinear" if p["bBilinearInterpolation"] else "nearest"
    mapping = "u2" if p["mapping"] == "u2" else "default"
    got = lbp_top(clip, radii=radii, mapping=mapping, interpolation=interpolation, n_threads=n_threads)
    assert got.shape == (expected.size,)
    assert np.abs(got.reshape(3, -1) - expected).max() < 1e-12


@pytest.mark.parametrize("name", GOLDEN_A)
def test_golden_whole_volume_skimage_arithmetic_has_no_ties_on_R0(name):
    # R0 is random: skimage's arithmetic gives the same codes as the float32 reference there (MANIFEST)
    clip, expected, p = load_reference(name)
    radii = (p["FxRadius"], p["FyRadius"], p["TInterval"])
    interpolation = "bilinear" if p["bBilinearInterpolation"] else "nearest"
    mapping = "u2" if p["mapping"] == "u2" else "default"
    got = lbp_top(clip, radii=radii, mapping=mapping, interpolation=interpolation, arithmetic="skimage")
    assert np.abs(got.reshape(3, -1) - expected).max() < 1e-12


@pytest.mark.parametrize("name", GOLDEN_B)
@pytest.mark.parametrize("n_threads", [1, 2])
def test_golden_blockwise(name, n_threads):
    clip, expected, p = load_reference(name)
    got = lbp_top(clip, radii=(p["FxRadius"], p["FyRadius"], p["TInterval"]), n_points=p["NeighborPoints"],
                  grid=(p["rows"], p["cols"], p["timePart"]), overlap=p["overlap_ratio"], mapping="u2",
                  interpolation="nearest", convention="huang", normalize="global", n_threads=n_threads)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-12


def test_golden_u2_order_matches_listed_uniform_codes():
    _, _, p = load_reference(GOLDEN_A[0])
    table, n_bins = mefeat._kernels.lbp.mapping_table(8, "u2")
    assert n_bins == 59
    assert [int(np.flatnonzero(table == k)[0]) for k in range(58)] == p["uniform_codes"]


# --------------------------------------------------------------------------- skimage agreement

def _skimage_hist(img_stack, P, R, method, crop_rows, crop_cols, n_bins, table=None):
    h = np.zeros(n_bins, dtype=np.int64)
    for img in img_stack:
        codes = local_binary_pattern(img, P, R, method=method)
        codes = codes[crop_rows, crop_cols].astype(np.int64)
        if table is not None:
            codes = table[codes]
        h += np.bincount(codes.ravel(), minlength=n_bins)
    return h


@pytest.mark.parametrize("make", [_clip, _smooth_clip], ids=["random", "smooth"])
@pytest.mark.parametrize("P,R", [(8, 1), (8, 2), (4, 1), (12, 3)])
def test_xy_plane_equals_skimage_per_frame(make, P, R):
    clip = make((2 * R + 3, 20, 22))
    T, H, W = clip.shape
    rows, cols = slice(R, H - R), slice(R, W - R)
    frames = clip[R:T - R]
    for mapping, method, table in (("default", "default", None),
                                   ("u2", "default", u2_table(P)[0]),
                                   ("riu2", "uniform", None)):
        n_bins = TABLES[mapping](P)[1]
        expected = _skimage_hist(frames, P, R, method, rows, cols, n_bins, table)
        got = lbp_top(clip, radii=R, n_points=P, mapping=mapping, arithmetic="skimage", normalize=None)
        assert np.array_equal(got[:n_bins], expected), mapping


@pytest.mark.parametrize("make", [_clip, _smooth_clip], ids=["random", "smooth"])
def test_xy_plane_u2_equals_skimage_nri_uniform_up_to_label_order(make):
    P, R = 8, 1
    clip = make((3, 20, 22))
    frame = clip[1]
    default = local_binary_pattern(frame, P, R, "default")[1:-1, 1:-1].astype(int)
    nri = local_binary_pattern(frame, P, R, "nri_uniform")[1:-1, 1:-1].astype(int)
    u2 = u2_table(P)[0][default]
    # skimage's nri_uniform labels are a relabelling of ours: one u2 bin per nri label and vice versa
    pairs = set(zip(nri.ravel().tolist(), u2.ravel().tolist()))
    assert len({a for a, _ in pairs}) == len(pairs) == len({b for _, b in pairs})
    perm = dict(pairs)
    got = lbp_top(clip, radii=R, n_points=P, arithmetic="skimage", normalize=None)[:59]
    expected = np.zeros(59)
    for label, count in zip(*np.unique(nri, return_counts=True)):
        expected[perm[label]] += count
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("convention", ["zhao2007", "huang"])
@pytest.mark.parametrize("make", [_clip, _smooth_clip], ids=["random", "smooth"])
def test_xt_yt_planes_equal_skimage_on_oriented_slices(convention, make):
    # circular radius: skimage's LBP on the plane seen with rows moving with -R sin, columns with +R cos
    P, R = 8, 2
    clip = make((9, 14, 15))
    T, H, W = clip.shape
    got = lbp_top(clip, radii=R, n_points=P, mapping="default", arithmetic="skimage", convention=convention,
                  normalize=None).reshape(3, 256)
    if convention == "zhao2007":
        xt = [clip[::-1, y, :] for y in range(R, H - R)]           # rows: t reversed, columns: x
        yt = [clip[:, :, x].T for x in range(R, W - R)]            # rows: y, columns: t
        xt_crop, yt_crop = (slice(R, T - R), slice(R, W - R)), (slice(R, H - R), slice(R, T - R))
    else:
        xt = [clip[:, y, :] for y in range(R, H - R)]              # rows: t, columns: x
        yt = [clip[:, ::-1, x] for x in range(R, W - R)]           # rows: t, columns: y reversed
        xt_crop, yt_crop = (slice(R, T - R), slice(R, W - R)), (slice(R, T - R), slice(R, H - R))
    assert np.array_equal(got[1], _skimage_hist(xt, P, R, "default", *xt_crop, 256))
    assert np.array_equal(got[2], _skimage_hist(yt, P, R, "default", *yt_crop, 256))


def test_constant_clip_ties_reference_versus_skimage():
    # a flat clip is all ties: skimage's tolerance sets every bit; the float32 reference drops diagonal
    # samples just below the centre (then floored), so its codes differ; each matches its own oracle
    clip = np.full((5, 9, 9), 13, dtype=np.uint8)  # e.g. 13: the reference's XY code is 213, not 255
    sk = lbp_top(clip, mapping="default", arithmetic="skimage", normalize=None).reshape(3, 256)
    ref = lbp_top(clip, mapping="default", arithmetic="reference", normalize=None).reshape(3, 256)
    n = 3 * 7 * 7
    assert np.array_equal(sk[:, 255], [n, n, n])
    assert ref[:, 255].sum() < 3 * n and ref[0, 213] > 0
    for arithmetic, got in (("reference", ref), ("skimage", sk)):
        expected = lbp_top_naive(clip, mapping="default", arithmetic=arithmetic, normalize=None)
        assert np.array_equal(got.ravel(), expected)
    frames = clip[1:4]
    assert np.array_equal(sk[0], _skimage_hist(frames, 8, 1, "default", slice(1, 8), slice(1, 8), 256))


@pytest.mark.parametrize("radii", [(1, 1, 1), (2, 2, 2), (3, 2, 1)])
def test_ties_reference_and_skimage_each_match_their_oracle(radii):
    clip = _flat_patches_clip()
    results = {}
    for arithmetic in ("reference", "skimage"):
        got = lbp_top(clip, radii=radii, mapping="default", arithmetic=arithmetic, normalize=None)
        expected = lbp_top_naive(clip, radii=radii, mapping="default", arithmetic=arithmetic, normalize=None)
        assert np.array_equal(got, expected)
        results[arithmetic] = got
    assert not np.array_equal(results["reference"], results["skimage"])  # flat patches create ties


# --------------------------------------------------------------------------- naive NumPy oracle

CASES = [
    dict(),
    dict(interpolation="nearest"),
    dict(radii=(2, 1, 3)),
    dict(radii=(1, 2, 1)),
    dict(radii=(1, 2, 1), convention="huang"),
    dict(radii=(2, 1, 2), convention="huang", arithmetic="skimage"),
    dict(radii=(1, 3, 2), arithmetic="skimage"),
    dict(n_points=(4, 4, 4), radii=(1, 1, 4)),
    dict(n_points=(8, 4, 12), radii=(2, 2, 1), mapping="riu2"),
    dict(n_points=(6, 10, 16), mapping="u2", arithmetic="skimage"),
    dict(mapping="ri"),
    dict(mapping="riu2", convention="huang", arithmetic="skimage"),
    dict(grid=(2, 3, 2), overlap=0.0, normalize="global"),
    dict(grid=(3, 2, 1), overlap=0.5, normalize="plane", radii=(2, 2, 1)),
    dict(grid=(4, 4, 2), overlap=0.7, normalize=None, convention="huang", interpolation="nearest"),
    dict(grid=(2, 2, 3), overlap=0.3, arithmetic="skimage", radii=(1, 2, 1)),
    # P = 6, 12, 9, 15: some offsets are k + 0.5 +- 1 ulp, so nearest rounding depends on the position
    dict(n_points=(12, 6, 9), interpolation="nearest"),
    dict(n_points=(6, 15, 12), radii=(3, 1, 3), interpolation="nearest", convention="huang", arithmetic="skimage"),
    dict(n_points=(12, 6, 9), radii=(3, 1, 2)),
    dict(n_points=(15, 12, 6), radii=(1, 3, 3), arithmetic="skimage", convention="huang"),
]


@pytest.mark.parametrize("kw", CASES, ids=[",".join(f"{k}={v}" for k, v in c.items()) or "defaults" for c in CASES])
def test_kernel_equals_naive_reference(kw):
    clip = _clip((11, 19, 23), seed=len(str(kw)))
    before = clip.copy()
    got = lbp_top(clip, **kw)
    assert np.array_equal(clip, before)  # inputs are never written
    expected = lbp_top_naive(clip, **kw)
    assert got.shape == expected.shape == (lbp_top_n_features(**kw),)
    assert np.abs(got - expected).max() < 1e-12


@pytest.mark.parametrize("arithmetic", ["reference", "skimage"])
def test_huang_yt_uses_ry_not_rx(arithmetic):
    # the blockwise release samples YT with Rx; mefeat uses Ry. With Rx != Ry the two differ.
    Rx, Ry, Rt = 1, 2, 1
    clip = _clip((7, 15, 15), seed=3)
    got = lbp_top(clip, radii=(Rx, Ry, Rt), mapping="default", convention="huang", arithmetic=arithmetic,
                  normalize=None).reshape(3, 256)[2]
    tt, yy, xx = np.meshgrid(np.arange(Rt, 7 - Rt), np.arange(2, 13), np.arange(2, 13), indexing="ij")
    centres = np.stack([tt.ravel(), yy.ravel(), xx.ravel()], axis=1)
    V = clip.astype(np.float64)
    kw = dict(convention="huang", interpolation="bilinear", arithmetic=arithmetic)
    with_ry = np.bincount(sample_plane(V, "YT", centres, (Rx, Ry, Rt), 8, **kw), minlength=256)
    with_rx = np.bincount(sample_plane(V, "YT", centres, (Rx, Rx, Rt), 8, **kw), minlength=256)
    assert np.array_equal(got, with_ry)
    assert not np.array_equal(got, with_rx)


def test_tiny_clip_exactly_enough_frames_and_pixels():
    clip = _clip((7, 7, 9), seed=5)  # Rt = 3 -> 7 frames; B = 3 -> 7 rows
    for kw in (dict(radii=(3, 3, 3)), dict(radii=(3, 2, 3), arithmetic="skimage"),
               dict(radii=(3, 3, 3), interpolation="nearest")):
        got = lbp_top(clip, normalize=None, **kw)
        assert np.array_equal(got, lbp_top_naive(clip, normalize=None, **kw))
        assert got.reshape(3, -1).sum(axis=1).tolist() == [3.0] * 3  # one frame x one row x 3 columns


def test_codes_of_naive_oracle_on_a_hand_made_frame():
    # 3x3 neighbourhood, nearest, P=8, R=1: bit p at (x + cos, y - sin); ">=" sets the bit
    V = np.zeros((3, 3, 3))
    V[1] = [[5, 6, 1],
            [9, 5, 7],
            [4, 2, 5]]
    codes = plane_codes(V, radii=(1, 1, 1), n_points=(8, 8, 8), convention="zhao2007",
                        interpolation="nearest", arithmetic="reference")
    # p: 0 right 7>=5, 1 up-right 1, 2 up 6>=5, 3 up-left 5>=5, 4 left 9>=5, 5 down-left 4, 6 down 2, 7 down-right 5
    assert codes[0].item() == 0b10011101
    got = lbp_top(V, mapping="default", interpolation="nearest", normalize=None).reshape(3, 256)[0]
    assert got[0b10011101] == 1 and got.sum() == 1


# --------------------------------------------------------------------------- mappings, names, lengths

@pytest.mark.parametrize("P", [4, 8, 12])
def test_mapping_tables_equal_naive(P):
    from mefeat._kernels.lbp import mapping_table
    for kind, naive in (("u2", u2_table), ("riu2", riu2_table), ("ri", ri_table)):
        table, n = mapping_table(P, kind)
        expected, n_expected = naive(P)
        assert n == n_expected and np.array_equal(table, expected), kind


def test_bin_counts():
    from mefeat._kernels.lbp import mapping_table
    assert [mapping_table(P, "u2")[1] for P in (4, 8, 16)] == [15, 59, 243]
    assert [mapping_table(P, "riu2")[1] for P in (4, 8, 16)] == [6, 10, 18]
    assert mapping_table(8, "ri")[1] == 36
    assert lbp_top_n_features() == 177
    assert lbp_top_n_features(grid=(8, 8, 1)) == 11328
    assert lbp_top_n_features(grid=(5, 5, 1), n_points=4) == 1125
    assert lbp_top_n_features(n_points=(8, 4, 16), mapping="riu2") == 10 + 6 + 18


def test_feature_names_match_output():
    kw = dict(grid=(2, 3, 2), n_points=(4, 8, 4), mapping="riu2")
    names = lbp_top_feature_names(**kw)
    assert len(names) == len(set(names)) == lbp_top_n_features(**kw) == lbp_top(_clip((12, 20, 22)), **kw).size
    assert names[0] == "lbptop_t0r0c0_xy_riu2_000"
    assert names[6] == "lbptop_t0r0c0_xt_riu2_000"
    assert names[-1] == "lbptop_t1r1c2_yt_riu2_005"
    assert mefeat.descriptors.lbp_top_feature_names is _lbp_top_feature_names


def test_normalisations():
    clip = _clip()
    raw = lbp_top(clip, grid=(2, 2, 1), normalize=None)
    assert np.array_equal(raw, np.round(raw))
    blocks = raw.reshape(4, 3, 59)
    plane = lbp_top(clip, grid=(2, 2, 1), normalize="plane").reshape(4, 3, 59)
    assert np.allclose(plane.sum(axis=2), 1.0)
    assert np.allclose(plane, blocks / blocks.sum(axis=2, keepdims=True), rtol=0, atol=1e-15)
    glob_ = lbp_top(clip, grid=(2, 2, 1), normalize="global")
    assert np.isclose(glob_.sum(), 1.0) and np.allclose(glob_, raw / raw.sum(), rtol=0, atol=1e-15)
    one = lbp_top(clip, normalize=None).reshape(3, 59)
    assert one.sum(axis=1).tolist() == [7 * 18 * 20] * 3  # every centre once per plane


# --------------------------------------------------------------------------- inputs and threads

def test_dtypes_give_the_same_result_for_integer_valued_input():
    clip = _clip()
    expected = lbp_top(clip)
    for dtype in (np.uint16, np.int16, np.int32, np.int64, np.float32, np.float64):
        for arithmetic in ("reference", "skimage"):
            assert np.array_equal(lbp_top(clip.astype(dtype), arithmetic=arithmetic),
                                  lbp_top(clip, arithmetic=arithmetic)), dtype
    assert np.array_equal(lbp_top(clip.astype(np.float64)), expected)


@pytest.mark.parametrize("n_points", [(8, 8, 8), (12, 6, 9)])
def test_float_values_are_compared_as_floats(n_points):
    clip = _clip().astype(np.float64) / 255.0  # no rescaling: values in [0, 1]
    for arithmetic in ("reference", "skimage"):
        for interpolation in ("nearest", "bilinear"):
            kw = dict(arithmetic=arithmetic, interpolation=interpolation, mapping="u2", normalize=None,
                      n_points=n_points)
            assert np.array_equal(lbp_top(clip, **kw), lbp_top_naive(clip, **kw))


def test_skimage_tolerance_on_float_lattice_samples():
    # neighbours 1e-13 below the centre: skimage's -1e-12 tolerance sets the bits, ">=" does not
    clip = np.full((3, 3, 3), 1.0)
    clip[1, 1, 1] += 1e-13
    kw = dict(interpolation="nearest", mapping="default", normalize=None)
    assert lbp_top(clip, arithmetic="skimage", **kw).reshape(3, 256)[0, 255] == 1
    assert lbp_top(clip, arithmetic="reference", **kw).reshape(3, 256)[0, 0] == 1


def test_clip_object_read_only_and_non_contiguous_inputs():
    clip = _clip((9, 20, 44))
    expected = lbp_top(np.ascontiguousarray(clip[:, :, ::2]))
    view = clip[:, :, ::2]
    assert not view.flags.c_contiguous
    assert np.array_equal(lbp_top(view), expected)
    ro = np.ascontiguousarray(clip[:, :, ::2])
    ro.setflags(write=False)
    before = ro.copy()
    assert np.array_equal(lbp_top(ro), expected)
    assert np.array_equal(ro, before)
    assert np.array_equal(lbp_top(mefeat.Clip(frames=ro)), expected)


@pytest.mark.parametrize("kw", [dict(), dict(grid=(3, 3, 2), overlap=0.4), dict(arithmetic="skimage")])
def test_threads_give_identical_results(kw):
    clip = _clip((12, 24, 26))
    one = lbp_top(clip, n_threads=1, **kw)
    for n in (2, 3, None):
        assert np.array_equal(lbp_top(clip, n_threads=n, **kw), one)


def test_n_threads_restores_numba_thread_count():
    from mefeat._jit import get_num_threads
    before = get_num_threads()
    lbp_top(_clip(), n_threads=1)
    lbp_top(_clip(), n_threads=2)
    assert get_num_threads() == before


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("clip,kw,exc,match", [
    (np.zeros((20, 20), np.uint8), {}, ValueError, "3-D"),
    (np.zeros((5, 20, 20), np.uint8), dict(radii=(1, 1, 3)), ValueError,
     r"clip has 5 frames; radii\[2\]=3 needs at least 7"),
    (np.zeros((9, 6, 20), np.uint8), dict(radii=(3, 1, 1)), ValueError, "6x20"),
    (np.zeros((9, 20, 20), np.uint8), dict(grid=(19, 1, 1)), ValueError, "grid rows=19"),
    (np.zeros((9, 20, 20), np.uint8), dict(grid=(1, 1, 8)), ValueError, "grid tblocks=8"),
    (np.full((9, 20, 20), np.nan), {}, ValueError, "NaN"),
    (np.full((9, 20, 20), np.inf), {}, ValueError, "NaN or infinite"),
    (np.zeros((9, 20, 20), bool), {}, TypeError, "bool"),
    (np.zeros((9, 20, 20), np.complex128), {}, TypeError, "complex"),
    (np.zeros((9, 20, 20), np.float16), {}, TypeError, "float16"),
    (np.zeros((9, 20, 20), np.uint8), dict(mapping="uniform"), ValueError, "mapping"),
    (np.zeros((9, 20, 20), np.uint8), dict(interpolation="linear"), ValueError, "interpolation"),
    (np.zeros((9, 20, 20), np.uint8), dict(convention="orig"), ValueError, "convention"),
    (np.zeros((9, 20, 20), np.uint8), dict(normalize="l2"), ValueError, "normalize"),
    (np.zeros((9, 20, 20), np.uint8), dict(arithmetic="float32"), ValueError, "arithmetic"),
    (np.zeros((9, 20, 20), np.uint8), dict(overlap=1.0), ValueError, r"overlap must be in \[0, 1\)"),
    (np.zeros((9, 20, 20), np.uint8), dict(overlap=-0.1), ValueError, "overlap"),
    (np.zeros((9, 20, 20), np.uint8), dict(overlap="0.5"), TypeError, "overlap"),
    (np.zeros((9, 20, 20), np.uint8), dict(n_points=(8, 8, 3)), ValueError, r"n_points .* \[4, 16\]"),
    (np.zeros((9, 20, 20), np.uint8), dict(n_points=17), ValueError, "n_points"),
    (np.zeros((9, 20, 20), np.uint8), dict(radii=(0, 1, 1)), ValueError, "radii"),
    (np.zeros((9, 20, 20), np.uint8), dict(radii=(1.5, 1, 1)), TypeError, "radii"),
    (np.zeros((9, 20, 20), np.uint8), dict(radii=(1, 1)), ValueError, "radii"),
    (np.zeros((9, 20, 20), np.uint8), dict(grid=(0, 1, 1)), ValueError, "grid"),
    (np.zeros((9, 20, 20), np.uint8), dict(n_threads=0), ValueError, "n_threads"),
])
def test_bad_input(clip, kw, exc, match):
    with pytest.raises(exc, match=match):
        lbp_top(clip, **kw)


def test_n_features_validates_too():
    with pytest.raises(ValueError, match="mapping"):
        lbp_top_n_features(mapping="nri_uniform")
    with pytest.raises(ValueError, match="overlap"):
        lbp_top_n_features(overlap=1)
