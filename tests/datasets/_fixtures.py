"""Tiny fixture databases in each real folder layout and sheet format (column names and quirks of the real sheets)."""

import os

import numpy as np
import pandas as pd


def frames(folder, numbers, name=lambda n: f"{n:05d}.png", size=(6, 8), seed=0):
    import cv2

    os.makedirs(folder, exist_ok=True)
    out = {}
    for n in numbers:
        img = np.full(size, n % 256, dtype=np.uint8)  # constant: survives JPEG exactly; identifies the frame
        cv2.imwrite(os.path.join(folder, name(n)), img)
        out[n] = img
    return out


def frame_names(folder, numbers, name):
    """Empty image files named like frames: enough for the loaders' frame checks, fast for big fixtures.

    Reading such a clip fails (zero-byte frames); use :func:`frames` for clips a test reads.
    """
    os.makedirs(folder, exist_ok=True)
    for n in numbers:
        open(os.path.join(folder, name(n)), "wb").close()


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


#: The CASME II coding sheet's header (as CSV), for tests that write their own rows.
C2_COLS = "Subject,Filename,OnsetFrame,ApexFrame,OffsetFrame,Action Units,Estimated Emotion"


def report_rows(ds, **eq):
    """The rows of ``ds.validation_report`` whose columns equal the given values."""
    r = ds.validation_report
    for k, v in eq.items():
        r = r[r[k] == v]
    return r


