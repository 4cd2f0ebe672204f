"""Labels, presets, published baselines and the Markdown / CSV / LaTeX tables."""

import csv
import io

import numpy as np
import pandas as pd
import pytest
from sklearn.svm import SVC

from mefeat.evaluation import labels as L
from mefeat.evaluation.presets import PROTOCOLS, protocol_preset
from mefeat.evaluation.published import PUBLISHED, compare_with_published, published_baselines
from mefeat.evaluation.tables import format_results, results_table, write_results


# ---------------------------------------------------------------- labels
@pytest.mark.parametrize("name, label", [
    ("lbp_top", "LBP-TOP"), ("LBP-TOP", "LBP-TOP"), ("lbp_top_megc2019", "LBP-TOP (MEGC 2019)"),
    ("hog_top", "HOG-TOP"), ("higo-top", "HIGO-TOP"), ("MDMO", "MDMO"), ("fdm", "FDM"), ("bi_woof", "Bi-WOOF"),
    ("optical_strain", "optical strain"), ("strain", "optical strain")])
def test_method_labels(name, label):
    assert L.method_label(name) == label
    assert L.method_label(L.method_slug(name)) == label


def test_label_kinds_and_order():
    assert [L.classifier_label(c) for c in ("svm-linear", "svm-rbf", "rf", "linear SVM")] == [
        "linear SVM", "RBF SVM", "random forest", "linear SVM"]
    assert L.protocol_label("dfme-split") == "DFME official split"
    assert L.part_label("testB") == "test B" and L.part_slug("CASME II") == "casme2"
    documented = ["LBP-TOP", "LBP-TOP (MEGC 2019)", "HOG-TOP", "HIGO-TOP", "MDMO", "FDM", "Bi-WOOF", "optical strain"]
    shuffled = ["zz new", "bi_woof", "optical strain", "mdmo", "LBP-TOP", "fdm", "higo_top", "hog_top",
                "lbp_top_megc2019"]
    got = [L.method_label(m) for m in sorted(shuffled, key=lambda m: L.order_key("method", m))]
    assert got == documented + ["zz new"]
    with pytest.raises(ValueError, match="kind must be one of"):
        L.order_key("colour", "red")
    assert L.run_title("lbp_top", "svm-linear", "dfme-10fold") == "LBP-TOP, linear SVM — DFME 10-fold CV"
    assert L.run_title(protocol="loso") == "LOSO"


# ---------------------------------------------------------------- presets
def _casme_table():
    emotions = ["others", "disgust", "happiness", "repression", "surprise", "fear", "sadness"]
    rows = [{"subject": f"sub{s:02d}", "clip": f"EP{s}_{i}", "emotion": e, "dataset": "casme2"}
            for s in range(1, 7) for i, e in enumerate(emotions)]
    rows.append({"subject": "sub01", "clip": "x", "emotion": None, "dataset": "casme2"})
    return pd.DataFrame(rows)


def test_casme2_5class_preset():
    p = protocol_preset("casme2-5class")
    assert p.cv == "loso" and p.n_clips == 246 and p.label == "CASME II 5-class LOSO"
    t = _casme_table()
    sel = p.select(t)
    assert sorted(set(sel["emotion"])) == ["disgust", "happiness", "others", "repression", "surprise"]
    assert len(sel) == 6 * 5
    kw = p.evaluate_kwargs(sel)
    assert kw["cv"] == "loso" and kw["labels"] == list(p.classes) and "datasets" not in kw
    rng = np.random.default_rng(0)
    codes = pd.factorize(t["emotion"])[0]
    X = rng.normal(size=(len(t), 3)) + codes[:, None] * 2.0
    res = p.evaluate(SVC(), X, t, verbose=False)
    assert res.labels == list(p.classes)
    assert len(res.fold_scores) == 6  # one fold per subject
    assert res.confusion.to_numpy().sum() == 30
    with pytest.raises(ValueError, match="keeps no clip"):
        p.select(t.assign(dataset="samm"))
    with pytest.raises(KeyError, match="needs a 'emotion' column"):
        p.select(t.drop(columns="emotion"))
    with pytest.raises(ValueError, match="X has 3 rows"):
        p.evaluate(SVC(), X[:3], t, verbose=False)


def test_presets_registry():
    assert set(PROTOCOLS) == {"dfme-10fold", "dfme-split", "loso", "casme2-5class", "megc2019", "lodo"}
    for name, p in PROTOCOLS.items():
        assert p.label == L.protocol_label(name)
        assert protocol_preset(p.label) is p
    with pytest.raises(ValueError, match="unknown protocol preset"):
        protocol_preset("casme2-4class")
    t = pd.DataFrame({"subject": ["a", "b", "c"], "emotion": ["x", "y", "x"], "split": ["train", "testA", "testB"]})
    assert PROTOCOLS["dfme-split"].evaluate_kwargs(t)["split"].tolist() == ["train", "testA", "testB"]


