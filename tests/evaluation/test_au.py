"""AU detection and the emotion–AU association table on hand-made tables."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from mefeat.evaluation import au_matrix, emotion_au_table, evaluate_aus, top_aus_table


def _table():
    return pd.DataFrame({
        "emotion": ["happiness", "happiness", "happiness", "happiness", "surprise", "surprise", None],
        "aus": [frozenset({6, 12}), frozenset({12}), frozenset({12, 24}), frozenset(),
                frozenset({1, 2, 5}), frozenset({1, 2}), frozenset({4})],
    })


def test_emotion_au_table_hand_computed():
    share = emotion_au_table(_table())
    assert share.index.tolist() == ["happiness", "surprise"]  # None emotion dropped
    assert share.columns.tolist() == [1, 2, 5, 6, 12, 24]  # AU4 only on the dropped row
    np.testing.assert_allclose(share.loc["happiness"].to_numpy(), [0, 0, 0, .25, .75, .25])
    np.testing.assert_allclose(share.loc["surprise"].to_numpy(), [1, 1, .5, 0, 0, 0])
    assert share.attrs["n"] == {"happiness": 4, "surprise": 2}
    top = top_aus_table(share, k=2)
    assert top.iloc[0].tolist() == ["happiness (4)", "AU12 .75, AU6 .25"]
    assert top.iloc[1].tolist() == ["surprise (2)", "AU1 1.00, AU2 1.00"]


def test_emotion_au_table_errors_and_heatmap(tmp_path):
    with pytest.raises(KeyError, match="no column 'aus'"):
        emotion_au_table(pd.DataFrame({"emotion": ["a"]}))
    from mefeat.evaluation import plot_emotion_au_heatmap

    path = plot_emotion_au_heatmap(emotion_au_table(_table()), tmp_path / "h.png")
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_au_matrix():
    Y, cols = au_matrix([frozenset({4}), {1, 4}, []], au_list=[4, 1, 9])
    assert cols == [4, 1, 9]
    assert Y.astype(int).tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 0]]


def test_evaluate_aus_detects_signal_and_skips_rare():
    rng = np.random.default_rng(0)
    n_sub, per = 20, 6
    groups = np.repeat(np.arange(n_sub), per)
    n = len(groups)
    has4 = rng.random(n) < 0.4
    has12 = rng.random(n) < 0.3
    has9 = np.zeros(n, bool)
    has9[:3] = True  # 3 positives: below threshold
    aus = [frozenset(a for a, h in ((4, h4), (12, h12), (9, h9)) if h) for h4, h12, h9 in zip(has4, has12, has9)]
    X = np.column_stack([has4 * 3.0, has12 * 3.0, rng.normal(size=(n, 3))]) + rng.normal(size=(n, 5)) * 0.5
    res = evaluate_aus(LogisticRegression(), X, aus, groups, min_positives=5, verbose=False)
    assert set(res.table.index) == {4, 12}
    assert 9 in res.skipped and "3 positives < min_positives=5" in res.skipped[9]
    assert (res.table["f1"] > 0.8).all()
    assert res.mean_f1 == pytest.approx(res.table["f1"].mean())
    # counts consistent with the pooled predictions
    for a in (4, 12):
        t = np.array([a in s for s in aus])
        p = res.predictions[a].to_numpy()
        assert res.table.loc[a, "tp"] == int((t & p).sum())
        assert res.table.loc[a, "n_pos"] == int(t.sum())
    # a pure-noise AU gives low F1
    noise = [s | {17} if r else s for s, r in zip(aus, rng.random(n) < 0.3)]
    res2 = evaluate_aus(LogisticRegression(class_weight="balanced"), X[:, 2:], noise, groups, au_list=[17],
                        verbose=False)
    assert res2.table.loc[17, "uar"] < 0.65


def test_evaluate_aus_errors():
    with pytest.raises(ValueError, match="aus has 2 entries but X has 3"):
        evaluate_aus(LogisticRegression(), np.zeros((3, 1)), [{1}, {2}], [0, 1, 2], verbose=False)
    with pytest.raises(ValueError, match="min_positives must be >= 1"):
        evaluate_aus(LogisticRegression(), np.zeros((3, 1)), [{1}, {2}, {1}], [0, 1, 2], min_positives=0,
                     verbose=False)


def _exact_check(X, aus, groups, stratify, monkeypatch):
    """AU predictions with the shared precomputed kernel and with one pipeline per AU, and the kernel path's use."""
    from mefeat.evaluation import au as A
    from mefeat.evaluation import comparison

    est = comparison.make_classifier("svm-linear")
    assert A._kernel_steps(est) is not None  # the comparison's AU classifier takes the kernel path
    kw = dict(min_positives=3, stratify_by=stratify, random_state=0, n_jobs=1, verbose=False)
    shared = A.evaluate_aus(est, X, aus, groups, **kw)
    with monkeypatch.context() as m:
        m.setattr(A, "_kernel_steps", lambda e: None)
        per_au = A.evaluate_aus(est, X, aus, groups, **kw)
    return shared, per_au


