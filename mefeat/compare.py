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
  classifier[, part]) in the paper's order: tested clips and subjects; UF1 / UAR / ACC pooled
  over the folds (TP/FP/FN summed), each with its 95 % subject-level bootstrap interval
  (test subjects resampled, predictions kept, 10,000 resamples) and the standard deviation of
  the per-fold scores (a spread, not an interval); the CSV also has the label-permutation
  chance level of every row. The best value of each column is in bold; a caption says what
  every number is and gives the chance level of each protocol. Under ``megc2019`` one row per
  part (full composite, SMIC, CASME II, SAMM) with the published MEGC 2019 baselines beside
  ours. The Markdown table is also printed on stdout.
- ``paired_tests.csv`` / ``paired_tests.md``: every pair of methods compared on the same clips
  per (protocol, part, classifier): difference of the pooled scores, p-value of a subject-level
  sign-flip permutation test, Holm-adjusted over the pairs.
- ``subject_scores.csv``: UF1 / UAR / ACC of every test subject of every run.
- ``protocol.json``: the protocol as run (splitter, folds and their test subjects, classes,
  how hyper-parameters were set) and the leak audit of every run (subjects on both sides of a
  fold: must be none); also in ``results.json``.
- ``dropped.csv``: every clip left out and why (no feature row, not in ``clips.csv``, NaN or
  infinite features, no emotion, a class the protocol does not use); counts are also warned.
- ``per_fold.csv``, ``per_class.csv``, ``predictions.csv``: the details of every run.
- ``figures/confusion_<protocol>_<classifier>.<fmt>``: per protocol (per test set for
  ``dfme-split``) and classifier, the confusion matrices of the methods in rows of 4 (7 in
  wide); ``figures/scores_<protocol>.<fmt>``: UF1 and UAR per method with their 95 % intervals
  and the chance line; ``figures/emotion_au.<fmt>`` where AUs are annotated. PDF figures embed
  TrueType fonts.
- ``cache/``: every fold's predictions (joblib), keyed by the table's bytes, the classifier and
  its parameters and the folds: a re-run, or one with one more table, fits only what is new,
  and an interrupted comparison resumes (``--no-cache`` to skip; ``--force`` keeps it).

One comparison at a time writes --out (it is locked, and the outputs are built in
``<out>/.staging-<pid>`` and moved in at the end; ``--force`` removes every output of the
earlier comparison). The feature folder is read under its lock, so an extraction writing it
makes the comparison stop with an error.
- ``au_f1.csv`` / ``au_f1.md`` where AUs are annotated: per-AU detection F1 of every method (one
  binary classifier per AU, ``--au-classifier``: a linear discriminant by default; subject-grouped
  10-fold CV (at most one fold per subject) stratified on the emotions, out-of-fold predictions
  pooled; every labelled clip, whatever the protocol).
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
import importlib
import logging
import os
import sys
import time

from mefeat import _cli as cli

# The comparison's library code lives in mefeat.evaluation.comparison; its public names are re-exported
# here for code written against mefeat 0.4 (``from mefeat.compare import make_classifier`` keeps working).
from mefeat.evaluation.comparison import (
    AU_CLASSIFIER,
    AU_CLASSIFIERS,
    CLASSIFIERS,
    FIGURE_FORMATS,
    FIGURE_STEMS,
    MAX_DEFAULT_JOBS,
    OUTPUT_FILES,
    PARAM_GRIDS,
    SCALINGS,
    ComparisonResult,
    HistogramScaler,
    classifiers,
    default_protocol,
    make_classifier,
    protocol_record,
    results_caption,
    run_comparison,
    write_comparison,
)

__all__ = ["build_parser", "main", "entrypoint", "comparison_descriptors", "DEFAULT_OUT",
           # re-exported from mefeat.evaluation.comparison (backward compatibility)
           "CLASSIFIERS", "SCALINGS", "PARAM_GRIDS", "OUTPUT_FILES", "make_classifier", "HistogramScaler",
           "classifiers", "default_protocol", "run_comparison", "ComparisonResult", "results_caption",
           "protocol_record", "write_comparison"]

