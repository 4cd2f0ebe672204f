"""mefeat._frames: the one frame decoder (grayscale uint8; 16-bit scaled by bit depth; clear OSErrors)."""

import ast
import pathlib
import struct
import zlib

import cv2
import numpy as np
import pytest

from mefeat._frames import _decode_png_gray8, decode_frame, image_size, read_frame
from tests.reference.png_naive import chunk, filter_rows, unfilter_reference, write_png


def _png(img):
    ok, buf = cv2.imencode(".png", img)
    assert ok
    return buf.tobytes()


def test_8bit_gray_is_unchanged():
    img = np.arange(48, dtype=np.uint8).reshape(6, 8) * 5
    out = decode_frame(_png(img), "a.png")
    assert out.dtype == np.uint8 and out.shape == (6, 8) and np.array_equal(out, img)


def test_16bit_gray_keeps_the_high_byte():
    v = np.array([[0, 255, 256, 257, 1000, 4095, 32767, 32896, 65280, 65535]], np.uint16)
    out = decode_frame(_png(v), "deep.png")
    assert out.dtype == np.uint8
    assert out.tolist() == [[0, 0, 1, 1, 3, 15, 127, 128, 255, 255]]
    # an 8-bit image widened to 16 bits either way comes back exactly
    g = np.arange(256, dtype=np.uint16).reshape(16, 16)
    assert np.array_equal(decode_frame(_png(g * 257), "x.png"), g.astype(np.uint8))
    assert np.array_equal(decode_frame(_png(g << 8), "x.png"), g.astype(np.uint8))


def test_colour_uses_opencv_gray_rule_8_and_16_bit():
    rng = np.random.default_rng(0)
    bgr = rng.integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    expected = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    got = decode_frame(_png(bgr), "c.png")
    assert got.shape == (5, 7) and np.abs(got.astype(int) - expected).max() <= 1
    bgra = np.dstack([bgr, np.full((5, 7), 7, np.uint8)])
    assert np.array_equal(decode_frame(_png(bgra), "c4.png"), got)  # alpha ignored
    deep = bgr.astype(np.uint16) * 257
    assert np.abs(decode_frame(_png(deep), "c16.png").astype(int) - expected).max() <= 1
    ok, jpg = cv2.imencode(".jpg", bgr)
    assert np.array_equal(decode_frame(jpg.tobytes(), "c.jpg"),
                          cv2.imdecode(jpg, cv2.IMREAD_GRAYSCALE))


def test_empty_and_undecodable_data_raise_oserror_with_name_and_size():
    with pytest.raises(OSError, match=r"unreadable frame 'f/00001\.png' \(0 bytes\): the file is empty"):
        decode_frame(b"", "f/00001.png")
    with pytest.raises(OSError, match=r"unreadable frame 'junk\.jpg' \(9 bytes\)"):
        decode_frame(b"not a png", "junk.jpg")


def test_float_images_are_refused():
    ok, buf = cv2.imencode(".tiff", np.full((3, 3), 0.5, np.float32))
    assert ok
    with pytest.raises(OSError, match=r"float32 samples are not supported"):
        decode_frame(buf.tobytes(), "f.tiff")


def test_read_frame(tmp_path):
    p = tmp_path / "img46.png"
    cv2.imwrite(str(p), np.full((3, 4), 46, np.uint16) * 256)
    assert read_frame(p).tolist() == [[46] * 4] * 3
    (tmp_path / "zero.png").write_bytes(b"")
    with pytest.raises(OSError, match=r"zero\.png.*0 bytes"):
        read_frame(tmp_path / "zero.png")
    with pytest.raises(FileNotFoundError):
        read_frame(tmp_path / "missing.png")


def test_bottom_layer_imports_only_numpy_at_module_level():
    src = pathlib.Path(__file__).resolve().parents[1] / "mefeat" / "_frames.py"
    tree = ast.parse(src.read_text())
    top = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            top.add(node.module or "")
    # numpy, the standard library's file-status and header-parsing modules, and mefeat's constants (numpy-free)
    assert top <= {"numpy", "os", "stat", "struct", "mefeat._config"}
    inner = {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    assert inner <= {"numpy", "os", "stat", "struct", "cv2", "zlib"}


def test_docstring_examples_run():
    import doctest

    import mefeat._frames

    result = doctest.testmod(mefeat._frames)
    assert result.attempted >= 2 and result.failed == 0


# --------------------------------------------------------------------------- the 8-bit gray PNG fast path
def _cv2(data):
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE | cv2.IMREAD_ANYDEPTH)


def _fast(data):
    return _decode_png_gray8(data, image_size(data))


def test_unfilter_kernel_matches_the_reference_on_every_filter_type():
    from mefeat._kernels.png import png_unfilter_gray8

    rng = np.random.default_rng(1)
    for H, W in ((1, 1), (1, 9), (7, 1), (6, 11), (23, 17)):
        raw = rng.integers(0, 256, H * (W + 1), dtype=np.uint8)
        raw[::W + 1] = rng.integers(0, 5, H)  # every filter type, first row included
        raw[0] = 4 if H > 1 else raw[0]
        out = np.empty((H, W), np.uint8)
        keep = raw.copy()
        assert png_unfilter_gray8(raw, out) == -1
        np.testing.assert_array_equal(out, unfilter_reference(raw, H, W))
        assert np.array_equal(raw, keep)  # never writes its input
    raw[(W + 1) * 3] = 5
    assert png_unfilter_gray8(raw, out) == 3  # the first row with an unknown filter type


