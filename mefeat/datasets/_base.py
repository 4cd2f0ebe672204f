"""MEDataset (a normalised annotation table with lazy clip access) and shared loader helpers."""

import hashlib
import math
import os
import re

import numpy as np

from mefeat.datasets import _errata
from mefeat.datasets._aus import parse_aus
from mefeat.datasets._vocab import normalize_emotion

__all__ = ["MEDataset", "TABLE_COLUMNS", "REPORT_COLUMNS"]

#: Normalised columns of ``MEDataset.table`` (in this order).
TABLE_COLUMNS = (
    "dataset", "subject", "clip", "onset", "apex", "offset", "emotion", "emotion_raw",
    "aus", "aus_raw", "fps", "frame_dir", "n_frames",
)
#: Columns of ``MEDataset.validation_report``.
REPORT_COLUMNS = ("dataset", "subject", "clip", "sheet_row", "field", "action", "raw", "value", "reason")

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".pgm")
_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")


class MEDataset:
    """A micro-expression database: one normalised annotation table plus lazy frame access.

    Built by the ``load_*`` functions; not usually constructed by hand.

    Parameters
    ----------
    table : pandas.DataFrame, (n_clips, n_columns)
        One row per clip with at least the columns of :data:`TABLE_COLUMNS`: ``onset``,
        ``apex`` and ``offset`` are the database's own frame numbers (the numbers in the
        frame file names); ``apex`` may be missing (<NA>); ``aus`` is a frozenset of int.
    name : str
        Dataset name (``"dfme"``, ``"casme2"`` ...).
    validation_report : pandas.DataFrame or None
        Every row the loader fixed or dropped (columns :data:`REPORT_COLUMNS`).

    Attributes
    ----------
    table : pandas.DataFrame
    y : (n_clips,) ndarray of object
        Canonical emotion labels.
    groups : (n_clips,) ndarray of object
        Subject of every clip (the group for subject-independent splits; for composite
        datasets ``"<dataset>/<subject>"``).
    validation_report : pandas.DataFrame
    name : str

    Notes
    -----
    ``ds[i]`` reads the frames of clip ``i`` from disk on every access (nothing is kept in
    memory) and returns a :class:`mefeat.Clip` that **spans onset..offset** (both included):
    ``clip.onset == 0``, ``clip.apex`` is the apex index into the returned frames (None
    when not annotated), ``clip.offset == n_frames - 1``. Frames are grayscale uint8. The
    frame number of a file is the last run of digits in its name (``img46.jpg`` -> 46,
    ``006_05562.jpg`` -> 5562, ``00109.png`` -> 109, ``image17581039.jpg`` -> 17581039),
    which covers every layout of METHODS §10.
    """

    def __init__(self, table, *, name, validation_report=None):
        import pandas as pd

        self.table = table.reset_index(drop=True)
        self.name = str(name)
        if validation_report is None:
            validation_report = pd.DataFrame(columns=list(REPORT_COLUMNS))
        self.validation_report = validation_report.reset_index(drop=True)

    # ------------------------------------------------------------------ basics
    def __len__(self):
        return len(self.table)

    @property
    def y(self):
        return self.table["emotion"].to_numpy(dtype=object)

    @property
    def groups(self):
        return self.table["group"].to_numpy(dtype=object) if "group" in self.table else (
            self.table["subject"].to_numpy(dtype=object))

    def __repr__(self):
        return (f"MEDataset(name={self.name!r}, n_clips={len(self)}, "
                f"n_subjects={self.table['subject'].nunique() if len(self) else 0}, "
                f"report_rows={len(self.validation_report)})")

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    # ------------------------------------------------------------------ frames
    def frame_paths(self, i):
        """Paths of the frames of clip ``i`` (onset..offset, in frame-number order).

        Parameters
        ----------
        i : int
            Row of :attr:`table`.

        Returns
        -------
        list of str, length n_frames

        Raises
        ------
        FileNotFoundError
            When the folder or a frame number in onset..offset is missing.
        ValueError
            Two image files in the folder have the same frame number.
        """
        row = self.table.iloc[int(i)]
        return _frame_paths(row)

    def read_frames(self, i, *, with_hash=False):
        """Read the frames of clip ``i``; optionally also the sha256 of the files' bytes.

        Returns
        -------
        frames : (T, H, W) uint8 ndarray
        digest : str
            Only when ``with_hash``: sha256 hex digest over the frame files' bytes in order.

        Raises
        ------
        OSError
            A frame file cannot be decoded, or frames differ in size.
        """
        paths = self.frame_paths(i)
        return _read_frames(paths, with_hash=with_hash)

    def __getitem__(self, i):
        if isinstance(i, (int, np.integer)):
            i = int(i)
            if i < 0:
                i += len(self)
            if not 0 <= i < len(self):
                raise IndexError(f"clip index {i} out of range for {len(self)} clips")
        else:
            raise TypeError(f"MEDataset index must be an int, got {type(i).__name__}")
        row = self.table.iloc[i]
        frames = self.read_frames(i)
        return _row_to_clip(row, frames)

    def clip_meta(self, i):
        """The annotation row of clip ``i`` as a dict (no frame access)."""
        return self.table.iloc[int(i)].to_dict()


