"""Spot micro- and macro-expressions in long videos, evaluate, and spot-then-recognise: ``python -m mefeat.spot``.

With no arguments, generates (once) the long-video demo in CAS(ME)²'s layout, spots it with the
MDMD spotter at the MEGC 2020 baseline's settings, evaluates the intervals (one-to-one and
``megc2020`` counting), recognises the spotted intervals (TIM -> LBP-TOP -> linear SVM trained
leave-one-subject-out on the annotated intervals), scores STRS, and writes ``predictions.csv``,
``evaluation.csv``, ``strs.json``, ``spotting_<video>.png`` and ``manifest.json`` to
``./mefeat_spot_output``; a summary goes to stdout (``-q``: none).

Examples::

    python -m mefeat.spot                                         # the demo, end to end
    python -m mefeat.spot --dataset casme_sq --root CASME_sq --annotations "CAS(ME)^2code_final.xlsx"
    python -m mefeat.spot --dataset samm_lv --root SAMM_longvideos \\
        --annotations SAMM_LongVideos_V1_Release.xlsx --align --no-str --n-jobs 2

The output folder is replaced only with --force, and only once the new results are complete.
Exit status: 0 done; 1 the run failed; 2 bad arguments or input files; 130 interrupted.
"""

import argparse
import logging
import os
import shutil
import sys
import tempfile

from mefeat import _cli as cli

__all__ = ["build_parser", "main", "entrypoint", "DEFAULT_OUT"]

log = logging.getLogger("mefeat")

PROG = "python -m mefeat.spot"
NAME = "mefeat.spot"  # the prefix of its messages
DEFAULT_OUT = "mefeat_spot_output"


def build_parser():
    """The argument parser of ``python -m mefeat.spot``."""
    p = argparse.ArgumentParser(add_help=False)  # this command's own options, between the shared ones
    g = p.add_argument_group("data")  # merged into the shared "data" group
    g.add_argument("--videos", type=cli.positive_int, default=None, metavar="N", help="only the first N videos")
    g.add_argument("--align", action="store_true", help="align the faces (one transform per video); off for the demo")
    g = p.add_argument_group("spotting")
    g.add_argument("--spotter", default="mdmd", choices=("mdmd", "lbp_chi2"))
    g.add_argument("--p", type=float, default=None, help="threshold fraction p (default: the spotter's, 0.01)")
    g.add_argument("--iou", type=float, default=0.5)
    g = p.add_argument_group("spot-then-recognise")
    g.add_argument("--no-str", action="store_true", help="spot and evaluate only")
    g.add_argument("--descriptor", default="lbp_top", help="catalogue descriptor of the recognition (default lbp_top)")
    g = p.add_argument_group("output")
    g.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default ./{DEFAULT_OUT})")
    g.add_argument("--force", action="store_true", help="replace an existing output folder")
    execution = cli.execution_parser(n_jobs_default=1, n_jobs_help="videos spotted in parallel (joblib; -1: all cores)",
                                     verbose_help="more log output", quiet_help="no summary on stdout, only warnings "
                                                                                "and errors on stderr")
    return cli.command_parser(PROG, __doc__, cli.data_parser(cli.LONG_VIDEO_DATASETS), p, execution)


def _is_spot_output(folder):
    import json

    try:
        with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
            return json.load(f).get("command") == PROG
    except (OSError, ValueError, AttributeError):
        return False


def _spot_video(spotter, ds, video, fps, align):
    paths, numbers = ds.frame_paths(video)
    signals = spotter.signals(paths, fps=fps, align=align)
    return signals, spotter.intervals(signals, fps=fps, video=video, frame_numbers=numbers), numbers


