"""mefeat._frames: the one frame decoder (grayscale uint8; 16-bit scaled by bit depth; clear OSErrors)."""

import ast
import pathlib

import cv2
import numpy as np
import pytest

from mefeat._frames import decode_frame, read_frame


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
    assert inner <= {"numpy", "os", "stat", "struct", "cv2"}


def test_docstring_examples_run():
    import doctest

    import mefeat._frames

    result = doctest.testmod(mefeat._frames)
    assert result.attempted >= 2 and result.failed == 0
