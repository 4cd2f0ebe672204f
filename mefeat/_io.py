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
import hashlib
import json
import os
import tempfile
import threading
import time

import numpy as np

__all__ = ["write_features", "read_features", "read_clips_table", "read_clips", "write_clips_table", "write_json",
           "atomic_write", "sha256_file", "list_descriptors", "INDEX", "FolderLock", "OutputLocked", "fsync_dir"]

INDEX = ("dataset", "subject", "clip")


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


class OutputLocked(RuntimeError):
    """Another extraction holds the output folder."""


class FolderLock:
    """An exclusive lock on an output folder, held by one run at a time.

    The lock is ``fcntl.flock`` on ``<folder>/.mefeat.lock``: the operating system releases it
    when the holding process ends, however it ends, so a killed run never leaves a stale lock.
    The file names the holder (pid, host, start time, command) for the error message of a
    second run.
    """

    NAME = ".mefeat.lock"

    def __init__(self, folder, holder=""):
        self.folder = os.fspath(folder)
        self.path = os.path.join(self.folder, self.NAME)
        self.holder = holder
        self._fd = None

    def acquire(self):
        import fcntl
        import socket

        os.makedirs(self.folder, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                info = os.read(fd, 4096).decode("utf-8", "replace").strip()
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
            import fcntl

            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def sha256_file(path, chunk=1 << 20):
    """sha256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def write_json(path, obj):
    """Write ``obj`` as indented JSON, atomically."""
    with atomic_write(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, sort_keys=False, default=_json_default)
        f.write("\n")


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


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
        with atomic_write(path, "w", encoding="utf-8", newline="") as f:
            df.to_csv(f, float_format="%.17g")
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


def read_features(out_dir, descriptor):
    """Read one descriptor's feature table.

    Parameters
    ----------
    out_dir : str or path-like
        Extraction output folder.
    descriptor : str
        E.g. ``"lbp_top"``.

    Returns
    -------
    pandas.DataFrame, (n_clips, n_features)
        Index: MultiIndex (dataset, subject, clip) of str; columns: feature names; float64.

    Raises
    ------
    FileNotFoundError
        No table for ``descriptor`` (the message lists the available ones).
    ValueError
        Both ``<descriptor>.csv`` and ``<descriptor>.npz`` exist (one is stale: which one is
        meant cannot be told).
    """
    import pandas as pd

    base = os.path.join(os.fspath(out_dir), "features", descriptor)
    if os.path.exists(base + ".npz") and os.path.exists(base + ".csv"):
        raise ValueError(f"both {base}.csv and {base}.npz exist; one is left over from another run: "
                         "remove it (or re-run the extraction with --force)")
    if os.path.exists(base + ".npz"):
        with np.load(base + ".npz", allow_pickle=False) as z:
            idx = pd.MultiIndex.from_arrays([z["index"][:, k].astype(str) for k in range(3)], names=list(INDEX))
            return pd.DataFrame(z["X"], index=idx, columns=[str(n) for n in z["feature_names"]])
    if os.path.exists(base + ".csv"):
        df = pd.read_csv(base + ".csv", dtype={k: str for k in INDEX}, keep_default_na=False,
                         na_values=[""], index_col=list(range(3)))
        return df.astype(np.float64)
    raise FileNotFoundError(
        f"no feature table {descriptor!r} in {os.fspath(out_dir)!r}; available: {list_descriptors(out_dir)}")


def write_clips_table(out_dir, table, *, overwrite=False):
    """Write the normalised annotation table as ``<out_dir>/clips.csv`` (aus as '+'-joined numbers)."""
    path = os.path.join(os.fspath(out_dir), "clips.csv")
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True (--force) to replace it")
    df = table.copy()
    if "aus" in df:
        df["aus"] = ["+".join(str(a) for a in sorted(v)) if isinstance(v, (set, frozenset)) else v
                     for v in df["aus"]]
    with atomic_write(path, "w", encoding="utf-8", newline="") as f:
        df.to_csv(f, index=False)
    return path


def read_clips_table(out_dir):
    """Read ``clips.csv``: the labels of the extracted clips.

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
    df = pd.read_csv(path, dtype={k: str for k in INDEX} | {"aus": str, "emotion": str, "emotion_raw": str,
                                                            "aus_raw": str}, keep_default_na=False,
                     na_values={"onset": [""], "apex": [""], "offset": [""], "fps": [""], "n_frames": [""]})
    if "aus" in df:
        df["aus"] = [frozenset(int(a) for a in str(v).split("+") if a.strip()) for v in df["aus"]]
    for c in ("onset", "apex", "offset", "n_frames"):
        if c in df:
            df[c] = pd.array(pd.to_numeric(df[c], errors="coerce"), dtype="Int64")
    for c in ("emotion", "emotion_raw", "aus_raw"):
        if c in df:
            df[c] = df[c].replace({"": None})
    return df.set_index(list(INDEX))


def read_clips(out_dir):
    """The clip table of an extraction output: labels, groups and status of every clip.

    Parameters
    ----------
    out_dir : str or path-like

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
    df = read_clips_table(out_dir)
    if "group" not in df.columns:  # the loaders set a group only where it is not the subject
        df["group"] = df.index.get_level_values("subject")
    return df
