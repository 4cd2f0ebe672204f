"""CASME II loader: ``<root>/sub01/EP02_01f/img46.jpg`` + CASME2-coding-*.xlsx."""

import os

from mefeat.datasets._base import RowBuilder, cell_text, col, read_sheet, subject_code

__all__ = ["load_casme2"]


def load_casme2(root, annotations, *, errata=None, check_frames=True):
    """Load CASME II.

    Parameters
    ----------
    root : str or path-like
        Folder with ``sub01/EP02_01f/img46.jpg ...`` (raw release) or the cropped release
        (``reg_img46.jpg``): the frame number is the last number in the file name.
    annotations : str or path-like
        ``CASME2-coding-20140508.xlsx`` (Sheet1: ``Subject | Filename | OnsetFrame | ApexFrame |
        OffsetFrame | Action Units | Estimated Emotion``; blank "Unnamed" columns are ignored) or
        ``CASME2-coding-20190701.xlsx`` (adds ``Objective Classes``).
    errata : dict, optional
        Extra fixes keyed by ``("casme2", subject, clip)``.
    check_frames : bool, default True
        Drop (and report) rows whose frame folder does not exist or does not hold every frame of
        onset..offset (the validation report names the missing frame numbers).

    Returns
    -------
    MEDataset
        fps = 200; subjects as zero-padded strings ``"01"``; emotions in the canonical
        vocabulary (``others``, ``disgust``, ``happiness``, ``repression``, ``surprise``,
        ``sadness``, ``fear``); the ``objective_class`` column keeps the Objective Classes
        value (None when the sheet has no such column), as for SAMM and CAS(ME)³.

    Notes
    -----
    Frame numbers are the original video's indices (``OnsetFrame = 46`` <-> ``img46.jpg``).
    A missing apex (``/`` in some sheet versions, 21 rows) becomes None and is reported; meb's
    estimated apexes are keyed by row position and are not applied (see :mod:`._errata`).
    The AU cell may hold ``?`` (reported, parsed as no AU).
    """
    df = read_sheet(annotations, ("Subject", "Filename", "OnsetFrame"))
    c = {k: col(df, k) for k in ("Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame",
                                 "Action Units", "Estimated Emotion")}
    c["Objective Classes"] = col(df, "Objective Classes", "Objective Class")
    rb = RowBuilder("casme2", errata=errata, check_frames=check_frames, source=annotations)
    root = os.fspath(root)
    for _, r in df.iterrows():
        subject = subject_code(r[c["Subject"]], 2)
        clip = cell_text(r[c["Filename"]])
        rb.add({"subject": subject, "clip": clip, "onset": r[c["OnsetFrame"]],
                "apex": r[c["ApexFrame"]] if c["ApexFrame"] else None, "offset": r[c["OffsetFrame"]],
                "emotion_raw": r[c["Estimated Emotion"]] if c["Estimated Emotion"] else None,
                "aus_raw": r[c["Action Units"]] if c["Action Units"] else None, "fps": 200.0,
                "frame_dir": os.path.join(root, f"sub{subject}", clip), "sheet_row": int(r["_sheet_row"]),
                "objective_class": r[c["Objective Classes"]] if c["Objective Classes"] else None})
    return rb.build("casme2")
