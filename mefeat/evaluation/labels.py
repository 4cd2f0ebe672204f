"""Human labels and the paper's row order for methods, classifiers, protocols and data parts.

This is the one place that maps the slugs used in code and file names (``lbp_top``,
``svm-linear``, ``dfme-10fold``) to the words printed in tables and figures (``LBP-TOP``,
``linear SVM``, ``DFME 10-fold CV``), and that fixes the order of the rows. Every function
accepts either form: a slug or a label, in any case, with ``-``, ``_``, spaces or brackets
(``"LBP-TOP"``, ``"lbp_top"`` and ``"lbptop"`` are the same method). Unknown names are kept
as given and sorted after the known ones.

=================  ====================================================================
kind               order (label, slug)
=================  ====================================================================
method             every registered descriptor: its ``label``, ``name`` and ``aliases``, in its
                   declared ``order`` (LBP-TOP ``lbp_top`` ... optical strain ``optical_strain``;
                   a user's descriptor after them, by name): see :mod:`mefeat._registry`
classifier         linear SVM ``svm-linear``, RBF SVM ``svm-rbf``, random forest ``rf``
protocol           DFME 10-fold CV ``dfme-10fold``, DFME official split ``dfme-split``,
                   LOSO ``loso``, CASME II 5-class LOSO ``casme2-5class``,
                   MEGC 2019 composite LOSO ``megc2019``, leave one database out ``lodo``
part               full, SMIC ``smic``, CASME II ``casme2``, SAMM ``samm``,
                   test A ``testA``, test B ``testB``
=================  ====================================================================
"""

import re
from collections.abc import Mapping

from mefeat import _registry
from mefeat.evaluation import presets as _presets

__all__ = [
    "METHOD_LABELS",
    "CLASSIFIER_LABELS",
    "PROTOCOL_LABELS",
    "PART_LABELS",
    "method_label",
    "classifier_label",
    "protocol_label",
    "part_label",
    "method_slug",
    "classifier_slug",
    "protocol_slug",
    "part_slug",
    "order_key",
    "sort_results",
    "run_title",
]



class _MethodLabels(Mapping):
    """slug -> label of every registered descriptor, in the paper's row order: a live view of the
    registry, so a descriptor registered from a notebook is labelled like a built-in one."""

    def _labels(self):
        return {spec.name: spec.label for spec in _registry.specs()}

    def __getitem__(self, slug):
        return self._labels()[slug]

    def __iter__(self):
        return iter(self._labels())

    def __len__(self):
        return len(self._labels())

    def __repr__(self):
        return repr(self._labels())


#: Methods in the paper's row order: slug -> label (the registered descriptors' declarations).
METHOD_LABELS = _MethodLabels()

#: Classifiers in the paper's column order: slug -> label.
CLASSIFIER_LABELS = {
    "svm-linear": "linear SVM",
    "svm-rbf": "RBF SVM",
    "rf": "random forest",
}

#: Protocols: slug -> label, from the protocol registry (:data:`mefeat.evaluation.presets.PROTOCOLS`).
PROTOCOL_LABELS = {name: p.label for name, p in _presets.PROTOCOLS.items()}

#: Parts of a result (the full set, the databases of a composite, the DFME test sets): slug -> label.
PART_LABELS = {
    "full": "full",
    "smic": "SMIC",
    "casme2": "CASME II",
    "samm": "SAMM",
    "testA": "test A",
    "testB": "test B",
}

# Extra spellings -> slug (normalised by _lookup); a protocol's come from the registry.
_ALIASES = {
    "method": {},  # each descriptor's own (DescriptorSpec.aliases), added by _lookup
    "classifier": {"linearsvm": "svm-linear", "svmlinear": "svm-linear", "linearsvc": "svm-linear",
                   "rbfsvm": "svm-rbf", "svmrbf": "svm-rbf", "randomforest": "rf", "forest": "rf"},
    "protocol": {alias: name for name, p in _presets.PROTOCOLS.items() for alias in p.aliases},
    "part": {"composite": "full", "all": "full", "casmeii": "casme2", "smichs": "smic", "testa": "testA",
             "testb": "testB"},
}
_TABLES = {"method": METHOD_LABELS, "classifier": CLASSIFIER_LABELS, "protocol": PROTOCOL_LABELS,
           "part": PART_LABELS}


def _norm(name):
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def _lookup(kind):
    table = _TABLES[kind]
    out = {_norm(alias): slug for alias, slug in _ALIASES[kind].items()}
    if kind == "method":
        out.update({_norm(alias): spec.name for spec in _registry.specs() for alias in spec.aliases})
    for slug, label in table.items():
        out[_norm(slug)] = slug
        out[_norm(label)] = slug
    return out


_LOOKUP = {kind: _lookup(kind) for kind in _TABLES if kind != "method"}
_METHOD_LOOKUP = {}  # registry state -> the method lookup (rebuilt when a descriptor is registered)


