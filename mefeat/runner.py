"""mefeat 0.3's module of the extraction, kept for code that imports it: the extraction is now the
package :mod:`mefeat.extraction` (records, keys, worker, compile, output, backends, run).

Its public names are re-exported unchanged. A few private names of 0.3 that code and tests replaced
(``monkeypatch.setattr(runner, "package_source_hash", ...)``) still work: reading one gives the
extraction's object, setting one sets it where the extraction reads it (:data:`_MOVED`; ``compute_features``
and ``package_source_hash`` too, which are public).
"""

import sys
import types

from mefeat.extraction import (DEFAULT_OUT, ENGINE_VERSION, LOCAL_CLUSTER_KWARGS, Backend, DaskBackend,
                               ExtractionError, ExtractionResult, LokyBackend, SerialBackend, compile_ahead,
                               end_compile_ahead, extract_features)
from mefeat.extraction import backends as _backends
from mefeat.extraction import compile as _compile
from mefeat.extraction import keys as _keys
from mefeat.extraction import output as _output
from mefeat.extraction import worker as _worker

__all__ = ["extract_features", "ExtractionResult", "ExtractionError", "DEFAULT_OUT", "package_source_hash",
           "compile_ahead", "end_compile_ahead", "compute_features", "LOCAL_CLUSTER_KWARGS", "ENGINE_VERSION",
           "Backend", "SerialBackend", "LokyBackend", "DaskBackend"]

#: 0.3 name -> (object that holds it now, its name there)
_MOVED = {
    "package_source_hash": (_keys, "package_source_hash"),
    "_SOURCE_HASH": (_keys, "_SOURCE_HASH"),
    "_VERSIONS": (_keys, "_VERSIONS"),
    "_dependency_versions": (_keys, "dependency_versions"),
    "_Plan": (_keys, "Plan"),
    "compute_features": (_worker, "compute_features"),
    "_dry_run": (_compile, "dry_run"),
    "_ahead": (_compile, "_ahead"),
    "_await_compile_ahead": (_compile, "await_compile_ahead"),
    "_swap_in": (_output, "swap_in"),
    "_kill_loky_workers": (_backends, "kill_loky_workers"),
    "_dispatch_dask": (_backends.DaskBackend, "map_unordered"),
}


class _Runner(types.ModuleType):
    def __getattr__(self, name):
        if name in _MOVED:
            owner, attr = _MOVED[name]
            return getattr(owner, attr)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __setattr__(self, name, value):
        if name in _MOVED:
            owner, attr = _MOVED[name]
            setattr(owner, attr, value)
        else:
            super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Runner
