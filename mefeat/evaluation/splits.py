"""Subject-grouped cross-validation splitters (scikit-learn compatible).

Every splitter follows the scikit-learn CV-splitter protocol: ``split(X, y, groups)`` yields
``(train_idx, test_idx)`` integer arrays and ``get_n_splits(X, y, groups)`` gives the number of
folds, so they can be passed as ``cv=`` to ``cross_validate`` or ``GridSearchCV`` (with
``groups=`` given to ``fit``). No subject is ever in both the training and the test part of a fold.

======================  =====================================================  ============================
splitter                protocol                                               ``groups`` are
======================  =====================================================  ============================
``SubjectKFold``        DFME paper: 10-fold subject-independent CV             subjects
``DFMEOfficialSplit``   DFME public release: train -> test A, train -> test B  subjects (+ ``split`` labels)
``LeaveOneSubjectOut``  LOSO (``sklearn.model_selection.LeaveOneGroupOut``)    subjects
``MEGC2019LOSO``        MEGC 2019 composite LOSO, 68 folds                     ``"<dataset>/<subject>"``
``LeaveOneDatabaseOut`` cross-database (train on all but one database)         database names
======================  =====================================================  ============================
"""

import json

import numpy as np
from sklearn.model_selection import BaseCrossValidator

from mefeat.evaluation import presets as _presets

__all__ = [
    "SubjectKFold",
    "DFMEOfficialSplit",
    "LeaveOneSubjectOut",
    "MEGC2019LOSO",
    "LeaveOneDatabaseOut",
    "qualify_groups",
    "fold_assignment",
    "get_splitter",
    "check_dfme_split",
    "CV_NAMES",
    "DFME_SPLITS",
]

#: Protocol names accepted by :func:`get_splitter` and :func:`mefeat.evaluation.evaluate`: the
#: protocols of the registry (:data:`mefeat.evaluation.presets.PROTOCOLS`) that define a splitter.
CV_NAMES = tuple(name for name, p in _presets.PROTOCOLS.items() if p.splitter is not None)

#: Separator between the dataset and the subject in dataset-qualified group labels.
GROUP_SEPARATOR = "/"


def _check_groups(groups, n_samples=None, name="groups"):
    if groups is None:
        raise ValueError(f"The '{name}' parameter should not be None: subject-grouped splitting needs "
                         f"one group label per sample.")
    groups = np.asarray(groups, dtype=object) if not isinstance(groups, np.ndarray) else groups
    if groups.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {groups.shape}")
    if n_samples is not None and groups.shape[0] != n_samples:
        raise ValueError(f"{name} has {groups.shape[0]} entries but X has {n_samples} samples")
    return groups


def _n_samples(X, y, groups):
    for a in (X, y, groups):
        if a is not None:
            return len(a)
    raise ValueError("split() needs at least one of X, y, groups")


def _unique_in_order(values):
    """Sorted unique values (sorting as strings when the types are mixed)."""
    uniq = list(dict.fromkeys(values.tolist()))
    try:
        return sorted(uniq)
    except TypeError:
        return sorted(uniq, key=str)


def qualify_groups(groups, datasets=None):
    """Make subject labels unique across databases: ``"<dataset>/<subject>"``.

    Parameters
    ----------
    groups : (n_samples,) array-like
        Subject label of every sample.
    datasets : (n_samples,) array-like or None
        Database of every sample; None returns ``groups`` as strings, unchanged.

    Returns
    -------
    qualified : (n_samples,) ndarray of str (object)

    Raises
    ------
    ValueError
        When ``groups`` and ``datasets`` differ in length.

    Examples
    --------
    >>> qualify_groups(["s01", "s01"], ["smic", "casme2"]).tolist()
    ['smic/s01', 'casme2/s01']
    """
    groups = _check_groups(groups)
    if datasets is None:
        return np.asarray([str(g) for g in groups], dtype=object)
    datasets = _check_groups(datasets, len(groups), name="datasets")
    return np.asarray([f"{d}{GROUP_SEPARATOR}{g}" for d, g in zip(datasets, groups)], dtype=object)


