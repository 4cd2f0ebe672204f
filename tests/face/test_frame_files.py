"""Frame files given to align_frames are decoded by mefeat._frames.read_frame (empty and 16-bit files)."""

import numpy as np
import pytest

from mefeat.face import align_frames


def test_empty_frame_file_is_named(tmp_path, astronaut_gray):
    import cv2

    good = tmp_path / "00000.png"
    cv2.imwrite(str(good), astronaut_gray)
    empty = tmp_path / "00001.png"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"could not read frame 1 of clip 'e'.*0 bytes") as exc:
        align_frames([good, empty], clip_name="e")
    assert isinstance(exc.value.__cause__, OSError)


def test_16_bit_frame_files_are_reduced_to_8_bits(tmp_path, astronaut_gray):
    import cv2

    paths = []
    for i, img in enumerate([astronaut_gray, astronaut_gray.astype(np.uint16) * 257]):  # the same frame, 8 and 16 bit
        paths.append(tmp_path / f"{i:05d}.png")
        cv2.imwrite(str(paths[-1]), img)
    out = align_frames(paths, detect_scale=1.0)
    assert out.frames.dtype == np.uint8
    np.testing.assert_array_equal(out.frames[1], out.frames[0])
