"""Tiny fixture databases in each real folder layout and sheet format (METHODS §10)."""

import os

import numpy as np
import pandas as pd


def frames(folder, numbers, name=lambda n: f"{n:05d}.png", size=(6, 8), seed=0):
    import cv2

    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    out = {}
    for n in numbers:
        img = np.full(size, n % 256, dtype=np.uint8)  # constant: survives JPEG exactly; identifies the frame
        cv2.imwrite(os.path.join(folder, name(n)), img)
        out[n] = img
    return out


def write_xlsx(path, rows, columns, preamble=None, sheet_name="Sheet1"):
    """Rows under a header; ``preamble``: list of text lines above the header (SAMM)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet_name
    for line in preamble or []:
        ws.append(line if isinstance(line, list) else [line])
    ws.append(list(columns))
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def dfme(tmp):
    root = tmp / "dfme"
    frames(root / "sub0003_01", range(0, 12))
    frames(root / "sub0003_02", range(0, 8))
    frames(root / "sub0004_01", range(0, 10))
    cols = ["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Emotion", "EmotionId", "Fps", "AU"]
    rows = [
        ["sub0003", "sub0003_01", 2, 5, 9, "anger", 0, 500, 23],
        ["sub0003", "sub0003_02", 0, 3, 7, "happiness", 4, 500, "L12+AU4"],
        ["sub0004", "sub0004_01", 1, "/", 8, "Surprise", 6, 300, "1+2+5"],      # "/" apex
        ["sub0004", "sub0004_02", 0, 2, 5, "fear", 3, 300, 4],                  # folder missing
        ["sub0004", "sub0004_03", 9, 4, 3, "fear", 3, 300, 4],                  # offset < onset
        ["sub0004", "sub0004_01", 1, 2, 3, "disgust", 1, 300, "?"],             # duplicate + wrong id
    ]
    ann = write_xlsx(tmp / "training_full_with_AU.xlsx", rows, cols)
    return root, ann


def casme2(tmp):
    root = tmp / "CASME2-RAW"
    frames(root / "sub01" / "EP02_01f", range(46, 60), name=lambda n: f"img{n}.jpg")
    frames(root / "sub02" / "EP03_02", range(100, 110), name=lambda n: f"img{n}.jpg")
    cols = ["Subject", "Filename", "Unnamed: 2", "OnsetFrame", "ApexFrame", "OffsetFrame", "Unnamed: 6",
            "Action Units", "Estimated Emotion"]
    rows = [
        [1, "EP02_01f", None, 46, 50, 59, None, "12", "happiness"],
        ["02", "EP03_02", None, 100, "/", 109, None, "4+R10?", "repression"],
        [2, "EP99_99", None, 1, 2, 3, None, "4", "disgust"],  # missing folder
    ]
    ann = write_xlsx(tmp / "CASME2-coding-20140508.xlsx", rows, cols)
    return root, ann


def samm(tmp):
    root = tmp / "SAMM"
    frames(root / "006" / "006_1_2", range(5562, 5575), name=lambda n: f"006_{n:05d}.jpg")
    frames(root / "007" / "007_3_1", range(100, 106), name=lambda n: f"007_{n:05d}.jpg")
    cols = ["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame", "Duration",
            "Micro", "Action Units", "Estimated Emotion", "Objective Classes", "Notes"]
    preamble = [["SAMM Micro FACS codes"], ["Version 2"]] + [[""]] * 2 + [[f"note line {k}"] for k in range(8)]
    rows = [
        [6, "006_1_2", 1, 5562, 5566, 5574, 13, "Micro - 1/2", "R12 or R14", "Contempt", "III", None],
        ["7", "007_3_1", 3, 100, -1, 105, 6, "Micro - 1/2", "ref(7B)+4+10A/B", "Anger", "I", "apex?"],
        [None, None, None, None, None, None, None, None, None, None, None, None],  # blank spacer
    ]
    ann = write_xlsx(tmp / "SAMM_Micro_FACS_Codes_v2.xlsx", rows, cols, preamble=preamble)
    return root, ann


def smic(tmp):
    root = tmp / "SMIC"
    frames(root / "HS" / "s1" / "micro" / "negative" / "s1_ne_01", range(1000, 1011),
           name=lambda n: f"image{n}.bmp")
    frames(root / "HS" / "s1" / "micro" / "positive" / "s1_po_01", range(2000, 2006),
           name=lambda n: f"image{n}.bmp")
    frames(root / "HS" / "s2" / "micro" / "surprise" / "s2_sur_01", range(50, 59),
           name=lambda n: f"image{n:06d}.bmp")
    frames(root / "VIS" / "s1" / "micro" / "negative" / "s1_ne_01", range(10, 15), name=lambda n: f"image{n}.jpg")
    return root


def smic_sheet(tmp):
    cols = ["data", "subject", "clip", "label", "onset_frame", "apex_frame", "offset_frame"]
    rows = [["HS", "s01", "s01_ne_01", 0, 1001, 1004, 1009],
            ["HS", 2, "s2_sur_01", 2, 50, None, 58],
            ["VIS", 1, "s1_ne_01", 0, 10, None, 14]]
    return write_xlsx(tmp / "smic_apex.xlsx", rows, cols)


def casme3(tmp):
    root = tmp / "partA"
    frames(root / "spNO.1" / "a" / "color", range(0, 40), name=lambda n: f"{n}.jpg", size=(4, 4))
    cols = ["Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion"]
    rows = [["spNO.1", "a", "3", "6", "10", "4+7", 1, "disgust"],
            ["spNO.1", "a", "20", "25", "30", "L12", 3, "happy"],
            ["spNO.1", "a", "31", "35", "39", "1+2", 4, "Others"]]
    return root, write_xlsx(tmp / "casme3_table.xlsx", rows, cols, sheet_name="label")


def mmew(tmp):
    root = tmp / "MMEW" / "Micro_Expression"
    frames(root / "happiness" / "S01_001", range(1, 20), name=lambda n: f"{n}.jpg", size=(4, 4))
    frames(root / "others" / "S02_003", range(1, 12), name=lambda n: f"{n}.jpg", size=(4, 4))
    cols = ["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units", "Estimated Emotion",
            "remarks"]
    rows = [["S01", "S01_001", 2, 9, 18, "AU6+AU12", "happiness", None],
            ["S02", "S02_003", 1, 40, 11, "AU4", "others", "apex beyond offset"]]
    return root, write_xlsx(tmp / "MMEW_Micro_Exp.xlsx", rows, cols)


def as_table(ds):
    return pd.DataFrame(ds.table)
