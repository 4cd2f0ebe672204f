"""Shared test data of the flow tests: a real 128x128 face crop and its dlib landmarks."""

import functools
import importlib.util

import numpy as np

#: Crop of skimage.data.astronaut() holding the face (rows, cols).
FACE_ROWS = slice(60, 188)
FACE_COLS = slice(160, 288)


@functools.cache
def face_crop():
    """(128, 128) float64 grayscale face on the 0-255 scale."""
    from skimage import color, data

    return color.rgb2gray(data.astronaut())[FACE_ROWS, FACE_COLS] * 255.0


def shifted(image, dy, dx):
    """``image`` translated by (dy, dx) pixels (content moves down/right for positive values).

    Fourier shift of the image (periodic), so the true flow from ``image`` to the result is exactly
    u = dx, v = dy away from the borders.
    """
    from scipy.ndimage import fourier_shift

    return np.real(np.fft.ifft2(fourier_shift(np.fft.fft2(image), (dy, dx))))


@functools.cache
def face_landmarks():
    """dlib's 68 landmarks (x, y) of the face crop, float64 (detected on the full image)."""
    import dlib
    from skimage import color, data

    img = (color.rgb2gray(data.astronaut()) * 255).astype(np.uint8)
    path = importlib.util.find_spec("face_recognition_models").submodule_search_locations[0]
    predictor = dlib.shape_predictor(path + "/models/shape_predictor_68_face_landmarks.dat")
    rect = dlib.get_frontal_face_detector()(img, 1)[0]
    shape = predictor(img, rect)
    lm = np.array([[p.x, p.y] for p in shape.parts()], np.float64)
    return lm - (FACE_COLS.start, FACE_ROWS.start)
