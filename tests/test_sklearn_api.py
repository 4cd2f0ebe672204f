"""The scikit-learn contract of every public clip transformer (STYLE.md §2).

``check_estimator`` skips everything for estimators whose input is not 2-D
(``two_d_array=False``), so the checks that need no data are run here by hand on every
class; behaviour with data (clone/pickle/Pipeline/grouped CV) is tested per family in
tests/transformers/.
"""

import pytest
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_cloneable,
    check_estimator_repr,
    check_get_params_invariance,
    check_mixin_order,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
    check_valid_tag_types,
)

import mefeat
import mefeat.transformers

CLASSES = [getattr(mefeat.transformers, name) for name in mefeat.transformers.__all__]
CHECKS = [
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_get_params_invariance,
    check_set_params,
    check_estimator_repr,
    check_do_not_raise_errors_in_init_or_set_params,
    check_mixin_order,
    check_valid_tag_types,
    check_estimator_cloneable,
]


def test_every_public_transformer_is_covered():
    assert {c.__name__ for c in CLASSES} == {
        "LBPTOP", "HOGTOP", "HIGOTOP", "BiWOOF", "MDMO", "FDM", "OpticalStrain", "FaceAligner", "TemporalNormalizer",
        "MotionMagnifier",
    }


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_data_free_checks(cls, check):
    check(cls.__name__, cls())


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_stateless_clip_tags_and_export(cls):
    tags = cls().__sklearn_tags__()
    assert tags.requires_fit is False and tags.input_tags.three_d_array and not tags.input_tags.two_d_array
    assert getattr(mefeat, cls.__name__) is cls