def write_workbook(path, sheets):
    """Several sheets: ``{name: (columns or None, rows)}``; ``(None, [])`` writes an empty sheet."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (columns, rows) in sheets.items():
        ws = wb.create_sheet(name)
        if columns is not None:
            ws.append(list(columns))
        for r in rows:
            ws.append(list(r))
    wb.save(path)
    return path


# ------------------------------------------------------------------ SMIC in its real formats
SMIC_APEX_COLUMNS = ["data", "subject", "clip", "label", "onset_frame", "apex_frame", "offset_frame",
                     "onset_frame_path", "apex_frame_path", "offset_frame_path"]
#: The official SMIC-HS-E_annotation.xlsx HS header, blank columns included (None = a blank header cell).
SMIC_HS_COLUMNS = ["Subject", "Filename", None, "OnsetF", "OffsetF", "Onset2F", "Offset2F", "Onset3F", "Offset3F",
                   None, "FirstF", "LastF", "TotalMF1", "TotalMF2", "TotalMF3", "TotalVL", "Emotion"]
SMIC_VIS_COLUMNS = ["Subject", "Filename", None, "OnsetF", "OffsetF", "Onset2F", "Offset2F", None, "FirstF",
                    "TotalMF1", "TotalMF2", "TotalVL", "Emotion"]


def smic_path(subject, clip, frame):
    return f"smic/HS_long/SMIC_HS_E/s{subject:02d}/{clip}/image{frame}.jpg"


def smic_apex_row(subject, clip, label, onset, apex, offset):
    """One row of smic_apex.xlsx: data is always "smic", subject an int, path columns filled."""
    return ["smic", subject, clip, label, onset, apex, offset, smic_path(subject, clip, onset),
            smic_path(subject, clip, apex), None if offset is None else smic_path(subject, clip, offset)]


def smic_hs_row(subject, clip, onset, offset, emotion, seg2=None, seg3=None, first=None, last=None):
    """One row of the official HS sheet (Subject int, Filename, blank, segments, blank, counts, Emotion)."""
    s2 = seg2 or (None, None)
    s3 = seg3 or (None, None)
    # FirstF..LastF: the clip's frames, which hold every segment
    first = min(a for a in (onset, s2[0], s3[0]) if a is not None) - 5 if first is None else first
    last = max(b for b in (offset, s2[1], s3[1]) if b is not None) + 5 if last is None else last
    tot = [b - a + 1 if a is not None else None for a, b in ((onset, offset), s2, s3)]
    return [subject, clip, None, onset, offset, s2[0], s2[1], s3[0], s3[1], None, first, last,
            tot[0], tot[1], tot[2], last - first + 1, emotion]


def smic_vis_row(subject, clip, onset, offset, emotion):
    return [subject, clip, None, onset, offset, None, None, None, onset - 2, offset - onset + 1, None,
            offset - onset + 5, emotion]


def smic_e_frames(root, subject, clip, numbers, modality="HS"):
    """Frames in the SMIC-E layout: ``<root>/SMIC_<mod>_E/s01/s1_ne_01/image<n>.jpg``."""
    return frames(root / f"SMIC_{modality}_E" / f"s{subject:02d}" / clip, numbers, name=lambda n: f"image{n}.jpg",
                  size=(4, 6))


# ------------------------------------------------------------------ realistic-size MEGC 2019 sheets
# Class counts of the real sheets (CASME II 255 clips / 26 subjects, SAMM 159 / 32, SMIC-HS 164 / 16) and
# of the MEGC 2019 composite ground truth (442 = 145 + 133 + 164; 68 subjects = 24 + 28 + 16).
CASME2_GT = {"disgust": 63, "repression": 25, "happiness": 32, "surprise": 25}             # 88 neg, 32 pos, 25 sur
CASME2_REST = {"others": 99, "repression": 2, "fear": 2, "sadness": 7}                    # not in the GT
SAMM_GT = {"Anger": 57, "Contempt": 12, "Disgust": 9, "Fear": 8, "Sadness": 6, "Happiness": 26, "Surprise": 15}
SAMM_REST = {"Other": 26}
SMIC_GT = {0: 70, 1: 51, 2: 43}
SMIC_SUBJECTS = [1, 2, 3, 4, 5, 6, 8, 9, 11, 12, 13, 14, 15, 18, 19, 20]
MEGC_LABEL = {"disgust": 0, "repression": 0, "happiness": 1, "surprise": 2, "Anger": 0, "Contempt": 0,
              "Disgust": 0, "Fear": 0, "Sadness": 0, "Happiness": 1, "Surprise": 2}


def _spread(counts, subjects):
    """[(subject, emotion)] with the emotions dealt round-robin over the subjects."""
    emos = [e for e, n in counts.items() for _ in range(n)]
    return [(subjects[i % len(subjects)], e) for i, e in enumerate(emos)]


def megc_casme2(tmp):
    """CASME II: 255 rows of 26 subjects, GT clips from 24 of them, episode names reused across subjects."""
    root = tmp / "CASME2_RAW_selected"
    rows, gt, per = [], [], {}
    items = [(s, e, True) for s, e in _spread(CASME2_GT, list(range(1, 25)))]
    items += [(s, e, False) for s, e in _spread(CASME2_REST, list(range(1, 27)))]
    for k, (s, emo, in_gt) in enumerate(items):
        per[s] = per.get(s, 0) + 1
        clip = f"EP{per[s]:02d}_01f"
        apex = "/" if k % 12 == 5 else 50  # 21 rows without apex, as in the real sheet
        rows.append([f"{s:02d}" if k % 2 else s, clip, None, 46, apex, 56, None, "4+L10", emo])
        frame_names(root / f"sub{s:02d}" / clip, range(46, 57), lambda n: f"img{n}.jpg")
        if in_gt:
            gt.append(("casme2", f"sub{s:02d}" if k % 3 else str(s), clip, MEGC_LABEL[emo]))
    cols = ["Subject", "Filename", "Unnamed: 2", "OnsetFrame", "ApexFrame", "OffsetFrame", "Unnamed: 6",
            "Action Units", "Estimated Emotion"]
    return root, write_xlsx(tmp / "CASME2-coding-20140508.xlsx", rows, cols), gt


def megc_samm(tmp):
    """SAMM: 159 rows of 32 subjects (006-037) after the 12-line preamble; GT clips from 006-033 (032_3_1 among
    them)."""
    root = tmp / "SAMM"
    rows, gt, per = [], [], {}
    items = [(s, e, True) for s, e in _spread(SAMM_GT, list(range(6, 34)))]
    items += [(s, e, False) for s, e in _spread(SAMM_REST, list(range(6, 38)))]
    items.sort(key=lambda t: (t[0], not t[2]))  # per subject: GT clips first
    for s, emo, in_gt in items:
        k = per.get(s, 0)
        per[s] = k + 1
        clip = f"{s:03d}_{k % 7 + 1}_{k // 7 + 1}"
        rows.append([s, clip, 1, 5562, 5566, 5574, 13, "Micro - 1/2", "R12 or R14", emo, "III", None])
        frame_names(root / f"{s:03d}" / clip, range(5562, 5575), lambda n, s=s: f"{s:03d}_{n:05d}.jpg")
        if in_gt:
            gt.append(("samm", f"{s:03d}" if s % 2 else str(s), clip, MEGC_LABEL[emo]))
    cols = ["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame", "Duration",
            "Micro", "Action Units", "Estimated Emotion", "Objective Classes", "Notes"]
    preamble = [["SAMM Micro FACS codes"], ["Version 2"]] + [[""]] * 2 + [[f"note line {k}"] for k in range(8)]
    return root, write_xlsx(tmp / "SAMM_Micro_FACS_Codes_v2.xlsx", rows, cols, preamble=preamble), gt


def megc_smic(tmp, n_missing_offsets=7):
    """SMIC-HS in the SMIC-E layout + smic_apex.xlsx: 164 rows of 16 subjects, 7 without offset."""
    root = tmp / "SMIC-E"
    base = root / "HS_long" / "SMIC_HS_E"
    rows, gt, per = [], [], {}
    codes = {0: "ne", 1: "po", 2: "sur"}
    for k, (s, label) in enumerate(_spread(SMIC_GT, SMIC_SUBJECTS)):
        key = (s, label)
        per[key] = per.get(key, 0) + 1
        clip = f"s{s}_{codes[label]}_{per[key]:02d}"
        onset = 17581039 + 100 * k
        offset = None if k < n_missing_offsets else onset + 30
        rows.append(smic_apex_row(s, clip, label, onset, onset + 12, offset))
        # frames onset..onset+30: room for the second segments of test_official_smic_sheet_in_the_composite
        frame_names(base / f"s{s:02d}" / clip, range(onset, onset + 31), lambda n: f"image{n}.jpg")
        gt.append(("smic", f"s{s}" if k % 2 else str(s), clip, label))
    return root, write_xlsx(tmp / "smic_apex.xlsx", rows, SMIC_APEX_COLUMNS), gt


def write_gt(path, rows, *, header=True, blank_lines=()):
    lines = ["db,subject,filename,label"] if header else []
    for k, r in enumerate(rows):
        if k in blank_lines:
            lines.append(",,,")
        lines.append(",".join(map(str, r)))
    path.write_text("\n".join(lines) + "\n")
    return path
