"""Baseline pipelines and the comparison command (in-process, tiny synthetic feature tables)."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from pipelines import bi_woof, compare, fdm, higo_top, hog_top, lbp_top, mdmo

MODULES = [lbp_top, hog_top, higo_top, mdmo, bi_woof, fdm]
EMOTIONS = ["anger", "happiness", "surprise"]


@pytest.mark.parametrize("mod", MODULES, ids=lambda m: m.__name__)
def test_make_pipelines_table(mod):
    pipes = mod.make_pipelines()
    assert list(pipes) == ["svm-linear", "svm-rbf", "rf"]
    for name, p in pipes.items():
        assert isinstance(p, Pipeline)
        assert [s for s, _ in p.steps] == ["drop_constant", "scale", "clf"]
    assert pipes["rf"].get_params()["clf__random_state"] == 0
    assert mod.DESCRIPTOR in {"lbp_top", "hog_top", "higo_top", "mdmo", "bi_woof", "fdm"}
    with pytest.raises(TypeError, match="only apply with features='clips'"):
        mod.make_pipelines("table", grid=(2, 2))
    with pytest.raises(ValueError, match="features must be one of"):
        mod.make_pipelines("images")
    with pytest.raises(ValueError, match="classifier must be one of"):
        mod.make_pipelines(classifiers=["knn"])


def test_megc2019_lbp_configuration():
    assert lbp_top.MEGC2019_PARAMS == {"radii": (1, 1, 4), "n_points": (4, 4, 4), "grid": (5, 5, 1)}
    assert lbp_top.MEGC2019_PREPROCESS == {"tim.n_frames": 10}
    assert set(lbp_top.make_megc2019_pipelines()) == {"svm-linear", "svm-rbf", "rf"}


def _feature_dir(path, seed=0, n_subjects=12, datasets=("demo",), descriptors=("lbp_top", "mdmo")):
    from mefeat._io import write_clips_table, write_features

    rng = np.random.default_rng(seed)
    rows = []
    for d in datasets:
        for s in range(n_subjects):
            for k, e in enumerate(EMOTIONS):
                aus = {0: {4, 7}, 1: {6, 12}, 2: {1, 2}}[k] if rng.random() < 0.9 else {17}
                rows.append({"dataset": d, "subject": f"sub{s:02d}", "clip": f"{d}_sub{s:02d}_{k}", "onset": 0,
                             "apex": 5, "offset": 10, "emotion": e, "emotion_raw": e, "aus": frozenset(aus),
                             "aus_raw": "+".join(map(str, sorted(aus))), "fps": 200.0, "frame_dir": "",
                             "n_frames": 11, "status": "ok"})
    table = pd.DataFrame(rows)
    codes = np.array([EMOTIONS.index(e) for e in table["emotion"]])
    index = list(zip(table["dataset"], table["subject"], table["clip"]))
    for j, name in enumerate(descriptors):
        centers = rng.normal(size=(3, 8)) * 2.0
        X = centers[codes] + rng.normal(size=(len(table), 8))
        X[:, -1] = 1.0  # a constant column (dropped by the pipelines)
        write_features(path, name, X, index)
    write_clips_table(path, table)
    return path


def test_compare_main_on_feature_dir(tmp_path, capsys):
    feats = _feature_dir(tmp_path / "feats")
    out = tmp_path / "out"
    argv = ["--features", str(feats), "--out", str(out), "--n-jobs", "1", "-q", "--min-positives", "5"]
    assert compare.main(argv) == 0
    printed = capsys.readouterr().out
    assert "| method | classifier | UF1 | UAR | ACC |" in printed
    res = pd.read_csv(out / "results.csv")
    assert len(res) == 6  # 2 tables x 3 classifiers
    assert set(res["method"]) == {"LBP-TOP", "MDMO"}
    assert (res["uf1"] > 0.66).all()  # 3 well-separated classes (chance 1/3)
    assert (res["n_features"] == 8).all()
    for f in ("results.md", "results.json", "per_fold.csv", "per_class.csv", "predictions.csv",
              "emotion_au.csv", "emotion_au.md", "emotion_au.png", "au_f1.csv", "au_f1.md"):
        assert (out / f).is_file(), f
    pngs = sorted(p.name for p in (out / "confusion").iterdir())
    assert len(pngs) == 6 and pngs[0].endswith(".png")
    meta = json.loads((out / "results.json").read_text())
    assert meta["protocol"] == "dfme-10fold"
    (folds,) = meta["folds"].values()
    assert folds["n_splits"] == 10
    # emotion-AU table matches the labels
    share = pd.read_csv(out / "emotion_au.csv", index_col=0)
    assert share.loc["happiness", "12"] > 0.5 and share.loc["happiness", "4"] == 0
    au = pd.read_csv(out / "au_f1.csv", index_col=0)
    assert set(au.columns) == {"LBP-TOP", "MDMO"}
    assert au.loc["12", "LBP-TOP"] > 0.7  # AU12 is implied by the (learnable) emotion
    # refuses to overwrite, then identical results with --force (deterministic per seed)
    assert compare.main(argv) == 2
    assert "use --force" in capsys.readouterr().err
    assert compare.main(argv + ["--force", "--no-au", "--classifiers", "rf", "--methods", "mdmo"]) == 0
    res2 = pd.read_csv(out / "results.csv")
    pd.testing.assert_frame_equal(res[res["classifier"].eq("rf") & res["method"].eq("MDMO")].drop(
        columns="seconds").reset_index(drop=True), res2.drop(columns="seconds"))


def test_compare_protocols(tmp_path, capsys):
    feats = _feature_dir(tmp_path / "feats", n_subjects=4, datasets=("casme2", "samm"), descriptors=("hog_top",))
    out = tmp_path / "o1"
    assert compare.main(["--features", str(feats), "--out", str(out), "--protocol", "megc2019", "-q", "--no-au",
                         "--classifiers", "svm-linear", "--n-jobs", "1"]) == 0
    res = pd.read_csv(out / "results.csv")
    assert list(res["method"]) == ["HOG-TOP"]
    assert "uf1[casme2]" in res.columns and "uf1[samm]" in res.columns
    meta = json.loads((out / "results.json").read_text())
    assert next(iter(meta["folds"].values()))["n_splits"] == 8  # same ids in two databases -> 8 subjects
    assert not (out / "au_f1.csv").exists()
    out2 = tmp_path / "o2"
    assert compare.main(["--features", str(feats), "--out", str(out2), "--protocol", "lodo", "-q", "--no-au",
                         "--classifiers", "rf", "--n-jobs", "1"]) == 0
    meta = json.loads((out2 / "results.json").read_text())
    assert next(iter(meta["folds"].values()))["folds"] == {"0": ["casme2"], "1": ["samm"]}


def test_compare_usage_errors(tmp_path, capsys):
    with pytest.raises(SystemExit):
        compare.main(["--protocol", "5fold"])
    with pytest.raises(SystemExit):
        compare.main(["--methods", "lbp"])
    with pytest.raises(SystemExit):
        compare.main(["--classifiers", "knn"])
    with pytest.raises(SystemExit):
        compare.main(["--features", str(tmp_path), "--root", "x"])
    assert compare.main(["--features", str(tmp_path / "missing"), "--out", str(tmp_path / "o"), "-q"]) == 2
    assert "no clips.csv" in capsys.readouterr().err


def test_compare_nested_search(tmp_path):
    feats = _feature_dir(tmp_path / "feats", n_subjects=10, descriptors=("fdm",))
    out = tmp_path / "o"
    assert compare.main(["--features", str(feats), "--out", str(out), "-q", "--no-au", "--nested",
                         "--classifiers", "svm-linear", "--n-jobs", "1"]) == 0
    assert pd.read_csv(out / "results.csv")["uf1"].iloc[0] > 0.66


def _moving_clips(n_per_class=8, seed=0):
    """Clips of a random texture drifting right (class "r") or down (class "d"), one subject per pair."""
    import mefeat

    rng = np.random.default_rng(seed)
    clips, y, g = [], [], []
    for i in range(n_per_class):
        for label, (dy, dx) in (("r", (0, 1)), ("d", (1, 0))):
            base = rng.integers(0, 256, size=(48, 48)).astype(np.float64)
            base = (base + np.roll(base, 1, 0) + np.roll(base, 1, 1)) / 3
            frames = np.stack([np.roll(base, (dy * t, dx * t), axis=(0, 1)) for t in range(12)]).astype(np.uint8)
            clips.append(mefeat.Clip(frames, onset=0, apex=6, offset=11, subject=f"s{i}", name=f"s{i}_{label}"))
            y.append(label)
            g.append(f"s{i}")
    return clips, np.array(y), np.array(g)


@pytest.mark.parametrize("mod,params", [(lbp_top, {"grid": (2, 2, 1)}), (hog_top, {"grid": (2, 2, 1)})],
                         ids=["lbp_top", "hog_top"])
def test_clip_pipelines_learn_motion_direction(mod, params):
    from mefeat.evaluation import evaluate

    clips, y, g = _moving_clips(n_per_class=5)
    pipe = mod.make_pipelines("clips", align=False, n_frames=10, classifiers=["svm-linear"], **params)["svm-linear"]
    assert [s for s, _ in pipe.steps][:2] == ["tim", mod.make_pipelines("clips").get("rf").steps[2][0]]
    res = evaluate(pipe, clips, y, g, cv="loso", verbose=False)
    assert res.scores["uf1"] > 0.9  # the XT/YT planes see the drift direction


@pytest.mark.parametrize("mod", MODULES, ids=lambda m: m.__name__)
def test_clip_pipelines_structure(mod):
    pipes = mod.make_pipelines("clips", classifiers=["rf"])
    steps = [s for s, _ in pipes["rf"].steps]
    front = ["align"] if mod is bi_woof else ["align", "tim"]  # Bi-WOOF: onset/apex of the clip, no TIM
    assert steps[:len(front)] == front and steps[-3:] == ["drop_constant", "scale", "clf"]
    if "tim" in steps:
        assert pipes["rf"].named_steps["tim"].dtype == np.uint8  # rounded TIM, as mefeat.extract
    desc = pipes["rf"].steps[len(front)][1]
    for k, v in mod.PARAMS.items():
        assert getattr(desc, k) == v
    assert [s for s, _ in mod.make_pipelines("clips", align=False, n_frames=0)["rf"].steps][0] not in ("align",
                                                                                                       "tim")


def test_compare_default_path_extracts_demo(tmp_path, monkeypatch, capsys):
    """The no-argument path in small: tiny demo -> mefeat.extract (incl. the MEGC 2019 LBP-TOP run) -> table."""
    monkeypatch.setenv("MEFEAT_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "out"
    argv = ["--demo-size", "tiny", "--protocol", "loso", "--methods", "lbp_top_megc2019,fdm",
            "--classifiers", "svm-linear", "--no-au", "--out", str(out), "--n-jobs", "1", "-q"]
    assert compare.main(argv) == 0
    printed = capsys.readouterr().out
    assert "| LBP-TOP (MEGC 2019) | svm-linear |" in printed and "| FDM | svm-linear |" in printed
    manifest = json.loads((out / "extracted" / "features_megc2019" / "manifest.json").read_text())
    params = manifest["config"]["descriptors"]["lbp_top"]
    assert [list(params[k]) for k in ("radii", "n_points", "grid")] == [[1, 1, 4], [4, 4, 4], [5, 5, 1]]
    assert manifest["config"]["preprocessing"]["tim.n_frames"] == 10
    assert compare._is_megc2019_lbp(manifest)
    res = pd.read_csv(out / "results.csv")
    assert (res["n_clips"] == 6).all() and res["n_features"].tolist() == [1125, 144]
    # the extraction folder can be re-read with --features; the MEGC configuration is recognised
    out2 = tmp_path / "out2"
    assert compare.main(["--features", str(out / "extracted" / "features_megc2019"), "--out", str(out2),
                         "--protocol", "loso", "--classifiers", "svm-linear", "--no-au", "-q", "--n-jobs", "1"]) == 0
    assert pd.read_csv(out2 / "results.csv")["method"].tolist() == ["LBP-TOP (MEGC 2019)"]


def test_clip_parameters_match_the_extraction_command():
    """features="clips" computes what `python -m mefeat.extract` writes to the tables (same parameters)."""
    from mefeat import extract

    pre = extract.PREPROCESS_DEFAULTS
    for mod in MODULES:
        reg = extract.REGISTRY[mod.DESCRIPTOR].defaults
        own = {k: v for k, v in mod.PARAMS.items() if k not in ("flow_params", "mode")}
        assert {k: tuple(v) if isinstance(v, list) else v for k, v in reg.items()} == own, mod.__name__
    assert pre["face.size"] == 128 and pre["tim.n_frames"] == 10 and pre["face.align"] is True
    assert mdmo.PARAMS["flow_params"]["epsilon"] == pre["flow.epsilon"] and pre["flow.method"] == "tvl1"
    assert fdm.PARAMS["flow_params"]["epsilon"] == pre["flow.epsilon"]
    assert bi_woof.PARAMS["flow_params"]["epsilon"] == pre["apex_flow.epsilon"] and pre["apex_flow.method"] == "tvl1"


def test_other_flow_backend_drops_tvl1_defaults():
    from pipelines import fdm, mdmo

    for mod in (fdm, mdmo):
        step = mod.make_pipelines("clips", flow_method="dis", align=False)["svm-linear"].steps[1][1]
        assert step.flow_method == "dis" and step.flow_params is None
        step.fit()  # validates the parameters: TV-L1's epsilon would be refused by DIS
        kept = mod.make_pipelines("clips", flow_method="dis", flow_params={"finest_scale": 1}, align=False)
        assert kept["rf"].steps[1][1].flow_params == {"finest_scale": 1}
