"""AU classification (one binary decision per AU) and the emotion–AU association table.

Both read the normalised annotation columns of :class:`mefeat.datasets.MEDataset` tables:
``aus`` (frozenset of int per clip) and ``emotion`` (str).
"""

import sys
import warnings
from dataclasses import dataclass, field

import numpy as np

from mefeat.evaluation import splits as _splits
from mefeat.evaluation.protocol import _UNSUPERVISED
from mefeat.evaluation.protocol import kernel_steps as _kernel_steps

__all__ = ["au_matrix", "evaluate_aus", "AUResult", "BalancedLDA", "emotion_au_table", "top_aus_table"]


def _as_au_set(v):
    if v is None:
        return frozenset()
    if isinstance(v, float) and np.isnan(v):
        return frozenset()
    if isinstance(v, (int, np.integer)):
        return frozenset({int(v)})
    try:
        return frozenset(int(a) for a in v)
    except TypeError as exc:
        raise TypeError(f"aus entries must be collections of int, got {type(v).__name__}") from exc


def au_matrix(aus, *, au_list=None):
    """Binary clip × AU indicator matrix.

    Parameters
    ----------
    aus : (n_samples,) sequence of set of int
        AUs of each clip (e.g. ``dataset.table["aus"]``).
    au_list : sequence of int or None
        Columns; default: every AU seen, sorted.

    Returns
    -------
    Y : (n_samples, n_aus) bool ndarray
    au_list : list of int, length n_aus

    Examples
    --------
    >>> Y, cols = au_matrix([{1, 2}, {4}, set()])
    >>> cols, Y.astype(int).tolist()
    ([1, 2, 4], [[1, 1, 0], [0, 0, 1], [0, 0, 0]])
    """
    sets = [_as_au_set(a) for a in aus]
    if au_list is None:
        au_list = sorted(set().union(*sets)) if sets else []
    au_list = [int(a) for a in au_list]
    Y = np.zeros((len(sets), len(au_list)), dtype=bool)
    for j, a in enumerate(au_list):
        Y[:, j] = [a in s for s in sets]
    return Y, au_list


@dataclass
class AUResult:
    """Outcome of :func:`evaluate_aus`.

    Attributes
    ----------
    table : pandas.DataFrame, (n_evaluated, 6)
        Index = AU; columns ``n_pos, tp, fp, fn, f1, uar`` (binary F1 of the positive class and
        balanced accuracy, from predictions pooled over folds).
    mean_f1 : float
        Mean of the per-AU F1 (NaN when no AU was evaluated).
    skipped : dict
        AU -> reason (e.g. ``"6 positives < min_positives=10"``).
    predictions : pandas.DataFrame, (n_samples, n_evaluated)
        Out-of-fold binary predictions, one column per evaluated AU.
    """

    table: object
    mean_f1: float
    skipped: dict = field(default_factory=dict)
    predictions: object = None


