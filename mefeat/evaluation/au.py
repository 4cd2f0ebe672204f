"""AU classification (one binary decision per AU) and the emotion–AU association table.

Both read the normalised annotation columns of :class:`mefeat.datasets.MEDataset` tables:
``aus`` (frozenset of int per clip) and ``emotion`` (str).
"""

import sys
import warnings
from dataclasses import dataclass, field

import numpy as np

from mefeat.evaluation import splits as _splits

__all__ = ["au_matrix", "evaluate_aus", "AUResult", "emotion_au_table", "top_aus_table"]


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
    if todo and _kernel_steps(estimator) is not None:  # one linear kernel per fold, shared by every AU
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


#: Steps that ignore the labels: a pipeline of these before a linear SVC gives every AU of a fold the
#: same training features, so one kernel matrix serves all of them.
_UNSUPERVISED = ("VarianceThreshold", "StandardScaler", "HistogramScaler")


def _kernel_steps(estimator):
    """(preprocessing steps, SVC) when ``estimator`` is unsupervised steps + ``SVC(kernel="linear")``, else None."""
    steps = getattr(estimator, "steps", None)
    if not steps:
        return None
    last = steps[-1][1]
    if type(last).__name__ != "SVC" or getattr(last, "kernel", None) != "linear":
        return None
    if not all(type(s).__name__ in _UNSUPERVISED for _, s in steps[:-1]):
        return None
    return steps[:-1], last


def _kernel_fold_keyed(key, estimator, X, T, train, test, random_state):
    """:func:`_kernel_fold` for joblib.Memory: ``key`` (the sha256 of ``X``) is hashed instead of ``X``."""
    return _kernel_fold(estimator, X, T, train, test, random_state)


def _kernel_fold(estimator, X, T, train, test, random_state):
    """Predictions of every AU (columns of ``T``) on one fold, with one precomputed linear kernel.

    The same problem as fitting ``estimator`` per AU: the preprocessing steps do not read the
    labels, so they are fitted once; the linear kernel ``Z_train @ Z_train.T`` (and its test rows)
    is computed once with BLAS and handed to libsvm as ``kernel="precomputed"`` for every AU.
    """
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    from mefeat.evaluation.protocol import _seed_estimator, _take

    pre, svc = _kernel_steps(estimator)
    est = _seed_estimator(clone(estimator), random_state)
    prep = Pipeline([(n, s) for n, s in est.steps[:-1]]) if pre else None
    X_tr, X_te = _take(X, train), _take(X, test)
    Z_tr = np.asarray(prep.fit_transform(X_tr) if prep is not None else X_tr, dtype=np.float64)
    Z_te = np.asarray(prep.transform(X_te) if prep is not None else X_te, dtype=np.float64)
    K_tr, K_te = Z_tr @ Z_tr.T, Z_te @ Z_tr.T
    params = {**est.steps[-1][1].get_params(), "kernel": "precomputed"}
    out = np.zeros((len(test), T.shape[1]), dtype=bool)
    for j in range(T.shape[1]):
        tt = T[train, j]
        if tt.all() or not tt.any():
            out[:, j] = bool(tt[0])
            continue
        clf = type(svc)(**params)
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
