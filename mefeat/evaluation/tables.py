"""Result tables for papers: one results DataFrame -> Markdown, CSV and LaTeX with the same numbers.

The input has one row per (method, classifier, protocol[, part]) with the pooled scores and,
optionally, their spread over the folds and a published value::

    method  classifier  protocol     uf1     uar     acc     uf1_std  uar_std  acc_std  uf1_published ...
    lbp_top svm-linear  dfme-10fold  0.4123  0.3987  0.5012  0.0456   ...

Column names are matched without regard to case, so ``UF1``, ``uf1``, ``UF1 std`` /
``uf1_std`` and ``UF1 (published)`` / ``uf1_published`` all work; methods, classifiers and
protocols may be slugs or labels (:mod:`mefeat.evaluation.labels`). The output rows are in the
paper's order (protocol, method, classifier, part) with printed names, and within each
protocol (and part) the best value of every metric column is in bold (``**0.6100**`` in
Markdown, ``\\textbf{0.6100}`` in LaTeX; CSV stays plain). Ties are all bold; the best value
is decided on the printed (rounded) numbers. Published columns are never bold.

The LaTeX output is written by hand (``booktabs``: ``\\toprule``, ``\\midrule``,
``\\bottomrule``); it needs no jinja2 (pandas' ``Styler.to_latex`` does).
"""

import math
import os
import re

import numpy as np

__all__ = ["results_table", "format_results", "write_results", "METRIC_LABELS"]

#: Metric slug -> printed column name, in table order.
METRIC_LABELS = {"uf1": "UF1", "uar": "UAR", "acc": "ACC"}

_KEYS = ("protocol", "method", "classifier", "part")
#: Count columns kept by :func:`results_table` (after the keys) and their printed headers.
_COUNTS = ("n_clips", "n_subjects")
_COUNT_HEADS = {"n_clips": "Clips", "n_subjects": "Subjects"}
#: Printed header of each per-metric column (CSV): what the number is.
_METRIC_HEADS = {"std": "{m} per-fold std", "ci_low": "{m} CI low", "ci_high": "{m} CI high",
                 "chance": "{m} chance", "published": "{m} (published)"}


def _metric_head(lab, suffix):
    return _METRIC_HEADS[suffix].format(m=lab)


def _norm(c):
    return re.sub(r"[^0-9a-z]", "", str(c).lower())


def _find(columns, *names):
    norm = {_norm(c): c for c in columns}
    for n in names:
        if _norm(n) in norm:
            return norm[_norm(n)]
    return None


def results_table(results, *, protocol=None, metrics=("uf1", "uar", "acc")):
    """Normalise a results table: printed names, the paper's row order, numeric columns.

    Parameters
    ----------
    results : pandas.DataFrame or sequence of dict
        One row per result; needs ``method`` and the ``metrics`` columns, optionally
        ``classifier``, ``protocol``, ``part``, ``<metric>_std`` and ``<metric>_published``.
    protocol : str or None
        Protocol of every row when ``results`` has no ``protocol`` column.
    metrics : sequence of {"uf1", "uar", "acc"}
        Metric columns, in order; a metric missing from ``results`` is dropped.

    Returns
    -------
    pandas.DataFrame
        Columns ``protocol, method, classifier, part`` (those present) with printed names,
        then for each metric ``m``: ``m``, ``m_std`` and ``m_published`` (those present).
        ``attrs["metrics"]`` lists the metric slugs kept.

    Raises
    ------
    KeyError
        No ``method`` column, or none of the metric columns.

    Examples
    --------
    >>> rows = [{"method": "fdm", "classifier": "rf", "UF1": 0.3, "UAR": 0.31},
    ...         {"method": "lbp_top", "classifier": "svm-linear", "UF1": 0.4, "UAR": 0.38}]
    >>> t = results_table(rows, protocol="loso")
    >>> t.values.tolist()
    [['LOSO', 'LBP-TOP', 'linear SVM', 0.4, 0.38], ['LOSO', 'FDM', 'random forest', 0.3, 0.31]]
    """
    import pandas as pd

    from mefeat.evaluation import labels as L

    df = results if isinstance(results, pd.DataFrame) else pd.DataFrame(list(results))
    out = pd.DataFrame(index=df.index)
    for key in _KEYS:
        c = _find(df.columns, key)
        if c is not None:
            out[key] = df[c].to_numpy(dtype=object)
    if "method" not in out:
        raise KeyError(f"results has no 'method' column (columns: {list(df.columns)})")
    if "protocol" not in out and protocol is not None:
        out.insert(0, "protocol", protocol)
    for c in _COUNTS:
        col = _find(df.columns, c, _COUNT_HEADS[c])
        if col is not None:
            out[c] = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
    kept = []
    for m in metrics:
        if m not in METRIC_LABELS:
            raise ValueError(f"metrics must be among {list(METRIC_LABELS)}, got {m!r}")
        lab = METRIC_LABELS[m]
        c = _find(df.columns, m, lab, f"{lab} (ours)")
        if c is None:
            continue
        kept.append(m)
        out[m] = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
        s = _find(df.columns, f"{m}_std", f"{lab} std", f"{lab} (std)", f"std {lab}", _metric_head(lab, "std"))
        if s is not None:
            out[f"{m}_std"] = pd.to_numeric(df[s], errors="coerce").to_numpy(dtype=float)
        for suffix in ("ci_low", "ci_high", "chance"):
            c2 = _find(df.columns, f"{m}_{suffix}", _metric_head(lab, suffix))
            if c2 is not None:
                out[f"{m}_{suffix}"] = pd.to_numeric(df[c2], errors="coerce").to_numpy(dtype=float)
        p = _find(df.columns, f"{m}_published", f"{lab} (published)", f"published {lab}")
        if p is not None:
            out[f"{m}_published"] = pd.to_numeric(df[p], errors="coerce").to_numpy(dtype=float)
    if not kept:
        raise KeyError(f"results has none of the metric columns {list(metrics)} (columns: {list(df.columns)})")
    out = L.sort_results(out).reset_index(drop=True)
    names = {"protocol": L.protocol_label, "method": L.method_label, "classifier": L.classifier_label,
             "part": L.part_label}
    for key, f in names.items():
        if key in out:
            out[key] = [f(v) if isinstance(v, str) else ("" if v is None or v != v else str(v)) for v in out[key]]
    out.attrs["metrics"] = kept
    return out