def evaluate_aus(estimator, X, aus, groups, *, min_positives=10, au_list=None, cv=None, stratify_by=None,
                 random_state=0, n_jobs=None, cache=None, verbose=True):
    """Multi-label AU detection: one binary classifier per AU, subject-grouped CV.

    Parameters
    ----------
    estimator : scikit-learn classifier or Pipeline
        Cloned for every (AU, fold); its ``random_state`` parameters left at None are set to
        ``random_state``.
    X : (n_samples, n_features) array-like or DataFrame
    aus : (n_samples,) sequence of set of int
    groups : (n_samples,) array-like
        Subjects (all AUs use the same folds).
    min_positives : int, default=10
        AUs with fewer positive clips are skipped (reported in ``skipped``).
    au_list : sequence of int or None
        AUs to consider; default every AU seen.
    cv : splitter or None
        Default ``SubjectKFold(10, stratify=stratify_by is not None, random_state=random_state)``,
        capped at the number of subjects.
    stratify_by : (n_samples,) array-like or None
        Labels to stratify the folds on (e.g. the emotions); None = unstratified.
    random_state : int, default=0
    n_jobs : int or None
        Parallel over AUs (joblib).
    cache : str, path-like, joblib.Memory or None
        Cache every AU's out-of-fold predictions (as :func:`mefeat.evaluation.evaluate`: keyed by
        the bytes of ``X``, the estimator, the AU's labels and the folds).
    verbose : bool, default=True
        tqdm progress over AUs (stderr).

    Returns
    -------
    AUResult

    Raises
    ------
    ValueError
        Length mismatch, ``min_positives < 1``.

    Notes
    -----
    The DFME paper does not say which AUs it classified nor with which metric; per-AU F1 of
    the positive class from pooled out-of-fold predictions and their unweighted mean is
    mefeat's choice (the usual FACS-detection report). When a training part holds only
    one class for an AU, the fold predicts that class (no classifier can be fitted).
    """
    import pandas as pd

    n = X.shape[0] if hasattr(X, "shape") else len(X)
    if len(aus) != n:
        raise ValueError(f"aus has {len(aus)} entries but X has {n} samples")
    if int(min_positives) < 1:
        raise ValueError(f"min_positives must be >= 1, got {min_positives}")
    groups = _splits._check_groups(groups, n)
    groups = np.asarray([str(g) for g in groups], dtype=object)
    Y, au_list = au_matrix(list(aus), au_list=au_list)
    n_groups = len(set(groups.tolist()))
    if cv is None:
        cv = _splits.SubjectKFold(n_splits=min(10, n_groups), stratify=stratify_by is not None,
                                  random_state=random_state)
    folds = list(cv.split(np.zeros((n, 1)), None if stratify_by is None else np.asarray(stratify_by, dtype=object),
                          groups))
    skipped, todo = {}, []
    for j, a in enumerate(au_list):
        npos = int(Y[:, j].sum())
        if npos < min_positives:
            skipped[a] = f"{npos} positives < min_positives={min_positives}"
        elif npos == n:
            skipped[a] = "every clip is positive"
        else:
            todo.append(j)

    from joblib import Parallel, delayed

    from mefeat.evaluation.protocol import progress_bar

    tqdm = progress_bar()
    from mefeat.evaluation.protocol import _memory, data_key

    memory = _memory(cache)
    key = None
    if memory is None:
        one = _one_au
    else:
        key = data_key(X.to_numpy() if hasattr(X, "to_numpy") else X)
        cached = memory.cache(_one_au_keyed, ignore=["X"])

        def one(*args):
            return cached(key, *args)
    joint = bool(todo) and _joint_steps(estimator)
    if todo and (joint or _kernel_steps(estimator) is not None):  # one fit or kernel per fold for every AU
        if joint:
            fold_fn = _joint_fold if memory is None else memory.cache(_joint_fold_keyed, ignore=["X"])
        else:
            fold_fn = _kernel_fold if memory is None else memory.cache(_kernel_fold_keyed, ignore=["X"])
        args = () if memory is None else (key,)
        T = Y[:, todo]
        pred_all = np.zeros(T.shape, dtype=bool)
        done = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(fold_fn)(*args, estimator, X, T, train, test, random_state) for train, test in folds)
        for (_, test), p in zip(folds, tqdm(done, total=len(folds), desc="AU folds", file=sys.stderr,
                                                disable=not verbose, leave=False)):
            pred_all[test] = p
        out = (pred_all[:, k] for k in range(len(todo)))
    else:
        out = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(one)(estimator, X, Y[:, j], folds, random_state) for j in todo)
    rows, preds = [], {}
    bar = tqdm(out, total=len(todo), desc="AUs", file=sys.stderr, disable=not verbose, leave=False)
    for k, pred in enumerate(bar):  # consume the whole generator (joblib warns otherwise)
        j = todo[k]
        t = Y[:, j]
        tp = int((pred & t).sum())
        fp = int((pred & ~t).sum())
        fn = int((~pred & t).sum())
        tn = int((~pred & ~t).sum())
        f1 = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else 0.0
        uar = 0.5 * (tp / (tp + fn) + tn / (tn + fp))
        rows.append({"au": au_list[j], "n_pos": int(t.sum()), "tp": tp, "fp": fp, "fn": fn, "f1": f1, "uar": uar})
        preds[au_list[j]] = pred
    table = pd.DataFrame(rows, columns=["au", "n_pos", "tp", "fp", "fn", "f1", "uar"]).set_index("au")
    mean_f1 = float(table["f1"].mean()) if len(table) else float("nan")
    return AUResult(table=table, mean_f1=mean_f1, skipped=skipped, predictions=pd.DataFrame(preds))


def _classifier_base():
    from sklearn.base import BaseEstimator, ClassifierMixin

    return ClassifierMixin, BaseEstimator


