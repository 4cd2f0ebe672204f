"""The realistic clip generator of benchmarks/bench_flow_choice.py: its true flows are the frames' motion."""

import numpy as np
import pytest

rc = pytest.importorskip("benchmarks._realistic_clips")
cv2 = pytest.importorskip("cv2")

INNER = slice(12, 116)  # away from the crop border, where a backward warp leaves the image


def _residual(clip, t, flow):
    """Mean |frame_t(x + flow(x)) - frame_0(x)| over the inner crop."""
    gy, gx = np.mgrid[0:rc.SIZE, 0:rc.SIZE].astype(np.float32)
    w = cv2.remap(clip.frames[t].astype(np.float32), gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_CUBIC)
    return float(np.abs(w - clip.frames[0].astype(np.float32))[INNER, INNER].mean())


@pytest.fixture(scope="module")
def clean():
    return rc.make_clip(3, subject=1, label=2, degrade=())


def test_true_flow_explains_the_motion(clean):
    # Without degradations the frames differ by the motion, Gaussian noise of sigma 1 (camera px, about
    # 0.5 gray levels after alignment shrinks the frame 2x) and rounding: warping the apex frame back
    # with the true flow must remove most of the difference; a flow of zeros or the flow of a wrong
    # frame must not.
    t = clean.apex
    with_true = _residual(clean, t, clean.flows[t - 1])
    assert with_true < 0.6
    assert with_true < 0.5 * _residual(clean, t, np.zeros_like(clean.flows[0]))
    assert with_true < 0.8 * _residual(clean, t, clean.flows[0])


def test_motion_is_sub_pixel_and_localised(clean):
    mag = np.hypot(clean.flows[..., 0], clean.flows[..., 1])
    aus = clean.info["aus"]
    # each AU peaks at 0.2-1 px at its own apex, a blink (AU45) at 1.5-4 px; overlapping ones add up
    bound = 1.0 * len([a for a in aus if a != 45]) + (rc.BLINK_PX[1] if 45 in aus else 0.0)
    assert 0.2 <= mag.max() <= bound
    # localised: most of the face does not move by more than 0.05 px at the apex
    assert np.mean(mag[clean.apex - 1] < 0.05) > 0.3


@pytest.fixture(scope="module")
def smooth_and_sharp():
    # a surprise clip without a blink (AU1, AU2, AU5: brows and upper lids, bounded by the upper lid margins)
    return tuple(rc.make_clip(4, subject=1, label=2, degrade=d) for d in ((), ("boundaries",)))


def _steepest(flows):
    """Largest change of the flow between neighbouring pixels (px per px), over all frames."""
    return max(float(np.abs(np.diff(flows, axis=a)).max()) for a in (1, 2))


def test_boundaries_make_the_motion_sharp_and_keep_it_one_to_one(smooth_and_sharp):
    # Same AUs and peak amplitudes; with "boundaries" each AU's motion stops at a lid margin, the mouth slit
    # or a fold within about one aligned px, so its steepest change is several times that of the smooth
    # bumps (about amplitude / (sigma sqrt(e)) with sigma ~ 3 px, under 0.15 px per px for 0.2-1 px AUs) ...
    smooth, sharp = smooth_and_sharp
    assert sharp.info["aus"] == smooth.info["aus"] and 45 not in sharp.info["aus"]
    assert _steepest(smooth.flows) < 0.15
    assert _steepest(sharp.flows) > 3 * _steepest(smooth.flows)
    assert abs(sharp.info["peak_px"] / smooth.info["peak_px"] - 1) < 0.1
    # ... the rendered motion stays one-to-one (Jacobian determinant of x -> x + flow(x) positive) ...
    f = sharp.flows.astype(np.float64)
    ux, uy = np.gradient(f[..., 0], axis=2), np.gradient(f[..., 0], axis=1)
    vx, vy = np.gradient(f[..., 1], axis=2), np.gradient(f[..., 1], axis=1)
    assert ((1 + ux) * (1 + vy) - uy * vx).min() > 0.2
    # ... and the true flow still explains the frames
    t = sharp.apex
    with_true = _residual(sharp, t, sharp.flows[t - 1])
    assert with_true < 0.6
    assert with_true < 0.5 * _residual(sharp, t, np.zeros_like(sharp.flows[0]))


def test_crop_stays_inside_the_frame(clean):
    assert clean.info["outside_px"] == 0.0


def test_degradations_leave_the_motion_and_change_the_frames(clean):
    # every draw is made whatever is switched off: without head motion the true flows are the same
    deg = rc.make_clip(3, subject=1, label=2, degrade=("flicker", "noise", "jpeg"))
    # (up to the alignment, which fits the landmarks on the degraded onset: a slightly different crop)
    assert np.corrcoef(deg.flows.ravel(), clean.flows.ravel())[0, 1] > 0.97
    assert abs(np.abs(deg.flows).max() / np.abs(clean.flows).max() - 1) < 0.1
    assert np.abs(deg.frames.astype(float) - clean.frames).mean() > 0.5
    head = rc.make_clip(3, subject=1, label=2, degrade=("head",))
    assert np.abs(head.flows - clean.flows).max() > 0.02


def test_same_seed_same_clip():
    a = rc.make_clip(5, subject=0, label=0)
    b = rc.make_clip(5, subject=0, label=0)
    np.testing.assert_array_equal(a.frames, b.frames)
    assert a.label == 0


def test_classes_draw_their_emotions_aus():
    from mefeat.datasets.demo import EMOTION_AU_FREQUENCIES

    rng = np.random.default_rng(0)
    for label, emotions in rc.CLASS_EMOTIONS.items():
        allowed = set().union(*(EMOTION_AU_FREQUENCIES[e] for e in emotions))
        drawn = [rc.draw_aus(rng, label) for _ in range(200)]
        assert all(aus and set(aus) <= allowed for aus in drawn)
    # positive clips mostly show AU12 (79 % in DFME), surprise clips mostly AU1 and AU2
    assert np.mean([12 in rc.draw_aus(rng, 1) for _ in range(400)]) > 0.7
    assert np.mean([2 in rc.draw_aus(rng, 2) for _ in range(400)]) > 0.7


def test_unknown_degradation_is_named():
    with pytest.raises(ValueError, match="blur"):
        rc.make_clip(0, degrade=("noise", "blur"))


def test_benchmark_rows_and_ablation_configurations():
    bfc = pytest.importorskip("benchmarks.bench_flow_choice")
    from mefeat.flow import FLOW_METHODS

    rows = bfc.discover_rows()
    labels = [lab for lab, _, _ in rows]
    assert len(set(labels)) == len(labels)
    full = [(m, sorted({**FLOW_METHODS[m], **p}.items())) for _, m, p in rows]
    assert len(set(map(str, full))) == len(full)  # no setting benchmarked twice under two labels
    assert sum("(defaults)" in lab for lab in labels) == len(FLOW_METHODS)
    assert ("tvl1", {"border": "replicate"}) in [(m, p) for _, m, p in rows]
    configs = dict(bfc.ablation_configs())
    assert configs["all"] == rc.DEGRADATIONS and configs["none"] == ()
    for d in rc.DEGRADATIONS:  # each property switched off once, the others kept
        assert set(configs[f"all but {d}"]) == set(rc.DEGRADATIONS) - {d}
