"""Faults found on real annotation sheets (issue 18); each test failed on mefeat 0.3.2."""

import pytest

from mefeat.datasets import load_casme2, load_manifest, load_smic, report_counts
from tests.datasets import _fixtures as fx


# ------------------------------------------------------------------ apex = onset
def test_apex_equal_to_onset_is_not_an_apex(tmp_path):
    """A CASME II row with ApexFrame == OnsetFrame: the onset->apex flow would be zero everywhere."""
    fx.frames(tmp_path / "sub01" / "EP01_01", range(10, 21), name=lambda n: f"img{n}.jpg", size=(2, 2))
    (tmp_path / "c2.csv").write_text(f"{fx.C2_COLS}\n1,EP01_01,10,10,20,4,disgust\n1,EP01_01,10,11,20,4,disgust\n")
    ds = load_casme2(tmp_path, tmp_path / "c2.csv")
    assert ds.table["apex"].isna().tolist() == [True, False]  # the apex right after the onset is kept
    clip = ds[0]
    assert clip.apex is None and clip.apex_or_middle == 5  # the middle of the 11 frames
    rep = fx.report_rows(ds, clip="EP01_01", field="apex")
    assert rep["action"].tolist() == ["fixed"] and rep["raw"].tolist() == ["10"] and rep["value"].isna().all()
    assert "apex 10 = onset" in rep["reason"].iloc[0] and "middle frame" in rep["reason"].iloc[0]


# ------------------------------------------------------------------ fixed rows are counted
def test_report_counts_rows_not_entries(tmp_path):
    """Two fixes of one clip count once; a row fixed and then dropped counts as dropped; notes count nowhere."""
    fx.frames(tmp_path / "sub01" / "EP01_01", range(10, 21), name=lambda n: f"img{n}.jpg", size=(2, 2))
    (tmp_path / "c2.csv").write_text(
        f"{fx.C2_COLS}\n"
        "1,EP01_01,10,30,20,4?,disgust\n"       # apex outside onset..offset and a bad AU token: one row, two fixes
        "1,EP01_01,10,12,20,4,disgust\n"        # a duplicate name: renamed (one fix)
        "1,EP01_01,10,x9,40,4,disgust\n"        # apex fixed, then dropped (frames 21..40 missing)
        "1,EP01_01,11,13,19,4,disgust\n")       # renamed only
    ds = load_casme2(tmp_path, tmp_path / "c2.csv")
    assert list(ds.table["clip"]) == ["EP01_01", "EP01_01_2", "EP01_01_4"]
    counts = report_counts(ds.validation_report)
    assert counts == {"dropped": 1, "fixed": 3, "fixed_fields": {"clip": 2, "apex": 1, "aus": 1}}
    assert report_counts(ds.validation_report.iloc[:0]) == {"dropped": 0, "fixed": 0, "fixed_fields": {}}


# ------------------------------------------------------------------ manifest frame ranges
@pytest.fixture
def manifest(tmp_path):
    fx.frames(tmp_path / "p01" / "a", list(range(0, 10)) + list(range(12, 20)), size=(2, 2))  # 10, 11 missing
    path = tmp_path / "manifest.csv"
    path.write_text("subject,clip,frame_dir,onset,apex,offset,emotion\n"
                    "p01,ok,p01/a,0,4,9,happiness\n"
                    "p01,gap,p01/a,5,13,15,happiness\n"          # frames 10, 11 are not in the folder
                    "p01,past_end,p01/a,15,17,25,happiness\n")   # 20..25 are not in the folder
    return path


def test_manifest_drops_rows_whose_frames_are_not_in_the_folder(manifest):
    ds = load_manifest(manifest)
    assert list(ds.table["clip"]) == ["ok"]
    rep = ds.validation_report.set_index("clip")
    assert (rep["action"] == "dropped").all() and (rep["field"] == "frame_dir").all()
    assert rep.loc["gap", "reason"] == ("2 of the 11 frames 5..15 are not in the folder (it holds 18 frames "
                                        "numbered 0..19): missing 10..11")
    assert rep.loc["past_end", "reason"] == ("6 of the 11 frames 15..25 are not in the folder (it holds 18 frames "
                                             "numbered 0..19): missing 20..25")


def test_manifest_read_error_names_only_the_missing_frames(manifest):
    ds = load_manifest(manifest, check_frames=False)
    # 0.3.2 said "frames 15..25 are missing outside 0..19": 15..19 are there
    with pytest.raises(FileNotFoundError, match=r"'past_end': the clip runs past the folder's last frame .*: 6 of "
                                                r"its 11 frames are missing: 20\.\.25$"):
        ds[2]
    with pytest.raises(FileNotFoundError, match=r"'gap': the clip has gaps .*: 2 of its 11 frames are missing: "
                                                r"10\.\.11$"):
        ds[1]
    assert ds[0].n_frames == 10


def test_missing_frames_of_an_absurd_offset_are_counted_not_listed(tmp_path):
    """An offset typo of 2**40 costs no more than the folder's size, and the message stays short."""
    fx.frames(tmp_path / "p01" / "a", range(0, 10), size=(2, 2))
    path = tmp_path / "m.csv"
    path.write_text(f"subject,clip,frame_dir,onset,offset\np01,typo,p01/a,0,{2 ** 40}\np01,ok,p01/a,0,9\n")
    rep = fx.report_rows(load_manifest(path), field="frame_dir")
    assert rep["reason"].iloc[0].endswith(f"missing 10..{2 ** 40}")


