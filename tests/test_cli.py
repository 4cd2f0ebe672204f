"""The command-line module every command shares (``mefeat._cli``): data sets, parent parsers, errors,
logging, signals. The commands themselves are tested in test_extract_cli.py, test_compare.py and
spotting/test_long_demo_and_cli.py."""

import ast
import functools
import logging
import os
import pathlib
import signal
import sys
import threading

import pytest

import mefeat.datasets
from mefeat import _cli as cli

PKG = pathlib.Path(__file__).resolve().parents[1] / "mefeat"
COMMANDS = ("extract", "compare", "spot")


def _parser(sources=cli.DATASETS):
    return cli.command_parser("prog", "Doc.\n\nMore.", cli.data_parser(sources), cli.execution_parser())


def _args(argv, sources=cli.DATASETS):
    return _parser(sources).parse_args(argv)


# --------------------------------------------------------------------------- the data-set table
def test_every_loader_of_the_datasets_package_is_reachable_from_the_command_line():
    public = {n for n in mefeat.datasets.__all__ if n.startswith("load_")}
    named = {src.loader for table in (cli.DATASETS, cli.LONG_VIDEO_DATASETS) for src in table.values()}
    assert named <= public, f"the table names loaders mefeat.datasets does not have: {sorted(named - public)}"
    assert public <= named, f"loaders no --dataset reaches: {sorted(public - named)}"


@pytest.fixture
def calls(monkeypatch):
    """Every loader of mefeat.datasets replaced by a spy with its signature that records its call."""
    found = []
    for name in [n for n in mefeat.datasets.__all__ if n.startswith("load_")]:
        real = getattr(mefeat.datasets, name)

        @functools.wraps(real)
        def spy(*args, _name=name, **kwargs):
            found.append((_name, args, kwargs))
            return f"data of {_name}"

        monkeypatch.setattr(mefeat.datasets, name, spy)
    return found


@pytest.mark.parametrize("argv, call, info", [
    (["--seed", "3", "--demo-size", "tiny", "--root", "d"], ("load_demo", (), {"data_dir": "d", "seed": 3,
                                                                                "size": "tiny"}),
     {"name": "demo", "seed": 3, "size": "tiny"}),
    (["--dataset", "casme2", "--root", "r", "--annotations", "a.xlsx"], ("load_casme2", ("r", "a.xlsx"), {}),
     {"name": "casme2", "root": os.path.abspath("r")}),
    (["--dataset", "dfme", "--root", "r", "--annotations", "a", "--annotations", "b"],
     ("load_dfme", ("r", ["a", "b"]), {}), {"name": "dfme", "root": os.path.abspath("r")}),
    # the modality's default is the loader's: the manifest records it without a second copy of it
    (["--dataset", "smic", "--root", "r"], ("load_smic", ("r", None), {}),
     {"name": "smic", "root": os.path.abspath("r"), "modality": "HS"}),
    (["--dataset", "smic", "--root", "r", "--modality", "nir"], ("load_smic", ("r", None), {"modality": "NIR"}),
     {"name": "smic", "root": os.path.abspath("r"), "modality": "NIR"}),
    (["--dataset", "manifest", "--annotations", "m.csv"], ("load_manifest", ("m.csv",), {}),
     {"name": "manifest", "annotations": os.path.abspath("m.csv")}),
    (["--dataset", "manifest", "--annotations", "m.csv", "--root", "r"], ("load_manifest", ("m.csv",), {"root": "r"}),
     {"name": "manifest", "annotations": os.path.abspath("m.csv")}),
    (["--dataset", "megc2019", "--root", "SAMM=s", "--root", "casme2=c", "--annotations", "casme2=c.xlsx",
      "--annotations", "gt=g=1.csv"],
     ("load_megc2019", (), {"samm_root": "s", "casme2_root": "c", "casme2_annotations": "c.xlsx", "gt": "g=1.csv"}),
     {"name": "megc2019", "roots": {"casme2": os.path.abspath("c"), "samm": os.path.abspath("s")}}),
])
def test_each_data_set_calls_its_loader_with_the_data_options(calls, argv, call, info):
    args = _args(argv)
    assert cli.load_dataset(args) == (f"data of {call[0]}", info)
    assert calls == [call]


@pytest.mark.parametrize("argv, call", [
    ([], ("load_long_demo", (), {"layout": "casme_sq"})),
    (["--dataset", "demo_samm", "--root", "d"], ("load_long_demo", (), {"layout": "samm_lv", "data_dir": "d"})),
    (["--dataset", "samm_lv", "--root", "r", "--annotations", "a.xlsx"], ("load_samm_lv", ("r", "a.xlsx"), {})),
])
def test_long_video_data_sets(calls, argv, call):
    cli.load_dataset(_args(argv, cli.LONG_VIDEO_DATASETS), cli.LONG_VIDEO_DATASETS)
    assert calls == [call]


