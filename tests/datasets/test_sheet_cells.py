"""Sheet cells and frame files as the real databases have them (issue 10): each test failed before its fix."""


import numpy as np
import pandas as pd
import pytest

from mefeat.datasets import load_casme2, load_casme3, load_dfme, load_mmew, load_samm, load_smic
from tests.datasets import _fixtures as fx

DFME_COLS = ["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Emotion", "EmotionId", "Fps", "AU"]


# ------------------------------------------------------------------ CAS(ME)3: names by sheet position
def test_casme3_names_count_dropped_rows(tmp_path):
    root = tmp_path / "partA"
    fx.frames(root / "spNO.2" / "e" / "color", range(0, 60), name=lambda n: f"{n}.jpg", size=(4, 4))
    cols = ["Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion"]
    rows = [["spNO.2", "e", "1", "3", "5", "4", 1, "disgust"],
            ["spNO.2", "e", "10", "12", "15", "4", 1, "disgust"],
            ["spNO.2", "e", "x", "22", "25", "4", 1, "disgust"],   # unreadable onset: dropped
            ["spNO.2", "e", "30", "33", "36", "12", 3, "happy"]]
    ann = fx.write_xlsx(tmp_path / "casme3.xlsx", rows, cols, sheet_name="label")
    ds = load_casme3(root, ann)
    assert list(ds.table["clip"]) == ["e", "e_2", "e_4"]
    dropped = fx.report_rows(ds, action="dropped")
    assert dropped["clip"].tolist() == ["e_3"] and dropped["sheet_row"].tolist() == [4]
    assert list(ds.table["objective_class"]) == [1, 1, 3]
    # an erratum keyed by the reported name lands on its own row only
    ds = load_casme3(root, ann, errata={("casme3", "spNO.2", "e_4"): {"offset": 35, "source": "test"}})
    assert dict(zip(ds.table["clip"], ds.table["offset"])) == {"e": 5, "e_2": 15, "e_4": 35}
    ds = load_casme3(root, ann, errata={("casme3", "spNO.2", "e_3"): {"onset": 20, "source": "test"}})
    assert dict(zip(ds.table["clip"], ds.table["onset"])) == {"e": 1, "e_2": 10, "e_3": 20, "e_4": 30}


# ------------------------------------------------------------------ CASME II 20190701: Objective Classes
def test_casme2_2019_sheet_keeps_objective_classes(tmp_path):
    root, _ = fx.casme2(tmp_path)
    cols = ["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units", "Estimated Emotion",
            "Objective Classes"]
    ann = fx.write_xlsx(tmp_path / "CASME2-coding-20190701.xlsx",
                        [[1, "EP02_01f", 46, 50, 59, "12", "happiness", 1],
                         [2, "EP03_02", 100, "/", 109, "4", "repression", 2]], cols)
    ds = load_casme2(root, ann)
    assert list(ds.table["objective_class"]) == [1, 2]
    old = load_casme2(*fx.casme2(tmp_path / "old"))
    assert "objective_class" in old.table and old.table["objective_class"].isna().all()


# ------------------------------------------------------------------ one "missing" everywhere
@pytest.mark.parametrize("make", ["dfme", "casme2", "samm", "mmew", "casme3", "smic"])
def test_report_and_table_use_none_for_missing(tmp_path, make):
    if make == "smic":
        ds = load_smic(fx.smic(tmp_path), fx.smic_sheet(tmp_path))
    else:
        ds = {"dfme": load_dfme, "casme2": load_casme2, "samm": load_samm, "mmew": load_mmew,
              "casme3": load_casme3}[make](*getattr(fx, make)(tmp_path))
    rep = ds.validation_report
    assert len(rep)
    for c in ("subject", "clip", "raw", "value", "reason"):
        assert all(v is None or isinstance(v, str) for v in rep[c]), (c, rep[c].tolist())
    if make in ("dfme", "casme2", "samm", "mmew"):  # their fixtures have an apex fix "-> None"
        fixed = rep[(rep["field"] == "apex") & (rep["action"] == "fixed")]
        assert len(fixed) and all(v is None for v in fixed["value"])
    for c in ("emotion", "emotion_raw", "aus_raw"):
        assert all(v is None or not isinstance(v, float) for v in ds.table[c]), c
    for i in range(len(ds)):
        assert all(not (isinstance(v, float) and np.isnan(v)) and v is not pd.NA for v in ds.row(i).values())


