"""What every mefeat command shares: its parser's data and execution options, its data sets, its
error path, its logging and its handling of signals.

``python -m mefeat.extract``, ``python -m mefeat.compare`` and ``python -m mefeat.spot`` build
their parsers from the parent parsers here (:func:`data_parser`, :func:`execution_parser`),
read their data through one table of data sets (:data:`DATASETS`, :data:`LONG_VIDEO_DATASETS`,
each entry naming a loader of :mod:`mefeat.datasets`), report every failure through
:func:`error` / :func:`fail` with the exit status of :func:`exit_status`, log through
:func:`logging_to_stderr` and turn SIGINT, SIGTERM and SIGHUP into :class:`Terminated`
(:func:`signals_interrupt`). This module imports nothing heavy at import time; the commands
import it, and it imports no command.

Exit status, for every command: 0 done; 1 the run failed; 2 bad arguments, parameters or input
files; 130 interrupted.
"""

import argparse
import contextlib
import dataclasses
import inspect
import logging
import os
import signal
import sys
import threading

from mefeat.exceptions import MefeatError

__all__ = ["MefeatError", "DataSource", "DataTable", "DATASETS", "LONG_VIDEO_DATASETS", "Terminated", "INTERRUPTS",
           "MIN_ADDRESS_SPACE",
           "command_parser", "data_parser", "execution_parser", "check_data_args", "check_execution_args",
           "data_options_given", "load_dataset", "annotation_files", "positive_int", "n_jobs_type", "csv_list",
           "error", "exit_status", "fail", "logging_to_stderr", "signals_interrupt", "address_space_shortfall",
           "run_entrypoint"]

#: Exit status of a run that failed, of bad arguments / parameters / input files, of an interrupted run.
FAILED, BAD_INPUT, INTERRUPTED = 1, 2, 130


# ---------------------------------------------------------------------------------------------------------------
# Data sets: --dataset NAME -> a loader of mefeat.datasets and the data options it takes


@dataclasses.dataclass(frozen=True)
class DataSource:
    """How ``--dataset NAME`` calls a loader of :mod:`mefeat.datasets` with the data options.

    Parameters
    ----------
    loader : str
        Name of the loader in :mod:`mefeat.datasets` (looked up when the data set is loaded).
    root : str
        ``"required"``: ``--root`` is the loader's first argument; ``"named"``: ``--root NAME=PATH``
        items become the loader's ``<NAME>_root`` keywords; any other value is the keyword an
        optional ``--root`` is passed as (``"data_dir"`` for the demo sets, ``"root"`` for a manifest).
    annotations : str
        ``"one"`` (required, a single sheet), ``"optional"`` (at most one), ``"several"`` (required;
        the list is passed), ``"named"`` (``NAME=PATH`` items become ``<NAME>_annotations`` or
        ``<NAME>`` keywords) or ``"none"`` (the data set comes with its annotations).
    options : tuple of (str, str)
        ``(option dest, loader keyword)`` of each data-set-specific option the data set takes
        (``("modality", "modality")`` for SMIC); the value is also recorded in the run's description.
    fixed : tuple of (str, object)
        Keyword arguments the name itself fixes (``("layout", "samm_lv")`` for ``demo_samm``).
    """

    loader: str
    root: str = "required"
    annotations: str = "one"
    options: tuple = ()
    fixed: tuple = ()


class DataTable(dict):
    """``--dataset`` name -> :class:`DataSource`, with the help texts of ``--dataset``, ``--root`` and
    ``--annotations`` for these data sets (``help``: a dict with those three keys)."""

    def __init__(self, sources, *, help):
        super().__init__(sources)
        self.help = help


#: The clip databases of ``python -m mefeat.extract`` and ``python -m mefeat.compare``.
DATASETS = DataTable({
    "demo": DataSource("load_demo", root="data_dir", annotations="none",
                       options=(("seed", "seed"), ("demo_size", "size"))),
    "dfme": DataSource("load_dfme", annotations="several"),
    "casme2": DataSource("load_casme2"),
    "samm": DataSource("load_samm"),
    "smic": DataSource("load_smic", annotations="optional", options=(("modality", "modality"),)),
    "casme3": DataSource("load_casme3"),
    "mmew": DataSource("load_mmew"),
    "megc2019": DataSource("load_megc2019", root="named", annotations="named"),
    "manifest": DataSource("load_manifest", root="root"),
}, help={
    "dataset": "database to read (default: the built-in demo set, generated on first use)",
    "root": "database folder (demo: where to keep the generated set, default $MEFEAT_DATA_DIR or "
            "~/.cache/mefeat); megc2019: repeat as NAME=PATH (casme2=, samm=, smic=)",
    "annotations": "annotation sheet the database ships (repeatable: DFME's three split sheets; megc2019 "
                   "NAME=PATH with gt= for the ground truth; optional for smic)"})

