"""Feature tables on disk: atomic writers and the two readers the evaluation code uses.

Layout of an extraction output folder::

    <out>/manifest.json            version, parameters, dataset, input hashes, timings, failures
    <out>/clips.csv                the normalised annotation table (one row per clip)
    <out>/features/<name>.csv      one table per descriptor: dataset, subject, clip, <features...>
    (or <out>/features/<name>.npz  with --format npz: X, index, feature_names)

Every file is written to a temporary file in the target folder and moved into place with
:func:`os.replace`, so a reader never sees a half-written table.
"""

import contextlib
import functools
import hashlib
import json
import os
import stat
import tempfile
import threading
import time

import numpy as np

from mefeat.exceptions import MefeatError

__all__ = ["write_features", "read_features", "read_clips_table", "read_clips", "write_clips_table", "write_json",
           "write_csv", "csv_escape", "csv_unescape", "atomic_write", "sha256_file", "file_hash",
           "clip_digest", "jsonable", "list_descriptors", "INDEX",
           "FolderLock", "OutputLocked", "fsync_dir", "replace_folder", "mkdtemp_shared", "TableError"]

INDEX = ("dataset", "subject", "clip")

#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP, "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class TableError(MefeatError, ValueError):
    """A table of an output folder that cannot be read as mefeat wrote it (the message names the file)."""


