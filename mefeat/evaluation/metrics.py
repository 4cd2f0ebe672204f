"""MER metrics: UF1, UAR and ACC, MEGC-style (pooled over folds), per fold and per class.

For K classes with TP_c, FP_c, FN_c and N_c = TP_c + FN_c (the number of true samples of c):

- UF1 = (1/K) Σ_c 2 TP_c / (2 TP_c + FP_c + FN_c)   (macro F1)
- UAR = (1/K) Σ_c TP_c / N_c                         (macro recall, balanced accuracy)
- ACC = Σ_c TP_c / Σ_c N_c

The three are thin wrappers over scikit-learn: ``f1_score(average="macro", zero_division=0)``,
``recall_score(average="macro", zero_division=0)`` and ``accuracy_score``, called with
``labels=`` set to the classes present in ``y_true``. A class that is never predicted
therefore still counts (its F1 and recall are 0), as does every wrong prediction.

**Pooling** (MEGC 2019 guideline, Forman & Scholz 2010): TP, FP and FN are first summed over
all folds per class, which is the same as computing the scores on the concatenated
out-of-fold predictions of all folds (one confusion matrix); then the per-class scores are
averaged. Per-fold UF1 values are never averaged into the headline number; they are reported
separately as mean ± std.

**Absent classes**: a class with no true sample in the evaluated set (N_c = 0) is left out of
the macro averages of UF1 and UAR, as in the SAC2-Net reference (``pong213/SAC2-Net:cal_metrics.py``);
its false positives still count, as false negatives of the true classes. With pooled k-fold
predictions every class is present, so this only matters per fold and per database.
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


def _as_list(y):
    if isinstance(y, list):
        return y
    return np.asarray(y, dtype=object).ravel().tolist()


def _encode(y_true, y_pred, labels):
    """Integer codes of ``y_true`` and ``y_pred`` in the order of ``labels`` (any hashable labels).

    scikit-learn's metrics need labels of one type; coding them first lets mixed or object
    labels through unchanged and keeps the class order of ``labels``.
    """
    y_true, y_pred = _as_list(y_true), _as_list(y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} samples but y_pred has {len(y_pred)}")
    labels = _labels(y_true, y_pred, labels)
    index = {lab: i for i, lab in enumerate(labels)}
    try:
        t = np.fromiter((index[v] for v in y_true), dtype=np.intp, count=len(y_true))
        p = np.fromiter((index[v] for v in y_pred), dtype=np.intp, count=len(y_pred))
    except KeyError as exc:
        raise ValueError(f"label {exc.args[0]!r} is not in labels {labels}") from None
    return t, p, labels


def _present(t):
    return np.unique(t).tolist()


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

    Notes
    -----
    ``sklearn.metrics.confusion_matrix`` on the class codes (any hashable labels work).

    Examples
    --------
    >>> cm, labels = confusion_matrix(["a", "a", "b"], ["a", "b", "b"])
    >>> cm.tolist(), labels
    ([[1, 1], [0, 1]], ['a', 'b'])
    """
    from sklearn.metrics import confusion_matrix as _sk_confusion

    t, p, labels = _encode(y_true, y_pred, labels)
    k = len(labels)
    if k == 0:
        return np.zeros((0, 0), dtype=np.int64), labels
    if len(t) == 0:
        return np.zeros((k, k), dtype=np.int64), labels
    return _sk_confusion(t, p, labels=np.arange(k)).astype(np.int64), labels


def _per_class_counts(cm):
    cm = np.asarray(cm, dtype=np.int64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square (K, K) matrix, got shape {cm.shape}")
    tp = np.diag(cm).astype(np.int64)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    return tp, fp, fn


def _scores_from_codes(t, p, sample_weight=None):
    from sklearn.metrics import accuracy_score, f1_score, recall_score

    present = _present(t) if sample_weight is None else np.unique(t[sample_weight > 0]).tolist()
    if not present:
        return {"uf1": float("nan"), "uar": float("nan"), "acc": float("nan")}
    kw = {"labels": present, "average": "macro", "zero_division": 0, "sample_weight": sample_weight}
    return {
        "uf1": float(f1_score(t, p, **kw)),
        "uar": float(recall_score(t, p, **kw)),
        "acc": float(accuracy_score(t, p, sample_weight=sample_weight)),
    }


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
    The matrix is turned back into (true, predicted) pairs weighted by the cell counts and
    passed to the same scikit-learn calls as :func:`mer_scores`, so both always agree.
    Classes with no true sample (row sum 0) are left out of the UF1 and UAR averages (module
    docstring).

    Examples
    --------
    >>> s = scores_from_confusion([[2, 0], [1, 1]])
    >>> round(s["uf1"], 4), round(s["uar"], 4), s["acc"]
    (0.7333, 0.75, 0.75)
    """
    cm = np.asarray(cm, dtype=np.int64)
    _per_class_counts(cm)  # shape check
    if cm.sum() == 0:
        return {"uf1": float("nan"), "uar": float("nan"), "acc": float("nan")}
    k = cm.shape[0]
    t, p = np.divmod(np.arange(k * k), k)
    w = cm.ravel()
    keep = w > 0
    return _scores_from_codes(t[keep], p[keep], w[keep].astype(np.float64))


def mer_scores(y_true, y_pred, *, labels=None):
    """UF1, UAR, ACC of a set of predictions (pool the folds first for MEGC-style results).

    Parameters
    ----------
    y_true, y_pred : (n_samples,) array-like
    labels : sequence or None
        Class order; default sorted union of the labels seen. Classes of ``labels`` without a
        true sample are left out of the UF1/UAR averages; a label outside ``labels`` raises.

    Returns
    -------
    dict
        ``{"uf1", "uar", "acc"}`` floats (NaN when there is no sample).

    Examples
    --------
    >>> mer_scores([0, 0, 1, 1], [0, 1, 1, 1])["acc"]
    0.75
    """
    t, p, _ = _encode(y_true, y_pred, labels)
    return _scores_from_codes(t, p)


def uf1(y_true, y_pred, *, labels=None):
    """Unweighted F1: ``sklearn.metrics.f1_score(average="macro")`` over the true classes.

    Parameters
    ----------
    y_true, y_pred : (n_samples,) array-like
        Pooled predictions (all folds concatenated).
    labels : sequence or None
        As in :func:`mer_scores`.

    Returns
    -------
    float

    Examples
    --------
    >>> round(uf1(["a", "a", "b", "b"], ["a", "a", "a", "b"]), 4)  # F1: 0.8 and 0.6667
    0.7333
    """
    t, p, _ = _encode(y_true, y_pred, labels)
    return _scores_from_codes(t, p)["uf1"]


def uar(y_true, y_pred, *, labels=None):
    """Unweighted average recall: ``sklearn.metrics.recall_score(average="macro")`` (= balanced accuracy).

    Parameters
    ----------
    y_true, y_pred : (n_samples,) array-like
    labels : sequence or None
        As in :func:`mer_scores`.

    Returns
    -------
    float

    Examples
    --------
    >>> uar(["a", "a", "b", "b"], ["a", "a", "a", "b"])  # recall: 1.0 and 0.5
    0.75
    """
    t, p, _ = _encode(y_true, y_pred, labels)
    return _scores_from_codes(t, p)["uar"]


def accuracy(y_true, y_pred):
    """Share of correct predictions: ``sklearn.metrics.accuracy_score``.

    Examples
    --------
    >>> accuracy([1, 2, 3, 4], [1, 2, 0, 0])
    0.5
    """
    t, p, _ = _encode(y_true, y_pred, None)
    return _scores_from_codes(t, p)["acc"]


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
