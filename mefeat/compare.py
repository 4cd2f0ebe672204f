"""Compare the hand-crafted baselines under subject-independent protocols: ``python -m mefeat.compare``.

With no arguments, runs on the output folder of ``python -m mefeat.extract`` (``./mefeat_output``):
it first calls :func:`mefeat.extract_features` for the tables the comparison needs (every default
descriptor plus ``lbp_top_megc2019``) on the same data set (the built-in demo set unless
--dataset/--root/--annotations say otherwise), so tables already there are reused and only what
is missing is computed. ``--features DIR`` only reads an existing output folder (no extraction).

Every feature table is evaluated with a linear SVM, an RBF SVM and a random forest (balanced
class weights; constant features dropped and the rest standardised inside every fold), under one
or more protocols (``--protocol dfme-10fold,dfme-split``; default: DFME 10-fold CV for data sets
with DFME split sheets, the MEGC 2019 composite LOSO for a SMIC + CASME II + SAMM composite,
LOSO otherwise). Written to --out (default ./mefeat_compare):

- ``results.md`` / ``results.csv`` / ``results.tex``: one row per (protocol, method,
  classifier[, part]) in the paper's order, UF1 / UAR / ACC pooled over the folds with the
  per-fold standard deviation, the best value of each column in bold; under ``megc2019`` one row
  per part (full composite, SMIC, CASME II, SAMM) with the published MEGC 2019 baselines beside
  ours. The Markdown table is also printed on stdout.
- ``per_fold.csv``, ``per_class.csv``, ``predictions.csv``: the details of every run.
- ``figures/confusion_<protocol>.<fmt>``: one grid of confusion matrices (methods x classifiers)
  per protocol (per test set for ``dfme-split``); ``figures/scores_<protocol>.<fmt>``: UF1 and UAR
  per method with the per-fold spread; ``figures/emotion_au.<fmt>`` where AUs are annotated.
- ``au_f1.csv`` / ``au_f1.md`` where AUs are annotated: per-AU detection F1 of every method (one
  binary linear SVM per AU, subject-grouped 10-fold CV (at most one fold per subject) stratified
  on the emotions, out-of-fold predictions pooled; every labelled clip, whatever the protocol).
  The CSV has one row per (method, AU), the Markdown table one row per method with the mean F1.
  AUs with fewer than ``--min-positives`` (default 10) positive clips are left out; ``--no-au``
  skips it.
- ``results.json``: everything above plus the fold assignment of every run and what the
  extraction computed.

Examples::

    python -m mefeat.extract && python -m mefeat.compare          # demo set, DFME 10-fold CV
    python -m mefeat.compare --protocol dfme-10fold,dfme-split --figure-format pdf
    python -m mefeat.compare --features megc_features --protocol megc2019 --out megc_compare
    python -m mefeat.compare --dataset casme2 --root CASME2/CASME2-RAW \\
        --annotations CASME2-coding-20140508.xlsx --extract-dir casme2_features --protocol casme2-5class

Exit status: 0 done; 1 the extraction failed, --out holds an earlier comparison (use --force)
or a folder is locked; 2 bad arguments, data or a protocol that does not fit the data; 130 interrupted.
"""

import argparse
import logging
import os
import sys
import time

import numpy as np

__all__ = ["build_parser", "main", "entrypoint", "CLASSIFIERS", "PARAM_GRIDS", "make_classifier", "classifiers",
           "comparison_descriptors", "default_protocol", "run_comparison", "ComparisonResult", "DEFAULT_OUT"]

log = logging.getLogger("mefeat")

#: Default output folder of ``python -m mefeat.compare``.
DEFAULT_OUT = "mefeat_compare"

#: Classifier names, in the paper's column order (labels: :func:`mefeat.evaluation.classifier_label`).
CLASSIFIERS = ("svm-linear", "svm-rbf", "rf")

_CLASSIFIER_DEFAULTS = {
    "svm-linear": {"C": 1.0, "class_weight": "balanced"},
    "svm-rbf": {"C": 10.0, "gamma": "scale", "class_weight": "balanced"},
    "rf": {"n_estimators": 300, "max_features": "sqrt", "class_weight": "balanced", "n_jobs": 1},
}

#: Grids of the optional nested search (``--nested``), named as in :func:`make_classifier`'s pipeline.
PARAM_GRIDS = {
    "svm-linear": {"clf__C": [0.01, 0.1, 1.0]},
    "svm-rbf": {"clf__C": [1.0, 10.0, 100.0], "clf__gamma": ["scale"]},
    "rf": {"clf__max_features": ["sqrt", 0.1]},
}


