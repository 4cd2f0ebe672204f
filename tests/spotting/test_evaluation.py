"""evaluate_spotting (one-to-one and megc2020), interval_iou, match_intervals and strs_score on hand-computed cases."""

import math

import numpy as np
import pandas as pd
import pytest

from mefeat.spotting import evaluate_spotting, interval_iou, match_intervals, strs_score
from tests.spotting import _megc2020_reference as ref


def table(rows, cols=("video", "onset", "offset", "type")):
    return pd.DataFrame(rows, columns=list(cols))


# ------------------------------------------------------------------------------------------- IoU
@pytest.mark.parametrize("a, b, expected", [
    ((1, 10), (6, 15), 5 / 15),
    ((1, 5), (6, 10), 0.0),        # adjacent
    ((1, 5), (7, 10), 0.0),        # disjoint
    ((3, 3), (3, 3), 1.0),         # one frame each
    ((0, 9), (2, 5), 4 / 10),      # nested
])
def test_interval_iou_inclusive_frames(a, b, expected):
    assert interval_iou(a, b) == pytest.approx(expected)
    assert interval_iou(b, a) == pytest.approx(expected)


def test_megc2020_iou_counts_a_shared_frame_for_disjoint_intervals():
    assert ref.calc_iou((1, 5), (7, 10)) == pytest.approx(1 / 8)   # 1 "shared" frame of 5 + 4 - 1
    assert ref.calc_iou((3, 3), (3, 3)) == 0.0                      # offset <= onset
    gt = table([("v", 0, 1, "micro")])
    pred = table([("v", 3, 4, "micro")])                            # no shared frame: IoU 1/3 in megc2020
    assert evaluate_spotting(gt, pred, iou=0.3, method="megc2020").loc["micro", "tp"] == 1
    assert evaluate_spotting(gt, pred, iou=0.3).loc["micro", "tp"] == 0
    one = table([("v", 5, 5, "micro")])
    assert evaluate_spotting(one, one, method="megc2020").loc["micro", "tp"] == 0
    assert evaluate_spotting(one, one).loc["micro", "tp"] == 1


# ------------------------------------------------------------------------------------- matching
def test_match_intervals_is_maximum_not_greedy():
    # p0 reaches both ground truths (IoU 8/12); p1 only g0 (IoU 9/10). Greedy in row order gives 1 pair.
    g, p = match_intervals([(0, 9), (4, 13)], [(2, 11), (0, 8)])
    assert sorted(zip(g.tolist(), p.tolist())) == [(0, 1), (1, 0)]


def test_match_intervals_each_interval_once():
    g, p = match_intervals([(0, 9), (2, 11)], [(1, 10)])
    assert len(g) == 1 and len(p) == 1
    g, p = match_intervals(np.zeros((0, 2)), [(1, 10)])
    assert len(g) == 0


# ------------------------------------------------------------------------------ evaluate_spotting
GT = table([("A", 10, 20, "micro"), ("A", 100, 110, "micro"), ("A", 200, 260, "macro"), ("B", 0, 50, "macro")])
PRED = table([("A", 12, 21, "micro"),     # IoU 9/12 with (10, 20)
              ("A", 104, 114, "micro"),   # IoU 7/15 with (100, 110): below 0.5
              ("A", 300, 305, "micro"),   # nothing there
              ("A", 205, 255, "macro"),   # IoU 51/61
              ("C", 0, 30, "macro")])     # a video without ground truth


def test_one_to_one_hand_computed():
    r = evaluate_spotting(GT, PRED)
    assert list(r.index) == ["micro", "macro", "overall"]
    assert list(r.columns) == ["n_pred", "tp", "n_gt", "precision", "recall", "f1"]
    assert r.loc["micro", ["n_pred", "tp", "n_gt"]].tolist() == [3, 1, 2]
    assert r.loc["macro", ["n_pred", "tp", "n_gt"]].tolist() == [2, 1, 2]
    assert r.loc["overall", ["n_pred", "tp", "n_gt"]].tolist() == [5, 2, 4]
    assert r.loc["micro", ["precision", "recall", "f1"]].tolist() == pytest.approx([1 / 3, 1 / 2, 2 / 5])
    assert r.loc["macro", ["precision", "recall", "f1"]].tolist() == pytest.approx([1 / 2, 1 / 2, 1 / 2])
    assert r.loc["overall", ["precision", "recall", "f1"]].tolist() == pytest.approx([2 / 5, 1 / 2, 4 / 9])
    assert evaluate_spotting(GT, PRED, iou=0.45).loc["micro", "tp"] == 2   # 7/15 = 0.467


def test_types_are_matched_apart():
    gt = table([("v", 0, 9, "micro")])
    pred = table([("v", 0, 9, "macro")])
    r = evaluate_spotting(gt, pred)
    assert r.loc["overall", "tp"] == 0 and r.loc["macro", "n_pred"] == 1


