"""Published baseline results, with their sources, and a side-by-side join with ours.

One table, :data:`PUBLISHED`: one row per (method, protocol, part) with UF1 and UAR as printed
in the source. The numbers are copied, not recomputed.

MEGC 2019 composite LOSO (SMIC-HS + CASME II + SAMM, 3 classes), UF1 / UAR, from the MEGC 2019
guideline [1]_ as tabulated in Table III of the STSTNet paper [2]_:

==========  ===============  ===============  ===============  ===============
method      full             SMIC             CASME II         SAMM
==========  ===============  ===============  ===============  ===============
LBP-TOP     0.5882 / 0.5785  0.2000 / 0.5280  0.7026 / 0.7429  0.3954 / 0.4102
Bi-WOOF     0.6296 / 0.6227  0.5727 / 0.5829  0.7805 / 0.8026  0.5211 / 0.5139
==========  ===============  ===============  ===============  ===============

References
----------
.. [1] See, J., Yap, M. H., Li, J., Hong, X., Wang, S.-J. "MEGC 2019 – The Second Facial
   Micro-Expressions Grand Challenge". IEEE FG 2019. :doi:`10.1109/FG.2019.8756611`
.. [2] Liong, S.-T., Gan, Y. S., See, J., Khor, H.-Q., Huang, Y.-C. "Shallow Triple Stream
   Three-dimensional CNN (STSTNet) for Micro-expression Recognition". IEEE FG 2019,
   Table III. :doi:`10.1109/FG.2019.8756567`
"""

__all__ = ["SOURCES", "PUBLISHED", "published_baselines", "compare_with_published", "published_method",
           "composite_parts"]

#: Source key -> full citation (with DOI).
SOURCES = {
    "megc2019": ('See, J., Yap, M. H., Li, J., Hong, X., Wang, S.-J. "MEGC 2019 – The Second Facial '
                 'Micro-Expressions Grand Challenge". IEEE FG 2019. doi:10.1109/FG.2019.8756611'),
    "ststnet-table3": ('Liong, S.-T., Gan, Y. S., See, J., Khor, H.-Q., Huang, Y.-C. "Shallow Triple Stream '
                       'Three-dimensional CNN (STSTNet) for Micro-expression Recognition". IEEE FG 2019, '
                       'Table III. doi:10.1109/FG.2019.8756567'),
}

_BOTH = ("megc2019", "ststnet-table3")

#: (method, protocol, part, UF1, UAR, sources): method/protocol/part as slugs of :mod:`mefeat.evaluation.labels`.
PUBLISHED = (
    ("lbp_top", "megc2019", "full", 0.5882, 0.5785, _BOTH),
    ("lbp_top", "megc2019", "smic", 0.2000, 0.5280, _BOTH),
    ("lbp_top", "megc2019", "casme2", 0.7026, 0.7429, _BOTH),
    ("lbp_top", "megc2019", "samm", 0.3954, 0.4102, _BOTH),
    ("bi_woof", "megc2019", "full", 0.6296, 0.6227, _BOTH),
    ("bi_woof", "megc2019", "smic", 0.5727, 0.5829, _BOTH),
    ("bi_woof", "megc2019", "casme2", 0.7805, 0.8026, _BOTH),
    ("bi_woof", "megc2019", "samm", 0.5211, 0.5139, _BOTH),
)

#: Our methods compared with a published method of another name: ours -> published (slugs).
#: mefeat's "LBP-TOP (MEGC 2019)" configuration is the guideline's LBP-TOP baseline.
DEFAULT_METHOD_MAP = {"lbp_top_megc2019": "lbp_top"}


def composite_parts(protocol):
    """The parts whose union the published ``"full"`` figures of ``protocol`` were computed on.

    A run that lacks one of them (MEGC 2019 on CASME II alone) is not the composite: compare it
    with its parts' published figures, not with ``"full"``.

    Returns
    -------
    tuple of str
        Part slugs in :data:`PUBLISHED` order (``("smic", "casme2", "samm")`` for ``"megc2019"``);
        empty when nothing per part is published.

    Examples
    --------
    >>> composite_parts("MEGC 2019 composite LOSO")
    ('smic', 'casme2', 'samm')
    >>> composite_parts("loso")
    ()
    """
    from mefeat.evaluation import labels as L

    slug = L.protocol_slug(protocol) or str(protocol)
    return tuple(dict.fromkeys(pa for _, pr, pa, *_ in PUBLISHED if pr == slug and pa != "full"))


def published_method(method, method_map=None):
    """The published method (slug) our ``method`` is compared with, or None.

    ``method_map`` (default :data:`DEFAULT_METHOD_MAP`) names ours -> published; a method that is
    not mapped is compared with the published method of its own name, unless that published method
    is the target of a mapping (it then belongs to the mapped configuration only: our default LBP-TOP
    is not the guideline's LBP-TOP, ``lbp_top_megc2019`` is).
    """
    from mefeat.evaluation import labels as L

    mmap = {L.method_slug(k) or k: L.method_slug(v) or v
            for k, v in (DEFAULT_METHOD_MAP if method_map is None else method_map).items()}
    ms = L.method_slug(method) or str(method)
    if ms in mmap:
        return mmap[ms]
    return None if ms in set(mmap.values()) else ms