def test_many_gaps_are_named_up_to_five_runs(tmp_path):
    fx.frames(tmp_path / "p01" / "a", range(0, 21, 2), size=(2, 2))  # every odd frame is missing
    path = tmp_path / "m.csv"
    path.write_text("subject,clip,frame_dir,onset,offset\np01,odd,p01/a,0,20\n")
    ds = load_manifest(path, check_frames=False)
    with pytest.raises(FileNotFoundError, match=r"holds 11 frames numbered 0\.\.20\): 10 of its 21 frames are "
                                                r"missing: 1, 3, 5, 7, 9 \.\.\.$"):
        ds[0]


# ------------------------------------------------------------------ the official SMIC-HS-E sheet
def _hs_book(tmp_path, rows):
    return fx.write_workbook(tmp_path / "SMIC-HS-E_annotation.xlsx", {
        "HS": (fx.SMIC_HS_COLUMNS, rows), "VIS": (fx.SMIC_VIS_COLUMNS, []), "Sheet2": (None, []),
        "Sheet3": (None, [])})


def test_official_sheet_drops_segments_outside_the_clip_or_repeated(tmp_path):
    """Onset3F/Offset3F outside FirstF..LastF (TotalMF3 negative) or equal to segment 2 are no ME segments."""
    root = tmp_path / "SMIC-E"
    for s, clip in ((1, "s1_ne_01"), (1, "s1_po_02"), (2, "s2_sur_01")):
        fx.frame_names(root / "SMIC_HS_E" / f"s{s:02d}" / clip, range(0, 3000), lambda n: f"image{n}.jpg")
    rows = [
        # segment 3 before the clip's first frame, with the negative TotalMF3 the real sheet has
        fx.smic_hs_row(1, "s1_ne_01", 1010, 1020, "negative", seg2=(1030, 1040), seg3=(150, 160), first=1000,
                       last=1050),
        # segment 3 repeats segment 2
        fx.smic_hs_row(1, "s1_po_02", 2010, 2020, "positive", seg2=(2030, 2035), seg3=(2030, 2035)),
        # three valid segments
        fx.smic_hs_row(2, "s2_sur_01", 110, 120, "surprise", seg2=(125, 130), seg3=(135, 140)),
    ]
    rows[0][14] = -889  # TotalMF3 as the sheet states it
    ds = load_smic(root, _hs_book(tmp_path, rows), check_frames=False)
    assert list(ds.table["clip"]) == ["s1_ne_01", "s1_ne_01_seg2", "s1_po_02", "s1_po_02_seg2", "s2_sur_01",
                                      "s2_sur_01_seg2", "s2_sur_01_seg3"]
    dropped = fx.report_rows(ds, field="segment", action="dropped").set_index("clip")
    assert sorted(dropped.index) == ["s1_ne_01_seg3", "s1_po_02_seg3"]
    assert dropped.loc["s1_ne_01_seg3", "reason"] == ("segment 3 (150..160) lies outside the clip's frames "
                                                      "FirstF..LastF = 1000..1050; the sheet's TotalMF3 is -889")
    assert dropped.loc["s1_ne_01_seg3", "raw"] == "Onset3F..Offset3F = 150..160"
    assert dropped.loc["s1_po_02_seg3", "reason"] == "segment 3 (2030..2035) repeats segment 2 of the same row"
    assert (dropped["sheet_row"] == [2, 3]).all()
    # the notes count the segments that are kept
    notes = fx.report_rows(ds, field="segment", action="note").set_index("clip")
    assert "has 2 ME segments" in notes.loc["s1_ne_01_seg2", "reason"]
    assert "has 3 ME segments" in notes.loc["s2_sur_01_seg3", "reason"]


def test_real_size_official_sheet_gives_166_segments(tmp_path):
    """157 rows holding 166 valid segments and 6 invalid ones, as the real HS sheet: 166 clips (0.3.2 made 172)."""
    hs, per = [], {}
    codes = {"negative": "ne", "positive": "po", "surprise": "sur"}
    emos = ["negative"] * 66 + ["positive"] * 51 + ["surprise"] * 40
    for k, emo in enumerate(emos):
        s = fx.SMIC_SUBJECTS[k % 16]
        per[(s, emo)] = per.get((s, emo), 0) + 1
        clip = f"s{s}_{codes[emo]}_{per[(s, emo)]:02d}"
        on = 1000 * k + 10
        seg2 = (on + 40, on + 50) if k < 8 else None             # 8 valid second segments
        seg3 = {0: (on + 60, on + 70),                           # 1 valid third segment
                1: (on - 900, on - 890), 2: (on - 900, on - 890), 3: (on + 80, on + 90),  # 3 outside the clip
                4: seg2, 5: seg2, 6: seg2}.get(k)                # 3 copies of segment 2
        row = fx.smic_hs_row(s, clip, on, on + 20, emo, seg2=seg2, seg3=seg3, first=on - 5, last=on + 75)
        if k in (1, 2):
            row[14] = -(k * 100)  # TotalMF3 as the real sheet states it for such segments
        hs.append(row)
    ds = load_smic(tmp_path, _hs_book(tmp_path, hs), check_frames=False)
    assert len(ds) == 166
    assert ds.table["segment"].value_counts().to_dict() == {1: 157, 2: 8, 3: 1}
    dropped = fx.report_rows(ds, field="segment", action="dropped")
    assert len(dropped) == 6 and set(dropped["clip"].str.slice(-4)) == {"seg3"}
    assert sum("outside the clip's frames" in r for r in dropped["reason"]) == 3
    assert sum("repeats segment 2" in r for r in dropped["reason"]) == 3
    assert report_counts(ds.validation_report)["dropped"] == 6
