"""Extract micro-expression features from a database: ``python -m mefeat.extract``.

With no arguments, generates (once) the built-in demo data set and runs every default
descriptor on it -- face alignment, temporal normalisation (TIM), optical flow, then the
descriptors -- writing one feature table per descriptor, ``clips.csv`` and ``manifest.json`` to
``./mefeat_output``. Read the results with ``mefeat.read_features(out, name)`` and
``mefeat.read_clips(out)``.

This command is a thin layer over :func:`mefeat.extract_features` (same parameters, same
numbers): parameters are checked before any clip is read, an interrupted run started again
computes only what is missing, and existing outputs are replaced only with --force (and then
only once the new ones are complete).

Examples::

    python -m mefeat.extract                                  # demo set, every default descriptor
    python -m mefeat.extract --list-descriptors               # descriptors, parameters, defaults
    python -m mefeat.extract --dataset casme2 --root CASME2/CASME2-RAW \\
        --annotations CASME2-coding-20140508.xlsx --descriptors lbp_top,bi_woof \\
        --param lbp_top.n_points=4,4,4 --out casme2_features --n-jobs 2
    python -m mefeat.extract --preview 4 ...                  # figures of the preprocessing of 4 clips
    python -m mefeat.extract --backend dask --scheduler tcp://10.0.0.5:8786 ...

Exit status: 0 done; 1 the run failed (every clip failed, --strict and some failed, the output
folder is held by another run or holds other results, a write failed); 2 bad arguments,
parameters or input files (or a backend that is not installed); 130 interrupted.
"""

import argparse
import logging
import os
import signal
import sys

__all__ = ["build_parser", "main", "entrypoint", "load_dataset_from_args"]

log = logging.getLogger("mefeat")

DATASETS = ("demo", "dfme", "casme2", "samm", "smic", "casme3", "mmew", "megc2019", "manifest")


def positive_int(text):
    """argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def n_jobs_type(text):
    """argparse type of ``--n-jobs``: -1 (all cores) or a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(f"must be -1 (all cores) or >= 1, got {value}")
    return value


def build_parser():
    """The argument parser of ``python -m mefeat.extract``."""
    from mefeat import __version__
    from mefeat.catalogue import PRESETS
    from mefeat.extraction import DEFAULT_OUT

    p = argparse.ArgumentParser(prog="python -m mefeat.extract", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Descriptors and their parameters: --list-descriptors")
    p.add_argument("--version", action="version", version=f"mefeat {__version__}")
    p.add_argument("--list-descriptors", action="store_true",
                   help="print every descriptor and preprocessing stage with its parameters and defaults, then exit")
    g = p.add_argument_group("data")
    g.add_argument("--dataset", default="demo", choices=DATASETS,
                   help="database to read (default: the built-in demo set, generated on first use)")
    g.add_argument("--root", action="append", dest="roots", metavar="ROOT",
                   help="database folder (demo: where to keep the generated set, default $MEFEAT_DATA_DIR or "
                        "~/.cache/mefeat); megc2019: repeat as NAME=PATH (casme2=, samm=, smic=)")
    g.add_argument("--annotations", action="append", metavar="FILE",
                   help="annotation sheet the database ships (repeatable: DFME's three split sheets; megc2019 "
                        "NAME=PATH with gt= for the ground truth; optional for smic)")
    g.add_argument("--modality", choices=["HS", "VIS", "NIR"], type=str.upper,
                   help="SMIC modality (--dataset smic only; default HS)")
    g.add_argument("--seed", type=int, default=0, help="demo set seed (default 0)")
    g.add_argument("--demo-size", choices=["full", "small", "tiny"], default="full",
                   help="demo set size (default full: 140 clips; tiny: 6 clips for quick looks)")
    g.add_argument("--limit", type=positive_int, help="only the first N clips (a quick look)")
    g = p.add_argument_group("features")
    g.add_argument("--descriptors", default="default",
                   help="comma-separated names, 'default' or 'all'; ALIAS=NAME writes descriptor NAME to the table "
                        "ALIAS (e.g. lbp_top_p4=lbp_top with --param lbp_top_p4.n_points=4,4,4)")
    g.add_argument("--preset", choices=sorted(PRESETS),
                   help="a published pipeline: its descriptors (unless --descriptors names others) and parameters "
                        "(--param overrides them), e.g. li2018 (see --list-descriptors)")
    g.add_argument("--param", action="append", default=[], metavar="NAME.KEY=VALUE",
                   help="descriptor or stage parameter, e.g. lbp_top.radii=1,1,4, tim.n_frames=10, face.size=128, "
                        "flow.method=tvl1 (repeatable; see --list-descriptors)")
    g = p.add_argument_group("output")
    g.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default ./{DEFAULT_OUT})")
    g.add_argument("--format", default="csv", choices=["csv", "npz"], help="feature table format (default csv)")
    g.add_argument("--cache-dir", help="per-clip cache (default <out>/cache; share one between folders to reuse "
                                       "results); 'none' disables it")
    g.add_argument("--force", action="store_true",
                   help="replace every table in --out by the requested ones (the new outputs are moved in only "
                        "once complete; the cache is reused)")
    g.add_argument("--strict", action="store_true", help="exit with status 1 if any clip failed")
    g.add_argument("--preview", type=positive_int, metavar="N",
                   help="instead of extracting, write one figure per clip for the first N clips to <out>/preview "
                        "(raw frame, face box, landmarks, aligned onset/apex, MDMO regions, flow, strain)")
    g.add_argument("--figure-format", default="png", choices=["png", "pdf", "svg"], help="--preview figure format")
    g = p.add_argument_group("execution")
    g.add_argument("--n-jobs", type=n_jobs_type, default=None, help="worker processes (default: all cores)")
    g.add_argument("--backend", default="loky", choices=["loky", "dask"], help="joblib backend (default loky)")
    g.add_argument("--scheduler", help="dask scheduler address (default: start a local cluster)")
    g.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: per clip)")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar, only warnings and errors")
    return p


