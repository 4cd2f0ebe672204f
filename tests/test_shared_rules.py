"""Rules defined once: the exception base class, the JSON converter, the clip digest, n_jobs and thread
counts, the folder lock (filelock's portable primitive), file hashing and the demo's folder swap."""

import ast
import errno
import hashlib
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import mefeat
from mefeat import _io, _validation
from mefeat._io import FolderLock, OutputLocked

PKG = pathlib.Path(mefeat.__file__).parent


# --------------------------------------------------------------------------- one exception base class
def _exception_classes():
    """(module, class, base names) of every class in mefeat whose bases include an exception class."""
    import builtins

    builtin = {n for n in dir(builtins) if isinstance(getattr(builtins, n), type)
               and issubclass(getattr(builtins, n), BaseException)}
    found = []
    for path in sorted(PKG.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases]
                if any(b in builtin or b.endswith(("Error", "Exception")) or b == "MefeatError" for b in bases):
                    found.append((path.relative_to(PKG).as_posix(), node.name, bases))
    return found


def test_every_mefeat_exception_derives_from_mefeat_error():
    found = _exception_classes()
    names = {c for _, c, _ in found}
    assert {"TableError", "OutputLocked", "CorruptEntry", "ExtractionError", "FaceNotFoundError"} <= names
    bad = [(m, c, b) for m, c, b in found
           if "MefeatError" not in b and c != "MefeatError"
           and not any(x.endswith("Warning") for x in b)  # warnings are not errors
           and b != ["BaseException"]]  # a control-flow signal that `except Exception` must not catch
    assert not bad, f"exception classes outside the MefeatError hierarchy: {bad}"


def test_the_builtin_bases_are_kept():
    from mefeat._cache import CorruptEntry
    from mefeat.extraction import ExtractionError
    from mefeat.face import FaceNotFoundError

    for cls, base in ((_io.TableError, ValueError), (OutputLocked, RuntimeError), (ExtractionError, RuntimeError),
                      (FaceNotFoundError, ValueError), (CorruptEntry, Exception)):
        assert issubclass(cls, mefeat.MefeatError) and issubclass(cls, base), cls
    with pytest.raises(ValueError):  # an older `except ValueError` still catches it
        raise _io.TableError("x")
    assert "MefeatError" in dir(mefeat)


# --------------------------------------------------------------------------- one JSON converter
def test_the_json_converters_are_one():
    from mefeat import catalogue
    from mefeat.evaluation import protocol

    assert catalogue._jsonable is _io.jsonable
    assert protocol.jsonable is _io.jsonable
    assert not hasattr(protocol, "_jsonable") and not hasattr(_io, "_json_default")


def test_jsonable_values():
    j = _io.jsonable
    assert j({1: (np.int64(2), np.float32(0.5), np.bool_(True))}) == {"1": [2, 0.5, True]}
    assert type(j(np.int64(2))) is int and type(j(np.float64(0.25))) is float
    assert j({3, 1, 2}) == [1, 2, 3] and j(frozenset({"b", "a"})) == ["a", "b"]
    assert j({1, "a"}) in ([1, "a"], ["a", 1])  # mixed types: sorted by repr, no TypeError
    assert j(np.arange(4).reshape(2, 2)) == [[0, 1], [2, 3]]
    assert np.isnan(j(float("nan"))) and j(float("inf")) == float("inf")  # 0.4.0's catalogue raised here
    assert j(pathlib.PurePosixPath("/a/b")) == "PurePosixPath('/a/b')"
    assert j(pathlib.PurePosixPath("/a/b"), other=str) == "/a/b"


def test_write_json_keeps_its_output(tmp_path):
    # write_json's output for the values it met in 0.4.0 (ints, floats, sets, arrays, paths)
    obj = {"n": np.int64(3), "x": np.float32(0.5), "s": {2, 1}, "a": np.array([1.5, 2.0]),
           "p": pathlib.PurePosixPath("/data/x"), "t": (1, "a"), "none": None}
    _io.write_json(tmp_path / "o.json", obj)
    text = (tmp_path / "o.json").read_text()
    assert json.loads(text) == {"n": 3, "x": 0.5, "s": [1, 2], "a": [1.5, 2.0], "p": "/data/x", "t": [1, "a"],
                                "none": None}
    assert text == json.dumps(json.loads(text), indent=1) + "\n"


# --------------------------------------------------------------------------- one clip digest, file hashing
def test_sha256_file_matches_hashlib(tmp_path):
    data = np.random.default_rng(0).bytes(3 * (1 << 20) + 17)  # several read blocks
    (tmp_path / "f").write_bytes(data)
    assert _io.sha256_file(tmp_path / "f") == hashlib.sha256(data).hexdigest()


def test_clip_digest_is_one_definition(tmp_path):
    from mefeat.datasets import load_demo
    from mefeat.extraction import keys

    ds = load_demo(0, data_dir=tmp_path, n_subjects=1, emotions=("surprise",), clip_frames=(12, 12), size=160)
    paths = ds.frame_paths(0)
    expected = hashlib.sha256(b"".join(hashlib.sha256(pathlib.Path(p).read_bytes()).digest()
                                       for p in paths)).hexdigest()
    frames, digest = ds.read_frames(0, with_hash=True)
    assert digest == expected == keys.bytes_digest(paths)
    assert keys.combine_digests is _io.clip_digest
    assert frames.shape[0] == len(paths)


# --------------------------------------------------------------------------- n_jobs and thread counts
@pytest.mark.parametrize("value", [None, 1, 4, -1, -2, np.int64(2)])
def test_n_jobs_accepted(value):
    assert _validation.check_n_jobs(value) == (None if value is None else int(value))