@pytest.mark.parametrize("argv, words", [
    (["--dataset", "casme2"], ["--dataset casme2 needs --root (the database folder) and --annotations"]),
    (["--dataset", "casme2", "--root", "r"], ["--dataset casme2 needs --annotations"]),
    (["--dataset", "smic"], ["--dataset smic needs --root"]),
    (["--dataset", "casme2", "--root", "r", "--annotations", "a", "--annotations", "b"],
     ["--dataset casme2 takes at most one --annotations sheet, got 2"]),
    (["--dataset", "megc2019", "--root", "c", "--annotations", "casme2=a"],
     ["--root 'c'", "NAME=PATH", "casme2, samm, smic"]),
    (["--dataset", "megc2019", "--root", "casme2=c", "--annotations", "casme=a"],
     ["--annotations 'casme=a'", "casme2, gt, samm, smic"]),
])
def test_a_missing_or_malformed_data_option_is_named_before_any_loader_runs(calls, argv, words):
    with pytest.raises(ValueError) as exc:
        cli.load_dataset(_args(argv))
    for w in words:
        assert w in str(exc.value)
    assert calls == []


@pytest.mark.parametrize("argv, words", [
    (["--dataset", "casme2", "--modality", "VIS"],
     "--modality: only allowed with --dataset smic (got --dataset casme2)"),
    (["--dataset", "casme2", "--seed", "2"], "--seed: only allowed with --dataset demo"),
    (["--dataset", "smic", "--demo-size", "tiny"], "--demo-size: only allowed with --dataset demo"),
    (["--dataset", "casme2", "--root", "a", "--root", "b"], "only --dataset megc2019 takes several"),
    (["--annotations", "a.csv"], "--annotations: not allowed with --dataset demo"),
])
def test_options_the_data_set_does_not_take_are_usage_errors(argv, words, capsys):
    parser = _parser()
    args = parser.parse_args(argv)
    with pytest.raises(SystemExit) as exc:
        cli.check_data_args(parser, args)
    assert exc.value.code == 2 and words in capsys.readouterr().err


def test_long_video_tables_take_neither_seed_nor_modality():
    parser = _parser(cli.LONG_VIDEO_DATASETS)
    for flag in ("--seed", "--modality", "--demo-size"):
        with pytest.raises(SystemExit):
            parser.parse_args([flag, "1"])
    args = parser.parse_args(["--root", "a", "--root", "b"])
    with pytest.raises(SystemExit):
        cli.check_data_args(parser, args, cli.LONG_VIDEO_DATASETS)


def test_data_options_given_and_annotation_files():
    parser = _parser()
    assert cli.data_options_given(parser, parser.parse_args([])) == []
    args = parser.parse_args(["--dataset", "megc2019", "--annotations", "gt=a=b.csv", "--annotations", "x.xlsx"])
    assert cli.data_options_given(parser, args) == ["--dataset", "--annotations"]
    assert cli.annotation_files(args) == ["a=b.csv", "x.xlsx"]
    args = parser.parse_args(["--dataset", "manifest", "--annotations", "gt=a.csv"])
    assert cli.annotation_files(args) == ["gt=a.csv"]  # a path with "=" is a path outside megc2019