_FIGURE_FORMATS = ("png", "pdf", "svg")


# --------------------------------------------------------------------------- classifiers
def make_classifier(name, *, random_state=0, **params):
    """One of the three classifiers of the comparison, behind constant-feature removal and scaling.

    Parameters
    ----------
    name : {"svm-linear", "svm-rbf", "rf"}
        Linear SVM (C=1), RBF SVM (C=10, gamma="scale") or random forest (300 trees,
        ``max_features="sqrt"``); all with balanced class weights.
    random_state : int or None, default 0
        Seed of the random forest (and of the SVMs, which only use it for probabilities).
    **params
        Classifier parameters overriding the defaults (``C=0.1``, ``n_estimators=50``).

    Returns
    -------
    sklearn.pipeline.Pipeline
        ``VarianceThreshold(0) -> StandardScaler -> classifier`` (steps ``drop_constant``,
        ``scale``, ``clf``), so both preprocessing steps are refitted in every fold of
        :func:`mefeat.evaluation.evaluate`. Put it after the feature steps with
        ``mefeat.catalogue.make_pipeline(name, classifier=make_classifier("svm-linear"))``.

    Raises
    ------
    ValueError
        Unknown ``name``.

    Examples
    --------
    >>> [s for s, _ in make_classifier("rf").steps]
    ['drop_constant', 'scale', 'clf']
    >>> make_classifier("svm-rbf").named_steps["clf"].C
    10.0
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.feature_selection import VarianceThreshold
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    if name not in CLASSIFIERS:
        raise ValueError(f"unknown classifier {name!r}; choose from {', '.join(CLASSIFIERS)}")
    kw = {**_CLASSIFIER_DEFAULTS[name], **params}
    if name == "rf":
        clf = RandomForestClassifier(random_state=random_state, **kw)
    else:
        clf = SVC(kernel="linear" if name == "svm-linear" else "rbf", random_state=random_state, **kw)
    return Pipeline([("drop_constant", VarianceThreshold(0.0)), ("scale", StandardScaler()), ("clf", clf)])


def classifiers(names=CLASSIFIERS, *, random_state=0):
    """``{name: make_classifier(name)}`` for ``names``, in the given order."""
    return {n: make_classifier(n, random_state=random_state) for n in names}


def comparison_descriptors():
    """The tables the comparison extracts: every default descriptor plus ``lbp_top_megc2019``.

    In catalogue order (:func:`mefeat.catalogue.names`), which is the paper's row order.
    """
    from mefeat import catalogue

    return [n for n in catalogue.names() if catalogue.get(n).default or n == "lbp_top_megc2019"]


def default_protocol(clips):
    """The protocol used when none is given, from the clip table of an output folder.

    ``"dfme-10fold"`` for a data set with DFME split sheets (the demo set), ``"megc2019"`` for a
    composite of SMIC, CASME II and SAMM, ``"loso"`` otherwise.
    """
    if "split" in clips.columns and clips["split"].notna().any():
        return "dfme-10fold"
    ds = set(clips.index.get_level_values("dataset")) if "dataset" in clips.index.names else set()
    if len(ds) > 1 and ds <= {"smic", "casme2", "samm"}:
        return "megc2019"
    return "loso"


# --------------------------------------------------------------------------- the comparison
class ComparisonResult:
    """What :func:`run_comparison` computed.

    Attributes
    ----------
    rows : pandas.DataFrame
        One row per (protocol, method, classifier, part), slugs: ``protocol, method, table,
        classifier, part, n_clips, n_features, uf1, uar, acc, uf1_std, uar_std, acc_std,
        uf1_published, uar_published, published_source, seconds``.
    runs : list of dict
        Per (protocol, table, classifier): ``protocol, method, classifier, result``
        (:class:`mefeat.evaluation.EvaluationResult`), ``index`` (the clip keys of its rows).
    table : pandas.DataFrame
        The results table as written (:func:`mefeat.evaluation.results_table` columns).
    au : pandas.DataFrame or None
        Per-AU detection, one row per (method, AU) in the paper's method order, slugs and AU
        numbers: ``method, au, n_pos, tp, fp, fn, f1, uar``; None when it was not run (``au=False``)
        or no clip has an AU.
    au_skipped : dict
        Method -> {AU number: why it was left out}.
    """

    def __init__(self, rows, runs, table, au=None, au_skipped=None):
        self.rows, self.runs, self.table = rows, runs, table
        self.au, self.au_skipped = au, au_skipped or {}


def _tables_in(folder, methods=None):
    """[(table, descriptor)] of an output folder, in the paper's order (unknown tables last, by name)."""
    import json

    from mefeat._io import list_descriptors
    from mefeat.evaluation.labels import order_key

    names = list_descriptors(folder)
    descr = {}
    try:
        with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
            descr = {t: info.get("descriptor", t) for t, info in json.load(f).get("tables", {}).items()}
    except (OSError, ValueError):
        pass
    if not names:
        raise FileNotFoundError(f"{folder}: no feature table in {os.path.join(folder, 'features')}; "
                                "run `python -m mefeat.extract` first or give another --features folder")
    if methods:
        missing = [m for m in methods if m not in names]
        if missing:
            raise ValueError(f"--methods: no table {', '.join(missing)} in {folder} (tables: {', '.join(names)})")
        names = [n for n in names if n in methods]
    names = sorted(names, key=lambda n: order_key("method", n))
    return [(n, descr.get(n, n)) for n in names]


