"""MEGC 2019 composite: SMIC-HS + CASME II + SAMM merged into 3 classes (442 clips, 68 subjects)."""

import os
import re

from mefeat.datasets._base import MEDataset, is_missing, norm_key, report_frame
from mefeat.datasets._vocab import MEGC2019_CLASSES, megc2019_label

__all__ = ["load_megc2019"]


def load_megc2019(*, casme2_root=None, casme2_annotations=None, samm_root=None, samm_annotations=None,
                  smic_root=None, smic_annotations=None, gt=None, check_frames=True):
    """Load the MEGC 2019 Composite Database Evaluation set (3 classes, 442 clips, 68 subjects).

    Parameters
    ----------
    casme2_root, casme2_annotations : path-like, optional
        See :func:`load_casme2`.
    samm_root, samm_annotations : path-like, optional
        See :func:`load_samm`.
    smic_root : path-like, optional
    smic_annotations : path-like, optional
        See :func:`load_smic` (HS is used): either SMIC folder layout (class folders or SMIC-E)
        and either sheet (``smic_apex.xlsx`` or the official ``SMIC-HS-E_annotation.xlsx``), or
        no sheet.
    gt : path-like, optional
        The official ground truth csv (``combined_3class_gt.csv``: rows ``db,subject,filename,label``,
        label 0 negative / 1 positive / 2 surprise, header optional, blank and ``,,,`` lines
        skipped). Given: exactly its clips are kept, with its labels (disagreements with the
        merge rule are reported). None: the merge rule below is applied to every clip of the
        given databases.
    check_frames : bool, default True
        Drop (and report) rows whose frame folder does not exist or does not hold every frame of
        onset..offset (the validation report names the missing frame numbers).

    Returns
    -------
    MEDataset
        ``dataset`` is ``casme2``/``samm``/``smic`` per row, ``emotion`` the 3-class label,
        ``emotion_raw`` the database's label, ``group`` = ``"<dataset>/<subject>"`` (used by
        ``.groups``: LOSO over the composite has 68 folds).

    Raises
    ------
    ValueError
        No database given, a database loader kept no clip, or no clip is left after the merge
        (the message counts the dropped rows).

    Notes
    -----
    Merge: negative = repression, anger, contempt, disgust, fear, sadness; positive =
    happiness; surprise = surprise; others are dropped (reported): with the full sheets that
    is 442 clips (negative 250, positive 109, surprise 83) of 68 subjects. The other published
    copy of the GT (``combined_3class_gt-2.csv``) lacks SAMM ``032_3_1`` and so gives 441. GT rows are matched
    to clips by (db, subject, filename): subjects compared
    without a ``sub``/``s`` prefix and leading zeros (``sub01`` = ``01``, ``s01`` = ``s1``,
    ``6`` = ``006``), filenames case-insensitively with numbers without leading zeros. CASME II
    reuses episode names across subjects (``sub01/EP02_01f``, ``sub09/EP02_01f``), so the
    subject is part of the key. GT rows matching no clip or several clips (ambiguous: not
    used), and repeated GT rows for one clip, are reported.
    """
    import pandas as pd

    from mefeat.datasets.casme2 import load_casme2
    from mefeat.datasets.samm import load_samm
    from mefeat.datasets.smic import load_smic

    parts = []
    if casme2_root is not None:
        parts.append(load_casme2(casme2_root, casme2_annotations, check_frames=check_frames))
    if samm_root is not None:
        parts.append(load_samm(samm_root, samm_annotations, check_frames=check_frames))
    if smic_root is not None:
        parts.append(load_smic(smic_root, smic_annotations, modality="HS", check_frames=check_frames))
    if not parts:
        raise ValueError("load_megc2019: give at least one of casme2_root, samm_root, smic_root")
    table = pd.concat([p.table for p in parts], ignore_index=True)
    reports = [p.validation_report for p in parts]
    extra = []

    def note(r, field, action, raw, value, reason):
        extra.append({"dataset": r["dataset"], "subject": r["subject"], "clip": r["clip"],
                      "sheet_row": None if is_missing(r.get("sheet_row")) else int(r.get("sheet_row")),
                      "field": field, "action": action,
                      "raw": None if is_missing(raw) else str(raw), "value": None if is_missing(value) else str(value),
                      "reason": reason})

    table["emotion_dataset"] = pd.Series(list(table["emotion"]), index=table.index, dtype=object)
    table["emotion"] = pd.Series([None if is_missing(e) else megc2019_label(e) for e in table["emotion"]],
                                 index=table.index, dtype=object)
    keep = []
    if gt is None:
        for i, r in table.iterrows():
            if is_missing(r["emotion"]):
                note(r, "emotion", "dropped", r["emotion_dataset"], None, "class not in the MEGC 2019 merge")
            else:
                keep.append(i)
    else:
        gt_rows = _read_gt(gt)
        index = {}
        for i, r in table.iterrows():
            index.setdefault((r["dataset"], subject_key(r["subject"]), norm_key(r["clip"])), []).append(i)
        matched = {}

        def gt_note(db, subject, filename, label, action, reason):
            extra.append({"dataset": db, "subject": subject, "clip": filename, "sheet_row": None,
                          "field": "gt", "action": action, "raw": f"{db},{subject},{filename},{label}",
                          "value": None, "reason": reason})

        for db, subject, filename, label in gt_rows:
            hits = index.get((db, subject_key(subject), norm_key(filename)), [])
            if not hits:
                gt_note(db, subject, filename, label, "dropped",
                        "GT clip (db, subject, filename) not found in the loaded databases")
                continue
            if len(hits) > 1:
                names = ", ".join(f"{table.at[i, 'subject']}/{table.at[i, 'clip']}" for i in hits)
                gt_note(db, subject, filename, label, "dropped",
                        f"GT row matches {len(hits)} clips ({names}); ambiguous, not used")
                continue
            i = hits[0]
            if i in matched:
                gt_note(db, subject, filename, label, "dropped",
                        "a second GT row for the same clip; the first one is used")
                continue
            matched[i] = MEGC2019_CLASSES[label]
        for i, r in table.iterrows():
            if i not in matched:
                note(r, "gt", "dropped", r["emotion_dataset"], None, "clip not in the MEGC 2019 ground truth")
                continue
            if r["emotion"] != matched[i]:
                note(r, "emotion", "fixed", r["emotion"], matched[i], "GT label differs from the merge rule; GT used")
            table.at[i, "emotion"] = matched[i]
            keep.append(i)
    n_in = len(table)
    table = table.loc[keep].reset_index(drop=True)
    table["group"] = pd.Series([f"{d}/{s}" for d, s in zip(table["dataset"], table["subject"])],
                               index=table.index, dtype=object)
    frames = [r for r in reports + [report_frame(extra)] if len(r)]
    report = pd.concat(frames, ignore_index=True) if frames else None
    if not len(table):
        counts = {}
        for r in extra:
            counts[r["reason"]] = counts.get(r["reason"], 0) + 1
        detail = "; ".join(f"{n} x {reason!r}" for reason, n in counts.items())
        raise ValueError(f"load_megc2019: 0 clips left of the {n_in} loaded ({detail}); check that the GT file "
                         "names the loaded databases' subjects and clips")
    return MEDataset(table, name="megc2019", validation_report=report)