class BalancedLDA(*_classifier_base()):
    """Linear discriminant with equal class priors and Ledoit–Wolf shrinkage; one or many binary problems.

    The decision of every binary problem is ``x @ coef_ > threshold_`` with ``coef_ = Sigma^-1
    (mu_pos - mu_neg)`` (Fisher's direction) and the threshold halfway between the two class means
    projected on it (equal priors, so both classes count alike, as ``class_weight="balanced"``
    does). ``Sigma`` is the covariance of all training rows shrunk towards a multiple of the
    identity, ``(1 - s) S + s (trace(S) / n_features) I``, with the Ledoit–Wolf ``s``. It does
    not depend on the labels, so ``fit(X, Y)`` with one column per problem (AUs) factorises it
    once for all of them.

    Parameters
    ----------
    shrinkage : "auto" or float in [0, 1], default "auto"
        ``s``; ``"auto"``: the Ledoit–Wolf value of the training rows
        (:func:`sklearn.covariance.ledoit_wolf_shrinkage`), computed from the same product.

    Attributes
    ----------
    classes_ : (2,) ndarray
        The two labels of a 1-D ``y`` (``fit`` with a 2-D ``y``: ``[0, 1]`` of every column).
    coef_ : (n_problems, n_features) ndarray
    threshold_ : (n_problems,) ndarray
    constant_ : (n_problems,) ndarray of object
        The label predicted for every sample when a problem's training part holds one class, else None.
    shrinkage_ : float
    n_features_in_ : int

    Notes
    -----
    Written for the per-AU detection of :func:`evaluate_aus` at DFME's size (24 AUs x 10 folds x
    8 tables of up to 4,425 features on 6,800 training clips), where a linear SVM needs one libsvm
    fit per AU and fold (90 s for a frequent AU on one fold of LBP-TOP) and this classifier one
    solve for all AUs. The covariance is that of all rows (Fisher's direction is the same as with
    the within-class covariance, up to a factor, before shrinkage). With more features than rows
    the ``n_samples x n_samples`` Gram matrix is factorised instead (Woodbury identity).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0], [0.2, 0.9], [1.0, 0.1], [0.9, 0.0], [0.1, 1.1], [1.1, 0.2]])
    >>> BalancedLDA().fit(X, [0, 0, 1, 1, 0, 1]).predict([[0.0, 1.0], [1.0, 0.0]]).tolist()
    [0, 1]
    """

    def __init__(self, shrinkage="auto"):
        self.shrinkage = shrinkage

    def fit(self, X, y):
        import scipy.linalg as sla
        from sklearn.utils.validation import validate_data

        if not (self.shrinkage == "auto" or (isinstance(self.shrinkage, (int, float))
                                             and 0.0 <= float(self.shrinkage) <= 1.0)):
            raise ValueError(f"BalancedLDA: shrinkage must be 'auto' or a number in [0, 1], got {self.shrinkage!r}")
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, y_numeric=False)
        y = np.asarray(y)
        self._multi = y.ndim == 2
        Y = y if self._multi else y[:, None]
        if not self._multi:
            self.classes_ = np.unique(y)
            if len(self.classes_) > 2:
                raise ValueError(f"BalancedLDA is binary (one column per problem); y has {len(self.classes_)} "
                                 f"classes")
        else:
            self.classes_ = np.array([0, 1])
        n, d = X.shape
        Zc = X - X.mean(axis=0)
        primal = d <= n
        G = (Zc.T @ Zc if primal else Zc @ Zc.T) / n  # S = Zc^T Zc / n, or the Gram matrix (same spectrum)
        trace = float(np.trace(G))
        mu = trace / d
        if self.shrinkage == "auto":  # Ledoit-Wolf (as sklearn.covariance.ledoit_wolf_shrinkage)
            beta_ = float(np.sum(np.sum(Zc * Zc, axis=1) ** 2))
            delta_ = float(np.sum(G * G))
            beta = (beta_ / n - delta_) / (d * n)
            delta = (delta_ - 2.0 * mu * trace + d * mu ** 2) / d
            s = 0.0 if min(beta, delta) == 0 else min(beta, delta) / delta
        else:
            s = float(self.shrinkage)
        self.shrinkage_ = s
        constants, diffs, mids, cols = [], [], [], []
        for j in range(Y.shape[1]):
            if self._multi:
                pos = Y[:, j].astype(bool)
                neg_label, pos_label = 0, 1
            else:
                pos = Y[:, j] == self.classes_[-1]
                neg_label, pos_label = self.classes_[0], self.classes_[-1]
            if pos.all() or not pos.any():
                constants.append(pos_label if pos.all() else neg_label)
                continue
            constants.append(None)
            m_pos, m_neg = X[pos].mean(axis=0), X[~pos].mean(axis=0)
            diffs.append(m_pos - m_neg)
            mids.append(0.5 * (m_pos + m_neg))
            cols.append(j)
        coef = np.zeros((Y.shape[1], d))
        if cols:
            D = np.array(diffs).T  # (d, k)
            if s >= 1.0 or mu == 0:
                B = D / (mu if mu > 0 else 1.0)
            elif primal:
                A = (1.0 - s) * G
                A[np.diag_indices(d)] += s * mu
                B = sla.solve(A, D, assume_a="pos") if s > 0 else sla.lstsq(A, D)[0]
            elif s > 0:  # Woodbury: Sigma^-1 = (I - Zc^T (c I + Zc Zc^T)^-1 Zc) / (s mu), c = n s mu / (1 - s)
                A = G * n
                A[np.diag_indices(n)] += n * s * mu / (1.0 - s)
                B = (D - Zc.T @ sla.solve(A, Zc @ D, assume_a="pos")) / (s * mu)
            else:
                B = np.linalg.pinv(Zc.T @ Zc / n) @ D
            coef[cols] = B.T
        self.coef_ = coef
        self.threshold_ = np.zeros(Y.shape[1])
        if cols:
            self.threshold_[cols] = np.einsum("kd,kd->k", coef[cols], np.array(mids))
        self.constant_ = np.array(constants, dtype=object)
        return self

    def decision_function(self, X):
        """``X @ coef_.T - threshold_``: (n_samples,) for a 1-D fit, (n_samples, n_problems) otherwise."""
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        D = X @ self.coef_.T - self.threshold_
        return D if self._multi else D[:, 0]

    def predict(self, X):
        """Labels (1-D fit) or a 0/1 int matrix with one column per problem (2-D fit)."""
        D = self.decision_function(X)
        if not self._multi:
            c = self.constant_[0]
            if c is not None:
                return np.full(len(D), c, dtype=self.classes_.dtype)
            return self.classes_[(D > 0).astype(int)]
        out = (D > 0).astype(int)
        for j, c in enumerate(self.constant_):
            if c is not None:
                out[:, j] = c
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.classifier_tags.multi_label = True
        return tags


