"""SMIC in the formats it really comes in (issue 10): smic_apex.xlsx, SMIC-HS-E_annotation.xlsx, the SMIC-E folders."""

import pytest

from mefeat.datasets import load_smic
from tests.datasets import _fixtures as fx


@pytest.fixture
def smic_e(tmp_path):
    """SMIC-E layout (SMIC-E/HS_long/SMIC_HS_E/s01/s1_ne_01/image<n>.jpg) with three clips."""
    root = tmp_path / "SMIC-E" / "HS_long"
    fx.smic_e_frames(root, 1, "s1_ne_01", range(559740, 559760))
    fx.smic_e_frames(root, 1, "s1_po_02", range(600, 620))
    fx.smic_e_frames(root, 12, "s12_sur_01", range(17581039, 17581049))
    return tmp_path / "SMIC-E"


def test_smic_apex_sheet_on_smic_e_folders(tmp_path, smic_e):
    """data == 'smic' in every row, int subjects, a missing offset, path columns: every row is an HS clip."""
    rows = [fx.smic_apex_row(1, "s1_ne_01", 0, 559742, 559745, 559750),
            fx.smic_apex_row(1, "s1_po_02", 1, 603, 607, None),            # no offset: up to the last frame
            fx.smic_apex_row(12, "s12_sur_01", 2, 17581040, 17581043, 17581047)]
    sheet = fx.write_xlsx(tmp_path / "smic_apex.xlsx", rows, fx.SMIC_APEX_COLUMNS)
    ds = load_smic(smic_e, sheet)
    assert list(ds.table["clip"]) == ["s1_ne_01", "s1_po_02", "s12_sur_01"]
    assert list(ds.table["subject"]) == ["s1", "s1", "s12"]
    assert list(ds.y) == ["negative", "positive", "surprise"]
    assert (ds.table["modality"] == "HS").all() and (ds.table["fps"] == 100).all()
    c = ds[0]
    assert c.n_frames == 9 and c.apex == 3 and int(c.frames[0, 0, 0]) == 559742 % 256
    assert ds[1].n_frames == 17  # 603..619
    assert ds[2].n_frames == 8 and int(ds[2].frames[-1, 0, 0]) == 17581047 % 256
    off = fx.report_rows(ds, clip="s1_po_02", field="offset")
    assert off["action"].tolist() == ["fixed"] and "last frame" in off["reason"].iloc[0]
    assert fx.report_rows(ds, field="data").empty
    # the same sheet asked for VIS: every row is HS, so nothing is left -> an error with the counts
    with pytest.raises(ValueError, match=r"0 clips.*3 rows.*'data'.*not the requested VIS"):
        load_smic(smic_e, sheet, modality="VIS")


def test_smic_apex_sheet_folder_found_through_path_columns(tmp_path):
    """The root is the parent of ``smic/``: the path columns (smic/HS_long/SMIC_HS_E/s01/...) locate the folder."""
    root = tmp_path / "release"
    fx.frames(root / "smic" / "HS_long" / "SMIC_HS_E" / "s01" / "s1_ne_01", range(10, 20),
              name=lambda n: f"image{n}.jpg", size=(4, 4))
    sheet = fx.write_xlsx(tmp_path / "smic_apex.xlsx", [fx.smic_apex_row(1, "s1_ne_01", 0, 11, 13, 18)],
                          fx.SMIC_APEX_COLUMNS)
    ds = load_smic(root, sheet)
    assert len(ds) == 1 and ds[0].n_frames == 8 and int(ds[0].frames[0, 0, 0]) == 11


def test_smic_official_workbook_hs_vis_and_segments(tmp_path, smic_e):
    vis_root = tmp_path / "SMIC-E" / "VIS_long"
    fx.smic_e_frames(vis_root, 1, "s1_ne_01", range(100, 130), modality="VIS")
    hs_rows = [fx.smic_hs_row(1, "s1_ne_01", 559741, 559744, "negative", seg2=(559750, 559755)),
               fx.smic_hs_row(1, "s1_po_02", 601, 610, "positive"),
               fx.smic_hs_row(12, "s12_sur_01", 17581040, 17581045, "surprise",
                              seg2=(17581046, 17581047), seg3=(17581040, 17581048))]
    vis_rows = [fx.smic_vis_row(1, "s1_ne_01", 110, 120, "negative")]
    book = fx.write_workbook(tmp_path / "SMIC-HS-E_annotation.xlsx", {
        "HS": (fx.SMIC_HS_COLUMNS, hs_rows), "VIS": (fx.SMIC_VIS_COLUMNS, vis_rows),
        "Sheet2": (None, []), "Sheet3": (None, [])})
    ds = load_smic(smic_e, book)
    assert list(ds.table["clip"]) == ["s1_ne_01", "s1_ne_01_seg2", "s1_po_02", "s12_sur_01", "s12_sur_01_seg2",
                                      "s12_sur_01_seg3"]
    assert list(ds.table["segment"]) == [1, 2, 1, 1, 2, 3]
    assert list(ds.y) == ["negative", "negative", "positive", "surprise", "surprise", "surprise"]
    assert ds.table["apex"].isna().all()
    assert [ds[i].n_frames for i in range(len(ds))] == [4, 6, 10, 6, 2, 9]
    assert int(ds[1].frames[0, 0, 0]) == 559750 % 256
    seg = fx.report_rows(ds, field="segment")
    assert seg["clip"].tolist() == ["s1_ne_01_seg2", "s12_sur_01_seg2", "s12_sur_01_seg3"]
    assert (seg["action"] == "note").all() and "3 ME segments" in seg["reason"].iloc[2]
    assert seg["sheet_row"].tolist() == [2, 4, 4]
    vis = load_smic(tmp_path / "SMIC-E", book, modality="VIS")
    assert list(vis.table["clip"]) == ["s1_ne_01"] and vis[0].n_frames == 11 and vis.table.loc[0, "fps"] == 25
    with pytest.raises(ValueError, match=r"none named 'NIR'"):
        load_smic(smic_e, book, modality="NIR")