def _row_to_clip(row, frames):
    from mefeat._clip import Clip

    onset = int(row["onset"])
    apex = None if _isna(row["apex"]) else int(row["apex"]) - onset
    fps = None if _isna(row["fps"]) else float(row["fps"])
    return Clip(
        frames, onset=0, apex=apex, offset=frames.shape[0] - 1, fps=fps,
        subject=str(row["subject"]), name=str(row["clip"]),
        emotion=None if _isna(row["emotion"]) else str(row["emotion"]),
        aus=row["aus"] if isinstance(row["aus"], frozenset) else frozenset(),
        meta={"dataset": row["dataset"], "onset_frame": onset,
              "apex_frame": None if _isna(row["apex"]) else int(row["apex"]),
              "offset_frame": None if _isna(row["offset"]) else int(row["offset"]),
              "emotion_raw": row["emotion_raw"], "aus_raw": row["aus_raw"], "frame_dir": row["frame_dir"]},
    )


def _isna(v):
    if v is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def list_frames(frame_dir):
    """Map frame number -> path for the image files in ``frame_dir`` (see MEDataset Notes).

    Parameters
    ----------
    frame_dir : str or path-like

    Returns
    -------
    dict of int -> str

    Raises
    ------
    FileNotFoundError
        The folder cannot be listed.
    ValueError
        Two image files carry the same frame number (``img47.jpg`` and ``img047.jpg``); the
        message names both.

    Notes
    -----
    Hidden files (names starting with ``.``, such as macOS ``._img47.jpg`` AppleDouble
    files) are ignored.
    """
    out = {}
    try:
        names = sorted(os.listdir(frame_dir))
    except OSError as exc:
        raise FileNotFoundError(f"frame folder {frame_dir!r} cannot be listed: {exc}") from exc
    for name in names:
        if name.startswith("."):
            continue
        stem, ext = os.path.splitext(name)
        if ext.lower() not in IMAGE_EXTENSIONS:
            continue
        m = _LAST_NUMBER.search(stem)
        if m:
            n = int(m.group(1))
            if n in out:
                raise ValueError(
                    f"frame folder {os.fspath(frame_dir)!r}: files {os.path.basename(out[n])!r} and {name!r} "
                    f"both have frame number {n}; remove one of them")
            out[n] = os.path.join(frame_dir, name)
    return out


