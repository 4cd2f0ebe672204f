"""Evaluation of spotted intervals in long videos: MEGC-style precision/recall/F1 and the STR score.

Intervals are inclusive frame ranges ``onset..offset`` of one video. Two ways of counting are
implemented side by side in :func:`evaluate_spotting`:

===========================  ========================================  ==========================================
                             ``method="one_to_one"`` (default)          ``method="megc2020"``
===========================  ========================================  ==========================================
IoU of a and b               |a ∩ b| / |a ∪ b| over inclusive frames   intersection counted as
                                                                       ``max(0, min(ends) - max(onsets)) + 1``:
                                                                       disjoint or adjacent intervals share 1
                                                                       frame; an interval with
                                                                       ``offset <= onset`` has IoU 0
true positive                a (ground truth, prediction) pair with    a ground truth that *any* prediction
                             IoU >= ``iou`` in a maximum one-to-one    reaches with IoU >= ``iou`` ("found");
                             matching: each interval is used once      one prediction may find several ground
                                                                       truths and several predictions the same
precision                    tp / n_pred (NaN without predictions)     found ground truths / n_pred (0 without
                                                                       predictions; can exceed 1)
recall                       tp / n_gt (NaN without ground truth)      found ground truths / n_gt (0 without)
F1                           2 tp / (n_pred + n_gt)                    2 P R / (P + R) (0 when P + R = 0)
micro / macro / overall      matched within a type, overall = sums     evaluated apart, overall = sums
===========================  ========================================  ==========================================

``megc2020`` follows ``result_helper.py`` (``calc_iou`` and ``pred_clips_analysis``, output
``F1_small``) of the MEGC 2020 spotting baseline (He et al., FG 2020;
github.com/HeyingGithub/Baseline-project-for-MEGC2020_spotting), whose counts
(``predict``, ``true_predict`` = found ground truths, ``labels``) are the published baseline table.
"""

import math

import numpy as np

__all__ = ["interval_iou", "match_intervals", "evaluate_spotting", "strs_score", "TYPES", "RESULT_COLUMNS"]

#: Expression types, in the order of the result rows (then "overall").
TYPES = ("micro", "macro")
#: Columns of :func:`evaluate_spotting`'s result.
RESULT_COLUMNS = ("n_pred", "tp", "n_gt", "precision", "recall", "f1")
_METHODS = ("one_to_one", "megc2020")
_STRS_METHODS = ("fixed", "compat")


# ---------------------------------------------------------------------------------------------- IoU
def interval_iou(a, b):
    """Intersection over union of two inclusive frame intervals.

    Parameters
    ----------
    a, b : (2,) sequence of int
        ``(onset, offset)`` with ``onset <= offset``; both frames belong to the interval.

    Returns
    -------
    float
        ``|a ∩ b| / |a ∪ b|`` counted in frames, in [0, 1].

    Examples
    --------
    >>> interval_iou((1, 10), (6, 15))   # 5 shared frames of 15
    0.3333333333333333
    >>> interval_iou((1, 5), (6, 10))    # adjacent: nothing shared
    0.0
    """
    inter = min(a[1], b[1]) - max(a[0], b[0]) + 1
    if inter <= 0:
        return 0.0
    return inter / ((a[1] - a[0] + 1) + (b[1] - b[0] + 1) - inter)


def _iou_megc2020(a, b):
    # result_helper.calc_iou of the MEGC 2020 baseline, reproduced as it is (see the module docstring).
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0])) + 1
    union = (a[1] - a[0] + 1) + (b[1] - b[0] + 1) - inter
    if a[1] <= a[0] or b[1] <= b[0] or union <= 0:
        return 0.0
    return inter / union


def _iou_matrix(gt, pred):
    """(n_gt, n_pred) IoU of inclusive intervals (rows of (n, 2) int arrays), vectorised."""
    gt = np.asarray(gt, np.int64).reshape(-1, 2)
    pred = np.asarray(pred, np.int64).reshape(-1, 2)
    inter = (np.minimum(gt[:, None, 1], pred[None, :, 1]) - np.maximum(gt[:, None, 0], pred[None, :, 0]) + 1)
    inter = np.maximum(inter, 0)
    union = (gt[:, 1] - gt[:, 0] + 1)[:, None] + (pred[:, 1] - pred[:, 0] + 1)[None, :] - inter
    return inter / union


