"""PNG row filters of an 8-bit, one-channel image, as slow readable Python (PNG specification, 2nd ed.,
section 9.2-9.4), and a minimal PNG writer for tests: both directions written from the specification,
independently of mefeat._kernels.png and of OpenCV."""

import struct
import zlib

import numpy as np


def paeth(a, b, c):
    """The Paeth predictor of a byte from its left (a), upper (b) and upper-left (c) neighbours."""
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _predict(kind, a, b, c):
    return (0, a, b, (a + b) // 2, paeth(a, b, c))[kind]


def unfilter_reference(raw, height, width):
    """(H, W) uint8 pixels from the inflated data (a filter type byte and W bytes per row)."""
    raw = np.asarray(raw, np.uint8)
    out = np.zeros((height, width), np.uint8)
    for y in range(height):
        kind = int(raw[y * (width + 1)])
        for x in range(width):
            a = int(out[y, x - 1]) if x else 0
            b = int(out[y - 1, x]) if y else 0
            c = int(out[y - 1, x - 1]) if x and y else 0
            out[y, x] = (int(raw[y * (width + 1) + 1 + x]) + _predict(kind, a, b, c)) % 256
    return out


def filter_rows(img, kinds):
    """The inflated PNG data of ``img`` (H, W) uint8 with row y filtered by ``kinds[y]`` (0-4)."""
    img = np.asarray(img, np.uint8)
    H, W = img.shape
    out = bytearray()
    for y in range(H):
        out.append(kinds[y])
        for x in range(W):
            a = int(img[y, x - 1]) if x else 0
            b = int(img[y - 1, x]) if y else 0
            c = int(img[y - 1, x - 1]) if x and y else 0
            out.append((int(img[y, x]) - _predict(kinds[y], a, b, c)) % 256)
    return bytes(out)


def chunk(kind, payload):
    """One PNG chunk: length, type, data, CRC-32 of type and data."""
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def write_png(img, kinds, *, level=6, idat_size=None, before=(), between=(), after=()):
    """A gray 8-bit PNG of ``img`` with the row filters ``kinds``, its zlib stream at ``level`` cut into
    IDAT chunks of ``idat_size`` bytes (one chunk when None); ``before``/``between``/``after``: extra
    chunks before the first IDAT, after the first IDAT and before IEND."""
    H, W = np.asarray(img).shape
    z = zlib.compress(filter_rows(img, kinds), level)
    size = idat_size or max(len(z), 1)
    idats = [chunk(b"IDAT", z[k:k + size]) for k in range(0, len(z), size)]
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 0, 0, 0, 0))
            + b"".join(before) + idats[0] + b"".join(between) + b"".join(idats[1:]) + b"".join(after)
            + chunk(b"IEND", b""))