def _frame_paths(row):
    frames = list_frames(row["frame_dir"])
    if not frames:
        raise FileNotFoundError(f"clip {row['clip']!r}: no image files in {row['frame_dir']!r}")
    onset = int(row["onset"])
    offset = max(frames) if _isna(row["offset"]) else int(row["offset"])
    missing = [f for f in range(onset, offset + 1) if f not in frames]
    if missing:
        shown = ", ".join(map(str, missing[:5])) + (" ..." if len(missing) > 5 else "")
        raise FileNotFoundError(
            f"clip {row['clip']!r}: {len(missing)} of the frames {onset}..{offset} are missing in "
            f"{row['frame_dir']!r} (frame numbers {shown}; present {min(frames)}..{max(frames)})")
    return [frames[f] for f in range(onset, offset + 1)]


def _read_frames(paths, *, with_hash=False):
    import cv2

    h = hashlib.sha256() if with_hash else None
    out = []
    for p in paths:
        with open(p, "rb") as f:
            data = f.read()
        if h is not None:
            h.update(data)
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise OSError(f"unreadable frame {p!r} ({len(data)} bytes): not a decodable image")
        if out and img.shape != out[0].shape:
            raise OSError(f"frame {p!r} has size {img.shape}, the clip's first frame {out[0].shape}")
        out.append(img)
    frames = np.stack(out) if out else np.zeros((0, 0, 0), np.uint8)
    return (frames, h.hexdigest()) if with_hash else frames


# ---------------------------------------------------------------------- sheet helpers
def read_sheet(path, required, *, sheet_name=0):
    """Read an annotation sheet (xlsx/xls/csv), locating the header row that holds ``required``.

    Parameters
    ----------
    path : str or path-like
    required : sequence of str
        Column names that must all appear in the header row (compared stripped, case-insensitive).
    sheet_name : int or str

    Returns
    -------
    df : pandas.DataFrame
        Body rows (object dtype, headers stripped), with a ``_sheet_row`` column holding the
        1-based row number in the file (as a spreadsheet program shows it).

    Raises
    ------
    FileNotFoundError, ValueError
        Missing file; no row contains all required columns (the message lists the first rows).
    """
    import pandas as pd

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"annotation file {path!r} does not exist")
    if path.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raw = pd.read_excel(path, sheet_name=sheet_name, header=None, dtype=object)
    else:
        raw = _read_csv_ragged(path)
    want = {r.strip().lower() for r in required}
    for r in range(min(len(raw), 200)):
        cells = [str(c).strip() for c in raw.iloc[r].tolist()]
        if want <= {c.lower() for c in cells}:
            body = raw.iloc[r + 1:].copy()
            names, seen = [], {}
            for j, c in enumerate(cells):
                c = c if c and c.lower() != "nan" else f"Unnamed: {j}"
                if c in seen:
                    seen[c] += 1
                    c = f"{c}.{seen[c]}"
                seen.setdefault(c, 0)
                names.append(c)
            body.columns = names
            body["_sheet_row"] = np.arange(r + 2, r + 2 + len(body))
            # drop fully empty rows (trailing blank lines, spacer rows) without reporting
            data_cols = [c for c in names if not c.startswith("Unnamed")]
            keep = body[data_cols].notna().any(axis=1)
            return body[keep].reset_index(drop=True)
    head = raw.head(5).to_string()
    raise ValueError(f"annotation file {path!r}: no header row with the columns {sorted(required)}; "
                     f"first rows:\n{head}")


def _read_csv_ragged(path):
    """A CSV as an object DataFrame, one row per physical record (blank lines kept as empty rows).

    Rows may have different field counts (a text preamble above the header): the frame is as
    wide as the longest row, so row numbers stay those a spreadsheet program shows.
    """
    import csv

    import pandas as pd

    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        width = max((len(r) for r in csv.reader(f)), default=0)
    if width == 0:
        return pd.DataFrame(dtype=object)
    return pd.read_csv(path, header=None, names=range(width), dtype=object, keep_default_na=True,
                       skip_blank_lines=False, encoding="utf-8-sig")


