"""MMEW loader: ``<root>/<emotion>/<Filename>/`` + MMEW_Micro_Exp.xlsx."""

import os

from mefeat.datasets._base import RowBuilder, cell_text, col, read_sheet

__all__ = ["load_mmew"]


def load_mmew(root, annotations, *, errata=None, check_frames=True):
    """Load MMEW (micro-expressions).

    Parameters
    ----------
    root : str or path-like
        Folder with one sub-folder per emotion, each holding one folder per clip.
    annotations : str or path-like
        ``MMEW_Micro_Exp.xlsx`` (``Subject | Filename | OnsetFrame | ApexFrame | OffsetFrame |
        Action Units | Estimated Emotion | remarks``).
    errata : dict, optional
        Extra fixes keyed by ``("mmew", subject, clip)``.
    check_frames : bool, default True
        Drop (and report) rows whose frame folder does not exist or does not hold every frame of
        onset..offset (the validation report names the missing frame numbers).

    Returns
    -------
    MEDataset
        fps = 90. ``others`` stays ``others`` (meb relabels it ``repression``; do that
        yourself if you need meb's label set).

    Notes
    -----
    The emotion folder is looked up as written in the sheet, then lower-case, then
    capitalised. meb's 16 apex/offset fixes are keyed by row position and not applied;
    apexes outside onset..offset become None (reported).
    """
    df = read_sheet(annotations, ("Subject", "Filename", "OnsetFrame"))
    c = {k: col(df, k) for k in ("Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame",
                                 "Action Units", "Estimated Emotion", "remarks")}
    rb = RowBuilder("mmew", errata=errata, check_frames=check_frames, source=annotations)
    root = os.fspath(root)
    for _, r in df.iterrows():
        emo = r[c["Estimated Emotion"]] if c["Estimated Emotion"] else None
        clip = cell_text(r[c["Filename"]])
        folder = None
        text = cell_text(emo)
        for cand in dict.fromkeys([text, text.lower(), text.capitalize()] if text else []):
            if clip and os.path.isdir(os.path.join(root, cand, clip)):
                folder = os.path.join(root, cand, clip)
                break
        rb.add({"subject": r[c["Subject"]], "clip": clip, "onset": r[c["OnsetFrame"]],
                "apex": r[c["ApexFrame"]] if c["ApexFrame"] else None, "offset": r[c["OffsetFrame"]],
                "emotion_raw": emo, "aus_raw": r[c["Action Units"]] if c["Action Units"] else None,
                "fps": 90.0, "frame_dir": folder or os.path.join(root, text, clip),
                "sheet_row": int(r["_sheet_row"]), "remarks": r[c["remarks"]] if c["remarks"] else None})
    return rb.build("mmew")
