"""Shared fixtures. Tests never read ../shared at run time: golden files live in tests/data/."""

import json
import pathlib

import numpy as np
import pytest

DATA_DIR = pathlib.Path(__file__).parent / "data"


def load_reference(name):
    """Load a golden file from tests/data: returns (input, output, params dict)."""
    with np.load(DATA_DIR / name, allow_pickle=False) as z:
        return z["input"], z["output"], json.loads(str(z["params"]))


@pytest.fixture
def data_dir():
    return DATA_DIR


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