def _labelled(folder, table):
    """Features and clip rows of one table, aligned, clips without an emotion dropped."""
    from mefeat import read_clips, read_features

    X = read_features(folder, table)
    clips = read_clips(folder)
    common = X.index.intersection(clips.index, sort=False)
    lab = clips.loc[common]
    keep = lab["emotion"].notna().to_numpy() & np.isfinite(X.loc[common].to_numpy()).all(axis=1)
    return X.loc[common][keep], lab[keep]


def _part_rows(res):
    """[(part, EvaluationResult)] of one run: the whole run ("full") and its parts, in report order."""
    if not res.parts:
        return [("full", res)]
    return [(p, res if p == "full" else res.parts[p]) for p in res.part_scores().index]


def run_comparison(features, *, protocols=None, methods=None, classifier_names=CLASSIFIERS, random_state=0,
                   n_jobs=None, nested=False, au=True, min_positives=10):
    """Evaluate every feature table of an extraction output with every classifier and protocol.

    Parameters
    ----------
    features : str or path-like
        An output folder of :func:`mefeat.extract_features` (``clips.csv`` + ``features/``).
    protocols : sequence of str or None
        Names of :data:`mefeat.evaluation.PROTOCOLS`; None: :func:`default_protocol`.
    methods : sequence of str or None
        Table names to evaluate; None: every table in the folder.
    classifier_names : sequence of {"svm-linear", "svm-rbf", "rf"}
    random_state : int, default 0
        Seeds the folds and the classifiers.
    n_jobs : int or None
        Folds fitted in parallel (None: 1).
    nested : bool, default False
        Nested subject-grouped grid search over :data:`PARAM_GRIDS`.
    au : bool, default True
        Also the per-AU detection F1 of every table (:func:`mefeat.evaluation.evaluate_aus` with the
        linear SVM of :func:`make_classifier`, its default subject-grouped folds stratified on the
        emotions), where the clip table has AUs.
    min_positives : int, default 10
        AUs with fewer positive clips are left out of the AU detection.

    Returns
    -------
    ComparisonResult

    Raises
    ------
    FileNotFoundError
        No clip table or no feature table in ``features``.
    ValueError
        Unknown protocol, method or classifier, or a protocol that does not fit the data
        (no clip of its classes, DFME split without split sheets, too few subjects).
    """
    import pandas as pd

    from mefeat import read_clips
    from mefeat.evaluation import compare_with_published, evaluate, protocol_preset

    folder = os.fspath(features)
    clips = read_clips(folder)
    tables = _tables_in(folder, methods)
    if protocols is None:
        protocols = [default_protocol(clips)]
    presets = [protocol_preset(p) for p in protocols]
    rows, runs = [], []
    for preset in presets:
        for table, descriptor in tables:
            X, lab = _labelled(folder, table)
            if len(X) == 0:
                log.warning("compare: table %s has no labelled clip with finite features; skipped", table)
                continue
            try:
                mask = preset.mask(lab)
                sub = lab[mask]
                kw = preset.evaluate_kwargs(sub)
            except KeyError as exc:
                raise ValueError(f"protocol {preset.name!r} does not fit {folder}: {exc.args[0]}") from None
            classes = sorted(set(sub["emotion"]))
            if len(classes) < 2:
                raise ValueError(f"protocol {preset.name!r} keeps {len(sub)} clips of table {table!r} and they are "
                                 f"all of one class ({', '.join(classes)}); it does not fit this data set "
                                 f"(classes {', '.join(preset.classes or ()) or 'any'})")
            kw["groups"] = sub["group"].to_numpy(dtype=object)
            Xs = X.to_numpy()[mask]
            for clf in classifier_names:
                t0 = time.perf_counter()
                try:
                    res = evaluate(make_classifier(clf, random_state=random_state), Xs, **kw,
                                   random_state=random_state, n_jobs=n_jobs,
                                   param_grid=PARAM_GRIDS[clf] if nested else None, verbose=False)
                except ValueError as exc:
                    raise ValueError(f"protocol {preset.name!r} on table {table!r} ({len(sub)} clips, "
                                     f"{sub['group'].nunique()} subjects): {exc}") from None
                secs = time.perf_counter() - t0
                runs.append({"protocol": preset.name, "method": table, "descriptor": descriptor, "classifier": clf,
                             "result": res, "index": list(sub.index), "seconds": secs})
                for part, r in _part_rows(res):
                    fs = r.fold_summary
                    if len(r.fold_scores) < 2:  # one test fold (a DFME test set): no spread to report
                        fs = {m: (v[0], np.nan) for m, v in fs.items()}
                    rows.append({"protocol": preset.name, "method": table, "classifier": clf, "part": part,
                                 "n_clips": len(r.predictions), "n_features": X.shape[1],
                                 **{m: r.scores[m] for m in ("uf1", "uar", "acc")},
                                 **{f"{m}_std": fs[m][1] for m in ("uf1", "uar", "acc")},
                                 "seconds": round(secs, 3)})
                log.info("compare: %-20s %-14s %-26s %s (%.1f s)", table, clf, preset.name, res.summary(), secs)
    if not rows:
        raise ValueError(f"nothing to evaluate in {folder}")
    df = pd.DataFrame(rows)
    # the published baselines beside ours (matched on printed names: compare_with_published relabels)
    from mefeat.evaluation import labels as L

    pub = compare_with_published(df[["method", "classifier", "protocol", "part", "uf1", "uar"]])

    def key(m, c, p, pa):
        return L.method_label(m), L.classifier_label(c), L.protocol_label(p), L.part_label(pa)

    found = {key(*r[:4]): r[4:] for r in pub[["method", "classifier", "protocol", "part", "UF1 (published)",
                                             "UAR (published)", "source"]].itertuples(index=False)}
    hits = [found.get(key(m, c, p, pa), (np.nan, np.nan, "")) for m, c, p, pa in
            df[["method", "classifier", "protocol", "part"]].itertuples(index=False)]
    df["uf1_published"] = [h[0] for h in hits]
    df["uar_published"] = [h[1] for h in hits]
    df["published_source"] = [h[2] for h in hits]
    df = L.sort_results(df).reset_index(drop=True)
    au_table, au_skipped = (_au_detection(folder, tables, min_positives=min_positives, random_state=random_state,
                                          n_jobs=n_jobs) if au else (None, {}))
    return ComparisonResult(df, runs, _results_table(df), au_table, au_skipped)


