import numpy as np
import pytest

from mefeat import Clip
from mefeat._validation import (
    check_clip,
    check_flow,
    check_flows,
    check_frame,
    check_int_tuple,
    check_landmarks,
    check_option,
)


def test_check_clip_passthrough_and_contiguity():
    a = np.zeros((3, 4, 5), np.uint8)
    assert check_clip(a) is a
    b = np.zeros((3, 5, 4), np.uint8).transpose(0, 2, 1)
    out = check_clip(b)
    assert out.flags.c_contiguous and out.shape == (3, 4, 5)
    assert check_clip(Clip(a)) is a


def test_check_clip_readonly_is_accepted_without_copy():
    a = np.zeros((3, 4, 5), np.float32)
    a.setflags(write=False)
    assert check_clip(a) is a


def test_check_clip_casts_when_asked():
    out = check_clip(np.ones((2, 2, 2), np.uint8), dtype=np.float64)
    assert out.dtype == np.float64


@pytest.mark.parametrize(
    "arr, exc, match",
    [
        (np.zeros((4, 4)), ValueError, "3-D"),
        (np.zeros((2, 4, 4, 3)), ValueError, "colour clip"),
        (np.zeros((2, 4, 4), bool), TypeError, "bool"),
        (np.zeros((2, 4, 4), np.complex128), TypeError, "complex"),
        (np.zeros((2, 4, 4), np.float16), TypeError, "unsupported dtype float16"),
        (np.full((2, 4, 4), np.nan), ValueError, "32 NaN or infinite"),
        (np.array([[[1.0, np.inf]]]), ValueError, "1 NaN or infinite"),
        (np.empty((2, 4, 4), object), TypeError, "dtype object"),
    ],
)
def test_check_clip_errors(arr, exc, match):
    with pytest.raises(exc, match=match):
        check_clip(arr)


def test_check_clip_minimums():
    with pytest.raises(ValueError, match="clip has 2 frame"):
        check_clip(np.zeros((2, 4, 4)), min_frames=3)
    with pytest.raises(ValueError, match="4x4 .* at least 5x5"):
        check_clip(np.zeros((2, 4, 4)), min_size=(5, 5))


def test_check_frame():
    assert check_frame(np.zeros((3, 3), np.uint8)).shape == (3, 3)
    with pytest.raises(ValueError, match="colour image"):
        check_frame(np.zeros((3, 3, 3)))
    with pytest.raises(ValueError, match="2-D"):
        check_frame(np.zeros(3))


def test_check_flow_and_flows():
    assert check_flow(np.zeros((4, 5, 2), np.float32)).dtype == np.float64
    with pytest.raises(ValueError, match=r"\(H, W, 2\)"):
        check_flow(np.zeros((4, 5, 3)))
    with pytest.raises(ValueError, match="NaN"):
        check_flow(np.full((2, 2, 2), np.nan))
    assert check_flows(np.zeros((2, 4, 5, 2))).shape == (2, 4, 5, 2)
    with pytest.raises(ValueError, match=r"\(N, H, W, 2\)"):
        check_flows(np.zeros((4, 5, 2)))
    with pytest.raises(ValueError, match="at least 1"):
        check_flows(np.zeros((0, 4, 5, 2)))


def test_check_landmarks():
    assert check_landmarks(np.zeros((68, 2), int)).dtype == np.float64
    with pytest.raises(ValueError, match=r"\(68, 2\)"):
        check_landmarks(np.zeros((66, 2)))


def test_check_int_tuple():
    assert check_int_tuple(3, name="r", length=3) == (3, 3, 3)
    assert check_int_tuple([1, np.int64(2), 3], name="r", length=3) == (1, 2, 3)
    with pytest.raises(ValueError, match="r must have 3 entries"):
        check_int_tuple((1, 2), name="r", length=3)
    with pytest.raises(TypeError, match="integers"):
        check_int_tuple((1, 2.5, 3), name="r", length=3)
    with pytest.raises(TypeError, match="integers"):
        check_int_tuple((True, 1, 1), name="r", length=3)
    with pytest.raises(ValueError, match=">= 1"):
        check_int_tuple((0, 1, 1), name="r", length=3, minimum=1)
    with pytest.raises(TypeError, match="int or a sequence"):
        check_int_tuple(None, name="r", length=3)


def test_check_option():
    assert check_option(None, name="n", options=("a", None)) is None
    with pytest.raises(ValueError, match="n must be one of 'a', 'b'; got 'c'"):
        check_option("c", name="n", options=("a", "b"))
