"""Run an estimator under a subject-independent protocol and collect MEGC-style results."""

import sys
import warnings
from dataclasses import dataclass, field

import numpy as np

from mefeat.evaluation import metrics as _metrics
from mefeat.evaluation import splits as _splits

__all__ = ["evaluate", "EvaluationResult"]


@dataclass
class EvaluationResult:
    """Outcome of :func:`evaluate`.

    Attributes
    ----------
    scores : dict
        Pooled ``{"uf1", "uar", "acc"}`` (TP/FP/FN summed over folds, METHODS §2).
    fold_scores : pandas.DataFrame, (n_folds, 5)
        Per-fold ``n_test, n_classes, uf1, uar, acc``.
    per_class : pandas.DataFrame, (K, 7)
        Pooled per-class ``support, tp, fp, fn, precision, recall, f1``.
    confusion : pandas.DataFrame, (K, K)
        Pooled confusion matrix (rows true, columns predicted).
    predictions : pandas.DataFrame, (n_samples, 5+)
        One row per sample (original order): ``y_true, y_pred, fold, group`` (+ ``dataset``).
    folds : dict
        Fold -> sorted test groups (JSON-ready, see :func:`mefeat.evaluation.splits.fold_assignment`).
    labels : list
        Class order of ``confusion`` / ``per_class``.
    best_params : list of dict
        Per fold, the hyper-parameters chosen by the nested search (empty without search).
    cv : str
        ``repr`` of the splitter.
    """

    scores: dict
    fold_scores: object
    per_class: object
    confusion: object
    predictions: object
    folds: dict
    labels: list
    best_params: list = field(default_factory=list)
    cv: str = ""

    @property
    def fold_summary(self):
        """``{"uf1": (mean, std), ...}`` over folds (std with ddof=0)."""
        fs = self.fold_scores
        return {m: (float(np.nanmean(fs[m])), float(np.nanstd(fs[m]))) for m in _metrics.METRICS}

    def scores_by(self, column="dataset"):
        """Pooled scores within each value of a ``predictions`` column (e.g. per database).

        Returns
        -------
        pandas.DataFrame, (n_values, 4)
            Index = value; columns ``n, uf1, uar, acc`` (absent classes left out, METHODS §2).
        """
        import pandas as pd

        if column not in self.predictions:
            raise KeyError(f"predictions has no column {column!r} (columns: {list(self.predictions.columns)})")
        rows = []
        for value, part in self.predictions.groupby(column, sort=True):
            s = _metrics.mer_scores(part["y_true"].tolist(), part["y_pred"].tolist(), labels=self.labels)
            rows.append({column: value, "n": len(part), **s})
        return pd.DataFrame(rows).set_index(column)

    def summary(self):
        """One-line text summary: pooled scores and per-fold mean ± std."""
        fs = self.fold_summary
        return (
            "UF1 {:.4f}  UAR {:.4f}  ACC {:.4f}  (per fold: UF1 {:.4f}±{:.4f}, UAR {:.4f}±{:.4f}, "
            "ACC {:.4f}±{:.4f}; {} folds)".format(
                self.scores["uf1"], self.scores["uar"], self.scores["acc"], *fs["uf1"], *fs["uar"], *fs["acc"],
                len(self.fold_scores))
        )

    def to_dict(self):
        """JSON-ready dict: scores, per-fold summary, fold assignment, confusion, labels, best params."""
        return {
            "scores": dict(self.scores),
            "fold_summary": {k: list(v) for k, v in self.fold_summary.items()},
            "fold_scores": self.fold_scores.reset_index().to_dict(orient="records"),
            "labels": [str(lab) for lab in self.labels],
            "confusion": self.confusion.to_numpy().tolist(),
            "folds": self.folds,
            "best_params": [{k: _jsonable(v) for k, v in p.items()} for p in self.best_params],
            "cv": self.cv,
        }


