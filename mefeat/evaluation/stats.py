"""Subject-level statistics of MER results: intervals, chance levels, paired tests, leak audit.

Every function takes the pooled out-of-fold predictions of a run (``y_true``, ``y_pred`` and the
test subject of every clip, e.g. the columns ``y_true, y_pred, group`` of
:attr:`mefeat.evaluation.EvaluationResult.predictions`) and works on **per-subject confusion
matrices**: a resample, a permutation or a swap of subjects only re-weights these matrices, so
10,000 resamples of a DFME-sized run (7,526 clips, 656 subjects, 7 classes) are a few matrix
products. The scores of a summed matrix are the pooled UF1 / UAR / ACC of
:mod:`mefeat.evaluation.metrics` (TP/FP/FN summed over folds; classes without a true sample
left out of the macro averages); the point estimates reported here are always computed by
:func:`mefeat.evaluation.metrics.scores_from_confusion` itself.

- :func:`bootstrap_ci`: subject-level bootstrap interval (percentile or BCa) of the pooled
  scores; :func:`bootstrap_distribution` gives the resampled scores.
- :func:`chance_level`: analytic chance UF1 / UAR / ACC (uniform, prior, majority, or the
  method's own prediction marginal); :func:`permutation_chance`: the label-permutation null
  distribution within strata (mean, 95 % quantile, p-value of the observed score).
- :func:`subject_scores`: one row per test subject.
- :func:`paired_test`, :func:`paired_test_results`: sign-flip (subject swap) permutation test
  of the pooled score difference of two methods on the same clips, Holm-corrected
  (:func:`holm`).
- :func:`result_statistics`: interval and chance level of every part of an
  :class:`~mefeat.evaluation.EvaluationResult`, as one table.
- :func:`leak_audit`: subjects (or any other group, e.g. SMIC recording events) on both sides
  of a fold.

References
----------
.. [1] B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*. Chapman & Hall,
   1993, ch. 13-14 (percentile and BCa intervals). :doi:`10.1201/9780429246593`
.. [2] S. Holm, "A simple sequentially rejective multiple test procedure", *Scandinavian
   Journal of Statistics* 6(2), 65-70, 1979.
.. [3] T. Varanka, Y. Li, W. Peng and G. Zhao, "Data Leakage and Evaluation Issues in
   Micro-Expression Analysis", *IEEE Transactions on Affective Computing* 15(1), 186-197,
   2024. :doi:`10.1109/TAFFC.2023.3265063`
.. [4] B. Phipson and G. K. Smyth, "Permutation p-values should never be zero", *Statistical
   Applications in Genetics and Molecular Biology* 9(1), 39, 2010. :doi:`10.2202/1544-6115.1585`
.. [5] W. M. Patefield, "Algorithm AS 159: An efficient method of generating random R x C
   tables with given row and column totals", *Applied Statistics* 30(1), 91-97, 1981.
   :doi:`10.2307/2346669`
"""

import numpy as np

from mefeat.evaluation import metrics as _metrics

__all__ = [
    "bootstrap_distribution",
    "bootstrap_ci",
    "chance_level",
    "permutation_chance",
    "subject_scores",
    "paired_test",
    "paired_test_results",
    "holm",
    "result_statistics",
    "leak_audit",
]

#: Default number of bootstrap resamples, permutations and Monte-Carlo sign flips.
N_RESAMPLES = 10000
#: Default confidence level of the intervals.
CONFIDENCE_LEVEL = 0.95
#: Resamples (or sign flips) drawn per block: bounds memory to ``_BLOCK * n_subjects`` counts.
_BLOCK = 1000
#: Two resampled scores closer than this count as equal (ties of p-values and of BCa's bias).
_TIE = 1e-12
#: Chance strategies of :func:`chance_level`.
CHANCE_STRATEGIES = ("uniform", "prior", "majority", "predictions")
_ALTERNATIVES = ("two-sided", "greater", "less")


# --------------------------------------------------------------------------- helpers
def _rng(random_state):
    return np.random.default_rng(random_state)


def _factorize(values, name):
    """(codes, uniques) of a 1-D label array, uniques sorted when they compare."""
    import pandas as pd

    values = np.asarray(values, dtype=object)
    if values.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {values.shape}")
    if pd.isna(values).any():
        raise ValueError(f"{name} has {int(pd.isna(values).sum())} missing values")
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:  # labels of mixed types
        codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.intp), list(uniques)


def _prepare(y_true, y_pred, groups, labels):
    """Class codes, subject codes and per-subject confusion matrices (n_subjects, K, K)."""
    t, p, labels = _metrics._encode(y_true, y_pred, labels)
    if groups is None:
        raise ValueError("groups (the test subject of every clip) is required")
    s, subjects = _factorize(groups, "groups")
    if len(s) != len(t):
        raise ValueError(f"groups has {len(s)} entries but y_true has {len(t)}")
    if len(t) == 0:
        raise ValueError("no predictions: y_true is empty")
    k = len(labels)
    flat = (s * k + t) * k + p
    cms = np.bincount(flat, minlength=len(subjects) * k * k).reshape(len(subjects), k, k)
    return t, p, s, subjects, labels, cms


def _scores_batch(cm):
    """UF1, UAR, ACC of many confusion matrices at once.

    The vectorised form of :func:`mefeat.evaluation.metrics.scores_from_confusion` (same rule:
    classes with no true sample are left out of the macro averages; their false positives
    count as false negatives of the true classes). Agreement is tested on random and
    degenerate matrices, and :func:`_estimate` checks it on every observed matrix.

    Parameters
    ----------
    cm : (..., K, K) array-like of counts (rows true, columns predicted)

    Returns
    -------
    (..., 3) float64 ndarray
        Columns in the order of :data:`mefeat.evaluation.metrics.METRICS` (uf1, uar, acc);
        NaN where a matrix is empty.
    """
    cm = np.asarray(cm, dtype=np.float64)
    return _scores_from_counts(np.diagonal(cm, axis1=-2, axis2=-1), cm.sum(axis=-1), cm.sum(axis=-2))


