"""The extraction command, called in-process (``main([...])``): data sets, usage, failures, folders.

The reliability requirements (locks, cache damage, resume, signals) are in ``test_runner.py``; the
equality with the scikit-learn pipelines is in ``test_both_doors.py``.
"""

import json
import os
import shutil

import numpy as np
import pytest

import mefeat
from mefeat import catalogue
from mefeat.extract import main
from mefeat.extraction import backends as extraction_backends
from mefeat.extraction import keys as extraction_keys

CHEAP = ["--descriptors", "lbp_top", "--param", "face.align=false", "--param", "lbp_top.radii=1,1,1",
         "--param", "lbp_top.grid=1,1,1",
         "-q", "--n-jobs", "1"]


def _manifest_data(folder, n_clips=2, broken=False):
    """A tiny manifest dataset in ``folder``; ``broken``: a frame of the last clip is not an image."""
    from tests.datasets import _fixtures as fx

    lines = ["subject,clip,frame_dir,onset,apex,offset,emotion"]
    for k in range(n_clips):  # distinct frame numbers -> distinct frames, so distinct cache keys
        s = 20 * k
        fx.frames(folder / f"p{k}" / "c", range(s, s + 12))
        if broken and k == n_clips - 1:  # the loader sees every frame file; reading one fails
            (folder / f"p{k}" / "c" / f"{s + 5:05d}.png").write_bytes(b"not an image")
        lines.append(f"p{k},c{k},p{k}/c,{s},{s + 5},{s + 11},happy")
    (folder / "m.csv").write_text("\n".join(lines) + "\n")
    return folder / "m.csv"


def _man(out):
    return json.loads((out / "manifest.json").read_text())


