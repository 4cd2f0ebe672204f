"""MEDataset (a normalised annotation table with lazy clip access) and shared loader helpers."""

import collections
import errno
import math
import os
import re

import numpy as np

from mefeat.datasets import _errata
from mefeat.datasets._aus import parse_aus
from mefeat.datasets._vocab import normalize_emotion

__all__ = ["MEDataset", "TABLE_COLUMNS", "REPORT_COLUMNS", "is_missing", "report_counts"]

#: Normalised columns of ``MEDataset.table`` (in this order).
TABLE_COLUMNS = (
    "dataset", "subject", "clip", "onset", "apex", "offset", "emotion", "emotion_raw",
    "aus", "aus_raw", "fps", "frame_dir", "n_frames",
)
#: Columns of ``MEDataset.validation_report``.
REPORT_COLUMNS = ("dataset", "subject", "clip", "sheet_row", "field", "action", "raw", "value", "reason")

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".pgm")
_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")
#: Largest frame number accepted from a sheet: spreadsheet cells hold float64, exact up to 2**53.
MAX_FRAME_NUMBER = 2 ** 53
_TOO_LARGE = "too large"
#: Texts that mean "no value" in a *numeric* cell (frame numbers). Never applied to names.
_MISSING_NUMBER_TEXT = frozenset({"", "nan", "na", "n/a", "none", "null", "<na>"})


def is_missing(value):
    """True for a missing cell value: None, NaN, ``pd.NA`` or ``pd.NaT`` (not for text such as ``"NA"``).

    The one test of missingness used by every loader, so that None (pandas 2 object columns)
    and NaN (pandas 3 string columns) are treated alike.

    Parameters
    ----------
    value : object

    Returns
    -------
    bool
    """
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, (str, bytes, int, frozenset, set, list, tuple, dict)):
        return False
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False




def _blank(value):
    """Missing, or text that is empty after stripping."""
    return is_missing(value) or (isinstance(value, str) and not value.strip())


def _plain(value):
    """A table cell as a plain Python value: missing -> None, numpy scalars -> int/float/bool."""
    if is_missing(value):
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _objects_with_none(df):
    """Text (non-numeric) columns as object dtype with None for missing values, on pandas 2 and 3 alike."""
    import pandas as pd

    df = df.copy()
    for c in df.columns:
        dt = df[c].dtype
        if pd.api.types.is_bool_dtype(dt) or (pd.api.types.is_numeric_dtype(dt)
                                               and not pd.api.types.is_object_dtype(dt)):
            continue
        s = df[c].astype(object)
        df[c] = s.where(s.notna(), None)
    return df


def report_counts(report):
    """How many annotation rows a validation report says were dropped, and how many were kept but fixed.

    Parameters
    ----------
    report : pandas.DataFrame
        A validation report (columns :data:`REPORT_COLUMNS`).

    Returns
    -------
    dict
        ``{"dropped": int, "fixed": int, "fixed_fields": {field: int}}``. A row (one clip of the
        table: dataset, subject, clip, sheet row) counts once however many of its fields were
        fixed; a row fixed and then dropped counts as dropped only. ``fixed_fields`` counts the
        fixed rows per field (a row fixed in two fields counts in both). Notes (``action ==
        "note"``) count in neither.
    """
    if report is None or not len(report) or "action" not in report:
        return {"dropped": 0, "fixed": 0, "fixed_fields": {}}
    keys = [tuple(_plain(r.get(c)) for c in ("dataset", "subject", "clip", "sheet_row"))
            for r in report.to_dict("records")]
    actions = report["action"].tolist()
    fields = report["field"].tolist() if "field" in report else [None] * len(actions)
    dropped = {k for k, a in zip(keys, actions) if a == "dropped"}
    fixed = {}
    for k, a, f in zip(keys, actions, fields):
        if a == "fixed" and k not in dropped:
            fixed.setdefault(k, set()).add(f)
    per_field = collections.Counter(f for fs in fixed.values() for f in fs)
    return {"dropped": int(sum(a == "dropped" for a in actions)), "fixed": len(fixed),
            "fixed_fields": dict(per_field.most_common())}


