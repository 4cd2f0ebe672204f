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
import sys

from mefeat import _cli as cli

__all__ = ["build_parser", "main", "entrypoint", "load_dataset_from_args"]

log = logging.getLogger("mefeat")

PROG = "python -m mefeat.extract"
NAME = "mefeat.extract"  # the prefix of its messages


def build_parser():
    """The argument parser of ``python -m mefeat.extract``."""
    from mefeat.catalogue import PRESETS
    from mefeat.extraction import DEFAULT_OUT
    from mefeat.extraction.output import FORMATS

    p = argparse.ArgumentParser(add_help=False)  # this command's own options, between the shared ones
    p.add_argument("--list-descriptors", action="store_true",
                   help="print every descriptor and preprocessing stage with its parameters and defaults, then exit")
    g = p.add_argument_group("data")  # merged into the shared "data" group
    g.add_argument("--limit", type=cli.positive_int, help="only the first N clips (a quick look)")
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
    g.add_argument("--format", default=FORMATS[0], choices=FORMATS, help="feature table format (default csv)")
    g.add_argument("--cache-dir", help="per-clip cache (default <out>/cache; share one between folders to reuse "
                                       "results); 'none' disables it")
    g.add_argument("--force", action="store_true",
                   help="replace every table in --out by the requested ones (the new outputs are moved in only "
                        "once complete; the cache is reused)")
    g.add_argument("--strict", action="store_true", help="exit with status 1 if any clip failed")
    g.add_argument("--preview", type=cli.positive_int, metavar="N",
                   help="instead of extracting, write one figure per clip for the first N clips to <out>/preview "
                        "(raw frame, face box, landmarks, aligned onset/apex, MDMO regions, flow, strain)")
    g.add_argument("--figure-format", default="png", choices=["png", "pdf", "svg"], help="--preview figure format")
    return cli.command_parser(PROG, __doc__, cli.data_parser(), p, cli.execution_parser(backends=True),
                              epilog="Descriptors and their parameters: --list-descriptors")


#: The data set named by --dataset/--root/--annotations and a description of it for the manifest.
load_dataset_from_args = cli.load_dataset


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
    cli.check_data_args(parser, args)
    cli.check_execution_args(parser, args)
    with cli.logging_to_stderr(args.verbose, args.quiet):
        short = cli.address_space_shortfall(NAME)
        if short:
            return cli.error(NAME, short, 1)
        from mefeat import extraction

        try:
            with cli.signals_interrupt():
                try:
                    if not args.preview:
                        # a first run in a new environment compiles its kernels in the workers while this process
                        # starts up
                        extraction.compile_ahead(args.descriptors, args.n_jobs, args.backend)
                    return _main(parser, args, argv)
                finally:
                    extraction.end_compile_ahead()  # a compile the run did not need (an error, nothing to compute)
        except cli.INTERRUPTS:
            print(f"{NAME}: interrupted; finished clips are cached -- run the same command again to resume",
                  file=sys.stderr)
            return 130


def _main(parser, args, argv):
    from mefeat import catalogue
    from mefeat.extraction import extract_features

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
        return cli.fail(NAME, exc)
    try:
        try:
            ds, info = load_dataset_from_args(args)
        except (ValueError, OSError) as exc:  # a file the data set needs cannot be read: bad input
            return cli.fail(NAME, exc, 2)
        if args.limit is not None:
            ds = ds.subset(range(min(args.limit, len(ds))))
        if args.preview:
            return _preview(ds, args, resolved)
        extract_features(ds, args.descriptors, params, out=args.out, n_jobs=args.n_jobs, backend=args.backend,
                         scheduler=args.scheduler, cache_dir=args.cache_dir, force=args.force, strict=args.strict,
                         fmt=args.format, progress=not args.quiet, dataset_info=info,
                         annotation_files=cli.annotation_files(args),
                         argv=[PROG, *(argv if argv is not None else sys.argv[1:])])
        return 0
    except (ValueError, ImportError, cli.MefeatError) as exc:  # 2: bad input; 1: the run failed (cli.exit_status)
        return cli.fail(NAME, exc)
    except OSError as exc:
        if args.verbose:
            import traceback

            traceback.print_exc()
        return cli.fail(NAME, exc)
    except MemoryError as exc:  # numpy's says what it could not allocate; a bare one says nothing
        return cli.error(NAME, f"out of memory{': ' + str(exc) if str(exc) else ''}; finished clips are cached. "
                         "Run again with fewer workers (--n-jobs 1), or free memory (each worker holds one clip's "
                         "frames)", 1)


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
    with FolderLock(os.path.abspath(args.out), holder=f"{PROG} --preview"):
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
    cli.run_entrypoint(main)


if __name__ == "__main__":
    entrypoint()