def test_usage_errors(tmp_path, capsys):
    assert main(["--descriptors", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown descriptor 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--param", "lbp_top.radii", "--out", str(tmp_path)])
    assert main(["--param", "hog_top.orientations=4", "--descriptors", "lbp_top", "--out", str(tmp_path)]) == 2
    assert "hog_top" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--scheduler", "tcp://x:1", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and "mefeat" in capsys.readouterr().out
    assert main(["--dataset", "casme2", "--out", str(tmp_path / "o"), "-q"]) == 2
    assert "--annotations" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["--n-jobs", "0"])
    assert e.value.code == 2


def test_list_descriptors_prints_the_catalogue(capsys):
    assert main(["--list-descriptors"]) == 0
    text = capsys.readouterr().out
    for name in catalogue.names():
        spec = catalogue.get(name)
        assert name in text and spec.label in text
        for key in spec.parameters():
            assert f"--param {name}.{key}=" in text
    for stage in ("face", "tim", "flow"):
        assert f"--param {stage}." in text


def test_param_parsing():
    assert catalogue.parse_value("1,1,4") == (1, 1, 4)
    assert catalogue.parse_value("no") is False and catalogue.parse_value("none") is None
    assert catalogue.parse_value("0.05") == 0.05 and catalogue.parse_value("u2") == "u2"
    res = catalogue.resolve(["lbp_top"], {"lbp_top.radii": "1,1,4", "tim.n_frames": "8", "face.align": "no",
                                          "lbp_top.mapping": "u2"})
    assert res.tables["lbp_top"][1]["radii"] == (1, 1, 4) and res.tim["n_frames"] == 8 and res.face["align"] is False


def test_real_database_layouts(tmp_path):
    from tests.datasets import _fixtures as fx

    c_root, c_ann = fx.casme2(tmp_path)
    s_root, s_ann = fx.samm(tmp_path)
    assert main(["--dataset", "casme2", "--root", str(c_root), "--annotations", str(c_ann),
                 "--out", str(tmp_path / "c")] + CHEAP) == 0
    f = mefeat.read_features(tmp_path / "c", "lbp_top")
    assert list(f.index) == [("casme2", "01", "EP02_01f"), ("casme2", "02", "EP03_02")]
    man = _man(tmp_path / "c")
    assert man["validation_report_rows"] > 0 and (tmp_path / "c" / "validation_report.csv").exists()
    assert list(man["input_hashes"]["annotations"]) == ["CASME2-coding-20140508.xlsx"]
    assert main(["--dataset", "megc2019", "--root", f"casme2={c_root}", "--root", f"samm={s_root}",
                 "--annotations", f"casme2={c_ann}", "--annotations", f"samm={s_ann}",
                 "--out", str(tmp_path / "m")] + CHEAP) == 0
    clips = mefeat.read_clips(tmp_path / "m")
    assert set(clips["emotion"]) == {"positive", "negative"} and len(clips) == 4
    assert all("/" in g for g in clips["group"])


def test_no_face_is_a_recorded_failure(tmp_path, capsys):
    """A clip without a face fails at the face stage once (not once per descriptor); the run goes on."""
    from tests.datasets import _fixtures as fx

    root, ann = fx.casme2(tmp_path)  # small constant frames: no face
    c_root, c_ann = root, ann
    data = _manifest_data(tmp_path / "data")
    # a data set where every clip has no face: every clip fails -> exit 1, the reason named
    rc = main(["--dataset", "casme2", "--root", str(c_root), "--annotations", str(c_ann), "--out",
               str(tmp_path / "o"), "--descriptors", "lbp_top,hog_top", "--n-jobs", "1", "-q"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "every clip failed" in err and "face" in err and "FaceNotFoundError" in err
    failed = json.loads((tmp_path / "o" / "failed_run.json").read_text())["failures"]
    assert len(failed) == 2 and {f["stage"] for f in failed} == {"face"}
    assert data.exists()


def test_rerun_up_to_date_honours_strict(tmp_path, capsys):
    ann = _manifest_data(tmp_path / "data", broken=True)
    args = ["--dataset", "manifest", "--annotations", str(ann), "--out", str(tmp_path / "o")] + CHEAP
    assert main(args + ["--strict"]) == 1
    err = capsys.readouterr().err
    assert "1 of 2 clips failed" in err
    assert main(args) == 0  # without --strict failures do not change the exit status
    man = _man(tmp_path / "o")
    assert man["n_failed"] == 1 and man["failures"][0]["stage"] == "read"
    assert f"{5 + 20:05d}.png" in man["failures"][0]["reason"]


def test_another_data_set_in_the_same_folder_needs_force(tmp_path, capsys):
    from tests.datasets import _fixtures as fx

    c_root, c_ann = fx.casme2(tmp_path)
    s_root, s_ann = fx.samm(tmp_path)
    c_copy = tmp_path / "casme2_copy"
    shutil.copytree(c_root, c_copy)
    ann = ["--annotations", f"casme2={c_ann}", "--annotations", f"samm={s_ann}"]
    out = ["--dataset", "megc2019", "--out", str(tmp_path / "m")] + ann + CHEAP
    assert main(out + ["--root", f"casme2={c_root}", "--root", f"samm={s_root}"]) == 0
    capsys.readouterr()
    assert main(out + ["--root", f"casme2={c_copy}", "--root", f"samm={s_root}"]) == 1
    assert "another data set" in capsys.readouterr().err
    assert _man(tmp_path / "m")["source"]["roots"] == {"casme2": str(c_root), "samm": str(s_root)}
    assert set(_man(tmp_path / "m")["dataset"]["roots"]) == {"casme2", "samm"}
    # the same roots in another order are the same data set
    assert main([a for a in out if a != "-q"] + ["--root", f"samm={s_root}", "--root", f"casme2={c_root}"]) == 0
    assert "up to date" in capsys.readouterr().err


def test_existing_outputs_without_manifest_need_force(tmp_path, capsys):
    ann = _manifest_data(tmp_path / "data")
    out = tmp_path / "o"
    (out / "features").mkdir(parents=True)
    (out / "clips.csv").write_text("my precious file\n")
    (out / "features" / "lbp_top.csv").write_text("mine\n")
    args = ["--dataset", "manifest", "--annotations", str(ann), "--out", str(out)] + CHEAP
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "--force" in err and "clips.csv" in err
    assert (out / "clips.csv").read_text() == "my precious file\n"
    assert (out / "features" / "lbp_top.csv").read_text() == "mine\n"
    assert main(args + ["--force"]) == 0
    assert mefeat.read_features(out, "lbp_top").shape[0] == 2


def test_package_source_hash_follows_every_source_file(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "_kernels").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "_kernels" / "lbp.py").write_text("x = 1\n")
    h1 = extraction_keys.package_source_hash(pkg)
    assert extraction_keys.package_source_hash(pkg) == h1 and len(h1) == 64
    extraction_keys._SOURCE_HASH.clear()
    (pkg / "_kernels" / "lbp.py").write_text("x = 2\n")
    h2 = extraction_keys.package_source_hash(pkg)
    assert h2 != h1
    extraction_keys._SOURCE_HASH.clear()
    (pkg / "notes.txt").write_text("not source")
    assert extraction_keys.package_source_hash(pkg) == h2
    extraction_keys._SOURCE_HASH.clear()
    (pkg / "_kernels" / "lbp.py").rename(pkg / "_kernels" / "hog.py")
    assert extraction_keys.package_source_hash(pkg) != h2
    extraction_keys._SOURCE_HASH.clear()
    assert extraction_keys.package_source_hash() == extraction_keys.package_source_hash()


def test_cache_key_holds_source_hash_and_force_recomputes_nothing_twice(tmp_path, monkeypatch):
    ann = _manifest_data(tmp_path / "data")
    common = ["--dataset", "manifest", "--annotations", str(ann), "--cache-dir", str(tmp_path / "cache")] + CHEAP

    def counts(out):
        o = _man(tmp_path / out)["tables"]["lbp_top"]
        return o["computed"], o["from_cache"]

    assert main(common + ["--out", str(tmp_path / "a")]) == 0 and counts("a") == (2, 0)
    assert main(common + ["--out", str(tmp_path / "b")]) == 0 and counts("b") == (0, 2)
    # an edited mefeat source (another source hash) does not reuse the old entries
    monkeypatch.setattr(extraction_keys, "package_source_hash", lambda package_dir=None: "0" * 64)
    assert main(common + ["--out", str(tmp_path / "c")]) == 0 and counts("c") == (2, 0)
    assert main(common + ["--out", str(tmp_path / "d")]) == 0 and counts("d") == (0, 2)


def test_annotation_path_may_contain_equals(tmp_path):
    ann = _manifest_data(tmp_path / "run=1")
    assert main(["--dataset", "manifest", "--annotations", str(ann), "--out", str(tmp_path / "o")] + CHEAP) == 0
    assert list(_man(tmp_path / "o")["input_hashes"]["annotations"]) == ["m.csv"]
    assert mefeat.read_features(tmp_path / "o", "lbp_top").shape[0] == 2


def test_smic_without_sheet_and_modality(tmp_path, capsys):
    from tests.datasets import _fixtures as fx

    root = fx.smic(tmp_path)
    base = ["--dataset", "smic", "--root", str(root)] + CHEAP
    assert main(base + ["--out", str(tmp_path / "hs")]) == 0
    clips = mefeat.read_clips(tmp_path / "hs")
    assert sorted(clips.index.get_level_values("clip")) == ["s1_ne_01", "s1_po_01", "s2_sur_01"]
    assert (clips["fps"] == 100).all()
    assert main(base + ["--out", str(tmp_path / "vis"), "--modality", "vis"]) == 0
    clips = mefeat.read_clips(tmp_path / "vis")
    assert list(clips.index.get_level_values("clip")) == ["s1_ne_01"] and (clips["fps"] == 25).all()
    assert _man(tmp_path / "vis")["source"]["modality"] == "VIS"
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

    def no_dask(*args, **kwargs):
        raise ImportError("backend='dask' needs dask.distributed (simulated)")
        yield  # pragma: no cover

    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    monkeypatch.setattr(extraction_backends.DaskBackend, "map_unordered", no_dask)
    ann = _manifest_data(tmp_path / "data")
    args = ["--dataset", "manifest", "--annotations", str(ann), "--out", str(tmp_path / "o"), "--backend", "dask"]
    assert main(args + CHEAP[:-3]) == 2
    assert len(bars) == 1 and bars[0].closed


def test_limit_and_npz_format(tmp_path):
    ann = _manifest_data(tmp_path / "data", n_clips=3)
    args = ["--dataset", "manifest", "--annotations", str(ann), "--out", str(tmp_path / "o"), "--limit", "2",
            "--format", "npz"] + CHEAP
    assert main(args) == 0
    f = mefeat.read_features(tmp_path / "o", "lbp_top")
    assert f.shape[0] == 2 and os.listdir(tmp_path / "o" / "features") == ["lbp_top.npz"]
    assert np.isfinite(f.to_numpy()).all()


def test_preview_writes_one_figure_per_clip(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["--demo-size", "tiny", "--root", str(tmp_path / "demo"), "--preview", "2", "--out", str(out)]) == 0
    files = sorted(os.listdir(out / "preview"))
    assert len(files) == 2 and all(f.endswith(".png") for f in files)
    assert all((out / "preview" / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for f in files)
    assert not (out / "features").exists()  # a preview extracts nothing
    assert main(["--demo-size", "tiny", "--root", str(tmp_path / "demo"), "--preview", "1", "--figure-format", "pdf",
                 "--out", str(out)]) == 0
    assert any(f.endswith(".pdf") and (out / "preview" / f).read_bytes()[:4] == b"%PDF"
               for f in os.listdir(out / "preview"))


def test_summary_counts_the_rows_validation_fixed(tmp_path, capsys):
    """Issue 18: an apex outside onset..offset became the middle frame and the summary only counted drops."""
    ann = _manifest_data(tmp_path / "data", n_clips=3)
    rows = ann.read_text().splitlines()
    rows[1] = rows[1].replace(",0,5,11,", ",0,40,11,")     # apex after the offset
    rows[2] = rows[2].replace(",20,25,31,", ",20,20,31,")  # apex on the onset
    rows.append("p9,gone,p9/nowhere,0,3,6,happy")          # no folder: dropped
    ann.write_text("\n".join(rows) + "\n")
    args = ["--dataset", "manifest", "--annotations", str(ann), "--out", str(tmp_path / "o")]
    assert main(args + [a for a in CHEAP if a != "-q"]) == 0
    err = capsys.readouterr().err
    assert ("1 annotation rows dropped by validation, 2 kept with fixes (apex 2); details in validation_report.csv"
            in err)
    assert main(args + [a for a in CHEAP if a != "-q"]) == 0  # the up-to-date summary says it too
    assert "2 kept with fixes (apex 2)" in capsys.readouterr().err


def test_preview_draws_with_the_runs_parameters(tmp_path, monkeypatch):
    """Issue 18: --preview ignored --param and always drew the default crop size and flow."""
    import functools

    import mefeat.flow
    import mefeat.plot

    figures, methods = [], []
    preview, flows = mefeat.plot.preview_clip, mefeat.flow.clip_flows

    @functools.wraps(preview)  # the same signature: the command passes the settings preview_clip takes
    def spy_preview(*a, **k):
        figures.append(preview(*a, **k))
        return figures[-1]

    @functools.wraps(flows)
    def spy_flows(*a, **k):
        methods.append(k.get("method"))
        return flows(*a, **k)

    monkeypatch.setattr(mefeat.plot, "preview_clip", spy_preview)
    monkeypatch.setattr(mefeat.flow, "clip_flows", spy_flows)
    out = tmp_path / "o"
    assert main(["--demo-size", "tiny", "--root", str(tmp_path / "demo"), "--preview", "1", "--out", str(out),
                 "--param", "face.size=72", "--param", "face.margin=0.2", "--param", "flow.method=farneback",
                 "-q"]) == 0
    aligned_onset = figures[0].axes[1].images[0].get_array()
    assert aligned_onset.shape[:2] == (72, 72)
    assert methods == ["farneback"]


def test_preview_names_the_settings_it_cannot_show(tmp_path, capsys):
    import inspect

    from mefeat.plot import preview_clip

    assert "align" not in inspect.signature(preview_clip).parameters  # else this test needs another setting
    out = tmp_path / "o"
    # read where the user reads it: the command's log goes to stderr (and, during the run, only there: the
    # mefeat logger does not propagate then, so a root handler such as caplog's would not see it)
    assert main(["--demo-size", "tiny", "--root", str(tmp_path / "demo"), "--preview", "1", "--out", str(out),
                 "--param", "face.align=false", "-q"]) == 0
    assert "--preview: the figures cannot show face.align=False" in capsys.readouterr().err


def test_the_console_entry_point_kills_the_idle_workers_then_exits_with_mains_status(monkeypatch):
    # main() keeps loky's workers for a caller that runs it again; the command itself (mefeat-extract,
    # python -m mefeat.extract) kills them instead of waiting for their orderly exit
    from mefeat import extract

    calls = []
    monkeypatch.setattr(extract, "main", lambda argv=None: calls.append("main") or 3)
    monkeypatch.setattr(extraction_backends, "kill_loky_workers", lambda: calls.append("kill"))
    with pytest.raises(SystemExit) as exc:
        extract.entrypoint()
    assert exc.value.code == 3 and calls == ["main", "kill"]