def _au_detection(folder, tables, *, min_positives, random_state, n_jobs):
    """Per-AU detection of every table: (one row per (table, AU) or None, {table: {AU: reason}})."""
    import pandas as pd

    from mefeat.evaluation import evaluate_aus

    parts, skipped = [], {}
    for table, _ in tables:
        X, lab = _labelled(folder, table)
        if "aus" not in lab or not any(len(a) for a in lab["aus"]):
            continue
        if lab["group"].nunique() < 2:
            log.warning("compare: table %s: AU detection needs two subjects or more; skipped", table)
            continue
        t0 = time.perf_counter()
        res = evaluate_aus(make_classifier("svm-linear", random_state=random_state), X, list(lab["aus"]),
                           lab["group"].to_numpy(dtype=object), min_positives=min_positives,
                           stratify_by=lab["emotion"].to_numpy(dtype=object), random_state=random_state,
                           n_jobs=n_jobs, verbose=False)
        parts.append(res.table.reset_index().assign(method=table))
        skipped[table] = res.skipped
        log.info("compare: %-20s AU detection: %d AUs, mean F1 %.4f (%.1f s)", table, len(res.table),
                 res.mean_f1, time.perf_counter() - t0)
    if not parts:
        return None, {}
    df = pd.concat(parts, ignore_index=True)
    return df[["method", "au", "n_pos", "tp", "fp", "fn", "f1", "uar"]], skipped


def _results_table(df):
    """The columns of the written results table (parts only when a protocol has them)."""
    from mefeat.evaluation import results_table

    cols = ["protocol", "method", "classifier"]
    if (df["part"] != "full").any():
        cols.append("part")
    for m in ("uf1", "uar", "acc"):
        cols += [m, f"{m}_std"]
    cols += [c for c in ("uf1_published", "uar_published") if df[c].notna().any()]
    return results_table(df[cols])


