"""MDMO: property tests (no reference code exists) and the slow NumPy reference of METHODS §5."""

import numpy as np
import numpy.testing as npt
import pytest
from scipy.ndimage import gaussian_filter

from mefeat.descriptors import mdmo
from mefeat.descriptors._mdmo import mdmo_atomic
from mefeat.descriptors._regions import (
    MDMO_MIRROR_LANDMARKS,
    MDMO_ROIS,
    mdmo_helper_points,
    mdmo_roi_pixels,
    rasterize_polygon,
)
from tests.flow._data import face_landmarks
from tests.reference.flow_naive import mdmo_naive, roi_masks_naive

H = W = 128


@pytest.fixture(scope="module")
def landmarks():
    # dlib landmarks are integers; a sub-pixel jitter keeps pixel centres off the ROI edges, where
    # the two rasterisers (ours, matplotlib's) may break ties differently
    return face_landmarks() + np.random.default_rng(7).uniform(-0.3, 0.3, (68, 2))


@pytest.fixture(scope="module")
def masks(landmarks):
    return roi_masks_naive(landmarks, (H, W))


def smooth_flows(n, seed, scale=3.0, sigma=5.0):
    rng = np.random.default_rng(seed)
    f = gaussian_filter(rng.normal(size=(n, H, W, 2)), (0, sigma, sigma, 0))
    return f * (scale / np.abs(f).max())


def wrap(a):
    return np.angle(np.exp(1j * a))


def test_rois_match_independent_rasterisation(landmarks, masks):
    pix, ptr = mdmo_roi_pixels(landmarks, (H, W))
    assert len(ptr) == 37 and np.all(np.diff(ptr) > 50)  # every ROI lies inside this face crop
    for r in range(36):
        mine = np.zeros(H * W, bool)
        mine[pix[ptr[r]:ptr[r + 1]]] = True
        npt.assert_array_equal(mine.reshape(H, W), masks[r], err_msg=f"ROI {r}")


def test_helper_points_follow_the_table():
    lm = np.random.default_rng(0).uniform(0, 100, (68, 2))
    T = mdmo_helper_points(lm, brow_offset=20.0)
    npt.assert_allclose(T[0], lm[17] - [0, 20])
    npt.assert_allclose(T[3], ((lm[21] - [0, 20]) + (lm[22] - [0, 20])) / 2)
    npt.assert_allclose(T[9], (lm[4] + lm[33]) / 2)
    npt.assert_allclose(T[21], (lm[11] + lm[55]) / 2)
    npt.assert_allclose(T[19], (lm[8] + lm[57]) / 2)


def test_rasterize_polygon_square_and_outside():
    sq = np.array([[1.5, 1.5], [4.5, 1.5], [4.5, 3.5], [1.5, 3.5]])
    m = rasterize_polygon(sq, (6, 7))
    expected = np.zeros((6, 7), bool)
    expected[2:4, 2:5] = True
    npt.assert_array_equal(m, expected)
    assert not rasterize_polygon(sq - 50, (6, 7)).any()


def _inside_naive(v, x, y):
    # the even-odd rule of rasterize_polygon, one pixel centre at a time: edge (a, b) crosses row y when
    # exactly one end has ya <= y (horizontal edges never), and counts when x < its intersection
    inside = False
    for i in range(len(v)):
        (xa, ya), (xb, yb) = v[i], v[(i + 1) % len(v)]
        if ya != yb and (ya <= y) != (yb <= y) and x < xa + (y - ya) * (xb - xa) / (yb - ya):
            inside = not inside
    return inside


def test_batched_rasterisation_is_the_rule_pixel_by_pixel():
    # many polygons in one call (the MDMO path), vertices on a half-pixel lattice (centres on edges and
    # vertices, horizontal edges) and partly outside the image: the CSR lists are the rule, row-major
    from mefeat.descriptors._regions import _rasterize_polygons

    rng = np.random.default_rng(3)
    Hs, Ws = 23, 31
    polys = np.round(rng.uniform(-6, 36, (40, 5, 2)) * 2) / 2
    polys[::4, 2, 1] = polys[::4, 1, 1]  # a horizontal edge
    polys[7] += 100.0  # wholly outside
    pix, ptr = _rasterize_polygons(polys, (Hs, Ws))
    assert pix.dtype == np.int64 and ptr[0] == 0 and ptr[8] == ptr[7]
    for r, v in enumerate(polys):
        expected = [y * Ws + x for y in range(Hs) for x in range(Ws) if _inside_naive(v, float(x), float(y))]
        npt.assert_array_equal(pix[ptr[r]:ptr[r + 1]], expected, err_msg=f"polygon {r}")
        npt.assert_array_equal(rasterize_polygon(v, (Hs, Ws)).ravel().nonzero()[0], expected)


