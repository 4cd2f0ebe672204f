"""The preprocessing preview (mefeat.plot): six titled panels, PNG/PDF files, the no-face figure, lazy matplotlib."""

import subprocess
import sys

import numpy as np
import pytest

from mefeat import Clip
from mefeat.plot import NO_FACE_TITLE, PANEL_TITLES, flow_to_rgb, preview_clip, save_preview


@pytest.fixture(scope="module")
def face_clip():
    """A real face (skimage's astronaut, 256x320 px around the face) whose lower half moves up by ~1 px at the apex."""
    import cv2
    from skimage import data

    gray = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)[0:256, 60:380]
    H, W = gray.shape
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    bump = np.exp(-((yy - 170) ** 2 + (xx - 160) ** 2) / (2 * 25.0 ** 2)).astype(np.float32)
    frames = [cv2.remap(gray, xx, yy + a * bump, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
              for a in (0.0, 0.6, 1.2, 0.6)]
    return Clip(np.stack(frames), onset=0, apex=2, offset=3, name="astro/EP01", subject="s07", emotion="happiness")


@pytest.fixture(scope="module")
def figure(face_clip):
    return preview_clip(face_clip)


def _titles(fig):
    return [ax.get_title() for ax in fig.axes]


def test_six_panels_with_plain_titles(figure):
    assert len(figure.axes) == 6  # the colour-wheel key and the colour bar are children of their panels
    assert _titles(figure) == [
        "Raw onset frame, face box and 68 landmarks",
        "Aligned onset",
        "Aligned apex (frame 2)",
        "MDMO regions",
        "Onset\u2192apex optical flow",
        "Optical strain",
    ]
    assert list(PANEL_TITLES[:2]) == _titles(figure)[:2]
    title = figure.get_suptitle()
    assert "astro/EP01" in title and "subject s07" in title and "happiness" in title


def test_panels_show_the_right_things(figure):
    raw, onset, apex, rois, flow, strain = figure.axes
    assert raw.images[0].get_array().shape == (256, 320)
    assert len(raw.patches) == 1  # the face box
    assert raw.collections[0].get_offsets().shape == (68, 2)  # the landmarks
    assert onset.images[0].get_array().shape == (128, 128) and apex.images[0].get_array().shape == (128, 128)
    assert sum(len(c.get_paths()) for c in rois.collections[:1]) == 36
    assert flow.images[0].get_array().shape == (128, 128, 3) and len(flow.child_axes) == 1  # the colour key
    bar_axes = strain.child_axes[0]
    assert "strain" in bar_axes.get_ylabel()


def test_png_and_pdf_files(tmp_path, face_clip):
    for name, magic in [("p.png", b"\x89PNG"), ("p.pdf", b"%PDF")]:
        path = tmp_path / name
        assert save_preview(face_clip, path, dpi=60) == path
        assert path.read_bytes()[:4] == magic
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.pdf", "p.png"]  # no temporary files left
    out = save_preview(face_clip, str(tmp_path / "s.png"), dpi=60, size=96, flow_method="dis", title="mine")
    assert out == str(tmp_path / "s.png")


def test_no_face_gives_a_message_figure(tmp_path):
    import cv2
    from skimage import data

    coffee = cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2GRAY)
    clip = Clip(np.stack([coffee] * 3), onset=1, name="cup", subject="s1", emotion="surprise")
    fig = preview_clip(clip)
    assert _titles(fig) == [NO_FACE_TITLE]
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "no face found" in texts
    assert "no face found in frame 1 of clip 'cup'" in fig.axes[0].get_xlabel()
    assert "cup" in fig.get_suptitle()
    path = save_preview(clip, tmp_path / "cup.png", dpi=50)
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_one_frame_clip_has_no_flow_panels(face_clip):
    fig = preview_clip(face_clip.replace(frames=face_clip.frames[:1], apex=None, offset=None))
    assert _titles(fig)[2] == "Aligned apex (frame 0)"
    assert any("no flow" in t.get_text() for t in fig.axes[4].texts)


def test_bad_arguments(tmp_path, face_clip):
    with pytest.raises(TypeError, match="mefeat.Clip"):
        preview_clip(face_clip.frames)
    with pytest.raises(ValueError, match="flow_method"):
        preview_clip(face_clip, flow_method="lucas")
    with pytest.raises(ValueError, match="image format"):
        save_preview(face_clip, tmp_path / "preview.unknown")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_preview(face_clip, tmp_path / "missing" / "p.png")


def test_flow_colours_follow_directions():
    # right, down, left, up (image coordinates) and no motion
    flow = np.array([[[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0], [0.0, 0.0]]])
    rgb, vmax = flow_to_rgb(flow)
    assert vmax == 1.0
    hues = [np.argmax(c) for c in rgb[0, :4]]
    assert hues[0] == 0 and hues[2] in (1, 2) and rgb[0, 2, 0] < 0.01  # right is red, left has no red
    np.testing.assert_allclose(rgb[0, 4], 0)  # no motion is black
    np.testing.assert_allclose(flow_to_rgb(flow * 0.5, 1.0)[0].max(axis=-1)[0, :4], 0.5)  # half length, half bright


def test_matplotlib_is_imported_lazily():
    code = "import sys, mefeat, mefeat.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