# ---------------------------------------------------------------- published
def test_published_table_values_and_sources():
    t = published_baselines()
    assert len(t) == 8 and t["citation"].str.contains("doi:10.1109/FG.2019.8756611").all()
    assert t["citation"].str.contains("doi:10.1109/FG.2019.8756567").all()
    assert t["citation"].str.contains("Table III").all()
    lbp = published_baselines(method="lbp_top").set_index("part")
    assert lbp.loc["full", ["uf1", "uar"]].tolist() == [0.5882, 0.5785]
    assert lbp.loc["SMIC", ["uf1", "uar"]].tolist() == [0.2000, 0.5280]
    assert lbp.loc["CASME II", ["uf1", "uar"]].tolist() == [0.7026, 0.7429]
    assert lbp.loc["SAMM", ["uf1", "uar"]].tolist() == [0.3954, 0.4102]
    bw = published_baselines(method="Bi-WOOF", labels=False).set_index("part")
    assert bw.loc["full", ["uf1", "uar"]].tolist() == [0.6296, 0.6227]
    assert bw.loc["smic", ["uf1", "uar"]].tolist() == [0.5727, 0.5829]
    assert bw.loc["casme2", ["uf1", "uar"]].tolist() == [0.7805, 0.8026]
    assert bw.loc["samm", ["uf1", "uar"]].tolist() == [0.5211, 0.5139]
    assert len(PUBLISHED) == 8
    assert published_baselines(protocol="loso").empty


def test_compare_with_published():
    ours = pd.DataFrame({"method": ["lbp_top_megc2019", "lbp_top_megc2019", "mdmo"], "classifier": "svm-linear",
                         "protocol": "megc2019", "part": ["CASME II", "full", "full"],
                         "uf1": [0.70, 0.58, 0.5], "uar": [0.71, 0.57, 0.49]})
    t = compare_with_published(ours)
    assert t.columns.tolist() == ["method", "classifier", "protocol", "part", "UF1 (ours)", "UF1 (published)",
                                  "UAR (ours)", "UAR (published)", "source"]
    assert t["part"].tolist() == ["full", "CASME II", "full"]  # paper order of the parts
    assert t.loc[0, "UF1 (published)"] == 0.5882 and t.loc[1, "UAR (published)"] == 0.7429
    assert t.loc[0, "method"] == "LBP-TOP (MEGC 2019)" and t.loc[0, "classifier"] == "linear SVM"
    assert np.isnan(t.loc[2, "UF1 (published)"]) and t.loc[2, "source"] == ""
    # no mapping: our MEGC configuration has no published row of its own
    t2 = compare_with_published(ours, method_map={})
    assert t2["UF1 (published)"].isna().all()
    with pytest.raises(ValueError, match="give protocol="):
        compare_with_published(ours.drop(columns="protocol"))
    with pytest.raises(KeyError, match="no column 'uar'"):
        compare_with_published(ours.drop(columns="uar"))


# ---------------------------------------------------------------- tables
def _results():
    rows = []
    for prot, shift in (("loso", 0.0), ("dfme-10fold", 0.1)):
        for m, base in (("fdm", 0.40), ("lbp_top", 0.45), ("Bi-WOOF", 0.50)):
            for c, d in (("rf", 0.01), ("svm-linear", 0.02)):
                rows.append({"method": m, "classifier": c, "protocol": prot, "UF1": base + d + shift,
                             "UAR": 0.9 - base - d, "ACC": 0.5, "uf1_std": 0.05, "uar_std": 0.04})
    rows[0]["UF1 (published)"] = 0.33
    return pd.DataFrame(rows)


def test_results_table_order_and_labels():
    t = results_table(_results())
    assert t["protocol"].tolist()[:6] == ["DFME 10-fold CV"] * 6
    assert t["method"].tolist()[:6] == ["LBP-TOP", "LBP-TOP", "FDM", "FDM", "Bi-WOOF", "Bi-WOOF"]
    assert t["classifier"].tolist()[:2] == ["linear SVM", "random forest"]
    assert t.attrs["metrics"] == ["uf1", "uar", "acc"]
    assert "uf1_std" in t and "uf1_published" in t and "acc_std" not in t
    with pytest.raises(KeyError, match="no 'method' column"):
        results_table(pd.DataFrame({"uf1": [0.1]}))
    with pytest.raises(KeyError, match="none of the metric columns"):
        results_table(pd.DataFrame({"method": ["fdm"]}))