def _named(items, flag):
    out = {}
    for it in items or ():
        if "=" not in it:
            raise ValueError(f"{flag} {it!r}: --dataset megc2019 needs NAME=PATH items (casme2=..., samm=..., "
                             "smic=..., and gt=... for the ground-truth csv)")
        k, v = it.split("=", 1)
        out[k.strip().lower()] = v
    return out


def load_dataset_from_args(args):
    """The data set named by --dataset/--root/--annotations and a description of it for the manifest."""
    from mefeat import datasets

    name, root = args.dataset, (args.roots[-1] if args.roots else None)
    if name == "demo":
        ds = datasets.load_demo(args.seed, data_dir=root, size=args.demo_size)
        return ds, {"name": "demo", "seed": args.seed, "size": args.demo_size}
    if name == "smic":
        if not root:
            raise ValueError("--dataset smic needs --root (the database folder)")
        if args.annotations and len(args.annotations) > 1:
            raise ValueError("--dataset smic takes at most one --annotations sheet")
        ann = args.annotations[0] if args.annotations else None
        modality = args.modality or "HS"
        return (datasets.load_smic(root, ann, modality=modality),
                {"name": "smic", "root": os.path.abspath(root), "modality": modality})
    if not args.annotations:
        raise ValueError(f"--dataset {name} needs --annotations (the database's annotation sheet)")
    if name == "manifest":
        return (datasets.load_manifest(args.annotations[0], root=root),
                {"name": "manifest", "annotations": os.path.abspath(args.annotations[0])})
    if name == "megc2019":
        roots, ann = _named(args.roots, "--root"), _named(args.annotations, "--annotations")
        ds = datasets.load_megc2019(
            casme2_root=roots.get("casme2"), casme2_annotations=ann.get("casme2"),
            samm_root=roots.get("samm"), samm_annotations=ann.get("samm"),
            smic_root=roots.get("smic"), smic_annotations=ann.get("smic"), gt=ann.get("gt"))
        return ds, {"name": "megc2019", "roots": {k: os.path.abspath(v) for k, v in sorted(roots.items())}}
    if not root:
        raise ValueError(f"--dataset {name} needs --root (the database folder)")
    loader = {"dfme": datasets.load_dfme, "casme2": datasets.load_casme2, "samm": datasets.load_samm,
              "casme3": datasets.load_casme3, "mmew": datasets.load_mmew}[name]
    ann = args.annotations if name == "dfme" else args.annotations[0]
    return loader(root, ann), {"name": name, "root": os.path.abspath(root)}


def _error(msg, code):
    print(f"mefeat.extract: error: {msg}", file=sys.stderr)
    return code


def _configure_logging(verbose, quiet):
    level = logging.WARNING if quiet else (logging.INFO if verbose < 2 else logging.DEBUG)
    logger = logging.getLogger("mefeat")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s" if verbose == 0 else "%(asctime)s %(name)s: %(message)s",
                                           "%H:%M:%S"))
    handler._mefeat_cli = True
    for h in [h for h in logger.handlers if getattr(h, "_mefeat_cli", False)]:
        logger.removeHandler(h)
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    for name in ("distributed", "bokeh", "tornado"):
        logging.getLogger(name).setLevel(logging.ERROR if quiet or not verbose else logging.WARNING)
    if quiet:  # worker processes inherit it: no compile notice from them either
        os.environ["MEFEAT_QUIET"] = "1"
    return handler


class _Terminated(BaseException):
    """SIGINT, SIGTERM or SIGHUP (a closed terminal), turned into an exception so that workers and
    temporary files are cleaned up.

    Not a KeyboardInterrupt: Dask's client code catches that one while it waits for the cluster.
    """