def csv_escape(value):
    """A text cell made safe for spreadsheets: a leading ``'`` when it starts with ``= + - @``, a tab or CR.

    Cells that already start with ``'`` get one more, so that :func:`csv_unescape` restores every
    value exactly. Non-text values (numbers, NaN) are returned unchanged: a negative number stays a
    number.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START + ("'",)):
        return "'" + value
    return value


def csv_unescape(value):
    """Undo :func:`csv_escape`."""
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value


def _is_text(dtype):
    import pandas as pd

    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def _escaped(df, index=True):
    """A copy of ``df`` whose text cells (and index labels) are escaped with :func:`csv_escape`."""
    import pandas as pd

    out = df.copy()
    for c in out.columns:
        if _is_text(out[c].dtype):
            out[c] = out[c].map(csv_escape)
    if index and isinstance(out.index, pd.MultiIndex):
        out.index = out.index.set_levels([lvl.map(csv_escape) if _is_text(lvl.dtype) else lvl
                                          for lvl in out.index.levels])
    elif index and _is_text(out.index.dtype):
        out.index = out.index.map(csv_escape)
    out.columns = [csv_escape(c) if isinstance(c, str) else c for c in out.columns]
    return out


def write_csv(path, df, *, index=False, **kwargs):
    """Write a DataFrame as CSV atomically, its text cells escaped against formula injection.

    Every CSV that mefeat writes goes through here; the readers of this module undo the escape.
    """
    with atomic_write(path, "w", encoding="utf-8", newline="") as f:
        _escaped(df, index=index).to_csv(f, index=index, **kwargs)
    return path


_UMASK_LOCK = threading.Lock()


def _current_umask():
    """The process umask, read without changing it where possible (Linux /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:  # the only portable way: set and restore
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def mkdtemp_shared(prefix, folder):
    """A temporary folder in ``folder`` with the permissions of a plain ``mkdir`` (``0o777 & ~umask``).

    :func:`tempfile.mkdtemp` makes it private (0700); a folder that is later renamed into place (a
    generated demo data set under a lab's shared ``MEFEAT_DATA_DIR``) must be readable as any other.
    """
    path = tempfile.mkdtemp(prefix=prefix, dir=folder)
    os.chmod(path, 0o777 & ~_current_umask())
    return path


@contextlib.contextmanager
def atomic_write(path, mode="w", **kwargs):
    """Open a temporary file next to ``path``; on success fsync it and move it over ``path``.

    The file gets the permissions a plain ``open(path, "w")`` would give (``0o666 & ~umask``),
    not the private ``0o600`` of :func:`tempfile.mkstemp`. The data is fsync'ed before the
    rename and the folder after it, so a crash leaves either the old file or the new one.

    Raises
    ------
    OSError
        With the target path in the message (e.g. a full disk: ``No space left on device``).
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _named_error(exc, path) from exc
    try:
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, path)
        fsync_dir(folder)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and path not in str(exc):
            raise _named_error(exc, path) from exc
        raise


def _named_error(exc, path):
    """The same OSError class, with ``path`` named in the message."""
    err = type(exc)(exc.errno, f"cannot write {path}: {exc.strerror or exc}") if exc.errno else OSError(
        f"cannot write {path}: {exc}")
    err.filename = path
    return err


def replace_folder(staged, dest):
    """Put the complete folder ``staged`` at ``dest`` (replacing a folder there) and remove what is left.

    The old folder is moved aside first and deleted only after the new one is in place, so that
    ``dest`` is never missing its complete contents for longer than two renames; on any error the
    staged folder is removed and the old one left where it was.
    """
    import shutil

    staged, dest = os.fspath(staged), os.fspath(dest)
    old = None
    try:
        if os.path.exists(dest):
            old = f"{dest}.old-{os.getpid()}"
            os.replace(dest, old)
        os.replace(staged, dest)
        fsync_dir(os.path.dirname(os.path.abspath(dest)))
    except BaseException:
        if old is not None and not os.path.exists(dest):
            os.replace(old, dest)
            old = None
        raise
    finally:
        for leftover in (staged, old):
            if leftover is not None and os.path.exists(leftover):
                shutil.rmtree(leftover, ignore_errors=True)


def fsync_dir(folder):
    """fsync a folder (so a rename in it is durable); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class OutputLocked(MefeatError, RuntimeError):
    """Another extraction holds the output folder."""


class FolderLock:
    """An exclusive lock on an output folder, held by one run at a time.

    The lock is the operating system's lock on ``<folder>/.mefeat.lock``, taken through
    :func:`filelock.lock_descriptor` (``flock`` on POSIX, ``LockFileEx`` on Windows): the
    operating system releases it when the holding process ends, however it ends, so a killed run
    never leaves a stale lock. The file is private to the user (0600), never opened through a
    symbolic link, and names the holder (pid, host, start time, command) for the error message of
    a second run (on Windows, whose locks also bar reading, the message may say "unknown holder").
    """

    NAME = ".mefeat.lock"

    def __init__(self, folder, holder=""):
        self.folder = os.fspath(folder)
        self.path = os.path.join(self.folder, self.NAME)
        self.holder = holder
        self._fd = None

    def acquire(self):
        import socket

        from filelock import lock_descriptor

        os.makedirs(self.folder, exist_ok=True)
        try:  # never through a symlink (its target would be truncated below), private to the user
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
                         | getattr(os, "O_NONBLOCK", 0), 0o600)
        except OSError as exc:
            if os.path.islink(self.path):
                raise OSError(f"{self.path} is a symbolic link; mefeat does not follow it (it would truncate its "
                              "target): remove it") from None
            raise _named_error(exc, self.path) from exc
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise OSError(f"{self.path} is not a regular file; remove it")
        if hasattr(os, "getuid") and st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:  # POSIX
            os.fchmod(fd, 0o600)  # a lock file of an older mefeat (0644): others could hold it with a read-only flock
        try:
            locked = lock_descriptor(fd, blocking=False)
        except OSError as exc:  # no lock on this file system (not another holder)
            os.close(fd)
            raise OSError(exc.errno, f"cannot lock {self.path}: {exc.strerror or exc}") from exc
        if not locked:
            info = ""
            try:
                info = os.read(fd, 4096).decode("utf-8", "replace").strip()
            except OSError:  # Windows: the holder's lock bars reading its bytes
                pass
            finally:
                os.close(fd)
            raise OutputLocked(f"{self.folder} is being written by another extraction ({info or 'unknown holder'}); "
                               "wait for it to finish or choose another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}, started "
                     f"{time.strftime('%Y-%m-%d %H:%M:%S')}{': ' + self.holder if self.holder else ''}".encode())
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self):
        if self._fd is not None:
            from filelock import unlock_descriptor

            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            unlock_descriptor(self._fd)
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def sha256_file(path):
    """sha256 hex digest of a file's bytes (:func:`hashlib.file_digest`)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def file_hash(data):
    """The sha256 digest (32 bytes) of one frame file's bytes: the unit of :func:`clip_digest`."""
    return hashlib.sha256(data).digest()


