"""The extraction command, called in-process (STYLE §4): outputs, re-runs, failures, resume, dask."""

import json
import os
import shutil

import numpy as np
import pytest

from mefeat import extract
from mefeat._io import read_clips_table, read_features
from mefeat.extract import DescriptorSpec, main

BASE = ["--demo-size", "tiny", "--param", "face.align=false", "-q"]


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    from mefeat.datasets import load_demo
    from mefeat.datasets.demo import _demo_sizes_for_tests

    root = tmp_path_factory.mktemp("demo_data")
    load_demo(0, data_dir=root, **_demo_sizes_for_tests())
    return root


def run(tmp, demo, *extra, out="out"):
    return main(BASE + ["--root", str(demo), "--out", str(tmp / out), "--n-jobs", "1"] + list(extra))


def test_outputs_and_rerun(tmp_path, demo_root, capsys):
    assert run(tmp_path, demo_root, "--descriptors", "frame_diff") == 0
    out = tmp_path / "out"
    f = read_features(out, "frame_diff")
    clips = read_clips_table(out)
    assert f.shape == (6, 64) and list(f.index) == list(clips.index)
    assert set(clips["emotion"]) == {"happiness", "surprise"} and (clips["status"] == "ok").all()
    man = json.loads((out / "manifest.json").read_text())
    assert man["n_clips"] == 6 and man["n_failed"] == 0 and man["outputs"]["frame_diff"]["computed"] == 6
    assert len(man["input_hashes"]["clips"]) == 6 and man["config"]["preprocessing"]["face.align"] is False
    assert "frame_diff" in man["timings_s"]["per_stage_cpu_sum"]
    # features equal a direct computation from the loaded clip (frames 0 vs t differences, 8x8 grid)
    from mefeat.datasets import load_demo
    from mefeat.datasets.demo import _demo_sizes_for_tests
    ds = load_demo(0, data_dir=demo_root, **_demo_sizes_for_tests())
    c = ds[0]
    from mefeat.temporal import tim
    fr = np.clip(np.rint(tim(c.frames, 10)), 0, 255).astype(np.uint8).astype(float)
    d = np.abs(fr[1:] - fr[0]).mean(axis=0)
    assert np.allclose(f.iloc[0, 0], d[:d.shape[0] // 8, :d.shape[1] // 8].mean())
    # same command again: up to date, exit 0, nothing rewritten
    mtime = os.path.getmtime(out / "manifest.json")
    capsys.readouterr()
    assert run(tmp_path, demo_root, "--descriptors", "frame_diff") == 0
    assert "up to date" in capsys.readouterr().err
    assert os.path.getmtime(out / "manifest.json") == mtime
    # different parameters into the same folder: refused without --force
    assert run(tmp_path, demo_root, "--descriptors", "frame_diff", "--param", "frame_diff.grid=2,2") == 2
    assert "--force" in capsys.readouterr().err
    assert run(tmp_path, demo_root, "--descriptors", "frame_diff", "--param", "frame_diff.grid=2,2",
               "--force") == 0
    assert read_features(out, "frame_diff").shape == (6, 4)


def test_failures_are_recorded(tmp_path, demo_root, capsys):
    demo = tmp_path / "demo_copy"
    shutil.copytree(demo_root, demo)
    clipdir = sorted(p for p in next(demo.iterdir()).iterdir() if p.is_dir())[1]
    (clipdir / "00003.png").write_bytes(b"not a png")
    assert run(tmp_path, demo, "--descriptors", "frame_diff") == 0
    err = capsys.readouterr().err
    assert "1 clip(s) failed" in err and "unreadable frame" in err
    man = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert man["n_failed"] == 1 and man["failures"][0]["clip"] == clipdir.name
    assert man["failures"][0]["stage"] == "read"
    assert read_features(tmp_path / "out", "frame_diff").shape[0] == 5
    clips = read_clips_table(tmp_path / "out")
    assert clips["status"].str.startswith("failed").sum() == 1
    assert run(tmp_path, demo, "--descriptors", "frame_diff", "--strict", out="out2") == 1


CALLS = []


def _counting(prep, params):
    if len(CALLS) >= params["stop_after"]:
        raise KeyboardInterrupt
    CALLS.append(prep.raw.name)
    return np.array([prep.raw.frames.mean(), float(prep.raw.n_frames)])


def test_resume_after_interrupt(tmp_path, demo_root, monkeypatch, capsys):
    monkeypatch.setitem(extract.REGISTRY, "counting",
                        DescriptorSpec("counting", _counting, {"stop_after": 10 ** 6}, (), default=False))
    CALLS.clear()
    rc = run(tmp_path, demo_root, "--descriptors", "counting", "--param", "counting.stop_after=4")
    assert rc == 130 and "resume" in capsys.readouterr().err
    assert len(CALLS) == 4 and not (tmp_path / "out" / "manifest.json").exists()
    first = list(CALLS)
    CALLS.clear()
    # same command, no limit now... but parameters are part of the cache key, so resume with the same ones:
    monkeypatch.setitem(extract.REGISTRY, "counting",
                        DescriptorSpec("counting", _counting, {"stop_after": 10 ** 6}, (), default=False))
    rc = run(tmp_path, demo_root, "--descriptors", "counting", "--param", "counting.stop_after=4")
    # the 4 cached clips are not recomputed; 4 calls allowed again -> the other 2 clips finish
    assert rc == 0
    assert len(CALLS) == 2 and not set(CALLS) & set(first)
    man = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert man["outputs"]["counting"]["computed"] == 2 and man["outputs"]["counting"]["from_cache"] == 4
    f = read_features(tmp_path / "out", "counting")
    assert f.shape == (6, 2)


def test_dask_backend_matches_loky(tmp_path, demo_root, monkeypatch):
    pytest.importorskip("dask.distributed")
    monkeypatch.setattr(extract, "LOCAL_CLUSTER_KWARGS",
                        {"threads_per_worker": 1, "processes": False, "dashboard_address": None})
    args = BASE + ["--root", str(demo_root), "--descriptors", "frame_diff", "--cache-dir", "none"]
    assert main(args + ["--out", str(tmp_path / "loky"), "--n-jobs", "2"]) == 0
    assert main(args + ["--out", str(tmp_path / "dask"), "--n-jobs", "2", "--backend", "dask"]) == 0
    a = read_features(tmp_path / "loky", "frame_diff")
    b = read_features(tmp_path / "dask", "frame_diff")
    assert a.index.equals(b.index) and np.array_equal(a.to_numpy(), b.to_numpy())
    man = json.loads((tmp_path / "dask" / "manifest.json").read_text())
    assert man["execution"]["backend"] == "dask"


def test_usage_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["--descriptors", "nope", "--out", str(tmp_path)])
    assert e.value.code == 2 and "unknown" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--param", "lbp_top.radii", "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        main(["--param", "hog_top.orientations=4", "--descriptors", "lbp_top", "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        main(["--scheduler", "tcp://x:1", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and "mefeat" in capsys.readouterr().out
    assert main(["--dataset", "casme2", "--out", str(tmp_path / "o"), "-q"]) == 2
    assert "--annotations" in capsys.readouterr().err


def test_param_parsing():
    pre, per = extract.resolve_params(["lbp_top"], ["lbp_top.radii=1,1,4", "tim.n_frames=8", "face.align=no",
                                                    "lbp_top.mapping=u2"])
    assert per["lbp_top"]["radii"] == (1, 1, 4) and per["lbp_top"]["mapping"] == "u2"
    assert pre["tim.n_frames"] == 8 and pre["face.align"] is False


def test_full_default_pipeline_on_tiny_demo(tmp_path, demo_root):
    """Face alignment -> TIM -> every default descriptor, as the README's first command does."""
    rc = main(["--demo-size", "tiny", "--root", str(demo_root), "--out", str(tmp_path / "o"), "--n-jobs", "1",
               "-q", "--strict"])
    assert rc == 0
    man = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert set(man["outputs"]) == {n for n, s in extract.REGISTRY.items() if s.default}
    assert man["n_failed"] == 0
    for d, o in man["outputs"].items():
        f = read_features(tmp_path / "o", d)
        assert f.shape == (6, o["n_features"]) and np.isfinite(f.to_numpy()).all()
        assert f.to_numpy().std(axis=0).max() > 0  # features vary across clips
    assert {"align", "tim", "flow", "onset_flow", "apex_flow", "read"} <= set(man["timings_s"]["per_stage_cpu_sum"])


def test_real_database_layouts(tmp_path):
    from tests.datasets import _fixtures as fx

    c_root, c_ann = fx.casme2(tmp_path)
    s_root, s_ann = fx.samm(tmp_path)
    common = ["--descriptors", "frame_diff", "--param", "face.align=false", "--param", "tim.n_frames=0",
              "--param", "frame_diff.grid=2,2", "-q", "--n-jobs", "1"]
    assert main(["--dataset", "casme2", "--root", str(c_root), "--annotations", str(c_ann),
                 "--out", str(tmp_path / "c")] + common) == 0
    f = read_features(tmp_path / "c", "frame_diff")
    assert list(f.index) == [("casme2", "01", "EP02_01f"), ("casme2", "02", "EP03_02")]
    man = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert man["validation_report_rows"] > 0 and (tmp_path / "c" / "validation_report.csv").exists()
    assert list(man["input_hashes"]["annotations"]) == ["CASME2-coding-20140508.xlsx"]
    assert main(["--dataset", "megc2019", "--root", f"casme2={c_root}", "--root", f"samm={s_root}",
                 "--annotations", f"casme2={c_ann}", "--annotations", f"samm={s_ann}",
                 "--out", str(tmp_path / "m")] + common) == 0
    clips = read_clips_table(tmp_path / "m")
    assert set(clips["emotion"]) == {"positive", "negative"} and len(clips) == 4


def test_no_face_is_a_recorded_failure(tmp_path, capsys):
    """A clip without a face fails at the alignment stage once (not once per descriptor); the run goes on."""
    from tests.datasets import _fixtures as fx

    root, ann = fx.casme2(tmp_path)  # 6x8 constant frames: no face
    rc = main(["--dataset", "casme2", "--root", str(root), "--annotations", str(ann), "--out", str(tmp_path / "o"),
               "--descriptors", "frame_diff,hog_top", "--n-jobs", "1", "-q"])
    assert rc == 0
    man = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert man["n_failed"] == 2 and len(man["failures"]) == 2
    assert all(f["stage"] == "align" and "frame_diff" in f["reason"] and "hog_top" in f["reason"]
               for f in man["failures"])
    assert "2 clip(s) failed" in capsys.readouterr().err
    assert read_features(tmp_path / "o", "hog_top").shape[0] == 0


# ---------------------------------------------------------------------------- regressions (review)
CHEAP = ["--descriptors", "frame_diff", "--param", "face.align=false", "--param", "tim.n_frames=0",
         "--param", "frame_diff.grid=2,2", "-q", "--n-jobs", "1"]


def _manifest_data(folder, n_clips=2, broken=False):
    """A tiny manifest dataset in ``folder``; ``broken``: the last clip misses a frame."""
    from tests.datasets import _fixtures as fx

    lines = ["subject,clip,frame_dir,onset,apex,offset,emotion"]
    for k in range(n_clips):  # distinct frame numbers -> distinct (constant) frames, so distinct cache keys
        s = 20 * k
        numbers = [n for n in range(s, s + 12) if not (broken and k == n_clips - 1 and n == s + 5)]
        fx.frames(folder / f"p{k}" / "c", numbers)
        lines.append(f"p{k},c{k},p{k}/c,{s},{s + 5},{s + 11},happy")
    (folder / "m.csv").write_text("\n".join(lines) + "\n")
    return folder / "m.csv"


def test_rerun_up_to_date_honours_strict(tmp_path, capsys):
    ann = _manifest_data(tmp_path / "data", broken=True)
    args = ["--dataset", "manifest", "--annotations", str(ann), "--out", str(tmp_path / "o")] + CHEAP
    assert main(args + ["--strict"]) == 1
    capsys.readouterr()
    assert main(args + ["--strict"]) == 1
    err = capsys.readouterr().err
    assert "up to date" in err and "1 failed" in err
    assert main(args) == 0  # without --strict failures do not change the exit status


def test_megc2019_config_holds_every_root(tmp_path, capsys):
    from tests.datasets import _fixtures as fx

    c_root, c_ann = fx.casme2(tmp_path)
    s_root, s_ann = fx.samm(tmp_path)
    c_copy = tmp_path / "casme2_copy"
    shutil.copytree(c_root, c_copy)
    ann = ["--annotations", f"casme2={c_ann}", "--annotations", f"samm={s_ann}"]
    out = ["--dataset", "megc2019", "--out", str(tmp_path / "m")] + ann + CHEAP
    assert main(out + ["--root", f"casme2={c_root}", "--root", f"samm={s_root}"]) == 0
    capsys.readouterr()
    # another casme2 root (not the last --root) is a different run, not "up to date"
    assert main(out + ["--root", f"casme2={c_copy}", "--root", f"samm={s_root}"]) == 2
    assert "different run" in capsys.readouterr().err
    man = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert man["config"]["dataset"]["root"] == {"casme2": str(c_root), "samm": str(s_root)}
    # the same roots in another order are the same run
    assert main(out + ["--root", f"samm={s_root}", "--root", f"casme2={c_root}"]) == 0
    assert "up to date" in capsys.readouterr().err


def test_force_removes_outputs_the_new_run_does_not_write(tmp_path, monkeypatch):
    from mefeat._io import list_descriptors
    from tests.datasets import _fixtures as fx

    monkeypatch.setitem(extract.REGISTRY, "counting",
                        DescriptorSpec("counting", _counting, {"stop_after": 10 ** 6}, (), default=False))
    c_root, c_ann = fx.casme2(tmp_path)  # its sheet needs fixes: validation_report.csv has rows
    out = tmp_path / "o"
    first = ["--dataset", "casme2", "--root", str(c_root), "--annotations", str(c_ann), "--out", str(out),
             "--format", "npz"] + CHEAP
    first[first.index("frame_diff")] = "frame_diff,counting"
    assert main(first) == 0
    assert sorted(os.listdir(out / "features")) == ["counting.npz", "frame_diff.npz"]
    assert len(__import__("pandas").read_csv(out / "validation_report.csv")) > 0
    ann = _manifest_data(tmp_path / "data")  # clean manifest: nothing to report
    assert main(["--dataset", "manifest", "--annotations", str(ann), "--out", str(out), "--force"] + CHEAP) == 0
    assert os.listdir(out / "features") == ["frame_diff.csv"] and list_descriptors(out) == ["frame_diff"]
    f = read_features(out, "frame_diff")
    assert f.shape == (2, 4) and set(f.index.get_level_values("dataset")) == {"manifest"}
    assert len(__import__("pandas").read_csv(out / "validation_report.csv")) == 0


def test_existing_outputs_without_manifest_need_force(tmp_path, capsys):
    ann = _manifest_data(tmp_path / "data")
    out = tmp_path / "o"
    (out / "features").mkdir(parents=True)
    (out / "clips.csv").write_text("my precious file\n")
    (out / "features" / "frame_diff.csv").write_text("mine\n")
    args = ["--dataset", "manifest", "--annotations", str(ann), "--out", str(out)] + CHEAP
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--force" in err and "clips.csv" in err
    assert (out / "clips.csv").read_text() == "my precious file\n"
    assert (out / "features" / "frame_diff.csv").read_text() == "mine\n"
    assert main(args + ["--force"]) == 0
    assert read_features(out, "frame_diff").shape == (2, 4)


def test_package_source_hash_follows_every_source_file(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "_kernels").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "_kernels" / "lbp.py").write_text("x = 1\n")
    h1 = extract.package_source_hash(pkg)
    assert extract.package_source_hash(pkg) == h1 and len(h1) == 64
    extract._SOURCE_HASH.clear()
    (pkg / "_kernels" / "lbp.py").write_text("x = 2\n")
    h2 = extract.package_source_hash(pkg)
    assert h2 != h1
    extract._SOURCE_HASH.clear()
    (pkg / "notes.txt").write_text("not source")
    assert extract.package_source_hash(pkg) == h2
    extract._SOURCE_HASH.clear()
    (pkg / "_kernels" / "lbp.py").rename(pkg / "_kernels" / "hog.py")
    assert extract.package_source_hash(pkg) != h2
    extract._SOURCE_HASH.clear()
    # the real package: stable within a run
    assert extract.package_source_hash() == extract.package_source_hash()


def test_cache_key_holds_source_hash_and_force_recomputes(tmp_path, monkeypatch):
    ann = _manifest_data(tmp_path / "data")
    common = ["--dataset", "manifest", "--annotations", str(ann), "--cache-dir", str(tmp_path / "cache")] + CHEAP

    def counts(out):
        o = json.loads((tmp_path / out / "manifest.json").read_text())["outputs"]["frame_diff"]
        return o["computed"], o["from_cache"]

    assert main(common + ["--out", str(tmp_path / "a")]) == 0 and counts("a") == (2, 0)
    assert main(common + ["--out", str(tmp_path / "b")]) == 0 and counts("b") == (0, 2)
    # --force recomputes although the cache holds every clip (and writes it again)
    assert main(common + ["--out", str(tmp_path / "b"), "--force"]) == 0 and counts("b") == (2, 0)
    # an edited mefeat source (another source hash) does not reuse the old entries
    monkeypatch.setattr(extract, "package_source_hash", lambda package_dir=None: "0" * 64)
    assert main(common + ["--out", str(tmp_path / "c")]) == 0 and counts("c") == (2, 0)
    assert main(common + ["--out", str(tmp_path / "d")]) == 0 and counts("d") == (0, 2)


def test_annotation_path_may_contain_equals(tmp_path):
    ann = _manifest_data(tmp_path / "run=1")
    assert main(["--dataset", "manifest", "--annotations", str(ann), "--out", str(tmp_path / "o")] + CHEAP) == 0
    man = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert list(man["input_hashes"]["annotations"]) == ["m.csv"]
    assert read_features(tmp_path / "o", "frame_diff").shape == (2, 4)


def test_smic_without_sheet_and_modality(tmp_path, capsys):
    from tests.datasets import _fixtures as fx

    root = fx.smic(tmp_path)
    base = ["--dataset", "smic", "--root", str(root)] + CHEAP
    assert main(base + ["--out", str(tmp_path / "hs")]) == 0
    clips = read_clips_table(tmp_path / "hs")
    assert sorted(clips.index.get_level_values("clip")) == ["s1_ne_01", "s1_po_01", "s2_sur_01"]
    assert (clips["fps"] == 100).all()
    assert main(base + ["--out", str(tmp_path / "vis"), "--modality", "vis"]) == 0
    clips = read_clips_table(tmp_path / "vis")
    assert list(clips.index.get_level_values("clip")) == ["s1_ne_01"] and (clips["fps"] == 25).all()
    assert json.loads((tmp_path / "vis" / "manifest.json").read_text())["config"]["dataset"]["modality"] == "VIS"
    with pytest.raises(SystemExit) as e:
        main(["--dataset", "casme2", "--modality", "HS", "--out", str(tmp_path / "x")])
    assert e.value.code == 2 and "--modality" in capsys.readouterr().err


def test_progress_bar_closed_when_dask_setup_fails(tmp_path, monkeypatch):
    import tqdm.auto

    bars = []

    class Bar:
        def __init__(self, *a, **k):
            self.closed = False
            bars.append(self)

        def update(self, n=1):
            pass

        def close(self):
            self.closed = True

    def no_dask(args):
        raise ImportError("--backend dask needs dask.distributed (simulated)")

    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    monkeypatch.setattr(extract, "_dask_context", no_dask)
    ann = _manifest_data(tmp_path / "data")
    args = ["--dataset", "manifest", "--annotations", str(ann), "--out", str(tmp_path / "o"), "--backend", "dask"]
    assert main(args + CHEAP[:-3] + ["--n-jobs", "1"]) == 2
    assert len(bars) == 1 and bars[0].closed
