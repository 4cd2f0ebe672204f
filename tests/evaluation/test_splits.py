"""Splitters: subject disjointness (randomised), stratification, determinism, fold export."""

import json

import numpy as np
import pytest

from mefeat.evaluation.splits import (
    MEGC2019LOSO,
    LeaveOneDatabaseOut,
    LeaveOneSubjectOut,
    SubjectKFold,
    fold_assignment,
    get_splitter,
    qualify_groups,
)


def _random_problem(rng, n_subjects, n_classes, max_clips=12):
    counts = rng.integers(1, max_clips + 1, size=n_subjects)
    groups = np.repeat([f"s{i:03d}" for i in range(n_subjects)], counts)
    y = rng.integers(0, n_classes, size=len(groups))
    return y, groups


def _check_partition(folds, groups, n):
    seen = np.zeros(n, dtype=int)
    for train, test in folds:
        assert len(test) > 0
        assert set(groups[train]).isdisjoint(groups[test])
        assert len(np.intersect1d(train, test)) == 0
        assert len(train) + len(test) == n  # every sample is used in each fold
        seen[test] += 1
    np.testing.assert_array_equal(seen, 1)  # each sample tested exactly once


@pytest.mark.parametrize("trial", range(25))
def test_subject_kfold_disjoint_random(trial):
    rng = np.random.default_rng(trial)
    n_subjects = int(rng.integers(10, 60))
    y, groups = _random_problem(rng, n_subjects, int(rng.integers(2, 8)))
    k = int(rng.integers(2, min(10, n_subjects) + 1))
    for stratify in (True, False):
        cv = SubjectKFold(k, stratify=stratify, random_state=trial)
        folds = list(cv.split(None, y, groups))
        assert len(folds) == k == cv.get_n_splits()
        _check_partition(folds, groups, len(y))


@pytest.mark.parametrize("trial", range(10))
def test_loso_disjoint_random(trial):
    rng = np.random.default_rng(100 + trial)
    y, groups = _random_problem(rng, int(rng.integers(2, 30)), 3)
    cv = LeaveOneSubjectOut()
    folds = list(cv.split(None, y, groups))
    assert len(folds) == cv.get_n_splits(groups=groups) == len(set(groups))
    _check_partition(folds, groups, len(y))
    for _, test in folds:
        assert len(set(groups[test])) == 1


def test_subject_kfold_deterministic_and_seed_dependent():
    rng = np.random.default_rng(0)
    y, groups = _random_problem(rng, 40, 5)
    a = fold_assignment(SubjectKFold(10, random_state=3), None, y, groups)
    b = fold_assignment(SubjectKFold(10, random_state=3), None, y, groups)
    c = fold_assignment(SubjectKFold(10, random_state=4), None, y, groups)
    assert a == b
    assert a["folds"] != c["folds"]


def test_subject_kfold_stratifies():
    # 30 subjects, each with one clip of each of 3 classes except a rare class-2 pattern
    groups = np.repeat(np.arange(30), 4)
    y = np.tile([0, 0, 1, 2], 30)
    for _, test in SubjectKFold(10, random_state=0).split(None, y, groups):
        share = np.bincount(y[test], minlength=3) / len(test)
        np.testing.assert_allclose(share, [0.5, 0.25, 0.25])


def test_stratified_beats_unstratified_on_skewed_subjects():
    rng = np.random.default_rng(7)
    # subjects carry mostly one class: unstratified folds get skewed class shares
    groups = np.repeat(np.arange(60), 5)
    y = np.repeat(rng.integers(0, 3, size=60), 5)
    y[rng.random(300) < 0.2] = 2

    def spread(cv):
        dev = []
        overall = np.bincount(y, minlength=3) / len(y)
        for _, test in cv.split(None, y, groups):
            dev.append(np.abs(np.bincount(y[test], minlength=3) / len(test) - overall).sum())
        return np.mean(dev)

    assert spread(SubjectKFold(5, stratify=True)) < spread(SubjectKFold(5, stratify=False))


def test_fold_export_json_roundtrip(tmp_path):
    from mefeat.evaluation.splits import save_fold_assignment

    groups = np.repeat(["a", "b", "c", "d"], 2)
    y = np.tile([0, 1], 4)
    d = fold_assignment(SubjectKFold(2, random_state=0), None, y, groups)
    assert d["n_splits"] == 2
    assert sorted(sum(d["folds"].values(), [])) == ["a", "b", "c", "d"]
    p = tmp_path / "folds.json"
    save_fold_assignment(d, p)
    assert json.loads(p.read_text()) == d


def test_subject_kfold_errors():
    y = np.array([0, 1, 0, 1])
    g = np.array([1, 1, 2, 2])
    with pytest.raises(ValueError, match="n_splits=3 is larger than the number of subjects \\(2\\)"):
        list(SubjectKFold(3).split(None, y, g))
    with pytest.raises(ValueError, match="groups"):
        list(SubjectKFold(2).split(None, y, None))
    with pytest.raises(ValueError, match="n_splits must be an int >= 2"):
        list(SubjectKFold(1).split(None, y, g))
    with pytest.raises(ValueError, match="needs y"):
        list(SubjectKFold(2).split(np.zeros((4, 1)), None, g))