@pytest.mark.parametrize("align", [False, True, "affine"])
@pytest.mark.parametrize("n_bins", [8, 6])
def test_matches_numpy_reference(landmarks, masks, align, n_bins):
    flows = smooth_flows(4, seed=n_bins)
    npt.assert_allclose(mdmo(flows, landmarks, n_bins=n_bins, align=align),
                        mdmo_naive(flows, landmarks, n_bins=n_bins, align=align, masks=masks), rtol=0, atol=1e-10)


def test_matches_numpy_reference_on_noise_and_sparse_motion(landmarks, masks):
    rng = np.random.default_rng(3)
    flows = rng.normal(size=(3, H, W, 2))
    flows[rng.random(flows.shape[:3]) < 0.7] = 0.0  # 70 % still pixels
    npt.assert_allclose(mdmo(flows, landmarks, align=False),
                        mdmo_naive(flows, landmarks, align=False, masks=masks), atol=1e-10)


@pytest.mark.parametrize("align", [False, True, "affine"])
@pytest.mark.parametrize("roi", [24, 9, 2])
def test_translation_inside_one_roi(landmarks, masks, roi, align):
    only = masks[roi] & (masks.sum(axis=0) == 1)
    flows = np.zeros((3, H, W, 2))
    flows[:, only] = [0.6, -0.8]
    out = mdmo(flows, landmarks, align=align)
    rho, theta = out[:36], out[36:]
    assert rho[roi] == pytest.approx(1.0) and theta[roi] == pytest.approx(np.arctan2(-0.8, 0.6))
    assert np.all(np.delete(rho, roi) == 0) and np.all(np.delete(theta, roi) == 0)
    # the un-normalised magnitude is that of the translation
    atomic = mdmo_atomic(flows, landmarks, align=align)
    npt.assert_allclose(atomic[:, roi], [[0.6, -0.8]] * 3, rtol=1e-12)


def test_frames_are_weighted_equally(landmarks, masks):
    # ROI a moves by (1, 0) in both frames, ROI b by (2, 0) in frame 0 only: equal frame means 1 and 1
    a, b = 24, 9
    flows = np.zeros((2, H, W, 2))
    flows[:, masks[a] & (masks.sum(0) == 1)] = [1.0, 0.0]
    flows[0, masks[b] & (masks.sum(0) == 1)] = [2.0, 0.0]
    out = mdmo(flows, landmarks, align=False)
    assert out[a] == pytest.approx(1.0) and out[b] == pytest.approx(1.0)
    # orientation does not weigh frames: the same with b pointing up in frame 0 (theta = -pi/2)
    flows[0, masks[b] & (masks.sum(0) == 1)] = [0.0, -2.0]
    out = mdmo(flows, landmarks, align=False)
    assert out[a] == pytest.approx(1.0) and out[b] == pytest.approx(1.0)
    assert out[36 + b] == pytest.approx(-np.pi / 2)


def test_main_direction_wins_over_minority(landmarks, masks):
    roi = 24
    idx = np.flatnonzero(masks[roi] & (masks.sum(0) == 1))
    flows = np.zeros((1, H, W, 2))
    flat = flows.reshape(1, -1, 2)
    flat[0, idx] = [0.0, 1.0]  # majority: down
    flat[0, idx[::3]] = [5.0, 0.0]  # a third: fast, to the right
    out = mdmo(flows, landmarks, align=False)
    assert out[36 + roi] == pytest.approx(np.pi / 2)
    assert mdmo_atomic(flows, landmarks, align=False)[0, roi] == pytest.approx([0.0, 1.0])


@pytest.mark.parametrize("k", [1, 2, 3, -2])
def test_rotating_flow_rotates_angles(landmarks, k):
    # a rotation by a multiple of the bin width maps bins onto bins, so theta shifts by phi exactly
    phi = k * np.pi / 4
    flows = smooth_flows(3, seed=11)
    c, s = np.cos(phi), np.sin(phi)
    rot = np.stack([c * flows[..., 0] - s * flows[..., 1], s * flows[..., 0] + c * flows[..., 1]], axis=-1)
    a = mdmo(flows, landmarks, align=False)
    b = mdmo(rot, landmarks, align=False)
    npt.assert_allclose(b[:36], a[:36], atol=1e-12)
    npt.assert_allclose(wrap(b[36:] - a[36:] - phi), 0, atol=1e-9)


