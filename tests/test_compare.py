"""``python -m mefeat.compare``: reuse of the extraction output, protocols, tables, figures, the installed command."""

import json
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import mefeat
from mefeat import compare
from mefeat.datasets import load_demo
from mefeat.evaluation import comparison

PAPER_ORDER = ["LBP-TOP", "LBP-TOP (MEGC 2019)", "HOG-TOP", "HIGO-TOP", "MDMO", "FDM", "Bi-WOOF", "optical strain"]
QUICK = ["--classifiers", "svm-linear", "--n-jobs", "1", "--figure-format", "png", "--dpi", "30", "-q"]


@pytest.fixture(scope="module")
def tiny_default(tmp_path_factory):
    """The default descriptors extracted from the tiny demo set, as a researcher's notebook does."""
    out = tmp_path_factory.mktemp("tiny") / "mefeat_output"
    r = mefeat.extract_features(load_demo(size="tiny"), out=out, n_jobs=1, progress=False)
    assert sorted(r.tables) == sorted(mefeat.catalogue.default_names())
    return out


def _cache_files(folder):
    return sorted(os.path.relpath(os.path.join(d, n), folder) for d, _, names in os.walk(folder) for n in names)


def test_reuses_the_extraction_and_computes_only_what_is_missing(tiny_default, tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    shutil.copytree(tiny_default, work / "mefeat_output")
    monkeypatch.chdir(work)  # the default --extract-dir is ./mefeat_output, as for python -m mefeat.extract
    argv = ["--demo-size", "tiny", "--protocol", "dfme-split", *QUICK]
    assert compare.main(argv + ["--out", "cmp1"]) == 0
    report = json.loads((work / "cmp1" / "results.json").read_text())
    ext = report["extraction"]
    assert ext["up_to_date"] is False
    computed = {t: v["computed"] for t, v in ext["tables"].items()}
    assert computed == {**{t: 0 for t in mefeat.catalogue.default_names()}, "lbp_top_megc2019": 6}
    manifest = json.loads((work / "mefeat_output" / "manifest.json").read_text())
    assert {t: v["computed"] for t, v in manifest["tables"].items()} == computed
    cache_before = _cache_files(work / "mefeat_output" / "cache")

    assert compare.main(argv + ["--out", "cmp2"]) == 0  # second comparison: nothing computed, nothing written
    ext2 = json.loads((work / "cmp2" / "results.json").read_text())["extraction"]
    assert ext2["up_to_date"] is True
    assert all(v["computed"] == 0 for v in ext2["tables"].values()), ext2
    assert _cache_files(work / "mefeat_output" / "cache") == cache_before
    assert json.loads((work / "mefeat_output" / "manifest.json").read_text()) == manifest
    # every extracted table is in the results, in the paper's order, with printed names
    res = pd.read_csv(work / "cmp2" / "results.csv")
    for part in ("test A", "test B"):
        assert res[res["part"] == part]["method"].tolist() == PAPER_ORDER
    printed = capsys.readouterr().out
    assert "| DFME official split | optical strain | linear SVM | test B |" in printed


def test_dfme_split_reports_each_test_set(tiny_default, tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = ["--features", str(tiny_default), "--protocol", "dfme-split", "--methods", "lbp_top,optical_strain",
            "--classifiers", "svm-linear", "--n-jobs", "1", "--dpi", "30", "-q", "--out", str(out)]
    assert compare.main(argv) == 0
    res = pd.read_csv(out / "results.csv")
    assert res[["method", "part"]].values.tolist() == [["LBP-TOP", "test A"], ["LBP-TOP", "test B"],
                                                       ["optical strain", "test A"],
                                                       ["optical strain", "test B"]]
    assert (res["protocol"] == "DFME official split").all()
    report = json.loads((out / "results.json").read_text())
    run = report["runs"][0]
    assert sorted(run["parts"]) == ["testA", "testB"] and run["part_by"] == "split"
    assert {k: v["n"] for k, v in run["parts"].items()} == {"testA": 2, "testB": 2}  # subjects 2 and 3
    assert run["folds"]["n_splits"] == 2 and run["folds"]["folds"] == {"0": ["sub0002"], "1": ["sub0003"]}
    preds = pd.read_csv(out / "predictions.csv")
    assert set(preds["split"]) == {"testA", "testB"} and len(preds) == 2 * 4
    # figures: every one written as PNG and as PDF (the default formats)
    figs = sorted((out / "figures").iterdir())
    stems = {p.stem for p in figs}
    assert stems == {"confusion_dfme-split_testA_svm-linear", "confusion_dfme-split_testB_svm-linear",
                     "scores_dfme-split_testA", "scores_dfme-split_testB", "emotion_au"}
    for stem in stems:
        assert (out / "figures" / f"{stem}.png").read_bytes()[:4] == b"\x89PNG"
        assert (out / "figures" / f"{stem}.pdf").read_bytes()[:4] == b"%PDF"
    assert sorted(report["figures"]) == sorted(f"figures/{p.name}" for p in figs)
    text = capsys.readouterr().out
    assert text.startswith("UF1 / UAR / ACC pooled over the folds")  # the caption says what each number is
    assert "\n| Protocol | Method | Classifier | Part | Clips | Subjects | UF1 [CI] | UAR [CI] | ACC [CI] |\n" in text


def _composite_folder(path, seed=0):
    """A small MEGC 2019 composite feature folder (3 databases, 3 classes) in the extraction output format."""
    from mefeat._io import write_clips_table, write_features

    rng = np.random.default_rng(seed)
    classes = ["negative", "positive", "surprise"]
    rows = []
    for db, n_subjects in (("smic", 4), ("casme2", 5), ("samm", 4)):
        for s in range(n_subjects):
            for k, e in enumerate(classes):
                subject = f"s{s + 1:02d}"
                rows.append({"dataset": db, "subject": subject, "clip": f"{db}_{subject}_{k}", "onset": 0,
                             "apex": 3, "offset": 9, "emotion": e, "emotion_raw": e, "aus": frozenset(),
                             "fps": 100.0, "group": f"{db}/{subject}", "status": "ok"})
    table = pd.DataFrame(rows)
    codes = np.array([classes.index(e) for e in table["emotion"]])
    index = list(zip(table["dataset"], table["subject"], table["clip"]))
    for name in ("bi_woof", "lbp_top_megc2019", "lbp_top"):
        X = rng.normal(size=(3, 6))[codes] * 3 + rng.normal(size=(len(table), 6))
        write_features(path, name, X, index)
    write_clips_table(path, table)
    return path


def test_megc2019_parts_with_published_baselines_beside_ours(tmp_path, capsys):
    from mefeat.evaluation import published_baselines

    feats = _composite_folder(tmp_path / "megc")
    out = tmp_path / "cmp"
    assert compare.main(["--features", str(feats), *QUICK, "--out", str(out)]) == 0  # megc2019 is the default here
    printed = capsys.readouterr().out
    res = pd.read_csv(out / "results.csv")
    assert (res["protocol"] == "MEGC 2019 composite LOSO").all()
    parts = ["full", "SMIC", "CASME II", "SAMM"]
    assert res[["method", "part"]].values.tolist() == [[m, p] for m in ("LBP-TOP", "LBP-TOP (MEGC 2019)", "Bi-WOOF")
                                                       for p in parts]
    pub = published_baselines(labels=True)
    for ours, theirs in (("LBP-TOP (MEGC 2019)", "LBP-TOP"), ("Bi-WOOF", "Bi-WOOF")):
        got = res[res["method"] == ours].set_index("part")
        want = pub[pub["method"] == theirs].set_index("part")
        for p in parts:
            assert got.loc[p, "UF1 (published)"] == pytest.approx(want.loc[p, "uf1"])
            assert got.loc[p, "UAR (published)"] == pytest.approx(want.loc[p, "uar"])
    # our default LBP-TOP (8 points per plane) is not the guideline's configuration: nothing beside it
    assert res[res["method"] == "LBP-TOP"]["UF1 (published)"].isna().all()
    # printed beside ours: our UF1, then the published one on the same line
    line = next(ln for ln in printed.splitlines() if "| LBP-TOP (MEGC 2019) | linear SVM | SMIC |" in ln)
    assert line.rstrip(" |").endswith("| 0.2000 | 0.5280")
    report = json.loads((out / "results.json").read_text())
    assert all(r["n_splits"] == 13 for r in (run["folds"] for run in report["runs"]))  # 13 qualified subjects
    assert report["extraction"] is None
    assert {p.name for p in (out / "figures").iterdir()} == {"confusion_megc2019_svm-linear.png", "scores_megc2019.png"}


def test_runs_as_an_installed_command_from_another_folder(tiny_default, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    cmd = [sys.executable, "-P", "-m", "mefeat.compare", "--features", str(tiny_default), "--protocol",
           "loso,dfme-split", "--methods", "bi_woof", *QUICK, "--out", "cmp"]
    p = subprocess.run(cmd, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    lines = [ln for ln in p.stdout.splitlines() if "| Bi-WOOF | linear SVM |" in ln]
    # two protocols in one run, in the documented order (DFME split before LOSO)
    assert [ln.split(" | ")[0] + " | " + ln.split(" | ")[3] for ln in lines] == [
        "| DFME official split | test A", "| DFME official split | test B", "| LOSO | full"]
    assert (elsewhere / "cmp" / "results.md").read_text(encoding="utf-8") == p.stdout
    figures = {f.name for f in (elsewhere / "cmp" / "figures").iterdir()}
    assert figures >= {"confusion_loso_svm-linear.png", "scores_loso.png"}
    assert not (elsewhere / "mefeat_output").exists()  # --features only reads
    # the repository's example scripts are not an installed top-level package
    probe = subprocess.run([sys.executable, "-P", "-c", "import importlib.util as u; print(u.find_spec('pipelines'))"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip() == "None", probe.stdout


def test_usage_errors(tiny_default, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        compare.main(["--features", str(tiny_default), "--dataset", "casme2"])
    assert e.value.code == 2
    assert "--dataset: not allowed with --features" in capsys.readouterr().err
    for bad in (["--protocol", "dfme-11fold"], ["--classifiers", "knn"], ["--figure-format", "gif"],
                ["--extract-dir", str(tmp_path)]):
        with pytest.raises(SystemExit):
            compare.main(["--features", str(tiny_default), *bad])
        capsys.readouterr()
    # a protocol that does not fit the data: exit 2 with the reason
    assert compare.main(["--features", str(tiny_default), "--protocol", "megc2019", *QUICK,
                         "--out", str(tmp_path / "x")]) == 2
    assert "protocol 'megc2019' keeps 3 clips of table 'lbp_top' and they are all of one class (surprise)" in (
        capsys.readouterr().err)
    assert compare.main(["--features", str(tiny_default), "--methods", "sift", *QUICK,
                         "--out", str(tmp_path / "x")]) == 2
    assert "no table sift" in capsys.readouterr().err
    # an earlier comparison is never overwritten silently
    out = tmp_path / "cmp"
    argv = ["--features", str(tiny_default), "--protocol", "dfme-split", "--methods", "fdm", *QUICK, "--out", str(out)]
    assert compare.main(argv) == 0
    capsys.readouterr()
    assert compare.main(argv) == 1
    assert "--force" in capsys.readouterr().err
    assert compare.main(argv + ["--force"]) == 0


def test_make_classifier():
    from sklearn.base import clone

    for name in compare.CLASSIFIERS:
        pipe = compare.make_classifier(name)
        assert [s for s, _ in pipe.steps] == ["drop_constant", "scale", "clf"]
        assert pipe.named_steps["clf"].class_weight == "balanced"
        assert clone(pipe).get_params()["clf__class_weight"] == "balanced"
    assert compare.make_classifier("svm-linear").named_steps["clf"].kernel == "linear"
    assert compare.make_classifier("svm-rbf").named_steps["clf"].kernel == "rbf"
    assert compare.make_classifier("rf", n_estimators=7).named_steps["clf"].n_estimators == 7
    assert list(compare.classifiers()) == list(compare.CLASSIFIERS)
    with pytest.raises(ValueError, match="unknown classifier 'knn'"):
        compare.make_classifier("knn")
    assert compare.comparison_descriptors()[:2] == ["lbp_top", "lbp_top_megc2019"]
    assert set(compare.comparison_descriptors()) == set(mefeat.catalogue.default_names()) | {"lbp_top_megc2019"}


def _au_folder(path, seed=0):
    """A small one-database feature folder with AUs: AU12 on 12 clips (in the features), AU4 on only 3."""
    from mefeat._io import write_clips_table, write_features

    rng = np.random.default_rng(seed)
    rows = []
    for s in range(6):
        for k in range(4):
            subject = f"s{s + 1:02d}"
            aus = ({12} if k < 2 else set()) | ({4} if k == 3 and s < 3 else set())
            rows.append({"dataset": "casme2", "subject": subject, "clip": f"{subject}_{k}", "onset": 0, "apex": 3,
                         "offset": 9, "emotion": "happiness" if k < 2 else "surprise", "emotion_raw": "",
                         "aus": frozenset(aus), "fps": 200.0, "group": subject, "status": "ok"})
    table = pd.DataFrame(rows)
    au12 = np.array([12 in a for a in table["aus"]], dtype=float)
    index = list(zip(table["dataset"], table["subject"], table["clip"]))
    for name in ("fdm", "lbp_top"):  # written out of the paper's order
        write_features(path, name, au12[:, None] * 3 + rng.normal(size=(len(table), 5)), index)
    write_clips_table(path, table)
    return path


def test_per_au_detection_f1(tmp_path, capsys):
    feats = _au_folder(tmp_path / "feats")
    argv = ["--features", str(feats), "--protocol", "loso", *QUICK]
    assert compare.main(argv + ["--out", str(tmp_path / "cmp")]) == 0
    au = pd.read_csv(tmp_path / "cmp" / "au_f1.csv")
    # one row per (method, AU with >= 10 positives), in the paper's method order; AU4 (3 positives) left out
    assert au[["method", "au", "n_pos"]].values.tolist() == [["LBP-TOP", "AU12", 12], ["FDM", "AU12", 12]]
    assert (au["f1"] > 0.8).all()  # AU12 is in the features
    md = (tmp_path / "cmp" / "au_f1.md").read_text(encoding="utf-8")
    assert "| Method | AU12 | mean F1 |" in md and md.index("| LBP-TOP |") < md.index("| FDM |")
    assert "AU4 (3 positives < min_positives=10)" in md
    report = json.loads((tmp_path / "cmp" / "results.json").read_text())
    assert report["files"]["au_f1_csv"] == "au_f1.csv" and report["files"]["au_f1_md"] == "au_f1.md"
    assert report["au_f1"]["skipped"]["lbp_top"] == {"AU4": "3 positives < min_positives=10"}
    # a lower threshold keeps AU4
    assert compare.main(argv + ["--min-positives", "3", "--out", str(tmp_path / "cmp3")]) == 0
    au3 = pd.read_csv(tmp_path / "cmp3" / "au_f1.csv")
    assert au3[["method", "au"]].values.tolist() == [["LBP-TOP", "AU4"], ["LBP-TOP", "AU12"], ["FDM", "AU4"],
                                                      ["FDM", "AU12"]]
    # --no-au: none of it
    assert compare.main(argv + ["--no-au", "--out", str(tmp_path / "noau")]) == 0
    assert not list((tmp_path / "noau").glob("au_f1*"))
    report = json.loads((tmp_path / "noau" / "results.json").read_text())
    assert report["au_f1"] is None and not any(k.startswith("au_f1") for k in report["files"])
    with pytest.raises(SystemExit):
        compare.main(argv + ["--min-positives", "0"])
    capsys.readouterr()


# --------------------------------------------------------------------------- classifiers that do not collapse
def _lbp_like(seed=0, n_subjects=16, counts=(60, 22, 18), n_blocks=75, n_bins=59):
    """Sparse per-block LBP-like histograms as on real data: a skewed bin distribution, a strong subject
    (identity) effect, a weak class effect on a few blocks, few pixels per block (many bins hit 0-2 times),
    imbalanced classes (the CASME II part of MEGC 2019 is 88 / 32 / 25)."""
    rng = np.random.default_rng(seed)
    base = -1.6 * np.log(np.arange(1, n_bins + 1))[None, :] + rng.normal(0, 0.7, (n_blocks, n_bins))
    y = np.repeat(np.arange(3), counts)
    rng.shuffle(y)
    subj = np.arange(len(y)) % n_subjects
    identity = rng.normal(0, 0.6, (n_subjects, n_blocks, n_bins))
    emotion = np.zeros((3, n_blocks, n_bins))
    blocks = rng.choice(n_blocks, 12, replace=False)
    emotion[:, blocks] = rng.normal(0, 0.2, (3, 12, n_bins))
    pixels = rng.integers(150, 1500, size=n_blocks)
    X = np.empty((len(y), n_blocks * n_bins))
    for i in range(len(y)):
        logit = base + identity[subj[i]] + emotion[y[i]] + rng.normal(0, 0.15, (n_blocks, n_bins))
        p = np.exp(logit - logit.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        h = np.stack([rng.multinomial(pixels[b], p[b]) for b in range(n_blocks)]).astype(float)
        X[i] = (h / h.sum(1, keepdims=True)).ravel()
    return X, np.array(["negative", "positive", "surprise"])[y], subj


def test_rbf_svm_does_not_collapse_on_sparse_histograms():
    from mefeat.evaluation import evaluate

    X, y, g = _lbp_like()
    assert (X == 0).mean() > compare.SPARSE_ZERO_SHARE
    with pytest.warns(Warning, match="single class"):
        old = evaluate(compare.make_classifier("svm-rbf", scaling="standard"), X, y, g, cv="loso", verbose=False)
    assert old.collapsed  # the data reproduce the fault: standardised sparse bins, one class predicted
    new = evaluate(compare.make_classifier("svm-rbf"), X, y, g, cv="loso", verbose=False)
    assert not new.collapsed and new.predictions["y_pred"].nunique() == 3
    assert new.scores["uar"] > 0.5  # chance is 1/3
    assert compare.make_classifier("svm-rbf").fit(X, y).named_steps["scale"].method_ == "hellinger"


def test_histogram_scaler():
    from sklearn.utils.estimator_checks import check_estimator

    hist = np.array([[0.0, 0.25, 0.75], [0.5, 0.5, 0.0], [0.0, 1.0, 0.0]])
    s = compare.HistogramScaler().fit(hist)
    root = np.sqrt(hist)
    expected = root / np.sqrt(np.mean(root.var(0)))  # one scale for the whole table, not centred
    np.testing.assert_allclose(s.transform(hist), expected)
    assert s.method_ == "hellinger"
    dense = hist + 0.1  # no zero: a dense histogram is standardised
    np.testing.assert_allclose(compare.HistogramScaler().fit_transform(dense),
                               (dense - dense.mean(0)) / dense.std(0))
    signed = hist - 0.5
    assert compare.HistogramScaler().fit(signed).method_ == "standard"
    with pytest.raises(ValueError, match="non-negative"):
        compare.HistogramScaler("hellinger").fit(signed)
    with pytest.raises(ValueError, match="negative values"):
        s.transform(signed)
    with pytest.raises(ValueError, match="method='cubic'"):
        compare.HistogramScaler("cubic").fit(hist)
    check_estimator(compare.HistogramScaler())


def test_make_classifier_scaling_keeps_the_old_rbf_one_option_away():
    from sklearn.preprocessing import StandardScaler

    assert isinstance(compare.make_classifier("svm-rbf", scaling="standard").named_steps["scale"], StandardScaler)
    assert isinstance(compare.make_classifier("svm-linear").named_steps["scale"], StandardScaler)
    assert compare.make_classifier("svm-rbf").named_steps["scale"].method == "auto"
    with pytest.raises(ValueError, match="unknown scaling"):
        compare.make_classifier("svm-rbf", scaling="minmax")


def test_compare_warns_naming_classifier_table_and_protocol(tmp_path, monkeypatch):
    from sklearn.dummy import DummyClassifier

    feats = _composite_folder(tmp_path / "megc")
    real = compare.make_classifier
    monkeypatch.setattr(comparison, "make_classifier",
                        lambda name, **kw: DummyClassifier() if name == "svm-rbf" else real(name, **kw))
    with pytest.warns(Warning, match=r"classifier 'svm-rbf' on table 'bi_woof' under protocol 'megc2019' "
                                     r"predicts a single class: all 39 tested samples are 'negative'") as rec:
        compare.run_comparison(feats, protocols=["megc2019"], methods=["bi_woof"],
                               classifier_names=["svm-linear", "svm-rbf"], au=False)
    assert [type(w.message).__name__ for w in rec.list if "single class" in str(w.message)] == ["SingleClassWarning"]


def test_megc2019_on_casme2_alone_is_compared_with_the_casme2_part(tmp_path):
    from mefeat import read_clips, read_features
    from mefeat._io import write_clips_table, write_features
    from mefeat.evaluation import published_baselines

    full = _composite_folder(tmp_path / "megc")
    clips = read_clips(full)
    keep = clips.index.get_level_values("dataset") == "casme2"
    one = tmp_path / "casme2"
    for name in ("lbp_top_megc2019", "bi_woof"):
        X = read_features(full, name)
        write_features(one, name, X.to_numpy()[keep], list(X.index[keep]))
    write_clips_table(one, clips[keep].reset_index())
    res = compare.run_comparison(one, protocols=["megc2019"], classifier_names=["svm-linear"], au=False)
    rows = res.rows.set_index(["method", "part"])
    assert rows.index.tolist() == [("lbp_top_megc2019", "casme2"), ("bi_woof", "casme2")]
    pub = published_baselines(part="casme2", labels=False).set_index("method")
    assert rows.loc[("bi_woof", "casme2"), "uf1_published"] == pub.loc["bi_woof", "uf1"]  # 0.7805, not 0.6296
    assert rows.loc[("lbp_top_megc2019", "casme2"), "uar_published"] == pub.loc["lbp_top", "uar"]


def test_composite_figures_only_beside_a_run_of_the_whole_composite(tmp_path):
    from mefeat import read_clips, read_features
    from mefeat._io import write_clips_table, write_features

    full = _composite_folder(tmp_path / "megc")
    clips = read_clips(full)
    keep = clips.index.get_level_values("dataset") != "smic"
    two = tmp_path / "two"
    X = read_features(full, "bi_woof")
    write_features(two, "bi_woof", X.to_numpy()[keep], list(X.index[keep]))
    write_clips_table(two, clips[keep].reset_index())
    res = compare.run_comparison(two, protocols=["megc2019"], classifier_names=["svm-linear"], au=False)
    rows = res.rows.set_index("part")
    assert rows.index.tolist() == ["full", "casme2", "samm"]
    assert np.isnan(rows.loc["full", "uf1_published"]) and rows.loc["samm", "uf1_published"] == 0.5211


def test_no_classifier_predicts_one_class_on_the_default_tables_of_the_small_demo(tmp_path):
    """The claim of the comparison on the demo set, at CI cost: the small demo (70 clips, 10 subjects, 7
    classes), every default table, every classifier of compare, the demo's default protocol."""
    out = tmp_path / "small"
    mefeat.extract_features(load_demo(size="small"), out=out, n_jobs=1, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", compare.SingleClassWarning)
        res = compare.run_comparison(out, au=False)
    assert sorted(set(res.rows["method"])) == sorted(mefeat.catalogue.default_names())
    assert sorted(set(res.rows["classifier"])) == sorted(compare.CLASSIFIERS)
    for run in res.runs:
        assert not run["result"].collapsed, (run["method"], run["classifier"])


def test_smic_cameras_of_one_person_are_audited_as_leaks(tmp_path):
    """SMIC HS and VIS clips of the same events, kept apart as two databases: each person's events cross folds."""
    from mefeat._io import write_clips_table, write_features

    rng = np.random.default_rng(0)
    classes = ["negative", "positive", "surprise"]
    rows = []
    for db, modality in (("smic", "HS"), ("smic_vis", "VIS")):
        for s in range(4):
            for e in classes:
                subject = f"s{s + 1}"
                rows.append({"dataset": db, "subject": subject, "clip": f"{subject}_{e[:2]}_01", "onset": 0,
                             "apex": 3, "offset": 9, "emotion": e, "emotion_raw": e, "aus": frozenset(),
                             "fps": 100.0, "group": f"{db}/{subject}", "status": "ok", "modality": modality})
    table = pd.DataFrame(rows)
    codes = np.array([classes.index(e) for e in table["emotion"]])
    X = rng.normal(size=(3, 6))[codes] * 3 + rng.normal(size=(len(table), 6))
    write_features(tmp_path, "bi_woof", X, list(zip(table["dataset"], table["subject"], table["clip"])))
    write_clips_table(tmp_path, table)
    keys = comparison.leak_keys(mefeat.read_clips(tmp_path))
    assert keys["person"].tolist()[:2] == ["smic/s1", "smic/s1"] and keys["event"][0] == "smic/s1/s1_ne_01"
    with pytest.warns(UserWarning, match=r"event/person value\(s\) on both sides of a fold.*SMIC cameras"):
        res = comparison.run_comparison(tmp_path, protocols=["loso"], classifier_names=["svm-linear"], au=False)
    audit = res.runs[0]["result"].leak_audit
    # LOSO over the 8 (database, subject) groups: every fold tests one camera of a person, the other trains
    assert set(audit["key"]) == {"person", "event"}
    assert sorted(set(audit.loc[audit["key"] == "person", "value"])) == [f"smic/s{i}" for i in range(1, 5)]
    assert len(audit[audit["key"] == "event"]) == 8 * 3  # 8 folds, 3 events each
    record = comparison.protocol_record(res)
    assert record["n_leaks"] == len(audit)
    # one camera only: nothing to audit beyond the subjects
    hs = mefeat.read_clips(tmp_path).xs("smic", level="dataset", drop_level=False)
    assert comparison.leak_keys(hs) is None


def test_au_classifier_default_and_the_old_one_an_option_away(monkeypatch):
    from mefeat.evaluation.au import BalancedLDA

    assert isinstance(comparison.make_au_classifier().named_steps["clf"], BalancedLDA)
    # mefeat 0.4's AU detection: the comparison's linear SVM, the very same pipeline
    old = comparison.make_classifier("svm-linear", **comparison.SVM_LINEAR_MEFEAT_04)
    assert repr(comparison.make_au_classifier("svm-linear")) == repr(old)
    assert old.named_steps["clf"].C == 1.0
    with pytest.raises(ValueError, match="unknown AU classifier"):
        comparison.make_au_classifier("rf")
    args = compare.build_parser().parse_args(["--au-classifier", "svm-linear"])
    assert args.au_classifier == "svm-linear"
    assert compare.build_parser().parse_args([]).au_classifier == comparison.AU_CLASSIFIER


def test_default_n_jobs_uses_the_cpus_within_the_memory(monkeypatch, tmp_path):
    import builtins

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    real_open = builtins.open

    def meminfo(avail_kb):
        def fake(path, *a, **kw):
            if path == "/proc/meminfo":
                p = tmp_path / "meminfo"
                p.write_text(f"MemTotal: 99999999 kB\nMemAvailable: {avail_kb} kB\n")
                return real_open(p, *a, **kw)
            return real_open(path, *a, **kw)
        return fake

    monkeypatch.setattr(builtins, "open", meminfo(64 * 1024 ** 2))  # 64 GiB
    assert comparison.default_n_jobs(0) == comparison.MAX_DEFAULT_JOBS  # capped
    # 7,526 clips: three 7,526^2 float64 matrices (1.36 GB) per fit: 4 GiB allow 3 fits
    monkeypatch.setattr(builtins, "open", meminfo(4 * 1024 ** 2))
    assert comparison.default_n_jobs(7526) == 3
    monkeypatch.setattr(builtins, "open", meminfo(1024))
    assert comparison.default_n_jobs(7526) == 1  # never less than one


def test_the_forest_and_linear_svm_of_mefeat_04_are_one_option_away():
    from sklearn.ensemble import RandomForestClassifier

    old = RandomForestClassifier(n_estimators=300, max_features="sqrt", class_weight="balanced", n_jobs=1,
                                 random_state=0)
    assert comparison.make_classifier("rf", **comparison.RF_MEFEAT_04).named_steps["clf"].get_params() == \
        old.get_params()
    new = comparison.make_classifier("rf").named_steps["clf"]
    assert (new.n_estimators, new.max_samples) == (200, 0.5)
    from sklearn.svm import SVC

    old = SVC(kernel="linear", C=1.0, class_weight="balanced", random_state=0)
    assert comparison.make_classifier("svm-linear", **comparison.SVM_LINEAR_MEFEAT_04).named_steps["clf"] \
        .get_params() == old.get_params()
    assert comparison.make_classifier("svm-linear").named_steps["clf"].C == 0.1
