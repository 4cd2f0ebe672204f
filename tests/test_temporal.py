"""TIM (golden + literal reference), linear interpolation, clip normalisation, apex spotting."""

import warnings

import numpy as np
import pytest

from mefeat import Clip
from mefeat.temporal import (
    RankDeficientWarning,
    linear_interpolate,
    map_index,
    normalize_clip,
    select_key_frames,
    spot_apex,
    tim,
)
from tests.conftest import load_reference
from tests.reference.tim import tim_reference


@pytest.mark.parametrize("name", ["tim_R0first12_to20.npz", "tim_R0first12_to5.npz"])
def test_tim_golden(name):
    x, expected, params = load_reference(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # full-rank input: no warning
        out = tim(x, params["n_frames_out"])
    assert out.dtype == np.float64 and out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-6)
    # unrounded: the reference leaves [0, 255]
    assert out.min() < 0 and out.max() > 255


@pytest.mark.parametrize("n, K", [(2, 5), (3, 7), (9, 10), (15, 4), (30, 12)])
def test_tim_equals_literal_reference(rng, n, K):
    x = rng.integers(0, 256, (n, 9, 11)).astype(np.uint8)
    np.testing.assert_allclose(tim(x, K), tim_reference(x, K), rtol=0, atol=1e-8)


def test_tim_endpoints_and_nodes(rng):
    x = rng.normal(100, 30, (7, 6, 5))
    out = tim(x, 13)
    np.testing.assert_allclose(out[0], x[0], atol=1e-10)
    np.testing.assert_allclose(out[-1], x[-1], atol=1e-10)
    # input frame i sits at curve position i / (n - 1)
    np.testing.assert_allclose(tim(x, None, positions=np.arange(7) / 6), x, atol=1e-10)
    # colour frames: each channel interpolated alike
    c = rng.normal(size=(5, 4, 4, 3))
    np.testing.assert_allclose(tim(c, 6)[..., 1], tim(c[..., 1], 6), atol=1e-12)


def test_tim_constant_and_linear_invariants(rng):
    # weights sum to 1: a constant clip stays constant (with a rank warning: all frames equal)
    with pytest.warns(RankDeficientWarning):
        out = tim(np.full((6, 3, 3), 7.0), 9)
    np.testing.assert_allclose(out, 7.0)


def test_tim_rank_deficient_is_the_limit_of_tim(rng):
    x = rng.integers(0, 256, (8, 10, 10)).astype(np.float64)
    x[3] = x[2]
    x[6] = x[5]  # repeated frames: the reference's Q Q^T is singular
    with pytest.warns(RankDeficientWarning, match=r"frames \[3, 6\] repeat earlier frames"):
        out = tim(x, 11)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[0], x[0], atol=1e-9)
    np.testing.assert_allclose(out[-1], x[-1], atol=1e-9)
    # the literal TIM on the same frames plus vanishing noise converges to mefeat's result
    for eps in (1e-2, 1e-4):
        noisy = x + eps * rng.standard_normal(x.shape)
        np.testing.assert_allclose(tim_reference(noisy, 11), out, atol=50 * eps)


