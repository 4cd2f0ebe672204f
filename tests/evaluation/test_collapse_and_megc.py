"""evaluate(): the single-class warning, MEGC 2019 without ``datasets=``, a one-database MEGC 2019 run."""

import warnings

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from mefeat.evaluation import evaluate
from mefeat.evaluation.protocol import SingleClassWarning
from mefeat.evaluation.splits import qualify_groups


def _data(seed=0, n_subjects=8):
    rng = np.random.default_rng(seed)
    y = np.tile([0, 1, 2], 2 * n_subjects)
    g = np.repeat(np.arange(n_subjects), 6)
    X = rng.normal(size=(len(y), 4)) + 3 * np.eye(3, 4)[y]
    return X, y, g


def test_a_classifier_predicting_one_class_warns_naming_it_and_the_protocol():
    X, y, g = _data()
    with pytest.warns(SingleClassWarning, match=r"DummyClassifier predicts a single class under loso: all 48 "
                                                r"tested samples are 0 \(3 true classes\)"):
        res = evaluate(DummyClassifier(strategy="most_frequent"), X, y, g, cv="loso", verbose=False)
    assert res.collapsed and res.scores["uar"] == pytest.approx(1 / 3)


def test_no_warning_when_the_classes_are_predicted():
    X, y, g = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", SingleClassWarning)
        res = evaluate(make_pipeline(StandardScaler(), SVC()), X, y, g, cv="loso", verbose=False)
    assert not res.collapsed
    # a LOSO fold may rightly predict one class (here every fold's test part is one subject): not a collapse
    per_fold = res.predictions.groupby("fold")["y_pred"].nunique()
    assert res.predictions["y_pred"].nunique() == 3 and len(per_fold) == 8


def test_one_class_per_dfme_test_set_warns():
    X, y, g = _data()
    split = np.where(g < 4, "train", np.where(g < 6, "testA", "testB"))
    with pytest.warns(SingleClassWarning, match="of testA"):
        res = evaluate(DummyClassifier(), X, y, g, cv="dfme-split", split=split, verbose=False)
    assert res.collapsed


def test_megc2019_without_datasets_and_plain_subjects_says_what_it_needs():
    X, y, g = _data()
    with pytest.raises(ValueError, match=r"cv='megc2019' needs datasets= .* got subject 0"):
        evaluate(make_pipeline(StandardScaler(), SVC()), X, y, g, cv="megc2019", verbose=False)


def test_megc2019_without_datasets_reads_the_database_from_qualified_subjects():
    X, y, g = _data()
    dbs = np.where(g < 4, "smic", "samm")
    est = make_pipeline(StandardScaler(), SVC())
    res = evaluate(est, X, y, qualify_groups(g, dbs), cv="megc2019", verbose=False)
    ref = evaluate(est, X, y, g, cv="megc2019", datasets=dbs, verbose=False)
    assert res.part_scores().index.tolist() == ["full", "smic", "samm"]
    assert res.part_scores().equals(ref.part_scores())


def test_megc2019_on_one_database_reports_that_part_not_the_composite():
    X, y, g = _data()
    res = evaluate(make_pipeline(StandardScaler(), SVC()), X, y, g, cv="megc2019", datasets=["casme2"] * len(y),
                   verbose=False)
    table = res.part_scores()
    assert table.index.tolist() == ["casme2"]
    assert table.loc["casme2", "uf1"] == pytest.approx(res.scores["uf1"]) and table.loc["casme2", "n"] == len(y)
    # other protocols on one database keep the single "full" row
    res = evaluate(make_pipeline(StandardScaler(), SVC()), X, y, g, cv="loso", datasets=["casme2"] * len(y),
                   verbose=False)
    assert res.part_scores().index.tolist() == ["full"]