def subject_key(text):
    """Subject id for matching GT rows: lower case, ``sub``/``s`` prefix and leading zeros removed.

    ``"sub01"``, ``"01"``, ``"1"`` -> ``"1"``; ``"s01"``, ``"s1"`` -> ``"1"``; ``"006"``, ``"6"`` -> ``"6"``.
    """
    text = str(text).strip().lower()
    m = re.fullmatch(r"(?:sub|s)?0*(\d+)", text)
    return str(int(m.group(1))) if m else norm_key(text)


def _read_gt(path):
    """``[(db, subject, filename, label)]`` of a GT csv; header, blank and ``,,,`` lines are skipped."""
    with open(os.fspath(path), "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    rows = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.strip().split(",")]
        if len(parts) < 4 or not re.fullmatch(r"\d+", parts[3]):
            continue  # header or blank line
        db = parts[0].lower().replace("-", "").replace("_", "")
        db = {"casmeii": "casme2", "smichs": "smic"}.get(db, db)
        label = int(parts[3])
        if label not in (0, 1, 2):
            raise ValueError(f"{path}: label {label} in row {line.strip()!r} is not 0, 1 or 2")
        rows.append((db, parts[1], parts[2], label))
    if not rows:
        raise ValueError(f"{path}: no 'db,subject,filename,label' rows found")
    return rows