#: The long-video databases of ``python -m mefeat.spot``.
LONG_VIDEO_DATASETS = DataTable({
    "demo": DataSource("load_long_demo", root="data_dir", annotations="none", fixed=(("layout", "casme_sq"),)),
    "demo_samm": DataSource("load_long_demo", root="data_dir", annotations="none", fixed=(("layout", "samm_lv"),)),
    "casme_sq": DataSource("load_casme_sq"),
    "samm_lv": DataSource("load_samm_lv"),
}, help={
    "dataset": "demo (CAS(ME)² layout, 30 fps; default), demo_samm (SAMM-LV layout, 200 fps), casme_sq, samm_lv",
    "root": "database folder (demo: where to keep it, default $MEFEAT_DATA_DIR or ~/.cache/mefeat)",
    "annotations": "the database's annotation sheet (casme_sq, samm_lv)"})

#: The data-set-specific options: a data set takes those its :attr:`DataSource.options` name.
_SPECIFIC = (
    (("--modality",), dict(dest="modality", choices=["HS", "VIS", "NIR"], type=str.upper,
                           help="SMIC modality (--dataset smic only; default HS)")),
    (("--seed",), dict(dest="seed", type=int, default=0, help="demo set seed (default 0)")),
    (("--demo-size",), dict(dest="demo_size", choices=["full", "small", "tiny"], default="full",
                            help="demo set size (default full: 140 clips; tiny: 6 clips for quick looks)")),
)


def _data_arguments(sources):
    """``(flags, add_argument keywords)`` of the data options of ``sources`` (each with its dest): the three
    every table takes, then the data-set-specific ones some entry of ``sources`` takes."""
    common = [(("--dataset",), dict(dest="dataset", default="demo", choices=tuple(sources),
                                    help=sources.help["dataset"])),
              (("--root",), dict(dest="roots", action="append", metavar="ROOT", help=sources.help["root"])),
              (("--annotations",), dict(dest="annotations", action="append", metavar="FILE",
                                        help=sources.help["annotations"]))]
    taken = {dest for src in sources.values() for dest, _ in src.options}
    return common, [a for a in _SPECIFIC if a[1]["dest"] in taken]


def data_parser(sources=DATASETS):
    """Parent parser of the data options (group "data"): ``--dataset``, ``--root``, ``--annotations`` and the
    data-set-specific options some entries of ``sources`` take (``--modality``, ``--seed``, ``--demo-size``).

    Parameters
    ----------
    sources : DataTable
        :data:`DATASETS` or :data:`LONG_VIDEO_DATASETS`: the ``--dataset`` choices.

    Returns
    -------
    parser : argparse.ArgumentParser
        Without ``-h``: give it in ``parents=``. A command adds its own data options to a group
        of the same title ("data") of its own parent, and argparse merges them.
    """
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("data")
    common, specific = _data_arguments(sources)
    for flags, kwargs in common + specific:
        g.add_argument(*flags, **kwargs)
    return p


def data_options_given(parser, args, sources=DATASETS):
    """The flags of the data options whose value is not the parser's default (``--features`` forbids them)."""
    common, specific = _data_arguments(sources)
    return [flags[0] for flags, kw in common + specific
            if getattr(args, kw["dest"]) not in (None, parser.get_default(kw["dest"]))]


def check_data_args(parser, args, sources=DATASETS):
    """Refuse, through ``parser.error`` (exit status 2), data options that the chosen data set does not take.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser (built with :func:`data_parser` of ``sources``).
    args : argparse.Namespace
        Its parsed arguments.
    sources : DataTable
        :data:`DATASETS` or :data:`LONG_VIDEO_DATASETS`.
    """
    name = args.dataset
    src = sources[name]
    for flags, kw in _data_arguments(sources)[1]:
        dest = kw["dest"]
        if getattr(args, dest) not in (None, parser.get_default(dest)) and dest not in dict(src.options):
            takers = [n for n, s in sources.items() if dest in dict(s.options)]
            parser.error(f"{flags[0]}: only allowed with --dataset {' or '.join(takers)} (got --dataset {name})")
    if args.roots and len(args.roots) > 1 and src.root != "named":
        named = [n for n, s in sources.items() if s.root == "named"]
        parser.error("--root: given several times; " + (f"only --dataset {' or '.join(named)} takes several "
                                                           "(NAME=PATH)" if named else "give one database folder"))
    if args.annotations and src.annotations == "none":
        parser.error(f"--annotations: not allowed with --dataset {name} (it comes with its annotations)")


