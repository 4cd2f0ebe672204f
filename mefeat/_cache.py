"""Checksummed, content-addressed cache entries of the extraction runner.

An entry is one file ``<cache>/<kind>/<key[:2]>/<key>.mfc``::

    MEFEAT-CACHE 1\\n
    <key> <sha256 of (key + payload)> <payload length>\\n
    <payload: an .npz archive of the entry's arrays>

The key is in the file and in the checksum, so a truncated, zero-byte, bit-flipped entry *or one
copied or renamed onto another key* is detected on read (:class:`CorruptEntry`); the runner then
reports it, deletes it and computes the value again. Entries are written atomically (temporary
file, fsync, rename), so a kill never leaves half an entry under its final name.
"""

import hashlib
import io
import os

import numpy as np

from mefeat._io import atomic_write
from mefeat.exceptions import MefeatError

__all__ = ["CorruptEntry", "entry_path", "read_entry", "write_entry", "remove_entry", "MAGIC"]

MAGIC = b"MEFEAT-CACHE 1\n"
_SUFFIX = ".mfc"


class CorruptEntry(MefeatError):
    """A cache entry exists but cannot be trusted (the message says why)."""


def entry_path(cache_dir, kind, key):
    """Where the entry ``key`` of ``kind`` (``"clip"``, ``"prep"``, ``"feat"``, ``"checked"``) lives."""
    return os.path.join(cache_dir, kind, key[:2], key + _SUFFIX)


def _digest(key, payload):
    return hashlib.sha256(key.encode("ascii") + b"\0" + payload).hexdigest()


def write_entry(path, key, arrays):
    """Write ``arrays`` (dict of name -> ndarray) as the entry ``key`` at ``path``."""
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    payload = buf.getvalue()
    header = MAGIC + f"{key} {_digest(key, payload)} {len(payload)}\n".encode("ascii")
    with atomic_write(path, "wb") as f:
        f.write(header)
        f.write(payload)
    return path


def read_entry(path, key):
    """Read and verify the entry ``key``; None when it does not exist.

    Raises
    ------
    CorruptEntry
        Empty, truncated, altered, or written for another key.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    if not data:
        raise CorruptEntry("empty file (0 bytes)")
    if not data.startswith(MAGIC):
        raise CorruptEntry("not a mefeat cache entry (bad header)")
    end = data.find(b"\n", len(MAGIC))
    if end < 0:
        raise CorruptEntry("truncated header")
    try:
        stored_key, digest, length = data[len(MAGIC):end].decode("ascii").split(" ")
        length = int(length)
    except ValueError:
        raise CorruptEntry("malformed header") from None
    if stored_key != key:
        raise CorruptEntry(f"holds the entry {stored_key[:12]}..., not {key[:12]}... (moved or copied)")
    payload = data[end + 1:]
    if len(payload) != length:
        raise CorruptEntry(f"truncated: {len(payload)} of {length} payload bytes")
    if _digest(key, payload) != digest:
        raise CorruptEntry("checksum mismatch (the file was altered)")
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError) as exc:  # pragma: no cover - the checksum catches this first
        raise CorruptEntry(f"unreadable payload: {exc}") from None


def remove_entry(path):
    """Delete an entry (a corrupt one), ignoring a concurrent removal."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
