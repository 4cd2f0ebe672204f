"""The protocol registry: every named evaluation protocol, once (which clips, which classes, which splitter).

A :class:`ProtocolPreset` bundles what a comparison script needs to run one protocol on a
dataset table (``MEDataset.table`` or a features table with the same columns): the clip
selection (classes kept, database), the splitter name passed to
:func:`mefeat.evaluation.evaluate`, and the extra columns the splitter reads.

:data:`PROTOCOLS` is the one place a protocol is declared: its name, printed label, other
spellings, splitter and the columns that splitter reads. The splitter names accepted by
:func:`~mefeat.evaluation.get_splitter` and :func:`~mefeat.evaluation.evaluate`
(:data:`mefeat.evaluation.splits.CV_NAMES`), the labels and spellings of
:mod:`mefeat.evaluation.labels` and the command-line help (:func:`protocol_help`) are derived
from it.

=================  ======================================================================
preset             protocol
=================  ======================================================================
``dfme-10fold``    DFME paper: 7 classes, 10-fold subject-independent CV
``dfme-split``     DFME release: train on ``train``, test on ``testA`` and ``testB``
``loso``           leave one subject out, all classes
``casme2-5class``  CASME II, LOSO over others, disgust, happiness, repression, surprise
``megc2019``       MEGC 2019 composite (SMIC + CASME II + SAMM, 3 classes), LOSO
``lodo``           leave one database out
=================  ======================================================================
"""

from dataclasses import dataclass, field

import numpy as np

__all__ = ["ProtocolPreset", "PROTOCOLS", "protocol_preset", "protocol_help"]


# Splitter factories of the protocols that define a splitter: ``(random_state, n_splits, split) -> splitter``
# (mefeat.evaluation.splits imports this module, so the splitter classes are imported when called).
def _subject_kfold(random_state, n_splits, split):
    from mefeat.evaluation.splits import SubjectKFold

    return SubjectKFold(n_splits=n_splits, stratify=True, shuffle=True, random_state=random_state)


def _dfme_split(random_state, n_splits, split):
    from mefeat.evaluation.splits import DFMEOfficialSplit, check_dfme_split

    return DFMEOfficialSplit(check_dfme_split(split))


def _loso(random_state, n_splits, split):
    from mefeat.evaluation.splits import LeaveOneSubjectOut

    return LeaveOneSubjectOut()


def _megc2019(random_state, n_splits, split):
    from mefeat.evaluation.splits import MEGC2019LOSO

    return MEGC2019LOSO()


def _lodo(random_state, n_splits, split):
    from mefeat.evaluation.splits import LeaveOneDatabaseOut

    return LeaveOneDatabaseOut()


