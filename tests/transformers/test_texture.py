"""LBPTOP, HOGTOP, HIGOTOP: scikit-learn contract and equality with the descriptor functions."""

import inspect
import pickle

import numpy as np
import numpy.testing as npt
import pytest
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from mefeat import Clip
from mefeat.descriptors._hog_top import higo_top, hog_top
from mefeat.descriptors._lbp_top import lbp_top
from mefeat.transformers import HIGOTOP, HOGTOP, LBPTOP

# (class, function, small non-default parameters)
CASES = [
    (LBPTOP, lbp_top, {"grid": (2, 2, 1), "n_points": (4, 4, 4), "radii": (1, 1, 1)}),
    (HOGTOP, hog_top, {"grid": (2, 2, 2), "orientations": 6}),
    (HIGOTOP, higo_top, {"grid": (2, 1, 1), "signed": True}),
]
IDS = [c[0].__name__ for c in CASES]


@pytest.fixture
def clips(rng):
    return [
        Clip(rng.integers(0, 256, (5, 12, 10), dtype=np.uint8), subject=f"s{i % 4}", name=f"c{i}")
        for i in range(12)
    ]


@pytest.mark.parametrize("cls, func", [(c[0], c[1]) for c in CASES], ids=IDS)
def test_parameters_mirror_the_function(cls, func):
    fparams = inspect.signature(func).parameters
    cparams = inspect.signature(cls.__init__).parameters
    expected = {n: p.default for n, p in fparams.items() if p.kind is p.KEYWORD_ONLY and n != "n_threads"}
    got = {n: p.default for n, p in cparams.items() if n not in ("self", "n_jobs", "verbose")}
    assert got == expected
    assert cparams["n_jobs"].default is None and cparams["verbose"].default is False
    assert all(p.kind is p.KEYWORD_ONLY for n, p in cparams.items() if n != "self")


@pytest.mark.parametrize("cls, func, kw", CASES, ids=IDS)
def test_transform_equals_function_per_sample(clips, cls, func, kw):
    est = cls(**kw)
    X = est.fit_transform(clips)
    expected = np.vstack([func(c.frames, **kw) for c in clips])
    assert X.dtype == np.float64 and X.shape == expected.shape
    npt.assert_array_equal(X, expected)
    # (N, T, H, W) array input gives the same matrix
    npt.assert_array_equal(est.transform(np.stack([c.frames for c in clips])), expected)
    # plain list of (T, H, W) arrays too
    npt.assert_array_equal(est.transform([c.frames for c in clips]), expected)
    names = est.get_feature_names_out()
    assert len(names) == X.shape[1] == len(set(names))


@pytest.mark.parametrize("cls, func, kw", CASES, ids=IDS)
def test_n_jobs_two_equals_one(clips, cls, func, kw):
    one = cls(**kw, n_jobs=1).transform(clips)
    two = cls(**kw, n_jobs=2).transform(clips)
    npt.assert_array_equal(one, two)
    assert cls(n_jobs=2)._check_params()["n_threads"] == 1  # one level of parallelism
    assert cls(n_jobs=None)._check_params()["n_threads"] is None


@pytest.mark.parametrize("cls, func, kw", CASES, ids=IDS)
def test_clone_and_pickle(clips, cls, func, kw):
    est = cls(**kw)
    expected = est.transform(clips[:3])
    c = clone(est)
    assert c is not est and c.get_params() == est.get_params()
    npt.assert_array_equal(c.transform(clips[:3]), expected)
    p = pickle.loads(pickle.dumps(est.fit(clips[:3])))
    npt.assert_array_equal(p.transform(clips[:3]), expected)