def _on_signal(signum, frame):
    raise _Terminated()


#: Address space (``ulimit -v``) below which the command refuses to start: OpenCV, numba, scikit-learn and one
#: worker's arrays need about 2 GiB of virtual memory (measured: the tiny demo fails at 1.6 GiB, runs at 2 GiB);
#: under a tighter limit ``import cv2`` can crash the interpreter with no message.
MIN_ADDRESS_SPACE = 2 * 1024 ** 3


def _address_space_shortfall():
    """Why the process's address-space limit is too small to run, or ''."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return ""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft >= MIN_ADDRESS_SPACE:
        return ""
    return (f"the address-space limit (ulimit -v) is {soft / 1024 ** 3:.2f} GiB; mefeat.extract needs at least "
            f"{MIN_ADDRESS_SPACE / 1024 ** 3:.0f} GiB of virtual memory (OpenCV, numba and the workers' arrays): "
            "raise the limit")


def main(argv=None):
    """Run the command; returns the exit status (see the module docstring)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list_descriptors:
        from mefeat import catalogue

        print(catalogue.describe())
        return 0
    if args.preset:  # the preset's tables unless --descriptors names others (its parameters: see _main)
        from mefeat import catalogue

        tables = catalogue.get_preset(args.preset).request(args.descriptors)[0]
        args.descriptors = tables if isinstance(tables, str) else ",".join(tables)
    if args.modality and args.dataset != "smic":
        parser.error(f"--modality: only allowed with --dataset smic (got --dataset {args.dataset})")
    if args.dataset != "megc2019" and args.roots and len(args.roots) > 1:
        parser.error("--root: given several times; only --dataset megc2019 takes several (NAME=PATH)")
    if args.scheduler and args.backend != "dask":
        parser.error("--scheduler: only allowed with --backend dask")
    if args.demo_size != "full" and args.dataset != "demo":
        parser.error("--demo-size: only allowed with --dataset demo")
    handler = _configure_logging(args.verbose, args.quiet)
    short = _address_space_shortfall()
    if short:
        logging.getLogger("mefeat").removeHandler(handler)
        print(f"mefeat.extract: error: {short}", file=sys.stderr)
        return 1
    from mefeat import extraction

    old_term = signal.signal(signal.SIGTERM, _on_signal)
    old_int = signal.signal(signal.SIGINT, _on_signal)
    old_hup = signal.signal(signal.SIGHUP, _on_signal) if hasattr(signal, "SIGHUP") else None
    try:
        if not args.preview:
            # a first run in a new environment compiles its kernels in the workers while this process starts up
            extraction.compile_ahead(args.descriptors, args.n_jobs, args.backend)
        return _main(parser, args, argv)
    except (KeyboardInterrupt, _Terminated):
        print("mefeat.extract: interrupted; finished clips are cached -- run the same command again to resume",
              file=sys.stderr)
        return 130
    finally:
        try:
            extraction.end_compile_ahead()  # a compile the run did not need (an error, nothing to compute)
        finally:
            signal.signal(signal.SIGTERM, old_term)
            signal.signal(signal.SIGINT, old_int)
            if old_hup is not None:
                signal.signal(signal.SIGHUP, old_hup)
            logging.getLogger("mefeat").removeHandler(handler)


def _main(parser, args, argv):
    from mefeat import catalogue
    from mefeat._io import OutputLocked
    from mefeat.extraction import ExtractionError, extract_features

    params = {}
    for item in args.param:
        key, eq, value = item.partition("=")
        if not eq or "." not in key:
            parser.error(f"--param {item!r}: expected NAME.KEY=VALUE, e.g. lbp_top.radii=1,1,4")
        params[key.strip()] = value
    try:  # every descriptor and parameter is checked before the data set is even opened
        if args.preset:  # the preset's parameters, with --param on top
            params = catalogue.get_preset(args.preset).request(args.descriptors, params)[1]
        resolved = catalogue.resolve(args.descriptors, params)
    except ValueError as exc:
        return _error(str(exc), 2)
    try:
        try:
            ds, info = load_dataset_from_args(args)
        except (ValueError, FileNotFoundError, OSError) as exc:
            return _error(str(exc), 2)
        if args.limit is not None:
            ds = ds.subset(range(min(args.limit, len(ds))))
        if args.preview:
            return _preview(ds, args, resolved)
        extract_features(ds, args.descriptors, params, out=args.out, n_jobs=args.n_jobs, backend=args.backend,
                         scheduler=args.scheduler, cache_dir=args.cache_dir, force=args.force, strict=args.strict,
                         fmt=args.format, progress=not args.quiet, dataset_info=info,
                         annotation_files=[a.split("=", 1)[1] if args.dataset == "megc2019" and "=" in a else a
                                           for a in (args.annotations or [])],
                         argv=["python -m mefeat.extract", *(argv if argv is not None else sys.argv[1:])])
        return 0
    except (ValueError, ImportError) as exc:
        return _error(str(exc), 2)
    except (ExtractionError, OutputLocked) as exc:
        return _error(str(exc), 1)
    except OSError as exc:
        if args.verbose:
            import traceback

            traceback.print_exc()
        return _error(str(exc), 1)
    except MemoryError as exc:  # numpy's says what it could not allocate; a bare one says nothing
        return _error(f"out of memory{': ' + str(exc) if str(exc) else ''}; finished clips are cached. Run again "
                      "with fewer workers (--n-jobs 1), or free memory (each worker holds one clip's frames)", 1)


