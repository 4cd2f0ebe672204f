"""Reliability and security, round 3: one regression test per mechanism of the fault battery.

Every test here fails on mefeat 0.3.2. They use the small random-texture data set of
``tests/test_runner.py`` (manifest format, ``face.align=false``) so that a run takes about a second.
"""

import os
import stat
import struct
import zlib

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin

import mefeat
from mefeat import catalogue
from mefeat._frames import read_frame, read_frame_bytes
from mefeat._io import FolderLock
from mefeat.extraction import ExtractionError, extract_features
from tests.test_runner import CHEAP_PARAMS, load, make_clips


@pytest.fixture
def data(tmp_path):
    return make_clips(tmp_path / "data")


def _run(data, out, descriptors="lbp_top", **kw):
    return extract_features(load(data), descriptors, CHEAP_PARAMS, out=out, n_jobs=1, progress=False, **kw)


# --------------------------------------------------------------------------- the shared prepared clip
class _Scribbler(TransformerMixin, BaseEstimator):
    """A careless custom descriptor: zeroes its input clip in place, then returns its mean."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        out = []
        for clip in X:
            clip.frames[...] = 0
            out.append([float(np.mean(clip.frames))])
        return np.array(out)

    def get_feature_names_out(self, input_features=None):
        return np.array(["scribble"], dtype=object)


class _TwoRows(_Scribbler):
    def transform(self, X):
        return np.zeros((2 * len(X), 1))


class _NamesDisagree(_Scribbler):
    def transform(self, X):
        return np.zeros((len(X), 4))

    def get_feature_names_out(self, input_features=None):
        return np.array([f"f{k}" for k in range(6)], dtype=object)


@pytest.mark.parametrize("cls, words", [
    (_Scribbler, ["writes into its input clip", "read-only"]),
    (_TwoRows, ["shape (2, 1) for 1 clip", "one row per clip"]),
    (_NamesDisagree, ["returns 4 features", "names 6"]),
])
def test_a_faulty_custom_descriptor_is_refused_before_any_clip(tmp_path, data, monkeypatch, cls, words):
    spec = catalogue.DescriptorSpec("faulty", cls, "tim", label="Faulty", default=False)
    monkeypatch.setitem(catalogue._CATALOGUE, "faulty", spec)
    with pytest.raises(ValueError) as info:
        _run(data, tmp_path / "o", "faulty,hog_top")
    msg = str(info.value)
    assert "faulty" in msg and all(w in msg for w in words), msg
    assert not (tmp_path / "o" / "cache" / "feat").exists()  # nothing computed, nothing cached


def test_prepared_clips_are_read_only_for_every_descriptor(tmp_path, data):
    from mefeat.extraction import worker

    seen = []
    real = worker.compute_features

    def spy(prepared, tables, flow, timings=None):
        seen.extend(c.frames.flags.writeable for c in prepared.values())
        return real(prepared, tables, flow, timings)

    worker.compute_features = spy
    try:
        _run(data, tmp_path / "o", "lbp_top,hog_top")
    finally:
        worker.compute_features = real
    assert seen and not any(seen)


# --------------------------------------------------------------------------- files that are not mefeat's
def test_lock_is_never_opened_through_a_symlink(tmp_path, data):
    out = tmp_path / "o"
    out.mkdir()
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    (out / ".mefeat.lock").symlink_to(victim)
    with pytest.raises(OSError, match="symbolic link"):
        _run(data, out)
    assert victim.read_text() == "keep me"


def test_lock_file_is_private_to_the_user(tmp_path):
    with FolderLock(tmp_path):
        mode = stat.S_IMODE(os.stat(tmp_path / ".mefeat.lock").st_mode)
    assert mode == 0o600
    os.chmod(tmp_path / ".mefeat.lock", 0o644)  # left by an older version
    with FolderLock(tmp_path):
        assert stat.S_IMODE(os.stat(tmp_path / ".mefeat.lock").st_mode) == 0o600


def test_files_mefeat_did_not_write_are_never_deleted(tmp_path, data):
    out = tmp_path / "o"
    _run(data, out)
    mine = out / "features" / "my_notes.csv"
    mine.write_text("a,b\n1,2\n")
    _run(data, out, "hog_top", force=True)  # force replaces mefeat's tables, not the user's file
    assert mine.read_text() == "a,b\n1,2\n"
    assert not (out / "features" / "lbp_top.csv").exists() and (out / "features" / "hog_top.csv").exists()


def test_a_symlinked_features_folder_is_refused(tmp_path, data):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "thesis_table.csv").write_text("x\n1\n")
    out = tmp_path / "o"
    out.mkdir()
    (out / "features").symlink_to(elsewhere)
    with pytest.raises(ExtractionError, match="symbolic link"):
        _run(data, out, force=True)
    assert (elsewhere / "thesis_table.csv").exists()


def test_a_smaller_run_does_not_cut_the_tables_without_force(tmp_path, data):
    out = tmp_path / "o"
    _run(data, out)
    small = load(data).subset(range(2))
    with pytest.raises(ExtractionError, match="4 clips, 2 of which are not in this run"):
        extract_features(small, "lbp_top", CHEAP_PARAMS, out=out, n_jobs=1, progress=False)
    assert len(mefeat.read_features(out, "lbp_top")) == 4
    extract_features(small, "lbp_top", CHEAP_PARAMS, out=out, n_jobs=1, progress=False, force=True)
    assert len(mefeat.read_features(out, "lbp_top")) == 2


@pytest.mark.parametrize("kw", [{"out": ""}, {"out": "  "}, {"cache_dir": ""}, {"descriptors": ""},
                                {"descriptors": " , "}])
def test_empty_names_are_errors_not_the_current_folder_or_everything(tmp_path, data, monkeypatch, kw):
    monkeypatch.chdir(tmp_path)
    args = {"descriptors": "lbp_top", "out": tmp_path / "o", **kw}
    with pytest.raises(ValueError, match="empty"):
        extract_features(load(data), args.pop("descriptors"), CHEAP_PARAMS, n_jobs=1, progress=False, **args)
    assert sorted(os.listdir(tmp_path)) == ["data"]


# --------------------------------------------------------------------------- a cache that cannot be written
@pytest.mark.parametrize("how", ["parent_is_a_file", "dangling_link", "entry_is_a_folder"])
def test_an_unwritable_cache_degrades_to_no_caching_with_one_warning(tmp_path, data, caplog, how):
    if how == "parent_is_a_file":
        (tmp_path / "plain").write_text("")
        cache = tmp_path / "plain" / "cache"
    elif how == "dangling_link":
        cache = tmp_path / "cache"
        cache.symlink_to(tmp_path / "gone" / "away")
    else:
        cache = tmp_path / "cache"
        _run(data, tmp_path / "first", cache_dir=cache)
        for entry in (cache / "feat").rglob("*.mfc"):  # every feature entry becomes a folder
            entry.unlink()
            entry.mkdir()
    with caplog.at_level("WARNING", logger="mefeat"):
        r = _run(data, tmp_path / "o", cache_dir=cache)
    assert r.n_failed == 0 and r.tables["lbp_top"]["n_clips"] == 4
    warnings = [rec.getMessage() for rec in caplog.records if "cannot be written" in rec.getMessage()]
    assert len(warnings) == 1, caplog.text
    if how != "entry_is_a_folder":
        np.testing.assert_array_equal(mefeat.read_features(tmp_path / "o", "lbp_top").to_numpy(),
                                      _reference(data, tmp_path))


def _reference(data, tmp_path):
    _run(data, tmp_path / "ref", cache_dir="none")
    return mefeat.read_features(tmp_path / "ref", "lbp_top").to_numpy()


def test_an_unreadable_entry_is_not_called_corrupt(tmp_path, data, caplog):
    cache = tmp_path / "cache"
    _run(data, tmp_path / "a", cache_dir=cache)
    entry = sorted((cache / "feat").rglob("*.mfc"))[0]
    entry.unlink()
    entry.mkdir()
    with caplog.at_level("WARNING", logger="mefeat"):
        _run(data, tmp_path / "b", cache_dir=cache)
    text = caplog.text
    assert "unreadable cache entry" in text and "corrupt cache entry" not in text


# --------------------------------------------------------------------------- stale results
def test_a_frame_edited_in_place_with_its_size_and_mtime_kept_is_read_again(tmp_path):
    import cv2

    folder = tmp_path / "data" / "p0" / "c0"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    for t in range(12):
        cv2.imwrite(str(folder / f"{t:04d}.bmp"), rng.integers(0, 256, (40, 40), dtype=np.uint8))
    ann = tmp_path / "data" / "clips.csv"
    ann.write_text("subject,clip,frame_dir,onset,apex,offset,emotion\np0,c0,p0/c0,0,6,11,happiness\n")
    out = tmp_path / "o"
    _run(ann, out)
    before = mefeat.read_features(out, "lbp_top").to_numpy()
    frame = folder / "0005.bmp"
    st = os.stat(frame)
    raw = bytearray(frame.read_bytes())
    raw[-800:] = bytes(255 - b for b in raw[-800:])  # same size, other pixels (rsync --inplace -t)
    with open(frame, "r+b") as f:
        f.write(raw)
    os.utime(frame, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(frame).st_size == st.st_size and os.stat(frame).st_mtime_ns == st.st_mtime_ns
    r = _run(ann, out)
    assert not r.up_to_date and r.tables["lbp_top"]["computed"] == 1
    assert not np.array_equal(mefeat.read_features(out, "lbp_top").to_numpy(), before)


# --------------------------------------------------------------------------- inputs that block or never end
def test_a_fifo_frame_fails_the_clip_at_once_instead_of_blocking(tmp_path, data):
    frame = tmp_path / "data" / "p0" / "c0" / "0003.png"
    frame.unlink()
    os.mkfifo(frame)
    r = _run(data, tmp_path / "o")  # would block forever on 0.3.2: nobody writes to the FIFO
    assert r.n_failed == 1
    assert "FIFO" in r.failures[0]["reason"] and "0003.png" in r.failures[0]["reason"]


def test_a_device_is_not_read_as_a_frame(tmp_path):
    link = tmp_path / "0000.png"
    link.symlink_to("/dev/zero")
    with pytest.raises(OSError, match="device, not a regular file"):
        read_frame(link)


def test_frame_files_over_the_byte_limit_are_refused(tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * 2048)
    with pytest.raises(OSError, match="2,048 bytes, more than the limit of 1,000"):
        read_frame_bytes(big, limit=1000)


def _png_header(width, height):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(
        b"IEND", b"")


def test_an_image_bomb_is_refused_before_it_is_decoded(tmp_path):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_header(100_000, 100_000))  # a few hundred bytes claiming 10 Gpx
    with pytest.raises(OSError, match="100000 x 100000 pixels, more than the limit"):
        read_frame(bomb)


@pytest.mark.parametrize("ext", [".png", ".jpg", ".bmp", ".tif", ".pgm"])
def test_image_size_reads_every_supported_header(ext):
    import cv2

    from mefeat._frames import image_size

    ok, buf = cv2.imencode(ext, np.zeros((37, 53), np.uint8))
    assert ok and image_size(buf.tobytes()) == (53, 37)


# --------------------------------------------------------------------------- signals, dead parents, limits
def _extract_cmd(data, out):
    import sys

    return [sys.executable, "-m", "mefeat.extract", "--dataset", "manifest", "--annotations", str(data),
            "--descriptors", "lbp_top,bi_woof", "--param", "face.align=false", "--out", str(out), "--n-jobs", "2",
            "-q"]  # the default flow (TV-L1): a few seconds of work a clip, so the run is still going when signalled


def _wait_for_workers(p, out, timeout=240):
    import time

    from tests.test_runner import _children, _entries

    deadline, workers = time.time() + timeout, []
    while time.time() < deadline and not _entries(out / "cache") and p.poll() is None:
        workers = _children(p.pid) or workers
        time.sleep(0.2)
    return _children(p.pid) or workers


@pytest.mark.slow
def test_workers_stop_when_the_command_is_killed(tmp_path):
    import signal
    import subprocess
    import time

    from tests.test_runner import _alive

    data = make_clips(tmp_path / "data", n=24, frames=40, size=96)
    p = subprocess.Popen(_extract_cmd(data, tmp_path / "out"), stderr=subprocess.DEVNULL)
    workers = _wait_for_workers(p, tmp_path / "out")
    assert p.poll() is None and workers
    p.send_signal(signal.SIGKILL)  # the OOM killer: no handler runs in the command
    p.wait(timeout=30)
    deadline = time.time() + 15
    while time.time() < deadline and [w for w in workers if _alive(w)]:
        time.sleep(0.2)
    assert not [w for w in workers if _alive(w)]


@pytest.mark.slow
def test_sighup_stops_the_run_like_ctrl_c(tmp_path):
    import signal
    import subprocess

    data = make_clips(tmp_path / "data", n=24, frames=40, size=96)
    p = subprocess.Popen(_extract_cmd(data, tmp_path / "out"), stderr=subprocess.PIPE, text=True)
    _wait_for_workers(p, tmp_path / "out")
    assert p.poll() is None
    p.send_signal(signal.SIGHUP)
    assert p.wait(timeout=60) == 130
    assert "interrupted" in p.stderr.read()


def test_a_too_small_address_space_is_a_clear_error(tmp_path):
    import resource
    import subprocess
    import sys

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (900 * 1024 ** 2, resource.RLIM_INFINITY))

    r = subprocess.run([sys.executable, "-m", "mefeat.extract", "--demo-size", "tiny", "--out", str(tmp_path / "o")],
                       preexec_fn=limit, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    assert "ulimit -v" in r.stderr and "at least 2 GiB" in r.stderr


def test_an_out_that_is_a_file_is_named(tmp_path, data):
    (tmp_path / "o").write_text("")
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        _run(data, tmp_path / "o")


def test_extracting_a_list_of_clips_says_what_to_use(tmp_path):
    with pytest.raises(TypeError, match="MEDataset.*transformers"):
        extract_features([np.zeros((3, 8, 8))], "lbp_top", out=tmp_path / "o")


# --------------------------------------------------------------------------- readers that verify
def test_read_features_refuses_a_table_changed_since_the_extraction(tmp_path, data):
    out = tmp_path / "o"
    _run(data, out)
    path = out / "features" / "lbp_top.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])  # truncated last row
    with pytest.raises(mefeat._io.TableError, match="lbp_top.csv.*sha256 differs"):
        mefeat.read_features(out, "lbp_top")
    with pytest.raises(mefeat._io.TableError, match="lbp_top.csv: .*blank cell"):
        mefeat.read_features(out, "lbp_top", verify=False)  # the layout check still catches it


@pytest.mark.parametrize("damage, words", [
    ("duplicate", ["appears more than once"]),
    ("columns", ["first columns must be dataset, subject, clip"]),
    ("text", ["holds 'abc'", "not a number"]),
    ("empty", ["is empty"]),
    ("binary", ["not a text file"]),
])
def test_read_features_names_the_file_in_every_error(tmp_path, data, damage, words):
    out = tmp_path / "o"
    _run(data, out)
    path = out / "features" / "lbp_top.csv"
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    if damage == "duplicate":
        path.write_text(text + lines[1])
    elif damage == "columns":
        path.write_text(text.replace("dataset,subject,clip", "subject,dataset,clip", 1))
    elif damage == "text":
        head, first = lines[0], lines[1].split(",")
        first[5] = "abc"
        path.write_text(head + ",".join(first) + "".join(lines[2:]))
    elif damage == "empty":
        path.write_text("")
    else:
        path.write_bytes(b"\x89\x00\x01" * 100)
    with pytest.raises(mefeat._io.TableError) as info:
        mefeat.read_features(out, "lbp_top", verify=False)
    assert str(path) in str(info.value) and all(w in str(info.value) for w in words), str(info.value)


def test_a_truncated_npz_table_is_named(tmp_path, data):
    out = tmp_path / "o"
    _run(data, out, fmt="npz")
    path = out / "features" / "lbp_top.npz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(mefeat._io.TableError, match="lbp_top.npz is not a readable"):
        mefeat.read_features(out, "lbp_top", verify=False)


@pytest.mark.parametrize("edit, words", [
    (lambda t: t.replace(",", ";"), ["no column", "comma-separated"]),
    (lambda t: t.replace(",0,6,11,", ",zero,6,11,", 1), ["'onset' holds 'zero'", "not a number"]),
])
def test_read_clips_names_the_file_and_the_cell(tmp_path, edit, words):
    ann = make_clips(tmp_path / "data", n=2)
    ann.write_text(ann.read_text().replace(",6,11,", ",6,11,"))
    out = tmp_path / "o"
    extract_features(load(ann), "lbp_top", CHEAP_PARAMS, out=out, n_jobs=1, progress=False)
    path = out / "clips.csv"
    path.write_text(edit(path.read_text()))
    with pytest.raises(mefeat._io.TableError) as info:
        mefeat.read_clips(out, verify=False)
    assert str(path) in str(info.value) and all(w in str(info.value) for w in words), str(info.value)
    with pytest.raises(mefeat._io.TableError, match="sha256 differs"):
        mefeat.read_clips(out)


# --------------------------------------------------------------------------- CSV injection
def test_formula_cells_are_escaped_in_every_csv_and_read_back_unchanged(tmp_path):
    import csv

    folder = tmp_path / "data"
    make_clips(folder, n=2)
    (folder / "clips.csv").write_text(
        "subject,clip,frame_dir,onset,apex,offset,emotion\n"
        "=HYPERLINK(1),c0,p0/c0,0,6,11,@SUM(A1)\n"
        "p1,+c1,p1/c1,0,6,11,-cmd\n")
    out = tmp_path / "o"
    extract_features(load(folder / "clips.csv"), "lbp_top", CHEAP_PARAMS, out=out, n_jobs=1, progress=False)
    for rel in ("clips.csv", "features/lbp_top.csv"):
        with open(out / rel, newline="") as f:
            cells = [c for row in csv.reader(f) for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "@") or (c[:1] == "-" and not _number(c))], rel
    clips = mefeat.read_clips(out)
    assert set(clips.index.get_level_values("subject")) == {"=HYPERLINK(1)", "p1"}
    assert set(clips["emotion_raw"]) == {"@SUM(A1)", "-cmd"}
    feats = mefeat.read_features(out, "lbp_top")
    assert set(feats.index.get_level_values("clip")) == {"c0", "+c1"}


def _number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def test_csv_escape_round_trips():
    from mefeat._io import csv_escape, csv_unescape

    for v in ["=1+1", "+x", "-x", "@x", "\tx", "\rx", "'already", "''", "plain", "", "-", 3, -2.5]:
        assert csv_unescape(csv_escape(v)) == v
    assert csv_escape("=1") == "'=1" and csv_escape(-2.5) == -2.5 and csv_escape("a=b") == "a=b"


# --------------------------------------------------------------------------- bounded annotation sheets
@pytest.mark.parametrize("shape", ["tall", "wide"])
def test_an_annotation_sheet_that_would_expand_to_gigabytes_is_refused(tmp_path, shape):
    import openpyxl

    from mefeat.datasets._base import MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, read_sheet

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = "Subject", "Filename"
    if shape == "tall":
        ws.cell(row=MAX_SHEET_ROWS + 5, column=2, value="x")  # a few kB declaring 200k rows
    else:
        ws.cell(row=2, column=MAX_SHEET_COLUMNS + 5, value="x")
    path = tmp_path / "SAMM_Micro_FACS_Codes_v2.xlsx"
    wb.save(path)
    assert path.stat().st_size < 20_000
    with pytest.raises(ValueError, match="SAMM_Micro_FACS_Codes_v2.xlsx.*more than"):
        read_sheet(path, ["Subject", "Filename"])


def test_an_oversized_annotation_file_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    from mefeat.datasets import _base

    path = tmp_path / "clips.csv"
    path.write_text("subject,clip\n" + "s1,c1\n" * 100)
    monkeypatch.setattr(_base, "MAX_SHEET_BYTES", 100)
    with pytest.raises(ValueError, match="clips.csv' is 613 bytes, more than the limit of 100"):
        _base.read_sheet(path, ["subject", "clip"])


def test_vv_logs_one_line_per_clip_that_v_does_not(tmp_path, data, capsys):
    from mefeat.extract import main
    from tests.test_runner import CHEAP

    args = [a for a in CHEAP if a != "-q"] + ["--annotations", str(data)]
    assert main(args + ["--out", str(tmp_path / "b"), "-v"]) == 0
    v = capsys.readouterr().err
    assert main(args + ["--out", str(tmp_path / "c"), "-vv"]) == 0
    vv = capsys.readouterr().err
    per_clip = [ln for ln in vv.splitlines() if "computed lbp_top, cached -" in ln]
    assert len(per_clip) == 4 and not [ln for ln in v.splitlines() if "computed lbp_top" in ln]


def test_a_data_folder_behind_a_symlink_loop_is_named_as_such(tmp_path):
    """0.3.2 said the folder "does not exist"."""
    from mefeat.datasets._base import missing_reason

    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    assert "symbolic link in a loop" in missing_reason(tmp_path / "a" / "s01" / "clip1")
    (tmp_path / "c").symlink_to(tmp_path / "gone")
    assert "which does not exist" in missing_reason(tmp_path / "c" / "x")
    assert missing_reason(tmp_path / "plain") == "does not exist"
    data = make_clips(tmp_path / "data", n=2)
    (tmp_path / "data" / "p0").rename(tmp_path / "data" / "p0_real")
    (tmp_path / "data" / "p0").symlink_to(tmp_path / "data" / "p0")  # a loop where the frames were
    ds = load(data)
    rep = ds.validation_report
    assert any("symbolic link in a loop" in str(r) for r in rep["reason"]), rep


def test_compare_names_a_missing_emotion_column_and_its_file(tmp_path, data):
    from mefeat.evaluation import comparison

    out = tmp_path / "o"
    _run(data, out)
    clips = mefeat.read_clips(out).drop(columns=["emotion"])
    with pytest.raises(ValueError, match=r"clips.csv has no 'emotion' column"):
        comparison._labelled(out, "lbp_top", clips)


def test_running_out_of_memory_is_said_in_words(tmp_path, data, monkeypatch, capsys):
    from mefeat import extract

    def no_memory(*args, **kwargs):
        raise MemoryError()

    import mefeat.extraction

    monkeypatch.setattr(mefeat.extraction, "extract_features", no_memory)
    from tests.test_runner import CHEAP
    assert extract.main(CHEAP + ["--annotations", str(data), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "out of memory" in err and "--n-jobs 1" in err


def test_read_clips_names_an_aus_cell_that_is_not_au_numbers(tmp_path):
    import pandas as pd

    ann = make_clips(tmp_path / "data", n=2)
    out = tmp_path / "o"
    extract_features(load(ann), "lbp_top", CHEAP_PARAMS, out=out, n_jobs=1, progress=False)
    path = out / "clips.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert "aus" in df.columns
    df.loc[0, "aus"] = "L12"
    df.to_csv(path, index=False)
    with pytest.raises(mefeat._io.TableError, match=r"clips.csv: column 'aus' holds 'L12'"):
        mefeat.read_clips(out, verify=False)
