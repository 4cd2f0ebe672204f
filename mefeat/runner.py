"""mefeat 0.3's module of the extraction, kept for code that imports its public names.

The extraction is the package :mod:`mefeat.extraction` (records, keys, worker, compile, output,
backends, run); this module re-exports its public names unchanged. Private names of 0.3
(``_Plan``, ``_swap_in`` ...) are gone: use the package's modules.
"""

from mefeat.extraction import (
    DEFAULT_OUT,
    ENGINE_VERSION,
    LOCAL_CLUSTER_KWARGS,
    Backend,
    DaskBackend,
    ExtractionError,
    ExtractionResult,
    LokyBackend,
    SerialBackend,
    compile_ahead,
    compute_features,
    end_compile_ahead,
    extract_features,
    package_source_hash,
)

__all__ = ["extract_features", "ExtractionResult", "ExtractionError", "DEFAULT_OUT", "package_source_hash",
           "compile_ahead", "end_compile_ahead", "compute_features", "LOCAL_CLUSTER_KWARGS", "ENGINE_VERSION",
           "Backend", "SerialBackend", "LokyBackend", "DaskBackend"]