def test_shared_kernel_gives_the_per_au_pipelines_predictions(monkeypatch):
    rng = np.random.default_rng(3)
    n, subjects = 120, np.repeat(np.arange(12), 10)
    Y = rng.random((n, 4)) < [0.5, 0.3, 0.1, 0.05]
    X = np.c_[Y * 1.5 + rng.normal(size=(n, 4)), np.abs(rng.normal(size=(n, 30)))]
    aus = [frozenset(int(a) for a in np.flatnonzero(r) + 1) for r in Y]
    emotions = np.where(Y[:, 0], "happiness", "surprise").astype(object)
    shared, per_au = _exact_check(X, aus, subjects, emotions, monkeypatch)
    assert len(shared.table) >= 3
    pd.testing.assert_frame_equal(shared.predictions, per_au.predictions)
    pd.testing.assert_frame_equal(shared.table, per_au.table)


@pytest.mark.slow
def test_shared_kernel_is_exact_on_every_table_of_the_full_demo(tmp_path, monkeypatch):
    import mefeat
    from mefeat import compare
    from mefeat.datasets import load_demo
    from mefeat.evaluation import comparison

    out = tmp_path / "demo"
    mefeat.extract_features(load_demo(), compare.comparison_descriptors(), out=out, n_jobs=1, progress=False)
    clips = mefeat.read_clips(out)
    for table, _ in comparison._tables_in(out):
        X, lab = comparison._labelled(out, table, clips)
        shared, per_au = _exact_check(X, list(lab["aus"]), lab["group"].to_numpy(dtype=object),
                                      lab["emotion"].to_numpy(dtype=object), monkeypatch)
        pd.testing.assert_frame_equal(shared.predictions, per_au.predictions, obj=table)


def test_balanced_lda_is_the_formula_and_uses_the_ledoit_wolf_shrinkage():
    from sklearn.covariance import ledoit_wolf_shrinkage

    from mefeat.evaluation.au import BalancedLDA

    rng = np.random.default_rng(0)
    for n, d in ((40, 6), (12, 30)):  # the primal (d <= n) and the Woodbury (d > n) solve
        X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d))
        y = np.r_[np.ones(n // 4, bool), np.zeros(n - n // 4, bool)]
        X[y] += 0.7
        m = BalancedLDA().fit(X, y)
        s = ledoit_wolf_shrinkage(X)
        assert m.shrinkage_ == pytest.approx(s, rel=1e-9)
        S = np.cov(X, rowvar=False, bias=True)
        sigma = (1 - s) * S + s * np.trace(S) / d * np.eye(d)
        mp, mn = X[y].mean(0), X[~y].mean(0)
        w = np.linalg.solve(sigma, mp - mn)
        np.testing.assert_allclose(m.coef_[0], w, rtol=1e-7)
        np.testing.assert_allclose(m.threshold_[0], w @ (mp + mn) / 2, rtol=1e-7)
        np.testing.assert_array_equal(m.predict(X), X @ w > w @ (mp + mn) / 2)


def test_balanced_lda_weighs_both_classes_alike_and_fits_columns_independently():
    from mefeat.evaluation.au import BalancedLDA

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 5))
    y = X[:, 0] + 0.5 * rng.normal(size=300) > 1.6  # ~7 % positives
    p = BalancedLDA().fit(X, y).predict(X)
    assert 0.7 < p[y].mean() and p[~y].mean() < 0.3  # recall of the rare class is not sacrificed
    Y = np.c_[y, X[:, 1] > 0, np.zeros(300, bool)].astype(int)  # the last column has one class: constant 0
    joint = BalancedLDA().fit(X, Y).predict(X)
    for j in range(2):
        np.testing.assert_array_equal(joint[:, j], BalancedLDA().fit(X, Y[:, j]).predict(X))
    assert not joint[:, 2].any()
    assert BalancedLDA().fit(X, np.where(y, "AU4", "none")).predict(X[:3]).dtype.kind == "U"
    with pytest.raises(ValueError, match="shrinkage"):
        BalancedLDA(shrinkage=2).fit(X, y)
    with pytest.raises(ValueError, match="binary"):
        BalancedLDA().fit(X, np.arange(300) % 3)


def test_joint_au_fit_gives_the_per_au_fits(monkeypatch):
    from mefeat.evaluation import au as A
    from mefeat.evaluation import comparison

    rng = np.random.default_rng(3)
    n, subjects = 120, np.repeat(np.arange(12), 10)
    Y = rng.random((n, 4)) < [0.5, 0.3, 0.1, 0.05]
    X = np.c_[Y * 1.5 + rng.normal(size=(n, 4)), np.abs(rng.normal(size=(n, 30)))]
    aus = [frozenset(int(a) for a in np.flatnonzero(r) + 1) for r in Y]
    est = comparison.make_au_classifier("lda")
    assert A._joint_steps(est)
    kw = dict(min_positives=3, random_state=0, n_jobs=1, verbose=False)
    joint = A.evaluate_aus(est, X, aus, subjects, **kw)
    with monkeypatch.context() as m:
        m.setattr(A, "_joint_steps", lambda e: False)
        per_au = A.evaluate_aus(est, X, aus, subjects, **kw)
    pd.testing.assert_frame_equal(joint.predictions, per_au.predictions)
    assert joint.table["f1"].iloc[0] > 0.6  # AU1 is in the features