def _scores_from_counts(tp, n_true, n_pred):
    """UF1, UAR, ACC (..., 3) from per-class TP, true counts and predicted counts (..., K), broadcast."""
    tp, n_true, n_pred = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (tp, n_true, n_pred)))
    present = n_true > 0
    n_present = present.sum(axis=-1)
    total = n_true.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(present, 2.0 * tp / (n_true + n_pred), 0.0)
        rec = np.where(present, tp / n_true, 0.0)
        out = {"uf1": f1.sum(axis=-1) / n_present, "uar": rec.sum(axis=-1) / n_present,
               "acc": tp.sum(axis=-1) / total}
    return np.stack([np.where(n_present > 0, out[m], np.nan) for m in _metrics.METRICS], axis=-1)


def _estimate(cm):
    """Scores of one pooled matrix from metrics.py, checked against the batch form used for resampling."""
    ref = _metrics.scores_from_confusion(cm)
    ref = np.array([ref[m] for m in _metrics.METRICS])
    fast = _scores_batch(cm)
    if not np.allclose(ref, fast, rtol=0, atol=1e-12, equal_nan=True):
        raise RuntimeError(f"mefeat.evaluation.stats disagrees with metrics.scores_from_confusion: {fast} vs {ref}; "
                           "the metric definitions diverged")
    return ref


def _check_n(n, name):
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return int(n)


def _check_level(level):
    if not (isinstance(level, (float, int, np.floating)) and 0 < level < 1):
        raise ValueError(f"confidence_level must be in (0, 1), got {level!r}")
    return float(level)


def _strata_of_subjects(strata, s, n_subjects, n, what="subject"):
    """Stratum code of every subject (each subject must lie in one stratum)."""
    if strata is None:
        return np.zeros(n_subjects, dtype=np.intp), ["all"]
    h, names = _factorize(strata, "strata")
    if len(h) != n:
        raise ValueError(f"strata has {len(h)} entries but y_true has {n}")
    _, first_clip = np.unique(s, return_index=True)
    first = h[first_clip]  # stratum of each subject's first clip (subject codes are 0 .. n_subjects - 1)
    bad = np.flatnonzero(first[s] != h)
    if len(bad):
        raise ValueError(f"strata must be constant within a {what}: sample {int(bad[0])} is in stratum "
                         f"{names[h[bad[0]]]!r} but its {what} also has clips in {names[first[s[bad[0]]]]!r}")
    return first, names


# --------------------------------------------------------------------------- bootstrap
def _bootstrap(cms, subj_stratum, n_resamples, rng):
    """Resampled pooled matrices' scores (B, 3) and whether a class of the full set was missing (B,)."""
    n_subj, k, _ = cms.shape
    flat = cms.reshape(n_subj, k * k).astype(np.float64)
    present = cms.sum(axis=(0, 2)) > 0
    members = [np.flatnonzero(subj_stratum == h) for h in np.unique(subj_stratum)]
    theta = np.empty((n_resamples, len(_metrics.METRICS)))
    absent = np.empty(n_resamples, dtype=bool)
    for start in range(0, n_resamples, _BLOCK):
        b = min(_BLOCK, n_resamples - start)
        rows = np.arange(b)[:, None] * n_subj
        draws = np.concatenate([m[rng.integers(0, len(m), size=(b, len(m)))] for m in members], axis=1)
        counts = np.bincount((rows + draws).ravel(), minlength=b * n_subj).reshape(b, n_subj)
        pooled = (counts @ flat).reshape(b, k, k)
        theta[start:start + b] = _scores_batch(pooled)
        absent[start:start + b] = ((pooled.sum(axis=2) > 0) < present).any(axis=1)
    return theta, absent


def bootstrap_distribution(y_true, y_pred, groups, *, strata=None, n_resamples=N_RESAMPLES, random_state=0,
                           labels=None):
    """Pooled UF1 / UAR / ACC of subject-level bootstrap resamples (predictions kept).

    Parameters
    ----------
    y_true, y_pred : (n_samples,) array-like
        Pooled out-of-fold predictions.
    groups : (n_samples,) array-like
        Test subject of every sample: the resampled unit.
    strata : (n_samples,) array-like or None
        Resample subjects within each stratum (e.g. the database of a composite protocol);
        a subject must lie in one stratum.
    n_resamples : int, default=10000
    random_state : int, numpy Generator or None, default=0
    labels : sequence or None
        Class list (:func:`mefeat.evaluation.metrics.mer_scores`).

    Returns
    -------
    (n_resamples, 3) float64 ndarray
        Columns uf1, uar, acc (:data:`mefeat.evaluation.metrics.METRICS`).

    See Also
    --------
    bootstrap_ci : the interval, with the rules and references.

    Examples
    --------
    >>> d = bootstrap_distribution([0, 1, 1, 0], [0, 1, 0, 0], ["a", "a", "b", "b"], n_resamples=5)
    >>> d.shape
    (5, 3)
    """
    _, _, s, subjects, _, cms = _prepare(y_true, y_pred, groups, labels)
    n_resamples = _check_n(n_resamples, "n_resamples")
    subj_stratum, _ = _strata_of_subjects(strata, s, len(subjects), len(s))
    return _bootstrap(cms, subj_stratum, n_resamples, _rng(random_state))[0]


def _bca(theta, estimate, jack, level):
    """BCa interval of one score (Efron & Tibshirani 1993, eq. 14.9-14.15); NaN when undefined."""
    from scipy.stats import norm

    b = len(theta)
    below = np.sum(theta < estimate - _TIE) + 0.5 * np.sum(np.abs(theta - estimate) <= _TIE)
    prop = below / b
    if not 0 < prop < 1:
        return np.nan, np.nan
    z0 = norm.ppf(prop)
    d = jack.mean() - jack
    den = 6.0 * np.sum(d ** 2) ** 1.5
    a = np.sum(d ** 3) / den if den > 0 else 0.0
    z = norm.ppf([(1 - level) / 2, (1 + level) / 2])
    q = norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
    return tuple(np.quantile(theta, q))


