"""The one way mefeat decodes an image file into a grayscale uint8 frame (numpy; OpenCV imported lazily).

Bottom layer: imports numpy only (``cv2``, ``zlib`` and the PNG kernel of :mod:`mefeat._kernels.png` inside
the functions), so the datasets, the face module and the extraction engine can all use it without pulling
each other in.
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
    - **8-bit grayscale PNG**, the usual frame format, is decoded by mefeat itself (zlib and a
      numba kernel for the row filters): the same pixels as OpenCV's decoder (PNG is lossless;
      tested against it on every filter type), about 20 % faster on DFME-sized frames. Any other
      file, and any PNG with something unusual (see ``_decode_png_gray8``), goes to OpenCV.
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
    img = _decode_png_gray8(data, dims)
    if img is not None:
        return img
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


#: PNG chunks the fast path reads past: metadata that cannot change the pixels OpenCV decodes.
_PNG_SKIPPED_CHUNKS = (b"tEXt", b"zTXt", b"iTXt", b"tIME", b"pHYs")
#: Largest side the fast path decodes (OpenCV's default CV_IO_MAX_IMAGE_WIDTH and _HEIGHT).
_PNG_MAX_SIDE = 1 << 20


def _decode_png_gray8(data, dims):
    """The pixels of a well-formed 8-bit grayscale, non-interlaced PNG, or None for any other file.

    The common frame format of micro-expression data sets, decoded about 20 % faster than OpenCV
    does (zlib's inflate and a numba kernel for the row filters, :mod:`mefeat._kernels.png`).
    PNG is lossless, so the pixels are the file's, exactly what ``cv2.imdecode`` returns. Only files
    every reader decodes alike take this path: every chunk's CRC correct, one run of IDAT chunks
    whose zlib stream inflates to exactly the image's rows and ends there, filter types 0-4, IEND
    last, and no chunk but IHDR, IDAT, IEND and the metadata of :data:`_PNG_SKIPPED_CHUNKS` (no
    palette, transparency, gamma or colour profile). Any other file (colour, 16-bit, interlaced,
    damaged) returns None and goes to OpenCV, whose result and errors are then the rule.
    """
    import zlib

    if dims is None or not bytes(data[:8]) == b"\x89PNG\r\n\x1a\n":
        return None
    from mefeat import _jit

    if _jit.jit_disabled():  # the kernel as plain Python would take seconds a frame
        return None
    mv = memoryview(data)
    n, i = len(mv), 8
    inflate, rows, idat, seen_idat, done = None, None, False, False, False
    try:
        while i + 12 <= n:
            length, kind = struct.unpack_from(">I4s", mv, i)
            end = i + 8 + length
            if end + 4 > n or zlib.crc32(mv[i + 4:end]) != struct.unpack_from(">I", mv, end)[0]:
                return None
            if i == 8:
                if kind != b"IHDR" or length != 13 or struct.unpack_from(">IIBBBBB", mv, 16) != (*dims, 8, 0, 0, 0, 0):
                    return None
                W, H = dims
                if not (0 < W <= _PNG_MAX_SIDE and 0 < H <= _PNG_MAX_SIDE):  # OpenCV's limits are the rule
                    return None
                rows = H * (W + 1)
                inflate = zlib.decompressobj()
                raw = bytearray()
            elif kind == b"IDAT":
                if seen_idat and not idat:  # a second run of IDAT chunks
                    return None
                idat = seen_idat = True
                raw += inflate.decompress(mv[i + 8:end], rows + 1 - len(raw))
                if inflate.unconsumed_tail or len(raw) > rows:  # more image data than the image holds
                    return None
            elif kind == b"IEND":
                done = end + 4 == n  # nothing after IEND
                break
            elif kind in _PNG_SKIPPED_CHUNKS:
                idat = False
            else:
                return None
            i = end + 4
    except (zlib.error, struct.error):
        return None
    if not done or not seen_idat or not inflate.eof or inflate.unused_data or len(raw) != rows:
        return None
    from mefeat._kernels.png import png_unfilter_gray8

    img = np.empty((H, W), np.uint8)
    if png_unfilter_gray8(np.frombuffer(raw, np.uint8), img) >= 0:  # a row with an unknown filter type
        return None
    return img


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
