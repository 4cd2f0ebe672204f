"""MER metrics: UF1, UAR and ACC, MEGC-style (pooled over folds), per fold and per class.

Definitions (METHODS §2), for K classes with TP_c, FP_c, FN_c and N_c = TP_c + FN_c:

- UF1 = (1/K) Σ_c 2 TP_c / (2 TP_c + FP_c + FN_c)
- UAR = (1/K) Σ_c TP_c / N_c
- ACC = Σ_c TP_c / Σ_c N_c

**Pooling** (MEGC 2019 guideline, Forman & Scholz 2010): TP, FP and FN are first summed over
all folds per class (equivalently: one confusion matrix of all out-of-fold predictions), then
the per-class scores are averaged. Per-fold UF1 values are never averaged into the headline
number; they are reported separately as mean ± std.

**Absent classes**: a class with no true sample in the evaluated set (N_c = 0) is left out of
the macro averages of UF1 and UAR, as in the SAC2-Net reference (``pong213/SAC2-Net:cal_metrics.py``);
its false positives still count, as false negatives of the true classes. With pooled k-fold
predictions every class is present, so this only matters per fold (and per database).
"""

import numpy as np

__all__ = [
    "confusion_matrix",
    "scores_from_confusion",
    "mer_scores",
    "uf1",
    "uar",
    "accuracy",
    "per_class_table",
    "fold_scores",
]

#: Metric names, in report order.
METRICS = ("uf1", "uar", "acc")


def _labels(y_true, y_pred, labels):
    if labels is not None:
        labels = list(labels)
        if len(set(labels)) != len(labels):
            raise ValueError(f"labels has duplicates: {labels}")
        return labels
    vals = list(dict.fromkeys(list(y_true) + list(y_pred)))
    try:
        return sorted(vals)
    except TypeError:
        return sorted(vals, key=str)


def confusion_matrix(y_true, y_pred, *, labels=None):
    """Confusion matrix, rows = true class, columns = predicted class.

    Parameters
    ----------
    y_true, y_pred : (n_samples,) array-like
    labels : sequence or None
        Class order; default: sorted union of the labels seen.

    Returns
    -------
    cm : (K, K) int64 ndarray
    labels : list, length K

    Raises
    ------
    ValueError
        Length mismatch, or a label outside ``labels``.

    Examples
    --------
    >>> cm, labels = confusion_matrix(["a", "a", "b"], ["a", "b", "b"])
    >>> cm.tolist(), labels
    ([[1, 1], [0, 1]], ['a', 'b'])
    """
    y_true = list(np.asarray(y_true, dtype=object).ravel()) if not isinstance(y_true, list) else y_true
    y_pred = list(np.asarray(y_pred, dtype=object).ravel()) if not isinstance(y_pred, list) else y_pred
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} samples but y_pred has {len(y_pred)}")
    labels = _labels(y_true, y_pred, labels)
    index = {lab: i for i, lab in enumerate(labels)}
    cm = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        if t not in index or p not in index:
            bad = t if t not in index else p
            raise ValueError(f"label {bad!r} is not in labels {labels}")
        cm[index[t], index[p]] += 1
    return cm, labels