def _named(items, flag, name, keywords):
    """``NAME=PATH`` items of ``flag`` -> ``{loader keyword: PATH}`` (``keywords``: NAME -> keyword)."""
    out = {}
    for item in items:
        key, eq, path = item.partition("=")
        key = key.strip().lower()
        if not eq or key not in keywords:
            raise ValueError(f"{flag} {item!r}: --dataset {name} needs NAME=PATH items with NAME one of "
                             f"{', '.join(sorted(keywords))}")
        out[keywords[key]] = path
    return out


def load_dataset(args, sources=DATASETS):
    """The data set named by ``--dataset``/``--root``/``--annotations`` (and its own options), and a
    description of it for the run's manifest.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed by a parser built with :func:`data_parser` of ``sources``.
    sources : DataTable
        :data:`DATASETS` or :data:`LONG_VIDEO_DATASETS`.

    Returns
    -------
    dataset : mefeat.datasets.MEDataset or mefeat.datasets.LongVideoDataset
    info : dict
        ``name`` and what identifies the data: the database folder(s) (``root``, or ``roots`` by
        name), the manifest sheet (``annotations``) or the data-set-specific options (``seed``,
        ``size``, ``modality``).

    Raises
    ------
    ValueError
        A folder or sheet the data set needs is not given, or a ``NAME=PATH`` item is malformed.
    """
    from mefeat import datasets

    name = args.dataset
    src = sources[name]
    loader = getattr(datasets, src.loader)
    params = inspect.signature(loader).parameters
    roots, anns = list(args.roots or ()), list(args.annotations or ())
    missing = []
    if src.root in ("required", "named") and not roots:
        missing.append("--root (the database folder)" if src.root == "required" else "--root NAME=PATH items")
    if src.annotations in ("one", "several", "named") and not anns:
        missing.append("--annotations (the database's annotation sheet)")
    if missing:
        raise ValueError(f"--dataset {name} needs {' and '.join(missing)}")
    if src.annotations in ("one", "optional") and len(anns) > 1:
        raise ValueError(f"--dataset {name} takes at most one --annotations sheet, got {len(anns)}")
    kwargs = dict(src.fixed)
    kwargs.update({kw: getattr(args, dest) for dest, kw in src.options if getattr(args, dest) is not None})
    info = {"name": name}
    if src.root == "named":
        kwargs.update(_named(roots, "--root", name, {k[:-len("_root")]: k for k in params if k.endswith("_root")}))
        ann_keywords = {k[:-len("_annotations")]: k for k in params if k.endswith("_annotations")}
        ann_keywords.update({k: k for k in params if k == "gt"})  # MEGC 2019's ground-truth sheet
        kwargs.update(_named(anns, "--annotations", name, ann_keywords))
        info["roots"] = {k[:-len("_root")]: os.path.abspath(v) for k, v in sorted(kwargs.items())
                         if k.endswith("_root")}
        dataset = loader(**kwargs)
    else:
        positional = []
        if src.root == "required":
            positional.append(roots[-1])
            info["root"] = os.path.abspath(roots[-1])
        elif roots:
            kwargs[src.root] = roots[-1]
        if src.annotations == "several":
            positional.append(anns)
        elif src.annotations != "none":
            positional.append(anns[0] if anns else None)
            if src.root != "required" and anns:  # the sheet is the data (a manifest)
                info["annotations"] = os.path.abspath(anns[0])
        dataset = loader(*positional, **kwargs)
    info.update({kw: kwargs.get(kw, params[kw].default) for _, kw in src.options})
    return dataset, info


def annotation_files(args, sources=DATASETS):
    """The annotation sheets given (``NAME=PATH`` items reduced to their path), for the run's manifest."""
    named = sources[args.dataset].annotations == "named"
    return [a.split("=", 1)[1] if named and "=" in a else a for a in (args.annotations or [])]


