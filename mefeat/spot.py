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

__all__ = ["build_parser", "main", "entrypoint", "DEFAULT_OUT"]

log = logging.getLogger("mefeat")

DEFAULT_OUT = "mefeat_spot_output"
DATASETS = ("demo", "demo_samm", "casme_sq", "samm_lv")


def build_parser():
    """The argument parser of ``python -m mefeat.spot``."""
    from mefeat import __version__

    p = argparse.ArgumentParser(prog="python -m mefeat.spot", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"mefeat {__version__}")
    g = p.add_argument_group("data")
    g.add_argument("--dataset", default="demo", choices=DATASETS,
                   help="demo (CAS(ME)² layout, 30 fps; default), demo_samm (SAMM-LV layout, 200 fps), "
                        "casme_sq, samm_lv")
    g.add_argument("--root",
                   help="database folder (demo: where to keep it, default $MEFEAT_DATA_DIR or ~/.cache/mefeat)")
    g.add_argument("--annotations", help="the database's annotation sheet (casme_sq, samm_lv)")
    g.add_argument("--videos", type=int, default=None, metavar="N", help="only the first N videos")
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
    g.add_argument("--n-jobs", type=int, default=1, help="videos spotted in parallel (joblib; -1: all cores)")
    g.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    return p


def _error(msg, code):
    print(f"mefeat.spot: error: {msg}", file=sys.stderr)
    return code


def _is_spot_output(folder):
    import json

    try:
        with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
            return json.load(f).get("command") == "python -m mefeat.spot"
    except (OSError, ValueError, AttributeError):
        return False


def _load(args):
    from mefeat.datasets import load_casme_sq, load_long_demo, load_samm_lv

    if args.dataset in ("demo", "demo_samm"):
        if args.annotations:
            raise ValueError("--annotations is not used with the demo")
        return load_long_demo(layout="casme_sq" if args.dataset == "demo" else "samm_lv", data_dir=args.root)
    if not args.root or not args.annotations:
        raise ValueError(f"--dataset {args.dataset} needs --root and --annotations")
    return (load_casme_sq if args.dataset == "casme_sq" else load_samm_lv)(args.root, args.annotations)


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
    if args.n_jobs == 0 or args.n_jobs < -1:
        parser.error(f"--n-jobs must be -1 or >= 1, got {args.n_jobs}")
    if args.videos is not None and args.videos < 1:
        parser.error(f"--videos must be >= 1, got {args.videos}")
    out = os.path.abspath(args.out)
    if os.path.exists(out) and not args.force:
        return _error(f"output folder {out!r} exists; use --force to replace it", 2)
    if os.path.exists(out) and not _is_spot_output(out):
        return _error(f"output folder {out!r} exists and is not the output of python -m mefeat.spot; not replaced", 2)
    try:
        ds = _load(args)
    except (OSError, ValueError) as exc:
        return _error(str(exc), 2)
    try:
        return _run(args, ds, out)
    except KeyboardInterrupt:
        return _error("interrupted", 130)
    except (OSError, ValueError, RuntimeError) as exc:
        return _error(str(exc), 1)


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
        manifest = {"mefeat_version": __version__, "command": "python -m mefeat.spot", "dataset": ds.name,
                    "n_videos": len(videos), "spotter": type(spotter).__name__,
                    "spotter_params": spotter.get_params(),
                    "iou": args.iou, "descriptor": None if args.no_str else args.descriptor,
                    "annotations": None if not args.annotations else {
                        "path": os.path.abspath(args.annotations), "sha256": sha256_file(args.annotations)},
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
    """console_scripts entry point (``mefeat-spot``)."""
    sys.exit(main())


if __name__ == "__main__":
    sys.exit(main())
