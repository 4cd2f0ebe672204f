"""Cache keys of an extraction: mefeat's source hash, the versions of the libraries that compute
features, the plan's keys (prepared clip, features, "these settings passed the dry run"), the frame
files' stat key and the clip digest, and the checked reads and writes of cache entries."""

import contextlib
import dataclasses
import hashlib
import json
import os

from mefeat import _cache
from mefeat import catalogue as _catalogue
from mefeat._io import clip_digest, file_hash, jsonable

#: Version of the cache-key scheme and of manifest.json.
ENGINE_VERSION = 2

_SOURCE_HASH = {}

#: Parts of the package that do not compute features (loaders, evaluation, comparison, figures, the command
#: line): editing them does not invalidate cached features.
_NOT_FEATURE_CODE = ("datasets/", "evaluation/", "compare.py", "extract.py", "plot.py")

#: mefeat's own folder (this module is in its ``extraction/``).
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def package_source_hash(package_dir=None):
    """sha256 over the relative paths and bytes of the ``*.py`` files of mefeat that compute features.

    Part of every cache key: editing any descriptor, kernel, flow, face, temporal or extraction module
    invalidates the cached results; the loaders, evaluation, comparison, figures and command line
    (:data:`_NOT_FEATURE_CODE`) do not enter it. Memoised per folder for the life of the process
    (about 2 ms).
    """
    if package_dir is None:
        package_dir = _PACKAGE_DIR
    package_dir = os.fspath(package_dir)
    if package_dir not in _SOURCE_HASH:
        files = []
        for folder, dirs, names in os.walk(package_dir):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
            files += [os.path.join(folder, n) for n in names if n.endswith(".py")]
        h = hashlib.sha256()
        for path in sorted(files, key=lambda p: os.path.relpath(p, package_dir).replace(os.sep, "/")):
            rel = os.path.relpath(path, package_dir).replace(os.sep, "/")
            if rel.startswith(_NOT_FEATURE_CODE):
                continue
            h.update(rel.encode() + b"\0")
            with open(path, "rb") as f:
                h.update(hashlib.file_digest(f, "sha256").digest())
        _SOURCE_HASH[package_dir] = h.hexdigest()
    return _SOURCE_HASH[package_dir]


#: Distributions whose versions enter every cache key: they compute features (frames, faces, flows, kernels).
_KEYED_DISTRIBUTIONS = ("numpy", "scipy", "numba", "llvmlite", "scikit-image", "dlib-bin", "dlib",
                        "opencv-contrib-python-headless", "opencv-contrib-python", "opencv-python-headless",
                        "opencv-python")
_VERSIONS = []


def dependency_versions():
    """``{distribution: version}`` of the installed libraries that compute features (part of every
    cache key: upgrading OpenCV, dlib or numba recomputes the features). Memoised per process."""
    if not _VERSIONS:
        from importlib import metadata

        found = {}
        for name in _KEYED_DISTRIBUTIONS:
            try:
                found[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                pass
        _VERSIONS.append(found)
    return dict(_VERSIONS[0])


def hash_parts(*parts):
    """sha256 of the JSON of ``parts`` (keys sorted; other objects by their repr)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode()).hexdigest()


def spec_fingerprint(spec):
    """'' for mefeat's own descriptors (their code is in the source hash), else a hash of the class source."""
    cls = spec.transformer_class
    if getattr(cls, "__module__", "").split(".")[0] == "mefeat":
        return ""
    return hashlib.sha256(_catalogue.source_of(spec).encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Plan:
    """Everything a worker needs besides the clip: stage settings, tables and key material.

    Attributes
    ----------
    face, tim, flow : dict
        The preprocessing stages' settings.
    tables : tuple of mefeat.extraction.records.Table
    source : str
        :func:`package_source_hash`.
    cache_dir : str or None
    versions : dict
        :func:`dependency_versions`.
    """

    face: dict
    tim: dict
    flow: dict
    tables: tuple
    source: str
    cache_dir: object
    versions: dict = dataclasses.field(default_factory=dependency_versions)

    def prep_key(self, digest, annot):
        return hash_parts("prep", ENGINE_VERSION, self.source, self.versions, digest, annot, self.face, self.tim)

    def checked_keys(self):
        """Keys of "this table's settings passed the dry run with this code"
        (:func:`~mefeat.extraction.compile.dry_run`), per table.

        The flow settings are not part of them: the dry run always uses a fixed cheap flow, and
        :func:`mefeat.catalogue.resolve` checks the flow parameters on every call.
        """
        return {t.name: hash_parts("checked", ENGINE_VERSION, self.source, self.versions, self.face, self.tim,
                                   t.spec.name, t.spec.input, jsonable(t.params), t.fingerprint)
                for t in self.tables}

    def feat_keys(self, prep_key):
        return {t.name: hash_parts("feat", prep_key, t.spec.name, t.spec.input, jsonable(t.params),
                                   self.flow if t.spec.uses_flow else None, t.fingerprint)
                for t in self.tables}


def stat_key(paths):
    """Key of the frame files' identity: finds a clip's byte digest without reading the files.

    Path, size, inode, modification *and change* time: a file edited in place with its size and
    modification time restored (``rsync --inplace -t``, ``touch -r``) still gets a new change
    time, which no user-level tool can set back, so its bytes are read and hashed again.
    """
    return hash_parts("stat", [(p, s.st_size, s.st_mtime_ns, s.st_ctime_ns, s.st_ino)
                               for p, s in ((p, os.stat(p)) for p in paths)])


#: The clip digest from the :func:`~mefeat._io.file_hash` of its frame files, in frame order.
combine_digests = clip_digest


def bytes_digest(paths):
    """A clip's digest (:func:`mefeat._io.clip_digest`), reading its frame files."""
    from mefeat._frames import read_frame_bytes

    return clip_digest([file_hash(read_frame_bytes(p)) for p in paths])


def read_cached(cache_dir, kind, key, report):
    """A verified cache entry or None; a corrupt one is reported, removed and treated as missing."""
    if cache_dir is None:
        return None
    path = _cache.entry_path(cache_dir, kind, key)
    try:
        return _cache.read_entry(path, key)
    except _cache.CorruptEntry as exc:
        report.append(f"corrupt cache entry {path}: {exc}")
        with contextlib.suppress(OSError):  # a read-only shared cache: leave it, recompute
            _cache.remove_entry(path)
        return None
    except OSError as exc:
        report.append(f"unreadable cache entry {path}: {exc}")
        return None


def write_cached(cache_dir, kind, key, arrays):
    """Store an entry; a cache that cannot be written (full disk, read-only, a broken link ...) is not an error.

    Returns None, or why the entry could not be written: the run goes on without caching it and
    says so once (see :meth:`mefeat.extraction.run.Run.collect`).
    """
    if cache_dir is None:
        return None
    try:
        _cache.write_entry(_cache.entry_path(cache_dir, kind, key), key, arrays)
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None
