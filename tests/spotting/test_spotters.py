"""Spotters against the slow references, and their streaming, thresholding and interval logic."""

import numpy as np
import pytest

from mefeat.spotting import spotters as sp
from mefeat.spotting.stream import ms_to_frames
from tests.spotting import _reference as ref


@pytest.mark.parametrize("angles", ["quadrant", "megc2020"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mdmd_value_matches_reference(angles, seed):
    rng = np.random.default_rng(seed)
    f1 = rng.normal(size=(25, 31, 2))
    f2 = rng.normal(size=(25, 31, 2))
    f1[:4, :4] = 0                      # zero vectors are excluded
    f1[5, 6:9, 1] = 0                   # v = 0: exactly horizontal
    blocks = 4 if seed else 6
    got = sp.mdmd_value(f1, f2, blocks=blocks, angles=angles)
    want = ref.mdmd_frame_value(f1[..., 0], f1[..., 1], f2[..., 0], f2[..., 1], blocks, angles)
    assert got == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_mdmd_block_main_direction_hand_case():
    # one 3x3 block: 2 vectors up-right (u>0, v>0 in image coordinates = bin 0), 1 left (bin 1)
    f1 = np.zeros((3, 3, 2))
    f1[0, 0] = (3, 4)    # |.| 5
    f1[0, 1] = (6, 8)    # |.| 10
    f1[0, 2] = (-1, 0)
    f2 = np.zeros((3, 3, 2))
    f2[0, 1] = (0, 4)    # difference 10 - 4 = 6; the other: 5 - 0 = 5
    v = sp.mdmd_block_values(f1, f2, blocks=1)
    assert v.tolist() == [6.0]          # round(2/3) = 1 largest difference: 6


def test_mdmd_signal_streams_the_right_frames(monkeypatch):
    # a fake flow that records which frames it was given: frame t is filled with t
    import mefeat.flow

    calls = []

    def fake(a, b, **kw):
        calls.append((int(a[0, 0]), int(b[0, 0])))
        return np.ones(a.shape + (2,))

    monkeypatch.setattr(mefeat.flow, "compute_flow", fake)
    frames = (np.full((12, 12), t, np.uint8) for t in range(10))
    sig = sp.mdmd_signal(frames, (2, 3))
    assert np.isnan(sig[2][:2]).all() and np.isnan(sig[2][-2:]).all() and np.isfinite(sig[2][2:-2]).all()
    assert np.isfinite(sig[3][3:-3]).all() and np.isnan(sig[3][:3]).all()
    assert (1, 3) in calls and (1, 5) in calls      # k = 2, frame 3: head 1 -> current 3 and head 1 -> tail 5
    assert (0, 3) in calls and (0, 6) in calls      # k = 3, frame 3


def test_lbp_chi2_signal_matches_reference():
    rng = np.random.default_rng(3)
    frames = rng.integers(0, 256, size=(14, 30, 30)).astype(np.uint8)
    hists = np.stack([sp.lbp_block_histograms(f, blocks=3) for f in frames])
    assert np.allclose(hists.sum(axis=2), 1.0)
    got = sp.lbp_chi2_signal(iter(frames), 3, blocks=3)
    want = ref.chi2_signal(hists, 3)
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)


def test_contrast_matches_reference():
    F = np.random.default_rng(4).normal(size=20)
    np.testing.assert_allclose(sp.contrast(F, 3), ref.contrast_loop(F, 3), equal_nan=True)
    c = sp.contrast(F, 3, clip_negative=True)
    assert np.nanmin(c) >= 0
    assert np.isnan(sp.contrast(F[:5], 3)).all()


def test_threshold_runs_hand_case():
    runs, T = sp.threshold_runs([np.nan, 0, 5, 6, 0, 0, 4, np.nan], 0.5)
    # mean of the defined 0 5 6 0 0 4 = 2.5, max 6 -> T = 4.25: frames 2-3 only
    assert T == pytest.approx(4.25) and runs == [(2, 3)]
    assert sp.threshold_runs([np.nan], 0.1) == ([], pytest.approx(float("nan"), nan_ok=True))


def test_settings_in_ms_give_the_published_frames():
    assert [ms_to_frames(sp.MDMD_K_MS[t], 30) for t in ("micro", "macro")] == [12, 39]
    assert [ms_to_frames(sp.MDMD_K_MS[t], 200) for t in ("micro", "macro")] == [80, 260]
    assert sp.type_lengths(30) == {"micro": (7, 16), "macro": (17, None)}
    assert sp.type_lengths(200) == {"micro": (47, 105), "macro": (106, None)}


def test_mdmd_spotter_filters_lengths_and_maps_frame_numbers():
    s = sp.MDMDSpotter(types=("micro",))
    C = np.zeros(60)
    C[10:20] = 5      # 10 frames: a micro-expression at 30 fps
    C[30:33] = 5      # 3 frames: too short
    C[40:58] = 5      # 18 frames: too long for micro
    sig = {"micro": {"k": 12, "contrast": C, "feature": C}}
    out = s.intervals(sig, fps=30, video="v", frame_numbers=np.arange(60) + 1)
    assert out[["onset", "offset"]].values.tolist() == [[11, 20]]


def test_lbp_spotter_peaks_give_intervals():
    s = sp.LBPChi2Spotter(types=("micro",), p=0.5)
    C = np.zeros(80)
    C[20] = 3
    C[22] = 2          # closer than k to a higher peak: dropped
    C[60] = 4
    out = s._intervals(C, 6, (7, 16))
    assert out == [(14, 26), (54, 66)]


def test_bad_parameters():
    with pytest.raises(ValueError, match="angles"):
        sp.mdmd_block_values(np.zeros((6, 6, 2)), np.zeros((6, 6, 2)), angles="atan")
    with pytest.raises(ValueError, match="k must"):
        sp.mdmd_signal(iter([]), 0)
    with pytest.raises(ValueError, match="p must"):
        sp.MDMDSpotter(p=2).signals([np.zeros((12, 12))] * 3, fps=30)
    with pytest.raises(ValueError, match="fps"):
        ms_to_frames(400, 0)


def test_iter_aligned_frames_one_transform_per_video():
    from mefeat.datasets.demo import _source_face
    from mefeat.spotting.stream import iter_aligned_frames

    gray, lm = _source_face()
    img = np.clip(np.rint(gray), 0, 255).astype(np.uint8)
    shifted = np.roll(img, 4, axis=1)                  # the head moves 4 px right after frame 0
    out = list(iter_aligned_frames([img, img, shifted], size=64, landmarks=lm))
    assert [o.shape for o in out] == [(64, 64)] * 3 and out[0].dtype == np.uint8
    assert np.array_equal(out[0], out[1])
    assert not np.array_equal(out[1], out[2])          # not re-aligned: the motion stays in the crops
    same = list(iter_aligned_frames([img, shifted], align=False))
    assert same[1] is shifted


def test_spotters_follow_the_sklearn_parameter_contract():
    from sklearn.base import clone
    from sklearn.utils.estimator_checks import check_get_params_invariance, check_no_attributes_set_in_init

    for est in (sp.MDMDSpotter(p=0.2, types=("micro",)), sp.LBPChi2Spotter(k_ms={"micro": 100.0})):
        check_no_attributes_set_in_init(type(est).__name__, est)
        check_get_params_invariance(type(est).__name__, est)
        c = clone(est)
        assert c.get_params() == est.get_params()
    with pytest.raises(ValueError, match="types"):
        sp.MDMDSpotter(types="micro").signals([np.zeros((12, 12))] * 3, fps=30)
    with pytest.raises(ValueError, match="k_ms has no entry"):
        sp.LBPChi2Spotter(k_ms={"micro": 100.0}).signals([np.zeros((12, 12))] * 3, fps=30)
