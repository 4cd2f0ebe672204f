"""SMIC loader (METHODS §10): ``<root>/HS/s1/micro/negative/s1_ne_01/image<frame>.bmp``."""

import os
import re

from mefeat.datasets._base import RowBuilder, _isna, cell_text, col, list_frames, read_sheet

__all__ = ["load_smic"]

_FPS = {"HS": 100.0, "VIS": 25.0, "NIR": 25.0}
_LABELS = {0: "negative", 1: "positive", 2: "surprise"}
_FOLDER = {"ne": "negative", "po": "positive", "sur": "surprise"}


def load_smic(root, annotations=None, *, modality="HS", errata=None, check_frames=True):
    """Load SMIC (HS, VIS or NIR).

    Parameters
    ----------
    root : str or path-like
        The SMIC folder holding ``HS/``, ``VIS/``, ``NIR/`` (or directly the modality folder
        holding ``s1/ s2/ ...``).
    annotations : str or path-like, optional
        A sheet with the columns ``data, subject, clip, label, onset_frame, apex_frame,
        offset_frame`` (``smic_apex.xlsx``; ``label`` 0/1/2 = negative/positive/surprise;
        ``data`` names the modality, also as ``SMIC-HS``/``smic_hs``; rows of another modality,
        with an unrecognised ``data`` value or without a subject id are dropped and reported).
        None: SMIC ships no sheet, so every clip folder under ``s*/micro/<class>/`` is one clip
        spanning all its frames, the label is the class folder, apex None.
    modality : {"HS", "VIS", "NIR"}
    errata : dict, optional
        Extra fixes keyed by ``("smic", subject, clip)``.
    check_frames : bool, default True

    Returns
    -------
    MEDataset
        fps 100 (HS) or 25 (VIS/NIR); emotions ``negative``/``positive``/``surprise``;
        subjects ``s1`` ... as in the folder names.

    Notes
    -----
    The original SMIC has **no apex labels**: ``apex`` is None and :attr:`mefeat.Clip.apex_or_middle`
    gives the middle frame (meb's choice). With a sheet whose ``label`` disagrees with the
    class folder, the sheet wins and the disagreement is reported.
    """
    modality = str(modality).upper()
    if modality not in _FPS:
        raise ValueError(f"modality must be one of {sorted(_FPS)}, got {modality!r}")
    root = os.fspath(root)
    base = os.path.join(root, modality) if os.path.isdir(os.path.join(root, modality)) else root
    folders, lookup = _scan(base)
    rb = RowBuilder("smic", errata=errata, check_frames=check_frames)
    if annotations is None:
        for (subject, clip), (emotion, folder) in sorted(folders.items()):
            try:
                frames = list_frames(folder)
            except (OSError, ValueError) as exc:
                rb.note({"subject": subject, "clip": clip}, "frame_dir", "dropped", folder, None, str(exc))
                continue
            if not frames:
                rb.note({"subject": subject, "clip": clip}, "frame_dir", "dropped", folder, None, "no image files")
                continue
            rb.add({"subject": subject, "clip": clip, "onset": min(frames), "apex": None, "offset": max(frames),
                    "emotion_raw": emotion, "aus_raw": None, "fps": _FPS[modality], "frame_dir": folder,
                    "sheet_row": None, "modality": modality}, apex_optional=True)
        return rb.build("smic")
    df = read_sheet(annotations, ("subject", "clip"))
    c = {k: col(df, *k.split("|")) for k in ("data", "subject", "clip", "label", "onset_frame|onset",
                                             "apex_frame|apex", "offset_frame|offset")}
    for _, r in df.iterrows():
        row_no = int(r["_sheet_row"])
        subj = cell_text(r[c["subject"]])
        clip = cell_text(r[c["clip"]])
        where = {"subject": subj, "clip": clip, "sheet_row": row_no}
        if c["data"] and not _isna(r[c["data"]]):
            data = str(r[c["data"]]).strip()
            found_mod = _modality_of(data)
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
        found = lookup.get((_n(subject), _n(clip)))
        folder = found[1] if found else os.path.join(base, subject, "micro", str(emotion_raw), clip)
        rec = {"subject": subject, "clip": clip, "onset": r[c["onset_frame|onset"]],
               "apex": r[c["apex_frame|apex"]] if c["apex_frame|apex"] else None,
               "offset": r[c["offset_frame|offset"]], "emotion_raw": emotion_raw, "aus_raw": None,
               "fps": _FPS[modality], "frame_dir": folder, "sheet_row": row_no, "modality": modality}
        if rb.add(rec, apex_optional=True) and found and found[0] != rb.rows[-1]["emotion"]:
            rb.note(rec, "emotion", "note", found[0], rb.rows[-1]["emotion"],
                    f"class folder {found[0]!r} disagrees with the sheet label; the sheet is used")
    return rb.build("smic")


def _modality_of(data):
    """The modality named in a ``data`` cell (``HS``, ``SMIC-HS``, ``smic_hs`` ...), None if not exactly one."""
    text = re.sub(r"[^A-Z]", " ", str(data).upper())
    found = {m for m in _FPS if m in text}
    return found.pop() if len(found) == 1 else None


def _subject_name(text):
    """``s01``/``S1``/``1``/``1.0`` -> the sheet's spelling or ``s<n>``; None for empty or non-ids."""
    if re.fullmatch(r"[sS][A-Za-z]*\d+", text):  # s1, s01, S1, sub01
        return text
    if re.fullmatch(r"\d+(\.0*)?", text):
        return f"s{int(float(text))}"
    return None


def _n(text):
    return re.sub(r"\d+", lambda m: str(int(m.group(0))), str(text).strip().lower())


def _scan(base):
    """Two dicts (subject, clip) -> (emotion, folder): as named on disk, and with normalised names."""
    out, norm = {}, {}
    if not os.path.isdir(base):
        return out, norm
    for subject in os.listdir(base):
        micro = os.path.join(base, subject, "micro")
        if not os.path.isdir(micro):
            continue
        for cls in os.listdir(micro):
            emotion = _FOLDER.get(cls.lower(), cls.lower())
            for clip in os.listdir(os.path.join(micro, cls)):
                folder = os.path.join(micro, cls, clip)
                if os.path.isdir(folder):
                    out[(subject, clip)] = (emotion, folder)
                    norm[(_n(subject), _n(clip))] = (emotion, folder)
    return out, norm