def published_baselines(*, method=None, protocol=None, part=None, labels=True):
    """The published results as a DataFrame, one row per (method, protocol, part).

    Parameters
    ----------
    method, protocol, part : str or None
        Keep only these (slug or label, e.g. ``"Bi-WOOF"``, ``"megc2019"``, ``"CASME II"``).
    labels : bool, default=True
        Printed names (``"LBP-TOP"``, ``"CASME II"``) in ``method``/``protocol``/``part``;
        False keeps the slugs.

    Returns
    -------
    pandas.DataFrame, (n_rows, 7)
        Columns ``method, protocol, part, uf1, uar, source, citation`` (``source`` = the
        source keys joined by ``"; "``, ``citation`` = the full references).

    Examples
    --------
    >>> t = published_baselines(method="Bi-WOOF", part="full")
    >>> t[["method", "part", "uf1", "uar"]].values.tolist()
    [['Bi-WOOF', 'full', 0.6296, 0.6227]]
    >>> t["citation"].iloc[0].count("doi:")
    2
    """
    import pandas as pd

    from mefeat.evaluation import labels as L

    rows = []
    for m, pr, pa, f1, ar, src in PUBLISHED:
        if method is not None and L.method_slug(method) != m:
            continue
        if protocol is not None and L.protocol_slug(protocol) != pr:
            continue
        if part is not None and L.part_slug(part) != pa:
            continue
        rows.append({"method": L.method_label(m) if labels else m,
                     "protocol": L.protocol_label(pr) if labels else pr,
                     "part": L.part_label(pa) if labels else pa,
                     "uf1": f1, "uar": ar, "source": "; ".join(src),
                     "citation": " / ".join(SOURCES[k] for k in src)})
    return pd.DataFrame(rows, columns=["method", "protocol", "part", "uf1", "uar", "source", "citation"])


def compare_with_published(ours, *, protocol=None, method_map=None):
    """Our results beside the published ones: ``UF1 (ours)``, ``UF1 (published)``, ...

    Parameters
    ----------
    ours : pandas.DataFrame
        One row per result with columns ``method``, ``uf1``, ``uar`` and optionally
        ``classifier``, ``protocol`` and ``part`` (slugs or labels; a missing ``part`` means
        ``"full"``). E.g. ``result.part_scores().reset_index()`` with a ``method`` column added.
    protocol : str or None
        Protocol of every row when ``ours`` has no ``protocol`` column.
    method_map : dict or None
        Our method -> published method it is compared with; default
        ``{"lbp_top_megc2019": "lbp_top"}`` (our LBP-TOP in the MEGC 2019 configuration is
        compared with the guideline's LBP-TOP). Methods match by name otherwise.

    Returns
    -------
    pandas.DataFrame
        Our rows in the paper's order, with printed names, columns ``method``,
        [``classifier``], ``protocol``, ``part``, ``UF1 (ours)``, ``UF1 (published)``,
        ``UAR (ours)``, ``UAR (published)``, ``source``. Published cells are NaN (and
        ``source`` empty) where nothing was published.

    Raises
    ------
    KeyError
        ``ours`` lacks ``method``, ``uf1`` or ``uar``.
    ValueError
        No protocol given (neither a column nor ``protocol=``).

    Examples
    --------
    >>> import pandas as pd
    >>> ours = pd.DataFrame({"method": ["bi_woof", "bi_woof", "hog_top"], "part": ["full", "samm", "full"],
    ...                      "uf1": [0.61, 0.50, 0.55], "uar": [0.60, 0.49, 0.52]})
    >>> t = compare_with_published(ours, protocol="megc2019")
    >>> t[["method", "part", "UF1 (ours)", "UF1 (published)"]].values.tolist()
    [['HOG-TOP', 'full', 0.55, nan], ['Bi-WOOF', 'full', 0.61, 0.6296], ['Bi-WOOF', 'SAMM', 0.5, 0.5211]]
    """
    from mefeat.evaluation import labels as L

    for c in ("method", "uf1", "uar"):
        if c not in ours.columns:
            raise KeyError(f"ours has no column {c!r} (columns: {list(ours.columns)})")
    t = ours.copy()
    if "protocol" not in t.columns:
        if protocol is None:
            raise ValueError("give protocol= (or a 'protocol' column): published results are per protocol")
        t["protocol"] = protocol
    if "part" not in t.columns:
        t["part"] = "full"
    pub = {(m, pr, pa): (f1, ar, "; ".join(src)) for m, pr, pa, f1, ar, src in PUBLISHED}
    f1p, arp, srcs = [], [], []
    for m, pr, pa in t[["method", "protocol", "part"]].itertuples(index=False):
        hit = pub.get((published_method(m, method_map), L.protocol_slug(pr), L.part_slug(pa)))
        f1p.append(hit[0] if hit else float("nan"))
        arp.append(hit[1] if hit else float("nan"))
        srcs.append(hit[2] if hit else "")
    t["UF1 (published)"], t["UAR (published)"], t["source"] = f1p, arp, srcs
    t = t.rename(columns={"uf1": "UF1 (ours)", "uar": "UAR (ours)"})
    t = L.sort_results(t).reset_index(drop=True)
    t["method"] = [L.method_label(v) for v in t["method"]]
    t["protocol"] = [L.protocol_label(v) for v in t["protocol"]]
    t["part"] = [L.part_label(v) for v in t["part"]]
    if "classifier" in t.columns:
        t["classifier"] = [L.classifier_label(v) for v in t["classifier"]]
    cols = ["method"] + (["classifier"] if "classifier" in t.columns else []) + [
        "protocol", "part", "UF1 (ours)", "UF1 (published)", "UAR (ours)", "UAR (published)", "source"]
    return t[cols]
