"""Known annotation errata, keyed by (dataset, subject, clip) -- never by row number.

Each entry maps a key to the corrected fields and a ``source`` note. ``clip`` is the clip's
final name in ``MEDataset.table``: a repeated (subject, clip) is suffixed ``_<k>``, k being its
position among all sheet rows of that (subject, clip), dropped ones included (as CAS(ME)³ needs),
so a key keeps naming the same sheet row whichever rows are dropped. Loaders apply them
before validation and list every applied fix in ``MEDataset.validation_report``.

Notes
-----
tvaranka/meb (``meb/datasets/datasets.py``) fixes CASME II, SAMM, MMEW and CAS(ME)³ by
*row position* (e.g. CASME II ``df.loc[60, "offset"] = 91``; 21 estimated CASME II apexes;
SAMM offset of row 56 -> 5739, apexes of rows 125/132/133; 16 MMEW apex/offset pairs;
CAS(ME)³ rows 128, 708, 749, 750, 796, 798). Those positions depend on the exact sheet
version and cannot be turned into (subject, clip) keys without the licensed sheets, so they
are NOT reproduced here. Instead every loader handles the underlying problems generically
and reports them: a missing apex ("/") becomes None (Clip.apex_or_middle then uses the
middle frame), an apex outside onset..offset becomes None, an offset before the onset drops
the row. Users who hold the sheets can add keyed entries to :data:`ERRATA` (or pass
``errata=`` to a loader).
"""

__all__ = ["ERRATA", "lookup"]

#: (dataset, subject, clip) -> {field: corrected value, ..., "source": str}
ERRATA = {
    # Example of the format (kept empty until verified against the licensed sheets):
    # ("casme2", "01", "EP02_01f"): {"offset": 91, "source": "meb datasets.py, Casme2 row 60"},
}


def lookup(dataset, subject, clip, extra=None):
    """Return the erratum dict for a key (``extra`` entries take precedence), or None."""
    key = (str(dataset), str(subject), str(clip))
    if extra and key in extra:
        return extra[key]
    return ERRATA.get(key)
