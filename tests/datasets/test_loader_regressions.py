"""Regression tests for loader bugs found in review (each failed before its fix)."""

import os

import pandas as pd
import pytest

from mefeat.datasets import load_casme2, load_casme3, load_dfme, load_megc2019, load_mmew, load_samm, load_smic
from mefeat.datasets._base import list_frames, read_sheet
from tests.datasets import _fixtures as fx


# ------------------------------------------------------------------ MEGC 2019 GT matching (bug 1)
def test_megc2019_gt_keyed_on_subject_and_filename(tmp_path):
    """CASME II reuses episode names across subjects: each GT row must label its own subject's clip."""
    root = tmp_path / "c2"
    fx.frames(root / "sub01" / "EP02_01f", range(46, 50), name=lambda n: f"img{n}.jpg")
    fx.frames(root / "sub09" / "EP02_01f", range(10, 14), name=lambda n: f"img{n}.jpg")
    ann = tmp_path / "c2.csv"
    ann.write_text(f"{fx.C2_COLS}\n1,EP02_01f,46,47,49,12,happiness\n9,EP02_01f,10,11,13,4,disgust\n")
    gt = tmp_path / "gt.csv"
    gt.write_text("casme2,sub01,EP02_01f,1\ncasme2,sub09,EP02_01f,0\ncasme2,sub05,EP02_01f,2\n")
    ds = load_megc2019(casme2_root=root, casme2_annotations=ann, gt=gt)
    got = dict(zip(ds.table["subject"], ds.table["emotion"]))
    assert got == {"01": "positive", "09": "negative"}
    assert list(ds.table["emotion_dataset"]) == ["happiness", "disgust"]
    # the GT row of a subject without that clip is reported, not matched to another subject's clip
    miss = fx.report_rows(ds, field="gt", subject="sub05")
    assert miss["action"].tolist() == ["dropped"] and "not found" in miss["reason"].iloc[0]


def test_megc2019_gt_row_matching_several_clips_is_reported(tmp_path):
    root = fx.smic(tmp_path)
    sheet = tmp_path / "smic.csv"
    # "s01"/"s1_ne_01" and "1"/"s01_ne_01" name the same clip after normalisation: ambiguous for the GT
    sheet.write_text("data,subject,clip,label,onset_frame,apex_frame,offset_frame\n"
                     "HS,s01,s1_ne_01,0,1001,1004,1009\nHS,1,s01_ne_01,0,1001,1004,1009\n"
                     "HS,2,s2_sur_01,2,50,,58\n")
    gt = tmp_path / "gt.csv"
    gt.write_text("smic,s1,s1_ne_01,0\nsmic,s02,s02_sur_01,2\nsmic,s2,s2_sur_01,2\n")
    ds = load_megc2019(smic_root=root, smic_annotations=sheet, gt=gt)
    assert list(ds.table["clip"]) == ["s2_sur_01"] and list(ds.y) == ["surprise"]
    rep = fx.report_rows(ds, field="gt", action="dropped")
    amb = rep[rep["reason"].str.contains("ambiguous")]
    assert amb["clip"].tolist() == ["s1_ne_01"] and "matches 2 clips" in amb["reason"].iloc[0]
    # ... and both clips it could mean are reported as not in the GT (not silently given its label)
    assert set(rep.loc[rep["reason"].str.contains("not in the MEGC"), "subject"]) == {"s01", "s1"}
    assert fx.report_rows(ds, field="gt", clip="s2_sur_01")["reason"].str.contains("second GT row").any()


# ------------------------------------------------------------------ CAS(ME)3 errata (bug 2)
def test_casme3_errata_keyed_by_final_clip_name(tmp_path):
    root, ann = fx.casme3(tmp_path)
    ds = load_casme3(root, ann, errata={("casme3", "spNO.1", "a_2"): {"offset": 29, "source": "test"}})
    assert dict(zip(ds.table["clip"], ds.table["offset"])) == {"a": 10, "a_2": 29, "a_3": 39}
    fixed = fx.report_rows(ds, field="offset", action="fixed")
    assert fixed["clip"].tolist() == ["a_2"] and "test" in fixed["reason"].iloc[0]
    ds = load_casme3(root, ann, errata={("casme3", "spNO.1", "a"): {"offset": 9, "source": "test"}})
    assert dict(zip(ds.table["clip"], ds.table["offset"])) == {"a": 9, "a_2": 30, "a_3": 39}