def test_smic_e_folders_without_sheet(smic_e):
    ds = load_smic(smic_e)
    got = dict(zip(ds.table["clip"], ds.y))
    assert got == {"s1_ne_01": "negative", "s1_po_02": "positive", "s12_sur_01": "surprise"}
    assert set(ds.table["subject"]) == {"s01", "s12"}
    i = list(ds.table["clip"]).index("s1_ne_01")
    assert ds[i].n_frames == 20
    # the SMIC_HS_E folder itself as the root works as well
    assert len(load_smic(smic_e / "HS_long" / "SMIC_HS_E")) == 3


def test_smic_class_folder_layout_still_works(tmp_path):
    root = fx.smic(tmp_path)
    sheet = fx.write_xlsx(tmp_path / "smic_apex.xlsx",
                          [["smic", 1, "s1_ne_01", 0, 1001, 1004, 1009, None, None, None]], fx.SMIC_APEX_COLUMNS)
    ds = load_smic(root, sheet)
    assert list(ds.table["clip"]) == ["s1_ne_01"] and ds[0].n_frames == 9


def test_smic_sheet_in_no_known_format(tmp_path):
    p = fx.write_xlsx(tmp_path / "x.xlsx", [[1, 2]], ["foo", "bar"])
    with pytest.raises(ValueError, match=r"neither SMIC sheet format.*OnsetF"):
        load_smic(tmp_path, p)


def test_all_rows_dropped_is_an_error_not_an_empty_dataset(tmp_path):
    sheet = tmp_path / "smic.csv"
    sheet.write_text("data,subject,clip,label,onset_frame,apex_frame,offset_frame\n"
                     "foo,1,s1_ne_01,0,1,2,3\nbar,2,s2_ne_01,0,1,2,3\n")
    with pytest.raises(ValueError, match=r"smic: 0 clips kept from .*smic\.csv.*all 2 rows.*2 by 'data'"):
        load_smic(tmp_path, sheet, check_frames=False)


def test_real_size_smic_apex_sheet_gives_164_hs_clips(tmp_path):
    root, sheet, _ = fx.megc_smic(tmp_path)
    ds = load_smic(root, sheet)
    assert len(ds) == 164 and ds.table["subject"].nunique() == 16
    assert ds.table["emotion"].value_counts().to_dict() == {"negative": 70, "positive": 51, "surprise": 43}
    assert len(fx.report_rows(ds, field="offset", action="fixed")) == 7
    assert fx.report_rows(ds, action="dropped").empty


def test_real_size_official_hs_sheet(tmp_path):
    """157 HS rows (66/51/40), 8 of them with more than one segment: 157 + 9 clips; VIS 71; empty sheets ignored."""
    root = tmp_path / "SMIC-E"
    hs, vis, per = [], [], {}
    codes = {"negative": "ne", "positive": "po", "surprise": "sur"}
    emos = ["negative"] * 66 + ["positive"] * 51 + ["surprise"] * 40
    for k, emo in enumerate(emos):
        s = fx.SMIC_SUBJECTS[k % 16]
        per[(s, emo)] = per.get((s, emo), 0) + 1
        clip = f"s{s}_{codes[emo]}_{per[(s, emo)]:02d}"
        on = 1000 * k + 10
        seg2 = (on + 22, on + 26) if k < 8 else None
        seg3 = (on + 28, on + 30) if k == 0 else None
        hs.append(fx.smic_hs_row(s, clip, on, on + 20, emo, seg2=seg2, seg3=seg3))
        fx.frame_names(root / "SMIC_HS_E" / f"s{s:02d}" / clip, range(on - 5, on + 36), lambda n: f"image{n}.jpg")
        if k < 71:
            vis.append(fx.smic_vis_row(s, clip, on, on + 20, emo))
            fx.frame_names(root / "SMIC_VIS_E" / f"s{s:02d}" / clip, range(on, on + 21), lambda n: f"image{n}.jpg")
    book = fx.write_workbook(tmp_path / "SMIC-HS-E_annotation.xlsx", {
        "HS": (fx.SMIC_HS_COLUMNS, hs), "VIS": (fx.SMIC_VIS_COLUMNS, vis), "Sheet2": (None, []),
        "Sheet3": (None, [])})
    ds = load_smic(root, book)
    assert len(ds) == 166 and (ds.table["segment"] == 1).sum() == 157
    first = ds.table[ds.table["segment"] == 1]
    assert first["emotion"].value_counts().to_dict() == {"negative": 66, "positive": 51, "surprise": 40}
    assert len(fx.report_rows(ds, field="segment")) == 9 and fx.report_rows(ds, action="dropped").empty
    assert len(load_smic(root, book, modality="VIS")) == 71


def test_no_clip_folder_without_sheet_is_an_error(tmp_path):
    with pytest.raises(ValueError, match=r"no HS clip folders under .*SMIC_HS_E/s01/<clip>/"):
        load_smic(tmp_path / "nowhere")
    root = fx.smic(tmp_path)
    with pytest.raises(ValueError, match=r"no NIR clip folders"):
        load_smic(root, modality="NIR")
