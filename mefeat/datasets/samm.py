"""SAMM loader: ``<root>/006/006_1_2/006_05562.jpg`` + SAMM_Micro_FACS_Codes_v2.xlsx."""

import os

from mefeat.datasets._base import RowBuilder, cell_text, col, read_sheet, subject_code

__all__ = ["load_samm"]


def load_samm(root, annotations, *, errata=None, check_frames=True):
    """Load SAMM (micro-movements).

    Parameters
    ----------
    root : str or path-like
        Folder with ``006/006_1_2/006_05562.jpg ...``.
    annotations : str or path-like
        ``SAMM_Micro_FACS_Codes_v2.xlsx``. The text preamble is skipped by locating the header
        row (``Subject | Filename | Inducement Code | Onset Frame | Apex Frame | Offset Frame |
        Duration | Micro | Action Units | Estimated Emotion | Objective Classes | Notes``), so
        both the official sheet (header on row 13) and cleaned copies work.
    errata : dict, optional
        Extra fixes keyed by ``("samm", subject, clip)``.
    check_frames : bool, default True
        Drop (and report) rows whose frame folder does not exist or does not hold every frame of
        onset..offset (the validation report names the missing frame numbers).

    Returns
    -------
    MEDataset
        fps = 200; subjects as 3-digit strings ``"006"``; the ``objective_class`` column keeps
        the Objective Classes value.

    Notes
    -----
    Frame numbers are absolute within the long recording (``006_05562.jpg`` = 5562). Messy
    AU strings (``R12 or R14``, ``ref(7B)``, ``10A/B``, ``A12``) are parsed leniently and
    reported; alternatives keep both AUs (meb instead picks one by looking at the flow, keyed
    by row position, not reproduced). A ``/`` or ``-1`` apex becomes None (reported).
    """
    df = read_sheet(annotations, ("Subject", "Filename", "Onset Frame"))
    c = {k: col(df, k) for k in ("Subject", "Filename", "Onset Frame", "Apex Frame", "Offset Frame",
                                 "Action Units", "Estimated Emotion")}
    c["Objective Classes"] = col(df, "Objective Classes", "Objective Class")
    rb = RowBuilder("samm", errata=errata, check_frames=check_frames, source=annotations)
    root = os.fspath(root)
    for _, r in df.iterrows():
        subject = subject_code(r[c["Subject"]], 3)
        clip = cell_text(r[c["Filename"]])
        rb.add({"subject": subject, "clip": clip, "onset": r[c["Onset Frame"]],
                "apex": r[c["Apex Frame"]] if c["Apex Frame"] else None, "offset": r[c["Offset Frame"]],
                "emotion_raw": r[c["Estimated Emotion"]] if c["Estimated Emotion"] else None,
                "aus_raw": r[c["Action Units"]] if c["Action Units"] else None, "fps": 200.0,
                "frame_dir": os.path.join(root, subject, clip), "sheet_row": int(r["_sheet_row"]),
                "objective_class": r[c["Objective Classes"]] if c["Objective Classes"] else None})
    return rb.build("samm")