def test_one_prediction_two_ground_truths():
    gt = table([("v", 0, 9, "micro"), ("v", 2, 11, "micro")])
    pred = table([("v", 1, 10, "micro")])                 # IoU 9/11 with both
    one = evaluate_spotting(gt, pred).loc["micro"]
    assert one[["tp", "precision", "recall"]].tolist() == pytest.approx([1, 1.0, 0.5])
    megc = evaluate_spotting(gt, pred, method="megc2020").loc["micro"]
    assert megc[["tp", "precision", "recall", "f1"]].tolist() == pytest.approx([2, 2.0, 1.0, 4 / 3])


def test_undefined_scores():
    gt = table([("v", 0, 9, "micro")])
    empty = table([])
    r = evaluate_spotting(gt, empty)
    assert math.isnan(r.loc["micro", "precision"]) and r.loc["micro", "f1"] == 0.0
    assert math.isnan(r.loc["macro", "f1"])             # nothing of that type on either side
    m = evaluate_spotting(gt, empty, method="megc2020")
    assert m.loc["macro", ["precision", "recall", "f1"]].tolist() == [0.0, 0.0, 0.0]


def test_megc2020_hand_computed_and_summed():
    r = evaluate_spotting(GT, PRED, method="megc2020")
    assert r.loc["overall", ["n_pred", "tp", "n_gt"]].tolist() == [5, 2, 4]
    assert r.loc["overall", "f1"] == pytest.approx(2 * 0.4 * 0.5 / 0.9)


def test_megc2020_equals_the_baseline_script_on_random_intervals():
    rng = np.random.default_rng(0)
    for _ in range(30):
        gts, preds, gt_rows, pred_rows = [], [], [], []
        for v in range(4):
            on = rng.integers(0, 300, size=rng.integers(0, 5))
            g = [[int(o), int(o + rng.integers(0, 30))] for o in on]
            on = rng.integers(0, 300, size=rng.integers(0, 8))
            p = [[int(o), int(o + rng.integers(0, 30))] for o in on]
            gts.append(g)
            preds.append(p)
            gt_rows += [(f"v{v}", a, b, "micro") for a, b in g]
            pred_rows += [(f"v{v}", a, b, "micro") for a, b in p]
        thresh = float(rng.choice([0.2, 0.3, 0.5]))
        n_clips, n_labels, n_find, recall, precision, f1 = ref.pred_clips_analysis(preds, gts, thresh)
        r = evaluate_spotting(table(gt_rows), table(pred_rows), iou=thresh, method="megc2020").loc["micro"]
        assert r[["n_pred", "tp", "n_gt"]].tolist() == [n_clips, n_find, n_labels]
        assert r[["precision", "recall", "f1"]].tolist() == pytest.approx([precision, recall, f1])


