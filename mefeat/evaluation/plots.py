"""Figures for papers: confusion matrices, UF1/UAR bar charts, the emotion–AU heatmap.

matplotlib is imported inside the functions (``import mefeat.evaluation.plots`` does not
import it). The figures are built on :class:`matplotlib.figure.Figure` directly: no backend is
selected or switched (a notebook keeps its own), and PDF output embeds TrueType (Type 42)
fonts. Every function takes

- ``path``: the output file; None returns the :class:`~matplotlib.figure.Figure` unsaved
  (shown by a notebook when it is the cell's value; ``fig.axes`` holds its panels);
- ``fmt``: ``"pdf"``, ``"svg"`` or ``"png"``; None infers it from the suffix of ``path``
  (``.png`` is added when ``path`` has none);
- ``dpi``: resolution of PNG output (default 300; vector formats ignore it);

and returns the written path as ``str`` (the Figure when ``path`` is None). Titles and axis names are plain words
(``"LBP-TOP, linear SVM — DFME 10-fold CV"``, ``"True emotion"``); slugs are turned into
printed names with :mod:`mefeat.evaluation.labels`.
"""

import os

import numpy as np

__all__ = ["plot_confusion", "plot_confusion_grid", "plot_scores_bar", "plot_emotion_au_heatmap", "FORMATS"]

#: Accepted output formats.
FORMATS = ("pdf", "svg", "png")

# Okabe-Ito colours (colour-blind safe), for the classifiers of the bar chart.
_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
_FONT = 8  # pt, smallest text in every figure


class _Figures:
    """The few pyplot calls the figures need, on :class:`matplotlib.figure.Figure` directly.

    No backend is selected or switched and no figure is registered with pyplot's figure
    manager, so a notebook's ``%matplotlib inline`` / ``plt.show()`` keep working.
    """

    @staticmethod
    def subplots(nrows=1, ncols=1, *, figsize=None, layout=None, **kwargs):
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize, layout=layout)
        return fig, fig.subplots(nrows, ncols, **kwargs)

    @staticmethod
    def get_cmap(name):
        import matplotlib

        return matplotlib.colormaps[name]

    @staticmethod
    def close(fig):
        """Nothing to release: the figure is not known to pyplot."""


def _pyplot():
    return _Figures

#: Font settings of every saved figure: TrueType (Type 42) fonts embedded in PDF and PostScript,
#: as journals ask (matplotlib's default, Type 3, is refused by many submission systems).
_RC = {"pdf.fonttype": 42, "ps.fonttype": 42}


