"""CAS(ME)³ part A loader: ``<root>/<subject>/<material>/color/<idx>.jpg``."""

import os

from mefeat.datasets._base import RowBuilder, cell_text, col, read_sheet

__all__ = ["load_casme3"]


def load_casme3(root, annotations, *, errata=None, check_frames=True, sheet_name=None):
    """Load CAS(ME)³ part A micro-expressions.

    Parameters
    ----------
    root : str or path-like
        Part A folder: ``<root>/spNO.1/a/color/0.jpg ...``.
    annotations : str or path-like
        ``cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx`` (columns ``Subject | Filename | Onset |
        Apex | Offset | AU | Objective class | emotion``); sheet "label" is used when present.
    errata : dict, optional
        Extra fixes keyed by ``("casme3", subject, clip)`` where ``clip`` is the final (suffixed)
        name: ``"a_2"`` fixes only the second sheet row of video ``a``, ``"a"`` only the first.
    check_frames : bool, default True
        Drop (and report) rows whose frame folder does not exist or does not hold every frame of
        onset..offset (the validation report names the missing frame numbers).
    sheet_name : str or int, optional
        Default: ``"label"`` if the workbook has it, else the first sheet.

    Returns
    -------
    MEDataset
        fps = 30; ``clip`` is the video letter, suffixed ``_2``, ``_3`` ... when one video holds
        several MEs (each suffix is reported; the frames still come from the letter's folder);
        ``material`` keeps the letter; ``objective_class`` the Objective class value.

    Notes
    -----
    Frame indices are the JpgIndex numbers (the sheet stores them as strings; converted and
    reported when irregular). meb's index fixes are keyed by row position and not applied.

    The suffix of a repeated letter is the row's position among **all** sheet rows of that
    (subject, letter), dropped rows included: the rows ``e, e, e, e`` are ``e, e_2, e_3, e_4``
    even when ``e_3`` is dropped (bad frame numbers), so a name, and an erratum keyed by it,
    always designates the same sheet row.
    """
    path = os.fspath(annotations)
    if sheet_name is None:
        sheet_name = 0
        if path.lower().endswith((".xlsx", ".xlsm")):
            try:
                import openpyxl
                wb = openpyxl.load_workbook(path, read_only=True)
                if "label" in wb.sheetnames:
                    sheet_name = "label"
                wb.close()
            except Exception:  # noqa: BLE001 - fall back to the first sheet; read_sheet reports real problems
                pass
    df = read_sheet(path, ("Subject", "Filename", "Onset"), sheet_name=sheet_name)
    c = {k: col(df, k) for k in ("Subject", "Filename", "Onset", "Apex", "Offset", "AU", "emotion")}
    c["Objective class"] = col(df, "Objective class", "Objective classes")
    rb = RowBuilder("casme3", errata=errata, check_frames=check_frames, source=path)
    root = os.fspath(root)
    for _, r in df.iterrows():
        subject = cell_text(r[c["Subject"]])
        material = cell_text(r[c["Filename"]])
        rb.add({"subject": subject, "clip": material, "onset": r[c["Onset"]],
                "apex": r[c["Apex"]] if c["Apex"] else None, "offset": r[c["Offset"]],
                "emotion_raw": r[c["emotion"]] if c["emotion"] else None,
                "aus_raw": r[c["AU"]] if c["AU"] else None, "fps": 30.0,
                "frame_dir": os.path.join(root, subject, material, "color"), "sheet_row": int(r["_sheet_row"]),
                "material": material,
                "objective_class": r[c["Objective class"]] if c["Objective class"] else None})
    return rb.build("casme3")