# --------------------------------------------------------------------------- writing
def _write_csv(df, path, **kw):
    from mefeat._io import atomic_write

    with atomic_write(path, "w", encoding="utf-8", newline="") as f:
        df.to_csv(f, **kw)
    return path


def _long_tables(result):
    """per_fold, per_class and predictions of every run, long format."""
    import pandas as pd

    folds, classes, preds = [], [], []
    for run in result.runs:
        res = run["result"]
        tag = {"protocol": run["protocol"], "method": run["method"], "classifier": run["classifier"]}
        for part, r in _part_rows(res):
            f = r.fold_scores.reset_index()
            f.insert(0, "part", part)
            folds.append(f.assign(**tag))
            c = r.per_class.reset_index()
            c = c.rename(columns={c.columns[0]: "emotion"})
            c.insert(0, "part", part)
            classes.append(c.assign(**tag))
        p = res.predictions.drop(columns=["dataset"], errors="ignore")
        keys = [run["index"][i] for i in p.index.to_numpy()]
        p.insert(0, "clip", [k[2] for k in keys])
        p.insert(0, "subject", [k[1] for k in keys])
        p.insert(0, "dataset", [k[0] for k in keys])
        preds.append(p.assign(**tag))

    def cat(parts):
        df = pd.concat(parts, ignore_index=True)
        front = ["protocol", "method", "classifier"]
        return df[front + [c for c in df.columns if c not in front]]

    return cat(folds), cat(classes), cat(preds)