# --------------------------------------------------------------------------- parsers
def test_execution_options():
    parser = cli.command_parser("prog", "Doc.", cli.execution_parser(backends=True))
    assert (parser.parse_args([]).n_jobs, parser.parse_args([]).backend) == (None, "loky")
    args = parser.parse_args(["--n-jobs", "-1", "-vv", "--backend", "dask", "--scheduler", "tcp://x:1"])
    assert (args.n_jobs, args.verbose, args.backend, args.scheduler) == (-1, 2, "dask", "tcp://x:1")
    cli.check_execution_args(parser, args)
    assert parser.parse_args(["--n-jobs", "-2"]).n_jobs == -2  # the library's rule: every core but one
    for bad in ("0", "two", "1.5"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--n-jobs", bad])
    with pytest.raises(SystemExit):
        cli.check_execution_args(parser, parser.parse_args(["--scheduler", "tcp://x:1"]))
    assert cli.command_parser("p", "D.", cli.execution_parser(n_jobs_default=1)).parse_args([]).n_jobs == 1


def test_a_command_adds_its_own_options_to_the_shared_groups():
    import argparse

    own = argparse.ArgumentParser(add_help=False)
    own.add_argument_group("data").add_argument("--limit")
    parser = cli.command_parser("prog", "Doc.\n\nMore.", cli.data_parser(), own)
    help_text = parser.format_help()
    assert help_text.count("data:") == 1 and help_text.index("--demo-size") < help_text.index("--limit")
    assert parser.description == "Doc."


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_the_shared_options_with_the_same_rules(command, capsys):
    import importlib

    module = importlib.import_module(f"mefeat.{command}")
    with pytest.raises(SystemExit) as exc:
        module.main(["--n-jobs", "0"])
    err = capsys.readouterr().err  # the library's one rule and message (mefeat._validation.check_n_jobs)
    assert exc.value.code == 2 and "argument --n-jobs: --n-jobs must be" in err and "got 0" in err
    with pytest.raises(SystemExit) as exc:
        module.main(["--version"])
    assert exc.value.code == 0 and "mefeat" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        module.main(["--annotations", "a.csv"])  # the demo comes with its annotations
    assert exc.value.code == 2 and "--annotations: not allowed with --dataset demo" in capsys.readouterr().err


# --------------------------------------------------------------------------- errors
def test_exit_status_and_the_one_error_line(capsys):
    from mefeat._io import OutputLocked
    from mefeat.extraction import ExtractionError

    assert [cli.exit_status(e) for e in (ValueError("x"), KeyError("x"), ImportError("x"))] == [2, 2, 2]
    assert [cli.exit_status(e) for e in (OSError("x"), ExtractionError("x"), OutputLocked("x"))] == [1, 1, 1]
    assert cli.exit_status(KeyboardInterrupt()) == cli.exit_status(cli.Terminated()) == 130
    # mefeat's own errors: their builtin base decides (a damaged table is bad input, a damaged cache a failure)
    from mefeat._cache import CorruptEntry
    from mefeat._io import TableError

    assert (cli.exit_status(TableError("x")), cli.exit_status(CorruptEntry("x"))) == (2, 1)
    assert issubclass(CorruptEntry, cli.MefeatError)
    assert cli.fail("mefeat.x", ValueError("bad --thing")) == 2
    assert cli.fail("mefeat.x", FileNotFoundError("gone"), 2) == 2
    assert cli.error("mefeat.x", "it broke", 1) == 1
    assert capsys.readouterr().err.splitlines() == ["mefeat.x: error: bad --thing", "mefeat.x: error: gone",
                                                    "mefeat.x: error: it broke"]


def test_a_signal_in_the_block_raises_terminated_and_the_handlers_come_back():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(cli.Terminated):
        with cli.signals_interrupt():
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs between bytecodes of the main thread
                pass
    assert signal.getsignal(signal.SIGTERM) is before


def test_signals_outside_the_main_thread_are_left_alone():
    seen = []

    def run():
        with cli.signals_interrupt():
            seen.append(signal.getsignal(signal.SIGTERM))

    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert seen == [signal.getsignal(signal.SIGTERM)]


# --------------------------------------------------------------------------- logging
def test_logging_goes_to_stderr_and_everything_is_restored(monkeypatch, capsys):
    logger = logging.getLogger("mefeat")
    monkeypatch.delenv("MEFEAT_QUIET", raising=False)
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    before = (logger.handlers[:], logger.propagate, logging.getLogger("distributed").level)
    with cli.logging_to_stderr(verbose=0, quiet=False):
        logger.info("plain %d", 1)
        logger.debug("hidden")
        assert logging.getLogger("distributed").level == logging.ERROR and "MEFEAT_QUIET" not in os.environ
    with cli.logging_to_stderr(verbose=2, quiet=False):
        logger.debug("detail")
        assert logging.getLogger("distributed").level == logging.WARNING
    with cli.logging_to_stderr(verbose=0, quiet=True):
        logger.info("not shown")
        logger.warning("warned")
        assert os.environ["MEFEAT_QUIET"] == "1"  # the workers started here print no compile notice
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "plain 1" and err[1].endswith("mefeat: detail") and err[2:] == ["warned"]
    assert (logger.handlers, logger.propagate, logging.getLogger("distributed").level) == before
    assert logger.level == logging.NOTSET and "MEFEAT_QUIET" not in os.environ


# --------------------------------------------------------------------------- console scripts and layering
def test_the_entry_point_exits_with_mains_status_and_kills_idle_loky_workers(monkeypatch):
    from mefeat.extraction import backends

    killed = []
    monkeypatch.setattr(backends, "kill_loky_workers", lambda: killed.append(True))
    with pytest.raises(SystemExit) as exc:
        cli.run_entrypoint(lambda: 4)
    assert exc.value.code == 4 and killed == [True]


def _imports(path):
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_only_the_commands_use_the_command_line_module_and_it_uses_no_command():
    users = sorted(p.relative_to(PKG).as_posix() for p in PKG.rglob("*.py") if "mefeat._cli" in _imports(p))
    assert set(users) <= {f"{c}.py" for c in COMMANDS}, users
    assert not {f"mefeat.{c}" for c in COMMANDS} & _imports(PKG / "_cli.py")


def test_the_command_line_module_is_cheap_to_import():
    import subprocess

    code = "import sys, mefeat._cli; print(' '.join(sorted(m for m in sys.modules if '.' not in m)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    assert not loaded & {"numba", "cv2", "pandas", "sklearn", "matplotlib", "dask", "numpy"}
