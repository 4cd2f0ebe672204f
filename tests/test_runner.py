"""Reliability of the extraction runner and its command line (issue 9's requirements, one test each).

Most tests use a small "own data" set in the manifest format (random-texture clips, no face) with
``face.align=false`` and LBP-TOP only, so that a run takes about a second.
"""

import errno
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import mefeat
from mefeat import _cache, _jit, extraction
from mefeat._io import FolderLock, OutputLocked, atomic_write, sha256_file
from mefeat.extract import main
from mefeat.extraction import ExtractionError, backends, extract_features, keys, output
from mefeat.extraction import compile as compiling

CHEAP = ["--dataset", "manifest", "--descriptors", "lbp_top", "--param", "face.align=false", "--n-jobs", "1", "-q"]
CHEAP_PARAMS = {"face.align": False}


def make_clips(folder, n=4, frames=12, size=40, seed=0):
    """``n`` clips of random texture in the manifest layout; returns the manifest path."""
    import cv2

    rng = np.random.default_rng(seed)
    rows = ["subject,clip,frame_dir,onset,apex,offset,emotion"]
    for k in range(n):
        d = folder / f"p{k % 2}" / f"c{k}"
        d.mkdir(parents=True)
        base = rng.integers(0, 256, (size, size), dtype=np.uint8)
        for t in range(frames):
            img = np.roll(base, t, axis=1) ^ rng.integers(0, 4, (size, size), dtype=np.uint8)
            cv2.imwrite(str(d / f"{t:04d}.png"), img)
        rows.append(f"p{k % 2},c{k},p{k % 2}/c{k},0,{frames // 2},{frames - 1},{'happiness' if k % 2 else 'surprise'}")
    path = folder / "clips.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def data(tmp_path):
    return make_clips(tmp_path / "data")


def cli(data, out, *extra):
    return main(CHEAP + ["--annotations", str(data), "--out", str(out)] + list(extra))


def manifest(out):
    with open(os.path.join(out, "manifest.json")) as f:
        return json.load(f)


def load(data):
    return mefeat.datasets.load_manifest(data)


# --------------------------------------------------------------------------- parameters, up front
@pytest.mark.parametrize("param, words", [
    ("lbp_top.radi=1,1,4", ["lbp_top.radi", "did you mean 'radii'"]),
    ("lbp_top.radii=abc", ["radii", "integers"]),
    ("tim.n_frames=-3", ["tim.n_frames", ">= 2"]),
    ("lbptop.radii=1,1,4", ["lbptop", "did you mean 'lbp_top'"]),
    ("flow.preset=slow", ["flow.preset", "flow.method=dis", "'tvl1'"]),
    ("flow.border=reflect", ["flow.border", "zero", "replicate"]),
    ("face.size=0", ["face.size", ">= 16"]),
])
def test_bad_param_exits_2_before_the_data_set_is_read(tmp_path, data, monkeypatch, capsys, param, words):
    from mefeat import extract

    def boom(args):
        raise AssertionError("the data set was opened before the parameters were checked")

    monkeypatch.setattr(extract, "load_dataset_from_args", boom)
    assert cli(data, tmp_path / "out", "--param", param) == 2
    err = capsys.readouterr().err
    for w in words:
        assert w in err
    assert not (tmp_path / "out").exists()


def test_bad_value_for_the_chosen_flow_backend_exits_2(tmp_path, data, monkeypatch, capsys):
    from mefeat import extract

    monkeypatch.setattr(extract, "load_dataset_from_args", lambda args: pytest.fail("data set opened"))
    assert cli(data, tmp_path / "out", "--param", "flow.method=tvl1", "--param", "flow.epsilon=abc") == 2
    err = capsys.readouterr().err
    assert "flow.epsilon" in err and "float" in err
    assert not (tmp_path / "out").exists()


def test_out_of_range_grid_and_limit(tmp_path, data, capsys):
    assert main(CHEAP + ["--annotations", str(data), "--out", str(tmp_path / "o"), "--descriptors", "optical_strain",
                         "--param", "optical_strain.grid=0,0"]) == 2
    assert "optical_strain.grid=0,0" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli(data, tmp_path / "o", "--limit", "-1")
    assert exc.value.code == 2
    assert "--limit" in capsys.readouterr().err