def bootstrap_ci(y_true, y_pred, groups, *, confidence_level=CONFIDENCE_LEVEL, method="percentile", strata=None,
                 n_resamples=N_RESAMPLES, random_state=0, labels=None):
    """Subject-level bootstrap confidence interval of the pooled UF1, UAR and ACC.

    Test subjects are drawn with replacement (as many as there are, within each stratum when
    ``strata`` is given); every clip of a drawn subject enters with its prediction, and the
    pooled scores of the resample are computed as for the full set.

    Parameters
    ----------
    y_true, y_pred : (n_samples,) array-like
        Pooled out-of-fold predictions (``result.predictions["y_true"]`` / ``["y_pred"]``).
    groups : (n_samples,) array-like
        Test subject of every sample (``result.predictions["group"]``).
    confidence_level : float, default=0.95
    method : {"percentile", "bca"}, default="percentile"
        Efron's percentile interval, or the bias-corrected and accelerated interval (bias
        from the share of resamples below the estimate, ties counted half; acceleration from
        the leave-one-subject-out jackknife).
    strata : (n_samples,) array-like or None
        Resample subjects within strata (e.g. ``result.predictions["dataset"]`` for MEGC 2019:
        each database keeps its number of subjects).
    n_resamples : int, default=10000
    random_state : int, numpy Generator or None, default=0
        The same seed gives the same interval.
    labels : sequence or None
        Class list (default: sorted labels seen).

    Returns
    -------
    pandas.DataFrame, (3, 9)
        Index ``metric`` (uf1, uar, acc); columns ``estimate`` (the pooled score, from
        :func:`mefeat.evaluation.metrics.scores_from_confusion`), ``ci_low, ci_high``,
        ``se`` (standard deviation of the resampled scores), ``confidence_level``, ``method``,
        ``n_resamples``, ``n_subjects``, ``share_class_absent`` (share of resamples missing a
        class of the full set).

    Raises
    ------
    ValueError
        Mismatched lengths, missing subjects, a label outside ``labels``, a bad
        ``confidence_level``/``method``/``n_resamples``, a subject in two strata, or
        ``method="bca"`` with fewer than 2 subjects.

    Notes
    -----
    - **What the interval covers**: the variability of the pooled score over test subjects,
      the fitted models and their predictions held fixed. It does not include the training
      variability (refitting on resampled training sets), so it is narrower than an interval
      for "the method" on new data; it is the right interval for "this run's score".
    - **Subjects, not clips**, are resampled: clips of one person are correlated, and a
      clip-level bootstrap would understate the spread.
    - **Resamples missing a class** (a rare class carried by few subjects): the resampled
      score is the same function as the reported one, i.e. the macro averages run over the
      classes present in the resample's true labels (the rule of
      :mod:`mefeat.evaluation.metrics`). Scoring the missing class as F1 = recall = 0 (a fixed
      class list) would instead pull the interval down by a pure artefact, ``1/K`` of the
      score for each missing class, although no prediction got worse; the plug-in principle
      of the bootstrap is to apply the same statistic to the resample. ``share_class_absent``
      says how often this happened; above a few percent, widen the strata or treat the
      interval with care.
    - Quantiles use numpy's default linear interpolation of the resampled scores.
    - BCa's bias term counts resampled scores equal to the estimate as half below (the
      pooled scores are discrete with few subjects); it is NaN when every resampled score
      lies on one side of the estimate.

    References
    ----------
    .. [1] B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*. Chapman & Hall,
       1993: §13.3 (percentile interval), §14.3 (BCa). :doi:`10.1201/9780429246593`

    Examples
    --------
    Subject a gets 2 of its 2 clips right, b and c 1 of 2, so a resample's accuracy is
    (3 + X) / 6 with X ~ Binomial(3, 1/3) draws of a: 1/2, 2/3, 5/6 or 1 with probabilities
    8/27, 12/27, 6/27 and 1/27, whose 2.5 % and 97.5 % quantiles are 1/2 and 1:

    >>> y = [0, 1, 0, 1, 0, 1]; pred = [0, 1, 0, 0, 1, 1]; subj = ["a", "a", "b", "b", "c", "c"]
    >>> ci = bootstrap_ci(y, pred, subj, n_resamples=2000)
    >>> ci.loc["acc", ["estimate", "ci_low", "ci_high"]].round(4).tolist()
    [0.6667, 0.5, 1.0]
    """
    import pandas as pd

    level = _check_level(confidence_level)
    if method not in ("percentile", "bca"):
        raise ValueError(f"method must be 'percentile' or 'bca', got {method!r}")
    n_resamples = _check_n(n_resamples, "n_resamples")
    _, _, s, subjects, _, cms = _prepare(y_true, y_pred, groups, labels)
    subj_stratum, _ = _strata_of_subjects(strata, s, len(subjects), len(s))
    total = cms.sum(axis=0)
    estimate = _estimate(total)
    theta, absent = _bootstrap(cms, subj_stratum, n_resamples, _rng(random_state))
    if method == "bca":
        if len(subjects) < 2:
            raise ValueError("method='bca' needs at least 2 subjects (jackknife)")
        jack = _scores_batch(total[None] - cms)
        bounds = [_bca(theta[:, j], _scores_batch(total)[j], jack[:, j], level) for j in range(theta.shape[1])]
    else:
        q = [(1 - level) / 2, (1 + level) / 2]
        bounds = [tuple(np.quantile(theta[:, j], q)) for j in range(theta.shape[1])]
    rows = [{"metric": m, "estimate": float(estimate[j]), "ci_low": float(bounds[j][0]),
             "ci_high": float(bounds[j][1]), "se": float(np.std(theta[:, j], ddof=1)) if n_resamples > 1 else np.nan,
             "confidence_level": level, "method": method, "n_resamples": n_resamples,
             "n_subjects": len(subjects), "share_class_absent": float(absent.mean())}
            for j, m in enumerate(_metrics.METRICS)]
    return pd.DataFrame(rows).set_index("metric")


