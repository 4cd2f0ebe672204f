"""BiWOOF, MDMO, FDM, OpticalStrain transformers: estimator contract, equivalence, flow caching."""

import pickle

import numpy as np
import numpy.testing as npt
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mefeat
from mefeat import Clip
from mefeat.descriptors import bi_woof, fdm, mdmo
from mefeat.flow import clip_flows, optical_strain
from mefeat.transformers import FDM, MDMO, BiWOOF, OpticalStrain
from tests.flow._data import face_crop, face_landmarks, shifted

ALL = [BiWOOF, MDMO, FDM, OpticalStrain]


def _clip(k, T=5, expression=True):
    img = face_crop()
    frames = []
    for t in range(T):
        f = shifted(img, 0.1 * t * (k + 1), -0.15 * t)
        if expression:  # a local "expression": the mouth region moves up over time
            f[95:115, 40:90] = shifted(img, -0.4 * t, 0.0)[95:115, 40:90]
        frames.append(np.clip(np.rint(f), 0, 255).astype(np.uint8))
    return Clip(np.stack(frames), onset=0, apex=T - 2, name=f"c{k}", subject=f"s{k % 2}",
                landmarks=face_landmarks())


@pytest.fixture(scope="module")
def clips():
    return [_clip(k) for k in range(3)]


def test_transformers_equal_the_functions(clips):
    c = clips[0]
    kw = {"flow_method": "dis"}
    f_apex = clip_flows(c, method="dis")[0]
    f_each = clip_flows(c, mode="onset_each", method="dis")
    npt.assert_array_equal(BiWOOF(**kw).fit_transform([c])[0], bi_woof(f_apex))
    npt.assert_array_equal(BiWOOF(compat=True, grid=(4, 3), **kw).transform([c])[0],
                           bi_woof(f_apex, compat=True, grid=(4, 3)))
    npt.assert_array_equal(MDMO(**kw).transform([c])[0], mdmo(f_each, c.landmarks))
    npt.assert_array_equal(MDMO(align="affine", **kw).transform([c])[0], mdmo(f_each, c.landmarks, align="affine"))
    npt.assert_array_equal(FDM(**kw).transform([c])[0], fdm(f_each))
    f_cons = clip_flows(c, mode="consecutive", method="dis")
    npt.assert_array_equal(FDM(mode="consecutive", grid=(3, 3, 2), **kw).transform([c])[0],
                           fdm(f_cons, grid=(3, 3, 2)))
    s = optical_strain(f_apex)
    out = OpticalStrain(grid=(2, 1), statistics=("max", "mean"), **kw).transform([c])[0]
    npt.assert_allclose(out, [s[:64].max(), s[:64].mean(), s[64:].max(), s[64:].mean()])


def test_flow_params_reach_the_backend(clips):
    a = BiWOOF(flow_method="farneback").transform(clips[:1])
    b = BiWOOF(flow_method="farneback", flow_params={"winsize": 7}).transform(clips[:1])
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("cls", ALL)
def test_shapes_names_parallel_pickle_clone(cls, clips):
    t = cls(flow_method="dis")
    X = t.fit_transform(clips)
    names = t.get_feature_names_out()
    assert X.shape == (3, len(names)) and X.dtype == np.float64 and len(set(names)) == len(names)
    npt.assert_array_equal(cls(flow_method="dis", n_jobs=2).transform(clips), X)  # clips in parallel
    npt.assert_array_equal(cls(flow_method="dis", n_jobs=2).transform(clips[:1]), X[:1])  # pairs in parallel
    npt.assert_array_equal(pickle.loads(pickle.dumps(t)).transform(clips), X)
    assert clone(t).get_params() == t.get_params()


def test_default_backend_is_tvl1_and_dis_runs(clips):
    from mefeat.flow import compute_flow

    small = [Clip(c.frames[:3, 40:88, 40:88], apex=2) for c in clips[:1]]
    for cls in ALL:
        assert cls().flow_method == "tvl1"
    X = BiWOOF(grid=(3, 3)).transform(small)
    npt.assert_array_equal(X, BiWOOF(grid=(3, 3), flow_method="tvl1").transform(small))
    f = small[0].frames
    npt.assert_array_equal(compute_flow(f[0], f[2]), compute_flow(f[0], f[2], method="tvl1"))
    T = BiWOOF(grid=(3, 3), flow_method="dis").transform(small)
    assert X.shape == T.shape == (1, 72) and np.linalg.norm(T) == pytest.approx(1.0)
    assert not np.array_equal(X, T)


