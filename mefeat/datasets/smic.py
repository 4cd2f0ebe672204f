"""SMIC loader (METHODS §10): ``<root>/HS/s1/micro/negative/s1_ne_01/image<frame>.bmp``."""

import os
import re

from mefeat.datasets._base import RowBuilder, _isna, col, list_frames, read_sheet

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
        rows whose ``data`` is another modality are skipped). None: SMIC ships no sheet, so
        every clip folder under ``s*/micro/<class>/`` is one clip spanning all its frames, the
        label is the class folder, apex None.
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
            frames = list_frames(folder)
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
        if c["data"] and not _isna(r[c["data"]]) and str(r[c["data"]]).strip().upper() != modality:
            continue
        subj = str(r[c["subject"]]).strip()
        subject = subj if subj.lower().startswith("s") else f"s{int(float(subj))}"
        clip = str(r[c["clip"]]).strip()
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
               "fps": _FPS[modality], "frame_dir": folder, "sheet_row": int(r["_sheet_row"]), "modality": modality}
        if rb.add(rec, apex_optional=True) and found and found[0] != rb.rows[-1]["emotion"]:
            rb.note(rec, "emotion", "note", found[0], rb.rows[-1]["emotion"],
                    f"class folder {found[0]!r} disagrees with the sheet label; the sheet is used")
    return rb.build("smic")


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
