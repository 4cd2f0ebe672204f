"""Statistics and accounting of ``python -m mefeat.compare``: intervals, chance, paired tests, dropped clips."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from mefeat import compare
from mefeat.evaluation import comparison, stats

CLASSES = ["negative", "positive"]


def _folder(path, tables, n_subjects=6, extra_rows=(), seed=0):
    """A one-database feature folder: every subject has one clip of each class; ``tables`` maps name -> X maker."""
    from mefeat._io import write_clips_table, write_features

    rows = []
    for s in range(n_subjects):
        for k, e in enumerate(CLASSES):
            subject = f"s{s + 1:02d}"
            rows.append({"dataset": "casme2", "subject": subject, "clip": f"{subject}_{k}", "onset": 0, "apex": 3,
                         "offset": 9, "emotion": e, "emotion_raw": e, "aus": frozenset(), "fps": 200.0,
                         "group": subject, "status": "ok"})
    rows += [dict(rows[0], **r) for r in extra_rows]
    table = pd.DataFrame(rows)
    codes = np.array([CLASSES.index(e) if e in CLASSES else 0 for e in table["emotion"]])
    index = list(zip(table["dataset"], table["subject"], table["clip"]))
    rng = np.random.default_rng(seed)
    for name, make in tables.items():
        X, idx, *fmt = make(codes, rng, index)
        write_features(path, name, X, idx, fmt=fmt[0] if fmt else "csv")
    write_clips_table(path, table)
    return path


class FirstColumn(ClassifierMixin, BaseEstimator):
    """Predicts class ``classes_[int(X[:, 0])]``: the table decides the predictions exactly."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return self.classes_[np.asarray(X)[:, 0].astype(int) % len(self.classes_)]


def _oracle_tables():
    def right(codes, rng, index):
        return np.c_[codes, rng.normal(size=len(codes))], index

    def wrong(codes, rng, index):
        return np.c_[1 - codes, rng.normal(size=len(codes))], index

    return {"lbp_top": right, "fdm": wrong, "mdmo": right}


def test_paired_tests_and_holm_have_the_hand_computed_answer(tmp_path, monkeypatch):
    # A (LBP-TOP, MDMO) right on every clip, B (FDM) wrong on every one; 6 subjects of 2 clips under LOSO.
    # Each subject is discordant, the 2**6 sign flips are enumerated: |T*| >= |T| only for "no flip" and
    # "all flipped", p = 2 / 64. Holm over the 3 pairs of one metric: sorted p (1/32, 1/32, 1) ->
    # (3/32, max(3/32, 2/32), 1).
    feats = _folder(tmp_path / "f", _oracle_tables())
    monkeypatch.setattr(comparison, "make_classifier", lambda name, **kw: FirstColumn())
    res = compare.run_comparison(feats, protocols=["loso"], classifier_names=["svm-linear"], au=False)
    t = res.paired
    assert set(t["metric"]) == {"uf1", "uar", "acc"} and len(t) == 9
    for _, r in t.iterrows():
        pair = {r["method_a"], r["method_b"]}
        if pair == {"lbp_top", "mdmo"}:
            assert r["diff"] == 0 and r["p"] == 1 and r["p_holm"] == 1
        else:
            assert abs(r["diff"]) == 1 and r["p"] == pytest.approx(2 / 64) and r["p_holm"] == pytest.approx(3 / 32)
            assert r["exact"] and r["n_subjects"] == 6 and r["n_clips"] == 12 and r["same_folds"]
    assert (t["protocol"] == "loso").all() and (t["classifier"] == "svm-linear").all()