def test_pipeline_and_pandas_output(clips):
    pipe = make_pipeline(BiWOOF(flow_method="dis", grid=(2, 2)), StandardScaler())
    assert pipe.fit_transform(clips).shape == (3, 32)
    df = FDM(flow_method="dis", grid=(2, 2, 1)).set_output(transform="pandas").transform(clips)
    assert list(df.columns)[:2] == ["fdm_t0r0c0_x", "fdm_t0r0c0_y"] and len(df) == 3


def test_mdmo_without_landmarks_says_what_to_do(clips):
    bare = clips[0].replace(landmarks=None)
    with pytest.raises(ValueError, match="FaceAligner"):
        MDMO(flow_method="dis").transform([bare])


def test_params_validated_in_fit_not_init(clips):
    bad = [BiWOOF(flow_method="horn"), BiWOOF(flow_params={"lambda": 1}), MDMO(align="rigid"),
           FDM(mode="onset_apex"), FDM(grid=(2, 2)), OpticalStrain(statistics=("median",)),
           OpticalStrain(scheme="sobel"), BiWOOF(n_jobs=0)]
    for t in bad:  # constructing never raises
        with pytest.raises(ValueError):
            t.fit(clips)
    with pytest.raises(TypeError, match="memory"):
        BiWOOF(memory=3).fit(clips)
    with pytest.raises(TypeError, match="statistics"):
        OpticalStrain(statistics="mean").fit(clips)


class _Counter:
    def __init__(self, monkeypatch):
        import mefeat.flow

        self.calls = []
        real = mefeat.flow.clip_flows

        def counted(frames, **kw):
            self.calls.append(kw["mode"])
            return real(frames, **kw)

        monkeypatch.setattr(mefeat.flow, "clip_flows", counted)


def test_memory_shares_one_flow_computation_per_clip(clips, tmp_path, monkeypatch):
    counter = _Counter(monkeypatch)
    kw = {"flow_method": "dis", "memory": str(tmp_path)}
    ref = {cls: cls(flow_method="dis").transform(clips) for cls in ALL}
    counter.calls.clear()
    # onset->apex features share one flow per clip
    npt.assert_array_equal(BiWOOF(**kw).transform(clips), ref[BiWOOF])
    npt.assert_array_equal(OpticalStrain(**kw).transform(clips), ref[OpticalStrain])
    assert counter.calls == ["onset_apex"] * 3
    # onset->each-frame features too (and a joblib.Memory object works like a path)
    from joblib import Memory

    mem = Memory(str(tmp_path), verbose=0)
    npt.assert_array_equal(MDMO(flow_method="dis", memory=mem).transform(clips), ref[MDMO])
    npt.assert_array_equal(FDM(flow_method="dis", memory=mem, n_jobs=2).transform(clips), ref[FDM])
    assert counter.calls == ["onset_apex"] * 3 + ["onset_each"] * 3
    # different flow parameters or frames are different cache entries
    BiWOOF(flow_params={"preset": "fast"}, **kw).transform(clips[:1])
    BiWOOF(**kw).transform([clips[0].replace(frames=clips[0].frames[::-1].copy())])
    assert len(counter.calls) == 8
    # no memory: every transform recomputes
    BiWOOF(flow_method="dis").transform(clips[:1])
    BiWOOF(flow_method="dis").transform(clips[:1])
    assert len(counter.calls) == 10


def test_grouped_cross_validation(clips):
    from sklearn.model_selection import GroupKFold, cross_validate
    from sklearn.svm import LinearSVC

    X = clips + [_clip(k, expression=False) for k in range(3)]
    y = np.array([1, 1, 1, 0, 0, 0])
    groups = np.array([c.subject for c in X])
    pipe = make_pipeline(BiWOOF(flow_method="dis", grid=(3, 3)), LinearSVC())
    res = cross_validate(pipe, X, y, groups=groups, cv=GroupKFold(n_splits=2))
    assert len(res["test_score"]) == 2 and np.all(np.isfinite(res["test_score"]))


def test_flow_cache_key_includes_versions(tmp_path, monkeypatch):
    import mefeat.flow as flow_mod

    rng = np.random.default_rng(1)
    clip = Clip(rng.integers(0, 255, (3, 24, 24), dtype=np.uint8), onset=0, apex=2)
    calls = []

    orig = flow_mod.clip_flows

    def counting(*a, **k):
        calls.append(1)
        return orig(*a, **k)

    monkeypatch.setattr(flow_mod, "clip_flows", counting)
    t = mefeat.OpticalStrain(memory=str(tmp_path), flow_method="dis")
    t.transform([clip])
    t.transform([clip])
    assert len(calls) == 1  # cached
    monkeypatch.setattr(mefeat, "__version__", mefeat.__version__ + ".post1")
    t.transform([clip])
    assert len(calls) == 2  # another mefeat version: recomputed
