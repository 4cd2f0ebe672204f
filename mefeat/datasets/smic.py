"""SMIC loader: the class-folder layout (``HS/s1/micro/negative/s1_ne_01/``) and SMIC-E
(``SMIC_HS_E/s01/s1_ne_01/``)."""

import os
import re

from mefeat.datasets._base import RowBuilder, _blank, _to_frame_number, cell_text, col, list_frames, read_sheet

__all__ = ["load_smic"]

_FPS = {"HS": 100.0, "VIS": 25.0, "NIR": 25.0}
_LABELS = {0: "negative", 1: "positive", 2: "surprise"}
_FOLDER = {"ne": "negative", "po": "positive", "sur": "surprise"}
_CODE = re.compile(r"_(ne|po|sur)_", re.IGNORECASE)
_SUBJECT_DIR = re.compile(r"[sS]\d+")
#: Header of ``smic_apex.xlsx`` (the sheet MER code ships) and of the official SMIC-E workbook.
APEX_COLUMNS = ("data", "subject", "clip", "label", "onset_frame", "apex_frame", "offset_frame")
OFFICIAL_COLUMNS = ("Subject", "Filename", "OnsetF", "OffsetF", "Emotion")
_PATH_COLUMNS = ("onset_frame_path", "apex_frame_path", "offset_frame_path")


