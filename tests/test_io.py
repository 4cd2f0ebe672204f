import os

import numpy as np
import pandas as pd
import pytest

from mefeat._io import atomic_write, read_clips_table, read_features, write_clips_table, write_features


@pytest.mark.parametrize("fmt", ["csv", "npz"])
def test_features_roundtrip_exact(tmp_path, fmt, rng):
    X = rng.normal(size=(3, 5)) * 10.0 ** rng.integers(-8, 8, size=(3, 5))
    index = [("demo", "sub0001", "sub0001_01"), ("demo", "sub0001", "sub0001_02"), ("demo", "007", "00_1")]
    write_features(tmp_path, "lbp_top", X, index, fmt=fmt)
    df = read_features(tmp_path, "lbp_top")
    assert df.index.names == ["dataset", "subject", "clip"]
    assert list(df.index) == index  # string keys keep their leading zeros
    assert list(df.columns) == [f"lbp_top_{k:05d}" for k in range(5)]
    assert np.array_equal(df.to_numpy(), X)
    with pytest.raises(FileExistsError, match="overwrite"):
        write_features(tmp_path, "lbp_top", X, index, fmt=fmt)
    write_features(tmp_path, "lbp_top", X * 2, index, fmt=fmt, overwrite=True)
    assert np.array_equal(read_features(tmp_path, "lbp_top").to_numpy(), 2 * X)


def test_csv_is_plain_pandas(tmp_path):
    write_features(tmp_path, "x", np.eye(2), [("d", "s", "a"), ("d", "s", "b")], feature_names=["f0", "f1"])
    df = pd.read_csv(tmp_path / "features" / "x.csv")
    assert list(df.columns) == ["dataset", "subject", "clip", "f0", "f1"]


def test_shape_errors_and_missing(tmp_path):
    with pytest.raises(ValueError, match="index has 1"):
        write_features(tmp_path, "x", np.zeros((2, 2)), [("a", "b", "c")])
    with pytest.raises(ValueError, match="feature names"):
        write_features(tmp_path, "x", np.zeros((1, 2)), [("a", "b", "c")], feature_names=["a"])
    with pytest.raises(FileNotFoundError, match="available"):
        read_features(tmp_path, "nope")
    with pytest.raises(FileNotFoundError, match="clips.csv"):
        read_clips_table(tmp_path)


def test_clips_table(tmp_path):
    t = pd.DataFrame({"dataset": ["samm"], "subject": ["006"], "clip": ["006_1_2"], "onset": [5562],
                      "apex": pd.array([None], dtype="Int64"), "offset": [5574], "emotion": ["anger"],
                      "emotion_raw": ["Anger"], "aus": [frozenset({4, 12})], "aus_raw": ["R12 + 4"],
                      "fps": [200.0], "status": ["ok"]})
    write_clips_table(tmp_path, t)
    back = read_clips_table(tmp_path)
    assert back.index.tolist() == [("samm", "006", "006_1_2")]
    assert back.loc[("samm", "006", "006_1_2"), "aus"] == frozenset({4, 12})
    assert pd.isna(back["apex"].iloc[0]) and back["onset"].iloc[0] == 5562
    with pytest.raises(FileExistsError):
        write_clips_table(tmp_path, t)


def test_atomic_write_leaves_nothing_on_error(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(p) as f:
            f.write("new")
            raise RuntimeError("boom")
    assert p.read_text() == "old" and os.listdir(tmp_path) == ["a.txt"]


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_atomic_write_gives_umask_permissions(tmp_path, umask):
    """Written files get 0o666 & ~umask like open(), not mkstemp's private 0o600."""
    import stat

    old = os.umask(umask)
    try:
        write_features(tmp_path, "x", np.eye(2), [("d", "s", "a"), ("d", "s", "b")])
        with atomic_write(tmp_path / "m.json") as f:
            f.write("{}")
    finally:
        os.umask(old)
    for p in (tmp_path / "features" / "x.csv", tmp_path / "m.json"):
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o666 & ~umask


def test_read_features_refuses_csv_and_npz_side_by_side(tmp_path):
    index = [("d", "s", "a"), ("d", "s", "b")]
    write_features(tmp_path, "x", np.eye(2), index, fmt="npz")
    write_features(tmp_path, "x", np.ones((2, 3)), index, fmt="csv")
    with pytest.raises(ValueError, match=r"x\.csv.*x\.npz"):
        read_features(tmp_path, "x")
    os.remove(tmp_path / "features" / "x.npz")
    assert read_features(tmp_path, "x").shape == (2, 3)