log = logging.getLogger("mefeat")


def __getattr__(name):
    """Other names of mefeat 0.4's compare module (SingleClassWarning, the comparison's helpers), resolved lazily."""
    if name == "SingleClassWarning":
        from mefeat.evaluation.protocol import SingleClassWarning

        return SingleClassWarning
    lib = importlib.import_module("mefeat.evaluation.comparison")
    if hasattr(lib, name):
        return getattr(lib, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Default output folder of ``python -m mefeat.compare``.
DEFAULT_OUT = "mefeat_compare"
#: Sub-folder of the output folder holding the fold cache (joblib.Memory); kept by ``--force``.
CACHE_DIR = "cache"

#: Accepted ``--dpi`` range (PNG only; a 7-inch figure at 1200 dpi is 8,400 pixels wide).
MIN_DPI, MAX_DPI = 10, 1200


def comparison_descriptors():
    """The tables the comparison extracts: every default descriptor plus ``lbp_top_megc2019``.

    In catalogue order (:func:`mefeat.catalogue.names`), which is the paper's row order.
    """
    from mefeat import catalogue

    return [n for n in catalogue.names() if catalogue.get(n).default or n == "lbp_top_megc2019"]


# --------------------------------------------------------------------------- command line
PROG = "python -m mefeat.compare"
NAME = "mefeat.compare"  # the prefix of its messages


def build_parser():
    """The argument parser of ``python -m mefeat.compare``."""
    from mefeat.extraction import DEFAULT_OUT as EXTRACT_OUT

    source = argparse.ArgumentParser(add_help=False)  # where the features come from, before the shared data group
    g = source.add_argument_group("features")
    g.add_argument("--features", metavar="DIR",
                   help="only read this output folder of `python -m mefeat.extract` (no extraction; the data "
                        "options below are not allowed)")
    g.add_argument("--extract-dir", metavar="DIR",
                   help=f"output folder the missing tables are extracted into and read from (default "
                        f"./{EXTRACT_OUT}, the folder `python -m mefeat.extract` writes)")
    from mefeat.evaluation.presets import protocol_help

    p = argparse.ArgumentParser(add_help=False)  # this command's own options, between the shared ones
    g = p.add_argument_group("evaluation")
    g.add_argument("--protocol", action="append", metavar="NAME[,NAME]",
                   help=f"protocol(s), repeatable or comma-separated: {protocol_help()} (default: dfme-10fold "
                        "for DFME and the demo set, megc2019 for the MEGC 2019 composite, loso otherwise)")
    g.add_argument("--methods", metavar="TABLE[,TABLE]", help="only these feature tables (default: all)")
    g.add_argument("--classifiers", default=",".join(CLASSIFIERS), metavar="NAME[,NAME]",
                   help=f"subset of {', '.join(CLASSIFIERS)} (default all)")
    g.add_argument("--nested", action="store_true", help="nested subject-grouped grid search per outer fold")
    g.add_argument("--random-state", type=int, default=0, help="seed of the folds and classifiers (default 0)")
    g.add_argument("--no-au", action="store_true", help="skip the per-AU detection F1 (au_f1.csv / au_f1.md)")
    g.add_argument("--min-positives", type=int, default=10, metavar="N",
                   help="per-AU detection: leave out AUs with fewer positive clips (default 10)")
    g.add_argument("--au-classifier", choices=AU_CLASSIFIERS, default=AU_CLASSIFIER,
                   help=f"per-AU detection's classifier (default {AU_CLASSIFIER}: linear discriminant, one solve for "
                        "all AUs of a fold; svm-linear: one linear SVM per AU, as mefeat 0.4)")
    g = p.add_argument_group("output")
    g.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default ./{DEFAULT_OUT})")
    g.add_argument("--force", action="store_true", help="overwrite the results of an earlier comparison in --out")
    g.add_argument("--no-cache", action="store_true",
                   help=f"do not read or write the fold cache <out>/{CACHE_DIR} (fitted predictions keyed by the "
                        "table's bytes, classifier and folds; a re-run fits only what is new)")
    g.add_argument("--figure-format", action="append", metavar="FMT[,FMT]",
                   help="figure format(s): png, pdf, svg; repeatable or comma-separated (default png,pdf)")
    g.add_argument("--dpi", type=int, default=300, help="PNG resolution (default 300)")
    execution = cli.execution_parser(
        n_jobs_help="extraction workers and folds fitted in parallel (default: all cores; the folds at most "
                    f"{MAX_DEFAULT_JOBS}, fewer when memory is short)",
        verbose_help="more log output", quiet_help="no progress, only warnings, errors and the table")
    return cli.command_parser(PROG, __doc__, source, cli.data_parser(), p, execution,
                              epilog="Protocols: dfme-10fold, dfme-split, loso, casme2-5class, megc2019, lodo. "
                                     "Classifiers: " + ", ".join(CLASSIFIERS) + ".")


