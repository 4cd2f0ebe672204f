import os

import numpy as np
import pandas as pd
import pytest

from mefeat.datasets import load_demo, make_demo
from mefeat.datasets.demo import (
    AU_REGIONS,
    DEMO_SHEETS,
    DEMO_SIZES,
    DEMO_VERSION,
    EMOTION_AU_FREQUENCIES,
    _splits,
    demo_dir,
)

TINY = dict(n_subjects=2, emotions=("happiness", "contempt", "surprise"), clip_frames=(12, 14), size=160)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    return base, load_demo(3, data_dir=base, **TINY)


def test_layout_and_sheet(tiny):
    base, ds = tiny
    root = demo_dir(3, data_dir=base, **TINY)
    assert sorted(f for f in os.listdir(root) if f.endswith(".xlsx")) == [
        "testA_full_with_AU.xlsx", "testB_full_with_AU.xlsx", "training_full_with_AU.xlsx"]
    assert not os.path.exists(os.path.join(root, "demo_full_with_AU.xlsx"))
    sheets = {s: pd.read_excel(os.path.join(root, f)) for s, f in DEMO_SHEETS.items()}
    for sh in sheets.values():
        assert list(sh.columns) == ["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Emotion",
                                    "EmotionId", "Fps", "AU"]
    # 2 subjects: one in train, one in testA, testB written with the header only
    assert [len(sh) for sh in sheets.values()] == [3, 3, 0]
    sheet = pd.concat([sheets["train"], sheets["testA"]], ignore_index=True)
    assert len(ds) == 6 and ds.validation_report.empty
    assert list(ds.table["split"]) == ["train"] * 3 + ["testA"] * 3
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
    assert DEMO_VERSION == 3  # v3: face centred so the aligned crop lies in the frame; old cached copies not reused
    assert demo_dir(0).startswith(str(tmp_path)) and demo_dir(0).endswith("demo-v3-0")
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


def test_split_sizes_are_subject_disjoint():
    def counts(n):
        sp = _splits(n)
        return [sum(v == s for v in sp.values()) for s in ("train", "testA", "testB")]

    assert counts(20) == [14, 3, 3] and counts(10) == [6, 2, 2] and counts(3) == [1, 1, 1]
    assert counts(2) == [1, 1, 0] and counts(1) == [1, 0, 0] and counts(40) == [28, 6, 6]
    sp = _splits(20)
    assert [sp[f"sub{i:04d}"] for i in (1, 14, 15, 17, 18, 20)] == ["train", "train", "testA", "testA", "testB",
                                                                      "testB"]


@pytest.fixture(scope="module")
def tiny_preset(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo_tiny")
    return base, load_demo(0, data_dir=base, size="tiny")


def test_tiny_preset_has_every_split(tiny_preset):
    base, ds = tiny_preset
    assert len(ds) == 6 and ds.frame_paths(0) and ds[0].frames.shape[1:] == (160, 160)
    t = ds.table
    assert t.groupby("split", sort=False)["subject"].unique().map(list).to_dict() == {
        "train": ["sub0001"], "testA": ["sub0002"], "testB": ["sub0003"]}
    assert set(t.loc[t["split"] == "train", "emotion"]) == {"happiness", "surprise"}
    # the same folder as the preset's parameters, and as the explicit parameters
    from mefeat.datasets.demo import DEMO_SIZES

    assert demo_dir(0, data_dir=base, size="tiny") == demo_dir(0, data_dir=base, **DEMO_SIZES["tiny"])
    assert demo_dir(0, size="tiny") == demo_dir(0, size=160, n_subjects=3, emotions=("happiness", "surprise"),
                                                clip_frames=(12, 14), face_width=104)


def test_generation_is_logged_once(tmp_path, caplog):
    import logging

    params = dict(n_subjects=1, emotions=("surprise",), clip_frames=(12, 12), size=160)
    with caplog.at_level(logging.INFO, logger="mefeat"):
        root = make_demo(0, data_dir=tmp_path, **params)
        make_demo(0, data_dir=tmp_path, **params)
    msgs = [r.getMessage() for r in caplog.records if r.name == "mefeat"]
    assert msgs == [f"generating the demo data set (1 clips) in {root}, once…"]
    ds = load_demo(0, data_dir=tmp_path, **params)
    assert list(ds.table["split"]) == ["train"]


def test_size_presets_and_int_size():
    assert set(DEMO_SIZES) == {"full", "small", "tiny"}
    assert demo_dir(0, size="full") == demo_dir(0)
    assert demo_dir(0, size="small") == demo_dir(0, n_subjects=10, clip_frames=(30, 50))
    assert demo_dir(0, size="small", n_subjects=4) == demo_dir(0, n_subjects=4, clip_frames=(30, 50))
    assert demo_dir(0, size=160) != demo_dir(0) and demo_dir(0, size=176) == demo_dir(0)
    with pytest.raises(ValueError, match="size must be one of"):
        demo_dir(0, size="huge")


def test_the_aligned_template_crop_lies_inside_every_demo_frame(tiny_preset):
    """The demo stands for raw recordings (the face with room around it): alignment needs no fitting.

    Fails on demo v2, whose chin sat at the frame's bottom edge: the template crop reached 7-25 px past
    it and mefeat 0.3 filled that with replicated border pixels.
    """
    from mefeat.face import align_frames

    _, ds = tiny_preset
    for i in range(len(ds)):
        meta = align_frames(ds.frame_paths(i)[:1]).meta
        assert meta["outside_fraction"] == 0.0 and meta["fit_zoom"] == 1.0, (ds.table["clip"].iloc[i], meta)


def test_a_generated_demo_is_readable_by_the_group_as_a_plain_mkdir_would_make_it(tiny_preset):
    """Fails on 0.3.2: the folder kept tempfile.mkdtemp's private 0700 (unreadable to a lab sharing it)."""
    base, ds = tiny_preset
    old = os.umask(0)
    os.umask(old)
    root = demo_dir(0, data_dir=base, size="tiny")
    assert os.stat(root).st_mode & 0o777 == 0o777 & ~old