# ------------------------------------------------------------------ frame listing (bug 3)
def test_list_frames_ignores_hidden_files(tmp_path):
    d = tmp_path / "sub01" / "EP01_01"
    fx.frames(d, range(46, 50), name=lambda n: f"img{n}.jpg")
    (d / "._img47.jpg").write_bytes(b"\x00\x05\x16\x07 AppleDouble junk")
    (d / ".img48.png").write_bytes(b"junk")
    frames = list_frames(d)
    assert sorted(frames) == [46, 47, 48, 49]
    assert os.path.basename(frames[47]) == "img47.jpg" and os.path.basename(frames[48]) == "img48.jpg"
    ann = tmp_path / "c2.csv"
    ann.write_text(f"{fx.C2_COLS}\n1,EP01_01,46,47,49,12,happiness\n")
    ds = load_casme2(tmp_path, ann)
    assert [int(f[0, 0]) for f in ds[0].frames] == [46, 47, 48, 49]


def test_list_frames_refuses_two_files_with_one_frame_number(tmp_path):
    d = tmp_path / "sub01" / "EP01_01"
    fx.frames(d, range(46, 50), name=lambda n: f"img{n}.jpg")
    fx.frames(d, [47], name=lambda n: f"img{n:03d}.png")
    with pytest.raises(ValueError, match=r"img047\.png.*img47\.jpg|img47\.jpg.*img047\.png"):
        list_frames(d)
    ann = tmp_path / "c2.csv"
    ann.write_text(f"{fx.C2_COLS}\n1,EP01_01,46,47,49,12,happiness\n")
    ds = load_casme2(tmp_path, ann)
    with pytest.raises(ValueError, match="frame number 47"):
        ds[0]


# ------------------------------------------------------------------ SMIC sheet cells (bugs 12, 13)
SMIC_HEAD = "data,subject,clip,label,onset_frame,apex_frame,offset_frame\n"


def test_smic_blank_or_bad_subject_is_reported_not_a_crash(tmp_path):
    sheet = tmp_path / "smic.csv"
    sheet.write_text(SMIC_HEAD + "HS,1,s1_ne_01,0,1,2,3\nHS,,s2_ne_01,0,1,2,3\nHS,abc,s3_ne_01,0,1,2,3\n")
    ds = load_smic(tmp_path / "root", sheet, check_frames=False)
    assert list(ds.table["subject"]) == ["s1"] and list(ds.table["clip"]) == ["s1_ne_01"]
    bad = fx.report_rows(ds, field="subject", action="dropped")
    assert bad["sheet_row"].tolist() == [3, 4] and bad["clip"].tolist() == ["s2_ne_01", "s3_ne_01"]


def test_smic_data_column_spellings_and_skips_are_reported(tmp_path):
    sheet = tmp_path / "smic.csv"
    sheet.write_text(SMIC_HEAD + "SMIC-HS,1,s1_ne_01,0,1,2,3\nsmic_hs,2,s2_po_01,1,1,2,3\n hs ,3,s3_ne_01,0,1,2,3\n"
                     "VIS,1,s1_ne_01,0,1,2,3\nfoo,4,s4_ne_01,0,1,2,3\n")
    ds = load_smic(tmp_path / "root", sheet, check_frames=False)
    assert list(ds.table["clip"]) == ["s1_ne_01", "s2_po_01", "s3_ne_01"]
    skipped = fx.report_rows(ds, field="data", action="dropped")
    assert skipped["sheet_row"].tolist() == [5, 6]
    assert "VIS" in skipped["reason"].iloc[0] and "foo" in skipped["reason"].iloc[1]
    vis = load_smic(tmp_path / "root", sheet, modality="VIS", check_frames=False)
    assert list(vis.table["clip"]) == ["s1_ne_01"] and (vis.table["fps"] == 25).all()
    assert len(fx.report_rows(vis, field="data", action="dropped")) == 4