def load_smic(root, annotations=None, *, modality="HS", errata=None, check_frames=True):
    """Load SMIC (HS, VIS or NIR), from its class folders or from SMIC-E.

    Parameters
    ----------
    root : str or path-like
        Either layout, detected from the folder:

        - class folders: ``<root>/HS/s1/micro/negative/s1_ne_01/image<frame>.bmp`` (``root`` may
          also be the modality folder holding ``s1/ s2/ ...``);
        - SMIC-E: ``<root>/SMIC_HS_E/s01/s1_ne_01/image559740.jpg`` (subject folders zero-padded,
          clip names not, no ``micro/<class>/`` level); ``root`` may be the folder holding
          ``HS_long/SMIC_HS_E``, the one holding ``SMIC_HS_E``, or ``SMIC_HS_E`` itself.
    annotations : str or path-like, optional
        One of two sheet formats, recognised from the workbook:

        - ``smic_apex.xlsx`` (the sheet MER code ships): columns ``data | subject | clip |
          label | onset_frame | apex_frame | offset_frame`` and optionally ``onset_frame_path |
          apex_frame_path | offset_frame_path``; ``label`` 0/1/2 = negative/positive/surprise.
          ``data`` names the modality (``HS``, ``SMIC-HS``, ``smic_hs`` ...); a value that only
          names the database (``smic``, as in every row of the public sheet) takes the modality
          from the path columns (``.../HS_long/SMIC_HS_E/...``), else HS, the modality that sheet
          covers. Rows of another modality, with any other ``data`` value, or without a subject
          id are dropped and reported. The path columns locate the clip folder when the
          (subject, clip) names do not.
        - the official ``SMIC-HS-E_annotation.xlsx``: the sheet named like ``modality`` (``HS``
          or ``VIS``; other sheets such as the empty ``Sheet2`` are ignored), columns ``Subject |
          Filename | OnsetF | OffsetF | Onset2F | Offset2F | [Onset3F | Offset3F] | FirstF |
          LastF | TotalMF1 ... | Emotion`` (blank columns ignored); no apex.

        None: every clip folder is one clip spanning all its frames, labelled by its class
        folder (or, in SMIC-E, by the ``ne``/``po``/``sur`` code in its name), apex None. For
        SMIC-E, whose folders hold more than the micro-expression, give a sheet.
    modality : {"HS", "VIS", "NIR"}
    errata : dict, optional
        Extra fixes keyed by ``("smic", subject, clip)``.
    check_frames : bool, default True
        Drop (and report) rows whose frame folder does not exist or does not hold every frame of
        onset..offset (the validation report names the missing frame numbers).

    Returns
    -------
    MEDataset
        fps 100 (HS) or 25 (VIS/NIR); emotions ``negative``/``positive``/``surprise``;
        subjects ``s1`` ... (an integer subject cell ``20`` gives ``s20``; a text cell such as
        ``s01`` is kept as written); a ``modality`` column; with the official sheet also a
        ``segment`` column (1, 2, 3).

    Raises
    ------
    ValueError
        Unknown modality; no sheet and no clip folder found; a workbook with modality sheets
        but none for ``modality``; a sheet in neither format; or no clip kept although the
        sheet has rows (the message counts the dropped rows by reason).

    Notes
    -----
    SMIC has **no apex labels** (``smic_apex.xlsx`` adds estimated ones): without them ``apex``
    is None and :attr:`mefeat.Clip.apex_or_middle` gives the middle frame. With a sheet whose
    label disagrees with the class folder, the sheet wins and the disagreement is reported.

    **Several ME segments in one row** (official sheet: ``Onset2F/Offset2F``,
    ``Onset3F/Offset3F`` filled): every segment becomes its own clip from the same frame folder,
    named ``s20_ne_01`` (the first), ``s20_ne_01_seg2``, ``s20_ne_01_seg3``, with the row's
    emotion; each extra segment is listed in the validation report (field ``segment``). A
    ground truth naming ``s20_ne_01`` thus matches the first segment only. Some segments of
    the HS sheet are no ME segments: their ``Onset3F..Offset3F`` lie outside the row's
    ``FirstF..LastF`` (the clip's frames; ``TotalMF3`` is negative) or repeat
    ``Onset2F..Offset2F``. Every segment outside ``FirstF..LastF`` (checked when both cells
    hold numbers) or repeating an earlier one of its row is dropped and reported (field
    ``segment``, with the reason): the 157 HS rows give 166 clips (0.3.2 made 172).

    A missing offset (7 rows of ``smic_apex.xlsx``) is set to the folder's last frame and
    reported.
    """
    modality = str(modality).upper()
    if modality not in _FPS:
        raise ValueError(f"modality must be one of {sorted(_FPS)}, got {modality!r}")
    root = os.fspath(root)
    base = _find_base(root, modality)
    folders, lookup, layout = _scan(base)
    rb = RowBuilder("smic", errata=errata, check_frames=check_frames,
                    source=base if annotations is None else annotations)
    fps = _FPS[modality]
    if annotations is None:
        if not folders:
            raise ValueError(
                f"load_smic: no {modality} clip folders under {base!r} (looked for "
                f"{modality}/s1/micro/<class>/<clip>/ and SMIC_{modality}_E/s01/<clip>/); check root and modality")
        for (subject, clip), (emotion, folder) in sorted(folders.items()):
            where = {"subject": subject, "clip": clip}
            try:
                frames = list_frames(folder)
            except (OSError, ValueError) as exc:
                rb.note(where, "frame_dir", "dropped", folder, None, str(exc))
                continue
            if not frames:
                rb.note(where, "frame_dir", "dropped", folder, None, "no image files")
                continue
            rb.add({"subject": subject, "clip": clip, "onset": min(frames), "apex": None, "offset": max(frames),
                    "emotion_raw": emotion, "aus_raw": None, "fps": fps, "frame_dir": folder,
                    "sheet_row": None, "modality": modality}, apex_optional=True)
        return rb.build("smic")
    form, df = _read_smic_sheet(annotations, modality)
    ctx = {"root": root, "base": base, "lookup": lookup, "layout": layout, "modality": modality, "fps": fps}
    rows = _apex_rows(df, rb, ctx) if form == "apex" else _official_rows(df, rb, ctx)
    for rec in rows:
        found = lookup.get((_n(rec["subject"]), _n(rec.pop("_lookup_clip"))))
        if rb.add(rec, apex_optional=True) and found and found[0] and found[0] != rb.rows[-1]["emotion"]:
            rb.note(rec, "emotion", "note", found[0], rb.rows[-1]["emotion"],
                    f"class folder {found[0]!r} disagrees with the sheet label; the sheet is used")
    return rb.build("smic")


