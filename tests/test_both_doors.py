"""Both doors give the same numbers: the extraction command and the catalogue's scikit-learn pipeline.

For every descriptor of the catalogue, ``python -m mefeat.extract`` on the tiny demo and
``mefeat.catalogue.make_pipeline(name)`` run on the same clips (``ds[i]``) must give bit-identical
values and identical column names and clip ids.
"""

import numpy as np
import pandas as pd
import pytest

import mefeat
from mefeat import catalogue
from mefeat.extract import main

NAMES = catalogue.names()


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    data = tmp_path_factory.mktemp("demo")
    out = tmp_path_factory.mktemp("out")
    assert main(["--demo-size", "tiny", "--root", str(data), "--out", str(out), "--descriptors", "all",
                 "--n-jobs", "2", "-q"]) == 0
    ds = mefeat.datasets.load_demo(data_dir=data, size="tiny")
    return ds, out


@pytest.mark.parametrize("name", NAMES)
def test_cli_equals_pipeline(extracted, name):
    ds, out = extracted
    table = mefeat.read_features(out, name)
    pipe = catalogue.make_pipeline(name).set_output(transform="pandas")
    clips = [ds[i] for i in range(len(ds))]
    expected = pipe.fit_transform(clips)
    assert isinstance(expected, pd.DataFrame)
    assert list(table.columns) == list(expected.columns)
    assert list(table.index) == list(expected.index)
    assert table.index.names == expected.index.names == ["dataset", "subject", "clip"]
    np.testing.assert_array_equal(table.to_numpy(), expected.to_numpy())


def test_catalogue_defaults_are_the_transformers_and_the_functions():
    """One source of defaults: the descriptor function's signature."""
    import inspect

    from mefeat import descriptors

    for name, fn in [("lbp_top", descriptors.lbp_top), ("hog_top", descriptors.hog_top),
                     ("higo_top", descriptors.higo_top), ("bi_woof", descriptors.bi_woof),
                     ("mdmo", descriptors.mdmo), ("fdm", descriptors.fdm)]:
        params = catalogue.get(name).parameters()
        sig = {k: p.default for k, p in inspect.signature(fn).parameters.items() if p.default is not p.empty}
        for key, value in params.items():
            if key in sig:
                assert value == sig[key], (name, key)


def test_read_clips_gives_labels_and_groups(extracted):
    ds, out = extracted
    clips = mefeat.read_clips(out)
    X = mefeat.read_features(out, "lbp_top")
    assert list(clips.index) == list(X.index)
    assert list(clips.loc[X.index, "emotion"]) == list(ds.y)
    assert list(clips.loc[X.index, "group"]) == list(ds.groups)
