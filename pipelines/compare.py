"""Compare the hand-crafted baselines under a subject-independent protocol: ``python -m pipelines.compare``.

Run from the repository root. With no arguments, generates (once) the built-in demo data set,
extracts every baseline's features with ``python -m mefeat.extract`` (cached in
``<out>/extracted``), evaluates LBP-TOP, LBP-TOP (MEGC 2019 configuration), HOG-TOP, HIGO-TOP,
MDMO, Bi-WOOF and FDM with a linear SVM, an RBF SVM and a random forest under the DFME protocol
(10-fold subject-independent CV, predictions pooled over folds), prints the paper-style table
(UF1, UAR, ACC) and writes to ``--out`` (default ``./mefeat_compare``):

- ``results.md`` / ``results.csv`` / ``results.json``: the table (+ per-fold mean ± std, fold assignment)
- ``per_fold.csv``, ``per_class.csv``, ``predictions.csv``: long-format details of every run
- ``confusion/<method>__<classifier>.png``: pooled confusion matrices
- ``emotion_au.csv`` / ``emotion_au.md`` / ``emotion_au.png``: the emotion–AU association table
- ``au_f1.csv`` / ``au_f1.md``: per-AU detection F1 of every descriptor (linear SVM; skip with ``--no-au``)

Examples::

    python -m pipelines.compare                                    # demo, DFME 10-fold
    python -m pipelines.compare --features casme2_features --protocol loso --out casme2_compare
    python -m pipelines.compare --features megc_features --protocol megc2019
    python -m pipelines.compare --dataset casme2 --root CASME2/CASME2-RAW \\
        --annotations CASME2-coding-20140508.xlsx --protocol loso
"""

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

__all__ = ["build_parser", "main", "BASELINES", "run_comparison"]

PROTOCOLS = ("dfme-10fold", "loso", "megc2019", "lodo")
DEFAULT_OUT = "mefeat_compare"


@dataclass(frozen=True)
class Baseline:
    """One row group of the comparison table."""

    key: str
    module: str
    builder: str = "make_pipelines"
    source: str = "main"  # which extraction run holds its table ("main" or "megc2019")


BASELINES = (
    Baseline("lbp_top", "pipelines.lbp_top"),
    Baseline("lbp_top_megc2019", "pipelines.lbp_top", "make_megc2019_pipelines", "megc2019"),
    Baseline("hog_top", "pipelines.hog_top"),
    Baseline("higo_top", "pipelines.higo_top"),
    Baseline("mdmo", "pipelines.mdmo"),
    Baseline("bi_woof", "pipelines.bi_woof"),
    Baseline("fdm", "pipelines.fdm"),
)


def _module(b):
    import importlib

    return importlib.import_module(b.module)


def _method_label(b):
    m = _module(b)
    return m.MEGC2019_METHOD if b.source == "megc2019" else m.METHOD


def _descriptor(b):
    return _module(b).DESCRIPTOR