def cell_text(value):
    """A sheet cell as stripped text; empty/NaN cells give ``""`` (never ``"nan"``)."""
    return "" if _isna(value) else str(value).strip()


def col(df, *names):
    """Return the first of ``names`` present in ``df`` (case/space-insensitive), else None."""
    low = {str(c).strip().lower(): c for c in df.columns}
    for n in names:
        if n.lower() in low:
            return low[n.lower()]
    return None


def _to_frame_number(value):
    """Lenient int conversion: returns (int or None, problem str or None)."""
    if _isna(value):
        return None, "missing"
    if isinstance(value, (bool, np.bool_)):
        return None, f"not a frame number: {value!r}"
    if isinstance(value, (int, np.integer)):
        if value < 0:
            return None, f"negative frame number {value}"
        return int(value), None
    if isinstance(value, (float, np.floating)):
        if math.isfinite(value) and value < 0:
            return None, f"negative frame number {value!r}"
        if math.isfinite(value) and float(value).is_integer():
            return int(value), None
        return (int(round(value)), f"non-integer frame number {value!r} rounded") if math.isfinite(value) else (
            None, f"not a frame number: {value!r}")
    text = str(value).strip()
    if re.fullmatch(r"-\d+(\.0*)?", text):
        return None, f"negative frame number {text!r}"
    if re.fullmatch(r"\d+", text):
        return int(text), None
    if re.fullmatch(r"\d+\.0*", text):
        return int(float(text)), None
    m = re.fullmatch(r"\D*(\d+)\D*", text)
    if m and text not in ("/", "-", "?"):
        return int(m.group(1)), f"frame number {text!r} read as {int(m.group(1))}"
    return None, f"not a frame number: {text!r}"