def _joint_steps(estimator):
    """True when ``estimator`` is label-free steps + :class:`BalancedLDA`: one fit per fold serves every AU."""
    steps = getattr(estimator, "steps", None) or [("clf", estimator)]
    return isinstance(steps[-1][1], BalancedLDA) and all(type(s).__name__ in _UNSUPERVISED for _, s in steps[:-1])


def _joint_fold_keyed(key, estimator, X, T, train, test, random_state):
    """:func:`_joint_fold` for joblib.Memory: ``key`` (the sha256 of ``X``) is hashed instead of ``X``."""
    return _joint_fold(estimator, X, T, train, test, random_state)


def _joint_fold(estimator, X, T, train, test, random_state):
    """Predictions of every AU (columns of ``T``) on one fold from one multi-label fit of ``estimator``."""
    from sklearn.base import clone

    from mefeat.evaluation.protocol import _seed_estimator, _take

    est = _seed_estimator(clone(estimator), random_state)
    est.fit(_take(X, train), T[train].astype(int))
    return np.asarray(est.predict(_take(X, test))).astype(bool).reshape(len(test), T.shape[1])


def _kernel_fold_keyed(key, estimator, X, T, train, test, random_state):
    """:func:`_kernel_fold` for joblib.Memory: ``key`` (the sha256 of ``X``) is hashed instead of ``X``."""
    return _kernel_fold(estimator, X, T, train, test, random_state)


def _kernel_fold(estimator, X, T, train, test, random_state):
    """Predictions of every AU (columns of ``T``) on one fold, with one precomputed kernel.

    The same problem as fitting ``estimator`` per AU: the preprocessing steps do not read the
    labels, so they are fitted once; the kernel matrix (:func:`mefeat.evaluation.protocol.kernel_matrices`:
    ``Z_train @ Z_train.T`` for the linear SVM) is computed once with BLAS and handed to libsvm as
    ``kernel="precomputed"`` for every AU.
    """
    from sklearn.base import clone

    from mefeat.evaluation.protocol import _seed_estimator, _take, kernel_matrices

    est = _seed_estimator(clone(estimator), random_state)
    K_tr, K_te, svc = kernel_matrices(est, _take(X, train), _take(X, test))
    out = np.zeros((len(test), T.shape[1]), dtype=bool)
    for j in range(T.shape[1]):
        tt = T[train, j]
        if tt.all() or not tt.any():
            out[:, j] = bool(tt[0])
            continue
        clf = clone(svc)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            clf.fit(K_tr, tt)
        out[:, j] = np.asarray(clf.predict(K_te)).astype(bool)
    return out


