"""Eulerian motion magnification (mefeat.magnify, MotionMagnifier), its stage and the li2018 preset.

The magnification is checked three ways: against the slow frame-by-frame reference written from MIT's
code (tests/reference/magnify_naive.py); on synthetic sub-pixel motion, whose magnified displacement
must follow the linearised prediction ``delta + alpha * B[delta]`` (B: the IIR band-pass run on the
displacement signal alone); and on signals that must come back untouched (static content, the finest
band, the low-pass residual).
"""

import json

import numpy as np
import pytest

import mefeat
from mefeat import Clip, catalogue
from mefeat.extract import main
from mefeat.magnify import level_alphas, magnify, magnify_clip, pyramid_height
from tests.reference.magnify_naive import level_alphas_reference, magnify_reference, max_pyr_ht

R1, R2 = 0.4, 0.05


def _band_pass(signal, r1=R1, r2=R2):
    """The temporal filter of the paper on a scalar signal: y1 - y2, both started on signal[0]."""
    low1 = low2 = signal[0]
    out = [0.0]
    for v in signal[1:]:
        low1 = (1 - r1) * low1 + r1 * v
        low2 = (1 - r2) * low2 + r2 * v
        out.append(low1 - low2)
    return np.array(out)


def _grating(shift, period, n=128, amplitude=60.0):
    """Vertical stripes cos(2 pi (x - shift[t]) / period), one frame per shift (float64)."""
    x = np.arange(n)
    rows = 128.0 + amplitude * np.cos(2 * np.pi * (x[None, :] - np.asarray(shift)[:, None]) / period)
    return np.repeat(rows[:, None, :], n, axis=1)