class _GroupSplitter(BaseCrossValidator):
    """Common code: repr, get_params, fold export, and scikit-learn's splitter contract.

    A :class:`sklearn.model_selection.BaseCrossValidator` that requests ``groups`` for ``split``
    (as scikit-learn's group splitters do), so that with ``enable_metadata_routing=True``
    ``cross_validate(..., params={"groups": subjects})`` hands the subjects to it.
    """

    __metadata_request__split = {"groups": True}

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    def get_params(self, deep=True):
        return {k: getattr(self, k) for k in self._param_names}

    def assignment(self, X=None, y=None, groups=None):
        """Fold -> sorted test groups (see :func:`fold_assignment`)."""
        return fold_assignment(self, X, y, groups)


class SubjectKFold(_GroupSplitter):
    """DFME-style k-fold subject-independent cross-validation.

    Parameters
    ----------
    n_splits : int, default=10
        Number of folds (the DFME paper uses 10).
    stratify : bool, default=True
        Keep the class distribution of each test fold close to the whole set's
        (scikit-learn ``StratifiedGroupKFold``); False uses ``GroupKFold``.
    shuffle : bool, default=True
        Shuffle the groups before assigning them to folds.
    random_state : int, RandomState or None, default=0
        Seed of the shuffle; the same seed gives the same folds.

    Raises
    ------
    ValueError
        In ``split`` when there are fewer subjects than folds, ``groups`` is missing,
        or ``stratify`` is True and ``y`` is missing.

    See Also
    --------
    fold_assignment : export the fold -> subject assignment (JSON-ready dict).

    Notes
    -----
    How the DFME authors built their folds (stratified or not, seed, per part or pooled) is not
    published; stratified, shuffled, seeded folds over the pooled subjects are
    mefeat's choice. Stratification is on the sample labels while whole subjects move together,
    so class shares per fold are only approximately equal (``StratifiedGroupKFold`` is greedy).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 1] * 10); groups = np.repeat(np.arange(10), 2)
    >>> cv = SubjectKFold(n_splits=5)
    >>> cv.get_n_splits(groups=groups)
    5
    >>> all(set(groups[tr]).isdisjoint(groups[te]) for tr, te in cv.split(None, y, groups))
    True
    """

    _param_names = ("n_splits", "stratify", "shuffle", "random_state")

    def __init__(self, n_splits=10, *, stratify=True, shuffle=True, random_state=0):
        self.n_splits = n_splits
        self.stratify = stratify
        self.shuffle = shuffle
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None):
        return int(self.n_splits)

    def split(self, X, y=None, groups=None):
        from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

        n = _n_samples(X, y, groups)
        groups = _check_groups(groups, n)
        k = self.n_splits
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 2:
            raise ValueError(f"n_splits must be an int >= 2, got {k!r}")
        n_groups = len(set(groups.tolist()))
        if n_groups < k:
            raise ValueError(f"n_splits={k} is larger than the number of subjects ({n_groups}); "
                             f"every fold needs at least one test subject")
        rs = self.random_state if self.shuffle else None
        if self.stratify:
            if y is None:
                raise ValueError("SubjectKFold(stratify=True) needs y")
            y = np.asarray(y)
            if len(y) != n:
                raise ValueError(f"y has {len(y)} entries but groups has {n}")
            # sklearn's StratifiedGroupKFold needs orderable, hashable labels: encode them.
            _, y_codes = np.unique(np.asarray([str(v) for v in y]), return_inverse=True)
            _, g_codes = np.unique(np.asarray([str(v) for v in groups]), return_inverse=True)
            import warnings

            with warnings.catch_warnings():
                # "The least populated class in y has only m members": expected with rare classes.
                warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
                splitter = StratifiedGroupKFold(n_splits=k, shuffle=self.shuffle, random_state=rs)
                folds = list(splitter.split(np.zeros(n), y_codes, g_codes))
        else:
            _, g_codes = np.unique(np.asarray([str(v) for v in groups]), return_inverse=True)
            splitter = GroupKFold(n_splits=k, shuffle=self.shuffle, random_state=rs)
            folds = list(splitter.split(np.zeros(n), None, g_codes))
        for train, test in folds:
            yield np.asarray(train, dtype=np.intp), np.asarray(test, dtype=np.intp)