def _preview_settings(resolved):
    """The :func:`mefeat.plot.preview_clip` arguments that show the run's preprocessing, and what they cannot show.

    Parameters
    ----------
    resolved : mefeat.catalogue.Resolved
        The run's validated settings (:func:`mefeat.catalogue.resolve` of its descriptors and
        ``--param`` values).

    Returns
    -------
    kwargs : dict
        Every face stage setting that ``preview_clip`` takes under the same name, the flow
        backend as ``flow_method`` and, when ``preview_clip`` takes them, the backend's
        parameters (``flow_params``) and the magnification settings (``magnify``).
    not_shown : list of str
        ``"stage.key=value"`` for each setting of the run that differs from its default and that
        the figure cannot show (it is drawn as if that setting had its default).

    Notes
    -----
    The arguments are matched to ``preview_clip``'s signature by name, so a preprocessing
    setting the figure learns to draw is passed on without a change here. ``tim.*`` settings
    never matter: the figure shows the aligned onset and apex frames, which TIM does not change.
    """
    import inspect

    from mefeat import catalogue
    from mefeat.flow import FLOW_METHODS
    from mefeat.plot import preview_clip

    accepted = set(inspect.signature(preview_clip).parameters)
    face_defaults = catalogue._stage_parameters("face")
    kwargs, not_shown = {}, []
    for key, value in resolved.face.items():
        if key in accepted:
            kwargs[key] = value
        elif value != face_defaults.get(key):
            not_shown.append(f"face.{key}={catalogue._fmt(value)}")
    flow = {k: v for k, v in resolved.flow.items() if k != "method"}
    kwargs["flow_method"] = resolved.flow["method"]
    if "flow_params" in accepted:
        kwargs["flow_params"] = flow
    else:
        not_shown += [f"flow.{k}={catalogue._fmt(v)}" for k, v in flow.items()
                      if v != FLOW_METHODS[resolved.flow["method"]].get(k)]
    magnify = resolved.magnify
    if magnify and "magnify" in accepted:
        kwargs["magnify"] = magnify
    elif magnify:
        not_shown += [f"magnify.{k}={catalogue._fmt(v)}" for k, v in magnify.items()]
    return kwargs, not_shown


def _preview(ds, args, resolved):
    """``--preview N``: one figure of the preprocessing per clip, for the first N clips, with the run's settings."""
    from mefeat._io import FolderLock
    from mefeat.plot import save_preview

    kwargs, not_shown = _preview_settings(resolved)
    if not_shown:
        log.warning("--preview: the figures cannot show %s; they are drawn with the default%s of %s (the "
                    "extraction uses your settings)", ", ".join(not_shown), "s" if len(not_shown) > 1 else "",
                    "these" if len(not_shown) > 1 else "this")
    folder = os.path.join(os.path.abspath(args.out), "preview")
    with FolderLock(os.path.abspath(args.out), holder="python -m mefeat.extract --preview"):
        os.makedirs(folder, exist_ok=True)
        written = []
        for i in range(min(args.preview, len(ds))):
            row = ds.row(i)
            name = f"{row['dataset']}_{row['subject']}_{row['clip']}".replace(os.sep, "_")
            try:
                clip = ds[i]
            except (OSError, ValueError) as exc:
                log.warning("preview of %s skipped: %s", name, exc)
                continue
            path = save_preview(clip, os.path.join(folder, f"{name}.{args.figure_format}"), **kwargs)
            written.append(path)
            log.info("preview: %s", path)
    log.info("mefeat.extract: %d preview figure(s) in %s", len(written), folder)
    return 0 if written else 1


def entrypoint():
    """Console-script entry point (``mefeat-extract`` and ``python -m mefeat.extract``): :func:`main`, then
    exit at once. The run's loky workers are idle by then; they are killed instead of shut down in
    order at interpreter exit (about 0.3 s on 2 cores). :func:`main` keeps them for a caller that
    runs it again in the same process."""
    status = main()
    from mefeat.extraction import backends

    backends.kill_loky_workers()
    sys.exit(status)


if __name__ == "__main__":
    entrypoint()
