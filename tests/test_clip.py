import dataclasses

import numpy as np
import pytest

import mefeat
from mefeat import Clip


def test_clip_fields_and_properties():
    frames = np.arange(5 * 4 * 3, dtype=np.uint8).reshape(5, 4, 3)
    c = Clip(frames, onset=1, apex=3, offset=4, fps=200, subject=7, name="c1", aus=[12, 6], emotion="happiness")
    assert c.n_frames == 5 and c.shape == (5, 4, 3)
    assert c.subject == "7" and c.aus == frozenset({6, 12})
    assert c.frames is frames  # no copy
    assert c.apex_or_middle == 3


def test_clip_is_frozen_and_replace_validates():
    c = Clip(np.zeros((4, 2, 2)), onset=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.onset = 1
    c2 = c.replace(apex=2)
    assert c2.apex == 2 and c.apex is None
    with pytest.raises(ValueError, match="apex=9 is outside"):
        c.replace(apex=9)


def test_apex_or_middle_without_apex():
    assert Clip(np.zeros((9, 2, 2)), onset=2, offset=6).apex_or_middle == 4
    assert Clip(np.zeros((9, 2, 2)), onset=0).apex_or_middle == 4


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(frames=np.zeros((4, 4))), ValueError, r"\(T, H, W\)"),
        (dict(frames=np.zeros((3, 4, 4)), onset=3), ValueError, "onset=3 is outside the clip's frames 0..2"),
        (dict(frames=np.zeros((3, 4, 4)), onset=-1), ValueError, "onset=-1"),
        (dict(frames=np.zeros((3, 4, 4)), onset=None), ValueError, "onset must be an int"),
        (dict(frames=np.zeros((3, 4, 4)), onset=1.5), TypeError, "onset must be an int"),
        (dict(frames=np.zeros((5, 4, 4)), onset=3, apex=1), ValueError, "apex=1 comes before onset=3"),
        (dict(frames=np.zeros((5, 4, 4)), onset=3, offset=2), ValueError, "offset=2 comes before onset=3"),
        (dict(frames=np.zeros((5, 4, 4)), landmarks=np.zeros((5, 2))), ValueError, r"\(68, 2\)"),
    ],
)
def test_clip_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Clip(**kwargs)


def test_clip_landmarks_cast_to_float():
    c = Clip(np.zeros((2, 3, 3)), landmarks=np.ones((68, 2), dtype=int))
    assert c.landmarks.dtype == np.float64
    assert "landmarks=yes" in repr(c)


def test_clip_exported_lazily():
    assert mefeat.Clip is Clip
