import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from mefeat import Clip
from mefeat.transformers._base import ClipFeatureTransformer, ClipToClipTransformer, as_clip_list


class MeanStd(ClipFeatureTransformer):
    """Toy transformer: per-frame means and the clip std."""

    def __init__(self, *, scale=1.0, n_jobs=None):
        self.scale = scale
        self.n_jobs = n_jobs

    def _check_params(self):
        if not self.scale > 0:
            raise ValueError(f"scale must be > 0, got {self.scale}")
        return {"scale": float(self.scale)}

    def _transform_one(self, clip, params):
        f = clip.frames.astype(float) * params["scale"]
        return np.array([f.mean(), f.std()])

    def _feature_names(self, params):
        return ["mean", "std"]


class Flip(ClipToClipTransformer):
    def __init__(self, *, n_jobs=None):
        self.n_jobs = n_jobs

    def _check_params(self):
        return {}

    def _transform_one(self, clip, params):
        return clip.replace(frames=clip.frames[:, :, ::-1])


@pytest.fixture
def clips(rng):
    return [Clip(rng.integers(0, 255, (4, 6, 5), dtype=np.uint8), name=f"c{i}") for i in range(5)]


def test_transform_matches_manual_and_parallel(clips):
    t = MeanStd(scale=2.0)
    X = t.fit(clips).transform(clips)
    assert X.shape == (5, 2) and X.dtype == np.float64
    np.testing.assert_allclose(X[2], [clips[2].frames.mean() * 2, clips[2].frames.std() * 2])
    np.testing.assert_array_equal(MeanStd(scale=2.0, n_jobs=2).transform(clips), X)


def test_array_inputs(clips):
    stack = np.stack([c.frames for c in clips])
    t = MeanStd()
    np.testing.assert_array_equal(t.transform(stack), t.transform(list(stack)))
    np.testing.assert_array_equal(t.transform(stack), t.transform(clips))


@pytest.mark.parametrize(
    "X, exc, match",
    [
        ([], ValueError, "empty"),
        (np.zeros((3, 4)), ValueError, "feature matrix"),
        (np.zeros((3, 4, 4)), ValueError, r"single \(T, H, W\) clip"),
        ("abc", TypeError, "string"),
        (5, TypeError, "sequence of clips"),
        ([np.zeros((4, 4))], ValueError, "sample 0"),
    ],
)
def test_bad_sample_containers(X, exc, match):
    with pytest.raises(exc, match=match):
        MeanStd().transform(X)


def test_single_clip_is_refused(clips):
    with pytest.raises(TypeError, match=r"\[clip\]"):
        as_clip_list(clips[0])


def test_params_validated_in_fit_not_init(clips):
    t = MeanStd(scale=-1)  # no error here
    with pytest.raises(ValueError, match="scale must be > 0"):
        t.fit(clips)
    with pytest.raises(ValueError, match="scale must be > 0"):
        t.transform(clips)


def test_estimator_contract():
    for check in (
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_get_params_invariance,
        check_set_params,
    ):
        check("MeanStd", MeanStd())
    tags = MeanStd().__sklearn_tags__()
    assert tags.requires_fit is False and tags.input_tags.three_d_array and not tags.input_tags.two_d_array


def test_clone_pickle_names_and_pandas_output(clips):
    t = MeanStd(scale=3.0)
    assert clone(t).get_params() == t.get_params()
    t2 = pickle.loads(pickle.dumps(t))
    np.testing.assert_array_equal(t2.transform(clips), t.transform(clips))
    assert list(t.get_feature_names_out()) == ["mean", "std"]
    df = MeanStd().set_output(transform="pandas").transform(clips)
    assert list(df.columns) == ["mean", "std"] and len(df) == 5


def test_clip_to_clip(clips):
    out = Flip(n_jobs=2).fit_transform(clips)
    assert isinstance(out, list) and all(isinstance(c, Clip) for c in out)
    np.testing.assert_array_equal(out[1].frames, clips[1].frames[:, :, ::-1])
    assert out[1].name == "c1"