@pytest.mark.parametrize("shape", [(1, 1), (1, 40), (33, 1), (48, 64), (97, 131)])
def test_fast_path_gives_opencvs_pixels_for_every_filter_and_chunking(shape):
    rng = np.random.default_rng(shape[0])
    smooth = np.cumsum(np.cumsum(rng.integers(-3, 4, shape), 0), 1)  # images where Paeth and Average matter
    for img in (rng.integers(0, 256, shape, dtype=np.uint8), (smooth % 256).astype(np.uint8)):
        for kinds in ([k % 5 for k in range(shape[0])], rng.integers(0, 5, shape[0]).tolist()):
            meta = [chunk(b"tEXt", b"Software\0test"), chunk(b"pHYs", bytes(9))]
            for data in (write_png(img, kinds), write_png(img, kinds, level=0, idat_size=7, before=meta),
                         write_png(img, kinds, level=9, idat_size=100, after=meta[:1])):
                got = _fast(data)
                assert got is not None, "a well-formed 8-bit gray PNG takes the fast path"
                np.testing.assert_array_equal(got, _cv2(data))
                np.testing.assert_array_equal(got, img)
                np.testing.assert_array_equal(decode_frame(data, "f.png"), img)
    # and OpenCV's own encoder, every compression level and strategy
    img = (smooth % 256).astype(np.uint8)
    for level in (0, 1, 6, 9):
        for strategy in (cv2.IMWRITE_PNG_STRATEGY_DEFAULT, cv2.IMWRITE_PNG_STRATEGY_FILTERED,
                         cv2.IMWRITE_PNG_STRATEGY_RLE):
            ok, buf = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, level, cv2.IMWRITE_PNG_STRATEGY,
                                                 strategy])
            assert ok and _fast(buf.tobytes()) is not None
            np.testing.assert_array_equal(_fast(buf.tobytes()), img)


def _damaged():
    img = np.arange(120, dtype=np.uint8).reshape(10, 12)
    kinds = [1, 2, 3, 4, 0] * 2
    good = write_png(img, kinds, idat_size=40)
    z = zlib.compress(filter_rows(img, kinds))
    ihdr = good[8:33]
    sig = good[:8]
    end = chunk(b"IEND", b"")
    flipped = bytearray(good)
    flipped[60] ^= 1  # inside the first IDAT's data: its CRC no longer matches
    bad_filter = bytearray(filter_rows(img, kinds))
    bad_filter[13 * 2] = 7
    return {
        "bad CRC": bytes(flipped),
        "data after IEND": good + b"\0",
        "no IEND": good[:-12],
        "truncated": good[:70],
        "16-bit": _png(img.astype(np.uint16) * 257),
        "colour": _png(np.dstack([img] * 3)),
        "interlaced": sig + chunk(b"IHDR", ihdr[8:20] + b"\x01") + chunk(b"IDAT", z) + end,
        "gamma chunk": write_png(img, kinds, before=[chunk(b"gAMA", struct.pack(">I", 45455))]),
        "transparency": write_png(img, kinds, before=[chunk(b"tRNS", b"\0\5")]),
        "two IDAT runs": write_png(img, kinds, idat_size=40, between=[chunk(b"tEXt", b"a\0b")]),
        "image data too long": sig + ihdr + chunk(b"IDAT", zlib.compress(filter_rows(img, kinds) + b"\0")) + end,
        "image data too short": sig + ihdr + chunk(b"IDAT", zlib.compress(filter_rows(img, kinds)[:-1])) + end,
        "bytes after the zlib stream": sig + ihdr + chunk(b"IDAT", z + b"\0\0") + end,
        "unknown filter type": sig + ihdr + chunk(b"IDAT", zlib.compress(bytes(bad_filter))) + end,
        "corrupt zlib stream": sig + ihdr + chunk(b"IDAT", z[:20] + bytes(len(z) - 20)) + end,
    }


@pytest.mark.parametrize("case", list(_damaged()))
def test_every_other_png_goes_to_opencv_unchanged(case):
    data = _damaged()[case]
    assert _fast(data) is None
    expected = _cv2(data)
    if expected is None:
        with pytest.raises(OSError, match="unreadable frame"):
            decode_frame(data, "f.png")
    elif expected.ndim == 2 and expected.dtype == np.uint8:
        np.testing.assert_array_equal(decode_frame(data, "f.png"), expected)


def test_fast_path_is_off_without_the_jit(monkeypatch):
    from mefeat import _jit

    data = write_png(np.full((4, 5), 9, np.uint8), [1] * 4)
    assert _fast(data) is not None
    monkeypatch.setattr(_jit, "jit_disabled", lambda: True)
    assert _fast(data) is None and decode_frame(data, "f.png").tolist() == [[9] * 5] * 4