def test_data_dependent_check_runs_before_any_clip(tmp_path, data, monkeypatch):
    """Rt=6 needs 13 frames; the TIM clips have 10: refused up front, no clip read."""
    ds = load(data)
    monkeypatch.setattr(type(ds), "frame_paths", lambda self, i: pytest.fail("a clip was read"))
    with pytest.raises(ValueError, match="lbp_top"):
        extract_features(ds, "lbp_top", {**CHEAP_PARAMS, "lbp_top.radii": (1, 1, 6)}, out=tmp_path / "o",
                         progress=False)
    with pytest.raises(ValueError, match="did you mean"):
        extract_features(ds, "lbp_top", {"lbp_top.n_point": 4}, out=tmp_path / "o")


# --------------------------------------------------------------------------- runs that cannot succeed
def test_every_clip_failing_exits_1_and_keeps_earlier_outputs(tmp_path, data, capsys):
    out = tmp_path / "out"
    assert cli(data, out) == 0
    before = sha256_file(out / "features" / "lbp_top.csv")
    for png in (data.parent).rglob("*.png"):
        png.write_bytes(b"not an image")
    assert cli(data, out, "--force") == 1
    err = capsys.readouterr().err
    assert "every clip failed" in err and "4 of 4" in err
    assert sha256_file(out / "features" / "lbp_top.csv") == before
    assert json.loads((out / "failed_run.json").read_text())["failures"]


def test_no_clip_after_validation_exits_nonzero(tmp_path, data):
    ds = load(data).subset([])
    with pytest.raises(ExtractionError, match="empty after validation"):
        extract_features(ds, "lbp_top", CHEAP_PARAMS, out=tmp_path / "o")


