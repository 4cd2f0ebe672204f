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