@pytest.mark.parametrize("counts, published", [
    # MEGC 2020 baseline, MEGC2020_results.txt: (predict, true_predict, labels) -> recall, precision, F1
    ({"micro": (5035, 21, 57), "macro": (1523, 109, 300)},
     {"micro": (0.3684210526315789, 0.004170804369414101, 0.008248232521602514),
      "macro": (0.36333333333333334, 0.07156927117531188, 0.11958310477235326),
      "overall": (0.3641456582633053, 0.01982311680390363, 0.03759942154736081)}),
    ({"micro": (1436, 29, 159), "macro": (356, 22, 343)},
     {"micro": (0.18238993710691823, 0.0201949860724234, 0.03636363636363636),
      "macro": (0.0641399416909621, 0.06179775280898876, 0.06294706723891273),
      "overall": (0.10159362549800798, 0.028459821428571428, 0.04446381865736704)}),
])
def test_megc2020_scores_from_the_published_counts(counts, published):
    gt_rows, pred_rows = [], []
    for t, (n_pred, found, n_gt) in counts.items():
        base = 0 if t == "micro" else 10 ** 7
        gts = [(base + 100 * i, base + 100 * i + 9) for i in range(n_gt)]
        gt_rows += [("v", a, b, t) for a, b in gts]
        pred_rows += [("v", a, b, t) for a, b in gts[:found]]
        pred_rows += [("v", base + 5 * 10 ** 6 + 20 * k, base + 5 * 10 ** 6 + 20 * k + 9, t)
                      for k in range(n_pred - found)]
    r = evaluate_spotting(table(gt_rows), table(pred_rows), method="megc2020")
    for row, (rec, prec, f1) in published.items():
        assert r.loc[row, ["recall", "precision", "f1"]].tolist() == pytest.approx([rec, prec, f1], rel=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    ({"iou": 0}, "iou"), ({"iou": 1.5}, "iou"), ({"method": "megc"}, "method"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        evaluate_spotting(GT, PRED, **kwargs)


def test_bad_tables():
    with pytest.raises(ValueError, match="predictions row 0.*type 'mic'"):
        evaluate_spotting(GT, table([("A", 1, 2, "mic")]))
    with pytest.raises(ValueError, match="offset 1 < onset 2"):
        evaluate_spotting(GT, table([("A", 2, 1, "micro")]))
    with pytest.raises(ValueError, match="lacks the column"):
        evaluate_spotting(GT, PRED.drop(columns="type"))
    with pytest.raises(TypeError, match="DataFrame"):
        evaluate_spotting(GT, [("A", 1, 2, "micro")])
    r = evaluate_spotting(GT.assign(type=[" Micro", "MICRO", "macro", "Macro "]), PRED)
    assert r.loc["overall", "n_gt"] == 4


# ------------------------------------------------------------------------------------------ STRS
SCOLS = ("subject", "video", "onset", "offset", "emotion")


def test_strs_defect_unvisited_videos_and_subjects():
    gt = table([("s1", "v1", 10, 20, "happiness"), ("s2", "v2", 10, 20, "surprise")], SCOLS)
    pred = table([("s1", "v1", 10, 20, "happiness"), ("s1", "v3", 50, 60, "happiness")], SCOLS)
    c = strs_score(gt, pred, method="compat")
    assert (c["tp_spot"], c["fp_spot"], c["fn_spot"], c["f1_spot"]) == (1, 0, 0, 1.0)
    assert math.isnan(c["f1_analysis"]) and math.isnan(c["strs"])   # happiness: one label value -> zeroed
    f = strs_score(gt, pred)
    assert (f["tp_spot"], f["fp_spot"], f["fn_spot"]) == (1, 1, 1)
    assert f["f1_spot"] == pytest.approx(0.5)
    # happiness P = R = 1; surprise (no analysed pair) P = R = 0 -> means 0.5 -> analysis F1 0.5
    assert f["f1_analysis"] == pytest.approx(0.5) and f["strs"] == pytest.approx(0.25)


def test_strs_defect_single_emotion_is_nan():
    gt = table([("s1", "v1", 10, 20, "happiness"), ("s1", "v1", 40, 50, "happiness")], SCOLS)
    c = strs_score(gt, gt, method="compat")
    assert c["tp_spot"] == 2 and math.isnan(c["strs"])
    f = strs_score(gt, gt)
    assert f["strs"] == 1.0 and f["per_class"].loc["happiness", "tp"] == 2


def test_strs_defect_one_prediction_two_ground_truths():
    gt = table([("s", "v", 0, 9, "a"), ("s", "v", 4, 13, "b")], SCOLS)
    pred = table([("s", "v", 2, 11, "a"), ("s", "v", 0, 8, "a")], SCOLS)
    c = strs_score(gt, pred, method="compat")
    assert (c["tp_spot"], c["fp_spot"], c["fn_spot"]) == (2, 1, 0)    # p0 counted twice, p1 a false positive
    f = strs_score(gt, pred)
    assert (f["tp_spot"], f["fp_spot"], f["fn_spot"]) == (2, 0, 0)    # p0-g1, p1-g0


def test_strs_defect_uar_is_mean_precision():
    rows = [("s", "v", 0, 9, "a"), ("s", "v", 20, 29, "a"), ("s", "v", 40, 49, "a"), ("s", "v", 60, 69, "b")]
    gt = table(rows, SCOLS)
    pred = gt.assign(emotion=["a", "a", "b", "b"])
    # a: TP 2 FP 0 FN 1 -> P 1, R 2/3;  b: TP 1 FP 1 FN 0 -> P 1/2, R 1
    c, f = strs_score(gt, pred, method="compat"), strs_score(gt, pred)
    assert c["uar"] == pytest.approx(0.75) and f["uar"] == pytest.approx(5 / 6)
    f1 = 2 * 0.75 * (5 / 6) / (0.75 + 5 / 6)
    assert c["f1_analysis"] == pytest.approx(f1) and f["f1_analysis"] == pytest.approx(f1)
    assert c["strs"] == pytest.approx(f1) and f["uf1"] == pytest.approx((0.8 + 2 / 3) / 2)


def test_strs_defect_fn_analysis_counts():
    gt = table([("s", "v", 0, 9, "a"), ("s", "v", 20, 29, "b")], SCOLS)
    pred = gt.assign(emotion=["other", "b"])                 # "other" is not an analysed class
    assert strs_score(gt, pred, method="compat")["fn_analysis"] == 0
    assert strs_score(gt, pred)["fn_analysis"] == 1


def test_strs_without_subject_and_errors():
    gt = table([("v", 0, 9, "a")], ("video", "onset", "offset", "emotion"))
    assert strs_score(gt, gt)["strs"] == 1.0
    with pytest.raises(ValueError, match="subject"):
        strs_score(gt, gt, method="compat")
    with pytest.raises(ValueError, match="method"):
        strs_score(gt, gt, method="megc")