#: Values of the ``split`` column of a DFME table (the public release's three sheets).
DFME_SPLITS = ("train", "testA", "testB")


def check_dfme_split(split, n_samples=None, groups=None):
    """Validate DFME official-split labels; return them as an object array.

    Parameters
    ----------
    split : (n_samples,) array-like of str
        ``"train"``, ``"testA"`` or ``"testB"`` per sample (the ``split`` column of a DFME
        table: the sheet the clip comes from).
    n_samples : int or None
        Expected length.
    groups : (n_samples,) array-like or None
        Subjects; when given, a subject in both the training and a test part raises.

    Returns
    -------
    split : (n_samples,) ndarray of str (object)

    Raises
    ------
    ValueError
        ``split`` missing, of the wrong length, with another value (e.g. NaN), with an empty
        ``train``, ``testA`` or ``testB`` part, or sharing a subject between train and a test part.

    Examples
    --------
    >>> check_dfme_split(["train", "train", "testA", "testB"], groups=[1, 2, 3, 4]).tolist()
    ['train', 'train', 'testA', 'testB']
    """
    if split is None:
        raise ValueError("the DFME official split needs split= : the 'split' column of the DFME table "
                         "(one of 'train', 'testA', 'testB' per clip, e.g. split=table['split'])")
    split = _check_groups(split, n_samples, name="split")
    values = split.tolist()
    bad = sorted({repr(v) for v in values if not (isinstance(v, str) and v in DFME_SPLITS)})
    if bad:
        raise ValueError(f"split labels must be exactly 'train', 'testA' or 'testB'; found {', '.join(bad[:5])}")
    split = np.asarray(values, dtype=object)
    for part in DFME_SPLITS:
        if not (split == part).any():
            what = "training part" if part == "train" else f"test split {part!r}"
            raise ValueError(f"the {what} is empty: no sample has split == {part!r} "
                             f"(load the {'training' if part == 'train' else part} sheet too)")
    if groups is not None:
        groups = _check_groups(groups)
        if len(groups) != len(split):
            raise ValueError(f"groups has {len(groups)} entries but split has {len(split)}")
        g = np.asarray([str(v) for v in groups.tolist()], dtype=object)
        train = set(g[split == "train"].tolist())
        for part in DFME_SPLITS[1:]:
            common = sorted(train & set(g[split == part].tolist()))
            if common:
                raise ValueError(f"train and {part} share {len(common)} subject(s): {common[:5]}; the official "
                                 f"split is subject-independent (check the subject column or the split labels)")
    return split