def _fmt(v, digits):
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def _best_mask(t, metrics, digits):
    """(n_rows, n_metrics) bool: the best printed value of each metric within each protocol/part group."""
    group_cols = [c for c in ("protocol", "part") if c in t]
    best = np.zeros((len(t), len(metrics)), dtype=bool)
    keys = [tuple(r) for r in t[group_cols].itertuples(index=False)] if group_cols else [()] * len(t)
    for g in dict.fromkeys(keys):
        rows = [i for i, k in enumerate(keys) if k == g]
        for j, m in enumerate(metrics):
            vals = [round(float(t[m].iloc[i]), digits) for i in rows]
            finite = [v for v in vals if not math.isnan(v)]
            if not finite:
                continue
            top = max(finite)
            for i, v in zip(rows, vals):
                best[i, j] = v == top
    return best


_TEX_ESCAPES = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
                "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def _tex(s):
    return "".join(_TEX_ESCAPES.get(ch, ch) for ch in str(s))


def format_results(results, fmt="markdown", *, protocol=None, metrics=("uf1", "uar", "acc"), digits=4,
                   std=True, ci=True, published=True, caption=None, label=None):
    """One results table as Markdown, CSV or LaTeX text.

    Parameters
    ----------
    results : pandas.DataFrame or sequence of dict
        See :func:`results_table`.
    fmt : {"markdown", "csv", "latex"} (also ``"md"``, ``"tex"``), default="markdown"
    protocol : str or None
        Protocol of every row when ``results`` has no ``protocol`` column.
    metrics : sequence of {"uf1", "uar", "acc"}
    digits : int, default=4
        Decimals of every number (the same in all formats).
    std : bool, default=True
        Show the standard deviation of the per-fold scores (``0.6100 ± 0.0400``; in CSV its
        own column ``UF1 per-fold std``) when the results have it. It is a spread over folds,
        not an interval of the pooled value.
    ci : bool, default=True
        Show the interval ``[<m>_ci_low, <m>_ci_high]`` after the value (CSV: columns
        ``UF1 CI low``, ``UF1 CI high``) when the results have it.
    published : bool, default=True
        Add the ``<metric> (published)`` columns when the results have them.
    caption, label : str or None
        Markdown: ``caption`` is written as a paragraph above the table. LaTeX: when either
        is given the ``tabular`` is wrapped in a ``table`` environment (``table*``, spanning
        both columns of a two-column page, when it has intervals or more than 6 columns) with
        ``\\caption`` / ``\\label``. CSV: ignored (its headers name every number).

    Returns
    -------
    str
        Ends with a newline.

    Raises
    ------
    ValueError
        Unknown ``fmt``.

    Notes
    -----
    Markdown and CSV have a ``Protocol`` column; LaTeX starts each protocol with an italic
    row spanning the table, separated by ``\\midrule``. The best value of each metric column
    within a protocol (and part) is bold in Markdown and LaTeX. ``n_clips`` / ``n_subjects``
    columns are shown as ``Clips`` / ``Subjects``; ``<m>_chance`` columns only in CSV. The
    LaTeX text starts with a comment naming the packages it needs (``booktabs``).

    Examples
    --------
    >>> rows = [{"method": "lbp_top", "classifier": "svm-linear", "uf1": 0.41, "uar": 0.40},
    ...         {"method": "mdmo", "classifier": "svm-linear", "uf1": 0.45, "uar": 0.39}]
    >>> print(format_results(rows, "markdown", protocol="dfme-10fold", digits=2), end="")
    | Protocol | Method | Classifier | UF1 | UAR |
    |---|---|---|---:|---:|
    | DFME 10-fold CV | LBP-TOP | linear SVM | 0.41 | **0.40** |
    | DFME 10-fold CV | MDMO | linear SVM | **0.45** | 0.39 |
    >>> print(format_results(rows, "latex", protocol="dfme-10fold", digits=2), end="")
    % needs \\usepackage{booktabs}
    \\begin{tabular}{llrr}
    \\toprule
    Method & Classifier & UF1 & UAR \\\\
    \\midrule
    \\multicolumn{4}{l}{\\textit{DFME 10-fold CV}} \\\\
    LBP-TOP & linear SVM & 0.41 & \\textbf{0.40} \\\\
    MDMO & linear SVM & \\textbf{0.45} & 0.39 \\\\
    \\bottomrule
    \\end{tabular}
    >>> print(format_results(rows, "csv", protocol="dfme-10fold", digits=2), end="")
    protocol,method,classifier,UF1,UAR
    DFME 10-fold CV,LBP-TOP,linear SVM,0.41,0.40
    DFME 10-fold CV,MDMO,linear SVM,0.45,0.39

    With an interval and the per-fold spread:

    >>> print(format_results([{"method": "fdm", "uf1": 0.41, "uf1_ci_low": 0.35, "uf1_ci_high": 0.47,
    ...                        "uf1_std": 0.1}], "md", protocol="loso", digits=2), end="")
    | Protocol | Method | UF1 [CI] ± per-fold std |
    |---|---|---:|
    | LOSO | FDM | **0.41** [0.35, 0.47] ± 0.10 |
    """
    key = {"markdown": "md", "md": "md", "csv": "csv", "latex": "tex", "tex": "tex"}.get(str(fmt).lower())
    if key is None:
        raise ValueError(f"fmt must be 'markdown', 'csv' or 'latex', got {fmt!r}")
    t = results_table(results, protocol=protocol, metrics=metrics)
    mets = t.attrs["metrics"]
    best = _best_mask(t, mets, digits)
    id_cols = [c for c in _KEYS if c in t]
    counts = [c for c in _COUNTS if c in t and t[c].notna().any()]

    def has(m, suffix):
        return f"{m}_{suffix}" in t and t[f"{m}_{suffix}"].notna().any()

    has_std = {m: std and has(m, "std") for m in mets}
    has_ci = {m: ci and has(m, "ci_low") and has(m, "ci_high") for m in mets}
    pub = [m for m in mets if published and has(m, "published")]
    head = {"protocol": "Protocol", "method": "Method", "classifier": "Classifier", "part": "Part", **_COUNT_HEADS}

    def count(i, c):
        v = t[c].iloc[i]
        return "" if v != v else str(int(v))

    if key == "csv":
        import csv
        import io

        cols = [head[c] if c in _COUNTS else c for c in id_cols + counts]
        extra = {m: [s for s in ("ci_low", "ci_high", "std", "chance")
                     if (s != "std" or has_std[m]) and (not s.startswith("ci") or has_ci[m])
                     and (s != "chance" or has(m, "chance"))] for m in mets}
        for m in mets:
            cols.append(METRIC_LABELS[m])
            cols += [_metric_head(METRIC_LABELS[m], s) for s in extra[m]]
        cols += [_metric_head(METRIC_LABELS[m], "published") for m in pub]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        for i in range(len(t)):
            row = [t[c].iloc[i] for c in id_cols] + [count(i, c) for c in counts]
            for m in mets:
                row.append(_fmt(t[m].iloc[i], digits))
                row += [_fmt(t[f"{m}_{s}"].iloc[i], digits) for s in extra[m]]
            row += [_fmt(t[f"{m}_published"].iloc[i], digits) for m in pub]
            w.writerow(row)
        return buf.getvalue()

    def cell(i, j, m):
        v = _fmt(t[m].iloc[i], digits)
        if not v:
            return "–" if key == "md" else "--"
        if best[i, j]:
            v = f"**{v}**" if key == "md" else rf"\textbf{{{v}}}"
        if has_ci[m]:
            lo, hi = _fmt(t[f"{m}_ci_low"].iloc[i], digits), _fmt(t[f"{m}_ci_high"].iloc[i], digits)
            if lo and hi:
                v += f" [{lo}, {hi}]"
        if has_std[m]:
            s = _fmt(t[f"{m}_std"].iloc[i], digits)
            if s:
                v += f" ± {s}" if key == "md" else rf" $\pm$ {s}"
        return v

    def pub_cell(i, m):
        v = _fmt(t[f"{m}_published"].iloc[i], digits)
        return v or ("–" if key == "md" else "--")

    def metric_head(m):
        h = METRIC_LABELS[m]
        if has_ci[m]:
            h += " [CI]"
        if has_std[m]:
            h += " ± per-fold std"
        return h

    metric_heads = [metric_head(m) for m in mets] + [f"{METRIC_LABELS[m]} (published)" for m in pub]
    if key == "md":
        cols = [head[c] for c in id_cols + counts] + metric_heads
        lines = ["| " + " | ".join(cols) + " |",
                 "|" + "|".join(["---"] * len(id_cols) + ["---:"] * (len(counts) + len(metric_heads))) + "|"]
        for i in range(len(t)):
            cells = [str(t[c].iloc[i]) for c in id_cols] + [count(i, c) for c in counts]
            cells += [cell(i, j, m) for j, m in enumerate(mets)]
            cells += [pub_cell(i, m) for m in pub]
            lines.append("| " + " | ".join(cells) + " |")
        if caption:
            lines = [str(caption), ""] + lines
        return "\n".join(lines) + "\n"

    # LaTeX (booktabs)
    row_cols = [c for c in id_cols if c != "protocol"] + counts
    n_cols = len(row_cols) + len(metric_heads)
    lines = [r"% needs \usepackage{booktabs}",
             rf"\begin{{tabular}}{{{'l' * (len(row_cols) - len(counts))}{'r' * (len(counts) + len(metric_heads))}}}",
             r"\toprule", " & ".join(_tex(h) for h in [head[c] for c in row_cols] + metric_heads) + r" \\",
             r"\midrule"]
    current = object()
    for i in range(len(t)):
        if "protocol" in t and t["protocol"].iloc[i] != current:
            if i > 0:
                lines.append(r"\midrule")
            current = t["protocol"].iloc[i]
            lines.append(rf"\multicolumn{{{n_cols}}}{{l}}{{\textit{{{_tex(current)}}}}} \\")
        cells = [_tex(t[c].iloc[i]) if c not in _COUNTS else count(i, c) for c in row_cols]
        cells += [cell(i, j, m) for j, m in enumerate(mets)]
        cells += [pub_cell(i, m) for m in pub]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if caption is not None or label is not None:
        env = "table*" if any(has_ci.values()) or n_cols > 6 else "table"
        inner = [rf"\begin{{{env}}}", r"\centering"]
        if caption is not None:
            inner.append(rf"\caption{{{_tex(caption)}}}")
        if label is not None:
            inner.append(rf"\label{{{label}}}")
        lines = [lines[0]] + inner + lines[1:] + [rf"\end{{{env}}}"]
        if env == "table*":
            lines.insert(1, "% table*: spans both columns of a two-column page (too wide for one column)")
    return "\n".join(lines) + "\n"