def test_tim_full_rank_check(rng):
    x = rng.normal(100, 20, (6, 5, 5))
    x[4] = 0.5 * (x[1] + x[2])  # dependent without any repeated frame
    with pytest.warns(RankDeficientWarning, match="numerically dependent"):
        out = tim(x, 7, full_rank_check=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(tim(x, 7), out)  # same result, cheap check only


def test_tim_more_frames_than_pixels_warns(rng):
    with pytest.warns(RankDeficientWarning):
        out = tim(rng.normal(size=(6, 2, 2)), 4)  # D = 4 < n - 1 = 5
    assert out.shape == (4, 2, 2)


def test_tim_one_and_two_frames():
    with pytest.warns(RankDeficientWarning, match="single frame"):
        out = tim(np.full((1, 2, 3), 5, np.uint8), 4)
    np.testing.assert_array_equal(out, np.full((4, 2, 3), 5.0))
    x = np.stack([np.zeros((2, 2)), np.full((2, 2), 10.0)])
    out = tim(x, 3)  # two distinct frames: full rank, a half cosine between them
    np.testing.assert_allclose(out[:, 0, 0], [0.0, 5.0, 10.0], atol=1e-12)
    with pytest.warns(RankDeficientWarning):
        tim(np.ones((2, 2, 2)), 3)


@pytest.mark.parametrize("fn", [tim, linear_interpolate])
def test_bad_input(fn):
    x = np.zeros((4, 3, 3))
    with pytest.raises(ValueError, match="n_frames must be >= 2"):
        fn(x, 1)
    with pytest.raises(TypeError, match="n_frames must be an int"):
        fn(x, 2.5)
    with pytest.raises(ValueError, match="3-D"):
        fn(np.zeros((4, 3)), 5)
    bad = x.copy()
    bad[1, 1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fn(bad, 5)
    with pytest.raises(ValueError, match="positions"):
        fn(x, None, positions=[0.0, 1.5])


def test_linear_interpolate(rng):
    x = rng.normal(size=(5, 3, 4))
    out = linear_interpolate(x, 9)  # every other output frame is an input frame
    np.testing.assert_allclose(out[::2], x)
    np.testing.assert_allclose(out[1::2], 0.5 * (x[:-1] + x[1:]))
    assert linear_interpolate(x, 2).shape == (2, 3, 4)
    np.testing.assert_allclose(linear_interpolate(x[:1], 3), np.repeat(x[:1], 3, axis=0))


def test_map_index_and_normalize_clip(rng):
    assert [map_index(i, 5, 10) for i in range(5)] == [0, 2, 5, 7, 9]  # round(i * 9 / 4), halves up
    assert [map_index(i, 21, 5) for i in (0, 2, 3, 10, 20)] == [0, 0, 1, 2, 4]
    assert map_index(None, 5, 10) is None
    frames = rng.integers(0, 256, (21, 8, 8)).astype(np.uint8)
    clip = Clip(frames, onset=3, apex=10, offset=17, name="c", meta={"k": 1})
    out = normalize_clip(clip, 5, "tim")
    assert out.frames.shape == (5, 8, 8) and out.frames.dtype == np.float64
    assert (out.onset, out.apex, out.offset) == (1, 2, 3)  # 3*4/20=0.6->1, 10*4/20=2, 17*4/20=3.4->3
    assert out.meta["k"] == 1 and out.meta["temporal"]["n_frames_in"] == 21
    np.testing.assert_allclose(out.frames, tim(frames, 5))
    lin = normalize_clip(clip, 5, "linear", dtype=np.uint8)
    assert lin.frames.dtype == np.uint8
    np.testing.assert_array_equal(lin.frames, np.clip(np.rint(linear_interpolate(frames, 5)), 0, 255))
    none = normalize_clip(Clip(frames, onset=0), 10)
    assert none.apex is None and none.offset is None
    with pytest.raises(ValueError, match="method"):
        normalize_clip(clip, 5, "cubic")
    with pytest.raises(TypeError, match="Clip"):
        normalize_clip(frames, 5)


# --- apex spotting on synthetic micro-expressions rendered on a real face ---


def _face(size=128):
    import cv2
    from skimage import data

    g = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    return cv2.resize(g[60:210, 145:295], (size, size), interpolation=cv2.INTER_AREA).astype(np.float64)


def _synthetic_me(T, onset, apex, offset, rng, *, noise=2.0, amp=2.5, centers=((0.53, 0.37), (0.53, 0.66))):
    """A local Gaussian-bump displacement (mouth corners) rising onset->apex and decaying to offset."""
    import cv2

    base = _face()
    H, W = base.shape
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    bump = np.zeros((H, W), np.float32)
    for cy, cx in centers:
        bump += np.exp(-((yy - cy * H) ** 2 + (xx - cx * W) ** 2) / (2 * (0.08 * H) ** 2)).astype(np.float32)
    frames = np.empty((T, H, W))
    for t in range(T):
        if onset <= t <= apex:
            a = 0.5 * (1 - np.cos(np.pi * (t - onset) / max(apex - onset, 1)))
        elif apex < t <= offset:
            a = 0.5 * (1 + np.cos(np.pi * (t - apex) / max(offset - apex, 1)))
        else:
            a = 0.0
        d = amp * a * bump
        warped = cv2.remap(base.astype(np.float32), (xx - d).astype(np.float32), (yy + 0.6 * d).astype(np.float32),
                           cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)
        frames[t] = warped + rng.normal(0, noise, (H, W))
    return np.clip(frames, 0, 255)


CASES = [(20, 0, 6, 19), (41, 0, 20, 40), (80, 5, 60, 75), (60, 10, 18, 55), (33, 2, 28, 32)]


@pytest.mark.parametrize("method, noise", [("diff", 2.0), ("lbp", 0.0)])
@pytest.mark.parametrize("T, onset, apex, offset", CASES)
def test_spot_apex_within_10_percent(rng, method, noise, T, onset, apex, offset):
    # "diff" with sensor noise (sigma 2 grey levels); "lbp" on clean uint8-quantised frames only (see Notes)
    frames = np.rint(_synthetic_me(T, onset, apex, offset, rng, noise=noise))
    found = spot_apex(frames, onset, offset, method=method)
    assert abs(found - apex) <= 0.1 * (offset - onset), (found, apex)
    assert onset <= found <= offset


def test_spot_apex_with_landmarks_and_select_key_frames(rng):
    from mefeat.face import detect_landmarks

    lm = detect_landmarks(np.rint(_face()).astype(np.uint8))  # real dlib landmarks of the synthetic face
    # the bumps (y, x) = (0.53, 0.37) and (0.53, 0.66) of 128 px sit at the mouth corners 48 and 54
    np.testing.assert_allclose(lm[[48, 54]], [[0.37 * 128, 0.53 * 128], [0.66 * 128, 0.53 * 128]], atol=4)
    T, onset, apex, offset = 30, 0, 12, 29
    frames = _synthetic_me(T, onset, apex, offset, rng)
    # regions from landmarks of this (128 px) face: mouth corners are inside the mouth box
    found = spot_apex(frames, onset, offset, landmarks=lm)
    assert abs(found - apex) <= 0.1 * (offset - onset)
    clip = Clip(frames, onset=onset, offset=offset, name="smic-like")
    kf = select_key_frames(clip, method="diff")
    assert kf.apex_source == "spotted" and abs(kf.apex - apex) <= 3 and (kf.onset, kf.offset) == (0, 29)
    kf = select_key_frames(clip.replace(apex=7))
    assert kf == (0, 7, 29, "annotation")
    assert select_key_frames(Clip(frames, apex=4)).offset == T - 1


def test_spot_apex_bad_input(rng):
    x = rng.normal(100, 10, (10, 32, 32))
    with pytest.raises(ValueError, match="onset <= offset"):
        spot_apex(x, 5, 3)
    with pytest.raises(ValueError, match="method"):
        spot_apex(x, method="flow")
    with pytest.raises(ValueError, match="smooth"):
        spot_apex(x, smooth=0)
    with pytest.raises(ValueError, match="region"):
        spot_apex(x, landmarks=np.zeros((68, 2)))


def test_normalize_clip_keeps_a_distinct_apex(rng):
    frames = rng.integers(0, 256, (60, 10, 10)).astype(np.uint8)
    out = normalize_clip(Clip(frames, onset=0, apex=3, offset=4), 10)
    assert (out.onset, out.apex, out.offset) == (0, 1, 2)  # map_index alone gives 0, 0, 1
    same = normalize_clip(Clip(frames, onset=5, apex=5, offset=59), 10)
    assert same.apex == same.onset  # an apex annotated on the onset stays there


def test_spot_apex_uses_the_clip_annotations(rng):
    T, H, W = 40, 20, 20
    frames = np.full((T, H, W), 100.0) + rng.normal(0, 0.5, (T, H, W))
    frames[3:8] += 40  # a large change before the annotated onset
    frames[30, :, :] += 20  # the real peak inside onset..offset
    c = Clip(frames, onset=10, offset=35)
    assert spot_apex(c) == 30 == spot_apex(frames, 10, 35)
    assert spot_apex(c, onset=0, offset=9) in range(3, 8)  # explicit arguments win