def _measured_shift(frames, period):
    """Displacement of the stripes per frame: phase of a least-squares sinusoid on the central part."""
    n = frames.shape[-1]
    cols = np.arange(n // 4, 3 * n // 4)
    profile = frames[:, n // 4:3 * n // 4, :].mean(axis=1)[:, cols]
    basis = np.stack([np.cos(2 * np.pi * cols / period), np.sin(2 * np.pi * cols / period), np.ones(len(cols))], 1)
    c = np.linalg.lstsq(basis, profile.T, rcond=None)[0]
    return np.arctan2(c[1], c[0]) * period / (2 * np.pi)


# --------------------------------------------------------------------------- the method
def test_matches_the_frame_by_frame_reference(rng):
    frames = rng.integers(0, 256, (7, 23, 30)).astype(np.float64)
    frames[:, 5:15, 8:20] += np.linspace(0, 40, 7)[:, None, None]  # some temporal change to amplify
    for alpha, lambda_c in ((20.0, 16.0), (5.0, 16.0), (2.0, 16.0), (8.0, 4.0)):
        expected = magnify_reference(frames, alpha, lambda_c, value_range=(-1e9, 1e9))
        got = magnify(frames, alpha, lambda_c=lambda_c, value_range=(-1e9, 1e9))
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
        assert np.abs(got - frames).max() > 1  # the comparison is not between two unchanged clips


def test_uint8_matches_the_reference_rounded_and_clipped(rng):
    frames = rng.integers(0, 256, (6, 20, 26), dtype=np.uint8)
    got = magnify(frames, 30.0)
    expected = magnify_reference(frames, 30.0, value_range=(0, 255))
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, np.rint(expected).astype(np.uint8))
    assert (expected == 0).any() and (expected == 255).any()  # clipping happened on both sides


def test_level_alphas_follow_the_mit_cap_coarse_to_fine():
    # 128 x 128: levels 128, 64, 32, 16, 8 px and a 4 x 4 residual; the residual's wavelength is the
    # diagonal / 3 = 60.34 px, halved per finer level; cap = 2 (lambda (1 + alpha) / lambda_c - 1)
    assert pyramid_height((128, 128)) == 1 + max_pyr_ht((128, 128)) == 6
    lam = np.hypot(128, 128) / 3 / 2.0 ** np.arange(5, -1, -1)  # finest first
    cap = 2 * (lam * 21 / 16 - 1)
    expected = np.minimum(20, cap)
    expected[[0, -1]] = 0
    np.testing.assert_allclose(level_alphas((128, 128), 20), expected)
    np.testing.assert_allclose(level_alphas((128, 128), 20), [0, 7.89949, 17.79899, 20, 20, 0], atol=1e-5)
    for shape in ((128, 128), (37, 300), (4, 9), (5, 5), (225, 275)):
        for alpha in (0.0, 1.0, 8.0, 20.0):
            np.testing.assert_allclose(level_alphas(shape, alpha), level_alphas_reference(shape, alpha))
    # never negative (MIT would multiply the 64 px level by 2 (3.77 * 3 / 16 - 1) = -0.59 at alpha 2)
    assert level_alphas((128, 128), 2.0)[1] == 0.0


def test_subpixel_motion_in_the_band_is_amplified_by_alpha():
    # lambda_c = 4 gives every band-pass level of a 128 px frame the full alpha
    alpha, period, amp, T = 20.0, 32.0, 0.03, 60
    assert list(level_alphas((128, 128), alpha, 4.0)[1:-1]) == [alpha] * 4
    t = np.arange(T)
    for temporal_period in (40.0, 8.0):  # 40 frames: the band-pass's peak (|H| = 0.82)
        shift = amp * np.sin(2 * np.pi * t / temporal_period)
        clip = _grating(shift, period)
        np.testing.assert_allclose(_measured_shift(clip, period), shift, atol=1e-9)  # the probe reads the input
        out = magnify(clip, alpha, lambda_c=4.0, value_range=(0, 255))
        predicted = shift + alpha * _band_pass(shift)
        measured = _measured_shift(out, period)
        assert np.abs(measured - predicted).max() < 0.08 * np.abs(predicted).max()
        gain = np.abs(measured[T // 2:]).max() / amp
        assert gain > 0.9 * np.abs(predicted[T // 2:]).max() / amp > 5
        assert np.abs(measured).max() < 1.0  # sub-pixel in, still a small motion out (linear regime)


def test_the_wavelength_cap_attenuates_fine_levels_not_coarse_ones():
    # lambda_c = 16: the 64 and 32 px levels of a 128 px frame get 7.9 and 17.8 (meb runs the cap the other
    # way round, giving fine stripes the full alpha and coarse ones less)
    alpha, amp, T = 20.0, 0.03, 60
    shift = amp * np.sin(2 * np.pi * np.arange(T) / 40.0)
    predicted = np.abs(shift + alpha * _band_pass(shift))[T // 2:].max()
    ratio = {}
    for period in (6.4, 32.0, 64.0):
        out = magnify(_grating(shift, period), alpha, value_range=(0, 255))
        ratio[period] = np.abs(_measured_shift(out, period))[T // 2:].max() / predicted
    # measured 0.19 < 0.83 < 0.98 (with the cap reversed: 0.39, 0.91, 0.71)
    assert ratio[6.4] < 0.3 < ratio[32.0] < 0.9 < ratio[64.0]


def test_static_content_is_untouched(rng):
    # DC: frames that do not change (whatever they show, e.g. a face shifted by a constant amount)
    frame = rng.integers(0, 256, (48, 40), dtype=np.uint8)
    clip = np.repeat(frame[None], 12, axis=0)
    np.testing.assert_array_equal(magnify(clip, 50.0), clip)
    shifted = _grating(np.full(10, 0.37), 24.0, n=64)
    np.testing.assert_allclose(magnify(shifted, 50.0, value_range=(0, 255)), shifted, atol=1e-9)


def test_the_band_is_added_to_the_current_frame():
    # a step: pattern A for 3 frames, then B; the band decays (r2 = 0.05: 0.95**t) and the output returns
    # to the *current* frame B (adding the band to the first frame would stay near A)
    a = _grating(np.zeros(3), 16.0, n=64)
    b = _grating(np.full(250, 0.3), 16.0, n=64)
    clip = np.concatenate([a, b])
    out = magnify(clip, 20.0, value_range=(0, 255))
    np.testing.assert_array_equal(out[0], clip[0])
    assert np.abs(out[-1] - clip[-1]).max() < 1e-3 < 1 < np.abs(out[-1] - clip[0]).max()
    assert np.abs(out[4] - clip[4]).max() > 1  # and right after the step it is magnified


def test_finest_and_coarsest_bands_are_untouched():
    T = 30
    flicker = np.sin(2 * np.pi * np.arange(T) / 10.0)  # in the pass band
    # a checkerboard at the Nyquist frequency lives in the finest level only (the binomial filter removes it)
    rows, cols = np.indices((64, 64))
    checker = np.where((rows + cols) % 2, 1.0, -1.0)
    clip = 128.0 + 20.0 * flicker[:, None, None] * checker[None]
    np.testing.assert_allclose(magnify(clip, 50.0, value_range=(0, 255)), clip, atol=1e-9)
    # a uniform brightness change lives in the low-pass residual only
    clip = 128.0 + 20.0 * np.repeat(np.repeat(flicker[:, None, None], 64, 1), 48, 2)
    np.testing.assert_allclose(magnify(clip, 50.0, value_range=(0, 255)), clip, atol=1e-9)
    # while a mid-frequency flicker is amplified
    clip = 128.0 + 5.0 * flicker[:, None, None] * np.cos(2 * np.pi * cols / 16.0)[None]
    assert np.abs(magnify(clip, 20.0, value_range=(0, 255)) - clip).max() > 20


def test_output_is_clipped_to_the_valid_range():
    shift = 0.5 * np.sin(2 * np.pi * np.arange(30) / 10.0)
    clip = _grating(shift, 32.0, n=64, amplitude=120.0)  # values 8..248, large motion
    out = magnify(clip, 40.0, value_range=(0, 255))
    assert out.min() == 0 and out.max() == 255
    as_uint8 = magnify(np.rint(clip).astype(np.uint8), 40.0)
    assert as_uint8.dtype == np.uint8 and as_uint8.min() == 0 and as_uint8.max() == 255
    narrow = magnify(clip, 40.0, value_range=(50, 200))
    assert narrow.min() == 50 and narrow.max() == 200


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16])
def test_integer_clips_keep_their_dtype(dtype, rng):
    clip = rng.integers(0, 200, (5, 16, 16)).astype(dtype)
    out = magnify(clip, 10.0)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(magnify(clip, 0.0), clip)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_clips_need_a_value_range(dtype, rng):
    clip = rng.random((5, 16, 16)).astype(dtype)
    with pytest.raises(ValueError, match="value_range"):
        magnify(clip, 10.0)
    out = magnify(clip, 10.0, value_range=(0, 1))
    assert out.dtype == np.float64 and 0 <= out.min() and out.max() <= 1


@pytest.mark.parametrize("kwargs, match", [
    ({"alpha": -1}, "alpha must be >= 0"), ({"alpha": np.nan}, "alpha must be finite"),
    ({"lambda_c": 0}, "lambda_c must be > 0"), ({"r1": 0.05, "r2": 0.4}, "0 < r2 < r1 <= 1"),
    ({"r2": 0.0}, "0 < r2 < r1"), ({"value_range": (1, 0)}, "low < high"), ({"value_range": 5}, "value_range"),
])
def test_bad_parameters_are_named(kwargs, match):
    clip = np.zeros((4, 8, 8), np.uint8)
    with pytest.raises(ValueError, match=match):
        magnify(clip, **{"alpha": 1.0, **kwargs})
    with pytest.raises(TypeError, match="alpha must be a number"):
        magnify(clip, "20")


def test_magnify_clip_keeps_annotations_and_records_the_parameters(rng):
    clip = Clip(rng.integers(0, 256, (8, 24, 24), dtype=np.uint8), onset=1, apex=4, offset=7, name="c1",
                landmarks=np.zeros((68, 2)), meta={"dataset": "x"})
    out = magnify_clip(clip, 20)
    assert (out.onset, out.apex, out.offset, out.name, out.meta["dataset"]) == (1, 4, 7, "c1", "x")
    assert out.landmarks is clip.landmarks and out.frames.dtype == np.uint8
    assert out.meta["magnification"] == {"method": "eulerian-linear", "alpha": 20.0, "lambda_c": 16.0, "r1": 0.4,
                                         "r2": 0.05}
    with pytest.raises(ValueError, match="clip 'c1'"):
        magnify_clip(clip.replace(frames=clip.frames.astype(float)), 20)


# --------------------------------------------------------------------------- the transformer
def test_motion_magnifier_is_the_function_behind_the_estimator_api(rng):
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    clips = [Clip(rng.integers(0, 256, (12, 32, 32), dtype=np.uint8), apex=5, name=str(i)) for i in range(3)]
    step = mefeat.MotionMagnifier(alpha=8.0, n_jobs=2)
    out = step.fit_transform(clips)
    for c, o in zip(clips, out):
        np.testing.assert_array_equal(o.frames, magnify(c.frames, 8.0))
    assert clone(step).get_params() == step.get_params()
    pipe = Pipeline([("magnify", mefeat.MotionMagnifier(alpha=8.0)), ("tim", mefeat.TemporalNormalizer())])
    [short] = pipe.fit_transform(clips[:1])
    assert short.frames.shape == (10, 32, 32) and short.meta["magnification"]["alpha"] == 8.0
    with pytest.raises(ValueError, match="0 < r2 < r1"):
        mefeat.MotionMagnifier(r2=0.5).fit()
    assert mefeat.MotionMagnifier().alpha == 0.0  # off unless asked


def test_motion_magnifier_passes_the_data_free_sklearn_checks():
    from sklearn.utils.estimator_checks import (
        check_do_not_raise_errors_in_init_or_set_params,
        check_get_params_invariance,
        check_mixin_order,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_set_params,
    )

    for check in (check_no_attributes_set_in_init, check_parameters_default_constructible,
                  check_get_params_invariance, check_set_params, check_do_not_raise_errors_in_init_or_set_params,
                  check_mixin_order):
        check("MotionMagnifier", mefeat.MotionMagnifier())


# --------------------------------------------------------------------------- stage, cache keys and preset
def test_the_stage_is_off_by_default_and_leaves_the_settings_as_they_were():
    res = catalogue.resolve(["lbp_top", "bi_woof"])
    assert res.magnify is None and "magnify" not in res.tim and "magnify" not in res.stages
    assert "magnify" not in res.config("lbp_top") and "magnify" not in res.config("bi_woof")
    assert catalogue.resolve(["lbp_top"], {"magnify.alpha": 0}).tim == res.tim
    assert [n for n, _ in catalogue.make_pipeline("lbp_top").steps] == ["face", "tim", "lbp_top"]


def test_the_stage_settings_reach_both_inputs_and_the_configs():
    res = catalogue.resolve(["lbp_top", "bi_woof"], {"magnify.alpha": "20", "magnify.lambda_c": "12"})
    assert res.magnify == {"alpha": 20.0, "lambda_c": 12.0, "r1": 0.4, "r2": 0.05}
    assert res.config("lbp_top")["magnify"] == res.config("bi_woof")["magnify"] == res.magnify
    assert "magnify" not in res.config("lbp_top")["tim"]
    assert [n for n, _ in catalogue.make_pipeline("bi_woof", magnify={"alpha": 20}).steps] == \
        ["face", "magnify", "bi_woof"]
    with pytest.raises(ValueError, match="magnify.r2=0.5: .*0 < r2 < r1"):
        catalogue.resolve(["lbp_top"], {"magnify.r2": 0.5})
    with pytest.raises(ValueError, match="magnify has no parameter 'alpah'.*did you mean 'alpha'"):
        catalogue.resolve(["lbp_top"], {"magnify.alpah": 20})
    with pytest.raises(ValueError, match="preprocessing stage"):
        catalogue.resolve(["magnify=lbp_top"])


def test_magnification_settings_are_part_of_the_prepared_clip_key():
    from mefeat.extraction.keys import Plan

    def key(params):
        res = catalogue.resolve(["lbp_top"], params)
        return Plan(res.face, res.tim, res.flow, (), "source", None, versions={}).prep_key("d", "a")

    off = key({})
    assert key({"magnify.alpha": 0}) == off
    keys = {off, key({"magnify.alpha": 8}), key({"magnify.alpha": 20}), key({"magnify.alpha": 20, "magnify.r1": 0.3}),
            key({"magnify.alpha": 20, "magnify.lambda_c": 8})}
    assert len(keys) == 5
    assert key({"magnify.alpha": 20}) == key({"magnify.alpha": "20.0"})


def test_the_li2018_preset():
    preset = catalogue.get_preset("li2018")
    assert preset.descriptors == ("lbp_top", "hog_top", "higo_top") and "2667642" in preset.reference
    from mefeat.compare import CLASSIFIERS

    assert preset.classifier == "svm-linear" and preset.classifier in CLASSIFIERS
    tables, params = preset.request()
    assert tables == ["lbp_top", "hog_top", "higo_top"] and params == {"magnify.alpha": 20.0}
    assert preset.request("lbp_top", {"magnify.alpha": "8"}) == ("lbp_top", {"magnify.alpha": "8"})
    for name in preset.descriptors:
        pipe = catalogue.make_pipeline(name, preset="li2018")
        assert [n for n, _ in pipe.steps] == ["face", "magnify", "tim", name]
        assert pipe.named_steps["magnify"].alpha == 20.0
    assert catalogue.make_pipeline("lbp_top", preset="li2018", magnify={"alpha": 8}).named_steps["magnify"].alpha == 8
    with pytest.raises(ValueError, match="preset 'li2018' computes lbp_top, hog_top, higo_top, not 'bi_woof'"):
        catalogue.make_pipeline("bi_woof", preset="li2018")
    with pytest.raises(ValueError, match="unknown preset 'li2017'.*did you mean 'li2018'"):
        catalogue.get_preset("li2017")
    assert "li2018" in catalogue.describe() and "--param magnify.alpha=" in catalogue.describe()


def test_li2018_runs_on_the_demo_through_the_cli_and_the_pipeline(tmp_path):
    """Both doors: ``--preset li2018`` and ``make_pipeline(name, preset="li2018")`` give the same numbers."""
    from sklearn.model_selection import GroupKFold, cross_val_score

    from mefeat.compare import make_classifier

    data, out = tmp_path / "demo", tmp_path / "out"
    assert main(["--demo-size", "tiny", "--root", str(data), "--out", str(out), "--preset", "li2018",
                 "--n-jobs", "1", "-q"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["tables"]) == ["higo_top", "hog_top", "lbp_top"]
    assert manifest["stages"]["magnify"]["alpha"] == 20.0
    assert all(info["config"]["magnify"]["alpha"] == 20.0 for info in manifest["tables"].values())
    ds = mefeat.datasets.load_demo(data_dir=data, size="tiny")
    clips = [ds[i] for i in range(len(ds))]
    for name in ("lbp_top", "hog_top"):
        table = mefeat.read_features(out, name)
        magnified = catalogue.make_pipeline(name, preset="li2018").set_output(transform="pandas").fit_transform(clips)
        np.testing.assert_array_equal(table.to_numpy(), magnified.to_numpy())
        assert list(table.index) == list(magnified.index)
        plain = catalogue.make_pipeline(name).fit_transform(clips)
        assert not np.array_equal(plain, magnified.to_numpy())  # the magnification changed the features
    # the whole pipeline, classifier included, trains and predicts
    pipe = catalogue.make_pipeline("lbp_top", preset="li2018",
                                   classifier=make_classifier(catalogue.get_preset("li2018").classifier))
    scores = cross_val_score(pipe, clips, ds.y, groups=ds.groups, cv=GroupKFold(3))
    assert scores.shape == (3,)
    with pytest.raises(SystemExit):
        main(["--preset", "nope", "--out", str(tmp_path / "x")])