def _one_au_keyed(key, estimator, X, t, folds, random_state):
    """:func:`_one_au` for joblib.Memory: ``key`` (the sha256 of ``X``) is hashed instead of ``X``."""
    return _one_au(estimator, X, t, folds, random_state)


def _one_au(estimator, X, t, folds, random_state):
    from sklearn.base import clone

    from mefeat.evaluation.protocol import _seed_estimator, _take

    pred = np.zeros(len(t), dtype=bool)
    for train, test in folds:
        tt = t[train]
        if tt.all() or not tt.any():
            pred[test] = bool(tt[0])
            continue
        est = _seed_estimator(clone(estimator), random_state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            est.fit(_take(X, train), tt)
        pred[test] = np.asarray(est.predict(_take(X, test))).astype(bool)
    return pred


def emotion_au_table(table, *, emotion_col="emotion", aus_col="aus", emotions=None, au_list=None):
    """Share of the clips of each emotion that contain each AU.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per clip with an emotion column (str) and an AU column (set of int), e.g.
        ``MEDataset.table``.
    emotion_col, aus_col : str
        Column names.
    emotions : sequence or None
        Row order; default sorted emotions present (rows with a missing emotion are dropped).
    au_list : sequence of int or None
        Columns; default every AU seen, sorted.

    Returns
    -------
    share : pandas.DataFrame, (n_emotions, n_aus)
        Index = emotion, columns = AU numbers, values in [0, 1]. ``share.attrs["n"]`` holds the
        clip count per emotion (dict).

    Raises
    ------
    KeyError
        A column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"emotion": ["happiness", "happiness", "surprise"],
    ...                   "aus": [frozenset({6, 12}), frozenset({12}), frozenset({1, 2})]})
    >>> float(emotion_au_table(t).loc["happiness", 12])
    1.0
    """
    import pandas as pd

    for c in (emotion_col, aus_col):
        if c not in table:
            raise KeyError(f"table has no column {c!r} (columns: {list(table.columns)})")
    em = table[emotion_col]
    keep = em.notna().to_numpy()
    em = em[keep].astype(str).to_numpy()
    Y, au_list = au_matrix(list(table[aus_col][keep]), au_list=au_list)
    if emotions is None:
        emotions = sorted(set(em.tolist()))
    data, counts = [], {}
    for e in emotions:
        m = em == e
        counts[e] = int(m.sum())
        data.append(Y[m].mean(axis=0) if m.any() else np.full(len(au_list), np.nan))
    share = pd.DataFrame(np.asarray(data, dtype=float).reshape(len(emotions), len(au_list)),
                         index=pd.Index(list(emotions), name="emotion"), columns=pd.Index(au_list, name="au"))
    share.attrs["n"] = counts
    return share


def top_aus_table(share, *, k=6):
    """Per emotion, its k most frequent AUs with their share (the layout of an emotion–AU table in a paper).

    Parameters
    ----------
    share : pandas.DataFrame
        Output of :func:`emotion_au_table`.
    k : int, default=6

    Returns
    -------
    pandas.DataFrame, (n_emotions, 2)
        Columns ``"emotion (n)"`` and ``"most frequent AUs (share of clips)"``, e.g.
        ``"AU4 .70, AU7 .24"`` (ties broken by AU number; AUs with share 0 omitted).
    """
    import pandas as pd

    n = share.attrs.get("n", {})
    rows = []
    for e, r in share.iterrows():
        items = sorted(((-v, int(a)) for a, v in r.items() if np.isfinite(v) and v > 0))[:k]
        text = ", ".join(f"AU{a} {_fmt_share(-v)}" for v, a in items)
        rows.append({"emotion (n)": f"{e} ({n.get(e, '?')})", "most frequent AUs (share of clips)": text})
    return pd.DataFrame(rows)


def _fmt_share(v):
    s = f"{v:.2f}"
    return s[1:] if s.startswith("0") else s
