"""Numba kernel of the PNG reader's fast path (private; no validation, fills ``out``).

:func:`mefeat._frames.decode_frame` inflates the image data of an 8-bit grayscale, non-interlaced
PNG with :mod:`zlib` and this kernel undoes the row filters (PNG specification, 2nd ed., section 9:
filter types None, Sub, Up, Average and Paeth, one byte per pixel). Only numpy and
:mod:`mefeat._jit` are imported; the kernel never writes to its input.
"""

from mefeat._jit import jit

__all__ = ["png_unfilter_gray8"]


@jit
def png_unfilter_gray8(raw, out):
    """Undo the PNG row filters of an 8-bit, one-channel image.

    Parameters
    ----------
    raw : (H * (W + 1),) uint8 ndarray
        The inflated image data: per row, the filter type byte and W filtered bytes.
    out : (H, W) uint8 ndarray
        Filled with the pixels.

    Returns
    -------
    bad_row : int
        -1 when every row was decoded; else the first row whose filter type is not 0-4 (``out`` is
        then incomplete).
    """
    H, W = out.shape
    for y in range(H):
        base = y * (W + 1)
        f = raw[base]
        if f > 4:
            return y
        row = out[y]
        if y == 0 or f == 0 or f == 1:  # no row above: Up reads zeros, Average and Paeth read only the left pixel
            if f == 0 or f == 2:
                for x in range(W):
                    row[x] = raw[base + 1 + x]
            elif f == 1 or f == 4:  # Paeth with a and c = 0, b = 0 predicts a
                left = 0
                for x in range(W):
                    left = (raw[base + 1 + x] + left) & 255
                    row[x] = left
            else:  # Average: floor(a / 2)
                left = 0
                for x in range(W):
                    left = (raw[base + 1 + x] + (left >> 1)) & 255
                    row[x] = left
            continue
        up = out[y - 1]
        if f == 2:
            for x in range(W):
                row[x] = (raw[base + 1 + x] + up[x]) & 255
        elif f == 3:
            left = 0
            for x in range(W):
                left = (raw[base + 1 + x] + ((left + up[x]) >> 1)) & 255
                row[x] = left
        else:  # Paeth
            left = 0
            upleft = 0
            for x in range(W):
                b = int(up[x])
                p = left + b - upleft
                pa = abs(p - left)
                pb = abs(p - b)
                pc = abs(p - upleft)
                if pa <= pb and pa <= pc:
                    pred = left
                elif pb <= pc:
                    pred = b
                else:
                    pred = upleft
                left = (raw[base + 1 + x] + pred) & 255
                row[x] = left
                upleft = b
    return -1
