"""CAS(ME)² and SAMM Long Videos loaders on fixtures written in the real sheet formats."""

import os

import pandas as pd
import pytest

from mefeat.datasets import load_casme_sq, load_samm_lv
from mefeat.spotting import evaluate_spotting

CASME_ROWS = [  # subject, clip, onset, apex, offset, AUs, objective class, type, emotion, duration
    [1, "anger1_1", 557, 572, 608, "4+10+14+15", "negative", "macro-expression", "anger", 51],
    [1, "anger1_2", 900, 910, 0, "4,24", "negative", "micro-expression", "anger", 10],      # offset 0 -> apex
    [1, "happy1_1", 100, 0, 112, "14or23", "positive", "micro-expression", "happiness", 12],  # apex 0 -> None
    [2, "disgust1_1", 30, 40, 55, "NULL", "negative", "macro-expression", "helpless", 25],
    [2, "disgust1_2", 80, 85, 70, "4", "negative", "macro-expression", "disgust", 0],          # offset < onset
]


def _casme_tree(tmp_path):
    for d in ("s15/15_0401girlcrashing", "s15/15_0102eatingworms", "s16/16_0101disgustingteeth"):
        os.makedirs(tmp_path / "rawpic" / d)
        (tmp_path / "rawpic" / d / "img1.jpg").write_bytes(b"")


def test_casme_sq_workbook_with_naming_rules(tmp_path):
    _casme_tree(tmp_path)
    path = tmp_path / "CAS(ME)^2code_final.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame(CASME_ROWS).to_excel(xw, sheet_name="CASFEcode_final", header=False, index=False)
        pd.DataFrame([["s15", "15", 1], ["s16", "16", 2]]).to_excel(xw, sheet_name="naming rule1", header=False,
                                                                    index=False)
        pd.DataFrame([[401, "anger1"], [102, "happy1"], [101, "disgust1"]]).to_excel(
            xw, sheet_name="naming rule2", header=False, index=False)
    ds = load_casme_sq(tmp_path, path)
    t = ds.intervals
    assert t["video"].tolist() == ["15_0401", "15_0401", "15_0102", "16_0101"]
    assert t["subject"].tolist() == ["s15", "s15", "s15", "s16"]
    assert t["type"].tolist() == ["macro", "micro", "micro", "macro"]
    assert t["offset"].tolist() == [608, 910, 112, 55]
    assert pd.isna(t["apex"][2]) and t["apex"][0] == 572
    assert t["aus"].tolist() == [frozenset({4, 10, 14, 15}), frozenset({4, 24}), frozenset({14, 23}), frozenset()]
    assert t["emotion"].tolist()[:3] == ["anger", "anger", "happiness"] and t["emotion"][3] is None
    assert t["emotion_raw"][3] == "helpless" and (t["fps"] == 30.0).all()
    assert t["frame_dir"][0].endswith(os.path.join("s15", "15_0401girlcrashing"))
    rep = ds.validation_report
    assert set(zip(rep["field"], rep["action"])) >= {("offset", "fixed"), ("apex", "fixed"), ("aus", "fixed"),
                                                      ("emotion", "fixed"), ("offset", "dropped")}
    assert rep[rep["action"] == "dropped"]["clip"].tolist() == ["disgust1_2"]
    assert sorted(ds.videos["video"]) == ["15_0102", "15_0401", "16_0101"]
    paths, numbers = ds.frame_paths("15_0401")
    assert numbers.tolist() == [1] and paths[0].endswith("img1.jpg")
    # the table feeds the evaluator directly
    r = evaluate_spotting(ds.ground_truth(), ds.ground_truth())
    assert r.loc["overall", "f1"] == 1.0


def test_casme_sq_csv_with_video_column_and_missing_folder(tmp_path):
    _casme_tree(tmp_path)
    rows = [r + ["s15/15_0401girlcrashing"] for r in CASME_ROWS[:2]]
    rows.append(CASME_ROWS[0][:10] + ["s99/99_0401girlcrashing"])
    path = tmp_path / "casme_sq.csv"
    pd.DataFrame(rows).to_csv(path, header=False, index=False)
    ds = load_casme_sq(tmp_path, path)
    assert ds.intervals["video"].tolist() == ["15_0401", "15_0401"]
    assert "frame folder does not exist" in ds.validation_report["reason"].tolist()
    ds = load_casme_sq(tmp_path, path, check_frames=False)
    assert len(ds.intervals) == 3


SAMM_PREAMBLE = [["SAMM Long Videos - release notes"] + [""] * 9, ["Frames are numbered per video from 1."] + [""] * 9,
                 [""] * 10]
SAMM_HEADER = ["Subject", "Filename", "Inducement Code", "Onset", "Apex", "Offset", "Duration", "Type",
               "Action Units", "Notes"]
SAMM_ROWS = [
    [6, "006_1_1", 1, 566, 648, 743, 178, "Macro", "4(B/C)+7B", ""],
    [6, "006_1_2", 1, 1912, -1, 1988, 77, "Micro - 1/2", "R12 or R14", "apex not coded"],
    [7, "007_7_1", 7, 6730, 6750, 6770, 41, "Micro - 1/2", "12", ""],
    [7, "007_7_2", 7, 100, 120, 140, 41, "Blink", "45", ""],
]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_samm_lv_sheet_with_preamble(tmp_path, fmt):
    for v in ("006_1", "007_7"):
        os.makedirs(tmp_path / v)
    path = tmp_path / f"SAMM_LongVideos_V1_Release.{fmt}"
    sheet = pd.DataFrame(SAMM_PREAMBLE + [SAMM_HEADER] + SAMM_ROWS)
    if fmt == "xlsx":
        sheet.to_excel(path, header=False, index=False)
    else:
        sheet.to_csv(path, header=False, index=False)
    ds = load_samm_lv(tmp_path, path)
    t = ds.intervals
    assert t["video"].tolist() == ["006_1", "006_1", "007_7"]
    assert t["subject"].tolist() == ["006", "006", "007"]
    assert t["type"].tolist() == ["macro", "micro", "micro"]
    assert pd.isna(t["apex"][1]) and t["apex"][0] == 648
    assert t["aus"][0] == frozenset({4, 7}) and t["aus"][1] == frozenset({12, 14})
    assert (t["fps"] == 200.0).all() and t["sheet_row"].tolist() == [5, 6, 7]
    rep = ds.validation_report
    assert ("type", "dropped") in set(zip(rep["field"], rep["action"]))
    assert ("apex", "fixed") in set(zip(rep["field"], rep["action"]))


def test_all_rows_dropped_is_an_error(tmp_path):
    path = tmp_path / "samm.csv"
    pd.DataFrame([SAMM_HEADER] + SAMM_ROWS).to_csv(path, header=False, index=False)
    with pytest.raises(ValueError, match="0 intervals kept"):
        load_samm_lv(tmp_path / "nowhere", path)


def test_make_long_video_dataset_from_a_table():
    from mefeat.datasets import make_long_video_dataset

    table = pd.DataFrame({"video": ["s20_ne_01", "s20_ne_01"], "subject": ["s20", "s20"], "onset": [10, 50],
                          "offset": [30, 40], "type": ["micro", "Macro"], "emotion": ["negative", None]})
    ds = make_long_video_dataset(table, name="smic_e_long", fps=100)
    assert ds.intervals["type"].tolist() == ["micro"] and ds.intervals["fps"][0] == 100.0
    assert ds.validation_report["action"].tolist() == ["dropped"]       # offset 40 < onset 50