def _write_au(result, out):
    """``au_f1.csv`` (one row per (method, AU)) and ``au_f1.md`` (one row per method); returns the paths."""
    from mefeat._io import atomic_write
    from mefeat.evaluation.labels import method_label

    au = result.au.assign(method=[method_label(m) for m in result.au["method"]],
                          au=[f"AU{a}" for a in result.au["au"]])
    csv = _write_csv(au, os.path.join(out, "au_f1.csv"), index=False, float_format="%.6f")
    methods = list(dict.fromkeys(au["method"]))
    aus = [f"AU{a}" for a in sorted(set(result.au["au"]))]
    f1 = au.pivot(index="method", columns="au", values="f1").reindex(index=methods, columns=aus)
    cells = [[m, *("" if np.isnan(v) else f"{v:.4f}" for v in f1.loc[m]),
              f"{f1.loc[m].mean():.4f}" if f1.loc[m].notna().any() else ""] for m in methods]
    head = ["Method", *aus, "mean F1"]
    lines = ["Per-AU detection F1 (positive class; linear SVM, subject-grouped folds, out-of-fold predictions "
             "pooled)", "", "| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|",
             *("| " + " | ".join(r) + " |" for r in cells)]
    left_out = {}
    for reasons in result.au_skipped.values():
        left_out.update(reasons)
    if left_out:
        lines += ["", "Left out: " + "; ".join(f"AU{a} ({r})" for a, r in sorted(left_out.items()))]
    md = os.path.join(out, "au_f1.md")
    with atomic_write(md, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return csv, md


def _figures(result, clips, out, formats, dpi):
    """Confusion grids and score bars per protocol, the emotion–AU heatmap; returns the written paths."""
    from mefeat.evaluation import (emotion_au_table, part_label, plot_confusion_grid, plot_emotion_au_heatmap,
                                   plot_scores_bar, protocol_label, published_baselines)

    folder = os.path.join(out, "figures")
    os.makedirs(folder, exist_ok=True)
    written = []
    for protocol in dict.fromkeys(r["protocol"] for r in result.runs):
        runs = [r for r in result.runs if r["protocol"] == protocol]
        # DFME split: each test set on its own (they are never pooled); other protocols: the whole run
        parts = ["testA", "testB"] if runs[0]["result"].part_by == "split" else ["full"]
        pub = published_baselines(protocol=protocol)
        for part in parts:
            suffix = "" if part == "full" else f"_{part}"
            grid = {(r["method"], r["classifier"]): (r["result"] if part == "full" else r["result"].parts[part])
                    for r in runs if part == "full" or part in r["result"].parts}
            title = "Confusion matrices — " + protocol_label(protocol) + (f", {part_label(part)}" if suffix else "")
            rows = result.rows[(result.rows["protocol"] == protocol) & (result.rows["part"] == part)]
            bar_title = "UF1 and UAR per method — " + protocol_label(protocol) + (
                f", {part_label(part)}" if suffix else "")
            for fmt in formats:
                written.append(plot_confusion_grid(grid, os.path.join(folder, f"confusion_{protocol}{suffix}"),
                                                   protocol=protocol, title=title, fmt=fmt, dpi=dpi))
                written.append(plot_scores_bar(rows, os.path.join(folder, f"scores_{protocol}{suffix}"),
                                               protocol=protocol, classifier="all",
                                               published=pub if len(pub) else None,
                                               title=bar_title, fmt=fmt, dpi=dpi))
    labelled = clips[clips["emotion"].notna()]
    if "aus" in labelled and any(len(a) for a in labelled["aus"]):
        share = emotion_au_table(labelled.reset_index())
        _write_csv(share, os.path.join(out, "emotion_au.csv"), float_format="%.4f")
        for fmt in formats:
            written.append(plot_emotion_au_heatmap(share, os.path.join(folder, "emotion_au"), fmt=fmt, dpi=dpi))
    return written


def write_comparison(result, out, *, clips, figure_formats=("png", "pdf"), dpi=300, meta=None):
    """Write every output of a comparison to ``out`` (see the module docstring); returns the paths."""
    from mefeat import __version__
    from mefeat._io import write_json
    from mefeat.evaluation import write_results

    os.makedirs(out, exist_ok=True)
    files = dict(write_results(result.table, os.path.join(out, "results")))
    per_fold, per_class, preds = _long_tables(result)
    files["per_fold"] = _write_csv(per_fold, os.path.join(out, "per_fold.csv"), index=False, float_format="%.6f")
    files["per_class"] = _write_csv(per_class, os.path.join(out, "per_class.csv"), index=False,
                                    float_format="%.6f")
    files["predictions"] = _write_csv(preds, os.path.join(out, "predictions.csv"), index=False)
    if result.au is not None:
        files["au_f1_csv"], files["au_f1_md"] = _write_au(result, out)
    figures = _figures(result, clips, out, figure_formats, dpi)
    report = {
        "mefeat_version": __version__, "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **(meta or {}),
        "classifiers": {c: repr(make_classifier(c)) for c in dict.fromkeys(r["classifier"] for r in result.runs)},
        "results": result.rows.replace({np.nan: None}).to_dict(orient="records"),
        "runs": [{"protocol": r["protocol"], "method": r["method"], "descriptor": r["descriptor"],
                  "classifier": r["classifier"], "seconds": round(r["seconds"], 3),
                  "clips": ["/".join(k) for k in r["index"]], **r["result"].to_dict()} for r in result.runs],
        "au_f1": None if result.au is None else {
            "results": result.au.to_dict(orient="records"),
            "skipped": {m: {f"AU{a}": r for a, r in s.items()} for m, s in result.au_skipped.items()}},
        "files": {k: os.path.relpath(v, out) for k, v in files.items()},
        "figures": [os.path.relpath(p, out) for p in figures],
    }
    files["json"] = os.path.join(out, "results.json")
    write_json(files["json"], report)
    return files, figures


# --------------------------------------------------------------------------- command line
def _csv_list(text):
    return [t.strip() for t in str(text).split(",") if t.strip()]


def build_parser():
    """The argument parser of ``python -m mefeat.compare``."""
    from mefeat import __version__
    from mefeat.extract import DATASETS, n_jobs_type
    from mefeat.runner import DEFAULT_OUT as EXTRACT_OUT

    p = argparse.ArgumentParser(prog="python -m mefeat.compare", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Protocols: dfme-10fold, dfme-split, loso, casme2-5class, megc2019, lodo. "
                                       "Classifiers: " + ", ".join(CLASSIFIERS) + ".")
    p.add_argument("--version", action="version", version=f"mefeat {__version__}")
    g = p.add_argument_group("features")
    g.add_argument("--features", metavar="DIR",
                   help="only read this output folder of `python -m mefeat.extract` (no extraction; the data "
                        "options below are not allowed)")
    g.add_argument("--extract-dir", metavar="DIR",
                   help=f"output folder the missing tables are extracted into and read from (default "
                        f"./{EXTRACT_OUT}, the folder `python -m mefeat.extract` writes)")
    g = p.add_argument_group("data (as python -m mefeat.extract; default: the built-in demo set)")
    g.add_argument("--dataset", default="demo", choices=DATASETS, help="database to read (default demo)")
    g.add_argument("--root", action="append", dest="roots", metavar="ROOT",
                   help="database folder (megc2019: repeat as NAME=PATH)")
    g.add_argument("--annotations", action="append", metavar="FILE",
                   help="annotation sheet (repeatable: DFME's split sheets; megc2019 NAME=PATH, gt= for the "
                        "ground truth)")
    g.add_argument("--modality", choices=["HS", "VIS", "NIR"], type=str.upper, help="SMIC modality")
    g.add_argument("--seed", type=int, default=0, help="demo set seed (default 0)")
    g.add_argument("--demo-size", choices=["full", "small", "tiny"], default="full", help="demo set size")
    g = p.add_argument_group("evaluation")
    g.add_argument("--protocol", action="append", metavar="NAME[,NAME]",
                   help="protocol(s), repeatable or comma-separated (default: dfme-10fold for DFME and the "
                        "demo set, megc2019 for the MEGC 2019 composite, loso otherwise)")
    g.add_argument("--methods", metavar="TABLE[,TABLE]", help="only these feature tables (default: all)")
    g.add_argument("--classifiers", default=",".join(CLASSIFIERS), metavar="NAME[,NAME]",
                   help=f"subset of {', '.join(CLASSIFIERS)} (default all)")
    g.add_argument("--nested", action="store_true", help="nested subject-grouped grid search per outer fold")
    g.add_argument("--random-state", type=int, default=0, help="seed of the folds and classifiers (default 0)")
    g.add_argument("--no-au", action="store_true", help="skip the per-AU detection F1 (au_f1.csv / au_f1.md)")
    g.add_argument("--min-positives", type=int, default=10, metavar="N",
                   help="per-AU detection: leave out AUs with fewer positive clips (default 10)")
    g = p.add_argument_group("output and execution")
    g.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default ./{DEFAULT_OUT})")
    g.add_argument("--force", action="store_true", help="overwrite the results of an earlier comparison in --out")
    g.add_argument("--figure-format", action="append", metavar="FMT[,FMT]",
                   help="figure format(s): png, pdf, svg; repeatable or comma-separated (default png,pdf)")
    g.add_argument("--dpi", type=int, default=300, help="PNG resolution (default 300)")
    g.add_argument("--n-jobs", type=n_jobs_type, default=None,
                   help="extraction workers (default all cores) and folds fitted in parallel (default 1)")
    g.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress, only warnings, errors and the table")
    return p