# ----------------------------------------------------------------------------- sheets
def _read_smic_sheet(path, modality):
    """``("apex" | "official", DataFrame)`` for either SMIC sheet format."""
    import pandas as pd

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"annotation file {path!r} does not exist")
    sheet = 0
    if path.lower().endswith((".xlsx", ".xlsm", ".xls")):
        with pd.ExcelFile(path) as xl:
            names = list(xl.sheet_names)
        by_mod = {str(s).strip().upper(): s for s in names}
        if any(m in by_mod for m in _FPS):
            if modality not in by_mod:
                raise ValueError(f"annotation file {path!r} has the sheets {names} but none named {modality!r}; "
                                 f"pass modality= one of {[m for m in _FPS if m in by_mod]}")
            return "official", read_sheet(path, ("Subject", "Filename", "OnsetF"), sheet_name=by_mod[modality])
    try:
        return "apex", read_sheet(path, ("subject", "clip"), sheet_name=sheet)
    except ValueError as apex_err:
        try:
            return "official", read_sheet(path, ("Subject", "Filename", "OnsetF"), sheet_name=sheet)
        except ValueError:
            raise ValueError(
                f"annotation file {path!r} is in neither SMIC sheet format: no header row with the smic_apex "
                f"columns {list(APEX_COLUMNS)} nor with the SMIC-E annotation columns {list(OFFICIAL_COLUMNS)}. "
                f"{apex_err}") from None


def _apex_rows(df, rb, ctx):
    c = {k: col(df, *k.split("|")) for k in ("data", "subject", "clip", "label", "onset_frame|onset",
                                             "apex_frame|apex", "offset_frame|offset")}
    paths = [col(df, p) for p in _PATH_COLUMNS]
    paths = [p for p in paths if p is not None]
    modality = ctx["modality"]
    for _, r in df.iterrows():
        row_no = int(r["_sheet_row"])
        subj = cell_text(r[c["subject"]])
        clip = cell_text(r[c["clip"]])
        where = {"subject": subj, "clip": clip, "sheet_row": row_no}
        row_paths = [cell_text(r[p]) for p in paths if not _blank(r[p])]
        if c["data"] and not _blank(r[c["data"]]):
            data = cell_text(r[c["data"]])
            found_mod = _modality_of(data)
            if found_mod is None and _names_smic(data):
                found_mod = next((m for m in map(_modality_of, row_paths) if m), "HS")
            if found_mod is None:
                rb.note(where, "data", "dropped", data, None,
                        f"data value {data!r} names none (or several) of HS, VIS, NIR")
                continue
            if found_mod != modality:
                rb.note(where, "data", "dropped", data, found_mod,
                        f"row of modality {found_mod}, not the requested {modality}")
                continue
        subject = _subject_name(subj)
        if subject is None:
            rb.note(where, "subject", "dropped", subj or None, None,
                    "subject is empty or not a subject id (s1, s01 or 1)")
            continue
        label = r[c["label"]] if c["label"] else None
        try:
            emotion_raw = _LABELS[int(float(label))]
        except (TypeError, ValueError, KeyError):
            emotion_raw = label
        folder = _folder(ctx, subject, clip, emotion_raw, row_paths)
        yield {"subject": subject, "clip": clip, "onset": r[c["onset_frame|onset"]],
               "apex": r[c["apex_frame|apex"]] if c["apex_frame|apex"] else None,
               "offset": r[c["offset_frame|offset"]] if c["offset_frame|offset"] else None,
               "emotion_raw": emotion_raw, "aus_raw": None, "fps": ctx["fps"], "frame_dir": folder,
               "sheet_row": row_no, "modality": modality, "_lookup_clip": clip}


