"""The comparison of ``python -m mefeat.compare`` as a library: classifiers, the runs, statistics, outputs.

:func:`run_comparison` evaluates every feature table of an extraction output folder with every
classifier of :func:`make_classifier` under one or more protocols (:mod:`mefeat.evaluation.presets`),
with the subject-level statistics of :mod:`mefeat.evaluation.stats`, the paired tests of every pair
of methods and the per-AU detection (:func:`mefeat.evaluation.evaluate_aus`);
:func:`write_comparison` writes its tables, figures and ``results.json`` (the files are listed in
the documentation of :mod:`mefeat.compare`, the command line over these functions).
"""

import logging
import os
import sys
import time
import warnings

import numpy as np

__all__ = ["CLASSIFIERS", "SCALINGS", "PARAM_GRIDS", "SPARSE_ZERO_SHARE", "FIGURE_FORMATS", "OUTPUT_FILES",
           "FIGURE_STEMS", "DROP_REASONS", "PAIRED_COLUMNS", "SVM_LINEAR_MEFEAT_04", "RF_MEFEAT_04", "AU_CLASSIFIERS",
           "AU_CLASSIFIER", "MAX_DEFAULT_JOBS", "HistogramScaler", "make_classifier", "make_au_classifier",
           "classifiers", "default_n_jobs", "default_protocol", "leak_keys", "ComparisonResult", "run_comparison",
           "results_caption", "protocol_record", "write_comparison"]

log = logging.getLogger("mefeat")

#: Classifier names, in the paper's column order (labels: :func:`mefeat.evaluation.classifier_label`).
CLASSIFIERS = ("svm-linear", "svm-rbf", "rf")

_CLASSIFIER_DEFAULTS = {
    "svm-linear": {"C": 0.1, "class_weight": "balanced"},
    "svm-rbf": {"C": 10.0, "gamma": "scale", "class_weight": "balanced"},
    "rf": {"n_estimators": 200, "max_samples": 0.5, "max_features": "sqrt", "class_weight": "balanced", "n_jobs": 1},
}
#: The linear SVM of mefeat 0.4 (C=1: 6.5 times the CPU of the default on a DFME-sized fold of HOG-TOP):
#: ``make_classifier("svm-linear", **SVM_LINEAR_MEFEAT_04)``.
SVM_LINEAR_MEFEAT_04 = {"C": 1.0}
#: The random forest of mefeat 0.4 (300 trees on full bootstrap samples, about 2.5 times the CPU of the default):
#: ``make_classifier("rf", **RF_MEFEAT_04)``.
RF_MEFEAT_04 = {"n_estimators": 300, "max_samples": None}

#: Feature scaling of each classifier (``scaling=`` of :func:`make_classifier`): ``"standard"``
#: standardises every feature; ``"hellinger"`` takes the square root of a histogram table and scales
#: it as a whole; ``"auto"`` picks ``"hellinger"`` for sparse histogram tables, ``"standard"`` for the
#: others (see :class:`HistogramScaler`).
SCALINGS = ("standard", "auto", "hellinger")

#: ``"auto"`` scaling: a non-negative table with at least this share of zero entries (on the training
#: part) is a sparse histogram and gets the Hellinger map (default tables of the demo set: LBP-TOP 22 %,
#: Bi-WOOF 72 %; HOG-TOP, HIGO-TOP 1 %, optical strain 0 %).
SPARSE_ZERO_SHARE = 0.1
_CLASSIFIER_SCALING = {"svm-linear": "standard", "svm-rbf": "auto", "rf": "standard"}

#: Classifiers of the per-AU detection (``au_classifier=`` of :func:`run_comparison`, :func:`make_au_classifier`).
AU_CLASSIFIERS = ("lda", "svm-linear")
#: The per-AU detection's default: :class:`mefeat.evaluation.au.BalancedLDA` (one solve per fold for all AUs);
#: ``"svm-linear"`` is mefeat 0.4's linear SVM (one libsvm fit per AU and fold).
AU_CLASSIFIER = "lda"
#: Default cap of the parallel fits (``n_jobs=None``): at most this many, and no more than the CPUs and memory allow.
MAX_DEFAULT_JOBS = 8

#: Grids of the optional nested search (``--nested``), named as in :func:`make_classifier`'s pipeline.
PARAM_GRIDS = {
    "svm-linear": {"clf__C": [0.01, 0.1, 1.0]},
    "svm-rbf": {"clf__C": [1.0, 10.0, 100.0], "clf__gamma": ["scale"]},
    "rf": {"clf__max_features": ["sqrt", 0.1]},
}


#: Figure formats :func:`write_comparison` writes.
FIGURE_FORMATS = ("png", "pdf", "svg")
#: Files :func:`write_comparison` writes in its output folder (besides ``figures/``).
OUTPUT_FILES = ("results.md", "results.csv", "results.tex", "results.json", "per_fold.csv", "per_class.csv",
                "predictions.csv", "subject_scores.csv", "paired_tests.csv", "paired_tests.md", "protocol.json",
                "dropped.csv", "au_f1.csv", "au_f1.md", "emotion_au.csv")
#: Stems of the figure files :func:`write_comparison` writes in ``figures/``.
FIGURE_STEMS = ("confusion_", "scores_", "emotion_au")


# --------------------------------------------------------------------------- classifiers
def _base_estimator():
    from sklearn.base import BaseEstimator, TransformerMixin

    return TransformerMixin, BaseEstimator


