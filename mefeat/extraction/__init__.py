"""The extraction package: :func:`extract_features` (behind ``python -m mefeat.extract``).

One clip goes through exactly the public code a notebook user calls (the face alignment, the
temporal normalisation and each descriptor's transformer from the :mod:`mefeat.catalogue`), with
the flows of a clip computed once and shared by every flow descriptor. ``tests/test_both_doors.py``
checks that the numbers equal those of :func:`mefeat.catalogue.make_pipeline` bit for bit.

Modules
-------
records
    The typed records of a run: :class:`~records.Table`, :class:`~records.Task`,
    :class:`~records.ClipResult`, :class:`~records.TableData`, :class:`ExtractionResult`.
keys
    Cache keys: mefeat's source hash, dependency versions, the plan's keys, the stat key, clip digests.
worker
    The work of one clip: read, align, normalise, compute every missing table, cache.
compile
    The numba kernels of a run (compiled ahead, in the workers at once) and the dry run.
output
    The output folder's policy: lock-held checks, stale files, staging and swap-in, summary.
backends
    :class:`Backend` (the interface) and :class:`SerialBackend`, :class:`LokyBackend`, :class:`DaskBackend`.
run
    :func:`extract_features` and the :class:`~run.Run` that holds a run's state.
"""

from mefeat.extraction.backends import (
                                        LOCAL_CLUSTER_KWARGS,
                                        Backend,
                                        DaskBackend,
                                        LokyBackend,
                                        SerialBackend,
                                        kill_loky_workers,
)
from mefeat.extraction.compile import compile_ahead, end_compile_ahead
from mefeat.extraction.keys import ENGINE_VERSION, package_source_hash
from mefeat.extraction.records import ExtractionError, ExtractionResult
from mefeat.extraction.run import DEFAULT_OUT, extract_features
from mefeat.extraction.worker import compute_features

__all__ = ["extract_features", "ExtractionResult", "ExtractionError", "DEFAULT_OUT", "ENGINE_VERSION",
           "package_source_hash", "compile_ahead", "end_compile_ahead", "compute_features", "kill_loky_workers",
           "Backend", "SerialBackend", "LokyBackend", "DaskBackend", "LOCAL_CLUSTER_KWARGS"]