def _official_rows(df, rb, ctx):
    c = {k: col(df, k) for k in ("Subject", "Filename", "OnsetF", "OffsetF", "Onset2F", "Offset2F", "Onset3F",
                                 "Offset3F", "FirstF", "LastF", "Emotion")}
    segments = [(c["OnsetF"], c["OffsetF"])]
    segments += [(c[f"Onset{k}F"], c[f"Offset{k}F"]) for k in (2, 3) if c[f"Onset{k}F"] is not None]
    totals = [col(df, f"TotalMF{k}") for k in range(1, len(segments) + 1)]
    for _, r in df.iterrows():
        row_no = int(r["_sheet_row"])
        subj = cell_text(r[c["Subject"]])
        clip = cell_text(r[c["Filename"]])
        subject = _subject_name(subj)
        if subject is None:
            rb.note({"subject": subj, "clip": clip, "sheet_row": row_no}, "subject", "dropped", subj or None, None,
                    "subject is empty or not a subject id (s1, s01 or 1)")
            continue
        emotion_raw = r[c["Emotion"]] if c["Emotion"] else None
        folder = _folder(ctx, subject, clip, emotion_raw, [])
        present = [k for k, (on, off) in enumerate(segments, 1)
                   if k == 1 or not (_blank(r[on]) and (off is None or _blank(r[off])))]
        recs = []
        for k in present:
            on, off = segments[k - 1]
            name = clip if k == 1 else f"{clip}_seg{k}"
            recs.append({"subject": subject, "clip": name, "onset": r[on], "apex": None,
                         "offset": r[off] if off is not None else None, "emotion_raw": emotion_raw, "aus_raw": None,
                         "fps": ctx["fps"], "frame_dir": folder, "sheet_row": row_no, "modality": ctx["modality"],
                         "segment": k, "_lookup_clip": clip})
        recs = _valid_segments(r, recs, c, totals, rb)
        for rec in recs:
            k = rec["segment"]
            if k > 1:
                on, off = segments[k - 1]
                rb.note(rec, "segment", "note", f"Onset{k}F..Offset{k}F = {cell_text(r[on])}..{cell_text(r[off])}",
                        rec["clip"], f"row {clip!r} has {len(recs)} ME segments: segment {k} is its own clip "
                                     f"{rec['clip']!r} (same frame folder; the first segment keeps the name {clip!r})")
            yield rec


def _valid_segments(r, recs, c, totals, rb):
    """The segments of one official-sheet row that are ME segments of its clip; the others are reported.

    A segment is dropped when its onset or offset lies outside the row's ``FirstF..LastF`` (the
    clip's frames; only checked when both cells hold frame numbers) or when it repeats an earlier
    segment of the row (same onset and offset). The sheet's ``TotalMF<k>`` is quoted in the
    reason.
    """
    bounds = [_to_frame_number(r[c[k]])[0] if c[k] else None for k in ("FirstF", "LastF")]
    first, last = bounds if None not in bounds else (None, None)
    kept, seen = [], {}
    for rec in recs:
        k = rec["segment"]
        on, off = _to_frame_number(rec["onset"])[0], _to_frame_number(rec["offset"])[0]
        cells = "OnsetF..OffsetF" if k == 1 else f"Onset{k}F..Offset{k}F"
        raw = f"{cells} = {cell_text(rec['onset'])}..{cell_text(rec['offset'])}"
        total = totals[k - 1] if k - 1 < len(totals) else None
        total_raw = cell_text(r[total]) if total is not None else ""
        stated = f"; the sheet's TotalMF{k} is {total_raw}" if total_raw else ""
        if first is not None and on is not None and off is not None and (on < first or off > last):
            rb.note(rec, "segment", "dropped", raw, None,
                    f"segment {k} ({on}..{off}) lies outside the clip's frames FirstF..LastF = {first}..{last}"
                    f"{stated}")
            continue
        if on is not None and off is not None and (on, off) in seen:
            rb.note(rec, "segment", "dropped", raw, None,
                    f"segment {k} ({on}..{off}) repeats segment {seen[(on, off)]} of the same row")
            continue
        if on is not None and off is not None:
            seen[(on, off)] = k
        kept.append(rec)
    return kept


