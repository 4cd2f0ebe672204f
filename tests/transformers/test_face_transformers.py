"""FaceAligner and TemporalNormalizer: the sklearn contract (data-free checks), clone/pickle, Pipeline."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer

from mefeat import Clip, FaceAligner, TemporalNormalizer
from mefeat.face import align_clip
from mefeat.temporal import normalize_clip


@pytest.fixture(scope="module")
def face_clips():
    import cv2
    from skimage import data

    g = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    g = cv2.resize(g[:320, 60:380], (240, 240), interpolation=cv2.INTER_AREA)  # keep the tests quick
    rng = np.random.default_rng(0)
    clips = []
    for i in range(3):
        frames = np.stack([np.roll(g, (i, k), axis=(0, 1)) for k in range(5)])
        frames = np.clip(frames + rng.normal(0, 1, frames.shape), 0, 255).astype(np.uint8)
        clips.append(Clip(frames, onset=1, apex=3, offset=4, name=f"c{i}", subject=f"s{i}"))
    return clips


def test_face_aligner_matches_function_and_threads(face_clips):
    est = FaceAligner(size=64, margin=0.15)
    out = est.fit(face_clips).transform(face_clips)
    assert [c.name for c in out] == ["c0", "c1", "c2"] and all(c.frames.shape == (5, 64, 64) for c in out)
    ref = align_clip(face_clips[1], size=64, margin=0.15)
    np.testing.assert_array_equal(out[1].frames, ref.frames)
    assert out[1].meta["alignment"]["reference_index"] == 1  # onset
    par = FaceAligner(size=64, margin=0.15, n_jobs=2).transform(face_clips)
    for a, b in zip(out, par):
        np.testing.assert_array_equal(a.frames, b.frames)


def test_temporal_normalizer_matches_function(face_clips):
    out = TemporalNormalizer(n_frames=8, method="linear", dtype=np.uint8).fit_transform(face_clips)
    ref = normalize_clip(face_clips[0], 8, "linear", dtype=np.uint8)
    np.testing.assert_array_equal(out[0].frames, ref.frames)
    assert (out[0].onset, out[0].apex, out[0].offset) == (2, 5, 7)  # round(i * 7 / 4)
    out = TemporalNormalizer(n_frames=3, dtype=None, n_jobs=2).transform(face_clips)
    assert out[2].frames.dtype == np.float64 and out[2].n_frames == 3


def test_clone_pickle_pipeline(face_clips):
    pipe = make_pipeline(
        FaceAligner(size=48),
        TemporalNormalizer(n_frames=4),
        FunctionTransformer(lambda clips: np.array([c.frames.reshape(4, -1).mean(1) for c in clips])),
    )
    X = pipe.fit_transform(face_clips)
    assert X.shape == (3, 4)
    est = FaceAligner(size=48, per_frame=True)
    assert clone(est).get_params() == est.get_params()
    est2 = pickle.loads(pickle.dumps(est))
    assert est2.get_params() == est.get_params()
    tn = pickle.loads(pickle.dumps(TemporalNormalizer(n_frames=4)))
    expected = TemporalNormalizer(n_frames=4).transform(face_clips)[0].frames
    np.testing.assert_array_equal(tn.transform(face_clips)[0].frames, expected)
    p2 = clone(Pipeline([("align", FaceAligner(size=48)), ("tim", TemporalNormalizer(n_frames=4))]))
    p2.set_params(tim__n_frames=6)
    assert p2.fit_transform(face_clips)[0].n_frames == 6


@pytest.mark.parametrize(
    "est, exc, match",
    [
        (FaceAligner(size=4), ValueError, "size"),
        (FaceAligner(margin=0.7), ValueError, "margin"),
        (FaceAligner(reference="middle"), ValueError, "reference"),
        (FaceAligner(per_frame="yes"), TypeError, "per_frame"),
        (FaceAligner(upsample=9), ValueError, "upsample"),
        (FaceAligner(n_jobs=0), ValueError, "n_jobs"),
        (TemporalNormalizer(n_frames=1), ValueError, "n_frames"),
        (TemporalNormalizer(method="cubic"), ValueError, "method"),
        (TemporalNormalizer(dtype="bool"), TypeError, "dtype"),
    ],
)
def test_params_validated_in_fit(est, exc, match, face_clips):
    with pytest.raises(exc, match=match):
        est.fit(face_clips)


def test_temporal_normalizer_keeps_integer_dtype_by_default(rng):
    frames = rng.integers(0, 256, (12, 9, 9)).astype(np.uint8)
    clips = [Clip(frames, onset=0, apex=6, offset=11)]
    out = TemporalNormalizer(n_frames=5).transform(clips)[0]
    assert out.frames.dtype == np.uint8
    np.testing.assert_array_equal(out.frames, normalize_clip(clips[0], 5, dtype=np.uint8).frames)
    float_out = TemporalNormalizer(n_frames=5).transform([Clip(frames.astype(np.float32), onset=0)])[0]
    assert float_out.frames.dtype == np.float64
    np.testing.assert_array_equal(float_out.frames, normalize_clip(clips[0], 5).frames)
    assert TemporalNormalizer(n_frames=5, dtype=None).transform(clips)[0].frames.dtype == np.float64