def _configure_logging(verbose, quiet):
    """Progress and summaries of the ``mefeat`` logger to stderr (``-q``: warnings only); returns the handler."""
    logger = logging.getLogger("mefeat")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s" if not verbose else "%(asctime)s %(name)s: %(message)s",
                                           "%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else (logging.INFO if verbose < 2 else logging.DEBUG))
    logger.propagate = False
    return handler


def _error(msg, code):
    print(f"mefeat.compare: error: {msg}", file=sys.stderr)
    return code


def _check_args(parser, args):
    from mefeat.evaluation import protocol_preset

    if args.features:
        given = [flag for flag, bad in (("--extract-dir", args.extract_dir), ("--dataset", args.dataset != "demo"),
                                        ("--root", args.roots),
                                        ("--annotations", args.annotations), ("--modality", args.modality),
                                        ("--demo-size", args.demo_size != "full"), ("--seed", args.seed != 0))
                 if bad]
        if given:
            parser.error(f"{given[0]}: not allowed with --features (the folder is only read)")
    if args.extract_dir is None:
        from mefeat.runner import DEFAULT_OUT as EXTRACT_OUT

        args.extract_dir = EXTRACT_OUT
    if args.modality and args.dataset != "smic":
        parser.error(f"--modality: only allowed with --dataset smic (got --dataset {args.dataset})")
    if args.demo_size != "full" and args.dataset != "demo":
        parser.error("--demo-size: only allowed with --dataset demo")
    protocols = []
    for item in args.protocol or ():
        for name in _csv_list(item):
            try:
                protocols.append(protocol_preset(name).name)
            except ValueError as exc:
                parser.error(f"--protocol: {exc}")
    args.protocols = list(dict.fromkeys(protocols)) or None
    args.classifier_names = _csv_list(args.classifiers)
    bad = [c for c in args.classifier_names if c not in CLASSIFIERS]
    if bad or not args.classifier_names:
        parser.error(f"--classifiers: unknown {', '.join(bad) or '(none given)'}; choose from {', '.join(CLASSIFIERS)}")
    formats = [f.lower().lstrip(".") for item in (args.figure_format or ["png,pdf"]) for f in _csv_list(item)]
    bad = [f for f in formats if f not in _FIGURE_FORMATS]
    if bad or not formats:
        parser.error(f"--figure-format: unknown {', '.join(bad) or '(none given)'}; choose from "
                     f"{', '.join(_FIGURE_FORMATS)}")
    args.formats = list(dict.fromkeys(formats))
    if args.dpi < 10:
        parser.error(f"--dpi must be >= 10, got {args.dpi}")
    if args.min_positives < 1:
        parser.error(f"--min-positives must be >= 1, got {args.min_positives}")
    args.method_names = _csv_list(args.methods) if args.methods else None


