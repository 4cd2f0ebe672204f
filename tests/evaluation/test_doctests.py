"""The Examples sections of mefeat.evaluation run as written."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["splits", "metrics", "protocol", "presets", "published", "labels", "tables",
                                  "au", "plots", "stats", "comparison"])
def test_doctests(name):
    mod = importlib.import_module(f"mefeat.evaluation.{name}")
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0
    assert res.failed == 0