@dataclass(frozen=True)
class ProtocolPreset:
    """One named protocol: clip selection + splitter.

    Parameters
    ----------
    name : str
        Slug (``"casme2-5class"``); the key in :data:`PROTOCOLS`.
    label : str
        Printed name (``"CASME II 5-class LOSO"``).
    cv : str
        Protocol name for :func:`mefeat.evaluation.evaluate` (``"loso"``, ``"dfme-split"`` ...).
    classes : tuple of str or None
        Classes kept, in report order; None keeps every labelled clip.
    dataset : str or None
        When set and the table has a ``dataset`` column, only its clips are kept.
    n_clips : int or None
        Number of clips the preset selects on the full public annotation sheet (for the
        reader; not enforced, so demo and partial sets work).
    description : str
        One sentence for reports.
    label_column, subject_column, dataset_column, split_column : str
        Column names read from the table.
    aliases : tuple of str
        Other spellings accepted for ``name`` (compared in lower case without ``-``, ``_``,
        spaces or brackets, as the slug and the label are).
    splitter : callable or None
        ``splitter(random_state, n_splits, split)`` -> a scikit-learn CV splitter, for a
        protocol that defines a splitter (then ``cv == name``); None for a preset that
        selects clips and uses the splitter of ``cv``.
    reads : tuple of str
        Extra columns the splitter needs besides labels and subjects: ``"split"`` (the DFME
        sheets) or ``"dataset"`` (the database of every clip).

    Examples
    --------
    >>> import pandas as pd
    >>> p = protocol_preset("casme2-5class")
    >>> p.cv, p.classes
    ('loso', ('others', 'disgust', 'happiness', 'repression', 'surprise'))
    >>> t = pd.DataFrame({"subject": ["s1", "s1", "s2"], "emotion": ["fear", "happiness", "others"],
    ...                   "dataset": "casme2"})
    >>> p.select(t)["emotion"].tolist()
    ['happiness', 'others']
    """

    name: str
    label: str
    cv: str
    classes: tuple = None
    dataset: str = None
    n_clips: int = None
    description: str = ""
    label_column: str = "emotion"
    subject_column: str = "subject"
    dataset_column: str = "dataset"
    split_column: str = "split"
    aliases: tuple = ()
    splitter: object = field(default=None, repr=False)
    reads: tuple = ()

    def _column(self, table, name):
        if name in getattr(table, "columns", ()):
            return table[name].to_numpy(dtype=object)
        index = getattr(table, "index", None)
        if index is not None and name in (index.names or ()):
            return index.get_level_values(name).to_numpy(dtype=object)
        raise KeyError(f"protocol {self.name!r} needs a {name!r} column; the table has {list(table.columns)}")

    def mask(self, table):
        """Which rows of ``table`` the protocol uses.

        Parameters
        ----------
        table : pandas.DataFrame, (n_clips, n_columns)
            One row per clip; columns (or index levels) ``emotion`` and, when used,
            ``dataset``.

        Returns
        -------
        (n_clips,) bool ndarray

        Raises
        ------
        KeyError
            A needed column is missing.
        ValueError
            No row is left.
        """
        y = self._column(table, self.label_column)
        keep = np.array([v is not None and v == v for v in y.tolist()], dtype=bool)  # drop None / NaN
        if self.classes is not None:
            keep &= np.isin(y.astype(str), np.asarray(self.classes, dtype=str))
        if self.dataset is not None and self._has(table, self.dataset_column):
            keep &= self._column(table, self.dataset_column).astype(str) == self.dataset
        if not keep.any():
            raise ValueError(f"protocol {self.name!r} keeps no clip of this table (classes {self.classes}, "
                             f"dataset {self.dataset!r}); check the {self.label_column!r} and "
                             f"{self.dataset_column!r} columns")
        return keep

    def _has(self, table, name):
        index = getattr(table, "index", None)
        return name in getattr(table, "columns", ()) or (index is not None and name in (index.names or ()))

    def select(self, table):
        """The rows of ``table`` the protocol uses (see :meth:`mask`)."""
        return table[self.mask(table)]

    def evaluate_kwargs(self, table):
        """Arguments of :func:`mefeat.evaluation.evaluate` for an already selected table.

        Parameters
        ----------
        table : pandas.DataFrame
            The output of :meth:`select` (rows aligned with ``X``).

        Returns
        -------
        dict
            ``y, groups, cv, labels`` and, when the protocol reads them, ``datasets`` or ``split``.
        """
        kw = {"y": self._column(table, self.label_column), "groups": self._column(table, self.subject_column),
              "cv": self.cv}
        if self.classes is not None:
            present = set(kw["y"].tolist())
            kw["labels"] = [c for c in self.classes if c in present]
        reads = PROTOCOLS.get(self.cv, self).reads
        if "split" in reads:
            kw["split"] = self._column(table, self.split_column)
        if "dataset" in reads or (self._has(table, self.dataset_column)
                                  and len(set(self._column(table, self.dataset_column))) > 1):
            kw["datasets"] = self._column(table, self.dataset_column)
        return kw

    def evaluate(self, estimator, X, table, **kwargs):
        """Select the clips and run :func:`mefeat.evaluation.evaluate` under this protocol.

        Parameters
        ----------
        estimator : scikit-learn estimator
        X : (n_clips, n_features) array-like or DataFrame, or sequence of clips
            Rows aligned with ``table`` (before selection).
        table : pandas.DataFrame, (n_clips, n_columns)
        **kwargs
            Passed to ``evaluate`` (``random_state``, ``n_jobs``, ``param_grid``, ``verbose`` ...).

        Returns
        -------
        EvaluationResult
        """
        from mefeat.evaluation.protocol import _take, evaluate

        m = self.mask(table)
        idx = np.flatnonzero(m)
        n_x = X.shape[0] if hasattr(X, "shape") else len(X)
        if n_x != len(m):
            raise ValueError(f"X has {n_x} rows but table has {len(m)}")
        return evaluate(estimator, _take(X, idx), **{**self.evaluate_kwargs(table[m]), **kwargs})