def test_feature_names():
    assert LBPTOP().get_feature_names_out()[0] == "lbptop_t0r0c0_xy_u2_000"
    names = HOGTOP(grid=(1, 2, 1)).get_feature_names_out()
    assert names[0] == "hogtop_t0r0c0_xy_b00" and names[8 + 3] == "hogtop_t0r0c0_xt_b03"
    assert names[-1] == "hogtop_t0r0c1_yt_b07"
    assert HIGOTOP(orientations=12).get_feature_names_out()[-1] == "higotop_t0r4c4_yt_b11"  # 5x5 blocks
    assert HIGOTOP(orientations=12, grid=1).get_feature_names_out()[-1] == "higotop_t0r0c0_yt_b11"


@pytest.mark.parametrize("cls, func, kw", CASES, ids=IDS)
def test_set_output_pandas(clips, cls, func, kw):
    pd = pytest.importorskip("pandas")
    est = cls(**kw).set_output(transform="pandas")
    df = est.fit_transform(clips[:2])
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == list(cls(**kw).get_feature_names_out())
    npt.assert_array_equal(df.to_numpy(), cls(**kw).transform(clips[:2]))


@pytest.mark.parametrize(
    "cls, bad, match",
    [
        (LBPTOP, {"radii": (0, 1, 1)}, "radii"),
        (LBPTOP, {"mapping": "u3"}, "mapping"),
        (LBPTOP, {"grid": (1, 1)}, "grid"),
        (LBPTOP, {"n_jobs": 0}, "n_jobs"),
        (HOGTOP, {"orientations": 0}, "orientations"),
        (HOGTOP, {"normalize": "max"}, "normalize"),
        (HOGTOP, {"n_jobs": 1.5}, "n_jobs"),
        (HIGOTOP, {"grid": (1, 0, 1)}, "grid"),
        (HIGOTOP, {"signed": "no"}, "signed"),
    ],
)
def test_bad_params_raise_in_fit_and_transform_not_init(clips, cls, bad, match):
    est = cls(**bad)  # __init__ only assigns
    for call in (lambda: est.fit(clips), lambda: est.transform(clips), est.get_feature_names_out):
        with pytest.raises((ValueError, TypeError), match=match):
            call()
    ok = cls().set_params(**bad)  # set_params does not validate either
    with pytest.raises((ValueError, TypeError), match=match):
        ok.fit(clips)


def test_bad_clip_raises_descriptor_error(rng):
    with pytest.raises(ValueError, match="2 frame"):
        HOGTOP().transform([rng.integers(0, 9, (2, 8, 8))])
    with pytest.raises(ValueError, match="feature matrix"):
        HIGOTOP().transform(np.zeros((3, 4)))


@pytest.mark.parametrize("cls, func, kw", CASES, ids=IDS)
def test_pipeline_and_grouped_cross_validation(rng, cls, func, kw):
    # Two classes that differ by the direction of a moving edge: any of the three texture
    # features separates them; the test is end-to-end plumbing, not accuracy.
    clips, y, groups = [], [], []
    for i in range(16):
        label = i % 2
        frames = rng.integers(0, 40, (5, 12, 12)).astype(np.uint8)
        for t in range(5):
            edge = 3 + t if label else 8 - t
            frames[t, :, edge:] += 150
        clips.append(Clip(frames, subject=f"s{i // 4}"))
        y.append(label)
        groups.append(f"s{i // 4}")
    y = np.array(y)
    for clf in (LinearSVC(), SVC(kernel="linear")):
        pipe = make_pipeline(cls(**kw), StandardScaler(), clf)
        res = cross_validate(pipe, clips, y, groups=groups, cv=GroupKFold(n_splits=4))
        assert res["test_score"].shape == (4,)
        assert np.all(np.isfinite(res["test_score"]))
    X4 = np.stack([c.frames for c in clips])
    pipe = Pipeline([("feat", cls(**kw, n_jobs=2)), ("scale", StandardScaler()), ("svm", LinearSVC())])
    res = cross_validate(pipe, X4, y, groups=groups, cv=GroupKFold(n_splits=2))
    assert res["test_score"].shape == (2,)
    assert pipe.fit(X4, y).predict(X4).shape == (16,)
