"""mefeat.flow: backends on a known sub-pixel translation, sign convention, clip modes, errors."""

import os

import numpy as np
import numpy.testing as npt
import pytest

from mefeat import Clip
from mefeat.flow import FLOW_METHODS, clip_flows, compute_flow, flow_pairs
from tests.flow._data import face_crop, shifted

# Mean end-point error bounds (px) inside a 16-px border on the 128x128 face crop, for the
# translations below (measured: TV-L1 0.03-0.04, DIS 0.04, Farneback 0.03).
EPE_BOUND = {"tvl1": 0.08, "tvl1_opencv": 0.08, "dis": 0.1, "farneback": 0.08}

# mefeat's TV-L1 on 128 px frames takes minutes as plain Python; tests/flow/test_tvl1.py covers it on
# tiny frames under NUMBA_DISABLE_JIT
_NO_JIT = os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0")
_TVL1 = pytest.param("tvl1", marks=pytest.mark.skipif(_NO_JIT, reason="128 px numba TV-L1 as plain Python: minutes"))
SHIFTS = [(0.3, 0.6), (-0.45, 0.25), (1.3, -0.7)]  # (dy, dx) = (v, u)


def _u8(a):
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def _epe(flow, dx, dy, border=16):
    e = np.hypot(flow[..., 0] - dx, flow[..., 1] - dy)
    return e[border:-border, border:-border].mean()


# TV-L1 costs 0.03 s (mefeat) / 0.1 s (OpenCV) per 128-px pair: one translation is enough for it
CASES = ([pytest.param("tvl1", *SHIFTS[0], marks=_TVL1.marks), ("tvl1_opencv", *SHIFTS[0])]
         + [(m, *s) for m in ("dis", "farneback") for s in SHIFTS])


@pytest.mark.parametrize("method,dy,dx", CASES)
def test_known_translation_recovered(method, dy, dx):
    img = face_crop()
    flow = compute_flow(_u8(img), _u8(shifted(img, dy, dx)), method=method)
    assert flow.shape == (128, 128, 2) and flow.dtype == np.float32
    assert _epe(flow, dx, dy) < EPE_BOUND[method]


@pytest.mark.parametrize("method", ["dis", "farneback", _TVL1, "tvl1_opencv"])
def test_sign_convention_u_right_v_down(method):
    # content moves 1 px right and 0.5 px down: u > 0, v > 0 (and the swap gives the swap)
    img = face_crop()
    f = compute_flow(_u8(img), _u8(shifted(img, 0.5, 1.0)), method=method)[16:-16, 16:-16]
    assert np.median(f[..., 0]) == pytest.approx(1.0, abs=0.1)
    assert np.median(f[..., 1]) == pytest.approx(0.5, abs=0.1)
    g = compute_flow(_u8(img), _u8(shifted(img, -1.0, 0.0)), method=method)[16:-16, 16:-16]
    assert np.median(g[..., 1]) == pytest.approx(-1.0, abs=0.1)
    assert abs(np.median(g[..., 0])) < 0.1


def test_tvl1_float_frames_on_0_255_scale_equal_uint8():
    # OpenCV's TV-L1 (mefeat's: tests/flow/test_tvl1.py::test_float_frames_equal_uint8)
    img = _u8(face_crop()[:64, :64])
    moved = _u8(shifted(face_crop(), 0.4, 0.4)[:64, :64])
    a = compute_flow(img, moved, method="tvl1_opencv")
    b = compute_flow(img.astype(np.float64), moved.astype(np.float32), method="tvl1_opencv")
    npt.assert_array_equal(a, b)


def test_float_frames_in_unit_range_warn():
    img = face_crop()[:32, :32] / 255.0
    with pytest.warns(UserWarning, match="0-255"):
        compute_flow(img, img, method="dis")


def test_identical_frames_give_zero_flow():
    img = _u8(face_crop()[:48, :48])
    for m in FLOW_METHODS:
        f = np.abs(compute_flow(img, img, method=m))
        assert np.median(f) < 1e-4 and f.mean() < 0.01, m


def test_params_are_used_and_unknown_params_listed():
    img = _u8(face_crop()[:48, :48])
    moved = _u8(shifted(face_crop(), 0.5, 0.5)[:48, :48])
    a = compute_flow(img, moved, method="farneback")
    b = compute_flow(img, moved, method="farneback", winsize=5)
    assert not np.array_equal(a, b)
    with pytest.raises(ValueError, match=r"lambda .*valid parameters: .*lambda_"):
        compute_flow(img, img, method="tvl1", **{"lambda": 0.1})
    with pytest.raises(ValueError, match="preset"):
        compute_flow(img, img, method="dis", preset="slow")
    with pytest.raises(ValueError, match="method"):
        compute_flow(img, img, method="horn")


