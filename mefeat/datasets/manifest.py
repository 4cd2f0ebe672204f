"""Your own data: a documented CSV manifest (``load_manifest``)."""

import os

from mefeat.datasets._base import RowBuilder, col, read_sheet

__all__ = ["load_manifest", "MANIFEST_COLUMNS"]

#: Required and optional columns of a manifest.
MANIFEST_COLUMNS = {"required": ("subject", "clip", "frame_dir", "onset"),
                    "optional": ("offset", "apex", "emotion", "aus", "fps", "dataset")}


def load_manifest(path, *, root=None, name="manifest", check_frames=True):
    """Load clips listed in a CSV (or xlsx) manifest.

    Parameters
    ----------
    path : str or path-like
        A table with the columns ``subject, clip, frame_dir, onset`` and optionally
        ``offset, apex, emotion, aus, fps, dataset``. ``frame_dir`` holds the frames of the clip,
        one image per frame (png/jpg/bmp/tif/pgm), each named with its frame number as the
        last number in the file name (``img46.jpg``, ``00046.png``, ``face_0046.png``).
        ``onset``/``apex``/``offset`` are those frame numbers; a missing ``offset`` means the
        last frame; ``aus`` is e.g. ``"4+L12"``; ``emotion`` any spelling of the canonical
        vocabulary (others are kept raw, emotion None, and reported).
    root : str, optional
        Base for relative ``frame_dir`` values (default: the manifest's folder).
    name : str, default "manifest"
        Dataset name (used unless a ``dataset`` column is present).
    check_frames : bool, default True
        Drop (and report) rows whose frame folder does not exist or does not hold every frame of
        onset..offset (the validation report names the missing frame numbers).

    Returns
    -------
    MEDataset

    Examples
    --------
    A manifest::

        subject,clip,frame_dir,onset,apex,offset,emotion,aus,fps
        p01,p01_smile,p01/smile,0,12,30,happiness,6+12,200
    """
    path = os.fspath(path)
    df = read_sheet(path, MANIFEST_COLUMNS["required"])
    base = os.fspath(root) if root is not None else os.path.dirname(os.path.abspath(path))
    c = {k: col(df, k) for k in MANIFEST_COLUMNS["required"] + MANIFEST_COLUMNS["optional"]}
    rb = RowBuilder(name, check_frames=check_frames, source=path)
    for _, r in df.iterrows():
        fd = str(r[c["frame_dir"]]).strip()
        get = (lambda k, r=r: r[c[k]] if c[k] else None)  # noqa: E731
        rb.add({"subject": r[c["subject"]], "clip": r[c["clip"]], "onset": r[c["onset"]],
                "apex": get("apex"), "offset": get("offset"), "emotion_raw": get("emotion"),
                "aus_raw": get("aus"), "fps": get("fps"), "frame_dir": os.path.join(base, fd),
                "sheet_row": int(r["_sheet_row"]), "dataset": get("dataset")}, apex_optional=True)
    return rb.build(name)
