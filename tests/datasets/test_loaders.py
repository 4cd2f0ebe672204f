import os

import numpy as np
import pandas as pd
import pytest

from mefeat.datasets import (
    load_casme2,
    load_casme3,
    load_dfme,
    load_manifest,
    load_megc2019,
    load_mmew,
    load_samm,
    load_smic,
    parse_aus,
)
from tests.datasets import _fixtures as fx


def _report(ds, clip, field):
    r = ds.validation_report
    return r[(r["clip"] == clip) & (r["field"] == field)]


def test_dfme_rows_fixes_and_drops(tmp_path):
    root, ann = fx.dfme(tmp_path)
    ds = load_dfme(root, ann)
    t = ds.table
    assert list(t["clip"]) == ["sub0003_01", "sub0003_02", "sub0004_01", "sub0004_01_2"]
    assert list(ds.y) == ["anger", "happiness", "surprise", "disgust"]
    assert list(ds.groups) == ["sub0003", "sub0003", "sub0004", "sub0004"]
    assert t.loc[1, "aus"] == frozenset({12, 4}) and t.loc[1, "aus_raw"] == "L12+AU4"
    assert t.loc[0, "aus"] == frozenset({23}) and t.loc[0, "fps"] == 500
    assert pd.isna(t.loc[2, "apex"])
    # every fix/drop is in the report, keyed by subject/clip
    assert _report(ds, "sub0004_01", "apex")["action"].tolist() == ["fixed"]
    assert _report(ds, "sub0004_02", "frame_dir")["action"].tolist() == ["dropped"]
    assert _report(ds, "sub0004_03", "offset")["action"].tolist() == ["dropped"]
    # the rename is reported under the clip's name in the table; the sheet's name is the raw value
    renamed = _report(ds, "sub0004_01_2", "clip")
    assert "duplicate" in renamed["reason"].iloc[0] and renamed["raw"].iloc[0] == "sub0004_01"
    assert "EmotionId" in ds.validation_report["field"].tolist()
    assert len(ds) == 4


def test_dfme_clip_spans_onset_offset(tmp_path):
    root, ann = fx.dfme(tmp_path)
    ds = load_dfme(root, ann)
    c = ds[0]
    assert c.frames.dtype == np.uint8 and c.frames.shape == (8, 6, 8)  # frames 2..9
    assert (c.onset, c.apex, c.offset) == (0, 3, 7)
    assert [int(f[0, 0]) for f in c.frames] == list(range(2, 10))
    assert os.path.basename(ds.frame_paths(0)[0]) == "00002.png"
    c2 = ds[2]
    assert c2.apex is None and c2.apex_or_middle == (c2.n_frames - 1) // 2
    assert c.emotion == "anger" and c.subject == "sub0003" and c.name == "sub0003_01"
    with pytest.raises(IndexError):
        ds[10]
    # the duplicate row asks for frames 1..3 of the same folder
    assert ds[3].n_frames == 3


def test_dfme_missing_frame_raises_clear_error(tmp_path):
    root, ann = fx.dfme(tmp_path)
    os.remove(root / "sub0003_01" / "00005.png")
    # checked at load time: the row is dropped and the report names the missing frame
    ds = load_dfme(root, ann)
    assert "sub0003_01" not in set(ds.table["clip"])
    assert "1 of the 8 frames 2..9 are not in the folder" in _report(ds, "sub0003_01", "frame_dir")["reason"].iloc[0]
    # not checked at load time: reading the clip names it
    ds = load_dfme(root, ann, check_frames=False)
    with pytest.raises(FileNotFoundError, match=r"has gaps .* 1 of its 8 frames are missing: 5$"):
        ds[0]


def test_dfme_bad_header(tmp_path):
    p = fx.write_xlsx(tmp_path / "x.xlsx", [[1, 2]], ["a", "b"])
    with pytest.raises(ValueError, match="no header row"):
        load_dfme(tmp_path, p)


def test_casme2(tmp_path):
    root, ann = fx.casme2(tmp_path)
    ds = load_casme2(root, ann)
    t = ds.table
    assert list(t["subject"]) == ["01", "02"]
    assert list(ds.y) == ["happiness", "repression"]
    c = ds[0]
    assert c.n_frames == 14 and c.apex == 4 and int(c.frames[0, 0, 0]) == 46
    assert pd.isna(t.loc[1, "apex"]) and not _report(ds, "EP03_02", "apex").empty
    assert t.loc[1, "aus"] == frozenset({4, 10}) and not _report(ds, "EP03_02", "aus").empty
    assert _report(ds, "EP99_99", "frame_dir")["action"].tolist() == ["dropped"]


def test_samm_preamble_and_messy_cells(tmp_path):
    root, ann = fx.samm(tmp_path)
    ds = load_samm(root, ann)
    t = ds.table
    assert list(t["subject"]) == ["006", "007"] and list(t["clip"]) == ["006_1_2", "007_3_1"]
    assert t.loc[0, "aus"] == frozenset({12, 14}) and t.loc[0, "aus_raw"] == "R12 or R14"
    assert t.loc[1, "aus"] == frozenset({4, 10})  # ref(7B) dropped
    assert pd.isna(t.loc[1, "apex"])
    assert list(ds.y) == ["contempt", "anger"]
    assert t.loc[0, "objective_class"] == "III"
    c = ds[0]
    assert c.n_frames == 13 and c.apex == 4 and int(c.frames[0, 0, 0]) == 5562 % 256
    reasons = " ".join(ds.validation_report["reason"])
    assert "alternatives" in reasons and "ref(7B)" in reasons and "negative frame number" in reasons


