"""Run an estimator under a subject-independent protocol and collect MEGC-style results."""

import sys
import warnings
from dataclasses import dataclass, field

import numpy as np

from mefeat._io import jsonable
from mefeat.evaluation import metrics as _metrics
from mefeat.evaluation import splits as _splits

__all__ = ["evaluate", "EvaluationResult", "SingleClassWarning"]


class SingleClassWarning(UserWarning):
    """A classifier predicted one class for every tested sample of a run (or of a test set).

    Issued by :func:`mefeat.evaluation.evaluate` (and, naming the table, by ``python -m
    mefeat.compare``). Its scores are those of a constant guess (UAR = 1 / number of classes),
    whatever the features hold: usually a classifier setting that does not fit the table.
    """


@dataclass
class EvaluationResult:
    """Outcome of :func:`evaluate`.

    Attributes
    ----------
    scores : dict
        Pooled ``{"uf1", "uar", "acc"}`` (TP/FP/FN summed over the folds, i.e. computed on
        all out-of-fold predictions at once). For ``cv="dfme-split"`` these pool test A and
        test B and are given for completeness only: the protocol's results are
        ``parts["testA"]`` and ``parts["testB"]``.
    fold_scores : pandas.DataFrame, (n_folds, 5)
        Per-fold ``n_test, n_classes, uf1, uar, acc``.
    per_class : pandas.DataFrame, (K, 7)
        Pooled per-class ``support, tp, fp, fn, precision, recall, f1``.
    confusion : pandas.DataFrame, (K, K)
        Pooled confusion matrix (rows true, columns predicted).
    predictions : pandas.DataFrame, (n_samples, 4+)
        One row per tested sample (original order): ``y_true, y_pred, fold, group``
        (+ ``dataset`` when ``datasets`` was given, + ``split`` for ``"dfme-split"``).
    folds : dict
        Fold -> sorted test groups (JSON-ready, see :func:`mefeat.evaluation.splits.fold_assignment`).
    labels : list
        Class order of ``confusion`` / ``per_class``.
    best_params : list of dict
        Per fold, the hyper-parameters chosen by the nested search (empty without search).
    cv : str
        ``repr`` of the splitter.
    protocol : str or None
        The protocol name when ``cv`` was given as one (``"dfme-10fold"``, ``"megc2019"`` ...).
    part_by : str or None
        The ``predictions`` column that defines ``parts``: ``"split"`` for ``"dfme-split"``,
        ``"dataset"`` when the samples come from more than one database, else None.
    parts : dict of str -> EvaluationResult
        One result per part (test set, or database of a composite), each with its own
        scores, per-fold scores, per-class table and confusion matrix, computed on that
        part's out-of-fold predictions of this run (the MEGC 2019 per-database report).
    leak_audit : pandas.DataFrame or None
        :func:`mefeat.evaluation.stats.leak_audit` of the folds: one row per (fold, key, value)
        on both the training and the test side (``key`` ``"subject"`` or one of ``leak_keys``);
        empty when nothing leaks (a shared subject is refused by :func:`evaluate`).
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
    protocol: object = None
    part_by: object = None
    parts: dict = field(default_factory=dict)
    leak_audit: object = None

    @property
    def collapsed(self):
        """True when every tested sample got the same predicted class while the true ones differ.

        Judged on the pooled out-of-fold predictions (a single fold may rightly predict one class,
        e.g. a LOSO fold of one clip). For ``cv="dfme-split"``, True when a test set is collapsed.
        """
        if self.part_by == "split" and self.parts:
            return any(p.collapsed for p in self.parts.values())
        p = self.predictions
        return len(p) > 0 and p["y_pred"].nunique() == 1 and p["y_true"].nunique() > 1

    @property
    def fold_summary(self):
        """``{"uf1": (mean, std), ...}`` over folds (std with ddof=0)."""
        fs = self.fold_scores
        if len(fs) == 0:
            return {m: (float("nan"), float("nan")) for m in _metrics.METRICS}
        return {m: (float(np.nanmean(fs[m])), float(np.nanstd(fs[m]))) for m in _metrics.METRICS}

    def scores_by(self, column="dataset"):
        """Pooled scores within each value of a ``predictions`` column (e.g. per database).

        Returns
        -------
        pandas.DataFrame, (n_values, 4)
            Index = value; columns ``n, uf1, uar, acc`` (classes without a true sample in a
            part are left out of its averages).
        """
        import pandas as pd

        if column not in self.predictions:
            raise KeyError(f"predictions has no column {column!r} (columns: {list(self.predictions.columns)})")
        rows = []
        for value, part in self.predictions.groupby(column, sort=True):
            s = _metrics.mer_scores(part["y_true"].tolist(), part["y_pred"].tolist(), labels=self.labels)
            rows.append({column: value, "n": len(part), **s})
        return pd.DataFrame(rows).set_index(column)

    def part_scores(self):
        """The per-part report: UF1/UAR/ACC of the whole run and of each part.

        Returns
        -------
        pandas.DataFrame, (n_rows, 6)
            Index ``part``; columns ``n, uf1, uar, acc, uf1_std, uar_std`` (std over the
            folds that test the part). Rows: ``"full"`` (the whole run) then one row per part
            (``smic, casme2, samm`` for MEGC 2019, in that order). For ``"dfme-split"`` only the two
            test sets ``testA, testB`` (they are never pooled into one number). A run on one
            database of a composite (MEGC 2019 on CASME II alone) has only that database's row:
            it is not the composite.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.dummy import DummyClassifier
        >>> y = np.tile([0, 1], 8); subjects = np.repeat(np.arange(8), 2)
        >>> dbs = np.repeat(["smic", "samm"], 8)
        >>> res = evaluate(DummyClassifier(), np.zeros((16, 1)), y, subjects, cv="megc2019",
        ...                datasets=dbs, verbose=False)
        >>> res.part_scores().index.tolist()
        ['full', 'smic', 'samm']
        """
        import pandas as pd

        def row(name, r):
            fs = r.fold_summary
            return {"part": name, "n": len(r.predictions), **r.scores, "uf1_std": fs["uf1"][1],
                    "uar_std": fs["uar"][1]}

        single = self.part_by == "dataset" and len(self.parts) == 1
        rows = [] if self.part_by == "split" or single else [row("full", self)]
        rows += [row(k, v) for k, v in self.parts.items()]
        return pd.DataFrame(rows, columns=["part", "n", "uf1", "uar", "acc", "uf1_std", "uar_std"]).set_index("part")

    def summary(self):
        """One-line text summary: pooled scores and per-fold mean ± std (per test set for the DFME split)."""
        if self.part_by == "split":
            return "; ".join(
                "{}: UF1 {:.4f}  UAR {:.4f}  ACC {:.4f}  ({} clips)".format(
                    k, v.scores["uf1"], v.scores["uar"], v.scores["acc"], len(v.predictions))
                for k, v in self.parts.items())
        fs = self.fold_summary
        return (
            "UF1 {:.4f}  UAR {:.4f}  ACC {:.4f}  (per fold: UF1 {:.4f}±{:.4f}, UAR {:.4f}±{:.4f}, "
            "ACC {:.4f}±{:.4f}; {} folds)".format(
                self.scores["uf1"], self.scores["uar"], self.scores["acc"], *fs["uf1"], *fs["uar"], *fs["acc"],
                len(self.fold_scores))
        )

    def statistics(self, **kwargs):
        """Bootstrap interval and chance level of every part (:func:`mefeat.evaluation.stats.result_statistics`)."""
        from mefeat.evaluation.stats import result_statistics

        return result_statistics(self, **kwargs)

    def subject_scores(self):
        """One row per test subject (:func:`mefeat.evaluation.stats.subject_scores` of the pooled predictions)."""
        from mefeat.evaluation.stats import subject_scores

        p = self.predictions
        return subject_scores(p["y_true"].to_numpy(dtype=object), p["y_pred"].to_numpy(dtype=object), p["group"],
                              labels=self.labels)

    def to_dict(self):
        """JSON-ready dict: scores, per-fold summary, fold assignment, confusion, labels, best params, parts."""
        out = {
            "scores": dict(self.scores),
            "fold_summary": {k: list(v) for k, v in self.fold_summary.items()},
            "fold_scores": self.fold_scores.reset_index().to_dict(orient="records"),
            "labels": [str(lab) for lab in self.labels],
            "confusion": self.confusion.to_numpy().tolist(),
            "folds": self.folds,
            "best_params": [{k: jsonable(v) for k, v in p.items()} for p in self.best_params],
            "cv": self.cv,
            "protocol": self.protocol,
        }
        if self.leak_audit is not None:
            a = self.leak_audit
            out["leak_audit"] = {"n_leaks": len(a),
                                 "leaks": [{k: jsonable(v) for k, v in r.items()} for r in a.to_dict("records")]}
        if self.parts:
            out["part_by"] = self.part_by
            out["parts"] = {str(k): {"scores": dict(v.scores), "n": len(v.predictions),
                                     "confusion": v.confusion.to_numpy().tolist()}
                            for k, v in self.parts.items()}
        return out


def progress_bar():
    """The tqdm class for progress bars: the notebook widget where it works, else the text bar.

    ``tqdm.auto`` warns ("IProgress not found") in a Jupyter kernel without ipywidgets; there the
    plain text bar is used instead, silently.
    """
    import importlib.util

    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm


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
    elif kernel_steps(est) is not None:  # the same SVM, its kernel matrix computed once with BLAS
        K_tr, K_te, svc = kernel_matrices(est, X_tr, X_te)
        svc.fit(K_tr, y_tr)
        return test, np.asarray(svc.predict(K_te), dtype=object), best
    else:
        est.fit(X_tr, y_tr)
    return test, np.asarray(est.predict(X_te), dtype=object), best


#: Steps that ignore the labels: a pipeline of these before an SVC gives the SVC training features that do not
#: depend on the labels, so its kernel matrix can be computed beforehand (and shared by every label vector).
_UNSUPERVISED = ("VarianceThreshold", "StandardScaler", "HistogramScaler")
#: SVC kernels computed here with BLAS and handed to libsvm as ``kernel="precomputed"``.
PRECOMPUTED_KERNELS = ("linear", "rbf")


def kernel_steps(estimator):
    """(preprocessing steps, SVC) when ``estimator`` can be fitted on a precomputed kernel, else None.

    That is a :class:`~sklearn.svm.SVC` with a kernel of :data:`PRECOMPUTED_KERNELS`, alone or at
    the end of a Pipeline whose other steps do not read the labels (constant-feature removal,
    standardisation, :class:`mefeat.evaluation.comparison.HistogramScaler`).
    """
    steps = getattr(estimator, "steps", None)
    if steps is None:
        steps = [("clf", estimator)]
    last = steps[-1][1]
    if type(last).__name__ != "SVC" or getattr(last, "kernel", None) not in PRECOMPUTED_KERNELS:
        return None
    if not all(type(s).__name__ in _UNSUPERVISED for _, s in steps[:-1]):
        return None
    return steps[:-1], last


def _rbf(A, B, sq_b, gamma):
    """``exp(-gamma * |a - b|^2)`` of every row pair, in one (n_A, n_B) array (written in place)."""
    K = A @ B.T
    K *= -2.0
    K += (A * A).sum(axis=1)[:, None]
    K += sq_b[None, :]
    np.maximum(K, 0.0, out=K)
    K *= -gamma
    return np.exp(K, out=K)


def kernel_matrices(estimator, X_train, X_test):
    """Fit the preprocessing of ``estimator`` and compute its SVC's kernel: (K_train, K_test, unfitted SVC).

    Parameters
    ----------
    estimator : SVC or Pipeline
        Accepted by :func:`kernel_steps` (not fitted; it is not changed).
    X_train : (n_train, n_features) array-like
    X_test : (n_test, n_features) array-like

    Returns
    -------
    K_train : (n_train, n_train) float64 ndarray
    K_test : (n_test, n_train) float64 ndarray
    svc : SVC
        A new SVC with the estimator's parameters and ``kernel="precomputed"``: ``svc.fit(K_train,
        y).predict(K_test)`` solves the same problem as ``estimator.fit(X_train, y).predict(X_test)``.

    Notes
    -----
    libsvm evaluates a kernel value from two feature rows every time its solver needs it (again
    and again on wide tables: 213 s for one DFME-sized fold of LBP-TOP, 4,425 features); the
    whole matrix from one BLAS product takes a few seconds and libsvm then only looks values up.
    The numbers are those of libsvm up to floating-point rounding (the order of the sums
    differs), so predictions are the same except for a test clip exactly on a decision boundary;
    ``gamma="scale"`` is resolved as scikit-learn does (``1 / (n_features * Z.var())`` on the
    preprocessed training features, 1 when they are constant).
    """
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    pre, svc = kernel_steps(estimator)
    Z_tr, Z_te = X_train, X_test
    if pre:
        prep = Pipeline([(n, clone(s)) for n, s in pre])
        Z_tr, Z_te = prep.fit_transform(X_train), prep.transform(X_test)
    Z_tr = np.ascontiguousarray(Z_tr, dtype=np.float64)
    Z_te = np.ascontiguousarray(Z_te, dtype=np.float64)
    if svc.kernel == "linear":
        K_tr, K_te = Z_tr @ Z_tr.T, Z_te @ Z_tr.T
    else:
        gamma = svc.gamma
        if gamma == "scale":
            var = Z_tr.var()
            gamma = 1.0 / (Z_tr.shape[1] * var) if var != 0 else 1.0
        elif gamma == "auto":
            gamma = 1.0 / Z_tr.shape[1]
        sq = (Z_tr * Z_tr).sum(axis=1)
        K_tr, K_te = _rbf(Z_tr, Z_tr, sq, float(gamma)), _rbf(Z_te, Z_tr, sq, float(gamma))
    return K_tr, K_te, type(svc)(**{**svc.get_params(), "kernel": "precomputed"})


def _fit_predict_fold_keyed(key, estimator, X, y, groups, train, test, param_grid, random_state, n_inner, scoring):
    """:func:`_fit_predict_fold` for joblib.Memory: ``X`` is not hashed, ``key`` (its bytes' sha256) stands for it."""
    return _fit_predict_fold(estimator, X, y, groups, train, test, param_grid, random_state, n_inner, scoring)


def data_key(X):
    """A cache key of a feature array: sha256 of its dtype, shape and bytes, plus the library versions.

    Two tables get the same key only when they hold the same numbers; the versions of mefeat,
    scikit-learn and NumPy are part of the key, so an upgrade never reuses a fit.
    """
    import hashlib

    import sklearn

    from mefeat import __version__

    a = np.ascontiguousarray(np.asarray(X))
    h = hashlib.sha256(f"{a.dtype.str}{a.shape}|mefeat {__version__}|sklearn {sklearn.__version__}|"
                       f"numpy {np.__version__}".encode())
    h.update(memoryview(a).cast("B"))
    return h.hexdigest()


def _memory(cache):
    """A joblib.Memory from a folder, a Memory, or None (no caching)."""
    if cache is None:
        return None
    from joblib import Memory

    return cache if isinstance(cache, Memory) else Memory(str(cache), verbose=0)


def _result(preds, labels, assignment, best_params, cv, protocol=None):
    """An EvaluationResult from the tested rows of ``preds`` (y_true, y_pred, fold, group, ...)."""
    import pandas as pd

    yt, yp = preds["y_true"].tolist(), preds["y_pred"].tolist()
    cm, labels = _metrics.confusion_matrix(yt, yp, labels=labels)
    return EvaluationResult(
        scores=_metrics.scores_from_confusion(cm),
        fold_scores=_metrics.fold_scores(yt, yp, preds["fold"].to_numpy(), labels=labels),
        per_class=_metrics.per_class_table(yt, yp, labels=labels),
        confusion=pd.DataFrame(cm, index=pd.Index(labels, name="true"), columns=pd.Index(labels, name="pred")),
        predictions=preds,
        folds=assignment,
        labels=list(labels),
        best_params=best_params,
        cv=cv,
        protocol=protocol,
    )


def evaluate(estimator, X, y, groups, *, cv="dfme-10fold", datasets=None, split=None, random_state=0,
             n_jobs=None, param_grid=None, n_inner_splits=5, scoring="f1_macro", labels=None, leak_keys=None,
             cache=None, verbose=True):
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
        Subject of every sample. With ``datasets`` they are qualified as ``"<dataset>/<subject>"``
        here; already-qualified labels are kept. ``"megc2019"`` without ``datasets`` needs
        already-qualified labels (``"casme2/sub01"``) and reads the database from them.
    cv : {"dfme-10fold", "dfme-split", "loso", "megc2019", "lodo"} or splitter, default="dfme-10fold"
        Protocol (:mod:`mefeat.evaluation.splits`). ``"dfme-split"`` is the official split of
        the DFME release (train on ``train``, test on ``testA`` and on ``testB``) and needs
        ``split``; ``"lodo"`` needs ``datasets``.
    datasets : (n_samples,) array-like or None
        Database of every sample (for ``"lodo"``, ``"megc2019"`` and the per-database report
        ``result.parts`` / ``result.part_scores()``). Under ``"megc2019"`` every database is a
        part, even when there is only one (MEGC 2019 on CASME II alone reports the CASME II part).
    split : (n_samples,) array-like of str or None
        For ``cv="dfme-split"``: ``"train"``, ``"testA"`` or ``"testB"`` per sample, e.g.
        ``split=table["split"]``. Ignored (must be None) for the other protocols.
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
    leak_keys : dict of str -> (n_samples,) array-like, or None
        More keys that must not cross a fold, audited like the subjects
        (:func:`mefeat.evaluation.stats.leak_audit`), e.g. the person and recording event of
        SMIC HS/VIS/NIR clips; leaks of these keys are reported in ``result.leak_audit``.
    cache : str, path-like, joblib.Memory or None
        Cache every fold's predictions in this folder (``joblib.Memory``), keyed by the bytes
        of ``X`` (:func:`data_key`), the estimator and its parameters, the labels, subjects,
        training and test indices and the search settings: a second call with the same
        inputs fits nothing, and any change of the data or settings fits anew. Only for an
        array (or DataFrame) ``X``.
    verbose : bool, default=True
        tqdm progress bar on stderr.

    Returns
    -------
    EvaluationResult
        With ``parts`` per test set (``"dfme-split"``) or per database (samples of more than
        one database).

    Raises
    ------
    ValueError
        Mismatched lengths, unknown ``cv``, ``"lodo"`` without ``datasets``, ``"megc2019"``
        without ``datasets`` and with subjects that are not dataset-qualified, ``"dfme-split"``
        without ``split`` or with an empty test set, a subject in both the training part and
        a test part, or ``split`` given for another protocol.

    Warns
    -----
    SingleClassWarning
        The estimator predicted one class for every tested sample (pooled over the folds; per
        test set for ``"dfme-split"``) while the true classes differ: see
        :attr:`EvaluationResult.collapsed`.

    Notes
    -----
    The headline UF1/UAR/ACC come from the pooled confusion matrix (TP/FP/FN summed over the
    folds); per-fold scores are also reported (classes absent from a fold's test part are
    left out of its macro averages). Folds with the same training part (the two test sets of
    ``"dfme-split"``) share one fitted model.

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

    The official DFME split reports each test set on its own:

    >>> split = np.where(groups < 12, "train", np.where(groups < 16, "testA", "testB"))
    >>> res = evaluate(make_pipeline(StandardScaler(), SVC()), X, y, groups, cv="dfme-split",
    ...                split=split, verbose=False)
    >>> sorted(res.parts), res.part_scores().index.tolist()
    (['testA', 'testB'], ['testA', 'testB'])
    >>> int(res.parts["testA"].confusion.to_numpy().sum())
    16
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
    elif _is_megc2019(cv):
        sep = _splits.GROUP_SEPARATOR
        bad = [g for g in groups.tolist() if sep not in str(g)]
        if bad:
            raise ValueError(f"cv='megc2019' needs datasets= (the database of every sample) or subjects "
                             f"qualified as '<dataset>{sep}<subject>' (e.g. 'casme2{sep}sub01'); got subject "
                             f"{bad[0]!r}")
        datasets = np.asarray([str(g).split(sep, 1)[0] for g in groups.tolist()], dtype=object)
    if datasets is not None and not all(_splits.GROUP_SEPARATOR in str(g) for g in groups.tolist()):
        subj = _splits.qualify_groups(groups, datasets)
    else:
        subj = np.asarray([str(g) for g in groups], dtype=object)
    if isinstance(cv, str):
        from mefeat.evaluation.labels import protocol_slug

        protocol = protocol_slug(cv) or cv.lower()
    else:
        protocol = None
    is_split = protocol == "dfme-split" or isinstance(cv, _splits.DFMEOfficialSplit)
    if is_split:
        if isinstance(cv, _splits.DFMEOfficialSplit):
            if split is not None:
                raise ValueError("pass the split labels either to DFMEOfficialSplit or as split=, not both")
            split = cv.split_labels
        split = _splits.check_dfme_split(split, n, groups=subj)
        splitter = _splits.DFMEOfficialSplit(split)
    else:
        if split is not None:
            raise ValueError(f"split= is only used by cv='dfme-split' (got cv={cv!r}); drop it or use "
                             f"cv='dfme-split'")
        splitter = _splits.get_splitter(protocol if protocol in _splits.CV_NAMES else cv, random_state=random_state)
    is_lodo = isinstance(splitter, _splits.LeaveOneDatabaseOut)
    if is_lodo:
        if datasets is None:
            raise ValueError("cv='lodo' needs datasets= (the database of every sample)")
        split_groups = datasets
    else:
        split_groups = subj
    folds = list(splitter.split(np.zeros((n, 1)), y, split_groups))
    from mefeat.evaluation.stats import leak_audit

    audit = leak_audit(folds, subj, extra=leak_keys)
    shared = audit[audit["key"] == "subject"]
    if len(shared):
        i = int(shared["fold"].iloc[0])
        common = sorted(str(v) for v in shared.loc[shared["fold"] == i, "value"])
        raise ValueError(f"fold {i} has subjects in both train and test: {common[:5]}")
    assignment = {"splitter": repr(splitter), "n_splits": len(folds),
                  "folds": {str(i): sorted({str(g) for g in split_groups[te].tolist()})
                            for i, (_, te) in enumerate(folds)}}

    # folds that share a training part share one fit (the two DFME test sets)
    jobs = {}
    for i, (tr, _) in enumerate(folds):
        key = np.asarray(tr, dtype=np.intp).tobytes()
        jobs.setdefault(key, (tr, []))[1].append(i)
    from joblib import Parallel, delayed

    tqdm = progress_bar()

    job_list = list(jobs.values())
    memory = _memory(cache)
    if memory is None:
        fit = _fit_predict_fold
    else:
        if not hasattr(X, "shape"):
            raise ValueError("cache= needs X as an array or DataFrame (its bytes are the cache key)")
        key = data_key(X.to_numpy() if hasattr(X, "to_numpy") else X)
        cached = memory.cache(_fit_predict_fold_keyed, ignore=["X"])

        def fit(*args):
            return cached(key, *args)
    tasks = (delayed(fit)(estimator, X, y, subj, tr, np.concatenate([folds[i][1] for i in ids]),
                          param_grid, random_state, n_inner_splits, scoring)
             for tr, ids in job_list)
    out = Parallel(n_jobs=n_jobs, return_as="generator")(tasks)
    y_pred = np.empty(n, dtype=object)
    fold_of = np.full(n, -1, dtype=np.int64)
    best_params = [None] * len(folds)
    bar = tqdm(out, total=len(job_list), desc=f"{type(splitter).__name__}", file=sys.stderr,
               disable=not verbose, leave=False)
    for (_, ids), (_, pred, best) in zip(job_list, bar):
        start = 0
        for i in ids:
            te = folds[i][1]
            if np.any(fold_of[te] >= 0):
                raise ValueError(f"fold {i} tests samples already tested by another fold")
            y_pred[te] = pred[start:start + len(te)]
            fold_of[te] = i
            best_params[i] = best
            start += len(te)
    tested = fold_of >= 0
    if labels is None:
        labels = _metrics._labels(list(y), [], None)
    import pandas as pd

    preds = pd.DataFrame({"y_true": y, "y_pred": y_pred, "fold": fold_of, "group": subj})
    if datasets is not None:
        preds["dataset"] = datasets
    part_by = None
    if is_split:
        preds["split"] = split
        part_by = "split"
    elif datasets is not None and (len(set(datasets.tolist())) > 1
                                   or isinstance(splitter, _splits.MEGC2019LOSO)):
        part_by = "dataset"
    preds = preds[tested]
    best_params = best_params if param_grid else []
    result = _result(preds, labels, assignment, best_params, repr(splitter), protocol)
    result.leak_audit = audit
    if part_by is not None:
        result.part_by = part_by
        if part_by == "split":
            values = list(_splits.DFME_SPLITS[1:])
        else:  # databases in the paper's order (SMIC, CASME II, SAMM), unknown ones after
            from mefeat.evaluation.labels import order_key

            values = sorted(_splits._unique_in_order(preds[part_by].to_numpy(dtype=object)),
                            key=lambda v: order_key("part", v))
        for value in values:
            sub = preds[(preds[part_by] == value).to_numpy()]
            used = sorted(set(sub["fold"].tolist()))
            sub_assignment = {"splitter": assignment["splitter"], "n_splits": len(used),
                              "folds": {str(i): assignment["folds"][str(i)] for i in used}}
            sub_best = [best_params[i] for i in used] if best_params else []
            result.parts[str(value)] = _result(sub, result.labels, sub_assignment, sub_best, result.cv, protocol)
            result.parts[str(value)].leak_audit = audit
    if result.collapsed:
        _warn_single_class(result, estimator, protocol or repr(splitter))
    return result


def _is_megc2019(cv):
    """Whether ``cv`` (a name, label or splitter) is the MEGC 2019 composite LOSO."""
    if isinstance(cv, _splits.MEGC2019LOSO):
        return True
    if not isinstance(cv, str):
        return False
    from mefeat.evaluation.labels import protocol_slug

    return protocol_slug(cv) == "megc2019"


def _estimator_name(estimator):
    """The final step's class name (``SVC``), with its kernel for an SVM."""
    last = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    kernel = getattr(last, "kernel", None)
    return type(last).__name__ + (f"(kernel={kernel!r})" if isinstance(kernel, str) else "")


def single_class_message(result):
    """Which predictions of a collapsed result are one class: ``"all 145 tested samples are 'negative'"``."""
    runs = result.parts.items() if result.part_by == "split" else [(None, result)]
    texts = []
    for name, r in runs:
        p = r.predictions
        if len(p) and p["y_pred"].nunique() == 1 and p["y_true"].nunique() > 1:
            texts.append(f"all {len(p)} tested samples{' of ' + name if name else ''} are "
                         f"{p['y_pred'].iloc[0]!r} ({p['y_true'].nunique()} true classes)")
    return "; ".join(texts)


def _warn_single_class(result, estimator, protocol):
    warnings.warn(f"{_estimator_name(estimator)} predicts a single class under {protocol}: "
                  f"{single_class_message(result)}; UF1 {result.scores['uf1']:.4f}, UAR {result.scores['uar']:.4f} "
                  f"are those of a constant guess (result.collapsed)", SingleClassWarning, stacklevel=3)
