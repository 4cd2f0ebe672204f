"""Metrics against hand-computed confusion matrices and scikit-learn on pooled predictions."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from mefeat.evaluation.metrics import (
    accuracy,
    confusion_matrix,
    fold_scores,
    mer_scores,
    per_class_table,
    scores_from_confusion,
    uar,
    uf1,
)


def test_hand_computed_3class():
    # rows true (neg, pos, sur), columns predicted
    cm = np.array([[5, 2, 1],
                   [1, 3, 0],
                   [2, 0, 4]])
    # TP = 5, 3, 4 ; FP = col - diag = 3, 2, 1 ; FN = row - diag = 3, 1, 2
    f1 = [10 / (10 + 3 + 3), 6 / (6 + 2 + 1), 8 / (8 + 1 + 2)]
    rec = [5 / 8, 3 / 4, 4 / 6]
    s = scores_from_confusion(cm)
    assert s["uf1"] == pytest.approx(np.mean(f1), abs=1e-15)
    assert s["uar"] == pytest.approx(np.mean(rec), abs=1e-15)
    assert s["acc"] == pytest.approx(12 / 18, abs=1e-15)


def test_confusion_matrix_by_hand():
    cm, labels = confusion_matrix(["b", "a", "c", "a"], ["a", "a", "c", "b"])
    assert labels == ["a", "b", "c"]
    assert cm.tolist() == [[1, 1, 0], [1, 0, 0], [0, 0, 1]]
    cm, labels = confusion_matrix([1, 2], [2, 2], labels=[2, 1, 0])
    assert cm.tolist() == [[1, 0, 0], [1, 0, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match="label 'z' is not in labels"):
        confusion_matrix(["z"], ["a"], labels=["a"])
    with pytest.raises(ValueError, match="3 samples but y_pred has 2"):
        confusion_matrix([1, 2, 3], [1, 2])


@pytest.mark.parametrize("seed", range(20))
def test_pooled_agrees_with_sklearn(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 8))
    n = int(rng.integers(k * 3, 300))
    y = rng.integers(0, k, size=n)
    y[:k] = np.arange(k)  # every class present
    pred = np.where(rng.random(n) < 0.5, y, rng.integers(0, k, size=n))
    s = mer_scores(y, pred)
    assert s["uf1"] == pytest.approx(f1_score(y, pred, average="macro", zero_division=0), abs=1e-12)
    assert s["uar"] == pytest.approx(balanced_accuracy_score(y, pred), abs=1e-12)
    assert s["acc"] == pytest.approx(accuracy_score(y, pred), abs=1e-12)
    assert uf1(y, pred) == s["uf1"] and uar(y, pred) == s["uar"] and accuracy(y, pred) == s["acc"]


def test_pooling_sums_counts_not_fold_scores():
    # two folds; pooled UF1 differs from the mean of per-fold UF1
    y1, p1 = [0, 0, 0, 1], [0, 0, 0, 0]
    y2, p2 = [0, 1, 1, 1], [1, 1, 1, 1]
    y, p, f = y1 + y2, p1 + p2, [0] * 4 + [1] * 4
    pooled = mer_scores(y, p)
    # pooled cm: true0 -> [3,1], true1 -> [1,3]: F1 = 6/8 each
    assert pooled["uf1"] == pytest.approx(0.75)
    per_fold = fold_scores(y, p, f)
    # fold 0: F1_0 = 6/7, F1_1 = 0 ; fold 1: F1_0 = 0, F1_1 = 6/7
    np.testing.assert_allclose(per_fold["uf1"], [3 / 7, 3 / 7])
    assert per_fold["uf1"].mean() != pytest.approx(pooled["uf1"])


def test_absent_class_left_out_of_fold_average():
    # class 2 has no true sample in this fold, but is predicted once
    y = [0, 0, 1, 1]
    p = [0, 2, 1, 1]
    s = mer_scores(y, p, labels=[0, 1, 2])
    f1_0, f1_1 = 2 / (2 + 0 + 1), 4 / 4
    assert s["uf1"] == pytest.approx((f1_0 + f1_1) / 2)  # not /3
    assert s["uar"] == pytest.approx((0.5 + 1.0) / 2)
    assert s["acc"] == pytest.approx(0.75)
    # sklearn's macro F1 over the given labels counts the absent class as 0 -> differs
    assert f1_score(y, p, labels=[0, 1, 2], average="macro", zero_division=0) == pytest.approx((f1_0 + f1_1) / 3)
    fs = fold_scores(y, p, [0, 0, 0, 0], labels=[0, 1, 2])
    assert fs.loc[0, "n_classes"] == 2
    assert fs.loc[0, "uf1"] == pytest.approx(s["uf1"])


def test_empty_and_bad_confusion():
    assert np.isnan(scores_from_confusion(np.zeros((3, 3)))["uf1"])
    with pytest.raises(ValueError, match="square"):
        scores_from_confusion(np.zeros((2, 3)))


def test_per_class_table():
    t = per_class_table(["a", "a", "b", "c"], ["a", "b", "b", "b"], labels=["a", "b", "c"])
    assert t["support"].tolist() == [2, 1, 1]
    assert t["tp"].tolist() == [1, 1, 0]
    assert t["fp"].tolist() == [0, 2, 0]
    assert t["fn"].tolist() == [1, 0, 1]
    np.testing.assert_allclose(t["precision"], [1, 1 / 3, 0])
    np.testing.assert_allclose(t["recall"], [0.5, 1, 0])
    np.testing.assert_allclose(t["f1"], [2 / 3, 0.5, 0])
    assert t["f1"].mean() == pytest.approx(uf1(["a", "a", "b", "c"], ["a", "b", "b", "b"]))


# ---------------------------------------------------------------- wrappers == hand computation
def _hand_scores(y_true, y_pred, labels):
    """UF1/UAR/ACC written out from TP/FP/FN per class (absent true classes left out of the means)."""
    f1, rec = [], []
    for c in labels:
        tp = sum(t == c and p == c for t, p in zip(y_true, y_pred))
        fp = sum(t != c and p == c for t, p in zip(y_true, y_pred))
        fn = sum(t == c and p != c for t, p in zip(y_true, y_pred))
        if tp + fn == 0:
            continue
        f1.append(2 * tp / (2 * tp + fp + fn))
        rec.append(tp / (tp + fn))
    acc = sum(t == p for t, p in zip(y_true, y_pred)) / len(y_true)
    return {"uf1": sum(f1) / len(f1), "uar": sum(rec) / len(rec), "acc": acc}


@pytest.mark.parametrize("seed", range(15))
def test_wrappers_equal_hand_computation(seed):
    rng = np.random.default_rng(1000 + seed)
    k = int(rng.integers(2, 8))
    labels = [f"class{i}" for i in range(k)]
    n = int(rng.integers(5, 120))
    y = [labels[i] for i in rng.integers(0, k, size=n)]
    # a few predictions never hit some classes, some predict a class that has no true sample
    p = [labels[i] for i in rng.integers(0, max(1, k - 1), size=n)]
    hand = _hand_scores(y, p, labels)
    s = mer_scores(y, p, labels=labels)
    for m in ("uf1", "uar", "acc"):
        assert s[m] == pytest.approx(hand[m], abs=1e-12)
    assert uf1(y, p, labels=labels) == pytest.approx(hand["uf1"], abs=1e-12)
    assert uar(y, p, labels=labels) == pytest.approx(hand["uar"], abs=1e-12)
    assert accuracy(y, p) == pytest.approx(hand["acc"], abs=1e-12)
    cm, _ = confusion_matrix(y, p, labels=labels)
    s_cm = scores_from_confusion(cm)
    for m in ("uf1", "uar", "acc"):
        assert s_cm[m] == pytest.approx(hand[m], abs=1e-12)


def test_never_predicted_class_counts_as_zero():
    # class "c" has true samples but is never predicted: its F1 and recall are 0 and still averaged
    y = ["a", "a", "b", "b", "c", "c"]
    p = ["a", "a", "b", "b", "a", "b"]
    f1_a, f1_b = 4 / (4 + 1), 4 / (4 + 1)
    assert uf1(y, p) == pytest.approx((f1_a + f1_b + 0) / 3)
    assert uar(y, p) == pytest.approx((1 + 1 + 0) / 3)
    # the same when the caller passes the label order explicitly
    assert uf1(y, p, labels=["c", "b", "a"]) == pytest.approx((f1_a + f1_b) / 3)


def test_wrappers_call_sklearn_on_present_classes():
    from sklearn.metrics import recall_score

    y = [0, 0, 1, 1, 1]
    p = [0, 2, 1, 1, 0]
    s = mer_scores(y, p, labels=[0, 1, 2])
    assert s["uf1"] == f1_score(y, p, labels=[0, 1], average="macro", zero_division=0)
    assert s["uar"] == recall_score(y, p, labels=[0, 1], average="macro", zero_division=0)
    assert s["acc"] == accuracy_score(y, p)


def test_mixed_and_object_labels():
    y = np.array([1, "x", 1, "x"], dtype=object)
    p = np.array([1, 1, 1, "x"], dtype=object)
    s = mer_scores(y, p)
    hand = _hand_scores(list(y), list(p), [1, "x"])
    assert s == pytest.approx(hand)
    with pytest.raises(ValueError, match="label 'z' is not in labels"):
        mer_scores(["a"], ["z"], labels=["a"])
    assert np.isnan(mer_scores([], [])["uf1"])


def test_pooled_scores_equal_sum_of_fold_confusions():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, size=200)
    p = np.where(rng.random(200) < 0.6, y, rng.integers(0, 4, size=200))
    folds = rng.integers(0, 5, size=200)
    summed = sum(confusion_matrix(y[folds == f], p[folds == f], labels=[0, 1, 2, 3])[0] for f in range(5))
    assert scores_from_confusion(summed) == pytest.approx(mer_scores(y, p))
