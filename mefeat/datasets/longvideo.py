"""Long-video databases for spotting: CAS(ME)² and SAMM Long Videos, one normalised interval table.

Every loader returns a :class:`LongVideoDataset`: one row per annotated interval (micro- or
macro-expression) of a long video, the list of videos, and a validation report of every fixed or
dropped row in the format of the clip loaders (:data:`mefeat.datasets._base.REPORT_COLUMNS`).
Frames are listed lazily (:meth:`LongVideoDataset.frame_paths`); nothing is decoded here.

Supported: CAS(ME)² (``CAS(ME)^2code_final.xlsx``) and SAMM Long Videos (``SAMM_LongVideos_V1_Release.xlsx``
and V2). Not supported yet: CAS(ME)³ part C and SMIC-E-long; their interval tables can be given to
:func:`make_long_video_dataset` directly (see its docstring for the columns).
"""

import glob
import os
import re

import numpy as np

from mefeat.datasets._aus import parse_aus
from mefeat.datasets._base import (
    _objects_with_none,
    cell_text,
    col,
    is_missing,
    list_frames,
    read_sheet,
    report_frame,
    subject_code,
)
from mefeat.datasets._vocab import normalize_emotion

__all__ = ["LongVideoDataset", "INTERVAL_COLUMNS", "load_casme_sq", "load_samm_lv", "make_long_video_dataset"]

#: Columns of :attr:`LongVideoDataset.intervals` (in this order).
INTERVAL_COLUMNS = ("dataset", "video", "subject", "onset", "apex", "offset", "type", "emotion", "emotion_raw",
                    "aus", "aus_raw", "fps", "frame_dir", "sheet_row")
#: Columns of :attr:`LongVideoDataset.videos`.
VIDEO_COLUMNS = ("dataset", "video", "subject", "fps", "frame_dir")
_INT = re.compile(r"^\s*-?\d+(\.0*)?\s*$")


class LongVideoDataset:
    """Annotated long videos: an interval table, a video table and a validation report.

    Parameters
    ----------
    intervals : pandas.DataFrame
        Columns :data:`INTERVAL_COLUMNS`; ``onset``/``apex``/``offset`` are the database's frame
        numbers (the numbers in the frame file names, both ends included), ``apex`` may be <NA>,
        ``type`` is ``"micro"`` or ``"macro"``, ``aus`` a frozenset of int.
    videos : pandas.DataFrame
        Columns :data:`VIDEO_COLUMNS`, one row per video (including videos without intervals).
    name : str
    validation_report : pandas.DataFrame, optional

    Notes
    -----
    ``intervals[["video", "onset", "offset", "type"]]`` is the ground truth that
    :func:`mefeat.spotting.evaluate_spotting` takes.
    """

    def __init__(self, intervals, videos, *, name, validation_report=None):
        self.intervals = _objects_with_none(intervals.reset_index(drop=True))
        self.videos = _objects_with_none(videos.reset_index(drop=True))
        self.name = str(name)
        self.validation_report = report_frame([]) if validation_report is None else validation_report
        #: Planted events of the long-video demo (None for real databases).
        self.events = None

    def __repr__(self):
        counts = self.intervals["type"].value_counts()
        return (f"LongVideoDataset(name={self.name!r}, n_videos={len(self.videos)}, "
                f"n_micro={int(counts.get('micro', 0))}, n_macro={int(counts.get('macro', 0))}, "
                f"report_rows={len(self.validation_report)})")

    @property
    def groups(self):
        """Subject of every interval (the group of a leave-one-subject-out split)."""
        return self.intervals["subject"].to_numpy(dtype=object)

    def video_row(self, video):
        """The :attr:`videos` row of ``video`` as a dict.

        Raises
        ------
        KeyError
            Unknown video (the message lists a few known ones).
        """
        hit = self.videos[self.videos["video"] == str(video)]
        if hit.empty:
            known = ", ".join(map(repr, self.videos["video"].head(5)))
            raise KeyError(f"{self.name}: no video {video!r} (known: {known} ...)")
        return {k: (None if is_missing(v) else v) for k, v in hit.iloc[0].items()}

    def frame_paths(self, video):
        """Frame file paths of ``video`` in frame-number order, and their frame numbers.

        Returns
        -------
        paths : list of str
        numbers : (n_frames,) ndarray of int
            The frame number of each path (the last number in the file name).

        Raises
        ------
        FileNotFoundError
            The folder is missing or holds no image.
        """
        row = self.video_row(video)
        frames = list_frames(row["frame_dir"])
        if not frames:
            raise FileNotFoundError(f"{self.name}: video {video!r}: no image files in {row['frame_dir']!r}")
        numbers = np.array(sorted(frames), dtype=np.int64)
        return [frames[n] for n in numbers], numbers

    def ground_truth(self, types=("micro", "macro")):
        """The interval table's ``video, subject, onset, offset, type, emotion`` columns for the given types."""
        df = self.intervals[self.intervals["type"].isin(types)]
        return df[["video", "subject", "onset", "offset", "type", "emotion"]].reset_index(drop=True)