def write_results(results, path, *, formats=("md", "csv", "tex"), **kwargs):
    """Write the same table as ``<path>.md``, ``<path>.csv`` and ``<path>.tex``.

    Parameters
    ----------
    results : pandas.DataFrame or sequence of dict
        See :func:`results_table`.
    path : str or path-like
        Output path without suffix (a suffix ``.md``/``.csv``/``.tex`` is removed).
    formats : sequence of {"md", "csv", "tex"}
    **kwargs
        Passed to :func:`format_results` (``protocol``, ``digits``, ``caption`` ...).

    Returns
    -------
    dict
        Format -> written path (str).

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> out = write_results([{"method": "fdm", "uf1": 0.3}], os.path.join(d, "results"), protocol="loso")
    >>> sorted(os.path.basename(p) for p in out.values())
    ['results.csv', 'results.md', 'results.tex']
    """
    path = os.fspath(path)
    stem, ext = os.path.splitext(path)
    if ext.lower() in (".md", ".csv", ".tex"):
        path = stem
    written = {}
    for f in formats:
        text = format_results(results, {"md": "markdown", "csv": "csv", "tex": "latex"}.get(f, f), **kwargs)
        ext = {"markdown": "md", "latex": "tex"}.get(f, f)
        p = f"{path}.{ext}"
        tmp = p + ".tmp"
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, p)
        written[f] = p
    return written
