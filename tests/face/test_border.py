"""``border="fit"``: the aligned crop never samples outside the frame (databases' tight face crops)."""

import logging
import math
import warnings

import numpy as np
import pytest

from mefeat import Clip, FaceAligner
from mefeat.face import CropFittedWarning, align_clip, align_frames, fit_inside, warp_face


@pytest.fixture(scope="module")
def tight_crop(astronaut_gray, astronaut_landmarks):
    """``crop(fill, width, aspect=1.2, angle=0, dy=0)`` -> (frame, landmarks): the astronaut's face cropped tightly.

    Like CASME II's "Cropped" frames (225-301 x 275-330 px, the face fills the frame): the jaw spans ``fill`` of
    the frame width, the frame is ``aspect`` times as tall as wide, the face's landmark box is centred (moved down
    by ``dy`` of the height), and the face is rotated by ``angle`` degrees. The landmarks are the astronaut's
    mapped by the same transform (so these tests isolate the geometry from detection).
    """
    import cv2

    lm = astronaut_landmarks

    def crop(fill, width, aspect=1.2, angle=0.0, dy=0.0):
        jaw = lm[16, 0] - lm[0, 0]
        cx, cy = 0.5 * (lm[0, 0] + lm[16, 0]), 0.5 * (lm[:, 1].min() + lm[:, 1].max())
        H = int(round(width * aspect))
        A = cv2.getRotationMatrix2D((cx, cy), angle, width * fill / jaw)
        A[:, 2] += (width / 2 - 0.5 - cx, H / 2 - 0.5 + dy * H - cy)
        frame = cv2.warpAffine(astronaut_gray, A, (width, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        return frame, lm @ A[:, :2].T + A[:, 2]

    return crop


@pytest.fixture
def sentinel_warp(monkeypatch):
    """Make every cv2.warpAffine of warp_face also run with two constant borders; record whether they differ.

    A crop pixel that reads outside the image it warps (the frame region, or its area-averaged copy) with a
    non-zero weight changes with the border value; with ``border="fit"`` none may.
    """
    import cv2

    original = cv2.warpAffine
    calls = []

    def warp(src, M, dsize, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, **kw):
        out = original(src, M, dsize, flags=flags, borderMode=borderMode, **kw)
        big = 255 if src.dtype == np.uint8 else 1e6
        lo = original(src, M, dsize, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        hi = original(src, M, dsize, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=big)
        calls.append(int(np.sum(lo != hi)))
        return out

    monkeypatch.setattr(cv2, "warpAffine", warp)
    return calls


def _outside_centres(meta, size):
    """Crop pixel centres whose source position (inverse of the applied transform) lies outside the frame's."""
    M = np.array(meta["transform"])
    A = np.linalg.inv(M[:, :2])
    c = np.arange(size, dtype=float)
    pts = np.stack(np.meshgrid(c, c), -1).reshape(-1, 2)
    src = (pts - M[:, 2]) @ A.T
    H, W = meta["input_shape"]
    return int(np.sum((src[:, 0] < 0) | (src[:, 0] > W - 1) | (src[:, 1] < 0) | (src[:, 1] > H - 1)))


# CASME II Cropped-like frames: jaw 80-105 % of the width, 225-301 px wide; rotated faces too
TIGHT = [(0.8, 240, 1.2, 0.0, 0.0), (0.9, 280, 1.15, 0.0, 0.04), (1.0, 230, 1.2, 0.0, 0.0),
         (0.85, 300, 1.1, 12.0, 0.0), (0.95, 260, 1.25, -8.0, 0.05), (1.05, 225, 1.2, 5.0, -0.03)]


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("geom", TIGHT)
def test_fit_samples_nothing_outside_the_frame(tight_crop, sentinel_warp, dtype, antialias, geom):
    frame, lm = tight_crop(*geom)
    frames = np.stack([frame, np.roll(frame, 1, axis=1)]).astype(dtype)
    sentinel_warp.clear()  # the frames were made with cv2.warpAffine too
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CropFittedWarning)
        res = align_frames(frames, landmarks=lm, antialias=antialias, clip_name="tight")
    meta = res.meta
    assert res.frames.shape == (2, 128, 128)
    assert meta["border"] == "fit" and meta["outside_fraction"] > 0.01  # the template crop did reach outside
    assert len(sentinel_warp) == 2 and sentinel_warp == [0, 0]  # no crop pixel depends on a border value
    assert _outside_centres(meta, 128) == 0
    assert meta["fit_zoom"] >= 1.0 and meta["effective_margin"] <= meta["margin"]
    # the landmarks in crop coordinates are the source landmarks under the applied transform
    M = np.array(meta["transform"])
    np.testing.assert_allclose(res.landmarks, lm @ M[:, :2].T + M[:, 2], atol=1e-9)
    # the rotation is the template fit's: only zoom and shift change
    T = np.array(meta["template_transform"])
    assert abs(math.atan2(M[1, 0], M[0, 0]) - math.atan2(T[1, 0], T[0, 0])) < 1e-9
    assert abs(meta["scale"] / math.sqrt(np.linalg.det(T[:, :2])) - meta["fit_zoom"]) < 1e-9


@pytest.mark.parametrize("antialias", [True, False])
def test_replicate_keeps_the_template_crop_and_reads_outside(tight_crop, sentinel_warp, antialias):
    """The sentinel check can fail: the template crop of a tight frame reads replicated border pixels."""
    frame, lm = tight_crop(0.95, 260)
    sentinel_warp.clear()
    res = align_frames([frame], landmarks=lm, antialias=antialias, border="replicate")
    meta = res.meta
    assert sentinel_warp[0] > 0.02 * 128 * 128
    assert _outside_centres(meta, 128) > 0.02 * 128 * 128
    assert meta["transform"] == meta["template_transform"] and meta["fit_zoom"] == 1.0
    # outside_fraction counts the replicated pixels (both count centres outside the frame; measured equal)
    assert abs(meta["outside_fraction"] - _outside_centres(meta, 128) / 128 ** 2) < 0.01


def test_fit_per_frame_mode(tight_crop, sentinel_warp):
    frames = [tight_crop(0.9, 250, 1.2, a, 0.02)[0] for a in (0.0, 4.0, -4.0)]
    sentinel_warp.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CropFittedWarning)
        res = align_frames(frames, per_frame=True, clip_name="head")
    assert sentinel_warp == [0, 0, 0]
    meta = res.meta
    assert len(meta["fit_zooms"]) == 3 and min(meta["outside_fractions"]) > 0
    for i, M in enumerate(meta["transforms"]):
        sub = dict(meta, transform=M)
        assert _outside_centres(sub, 128) == 0, i


def test_crop_inside_the_frame_is_bit_identical(astronaut_gray, render_face):
    """Raw frames (face small in a large frame): "fit" changes nothing, bit for bit."""
    big = render_face(480, 640, 150)
    for frames in (np.stack([astronaut_gray, np.roll(astronaut_gray, 2, axis=0)]), big[None]):
        for kw in ({}, {"antialias": False}, {"per_frame": True}, {"size": 64, "margin": 0.2}):
            fit = align_clip(Clip(frames, name="raw"), **kw)
            rep = align_clip(Clip(frames, name="raw"), border="replicate", **kw)
            np.testing.assert_array_equal(fit.frames, rep.frames)
            np.testing.assert_array_equal(fit.landmarks, rep.landmarks)
            meta = fit.meta["alignment"]
            assert meta["outside_fraction"] == 0.0 and meta["fit_zoom"] == 1.0 and meta["fit_moved_px"] == 0.0
            assert meta["transform"] == meta["template_transform"] == rep.meta["alignment"]["transform"]


def test_fit_inside_hand_geometry():
    # scale 1, no rotation: crop pixel centres x = -8 .. 23 on a 40 px wide frame -> 8 of 32 columns outside
    M = np.array([[1.0, 0.0, 8.0], [0.0, 1.0, -4.0]])
    grid = np.stack(np.meshgrid(np.arange(32.0), np.arange(32.0)), -1).reshape(-1, 2)
    src = grid - M[:, 2]  # the template crop's centres: x = -8 .. 23, y = 4 .. 35
    assert src[:, 0].min() == -8 and src[:, 1].max() == 35
    M_fit, info = fit_inside(M, (40, 40), 32, antialias=False, points=src)
    assert info["outside_fraction"] == 8 / 32
    # the frame has room: a zoom >= 1 and a shift put every centre inside, and the points move less than by
    # the pure shift of 8 px (the zoom moves the centre points less)
    inv = (grid - M_fit[:, 2]) @ np.linalg.inv(M_fit[:, :2]).T  # the fitted crop's centres, in the frame
    assert inv.min() >= 0 and inv.max() <= 39
    crop = src @ M_fit[:, :2].T + M_fit[:, 2]  # where the fitting moves the template crop's points
    assert 0 < info["moved_px"] <= 8.0 and info["zoom"] >= 1.0
    np.testing.assert_allclose(info["moved_px"], np.linalg.norm(crop - (src @ M[:, :2].T + M[:, 2]), axis=1).mean())
    # a crop inside the frame comes back as the same object values, zoom 1
    M_in = np.array([[1.0, 0.0, -4.0], [0.0, 1.0, -4.0]])
    same, info = fit_inside(M_in, (40, 40), 32, antialias=False)
    assert same.tobytes() == M_in.tobytes() and info["outside_fraction"] == 0 and info["zoom"] == 1.0
    # a frame smaller than the crop's footprint needs a zoom: a 20 px frame holds 32 px of scale 1 only at >= 31/19
    small, info = fit_inside(M, (20, 20), 32, antialias=False)
    assert info["zoom"] >= 31 / 19 - 1e-9
    warped = warp_face(np.full((20, 20), 7.0), small, 32, antialias=False)
    assert np.all(warped == 7.0)


def test_fit_with_antialias_keeps_away_from_the_border():
    # shrinking by 0.5: the area-averaged copy's outer pixel centres lie 0.5 px inside the frame
    frame = np.zeros((100, 100), np.float64)
    frame[:, 0] = frame[:, -1] = frame[0] = frame[-1] = 1000.0  # a bright one-pixel frame border
    M = np.array([[0.5, 0.0, 0.0], [0.0, 0.5, 0.0]])  # the whole frame onto a 50 px crop
    M_fit, info = fit_inside(M, frame.shape, 50, antialias=True)
    crop = warp_face(frame, M_fit, 50, antialias=True)
    # the border pixels are averaged in (area resize) but never replicated: no crop pixel exceeds one border
    # pixel's share of a 2x2 area average (2 of 4 pixels at a corner)
    assert crop.max() <= 1000.0 * 3 / 4 + 1e-9 and info["zoom"] >= 1.0


def test_warning_when_the_crop_cuts_the_face(tight_crop, caplog):
    frame, lm = tight_crop(1.1, 225)  # the jaw is wider than the frame: the margin cannot be kept
    with pytest.warns(CropFittedWarning, match="clip 'cut'.*cuts the template's face box"):
        res = align_frames([frame], landmarks=lm, clip_name="cut")
    assert res.meta["template_outside"] > 0 and res.meta["effective_margin"] < 0.05
    frame, lm = tight_crop(0.8, 240, 1.3)  # a little past the sides only: fitted quietly, logged at INFO
    with warnings.catch_warnings():
        warnings.simplefilter("error", CropFittedWarning)
        with caplog.at_level(logging.INFO, logger="mefeat"):
            res = align_frames([frame], landmarks=lm, clip_name="mild")
    assert res.meta["outside_fraction"] > 0 and res.meta["template_outside"] == 0
    assert any("clip 'mild'" in r.getMessage() and "fitted inside" in r.getMessage() for r in caplog.records)


def test_border_option_validated_and_in_face_aligner(tight_crop):
    frame, lm = tight_crop(0.9, 240)
    with pytest.raises(ValueError, match="border must be one of"):
        align_frames([frame], landmarks=lm, border="reflect")
    with pytest.raises(ValueError, match="border must be one of"):
        FaceAligner(border="constant").fit([Clip(frame[None])])
    assert FaceAligner().get_params()["border"] == "fit"
    frames = np.stack([frame, frame])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CropFittedWarning)
        [out] = FaceAligner(border="replicate").fit_transform([Clip(frames, name="t")])
        ref = align_clip(Clip(frames, name="t"), border="replicate")
    np.testing.assert_array_equal(out.frames, ref.frames)
    assert out.meta["alignment"]["border"] == "replicate"
