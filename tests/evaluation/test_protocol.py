"""evaluate(): end-to-end on synthetic features with known class structure."""

import json

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import balanced_accuracy_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from mefeat.evaluation import evaluate


def _synthetic(seed=0, n_subjects=30, n_classes=4, sep=2.5, n_features=6):
    rng = np.random.default_rng(seed)
    groups = np.repeat([f"sub{i:02d}" for i in range(n_subjects)], n_classes)
    y = np.tile([f"c{k}" for k in range(n_classes)], n_subjects)
    codes = np.tile(np.arange(n_classes), n_subjects)
    centers = rng.normal(size=(n_classes, n_features)) * sep
    subject_shift = np.repeat(rng.normal(size=(n_subjects, n_features)), n_classes, axis=0)
    X = centers[codes] + subject_shift + rng.normal(size=(len(y), n_features))
    return X, y, groups


class _FoldSpy(ClassifierMixin, BaseEstimator):
    """Records the training subjects it sees (groups smuggled in as the last column)."""

    log = []

    def fit(self, X, y):
        _FoldSpy.log.append(set(X[:, -1].tolist()))
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_evaluate_separable_and_consistent():
    X, y, g = _synthetic()
    res = evaluate(make_pipeline(StandardScaler(), SVC()), X, y, g, cv="dfme-10fold", verbose=False)
    assert res.scores["uf1"] > 0.8
    p = res.predictions
    assert len(p) == len(y) and (p["fold"] >= 0).all()
    # pooled scores equal sklearn on the pooled out-of-fold predictions
    assert res.scores["uf1"] == pytest.approx(f1_score(p["y_true"].astype(str), p["y_pred"].astype(str),
                                                       average="macro"))
    assert res.scores["uar"] == pytest.approx(balanced_accuracy_score(p["y_true"].astype(str),
                                                                      p["y_pred"].astype(str)))
    assert res.confusion.to_numpy().sum() == len(y)
    assert len(res.fold_scores) == 10
    assert res.per_class["support"].tolist() == [30] * 4
    # no subject tested in two folds
    assert p.groupby("group")["fold"].nunique().max() == 1
    json.dumps(res.to_dict())
    assert "UF1" in res.summary()


def test_evaluate_chance_on_random_labels():
    X, y, g = _synthetic(seed=1)
    y = np.random.default_rng(5).permutation(y)
    res = evaluate(make_pipeline(StandardScaler(), SVC()), X, y, g, verbose=False)
    assert res.scores["uf1"] < 0.45  # 4 classes: chance 0.25


def test_train_never_contains_test_subjects():
    X, y, g = _synthetic(n_subjects=12)
    Xg = np.column_stack([X, np.arange(len(y))]).astype(object)
    Xg[:, -1] = g
    _FoldSpy.log = []
    res = evaluate(_FoldSpy(), Xg, y, g, cv="loso", verbose=False)
    assert len(_FoldSpy.log) == 12
    folds = sorted(res.folds["folds"].items(), key=lambda t: int(t[0]))
    for seen, (_, test_groups) in zip(_FoldSpy.log, folds):
        assert seen.isdisjoint(test_groups)
        assert len(seen) == 11


def test_deterministic_per_seed_and_parallel_equal():
    from sklearn.ensemble import RandomForestClassifier

    X, y, g = _synthetic(seed=2, sep=1.0)
    est = make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=20))  # random_state=None -> seeded
    a = evaluate(est, X, y, g, random_state=3, verbose=False)
    b = evaluate(est, X, y, g, random_state=3, n_jobs=2, verbose=False)
    np.testing.assert_array_equal(a.predictions["y_pred"].to_numpy(), b.predictions["y_pred"].to_numpy())
    assert a.folds == b.folds
    c = evaluate(est, X, y, g, random_state=4, verbose=False)
    assert a.folds != c.folds


def test_nested_search_groups_passed():
    X, y, g = _synthetic(n_subjects=15, n_classes=3)
    res = evaluate(make_pipeline(StandardScaler(), SVC()), X, y, g, cv=SubjectKFoldFactory(3),
                   param_grid={"svc__C": [0.01, 10.0]}, n_inner_splits=3, verbose=False)
    assert len(res.best_params) == 3
    assert all(set(p) == {"svc__C"} for p in res.best_params)
    assert res.scores["uf1"] > 0.6


def SubjectKFoldFactory(k):
    from mefeat.evaluation import SubjectKFold

    return SubjectKFold(k, random_state=0)