# ------------------------------------------------------------------ encodings
def test_latin1_csv_sheet_is_read(tmp_path):
    fx.frames(tmp_path / "SAMM" / "006" / "006_1_2", range(5562, 5575), name=lambda n: f"006_{n:05d}.jpg")
    text = ("Subject,Filename,Onset Frame,Apex Frame,Offset Frame,Action Units,Estimated Emotion,Notes\n"
            "6,006_1_2,5562,5566,5574,12,Happiness,sourire bien marqué (vérifié)\n")
    (tmp_path / "samm.csv").write_bytes(text.encode("latin-1"))
    ds = load_samm(tmp_path / "SAMM", tmp_path / "samm.csv")
    assert list(ds.table["clip"]) == ["006_1_2"] and ds[0].n_frames == 13
    (tmp_path / "utf8bom.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert list(load_samm(tmp_path / "SAMM", tmp_path / "utf8bom.csv").table["clip"]) == ["006_1_2"]


def test_unreadable_csv_names_the_file(tmp_path):
    bad = tmp_path / "casme2.csv"
    bad.write_bytes(bytes(range(128, 256)) * 4)
    with pytest.raises(ValueError, match=r"casme2\.csv.*no header row"):
        load_casme2(tmp_path, bad)


# ------------------------------------------------------------------ frame numbers
def test_huge_frame_numbers_drop_the_row(tmp_path):
    (tmp_path / "c2.csv").write_text(f"{fx.C2_COLS}\n1,EP01_01,99999999999999999999,47,49,4,others\n"
                                     f"1,EP01_02,46,47,123456789012345678901234,4,others\n"
                                     f"1,EP01_03,46,47,49,4,others\n")
    ds = load_casme2(tmp_path, tmp_path / "c2.csv", check_frames=False)
    assert list(ds.table["clip"]) == ["EP01_03"]
    dropped = fx.report_rows(ds, action="dropped")
    assert dropped["sheet_row"].tolist() == [2, 3] and dropped["field"].tolist() == ["onset", "offset"]
    assert dropped["reason"].str.contains("too large").all()
    assert "99999999999999999999" in dropped["reason"].iloc[0]
    xl = fx.write_xlsx(tmp_path / "c2.xlsx", [[1, "EP01_01", 1e20, 47, 49, "4", "others"],
                                              [1, "EP01_02", 46, 47, 49, "4", "others"]], fx.C2_COLS.split(","))
    ds = load_casme2(tmp_path, xl, check_frames=False)
    assert list(ds.table["clip"]) == ["EP01_02"] and fx.report_rows(ds, action="dropped")["sheet_row"].tolist() == [2]


# ------------------------------------------------------------------ names that look like missing values
def test_clip_named_na_is_a_name(tmp_path):
    fx.frames(tmp_path / "sub01" / "NA", range(46, 50), name=lambda n: f"img{n}.jpg")
    (tmp_path / "c2.csv").write_text(f"{fx.C2_COLS}\n1,NA,46,47,49,4,others\n1,,46,47,49,4,others\n")
    ds = load_casme2(tmp_path, tmp_path / "c2.csv")
    assert list(ds.table["clip"]) == ["NA"] and ds[0].n_frames == 4
    assert fx.report_rows(ds, field="subject/clip")["sheet_row"].tolist() == [3]
    rows = [["sub0001", name, 0, 1, 3, "anger", 0, 200, 4] for name in ("NA", "None", "nan", "N/A", "null")]
    xl = fx.write_xlsx(tmp_path / "training_full_with_AU.xlsx", rows, DFME_COLS)
    ds = load_dfme(tmp_path, xl, check_frames=False)
    assert list(ds.table["clip"]) == ["NA", "None", "nan", "N/A", "null"]
    subj = fx.write_xlsx(tmp_path / "s.xlsx", [["NA", "sub_x", 0, 1, 3, "anger", 0, 200, 4]], DFME_COLS)
    assert list(load_dfme(tmp_path, subj, check_frames=False).table["subject"]) == ["NA"]


# ------------------------------------------------------------------ clip length
def test_one_frame_clip_is_dropped(tmp_path):
    fx.frames(tmp_path / "sub01" / "EP01_01", range(46, 50), name=lambda n: f"img{n}.jpg")
    (tmp_path / "c2.csv").write_text(f"{fx.C2_COLS}\n1,EP01_01,47,47,47,4,others\n1,EP01_01,46,47,49,4,others\n")
    ds = load_casme2(tmp_path, tmp_path / "c2.csv")
    assert list(ds.table["clip"]) == ["EP01_01_2"]
    one = fx.report_rows(ds, action="dropped")
    assert one["sheet_row"].tolist() == [2] and "1 frame" in one["reason"].iloc[0]
    assert "at least 2 needed" in one["reason"].iloc[0]
    # no offset and the onset is the folder's last frame: one frame as well
    (tmp_path / "s.csv").write_text("data,subject,clip,label,onset_frame,apex_frame,offset_frame\n"
                                    "HS,1,s1_ne_01,0,1010,,\nHS,1,s1_po_01,1,2000,,\n")
    ds = load_smic(fx.smic(tmp_path), tmp_path / "s.csv")
    assert list(ds.table["clip"]) == ["s1_po_01"]
    assert "1 frame" in fx.report_rows(ds, clip="s1_ne_01", action="dropped")["reason"].iloc[0]
    # a folder with one image, no sheet
    root = tmp_path / "smic_one"
    fx.frames(root / "HS" / "s3" / "micro" / "negative" / "s3_ne_01", [5], name=lambda n: f"image{n}.bmp")
    fx.frames(root / "HS" / "s3" / "micro" / "negative" / "s3_ne_02", [5, 6], name=lambda n: f"image{n}.bmp")
    ds = load_smic(root)
    assert list(ds.table["clip"]) == ["s3_ne_02"]
    assert "1 frame" in fx.report_rows(ds, action="dropped")["reason"].iloc[0]


def test_onset_past_the_last_frame_says_so(tmp_path):
    fx.frames(tmp_path / "sub01" / "EP01_01", range(0, 100), name=lambda n: f"img{n}.jpg", size=(2, 2))
    (tmp_path / "c2.csv").write_text(f"{fx.C2_COLS}\n1,EP01_01,120,130,140,4,others\n1,EP01_01,120,,,4,others\n"
                                     "1,EP01_01,10,12,20,4,others\n")
    # without the frame check the clips fail when read, with the numbers
    lazy = load_casme2(tmp_path, tmp_path / "c2.csv", check_frames=False)
    with pytest.raises(FileNotFoundError, match=r"onset is after the last frame \(onset 120, offset 140; "
                                                r"the folder .* holds frames 0\.\.99\)"):
        lazy[0]
    with pytest.raises(FileNotFoundError, match=r"onset 120, offset not annotated.*frames 0\.\.99"):
        lazy[1]
    # with it (the default) both rows are dropped at load time, with the same numbers
    ds = load_casme2(tmp_path, tmp_path / "c2.csv")
    assert list(ds.table["clip"]) == ["EP01_01_3"]
    rep = fx.report_rows(ds, clip="EP01_01", action="dropped")
    assert rep["reason"].iloc[0] == ("21 of the 21 frames 120..140 are not in the folder (it holds frames 0..99): "
                                     "missing 120..140")
    rep = fx.report_rows(ds, clip="EP01_01_2", action="dropped")
    assert "onset 120 is after the last frame" in rep["reason"].iloc[0] and "0..99" in rep["reason"].iloc[0]
    # an offset past the end with the onset inside: only the frames past the end are named missing
    (tmp_path / "c3.csv").write_text(f"{fx.C2_COLS}\n1,EP01_01,90,95,140,4,others\n")
    with pytest.raises(FileNotFoundError, match=r"past the folder's last frame \(onset 90, offset 140; .*holds "
                                                r"frames 0\.\.99\): 41 of its 51 frames are missing: 100\.\.140$"):
        load_casme2(tmp_path, tmp_path / "c3.csv", check_frames=False)[0]


# ------------------------------------------------------------------ frame files
def test_16bit_png_frames_are_scaled_by_bit_depth(tmp_path):
    import cv2

    folder = tmp_path / "dfme" / "sub0001_01"
    folder.mkdir(parents=True)
    levels = [0, 257, 4095, 32896, 65535]
    for n, v in enumerate(levels):
        img = np.full((4, 5), v, np.uint16)
        img[0, 0] = 65535 - v
        assert cv2.imwrite(str(folder / f"{n:05d}.png"), img)
    ann = fx.write_xlsx(tmp_path / "training_full_with_AU.xlsx",
                        [["sub0001", "sub0001_01", 0, 2, 4, "anger", 0, 200, 4]], DFME_COLS)
    c = load_dfme(tmp_path / "dfme", ann)[0]
    assert c.frames.dtype == np.uint8
    assert c.frames[:, 1, 1].tolist() == [v >> 8 for v in levels] == [0, 1, 15, 128, 255]
    assert c.frames[:, 0, 0].tolist() == [(65535 - v) >> 8 for v in levels]


def test_zero_byte_frame_is_an_oserror_naming_the_file(tmp_path):
    root, ann = fx.dfme(tmp_path)
    open(root / "sub0003_01" / "00004.png", "wb").close()
    ds = load_dfme(root, ann)
    with pytest.raises(OSError, match=r"unreadable frame .*00004\.png.* \(0 bytes\)"):
        ds[0]
    (root / "sub0003_01" / "00004.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    with pytest.raises(OSError, match=r"unreadable frame .*00004\.png.* \(28 bytes\)"):
        ds.read_frames(0)


# ------------------------------------------------------------------ DFME split names
def test_dfme_split_column_is_train_testa_testb(tmp_path):
    root, train = fx.dfme(tmp_path)
    rows = [["sub0004", "sub0004_01", 1, 2, 8, "anger", 0, 300, 4]]
    a = fx.write_xlsx(tmp_path / "testA_full_with_AU.xlsx", rows, DFME_COLS)
    b = fx.write_xlsx(tmp_path / "TESTB_full_with_AU.xlsx", [["sub0003", "sub0003_02", 0, 3, 7, "fear", 3, 500, 4]],
                      DFME_COLS)
    other = fx.write_xlsx(tmp_path / "my_extra.xlsx", [["sub0003", "sub0003_01", 2, 5, 9, "fear", 3, 500, 4]],
                          DFME_COLS)
    ds = load_dfme(root, [train, a, b, other])
    assert ds.table.groupby("split", sort=False).size().to_dict() == {"train": 4, "testA": 1, "testB": 1,
                                                                      "my_extra": 1}
    assert [c for c in ds.table.loc[ds.table["split"] == "testA", "clip"]] == ["sub0004_01_3"]
