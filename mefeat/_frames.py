"""The one way mefeat decodes an image file into a grayscale uint8 frame (numpy; OpenCV imported lazily).

Bottom layer: imports numpy only (``cv2`` inside the functions), so the datasets, the face module and
the extraction engine can all use it without pulling each other in.
"""

import os

import numpy as np

__all__ = ["decode_frame", "read_frame"]

# IMREAD_GRAYSCALE | IMREAD_ANYDEPTH: one decode, colour converted by the decoder, 16-bit samples kept
# (so that the bit depth is known and scaled by our own rule below, whatever the OpenCV version does).
_FLAGS = 0 | 2


def decode_frame(data, path):
    """Decode the bytes of an image file into one grayscale uint8 frame.

    Parameters
    ----------
    data : bytes or bytes-like
        The whole file content (PNG, JPEG, BMP, TIFF, PGM ... anything OpenCV decodes).
    path : str or path-like
        The file the bytes came from; only used in error messages.

    Returns
    -------
    frame : (H, W) uint8 ndarray

    Raises
    ------
    OSError
        The data is empty (zero-byte file), cannot be decoded, or holds samples that are
        neither 8- nor 16-bit unsigned integers. The message names the file and its size.

    Notes
    -----
    - **Colour** (3 or 4 channels) is converted to gray by OpenCV's decoder with its rule
      ``Y = 0.299 R + 0.587 G + 0.114 B`` (for JPEG the decoder returns the luma plane, the same
      formula applied before compression); an alpha channel is ignored. 8-bit files therefore
      give exactly what ``cv2.imread(path, cv2.IMREAD_GRAYSCALE)`` gives.
    - **16-bit** files (PNG/TIFF) are scaled to 8 bits by the bit depth of the file, not by the
      range of the data: ``v >> 8`` (the high byte). The shift is chosen over a rounded ``v / 257``
      because it exactly undoes both usual ways of widening 8-bit data to 16 bits (``v * 257`` and
      ``v << 8``), so an 8-bit video saved as 16-bit PNG comes back unchanged, and it agrees with
      OpenCV's own 16-to-8-bit reduction; the two rules differ by at most one grey level. A
      16-bit frame that only uses the low range (a 12-bit sensor, values up to 4095) becomes dark
      (0..15): rescale such data yourself before saving.

    Examples
    --------
    >>> import cv2, numpy as np
    >>> ok, png = cv2.imencode(".png", np.array([[0, 257, 65535]], np.uint16))
    >>> decode_frame(png.tobytes(), "x.png")
    array([[  0,   1, 255]], dtype=uint8)
    """
    import cv2

    name = os.fspath(path)
    size = len(data)
    if size == 0:
        raise OSError(f"unreadable frame {name!r} (0 bytes): the file is empty")
    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), _FLAGS)
    except cv2.error as exc:  # OpenCV raises for some corrupt headers instead of returning None
        raise OSError(f"unreadable frame {name!r} ({size} bytes): OpenCV cannot decode it ({exc})") from None
    if img is None:
        raise OSError(f"unreadable frame {name!r} ({size} bytes): not a decodable image")
    if img.ndim == 3:  # a decoder that ignored the grayscale flag: apply OpenCV's rule ourselves
        code = {3: cv2.COLOR_BGR2GRAY, 4: cv2.COLOR_BGRA2GRAY}.get(img.shape[2])
        if code is None:
            img = img[..., 0]
        else:
            img = cv2.cvtColor(img, code)
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.uint16:
        return (img >> 8).astype(np.uint8)
    raise OSError(f"unreadable frame {name!r} ({size} bytes): {img.dtype} samples are not supported "
                  "(only 8- and 16-bit unsigned integer images)")


def read_frame(path):
    """Read one image file as a grayscale uint8 frame (see :func:`decode_frame` for the rules).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    frame : (H, W) uint8 ndarray

    Raises
    ------
    OSError
        The file cannot be opened (FileNotFoundError, PermissionError ...), is empty, or cannot
        be decoded; the message names the file.
    """
    with open(os.fspath(path), "rb") as f:
        data = f.read()
    return decode_frame(data, path)