def test_summary_states_dropped_rows(tmp_path, data, capsys):
    text = data.read_text() + "p9,gone,p9/nowhere,0,3,6,happiness\n"
    data.write_text(text)
    assert main(CHEAP[:-1] + ["--annotations", str(data), "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "1 annotation rows dropped by validation" in err
    assert manifest(tmp_path / "o")["n_dropped_rows"] == 1


# --------------------------------------------------------------------------- one run per folder
def test_a_held_folder_is_refused(tmp_path, data, capsys):
    out = tmp_path / "out"
    with FolderLock(out, holder="another run"):
        assert cli(data, out) == 1
    err = capsys.readouterr().err
    assert "being written by another extraction" in err and "another run" in err and str(os.getpid()) in err
    assert cli(data, out) == 0  # released


def test_concurrent_runs_with_different_parameters(tmp_path, data):
    out = tmp_path / "out"
    base = [sys.executable, "-m", "mefeat.extract"] + CHEAP + ["--annotations", str(data), "--out", str(out)]
    procs = [subprocess.Popen(base + ["--param", f"lbp_top.n_points={p},{p},{p}"], stderr=subprocess.PIPE, text=True)
             for p in (4, 8)]
    codes = [p.wait(timeout=300) for p in procs]
    errs = [p.stderr.read() for p in procs]
    assert sorted(codes) == [0, 1], errs
    loser = errs[codes.index(1)]
    assert "another extraction" in loser or "other settings" in loser
    man = manifest(out)
    table = mefeat.read_features(out, "lbp_top")
    assert man["tables"]["lbp_top"]["sha256"] == sha256_file(out / "features" / "lbp_top.csv")
    winner = {k: tuple(v) if isinstance(v, list) else v
              for k, v in man["tables"]["lbp_top"]["config"]["params"].items()}
    assert list(table.columns) == mefeat.catalogue.get("lbp_top").feature_names(winner)


def test_failing_force_leaves_previous_results(tmp_path, data, monkeypatch, capsys):
    out = tmp_path / "out"
    assert cli(data, out) == 0
    before = {p: sha256_file(out / p) for p in ("features/lbp_top.csv", "clips.csv", "manifest.json")}

    real = os.fsync

    def full_disk(fd):
        if "staging" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(os, "fsync", full_disk)
    assert cli(data, out, "--force", "--param", "lbp_top.n_points=4,4,4") == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and str(out) in err
    assert {p: sha256_file(out / p) for p in before} == before
    assert not [n for n in os.listdir(out) if n.startswith(".staging")]


def test_full_disk_error_names_the_path(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left")))
    target = tmp_path / "x" / "table.csv"
    with pytest.raises(OSError, match="No space left") as exc:
        with atomic_write(target) as f:
            f.write("data")
    assert str(target) in str(exc.value)
    assert not target.exists() and not list((tmp_path / "x").iterdir())


# --------------------------------------------------------------------------- resume without --force
def test_kill_in_the_write_phase_resumes_without_recomputing(tmp_path, data, monkeypatch):
    out = tmp_path / "out"
    assert cli(data, out) == 0
    data.write_text(data.read_text().replace("happiness", "disgust"))  # relabel: the tables must be rewritten
    real = output.swap_in

    def killed(staging, out_, files):
        os.replace(os.path.join(staging, "clips.csv"), os.path.join(out_, "clips.csv"))
        raise KeyboardInterrupt

    monkeypatch.setattr(output, "swap_in", killed)
    assert cli(data, out) == 130
    monkeypatch.setattr(output, "swap_in", real)
    assert cli(data, out) == 0
    man = manifest(out)
    assert man["tables"]["lbp_top"]["computed"] == 0 and man["tables"]["lbp_top"]["from_cache"] == 4
    assert set(mefeat.read_clips(out)["emotion"]) == {"disgust", "surprise"}
    assert not [n for n in os.listdir(out) if n.startswith(".staging") or n.endswith(".tmp")]


def test_deleted_table_and_changed_row(tmp_path, data):
    out = tmp_path / "out"
    assert cli(data, out) == 0
    first = mefeat.read_features(out, "lbp_top")
    os.remove(out / "features" / "lbp_top.csv")
    assert cli(data, out) == 0
    assert manifest(out)["tables"]["lbp_top"]["computed"] == 0
    np.testing.assert_array_equal(mefeat.read_features(out, "lbp_top").to_numpy(), first.to_numpy())
    # one annotation row changes its span: only that clip is computed again
    lines = data.read_text().splitlines()
    lines[1] = lines[1].replace(",0,6,11,", ",1,6,11,")
    data.write_text("\n".join(lines) + "\n")
    assert cli(data, out) == 0
    assert manifest(out)["tables"]["lbp_top"]["computed"] == 1


def test_up_to_date_rerun_writes_nothing(tmp_path, data, capsys):
    out = tmp_path / "out"
    assert cli(data, out) == 0
    mtime = os.stat(out / "manifest.json").st_mtime_ns
    assert main(CHEAP[:-1] + ["--annotations", str(data), "--out", str(out)]) == 0
    assert "up to date" in capsys.readouterr().err
    assert os.stat(out / "manifest.json").st_mtime_ns == mtime


def test_stale_temporary_files_are_removed(tmp_path, data):
    out = tmp_path / "out"
    assert cli(data, out) == 0
    (out / ".clips.csv.abc.tmp").write_text("x")
    (out / "features" / ".lbp_top.csv.abc.tmp").write_text("x")
    (out / ".staging-99999").mkdir()
    assert cli(data, out) == 0
    leftovers = [p for p in out.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".staging")]
    assert not leftovers


def test_other_settings_for_an_existing_table_need_force_or_a_new_name(tmp_path, data, capsys):
    out = tmp_path / "out"
    assert cli(data, out) == 0
    assert cli(data, out, "--param", "lbp_top.n_points=4,4,4") == 1
    assert "other settings" in capsys.readouterr().err
    assert main(CHEAP + ["--annotations", str(data), "--out", str(out), "--descriptors", "lbp_top_p4=lbp_top",
                         "--param", "lbp_top_p4.n_points=4,4,4"]) == 0
    assert sorted(manifest(out)["tables"]) == ["lbp_top", "lbp_top_p4"]
    p4 = {**mefeat.catalogue.get("lbp_top").parameters(), "n_points": (4, 4, 4)}
    assert mefeat.read_features(out, "lbp_top_p4").shape == (4, len(mefeat.catalogue.get("lbp_top").feature_names(p4)))
    assert cli(data, out, "--force", "--param", "lbp_top.n_points=4,4,4") == 0
    assert sorted(manifest(out)["tables"]) == ["lbp_top"]
    assert sorted(os.listdir(out / "features")) == ["lbp_top.csv"]


# --------------------------------------------------------------------------- the cache
def _entries(cache, kind="feat"):
    return sorted((cache / kind).rglob("*.mfc"))


@pytest.mark.parametrize("damage", ["zero_bytes", "truncated", "bit_flip", "swapped"])
def test_damaged_cache_entries_are_detected_and_recomputed(tmp_path, data, damage, capsys):
    out = tmp_path / "out"
    assert cli(data, out) == 0
    first = mefeat.read_features(out, "lbp_top")
    entries = _entries(out / "cache")
    assert len(entries) == 4
    a, b = entries[0], entries[1]
    raw = a.read_bytes()
    if damage == "zero_bytes":
        a.write_bytes(b"")
    elif damage == "truncated":
        a.write_bytes(raw[: len(raw) // 2])
    elif damage == "bit_flip":
        pos = len(raw) - 20
        a.write_bytes(raw[:pos] + bytes([raw[pos] ^ 0x10]) + raw[pos + 1:])
    else:
        a.write_bytes(b.read_bytes())
    shutil_out = tmp_path / "out2"
    assert main(CHEAP[:-1] + ["--annotations", str(data), "--out", str(shutil_out),
                              "--cache-dir", str(out / "cache")]) == 0
    err = capsys.readouterr().err
    assert "corrupt cache entry" in err and a.name in err
    man = manifest(shutil_out)
    assert man["tables"]["lbp_top"]["computed"] == 1 and man["corrupt_cache_entries"]
    np.testing.assert_array_equal(mefeat.read_features(shutil_out, "lbp_top").to_numpy(), first.to_numpy())


def test_entry_checksum_unit(tmp_path):
    p = _cache.entry_path(str(tmp_path), "feat", "ab" * 32)
    _cache.write_entry(p, "ab" * 32, {"x": np.arange(3.0)})
    np.testing.assert_array_equal(_cache.read_entry(p, "ab" * 32)["x"], np.arange(3.0))
    with pytest.raises(_cache.CorruptEntry, match="moved or copied"):
        _cache.read_entry(p, "cd" * 32)
    assert _cache.read_entry(p + "missing", "ab" * 32) is None


def test_cache_keys_do_not_depend_on_entry_point_or_n_jobs(tmp_path, data):
    cache = tmp_path / "cache"
    args = CHEAP[:-3] + ["-q", "--annotations", str(data), "--cache-dir", str(cache)]
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    subprocess.run([sys.executable, "-m", "mefeat.extract", *args, "--out", str(tmp_path / "a"), "--n-jobs", "1"],
                   check=True, env=env)
    script = os.path.join(os.path.dirname(sys.executable), "mefeat-extract")
    if os.path.exists(script):
        subprocess.run([script, *args, "--out", str(tmp_path / "b"), "--n-jobs", "2"], check=True, env=env)
        assert manifest(tmp_path / "b")["tables"]["lbp_top"]["computed"] == 0
    r = extract_features(load(data), "lbp_top", CHEAP_PARAMS, out=tmp_path / "c", cache_dir=cache, n_jobs=2,
                         progress=False)
    assert r.tables["lbp_top"]["computed"] == 0 and r.tables["lbp_top"]["from_cache"] == 4


def test_data_dependent_check_in_a_worker_exits_2_naming_the_table(tmp_path, data, capsys):
    """With workers the dry run runs in one of them: its error still stops the run up front, exit 2."""
    out = tmp_path / "o"
    args = ["--dataset", "manifest", "--annotations", str(data), "--out", str(out), "--descriptors",
            "lbp_top,hog_top", "--param", "face.align=false", "--param", "lbp_top.radii=1,1,6", "--n-jobs", "2",
            "--cache-dir", str(tmp_path / "cache"), "-q"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "lbp_top" in err and "radii" in err
    assert not (out / "features").exists() and not (tmp_path / "cache" / "checked").exists()


def test_cached_rerun_loads_no_kernel_and_skips_the_dry_run(tmp_path, data, monkeypatch):
    """A run whose features are all cached has nothing to check: the cache proves these settings passed."""
    import mefeat.descriptors

    cache = tmp_path / "cache"
    extract_features(load(data), "lbp_top", CHEAP_PARAMS, out=tmp_path / "a", cache_dir=cache, n_jobs=1,
                     progress=False)
    monkeypatch.setattr(compiling, "dry_run", lambda plan: pytest.fail("dry run on a cached re-run"))
    monkeypatch.setattr(mefeat.descriptors, "warm_up", lambda names=None: pytest.fail("kernels loaded on a re-run"))
    r = extract_features(load(data), "lbp_top", CHEAP_PARAMS, out=tmp_path / "b", cache_dir=cache, n_jobs=1,
                         progress=False)
    assert r.tables["lbp_top"]["computed"] == 0 and r.tables["lbp_top"]["from_cache"] == 4
    # other settings have not been checked yet: the dry run runs (and here refuses them) before any clip
    monkeypatch.setattr(mefeat.descriptors, "warm_up", lambda names=None: None)
    monkeypatch.setattr(compiling, "dry_run", lambda plan: (_ for _ in ()).throw(ValueError("dry run ran")))
    with pytest.raises(ValueError, match="dry run ran"):
        extract_features(load(data), "lbp_top", {**CHEAP_PARAMS, "lbp_top.radii": (1, 1, 2)}, out=tmp_path / "c",
                         cache_dir=cache, n_jobs=1, progress=False)


def test_a_sweep_dry_runs_only_the_changed_table(tmp_path, data, monkeypatch):
    cache = tmp_path / "cache"
    seen = []
    real = compiling.dry_run

    def spy(plan):
        seen.append(sorted(t.name for t in plan.tables))
        return real(plan)

    monkeypatch.setattr(compiling, "dry_run", spy)
    extract_features(load(data), "lbp_top,hog_top", CHEAP_PARAMS, out=tmp_path / "a", cache_dir=cache, n_jobs=1,
                     progress=False)
    r = extract_features(load(data), "lbp_top,hog_top", {**CHEAP_PARAMS, "lbp_top.n_points": (4, 4, 4)},
                         out=tmp_path / "b", cache_dir=cache, n_jobs=1, progress=False)
    assert seen == [["hog_top", "lbp_top"], ["lbp_top"]]
    assert r.tables["lbp_top"]["computed"] == 4 and r.tables["hog_top"]["computed"] == 0


def test_dependency_versions_enter_the_cache_keys(tmp_path, data, monkeypatch):
    cache = tmp_path / "cache"
    r = extract_features(load(data), "lbp_top", CHEAP_PARAMS, out=tmp_path / "a", cache_dir=cache, n_jobs=1,
                         progress=False)
    assert r.manifest["dependencies"]["numba"] and r.tables["lbp_top"]["computed"] == 4
    upgraded = {**keys.dependency_versions(), "numba": "999.0"}
    monkeypatch.setattr(keys, "_VERSIONS", [upgraded])
    r = extract_features(load(data), "lbp_top", CHEAP_PARAMS, out=tmp_path / "b", cache_dir=cache, n_jobs=1,
                         progress=False)
    assert r.tables["lbp_top"]["computed"] == 4 and r.manifest["dependencies"]["numba"] == "999.0"


def test_the_manifest_names_the_flow_implementation_of_every_flow_table(tmp_path, data):
    import cv2

    from mefeat import flow
    from mefeat.extraction.run import flow_implementation

    r = extract_features(load(data), "lbp_top,optical_strain", {**CHEAP_PARAMS, "flow.method": "dis"},
                         out=tmp_path / "a", cache_dir="none", n_jobs=1, progress=False)
    tables = manifest(tmp_path / "a")["tables"]
    assert tables["optical_strain"]["flow_implementation"] == {"method": "dis", "implementation": "opencv",
                                                               "version": cv2.__version__}
    assert tables["optical_strain"]["config"]["flow"]["method"] == "dis"  # the parameters stay in the config
    assert "flow_implementation" not in tables["lbp_top"]  # no flow, no flow implementation
    assert r.tables["optical_strain"]["flow_implementation"]["version"] == cv2.__version__
    ours = flow_implementation({"method": "tvl1", **flow.FLOW_METHODS["tvl1"]})
    assert ours == {"method": "tvl1", "implementation": "mefeat", "version": str(flow.TVL1_IMPLEMENTATION_VERSION),
                    "mefeat_version": mefeat.__version__}
    for method in ("tvl1_opencv", "farneback"):
        assert flow_implementation({"method": method}) == {"method": method, "implementation": "opencv",
                                                           "version": cv2.__version__}


CUSTOM = '''
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin


class MeanFrame(TransformerMixin, BaseEstimator):
    def __init__(self, *, scale=1.0):
        self.scale = scale

    def fit(self, X=None, y=None):
        return self

    def transform(self, X):
        return np.array([[float(np.asarray(c.frames, float).mean()) * self.scale * FACTOR] for c in X])

    def get_feature_names_out(self, input_features=None):
        return np.array(["mean_frame"], dtype=object)


FACTOR = {factor}
'''


def test_custom_descriptor_source_is_fingerprinted_in_workers(tmp_path, data, monkeypatch):
    from mefeat import catalogue

    pkg = tmp_path / "mods"
    pkg.mkdir()
    (pkg / "my_desc.py").write_text(CUSTOM.format(factor=1.0))
    monkeypatch.syspath_prepend(str(pkg))
    monkeypatch.setenv("PYTHONPATH", str(pkg) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    backends.kill_loky_workers()  # new workers see PYTHONPATH
    import importlib

    import my_desc

    spec = catalogue.DescriptorSpec("mean_frame", my_desc.MeanFrame, "tim", label="Mean frame", default=False)
    monkeypatch.setitem(catalogue._CATALOGUE, "mean_frame", spec)
    r1 = extract_features(load(data), "mean_frame", CHEAP_PARAMS, out=tmp_path / "o", n_jobs=2, progress=False)
    assert r1.tables["mean_frame"]["computed"] == 4
    (pkg / "my_desc.py").write_text(CUSTOM.format(factor=2.0))
    importlib.reload(my_desc)
    spec2 = catalogue.DescriptorSpec("mean_frame", my_desc.MeanFrame, "tim", label="Mean frame", default=False)
    monkeypatch.setitem(catalogue._CATALOGUE, "mean_frame", spec2)
    backends.kill_loky_workers()
    r2 = extract_features(load(data), "mean_frame", CHEAP_PARAMS, out=tmp_path / "o2", n_jobs=2, progress=False,
                          cache_dir=tmp_path / "o" / "cache")
    assert r2.tables["mean_frame"]["computed"] == 4  # edited source: not served from the old entries
    a, b = mefeat.read_features(tmp_path / "o", "mean_frame"), mefeat.read_features(tmp_path / "o2", "mean_frame")
    np.testing.assert_allclose(b.to_numpy(), 2 * a.to_numpy())


# --------------------------------------------------------------------------- logging, signals, workers
def test_verbose_logs_and_quiet_is_silent(tmp_path, data, capsys):
    assert main(CHEAP[:-1] + ["-v", "--annotations", str(data), "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "4 clips: 0 with every table cached, 4 to compute" in err and "written" in err
    assert cli(data, tmp_path / "b") == 0
    assert capsys.readouterr().err == ""


def _children(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    st = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    return bool(st) and not st.startswith("Z")


@pytest.mark.slow
@pytest.mark.parametrize("sig, backend", [(signal.SIGINT, "loky"), (signal.SIGTERM, "loky"), (signal.SIGINT, "dask")])
def test_interrupt_prints_one_line_and_leaves_no_worker(tmp_path, sig, backend):
    if backend == "dask":
        pytest.importorskip("dask.distributed")
    data = make_clips(tmp_path / "data", n=16, frames=40, size=96)
    cmd = [sys.executable, "-m", "mefeat.extract", "--dataset", "manifest", "--annotations", str(data),
           "--descriptors", "lbp_top,bi_woof", "--param", "face.align=false", "--out", str(tmp_path / "out"),
           "--n-jobs", "2", "--backend", backend, "-q"]
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    workers = []
    while time.time() < deadline and not _entries(tmp_path / "out" / "cache") and p.poll() is None:
        workers = _children(p.pid) or workers
        time.sleep(0.2)
    workers = _children(p.pid) or workers
    assert p.poll() is None, p.stderr.read()
    p.send_signal(sig)
    code = p.wait(timeout=60)
    err = [line for line in p.stderr.read().splitlines() if line.strip()]
    assert code == 130
    assert err == ["mefeat.extract: interrupted; finished clips are cached -- run the same command again to resume"]
    time.sleep(2.0)
    assert workers and not [w for w in workers if _alive(w)]
    # and the same command resumes from the cache
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert manifest(tmp_path / "out")["tables"]["lbp_top"]["from_cache"] >= 1


@pytest.mark.slow
def test_dask_matches_loky_and_quiet_silences_dask(tmp_path, data, capsys):
    pytest.importorskip("dask.distributed")
    assert cli(data, tmp_path / "loky", "--n-jobs", "2", "--cache-dir", "none") == 0
    assert cli(data, tmp_path / "dask", "--n-jobs", "2", "--backend", "dask", "--cache-dir", "none") == 0
    err = capsys.readouterr().err
    assert err.strip() == "", err
    np.testing.assert_array_equal(mefeat.read_features(tmp_path / "loky", "lbp_top").to_numpy(),
                                  mefeat.read_features(tmp_path / "dask", "lbp_top").to_numpy())


# --------------------------------------------------------------------------- a user's back-end
class ThreadBackend(extraction.Backend):
    """A toy back-end as a user would write it outside mefeat: threads, every call recorded."""

    name = "threads"

    def __init__(self, fail=False):
        self.calls, self.fail = [], fail

    def start(self, n_workers):
        from concurrent.futures import ThreadPoolExecutor

        self.calls.append(("start", n_workers))
        self.pool = ThreadPoolExecutor(n_workers)

    def map_unordered(self, fn, tasks):
        from concurrent.futures import as_completed

        tasks = list(tasks)
        self.calls.append(("map", len(tasks)))
        futures = [self.pool.submit(fn, t) for t in tasks]
        for k, f in enumerate(as_completed(futures)):
            if self.fail and k == 1:
                raise RuntimeError("the cluster went away")
            yield f.result()

    def shutdown(self, kill=False):
        self.calls.append(("shutdown", kill))
        self.pool.shutdown(wait=not kill, cancel_futures=kill)


def test_a_user_backend_runs_the_extraction_with_identical_tables(tmp_path, data):
    params = {**CHEAP_PARAMS, "lbp_top.grid": (2, 2, 1)}
    ref = extract_features(load(data), "lbp_top,hog_top", params, out=tmp_path / "serial", n_jobs=1,
                           progress=False, cache_dir="none")
    backend = ThreadBackend()
    r = extract_features(load(data), "lbp_top,hog_top", params, out=tmp_path / "threads", n_jobs=2,
                         backend=backend, progress=False, cache_dir="none")
    assert backend.calls == [("start", 2), ("map", 4), ("shutdown", False)]
    assert r.manifest["execution"]["backend"] == "threads" and ref.manifest["execution"]["backend"] == "loky"
    for table in ("lbp_top", "hog_top"):
        assert r.tables[table]["computed"] == 4
        assert (tmp_path / "threads" / "features" / f"{table}.csv").read_bytes() == \
            (tmp_path / "serial" / "features" / f"{table}.csv").read_bytes()
    assert (tmp_path / "threads" / "clips.csv").read_bytes() == (tmp_path / "serial" / "clips.csv").read_bytes()


def test_a_failing_user_backend_is_killed_and_leaves_the_outputs(tmp_path, data):
    out = tmp_path / "o"
    extract_features(load(data), "lbp_top", CHEAP_PARAMS, out=out, n_jobs=1, progress=False)
    before = (out / "features" / "lbp_top.csv").read_bytes()
    backend = ThreadBackend(fail=True)
    with pytest.raises(RuntimeError, match="the cluster went away"):
        extract_features(load(data), "lbp_top", {**CHEAP_PARAMS, "lbp_top.radii": (1, 1, 2)}, out=out, force=True,
                         n_jobs=2, backend=backend, progress=False, cache_dir="none")  # not light: not in this process
    assert backend.calls == [("start", 2), ("map", 4), ("shutdown", True)]
    assert (out / "features" / "lbp_top.csv").read_bytes() == before
    with pytest.raises(ValueError, match="backend must be one of .*'loky', 'dask'.* or a mefeat.extraction.Backend"):
        extract_features(load(data), "lbp_top", CHEAP_PARAMS, out=out, backend="ray")


def test_the_loky_backend_holds_its_executor_and_kills_it():
    backend = backends.LokyBackend()
    backend.start(2)
    assert sorted(backend.map_unordered(_sleep, [0, 0.1, 0])) == [0, 0, 0.1]
    executor = backend.executor
    again = backends.LokyBackend()
    again.start(2)
    assert again.warm(_sleep, [0, 0]) == [0, 0] and again.executor is executor  # the same live workers
    backend.shutdown()  # kept for the next run
    assert again.warm(_sleep, [0]) == [0] and again.executor is executor
    backend.shutdown(kill=True)
    again.warm(_sleep, [0])
    assert again.executor is not executor  # killed: the next call gets new workers


def test_the_03_runner_module_still_serves_its_public_names():
    from mefeat import runner
    from mefeat.extraction import worker

    assert runner.extract_features is extract_features and runner.ExtractionError is ExtractionError
    assert runner.DEFAULT_OUT == extraction.DEFAULT_OUT and runner.LOCAL_CLUSTER_KWARGS is backends.LOCAL_CLUSTER_KWARGS
    assert runner.compute_features is worker.compute_features
    assert runner.package_source_hash is keys.package_source_hash
    assert set(runner.__all__) <= set(dir(runner))


def test_lock_file_is_released_by_a_killed_process(tmp_path):
    out = tmp_path / "out"
    code = f"from mefeat._io import FolderLock; import os; FolderLock({str(out)!r}).acquire(); os._exit(0)"
    subprocess.run([sys.executable, "-c", code], check=True)
    with FolderLock(out):
        pass
    with FolderLock(out):
        with pytest.raises(OutputLocked):
            FolderLock(out).acquire()


# --------------------------------------------------------------------------- compiling ahead (CLI)
def test_compile_ahead_starts_only_when_the_disk_cache_lacks_kernels(monkeypatch):
    from mefeat.descriptors import _warm_up

    asked = []
    monkeypatch.setattr(_warm_up, "kernels_cached", lambda names: asked.append(tuple(names)) or True)
    assert not extraction.compile_ahead("default", 2, "loky")  # cached: nothing to compile, no worker started
    assert asked == [tuple(sorted(_warm_up.WARM_UP_NAMES))]
    monkeypatch.setattr(_warm_up, "kernels_cached", lambda names: False)
    assert not extraction.compile_ahead("default", 1, "loky")  # one worker: the run compiles in its own time
    assert not extraction.compile_ahead("default", 2, "dask")
    assert not extraction.compile_ahead("lbp_top", 2, "loky")  # one kernel group: nothing to overlap
    assert not extraction.compile_ahead("lbp_topp", 2, "loky")  # the run reports the name
    monkeypatch.setattr(_warm_up, "kernels_cached", lambda names: None)  # cannot tell: do nothing
    assert not extraction.compile_ahead("default", 2, "loky")
    assert not compiling._ahead


@pytest.mark.skipif(_jit.jit_disabled(), reason="NUMBA_DISABLE_JIT=1: nothing is compiled")
def test_compile_ahead_is_awaited_by_the_run_and_stopped_when_unused(tmp_path, data, monkeypatch):
    from mefeat.descriptors import _warm_up

    monkeypatch.setattr(_warm_up, "kernels_cached", lambda names: False)  # as in a new environment
    args = ["--descriptors", "lbp_top,fdm", "--param", "face.align=false", "--n-jobs", "2", "-q"]
    base = ["--dataset", "manifest", "--annotations", str(data), "--cache-dir", str(tmp_path / "cache")]
    waited = []
    real = compiling.await_compile_ahead
    monkeypatch.setattr(compiling, "await_compile_ahead", lambda: waited.append(bool(compiling._ahead)) or real())
    killed = []
    real_kill, real_shutdown = backends.kill_loky_workers, backends.LokyBackend.shutdown
    monkeypatch.setattr(backends, "kill_loky_workers", lambda: killed.append(1) or real_kill())
    monkeypatch.setattr(backends.LokyBackend, "shutdown",
                        lambda self, kill=False: (kill and killed.append(1)) or real_shutdown(self, kill))
    assert main(base + args + ["--out", str(tmp_path / "a")]) == 0
    # the run waited before its first kernel (the dry run), found nothing left to wait for before the clips
    # and at the end, and stopped nothing
    assert waited == [True, False, False] and not compiling._ahead and not killed
    # a fully cached re-run needs no kernel: it never waits; the command's end stops the compile (or finds it
    # finished) and still succeeds
    waited.clear()
    assert main(base + args + ["--out", str(tmp_path / "b")]) == 0
    assert waited == [True] and not compiling._ahead
    for table in ("lbp_top", "fdm"):
        assert (tmp_path / "a" / "features" / f"{table}.csv").read_bytes() == \
            (tmp_path / "b" / "features" / f"{table}.csv").read_bytes()


def _sleep(seconds):
    time.sleep(seconds)
    return seconds


def test_end_compile_ahead_kills_a_compile_nobody_waits_for():
    """Stopping does not wait for the workers' pending work (a compile takes seconds; here a long sleep)."""
    import threading

    backend = backends.LokyBackend()
    backend.start(2)

    def body():
        try:
            backend.warm(_sleep, [120, 120])
        except BaseException as exc:
            ahead.error = exc

    ahead = compiling.AheadCompile(threading.Thread(target=body, daemon=True), backend)
    compiling._ahead.append(ahead)
    ahead.thread.start()
    time.sleep(3)  # the workers are busy sleeping
    t0 = time.perf_counter()
    extraction.end_compile_ahead()
    assert time.perf_counter() - t0 < 60, "end_compile_ahead waited for the workers"
    assert not compiling._ahead and not ahead.thread.is_alive() and ahead.error is not None
    # the next run in this process gets new workers
    again = backends.LokyBackend()
    again.start(2)
    assert sorted(again.map_unordered(_sleep, [0, 0])) == [0, 0]