def _check_args(parser, args):
    from mefeat.evaluation import protocol_preset

    if args.features:
        given = ["--extract-dir"] * bool(args.extract_dir) + cli.data_options_given(parser, args)
        if given:
            parser.error(f"{given[0]}: not allowed with --features (the folder is only read)")
    if args.extract_dir is None:
        from mefeat.extraction import DEFAULT_OUT as EXTRACT_OUT

        args.extract_dir = EXTRACT_OUT
    cli.check_data_args(parser, args)
    protocols = []
    for item in args.protocol or ():
        for name in cli.csv_list(item):
            try:
                protocols.append(protocol_preset(name).name)
            except ValueError as exc:
                parser.error(f"--protocol: {exc}")
    args.protocols = list(dict.fromkeys(protocols)) or None
    args.classifier_names = cli.csv_list(args.classifiers)
    bad = [c for c in args.classifier_names if c not in CLASSIFIERS]
    if bad or not args.classifier_names:
        parser.error(f"--classifiers: unknown {', '.join(bad) or '(none given)'}; choose from {', '.join(CLASSIFIERS)}")
    formats = [f.lower().lstrip(".") for item in (args.figure_format or ["png,pdf"]) for f in cli.csv_list(item)]
    bad = [f for f in formats if f not in FIGURE_FORMATS]
    if bad or not formats:
        parser.error(f"--figure-format: unknown {', '.join(bad) or '(none given)'}; choose from "
                     f"{', '.join(FIGURE_FORMATS)}")
    args.formats = list(dict.fromkeys(formats))
    if not MIN_DPI <= args.dpi <= MAX_DPI:
        parser.error(f"--dpi must be between {MIN_DPI} and {MAX_DPI} (journals ask 300-600 for figures), got "
                     f"{args.dpi}")
    if args.min_positives < 1:
        parser.error(f"--min-positives must be >= 1, got {args.min_positives}")
    args.method_names = cli.csv_list(args.methods) if args.methods else None


def _extract(args, argv):
    """Extract the comparison's tables into --extract-dir (reusing what is there); returns (folder, summary)."""
    from mefeat import extract_features

    if not os.path.isfile(os.path.join(args.extract_dir, "manifest.json")):
        log.warning("compare: no extraction in %s (the --extract-dir, relative to the current folder %s): "
                    "extracting every table there now; give --features DIR to compare an existing extraction",
                    os.path.abspath(args.extract_dir), os.getcwd())
    ds, info = cli.load_dataset(args)
    wanted = comparison_descriptors()
    log.info("compare: tables %s in %s (only what is missing is computed)", ", ".join(wanted), args.extract_dir)
    res = extract_features(ds, wanted, out=args.extract_dir, n_jobs=args.n_jobs, progress=not args.quiet,
                           dataset_info=info, annotation_files=cli.annotation_files(args),
                           argv=[PROG, *(argv if argv is not None else sys.argv[1:])])
    summary = {"folder": res.out, "up_to_date": res.up_to_date, "n_clips": res.n_clips, "n_failed": res.n_failed,
               "tables": {t: {"computed": int(v["computed"]), "from_cache": int(v["from_cache"])}
                          for t, v in res.tables.items()}}
    computed = {t: v["computed"] for t, v in summary["tables"].items() if v["computed"]}
    log.info("compare: extraction %s", "up to date, nothing computed" if not computed else
             "computed " + ", ".join(f"{t} ({n} clips)" for t, n in computed.items()))
    return res.out, summary