# ----------------------------------------------------------------------------- CLI
def build_parser():
    """The argument parser of ``python -m pipelines.compare``."""
    p = argparse.ArgumentParser(prog="python -m pipelines.compare", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Methods: " + ", ".join(b.key for b in BASELINES))
    g = p.add_argument_group("data (default: the built-in demo set)")
    g.add_argument("--features", action="append", metavar="DIR",
                   help="extraction output folder(s) of `python -m mefeat.extract` (clips.csv + features/); "
                        "every table in it is evaluated (repeatable)")
    g.add_argument("--dataset", default="demo",
                   help="database to extract first when no --features is given: 'demo' (default) or a "
                        "`mefeat.extract --dataset` name used with --root/--annotations")
    g.add_argument("--root", help="database folder (passed to mefeat.extract)")
    g.add_argument("--annotations", action="append", help="annotation sheet(s) (passed to mefeat.extract)")
    g.add_argument("--demo-size", choices=["tiny", "small"], help="smaller demo set (quick looks, tests)")
    g.add_argument("--extract-dir", metavar="DIR",
                   help="where the extracted tables and the per-clip cache go (default <out>/extracted); "
                        "share it between runs with different --out to extract only once")
    g = p.add_argument_group("evaluation")
    g.add_argument("--protocol", default="dfme-10fold", choices=PROTOCOLS,
                   help="dfme-10fold (default): stratified 10-fold subject-independent CV; loso; megc2019: "
                        "LOSO over dataset-qualified subjects; lodo: leave one database out")
    g.add_argument("--methods", help="comma-separated subset of: " + ", ".join(b.key for b in BASELINES))
    g.add_argument("--classifiers", default="svm-linear,svm-rbf,rf",
                   help="comma-separated subset of svm-linear, svm-rbf, rf (default all)")
    g.add_argument("--nested", action="store_true",
                   help="nested subject-grouped grid search of the classifier's hyper-parameters")
    g.add_argument("--no-au", action="store_true", help="skip the AU classification (emotion–AU table is kept)")
    g.add_argument("--min-positives", type=int, default=10,
                   help="AU classification: skip AUs with fewer positive clips (default 10)")
    g.add_argument("--seed", type=int, default=0, help="seed of the folds, the classifiers and the demo set")
    g = p.add_argument_group("output and execution")
    g.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default ./{DEFAULT_OUT})")
    g.add_argument("--force", action="store_true", help="overwrite the results of a previous run in --out")
    g.add_argument("--n-jobs", type=int, default=None, help="parallel workers (default: all cores)")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bars; only the table on stdout")
    return p


def _error(msg, code=2):
    print(f"pipelines.compare: error: {msg}", file=sys.stderr)
    return code


