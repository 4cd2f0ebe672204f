"""The public per-row access of MEDataset used by the extraction engine: row, frame_paths, read_frames,
clip_from_frames, subset."""

import doctest

import numpy as np
import pandas as pd
import pytest

from mefeat.datasets import load_dfme, load_megc2019
from tests.datasets import _fixtures as fx


@pytest.fixture
def ds(tmp_path):
    return load_dfme(*fx.dfme(tmp_path))


def test_row_is_plain_python_with_none_for_missing(ds):
    r = ds.row(2)
    assert r["clip"] == "sub0004_01" and r["apex"] is None and r["onset"] == 1 and type(r["onset"]) is int
    assert r["aus"] == frozenset({1, 2, 5}) and r["fps"] == 300.0 and r["split"] == "train"
    assert ds.row(-1)["clip"] == "sub0004_01_2" and ds.clip_meta(0) == ds.row(0)
    for i in range(len(ds)):
        for k, v in ds.row(i).items():
            if not isinstance(v, (frozenset, str)):
                assert v is None or not pd.isna(v), (k, v)
    with pytest.raises(IndexError, match="out of range for 4 clips"):
        ds.row(4)
    with pytest.raises(TypeError):
        ds.row("0")


def test_clip_from_frames_equals_getitem(ds):
    frames, digest = ds.read_frames(0, with_hash=True)
    assert frames.shape == (8, 6, 8) and len(digest) == 64
    a, b = ds[0], ds.clip_from_frames(0, frames)
    for f in ("onset", "apex", "offset", "fps", "subject", "name", "emotion", "aus", "meta"):
        assert getattr(a, f) == getattr(b, f), f
    assert np.array_equal(a.frames, b.frames)
    # the engine's own (aligned, resized, float) frames keep the annotations
    aligned = ds.clip_from_frames(0, np.zeros((8, 16, 16), np.float32))
    assert aligned.shape == (8, 16, 16) and aligned.apex == a.apex and aligned.name == "sub0003_01"
    no_apex = ds.clip_from_frames(2, ds.read_frames(2))
    assert no_apex.apex is None and no_apex.meta["apex_frame"] is None
    with pytest.raises(ValueError, match=r"'sub0003_01': 7 frames given, but the annotation spans 8 \(frames 2\.\.9\)"):
        ds.clip_from_frames(0, frames[:7])
    with pytest.raises(ValueError, match=r"\(T, H, W\)"):
        ds.clip_from_frames(0, frames[0])


def test_frame_paths_public(ds):
    paths = ds.frame_paths(1)
    assert [p.rsplit("/", 1)[-1] for p in paths] == [f"{n:05d}.png" for n in range(0, 8)]


def test_subset_keeps_report_and_order(ds):
    sub = ds.subset([2, 0])
    assert isinstance(sub, type(ds)) and sub.name == ds.name
    assert list(sub.table["clip"]) == ["sub0004_01", "sub0003_01"]
    pd.testing.assert_frame_equal(sub.validation_report, ds.validation_report)
    assert sub[1].name == "sub0003_01" and sub.row(0)["clip"] == "sub0004_01"
    assert len(ds.subset(range(2))) == 2 and list(ds.subset(slice(None, 1)).table["clip"]) == ["sub0003_01"]
    assert len(ds) == 4  # the original is untouched
    with pytest.raises(IndexError):
        ds.subset([0, 9])


def test_subset_of_a_composite_keeps_groups(tmp_path):
    c_root, c_ann = fx.casme2(tmp_path)
    s_root, s_ann = fx.samm(tmp_path)
    ds = load_megc2019(casme2_root=c_root, casme2_annotations=c_ann, samm_root=s_root, samm_annotations=s_ann)
    assert list(ds.subset([len(ds) - 1]).groups) == [ds.groups[-1]]


def test_dfme_docstring_examples():
    import mefeat.datasets.dfme as dfme

    result = doctest.testmod(dfme)
    assert result.attempted >= 2 and result.failed == 0