def _previous_outputs(out):
    """Relative paths of the files an earlier comparison left in ``out`` (its results.json list and known names)."""
    import json

    found = {f for f in OUTPUT_FILES if os.path.isfile(os.path.join(out, f))}
    try:
        with open(os.path.join(out, "results.json"), encoding="utf-8") as f:
            old = json.load(f)
        listed = list((old.get("files") or {}).values()) + list(old.get("figures") or [])
    except (OSError, ValueError, AttributeError):
        listed = []
    for rel in listed:
        rel = os.path.normpath(str(rel))
        if not rel.startswith("..") and not os.path.isabs(rel) and os.path.isfile(os.path.join(out, rel)):
            found.add(rel)
    fig = os.path.join(out, "figures")
    if os.path.isdir(fig) and not os.path.islink(fig):
        found |= {os.path.join("figures", n) for n in os.listdir(fig)
                  if n.startswith(FIGURE_STEMS) and os.path.splitext(n)[1].lstrip(".") in FIGURE_FORMATS}
    return found


def _swap_in(staging, out):
    """Replace the earlier comparison's files in ``out`` by those built in ``staging`` (results.json last)."""
    import shutil

    new = sorted(os.path.relpath(os.path.join(d, n), staging) for d, _, names in os.walk(staging) for n in names)
    for rel in _previous_outputs(out) - set(new):
        os.remove(os.path.join(out, rel))
    for rel in sorted(new, key=lambda r: r == "results.json"):
        os.makedirs(os.path.dirname(os.path.join(out, rel)), exist_ok=True)
        os.replace(os.path.join(staging, rel), os.path.join(out, rel))
    shutil.rmtree(staging, ignore_errors=True)
    fig = os.path.join(out, "figures")
    if os.path.isdir(fig) and not os.listdir(fig):
        os.rmdir(fig)


def _clean_staging(out):
    """Remove the staging folders of killed comparisons (we hold the lock of ``out``)."""
    import shutil

    for name in os.listdir(out):
        if name.startswith(".staging-") and os.path.isdir(os.path.join(out, name)):
            shutil.rmtree(os.path.join(out, name), ignore_errors=True)


def _read_lock(folder, holder):
    """Hold the extraction folder's lock while it is read (None when the folder is not writable)."""
    from mefeat._io import FolderLock, OutputLocked

    try:
        return FolderLock(folder, holder=holder).acquire()
    except OutputLocked as exc:
        raise OutputLocked(f"the feature folder {folder} is being written by an extraction ({exc}); wait for it to "
                           "finish, then run the comparison again") from None
    except PermissionError:
        log.info("compare: %s is read-only; read without its lock", folder)
        return None


def _compare_advice(exc):
    """An extraction error re-worded for compare: its advice names compare's options, not extract's."""
    msg = str(exc).replace("a --limit, or ", "")
    msg = msg.split("; use force=True", 1)[0]
    return (f"{msg}; give the comparison another --extract-dir (its tables are extracted there), or --features "
            "DIR to only read an existing output folder of `python -m mefeat.extract`")