def test_megc2019_composite_loso():
    subjects = ["s01", "s01", "s02", "sub01", "sub01", "006"]
    dbs = ["smic", "smic", "smic", "casme2", "casme2", "samm"]
    q = qualify_groups(subjects, dbs)
    cv = MEGC2019LOSO(n_expected=4)
    folds = list(cv.split(None, None, q))
    assert len(folds) == 4 == cv.get_n_splits(groups=q)
    _check_partition(folds, q, len(q))
    # same subject id in two databases -> two folds
    q2 = qualify_groups(["s01", "s01"], ["smic", "casme2"])
    assert MEGC2019LOSO().get_n_splits(groups=q2) == 2
    with pytest.raises(ValueError, match="dataset-qualified"):
        list(cv.split(None, None, subjects))
    with pytest.raises(ValueError, match="expected 68 subjects, got 4"):
        list(MEGC2019LOSO(n_expected=68).split(None, None, q))


def test_lodo():
    dbs = np.array(["casme2", "samm", "smic", "samm", "casme2"])
    folds = list(LeaveOneDatabaseOut().split(None, None, dbs))
    assert [sorted(set(dbs[te])) for _, te in folds] == [["casme2"], ["samm"], ["smic"]]
    _check_partition(folds, dbs, len(dbs))
    with pytest.raises(ValueError, match="at least 2 groups"):
        list(LeaveOneDatabaseOut().split(None, None, ["samm", "samm"]))


def test_get_splitter():
    assert isinstance(get_splitter("dfme-10fold"), SubjectKFold)
    assert get_splitter("dfme-10fold", random_state=5).random_state == 5
    assert isinstance(get_splitter("loso"), LeaveOneSubjectOut)
    assert isinstance(get_splitter("megc2019"), MEGC2019LOSO)
    assert isinstance(get_splitter("lodo"), LeaveOneDatabaseOut)
    cv = SubjectKFold(3)
    assert get_splitter(cv) is cv
    with pytest.raises(ValueError, match="cv must be one of"):
        get_splitter("5fold")
    with pytest.raises(TypeError):
        get_splitter(3)


def test_usable_by_sklearn_cross_validate():
    from sklearn.dummy import DummyClassifier
    from sklearn.model_selection import cross_validate

    rng = np.random.default_rng(1)
    y, groups = _random_problem(rng, 20, 3)
    X = rng.normal(size=(len(y), 2))
    res = cross_validate(DummyClassifier(), X, y, groups=groups, cv=SubjectKFold(5))
    assert len(res["test_score"]) == 5


def test_loso_equals_sklearn_leave_one_group_out():
    from sklearn.model_selection import LeaveOneGroupOut

    rng = np.random.default_rng(5)
    y, groups = _random_problem(rng, 15, 3)
    ours = [(tr.tolist(), te.tolist()) for tr, te in LeaveOneSubjectOut().split(None, y, groups)]
    ref = [(tr.tolist(), te.tolist()) for tr, te in LeaveOneGroupOut().split(np.zeros(len(y)), y, groups)]
    assert ours == ref
    # mixed label types still work (coded before sklearn sees them)
    mixed = np.array([1, "a", 1, "b"], dtype=object)
    assert len(list(LeaveOneSubjectOut().split(None, None, mixed))) == 3


def test_dfme_official_split():
    from mefeat.evaluation.splits import DFMEOfficialSplit, check_dfme_split

    split = np.array(["train", "testA", "train", "testB", "testA", "train"], dtype=object)
    subjects = np.array(["s1", "s2", "s1", "s3", "s2", "s4"], dtype=object)
    cv = DFMEOfficialSplit(split)
    folds = list(cv.split(None, None, subjects))
    assert cv.get_n_splits() == 2
    assert [tr.tolist() for tr, _ in folds] == [[0, 2, 5], [0, 2, 5]]
    assert [te.tolist() for _, te in folds] == [[1, 4], [3]]
    assert isinstance(get_splitter("dfme-split", split=split), DFMEOfficialSplit)
    with pytest.raises(ValueError, match="needs split="):
        get_splitter("dfme-split")
    with pytest.raises(ValueError, match="exactly 'train', 'testA' or 'testB'; found 'test'"):
        check_dfme_split(["train", "test", "testB"])
    with pytest.raises(ValueError, match="found nan"):
        check_dfme_split(["train", float("nan"), "testA", "testB"])
    with pytest.raises(ValueError, match="test split 'testB' is empty"):
        check_dfme_split(["train", "testA"])
    with pytest.raises(ValueError, match="training part is empty"):
        check_dfme_split(["testA", "testB"])
    with pytest.raises(ValueError, match=r"train and testB share 1 subject\(s\): \['s1'\]"):
        list(DFMEOfficialSplit(split).split(None, None, ["s1", "s2", "s1", "s1", "s2", "s4"]))
    with pytest.raises(ValueError, match="groups has 5 entries but split has 6"):
        check_dfme_split(split, groups=subjects[:5])
