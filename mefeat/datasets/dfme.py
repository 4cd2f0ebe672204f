"""DFME loader: ``<root>/<Filename>/<frame:05d>.png`` + the *_full_with_AU.xlsx sheets."""

import os
import re

from mefeat.datasets._base import RowBuilder, cell_text, col, read_sheet
from mefeat.datasets._vocab import DFME_EMOTIONS

__all__ = ["load_dfme", "split_name"]

DFME_COLUMNS = ("Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Emotion", "EmotionId", "Fps", "AU")


def load_dfme(root, annotations, *, errata=None, check_frames=True, name="dfme"):
    """Load DFME (or any data in its release format, such as the demo set).

    Parameters
    ----------
    root : str or path-like
        Folder holding one sub-folder per clip, ``<root>/<Filename>/00000.png ...``.
    annotations : str or path-like, or sequence of them
        The sheet(s) ``training_full_with_AU.xlsx``, ``testA_full_with_AU.xlsx``,
        ``testB_full_with_AU.xlsx`` (columns ``Subject | Filename | OnsetFrame | ApexFrame |
        OffsetFrame | Emotion | EmotionId | Fps | AU``). Several sheets are concatenated; the
        ``split`` column says which sheet a clip comes from (see Returns).
    errata : dict, optional
        Extra fixes keyed by ``("dfme", subject, clip)`` (see :mod:`mefeat.datasets._errata`).
    check_frames : bool, default True
        Drop (and report) rows whose frame folder does not exist or does not hold every frame of
        onset..offset (the validation report names the missing frame numbers).
    name : str, default "dfme"
        The ``dataset`` column value.

    Returns
    -------
    MEDataset
        Emotions in DFME's 7 classes; ``EmotionId`` is checked against DFME's numbering
        (alphabetical: anger 0, contempt 1, disgust 2, fear 3, happiness 4, sadness 5,
        surprise 6) and disagreements are reported (the ``Emotion`` text wins). ``split`` is
        ``"train"``, ``"testA"`` or ``"testB"`` for the official sheets, recognised from the file
        name case-insensitively (``training_full_with_AU.xlsx`` -> ``"train"``,
        ``testA_full_with_AU.xlsx`` -> ``"testA"``, ``TESTB.csv`` -> ``"testB"``); any other sheet
        gives its file name without extension.

    Raises
    ------
    FileNotFoundError, ValueError
        Missing sheet, or no header row with the DFME columns.

    Notes
    -----
    Frame numbers are the 0-based numbers in the file names (``00109.png`` = frame 109);
    that the sheet counts from 0 like the files is inferred from the data, not documented by
    DFME. The AU cell is an int or ``+``-joined
    tokens with L/R/AD/M prefixes.

    Examples
    --------
    >>> ds = load_dfme(root, "training_full_with_AU.xlsx")  # doctest: +SKIP
    >>> ds[0].frames.shape, ds.y[:3]                        # doctest: +SKIP
    """
    if isinstance(annotations, (str, os.PathLike)):
        annotations = [annotations]
    rb = RowBuilder(name, errata=errata, check_frames=check_frames,
                    source=annotations[0] if len(annotations) == 1 else None)
    root = os.fspath(root)
    for path in annotations:
        df = read_sheet(path, ("Subject", "Filename", "OnsetFrame", "OffsetFrame"))
        c = {k: col(df, k) for k in DFME_COLUMNS}
        split = split_name(path)
        for _, r in df.iterrows():
            rec = {
                "subject": r[c["Subject"]], "clip": r[c["Filename"]],
                "onset": r[c["OnsetFrame"]], "apex": r[c["ApexFrame"]] if c["ApexFrame"] else None,
                "offset": r[c["OffsetFrame"]],
                "emotion_raw": r[c["Emotion"]] if c["Emotion"] else None,
                "aus_raw": r[c["AU"]] if c["AU"] else None,
                "fps": r[c["Fps"]] if c["Fps"] else None,
                "frame_dir": os.path.join(root, cell_text(r[c["Filename"]])),
                "sheet_row": int(r["_sheet_row"]), "split": split,
            }
            if rb.add(rec) and c["EmotionId"] is not None:
                kept = rb.rows[-1]
                eid = r[c["EmotionId"]]
                try:
                    expected = DFME_EMOTIONS[int(eid)]
                except (TypeError, ValueError, IndexError):
                    expected = None
                if kept["emotion"] is not None and expected != kept["emotion"]:
                    rb.note(kept, "EmotionId", "note", eid, kept["emotion"],
                            f"EmotionId {eid!r} does not match Emotion {kept['emotion_raw']!r}; the text is used")
    return rb.build(name)


def split_name(path):
    """The DFME split a sheet holds, from its file name: ``"train"``, ``"testA"``, ``"testB"`` or the file stem.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    str

    Examples
    --------
    >>> split_name("DFME/training_full_with_AU.xlsx"), split_name("testA_full_with_AU.xlsx")
    ('train', 'testA')
    >>> split_name("TestB.csv"), split_name("my_sheet.xlsx")
    ('testB', 'my_sheet')
    """
    stem = os.path.splitext(os.path.basename(os.fspath(path)))[0]
    low = stem.lower()
    found = [name for name, pat in (("train", r"train"), ("testA", r"test[ _-]?a(?![a-z])"),
                                    ("testB", r"test[ _-]?b(?![a-z])")) if re.search(pat, low)]
    return found[0] if len(found) == 1 else stem