def test_results_rows_carry_the_bootstrap_interval_and_chance_of_the_runs_predictions(tmp_path):
    def signal(codes, rng, index):
        return codes[:, None] * 0.8 + rng.normal(size=(len(codes), 4)), index

    feats = _folder(tmp_path / "f", {"lbp_top": signal, "fdm": signal}, n_subjects=10)
    res = compare.run_comparison(feats, protocols=["loso"], classifier_names=["svm-linear", "rf"], au=False)
    for run in res.runs:
        p = run["result"].predictions
        y, pred, g = p["y_true"].to_numpy(dtype=object), p["y_pred"].to_numpy(dtype=object), p["group"]
        ci = stats.bootstrap_ci(y, pred, g, random_state=0, labels=run["result"].labels)
        null = stats.permutation_chance(y, pred, random_state=0, labels=run["result"].labels)
        row = res.rows[(res.rows["method"] == run["method"]) & (res.rows["classifier"] == run["classifier"])]
        assert len(row) == 1
        row = row.iloc[0]
        assert row["n_subjects"] == 10 and row["n_clips"] == 20
        for m in ("uf1", "uar", "acc"):
            assert row[f"{m}_ci_low"] == ci.loc[m, "ci_low"] and row[f"{m}_ci_high"] == ci.loc[m, "ci_high"]
            assert row[f"{m}_ci_low"] <= row[m] <= row[f"{m}_ci_high"]
            assert row[f"{m}_chance"] == null.loc[m, "chance_mean"] and row[f"{m}_p_chance"] == null.loc[m, "p_value"]
        # the per-fold std is the std of the per-fold scores, not the interval
        assert row["uf1_std"] == pytest.approx(np.std(run["result"].fold_scores["uf1"]))
    # the per-subject table has every tested subject of every run
    subj = res.subject_scores()
    assert len(subj) == len(res.runs) * 10 and subj["n_clips"].sum() == len(res.runs) * 20


def test_written_results_say_what_each_number_is(tmp_path, monkeypatch, capsys):
    feats = _folder(tmp_path / "f", _oracle_tables())
    monkeypatch.setattr(comparison, "make_classifier", lambda name, **kw: FirstColumn())
    out = tmp_path / "cmp"
    argv = ["--features", str(feats), "--protocol", "loso", "--classifiers", "svm-linear", "--figure-format",
            "pdf", "-q", "--out", str(out)]
    assert compare.main(argv) == 0
    printed = capsys.readouterr().out
    assert "pooled over the folds" in printed and "bootstrap percentile interval" in printed
    assert "K = 2, UF1/UAR 0.5000, ACC 0.5000" in printed  # 1/K and the majority share of 6 + 6 clips
    csv = pd.read_csv(out / "results.csv")
    assert {"Clips", "Subjects", "UF1 CI low", "UF1 CI high", "UF1 per-fold std", "UF1 chance"} <= set(csv.columns)
    assert csv.set_index("method").loc["FDM", ["UF1", "UF1 CI low", "UF1 CI high"]].tolist() == [0, 0, 0]
    assert (csv["Clips"] == 12).all() and (csv["Subjects"] == 6).all()
    tex = (out / "results.tex").read_text()
    assert tex.startswith(r"% needs \usepackage{booktabs}") and r"\begin{table*}" in tex
    paired = pd.read_csv(out / "paired_tests.csv")
    assert len(paired) == 9 and (out / "paired_tests.md").read_text().count("| LOSO |") == 3
    subj = pd.read_csv(out / "subject_scores.csv")
    assert len(subj) == 3 * 6
    protocol = json.loads((out / "protocol.json").read_text())
    assert protocol["n_leaks"] == 0 and protocol["hyperparameters_chosen_on_test_data"] is False
    p = protocol["protocols"]["loso"]
    assert p["n_splits"] == 6 and p["n_subjects"] == 6 and p["same_folds_for_every_run"]
    report = json.loads((out / "results.json").read_text())
    assert all(r["leak_audit"] == {"n_leaks": 0, "leaks": []} for r in report["runs"])
    assert {s["metric"] for s in report["runs"][0]["statistics"]} == {"uf1", "uar", "acc"}