def test_megc_and_lodo_with_datasets():
    X, y, g = _synthetic(n_subjects=12, n_classes=3)
    # same subject ids in three databases
    subjects = np.array([f"s{int(s[3:]) % 4}" for s in g], dtype=object)
    dbs = np.array(["smic", "casme2", "samm"])[np.array([int(s[3:]) // 4 for s in g])]
    res = evaluate(make_pipeline(StandardScaler(), SVC()), X, y, subjects, cv="megc2019", datasets=dbs,
                   verbose=False)
    assert len(res.fold_scores) == 12  # 4 subjects x 3 databases, not 4
    by_db = res.scores_by("dataset")
    assert sorted(by_db.index) == ["casme2", "samm", "smic"]
    assert by_db["n"].sum() == len(y)
    res2 = evaluate(make_pipeline(StandardScaler(), SVC()), X, y, subjects, cv="lodo", datasets=dbs, verbose=False)
    assert len(res2.fold_scores) == 3
    assert res2.predictions.groupby("dataset")["fold"].nunique().max() == 1
    with pytest.raises(ValueError, match="needs datasets"):
        evaluate(SVC(), X, y, subjects, cv="lodo", verbose=False)


def test_leaky_splitter_rejected():
    X, y, g = _synthetic(n_subjects=6, n_classes=2)

    class Leaky:
        def split(self, X, y, groups):
            idx = np.arange(len(y))
            yield idx[::2], idx[1::2]

        def get_n_splits(self, *a, **k):
            return 1

    with pytest.raises(ValueError, match="subjects in both train and test"):
        evaluate(SVC(), X, y, g, cv=Leaky(), verbose=False)


def test_bad_lengths():
    X, y, g = _synthetic(n_subjects=6, n_classes=2)
    with pytest.raises(ValueError, match="X has 11 samples but y has 12"):
        evaluate(SVC(), X[:-1], y, g, verbose=False)
    with pytest.raises(ValueError, match="groups has 11 entries"):
        evaluate(SVC(), X, y, g[:-1], verbose=False)


def test_list_inputs_and_dataframe():
    import pandas as pd

    X, y, g = _synthetic(n_subjects=10, n_classes=2)
    res_a = evaluate(make_pipeline(StandardScaler(), SVC()), pd.DataFrame(X), list(y), list(g), verbose=False)
    res_b = evaluate(make_pipeline(StandardScaler(), SVC()), X, y, g, verbose=False)
    assert res_a.scores == res_b.scores


def test_evaluate_accepts_list_and_series_labels():
    import pandas as pd
    from sklearn.svm import SVC

    from mefeat.evaluation import evaluate

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 20)
    groups = np.tile(np.arange(10), 6)
    X = rng.normal(size=(60, 3)) + y[:, None] * 2.0
    ref = evaluate(SVC(), X, y, groups, verbose=False).scores
    for labels in (list(y), pd.Series(y), list(y.astype(bool).astype(int))):
        res = evaluate(SVC(), X, labels, groups, verbose=False)
        assert set(res.scores) == set(ref)
    assert evaluate(SVC(), X, pd.Series(y), groups, verbose=False).scores == ref


# ---------------------------------------------------------------- DFME official split
def _dfme_split_problem(seed=0):
    X, y, g = _synthetic(seed=seed, n_subjects=20, n_classes=3)
    sid = np.array([int(s[3:]) for s in g])
    split = np.where(sid < 12, "train", np.where(sid < 16, "testA", "testB")).astype(object)
    return X, y, g, split


class _CountingSVC(SVC):
    fits = 0

    def fit(self, X, y, sample_weight=None):
        type(self).fits += 1
        return super().fit(X, y, sample_weight=sample_weight)


def test_dfme_split_reports_test_sets_separately():
    X, y, g, split = _dfme_split_problem()
    _CountingSVC.fits = 0
    res = evaluate(make_pipeline(StandardScaler(), _CountingSVC()), X, y, g, cv="dfme-split", split=split,
                   verbose=False)
    assert _CountingSVC.fits == 1  # both test sets share the one model fitted on the training sheet
    assert res.part_by == "split" and list(res.parts) == ["testA", "testB"]
    p = res.predictions
    assert set(p["split"]) == {"testA", "testB"}  # training clips are never tested
    assert len(p) == int((split != "train").sum())
    for name in ("testA", "testB"):
        part = res.parts[name]
        sub = p[p["split"] == name]
        assert part.confusion.to_numpy().sum() == (split == name).sum()
        yt, yp = sub["y_true"].astype(str), sub["y_pred"].astype(str)
        assert part.scores["uf1"] == pytest.approx(f1_score(yt, yp, average="macro"))
        assert part.scores["uar"] == pytest.approx(balanced_accuracy_score(yt, yp))
        assert set(part.predictions["group"]).isdisjoint(set(np.asarray(g)[split == "train"]))
    table = res.part_scores()
    assert table.index.tolist() == ["testA", "testB"]  # no pooled row for the official split
    assert table.loc["testB", "uf1"] == res.parts["testB"].scores["uf1"]
    assert "testA: UF1" in res.summary() and "testB: UF1" in res.summary()
    d = res.to_dict()
    json.dumps(d)
    assert set(d["parts"]) == {"testA", "testB"}


def test_dfme_split_errors():
    X, y, g, split = _dfme_split_problem()
    with pytest.raises(ValueError, match="needs split="):
        evaluate(SVC(), X, y, g, cv="dfme-split", verbose=False)
    no_b = np.where(split == "testB", "testA", split)
    with pytest.raises(ValueError, match="test split 'testB' is empty"):
        evaluate(SVC(), X, y, g, cv="dfme-split", split=no_b, verbose=False)
    leaky = split.copy()
    leaky[np.flatnonzero(split == "testA")[0]] = "train"  # one clip of a test-A subject in training
    with pytest.raises(ValueError, match="train and testA share 1 subject"):
        evaluate(SVC(), X, y, g, cv="dfme-split", split=leaky, verbose=False)
    with pytest.raises(ValueError, match="exactly 'train', 'testA' or 'testB'"):
        evaluate(SVC(), X, y, g, cv="dfme-split", split=np.where(split == "train", "training", split),
                 verbose=False)
    with pytest.raises(ValueError, match="split has 59 entries"):
        evaluate(SVC(), X, y, g, cv="dfme-split", split=split[:-1], verbose=False)
    with pytest.raises(ValueError, match="only used by cv='dfme-split'"):
        evaluate(SVC(), X, y, g, cv="loso", split=split, verbose=False)


def test_dfme_split_splitter_object_and_series():
    import pandas as pd

    from mefeat.evaluation import DFMEOfficialSplit

    X, y, g, split = _dfme_split_problem(seed=3)
    a = evaluate(SVC(), X, y, g, cv="dfme-split", split=pd.Series(split), verbose=False)
    b = evaluate(SVC(), X, y, g, cv=DFMEOfficialSplit(split), verbose=False)
    assert a.parts["testA"].scores == b.parts["testA"].scores
    assert a.parts["testB"].confusion.equals(b.parts["testB"].confusion)


# ---------------------------------------------------------------- MEGC 2019 per part
def test_megc2019_per_part_from_pooled_predictions():
    X, y, g = _synthetic(seed=4, n_subjects=12, n_classes=3, sep=1.2)
    subjects = np.array([f"s{int(s[3:]) % 4}" for s in g], dtype=object)
    dbs = np.array(["samm", "smic", "casme2"])[np.array([int(s[3:]) // 4 for s in g])]
    res = evaluate(make_pipeline(StandardScaler(), SVC()), X, y, subjects, cv="megc2019", datasets=dbs,
                   verbose=False)
    assert res.part_by == "dataset"
    assert list(res.parts) == ["smic", "casme2", "samm"]  # the guideline's order
    table = res.part_scores()
    assert table.index.tolist() == ["full", "smic", "casme2", "samm"]
    assert table.loc["full", "uf1"] == res.scores["uf1"]
    p = res.predictions
    for db in ("smic", "casme2", "samm"):
        sub = p[p["dataset"] == db]
        # per part = scores of that part's out-of-fold predictions of the one composite run
        assert table.loc[db, "uf1"] == pytest.approx(f1_score(sub["y_true"].astype(str), sub["y_pred"].astype(str),
                                                               average="macro"))
        assert table.loc[db, "n"] == len(sub) == (dbs == db).sum()
        assert res.parts[db].fold_scores.shape[0] == 4  # its 4 subjects' folds
        assert res.parts[db].confusion.to_numpy().sum() == len(sub)
    by = res.scores_by("dataset")
    assert by.loc["samm", "uf1"] == pytest.approx(table.loc["samm", "uf1"])


def test_single_dataset_has_no_parts():
    X, y, g = _synthetic(n_subjects=10, n_classes=2)
    res = evaluate(SVC(), X, y, g, cv="loso", verbose=False)
    assert res.parts == {} and res.part_by is None
    assert res.part_scores().index.tolist() == ["full"]
    assert res.protocol == "loso"


def test_progress_bar_is_the_text_bar_without_ipywidgets(monkeypatch):
    import importlib.util

    import tqdm.std

    from mefeat.evaluation.protocol import progress_bar

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ipywidgets" else real(name, *a))
    assert progress_bar() is tqdm.std.tqdm  # tqdm.auto would warn "IProgress not found" in a notebook