#: The protocol registry, by name, in the paper's order (the order of results tables).
PROTOCOLS = {p.name: p for p in (
    ProtocolPreset("dfme-10fold", "DFME 10-fold CV", "dfme-10fold", aliases=("dfme", "kfold"),
                   splitter=_subject_kfold,
                   description="DFME paper protocol: 10-fold subject-independent cross-validation, stratified "
                               "on the 7 emotions, predictions pooled over the folds."),
    ProtocolPreset("dfme-split", "DFME official split", "dfme-split", aliases=("dfme-official",),
                   splitter=_dfme_split, reads=("split",),
                   description="Official split of the DFME release: fit on the training sheet, test on test A "
                               "and on test B separately (subjects disjoint)."),
    ProtocolPreset("loso", "LOSO", "loso", splitter=_loso,
                   description="Leave one subject out, every labelled clip, predictions pooled over the folds."),
    ProtocolPreset("casme2-5class", "CASME II 5-class LOSO", "loso", aliases=("CASME2 5-class LOSO",),
                   classes=("others", "disgust", "happiness", "repression", "surprise"), dataset="casme2",
                   n_clips=246,
                   description="CASME II with the five most frequent classes (fear and sadness dropped), leave one "
                               "subject out (246 clips on the public annotation sheet)."),
    ProtocolPreset("megc2019", "MEGC 2019 composite LOSO", "megc2019", aliases=("megc2019-cde",),
                   splitter=_megc2019, reads=("dataset",),
                   classes=("negative", "positive", "surprise"), n_clips=442,
                   description="MEGC 2019 composite database (SMIC-HS, CASME II, SAMM merged into negative, positive, "
                               "surprise), leave one subject out over the 68 subjects; UF1/UAR for the composite "
                               "and for each database."),
    ProtocolPreset("lodo", "leave one database out", "lodo", splitter=_lodo, reads=("dataset",),
                   description="Train on every database but one, test on the one left out."),
)}


def _check_registry(protocols):
    """Every preset uses the splitter of a protocol that defines one; every splitter protocol is its own ``cv``."""
    for p in protocols.values():
        base = protocols.get(p.cv)
        if base is None or base.splitter is None or base.cv != base.name:
            raise ValueError(f"protocol {p.name!r}: cv={p.cv!r} is not a protocol that defines a splitter")
        if p.splitter is not None and p.cv != p.name:
            raise ValueError(f"protocol {p.name!r} defines a splitter, so its cv must be {p.name!r}, not {p.cv!r}")


_check_registry(PROTOCOLS)


def protocol_help():
    """One line naming every protocol of :data:`PROTOCOLS` with its label, for command-line help.

    Examples
    --------
    >>> protocol_help().split("; ")[0]
    'dfme-10fold (DFME 10-fold CV)'
    """
    return "; ".join(f"{p.name} ({p.label})" for p in PROTOCOLS.values())


def protocol_preset(name):
    """A built-in :class:`ProtocolPreset` by slug or label.

    Parameters
    ----------
    name : str
        A key of :data:`PROTOCOLS` or its label (``"CASME II 5-class LOSO"``).

    Returns
    -------
    ProtocolPreset

    Raises
    ------
    ValueError
        Unknown name.

    Examples
    --------
    >>> protocol_preset("CASME II 5-class LOSO").name
    'casme2-5class'
    """
    from mefeat.evaluation.labels import protocol_slug

    slug = protocol_slug(name)
    if slug not in PROTOCOLS:
        raise ValueError(f"unknown protocol preset {name!r}; choose one of {sorted(PROTOCOLS)}")
    return PROTOCOLS[slug]