def test_every_dropped_clip_is_reported_with_its_reason(tmp_path):
    def holes(codes, rng, index):
        X = codes[:, None] + rng.normal(size=(len(codes), 3))
        X[1, 2] = np.inf  # s01_1: not finite
        X[2, 0] = np.nan  # s02_0: not finite
        # s06_1 has no row; a row for a clip not in clips.csv
        keep = [i for i, k in enumerate(index) if k[2] != "s06_1"]
        idx = [index[i] for i in keep] + [("casme2", "s09", "s09_0")]
        return np.vstack([X[keep], np.ones((1, 3))]), idx, "npz"  # a CSV with NaN is refused as a blank cell

    feats = _folder(tmp_path / "f", {"lbp_top": holes}, extra_rows=[{"clip": "s01_9", "emotion": None}],
                    n_subjects=6)
    with pytest.warns(UserWarning, match=r"table 'lbp_top': 4 clip\(s\) left out") as rec:
        res = compare.run_comparison(feats, protocols=["loso"], classifier_names=["svm-linear"], au=False)
    msg = next(str(w.message) for w in rec.list if "left out" in str(w.message))
    assert "2 NaN or infinite feature value" in msg and "1 feature row of a clip that is not in clips.csv" in msg
    d = res.dropped.set_index("clip")["reason"].to_dict()
    assert d == {"s01_1": "not_finite", "s02_0": "not_finite", "s06_1": "no_features", "s09_0": "not_in_clips",
                 "s01_9": "no_emotion"}
    assert res.rows["n_clips"].tolist() == [12 - 3]


def test_one_clip_class_differing_by_a_space_is_flagged(tmp_path):
    def signal(codes, rng, index):
        return codes[:, None] + rng.normal(size=(len(codes), 3)), index

    feats = _folder(tmp_path / "f", {"lbp_top": signal},
                    extra_rows=[{"clip": "s01_9", "emotion": "negative ", "emotion_raw": "negative "}])
    with pytest.warns(UserWarning, match=r"class 'negative ' has a single clip \(casme2/s01/s01_9\).*differs "
                                         r"from class 'negative' \(6 clips\) only by case or spaces"):
        compare.run_comparison(feats, protocols=["loso"], classifier_names=["svm-linear"], au=False)


def _signal(codes, rng, index):
    return codes[:, None] * 2 + rng.normal(size=(len(codes), 3)), index


def _with_aus(path):
    """The folder of :func:`_folder` with AU12 on every 'positive' clip (for au_f1.* and emotion_au.csv)."""
    from mefeat._io import read_clips_table, write_clips_table

    feats = _folder(path, {"lbp_top": _signal, "fdm": _signal})
    table = read_clips_table(feats).reset_index()
    table["aus"] = [frozenset({12}) if e == "positive" else frozenset() for e in table["emotion"]]
    write_clips_table(feats, table, overwrite=True)
    return feats


QUICK = ["--protocol", "loso", "--classifiers", "svm-linear", "-q"]


def test_force_leaves_nothing_of_the_earlier_comparison(tmp_path):
    feats = _with_aus(tmp_path / "f")
    out = tmp_path / "cmp"
    base = ["--features", str(feats), *QUICK, "--out", str(out)]
    assert compare.main(base + ["--min-positives", "2", "--figure-format", "png,svg", "--dpi", "30"]) == 0
    assert list(pd.read_csv(out / "emotion_au.csv").columns) == ["emotion", "AU12"]  # named as in the figure
    md = (out / "au_f1.md").read_text().splitlines()
    assert md[3] == "|---|---:|---:|"  # Method | AU12 | mean F1: the numbers right-aligned
    assert (out / "figures" / "emotion_au.png").exists() and (out / "figures" / "scores_loso.svg").exists()
    assert compare.main(base) == 1  # no --force: refused, the earlier results kept
    assert compare.main(base + ["--force", "--no-au", "--methods", "fdm", "--figure-format", "pdf"]) == 0
    left = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and "cache" not in p.parts)
    assert left == [".mefeat.lock", "dropped.csv", "emotion_au.csv", "figures/confusion_loso_svm-linear.pdf",
                    "figures/emotion_au.pdf",
                    "figures/scores_loso.pdf", "per_class.csv", "per_fold.csv",
                    "predictions.csv", "protocol.json", "results.csv", "results.json", "results.md", "results.tex",
                    "subject_scores.csv"], left
    # one method left: no pair to test, and the earlier run's paired tests are gone too
    assert pd.read_csv(out / "results.csv")["method"].tolist() == ["FDM"]