# --------------------------------------------------------------------------- chance
def chance_level(y_true, *, strategy="uniform", y_pred=None, labels=None):
    """Analytic chance UF1, UAR and ACC of a classifier whose predictions ignore the clip.

    Parameters
    ----------
    y_true : (n_samples,) array-like
        True labels of the evaluated clips (their class proportions ``p``).
    strategy : {"uniform", "prior", "majority", "predictions"}, default="uniform"
        The distribution ``q`` of the uninformed predictions: uniform over ``labels``; the
        class proportions of ``y_true`` (a stratified random guess); always the most frequent
        class (ties: first in ``labels``); or the observed marginal of ``y_pred`` (the mean
        of the label-permutation null of that method, see Notes).
    y_pred : (n_samples,) array-like or None
        Needed by (and only by) ``strategy="predictions"``.
    labels : sequence or None
        Class list; default: sorted labels seen. ``"uniform"`` guesses among all of them.

    Returns
    -------
    dict
        ``{"uf1": float, "uar": float, "acc": float}``.

    Raises
    ------
    ValueError
        Unknown strategy, ``y_pred`` missing for ``"predictions"`` or given for another
        strategy, empty ``y_true``.

    Notes
    -----
    With class proportions ``p_c`` (over the classes present in ``y_true``, which the macro
    averages use) and independent predictions drawn from ``q``, per class
    ``E[TP_c] = N p_c q_c``, so in the large-sample limit

    - ACC = Σ_c p_c q_c (uniform: 1/K; prior: Σ p_c²; majority: max p_c),
    - UAR = mean over present classes of q_c (1/K whenever ``q`` lies on the present
      classes, for **every** strategy: UAR's chance level does not depend on the guess),
    - UF1 = mean over present classes of 2 p_c q_c / (p_c + q_c) (prior: 1/K; uniform:
      mean of 2 p_c / (K p_c + 1); majority: 2 p_m / (K (1 + p_m)), the others 0).

    The large-sample UF1 is concave in ``q`` and stationary at ``q = p``, so no uninformed
    guess beats 1/K on UF1 or UAR, nor ``max p_c`` on ACC: these are the chance lines to draw
    in a figure of several methods (``"prior"`` for UF1/UAR, ``"majority"`` for ACC).

    For ``"majority"`` and ``"predictions"`` the prediction counts are fixed, the F1
    denominators ``N_c + P_c`` do not vary, and the values are exact expectations at any
    sample size: for ``"predictions"`` they are the mean of the distribution of
    :func:`permutation_chance` without strata. For ``"uniform"`` and ``"prior"`` the
    prediction counts are random and the UF1 value is the large-sample limit (the expected
    ratio differs by O(1/n)).

    Examples
    --------
    >>> y = ["a"] * 6 + ["b"] * 3 + ["c"]                        # p = 0.6, 0.3, 0.1
    >>> {m: round(v, 4) for m, v in chance_level(y, strategy="majority").items()}
    {'uf1': 0.25, 'uar': 0.3333, 'acc': 0.6}
    >>> round(chance_level(y, strategy="prior")["uf1"], 4)
    0.3333
    """
    if strategy not in CHANCE_STRATEGIES:
        raise ValueError(f"strategy must be one of {CHANCE_STRATEGIES}, got {strategy!r}")
    if (strategy == "predictions") != (y_pred is not None):
        raise ValueError("y_pred is needed by strategy='predictions' and only by it"
                         if strategy == "predictions" else
                         f"y_pred is only used by strategy='predictions', not {strategy!r}; drop it")
    t, p, labels = _metrics._encode(y_true, y_true if y_pred is None else y_pred, labels)
    if len(t) == 0:
        raise ValueError("y_true is empty")
    k = len(labels)
    n_true = np.bincount(t, minlength=k).astype(np.float64)
    prop = n_true / n_true.sum()
    if strategy == "uniform":
        q = np.full(k, 1.0 / k)
    elif strategy == "prior":
        q = prop
    elif strategy == "majority":
        q = np.zeros(k)
        q[int(np.argmax(n_true))] = 1.0
    else:
        q = np.bincount(p, minlength=k) / len(p)
    n = n_true.sum()
    return dict(zip(_metrics.METRICS, _scores_from_counts(n * prop * q, n_true, n * q).tolist()))