def match_intervals(ground_truth, predictions, *, iou=0.5):
    """Maximum one-to-one matching of predicted to ground-truth intervals of one video.

    Parameters
    ----------
    ground_truth : (n_gt, 2) array_like of int
        Inclusive ``(onset, offset)`` rows.
    predictions : (n_pred, 2) array_like of int
    iou : float, default 0.5
        A pair can be matched when its :func:`interval_iou` is at least ``iou``.

    Returns
    -------
    gt_index, pred_index : (n_matches,) ndarray of int
        Matched pairs, sorted by ground truth. No interval appears twice.

    Notes
    -----
    The matching has the largest possible number of pairs (so the true-positive count does not
    depend on the order of the rows) and, among those, the largest total IoU. It is solved as a
    linear assignment (:func:`scipy.optimize.linear_sum_assignment`) with the weight
    ``n + 1 + IoU`` for an eligible pair (``n`` = the number of intervals, so one more pair always
    outweighs any IoU gain) and 0 otherwise.

    Examples
    --------
    >>> g, p = match_intervals([(0, 9), (2, 11)], [(1, 10)])  # IoU 9/11 with both
    >>> g.tolist(), p.tolist()            # one prediction matches one ground truth only
    ([0], [0])
    """
    from scipy.optimize import linear_sum_assignment

    gt = np.asarray(ground_truth, np.int64).reshape(-1, 2)
    pred = np.asarray(predictions, np.int64).reshape(-1, 2)
    if len(gt) == 0 or len(pred) == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    m = _iou_matrix(gt, pred)
    ok = m >= iou - 1e-12
    weight = np.where(ok, (len(gt) + len(pred) + 1) + m, 0.0)
    rows, cols = linear_sum_assignment(weight, maximize=True)
    keep = ok[rows, cols]
    return rows[keep].astype(np.intp), cols[keep].astype(np.intp)


# -------------------------------------------------------------------------------------- validation
def _check_iou(iou):
    if isinstance(iou, bool) or not isinstance(iou, (int, float, np.integer, np.floating)) or not 0 < iou <= 1:
        raise ValueError(f"iou must be a number in (0, 1], got {iou!r}")
    return float(iou)


def _check_table(df, what, columns, *, type_required=True):
    """Copy of ``df`` with ``video`` as str, ``onset``/``offset`` as int and ``type`` in :data:`TYPES`."""
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame with columns {list(columns)}, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} lacks the column(s) {missing}; it has {list(df.columns)}")
    out = df.reset_index(drop=True).copy()
    out["video"] = out["video"].astype(str)
    for c in ("onset", "offset"):
        values = pd.to_numeric(out[c], errors="coerce")
        bad = values.isna() | (values != np.round(values))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(f"{what} row {i} (video {out['video'][i]!r}): {c} {df[c].iloc[i]!r} is not a frame number")
        out[c] = values.astype(np.int64)
    short = out["offset"] < out["onset"]
    if short.any():
        i = int(np.flatnonzero(short.to_numpy())[0])
        raise ValueError(f"{what} row {i} (video {out['video'][i]!r}): offset {out['offset'][i]} < onset "
                         f"{out['onset'][i]}; frames are inclusive, so a one-frame interval has offset == onset")
    if "type" in out.columns:
        types = out["type"].astype(str).str.strip().str.lower()
        bad = ~types.isin(TYPES)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(f"{what} row {i} (video {out['video'][i]!r}): type {out['type'].iloc[i]!r} is not one "
                             f"of {list(TYPES)}")
        out["type"] = types
    elif type_required:
        raise ValueError(f"{what} lacks the column 'type'")
    return out


def _intervals(df):
    return df[["onset", "offset"]].to_numpy(np.int64).reshape(-1, 2)


# ---------------------------------------------------------------------------------------- spotting
def _scores(n_pred, tp, n_gt, method):
    if method == "megc2020":  # result_helper.pred_clips_analysis: 0 for every undefined ratio
        p = tp / n_pred if n_pred else 0.0
        r = tp / n_gt if n_gt else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)
    p = tp / n_pred if n_pred else math.nan
    r = tp / n_gt if n_gt else math.nan
    return p, r, (2 * tp / (n_pred + n_gt) if n_pred + n_gt else math.nan)


