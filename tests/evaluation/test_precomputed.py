"""The SVMs fitted on a precomputed kernel matrix give the predictions of the plain SVC pipelines."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC

from mefeat.evaluation import evaluate, protocol
from mefeat.evaluation.comparison import make_classifier


def _both_paths(est, X, y, groups, monkeypatch, **kw):
    """(predictions with the precomputed kernel, predictions of the plain pipeline, whether the kernel was used)."""
    used = []
    real = protocol.kernel_matrices
    with monkeypatch.context() as m:
        m.setattr(protocol, "kernel_matrices", lambda *a: used.append(1) or real(*a))
        fast = evaluate(est, X, y, groups, verbose=False, n_jobs=1, **kw).predictions
    with monkeypatch.context() as m:
        m.setattr(protocol, "kernel_steps", lambda e: None)
        plain = evaluate(est, X, y, groups, verbose=False, n_jobs=1, **kw).predictions
    return fast, plain, bool(used)


def _histograms(seed=0, n_subjects=16, per=6, width=60):
    rng = np.random.default_rng(seed)
    groups = np.repeat([f"s{i:02d}" for i in range(n_subjects)], per)
    y = np.array(["anger", "happiness", "surprise"])[rng.integers(0, 3, len(groups))]
    means = rng.random((3, width))
    X = np.maximum(means[np.searchsorted(["anger", "happiness", "surprise"], y)] + rng.normal(size=(len(y), width))
                   - 0.6, 0.0)
    X[:, 0] = 1.0  # a constant feature: dropped by the pipelines, part of a bare SVC's kernel
    return X, y, groups


@pytest.mark.parametrize("est", [make_classifier("svm-linear"), make_classifier("svm-rbf"),
                                 make_classifier("svm-rbf", scaling="standard"), make_classifier("svm-rbf", C=0.5),
                                 SVC(kernel="rbf", gamma=0.01), SVC(kernel="rbf", gamma="auto"), SVC(kernel="linear"),
                                 make_pipeline(StandardScaler(), SVC(kernel="rbf", class_weight="balanced"))],
                         ids=["linear", "rbf-hellinger", "rbf-standard", "rbf-C0.5", "bare-gamma", "bare-auto",
                              "bare-linear", "make_pipeline"])
def test_precomputed_kernel_gives_the_plain_svc_predictions(est, monkeypatch):
    X, y, groups = _histograms()
    fast, plain, used = _both_paths(est, X, y, groups, monkeypatch, cv="loso")
    assert used
    pd.testing.assert_frame_equal(fast, plain)
    assert fast["y_pred"].nunique() > 1  # a real classifier, not a constant guess that any path would give


def test_what_takes_the_precomputed_path():
    assert protocol.kernel_steps(make_classifier("svm-linear")) is not None
    assert protocol.kernel_steps(make_classifier("svm-rbf")) is not None
    assert protocol.kernel_steps(make_classifier("rf")) is None
    assert protocol.kernel_steps(SVC(kernel="poly")) is None  # not computed here
    assert protocol.kernel_steps(make_pipeline(MinMaxScaler(), SVC())) is None  # a step not known to ignore y
    assert protocol.kernel_steps(RandomForestClassifier()) is None


def test_kernel_matrices_are_those_of_the_formulas():
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(7, 5)), rng.normal(size=(3, 5))
    K_tr, K_te, svc = protocol.kernel_matrices(SVC(kernel="rbf", gamma=0.3), A, B)
    d = ((B[:, None, :] - A[None, :, :]) ** 2).sum(-1)
    np.testing.assert_allclose(K_te, np.exp(-0.3 * d), rtol=1e-12)
    np.testing.assert_allclose(np.diag(K_tr), 1.0, rtol=1e-12)
    assert svc.kernel == "precomputed" and svc.gamma == 0.3
    _, K_te, _ = protocol.kernel_matrices(SVC(kernel="rbf"), A, B)  # gamma="scale": 1 / (n_features * var)
    np.testing.assert_allclose(K_te, np.exp(-d / (5 * A.var())), rtol=1e-12)
    K_tr, K_te, _ = protocol.kernel_matrices(SVC(kernel="linear"), A, B)
    np.testing.assert_allclose(K_te, B @ A.T, rtol=1e-12)


@pytest.mark.slow
def test_precomputed_kernels_are_exact_on_every_table_of_the_full_demo(tmp_path, monkeypatch):
    """Every table of the comparison on the full demo set, DFME 10-fold CV as compare runs it: same predictions."""
    import mefeat
    from mefeat import compare
    from mefeat.datasets import load_demo
    from mefeat.evaluation import comparison, protocol_preset

    out = tmp_path / "demo"
    mefeat.extract_features(load_demo(), compare.comparison_descriptors(), out=out, n_jobs=1, progress=False)
    clips = mefeat.read_clips(out)
    preset = protocol_preset(comparison.default_protocol(clips))
    n_tables = 0
    for table, _ in comparison._tables_in(out):
        X, lab = comparison._labelled(out, table, clips)
        mask = preset.mask(lab)
        sub = lab[mask]
        kw = {**preset.evaluate_kwargs(sub), "groups": sub["group"].to_numpy(dtype=object)}
        for clf in ("svm-linear", "svm-rbf"):
            fast, plain, used = _both_paths(make_classifier(clf), X.to_numpy()[mask], **kw, monkeypatch=monkeypatch)
            assert used
            pd.testing.assert_frame_equal(fast, plain, obj=f"{table} {clf}")
        n_tables += 1
    assert n_tables == len(compare.comparison_descriptors())
