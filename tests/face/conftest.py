import numpy as np
import pytest


@pytest.fixture(scope="session")
def astronaut_gray():
    """skimage's astronaut photo (a real face, ~90 px) as uint8 grayscale (512, 512)."""
    import cv2
    from skimage import data

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)


@pytest.fixture(scope="session")
def astronaut_landmarks(astronaut_gray):
    from mefeat.face import detect_landmarks

    return detect_landmarks(astronaut_gray)


@pytest.fixture(scope="session")
def render_face(astronaut_gray):
    """``render(H, W, face_px, dx=0, dy=0)``: the astronaut's face scaled to ``face_px`` wide on an HxW frame.

    The same rendering as ``benchmarks/bench_face.py`` (DFME frames are 1024x768 and 1280x1024, faces 300-450 px).
    """
    import cv2

    def render(H, W, face_px, dx=0.0, dy=0.0):
        s = face_px / 90.0  # the astronaut's face is ~90 px wide, centred near (220, 125)
        A = np.array([[s, 0.0, W / 2 - 220 * s + dx], [0.0, s, H / 2 - 125 * s + dy]])
        return cv2.warpAffine(astronaut_gray, A, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)

    return render
