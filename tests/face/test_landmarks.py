"""Detection and landmarks on real photos (dlib + the model of face-recognition-models)."""

import os
import warnings

import numpy as np
import pytest

from mefeat.face import (
    FaceNotFoundError,
    MultipleFacesWarning,
    detect_faces,
    detect_landmarks,
    find_face,
    predictor_path,
)


def test_predictor_path_exists():
    path = predictor_path()
    assert os.path.isfile(path) and path.endswith("shape_predictor_68_face_landmarks.dat")


def test_astronaut_landmarks(astronaut_gray, astronaut_landmarks):
    lm = astronaut_landmarks
    assert lm.shape == (68, 2) and lm.dtype == np.float64
    rects = detect_faces(astronaut_gray)
    assert len(rects) == 1
    left, top, right, bottom = rects[0]
    assert 150 < left < right < 300 and 50 < top < bottom < 200  # the face, not the flag or the suit
    # anatomy in image coordinates (y down): brows above eyes above nose tip above mouth above chin
    y = lm[:, 1]
    assert y[17:27].mean() < y[36:48].mean() < y[30] < y[48:68].mean() < y[8]
    # the subject's right eye (36-41) is on the image's left
    assert lm[36:42, 0].mean() < lm[42:48, 0].mean()


def test_rgb_float_and_rect_inputs(astronaut_gray, astronaut_landmarks):
    from skimage import data

    rgb = data.astronaut()
    lm_rgb = detect_landmarks(rgb)
    assert np.abs(lm_rgb - astronaut_landmarks).max() <= 2  # RGB -> gray by OpenCV, same as the fixture
    np.testing.assert_array_equal(detect_landmarks(astronaut_gray.astype(np.float64)), astronaut_landmarks)
    rect = detect_faces(astronaut_gray)[0]
    det = find_face(astronaut_gray, rect=rect)
    assert det.n_faces is None and det.rect == rect
    np.testing.assert_array_equal(det.landmarks, astronaut_landmarks)


@pytest.mark.parametrize("maker", ["flat", "coffee", "chelsea", "brick"])
def test_no_face_raises(maker):
    from skimage import data

    img = np.full((240, 320), 128, np.uint8) if maker == "flat" else getattr(data, maker)()
    assert detect_faces(img) == []
    with pytest.raises(FaceNotFoundError, match=r"no face found in frame 7 of clip 'sub01/EP02'") as exc:
        detect_landmarks(img, clip_name="sub01/EP02", frame_index=7)
    assert exc.value.clip_name == "sub01/EP02" and exc.value.frame_index == 7
    assert isinstance(exc.value, ValueError)


def test_unit_scale_hint():
    with pytest.raises(FaceNotFoundError, match="0..255"):
        detect_landmarks(np.full((64, 64), 0.5))


def test_several_faces_largest_is_used(astronaut_gray):
    import cv2

    face = astronaut_gray[40:240, 120:320]  # 200 x 200 around the face
    small = cv2.resize(face, (140, 140), interpolation=cv2.INTER_AREA)
    canvas = np.full((260, 420), 200, np.uint8)
    canvas[20:160, 10:150] = small  # smaller face, left
    canvas[30:230, 200:400] = face  # larger face, right
    rects = detect_faces(canvas)
    assert len(rects) == 2
    areas = [(r[2] - r[0]) * (r[3] - r[1]) for r in rects]
    assert areas[0] > areas[1] and rects[0][0] > 200  # largest first, and it is the right-hand face
    with pytest.warns(MultipleFacesWarning, match="2 faces found in frame 3 of clip 'two'"):
        lm = detect_landmarks(canvas, clip_name="two", frame_index=3)
    assert lm[:, 0].min() > 200
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        det = find_face(canvas)  # the count is in the result, no warning
    assert det.n_faces == 2 and det.rect == rects[0]


@pytest.mark.parametrize(
    "frame, exc, match",
    [
        (np.zeros((4, 4, 4, 4), np.uint8), ValueError, "grayscale"),
        (np.zeros((8, 8), bool), TypeError, "dtype bool"),
        (np.full((8, 8), 300, np.uint16), ValueError, "0..255"),
        (np.full((8, 8), np.nan), ValueError, "NaN"),
    ],
)
def test_bad_frames(frame, exc, match):
    with pytest.raises(exc, match=match):
        detect_faces(frame)


def test_bad_upsample_and_rect(astronaut_gray):
    with pytest.raises(ValueError, match="upsample"):
        detect_faces(astronaut_gray, upsample=-1)
    with pytest.raises(ValueError, match="empty"):
        find_face(astronaut_gray, rect=(10, 10, 5, 20))


def test_import_face_and_temporal_is_light():
    import subprocess
    import sys

    code = ("import sys, mefeat.face, mefeat.temporal, mefeat.transformers._face; "
            "print(' '.join(m for m in ('dlib', 'cv2', 'skimage', 'numba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