def _modality_of(data):
    """The modality named in a ``data`` cell (``HS``, ``SMIC-HS``, ``smic_hs`` ...), None if not exactly one."""
    text = re.sub(r"[^A-Z]", " ", str(data).upper())
    found = {m for m in _FPS if re.search(rf"(?<![A-Z]){m}(?![A-Z])", text)}
    return found.pop() if len(found) == 1 else None


def _names_smic(data):
    return re.fullmatch(r"smic(?:[-_ ]?e)?", str(data).strip().lower()) is not None


def _subject_name(text):
    """``s01``/``S1``/``1``/``1.0`` -> the sheet's spelling or ``s<n>``; None for empty or non-ids."""
    if re.fullmatch(r"[sS][A-Za-z]*\d+", text):  # s1, s01, S1, sub01
        return text
    if re.fullmatch(r"\d+(\.0*)?", text):
        return f"s{int(float(text))}"
    return None


def _n(text):
    return re.sub(r"\d+", lambda m: str(int(m.group(0))), str(text).strip().lower())


# ----------------------------------------------------------------------------- folders
def _child(folder, name):
    """``folder/name`` matched case-insensitively, or None."""
    try:
        for entry in os.listdir(folder):
            if entry.lower() == name.lower() and os.path.isdir(os.path.join(folder, entry)):
                return os.path.join(folder, entry)
    except OSError:
        return None
    return None


def _find_base(root, modality):
    """The folder holding the subject folders of ``modality``."""
    for parts in ((modality,), (f"SMIC_{modality}_E",), (f"{modality}_long", f"SMIC_{modality}_E"),
                  (f"{modality}_long",)):
        folder = root
        for p in parts:
            folder = _child(folder, p) if folder else None
        if folder:
            return folder
    return root


def _scan(base):
    """(subject, clip) -> (emotion or None, folder), the same keyed by normalised names, and the layout.

    The layout is ``"micro"`` (``s1/micro/<class>/<clip>/``) or ``"E"`` (``s01/<clip>/``).
    """
    out, norm, layout = {}, {}, "micro"
    if not os.path.isdir(base):
        return out, norm, layout
    for subject in sorted(os.listdir(base)):
        sdir = os.path.join(base, subject)
        micro = _child(sdir, "micro")
        if micro:
            for cls in sorted(os.listdir(micro)):
                cdir = os.path.join(micro, cls)
                if not os.path.isdir(cdir):
                    continue
                emotion = _FOLDER.get(cls.lower(), cls.lower())
                for clip in sorted(os.listdir(cdir)):
                    if os.path.isdir(os.path.join(cdir, clip)):
                        out[(subject, clip)] = (emotion, os.path.join(cdir, clip))
        elif _SUBJECT_DIR.fullmatch(subject) and os.path.isdir(sdir):
            for clip in sorted(os.listdir(sdir)):
                if os.path.isdir(os.path.join(sdir, clip)):
                    m = _CODE.search(f"_{clip}_")
                    out[(subject, clip)] = (_FOLDER[m.group(1).lower()] if m else None, os.path.join(sdir, clip))
                    layout = "E"
    for (subject, clip), v in out.items():
        norm[(_n(subject), _n(clip))] = v
    return out, norm, layout


def _folder(ctx, subject, clip, emotion_raw, paths):
    """The clip's frame folder: found on disk by name, else through a path column, else the layout's spelling."""
    found = ctx["lookup"].get((_n(subject), _n(clip)))
    if found:
        return found[1]
    for p in paths:
        parts = [x for x in re.split(r"[\\/]+", p) if x][:-1]  # drop the file name
        for k in range(len(parts)):
            for start in (ctx["root"], ctx["base"]):
                cand = os.path.join(start, *parts[k:])
                if os.path.isdir(cand):
                    return cand
    if ctx["layout"] == "E":
        m = re.search(r"\d+", subject)
        sdir = f"s{int(m.group(0)):02d}" if m else subject
        return os.path.join(ctx["base"], sdir, clip)
    return os.path.join(ctx["base"], subject, "micro", str(emotion_raw), clip)