class HistogramScaler(*_base_estimator()):
    """Square root of histogram tables, scaled as a whole; per-feature standardisation of the others.

    Parameters
    ----------
    method : {"auto", "hellinger", "standard"}, default "auto"
        ``"hellinger"``: ``sqrt(x)`` (the Hellinger map: Euclidean distances become Hellinger
        distances between the histograms), divided by **one** scale for the whole table (the root
        mean per-feature variance) and not centred, so that the bins keep their relative weights
        and an RBF kernel's ``gamma="scale"`` (``1 / (n_features * X.var())``, the variance of all
        values) is the same as on the square roots themselves. ``"standard"``: every feature centred and
        divided by its own standard deviation (``StandardScaler``; features constant on the training
        part are left at 0).
        ``"auto"``: ``"hellinger"`` for a sparse histogram table (every training value >= 0 and
        at least :data:`SPARSE_ZERO_SHARE` of them 0: LBP-TOP, Bi-WOOF), ``"standard"`` otherwise
        (dense histograms such as HOG-TOP and HIGO-TOP, optical strain, the signed MDMO and FDM).

    Attributes
    ----------
    method_ : str
        The method used (``"hellinger"`` or ``"standard"``).
    mean_ : (n_features,) ndarray
    scale_ : (n_features,) ndarray
        Subtracted and divided, after the square root for ``"hellinger"`` (``mean_`` is 0 there).
    n_features_in_ : int

    Notes
    -----
    Why not standardise histograms: most bins of a sparse histogram (a uniform-LBP bin that few
    pixels hit) vary only by sampling noise, and standardising gives each of them the weight of
    the bins that carry the face's texture. With thousands of such bins every clip ends at about
    the same distance from every other (distance concentration): an RBF kernel matrix becomes a
    constant plus the identity, the SVM memorises its training clips and predicts the class its
    intercept favours for every test clip. The Hellinger map keeps the bins' natural weights and
    turns Euclidean distances into a chi-square-like distance between histograms (the usual
    kernel for LBP histograms). The one global scale makes ``gamma="scale"`` and ``C`` mean the
    same as after standardisation. Not centring matters: ``gamma="scale"`` then includes the spread
    between the bins' mean values and gives a wide kernel (``gamma`` times the mean squared distance
    between clips well below 1); centred features give ``gamma`` times the mean squared distance = 2,
    the regime where the RBF SVM memorises. Dense histograms (every bin hit in nearly every clip) have no
    such noise bins, and on them standardisation did as well or better, hence ``"auto"``.

    Examples
    --------
    >>> import numpy as np
    >>> s = HistogramScaler().fit(np.array([[0.0, 1.0], [1.0, 0.0], [0.25, 0.75]]))  # 2 zeros of 6
    >>> s.method_
    'hellinger'
    >>> HistogramScaler().fit(np.array([[-1.0, 1.0], [1.0, 0.0]])).method_
    'standard'
    """

    def __init__(self, method="auto"):
        self.method = method

    def fit(self, X, y=None):
        from sklearn.utils.validation import validate_data

        if self.method not in SCALINGS:
            raise ValueError(f"HistogramScaler: method={self.method!r}; choose from {', '.join(SCALINGS)}")
        X = validate_data(self, X, dtype=np.float64)
        nonneg = bool((X >= 0).all())
        if self.method == "hellinger" and not nonneg:
            raise ValueError(f"HistogramScaler(method='hellinger') needs non-negative features (histograms); "
                             f"the smallest value is {X.min():.4g}: use method='auto' or 'standard'")
        sparse = nonneg and X.size > 0 and float(np.mean(X == 0)) >= SPARSE_ZERO_SHARE
        self.method_ = "hellinger" if self.method == "hellinger" or (self.method == "auto" and sparse) else "standard"
        Z = np.sqrt(X) if self.method_ == "hellinger" else X
        self.mean_ = np.zeros(X.shape[1]) if self.method_ == "hellinger" else Z.mean(axis=0)
        sd = Z.std(axis=0)
        if self.method_ == "hellinger":
            rms = float(np.sqrt(np.mean(sd ** 2)))
            self.scale_ = np.full(X.shape[1], rms if rms > 0 else 1.0)
        else:
            self.scale_ = np.where(sd > 0, sd, 1.0)
        return self

    def transform(self, X):
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        if self.method_ == "hellinger":
            if (X < 0).any():
                raise ValueError(f"HistogramScaler was fitted on a non-negative (histogram) table but X has "
                                 f"negative values (min {X.min():.4g}): a different table?")
            X = np.sqrt(X)
        return (X - self.mean_) / self.scale_