def main(argv=None):
    """Run the comparison; returns the exit status (0 ok, 2 usage or data error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.n_jobs is None:
        args.n_jobs = os.cpu_count() or 1
    if args.n_jobs == 0 or args.n_jobs < -1:
        parser.error(f"--n-jobs must be a positive int or -1, got {args.n_jobs}")
    if args.min_positives < 1:
        parser.error(f"--min-positives must be >= 1, got {args.min_positives}")
    if args.features and (args.root or args.annotations or args.dataset != "demo" or args.demo_size
                          or args.extract_dir):
        parser.error("--features: not allowed with --dataset/--root/--annotations/--demo-size/--extract-dir")
    keys = [b.key for b in BASELINES]
    methods = keys if not args.methods else [m.strip() for m in args.methods.split(",") if m.strip()]
    bad = [m for m in methods if m not in keys]
    if bad:
        parser.error(f"--methods: unknown {bad}; known: {keys}")
    from pipelines._common import CLASSIFIERS

    classifiers = [c.strip() for c in args.classifiers.split(",") if c.strip()]
    bad = [c for c in classifiers if c not in CLASSIFIERS]
    if bad or not classifiers:
        parser.error(f"--classifiers: unknown {bad}; known: {list(CLASSIFIERS)}")
    out = os.path.abspath(args.out)
    if os.path.exists(os.path.join(out, "results.csv")) and not args.force:
        return _error(f"{out} holds the results of a previous run; use --force to overwrite them or choose "
                      "another --out")
    try:
        if args.features:
            runs = _runs_from_dirs(args.features, methods)
        else:
            runs = _extract(args, out, methods)
        table = run_comparison(runs, classifiers=classifiers, protocol=args.protocol, out=out, seed=args.seed,
                               n_jobs=args.n_jobs, nested=args.nested, au=not args.no_au,
                               min_positives=args.min_positives, verbose=not args.quiet)
    except (ValueError, FileNotFoundError, FileExistsError, KeyError) as exc:
        return _error(str(exc))
    print(_markdown(table, args.protocol))
    if not args.quiet:
        print(f"pipelines.compare: results in {out}", file=sys.stderr)
    return 0


# ----------------------------------------------------------------------------- feature sources
def _extract(args, out, methods):
    """Run ``mefeat.extract`` for the requested baselines (cached); returns the runs to evaluate."""
    from mefeat import extract
    from pipelines import lbp_top

    base = os.path.abspath(args.extract_dir) if args.extract_dir else os.path.join(out, "extracted")
    cache = os.path.join(base, "cache")
    # --force: the tables are rebuilt from the per-clip cache (content-addressed), so a run with other
    # --methods only computes what is missing instead of refusing a folder written by another run.
    common = ["--seed", str(args.seed), "--n-jobs", str(args.n_jobs), "--cache-dir", cache, "--force"]
    if args.quiet:
        common.append("-q")
    if args.dataset == "demo":
        data = ["--dataset", "demo"] + (["--demo-size", args.demo_size] if args.demo_size else [])
    else:
        data = ["--dataset", args.dataset] + (["--root", args.root] if args.root else [])
        for a in args.annotations or ():
            data += ["--annotations", a]
    wanted = [b for b in BASELINES if b.key in methods]
    dirs = {}
    main_desc = list(dict.fromkeys(_descriptor(b) for b in wanted if b.source == "main"))  # table order
    if main_desc:
        dirs["main"] = os.path.join(base, "features")
        argv = data + common + ["--out", dirs["main"], "--descriptors", ",".join(main_desc)]
        if extract.main(argv) != 0:
            raise ValueError(f"feature extraction failed: python -m mefeat.extract {' '.join(argv)}")
    if any(b.source == "megc2019" for b in wanted):
        dirs["megc2019"] = os.path.join(base, "features_megc2019")
        params = [f"--param=lbp_top.{k}={','.join(str(v) for v in val)}" for k, val in lbp_top.MEGC2019_PARAMS.items()]
        params += [f"--param={k}={v}" for k, v in lbp_top.MEGC2019_PREPROCESS.items()]
        argv = data + common + ["--out", dirs["megc2019"], "--descriptors", "lbp_top"] + params
        if extract.main(argv) != 0:
            raise ValueError(f"feature extraction failed: python -m mefeat.extract {' '.join(argv)}")
    return [(b, dirs[b.source], _descriptor(b)) for b in wanted]


def _read_manifest(d):
    try:
        with open(os.path.join(d, "manifest.json"), encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return {}


def _is_megc2019_lbp(manifest):
    from pipelines import lbp_top

    cfg = manifest.get("config", {})
    params = cfg.get("descriptors", {}).get("lbp_top")
    if not params:
        return False
    want = {k: list(v) for k, v in lbp_top.MEGC2019_PARAMS.items()}
    same = all(list(params.get(k, ())) == v for k, v in want.items())
    return same and cfg.get("preprocessing", {}).get("tim.n_frames") == lbp_top.MEGC2019_PREPROCESS["tim.n_frames"]


def _runs_from_dirs(dirs, methods):
    """Every table of every folder, mapped to its baseline (unknown tables get a generic pipeline)."""
    from mefeat._io import list_descriptors

    by_desc = {}
    for b in BASELINES:
        by_desc.setdefault(_descriptor(b), []).append(b)
    runs = []
    for d in dirs:
        if not os.path.isfile(os.path.join(d, "clips.csv")):
            raise FileNotFoundError(f"{d}: no clips.csv; --features must be an output folder of "
                                    "`python -m mefeat.extract`")
        names = list_descriptors(d)
        if not names:
            raise FileNotFoundError(f"{d}: no feature tables in {os.path.join(d, 'features')}")
        manifest = _read_manifest(d)
        for name in names:
            cands = by_desc.get(name)
            if cands is None:
                runs.append((Baseline(name, "", "", "extra"), d, name))
                continue
            if name == "lbp_top":
                b = cands[1] if _is_megc2019_lbp(manifest) else cands[0]
            else:
                b = cands[0]
            if b.key in methods or (b.key == "lbp_top_megc2019" and "lbp_top" in methods):
                runs.append((b, d, name))
    if not runs:
        raise ValueError(f"no feature table of the requested methods in {dirs}")
    return runs


def _load(d, descriptor):
    """Features and labels of one table, aligned on (dataset, subject, clip), clips without label dropped."""
    from mefeat._io import read_clips_table, read_features

    X = read_features(d, descriptor)
    clips = read_clips_table(d)
    clips = clips[clips["emotion"].notna()]
    common = X.index.intersection(clips.index, sort=False)
    X = X.loc[common]
    lab = clips.loc[common]
    bad = ~np.isfinite(X.to_numpy()).all(axis=1)
    if bad.any():
        X, lab = X[~bad], lab[~bad]
    meta = {"n_dropped_nonfinite": int(bad.sum()), "n_without_features": int(len(clips) - len(common))}
    return X, lab, meta


# ----------------------------------------------------------------------------- evaluation
def _pipelines(b, classifiers, seed):
    if b.source == "extra":
        from pipelines import _common

        return _common.build([], classifiers=classifiers, random_state=seed)
    return getattr(_module(b), b.builder)("table", classifiers=classifiers, random_state=seed)


def run_comparison(runs, *, classifiers, protocol, out, seed=0, n_jobs=1, nested=False, au=True, min_positives=10,
                   verbose=True):
    """Evaluate every (baseline, classifier) and write the result files to ``out``.

    Parameters
    ----------
    runs : list of (Baseline, str, str)
        Baseline, extraction folder, table name.
    classifiers : sequence of str
    protocol : {"dfme-10fold", "loso", "megc2019", "lodo"}
    out : str
    seed : int
    n_jobs : int
        Folds in parallel.
    nested : bool
        Nested grid search (``pipelines._common.PARAM_GRIDS``).
    au : bool
        Run the per-AU classification (linear SVM) for every descriptor.
    min_positives : int
    verbose : bool

    Returns
    -------
    pandas.DataFrame
        One row per (method, classifier): ``method, classifier, n_clips, n_features, uf1, uar, acc,
        uf1_mean, uf1_std, uar_mean, uar_std, acc_mean, acc_std, seconds``.
    """
    import pandas as pd
    from tqdm.auto import tqdm

    from mefeat.evaluation import emotion_au_table, evaluate, plot_confusion, plot_emotion_au_heatmap, top_aus_table
    from pipelines._common import PARAM_GRIDS

    os.makedirs(os.path.join(out, "confusion"), exist_ok=True)
    rows, folds_json, per_fold, per_class, preds = [], {}, [], [], []
    loaded = {}
    au_tables, au_skipped = {}, {}
    total = len(runs) * len(classifiers)
    bar = tqdm(total=total, desc="compare", file=sys.stderr, disable=not verbose)
    for b, d, name in runs:
        label = _method_label(b) if b.source != "extra" else name
        X, lab, meta = _load(d, name)
        if len(X) == 0 or X.shape[1] == 0:
            print(f"pipelines.compare: warning: {label}: the table {name!r} in {d} has no usable rows "
                  f"(extraction failures are listed in its manifest.json); skipped", file=sys.stderr)
            for clf in classifiers:
                rows.append({"method": label, "classifier": clf, "n_clips": 0, "n_features": 0,
                             **{k: np.nan for k in ("uf1", "uar", "acc", "uf1_mean", "uf1_std", "uar_mean",
                                                    "uar_std", "acc_mean", "acc_std")}, "seconds": 0.0})
                bar.update(1)
            continue
        loaded[d] = lab
        y = lab["emotion"].to_numpy(dtype=object)
        subjects = lab.index.get_level_values("subject").to_numpy(dtype=object)
        datasets = lab.index.get_level_values("dataset").to_numpy(dtype=object)
        ds_arg = datasets if (protocol in ("megc2019", "lodo") or len(set(datasets)) > 1) else None
        pipes = _pipelines(b, classifiers, seed)
        for clf in classifiers:
            bar.set_postfix_str(f"{label} / {clf}")
            t0 = time.perf_counter()
            res = evaluate(pipes[clf], X, y, subjects, cv=protocol, datasets=ds_arg, random_state=seed,
                           n_jobs=n_jobs, param_grid=PARAM_GRIDS[clf] if nested else None, verbose=False)
            secs = time.perf_counter() - t0
            fs = res.fold_summary
            rows.append({"method": label, "classifier": clf, "n_clips": len(y), "n_features": X.shape[1],
                         **{m: res.scores[m] for m in ("uf1", "uar", "acc")},
                         **{f"{m}_{s}": fs[m][i] for m in ("uf1", "uar", "acc") for i, s in enumerate(("mean", "std"))},
                         "seconds": round(secs, 2), **{k: v for k, v in meta.items() if v}})
            folds_json.setdefault(res.cv + " on " + os.path.basename(d.rstrip(os.sep)), res.folds)
            per_fold.append(res.fold_scores.reset_index().assign(method=label, classifier=clf))
            per_class.append(res.per_class.reset_index().assign(method=label, classifier=clf))
            p = res.predictions.copy()
            p.insert(0, "clip", lab.index.get_level_values("clip").to_numpy()[p.index.to_numpy()])
            preds.append(p.assign(method=label, classifier=clf))
            plot_confusion(res.confusion, os.path.join(out, "confusion", f"{_slug(label)}__{clf}.png"),
                           title=f"{label} + {clf} ({protocol}): UF1 {res.scores['uf1']:.3f}, "
                                 f"UAR {res.scores['uar']:.3f}")
            if ds_arg is not None and len(set(datasets)) > 1:
                by = res.scores_by("dataset").reset_index()
                for r in by.to_dict("records"):
                    rows[-1].update({f"uf1[{r['dataset']}]": r["uf1"], f"uar[{r['dataset']}]": r["uar"]})
            bar.update(1)
        if au and "aus" in lab:
            au_res = _au_for(X, lab, protocol, seed, n_jobs, min_positives)
            if au_res is not None:
                au_tables[label] = au_res.table["f1"]
                au_skipped[label] = au_res.skipped
    bar.close()
    table = pd.DataFrame(rows)
    # ---- write
    from mefeat._io import atomic_write

    def _csv(df, name, **kw):
        with atomic_write(os.path.join(out, name), "w", encoding="utf-8", newline="") as fh:
            df.to_csv(fh, **kw)

    _csv(table, "results.csv", index=False, float_format="%.6f")
    with atomic_write(os.path.join(out, "results.md"), "w", encoding="utf-8") as fh:
        fh.write(_markdown(table, protocol) + "\n")
    if per_fold:
        _csv(pd.concat(per_fold, ignore_index=True), "per_fold.csv", index=False, float_format="%.6f")
        _csv(pd.concat(per_class, ignore_index=True), "per_class.csv", index=False, float_format="%.6f")
        _csv(pd.concat(preds, ignore_index=True), "predictions.csv", index=False)
    with atomic_write(os.path.join(out, "results.json"), "w", encoding="utf-8") as fh:
        json.dump({"protocol": protocol, "seed": seed, "classifiers": list(classifiers), "nested": nested,
                   "results": table.to_dict(orient="records"), "folds": folds_json}, fh, indent=1, default=str)
    # emotion–AU association from the labels of the first table
    first = next(iter(loaded.values()), None)
    if first is not None and "aus" in first and len(first):
        share = emotion_au_table(first.reset_index())
        _csv(share, "emotion_au.csv", float_format="%.4f")
        with atomic_write(os.path.join(out, "emotion_au.md"), "w", encoding="utf-8") as fh:
            fh.write(_md_table(top_aus_table(share)) + "\n")
        if share.shape[1]:
            plot_emotion_au_heatmap(share, os.path.join(out, "emotion_au.png"))
    if au_tables:
        au_df = pd.DataFrame(au_tables)
        au_df.index.name = "au"
        au_df.loc["mean"] = au_df.mean(axis=0)
        _csv(au_df, "au_f1.csv", float_format="%.4f")
        with atomic_write(os.path.join(out, "au_f1.md"), "w", encoding="utf-8") as fh:
            shown = au_df.copy()
            shown.index = [f"AU{a}" if a != "mean" else "mean F1" for a in shown.index]
            fh.write("Per-AU F1 (positive class, linear SVM, out-of-fold predictions pooled over the folds)\n\n")
            fh.write(_md_table(shown.reset_index().rename(columns={"index": "AU"}), floats=3) + "\n")
            sk = next(iter(au_skipped.values()))
            if sk:
                fh.write("\nSkipped AUs: " + "; ".join(f"AU{a} ({r})" for a, r in sorted(sk.items())) + "\n")
    return table


def _au_for(X, lab, protocol, seed, n_jobs, min_positives):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from mefeat.evaluation import evaluate_aus
    from mefeat.evaluation.splits import get_splitter, qualify_groups

    subjects = lab.index.get_level_values("subject").to_numpy(dtype=object)
    datasets = lab.index.get_level_values("dataset").to_numpy(dtype=object)
    if protocol == "lodo":
        groups = datasets
    else:
        groups = qualify_groups(subjects, datasets) if (protocol == "megc2019" or len(set(datasets)) > 1) else subjects
    if len(set(groups.tolist())) < 2:
        return None
    cv = get_splitter(protocol, random_state=seed)
    if protocol == "dfme-10fold":
        from mefeat.evaluation import SubjectKFold

        cv = SubjectKFold(min(10, len(set(groups.tolist()))), random_state=seed)
    est = make_pipeline(StandardScaler(), SVC(kernel="linear", class_weight="balanced"))
    return evaluate_aus(est, X, list(lab["aus"]), groups, min_positives=min_positives, cv=cv,
                        stratify_by=lab["emotion"].to_numpy(dtype=object), random_state=seed, n_jobs=n_jobs,
                        verbose=False)


# ----------------------------------------------------------------------------- formatting
def _slug(s):
    return "".join(c if c.isalnum() else "_" for c in s).strip("_").lower()


def _md_table(df, floats=4):
    cols = list(df.columns)
    lines = ["| " + " | ".join(str(c) for c in cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in df.itertuples(index=False):
        cells = []
        for v in r:
            if isinstance(v, (float, np.floating)):
                cells.append("" if np.isnan(v) else f"{v:.{floats}f}")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _markdown(table, protocol):
    """The paper-style table: method x classifier rows, pooled UF1/UAR/ACC and per-fold UF1 mean ± std."""
    import pandas as pd

    shown = pd.DataFrame({
        "method": table["method"], "classifier": table["classifier"],
        "UF1": table["uf1"], "UAR": table["uar"], "ACC": table["acc"],
        "UF1 per fold (mean ± std)": ["no features" if np.isnan(m) else f"{m:.3f} ± {s:.3f}"
                                      for m, s in zip(table["uf1_mean"], table["uf1_std"])],
    })
    extra = [c for c in table.columns if c.startswith(("uf1[", "uar["))]
    for c in extra:
        shown[c.upper()] = table[c]
    n = int(table["n_clips"].max()) if len(table) else 0
    head = (f"Protocol: {protocol}; UF1/UAR/ACC from predictions pooled over all folds (MEGC convention), "
            f"{n} clips.\n\n")
    return head + _md_table(shown)


if __name__ == "__main__":
    sys.exit(main())