# ---------------------------------------------------------------------------------------------------------------
# Parsers


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
    """argparse type of ``--n-jobs``: a whole number under the library's rule
    (:func:`mefeat._validation.check_n_jobs`: non-zero; -1 all cores, -2 all but one)."""
    from mefeat._validation import check_n_jobs

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    try:
        return check_n_jobs(value, name="--n-jobs")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def csv_list(text):
    """``"a, b,,c"`` -> ``["a", "b", "c"]`` (a comma-separated option value)."""
    return [t.strip() for t in str(text).split(",") if t.strip()]


def command_parser(prog, doc, *parents, epilog=None):
    """The parser of a mefeat command: ``prog``, the first paragraph of ``doc`` as description, ``--version``.

    Parameters
    ----------
    prog : str
        ``"python -m mefeat.<command>"``.
    doc : str
        The command module's docstring (shown raw: its examples keep their layout).
    *parents : argparse.ArgumentParser
        Parent parsers, in the order their groups are shown (:func:`data_parser`, the command's own
        options, :func:`execution_parser`).
    epilog : str, optional
        Text after the options.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    from mefeat import __version__

    first = argparse.ArgumentParser(add_help=False)
    first.add_argument("--version", action="version", version=f"mefeat {__version__}")
    return argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0], parents=[first, *parents],
                                   formatter_class=argparse.RawDescriptionHelpFormatter, epilog=epilog)


def execution_parser(*, n_jobs_default=None, n_jobs_help="worker processes (default: all cores)", backends=False,
                     verbose_help="more log output (-vv: per clip)",
                     quiet_help="no progress bar, only warnings and errors"):
    """Parent parser of the execution options (group "execution"): ``--n-jobs``, ``-v``, ``-q`` and, with
    ``backends``, ``--backend`` and ``--scheduler``.

    Parameters
    ----------
    n_jobs_default : int, optional
        Default of ``--n-jobs`` (None: all cores).
    n_jobs_help, verbose_help, quiet_help : str
        What ``--n-jobs``, ``-v`` and ``-q`` mean for the command.
    backends : bool
        Add ``--backend`` (the extraction back-ends named by a string) and ``--scheduler``.

    Returns
    -------
    parser : argparse.ArgumentParser
        Without ``-h``: give it in ``parents=``.
    """
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("execution")
    g.add_argument("--n-jobs", type=n_jobs_type, default=n_jobs_default, metavar="N", help=n_jobs_help)
    if backends:
        from mefeat.extraction.backends import BACKENDS

        g.add_argument("--backend", default=BACKENDS[0], choices=BACKENDS,
                       help=f"joblib backend (default {BACKENDS[0]})")
        g.add_argument("--scheduler", help="dask scheduler address (default: start a local cluster)")
    g.add_argument("-v", "--verbose", action="count", default=0, help=verbose_help)
    g.add_argument("-q", "--quiet", action="store_true", help=quiet_help)
    return p


def check_execution_args(parser, args):
    """Refuse, through ``parser.error``, execution options that do not go together (``--scheduler`` without Dask)."""
    if getattr(args, "scheduler", None) and args.backend != "dask":
        parser.error("--scheduler: only allowed with --backend dask")


# ---------------------------------------------------------------------------------------------------------------
# Errors, signals, resources


def error(prog, message, status):
    """Print ``<prog>: error: <message>`` to stderr; return ``status`` (the command's exit status).

    Parameters
    ----------
    prog : str
        The command's short name, e.g. ``"mefeat.extract"``.
    message : str
        What went wrong and what to do.
    status : int
        The exit status.
    """
    print(f"{prog}: error: {message}", file=sys.stderr)
    return status


def exit_status(exc):
    """The exit status of a command stopped by ``exc``.

    130 for an interrupt (:data:`INTERRUPTS`); 2 for bad arguments, parameters or input (a
    ``ValueError``, ``KeyError`` or ``ImportError``: a back-end that is not installed); 1 for a
    run that failed (anything else: an ``OSError`` while writing, a locked folder, failed clips).
    mefeat's own errors (:class:`mefeat.MefeatError`) keep their builtin base, which decides: an
    ``ExtractionError`` or ``OutputLocked`` is 1, a ``TableError`` or ``FaceNotFoundError`` is 2.

    Parameters
    ----------
    exc : BaseException
        What stopped the command.
    """
    if isinstance(exc, INTERRUPTS):
        return INTERRUPTED
    if isinstance(exc, (ValueError, KeyError, ImportError)):
        return BAD_INPUT
    return FAILED


def fail(prog, exc, status=None):
    """Report ``exc`` as ``<prog>: error: <exc>``; return ``status`` (default: :func:`exit_status` of ``exc``).

    Parameters
    ----------
    prog : str
        The command's short name, e.g. ``"mefeat.extract"``.
    exc : BaseException
        The exception that stopped the command; its message is printed.
    status : int, optional
        The exit status when the phase decides it (a file that cannot be read while the data
        are opened is bad input, 2; while the results are written it is a failed run, 1).
    """
    return error(prog, str(exc) or type(exc).__name__, exit_status(exc) if status is None else status)


class Terminated(BaseException):
    """SIGINT, SIGTERM or SIGHUP (a closed terminal), turned into an exception so that workers and
    temporary files are cleaned up.

    Not a KeyboardInterrupt: Dask's client code catches that one while it waits for the cluster.
    """


#: What an interrupted command catches.
INTERRUPTS = (KeyboardInterrupt, Terminated)


def _on_signal(signum, frame):
    raise Terminated()


@contextlib.contextmanager
def signals_interrupt():
    """Within the block, SIGINT, SIGTERM and SIGHUP raise :class:`Terminated` (the earlier handlers are
    restored on exit). Outside the main thread, where Python cannot set handlers, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = [n for n in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, n)]
    old = {n: signal.signal(getattr(signal, n), _on_signal) for n in names}
    try:
        yield
    finally:
        for n, handler in old.items():
            signal.signal(getattr(signal, n), handler)