def report_frame(records):
    """The validation report as a DataFrame (columns :data:`REPORT_COLUMNS`, object dtype, None for missing)."""
    import pandas as pd

    return _objects_with_none(pd.DataFrame(list(records), columns=list(REPORT_COLUMNS), dtype=object))


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
        Text columns are object dtype with None for a missing value (the same under pandas 2
        and 3); ``onset``/``apex``/``offset``/``n_frames`` are nullable ``Int64``.
    y : (n_clips,) ndarray of object
        Canonical emotion labels.
    groups : (n_clips,) ndarray of object
        Subject of every clip (the group for subject-independent splits; for composite
        datasets ``"<dataset>/<subject>"``).
    validation_report : pandas.DataFrame
        Columns :data:`REPORT_COLUMNS`, object dtype; ``raw`` and ``value`` are text or None.
    name : str

    Notes
    -----
    ``ds[i]`` reads the frames of clip ``i`` from disk on every access (nothing is kept in
    memory) and returns a :class:`mefeat.Clip` that **spans onset..offset** (both included):
    ``clip.onset == 0``, ``clip.apex`` is the apex index into the returned frames (None
    when not annotated), ``clip.offset == n_frames - 1``. Frames are grayscale uint8, decoded
    by :func:`mefeat._frames.decode_frame` (16-bit files scaled to 8 bits). The frame number
    of a file is the last run of digits in its name (``img46.jpg`` -> 46, ``006_05562.jpg`` ->
    5562, ``00109.png`` -> 109, ``image17581039.jpg`` -> 17581039), which covers the file names
    of every supported database.

    The per-row methods :meth:`row`, :meth:`frame_paths`, :meth:`read_frames` and
    :meth:`clip_from_frames` let a caller stream or align the frames itself and still get
    the clip ``ds[i]`` would give.

    Every loader validates the rows the same way and writes each change to
    :attr:`validation_report`: an apex outside onset..offset, or on the onset itself (an
    onset-to-apex flow between one image and itself is zero, so apex-based descriptors
    would see no motion), is set to None, and :attr:`mefeat.Clip.apex_or_middle` gives the
    middle frame (``action == "fixed"``); a row without an onset, with fewer than 2 frames,
    or (``check_frames=True``) whose folder lacks a frame of onset..offset is dropped
    (``action == "dropped"``). :func:`report_counts` counts both per row.
    """

    def __init__(self, table, *, name, validation_report=None):
        self.table = _objects_with_none(table.reset_index(drop=True))
        self.name = str(name)
        if validation_report is None:
            validation_report = report_frame([])
        self.validation_report = _objects_with_none(validation_report.reset_index(drop=True))

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

    def _index(self, i):
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"MEDataset index must be an int, got {type(i).__name__}")
        j = int(i) + (len(self) if i < 0 else 0)
        if not 0 <= j < len(self):
            raise IndexError(f"clip index {int(i)} out of range for {len(self)} clips")
        return j

    # ------------------------------------------------------------------ per-row access
    def row(self, i):
        """The normalised annotation row of clip ``i`` as a dict (no frame access).

        Parameters
        ----------
        i : int
            Row of :attr:`table` (negative counts from the end).

        Returns
        -------
        dict
            Column -> value; pandas missing values (NaN, <NA>) are None and numpy scalars are
            plain ``int``/``float``, so the dict can be compared, hashed or written to JSON.

        Raises
        ------
        IndexError, TypeError
            ``i`` out of range or not an int.
        """
        r = self.table.iloc[self._index(i)]
        return {k: _plain(v) for k, v in r.items()}

    def clip_meta(self, i):
        """The annotation row of clip ``i`` as a dict; the same as :meth:`row`."""
        return self.row(i)

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
            When the folder, or a frame number in onset..offset, is missing (the message gives
            the onset, the offset, what the folder holds and the missing frame numbers).
        ValueError
            Two image files in the folder have the same frame number, or the clip has a
            single frame (at least 2 are needed).
        """
        return _frame_paths(self.row(i))

    def read_frames(self, i, *, with_hash=False):
        """Read the frames of clip ``i``; optionally also the clip digest of its frame files.

        Parameters
        ----------
        i : int
            Row of :attr:`table`.
        with_hash : bool, default False

        Returns
        -------
        frames : (T, H, W) uint8 ndarray
            Decoded by :func:`mefeat._frames.decode_frame` (colour to gray, 16-bit to 8-bit).
        digest : str
            Only when ``with_hash``: the clip digest (:func:`mefeat._io.clip_digest`, the one
            the extraction's cache keys and ``manifest.json`` use): sha256 over the sha256 of
            each frame file's bytes, in frame order.

        Raises
        ------
        OSError
            A frame file is empty or cannot be decoded (the message names it and its size),
            or frames differ in size.
        FileNotFoundError, ValueError
            See :meth:`frame_paths`.
        """
        return _read_frames(self.frame_paths(i), with_hash=with_hash)

    def clip_from_frames(self, i, frames):
        """The :class:`mefeat.Clip` that ``ds[i]`` returns, but holding the given frames.

        For callers that read, stream or align the frames themselves (e.g. cropped faces):
        the annotations (apex index, fps, subject, name, emotion, AUs, meta) are those of ``ds[i]``.

        Parameters
        ----------
        i : int
            Row of :attr:`table`.
        frames : (T, H, W) ndarray
            The clip's onset..offset frames in order, any dtype and frame size.

        Returns
        -------
        Clip

        Raises
        ------
        ValueError
            ``frames`` is not 3-D, or its length differs from the annotated onset..offset span.
        """
        return _row_to_clip(self.row(i), frames)

    def subset(self, indices):
        """A new MEDataset with only the given clips (same name and validation report).

        Parameters
        ----------
        indices : sequence of int, or slice
            Rows of :attr:`table`, in the order wanted (e.g. ``range(10)`` for ``--limit 10``).

        Returns
        -------
        MEDataset

        Raises
        ------
        IndexError
            An index is out of range.
        """
        if isinstance(indices, slice):
            idx = list(range(len(self)))[indices]
        else:
            idx = [self._index(k) for k in indices]
        return MEDataset(self.table.iloc[idx], name=self.name, validation_report=self.validation_report.copy())

    def __getitem__(self, i):
        i = self._index(i)
        return self.clip_from_frames(i, self.read_frames(i))