# left/right mirror of the helper points T0..T21
_T_MIRROR = {0: 6, 1: 5, 2: 4, 3: 3, 7: 8, 9: 10, 11: 12, 13: 14, 15: 16, 17: 21, 18: 20, 19: 19}
_T_MIRROR.update({v: k for k, v in list(_T_MIRROR.items())})


def _roi_mirror_permutation():
    def mirror(v):
        return f"T{_T_MIRROR[int(v[1:])]}" if isinstance(v, str) else int(MDMO_MIRROR_LANDMARKS[v])

    sets = [frozenset(r) for r in MDMO_ROIS]
    perm = [sets.index(frozenset(mirror(v) for v in r)) for r in MDMO_ROIS]
    assert sorted(perm) == list(range(36))
    return np.array(perm)


def test_mirror_landmark_permutation_is_an_involution():
    p = MDMO_MIRROR_LANDMARKS
    npt.assert_array_equal(p[p], np.arange(68))
    assert p[36] == 45 and p[48] == 54 and p[30] == 30 and p[0] == 16


@pytest.mark.parametrize("align", [False, "affine"])
def test_horizontal_flip_mirrors_roi_features(landmarks, align):
    flows = smooth_flows(3, seed=5)
    mflows = flows[:, :, ::-1].copy()
    mflows[..., 0] *= -1
    mlm = landmarks[MDMO_MIRROR_LANDMARKS].copy()
    mlm[:, 0] = (W - 1) - mlm[:, 0]
    perm = _roi_mirror_permutation()
    a = mdmo(flows, landmarks, align=align)
    b = mdmo(mflows, mlm, align=align)
    npt.assert_allclose(b[:36][perm], a[:36], atol=1e-9)
    npt.assert_allclose(wrap(b[36:][perm] - (np.pi - a[36:])), 0, atol=1e-9)


@pytest.mark.parametrize("align", [True, "affine"])
def test_alignment_removes_global_deformation(landmarks, align):
    # every pixel moves by the same global map p -> p M (+ t): after alignment nothing moves
    ang, scale = np.deg2rad(1.5), 1.01
    M = scale * np.array([[np.cos(ang), np.sin(ang)], [-np.sin(ang), np.cos(ang)]])
    t = np.array([0.7, -0.4]) if align == "affine" else np.zeros(2)
    yy, xx = np.mgrid[0:H, 0:W].astype(float)
    p = np.stack([xx, yy], axis=-1)
    flows = (p @ M + t - p)[None].repeat(2, axis=0)
    assert np.abs(mdmo(flows, landmarks, align=False)[:36]).max() == 1.0
    npt.assert_array_equal(mdmo(flows, landmarks, align=align), np.zeros(72))


def test_zero_flow_and_rois_outside_the_image_give_zeros(landmarks):
    npt.assert_array_equal(mdmo(np.zeros((2, H, W, 2)), landmarks), np.zeros(72))
    far = landmarks + 1000.0  # every ROI outside the frame
    pix, ptr = mdmo_roi_pixels(far, (H, W))
    assert ptr[-1] == 0
    npt.assert_array_equal(mdmo(smooth_flows(1, 0), far), np.zeros(72))


def test_output_layout_and_ranges(landmarks):
    out = mdmo(smooth_flows(2, 1), landmarks)
    assert out.shape == (72,) and out.dtype == np.float64
    assert out[:36].max() == 1.0 and out[:36].min() >= 0
    assert np.all(np.abs(out[36:]) <= np.pi)


def test_integer_landmarks_and_float32_flows(landmarks):
    lm = np.rint(landmarks).astype(np.int64)
    f = smooth_flows(2, 2)
    npt.assert_allclose(mdmo(f.astype(np.float32), lm), mdmo(f.astype(np.float32).astype(np.float64), lm))


def test_errors(landmarks):
    f = np.zeros((2, H, W, 2))
    with pytest.raises(ValueError, match=r"\(68, 2\)"):
        mdmo(f, landmarks[:66])
    with pytest.raises(ValueError, match=r"\(N, H, W, 2\)"):
        mdmo(f[0], landmarks)
    with pytest.raises(ValueError, match="align"):
        mdmo(f, landmarks, align="similarity")
    with pytest.raises(ValueError, match="n_bins"):
        mdmo(f, landmarks, n_bins=0)
    with pytest.raises(ValueError, match="NaN"):
        mdmo(f, landmarks + np.nan)