class _Builder:
    """Collects interval rows and the validation report (the clip loaders' report format)."""

    def __init__(self, dataset):
        self.dataset = dataset
        self.rows, self.report, self.videos = [], [], {}

    def note(self, rec, field, action, raw, value, reason):
        self.report.append({"dataset": self.dataset, "subject": rec.get("subject"), "clip": rec.get("clip"),
                            "sheet_row": rec.get("sheet_row"), "field": field, "action": action,
                            "raw": None if is_missing(raw) else str(raw),
                            "value": None if is_missing(value) else str(value), "reason": reason})

    def add_video(self, video, subject, fps, frame_dir):
        self.videos.setdefault(video, {"dataset": self.dataset, "video": video, "subject": subject, "fps": fps,
                                       "frame_dir": frame_dir})

    def add(self, rec, *, check_frames, apex_optional=False):
        """rec: subject, clip, video, onset, apex, offset, type_raw, emotion_raw, aus_raw, fps, frame_dir, sheet_row."""
        nums = {}
        for field in ("onset", "apex", "offset"):
            raw = rec.get(field)
            text = cell_text(raw)
            nums[field] = int(float(text)) if _INT.match(text) else None
            if nums[field] is None and field != "apex":
                self.note(rec, field, "dropped", raw, None, f"{field} {text!r} is not a frame number")
                return False
            if nums[field] is None and not (apex_optional and not text):
                self.note(rec, field, "fixed", raw, None, f"apex {text!r} is not a frame number: apex set to None")
        onset, apex, offset = nums["onset"], nums["apex"], nums["offset"]
        if offset == 0 and apex not in (None, 0, -1):
            self.note(rec, "offset", "fixed", 0, apex, "offset 0 (not annotated): set to the apex, as the MEGC 2020 "
                      "baseline does")
            offset = apex
        if apex is not None and apex <= 0:
            self.note(rec, "apex", "fixed", apex, None, f"apex {apex} (not annotated): set to None")
            apex = None
        if onset < 0 or offset < onset:
            self.note(rec, "offset", "dropped", offset, None, f"onset {onset}, offset {offset}: not an interval")
            return False
        if apex is not None and not onset <= apex <= offset:
            self.note(rec, "apex", "fixed", apex, None, f"apex {apex} outside onset..offset {onset}..{offset}: "
                      "set to None")
            apex = None
        kind = _expression_type(rec.get("type_raw"))
        if kind is None:
            self.note(rec, "type", "dropped", rec.get("type_raw"), None, "type is neither micro nor macro")
            return False
        emo_raw = None if not cell_text(rec.get("emotion_raw")) else cell_text(rec.get("emotion_raw"))
        emotion = normalize_emotion(emo_raw)
        if emo_raw is not None and emotion is None:
            self.note(rec, "emotion", "fixed", emo_raw, None,
                      "emotion not in the canonical vocabulary: emotion is None, raw value kept")
        aus_raw = None if not cell_text(rec.get("aus_raw")) else rec.get("aus_raw")
        if isinstance(aus_raw, str) and aus_raw.strip().upper() == "NULL":
            aus, problems = frozenset(), []
            self.note(rec, "aus", "fixed", aus_raw, "[]", "AU cell 'NULL': no AU coded")
        else:
            aus, problems = parse_aus(aus_raw)
        for p in problems:
            self.note(rec, "aus", "fixed", aus_raw, sorted(aus), p)
        if check_frames and not (rec["frame_dir"] and os.path.isdir(rec["frame_dir"])):
            self.note(rec, "frame_dir", "dropped", rec["frame_dir"], None, "frame folder does not exist")
            return False
        self.add_video(rec["video"], rec["subject"], rec["fps"], rec["frame_dir"])
        self.rows.append({"dataset": self.dataset, "video": rec["video"], "subject": rec["subject"],
                          "onset": onset, "apex": apex, "offset": offset, "type": kind, "emotion": emotion,
                          "emotion_raw": emo_raw, "aus": aus, "aus_raw": None if aus_raw is None else str(aus_raw),
                          "fps": float(rec["fps"]), "frame_dir": rec["frame_dir"], "sheet_row": rec.get("sheet_row"),
                          "clip": rec.get("clip")})
        return True

    def build(self, source):
        import pandas as pd

        if not self.rows and self.report:
            dropped = [r for r in self.report if r["action"] == "dropped"]
            if dropped:
                raise ValueError(f"{self.dataset}: 0 intervals kept from {os.fspath(source)!r}: all {len(dropped)} "
                                 f"rows were dropped (e.g. {dropped[0]['field']}: {dropped[0]['reason']}); check "
                                 "the root folder and the annotation file")
        intervals = pd.DataFrame(self.rows, columns=list(INTERVAL_COLUMNS) + ["clip"])
        for c in ("onset", "apex", "offset", "sheet_row"):
            intervals[c] = pd.array([None if is_missing(v) else int(v) for v in intervals[c]], dtype="Int64")
        intervals["fps"] = intervals["fps"].astype(float)
        videos = pd.DataFrame(list(self.videos.values()), columns=list(VIDEO_COLUMNS))
        return LongVideoDataset(intervals, videos, name=self.dataset, validation_report=report_frame(self.report))