def permutation_chance(y_true, y_pred, *, strata=None, n_resamples=N_RESAMPLES, random_state=0, labels=None):
    """Chance level by label permutation: the scores of the predictions against shuffled labels.

    The true labels are permuted among the clips of each stratum (all clips when ``strata``
    is None), the predictions kept; the pooled scores of every permutation form the null
    distribution of "predictions that carry no information about the labels, with the same
    class counts per stratum".

    Parameters
    ----------
    y_true, y_pred : (n_samples,) array-like
        Pooled out-of-fold predictions.
    strata : (n_samples,) array-like or None
        Permute within these groups, e.g. the database (``result.predictions["dataset"]``,
        MEGC 2019) or the test fold (``result.predictions["fold"]``), which keeps each
        group's class counts and prediction counts.
    n_resamples : int, default=10000
    random_state : int, numpy Generator or None, default=0
    labels : sequence or None

    Returns
    -------
    pandas.DataFrame, (3, 6)
        Index ``metric``; columns ``observed`` (the pooled score), ``chance_mean`` and
        ``chance_q95`` (mean and 95 % quantile of the null distribution), ``expected`` (its
        exact mean, Notes), ``p_value`` (share of permutations scoring at least the observed
        value, counting the observed one: ``(1 + #{null >= observed}) / (1 + n_resamples)``),
        ``n_resamples``.

    Raises
    ------
    ValueError
        Mismatched lengths, a label outside ``labels``, bad ``n_resamples``.

    Notes
    -----
    A permutation of the labels within a stratum leaves its class counts (rows) and
    prediction counts (columns) unchanged, so the stratum's confusion matrix is a random
    table with fixed margins; it is drawn directly (Patefield's algorithm,
    ``scipy.stats.random_table``) instead of shuffling the clips, which is the same
    distribution at a fraction of the cost. Because the margins are fixed, every score is
    linear in the diagonal, and its exact mean follows from
    ``E[TP_c] = Σ_h N_hc P_hc / N_h`` (``expected``); without strata this equals
    :func:`chance_level` with ``strategy="predictions"``.

    Examples
    --------
    >>> y = [0, 0, 1, 1, 2, 2] * 5; pred = [0, 1, 1, 1, 2, 0] * 5
    >>> null = permutation_chance(y, pred, n_resamples=200)
    >>> round(float(null.loc["uar", "expected"]), 4), bool(null.loc["uar", "p_value"] < 0.01)
    (0.3333, True)
    """
    import pandas as pd
    from scipy.stats import random_table

    t, p, labels = _metrics._encode(y_true, y_pred, labels)
    n_resamples = _check_n(n_resamples, "n_resamples")
    if len(t) == 0:
        raise ValueError("y_true is empty")
    k = len(labels)
    if strata is None:
        h = np.zeros(len(t), dtype=np.intp)
    else:
        h, _ = _factorize(strata, "strata")
        if len(h) != len(t):
            raise ValueError(f"strata has {len(h)} entries but y_true has {len(t)}")
    n_h = int(h.max()) + 1
    cms = np.bincount((h * k + t) * k + p, minlength=n_h * k * k).reshape(n_h, k, k)
    rng = _rng(random_state)
    null_tp = np.zeros((n_resamples, k), dtype=np.int64)  # the margins are fixed: only the diagonal varies
    expected_tp = np.zeros(k)
    for cm in cms:
        rows, cols = cm.sum(axis=1), cm.sum(axis=0)
        if cm.sum() == 0:
            continue
        expected_tp += rows * cols / cm.sum()
        if (rows > 0).sum() <= 1 or (cols > 0).sum() <= 1:  # only one table has these margins
            null_tp += np.diag(cm)
        else:
            tables = random_table(rows, cols).rvs(size=n_resamples, random_state=rng)
            null_tp += np.diagonal(tables, axis1=1, axis2=2)
    total = cms.sum(axis=0)
    observed = _estimate(total)
    n_true, n_pred = total.sum(axis=1).astype(np.float64), total.sum(axis=0).astype(np.float64)
    theta = _scores_from_counts(null_tp, n_true, n_pred)
    expected = _scores_from_counts(expected_tp, n_true, n_pred)
    rows = []
    for j, m in enumerate(_metrics.METRICS):
        rows.append({"metric": m, "observed": float(observed[j]), "chance_mean": float(theta[:, j].mean()),
                     "chance_q95": float(np.quantile(theta[:, j], 0.95)), "expected": float(expected[j]),
                     "p_value": float((1 + np.sum(theta[:, j] >= observed[j] - _TIE)) / (1 + n_resamples)),
                     "n_resamples": n_resamples})
    return pd.DataFrame(rows).set_index("metric")


# --------------------------------------------------------------------------- per subject
def subject_scores(y_true, y_pred, groups, *, labels=None):
    """UF1, UAR and ACC of every test subject's clips.

    Parameters
    ----------
    y_true, y_pred, groups : (n_samples,) array-like
        Pooled out-of-fold predictions and the test subject of every clip.
    labels : sequence or None

    Returns
    -------
    pandas.DataFrame, (n_subjects, 6)
        Index ``subject`` (sorted); columns ``n_clips``, ``n_classes`` (classes among the
        subject's true labels), ``n_correct``, ``acc``, ``uf1``, ``uar``.

    Notes
    -----
    UF1 and UAR follow :mod:`mefeat.evaluation.metrics`: averages over the classes present
    in the subject's true labels, so they are defined for every subject, but with
    ``n_classes == 1`` UAR equals ACC and UF1 is one class's F1; compare subjects with the
    counts beside the scores (on the MEGC 2019 composite a subject has 1-39 test clips).

    Examples
    --------
    >>> subject_scores([0, 1, 1, 0], [0, 1, 0, 0], ["s1", "s1", "s2", "s2"])[["n_clips", "acc", "uar"]]
             n_clips  acc  uar
    subject
    s1             2  1.0  1.0
    s2             2  0.5  0.5
    """
    import pandas as pd

    _, _, _, subjects, _, cms = _prepare(y_true, y_pred, groups, labels)
    sc = _scores_batch(cms)
    col = {m: sc[:, j] for j, m in enumerate(_metrics.METRICS)}
    return pd.DataFrame({"n_clips": cms.sum(axis=(1, 2)), "n_classes": (cms.sum(axis=2) > 0).sum(axis=1),
                         "n_correct": np.trace(cms, axis1=1, axis2=2), "acc": col["acc"], "uf1": col["uf1"],
                         "uar": col["uar"]}, index=pd.Index(subjects, name="subject"))