def _extract(args, argv):
    """Extract the comparison's tables into --extract-dir (reusing what is there); returns (folder, summary)."""
    from mefeat import extract_features
    from mefeat.extract import load_dataset_from_args

    ds, info = load_dataset_from_args(args)
    wanted = comparison_descriptors()
    log.info("compare: tables %s in %s (only what is missing is computed)", ", ".join(wanted), args.extract_dir)
    annotations = [a.split("=", 1)[1] if args.dataset == "megc2019" and "=" in a else a
                   for a in (args.annotations or [])]
    res = extract_features(ds, wanted, out=args.extract_dir, n_jobs=args.n_jobs, progress=not args.quiet,
                           dataset_info=info, annotation_files=annotations,
                           argv=["python -m mefeat.compare", *(argv if argv is not None else sys.argv[1:])])
    summary = {"folder": res.out, "up_to_date": res.up_to_date, "n_clips": res.n_clips, "n_failed": res.n_failed,
               "tables": {t: {"computed": int(v["computed"]), "from_cache": int(v["from_cache"])}
                          for t, v in res.tables.items()}}
    computed = {t: v["computed"] for t, v in summary["tables"].items() if v["computed"]}
    log.info("compare: extraction %s", "up to date, nothing computed" if not computed else
             "computed " + ", ".join(f"{t} ({n} clips)" for t, n in computed.items()))
    return res.out, summary


def main(argv=None) -> int:
    """Run the comparison; returns the exit status (see the module docstring)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_args(parser, args)
    handler = _configure_logging(args.verbose, args.quiet)
    from mefeat import read_clips
    from mefeat._io import OutputLocked
    from mefeat.evaluation import format_results
    from mefeat.runner import ExtractionError

    out = os.path.abspath(args.out)
    try:
        if os.path.exists(os.path.join(out, "results.json")) and not args.force:
            return _error(f"{out} holds the results of an earlier comparison; use --force to overwrite them or "
                          "choose another --out", 1)
        t0 = time.perf_counter()
        if args.features:
            folder, extraction = os.path.abspath(args.features), None
            if not os.path.isfile(os.path.join(folder, "clips.csv")):
                return _error(f"--features {args.features}: no clips.csv; give an output folder of "
                              "`python -m mefeat.extract`", 2)
        else:
            folder, extraction = _extract(args, argv)
        t_extract = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = run_comparison(folder, protocols=args.protocols, methods=args.method_names,
                                classifier_names=args.classifier_names, random_state=args.random_state,
                                n_jobs=args.n_jobs, nested=args.nested, au=not args.no_au,
                                min_positives=args.min_positives)
        t_eval = time.perf_counter() - t0
        clips = read_clips(folder)
        meta = {"argv": ["python -m mefeat.compare", *(argv if argv is not None else sys.argv[1:])],
                "features": folder, "extraction": extraction, "random_state": args.random_state,
                "nested": args.nested, "au": not args.no_au, "min_positives": args.min_positives,
                "protocols": list(dict.fromkeys(r["protocol"] for r in result.runs)),
                "timings_s": {"extraction": round(t_extract, 3), "evaluation": round(t_eval, 3)}}
        files, figures = write_comparison(result, out, clips=clips, figure_formats=args.formats, dpi=args.dpi,
                                          meta=meta)
    except KeyboardInterrupt:
        print("mefeat.compare: interrupted; extracted clips are cached -- run the same command again to resume",
              file=sys.stderr)
        return 130
    except (ExtractionError, OutputLocked) as exc:
        return _error(str(exc), 1)
    except (ValueError, KeyError, FileNotFoundError, ImportError) as exc:
        return _error(str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc), 2)
    except OSError as exc:
        return _error(str(exc), 1)
    finally:
        logging.getLogger("mefeat").removeHandler(handler)
    print(format_results(result.table, "markdown"), end="")
    if not args.quiet:
        print(f"mefeat.compare: results, {len(figures)} figures and results.json in {out}", file=sys.stderr)
    return 0


def entrypoint():
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    sys.exit(main())