def main(argv=None) -> int:
    """Run the comparison; returns the exit status (see the module docstring)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_args(parser, args)
    with cli.logging_to_stderr(args.verbose, args.quiet):
        short = "" if args.features else cli.address_space_shortfall(NAME)  # an extraction imports OpenCV
        if short:
            return cli.error(NAME, short, 1)
        try:
            with cli.signals_interrupt():
                return _run(args, argv)
        except cli.INTERRUPTS:
            print(f"{NAME}: interrupted; extracted clips are cached -- run the same command again to resume",
                  file=sys.stderr)
            return 130
        except KeyError as exc:  # a column or name the data lack: say so, not just the bare key
            return cli.error(NAME, f"missing {exc.args[0]!r} in the feature tables or clips.csv being compared"
                             if exc.args else str(exc), 2)
        except FileNotFoundError as exc:  # a file of the data or of the feature folder: bad input
            return cli.fail(NAME, exc, 2)
        except (ValueError, ImportError, OSError, cli.MefeatError) as exc:  # 2: bad input; 1: the run failed
            return cli.fail(NAME, exc)


def _run(args, argv):
    """:func:`main` once the arguments are checked: lock --out, extract or read the features, compare, write the
    results and print the table; returns the exit status."""
    from mefeat import read_clips
    from mefeat._io import FolderLock, OutputLocked
    from mefeat.evaluation import format_results
    from mefeat.extraction import ExtractionError

    out = os.path.abspath(args.out)
    command = [PROG, *(argv if argv is not None else sys.argv[1:])]
    lock = read_lock = None
    try:
        try:
            lock = FolderLock(out, holder=" ".join(command)).acquire()
        except OutputLocked as exc:
            return cli.error(NAME, str(exc).replace("another extraction", "another run"), 1)
        if os.path.exists(os.path.join(out, "results.json")) and not args.force:
            return cli.error(NAME, f"{out} holds the results of an earlier comparison; use --force to overwrite "
                             "them or choose another --out", 1)
        _clean_staging(out)
        t0 = time.perf_counter()
        if args.features:
            folder, extraction = os.path.abspath(args.features), None
            if not os.path.isfile(os.path.join(folder, "clips.csv")):
                return cli.error(NAME, f"--features {args.features}: no clips.csv; give an output folder of "
                                 "`python -m mefeat.extract`", 2)
        else:
            try:
                folder, extraction = _extract(args, argv)
            except ExtractionError as exc:
                return cli.error(NAME, _compare_advice(exc), 1)
        if os.path.realpath(folder) == os.path.realpath(out):
            return cli.error(NAME, f"--out {args.out} is the feature folder; give the comparison its own --out",
                             2)
        read_lock = _read_lock(folder, " ".join(command) + " (reading)")
        log.info("compare: features from %s", folder)
        t_extract = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = run_comparison(folder, protocols=args.protocols, methods=args.method_names,
                                classifier_names=args.classifier_names, random_state=args.random_state,
                                n_jobs=args.n_jobs, nested=args.nested, au=not args.no_au,
                                min_positives=args.min_positives, au_classifier=args.au_classifier,
                                cache=None if args.no_cache else os.path.join(out, CACHE_DIR),
                                progress=not args.quiet)
        t_eval = time.perf_counter() - t0
        clips = read_clips(folder)
        if read_lock is not None:
            read_lock.release()
            read_lock = None
        meta = {"argv": command, "features": folder, "extraction": extraction, "random_state": args.random_state,
                "nested": args.nested, "au": not args.no_au, "min_positives": args.min_positives,
                "au_classifier": args.au_classifier,
                "protocols": list(dict.fromkeys(r["protocol"] for r in result.runs)),
                "timings_s": {"extraction": round(t_extract, 3), "evaluation": round(t_eval, 3)}}
        log.info("compare: writing tables and figures (%s)", ", ".join(args.formats))
        staging = os.path.join(out, f".staging-{os.getpid()}")
        files, figures = write_comparison(result, staging, clips=clips, figure_formats=args.formats, dpi=args.dpi,
                                          meta=meta)
        _swap_in(staging, out)
    finally:
        for held in (read_lock, lock):
            if held is not None:
                held.release()
    print(format_results(result.table, "markdown", caption=results_caption(result)), end="")
    if not args.quiet:
        print(f"{NAME}: results, {len(figures)} figures and results.json in {out}", file=sys.stderr)
    return 0


def entrypoint():
    """Console-script entry point (``mefeat-compare``): :func:`main`, then exit at once (the extraction's idle
    loky workers are killed, not shut down in order)."""
    cli.run_entrypoint(main)


if __name__ == "__main__":  # run the imported module, so that pickles (cache, workers) name mefeat.compare's classes
    from mefeat.compare import entrypoint as _entrypoint

    _entrypoint()
