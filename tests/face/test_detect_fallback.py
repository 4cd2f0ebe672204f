"""Detection fallbacks: faces filling the frame (databases' tight face crops) are found; errors say what was tried."""

import numpy as np
import pytest

from mefeat import Clip
from mefeat.face import FaceNotFoundError, align_clip, find_face
from mefeat.face import landmarks as lmmod


@pytest.fixture(scope="module")
def demo_face():
    """``face(seed)`` -> (uint8 frame 176x176, landmarks): the neutral face of one demo subject.

    The demo's subjects (morphs of the astronaut, :mod:`mefeat.datasets.demo`) include faces dlib misses when
    they fill a tight crop at upsample 1; the rendering's own landmarks serve as the truth.
    """
    from mefeat.datasets import demo

    def face(seed):
        img, lm = demo._subject(np.random.default_rng(seed), dict(demo._DEFAULTS))
        return np.rint(img).astype(np.uint8), lm

    return face


def _tight(gray, lm, fill, width, aspect=1.0):
    """The face cropped so that its jaw spans ``fill`` of the frame width (landmark box centred)."""
    import cv2

    jaw = lm[16, 0] - lm[0, 0]
    cx, cy = 0.5 * (lm[0, 0] + lm[16, 0]), 0.5 * (lm[:, 1].min() + lm[:, 1].max())
    H = int(round(width * aspect))
    A = cv2.getRotationMatrix2D((cx, cy), 0, width * fill / jaw)
    A[:, 2] += (width / 2 - 0.5 - cx, H / 2 - 0.5 - cy)
    frame = cv2.warpAffine(gray, A, (width, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return frame, lm @ A[:, :2].T + A[:, 2], jaw * width * fill / jaw


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("width", [128, 224])
def test_face_filling_the_frame_is_found(demo_face, seed, width):
    frame, truth, jaw = _tight(*demo_face(seed), fill=1.1, width=width)
    assert not lmmod._locate(frame, 1, "auto", fallbacks=False).faces  # the first attempt misses it
    det = find_face(frame, clip_name="tight", frame_index=0)
    assert det.attempt == "padded 15 % (replicate), upsample 0" and det.detect_factor == 1.0
    # landmarks mapped back from the padded frame: measured 1.0-2.4 % of the jaw width from the rendering's own
    # landmarks over 20 subjects (dlib's fit error; a wrong mapping by the 15 % padding would be ~15 %)
    err = np.linalg.norm(det.landmarks - truth, axis=1)
    assert err.mean() < 0.035 * jaw
    assert det.rect[0] < 0 or det.rect[1] < 0  # the face box reaches past the tight frame


def test_fallback_on_the_shrunken_copy_of_a_large_frame(demo_face):
    frame, truth, jaw = _tight(*demo_face(0), fill=1.1, width=800)  # detection_factor 3.125
    found = lmmod._locate(frame, 1, "auto", fallbacks=False)
    assert not found.faces and found.tried == ["shrunk by 3.125, upsample 0", "upsample 1"]
    det = find_face(frame)
    assert det.detect_factor == 3.125 and det.attempt.startswith("shrunk by 3.125, padded 15 %")
    err = np.linalg.norm(det.landmarks - truth, axis=1)
    assert err.mean() < 0.035 * jaw  # measured 1.0-1.9 % over 20 subjects


def test_normal_path_makes_one_detection(astronaut_gray, monkeypatch):
    calls = []
    original = lmmod.detect_faces

    def counting(img, *, upsample):
        calls.append((img.shape, upsample))
        return original(img, upsample=upsample)

    monkeypatch.setattr(lmmod, "detect_faces", counting)
    # 512 px: the copy shrunk by 2 first (see test_detect_scale), where the ~90 px face is too small, then the
    # full-size frame, as before the fallbacks existed; nothing more once a face is found
    det = find_face(astronaut_gray)
    assert calls == [((256, 256), 0), ((512, 512), 1)] and det.attempt == "upsample 1"
    calls.clear()
    det = find_face(astronaut_gray[:300, 70:370])  # searched at full size
    assert calls == [((300, 300), 1)] and det.attempt == "upsample 1"


def test_error_names_every_attempt():
    import cv2
    from skimage import data

    coffee = cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2GRAY)[:300, :300]
    with pytest.raises(FaceNotFoundError, match="frame 2 of clip 'cof'") as exc:
        find_face(coffee, clip_name="cof", frame_index=2)
    msg = str(exc.value)
    for attempt in ("upsample 1", "padded 15 % (replicate), upsample 0", "padded 15 % (replicate), upsample 1",
                    "padded 15 % (constant), upsample 0", "; upsample 0", "; upsample 2"):
        assert attempt in msg, attempt
    assert "~40 px" in msg and "frontal" in msg
    with pytest.raises(FaceNotFoundError) as exc:
        find_face(np.full((800, 800), 128, np.uint8))
    msg = str(exc.value)
    assert "shrunk by 3.125, upsample 0; upsample 1; shrunk by 3.125, padded 15 % (replicate), upsample 0" in msg
    assert "almost no contrast" in msg


def test_costly_fallbacks_are_skipped(monkeypatch):
    monkeypatch.setattr(lmmod, "DETECT_FALLBACK_MAX_PIXELS", 200_000)
    with pytest.raises(FaceNotFoundError, match=r"upsample 2 \(skipped: over 200,000 px\)"):
        find_face(np.zeros((300, 300), np.uint8))


def test_align_clip_and_per_frame_on_tight_crops(demo_face):
    frame, truth, jaw = _tight(*demo_face(3), fill=1.1, width=224)
    frames = np.stack([frame, np.roll(frame, 1, axis=0), np.roll(frame, -1, axis=1)])
    with pytest.warns(UserWarning):  # the jaw is wider than the frame: the fitted crop cuts the face
        out = align_clip(Clip(frames, name="tight"))
    meta = out.meta["alignment"]
    assert meta["detect_attempt"] == "padded 15 % (replicate), upsample 0"
    with pytest.warns(UserWarning):
        per = align_clip(Clip(frames, name="tight"), per_frame=True)  # every frame re-detected
    assert np.array(per.meta["alignment"]["landmarks_per_frame"]).shape == (3, 68, 2)