def _slug(kind, name):
    if kind == "method":
        state = tuple(map(id, _registry.specs()))
        if state not in _METHOD_LOOKUP:
            _METHOD_LOOKUP.clear()
            _METHOD_LOOKUP[state] = _lookup("method")
        return _METHOD_LOOKUP[state].get(_norm(name))
    return _LOOKUP[kind].get(_norm(name))


def method_slug(name):
    """Slug of a method (``"LBP-TOP"`` -> ``"lbp_top"``); None when unknown.

    Examples
    --------
    >>> method_slug("LBP-TOP (MEGC 2019)"), method_slug("Bi-WOOF"), method_slug("SIFT")
    ('lbp_top_megc2019', 'bi_woof', None)
    """
    return _slug("method", name)


def classifier_slug(name):
    """Slug of a classifier (``"linear SVM"`` -> ``"svm-linear"``); None when unknown."""
    return _slug("classifier", name)


def protocol_slug(name):
    """Slug of a protocol (``"DFME 10-fold CV"`` -> ``"dfme-10fold"``); None when unknown."""
    return _slug("protocol", name)


def part_slug(name):
    """Slug of a part (``"CASME II"`` -> ``"casme2"``); None when unknown."""
    return _slug("part", name)


def _label(kind, name):
    slug = _slug(kind, name)
    return _TABLES[kind][slug] if slug is not None else str(name)


def method_label(name):
    """Printed name of a method, from a slug or a label; unknown names are returned unchanged.

    Examples
    --------
    >>> method_label("lbp_top"), method_label("hog-top"), method_label("My method")
    ('LBP-TOP', 'HOG-TOP', 'My method')
    """
    return _label("method", name)


def classifier_label(name):
    """Printed name of a classifier.

    Examples
    --------
    >>> classifier_label("svm-linear"), classifier_label("rf")
    ('linear SVM', 'random forest')
    """
    return _label("classifier", name)


def protocol_label(name):
    """Printed name of a protocol.

    Examples
    --------
    >>> protocol_label("dfme-10fold"), protocol_label("megc2019")
    ('DFME 10-fold CV', 'MEGC 2019 composite LOSO')
    """
    return _label("protocol", name)


def part_label(name):
    """Printed name of a part of the data (a database of a composite, a DFME test set).

    Examples
    --------
    >>> part_label("casme2"), part_label("testA")
    ('CASME II', 'test A')
    """
    return _label("part", name)


def order_key(kind, name):
    """Sort key that puts known names in the documented order and unknown ones after, by name.

    Parameters
    ----------
    kind : {"method", "classifier", "protocol", "part"}
    name : str
        Slug or label.

    Returns
    -------
    tuple of (int, str)

    Examples
    --------
    >>> sorted(["rf", "linear SVM", "svm-rbf"], key=lambda c: order_key("classifier", c))
    ['linear SVM', 'svm-rbf', 'rf']
    """
    if kind not in _TABLES:
        raise ValueError(f"kind must be one of {sorted(_TABLES)}, got {kind!r}")
    slug = _slug(kind, name)
    slugs = list(_TABLES[kind])
    if slug is None:
        return (len(slugs), str(name))
    return (slugs.index(slug), "")


def sort_results(results, *, columns=("protocol", "method", "classifier", "part")):
    """Rows of a results table in the paper's order (protocol, method, classifier, part).

    Parameters
    ----------
    results : pandas.DataFrame
        Has some of the ``columns`` (slugs or labels); the others are ignored.
    columns : sequence of str
        Sort columns, most significant first; each is sorted with :func:`order_key` of the
        kind of the same name.

    Returns
    -------
    pandas.DataFrame
        Same rows, reordered (stable; the index is kept).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"method": ["fdm", "LBP-TOP", "fdm"], "classifier": ["rf", "rf", "svm-linear"]})
    >>> sort_results(t)[["method", "classifier"]].values.tolist()
    [['LBP-TOP', 'rf'], ['fdm', 'svm-linear'], ['fdm', 'rf']]
    """
    cols = [c for c in columns if c in results.columns and c in _TABLES]
    if not cols or results.empty:
        return results
    keys = [tuple(order_key(c, v) for c, v in zip(cols, row)) for row in results[cols].itertuples(index=False)]
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    return results.iloc[order]


def run_title(method=None, classifier=None, protocol=None, part=None):
    """A plain-words title such as ``"LBP-TOP, linear SVM — DFME 10-fold CV"``.

    Parameters
    ----------
    method, classifier, protocol, part : str or None
        Slugs or labels; None parts are left out.

    Returns
    -------
    str

    Examples
    --------
    >>> run_title("lbp_top", "svm-linear", "dfme-10fold")
    'LBP-TOP, linear SVM — DFME 10-fold CV'
    >>> run_title("bi_woof", "svm-rbf", "megc2019", part="samm")
    'Bi-WOOF, RBF SVM — MEGC 2019 composite LOSO, SAMM'
    """
    left = ", ".join(s for s in (method_label(method) if method is not None else None,
                                 classifier_label(classifier) if classifier is not None else None) if s)
    right = ", ".join(s for s in (protocol_label(protocol) if protocol is not None else None,
                                  part_label(part) if part is not None else None) if s)
    return " — ".join(s for s in (left, right) if s)