def make_classifier(name, *, random_state=0, scaling=None, **params):
    """One of the three classifiers of the comparison, behind constant-feature removal and scaling.

    Parameters
    ----------
    name : {"svm-linear", "svm-rbf", "rf"}
        Linear SVM (C=0.1; ``make_classifier("svm-linear", **SVM_LINEAR_MEFEAT_04)`` is mefeat
        0.4's C=1), RBF SVM (C=10, gamma="scale") or random forest (200 trees, each
        grown on a bootstrap sample of half the training clips, ``max_features="sqrt"``;
        ``make_classifier("rf", **RF_MEFEAT_04)`` is mefeat 0.4's forest of 300 trees on full
        bootstrap samples); all with balanced class weights.
    random_state : int or None, default 0
        Seed of the random forest (and of the SVMs, which only use it for probabilities).
    scaling : {"standard", "auto", "hellinger"} or None
        Feature scaling before the classifier (:class:`HistogramScaler`); None: the classifier's
        default, ``"auto"`` for the RBF SVM (square root of sparse histogram tables,
        standardisation of the others), ``"standard"`` for the others. ``make_classifier("svm-rbf",
        scaling="standard")`` is the RBF SVM of mefeat 0.3 (it collapses to one class on sparse
        histogram tables such as LBP-TOP, see :class:`HistogramScaler`).
    **params
        Classifier parameters overriding the defaults (``C=0.1``, ``n_estimators=50``).

    Returns
    -------
    sklearn.pipeline.Pipeline
        ``VarianceThreshold(0) -> scaler -> classifier`` (steps ``drop_constant``, ``scale``,
        ``clf``; the scaler is ``StandardScaler`` for ``"standard"``, else
        :class:`HistogramScaler`), so both preprocessing steps are refitted in every fold of
        :func:`mefeat.evaluation.evaluate`. Put it after the feature steps with
        ``mefeat.catalogue.make_pipeline(name, classifier=make_classifier("svm-linear"))``.

    Raises
    ------
    ValueError
        Unknown ``name`` or ``scaling``.

    Notes
    -----
    The random forest is invariant to any per-feature monotone map, so its scaling changes nothing.
    Its size is a budget choice, made on DFME-sized synthetic tables (7,526 clips, DFME 10-fold CV):
    200 trees, each on a bootstrap sample of half the training clips, cost about 40 % of the CPU of
    mefeat 0.4's 300 trees on full samples and score as well (MDMO UF1 0.441 against 0.440 [0.428,
    0.452], Bi-WOOF 0.307 against 0.293 [0.281, 0.304], the 95 % subject-bootstrap interval of the
    0.4 forest). 300 trees on half samples score higher still (0.461, 0.328) but put the default
    comparison of DFME over 15 minutes on 2 cores; 100 trees fall below those intervals (0.406 and
    0.276 on half samples, 0.413 and 0.262 on full ones).
    The linear SVM's C is a budget choice too: libsvm needs 68 CPU-seconds for one DFME-sized fold
    of HOG-TOP with C=1 (many clips at the bound on tables narrower than the clip count), 10.5
    with C=0.1; on the full demo set every table's UF1 and UAR with C=0.1 stayed inside the 95 %
    subject-bootstrap interval of C=1 (identical on LBP-TOP, where the clips are separable).
    The SVMs are fitted on a kernel matrix computed with BLAS
    (:func:`mefeat.evaluation.protocol.kernel_matrices`), which gives libsvm's predictions.

    Examples
    --------
    >>> [s for s, _ in make_classifier("rf").steps]
    ['drop_constant', 'scale', 'clf']
    >>> make_classifier("svm-rbf").named_steps["clf"].C
    10.0
    >>> make_classifier("svm-rbf").named_steps["scale"]
    HistogramScaler()
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.feature_selection import VarianceThreshold
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    if name not in CLASSIFIERS:
        raise ValueError(f"unknown classifier {name!r}; choose from {', '.join(CLASSIFIERS)}")
    scaling = _CLASSIFIER_SCALING[name] if scaling is None else scaling
    if scaling not in SCALINGS:
        raise ValueError(f"unknown scaling {scaling!r}; choose from {', '.join(SCALINGS)}")
    kw = {**_CLASSIFIER_DEFAULTS[name], **params}
    if name == "rf":
        clf = RandomForestClassifier(random_state=random_state, **kw)
    else:
        clf = SVC(kernel="linear" if name == "svm-linear" else "rbf", random_state=random_state, **kw)
    scaler = StandardScaler() if scaling == "standard" else HistogramScaler(method=scaling)
    return Pipeline([("drop_constant", VarianceThreshold(0.0)), ("scale", scaler), ("clf", clf)])


def make_au_classifier(name=AU_CLASSIFIER, *, random_state=0):
    """The classifier of the per-AU detection, behind constant-feature removal and standardisation.

    Parameters
    ----------
    name : {"lda", "svm-linear"}, default :data:`AU_CLASSIFIER`
        ``"lda"``: :class:`mefeat.evaluation.au.BalancedLDA` (equal priors, Ledoit–Wolf shrinkage;
        all AUs of a fold from one solve); ``"svm-linear"``: the linear SVM of
        :func:`make_classifier` with mefeat 0.4's C=1 (balanced class weights; mefeat 0.4's AU detection).
    random_state : int or None, default 0

    Returns
    -------
    sklearn.pipeline.Pipeline
        ``VarianceThreshold(0) -> StandardScaler -> classifier``.

    Examples
    --------
    >>> make_au_classifier().steps[-1][1]
    BalancedLDA()
    """
    from sklearn.feature_selection import VarianceThreshold
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from mefeat.evaluation.au import BalancedLDA

    if name not in AU_CLASSIFIERS:
        raise ValueError(f"unknown AU classifier {name!r}; choose from {', '.join(AU_CLASSIFIERS)}")
    if name == "svm-linear":
        return make_classifier("svm-linear", random_state=random_state, **SVM_LINEAR_MEFEAT_04)
    return Pipeline([("drop_constant", VarianceThreshold(0.0)), ("scale", StandardScaler()), ("clf", BalancedLDA())])


def default_n_jobs(n_samples=0):
    """Parallel fits of ``n_jobs=None``: the usable CPUs, at most :data:`MAX_DEFAULT_JOBS`, fewer when memory is short.

    Parameters
    ----------
    n_samples : int, default 0
        Clips of the largest table: each fit holds about three ``n_samples x n_samples`` float64
        matrices (its kernel matrix and temporaries), and the count is capped so that they fit in
        the memory available now.

    Returns
    -------
    int
        At least 1.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    jobs = max(1, min(cpus, MAX_DEFAULT_JOBS))
    per_job = 3 * 8 * int(n_samples) ** 2
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            avail = next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError):
        avail = None
    if avail is not None and per_job > 0:
        jobs = max(1, min(jobs, avail // per_job))
    return jobs


def classifiers(names=CLASSIFIERS, *, random_state=0):
    """``{name: make_classifier(name)}`` for ``names``, in the given order."""
    return {n: make_classifier(n, random_state=random_state) for n in names}


def default_protocol(clips):
    """The protocol used when none is given, from the clip table of an output folder.

    ``"dfme-10fold"`` for a data set with DFME split sheets (the demo set), ``"megc2019"`` for a
    composite of SMIC, CASME II and SAMM, ``"loso"`` otherwise.
    """
    if "split" in clips.columns and clips["split"].notna().any():
        return "dfme-10fold"
    ds = set(clips.index.get_level_values("dataset")) if "dataset" in clips.index.names else set()
    if len(ds) > 1 and ds <= {"smic", "casme2", "samm"}:
        return "megc2019"
    return "loso"


# --------------------------------------------------------------------------- the comparison
class ComparisonResult:
    """What :func:`run_comparison` computed.

    Attributes
    ----------
    rows : pandas.DataFrame
        One row per (protocol, method, classifier, part), slugs: ``protocol, method, classifier,
        part, n_clips, n_subjects, n_features``; for each metric ``m`` in uf1, uar, acc: ``m``
        (pooled over the folds: TP/FP/FN summed), ``m_ci_low, m_ci_high`` (95 % subject-level
        bootstrap percentile interval of the pooled value, test subjects resampled with the
        predictions kept, :data:`mefeat.evaluation.stats.N_RESAMPLES` resamples), ``m_chance,
        m_chance_q95, m_p_chance`` (mean and 95 % quantile of the label-permutation null, and
        the p-value of ``m`` against it), ``m_std`` (standard deviation of the per-fold scores:
        a spread over folds, not an interval); then ``share_class_absent`` (share of
        resamples missing a class), ``uf1_published, uar_published, published_source,
        seconds``.
    runs : list of dict
        Per (protocol, table, classifier): ``protocol, method, classifier, result``
        (:class:`mefeat.evaluation.EvaluationResult`), ``index`` (the clip keys of its rows).
    table : pandas.DataFrame
        The results table as written (:func:`mefeat.evaluation.results_table` columns).
    au : pandas.DataFrame or None
        Per-AU detection, one row per (method, AU) in the paper's method order, slugs and AU
        numbers: ``method, au, n_pos, tp, fp, fn, f1, uar``; None when it was not run (``au=False``)
        or no clip has an AU.
    au_skipped : dict
        Method -> {AU number: why it was left out}.
    au_classifier : str or None
        Name of the AU detection's classifier (:func:`make_au_classifier`); None when it was not run.
    paired : pandas.DataFrame
        Paired tests of every pair of methods on the same clips, per (protocol, part,
        classifier) and metric (:data:`PAIRED_COLUMNS`): pooled scores of A and B, their
        difference, the p-value of the subject-level sign-flip permutation test
        (:func:`mefeat.evaluation.stats.paired_test`) and ``p_holm``, Holm-adjusted over the
        pairs of one (protocol, part, classifier, metric).
    dropped : pandas.DataFrame or None
        Rows left out of the evaluation: ``table, dataset, subject, clip, reason``.
    """

    def __init__(self, rows, runs, table, au=None, au_skipped=None, paired=None, dropped=None, au_classifier=None):
        self.rows, self.runs, self.table = rows, runs, table
        self.au_classifier = au_classifier
        self.au, self.au_skipped = au, au_skipped or {}
        self.paired = paired
        self.dropped = dropped

    def subject_scores(self):
        """Per-subject UF1 / UAR / ACC of every run and part, long format (``subject_scores.csv``)."""
        import pandas as pd

        frames = []
        for run in self.runs:
            for part, r in _part_rows(run["result"]):
                frames.append(r.subject_scores().reset_index().assign(
                    protocol=run["protocol"], method=run["method"], classifier=run["classifier"], part=part))
        df = pd.concat(frames, ignore_index=True)
        front = ["protocol", "method", "classifier", "part", "subject"]
        return df[front + [c for c in df.columns if c not in front]]


def _tables_in(folder, methods=None):
    """[(table, descriptor)] of an output folder, in the paper's order (unknown tables last, by name)."""
    import json

    from mefeat._io import list_descriptors
    from mefeat.evaluation.labels import order_key

    names = list_descriptors(folder)
    descr = {}
    try:
        with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
            descr = {t: info.get("descriptor", t) for t, info in json.load(f).get("tables", {}).items()}
    except (OSError, ValueError):
        pass
    if not names:
        raise FileNotFoundError(f"{folder}: no feature table in {os.path.join(folder, 'features')}; "
                                "run `python -m mefeat.extract` first or give another --features folder")
    if methods:
        missing = [m for m in methods if m not in names]
        if missing:
            raise ValueError(f"--methods: no table {', '.join(missing)} in {folder} (tables: {', '.join(names)})")
        names = [n for n in names if n in methods]
    names = sorted(names, key=lambda n: order_key("method", n))
    return [(n, descr.get(n, n)) for n in names]


#: Why a clip is left out of a table's evaluation (``dropped.csv``), in the order they are checked.
DROP_REASONS = {
    "not_in_clips": "feature row of a clip that is not in clips.csv",
    "no_features": "clip in clips.csv without a row in the table (extraction failed or table incomplete)",
    "no_emotion": "no emotion label",
    "not_finite": "NaN or infinite feature value",
}


def _labelled(folder, table, clips=None, dropped=None):
    """Features and clip rows of one table, aligned; every clip left out is appended to ``dropped``.

    ``dropped`` (a list) receives one dict ``table, dataset, subject, clip, reason`` (a key of
    :data:`DROP_REASONS`) per clip left out: feature rows not in ``clips.csv``, clips without a
    row in the table, without an emotion, or with a NaN or infinite feature.
    """
    from mefeat import read_clips, read_features

    X = read_features(folder, table)
    clips = read_clips(folder) if clips is None else clips
    missing = [c for c in ("emotion",) if c not in clips.columns]
    if missing:
        raise ValueError(f"{os.path.join(os.fspath(folder), 'clips.csv')} has no {missing[0]!r} column (its columns: "
                         f"{', '.join(map(str, clips.columns[:8]))}): the labels of the clips are needed to compare")
    drops = [] if dropped is None else dropped

    def add(keys, reason):
        drops.extend({"table": table, "dataset": k[0], "subject": k[1], "clip": k[2], "reason": reason}
                     for k in keys)

    add(X.index.difference(clips.index, sort=False), "not_in_clips")
    add(clips.index.difference(X.index, sort=False), "no_features")
    common = X.index.intersection(clips.index, sort=False)
    lab = clips.loc[common]
    labelled = lab["emotion"].notna().to_numpy()
    finite = np.isfinite(X.loc[common].to_numpy()).all(axis=1)
    add(common[~labelled], "no_emotion")
    add(common[labelled & ~finite], "not_finite")
    keep = labelled & finite
    return X.loc[common][keep], lab[keep]


def leak_keys(clips):
    """Keys beside the subject that must not cross a fold: SMIC's person and event across its cameras.

    SMIC filmed the same events with three cameras (HS, VIS, NIR); a clip table that holds more
    than one of them (a ``modality`` column with several values) holds every such event two or
    three times, under per-modality subjects when the modalities are kept apart as databases.

    Parameters
    ----------
    clips : pandas.DataFrame
        Clip rows indexed by ``(dataset, subject, clip)``, with ``modality`` for SMIC clips.

    Returns
    -------
    dict or None
        ``{"person": ..., "event": ...}`` (one value per row: ``smic/<subject>`` and
        ``smic/<subject>/<clip>`` for clips with a modality; the row's own qualified subject and
        clip for the others), for :func:`mefeat.evaluation.evaluate`'s ``leak_keys``; None when
        no clip has a modality or all have the same one.
    """
    if "modality" not in clips.columns:
        return None
    modality = clips["modality"]
    if modality.dropna().astype(str).str.upper().nunique() < 2:
        return None
    keys = clips.index.to_frame(index=False)
    has = modality.notna().to_numpy()
    own = (keys["dataset"].astype(str) + "/" + keys["subject"].astype(str)).to_numpy(dtype=object)
    smic = ("smic/" + keys["subject"].astype(str)).to_numpy(dtype=object)
    person = np.where(has, smic, own)
    event = np.asarray([f"{p}/{c}" for p, c in zip(person, keys["clip"].astype(str))], dtype=object)
    return {"person": person, "event": event}


def _report_dropped(dropped):
    """Log one warning per table with the count of every reason (unlabelled clips only at INFO level)."""
    import pandas as pd

    df = pd.DataFrame(dropped, columns=["table", "dataset", "subject", "clip", "reason"])
    for table, g in df.groupby("table", sort=False):
        counts = g["reason"].value_counts()
        serious = {r: int(n) for r, n in counts.items() if r != "no_emotion"}
        text = ", ".join(f"{n} {DROP_REASONS[r]}" for r, n in counts.items())
        first = g[g["reason"] != "no_emotion"].head(3)
        examples = "; e.g. " + ", ".join(f"{r.dataset}/{r.subject}/{r.clip} ({r.reason})"
                                         for r in first.itertuples()) if len(first) else ""
        if serious:
            warnings.warn(f"compare: table {table!r}: {sum(serious.values())} clip(s) left out: {text}{examples} "
                          "(all listed in dropped.csv)", stacklevel=3)
        else:
            log.info("compare: table %s: %s left out", table, text)
    return df


def _check_classes(sub, preset):
    """Warn about classes with a single clip, naming a class they differ from only by case or spaces."""
    counts = sub["emotion"].value_counts()
    norm = {}
    for c in counts.index:
        norm.setdefault(" ".join(str(c).split()).casefold(), []).append(c)
    for c, n in counts.items():
        if n != 1:
            continue
        twins = [o for o in norm[" ".join(str(c).split()).casefold()] if o != c]
        hint = (f"; it differs from class {twins[0]!r} ({int(counts[twins[0]])} clips) only by case or spaces: a "
                "typo in the annotation sheet?") if twins else ""
        key = sub.index[(sub["emotion"] == c).to_numpy()][0]
        warnings.warn(f"compare: protocol {preset.name!r}: class {c!r} has a single clip ({'/'.join(key)}); it can "
                      f"never be both trained on and tested{hint}", UserWarning, stacklevel=3)


#: Columns of a results row from :func:`mefeat.evaluation.stats.result_statistics`, per metric.
_STAT_COLUMNS = {"ci_low": "ci_low", "ci_high": "ci_high", "chance": "chance_mean", "chance_q95": "chance_q95",
                 "p_chance": "p_chance"}
_METRICS = ("uf1", "uar", "acc")


def _row(protocol, table, clf, part, r, st, *, n_features, seconds):
    """One row of ``ComparisonResult.rows``: pooled scores, their interval and chance level, per-fold spread."""
    fs = r.fold_summary
    if len(r.fold_scores) < 2:  # one test fold (a DFME test set): no spread to report
        fs = {m: (v[0], np.nan) for m, v in fs.items()}
    return {"protocol": protocol, "method": table, "classifier": clf, "part": part,
            "n_clips": len(r.predictions), "n_subjects": int(st.loc[(part, "uf1"), "n_subjects"]),
            "n_features": n_features, **{m: r.scores[m] for m in _METRICS},
            **{f"{m}_{c}": float(st.loc[(part, m), src]) for m in _METRICS for c, src in _STAT_COLUMNS.items()},
            **{f"{m}_std": fs[m][1] for m in _METRICS},
            "share_class_absent": float(st.loc[(part, "uf1"), "share_class_absent"]), "seconds": round(seconds, 3)}


def _part_rows(res):
    """[(part, EvaluationResult)] of one run: the whole run ("full") and its parts, in report order."""
    if not res.parts:
        return [("full", res)]
    return [(p, res if p == "full" else res.parts[p]) for p in res.part_scores().index]


def run_comparison(features, *, protocols=None, methods=None, classifier_names=CLASSIFIERS, random_state=0,
                   n_jobs=None, nested=False, au=True, min_positives=10, cache=None, progress=False,
                   au_classifier=AU_CLASSIFIER):
    """Evaluate every feature table of an extraction output with every classifier and protocol.

    Parameters
    ----------
    features : str or path-like
        An output folder of :func:`mefeat.extract_features` (``clips.csv`` + ``features/``).
    protocols : sequence of str or None
        Names of :data:`mefeat.evaluation.PROTOCOLS`; None: :func:`default_protocol`.
    methods : sequence of str or None
        Table names to evaluate; None: every table in the folder.
    classifier_names : sequence of {"svm-linear", "svm-rbf", "rf"}
    random_state : int, default 0
        Seeds the folds and the classifiers.
    n_jobs : int or None
        Folds fitted in parallel; None: :func:`default_n_jobs` (the CPUs, within the memory).
    nested : bool, default False
        Nested subject-grouped grid search over :data:`PARAM_GRIDS`.
    au : bool, default True
        Also the per-AU detection F1 of every table (:func:`mefeat.evaluation.evaluate_aus` with
        :func:`make_au_classifier`, its default subject-grouped folds stratified on the emotions),
        where the clip table has AUs.
    min_positives : int, default 10
        AUs with fewer positive clips are left out of the AU detection.
    cache : str, path-like, joblib.Memory or None
        Cache every fold's predictions here (``python -m mefeat.compare``: ``<out>/cache``),
        keyed by the table's bytes, the classifier and its parameters, the protocol's labels,
        subjects and folds (:func:`mefeat.evaluation.evaluate`): a re-run, or a run with one
        more table, fits only what is new; a killed comparison resumes from its finished folds.
    progress : bool, default False
        One progress bar (stderr) over the whole comparison: every (protocol, table,
        classifier) run, then the AU detection of every table.
    au_classifier : {"lda", "svm-linear"}, default :data:`AU_CLASSIFIER`
        Classifier of the per-AU detection (:func:`make_au_classifier`).

    Returns
    -------
    ComparisonResult

    Raises
    ------
    FileNotFoundError
        No clip table or no feature table in ``features``.
    ValueError
        Unknown protocol, method or classifier, or a protocol that does not fit the data
        (no clip of its classes, DFME split without split sheets, too few subjects).
    """
    import pandas as pd

    from mefeat import read_clips
    from mefeat.evaluation import compare_with_published, evaluate, protocol_preset
    from mefeat.evaluation.protocol import SingleClassWarning, single_class_message
    from mefeat.evaluation.published import composite_parts

    folder = os.fspath(features)
    clips = read_clips(folder)
    tables = _tables_in(folder, methods)
    if protocols is None:
        protocols = [default_protocol(clips)]
    presets = [protocol_preset(p) for p in protocols]
    if au_classifier not in AU_CLASSIFIERS:
        raise ValueError(f"unknown AU classifier {au_classifier!r}; choose from {', '.join(AU_CLASSIFIERS)}")
    if n_jobs is None:
        n_jobs = default_n_jobs(len(clips))
    rows, runs, dropped, outside, checked = [], [], [], [], set()
    from mefeat.evaluation.protocol import progress_bar

    bar = progress_bar()(total=len(presets) * len(tables) * len(classifier_names) + (len(tables) if au else 0),
                         desc="compare", unit="run", file=sys.stderr, disable=not progress, leave=False)
    for preset in presets:
        for table, descriptor in tables:
            X, lab = _labelled(folder, table, clips, dropped if preset is presets[0] else None)
            if len(X) == 0:
                log.warning("compare: table %s has no labelled clip with finite features; skipped", table)
                continue
            try:
                mask = preset.mask(lab)
                sub = lab[mask]
                kw = preset.evaluate_kwargs(sub)
            except KeyError as exc:
                raise ValueError(f"protocol {preset.name!r} does not fit {folder}: {exc.args[0]}") from None
            out_of_protocol = lab.index[~np.asarray(mask, dtype=bool)]
            outside.extend({"table": table, "dataset": k[0], "subject": k[1], "clip": k[2],
                            "reason": f"not_in_protocol:{preset.name}"} for k in out_of_protocol)
            if preset.name not in checked:
                checked.add(preset.name)
                _check_classes(sub, preset)
            classes = sorted(set(sub["emotion"]))
            if len(classes) < 2:
                raise ValueError(f"protocol {preset.name!r} keeps {len(sub)} clips of table {table!r} and they are "
                                 f"all of one class ({', '.join(classes)}); it does not fit this data set "
                                 f"(classes {', '.join(preset.classes or ()) or 'any'})")
            kw["groups"] = sub["group"].to_numpy(dtype=object)
            kw["leak_keys"] = leak_keys(sub)
            Xs = X.to_numpy()[mask]
            for clf in classifier_names:
                t0 = time.perf_counter()
                try:
                    with warnings.catch_warnings():  # re-issued below, naming the table
                        warnings.simplefilter("ignore", SingleClassWarning)
                        res = evaluate(make_classifier(clf, random_state=random_state), Xs, **kw,
                                       random_state=random_state, n_jobs=n_jobs, cache=cache,
                                       param_grid=PARAM_GRIDS[clf] if nested else None, verbose=False)
                except ValueError as exc:
                    raise ValueError(f"protocol {preset.name!r} on table {table!r} ({len(sub)} clips, "
                                     f"{sub['group'].nunique()} subjects): {exc}") from None
                extra = res.leak_audit[res.leak_audit["key"].isin(list(kw["leak_keys"] or ()))]
                if len(extra):
                    warnings.warn(f"compare: protocol {preset.name!r} on table {table!r}: {len(extra)} "
                                  f"{'/'.join(sorted(set(extra['key'])))} value(s) on both sides of a fold (e.g. "
                                  f"{extra['key'].iloc[0]} {extra['value'].iloc[0]!r} in fold {extra['fold'].iloc[0]}):"
                                  " the same person filmed by several SMIC cameras; listed in protocol.json",
                                  UserWarning, stacklevel=2)
                if res.collapsed:
                    warnings.warn(f"compare: classifier {clf!r} on table {table!r} under protocol {preset.name!r} "
                                  f"predicts a single class: {single_class_message(res)} (UF1 "
                                  f"{res.scores['uf1']:.4f}, UAR {res.scores['uar']:.4f}: a constant guess)",
                                  SingleClassWarning, stacklevel=2)
                secs = time.perf_counter() - t0
                st = res.statistics(random_state=random_state)
                runs.append({"protocol": preset.name, "method": table, "descriptor": descriptor, "classifier": clf,
                             "result": res, "index": list(sub.index), "seconds": secs, "statistics": st})
                for part, r in _part_rows(res):
                    rows.append(_row(preset.name, table, clf, part, r, st, n_features=X.shape[1], seconds=secs))
                log.info("compare: %-20s %-14s %-26s %s (%.1f s)", table, clf, preset.name, res.summary(), secs)
                bar.update(1)
    if not rows:
        raise ValueError(f"nothing to evaluate in {folder}")
    df = pd.DataFrame(rows)
    # the published baselines beside ours (matched on printed names: compare_with_published relabels)
    from mefeat.evaluation import labels as L

    pub = compare_with_published(df[["method", "classifier", "protocol", "part", "uf1", "uar"]])

    def key(m, c, p, pa):
        return L.method_label(m), L.classifier_label(c), L.protocol_label(p), L.part_label(pa)

    found = {key(*r[:4]): r[4:] for r in pub[["method", "classifier", "protocol", "part", "UF1 (published)",
                                             "UAR (published)", "source"]].itertuples(index=False)}
    hits = [found.get(key(m, c, p, pa), (np.nan, np.nan, "")) for m, c, p, pa in
            df[["method", "classifier", "protocol", "part"]].itertuples(index=False)]
    # a composite's published figures ("full") only beside a run that holds all of its parts
    held = df.groupby(["protocol", "method", "classifier"])["part"].agg(frozenset).to_dict()
    hits = [(np.nan, np.nan, "") if pa == "full" and not set(composite_parts(p)) <= held[(p, m, c)] else h
            for h, (m, c, p, pa) in zip(hits, df[["method", "classifier", "protocol", "part"]].itertuples(index=False))]
    df["uf1_published"] = [h[0] for h in hits]
    df["uar_published"] = [h[1] for h in hits]
    df["published_source"] = [h[2] for h in hits]
    df = L.sort_results(df).reset_index(drop=True)
    dropped = _report_dropped(dropped)
    if outside:  # clips of a class the protocol does not use: expected, listed but not warned about
        dropped = pd.concat([dropped, pd.DataFrame(outside, columns=dropped.columns)], ignore_index=True)
    paired = _paired_tests(runs, random_state=random_state)
    au_table, au_skipped = (_au_detection(folder, tables, min_positives=min_positives, random_state=random_state,
                                          n_jobs=n_jobs, cache=cache, bar=bar, au_classifier=au_classifier)
                              if au else (None, {}))
    bar.close()
    return ComparisonResult(df, runs, _results_table(df), au_table, au_skipped, paired=paired, dropped=dropped,
                            au_classifier=au_classifier if au_table is not None else None)


#: Columns of ``ComparisonResult.paired``.
PAIRED_COLUMNS = ("protocol", "part", "classifier", "method_a", "method_b", "metric", "score_a", "score_b", "diff",
                  "p", "p_holm", "n_subjects", "n_clips", "n_discordant", "exact", "same_folds", "alternative")


def _paired_tests(runs, *, random_state=0):
    """Paired sign-flip tests of every pair of methods per (protocol, part, classifier), Holm within each group.

    Methods are paired on the clips they all tested (the same clips when every table has a row for every
    clip); ``same_folds`` says whether those clips were also in the same folds.
    """
    import pandas as pd

    from mefeat.evaluation.stats import paired_test

    groups = {}
    for run in runs:
        for part, r in _part_rows(run["result"]):
            groups.setdefault((run["protocol"], part, run["classifier"]), []).append((run["method"], r, run["index"]))
    frames = []
    for (protocol, part, clf), items in groups.items():
        if len(items) < 2:
            continue
        keyed = {}
        for method, r, index in items:
            p = r.predictions
            keyed[method] = p.set_index(pd.MultiIndex.from_tuples([tuple(index[i]) for i in p.index]))
        first = keyed[items[0][0]]
        common = first.index
        for p in keyed.values():
            common = common.intersection(p.index, sort=False)
        if len(common) == 0:
            continue
        ref = first.loc[common]
        same_folds = all((p.loc[common, "fold"].to_numpy() == ref["fold"].to_numpy()).all() for p in keyed.values())
        t = paired_test(ref["y_true"].to_numpy(dtype=object),
                        {m: p.loc[common, "y_pred"].to_numpy(dtype=object) for m, p in keyed.items()},
                        ref["group"].to_numpy(dtype=object), labels=items[0][1].labels, random_state=random_state)
        frames.append(t.assign(protocol=protocol, part=part, classifier=clf, n_clips=len(common),
                               same_folds=bool(same_folds)))
    if not frames:
        return pd.DataFrame(columns=list(PAIRED_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(PAIRED_COLUMNS)]


def _au_detection(folder, tables, *, min_positives, random_state, n_jobs, cache=None, bar=None,
                  au_classifier=AU_CLASSIFIER):
    """Per-AU detection of every table: (one row per (table, AU) or None, {table: {AU: reason}})."""
    import pandas as pd

    from mefeat.evaluation import evaluate_aus

    parts, skipped = [], {}
    for table, _ in tables:
        if bar is not None:
            bar.update(1)
        X, lab = _labelled(folder, table)
        if "aus" not in lab or not any(len(a) for a in lab["aus"]):
            continue
        if lab["group"].nunique() < 2:
            log.warning("compare: table %s: AU detection needs two subjects or more; skipped", table)
            continue
        t0 = time.perf_counter()
        res = evaluate_aus(make_au_classifier(au_classifier, random_state=random_state), X, list(lab["aus"]),
                           lab["group"].to_numpy(dtype=object), min_positives=min_positives,
                           stratify_by=lab["emotion"].to_numpy(dtype=object), random_state=random_state,
                           n_jobs=n_jobs, cache=cache, verbose=False)
        parts.append(res.table.reset_index().assign(method=table))
        skipped[table] = res.skipped
        log.info("compare: %-20s AU detection: %d AUs, mean F1 %.4f (%.1f s)", table, len(res.table),
                 res.mean_f1, time.perf_counter() - t0)
    if not parts:
        return None, {}
    df = pd.concat(parts, ignore_index=True)
    return df[["method", "au", "n_pos", "tp", "fp", "fn", "f1", "uar"]], skipped


def _results_table(df):
    """The columns of the written results table (parts only when a protocol has them)."""
    from mefeat.evaluation import results_table

    cols = ["protocol", "method", "classifier"]
    if (df["part"] != "full").any():
        cols.append("part")
    cols += ["n_clips", "n_subjects"]
    for m in _METRICS:
        cols += [m, f"{m}_ci_low", f"{m}_ci_high", f"{m}_std", f"{m}_chance"]
    cols += [c for c in ("uf1_published", "uar_published") if df[c].notna().any()]
    return results_table(df[cols])


# --------------------------------------------------------------------------- writing
def _write_csv(df, path, **kw):
    from mefeat._io import write_csv

    return write_csv(path, df, **kw)


def _chance_lines(result):
    """{(protocol, part): (K, {"uf1", "uar", "acc"})}: the analytic chance level of each tested set.

    UF1 and UAR: ``chance_level(strategy="prior")`` (1/K: no uninformed guess does better in
    the large-sample limit); ACC: ``strategy="majority"`` (the share of the largest class).
    """
    from mefeat.evaluation.stats import chance_level

    out = {}
    for run in result.runs:
        for part, r in _part_rows(run["result"]):
            if (run["protocol"], part) in out:
                continue
            y = r.predictions["y_true"].to_numpy(dtype=object)
            prior, major = chance_level(y, strategy="prior"), chance_level(y, strategy="majority")
            out[(run["protocol"], part)] = (len(set(y.tolist())), {"uf1": prior["uf1"], "uar": prior["uar"],
                                                                   "acc": major["acc"]})
    return out


def results_caption(result):
    """What every number of the results table is (the caption of ``results.md`` / ``results.tex``)."""
    from mefeat.evaluation import part_label, protocol_label
    from mefeat.evaluation.stats import CONFIDENCE_LEVEL, N_RESAMPLES

    chance = "; ".join(f"{protocol_label(p)}{'' if part == 'full' else ', ' + part_label(part)}: K = {k}, "
                       f"UF1/UAR {c['uf1']:.4f}, ACC {c['acc']:.4f}"
                       for (p, part), (k, c) in _chance_lines(result).items())
    return (f"UF1 / UAR / ACC pooled over the folds (TP, FP and FN summed over all out-of-fold predictions). "
            f"[CI]: {CONFIDENCE_LEVEL:.0%} subject-level bootstrap percentile interval of the pooled value (test "
            f"subjects resampled, predictions kept; {N_RESAMPLES:,} resamples). ± per-fold std: standard "
            f"deviation of the per-fold scores (a spread over folds, not an interval). Clips, Subjects: tested "
            f"clips and subjects. Bold: best value within a protocol (and part). Chance level (UF1 and UAR: 1/K, "
            f"no uninformed guess does better; ACC: share of the largest class): {chance}. The label-permutation "
            f"chance of every row is in results.csv (<metric> chance), its p-value in results.json.")


def _write_paired(paired, out):
    """``paired_tests.csv`` (long) and ``paired_tests.md`` (one row per pair); returns the paths."""
    from mefeat._io import atomic_write
    from mefeat.evaluation import labels as L
    from mefeat.evaluation.stats import N_RESAMPLES

    csv = _write_csv(paired, os.path.join(out, "paired_tests.csv"), index=False, float_format="%.6f")
    lines = [f"Paired tests: difference of the pooled score of method A and method B on the same clips (A - B) and "
             f"the p-value of a two-sided subject-level sign-flip permutation test (the predictions of each test "
             f"subject swapped between A and B; all swaps enumerated when 2^(subjects on whom A and B differ) <= "
             f"{N_RESAMPLES:,}, else {N_RESAMPLES:,} random ones), Holm-adjusted over the method pairs of one "
             "protocol, part, classifier and metric.",
             ""]
    head = ["Protocol", "Part", "Classifier", "Method A", "Method B", "Subjects"] + [
        f"{lab} A - B (p Holm)" for lab in ("UF1", "UAR", "ACC")]
    lines += ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 5 + ["---:"] * 4) + "|"]
    keys = ["protocol", "part", "classifier", "method_a", "method_b"]
    for key, g in paired.groupby(keys, sort=False):
        by = {r["metric"]: r for _, r in g.iterrows()}
        cells = [L.protocol_label(key[0]), L.part_label(key[1]), L.classifier_label(key[2]), L.method_label(key[3]),
                 L.method_label(key[4]), str(int(g["n_subjects"].iloc[0]))]
        cells += [f"{by[m]['diff']:+.4f} ({by[m]['p_holm']:.4f})" if m in by else "–" for m in ("uf1", "uar", "acc")]
        lines.append("| " + " | ".join(cells) + " |")
    md = os.path.join(out, "paired_tests.md")
    with atomic_write(md, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return csv, md


def protocol_record(result, *, random_state=0, nested=False):
    """The evaluation protocol of a comparison as a JSON-ready dict (``protocol.json``).

    Per protocol: its splitter, folds (test subjects of every fold), classes and their clip
    counts, whether every table was evaluated on the same folds, how hyper-parameters were
    chosen (never on test data), and the leak audit of every run
    (:func:`mefeat.evaluation.stats.leak_audit`: subjects, or other keys, on both sides of a
    fold; must be empty).
    """
    from mefeat.evaluation import protocol_label

    protos = {}
    for run in result.runs:
        res = run["result"]
        p = protos.setdefault(run["protocol"], {"label": protocol_label(run["protocol"]), "runs": []})
        preds = res.predictions
        folds = res.folds
        if "splitter" not in p:
            p.update({"splitter": folds.get("splitter"), "n_splits": folds.get("n_splits"),
                      "folds": folds.get("folds"), "classes": [str(c) for c in res.labels],
                      "class_counts": {str(k): int(v) for k, v in preds["y_true"].value_counts().items()},
                      "n_clips": int(len(preds)), "n_subjects": int(preds["group"].nunique()),
                      "same_folds_for_every_run": True})
        elif folds.get("folds") != p["folds"]:
            p["same_folds_for_every_run"] = False
        a = res.leak_audit
        p["runs"].append({"method": run["method"], "classifier": run["classifier"], "n_clips": int(len(preds)),
                          "n_leaks": 0 if a is None else int(len(a)),
                          "leaks": [] if a is None else [{k: (v if isinstance(v, (int, str)) else str(v))
                                                          for k, v in r.items()} for r in a.to_dict("records")]})
    return {"protocols": protos, "random_state": random_state,
            "hyperparameters": ("nested subject-grouped grid search inside the training part of every outer fold "
                                "(PARAM_GRIDS); the test fold is never seen" if nested else
                                "fixed (make_classifier defaults); nothing is chosen on any fold"),
            "hyperparameters_chosen_on_test_data": False,
            "n_leaks": sum(r["n_leaks"] for p in protos.values() for r in p["runs"]),
            "scores": "pooled over the folds (TP/FP/FN summed over all out-of-fold predictions)"}


def _long_tables(result):
    """per_fold, per_class and predictions of every run, long format."""
    import pandas as pd

    folds, classes, preds = [], [], []
    for run in result.runs:
        res = run["result"]
        tag = {"protocol": run["protocol"], "method": run["method"], "classifier": run["classifier"]}
        for part, r in _part_rows(res):
            f = r.fold_scores.reset_index()
            f.insert(0, "part", part)
            folds.append(f.assign(**tag))
            c = r.per_class.reset_index()
            c = c.rename(columns={c.columns[0]: "emotion"})
            c.insert(0, "part", part)
            classes.append(c.assign(**tag))
        p = res.predictions.drop(columns=["dataset"], errors="ignore")
        keys = [run["index"][i] for i in p.index.to_numpy()]
        p.insert(0, "clip", [k[2] for k in keys])
        p.insert(0, "subject", [k[1] for k in keys])
        p.insert(0, "dataset", [k[0] for k in keys])
        preds.append(p.assign(**tag))

    def cat(parts):
        df = pd.concat(parts, ignore_index=True)
        front = ["protocol", "method", "classifier"]
        return df[front + [c for c in df.columns if c not in front]]

    return cat(folds), cat(classes), cat(preds)


def _write_au(result, out):
    """``au_f1.csv`` (one row per (method, AU)) and ``au_f1.md`` (one row per method); returns the paths."""
    from mefeat._io import atomic_write
    from mefeat.evaluation.labels import method_label

    au = result.au.assign(method=[method_label(m) for m in result.au["method"]],
                          au=[f"AU{a}" for a in result.au["au"]])
    csv = _write_csv(au, os.path.join(out, "au_f1.csv"), index=False, float_format="%.6f")
    methods = list(dict.fromkeys(au["method"]))
    aus = [f"AU{a}" for a in sorted(set(result.au["au"]))]
    f1 = au.pivot(index="method", columns="au", values="f1").reindex(index=methods, columns=aus)
    cells = [[m, *("" if np.isnan(v) else f"{v:.4f}" for v in f1.loc[m]),
              f"{f1.loc[m].mean():.4f}" if f1.loc[m].notna().any() else ""] for m in methods]
    head = ["Method", *aus, "mean F1"]
    clf = {"lda": "linear discriminant with equal priors and Ledoit-Wolf shrinkage",
           "svm-linear": "linear SVM"}.get(result.au_classifier, str(result.au_classifier or "linear SVM"))
    lines = [f"Per-AU detection F1 (positive class; {clf}, subject-grouped folds, out-of-fold predictions "
             "pooled)", "", "| " + " | ".join(head) + " |", "|---|" + "|".join("---:" for _ in head[1:]) + "|",
             *("| " + " | ".join(r) + " |" for r in cells)]
    left_out = {}
    for reasons in result.au_skipped.values():
        left_out.update(reasons)
    if left_out:
        lines += ["", "Left out: " + "; ".join(f"AU{a} ({r})" for a, r in sorted(left_out.items()))]
    md = os.path.join(out, "au_f1.md")
    with atomic_write(md, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return csv, md


def _figures(result, clips, out, formats, dpi):
    """Confusion grids and score bars per protocol, the emotion–AU heatmap; returns the written paths."""
    from mefeat.evaluation import (
        classifier_label,
        emotion_au_table,
        part_label,
        plot_confusion_grid,
        plot_emotion_au_heatmap,
        plot_scores_bar,
        protocol_label,
        published_baselines,
    )
    from mefeat.evaluation.stats import CONFIDENCE_LEVEL

    folder = os.path.join(out, "figures")
    os.makedirs(folder, exist_ok=True)
    written = []
    chance = _chance_lines(result)
    for protocol in dict.fromkeys(r["protocol"] for r in result.runs):
        runs = [r for r in result.runs if r["protocol"] == protocol]
        # DFME split: each test set on its own (they are never pooled); other protocols: the whole run
        parts = ["testA", "testB"] if runs[0]["result"].part_by == "split" else ["full"]
        pub = published_baselines(protocol=protocol)
        for part in parts:
            suffix = "" if part == "full" else f"_{part}"
            grid = {(r["method"], r["classifier"]): (r["result"] if part == "full" else r["result"].parts[part])
                    for r in runs if part == "full" or part in r["result"].parts}
            title = "Confusion matrices — " + protocol_label(protocol) + (f", {part_label(part)}" if suffix else "")
            rows = result.rows[(result.rows["protocol"] == protocol) & (result.rows["part"] == part)]
            k = chance.get((protocol, part), (0, None))[0]
            bar_title = (f"UF1 and UAR per method — {protocol_label(protocol)}"
                         + (f", {part_label(part)}" if suffix else "")
                         + f"\npooled over folds; bars: {CONFIDENCE_LEVEL:.0%} subject-bootstrap CI; dashed: chance"
                         + (f" (1/K, K = {k})" if k else ""))
            for fmt in formats:  # one figure per classifier, its methods in rows of 4: fits a page's width
                for clf in dict.fromkeys(c for _, c in grid):
                    written.append(plot_confusion_grid(
                        grid, os.path.join(folder, f"confusion_{protocol}{suffix}_{clf}"), protocol=protocol,
                        title=f"{title}, {classifier_label(clf)}", classifiers=[clf], ncols=4, fmt=fmt, dpi=dpi))
                written.append(plot_scores_bar(rows, os.path.join(folder, f"scores_{protocol}{suffix}"),
                                               protocol=protocol, classifier="all",
                                               published=pub if len(pub) else None,
                                               chance=chance.get((protocol, part), (0, None))[1],
                                               title=bar_title, fmt=fmt, dpi=dpi))
    labelled = clips[clips["emotion"].notna()]
    if "aus" in labelled and any(len(a) for a in labelled["aus"]):
        share = emotion_au_table(labelled.reset_index())
        _write_csv(share.rename(columns=lambda a: f"AU{a}"), os.path.join(out, "emotion_au.csv"), index=True,
                   float_format="%.4f")
        for fmt in formats:
            written.append(plot_emotion_au_heatmap(share, os.path.join(folder, "emotion_au"), fmt=fmt, dpi=dpi))
    return written


def write_comparison(result, out, *, clips, figure_formats=("png", "pdf"), dpi=300, meta=None):
    """Write every output of a comparison to ``out`` (listed in :mod:`mefeat.compare`); returns the paths."""
    from mefeat import __version__
    from mefeat._io import write_json
    from mefeat.evaluation import write_results

    os.makedirs(out, exist_ok=True)
    files = dict(write_results(result.table, os.path.join(out, "results"), caption=results_caption(result)))
    per_fold, per_class, preds = _long_tables(result)
    files["subject_scores"] = _write_csv(result.subject_scores(), os.path.join(out, "subject_scores.csv"),
                                         index=False, float_format="%.6f")
    if result.paired is not None and len(result.paired):
        files["paired_tests_csv"], files["paired_tests_md"] = _write_paired(result.paired, out)
    protocol = protocol_record(result, random_state=(meta or {}).get("random_state", 0),
                               nested=(meta or {}).get("nested", False))
    files["protocol"] = os.path.join(out, "protocol.json")
    write_json(files["protocol"], protocol)
    files["per_fold"] = _write_csv(per_fold, os.path.join(out, "per_fold.csv"), index=False, float_format="%.6f")
    files["per_class"] = _write_csv(per_class, os.path.join(out, "per_class.csv"), index=False,
                                    float_format="%.6f")
    files["predictions"] = _write_csv(preds, os.path.join(out, "predictions.csv"), index=False)
    if result.au is not None:
        files["au_f1_csv"], files["au_f1_md"] = _write_au(result, out)
    if result.dropped is not None:
        files["dropped"] = _write_csv(result.dropped, os.path.join(out, "dropped.csv"), index=False)
    figures = _figures(result, clips, out, figure_formats, dpi)
    report = {
        "mefeat_version": __version__, "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **(meta or {}),
        "classifiers": {c: repr(make_classifier(c)) for c in dict.fromkeys(r["classifier"] for r in result.runs)},
        "au_classifier": None if result.au_classifier is None else {
            result.au_classifier: repr(make_au_classifier(result.au_classifier))},
        "results": result.rows.replace({np.nan: None}).to_dict(orient="records"),
        "runs": [{"protocol": r["protocol"], "method": r["method"], "descriptor": r["descriptor"],
                  "classifier": r["classifier"], "seconds": round(r["seconds"], 3),
                  "clips": ["/".join(k) for k in r["index"]], **r["result"].to_dict(),
                  "statistics": [{"part": k[0], "metric": k[1], **v} for k, v in
                                 r["statistics"].replace({np.nan: None}).to_dict(orient="index").items()]}
                 for r in result.runs],
        "dropped": None if result.dropped is None else {
            "n_clips": int(len(result.dropped)),
            "by_table_and_reason": {t: {str(r): int(n) for r, n in g["reason"].value_counts().items()}
                                    for t, g in result.dropped.groupby("table", sort=False)},
            "reasons": DROP_REASONS},
        "paired_tests": None if result.paired is None else result.paired.replace({np.nan: None}).to_dict(
            orient="records"),
        "protocol": protocol,
        "caption": results_caption(result),
        "au_f1": None if result.au is None else {
            "results": result.au.to_dict(orient="records"),
            "skipped": {m: {f"AU{a}": r for a, r in s.items()} for m, s in result.au_skipped.items()}},
        "files": {k: os.path.relpath(v, out) for k, v in files.items()},
        "figures": [os.path.relpath(p, out) for p in figures],
    }
    files["json"] = os.path.join(out, "results.json")
    write_json(files["json"], report)
    return files, figures
