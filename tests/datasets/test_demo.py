import os

import numpy as np
import pandas as pd
import pytest

from mefeat.datasets import load_demo, make_demo
from mefeat.datasets.demo import AU_REGIONS, EMOTION_AU_FREQUENCIES, demo_dir

TINY = dict(n_subjects=2, emotions=("happiness", "contempt", "surprise"), clip_frames=(12, 14), size=160)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    return base, load_demo(3, data_dir=base, **TINY)


def test_layout_and_sheet(tiny):
    base, ds = tiny
    root = demo_dir(3, data_dir=base, **TINY)
    assert os.path.isfile(os.path.join(root, "demo_full_with_AU.xlsx"))
    sheet = pd.read_excel(os.path.join(root, "demo_full_with_AU.xlsx"))
    assert list(sheet.columns) == ["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Emotion",
                                   "EmotionId", "Fps", "AU"]
    assert len(ds) == 6 and ds.validation_report.empty
    assert sorted(set(ds.groups)) == ["sub0001", "sub0002"]
    for clip in sheet["Filename"]:
        names = sorted(os.listdir(os.path.join(root, clip)))
        assert names[0] == "00000.png" and names == [f"{k:05d}.png" for k in range(len(names))]
    assert (sheet["Fps"] == 200).all()
    assert set(sheet["Emotion"]) == {"happiness", "contempt", "surprise"}
    # the sheet's EmotionId follows DFME's alphabetical order
    assert dict(zip(sheet["Emotion"], sheet["EmotionId"])) == {"contempt": 1, "happiness": 4, "surprise": 6}


def test_clips_and_annotations(tiny):
    _, ds = tiny
    for i in range(len(ds)):
        c = ds[i]
        row = ds.table.iloc[i]
        assert c.frames.dtype == np.uint8 and c.frames.shape[1:] == (160, 160)
        assert c.onset == 0 and c.offset == c.n_frames - 1 and 0 < c.apex < c.offset
        assert c.fps == 200.0 and len(c.aus) >= 1
        assert c.aus <= set(EMOTION_AU_FREQUENCIES[c.emotion])
        assert int(row["offset"]) - int(row["onset"]) + 1 == c.n_frames
        # the motion is visible: apex differs from onset by more than noise in some region
        d = np.abs(c.frames[c.apex].astype(float) - c.frames[0].astype(float))
        assert d.max() > 5


def test_deterministic_per_seed(tiny, tmp_path):
    base, ds = tiny
    ds2 = load_demo(3, data_dir=tmp_path, **TINY)
    for i in range(len(ds)):
        a, b = ds.frame_paths(i), ds2.frame_paths(i)
        assert [os.path.basename(p) for p in a] == [os.path.basename(p) for p in b]
        for pa, pb in zip(a, b):
            with open(pa, "rb") as fa, open(pb, "rb") as fb:
                assert fa.read() == fb.read()
    cols = ["subject", "clip", "onset", "apex", "offset", "emotion", "aus_raw"]
    pd.testing.assert_frame_equal(ds.table[cols], ds2.table[cols])
    ds3 = load_demo(4, data_dir=tmp_path, **TINY)
    assert not np.array_equal(ds3[0].frames, ds[0].frames)


def test_reuse_and_env(tiny, tmp_path, monkeypatch):
    base, _ = tiny
    root = make_demo(3, data_dir=base, **TINY)
    mtime = os.path.getmtime(os.path.join(root, "demo.json"))
    assert make_demo(3, data_dir=base, **TINY) == root
    assert os.path.getmtime(os.path.join(root, "demo.json")) == mtime
    monkeypatch.setenv("MEFEAT_DATA_DIR", str(tmp_path))
    assert demo_dir(0).startswith(str(tmp_path)) and demo_dir(0).endswith("demo-v1-0")
    assert demo_dir(0, n_subjects=3) != demo_dir(0)


def test_bad_params():
    with pytest.raises(TypeError, match="unknown parameter"):
        demo_dir(0, n_subject=3)
    with pytest.raises(ValueError, match="emotions"):
        demo_dir(0, emotions=("joy",))
    with pytest.raises(ValueError, match="clip_frames"):
        demo_dir(0, clip_frames=(5, 4))


def test_au_regions_cover_table():
    used = {au for f in EMOTION_AU_FREQUENCIES.values() for au in f}
    assert used <= set(AU_REGIONS)
