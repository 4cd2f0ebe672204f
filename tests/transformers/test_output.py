"""Notebook use: pandas output indexed by clip ids through whole clip pipelines, progress bars."""

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mefeat import HOGTOP, LBPTOP, Clip, TemporalNormalizer


@pytest.fixture
def clips(rng):
    return [Clip(rng.integers(0, 256, (12, 16, 16), dtype=np.uint8), subject=f"s{i % 2}", name=f"c{i}",
                 meta={"dataset": "toy"}) for i in range(4)]


def test_pandas_output_keeps_clip_ids_through_a_clip_pipeline(clips):
    pipe = make_pipeline(TemporalNormalizer(n_frames=10), LBPTOP(grid=(2, 2, 1)), StandardScaler())
    out = pipe.set_output(transform="pandas").fit_transform(clips)
    assert isinstance(out, pd.DataFrame)
    assert list(out.index) == [("toy", f"s{i % 2}", f"c{i}") for i in range(4)]
    assert out.index.names == ["dataset", "subject", "clip"]
    assert list(out.columns) == list(LBPTOP(grid=(2, 2, 1)).get_feature_names_out())


def test_pandas_output_of_one_transformer_and_default_output(clips):
    est = HOGTOP(grid=(1, 1, 1))
    arr = est.fit_transform(clips)
    assert isinstance(arr, np.ndarray)
    df = est.set_output(transform="pandas").fit_transform(clips)
    np.testing.assert_array_equal(df.to_numpy(), arr)
    assert df.index[0] == ("toy", "s0", "c0")
    bare = est.transform(np.stack([c.frames for c in clips]))  # bare arrays: ids are the sample numbers
    assert list(bare.index.get_level_values("clip")) == ["0", "1", "2", "3"]


def test_clip_to_clip_steps_accept_set_output(clips):
    tn = TemporalNormalizer(n_frames=10)
    assert tn.set_output(transform="pandas") is tn
    assert isinstance(tn.transform(clips)[0], Clip)


@pytest.mark.parametrize("verbose", [True, 1])
def test_verbose_shows_a_progress_bar(clips, capsys, verbose):
    LBPTOP(verbose=verbose).fit_transform(clips)
    err = capsys.readouterr().err
    assert "LBPTOP" in err and "4/4" in err
    TemporalNormalizer(n_frames=10, verbose=verbose, n_jobs=2).fit_transform(clips)
    assert "TemporalNormalizer" in capsys.readouterr().err


def test_quiet_by_default_and_bad_verbose(clips, capsys):
    LBPTOP().fit_transform(clips)
    assert capsys.readouterr().err == ""
    with pytest.raises(ValueError, match="verbose"):
        LBPTOP(verbose=-1).fit()