# ------------------------------------------------------------------ blank names (bug 14)
def _sheet_with_blank_filename(tmp_path, dataset):
    if dataset == "casme2":
        return load_casme2, f"{fx.C2_COLS}\n1,,46,47,49,4,others\n1,EP01_01,46,47,49,4,others\n"
    if dataset == "samm":
        return load_samm, ("Subject,Filename,Onset Frame,Apex Frame,Offset Frame,Action Units,Estimated Emotion\n"
                           "6,,5562,5566,5574,12,Anger\n6,006_1_2,5562,5566,5574,12,Anger\n")
    if dataset == "mmew":
        return load_mmew, (fx.C2_COLS + ",remarks\nS01,,2,9,18,AU4,others,\nS01,S01_001,2,9,18,AU4,others,\n")
    if dataset == "casme3":
        return load_casme3, ("Subject,Filename,Onset,Apex,Offset,AU,Objective class,emotion\n"
                             "spNO.1,,3,6,10,4,1,disgust\n,a,3,6,10,4,1,disgust\nspNO.1,a,3,6,10,4,1,disgust\n")
    return load_dfme, ("Subject,Filename,OnsetFrame,ApexFrame,OffsetFrame,Emotion,EmotionId,Fps,AU\n"
                       "sub0003,,0,5,11,anger,0,500,4\nsub0003,sub0003_01,0,5,11,anger,0,500,4\n")


@pytest.mark.parametrize("dataset", ["casme2", "samm", "mmew", "casme3", "dfme"])
def test_blank_name_cells_are_dropped_and_reported(tmp_path, dataset):
    loader, text = _sheet_with_blank_filename(tmp_path, dataset)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(text)
    ds = loader(tmp_path / "root", sheet, check_frames=False)
    assert len(ds) == 1 and "nan" not in set(ds.table["clip"]) | set(ds.table["subject"])
    dropped = fx.report_rows(ds, field="subject/clip", action="dropped")
    assert len(dropped) == text.count("\n") - 2 and (dropped["sheet_row"] == 2).any()


# ------------------------------------------------------------------ CSV sheets (bugs 15, 16)
def test_csv_sheet_with_text_preamble(tmp_path):
    sheet = tmp_path / "samm.csv"
    sheet.write_text("SAMM Micro FACS codes\nversion 2\n"
                     "Subject,Filename,Inducement Code,Onset Frame,Apex Frame,Offset Frame,Duration,Micro,"
                     "Action Units,Estimated Emotion,Objective Classes,Notes\n"
                     "6,006_1_2,1,5562,5566,5574,13,Micro,12,Happiness,II,\n")
    fx.frames(tmp_path / "SAMM" / "006" / "006_1_2", range(5562, 5575), name=lambda n: f"006_{n:05d}.jpg")
    ds = load_samm(tmp_path / "SAMM", sheet)
    assert list(ds.table["clip"]) == ["006_1_2"] and list(ds.table["sheet_row"]) == [4]
    assert ds[0].n_frames == 13


def test_csv_sheet_rows_count_blank_lines(tmp_path):
    sheet = tmp_path / "s.csv"
    sheet.write_text("\nSubject,Filename,OnsetFrame,ApexFrame,OffsetFrame\n\n1,EP01_01,46,/,49\n\n\n"
                     "2,EP01_02,10,11,12\n")
    df = read_sheet(sheet, ("Subject", "Filename", "OnsetFrame"))
    assert df["_sheet_row"].tolist() == [4, 7]  # the line numbers an editor shows
    assert df["Filename"].tolist() == ["EP01_01", "EP01_02"]
    ds = load_casme2(tmp_path, sheet, check_frames=False)
    assert fx.report_rows(ds, field="apex")["sheet_row"].tolist() == [4]
    assert pd.Series(ds.table["sheet_row"]).tolist() == [4, 7]