def test_bad_frames():
    img = np.zeros((16, 16), np.uint8)
    with pytest.raises(ValueError, match=r"same shape.*\(16, 16\).*\(16, 17\)"):
        compute_flow(img, np.zeros((16, 17), np.uint8))
    with pytest.raises(ValueError, match="frame0"):
        compute_flow(np.zeros((2, 16, 16)), img)
    with pytest.raises(ValueError, match="colour"):
        compute_flow(np.zeros((16, 16, 3)), img)
    with pytest.raises(TypeError, match="bool"):
        compute_flow(img.astype(bool), img)
    with pytest.raises(ValueError, match="NaN"):
        compute_flow(np.full((16, 16), np.nan), img)


def _clip_frames(T=5, size=48):
    return np.stack([_u8(shifted(face_crop(), 0.2 * t, 0.3 * t)[:size, :size]) for t in range(T)])


@pytest.mark.parametrize("mode,pairs", [
    ("onset_apex", [(1, 3)]),
    ("onset_each", [(1, 2), (1, 3), (1, 4)]),
    ("consecutive", [(1, 2), (2, 3), (3, 4)]),
])
def test_clip_flows_modes_match_pairwise(mode, pairs):
    frames = _clip_frames()
    assert flow_pairs(5, mode=mode, onset=1, apex=3) == pairs
    flows = clip_flows(frames, mode=mode, onset=1, apex=3, method="dis")
    assert flows.shape == (len(pairs), 48, 48, 2) and flows.dtype == np.float32
    for f, (i, j) in zip(flows, pairs):
        npt.assert_array_equal(f, compute_flow(frames[i], frames[j], method="dis"))


def test_clip_flows_parallel_equals_serial_and_restores_threads():
    import cv2

    frames = _clip_frames(T=6)
    before = cv2.getNumThreads()
    serial = clip_flows(frames, mode="onset_each", method="farneback")
    for n_jobs in (1, 2, -1):
        npt.assert_array_equal(clip_flows(frames, mode="onset_each", method="farneback", n_jobs=n_jobs), serial)
    assert cv2.getNumThreads() == before
    with pytest.raises(ValueError, match="n_jobs"):
        clip_flows(frames, mode="onset_each", method="dis", n_jobs=0)


def test_clip_flows_uses_clip_annotations():
    frames = _clip_frames()
    clip = Clip(frames, onset=1, apex=4)
    npt.assert_array_equal(clip_flows(clip, method="dis")[0], compute_flow(frames[1], frames[4], method="dis"))
    # explicit indices override the clip's
    npt.assert_array_equal(clip_flows(clip, apex=2, method="dis")[0], compute_flow(frames[1], frames[2], method="dis"))
    # no apex: the middle of onset..end
    mid = Clip(frames, onset=0)
    npt.assert_array_equal(clip_flows(mid, method="dis")[0], compute_flow(frames[0], frames[2], method="dis"))
    # no apex and the middle is the onset (2 frames): the last frame
    two = Clip(frames[:2], onset=0)
    npt.assert_array_equal(clip_flows(two, method="dis")[0], compute_flow(frames[0], frames[1], method="dis"))


def test_clip_flows_errors():
    frames = _clip_frames()
    with pytest.raises(ValueError, match="apex"):
        clip_flows(frames, mode="onset_apex")
    with pytest.raises(ValueError, match="apex=0"):
        clip_flows(frames, apex=0)
    with pytest.raises(ValueError, match="onset=7"):
        clip_flows(frames, mode="onset_each", onset=7)
    with pytest.raises(ValueError, match="at least one frame after"):
        clip_flows(frames, mode="consecutive", onset=4)
    with pytest.raises(ValueError, match="mode"):
        clip_flows(frames, mode="all")
    with pytest.raises(ValueError, match="at least 2"):
        clip_flows(frames[:1], mode="onset_each")


def test_importing_flow_modules_is_cheap():
    import subprocess
    import sys

    code = ("import sys, mefeat.flow, mefeat.descriptors._bi_woof, mefeat.descriptors._mdmo, mefeat.descriptors._fdm, "
            "mefeat.transformers._flow; print(sorted(m for m in ('cv2', 'numba', 'dlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