def _resolve(path, fmt):
    """(path, fmt) with the format checked and the suffix added when missing."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if fmt is None:
        fmt = ext if ext in FORMATS else "png"
    fmt = str(fmt).lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    if ext in FORMATS and ext != fmt:
        raise ValueError(f"path {path!r} ends in .{ext} but fmt={fmt!r}; make them agree")
    if ext != fmt:
        path = f"{path}.{fmt}"
    return path, fmt


def _save(fig, path, fmt, dpi, plt, *, tight=True):
    """Write ``fig`` to ``path`` and return the path; with ``path=None`` return the Figure unsaved."""
    if path is None:
        return fig
    import matplotlib

    path, fmt = _resolve(path, fmt)
    kw = {"format": fmt, "dpi": dpi if dpi is not None else 300}
    if fmt == "pdf":
        kw["metadata"] = {"CreationDate": None}  # byte-stable output
    if fmt == "svg":
        kw["metadata"] = {"Date": None}
    if tight:
        kw["bbox_inches"] = "tight"
        kw["pad_inches"] = 0.05
    with matplotlib.rc_context(_RC):
        fig.savefig(path, **kw)
    return path


def _row_shares(cm):
    cm = np.asarray(cm, dtype=float)
    rows = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)


def _text_colour(value, cmap, norm):
    r, g, b, _ = cmap(norm(value))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"


def _as_confusion(obj):
    """(cm ndarray, labels, scores dict or None) from an EvaluationResult or a (K, K) table."""
    if hasattr(obj, "confusion") and hasattr(obj, "scores"):
        conf, scores = obj.confusion, obj.scores
    else:
        conf, scores = obj, None
    cm = np.asarray(conf, dtype=float)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"a confusion matrix must be square (K, K), got shape {cm.shape}")
    labels = [str(c) for c in getattr(conf, "index", range(cm.shape[0]))]
    return cm, labels, scores


def _draw_confusion(ax, cm, normalize, cmap, norm, fontsize, compact=False):
    share = _row_shares(cm)
    k = cm.shape[0]
    shown = share if normalize else cm
    im = ax.imshow(shown, cmap=cmap, norm=norm, interpolation="nearest")
    for i in range(k):
        for j in range(k):
            if normalize and compact:  # ".45" (no leading zero) fits a small cell
                txt = "1" if share[i, j] >= 0.995 else f"{share[i, j]:.2f}"[1:]
            elif normalize:
                txt = f"{share[i, j]:.2f}"
            else:
                txt = f"{int(cm[i, j])}"
            ax.text(j, i, txt, ha="center", va="center", fontsize=fontsize,
                    color=_text_colour(shown[i, j], cmap, norm))
    return im


def plot_confusion(confusion, path, *, title=None, normalize=True, fmt=None, dpi=300, xlabel="Predicted emotion",
                   ylabel="True emotion"):
    """Save one confusion matrix as a heatmap with the value in every cell.

    Parameters
    ----------
    confusion : pandas.DataFrame, (K, K), or EvaluationResult
        Rows true, columns predicted (``EvaluationResult.confusion``); index = class names.
    path : str or path-like
        Output file.
    title : str or None
        E.g. ``labels.run_title("lbp_top", "svm-linear", "dfme-10fold")``.
    normalize : bool, default=True
        Colour and label each cell by its share of the true class (row-normalised: the
        diagonal is the recall of each class); False shows the counts.
    fmt : {"pdf", "svg", "png"} or None
        None infers it from the suffix of ``path``.
    dpi : int, default=300
        PNG resolution.
    xlabel, ylabel : str

    Returns
    -------
    str
        The written path.

    Examples
    --------
    >>> import os, tempfile
    >>> import pandas as pd
    >>> cm = pd.DataFrame([[8, 2], [3, 7]], index=["happiness", "surprise"], columns=["happiness", "surprise"])
    >>> p = plot_confusion(cm, os.path.join(tempfile.mkdtemp(), "cm.pdf"), title="LBP-TOP, linear SVM — LOSO")
    >>> open(p, "rb").read(4)
    b'%PDF'
    """
    plt = _pyplot()
    from matplotlib.colors import Normalize

    cm, labels, _ = _as_confusion(confusion)
    k = cm.shape[0]
    cmap = plt.get_cmap("Blues")
    norm = Normalize(0, 1) if normalize else Normalize(0, max(cm.max(), 1))
    side = max(2.4, 0.42 * k + 1.2)
    fig, ax = plt.subplots(figsize=(side + 1.0, side))
    im = _draw_confusion(ax, cm, normalize, cmap, norm, _FONT)
    ax.set_xticks(range(k), labels, rotation=45, ha="right", rotation_mode="anchor", fontsize=_FONT + 1)
    ax.set_yticks(range(k), labels, fontsize=_FONT + 1)
    ax.set_xlabel(xlabel, fontsize=_FONT + 2)
    ax.set_ylabel(ylabel, fontsize=_FONT + 2)
    if title:
        ax.set_title(title, fontsize=_FONT + 2)
    cb = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    cb.set_label("Share of the true class" if normalize else "Number of clips", fontsize=_FONT + 1)
    cb.ax.tick_params(labelsize=_FONT)
    fig.tight_layout()
    return _save(fig, path, fmt, dpi, plt)


def _grid_items(results):
    """[(method, classifier, result)] from a mapping {(method, classifier): result} or a sequence of triples."""
    if hasattr(results, "items"):
        items = []
        for key, val in results.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise ValueError(f"keys must be (method, classifier) tuples, got {key!r}")
            items.append((key[0], key[1], val))
        return items
    items = [tuple(t) for t in results]
    if any(len(t) != 3 for t in items):
        raise ValueError("results must be a mapping {(method, classifier): result} or (method, classifier, result) "
                         "triples")
    return items


def plot_confusion_grid(results, path, *, protocol=None, title=None, fmt=None, dpi=300, show_scores=True,
                        methods=None, classifiers=None, ncols=None, width=None):
    """A grid of confusion matrices: methods × classifiers, or the panels wrapped in ``ncols`` columns.

    Every panel is row-normalised (the share of each true class predicted as each class, so
    the diagonal is the per-class recall) with the share written in each cell; all panels
    share one colour scale (0 to 1) and one labelled colour bar.

    Parameters
    ----------
    results : mapping {(method, classifier): EvaluationResult or (K, K) DataFrame}
        Or a sequence of ``(method, classifier, result)`` triples. Methods and classifiers
        may be slugs or labels; rows and columns follow the paper's order
        (:mod:`mefeat.evaluation.labels`). All matrices must have the same classes.
    path : str or path-like
    protocol : str or None
        Protocol of all the results, for the title (``"dfme-10fold"`` -> "DFME 10-fold CV").
    title : str or None
        Overrides the default ``"Confusion matrices — <protocol>"``.
    fmt : {"pdf", "svg", "png"} or None
    dpi : int, default=300
    show_scores : bool, default=True
        Write UF1 and UAR above every panel (when ``results`` holds EvaluationResults).
    methods, classifiers : sequence of str or None
        Only these methods / classifiers (slugs or labels), in the paper's order; None: all.
    ncols : int or None
        None: one row per method, one column per classifier. An int: the panels (methods,
        then classifiers) wrapped in ``ncols`` columns, each titled with its method (and
        classifier), e.g. the 8 methods of one classifier in 2 rows of 4.
    width : float or None
        Figure width in inches; None: 7.0 (a page's text width, two-column journals' full
        width) or less when the panels need less. The panels shrink to fit; the height follows.

    Returns
    -------
    str
        The written path.

    Raises
    ------
    ValueError
        Empty ``results``, a malformed key, or matrices with different classes.

    Examples
    --------
    >>> import os, tempfile
    >>> import pandas as pd
    >>> cm = pd.DataFrame([[8, 2], [3, 7]], index=["negative", "positive"], columns=["negative", "positive"])
    >>> p = plot_confusion_grid({("lbp_top", "svm-linear"): cm, ("mdmo", "rf"): cm},
    ...                         os.path.join(tempfile.mkdtemp(), "grid.png"), protocol="loso", dpi=72)
    >>> open(p, "rb").read(4)
    b'\\x89PNG'
    """
    from mefeat.evaluation import labels as L

    items = _grid_items(results)
    if methods is not None:
        keep = {L.method_label(m) for m in methods}
        items = [t for t in items if L.method_label(t[0]) in keep]
    if classifiers is not None:
        keep = {L.classifier_label(c) for c in classifiers}
        items = [t for t in items if L.classifier_label(t[1]) in keep]
    if not items:
        raise ValueError("results is empty (or nothing left after methods=/classifiers=): nothing to plot")
    methods = sorted(dict.fromkeys(L.method_label(m) for m, _, _ in items), key=lambda v: L.order_key("method", v))
    classifiers = sorted(dict.fromkeys(L.classifier_label(c) for _, c, _ in items),
                         key=lambda v: L.order_key("classifier", v))
    cells, class_labels = {}, None
    for m, c, r in items:
        cm, labs, scores = _as_confusion(r)
        if class_labels is None:
            class_labels = labs
        elif labs != class_labels:
            raise ValueError(f"all confusion matrices need the same classes; got {labs} and {class_labels}")
        cells[(L.method_label(m), L.classifier_label(c))] = (cm, scores)

    plt = _pyplot()
    from matplotlib.colors import Normalize

    k = len(class_labels)
    if ncols is None:
        slots = [[(m, c) for c in classifiers] for m in methods]
    else:
        if int(ncols) < 1:
            raise ValueError(f"ncols must be >= 1, got {ncols}")
        flat = [(m, c) for c in classifiers for m in methods if (m, c) in cells]
        n = min(int(ncols), len(flat))
        slots = [flat[i:i + n] + [None] * (n - len(flat[i:i + n])) for i in range(0, len(flat), n)]
    n_r, n_c = len(slots), len(slots[0])
    label_w = 0.3 + 0.055 * max(len(c) for c in class_labels)  # inches of tick labels at 7 pt
    width = 7.0 if width is None else float(width)
    side = label_w + 0.3 + (1.0 if ncols is None else 0.0)  # tick labels, supylabel (and method names)
    panel = min(max(1.2, 0.3 * k + 0.2), (width - side - 0.9) / n_c - 0.1)
    if panel < 0.9:
        raise ValueError(f"{n_c} columns of {k}x{k} panels do not fit {width:.1f} in: give fewer classifiers, "
                         "a smaller ncols or a larger width")
    head_h = 0.4 if ncols is not None else 0.3
    fig, axes = plt.subplots(n_r, n_c, figsize=(side + (panel + 0.1) * n_c + 0.9,
                                                0.6 + label_w + (0.9 * panel + head_h) * n_r),
                             squeeze=False, sharex=True, sharey=True, layout="constrained")
    cmap = plt.get_cmap("Blues")
    norm = Normalize(0, 1)
    im = None
    cell_font = _FONT - 2 if panel / k < 0.3 else _FONT - 1 if k > 5 else _FONT
    for i, row in enumerate(slots):
        for j, slot in enumerate(row):
            ax = axes[i, j]
            if slot is None or slot not in cells:
                ax.axis("off")
                if slot is not None:
                    ax.text(0.5, 0.5, "not run", ha="center", va="center", fontsize=_FONT, transform=ax.transAxes)
                continue
            m, c = slot
            cm, scores = cells[slot]
            im = _draw_confusion(ax, cm, True, cmap, norm, cell_font, compact=panel / k < 0.3)
            name = (m + (f" ({c})" if len(classifiers) > 1 else "")) if ncols is not None else (c if i == 0 else "")
            score = (f"UF1 {scores['uf1']:.3f} · UAR {scores['uar']:.3f}" if show_scores and scores is not None
                     else "")
            if score:
                ax.set_title(score, fontsize=_FONT - 1, fontweight="normal", pad=3)
            if name:  # the method (or the column's classifier) in bold above the scores
                ax.annotate(name, xy=(0.5, 1), xycoords="axes fraction", xytext=(0, 4 + (10 if score else 0)),
                            textcoords="offset points", ha="center", va="bottom", fontsize=_FONT,
                            fontweight="bold")
            if j == 0 and ncols is None:
                ax.set_ylabel(m, fontsize=_FONT, fontweight="bold")
            ax.set_xticks(range(k), class_labels, rotation=45, ha="right", rotation_mode="anchor", fontsize=_FONT - 1)
            ax.set_yticks(range(k), class_labels, fontsize=_FONT - 1)
            ax.tick_params(length=2)
    fig.supxlabel("Predicted emotion", fontsize=_FONT + 2)
    fig.supylabel("True emotion", fontsize=_FONT + 2)
    if title is None:
        title = "Confusion matrices" + (f" — {L.protocol_label(protocol)}" if protocol else "")
    fig.suptitle(title, fontsize=_FONT + 3)
    if im is not None:
        cb = fig.colorbar(im, ax=axes, shrink=min(0.8, 3.0 / max(n_r, 1) + 0.2), aspect=30, pad=0.02)
        cb.set_label("Share of the true class (row-normalised)", fontsize=_FONT + 1)
        cb.ax.tick_params(labelsize=_FONT)
    return _save(fig, path, fmt, dpi, plt)


def _classifier_colours(classifiers):
    """The same colour for a classifier in every figure: known ones by their documented position."""
    from mefeat.evaluation import labels as L

    known = list(L.CLASSIFIER_LABELS.values())
    extra = [c for c in classifiers if c not in known]
    return {c: _PALETTE[(known.index(c) if c in known else len(known) + extra.index(c)) % len(_PALETTE)]
            for c in classifiers}


def _published_points(published, metrics, protocol):
    """{method label: {metric: value}} from a published_baselines()-like table (the 'full' rows)."""
    from mefeat.evaluation import labels as L

    out = {}
    if published is None:
        return out
    for _, r in published.iterrows():
        part = r.get("part", "full")
        if part is not None and L.part_slug(part) not in (None, "full"):
            continue
        if protocol is not None and "protocol" in r and L.protocol_slug(r["protocol"]) != L.protocol_slug(protocol):
            continue
        vals = {m: float(r[m]) for m in metrics if m in r and r[m] == r[m]}
        out.setdefault(L.method_label(r["method"]), {}).update(vals)
    return out


def plot_scores_bar(results, path, *, protocol=None, classifier="all", metrics=("uf1", "uar"), published=None,
                    method_map=None, chance=None, errors="auto", title=None, fmt=None, dpi=300):
    """Bar chart of UF1 and UAR per method, with their intervals, the chance line and published baselines.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per (method, classifier): columns ``method``, ``classifier``, the ``metrics``
        and optionally ``<metric>_ci_low`` / ``<metric>_ci_high`` (an interval of the pooled
        value) and ``<metric>_std`` (std of the per-fold scores) — e.g. the results table of a
        comparison run. Column names as in :func:`mefeat.evaluation.tables.results_table`.
    path : str or path-like
    protocol : str or None
        For the title, and to pick the matching published rows.
    classifier : "all", "best" or str, default="all"
        ``"all"``: one bar per classifier, grouped by method; ``"best"``: per method the
        classifier with the highest value of the first metric (its colour says which); a
        classifier name: only it.
    metrics : sequence of {"uf1", "uar", "acc"}, default=("uf1", "uar")
        One panel per metric.
    published : pandas.DataFrame or None
        Published results (``published_baselines()``: columns ``method``, ``part``, the
        metrics); their ``full`` rows are drawn as a dashed line with a black diamond
        across the method's bars.
    method_map : dict or None
        Our method -> published method, as in
        :func:`mefeat.evaluation.published.compare_with_published` (default: our
        "LBP-TOP (MEGC 2019)" shows the published LBP-TOP).
    chance : dict or None
        Metric -> chance level, drawn as a dashed grey line across the panel (e.g. 1/K for UF1
        and UAR, :func:`mefeat.evaluation.stats.chance_level`).
    errors : {"auto", "ci", "std", "none"}, default="auto"
        Error bars: the interval ``[<m>_ci_low, <m>_ci_high]`` around the pooled value
        (``"ci"``), ± the per-fold std (``"std"``), none; ``"auto"``: the interval when the
        results have it, else the std.
    title : str or None
        Default ``"UF1 and UAR per method — <protocol>"``.
    fmt : {"pdf", "svg", "png"} or None
    dpi : int, default=300

    Returns
    -------
    str
        The written path.

    Raises
    ------
    ValueError
        No row left, or an unknown ``classifier``.

    Examples
    --------
    >>> import os, tempfile
    >>> import pandas as pd
    >>> r = pd.DataFrame({"method": ["lbp_top", "bi_woof"], "classifier": "svm-linear", "uf1": [0.55, 0.6],
    ...                   "uar": [0.5, 0.58], "uf1_std": [0.1, 0.12], "uar_std": [0.09, 0.1]})
    >>> p = plot_scores_bar(r, os.path.join(tempfile.mkdtemp(), "bars.svg"), protocol="megc2019")
    >>> open(p, "rb").read(5)
    b'<?xml'
    """
    from mefeat.evaluation import labels as L
    from mefeat.evaluation.published import published_method
    from mefeat.evaluation.tables import METRIC_LABELS, results_table

    if errors not in ("auto", "ci", "std", "none"):
        raise ValueError(f"errors must be 'auto', 'ci', 'std' or 'none', got {errors!r}")
    t = results_table(results, metrics=metrics)
    if errors == "auto":
        errors = "ci" if any(f"{m}_ci_low" in t and t[f"{m}_ci_low"].notna().any() for m in t.attrs["metrics"]) \
            else "std"
    if protocol is not None and "protocol" in t:
        t = t[t["protocol"] == L.protocol_label(protocol)]
    if "classifier" not in t:
        t = t.assign(classifier="")
    mets = t.attrs["metrics"]
    if len(t) == 0:
        raise ValueError("no result to plot (check protocol= and the results table)")
    methods = list(dict.fromkeys(t["method"]))
    all_clfs = sorted(set(t["classifier"]), key=lambda v: L.order_key("classifier", v))
    if classifier == "best":
        first = mets[0]
        idx = [g[first].idxmax() if g[first].notna().any() else g.index[0] for _, g in t.groupby("method", sort=False)]
        t = t.loc[idx]
        groups = ["best"]
    elif classifier == "all":
        groups = list(dict.fromkeys(t["classifier"]))
    else:
        lab = L.classifier_label(classifier)
        if lab not in set(t["classifier"]):
            raise ValueError(f"classifier {classifier!r} not in the results ({sorted(set(t['classifier']))})")
        t = t[t["classifier"] == lab]
        groups = [lab]
        methods = list(dict.fromkeys(t["method"]))
    def pub_of(method):  # the published points our method is compared with
        target = published_method(method, method_map)
        return pub.get(L.method_label(target), {}) if target is not None else {}

    pub = _published_points(published, mets, protocol)

    plt = _pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    colour = _classifier_colours(all_clfs)
    n_m, n_g = len(methods), len(groups)
    width = 0.8 / n_g
    fig_w = max(4.5, 2.2 + n_m * (0.35 + 0.22 * n_g))
    fig, axes = plt.subplots(len(mets), 1, figsize=(fig_w, 2.4 * len(mets) + 1.0), squeeze=False, sharex=True,
                             layout="constrained")
    x = np.arange(n_m)
    top, any_err = 0.0, False
    for a, m in enumerate(mets):
        ax = axes[a, 0]
        for g_i, g in enumerate(groups):
            sub = t if g == "best" else t[t["classifier"] == g]
            by = {r["method"]: r for _, r in sub.iterrows()}
            vals = np.array([by[mt][m] if mt in by else np.nan for mt in methods], dtype=float)

            def col(name, by=by, sub=sub):
                return np.array([by[mt][name] if (mt in by and name in sub) else np.nan for mt in methods],
                                dtype=float)

            if errors == "ci":
                lo, hi = vals - col(f"{m}_ci_low"), col(f"{m}_ci_high") - vals
            elif errors == "std":
                lo = hi = col(f"{m}_std")
            else:
                lo = hi = np.full(len(methods), np.nan)
            cols = [colour[by[mt]["classifier"]] if mt in by else "none" for mt in methods]
            pos = x - 0.4 + width * (g_i + 0.5)
            ax.bar(pos, np.nan_to_num(vals), width * 0.92, color=cols, zorder=2)
            ok = np.isfinite(lo) & np.isfinite(hi)
            if ok.any():
                any_err = True
                ax.errorbar(pos[ok], vals[ok], yerr=np.vstack([np.maximum(lo[ok], 0), np.maximum(hi[ok], 0)]),
                            fmt="none", ecolor="#333333", elinewidth=0.8, capsize=2, zorder=3)
            top = max(top, np.nanmax(np.where(np.isfinite(vals), vals, 0) + np.where(ok, hi, 0)))
        px, py = [], []
        for i, mt in enumerate(methods):
            v = pub_of(mt).get(m)
            if v is not None:
                px.append(i)
                py.append(v)
                top = max(top, v)
        if px:  # a dashed reference line across the method's bars, a diamond in the middle
            ax.hlines(py, np.asarray(px) - 0.42, np.asarray(px) + 0.42, colors="black", linestyles="--",
                      linewidth=1.0, zorder=4)
            ax.scatter(px, py, marker="D", s=30, color="black", edgecolor="white", linewidth=0.6, zorder=5)
        if chance is not None and chance.get(m) is not None and np.isfinite(chance[m]):
            ax.axhline(chance[m], color="#777777", linestyle=(0, (4, 2)), linewidth=0.9, zorder=1)
            top = max(top, chance[m])
        ax.set_ylabel(METRIC_LABELS[m], fontsize=_FONT + 2)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6, zorder=0)
        ax.set_axisbelow(True)
        ax.tick_params(labelsize=_FONT + 1)
        for s in ("top", "right"):
            ax.spines[s].set_visible(False)
    ylim = min(1.0, np.ceil((top + 0.05) * 10) / 10) if top > 0 else 1.0
    for ax in axes[:, 0]:
        ax.set_ylim(0, ylim)
    long = n_m > 4 or max(len(mt) for mt in methods) > 12
    axes[-1, 0].set_xticks(x, methods, rotation=30 if long else 0, ha="right" if long else "center",
                           rotation_mode="anchor", fontsize=_FONT + 1)
    axes[-1, 0].set_xlabel("Method", fontsize=_FONT + 2)
    shown = sorted(set(t["classifier"]), key=lambda v: L.order_key("classifier", v))
    handles = [Patch(color=colour[c], label=c if c else "score") for c in shown]
    if any(pub_of(mt) for mt in methods):
        handles.append(Line2D([], [], marker="D", color="black", markeredgecolor="white", linestyle="--",
                              linewidth=1.0, markersize=6, label="published"))
    if any_err:
        handles.append(Line2D([], [], marker="|", color="#333333", linestyle="none", markersize=10,
                              label="interval of the pooled value" if errors == "ci" else "± std of per-fold scores"))
    if chance is not None and any(chance.get(m) is not None for m in mets):
        handles.append(Line2D([], [], color="#777777", linestyle=(0, (4, 2)), linewidth=0.9, label="chance"))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 5), fontsize=_FONT + 1,
               frameon=False, title="Best classifier per method" if classifier == "best" else None,
               title_fontsize=_FONT + 1)
    if title is None:
        names = " and ".join(METRIC_LABELS[m] for m in mets)
        title = f"{names} per method" + (f" — {L.protocol_label(protocol)}" if protocol else "")
    fig.suptitle(title, fontsize=_FONT + 3)
    return _save(fig, path, fmt, dpi, plt)


def plot_emotion_au_heatmap(share, path, *, title="Share of clips of each emotion containing each AU", fmt=None,
                            dpi=300, gamma=0.5):
    """Save the emotion × AU table as a heatmap, with every share written in its cell.

    Parameters
    ----------
    share : pandas.DataFrame, (n_emotions, n_aus)
        Output of :func:`mefeat.evaluation.au.emotion_au_table` (values in [0, 1]; the clip
        count per emotion in ``share.attrs["n"]`` is shown beside its name).
    path : str or path-like
    title : str
    fmt : {"pdf", "svg", "png"} or None
    dpi : int, default=300
    gamma : float, default=0.5
        Exponent of the colour scale (``matplotlib.colors.PowerNorm``): below 1 spreads the
        small shares, so an AU in 3 % of the clips is visibly coloured; 1 is linear.

    Returns
    -------
    str
        The written path.

    Notes
    -----
    Cells show two decimals (``0.02``) for every share, ``<0.01`` for a non-zero share below
    0.005, ``0`` and ``1`` for exactly none and all, and ``–`` where the emotion has no clip.
    Text is 8 pt, and the figure widens with the number of AUs so the cells stay readable.

    Examples
    --------
    >>> import os, tempfile
    >>> import pandas as pd
    >>> share = pd.DataFrame([[0.9, 0.02], [0.0, 0.5]], index=["happiness", "surprise"], columns=[12, 1])
    >>> p = plot_emotion_au_heatmap(share, os.path.join(tempfile.mkdtemp(), "au.png"), dpi=72)
    >>> open(p, "rb").read(4)
    b'\\x89PNG'
    """
    plt = _pyplot()
    from matplotlib.colors import PowerNorm

    vals = np.asarray(share, dtype=float)
    n_e, n_a = vals.shape
    counts = share.attrs.get("n", {})
    ylabels = [f"{e} ({counts[e]})" if e in counts else str(e) for e in share.index]
    xlabels = [f"AU{a}" for a in share.columns]
    cell = 0.40  # inches per cell: "0.02" at 8 pt fits
    fig, ax = plt.subplots(figsize=(2.4 + cell * max(n_a, 1) + 0.8, 1.3 + cell * max(n_e, 1)))
    cmap = plt.get_cmap("YlGnBu").with_extremes(bad="#eeeeee")
    norm = PowerNorm(gamma=gamma, vmin=0, vmax=1)
    im = ax.imshow(np.ma.masked_invalid(vals), cmap=cmap, norm=norm, aspect="equal", interpolation="nearest")
    for i in range(n_e):
        for j in range(n_a):
            v = vals[i, j]
            if not np.isfinite(v):
                txt, col = "–", "black"
            else:
                txt = "0" if v == 0 else "1" if v == 1 else "<0.01" if v < 0.005 else f"{v:.2f}"
                col = _text_colour(v, cmap, norm)
            ax.text(j, i, txt, ha="center", va="center", fontsize=_FONT, color=col)
    ax.set_xticks(range(n_a), xlabels, rotation=90, fontsize=_FONT + 1)
    ax.set_yticks(range(n_e), ylabels, fontsize=_FONT + 1)
    ax.set_xlabel("Action unit", fontsize=_FONT + 2)
    ax.set_ylabel("Emotion (number of clips)" if counts else "Emotion", fontsize=_FONT + 2)
    ax.set_xticks(np.arange(-0.5, n_a, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, n_e, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    if title:
        ax.set_title(title, fontsize=_FONT + 2)
    cb = fig.colorbar(im, ax=ax, fraction=0.035 if n_a > 10 else 0.05, pad=0.02)
    cb.set_label("Share of the emotion's clips", fontsize=_FONT + 1)
    ticks = [0, 0.05, 0.1, 0.25, 0.5, 0.75, 1]
    cb.set_ticks(ticks, labels=[f"{v:g}" for v in ticks])
    cb.ax.tick_params(labelsize=_FONT)
    fig.tight_layout()
    return _save(fig, path, fmt, dpi, plt)
