"""The long-video demo (both layouts) read by the real loaders, the spotters finding its planted
micro-expressions, spot-then-recognise, and ``python -m mefeat.spot`` called in-process."""

import json
import os

import pandas as pd
import pytest

from mefeat.datasets import load_long_demo, make_long_demo
from mefeat.spotting import evaluate_spotting
from mefeat.spotting.spotters import LBPChi2Spotter, MDMDSpotter

TINY = dict(n_subjects=2, videos_per_subject=2, size=64, face_width=52, events=("micro", "blink", "macro", "micro"))


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("longdemo"))


@pytest.fixture(scope="module")
def tiny(demo_dir):
    return load_long_demo(data_dir=demo_dir, **TINY)


def test_demo_intervals_are_the_planted_events(tiny):
    ev = tiny.events
    planted = ev[ev["kind"].isin(["micro", "macro"])].reset_index(drop=True)
    t = tiny.intervals
    assert len(t) == len(planted) == 2 * 2 * 3
    assert t[["video", "onset", "apex", "offset", "type"]].astype(str).values.tolist() == \
        planted[["video", "onset", "apex", "offset", "kind"]].astype(str).values.tolist()
    assert (ev["kind"] == "blink").sum() == 4 and len(tiny.validation_report) == 0
    micro = t[t["type"] == "micro"]
    assert ((micro["offset"] - micro["onset"] + 1).between(7, 16)).all()   # 0.30-0.45 s at 30 fps
    paths, numbers = tiny.frame_paths(t["video"][0])
    assert numbers[0] == 1 and os.path.basename(paths[0]) == "img1.jpg"


def test_demo_samm_layout(demo_dir):
    ds = load_long_demo(data_dir=demo_dir, layout="samm_lv", n_subjects=1, videos_per_subject=1, size=48,
                        face_width=40, events=("micro",), lead_s=0.3, gap_s=(0.4, 0.5))
    assert ds.intervals["video"].tolist() == ["001_1"] and ds.intervals["fps"][0] == 200.0
    paths, numbers = ds.frame_paths("001_1")
    assert os.path.basename(paths[0]) == "001_1_0001.jpg"
    n = ds.intervals["offset"][0] - ds.intervals["onset"][0] + 1
    assert 47 <= n <= 105                                                  # 0.30-0.45 s at 200 fps


@pytest.mark.parametrize("spotter", [MDMDSpotter(), LBPChi2Spotter()], ids=["mdmd", "lbp_chi2"])
def test_spotters_find_the_planted_micro_expressions(tiny, spotter):
    preds = [spotter.spot(tiny.frame_paths(v)[0], fps=30, video=v, frame_numbers=tiny.frame_paths(v)[1])
             for v in tiny.videos["video"]]
    r = evaluate_spotting(tiny.ground_truth(), pd.concat(preds))
    assert r.loc["micro", "recall"] == 1.0, r


def test_spot_then_recognise_on_the_demo(tiny):
    from mefeat.spotting.recognise import spot_then_recognise

    gt = tiny.ground_truth()
    res = spot_then_recognise(tiny, gt[["video", "onset", "offset", "type"]])   # perfect spotting
    assert res["strs"]["f1_spot"] == 1.0 and 0 <= res["strs"]["strs"] <= 1
    assert res["predictions"]["emotion"].notna().all()
    assert set(res["predictions"]["subject"]) == set(gt["subject"])


def test_cli_end_to_end_and_output_guards(tiny, demo_dir, tmp_path, capsys):
    from mefeat.spot import main

    root = make_long_demo(data_dir=demo_dir, **TINY)
    sheet = os.path.join(root, "CAS(ME)^2code_final.xlsx")
    out = str(tmp_path / "out")
    args = ["--dataset", "casme_sq", "--root", root, "--annotations", sheet, "--out", out, "--videos", "2"]
    assert main(args) == 0
    assert sorted(os.listdir(out)) == ["evaluation.csv", "manifest.json", "predictions.csv", "spotting_01_0101.png",
                                       "strs.json"]
    ev = pd.read_csv(os.path.join(out, "evaluation.csv"))
    assert set(ev["method"]) == {"one_to_one", "megc2020"} and len(ev) == 6
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    assert manifest["command"] == "python -m mefeat.spot" and manifest["n_videos"] == 2
    assert "STRS" in capsys.readouterr().out
    assert main(args) == 2                                      # exists: not replaced without --force
    assert main(args + ["--force", "--no-str", "-q"]) == 0
    assert not os.path.exists(os.path.join(out, "strs.json")) and capsys.readouterr().out == ""
    other = tmp_path / "mine"
    other.mkdir()
    assert main(args[:-4] + ["--out", str(other), "--force"]) == 2   # not a mefeat.spot folder: kept
    assert main(["--dataset", "casme_sq", "--out", str(tmp_path / "x")]) == 2   # --root/--annotations missing
    with pytest.raises(SystemExit):
        main(["--iou", "0"])