def _expression_type(raw):
    """``macro-expression``/``Macro`` -> "macro"; ``micro-expression``/``Micro - 1/2`` -> "micro"; else None."""
    text = cell_text(raw).lower()
    if text.startswith("micro"):
        return "micro"
    if text.startswith("macro"):
        return "macro"
    return None


# ----------------------------------------------------------------------------------------- CAS(ME)²
#: Frame rate of CAS(ME)² (Qu et al. 2018).
CASME_SQ_FPS = 30.0
#: Frame rate of SAMM Long Videos (Yap et al. 2020).
SAMM_LV_FPS = 200.0


def _read_raw_sheet(path, sheet):
    import pandas as pd

    if str(path).lower().endswith((".xlsx", ".xlsm", ".xls")):
        return pd.read_excel(path, sheet_name=sheet, header=None, dtype=object, na_filter=False)
    from mefeat.datasets._base import _read_csv_ragged

    return _read_csv_ragged(path)[0]


def load_casme_sq(root, annotations, *, check_frames=True):
    """Load CAS(ME)² (long videos, 30 fps) as an interval table.

    Parameters
    ----------
    root : str or path-like
        The folder holding ``rawpic/s15/15_0401girlcrashing/img1.jpg ...`` (or ``rawpic`` itself).
    annotations : str or path-like
        ``CAS(ME)^2code_final.xlsx``: the sheet ``CASFEcode_final`` (``CASMEcode_final`` in some copies)
        has no header; its columns are subject number, clip (``anger1_1``), onset, apex, offset, AUs
        (``4+10+14+15``, ``4,24``, ``14or23``, ``NULL``), objective class, type
        (``micro-expression``/``macro-expression``), emotion, and optionally duration and the video
        folder (``s15/15_0401girlcrashing``). Without that last column the video is found through the
        sheets ``naming rule1`` (folder ``s15``, prefix ``15``, subject number ``1``) and ``naming rule2``
        (code ``401``, name ``anger1``) and the folder ``rawpic/s15/15_0401*``. A CSV of the first sheet
        with the video column also works.
    check_frames : bool, default True
        Drop (and report) intervals whose video folder does not exist.

    Returns
    -------
    LongVideoDataset
        ``video`` = ``"<prefix>_<code>"`` (``"15_0401"``), ``subject`` = the folder (``"s15"``), fps 30.

    Notes
    -----
    Frames are ``img<n>.jpg`` numbered from 1 on the video's own index. An offset of 0 (not annotated)
    becomes the apex, as in the MEGC 2020 baseline; an apex of 0 becomes None (the baseline uses
    the middle frame); both are reported. Emotions outside the canonical vocabulary (``helpless``,
    ``pain``) are kept in ``emotion_raw`` with ``emotion`` None (reported).
    """
    annotations = os.fspath(annotations)
    if not os.path.exists(annotations):
        raise FileNotFoundError(f"annotation file {annotations!r} does not exist")
    rawpic = os.path.join(os.fspath(root), "rawpic")
    if not os.path.isdir(rawpic):
        rawpic = os.fspath(root)
    excel = annotations.lower().endswith((".xlsx", ".xlsm", ".xls"))
    rule1 = rule2 = None
    if excel:
        import pandas as pd

        names = pd.ExcelFile(annotations).sheet_names
        main = next((s for s in names if s.strip().lower() in ("casfecode_final", "casmecode_final")), names[0])
        df = _read_raw_sheet(annotations, main)
        low = {s.strip().lower(): s for s in names}
        if "naming rule1" in low and "naming rule2" in low:
            r1 = _read_raw_sheet(annotations, low["naming rule1"])
            rule1 = {cell_text(r[2]): (cell_text(r[0]), cell_text(r[1])) for r in r1.itertuples(index=False)
                     if len(r) > 2 and cell_text(r[2])}
            r2 = _read_raw_sheet(annotations, low["naming rule2"])
            rule2 = {cell_text(r[1]): cell_text(r[0]).zfill(4) for r in r2.itertuples(index=False)
                     if len(r) > 1 and cell_text(r[1])}
    else:
        df = _read_raw_sheet(annotations, None)
    b = _Builder("casme_sq")
    for i, r in enumerate(df.itertuples(index=False)):
        cells = list(r)
        rec = {"sheet_row": i + 1, "subject": cell_text(cells[0]) if cells else "",
               "clip": cell_text(cells[1]) if len(cells) > 1 else ""}
        if len(cells) < 9 or not _INT.match(cell_text(cells[2])):
            if any(cell_text(c) for c in cells):  # a header or note line
                b.note(rec, "row", "dropped", ", ".join(cell_text(c) for c in cells[:4]), None,
                       "not an annotation row (fewer than 9 columns or no onset number)")
            continue
        folder = cell_text(cells[10]) if len(cells) > 10 else ""
        if folder:
            subject = folder.replace("\\", "/").split("/")[0]
            leaf = folder.replace("\\", "/").split("/")[-1]
            m = re.match(r"(\d+)_(\d{4})", leaf)
            video = f"{m.group(1)}_{m.group(2)}" if m else leaf
            frame_dir = os.path.join(rawpic, *folder.replace("\\", "/").split("/"))
        elif rule1 is not None:
            number = cell_text(cells[0])
            stem = rec["clip"].split("_")[0]
            if number not in rule1 or stem not in rule2:
                b.note(rec, "video", "dropped", f"{number}/{rec['clip']}", None,
                       "subject number not in 'naming rule1' or clip name not in 'naming rule2'")
                continue
            subject, prefix = rule1[number]
            video = f"{prefix}_{rule2[stem]}"
            hits = sorted(glob.glob(os.path.join(glob.escape(os.path.join(rawpic, subject)), f"{video}*")))
            frame_dir = hits[0] if hits else os.path.join(rawpic, subject, video)
        else:
            b.note(rec, "video", "dropped", rec["clip"], None,
                   "no video column and no 'naming rule1'/'naming rule2' sheets to find the video")
            continue
        rec.update(subject=subject, video=video, frame_dir=frame_dir, onset=cells[2], apex=cells[3],
                   offset=cells[4], aus_raw=cells[5], type_raw=cells[7], emotion_raw=cells[8], fps=CASME_SQ_FPS)
        b.add(rec, check_frames=check_frames)
    return b.build(annotations)