def evaluate_spotting(ground_truth, predictions, *, iou=0.5, method="one_to_one"):
    """Precision, recall and F1 of spotted intervals, micro- and macro-expressions apart and overall.

    Parameters
    ----------
    ground_truth, predictions : pandas.DataFrame
        One row per interval with the columns ``video`` (any id, compared as text), ``onset`` and
        ``offset`` (frame numbers, both included) and ``type`` (``"micro"`` or ``"macro"``; case
        and surrounding spaces ignored). Other columns are ignored.
    iou : float, default 0.5
        IoU threshold in (0, 1] (MEGC 2019-2025 use 0.5).
    method : {"one_to_one", "megc2020"}, default "one_to_one"
        How true positives are counted; see the table in the module docstring.

    Returns
    -------
    pandas.DataFrame, (3, 6)
        Index ``["micro", "macro", "overall"]``, columns ``n_pred, tp, n_gt, precision, recall,
        f1`` (counts int, scores float). Overall counts are the sums of the micro and macro
        counts and its scores are computed from them. ``df.attrs`` holds ``method`` and ``iou``.

    Raises
    ------
    ValueError
        A missing column, a type other than micro/macro, a non-integral frame, offset < onset, an
        unknown method or an ``iou`` outside (0, 1] (the message names the table and the row).

    Notes
    -----
    Every video of either table is evaluated: predictions in a video without ground truth are
    false positives, ground truths in a video without predictions are misses.

    With ``method="megc2020"`` the counts are those of the MEGC 2020 baseline script
    (``result_helper.pred_clips_analysis``): ``tp`` is the number of ground truths found by at
    least one prediction, so precision (found / predictions) exceeds 1 when one prediction finds
    several overlapping ground truths. Its IoU counts one shared frame for disjoint intervals, which
    matters only for thresholds at or below 1/3 (two intervals of at least two frames). Differences
    from running that script: it skips (with a warning) a video that has no prediction *file*, while
    a table cannot tell a missing file from an empty one, so here that video's ground truths are
    misses; and its length filter (predictions shorter than 7 or longer than 16 frames are not
    micro-expressions on CAS(ME)², 47 and 105 on SAMM-LV, shorter than 17 / 106 not macro) belongs
    to the spotter that labels the type (the MDMD spotter applies it), not to this function.

    Examples
    --------
    >>> import pandas as pd
    >>> gt = pd.DataFrame({"video": ["v", "v"], "onset": [0, 2], "offset": [9, 11], "type": ["micro"] * 2})
    >>> pred = pd.DataFrame({"video": ["v"], "onset": [1], "offset": [10], "type": ["micro"]})
    >>> evaluate_spotting(gt, pred).loc["micro", ["n_pred", "tp", "n_gt"]].tolist()
    [1, 1, 2]
    >>> r = evaluate_spotting(gt, pred, method="megc2020")   # both ground truths "found"
    >>> int(r.loc["micro", "tp"]), float(r.loc["micro", "precision"])
    (2, 2.0)
    """
    import pandas as pd

    iou = _check_iou(iou)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {list(_METHODS)}, got {method!r}")
    cols = ("video", "onset", "offset", "type")
    gt = _check_table(ground_truth, "ground_truth", cols)
    pred = _check_table(predictions, "predictions", cols)
    counts = {}
    for t in TYPES:
        g_t, p_t = gt[gt["type"] == t], pred[pred["type"] == t]
        tp = 0
        g_by = dict(tuple(g_t.groupby("video", sort=False)))
        p_by = dict(tuple(p_t.groupby("video", sort=False)))
        for video in set(g_by) & set(p_by):
            g, p = _intervals(g_by[video]), _intervals(p_by[video])
            if method == "megc2020":
                found = [any(_iou_megc2020(p_row, g_row) >= iou for p_row in p) for g_row in g]
                tp += int(sum(found))
            else:
                tp += len(match_intervals(g, p, iou=iou)[0])
        counts[t] = (len(p_t), tp, len(g_t))
    counts["overall"] = tuple(sum(counts[t][k] for t in TYPES) for k in range(3))
    rows = {k: (*c, *_scores(*c, method)) for k, c in counts.items()}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(RESULT_COLUMNS))
    out = out.astype({"n_pred": int, "tp": int, "n_gt": int, "precision": float, "recall": float, "f1": float})
    out.attrs.update(method=method, iou=iou)
    return out