def clip_digest(file_hashes):
    """A clip's digest: sha256 hex over the :func:`file_hash` of each of its frame files, in frame order.

    The one definition of a clip's identity by content: the extraction's cache keys and
    ``manifest.json`` (``input_hashes``) and ``MEDataset.read_frames(i, with_hash=True)`` use it.

    Parameters
    ----------
    file_hashes : iterable of bytes
        :func:`file_hash` of every frame file, in frame order.

    Returns
    -------
    str
        64 hex characters.

    Examples
    --------
    >>> import hashlib
    >>> clip_digest([file_hash(b"frame 1"), file_hash(b"frame 2")]) == hashlib.sha256(
    ...     hashlib.sha256(b"frame 1").digest() + hashlib.sha256(b"frame 2").digest()).hexdigest()
    True
    """
    return hashlib.sha256(b"".join(file_hashes)).hexdigest()


def write_json(path, obj):
    """Write ``obj`` as indented JSON, atomically (values JSON cannot hold converted by :func:`jsonable`,
    other objects written as their ``str``)."""
    with atomic_write(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, sort_keys=False, default=functools.partial(jsonable, other=str))
        f.write("\n")


def jsonable(obj, *, other=repr):
    """``obj`` as plain JSON values: mefeat's one JSON converter (written files, records, cache keys).

    Parameters
    ----------
    obj : object
    other : callable, default repr
        Text of an object that has no JSON form. ``repr`` (cache keys, parameter records: it
        tells ``"1"`` from ``1``); :func:`write_json` passes ``str`` (readable paths).

    Returns
    -------
    object
        A dict (keys as ``str``) for a dict, a list for a list or tuple, a sorted list for a set,
        nested lists for an ndarray, the Python number or bool of a NumPy scalar, None, bool,
        int, float and str unchanged, else ``other(obj)``.

    Examples
    --------
    >>> import numpy as np
    >>> jsonable({"radii": (1, 1, np.int64(4)), "p": {3, 1}, "w": np.array([0.5]), 2: None})
    {'radii': [1, 1, 4], 'p': [1, 3], 'w': [0.5], '2': None}
    >>> from pathlib import PurePosixPath
    >>> jsonable(PurePosixPath("/data")), jsonable(PurePosixPath("/data"), other=str)
    ("PurePosixPath('/data')", '/data')
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v, other=other) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v, other=other) for v in obj]
    if isinstance(obj, (set, frozenset)):
        try:
            items = sorted(obj)
        except TypeError:  # mixed types: a stable order all the same
            items = sorted(obj, key=repr)
        return [jsonable(v, other=other) for v in items]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist(), other=other)
    if isinstance(obj, np.generic):
        return jsonable(obj.item(), other=other)
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return other(obj)


def write_features(out_dir, descriptor, X, index, feature_names=None, *, fmt="csv", overwrite=False):
    """Write one descriptor's feature table.

    Parameters
    ----------
    out_dir : str or path-like
        Extraction output folder; the table goes to ``<out_dir>/features/<descriptor>.<fmt>``.
    descriptor : str
    X : (n_clips, n_features) array_like of float
    index : sequence of (dataset, subject, clip) tuples, length n_clips
    feature_names : sequence of str, length n_features, optional
        Default ``<descriptor>_00000 ...``.
    fmt : {"csv", "npz"}
        ``csv`` (default) is read by ``pandas.read_csv`` directly (floats written with 17
        significant digits, so values round-trip exactly); ``npz`` is ~3x smaller and faster.
    overwrite : bool, default False

    Returns
    -------
    path : str

    Raises
    ------
    FileExistsError
        The table exists and ``overwrite`` is False.
    ValueError
        Shapes of X, index and feature_names disagree.
    """
    import pandas as pd

    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_clips, n_features), got shape {X.shape}")
    index = [tuple(str(v) for v in k) for k in index]
    if len(index) != X.shape[0]:
        raise ValueError(f"index has {len(index)} entries for {X.shape[0]} rows of X")
    if feature_names is None:
        feature_names = [f"{descriptor}_{k:05d}" for k in range(X.shape[1])]
    feature_names = [str(n) for n in feature_names]
    if len(feature_names) != X.shape[1]:
        raise ValueError(f"{len(feature_names)} feature names for {X.shape[1]} columns")
    if fmt not in ("csv", "npz"):
        raise ValueError(f"fmt must be 'csv' or 'npz', got {fmt!r}")
    path = os.path.join(os.fspath(out_dir), "features", f"{descriptor}.{fmt}")
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True (--force) to replace it")
    if fmt == "csv":
        df = pd.DataFrame(X, columns=feature_names)
        df.index = pd.MultiIndex.from_tuples(index, names=list(INDEX)) if index else pd.MultiIndex.from_arrays(
            [[], [], []], names=list(INDEX))
        write_csv(path, df, index=True, float_format="%.17g")
    else:
        with atomic_write(path, "wb") as f:
            np.savez(f, X=X, index=np.array(index, dtype=str).reshape(-1, 3),
                     feature_names=np.array(feature_names, dtype=str))
    return path


def list_descriptors(out_dir):
    """Names of the descriptor tables in an output folder (sorted)."""
    folder = os.path.join(os.fspath(out_dir), "features")
    if not os.path.isdir(folder):
        return []
    return sorted({os.path.splitext(n)[0] for n in os.listdir(folder)
                   if n.endswith((".csv", ".npz")) and not n.startswith(".")})


def _manifest_entry(out_dir, key, rel):
    """What ``manifest.json`` of ``out_dir`` records for one file (None: no manifest or not listed)."""
    path = os.path.join(os.fspath(out_dir), "manifest.json")
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            man = json.load(f)
    except (OSError, ValueError) as exc:
        raise TableError(f"{path} is unreadable ({exc}); pass verify=False to read the tables without it") from None
    for info in (man.get(key) or {}).values() if key == "tables" else [(man.get("files") or {}).get(rel)]:
        if info and info.get("file", rel) == rel:
            return info
    return None


def _verify(out_dir, key, rel, path):
    """Check a table against the sha256 its manifest records; returns the manifest entry (or None)."""
    info = _manifest_entry(out_dir, key, rel)
    if info is not None and info.get("sha256") and sha256_file(path) != info["sha256"]:
        raise TableError(f"{path} is not the file the extraction wrote (its sha256 differs from manifest.json: "
                         "edited, truncated or replaced since); re-run the extraction, or pass verify=False to "
                         "read a table you edited on purpose")
    return info


def _check_index(df, path):
    if df.index.has_duplicates:
        dup = df.index[df.index.duplicated()][0]
        raise TableError(f"{path}: clip {'/'.join(map(str, dup))} appears more than once")


def read_features(out_dir, descriptor, *, verify=True):
    """Read one descriptor's feature table.

    Parameters
    ----------
    out_dir : str or path-like
        Extraction output folder.
    descriptor : str
        E.g. ``"lbp_top"``.
    verify : bool, default True
        Check the file against the sha256, clip count and feature count that the folder's
        ``manifest.json`` records for it (a table edited, truncated or replaced since the
        extraction is an error). ``False`` reads a table you edited on purpose; the checks of the
        layout (index columns, numbers in every cell, one row per clip) are always made.

    Returns
    -------
    pandas.DataFrame, (n_clips, n_features)
        Index: MultiIndex (dataset, subject, clip) of str; columns: feature names; float64.

    Raises
    ------
    FileNotFoundError
        No table for ``descriptor`` (the message lists the available ones).
    TableError (a ValueError)
        Both ``<descriptor>.csv`` and ``<descriptor>.npz`` exist (one is stale: which one is
        meant cannot be told); the table does not match the manifest; or it is not laid out as
        mefeat writes tables (empty, not CSV, other index columns, a cell that is not a number,
        a blank cell, a clip twice). The message names the file.
    """
    import pandas as pd

    base = os.path.join(os.fspath(out_dir), "features", descriptor)
    if os.path.exists(base + ".npz") and os.path.exists(base + ".csv"):
        raise TableError(f"both {base}.csv and {base}.npz exist; one is left over from another run: "
                         "remove it (or re-run the extraction with --force)")
    for ext in (".npz", ".csv"):
        path = base + ext
        if os.path.exists(path):
            break
    else:
        raise FileNotFoundError(
            f"no feature table {descriptor!r} in {os.fspath(out_dir)!r}; available: {list_descriptors(out_dir)}")
    info = _verify(out_dir, "tables", os.path.join("features", descriptor + ext), path) if verify else None
    if ext == ".npz":
        import zipfile

        try:
            with np.load(path, allow_pickle=False) as z:
                X, idx, names = z["X"], z["index"], z["feature_names"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise TableError(f"{path} is not a readable mefeat feature table (npz with X, index, feature_names): "
                             f"{type(exc).__name__}: {exc}") from None
        if X.ndim != 2 or idx.shape != (X.shape[0], 3) or names.shape != (X.shape[1],):
            raise TableError(f"{path}: inconsistent shapes X {X.shape}, index {idx.shape}, feature_names "
                             f"{names.shape}")
        index = pd.MultiIndex.from_arrays([idx[:, k].astype(str) for k in range(3)], names=list(INDEX))
        df = pd.DataFrame(X.astype(np.float64, copy=False), index=index, columns=[str(n) for n in names])
    else:
        df = _read_feature_csv(path)
    _check_index(df, path)
    if info is not None and (info.get("n_clips"), info.get("n_features")) != df.shape:
        raise TableError(f"{path} holds {df.shape[0]} clips x {df.shape[1]} features; manifest.json says "
                         f"{info.get('n_clips')} x {info.get('n_features')}")
    return df


def _read_feature_csv(path):
    import pandas as pd

    try:
        with open(path, "rb") as f:
            head = f.read(4096)
        if not head.strip():
            raise TableError(f"{path} is empty")
        if b"\0" in head:
            raise TableError(f"{path} is not a text file (binary data)")
        df = pd.read_csv(path, dtype={k: str for k in INDEX}, keep_default_na=False, na_values=[""])
    except TableError:
        raise
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise TableError(f"{path} is not a readable CSV table: {exc}") from None
    if tuple(df.columns[:3]) != INDEX:
        raise TableError(f"{path}: the first columns must be {', '.join(INDEX)} (a table written by mefeat), "
                         f"found {', '.join(map(str, df.columns[:3]))}")
    for c in INDEX:
        df[c] = df[c].map(csv_unescape)
    df = df.set_index(list(INDEX))
    df.columns = [csv_unescape(c) for c in df.columns]
    bad = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c].dtype)]
    if bad:
        col = df[bad[0]]
        num = pd.to_numeric(col, errors="coerce")
        row = int(np.flatnonzero(num.isna() & col.notna())[0]) if (num.isna() & col.notna()).any() else 0
        raise TableError(f"{path}: column {bad[0]!r} holds {col.iloc[row]!r} (clip {'/'.join(df.index[row])}), "
                         "not a number")
    blank = df.isna().to_numpy()
    if blank.any():
        r, c = np.argwhere(blank)[0]
        raise TableError(f"{path}: {int(blank.sum())} blank cell(s), first at clip {'/'.join(df.index[r])}, "
                         f"column {df.columns[c]!r} (a truncated or hand-edited table?)")
    return df.astype(np.float64)


def write_clips_table(out_dir, table, *, overwrite=False):
    """Write the normalised annotation table as ``<out_dir>/clips.csv`` (aus as '+'-joined numbers)."""
    path = os.path.join(os.fspath(out_dir), "clips.csv")
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True (--force) to replace it")
    df = table.copy()
    if "aus" in df:
        df["aus"] = ["+".join(str(a) for a in sorted(v)) if isinstance(v, (set, frozenset)) else v
                     for v in df["aus"]]
    return write_csv(path, df)


#: Numeric columns of clips.csv, read as text and checked (a non-number is an error, not a silent NA).
_CLIP_NUMBERS = ("onset", "apex", "offset", "n_frames", "fps")


def read_clips_table(out_dir, *, verify=True):
    """Read ``clips.csv``: the labels of the extracted clips.

    ``verify`` checks the file against the sha256 in the folder's ``manifest.json`` (see
    :func:`read_features`); the layout is always checked and every error names the file.

    Returns
    -------
    pandas.DataFrame, (n_clips, n_columns)
        Index: MultiIndex (dataset, subject, clip) of str (the same keys as
        :func:`read_features`); columns include ``emotion``, ``emotion_raw``, ``aus``
        (frozenset of int), ``onset``, ``apex``, ``offset``, ``fps``, ``status``.
    """
    import pandas as pd

    path = os.path.join(os.fspath(out_dir), "clips.csv")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} does not exist: run `python -m mefeat.extract --out {out_dir}` first")
    if verify:
        _verify(out_dir, "files", "clips.csv", path)
    try:
        df = pd.read_csv(path, dtype={k: str for k in INDEX + _CLIP_NUMBERS} | {
            "aus": str, "emotion": str, "emotion_raw": str, "aus_raw": str}, keep_default_na=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise TableError(f"{path} is not a readable CSV table: {exc}") from None
    missing = [c for c in INDEX if c not in df.columns]
    if missing:
        raise TableError(f"{path} has no column {', '.join(map(repr, missing))} (columns: "
                         f"{', '.join(map(str, df.columns[:6]))}): not a comma-separated clip table written by mefeat")
    for c in df.columns:
        if _is_text(df[c].dtype):
            df[c] = df[c].map(csv_unescape)
    df.columns = [csv_unescape(c) for c in df.columns]
    if "aus" in df:
        try:
            df["aus"] = [frozenset(int(a) for a in str(v).split("+") if a.strip()) for v in df["aus"]]
        except ValueError:
            bad = next(v for v in df["aus"] if not all(a.strip().isdigit() for a in str(v).split("+") if a.strip()))
            raise TableError(f"{path}: column 'aus' holds {bad!r}, not '+'-joined AU numbers") from None
    for c in _CLIP_NUMBERS:
        if c in df:
            text = df[c].str.strip()
            num = pd.to_numeric(text.replace({"": None}), errors="coerce")
            bad = num.isna() & (text != "")
            if bad.any():
                r = int(np.flatnonzero(bad)[0])
                raise TableError(f"{path}: column {c!r} holds {df[c].iloc[r]!r} (row {r + 2}, clip "
                                 f"{df['clip'].iloc[r]}), not a number")
            df[c] = num if c == "fps" else pd.array(num, dtype="Int64")
    for c in ("emotion", "emotion_raw", "aus_raw"):
        if c in df:
            df[c] = df[c].replace({"": None})
    df = df.set_index(list(INDEX))
    _check_index(df, path)
    return df


def read_clips(out_dir, *, verify=True):
    """The clip table of an extraction output: labels, groups and status of every clip.

    Parameters
    ----------
    out_dir : str or path-like
    verify : bool, default True
        Check ``clips.csv`` against the sha256 that ``manifest.json`` records (see
        :func:`read_features`).

    Returns
    -------
    pandas.DataFrame, (n_clips, n_columns)
        Indexed like :func:`read_features` (dataset, subject, clip). Columns include
        ``emotion`` (the label ``y``), ``group`` (the subject-independent CV group: the subject,
        or ``"<dataset>/<subject>"`` for composite data sets), ``split`` when the data set has
        one (DFME: ``train``/``testA``/``testB``), ``aus``, ``onset``, ``apex``, ``offset``,
        ``fps`` and ``status`` (``ok`` or why the clip failed).

    Examples
    --------
    >>> clips = read_clips("mefeat_output")                 # doctest: +SKIP
    >>> X = read_features("mefeat_output", "lbp_top")       # doctest: +SKIP
    >>> y, groups = clips.loc[X.index, "emotion"], clips.loc[X.index, "group"]  # doctest: +SKIP
    """
    df = read_clips_table(out_dir, verify=verify)
    if "group" not in df.columns:  # the loaders set a group only where it is not the subject
        df["group"] = df.index.get_level_values("subject")
    return df
