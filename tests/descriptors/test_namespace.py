"""Descriptor functions live in private modules, so the public names are always the functions."""

import importlib

import pytest

import mefeat
import mefeat.descriptors as descriptors

NAMES = ["lbp_top", "hog_top", "higo_top", "bi_woof", "mdmo", "fdm"]


@pytest.mark.parametrize("name", NAMES)
def test_public_names_are_functions(name):
    module = {"higo_top": "_hog_top"}.get(name, f"_{name}")
    importlib.import_module(f"mefeat.descriptors.{module}")
    assert callable(getattr(descriptors, name))
    assert getattr(mefeat, name) is getattr(descriptors, name)
    assert getattr(descriptors, name).__module__ == f"mefeat.descriptors.{module}"


def test_no_public_module_shadows_a_function():
    for name in NAMES:
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(f"mefeat.descriptors.{name}")