def main(argv=None):
    """Run the command; returns the exit status (see the module docstring)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 0 < args.iou <= 1:
        parser.error(f"--iou must be in (0, 1], got {args.iou}")
    if args.p is not None and not 0 <= args.p <= 1:
        parser.error(f"--p must be in [0, 1], got {args.p}")
    cli.check_data_args(parser, args, cli.LONG_VIDEO_DATASETS)
    out = os.path.abspath(args.out)
    if os.path.exists(out) and not args.force:
        return cli.error(NAME, f"output folder {out!r} exists; use --force to replace it", 2)
    if os.path.exists(out) and not _is_spot_output(out):
        return cli.error(NAME, f"output folder {out!r} exists and is not the output of {PROG}; not replaced", 2)
    with cli.logging_to_stderr(args.verbose, args.quiet):
        short = cli.address_space_shortfall(NAME)
        if short:
            return cli.error(NAME, short, 1)
        try:
            with cli.signals_interrupt():
                try:
                    ds = cli.load_dataset(args, cli.LONG_VIDEO_DATASETS)[0]
                except (OSError, ValueError) as exc:  # a file the data set needs cannot be read: bad input
                    return cli.fail(NAME, exc, 2)
                return _run(args, ds, out)
        except cli.INTERRUPTS:
            print(f"{NAME}: interrupted (an output folder is replaced only once the new results are complete)",
                  file=sys.stderr)
            return 130
        except (OSError, ValueError, RuntimeError, cli.MefeatError) as exc:  # 2: bad input; 1: the run failed
            return cli.fail(NAME, exc)


def _run(args, ds, out):
    import pandas as pd
    from joblib import Parallel, delayed

    from mefeat import __version__
    from mefeat._io import replace_folder, sha256_file, write_csv, write_json
    from mefeat.spotting import evaluate_spotting
    from mefeat.spotting.plots import plot_spotting
    from mefeat.spotting.spotters import LBPChi2Spotter, MDMDSpotter

    spotter = MDMDSpotter() if args.spotter == "mdmd" else LBPChi2Spotter()
    if args.p is not None:
        spotter.p = args.p
    videos = list(ds.videos["video"])[:args.videos]
    fps = {v: float(f) for v, f in zip(ds.videos["video"], ds.videos["fps"])}
    results = Parallel(n_jobs=args.n_jobs)(delayed(_spot_video)(spotter, ds, v, fps[v], args.align) for v in videos)
    preds = pd.concat([r[1] for r in results], ignore_index=True)
    gt = ds.intervals[ds.intervals["video"].isin(videos)]
    truth = gt[["video", "onset", "offset", "type"]]
    ev = {m: evaluate_spotting(truth, preds, iou=args.iou, method=m) for m in ("one_to_one", "megc2020")}
    table = pd.concat(ev, names=["method", "type"]).reset_index()
    strs = None
    if not args.no_str:
        from mefeat.spotting.recognise import spot_then_recognise

        res = spot_then_recognise(ds, preds, descriptor=args.descriptor, align=args.align, iou=args.iou,
                                  videos=videos)
        preds = res["predictions"]
        strs = {k: {n: v for n, v in res[k].items() if n != "per_class"} | {
            "per_class": res[k]["per_class"].reset_index().to_dict("records")} for k in ("strs", "strs_compat")}
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="." + os.path.basename(out) + ".tmp-", dir=parent)
    try:
        write_csv(os.path.join(tmp, "predictions.csv"), preds)
        write_csv(os.path.join(tmp, "evaluation.csv"), table)
        if strs is not None:
            write_json(os.path.join(tmp, "strs.json"), strs)
        v0 = videos[0]
        signals, _, numbers = results[0]
        events = None if ds.events is None else ds.events[ds.events["video"] == v0]
        fig = plot_spotting(signals, ground_truth=gt[gt["video"] == v0], predictions=preds[preds["video"] == v0],
                            frame_numbers=numbers, fps=fps[v0], p=spotter.p, events=events,
                            title=f"{ds.name} video {v0}: {args.spotter} spotting (p = {spotter.p})")
        figure = os.path.join(tmp, f"spotting_{v0}.png")
        fig.savefig(figure, dpi=110)
        manifest = {"mefeat_version": __version__, "command": PROG, "dataset": ds.name,
                    "n_videos": len(videos), "spotter": type(spotter).__name__,
                    "spotter_params": spotter.get_params(),
                    "iou": args.iou, "descriptor": None if args.no_str else args.descriptor,
                    "annotations": None if not args.annotations else {
                        "path": os.path.abspath(args.annotations[0]), "sha256": sha256_file(args.annotations[0])},
                    "files": {f: sha256_file(os.path.join(tmp, f)) for f in sorted(os.listdir(tmp))}}
        write_json(os.path.join(tmp, "manifest.json"), manifest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_folder(tmp, out)
    if not args.quiet:
        with pd.option_context("display.width", 120, "display.precision", 3):
            print(f"{ds.name}: {len(videos)} videos, {len(gt)} annotated intervals, {len(preds)} spotted "
                  f"({args.spotter}, p = {spotter.p})")
            print(table.to_string(index=False))
            if strs is not None:
                for k in ("strs", "strs_compat"):
                    s = strs[k]
                    print(f"{k}: STRS {s['strs']:.3f} = spotting F1 {s['f1_spot']:.3f} x analysis F1 "
                          f"{s['f1_analysis']:.3f} (TP {s['tp_spot']}, FP {s['fp_spot']}, FN {s['fn_spot']})")
            print(f"written to {out}")
    return 0


def entrypoint():
    """Console-script entry point (``mefeat-spot`` and ``python -m mefeat.spot``): :func:`main`, then exit."""
    cli.run_entrypoint(main)


if __name__ == "__main__":
    entrypoint()