# --------------------------------------------------------------------------- paired tests
def holm(pvalues):
    """Holm's step-down adjusted p-values (family-wise error rate).

    Parameters
    ----------
    pvalues : (m,) array-like of float
        NaN entries are kept as NaN and not counted in the family.

    Returns
    -------
    (m,) float64 ndarray
        ``p_holm[(i)] = max_{j <= i} min(1, (m - j + 1) p_(j))`` for the sorted p-values; reject
        at level α where ``p_holm <= α``.

    References
    ----------
    .. [1] S. Holm, "A simple sequentially rejective multiple test procedure", *Scandinavian
       Journal of Statistics* 6(2), 65-70, 1979.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03, 0.005]).round(4).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    p = np.asarray(pvalues, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"pvalues must be 1-D, got shape {p.shape}")
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if len(ok) == 0:
        return out
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise ValueError(f"p-values must lie in [0, 1], got {p[ok].min()} .. {p[ok].max()}")
    order = ok[np.argsort(p[ok], kind="stable")]
    m = len(order)
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out[order] = adj
    return out


def _pair_test(ca, cb, alternative, n_resamples, rng):
    """Observed difference (3,), p-values (3,), n_discordant, exact flag for one pair."""
    n_subj, k, _ = ca.shape
    fa = ca.reshape(n_subj, k * k).astype(np.float64)
    fb = cb.reshape(n_subj, k * k).astype(np.float64)
    d = fb - fa
    d = d[np.any(d != 0, axis=1)]  # subjects where the two methods predict alike cannot change anything
    n_disc = len(d)
    ta, tb = fa.sum(axis=0), fb.sum(axis=0)
    observed = _scores_batch(ta.reshape(k, k)) - _scores_batch(tb.reshape(k, k))
    exact = 2 ** n_disc <= n_resamples
    count = np.zeros(observed.shape)
    n_total = 2 ** n_disc if exact else n_resamples
    for start in range(0, n_total, _BLOCK):
        b = min(_BLOCK, n_total - start)
        if exact:
            flips = ((np.arange(start, start + b)[:, None] >> np.arange(n_disc)) & 1).astype(np.float64)
        else:
            bits = rng.integers(0, 256, size=(b, (n_disc + 7) // 8), dtype=np.uint8)  # 8 fair coins a byte
            flips = np.unpackbits(bits, axis=1, count=n_disc).astype(np.float64)
        shift = flips @ d
        diff = _scores_batch((ta + shift).reshape(b, k, k)) - _scores_batch((tb - shift).reshape(b, k, k))
        if alternative == "greater":
            hit = diff >= observed - _TIE
        elif alternative == "less":
            hit = diff <= observed + _TIE
        else:
            hit = np.abs(diff) >= np.abs(observed) - _TIE
        count += hit.sum(axis=0)
    p = count / n_total if exact else (1 + count) / (1 + n_resamples)
    return p, n_disc, exact


def paired_test(y_true, predictions, groups, *, pairs=None, alternative="two-sided", n_resamples=N_RESAMPLES,
                random_state=0, labels=None):
    """Paired permutation test of two methods' pooled scores on the same clips, Holm-corrected.

    Under the null hypothesis the two methods are exchangeable within every test subject:
    swapping the predictions of methods A and B on all clips of any subset of subjects
    (a sign flip of that subject's contribution) gives an equally likely outcome. The
    statistic is the difference of the pooled scores, ``score(A) - score(B)``.

    Parameters
    ----------
    y_true : (n_samples,) array-like
        True labels (the same clips for every method).
    predictions : dict of str -> (n_samples,) array-like
        Method name -> its pooled out-of-fold predictions, aligned with ``y_true``.
    groups : (n_samples,) array-like
        Test subject of every clip (the exchangeable unit).
    pairs : sequence of (str, str) or None
        The pairs to test (the family for Holm); default every pair of ``predictions`` in
        their order.
    alternative : {"two-sided", "greater", "less"}, default="two-sided"
        ``"greater"``: A scores higher than B.
    n_resamples : int, default=10000
        Monte-Carlo sign flips; when the number of discordant subjects ``s`` has
        ``2**s <= n_resamples``, all ``2**s`` flips are enumerated and ``p`` is exact.
    random_state : int, numpy Generator or None, default=0
        Monte-Carlo p-values depend on it, on ``pairs`` and on their order.
    labels : sequence or None

    Returns
    -------
    pandas.DataFrame, (n_pairs * 3, 12)
        One row per (pair, metric), metrics uf1, uar, acc: ``method_a, method_b, metric,
        score_a, score_b, diff, p, p_holm, n_subjects, n_discordant, exact, alternative``.
        ``p_holm`` is Holm-adjusted over the pairs, separately for each metric.

    Raises
    ------
    ValueError
        Fewer than 2 methods, a pair naming an unknown method or a method twice, lengths that
        differ, an unknown ``alternative``.

    Notes
    -----
    **Why swap subjects and test the pooled score** rather than average per-subject score
    differences: the pooled UF1 / UAR / ACC is the number the results table reports, and it
    weights every clip once, whereas a per-subject UF1 is ill-defined for subjects with one
    or two clips (1-39 per subject on the MEGC 2019 composite) and a mean of per-subject
    scores weights a one-clip subject like a 39-clip one. The swap keeps the pairing (the
    same clips, the same subject) and the dependence between clips of a subject. For ACC
    it is exactly the sign-flip test of the per-subject differences in correct counts; for
    the macro scores it is its non-linear generalisation. The null distribution is symmetric
    (swapping every subject exchanges A and B).

    Monte-Carlo p-values count the observed arrangement, ``(1 + #{T* >= T}) / (1 + B)``
    (Phipson & Smyth 2010), so they are never 0. Holm runs over the pairs of one metric:
    UF1, UAR and ACC are three readings of the same predictions, not independent questions,
    so they are not pooled into one family.

    References
    ----------
    .. [1] S. Holm, "A simple sequentially rejective multiple test procedure", *Scandinavian
       Journal of Statistics* 6(2), 65-70, 1979.
    .. [2] B. Phipson and G. K. Smyth, "Permutation p-values should never be zero",
       *Statistical Applications in Genetics and Molecular Biology* 9(1), 39, 2010.
       :doi:`10.2202/1544-6115.1585`

    Examples
    --------
    Five subjects, one clip each: A is right and B wrong on every one; the 2**5 flips are
    enumerated:

    >>> y = [0, 1, 0, 1, 0]
    >>> t = paired_test(y, {"A": y, "B": [1, 0, 1, 0, 1]}, ["s1", "s2", "s3", "s4", "s5"],
    ...                 alternative="greater")
    >>> t.loc[t.metric == "acc", ["diff", "p", "exact"]].values.tolist()
    [[1.0, 0.03125, True]]
    """
    import pandas as pd

    if alternative not in _ALTERNATIVES:
        raise ValueError(f"alternative must be one of {_ALTERNATIVES}, got {alternative!r}")
    n_resamples = _check_n(n_resamples, "n_resamples")
    names = list(predictions)
    if len(names) < 2:
        raise ValueError(f"paired_test needs at least 2 methods, got {names}")
    if pairs is None:
        pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    pairs = [tuple(pr) for pr in pairs]
    for a, b in pairs:
        for m in (a, b):
            if m not in predictions:
                raise ValueError(f"pair ({a!r}, {b!r}) names {m!r}, which is not in predictions ({names})")
        if a == b:
            raise ValueError(f"pair ({a!r}, {b!r}) compares a method with itself")
    if labels is None:
        seen = list(y_true)
        for v in predictions.values():
            seen += list(v)
        labels = _metrics._labels(seen, [], None)
    cms, scores = {}, {}
    for name in dict.fromkeys(m for pr in pairs for m in pr):
        pred = predictions[name]
        if len(pred) != len(y_true):
            raise ValueError(f"predictions[{name!r}] has {len(pred)} samples but y_true has {len(y_true)}")
        _, _, _, subjects, _, cms[name] = _prepare(y_true, pred, groups, labels)
        scores[name] = _estimate(cms[name].sum(axis=0))
    rng = _rng(random_state)
    rows = []
    for a, b in pairs:
        p, n_disc, exact = _pair_test(cms[a], cms[b], alternative, n_resamples, rng)
        for j, m in enumerate(_metrics.METRICS):
            rows.append({"method_a": a, "method_b": b, "metric": m, "score_a": float(scores[a][j]),
                         "score_b": float(scores[b][j]), "diff": float(scores[a][j] - scores[b][j]),
                         "p": float(p[j]), "p_holm": np.nan, "n_subjects": len(subjects),
                         "n_discordant": n_disc, "exact": bool(exact), "alternative": alternative})
    out = pd.DataFrame(rows)
    for m in _metrics.METRICS:
        sel = (out["metric"] == m).to_numpy()
        out.loc[sel, "p_holm"] = holm(out.loc[sel, "p"].to_numpy())
    return out


def paired_test_results(results, *, pairs=None, alternative="two-sided", n_resamples=N_RESAMPLES, random_state=0):
    """:func:`paired_test` of :class:`~mefeat.evaluation.EvaluationResult` objects on the same clips and folds.

    Parameters
    ----------
    results : dict of str -> EvaluationResult
        Method name -> result of :func:`mefeat.evaluation.evaluate` (or one of its ``parts``).
        All must have tested the same samples (``predictions`` index), with the same true
        labels, subjects and folds.
    pairs, alternative, n_resamples, random_state
        As in :func:`paired_test`.

    Returns
    -------
    pandas.DataFrame
        As :func:`paired_test`.

    Raises
    ------
    ValueError
        Results that tested different samples, or disagree on a sample's label, subject or
        fold (not a paired design), or whose class lists differ.
    """
    names = list(results)
    if len(names) < 2:
        raise ValueError(f"paired_test_results needs at least 2 results, got {names}")
    ref = results[names[0]].predictions
    labels = list(results[names[0]].labels)
    preds = {}
    for name in names:
        r = results[name]
        p = r.predictions
        if list(r.labels) != labels:
            raise ValueError(f"results[{name!r}] has the classes {list(r.labels)}, results[{names[0]!r}] {labels}")
        if len(p) != len(ref) or not p.index.sort_values().equals(ref.index.sort_values()):
            raise ValueError(f"results[{name!r}] tested {len(p)} samples, results[{names[0]!r}] {len(ref)}; "
                             "a paired test needs the same clips")
        p = p.loc[ref.index]
        for col in ("y_true", "group", "fold"):
            diff = np.flatnonzero(p[col].to_numpy(dtype=object) != ref[col].to_numpy(dtype=object))
            if len(diff):
                i = ref.index[diff[0]]
                raise ValueError(f"results[{name!r}] and results[{names[0]!r}] differ in {col!r} at sample {i} "
                                 f"({p[col].loc[i]!r} vs {ref[col].loc[i]!r}): not evaluated on the same folds")
        preds[name] = p["y_pred"].to_numpy(dtype=object)
    return paired_test(ref["y_true"].to_numpy(dtype=object), preds, ref["group"].to_numpy(dtype=object),
                       pairs=pairs, alternative=alternative, n_resamples=n_resamples, random_state=random_state,
                       labels=labels)


# --------------------------------------------------------------------------- one evaluation
def result_statistics(result, *, confidence_level=CONFIDENCE_LEVEL, method="percentile", n_resamples=N_RESAMPLES,
                      random_state=0):
    """Interval and chance level of every reported part of an :class:`~mefeat.evaluation.EvaluationResult`.

    Parameters
    ----------
    result : EvaluationResult
        From :func:`mefeat.evaluation.evaluate`.
    confidence_level, method, n_resamples, random_state
        As in :func:`bootstrap_ci` (the same seed for every part and for the permutations).

    Returns
    -------
    pandas.DataFrame, (n_parts * 3, 13)
        Index ``(part, metric)``, parts in the order of ``result.part_scores()`` (``"full"``
        alone without parts; ``testA, testB`` for the DFME split, never pooled). Columns: those
        of :func:`bootstrap_ci` (``estimate, ci_low, ci_high, se, confidence_level, method,
        n_resamples, n_subjects, share_class_absent``) and, from :func:`permutation_chance`,
        ``chance_mean, chance_q95, chance_expected, p_chance`` (p-value of the score against
        the permutation null).

    Notes
    -----
    For a composite (``result.part_by == "dataset"``, e.g. MEGC 2019) the ``"full"`` row
    resamples subjects and permutes labels within each database, so each keeps its number of
    subjects and its class counts; the per-database rows are single databases.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from mefeat.evaluation import evaluate
    >>> y = np.tile([0, 1], 20); subjects = np.repeat(np.arange(10), 4)
    >>> res = evaluate(DummyClassifier(strategy="stratified"), np.zeros((40, 1)), y, subjects, verbose=False)
    >>> st = result_statistics(res, n_resamples=500)
    >>> st.index.tolist()[:2], bool(st.loc[("full", "uar"), "p_chance"] > 0.01)
    ([('full', 'uf1'), ('full', 'uar')], True)
    """
    import pandas as pd

    parts = [("full", result)] if not result.parts else [
        (name, result if name == "full" else result.parts[name]) for name in result.part_scores().index]
    frames = []
    for name, r in parts:
        pr = r.predictions
        strata = pr["dataset"] if name == "full" and result.part_by == "dataset" else None
        y, pred, groups = pr["y_true"].to_numpy(dtype=object), pr["y_pred"].to_numpy(dtype=object), pr["group"]
        ci = bootstrap_ci(y, pred, groups, confidence_level=confidence_level, method=method, strata=strata,
                          n_resamples=n_resamples, random_state=random_state, labels=result.labels)
        null = permutation_chance(y, pred, strata=strata, n_resamples=n_resamples, random_state=random_state,
                                  labels=result.labels)
        ci["chance_mean"] = null["chance_mean"]
        ci["chance_q95"] = null["chance_q95"]
        ci["chance_expected"] = null["expected"]
        ci["p_chance"] = null["p_value"]
        frames.append(ci.assign(part=name).set_index("part", append=True).reorder_levels(["part", "metric"]))
    return pd.concat(frames)


# --------------------------------------------------------------------------- leak audit
def leak_audit(folds, groups, *, extra=None):
    """Groups with samples on both the training and the test side of a fold (leaks).

    Parameters
    ----------
    folds : iterable of (train, test)
        Integer index arrays per fold, as yielded by a splitter's ``split(X, y, groups)``.
    groups : (n_samples,) array-like
        Subject of every sample (audited as key ``"subject"``).
    extra : dict of str -> (n_samples,) array-like, or pandas.DataFrame, or None
        More keys that must not cross a fold, each audited like ``groups``: e.g. the person
        and recording event of every clip when SMIC HS, VIS and NIR (three cameras filming
        the same events) are combined, ``{"person": ..., "event": person + "/" + event}``.

    Returns
    -------
    pandas.DataFrame, (n_leaks, 5)
        One row per (fold, key, value) found on both sides: ``fold``, ``key`` (``"clip"``
        for a sample index in both parts, ``"subject"``, or a key of ``extra``), ``value``,
        ``n_train``, ``n_test`` (its samples on each side). Empty when there is no leak.

    Raises
    ------
    ValueError
        Index out of range, or a key whose length differs from ``groups``.

    Notes
    -----
    A subject in both parts lets a classifier recognise the person instead of the
    expression; the same event filmed by two cameras (SMIC HS/VIS/NIR) puts one clip in
    both parts under two names. Varanka et al. (2024) list these leaks (and hyper-parameters
    tuned on the test folds) among the evaluation faults of the micro-expression literature.

    References
    ----------
    .. [1] T. Varanka, Y. Li, W. Peng and G. Zhao, "Data Leakage and Evaluation Issues in
       Micro-Expression Analysis", *IEEE Transactions on Affective Computing* 15(1),
       186-197, 2024. :doi:`10.1109/TAFFC.2023.3265063`

    Examples
    --------
    >>> groups = ["s1", "s1", "s2", "s3"]
    >>> leak_audit([([0, 2], [1, 3])], groups)
       fold      key value  n_train  n_test
    0     0  subject    s1        1       1
    >>> leak_audit([([0, 1], [2, 3])], groups).empty
    True
    """
    import pandas as pd

    keys = {"subject": groups}
    if extra is not None:
        items = extra.items() if isinstance(extra, dict) else ((c, extra[c]) for c in extra.columns)
        for name, values in items:
            if name in keys:
                raise ValueError(f"extra key {name!r} is reserved")
            keys[str(name)] = values
    coded = {}
    n = None
    for name, values in keys.items():
        codes, uniques = _factorize(values, name)
        if n is None:
            n = len(codes)
        elif len(codes) != n:
            raise ValueError(f"{name} has {len(codes)} entries but groups has {n}")
        coded[name] = (codes, uniques)
    rows = []
    for f, (train, test) in enumerate(folds):
        train = np.asarray(train, dtype=np.intp)
        test = np.asarray(test, dtype=np.intp)
        for part, idx in (("train", train), ("test", test)):
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                raise ValueError(f"fold {f}: {part} index {int(idx.max() if idx.max() >= n else idx.min())} "
                                 f"is out of range for {n} samples")
        both = np.intersect1d(train, test)
        rows += [{"fold": f, "key": "clip", "value": int(i), "n_train": int(np.sum(train == i)),
                  "n_test": int(np.sum(test == i))} for i in both]
        for name, (codes, uniques) in coded.items():
            n_tr = np.bincount(codes[train], minlength=len(uniques))
            n_te = np.bincount(codes[test], minlength=len(uniques))
            rows += [{"fold": f, "key": name, "value": uniques[u], "n_train": int(n_tr[u]), "n_test": int(n_te[u])}
                     for u in np.flatnonzero((n_tr > 0) & (n_te > 0))]
    return pd.DataFrame(rows, columns=["fold", "key", "value", "n_train", "n_test"])
