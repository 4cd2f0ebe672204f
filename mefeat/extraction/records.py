"""The typed records that flow through an extraction run: a table, a clip's task, a clip's result, a
finished table, and what :func:`~mefeat.extraction.extract_features` returns.

Frozen dataclasses: a worker receives a :class:`Task` and returns a :class:`ClipResult`; neither is
changed afterwards. Their dict and list fields are filled once, where the record is made.
"""

import dataclasses

import numpy as np

from mefeat.exceptions import MefeatError


class ExtractionError(MefeatError, RuntimeError):
    """The run cannot give any result (no clip, every clip failed, a conflicting output folder)."""


@dataclasses.dataclass
class ExtractionResult:
    """What :func:`extract_features` did.

    Attributes
    ----------
    out : str
        The output folder (absolute).
    tables : dict
        ``{table: {"descriptor", "file", "n_clips", "n_features", "computed", "from_cache"}}``.
    n_clips, n_failed, n_dropped : int
        Clips run, clips that failed (see ``failures``), annotation rows the loader dropped.
    failures : list of dict
        ``{"dataset", "subject", "clip", "stage", "reason"}`` per failed clip and stage.
    up_to_date : bool
        Nothing had changed: no file was written.
    manifest : dict
    """

    out: str
    tables: dict
    n_clips: int
    n_failed: int
    n_dropped: int
    failures: list
    up_to_date: bool
    manifest: dict


@dataclasses.dataclass(frozen=True)
class Table:
    """One output table: its name, the descriptor that computes it, the descriptor's parameters, and the
    fingerprint of a user descriptor's source ('' for mefeat's own, whose code is in the source hash)."""

    name: str
    spec: object  # mefeat.catalogue.DescriptorSpec
    params: dict
    fingerprint: str = ""


@dataclasses.dataclass(frozen=True)
class Task:
    """The work of one clip, sent to a worker.

    Attributes
    ----------
    i : int
        The clip's row in the data set.
    header : mefeat.Clip
        The clip's annotations (onset, apex, offset, name, meta) with a (n_frames, 1, 1) stand-in for its frames.
    paths : list of str
        Its frame files, in order.
    digest : str or None
        The clip digest, when the stat memo knew it (else the worker computes and stores it).
    stat_key : str
        Key of the frame files' identity (:func:`mefeat.extraction.keys.stat_key`).
    annot : list
        ``[onset, apex, offset, n_frames]``, part of the prepared clip's key.
    light : bool
        Only descriptors without flows are missing and the prepared clip is cached: milliseconds of work.
    """

    i: int
    header: object
    paths: list
    digest: object
    stat_key: str
    annot: list
    light: bool = False


@dataclasses.dataclass(frozen=True)
class ClipFailure:
    """A stage of one clip that failed: ``stage`` is "read", "face", "prepare" or a table name."""

    stage: str
    reason: str


@dataclasses.dataclass(frozen=True)
class ClipResult:
    """What a worker returns for one clip.

    Attributes
    ----------
    i : int
        The clip's row in the data set.
    features : dict of table -> (n_features,) float64 ndarray
        Every table's vector that is available (cached or computed).
    failures : list of ClipFailure
    timings : dict of stage -> seconds
    corrupt : list of str
        Corrupt or unreadable cache entries met (each recomputed).
    digest : str or None
        The clip digest (None when the frames could not be read).
    computed : list of str
        The tables computed (not read from the cache) for this clip.
    cache_errors : list of str
        Why entries could not be written to the cache.
    """

    i: int
    features: dict = dataclasses.field(default_factory=dict)
    failures: list = dataclasses.field(default_factory=list)
    timings: dict = dataclasses.field(default_factory=dict)
    corrupt: list = dataclasses.field(default_factory=list)
    digest: object = None
    computed: list = dataclasses.field(default_factory=list)
    cache_errors: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class TableData:
    """A finished table: its rows, their ``(dataset, subject, clip)`` ids and the feature names."""

    name: str
    X: np.ndarray  # noqa: N815 - the feature matrix, as in scikit-learn
    index: list
    names: list