# ---------------------------------------------------------------------------------------------- STRS
def _class_scores(gt_labels, pred_labels, emotions):
    """Per-class TP/FP/FN/precision/recall/F1 of paired labels (0 for an undefined ratio)."""
    rows = []
    gt_labels, pred_labels = np.asarray(gt_labels, object), np.asarray(pred_labels, object)
    for c in emotions:
        tp = int(np.sum((gt_labels == c) & (pred_labels == c)))
        fp = int(np.sum((gt_labels != c) & (pred_labels == c)))
        fn = int(np.sum((gt_labels == c) & (pred_labels != c)))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        rows.append((c, tp, fp, fn, p, r, 2 * p * r / (p + r) if p + r else 0.0))
    return rows


def strs_score(ground_truth, predictions, *, iou=0.5, emotions=None, method="fixed"):
    """Spot-then-recognise score (STRS, Liong et al. 2023; MEGC 2024-2025): spotting F1 x analysis F1.

    Parameters
    ----------
    ground_truth, predictions : pandas.DataFrame
        Columns ``video``, ``onset``, ``offset`` (inclusive frames) and ``emotion``; with
        ``method="compat"`` also ``subject``. When both tables have a ``subject`` column, videos
        are told apart by (subject, video). ``type`` is not needed: as in the reference script,
        any predicted interval may match any ground-truth interval of its video.
    iou : float, default 0.5
    emotions : sequence of str, optional
        The classes of the analysis task; by default the distinct ground-truth emotions (sorted).
        Spotted true positives whose ground-truth emotion is not listed are left out of the analysis.
    method : {"fixed", "compat"}, default "fixed"
        ``"fixed"``: the score with the defects listed in the Notes fixed. ``"compat"``: the
        circulating ``strs_metric.Evaluator.evaluate_STRS`` reproduced, defects included, for
        comparison with published numbers.

    Returns
    -------
    dict
        ``strs``; spotting ``tp_spot, fp_spot, fn_spot, precision_spot, recall_spot, f1_spot``;
        analysis ``tp_analysis, fp_analysis, fn_analysis, precision_analysis, recall_analysis,
        f1_analysis, uf1, uar``; ``per_class`` (a DataFrame indexed by emotion with ``tp, fp, fn,
        precision, recall, f1``); ``method``.

    Notes
    -----
    Definitions (both methods): spotting precision TP/(TP+FP), recall TP/(TP+FN), F1 their harmonic
    mean (0 when undefined). The analysis task is evaluated on the spotted true positives only:
    for each emotion c, TP_c = pairs with ground truth c predicted c, FP_c = predicted c but ground
    truth another listed emotion, FN_c = ground truth c predicted otherwise; the analysis F1 is the
    harmonic mean of the mean per-class precision and the mean per-class recall; STRS =
    spotting F1 x analysis F1.

    Defects of the circulating script, fixed by ``"fixed"`` and kept by ``"compat"``:

    1. "UAR" is the mean per-class *precision*; fixed: the mean per-class recall.
    2. Only the subjects that have predictions are visited, and only the videos that have ground
       truth: false positives in videos without ground truth, and the misses of subjects without
       any prediction, are not counted; fixed: every video of either table is evaluated.
    3. A prediction is compared with every ground truth without stopping at the first match, so
       one prediction can be two true positives; matching is greedy in row order; fixed: the
       maximum one-to-one matching of :func:`match_intervals`.
    4. A class with a single label value among the analysed pairs (e.g. every pair is that emotion
       and predicted so) makes ``confusion_matrix(...).ravel()`` fail; the ``except`` sets its TP, FP
       and FN to 0, so a perfect analysis with one emotion scores 0 and its F1 is NaN (0/0); fixed:
       the counts are taken directly, and an undefined F1 is 0.
    5. (Counts only, not the score.) "FN analysis" counts the wrong predictions of each class
       again (it equals "FP analysis"); fixed: the pairs whose ground-truth class was missed.

    The script also no longer runs on pandas 2 (``DataFrame.append``); ``"compat"`` reproduces its
    logic, not its code.

    References
    ----------
    Liong, G.-B., See, J., Chan, C. S. (2023). Spot-then-recognize: a micro-expression analysis
    network for seamless evaluation of long videos. Signal Processing: Image Communication 110.
    https://doi.org/10.1016/j.image.2022.116875
    """
    import pandas as pd

    iou = _check_iou(iou)
    if method not in _STRS_METHODS:
        raise ValueError(f"method must be one of {list(_STRS_METHODS)}, got {method!r}")
    cols = ("video", "onset", "offset", "emotion") + (("subject",) if method == "compat" else ())
    gt = _check_table(ground_truth, "ground_truth", cols, type_required=False)
    pred = _check_table(predictions, "predictions", cols, type_required=False)
    for df in (gt, pred):
        df["emotion"] = df["emotion"].astype(object).where(df["emotion"].notna(), None)
    if emotions is None:
        emotions = sorted({e for e in gt["emotion"] if e is not None}, key=str)
    emotions = list(emotions)
    use_subject = "subject" in gt.columns and "subject" in pred.columns
    key = (lambda df: list(zip(df["subject"].astype(str), df["video"]))) if use_subject else (
        lambda df: list(df["video"]))
    gt["_key"], pred["_key"] = key(gt), key(pred)

    pairs = []  # (gt row, pred row) of spotted true positives
    if method == "compat":
        fp = fn = 0
        for subject in pd.unique(pred["subject"].astype(str)):
            g_s = gt[gt["subject"].astype(str) == subject]
            for video in pd.unique(g_s["video"]):
                g = g_s[g_s["video"] == video]
                p = pred[(pred["video"] == video) & (pred["subject"].astype(str) == subject)]
                matched = set()
                p_iv, g_iv = _intervals(p), _intervals(g)
                for i in range(len(p)):
                    hit = False
                    for j in range(len(g)):
                        if interval_iou(p_iv[i], g_iv[j]) >= iou and j not in matched:
                            pairs.append((g.iloc[j], p.iloc[i]))
                            matched.add(j)
                            hit = True
                    fp += not hit
                fn += len(g) - len(matched)
    else:
        g_by = dict(tuple(gt.groupby("_key", sort=False)))
        p_by = dict(tuple(pred.groupby("_key", sort=False)))
        for k in set(g_by) & set(p_by):
            gi, pi = match_intervals(_intervals(g_by[k]), _intervals(p_by[k]), iou=iou)
            pairs.extend((g_by[k].iloc[a], p_by[k].iloc[b]) for a, b in zip(gi, pi))
        fp, fn = len(pred) - len(pairs), len(gt) - len(pairs)
    tp = len(pairs)
    p_spot, r_spot, f_spot = _scores(tp + fp, tp, tp + fn, "megc2020")  # 0 for undefined ratios

    kept = [(g["emotion"], p["emotion"]) for g, p in pairs if g["emotion"] in emotions]
    g_lab = [a for a, _ in kept]
    p_lab = [b for _, b in kept]
    rows = _class_scores(g_lab, p_lab, emotions)
    if method == "compat":
        # sklearn's confusion_matrix(gt == c, pred == c) has one row when only one value occurs; the
        # script's ``except`` then zeroes the class (defect 4)
        rows = [r if len({(a == r[0]) for a in g_lab} | {(b == r[0]) for b in p_lab}) == 2 else
                (r[0], 0, 0, 0, 0.0, 0.0, 0.0) for r in rows]
    per_class = pd.DataFrame(rows, columns=["emotion", "tp", "fp", "fn", "precision", "recall", "f1"])
    per_class = per_class.set_index("emotion")
    mean_p = float(per_class["precision"].mean()) if len(per_class) else 0.0
    mean_r = float(per_class["recall"].mean()) if len(per_class) else 0.0
    if mean_p + mean_r:
        f_an = 2 * mean_p * mean_r / (mean_p + mean_r)
    else:
        f_an = math.nan if method == "compat" else 0.0
    tp_an = sum(a == b for a, b in kept)
    fp_an = sum(a != b and b in emotions for a, b in kept)
    fn_an = fp_an if method == "compat" else sum(a != b for a, b in kept)
    return {
        "strs": f_spot * f_an, "method": method,
        "tp_spot": tp, "fp_spot": int(fp), "fn_spot": int(fn),
        "precision_spot": p_spot, "recall_spot": r_spot, "f1_spot": f_spot,
        "tp_analysis": int(tp_an), "fp_analysis": int(fp_an), "fn_analysis": int(fn_an),
        "precision_analysis": mean_p, "recall_analysis": mean_r, "f1_analysis": f_an,
        "uf1": float(per_class["f1"].mean()) if len(per_class) else 0.0,
        "uar": (mean_p if method == "compat" else mean_r),
        "per_class": per_class,
    }