class DFMEOfficialSplit(_GroupSplitter):
    """The official split of the DFME release: train on ``train``, test on ``testA`` and ``testB``.

    Two folds with the same training part: fold 0 tests ``testA``, fold 1 tests ``testB``
    (subjects disjoint from the training part).

    Parameters
    ----------
    split : (n_samples,) array-like of str
        ``"train"``, ``"testA"`` or ``"testB"`` per sample (see :func:`check_dfme_split`).

    Raises
    ------
    ValueError
        In ``split`` when the labels are invalid or a part is empty, ``groups`` has another
        length than ``split``, or a subject is in the training part and a test part.

    See Also
    --------
    SubjectKFold : the DFME paper's 10-fold protocol.

    Notes
    -----
    The two test sets are reported separately (each with its own confusion matrix and
    scores), never pooled. ``split`` is a constructor argument (like scikit-learn's
    ``PredefinedSplit``), so ``groups`` keeps meaning "subjects".

    Examples
    --------
    >>> cv = DFMEOfficialSplit(["train", "train", "testA", "testB"])
    >>> [(tr.tolist(), te.tolist()) for tr, te in cv.split(None, None, ["s1", "s2", "s3", "s4"])]
    [([0, 1], [2]), ([0, 1], [3])]
    """

    _param_names = ("split",)

    def __init__(self, split):
        self.split_labels = split

    def get_params(self, deep=True):
        return {"split": self.split_labels}

    def __repr__(self):
        return "DFMEOfficialSplit()"

    def get_n_splits(self, X=None, y=None, groups=None):
        return 2

    def split(self, X, y=None, groups=None):
        split = check_dfme_split(self.split_labels, groups=groups)
        n = len(split)
        if X is not None and len(X) != n:
            raise ValueError(f"split has {n} entries but X has {len(X)} samples")
        train = np.flatnonzero(split == "train").astype(np.intp)
        for part in DFME_SPLITS[1:]:
            yield train, np.flatnonzero(split == part).astype(np.intp)


class LeaveOneSubjectOut(_GroupSplitter):
    """Leave-one-subject-out (LOSO): one fold per subject, in sorted subject order.

    Raises
    ------
    ValueError
        In ``split`` when ``groups`` is missing or holds fewer than 2 subjects.

    Notes
    -----
    scikit-learn's ``LeaveOneGroupOut`` run on integer codes of the subjects, so that any
    hashable labels work; the fold order is the sorted order of the subject labels (as
    strings when their types are mixed).

    Examples
    --------
    >>> cv = LeaveOneSubjectOut()
    >>> [te.tolist() for _, te in cv.split(None, None, ["b", "a", "b"])]
    [[1], [0, 2]]
    """

    _param_names = ()

    def get_n_splits(self, X=None, y=None, groups=None):
        groups = _check_groups(groups)
        return len(set(groups.tolist()))

    def split(self, X, y=None, groups=None):
        from sklearn.model_selection import LeaveOneGroupOut

        n = _n_samples(X, y, groups)
        groups = _check_groups(groups, n)
        labels = _unique_in_order(groups)
        if len(labels) < 2:
            raise ValueError(f"leave-one-out splitting needs at least 2 groups, got {len(labels)}")
        code = {g: i for i, g in enumerate(labels)}
        codes = np.fromiter((code[g] for g in groups.tolist()), dtype=np.intp, count=n)
        for train, test in LeaveOneGroupOut().split(np.zeros((n, 1)), None, codes):
            yield np.asarray(train, dtype=np.intp), np.asarray(test, dtype=np.intp)


class MEGC2019LOSO(LeaveOneSubjectOut):
    """MEGC 2019 Composite Database Evaluation: LOSO over merged SMIC-HS, CASME II and SAMM.

    ``groups`` must be dataset-qualified subjects (``"casme2/sub01"``, see :func:`qualify_groups`),
    so that subject ``s01`` of two databases gives two folds. On the official 442-clip set
    this gives 68 folds (16 SMIC + 24 CASME II + 28 SAMM subjects).

    Parameters
    ----------
    n_expected : int or None, default=None
        When set, ``split`` raises if the number of subjects differs (use 68 to guard an
        official run).

    Raises
    ------
    ValueError
        When a group label is not dataset-qualified, or the fold count differs from
        ``n_expected``.

    Notes
    -----
    The class merge (negative / positive / surprise) is done by the data loader
    (``load_megc2019``), not here. The guideline reports UF1 and UAR computed from TP/FP/FN
    summed over the 68 folds, for the composite and for each of its three databases (the
    pooled predictions of that database's clips).

    Examples
    --------
    >>> g = qualify_groups(["s01", "s01", "s02"], ["smic", "casme2", "smic"])
    >>> MEGC2019LOSO().get_n_splits(groups=g)
    3
    """

    _param_names = ("n_expected",)

    def __init__(self, *, n_expected=None):
        self.n_expected = n_expected

    def split(self, X, y=None, groups=None):
        n = _n_samples(X, y, groups)
        groups = _check_groups(groups, n)
        bad = [g for g in groups.tolist() if GROUP_SEPARATOR not in str(g)]
        if bad:
            raise ValueError(f"MEGC2019LOSO needs dataset-qualified groups like 'casme2/sub01' "
                             f"(qualify_groups(subjects, datasets)); got {bad[0]!r}")
        n_groups = len(set(groups.tolist()))
        if self.n_expected is not None and n_groups != self.n_expected:
            raise ValueError(f"MEGC2019LOSO expected {self.n_expected} subjects, got {n_groups}")
        yield from super().split(X, y, groups)


