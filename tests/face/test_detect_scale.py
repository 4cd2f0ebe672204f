"""Coarse face detection (``detect_scale``): found on a shrunken copy, fitted at full resolution."""

import numpy as np
import pytest

from mefeat import Clip
from mefeat.face import FaceNotFoundError, align_clip, align_frames, detect_faces, detection_factor, find_face


def _moved(M0, M1, pts):
    """Distances (crop px) between where two (2, 3) transforms put the same points."""
    return np.linalg.norm((pts @ M0[:, :2].T + M0[:, 2]) - (pts @ M1[:, :2].T + M1[:, 2]), axis=1)


@pytest.mark.parametrize(
    "shape, scale, factor",
    [((768, 1024), "auto", 3.0), ((1024, 1280), "auto", 4.0), ((480, 640), "auto", 1.875),
     ((512, 512), "auto", 2.0), ((383, 1000), "auto", 1.0), ((128, 128), "auto", 1.0),
     ((768, 1024), 1.0, 1.0), ((768, 1024), 2, 2.0), ((64, 64), 4.0, 4.0)],
)
def test_detection_factor_rule(shape, scale, factor):
    assert detection_factor(shape, scale) == factor


@pytest.mark.parametrize("bad", ["fast", 0.5, 0, 17, True, None, np.nan])
def test_detection_factor_refuses_bad_values(bad):
    with pytest.raises(ValueError, match="detect_scale"):
        detection_factor((768, 1024), bad)


@pytest.fixture(scope="module")
def dfme_frame(render_face):
    return render_face(768, 1024, 300)  # the smallest DFME face, at the 1024x768 frame size


@pytest.fixture(scope="module")
def full_and_coarse(dfme_frame):
    full = align_clip(Clip(dfme_frame[None], name="dfme"), detect_scale=1.0)
    coarse = align_clip(Clip(dfme_frame[None], name="dfme"))
    return full.meta["alignment"], coarse.meta["alignment"], full, coarse


def test_coarse_detection_matches_full_resolution(full_and_coarse):
    a, b, full, coarse = full_and_coarse
    assert a["detect_factor"] == 1.0 and b["detect_factor"] == 3.0 and b["n_faces"] == 1
    src = np.array(a["source_landmarks"])
    moved = _moved(np.array(a["transform"]), np.array(b["transform"]), src)
    # the crop transform: measured 0.19 px mean, 0.34 px max on this frame (0.06-0.19 mean for 300-450 px faces)
    assert moved.mean() < 0.3 and moved.max() < 0.6
    # Landmarks (source px, face 300 px wide): measured 1.06 mean, 3.5 max. The bound is what dlib's own fit
    # varies by: the full-resolution landmarks move by 1.0-2.1 px on average and 2.2-5.8 px at most when their box
    # moves by 8-16 px, less than the detector's scan stride for a face this size (see
    # test_full_resolution_landmarks_follow_the_box); a tighter bound would test dlib, not this code.
    lm = np.linalg.norm(np.array(b["source_landmarks"]) - src, axis=1)
    assert lm.mean() < 1.5 and lm.max() < 5.0
    # the aligned crops agree to about one grey level
    assert np.abs(full.frames.astype(float) - coarse.frames).mean() < 3.0


def test_full_resolution_landmarks_follow_the_box(dfme_frame):
    """The reference for the landmark bound above: dlib's fit moves with its box."""
    det = find_face(dfme_frame, detect_scale=1.0)
    left, top, right, bottom = det.rect
    largest = []
    # the detector scans in 8 px steps of the pyramid level where the face is ~80 px: ~30 px steps for this face
    for d in (-16, -8, 8, 16):
        moved = find_face(dfme_frame, rect=(left + d, top + d, right + d, bottom + d)).landmarks
        largest.append(np.linalg.norm(moved - det.landmarks, axis=1).max())
    assert max(largest) > 4.0  # measured 2.2, 2.2, 3.2, 5.8 px


def test_rect_is_mapped_to_full_resolution(dfme_frame):
    det = find_face(dfme_frame)
    ref = detect_faces(dfme_frame)[0]
    assert det.detect_factor == 3.0 and det.n_faces == 1
    # the coarse rectangle lies within a scan stride of the small copy (8 px there, 24 px here) of the full one
    assert np.abs(np.subtract(det.rect, ref)).max() <= 3 * 8 * 2
    assert det.landmarks[:, 0].min() > det.rect[0] - 30 and det.landmarks[:, 0].max() < det.rect[2] + 30


def test_full_resolution_is_the_previous_behaviour(dfme_frame):
    det = find_face(dfme_frame, detect_scale=1.0)
    rect = detect_faces(dfme_frame)[0]
    assert det.rect == rect and det.detect_factor == 1.0
    np.testing.assert_array_equal(det.landmarks, find_face(dfme_frame, rect=rect).landmarks)
    np.testing.assert_array_equal(det.landmarks, np.rint(det.landmarks))  # dlib's integer output, not averaged


def test_small_face_falls_back_to_full_resolution(render_face):
    frame = render_face(768, 1024, 150)  # 50 px on the 3x smaller copy: too small without up-sampling
    det = find_face(frame)  # (the reflected border repeats the photo: n_faces counts those faces too)
    assert det.detect_factor == 1.0 and det.n_faces >= 1
    np.testing.assert_array_equal(det.landmarks, find_face(frame, detect_scale=1.0).landmarks)
    with pytest.warns(UserWarning, match="faces found"):
        out = align_frames([frame])
    assert out.meta["detect_factor"] == 1.0


def test_no_face_in_a_large_frame_raises():
    import cv2
    from skimage import data

    coffee = cv2.resize(cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2GRAY), (1024, 768))
    with pytest.raises(FaceNotFoundError, match="no face found in frame 0 of clip 'cof'"):
        find_face(coffee, clip_name="cof", frame_index=0)


def test_given_landmarks_and_bad_detect_scale(dfme_frame, full_and_coarse):
    a, b, full, coarse = full_and_coarse
    given = align_frames([dfme_frame], landmarks=b["source_landmarks"])
    assert given.meta["detect_factor"] is None and given.meta["n_faces"] is None
    np.testing.assert_array_equal(given.frames, coarse.frames)
    with pytest.raises(ValueError, match="detect_scale"):
        align_frames([dfme_frame], landmarks=b["source_landmarks"], detect_scale="fast")
    with pytest.raises(ValueError, match="detect_scale"):
        find_face(dfme_frame, detect_scale=0.25)


def test_per_frame_tracking_with_coarse_detection(render_face):
    frames = np.stack([render_face(768, 1024, 320, dx, dy) for dx, dy in [(0, 0), (30, -12), (-25, 18)]])
    per = align_clip(Clip(frames, name="move"), per_frame=True)
    lms = np.array(per.meta["alignment"]["landmarks_per_frame"])
    # each frame's face lands on the same spot of the crop (the face moved by up to 33 px in the frame)
    np.testing.assert_allclose(lms[1:], lms[:1].repeat(2, 0), atol=1.5)
    src = np.array(per.meta["alignment"]["transforms"])
    np.testing.assert_allclose(src[1, :, 2] - src[0, :, 2], -np.array([30, -12]) * per.meta["alignment"]["scale"],
                               atol=0.5)