def _jsonable(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return repr(v)


def _take(X, idx):
    """Rows ``idx`` of an array, DataFrame or list (e.g. of clips)."""
    if hasattr(X, "iloc"):
        return X.iloc[idx]
    if isinstance(X, np.ndarray):
        return X[idx]
    return [X[int(i)] for i in idx]


def _seed_estimator(estimator, random_state):
    """Set every ``*random_state`` parameter that is None to ``random_state`` (determinism)."""
    params = estimator.get_params(deep=True)
    updates = {k: random_state for k, v in params.items()
               if (k == "random_state" or k.endswith("__random_state")) and v is None}
    if updates:
        estimator.set_params(**updates)
    return estimator


def _inner_splitter(groups_train, y_train, random_state, n_inner):
    n_groups = len(set(groups_train.tolist()))
    k = min(n_inner, n_groups)
    if k < 2:
        raise ValueError(f"nested search needs at least 2 training subjects per outer fold, got {n_groups}")
    return _splits.SubjectKFold(n_splits=k, stratify=True, shuffle=True, random_state=random_state)


def _fit_predict_fold(estimator, X, y, groups, train, test, param_grid, random_state, n_inner, scoring):
    from sklearn.base import clone

    est = _seed_estimator(clone(estimator), random_state)
    X_tr, X_te = _take(X, train), _take(X, test)
    y_tr, g_tr = y[train], groups[train]
    best = {}
    if param_grid:
        from sklearn.model_selection import GridSearchCV

        inner = _inner_splitter(g_tr, y_tr, random_state, n_inner)
        search = GridSearchCV(est, param_grid, cv=inner, scoring=scoring, n_jobs=1, refit=True,
                              error_score="raise")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
            search.fit(X_tr, y_tr, groups=g_tr)
        est = search.best_estimator_
        best = dict(search.best_params_)
    else:
        est.fit(X_tr, y_tr)
    return test, np.asarray(est.predict(X_te), dtype=object), best


def evaluate(estimator, X, y, groups, *, cv="dfme-10fold", datasets=None, random_state=0, n_jobs=None,
             param_grid=None, n_inner_splits=5, scoring="f1_macro", labels=None, verbose=True):
    """Cross-validate ``estimator`` with subject-independent folds; pool predictions MEGC-style.

    Parameters
    ----------
    estimator : scikit-learn estimator
        Usually a ``Pipeline`` whose feature steps (scaler, PCA, even the descriptor transformers)
        come before the classifier, so every fold refits them on its training part only.
    X : (n_samples, n_features) array-like or DataFrame, or sequence of clips
        Anything ``estimator`` accepts; rows are taken with ``iloc``/fancy indexing/list indexing.
    y : (n_samples,) array-like
        Class labels.
    groups : (n_samples,) array-like
        Subject of every sample. For ``"megc2019"`` (and with ``datasets``) they are qualified as
        ``"<dataset>/<subject>"`` here; already-qualified labels are kept.
    cv : {"dfme-10fold", "loso", "megc2019", "lodo"} or splitter, default="dfme-10fold"
        Protocol (:mod:`mefeat.evaluation.splits`). ``"lodo"`` needs ``datasets``.
    datasets : (n_samples,) array-like or None
        Database of every sample (for ``"lodo"``, ``"megc2019"`` and the per-database breakdown
        ``result.scores_by("dataset")``).
    random_state : int, default=0
        Seeds the fold assignment and every ``random_state`` parameter of ``estimator`` left at
        None; the same seed gives identical results.
    n_jobs : int or None, default=None
        Folds fitted in parallel (joblib); None = 1.
    param_grid : dict or list of dict or None
        When given, a nested ``GridSearchCV`` over these parameters (names as in
        ``estimator.get_params()``, e.g. ``{"clf__C": [0.1, 1, 10]}``) is run inside every outer
        training part, with subject-grouped stratified inner folds (groups passed through).
    n_inner_splits : int, default=5
        Inner folds (capped at the number of training subjects).
    scoring : str, default="f1_macro"
        Inner-search criterion.
    labels : sequence or None
        Class order of the reports; default sorted labels of ``y``.
    verbose : bool, default=True
        tqdm progress bar on stderr.

    Returns
    -------
    EvaluationResult

    Raises
    ------
    ValueError
        Mismatched lengths, unknown ``cv``, ``"lodo"`` without ``datasets``, or a splitter that
        puts a subject in both parts of a fold.

    Notes
    -----
    Metrics follow METHODS §2: the headline UF1/UAR/ACC come from the pooled confusion matrix;
    per-fold scores are also reported (absent classes left out of a fold's macro averages).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.svm import SVC
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 40); groups = np.tile(np.arange(20), 4)
    >>> X = rng.normal(size=(80, 3)) + y[:, None] * 3
    >>> res = evaluate(make_pipeline(StandardScaler(), SVC()), X, y, groups, cv="dfme-10fold", verbose=False)
    >>> res.scores["uf1"] > 0.9
    True
    """
    y = np.asarray(y)
    if y.dtype == object:  # e.g. a list mixing int and str, or a pandas object column
        y = np.asarray(y.tolist())
    n = len(y)
    if hasattr(X, "shape"):
        n_x = X.shape[0]
    else:
        n_x = len(X)
    if n_x != n:
        raise ValueError(f"X has {n_x} samples but y has {n}")
    groups = _splits._check_groups(groups, n)
    if datasets is not None:
        datasets = _splits._check_groups(datasets, n, name="datasets")
    splitter = _splits.get_splitter(cv, random_state=random_state)
    is_lodo = isinstance(splitter, _splits.LeaveOneDatabaseOut)
    if datasets is not None and not all(_splits.GROUP_SEPARATOR in str(g) for g in groups.tolist()):
        subj = _splits.qualify_groups(groups, datasets)
    else:
        subj = np.asarray([str(g) for g in groups], dtype=object)
    if is_lodo:
        if datasets is None:
            raise ValueError("cv='lodo' needs datasets= (the database of every sample)")
        split_groups = datasets
    else:
        split_groups = subj
    folds = list(splitter.split(np.zeros((n, 1)), y, split_groups))
    for i, (tr, te) in enumerate(folds):
        common = set(subj[tr].tolist()) & set(subj[te].tolist())
        if common:
            raise ValueError(f"fold {i} has subjects in both train and test: {sorted(common)[:5]}")
    assignment = {"splitter": repr(splitter), "n_splits": len(folds),
                  "folds": {str(i): sorted({str(g) for g in split_groups[te].tolist()})
                            for i, (_, te) in enumerate(folds)}}

    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    tasks = (delayed(_fit_predict_fold)(estimator, X, y, subj, tr, te, param_grid, random_state,
                                        n_inner_splits, scoring)
             for tr, te in folds)
    out = Parallel(n_jobs=n_jobs, return_as="generator")(tasks)
    y_pred = np.empty(n, dtype=object)
    fold_of = np.full(n, -1, dtype=np.int64)
    best_params = []
    bar = tqdm(out, total=len(folds), desc=f"{type(splitter).__name__}", file=sys.stderr,
               disable=not verbose, leave=False)
    for i, (te, pred, best) in enumerate(bar):
        if np.any(fold_of[te] >= 0):
            raise ValueError(f"fold {i} tests samples already tested by another fold")
        y_pred[te] = pred
        fold_of[te] = i
        best_params.append(best)
    tested = fold_of >= 0
    if labels is None:
        labels = _metrics._labels(list(y), [], None)
    yt, yp = list(y[tested]), list(y_pred[tested])
    cm, labels = _metrics.confusion_matrix(yt, yp, labels=labels)
    import pandas as pd

    preds = pd.DataFrame({"y_true": y, "y_pred": y_pred, "fold": fold_of, "group": subj})
    if datasets is not None:
        preds["dataset"] = datasets
    preds = preds[tested]
    return EvaluationResult(
        scores=_metrics.scores_from_confusion(cm),
        fold_scores=_metrics.fold_scores(yt, yp, fold_of[tested], labels=labels),
        per_class=_metrics.per_class_table(yt, yp, labels=labels),
        confusion=pd.DataFrame(cm, index=pd.Index(labels, name="true"), columns=pd.Index(labels, name="pred")),
        predictions=preds,
        folds=assignment,
        labels=list(labels),
        best_params=best_params if param_grid else [],
        cv=repr(splitter),
    )