def test_markdown_bold_best_per_protocol():
    md = format_results(_results(), "markdown")
    lines = md.splitlines()
    assert lines[0] == ("| Protocol | Method | Classifier | UF1 ± per-fold std | UAR ± per-fold std | ACC | "
                        "UF1 (published) |")
    body = [line for line in lines[2:]]
    assert len(body) == 12
    # best UF1 per protocol: Bi-WOOF + linear SVM (0.62 in DFME, 0.52 in LOSO); best UAR: FDM + rf (0.49)
    dfme = [r for r in body if r.startswith("| DFME")]
    loso = [r for r in body if r.startswith("| LOSO")]
    assert sum("**0.6200** ± 0.0500" in r for r in dfme) == 1
    assert "| Bi-WOOF | linear SVM | **0.6200** ± 0.0500" in "\n".join(dfme)
    assert "| Bi-WOOF | linear SVM | **0.5200** ± 0.0500" in "\n".join(loso)
    assert [r.split(" | ")[1:3] for r in dfme if "**0.4900** ± 0.0400" in r] == [["FDM", "random forest"]]
    # ties are all bold (ACC is 0.5 everywhere)
    assert all("**0.5000**" in r for r in body)
    # published is never bold
    assert "| 0.3300 |" in md and "**0.3300**" not in md


def test_latex_booktabs_and_same_numbers_in_all_formats():
    res = _results()
    tex = format_results(res, "latex", caption="Results & more", label="tab:res")
    assert tex.count(r"\toprule") == 1 and tex.count(r"\bottomrule") == 1
    assert r"\multicolumn{6}{l}{\textit{DFME 10-fold CV}} \\" in tex
    assert r"\textbf{0.6200} $\pm$ 0.0500" in tex
    assert r"\caption{Results \& more}" in tex and r"\label{tab:res}" in tex
    assert "Styler" not in tex
    md = format_results(res, "md")
    text = format_results(res, "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["protocol", "method", "classifier", "UF1", "UF1 per-fold std", "UAR",
                             "UAR per-fold std", "ACC", "UF1 (published)"]
    assert "**" not in text and r"\textbf" not in text
    for r in rows:  # every CSV number is printed identically in Markdown and LaTeX
        assert r["UF1"] in md and r["UF1"] in tex
        assert r["UAR per-fold std"] in md and r["UAR per-fold std"] in tex
    assert rows[0]["method"] == "LBP-TOP" and rows[0]["classifier"] == "linear SVM"
    with pytest.raises(ValueError, match="fmt must be"):
        format_results(res, "html")


def test_write_results(tmp_path):
    out = write_results(_results(), tmp_path / "table.md", digits=3)
    assert set(out) == {"md", "csv", "tex"}
    for f, p in out.items():
        assert p.endswith(f".{f}")
        text = open(p, encoding="utf-8").read()
        assert "0.620" in text and "0.6200" not in text


def test_megc_parts_beside_published_in_a_latex_table():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from mefeat.evaluation import evaluate

    rng = np.random.default_rng(11)
    dbs = np.repeat(["smic", "casme2", "samm"], 24)
    subjects = np.tile(np.repeat(["s1", "s2", "s3", "s4"], 6), 3)
    y = np.tile(["negative", "positive", "surprise"], 24)
    X = rng.normal(size=(72, 4)) + pd.factorize(y)[0][:, None] * 1.5
    res = evaluate(make_pipeline(StandardScaler(), SVC()), X, y, subjects, cv="megc2019", datasets=dbs,
                   verbose=False)
    ours = res.part_scores().reset_index().assign(method="bi_woof", classifier="svm-linear", protocol="megc2019")
    t = compare_with_published(ours)
    assert t["part"].tolist() == ["full", "SMIC", "CASME II", "SAMM"]
    assert t["UF1 (published)"].tolist() == [0.6296, 0.5727, 0.7805, 0.5211]
    assert t["UF1 (ours)"].tolist() == res.part_scores()["uf1"].tolist()
    tex = format_results(t, "latex")
    assert "UF1 (published)" in tex and "0.7805" in tex and "Part" in tex
    # best value per part: each part is its own group, so every one of our cells is bold
    assert tex.count(r"\textbf{") == 4 * 2


def test_default_lbp_top_is_not_compared_with_the_guideline_lbp_top():
    """The published LBP-TOP is the MEGC 2019 configuration: only ``lbp_top_megc2019`` is set beside it."""
    from mefeat.evaluation.published import published_method

    ours = pd.DataFrame({"method": ["lbp_top", "lbp_top_megc2019", "bi_woof"], "classifier": "svm-linear",
                         "protocol": "megc2019", "part": "full", "uf1": 0.5, "uar": 0.5})
    t = compare_with_published(ours).set_index("method")
    assert np.isnan(t.loc["LBP-TOP", "UF1 (published)"])
    assert t.loc["LBP-TOP (MEGC 2019)", "UF1 (published)"] == 0.5882
    assert t.loc["Bi-WOOF", "UF1 (published)"] == 0.6296
    assert published_method("lbp_top") is None and published_method("LBP-TOP (MEGC 2019)") == "lbp_top"
    assert published_method("lbp_top", {}) == "lbp_top"  # without the map, names match as they are