@pytest.mark.parametrize("value", [0, True, 1.5, "2", np.float64(2.0)])
def test_n_jobs_refused(value):
    with pytest.raises(ValueError, match="n_jobs must be None, a positive int or a negative int"):
        _validation.check_n_jobs(value)


def test_n_workers():
    assert [_validation.n_workers(n, 8) for n in (None, -1, -2, -8, -9, 1, 3, 16)] == [8, 8, 7, 1, 1, 1, 3, 16]


def test_every_n_jobs_is_checked_by_the_one_rule(tmp_path):
    from mefeat.datasets import load_demo
    from mefeat.extraction import ExtractionError, extract_features
    from mefeat.flow import clip_flows
    from mefeat.transformers import LBPTOP, FaceAligner

    with pytest.raises(ValueError) as one:
        _validation.check_n_jobs(0)
    clip = np.zeros((4, 16, 16), np.uint8)
    ds = load_demo(0, data_dir=tmp_path, n_subjects=1, emotions=("surprise",), clip_frames=(12, 12), size=160)
    calls = [lambda: LBPTOP(n_jobs=0).fit([clip]), lambda: FaceAligner(n_jobs=0).fit([clip]),
             lambda: clip_flows(clip, mode="onset_each", method="dis", n_jobs=0),
             lambda: extract_features(ds, "lbp_top", out=tmp_path / "o", n_jobs=0, progress=False)]
    for call in calls:
        with pytest.raises(ValueError) as err:
            call()
        assert str(err.value) == str(one.value)
    # -2 (all cores but one) passes every check: the extraction gets as far as the empty data set
    with pytest.raises(ExtractionError, match="no clip to extract"):
        extract_features(ds.subset([]), "lbp_top", out=tmp_path / "o", n_jobs=-2, progress=False)
    assert clip_flows(np.zeros((3, 16, 16), np.uint8), mode="onset_each", method="dis", n_jobs=-2).shape[0] == 2


def test_thread_count_rule():
    from mefeat.descriptors._threads import resolve_threads

    assert _validation.check_n_threads(None) is None and _validation.check_n_threads(np.int64(3)) == 3
    for bad in (0, -1, True, 2.0):
        with pytest.raises(ValueError, match="n_threads must be None or an int >= 1"):
            _validation.check_n_threads(bad)
    with pytest.raises(ValueError, match="n_threads=5 exceeds the limit L=4"):
        _validation.check_n_threads(5, limit=4, limit_name="the limit L")
    with pytest.raises(ValueError, match="n_threads must be None or an int >= 1"):
        mefeat.hog_top(np.zeros((4, 16, 16)), n_threads=0)
    with pytest.raises(ValueError, match="n_threads must be None or an int >= 1"):
        resolve_threads(0)


# --------------------------------------------------------------------------- the folder lock (filelock)
def test_the_lock_contends_with_filelock(tmp_path):
    import filelock

    with filelock.FileLock(str(tmp_path / FolderLock.NAME)), pytest.raises(OutputLocked):
        FolderLock(tmp_path).acquire()
    with FolderLock(tmp_path, holder="me"):
        assert "me" in (tmp_path / FolderLock.NAME).read_text()
        with pytest.raises(filelock.Timeout):
            filelock.FileLock(str(tmp_path / FolderLock.NAME), timeout=0).acquire()
    assert (tmp_path / FolderLock.NAME).read_text() == ""  # released and emptied


def test_a_file_system_without_locks_is_not_reported_as_another_run(tmp_path, monkeypatch):
    import filelock

    def no_locks(fd, **kw):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(filelock, "lock_descriptor", no_locks)
    with pytest.raises(OSError, match=r"cannot lock .*\.mefeat\.lock: No locks available") as err:
        FolderLock(tmp_path).acquire()
    assert not isinstance(err.value, OutputLocked) and err.value.errno == errno.ENOLCK


def test_the_holder_is_named_across_processes(tmp_path):
    code = ("import sys, time; from mefeat._io import FolderLock; "
            f"lock = FolderLock({str(tmp_path)!r}, holder='the other run').acquire(); "
            "print('held', flush=True); sys.stdin.read()")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(OutputLocked, match=rf"pid {proc.pid} on .*: the other run"):
            FolderLock(tmp_path).acquire()
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    with FolderLock(tmp_path):
        pass


# --------------------------------------------------------------------------- the demo's folder swap
def test_the_demo_is_swapped_in_by_the_one_helper(tmp_path, monkeypatch):
    from mefeat.datasets import make_demo

    params = dict(n_subjects=1, emotions=("surprise",), clip_frames=(12, 12), size=160)
    root = make_demo(0, data_dir=tmp_path, **params)
    stamp = os.path.join(root, "stale")
    open(stamp, "w").close()
    calls = []
    real = _io.replace_folder
    monkeypatch.setattr(_io, "replace_folder", lambda a, b: calls.append((a, b)) or real(a, b))
    assert make_demo(0, data_dir=tmp_path, force=True, **params) == root
    assert [b for _, b in calls] == [root] and not os.path.exists(stamp)
    parent = os.path.dirname(root)
    assert sorted(os.listdir(parent)) == [os.path.basename(root)]  # no staged or old folder left

    def lost_race(staged, dest):  # another process put a complete demo in place first
        raise OSError(errno.ENOTEMPTY, "Directory not empty")

    monkeypatch.setattr(_io, "replace_folder", lost_race)
    assert make_demo(0, data_dir=tmp_path, force=True, **params) == root
    assert sorted(os.listdir(parent)) == [os.path.basename(root)]
    os.remove(os.path.join(root, "demo.json"))  # no complete demo: the error is real
    with pytest.raises(OSError, match="not empty"):
        make_demo(0, data_dir=tmp_path, force=True, **params)