def _per_class_counts(cm):
    cm = np.asarray(cm, dtype=np.int64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square (K, K) matrix, got shape {cm.shape}")
    tp = np.diag(cm).astype(np.int64)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    return tp, fp, fn


def scores_from_confusion(cm):
    """UF1, UAR and ACC from a (pooled) confusion matrix.

    Parameters
    ----------
    cm : (K, K) array-like of int
        Rows = true class, columns = predicted class (for pooled results: the sum of the
        per-fold matrices).

    Returns
    -------
    dict
        ``{"uf1": float, "uar": float, "acc": float}``; NaN when ``cm`` is empty.

    Raises
    ------
    ValueError
        When ``cm`` is not square.

    Notes
    -----
    Classes with no true sample (row sum 0) are left out of the UF1 and UAR averages (module
    docstring). With all classes present this equals scikit-learn's
    ``f1_score(average="macro")``, ``balanced_accuracy_score`` and ``accuracy_score``.

    Examples
    --------
    >>> s = scores_from_confusion([[2, 0], [1, 1]])
    >>> round(s["uf1"], 4), round(s["uar"], 4), s["acc"]
    (0.7333, 0.75, 0.75)
    """
    tp, fp, fn = _per_class_counts(cm)
    support = tp + fn
    total = int(support.sum())
    if total == 0:
        return {"uf1": float("nan"), "uar": float("nan"), "acc": float("nan")}
    present = support > 0
    denom = 2 * tp + fp + fn
    f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    recall = np.where(support > 0, tp / np.maximum(support, 1), 0.0)
    return {
        "uf1": float(f1[present].mean()),
        "uar": float(recall[present].mean()),
        "acc": float(tp.sum() / total),
    }


def mer_scores(y_true, y_pred, *, labels=None):
    """UF1, UAR, ACC of a set of predictions (pool the folds first for MEGC-style results).

    Parameters
    ----------
    y_true, y_pred : (n_samples,) array-like
    labels : sequence or None

    Returns
    -------
    dict
        ``{"uf1", "uar", "acc"}`` floats.

    Examples
    --------
    >>> mer_scores([0, 0, 1, 1], [0, 1, 1, 1])["acc"]
    0.75
    """
    cm, _ = confusion_matrix(y_true, y_pred, labels=labels)
    return scores_from_confusion(cm)


def uf1(y_true, y_pred, *, labels=None):
    """Unweighted F1 (macro F1; absent true classes left out). See :func:`scores_from_confusion`."""
    return mer_scores(y_true, y_pred, labels=labels)["uf1"]


def uar(y_true, y_pred, *, labels=None):
    """Unweighted average recall (= balanced accuracy). See :func:`scores_from_confusion`."""
    return mer_scores(y_true, y_pred, labels=labels)["uar"]


def accuracy(y_true, y_pred):
    """Share of correct predictions."""
    return mer_scores(y_true, y_pred)["acc"]


def per_class_table(y_true, y_pred, *, labels=None):
    """Per-class counts and scores of pooled predictions.

    Parameters
    ----------
    y_true, y_pred : (n_samples,) array-like
    labels : sequence or None

    Returns
    -------
    pandas.DataFrame, (K, 7)
        Index = class; columns ``support, tp, fp, fn, precision, recall, f1``
        (precision 0 when the class is never predicted; recall NaN when it has no sample).
    """
    import pandas as pd

    cm, labels = confusion_matrix(y_true, y_pred, labels=labels)
    tp, fp, fn = _per_class_counts(cm)
    support = tp + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0.0)
        recall = np.where(support > 0, tp / np.maximum(support, 1), np.nan)
        denom = 2 * tp + fp + fn
        f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    return pd.DataFrame(
        {"support": support, "tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1},
        index=pd.Index(labels, name="class"),
    )


def fold_scores(y_true, y_pred, folds, *, labels=None):
    """UF1, UAR, ACC of every fold separately.

    Parameters
    ----------
    y_true, y_pred : (n_samples,) array-like
    folds : (n_samples,) array-like of int
        Fold in which each sample was tested.
    labels : sequence or None

    Returns
    -------
    pandas.DataFrame, (n_folds, 5)
        Index = fold; columns ``n_test, n_classes, uf1, uar, acc``. ``n_classes`` is the number
        of classes present in the fold's test part (the macro averages use only those).
    """
    import pandas as pd

    y_true = np.asarray(y_true, dtype=object)
    y_pred = np.asarray(y_pred, dtype=object)
    folds = np.asarray(folds)
    if not (len(y_true) == len(y_pred) == len(folds)):
        raise ValueError(f"y_true, y_pred and folds differ in length: {len(y_true)}, {len(y_pred)}, {len(folds)}")
    labels = _labels(list(y_true), list(y_pred), labels)
    rows = []
    for f in sorted(set(folds.tolist())):
        m = folds == f
        cm, _ = confusion_matrix(list(y_true[m]), list(y_pred[m]), labels=labels)
        s = scores_from_confusion(cm)
        rows.append({"fold": f, "n_test": int(m.sum()), "n_classes": int((cm.sum(axis=1) > 0).sum()), **s})
    return pd.DataFrame(rows).set_index("fold")
