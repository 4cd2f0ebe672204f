"""The one way mefeat decodes an image file into a grayscale uint8 frame (numpy; OpenCV imported lazily).

Bottom layer: imports numpy only (``cv2`` inside the functions), so the datasets, the face module and
the extraction engine can all use it without pulling each other in.
"""

import os
import stat
import struct

import numpy as np

from mefeat._config import MAX_FRAME_BYTES, MAX_FRAME_PIXELS

__all__ = ["decode_frame", "read_frame", "read_frame_bytes", "image_size"]

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
    dims = image_size(data)
    if dims is not None and dims[0] * dims[1] > MAX_FRAME_PIXELS:
        raise OSError(f"frame {name!r} claims {dims[0]} x {dims[1]} pixels, more than the limit of "
                      f"{MAX_FRAME_PIXELS:,} (mefeat._config.MAX_FRAME_PIXELS); not decoded")
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
    return decode_frame(read_frame_bytes(path), path)


def read_frame_bytes(path, *, limit=MAX_FRAME_BYTES):
    """The bytes of one frame file, read only if it is a regular file of at most ``limit`` bytes.

    The file is opened without blocking and checked with ``fstat`` before any read, so a FIFO, a
    device such as ``/dev/zero`` or a socket given as a frame fails at once instead of blocking or
    reading without end.

    Parameters
    ----------
    path : str or path-like
    limit : int, default ``mefeat._config.MAX_FRAME_BYTES``

    Returns
    -------
    data : bytes

    Raises
    ------
    OSError
        The file cannot be opened, is not a regular file, or is larger than ``limit``; the
        message names the file.
    """
    name = os.fspath(path)
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode)
                    or stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a file")
            raise OSError(f"unreadable frame {name!r}: {kind}, not a regular file")
        if st.st_size > limit:
            raise OSError(f"frame {name!r} is {st.st_size:,} bytes, more than the limit of {limit:,} "
                          "(mefeat._config.MAX_FRAME_BYTES)")
        with os.fdopen(fd, "rb", closefd=True) as f:
            fd = None
            data = f.read(limit + 1)
    finally:
        if fd is not None:
            os.close(fd)
    if len(data) > limit:  # grew while being read
        raise OSError(f"frame {name!r} is more than the limit of {limit:,} bytes (mefeat._config.MAX_FRAME_BYTES)")
    return data


def _jpeg_size(data):
    i, n = 2, len(data)
    while i + 9 < n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start-of-frame segment
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    return None


def _tiff_size(data):
    order = "<" if data[:2] == b"II" else ">"
    try:
        (ifd,) = struct.unpack(order + "I", data[4:8])
        (n,) = struct.unpack(order + "H", data[ifd:ifd + 2])
        found = {}
        for k in range(n):
            tag, typ, _count = struct.unpack(order + "HHI", data[ifd + 2 + 12 * k:ifd + 10 + 12 * k])
            raw = data[ifd + 10 + 12 * k:ifd + 14 + 12 * k]
            if tag in (256, 257):
                found[tag] = struct.unpack(order + ("H" if typ == 3 else "I"), raw[:2] if typ == 3 else raw)[0]
        return (found[256], found[257]) if len(found) == 2 else None
    except (struct.error, KeyError):
        return None


def _pnm_size(data):
    fields, i = [], 2
    while len(fields) < 2 and i < min(len(data), 4096):
        while i < len(data) and data[i:i + 1].isspace():
            i += 1
        if data[i:i + 1] == b"#":
            while i < len(data) and data[i:i + 1] not in (b"\n", b"\r"):
                i += 1
            continue
        j = i
        while j < len(data) and data[j:j + 1].isdigit():
            j += 1
        if j == i:
            return None
        fields.append(int(data[i:j]))
        i = j
    return tuple(fields) if len(fields) == 2 else None


def image_size(data):
    """(width, height) read from an image file's header without decoding it, or None if unknown.

    Known headers: PNG, JPEG, BMP, TIFF, PGM/PPM/PBM. Used to refuse an image bomb (a small file
    that decodes to billions of pixels) before it is decoded.
    """
    data = bytes(data[:65536]) if len(data) > 65536 else bytes(data)
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
            return struct.unpack(">II", data[16:24])
        if data.startswith(b"\xff\xd8"):
            return _jpeg_size(data)
        if data.startswith(b"BM") and len(data) >= 26:
            w, h = struct.unpack("<ii", data[18:26])
            return abs(w), abs(h)
        if data[:4] in (b"II*\x00", b"MM\x00*"):
            return _tiff_size(data)
        if data[:1] == b"P" and data[1:2] in b"123456":
            return _pnm_size(data)
    except struct.error:
        return None
    return None
