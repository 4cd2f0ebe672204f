"""Figures: every function writes valid PDF / PNG / SVG files (not pixel content); matplotlib stays lazy."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from mefeat.evaluation import plots
from mefeat.evaluation.published import published_baselines

EMOTIONS = ["anger", "contempt", "disgust", "fear", "happiness", "sadness", "surprise"]
HEADERS = {"pdf": b"%PDF-", "png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml"}


def _check(path, fmt):
    with open(path, "rb") as fh:
        data = fh.read()
    assert len(data) > 1000
    assert data.startswith(HEADERS[fmt])
    if fmt == "pdf":
        assert b"%%EOF" in data[-64:]
    if fmt == "png":
        assert b"IEND" in data[-16:]


def _confusion(rng, k=7):
    cm = rng.integers(0, 30, size=(k, k)) + np.diag(rng.integers(20, 60, size=k))
    return pd.DataFrame(cm, index=pd.Index(EMOTIONS[:k], name="true"), columns=pd.Index(EMOTIONS[:k], name="pred"))


def _results_table(rng):
    rows = []
    for m in ("lbp_top", "lbp_top_megc2019", "hog_top", "higo_top", "mdmo", "fdm", "bi_woof"):
        for c in ("svm-linear", "svm-rbf", "rf"):
            rows.append({"method": m, "classifier": c, "uf1": rng.uniform(0.3, 0.6), "uar": rng.uniform(0.3, 0.6),
                         "uf1_std": rng.uniform(0.02, 0.08), "uar_std": rng.uniform(0.02, 0.08)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("fmt", ["pdf", "png"])
def test_confusion_grid_files(tmp_path, fmt):
    from mefeat.evaluation.protocol import EvaluationResult

    rng = np.random.default_rng(0)
    grid = {}
    for m in ("lbp_top", "mdmo", "bi_woof"):
        for c in ("svm-linear", "rf"):
            conf = _confusion(rng)
            grid[(m, c)] = EvaluationResult(scores={"uf1": 0.4, "uar": 0.41, "acc": 0.5}, fold_scores=None,
                                            per_class=None, confusion=conf, predictions=None, folds={},
                                            labels=EMOTIONS)
    grid[("fdm", "svm-rbf")] = _confusion(rng)  # a plain DataFrame works too; missing cells say "not run"
    p = plots.plot_confusion_grid(grid, tmp_path / f"grid.{fmt}", protocol="dfme-10fold", dpi=50)
    _check(p, fmt)


def test_confusion_grid_errors(tmp_path):
    rng = np.random.default_rng(1)
    with pytest.raises(ValueError, match="empty"):
        plots.plot_confusion_grid({}, tmp_path / "g.png")
    with pytest.raises(ValueError, match="same classes"):
        plots.plot_confusion_grid({("fdm", "rf"): _confusion(rng, 3), ("mdmo", "rf"): _confusion(rng, 4)},
                                  tmp_path / "g.png")
    with pytest.raises(ValueError, match=r"\(method, classifier\) tuples"):
        plots.plot_confusion_grid({"fdm": _confusion(rng)}, tmp_path / "g.png")


@pytest.mark.parametrize("fmt", ["pdf", "png"])
@pytest.mark.parametrize("classifier", ["all", "best", "svm-rbf"])
def test_scores_bar_files(tmp_path, fmt, classifier):
    rng = np.random.default_rng(2)
    p = plots.plot_scores_bar(_results_table(rng), tmp_path / f"bars.{fmt}", protocol="megc2019",
                              classifier=classifier, published=published_baselines(), dpi=50)
    _check(p, fmt)


def test_scores_bar_errors(tmp_path):
    rng = np.random.default_rng(3)
    with pytest.raises(ValueError, match="classifier 'knn' not in the results"):
        plots.plot_scores_bar(_results_table(rng), tmp_path / "b.png", classifier="knn")
    t = _results_table(rng).assign(protocol="loso")
    with pytest.raises(ValueError, match="no result to plot"):
        plots.plot_scores_bar(t, tmp_path / "b.png", protocol="megc2019")


@pytest.mark.parametrize("fmt", ["pdf", "png"])
def test_emotion_au_heatmap_files(tmp_path, fmt):
    rng = np.random.default_rng(4)
    aus = [1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 24, 25, 26, 43]
    share = pd.DataFrame(rng.beta(0.3, 3, size=(7, len(aus))), index=EMOTIONS, columns=aus)
    share.iloc[0, 0] = 0.0
    share.iloc[1, 1] = np.nan
    share.attrs["n"] = {e: 10 for e in EMOTIONS}
    p = plots.plot_emotion_au_heatmap(share, tmp_path / f"au.{fmt}", dpi=50)
    _check(p, fmt)


@pytest.mark.parametrize("fmt", ["pdf", "png", "svg"])
def test_plot_confusion_formats(tmp_path, fmt):
    rng = np.random.default_rng(5)
    p = plots.plot_confusion(_confusion(rng), tmp_path / "cm", fmt=fmt, dpi=50)  # suffix added
    assert p.endswith(f"cm.{fmt}")
    _check(p, fmt)


def test_old_signatures_still_work(tmp_path):
    """pipelines/compare.py calls plot_confusion(conf, path, title=...) and plot_emotion_au_heatmap(share, path)."""
    rng = np.random.default_rng(6)
    p = plots.plot_confusion(_confusion(rng, 3), str(tmp_path / "c.png"), title="LBP-TOP + svm-linear (loso)")
    _check(p, "png")
    p = plots.plot_confusion(_confusion(rng, 3), tmp_path / "c2.png", normalize=False)
    _check(p, "png")
    share = pd.DataFrame([[0.5, 0.01]], index=["happiness"], columns=[6, 12])
    p = plots.plot_emotion_au_heatmap(share, str(tmp_path / "h.png"))
    _check(p, "png")


def test_format_checks(tmp_path):
    rng = np.random.default_rng(7)
    with pytest.raises(ValueError, match="fmt must be one of"):
        plots.plot_confusion(_confusion(rng, 2), tmp_path / "c.jpg", fmt="jpg")
    with pytest.raises(ValueError, match="ends in .png but fmt='pdf'"):
        plots.plot_confusion(_confusion(rng, 2), tmp_path / "c.png", fmt="pdf")
    with pytest.raises(ValueError, match="square"):
        plots.plot_confusion(np.zeros((2, 3)), tmp_path / "c.png")


def test_png_dpi_is_applied(tmp_path):
    import struct

    rng = np.random.default_rng(8)
    sizes = {}
    for dpi in (50, 100):
        p = plots.plot_confusion(_confusion(rng, 3), tmp_path / f"c{dpi}.png", dpi=dpi)
        with open(p, "rb") as fh:
            head = fh.read(24)
        sizes[dpi] = struct.unpack(">II", head[16:24])
    assert sizes[100][0] > 1.8 * sizes[50][0]


def test_importing_evaluation_does_not_import_matplotlib():
    code = ("import sys, mefeat.evaluation as e\n"
            "from mefeat.evaluation import plots, tables, published, presets, labels, protocol, metrics\n"
            "e.plot_confusion, e.plot_scores_bar, e.format_results\n"
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def _seven_class_grid(n_methods=8, classifiers=("svm-linear", "svm-rbf", "rf")):
    import pandas as pd

    from mefeat.evaluation.labels import METHOD_LABELS

    classes = ["anger", "contempt", "disgust", "fear", "happiness", "sadness", "surprise"]
    rng = np.random.default_rng(0)
    cm = lambda: pd.DataFrame(rng.integers(0, 30, (7, 7)), index=classes, columns=classes)  # noqa: E731
    return {(m, c): cm() for m in list(METHOD_LABELS)[:n_methods] for c in classifiers}


def test_confusion_grid_fits_a_page_and_picks_methods_and_classifiers():
    from mefeat.evaluation import plot_confusion_grid

    grid = _seven_class_grid()
    fig = plot_confusion_grid(grid, None, classifiers=["rf"], ncols=4)  # the 8 methods of one classifier
    w, h = fig.get_size_inches()
    assert w <= 7.0 + 1e-9 and h <= 9.0, (w, h)  # a page's text width, and shorter than its height
    assert len([ax for ax in fig.axes if ax.images]) == 8
    fig = plot_confusion_grid(grid, None, methods=["lbp_top", "fdm"], classifiers=["svm-linear", "rf"])
    assert len([ax for ax in fig.axes if ax.images]) == 4 and fig.get_size_inches()[0] <= 7.0 + 1e-9
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_confusion_grid(grid, None, methods=["no_such_method"])


def test_figures_keep_the_users_backend_and_embed_truetype_fonts(tmp_path):
    # a notebook's backend (here "template") stays selected and pyplot knows no mefeat figure
    code = f"""
import matplotlib, matplotlib.pyplot as plt
import pandas as pd
from mefeat.evaluation import plot_confusion, plot_scores_bar
before = matplotlib.get_backend()
cm = pd.DataFrame([[8, 2], [3, 7]], index=["negative", "positive"], columns=["negative", "positive"])
plot_confusion(cm, {str(tmp_path / 'cm.pdf')!r})
r = pd.DataFrame({{"method": ["lbp_top", "fdm"], "classifier": "rf", "uf1": [0.5, 0.6], "uar": [0.5, 0.6]}})
fig = plot_scores_bar(r, None, chance={{"uf1": 0.5, "uar": 0.5}})
assert type(fig).__name__ == "Figure" and len(fig.axes) == 2
assert matplotlib.get_backend() == before == "template", (before, matplotlib.get_backend())
assert plt.get_fignums() == []
"""
    env = {**os.environ, "MPLBACKEND": "template"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    data = (tmp_path / "cm.pdf").read_bytes()
    assert b"/Type3" not in data and b"/FontFile2" in data  # TrueType (Type 42) embedded, no Type 3