def _row_to_clip(row, frames):
    from mefeat._clip import Clip

    frames = np.asarray(frames)
    get = (lambda k: _plain(row.get(k)))  # noqa: E731 - works for dicts and pandas rows
    name = str(get("clip"))
    if frames.ndim != 3:
        raise ValueError(f"clip {name!r}: frames must be a (T, H, W) array, got shape {frames.shape}")
    onset = int(get("onset"))
    offset = get("offset")
    if offset is not None and frames.shape[0] != int(offset) - onset + 1:
        raise ValueError(f"clip {name!r}: {frames.shape[0]} frames given, but the annotation spans "
                         f"{int(offset) - onset + 1} (frames {onset}..{int(offset)})")
    apex = None if get("apex") is None else int(get("apex")) - onset
    fps = None if get("fps") is None else float(get("fps"))
    aus = row.get("aus")
    return Clip(
        frames, onset=0, apex=apex, offset=frames.shape[0] - 1, fps=fps,
        subject=str(get("subject")), name=name,
        emotion=None if get("emotion") is None else str(get("emotion")),
        aus=aus if isinstance(aus, frozenset) else frozenset(),
        meta={"dataset": get("dataset"), "onset_frame": onset,
              "apex_frame": None if get("apex") is None else int(get("apex")),
              "offset_frame": None if offset is None else int(offset),
              "emotion_raw": get("emotion_raw"), "aus_raw": get("aus_raw"), "frame_dir": get("frame_dir")},
    )


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


def _holds(frames):
    """What a folder holds, for messages: ``"frames 0..99"`` or ``"95 frames numbered 0..99"`` (with gaps)."""
    lo, hi = min(frames), max(frames)
    return f"frames {lo}..{hi}" if len(frames) == hi - lo + 1 else f"{len(frames)} frames numbered {lo}..{hi}"


#: Missing-frame runs a message names before "..." (:func:`_missing_frames`).
_MAX_RUNS = 5