class RowBuilder:
    """Collects normalised rows and the validation report while a loader walks a sheet."""

    def __init__(self, dataset, *, errata=None, check_frames=True):
        self.dataset = dataset
        self.errata = errata
        self.check_frames = check_frames
        self.rows = []
        self.report = []
        self._keys = set()

    def note(self, rec, field, action, raw, value, reason):
        self.report.append({
            "dataset": self.dataset, "subject": rec.get("subject"), "clip": rec.get("clip"),
            "sheet_row": rec.get("sheet_row"), "field": field, "action": action,
            "raw": None if _isna(raw) else str(raw), "value": None if value is None else str(value),
            "reason": reason,
        })

    def add(self, rec, *, apex_optional=False, emotion_map=None):
        """Validate one raw record and append it (or report why it was dropped).

        ``rec`` keys: subject, clip, onset, apex, offset, emotion_raw, aus_raw, fps,
        frame_dir, sheet_row, and optionally any extra columns (kept as they are). Pass the
        raw subject/clip cells: empty or NaN ones drop the row (reported). A repeated
        (subject, clip) gets the suffix ``_2``, ``_3`` ... first, and errata are looked up
        with that final name. Returns True when the row was kept.
        """
        rec = dict(rec)
        rec["subject"] = cell_text(rec.get("subject"))
        rec["clip"] = cell_text(rec.get("clip"))
        if not rec["subject"] or not rec["clip"]:
            self.note(rec, "subject/clip", "dropped", f"{rec['subject']}/{rec['clip']}", None,
                      "subject or clip name is empty")
            return False
        # the final clip name (duplicates suffixed _2, _3 ...) comes first: errata are keyed by it
        key = (rec["subject"], rec["clip"])
        if key in self._keys:
            n = 2
            while (rec["subject"], f"{rec['clip']}_{n}") in self._keys:
                n += 1
            new = f"{rec['clip']}_{n}"
            self.note(rec, "clip", "fixed", rec["clip"], new, "duplicate (subject, clip): suffix added")
            rec["clip"] = new
            key = (rec["subject"], new)
        fix = _errata.lookup(self.dataset, rec["subject"], rec["clip"], self.errata)
        if fix:
            for k, v in fix.items():
                if k == "source":
                    continue
                self.note(rec, k, "fixed", rec.get(k), v, f"erratum: {fix.get('source', 'no source')}")
                rec[k] = v
        nums = {}
        for field in ("onset", "apex", "offset"):
            raw = rec.get(field)
            num, problem = _to_frame_number(raw)
            if problem and not (problem == "missing" and field == "apex" and apex_optional):
                if num is None and field == "apex":
                    self.note(rec, field, "fixed", raw, None,
                              f"{problem}: apex set to None (Clip.apex_or_middle uses the middle frame)")
                elif num is None and field == "onset":
                    self.note(rec, field, "dropped", raw, None, f"{problem}: a clip needs an onset")
                    return False
                elif num is None:
                    self.note(rec, field, "fixed", raw, None, f"{problem}: offset set to the last frame")
                else:
                    self.note(rec, field, "fixed", raw, num, problem)
            nums[field] = num
        onset, apex, offset = nums["onset"], nums["apex"], nums["offset"]
        if offset is not None and offset < onset:
            self.note(rec, "offset", "dropped", rec.get("offset"), None, f"offset {offset} < onset {onset}")
            return False
        if apex is not None and (apex < onset or (offset is not None and apex > offset)):
            self.note(rec, "apex", "fixed", rec.get("apex"), None,
                      f"apex {apex} outside onset..offset {onset}..{offset}: set to None")
            apex = None
        rec.update(onset=onset, apex=apex, offset=offset)
        emo_raw = rec.get("emotion_raw")
        emotion = (emotion_map or normalize_emotion)(emo_raw)
        if emotion is None:
            self.note(rec, "emotion", "fixed" if not _isna(emo_raw) else "note", emo_raw, None,
                      "emotion missing or not in the canonical vocabulary: emotion is None, raw value kept")
        rec["emotion"] = emotion
        aus, problems = parse_aus(rec.get("aus_raw"))
        for p in problems:
            self.note(rec, "aus", "fixed", rec.get("aus_raw"), sorted(aus), p)
        rec["aus"] = aus
        rec["aus_raw"] = None if _isna(rec.get("aus_raw")) else rec.get("aus_raw")
        rec["emotion_raw"] = None if _isna(emo_raw) else emo_raw
        if self.check_frames and not os.path.isdir(rec["frame_dir"]):
            self.note(rec, "frame_dir", "dropped", rec["frame_dir"], None, "frame folder does not exist")
            return False
        self._keys.add(key)
        rec["dataset"] = self.dataset if _isna(rec.get("dataset")) else str(rec["dataset"]).strip()
        rec["n_frames"] = None if offset is None else offset - onset + 1
        self.rows.append(rec)
        return True

    def build(self, name=None):
        import pandas as pd

        cols = list(TABLE_COLUMNS)
        extra = []
        for r in self.rows:
            for k in r:
                if k not in cols and k not in extra and k != "sheet_row":
                    extra.append(k)
        table = pd.DataFrame(self.rows, columns=cols + extra + ["sheet_row"])
        for c in ("onset", "apex", "offset", "n_frames"):
            table[c] = pd.array(table[c].tolist(), dtype="Int64")
        table["fps"] = pd.to_numeric(table["fps"], errors="coerce").astype(float)
        report = pd.DataFrame(self.report, columns=list(REPORT_COLUMNS))
        return MEDataset(table, name=name or self.dataset, validation_report=report)


def norm_key(text):
    """Normalised name for matching across sheet versions: lower case, numbers without leading zeros."""
    text = str(text).strip().lower()
    return re.sub(r"\d+", lambda m: str(int(m.group(0))), text)


def subject_code(value, width):
    """Zero-padded subject string for numeric subjects (1 -> '01'); other strings stripped."""
    if _isna(value):
        return ""
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and float(value).is_integer()):
        return f"{int(value):0{width}d}"
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.0*)?", text):
        return f"{int(float(text)):0{width}d}"
    return text