#: Address space (``ulimit -v``) below which a command refuses to start: OpenCV, numba, scikit-learn and one
#: worker's arrays need about 2 GiB of virtual memory (measured: the tiny demo fails at 1.6 GiB, runs at 2 GiB);
#: under a tighter limit ``import cv2`` can crash the interpreter with no message.
MIN_ADDRESS_SPACE = 2 * 1024 ** 3


def address_space_shortfall(prog):
    """Why the process's address-space limit is too small for ``prog`` to run, or ''."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return ""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft >= MIN_ADDRESS_SPACE:
        return ""
    return (f"the address-space limit (ulimit -v) is {soft / 1024 ** 3:.2f} GiB; {prog} needs at least "
            f"{MIN_ADDRESS_SPACE / 1024 ** 3:.0f} GiB of virtual memory (OpenCV, numba and the workers' arrays): "
            "raise the limit")


# ---------------------------------------------------------------------------------------------------------------
# Logging


#: Loggers of Dask's distributed scheduler that would otherwise interleave their notices with the progress bar.
_CHATTY = ("distributed", "bokeh", "tornado")


@contextlib.contextmanager
def logging_to_stderr(verbose=0, quiet=False):
    """Within the block, the ``mefeat`` logger writes to stderr: INFO (``-v``: with times and names; ``-vv``:
    DEBUG), or WARNING with ``quiet``. Dask's loggers say only errors (``-v``: warnings too); with
    ``quiet`` the worker processes started in the block print no compile notice either
    (``MEFEAT_QUIET=1``, inherited). Everything is restored on exit.

    Parameters
    ----------
    verbose : int
        Number of ``-v``.
    quiet : bool
        ``-q``.

    Yields
    ------
    handler : logging.Handler
    """
    logger = logging.getLogger("mefeat")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s" if verbose == 0 else "%(asctime)s %(name)s: %(message)s",
                                           "%H:%M:%S"))
    saved = (logger.level, logger.propagate, {n: logging.getLogger(n).level for n in _CHATTY},
             os.environ.get("MEFEAT_QUIET"))
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else (logging.INFO if verbose < 2 else logging.DEBUG))
    logger.propagate = False
    for name in _CHATTY:
        logging.getLogger(name).setLevel(logging.ERROR if quiet or not verbose else logging.WARNING)
    if quiet:
        os.environ["MEFEAT_QUIET"] = "1"
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)
        if quiet:
            if saved[3] is None:
                os.environ.pop("MEFEAT_QUIET", None)
            else:
                os.environ["MEFEAT_QUIET"] = saved[3]


# ---------------------------------------------------------------------------------------------------------------
# Console scripts


def run_entrypoint(main):
    """Run a command's ``main()`` and exit with its status at once.

    The run's loky workers (if an extraction started any) are idle by then; they are killed instead
    of shut down in order at interpreter exit (about 0.3 s on 2 cores). ``main()`` itself keeps them
    for a caller that runs it again in the same process.

    Parameters
    ----------
    main : callable
        The command's ``main(argv=None) -> int``.
    """
    status = main()
    backends = sys.modules.get("mefeat.extraction.backends")
    if backends is not None:
        backends.kill_loky_workers()
    sys.exit(status)