def _missing_frames(frames, onset, offset):
    """The frame numbers of onset..offset that are not in ``frames``, as runs.

    Parameters
    ----------
    frames : dict of int -> str
        :func:`list_frames` of the clip's folder.
    onset, offset : int
        First and last frame numbers of the clip (both included), ``onset <= offset``.

    Returns
    -------
    n_missing : int
    text : str
        The missing numbers as runs (``"120..140"``, ``"5, 9..11"``): the first
        :data:`_MAX_RUNS` runs, then ``" ..."``; ``""`` when nothing is missing.

    Notes
    -----
    Works from the gaps between the present numbers, so an absurd offset (``2**40``) costs no
    more than the folder's size.
    """
    present = sorted(f for f in frames if onset <= f <= offset)
    n_missing = (offset - onset + 1) - len(present)
    if not n_missing:
        return 0, ""
    runs, prev = [], onset - 1
    for f in present + [offset + 1]:
        if f > prev + 1:
            runs.append((prev + 1, f - 1))
        prev = f
    shown = [str(a) if a == b else f"{a}..{b}" for a, b in runs[:_MAX_RUNS]]
    return n_missing, ", ".join(shown) + (" ..." if len(runs) > _MAX_RUNS else "")


def _frame_paths(row):
    get = (lambda k: _plain(row.get(k)))  # noqa: E731
    clip, folder = get("clip"), get("frame_dir")
    frames = list_frames(folder)
    if not frames:
        raise FileNotFoundError(f"clip {clip!r}: no image files in {folder!r}")
    lo, hi = min(frames), max(frames)
    onset = int(get("onset"))
    annotated = get("offset")
    offset = hi if annotated is None else int(annotated)
    span = f"onset {onset}, offset {'not annotated' if annotated is None else offset}"
    if onset > hi:
        raise FileNotFoundError(
            f"clip {clip!r}: the onset is after the last frame ({span}; the folder {folder!r} holds "
            f"{_holds(frames)}): frames {onset}..{offset} are missing")
    n_missing, text = _missing_frames(frames, onset, offset)
    if n_missing:
        where = ("runs past the folder's last frame" if offset > hi else
                 "starts before the folder's first frame" if onset < lo else "has gaps")
        raise FileNotFoundError(
            f"clip {clip!r}: the clip {where} ({span}; the folder {folder!r} holds {_holds(frames)}): "
            f"{n_missing} of its {offset - onset + 1} frames are missing: {text}")
    if offset == onset:
        raise ValueError(f"clip {clip!r}: 1 frame (frame {onset} of {folder!r}); at least 2 needed")
    return [frames[f] for f in range(onset, offset + 1)]


def _read_frames(paths, *, with_hash=False):
    from mefeat._frames import decode_frame, read_frame_bytes
    from mefeat._io import clip_digest, file_hash

    hashes = []
    out = []
    for p in paths:
        data = read_frame_bytes(p)
        if with_hash:
            hashes.append(file_hash(data))
        img = decode_frame(data, p)
        if out and img.shape != out[0].shape:
            raise OSError(f"frame {p!r} has size {img.shape}, the clip's first frame {out[0].shape}")
        out.append(img)
    frames = np.stack(out) if out else np.zeros((0, 0, 0), np.uint8)
    return (frames, clip_digest(hashes)) if with_hash else frames


# ---------------------------------------------------------------------- sheet helpers
def missing_reason(path):
    """Why ``path`` cannot be found: "does not exist", or the broken symbolic link on its way (a loop,
    a missing target), which ``os.path.exists`` alone reports as "does not exist"."""
    path = os.path.abspath(os.fspath(path))
    parts = path.split(os.sep)
    for k in range(2, len(parts) + 1):
        p = os.sep.join(parts[:k])
        if os.path.islink(p):
            try:
                os.stat(p)
            except OSError as exc:
                what = "it" if p == path else f"its folder {p!r}"
                if exc.errno == errno.ELOOP:
                    return f"cannot be reached: {what} is a symbolic link in a loop (it leads back to itself)"
                return f"cannot be reached: {what} is a symbolic link to {os.readlink(p)!r}, which does not exist"
    return "does not exist"