# ------------------------------------------------------------------------------------------- SAMM-LV
def load_samm_lv(root, annotations, *, check_frames=True):
    """Load SAMM Long Videos (200 fps) as an interval table.

    Parameters
    ----------
    root : str or path-like
        The folder holding ``006_1/006_1_0001.jpg ...``.
    annotations : str or path-like
        ``SAMM_LongVideos_V1_Release.xlsx`` or V2: a preamble of notes, then the header ``Subject |
        Filename | Inducement Code | Onset | Apex | Offset | Duration | Type | Action Units | Notes``
        (located wherever it is). ``Filename`` (``006_1_1``) names the interval; its first two parts
        (``006_1``) the video. ``Type`` is ``Macro`` or ``Micro - 1/2``. An emotion column
        (``Estimated Emotion`` or ``Emotion``) is read when present.
    check_frames : bool, default True

    Returns
    -------
    LongVideoDataset
        ``subject`` as 3-digit text (``"006"``), fps 200.

    Notes
    -----
    An apex of -1 (not annotated) becomes None and is reported. AU cells such as ``4(B/C)+7B`` or
    ``R12 or R14`` are parsed leniently (:func:`mefeat.datasets.parse_aus`) and reported.
    """
    df = read_sheet(annotations, ("Subject", "Filename", "Onset", "Offset", "Type"))
    c = {k: col(df, k) for k in ("Subject", "Filename", "Onset", "Apex", "Offset", "Type", "Action Units")}
    c["emotion"] = col(df, "Estimated Emotion", "Emotion")
    b = _Builder("samm_lv")
    root = os.fspath(root)
    for _, r in df.iterrows():
        subject = subject_code(r[c["Subject"]], 3)
        name = cell_text(r[c["Filename"]])
        rec = {"sheet_row": int(r["_sheet_row"]), "subject": subject, "clip": name}
        m = re.match(r"^(\d+_\d+)(?:_\d+)?$", name)
        if not subject or not m:
            b.note(rec, "clip", "dropped", name, None, "Filename is not of the form <subject>_<video>_<k>")
            continue
        video = m.group(1)
        rec.update(video=video, frame_dir=os.path.join(root, video), onset=r[c["Onset"]],
                   apex=r[c["Apex"]] if c["Apex"] else None, offset=r[c["Offset"]], type_raw=r[c["Type"]],
                   aus_raw=r[c["Action Units"]] if c["Action Units"] else None,
                   emotion_raw=r[c["emotion"]] if c["emotion"] else None, fps=SAMM_LV_FPS)
        b.add(rec, check_frames=check_frames)
    return b.build(annotations)


def make_long_video_dataset(intervals, *, name, fps, frame_dirs=None):
    """A :class:`LongVideoDataset` from an interval table you already have (CAS(ME)³ part C, SMIC-E-long...).

    Parameters
    ----------
    intervals : pandas.DataFrame
        Columns ``video, subject, onset, offset, type`` and optionally ``apex, emotion, aus``; rows are
        validated as the loaders' (reported in ``validation_report``; a missing apex is not reported).
    name : str
    fps : float
    frame_dirs : dict of str -> str, optional
        Video -> frame folder.

    Returns
    -------
    LongVideoDataset
    """
    b = _Builder(name)
    frame_dirs = frame_dirs or {}
    for i, r in enumerate(intervals.to_dict("records")):
        video = str(r["video"])
        rec = {"sheet_row": i + 1, "subject": str(r["subject"]), "clip": video, "video": video,
               "frame_dir": frame_dirs.get(video), "onset": r["onset"], "apex": r.get("apex"),
               "offset": r["offset"], "type_raw": r["type"], "emotion_raw": r.get("emotion"),
               "aus_raw": r.get("aus"), "fps": float(fps)}
        b.add(rec, check_frames=False, apex_optional=True)
    return b.build(name)
