"""mefeat._jit: the kernel decorator and the compile notice."""

import logging

import numpy as np
import pytest

from mefeat import _jit

needs_jit = pytest.mark.skipif(_jit.jit_disabled(), reason="NUMBA_DISABLE_JIT=1: nothing is compiled")


@pytest.fixture(autouse=True)
def _default_notice():
    previous = _jit.set_compile_notice(None)
    yield
    _jit.set_compile_notice(previous)


def _fresh_kernel():
    # a new function object every time: numba compiles it at its first call (no disk cache)
    def add_one(x):
        return x + 1.0

    return _jit.jit(cache=False)(add_one)


def _notices(caplog):
    return [r for r in caplog.records if r.name == "mefeat" and "compiling" in r.getMessage()]


@needs_jit
def test_notice_once_when_it_compiles(caplog):
    caplog.set_level(logging.WARNING, logger="mefeat")
    with _jit.compile_notice("TEST-A", 3):
        assert _fresh_kernel()(np.float64(1.0)) == 2.0
    (rec,) = _notices(caplog)
    assert rec.levelno == logging.WARNING
    assert rec.getMessage() == "mefeat: compiling TEST-A kernels, once per environment (about 3 s)..."
    caplog.clear()
    with _jit.compile_notice("TEST-A", 3):  # the same label again, even with a compilation: silent
        _fresh_kernel()(np.float64(1.0))
    assert not _notices(caplog)


@needs_jit
def test_no_notice_without_compilation(caplog):
    caplog.set_level(logging.WARNING, logger="mefeat")
    kernel = _fresh_kernel()
    kernel(np.float64(1.0))  # compiled outside any notice block
    with _jit.compile_notice("TEST-B", 1):
        kernel(np.float64(2.0))  # nothing left to compile
    assert not _notices(caplog)
    kernel(np.float64(1.0))
    with _jit.compile_notice("TEST-B", 1):  # outside a block nothing was announced: still armed
        _fresh_kernel()(np.float64(1.0))
    assert len(_notices(caplog)) == 1


@needs_jit
def test_switch_and_environment_silence_it(caplog, monkeypatch):
    caplog.set_level(logging.WARNING, logger="mefeat")
    assert _jit.set_compile_notice(False) is None
    assert not _jit.compile_notice_enabled()
    with _jit.compile_notice("TEST-C", 1):
        _fresh_kernel()(np.float64(1.0))
    assert not _notices(caplog)
    _jit.set_compile_notice(None)
    monkeypatch.setenv("MEFEAT_QUIET", "1")
    assert not _jit.compile_notice_enabled()
    with _jit.compile_notice("TEST-D", 1):
        _fresh_kernel()(np.float64(1.0))
    assert not _notices(caplog)
    monkeypatch.setenv("MEFEAT_QUIET", "0")
    assert _jit.compile_notice_enabled()
    assert _jit.set_compile_notice(True) is None
    assert _jit.compile_notice_enabled()


def test_switch_rejects_non_bool():
    with pytest.raises(TypeError, match="True, False or None"):
        _jit.set_compile_notice("no")


def test_outermost_block_names_the_notice(caplog):
    caplog.set_level(logging.WARNING, logger="mefeat")
    with _jit.compile_notice("TEST-OUTER", 5):
        with _jit.compile_notice("TEST-INNER", 1):
            _fresh_kernel()(np.float64(1.0))
    if _jit.jit_disabled():
        assert not _notices(caplog)
    else:
        (rec,) = _notices(caplog)
        assert "TEST-OUTER" in rec.getMessage() and "about 5 s" in rec.getMessage()


def test_notice_block_propagates_exceptions():
    with pytest.raises(KeyError):
        with _jit.compile_notice("TEST-E", 1):
            raise KeyError("x")
    assert not _jit._active


def test_thread_counts():
    assert _jit.max_threads() >= 1
    assert 1 <= _jit.get_num_threads() <= max(_jit.max_threads(), 1024)


@needs_jit
@pytest.mark.slow
def test_disk_cached_reads_the_index_of_this_source(tmp_path):
    """False in a new numba cache, True once the kernel is compiled there (and in the next process)."""
    import os
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[2]
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(root), MEFEAT_QUIET="1")
    code = ("import sys; from mefeat import _jit; from mefeat._kernels import flow; from mefeat.flow import "
            "optical_strain; import numpy as np; before = _jit.disk_cached(flow.strain_backward_kernel); "
            "sys.argv[1] == 'compile' and optical_strain(np.zeros((4, 4, 2), np.float32)); "
            "print('STATE', before, _jit.disk_cached(flow.strain_backward_kernel), "
            "_jit.disk_cached(flow.strain_central_kernel))")

    def state(arg):
        r = subprocess.run([sys.executable, "-c", code, arg], env=env, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        return r.stdout.split("STATE")[1].split()

    assert state("compile") == ["False", "True", "False"]  # the central scheme was never compiled
    assert state("look") == ["True", "True", "False"]


def test_disk_cached_unknown_without_numba_internals():
    assert _jit.disk_cached(object()) is None  # not a numba dispatcher: cannot tell