#: Bounds of an annotation sheet. The largest real sheets are DFME's (7,526 rows over three files) and
#: SAMM's (a few hundred rows, under 20 columns); a small xlsx can declare millions of cells and expand
#: to gigabytes in memory, so sheets beyond these are refused before they are loaded.
MAX_SHEET_BYTES = 64 * 1024 * 1024
MAX_SHEET_ROWS = 200_000
MAX_SHEET_COLUMNS = 1_000


def _check_sheet_extent(path, sheet_name):
    """Stream the worksheet's rows (openpyxl read-only) and stop at the first one past the bounds."""
    import zipfile

    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ValueError(f"annotation file {path!r} is not a readable xlsx workbook: {exc}") from None
    try:
        ws = wb.worksheets[sheet_name] if isinstance(sheet_name, int) else wb[sheet_name]
        for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
            if n > MAX_SHEET_ROWS or len(row) > MAX_SHEET_COLUMNS:
                raise ValueError(
                    f"annotation file {path!r}: sheet {ws.title!r} has more than {MAX_SHEET_ROWS:,} rows or "
                    f"{MAX_SHEET_COLUMNS:,} columns (row {n} has {len(row):,} cells); an ME annotation sheet is far "
                    "smaller (limits in mefeat.datasets._base): not loaded")
    except (IndexError, KeyError):
        pass  # an unknown sheet: pandas names it in its own error below
    finally:
        wb.close()


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
        1-based row number in the file (as a spreadsheet program shows it). Cells are read as
        they are: no text is turned into a missing value (a clip named ``NA`` stays ``"NA"``);
        empty cells are ``""`` or None.

    Raises
    ------
    FileNotFoundError, ValueError
        Missing file; a CSV that cannot be decoded or parsed; no row contains all required
        columns (the message lists the first rows).

    Notes
    -----
    CSV files are decoded as UTF-8 (with or without a byte-order mark), else cp1252, else
    Latin-1 (the encodings spreadsheet programs write); the encoding used is in
    ``df.attrs["encoding"]``. Rows whose cells are all empty are skipped.
    """
    import pandas as pd

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"annotation file {path!r} {missing_reason(path)}")
    size = os.path.getsize(path)
    if size > MAX_SHEET_BYTES:
        raise ValueError(f"annotation file {path!r} is {size:,} bytes, more than the limit of {MAX_SHEET_BYTES:,} "
                         "(mefeat.datasets._base.MAX_SHEET_BYTES): not an ME annotation sheet?")
    encoding = None
    if path.lower().endswith((".xlsx", ".xlsm")):
        _check_sheet_extent(path, sheet_name)
    if path.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raw = pd.read_excel(path, sheet_name=sheet_name, header=None, dtype=object, na_filter=False)
    else:
        raw, encoding = _read_csv_ragged(path)
    want = {r.strip().lower() for r in required}
    for r in range(min(len(raw), 200)):
        cells = ["" if is_missing(c) else str(c).strip() for c in raw.iloc[r].tolist()]
        if want <= {c.lower() for c in cells}:
            body = raw.iloc[r + 1:].copy()
            names, seen = [], {}
            for j, c in enumerate(cells):
                c = c if c else f"Unnamed: {j}"
                if c in seen:
                    seen[c] += 1
                    c = f"{c}.{seen[c]}"
                seen.setdefault(c, 0)
                names.append(c)
            body.columns = names
            body["_sheet_row"] = np.arange(r + 2, r + 2 + len(body))
            # drop fully empty rows (trailing blank lines, ",,," lines, spacer rows) without reporting
            data_cols = [c for c in names if not c.startswith("Unnamed")]
            keep = [not all(_blank(v) for v in vals) for vals in body[data_cols].itertuples(index=False)]
            out = body[keep].reset_index(drop=True)
            out.attrs["encoding"] = encoding
            return out
    head = raw.head(5).to_string()
    raise ValueError(f"annotation file {path!r}: no header row with the columns {sorted(required)}; "
                     f"first rows:\n{head}")


_CSV_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


def _read_csv_ragged(path):
    """A CSV as an object DataFrame of text cells, one row per physical record (blank lines kept).

    Rows may have different field counts (a text preamble above the header): the frame is as
    wide as the longest row, so row numbers stay those a spreadsheet program shows. Returns
    ``(df, encoding)``.
    """
    import csv
    import io

    import pandas as pd

    with open(path, "rb") as f:
        data = f.read()
    for encoding in _CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - latin-1 decodes every byte string
        raise ValueError(f"annotation file {path!r} is not text in any of {list(_CSV_ENCODINGS)}")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ValueError(f"annotation file {path!r} cannot be parsed as CSV ({encoding}): {exc}") from exc
    width = max((len(r) for r in rows), default=0)
    if width == 0:
        return pd.DataFrame(dtype=object), encoding
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object), encoding


def cell_text(value):
    """A sheet cell as stripped text; empty/missing cells give ``""`` (never ``"nan"``).

    Text is never interpreted: ``"NA"``, ``"None"`` and ``"nan"`` are kept as the names they are.
    An integral float (``20.0`` from a spreadsheet) gives ``"20"``.
    """
    if is_missing(value):
        return ""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def col(df, *names):
    """Return the first of ``names`` present in ``df`` (case/space-insensitive), else None."""
    low = {str(c).strip().lower(): c for c in df.columns}
    for n in names:
        if n.lower() in low:
            return low[n.lower()]
    return None


def _to_frame_number(value):
    """Lenient int conversion: returns (int or None, problem str or None)."""
    if is_missing(value):
        return None, "missing"
    if isinstance(value, (bool, np.bool_)):
        return None, f"not a frame number: {value!r}"
    if isinstance(value, (int, np.integer)):
        if value < 0:
            return None, f"negative frame number {value}"
        return _bounded(int(value), value)
    if isinstance(value, (float, np.floating)):
        if math.isfinite(value) and value < 0:
            return None, f"negative frame number {value!r}"
        if math.isfinite(value) and float(value).is_integer():
            return _bounded(int(value), value)
        if not math.isfinite(value):
            return None, f"not a frame number: {value!r}"
        num, problem = _bounded(int(round(value)), value)
        return num, problem or f"non-integer frame number {value!r} rounded"
    text = str(value).strip()
    if text.lower() in _MISSING_NUMBER_TEXT:
        return None, "missing"
    if re.fullmatch(r"-\d+(\.0*)?", text):
        return None, f"negative frame number {text!r}"
    if re.fullmatch(r"\d+", text):
        return _bounded(int(text), text)
    if re.fullmatch(r"\d+\.0*", text):
        return _bounded(int(text.split(".")[0]), text)
    m = re.fullmatch(r"\D*(\d+)\D*", text)
    if m and text not in ("/", "-", "?"):
        num, problem = _bounded(int(m.group(1)), text)
        return num, problem or f"frame number {text!r} read as {num}"
    return None, f"not a frame number: {text!r}"


def _bounded(num, raw):
    if num > MAX_FRAME_NUMBER:
        return None, f"frame number {raw} is {_TOO_LARGE} (more than 2**53; no recording has that many frames)"
    return num, None


class RowBuilder:
    """Collects normalised rows and the validation report while a loader walks a sheet.

    Parameters
    ----------
    dataset : str
    errata : dict, optional
    check_frames : bool, default True
        Drop (and report) rows whose frame folder does not exist or does not hold every frame of
        onset..offset (the report names the missing frame numbers).
    source : str or path-like, optional
        The annotation file (or folder) read, named in the error when no clip is kept.
    """

    def __init__(self, dataset, *, errata=None, check_frames=True, source=None):
        self.dataset = dataset
        self.errata = errata
        self.check_frames = check_frames
        self.source = None if source is None else os.fspath(source)
        self.rows = []
        self.report = []
        self._keys = set()
        self._names = set()
        self._count = collections.Counter()
        self._listed = {}

    def note(self, rec, field, action, raw, value, reason):
        self.report.append({
            "dataset": self.dataset, "subject": _plain(rec.get("subject")), "clip": _plain(rec.get("clip")),
            "sheet_row": _plain(rec.get("sheet_row")), "field": field, "action": action,
            "raw": None if is_missing(raw) else str(raw), "value": None if is_missing(value) else str(value),
            "reason": reason,
        })

    def add(self, rec, *, apex_optional=False, emotion_map=None):
        """Validate one raw record and append it (or report why it was dropped).

        ``rec`` keys: subject, clip, onset, apex, offset, emotion_raw, aus_raw, fps,
        frame_dir, sheet_row, and optionally any extra columns (kept as they are). Pass the
        raw subject/clip cells: empty ones drop the row (reported). A (subject, clip) seen
        before gets the suffix ``_<k>`` where k is its position among **all** rows with that
        (subject, clip), kept or dropped (the second ``a`` is ``a_2`` even when the first was
        dropped), so names do not depend on which rows survive; errata are looked up with that
        final name. Returns True when the row was kept.
        """
        rec = dict(rec)
        rec["subject"] = cell_text(rec.get("subject"))
        rec["clip"] = cell_text(rec.get("clip"))
        if not rec["subject"] or not rec["clip"]:
            self.note(rec, "subject/clip", "dropped", f"{rec['subject']}/{rec['clip']}", None,
                      "subject or clip name is empty")
            return False
        # the final clip name comes first: errata are keyed by it
        base = (rec["subject"], rec["clip"])
        self._count[base] += 1
        k = self._count[base]
        name = rec["clip"] if k == 1 else f"{rec['clip']}_{k}"
        while (rec["subject"], name) in self._names:
            k += 1
            name = f"{rec['clip']}_{k}"
        if name != rec["clip"]:
            old = rec["clip"]
            rec["clip"] = name  # the report names the clip as the table does; the sheet's name is in raw
            self.note(rec, "clip", "fixed", old, name,
                      f"duplicate (subject, clip): row {self._count[base]} with this name, suffix added")
        key = (rec["subject"], name)
        self._names.add(key)
        fix = _errata.lookup(self.dataset, rec["subject"], rec["clip"], self.errata)
        if fix:
            for f, v in fix.items():
                if f == "source":
                    continue
                self.note(rec, f, "fixed", rec.get(f), v, f"erratum: {fix.get('source', 'no source')}")
                rec[f] = v
        nums = {}
        for field in ("onset", "apex", "offset"):
            raw = rec.get(field)
            num, problem = _to_frame_number(raw)
            if problem and _TOO_LARGE in problem:
                self.note(rec, field, "dropped", raw, None, f"{field}: {problem}")
                return False
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
        if offset is not None and offset == onset:
            self.note(rec, "offset", "dropped", rec.get("offset"), None,
                      f"1 frame (onset = offset = {onset}); at least 2 needed")
            return False
        if apex is not None and (apex < onset or (offset is not None and apex > offset)):
            self.note(rec, "apex", "fixed", rec.get("apex"), None,
                      f"apex {apex} outside onset..offset {onset}..{offset}: set to None "
                      "(Clip.apex_or_middle uses the middle frame)")
            apex = None
        elif apex is not None and apex == onset:
            # the onset is the neutral reference: an apex there makes every onset->apex flow zero
            self.note(rec, "apex", "fixed", rec.get("apex"), None,
                      f"apex {apex} = onset: no onset-to-apex motion (apex-based descriptors would get a zero "
                      "flow); set to None (Clip.apex_or_middle uses the middle frame)")
            apex = None
        rec.update(onset=onset, apex=apex, offset=offset)
        emo_raw = None if _blank(rec.get("emotion_raw")) else rec.get("emotion_raw")
        emotion = (emotion_map or normalize_emotion)(emo_raw)
        if emotion is None:
            self.note(rec, "emotion", "fixed" if emo_raw is not None else "note", emo_raw, None,
                      "emotion missing or not in the canonical vocabulary: emotion is None, raw value kept")
        rec["emotion"] = emotion
        aus_raw = None if _blank(rec.get("aus_raw")) else rec.get("aus_raw")
        aus, problems = parse_aus(aus_raw)
        for p in problems:
            self.note(rec, "aus", "fixed", aus_raw, sorted(aus), p)
        rec["aus"] = aus
        rec["aus_raw"] = aus_raw
        rec["emotion_raw"] = emo_raw
        if self.check_frames:
            if not os.path.isdir(rec["frame_dir"]):
                self.note(rec, "frame_dir", "dropped", rec["frame_dir"], None,
                          f"frame folder {missing_reason(rec['frame_dir'])}")
                return False
            if not self._check_range(rec, onset, offset):
                return False
        self._keys.add(key)
        for k, v in rec.items():  # blank extra cells (notes, objective class ...) are missing: None
            if isinstance(v, str) and not v.strip():
                rec[k] = None
        rec["dataset"] = self.dataset if _blank(rec.get("dataset")) else str(rec["dataset"]).strip()
        rec["n_frames"] = None if offset is None else offset - onset + 1
        self.rows.append(rec)
        return True

    def _frames_of(self, folder):
        """:func:`list_frames` of a folder, listed once per loader run (CAS(ME)^3 rows share a video)."""
        if folder not in self._listed:
            try:
                self._listed[folder] = list_frames(folder)
            except (OSError, ValueError):
                self._listed[folder] = None  # reported when the clip is read
        return self._listed[folder]

    def _check_range(self, rec, onset, offset):
        """Drop (and report) a row whose onset..offset frames are not all in its folder.

        Offset not annotated (= the folder's last frame): drop clips of 0 or 1 frame. A folder
        that cannot be listed, or holds two files with one frame number, is left to the read,
        whose error names the files.
        """
        frames = self._frames_of(rec["frame_dir"])
        if frames is None:
            return True
        if not frames:
            self.note(rec, "frame_dir", "dropped", rec["frame_dir"], None, "the frame folder holds no image files")
            return False
        hi = max(frames)
        if offset is None:
            if onset > hi:
                self.note(rec, "onset", "dropped", onset, None,
                          f"onset {onset} is after the last frame (offset not annotated; the folder holds "
                          f"{_holds(frames)})")
                return False
            if onset == hi:
                self.note(rec, "offset", "dropped", None, None,
                          f"1 frame (onset {onset} is the folder's last frame, offset not annotated); at least 2 "
                          "needed")
                return False
            offset = hi
        n_missing, text = _missing_frames(frames, onset, offset)
        if n_missing:
            self.note(rec, "frame_dir", "dropped", f"{onset}..{offset}", None,
                      f"{n_missing} of the {offset - onset + 1} frames {onset}..{offset} are not in the folder "
                      f"(it holds {_holds(frames)}): missing {text}")
            return False
        return True

    def build(self, name=None):
        """The MEDataset of the kept rows.

        Raises
        ------
        ValueError
            No row was kept although some were read (all dropped): the message gives the
            validation report's counts of dropped rows by field, with an example reason each.
        """
        import pandas as pd

        if not self.rows and any(r["action"] == "dropped" for r in self.report):
            raise ValueError(self._zero_clips_message())
        cols = list(TABLE_COLUMNS)
        extra = []
        for r in self.rows:
            for k in r:
                if k not in cols and k not in extra and k != "sheet_row":
                    extra.append(k)
        table = pd.DataFrame(self.rows, columns=cols + extra + ["sheet_row"], dtype=object)
        for c in ("onset", "apex", "offset", "n_frames", "sheet_row"):
            table[c] = pd.array([_plain(v) for v in table[c].tolist()], dtype="Int64")
        table["fps"] = pd.to_numeric(table["fps"], errors="coerce").astype(float)
        return MEDataset(table, name=name or self.dataset, validation_report=report_frame(self.report))

    def _zero_clips_message(self):
        dropped = [r for r in self.report if r["action"] == "dropped"]
        by_field = collections.Counter(r["field"] for r in dropped)
        first = {}
        for r in dropped:
            first.setdefault(r["field"], r["reason"])
        parts = "; ".join(f"{n} by {f!r} (e.g. {first[f]!r})" for f, n in by_field.most_common())
        src = f" from {self.source!r}" if self.source else ""
        return (f"{self.dataset}: 0 clips kept{src}: all {len(dropped)} rows were dropped ({parts}); "
                "check the root folder, the annotation file and the loader's options (e.g. modality=)")


def norm_key(text):
    """Normalised name for matching across sheet versions: lower case, numbers without leading zeros."""
    text = str(text).strip().lower()
    return re.sub(r"\d+", lambda m: str(int(m.group(0))), text)


def subject_code(value, width):
    """Zero-padded subject string for numeric subjects (1 -> '01'); other strings stripped."""
    if _blank(value):
        return ""
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and float(value).is_integer()):
        return f"{int(value):0{width}d}"
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.0*)?", text):
        return f"{int(float(text)):0{width}d}"
    return text
