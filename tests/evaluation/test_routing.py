"""mefeat's splitters under scikit-learn's metadata routing (fails on 0.3.2: SubjectKFold raised a TypeError)."""

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import BaseCrossValidator, cross_validate

from mefeat.evaluation.splits import DFMEOfficialSplit, LeaveOneSubjectOut, SubjectKFold

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3))
Y = np.arange(40) % 2
GROUPS = np.repeat([f"s{k}" for k in range(10)], 4)
SPLIT = np.where(np.isin(GROUPS, ["s0", "s1"]), "testA", np.where(GROUPS == "s2", "testB", "train"))


@pytest.mark.parametrize("cv", [SubjectKFold(n_splits=5), LeaveOneSubjectOut(), DFMEOfficialSplit(SPLIT)],
                         ids=["kfold", "loso", "dfme-split"])
def test_groups_are_routed_to_the_splitter(cv):
    assert isinstance(cv, BaseCrossValidator)
    plain = cross_validate(LogisticRegression(), X, Y, groups=GROUPS, cv=cv, return_indices=True)
    with sklearn.config_context(enable_metadata_routing=True):
        routed = cross_validate(LogisticRegression(), X, Y, params={"groups": GROUPS}, cv=cv, return_indices=True)
    for a, b in zip(plain["indices"]["test"], routed["indices"]["test"]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(plain["test_score"], routed["test_score"])