def test_a_locked_output_or_feature_folder_is_refused(tmp_path, capsys):
    from mefeat._io import FolderLock

    feats = _folder(tmp_path / "f", {"lbp_top": _signal})
    out = tmp_path / "cmp"
    argv = ["--features", str(feats), *QUICK, "--out", str(out), "--figure-format", "png", "--dpi", "30"]
    with FolderLock(out, holder="another comparison"):  # a second comparison into the same --out
        assert compare.main(argv) == 1
    err = capsys.readouterr().err
    assert "another comparison" in err and "another run" in err
    assert not (out / "results.json").exists()
    with FolderLock(feats, holder="python -m mefeat.extract"):  # an extraction writing the feature folder
        assert compare.main(argv) == 1
    assert "is being written by an extraction" in capsys.readouterr().err
    assert not (out / "results.json").exists()
    assert compare.main(argv) == 0 and (out / "results.json").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".staging-")]


@pytest.mark.parametrize("dpi", ["20000", "5"])
def test_dpi_out_of_range_is_a_usage_error(tmp_path, capsys, dpi):
    with pytest.raises(SystemExit) as exc:
        compare.main(["--features", str(tmp_path), "--dpi", dpi, "--out", str(tmp_path / "cmp")])
    assert exc.value.code == 2
    assert f"--dpi must be between 10 and 1200 (journals ask 300-600 for figures), got {dpi}" in capsys.readouterr().err


def test_extraction_errors_give_compare_advice(tmp_path):
    from mefeat.runner import ExtractionError

    msg = compare._compare_advice(ExtractionError(
        "table 'lbp_top' in the output folder was computed with other settings (radii); use force=True (--force) "
        "to replace it, another output folder, or a new table name (--descriptors lbp_top_2=lbp_top)"))
    assert "--descriptors" not in msg and "--force" not in msg and "--extract-dir" in msg and "(radii)" in msg


def test_fold_cache_fits_only_what_is_new(tmp_path, monkeypatch):
    from mefeat._io import read_features, write_features
    from mefeat.evaluation import protocol

    def other(codes, rng, index):
        return codes[:, None] * 2 + rng.normal(size=(len(codes), 5)), index

    feats = _folder(tmp_path / "f", {"lbp_top": _signal, "fdm": other})
    fits = []
    real = protocol._fit_predict_fold
    monkeypatch.setattr(protocol, "_fit_predict_fold", lambda *a: fits.append(a[4].size) or real(*a))
    kw = {"protocols": ["loso"], "classifier_names": ["svm-linear"], "au": False, "cache": tmp_path / "cache",
          "n_jobs": 1}  # in this process, where the fits are counted
    first = compare.run_comparison(feats, methods=["lbp_top"], **kw)
    assert len(fits) == 6  # LOSO over 6 subjects
    again = compare.run_comparison(feats, methods=["lbp_top"], **kw)
    assert len(fits) == 6  # nothing fitted
    pd.testing.assert_frame_equal(again.runs[0]["result"].predictions, first.runs[0]["result"].predictions)
    compare.run_comparison(feats, **kw)  # one more table: only its 6 folds
    assert len(fits) == 12
    # a table whose bytes changed (one value) is never served from the cache
    X = read_features(feats, "fdm")
    X.iloc[0, 0] += 1.0
    write_features(feats, "fdm", X.to_numpy(), list(X.index), list(X.columns), overwrite=True)
    compare.run_comparison(feats, methods=["fdm"], **{**kw, "protocols": ["loso"]})
    assert len(fits) == 18