def test_smic_from_folders_and_sheet(tmp_path):
    root = fx.smic(tmp_path)
    ds = load_smic(root)
    assert sorted(ds.y) == ["negative", "positive", "surprise"]
    assert ds.table["apex"].isna().all() and (ds.table["fps"] == 100).all()
    i = list(ds.table["clip"]).index("s1_ne_01")
    assert ds[i].n_frames == 11 and ds[i].apex is None
    vis = load_smic(root, modality="VIS")
    assert len(vis) == 1 and vis.table.loc[0, "fps"] == 25
    sheet = fx.smic_sheet(tmp_path)
    ds2 = load_smic(root, sheet)
    assert list(ds2.table["clip"]) == ["s01_ne_01", "s2_sur_01"]
    assert ds2[0].n_frames == 9 and ds2[0].apex == 3
    with pytest.raises(ValueError, match="modality"):
        load_smic(root, modality="RGB")


def test_casme3_duplicate_letters(tmp_path):
    root, ann = fx.casme3(tmp_path)
    ds = load_casme3(root, ann)
    assert list(ds.table["clip"]) == ["a", "a_2", "a_3"]
    assert list(ds.table["material"]) == ["a", "a", "a"]
    assert list(ds.y) == ["disgust", "happiness", "others"]
    assert ds[1].n_frames == 11 and int(ds[1].frames[0, 0, 0]) == 20
    assert (ds.validation_report["field"] == "clip").sum() == 2


def test_mmew(tmp_path):
    root, ann = fx.mmew(tmp_path)
    ds = load_mmew(root, ann)
    assert list(ds.y) == ["happiness", "others"]
    assert ds.table.loc[0, "aus"] == frozenset({6, 12})
    assert pd.isna(ds.table.loc[1, "apex"]) and not _report(ds, "S02_003", "apex").empty
    assert ds[0].n_frames == 17


def test_megc2019_merge_and_gt(tmp_path):
    c_root, c_ann = fx.casme2(tmp_path)
    s_root, s_ann = fx.samm(tmp_path)
    m_root = fx.smic(tmp_path)
    ds = load_megc2019(casme2_root=c_root, casme2_annotations=c_ann, samm_root=s_root, samm_annotations=s_ann,
                       smic_root=m_root)
    t = ds.table
    got = dict(zip(t["dataset"] + ":" + t["clip"], t["emotion"]))
    assert got["casme2:EP02_01f"] == "positive" and got["casme2:EP03_02"] == "negative"
    assert got["samm:006_1_2"] == "negative" and got["smic:s2_sur_01"] == "surprise"
    assert set(ds.groups) == {"casme2/01", "casme2/02", "samm/006", "samm/007", "smic/s1", "smic/s2"}
    gt = tmp_path / "gt.csv"
    gt.write_text("db,subject,filename,label\ncasme2,sub01,EP02_01f,1\nsamm,6,006_1_2,0\n"
                  "smic,s02,s02_sur_01,2\ncasme2,sub26,EP18_51,0\n")
    ds2 = load_megc2019(casme2_root=c_root, casme2_annotations=c_ann, samm_root=s_root, samm_annotations=s_ann,
                        smic_root=m_root, gt=gt)
    assert sorted(ds2.table["clip"]) == ["006_1_2", "EP02_01f", "s2_sur_01"]
    rep = ds2.validation_report
    assert ((rep["clip"] == "EP18_51") & (rep["action"] == "dropped")).any()
    assert ((rep["clip"] == "EP03_02") & (rep["reason"].str.contains("not in the MEGC"))).any()
    with pytest.raises(ValueError, match="at least one"):
        load_megc2019()


def test_manifest(tmp_path):
    fx.frames(tmp_path / "p01" / "smile", range(0, 31), name=lambda n: f"face_{n:04d}.png")
    (tmp_path / "m.csv").write_text("subject,clip,frame_dir,onset,apex,offset,emotion,aus,fps\n"
                                    "p01,p01_smile,p01/smile,0,12,30,happy,6+12,200\n"
                                    "p01,p01_x,p01/none,0,,5,weird,,\n")
    ds = load_manifest(tmp_path / "m.csv")
    assert len(ds) == 1 and ds.y[0] == "happiness" and ds.table.loc[0, "aus"] == frozenset({6, 12})
    assert ds[0].n_frames == 31 and ds[0].apex == 12
    assert (ds.validation_report["action"] == "dropped").sum() == 1


@pytest.mark.parametrize("raw, expected", [
    ("L12+AU4", {4, 12}), ("R12 or R14", {12, 14}), ("ref(7B)", set()), ("10A/B", {10}), ("?", set()),
    (23, {23}), (12.0, {12}), ("AD38+M58", {38, 58}), ("(R6 or R12)", {6, 12}), ("A12", {12}), ("43E", {43}),
    (float("nan"), set()), ("4, 7", {4, 7}),
])
def test_parse_aus(raw, expected):
    assert set(parse_aus(raw)[0]) == expected


def test_parse_aus_reports_messy():
    assert parse_aus("L12+AU4")[1] == []
    assert parse_aus("R12 or R14")[1] and parse_aus("ref(7B)")[1] and parse_aus("?")[1]