class LeaveOneDatabaseOut(LeaveOneSubjectOut):
    """Leave-one-database-out (LODO): train on all databases but one, test on it.

    ``groups`` are database names (``"casme2"``, ``"samm"`` ...). Subjects are disjoint across
    folds because no subject belongs to two databases.

    Raises
    ------
    ValueError
        When fewer than 2 databases are present.

    Examples
    --------
    >>> [te.tolist() for _, te in LeaveOneDatabaseOut().split(None, None, ["samm", "smic", "samm"])]
    [[0, 2], [1]]
    """

    _param_names = ()


def get_splitter(cv="dfme-10fold", *, random_state=0, n_splits=10, split=None):
    """Splitter for a protocol name (or pass a splitter object through).

    Parameters
    ----------
    cv : str or splitter
        A name of :data:`CV_NAMES` (``"dfme-10fold"``, ``"dfme-split"``, ``"loso"``,
        ``"megc2019"``, ``"lodo"``), its label or another spelling of the protocol registry
        (``"DFME 10-fold CV"``, ``"dfme"``); or a splitter object, returned as it is.
    random_state : int, default=0
        Seed for ``"dfme-10fold"``.
    n_splits : int, default=10
        Folds for ``"dfme-10fold"``.
    split : (n_samples,) array-like of str or None
        ``"train"``/``"testA"``/``"testB"`` labels, required by ``"dfme-split"``.

    Returns
    -------
    splitter : object with ``split`` and ``get_n_splits``

    Raises
    ------
    ValueError
        Unknown protocol name, or ``"dfme-split"`` without valid ``split`` labels.
    TypeError
        ``cv`` is neither a name nor an object with ``split``.

    Examples
    --------
    >>> get_splitter("loso")
    LeaveOneSubjectOut()
    """
    if isinstance(cv, str):
        from mefeat.evaluation.labels import protocol_slug

        name = protocol_slug(cv)
        if name not in CV_NAMES:
            raise ValueError(f"cv must be one of {CV_NAMES} or a splitter object, got {cv!r}")
        return _presets.PROTOCOLS[name].splitter(random_state, n_splits, split)
    if not hasattr(cv, "split"):
        raise TypeError(f"cv must be a protocol name or an object with split(), got {type(cv).__name__}")
    return cv


def fold_assignment(cv, X=None, y=None, groups=None):
    """Which groups are tested in which fold.

    Parameters
    ----------
    cv : splitter
    X, y, groups : as for ``cv.split``.

    Returns
    -------
    dict
        ``{"splitter": repr(cv), "n_splits": k, "folds": {"0": [sorted test groups], ...}}``;
        JSON-serialisable (``json.dumps(fold_assignment(...))``).
    """
    groups = _check_groups(groups)
    folds = {}
    for i, (_, test) in enumerate(cv.split(X, y, groups)):
        folds[str(i)] = sorted({str(g) for g in groups[test].tolist()})
    return {"splitter": repr(cv), "n_splits": len(folds), "folds": folds}


def save_fold_assignment(assignment, path):
    """Write :func:`fold_assignment`'s dict as JSON (indented, sorted keys)."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(assignment, fh, indent=1, sort_keys=True)
