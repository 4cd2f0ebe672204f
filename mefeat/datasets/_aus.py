"""Lenient parsing of action-unit strings as the databases write them (``L12+AU4``, ``R12 or R14``, ``ref(7B)``)."""

import math
import re

__all__ = ["parse_aus"]

_REF = re.compile(r"ref\s*\([^)]*\)", re.IGNORECASE)
_TOKEN = re.compile(r"^\(?\s*(?:AU|AD|L|R|B|T|A|M|U)?\s*(\d{1,2})\s*(?:[A-E](?:/[A-E])?)?\s*\)?$", re.IGNORECASE)
_NUMBER = re.compile(r"(?<!\d)(\d{1,2})(?!\d)")


def parse_aus(raw):
    """Parse an AU cell into a set of AU numbers, leniently.

    Parameters
    ----------
    raw : object
        An int (one AU), a float (NaN = empty), or a string of tokens joined by ``+``/``,``
        such as ``"L12+AU4"``, ``"R12 or R14"``, ``"ref(7B)"``, ``"10A/B"``, ``"?"``.

    Returns
    -------
    aus : frozenset of int
        The AU (or AD/M code) numbers found.
    problems : list of str
        Human-readable notes on every non-clean part (empty when the cell was clean). Loaders
        copy them into the validation report.

    Notes
    -----
    Token grammar: an optional prefix (AU, AD, L, R, B, T, A, M), 1-2 digits, an optional
    intensity letter A-E (or ``A/B``). Deviations, all reported: ``X or Y`` keeps both AUs
    (the annotators were unsure which); ``ref(...)`` marks a reference AU and is dropped;
    other junk is scanned for bare numbers; ``?`` gives nothing.

    Examples
    --------
    >>> aus, problems = parse_aus("L12+AU4")
    >>> sorted(aus), problems
    ([4, 12], [])
    >>> sorted(parse_aus("R12 or R14")[0])
    [12, 14]
    >>> parse_aus(23)
    (frozenset({23}), [])
    """
    problems = []
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return frozenset(), []
    if isinstance(raw, (int,)) and not isinstance(raw, bool):
        return frozenset({int(raw)}), []
    if isinstance(raw, float):
        if raw.is_integer():
            return frozenset({int(raw)}), []
        problems.append(f"AU cell {raw!r} is a non-integer number; read as {int(raw)}")
        return frozenset({int(raw)}), problems
    text = str(raw).strip()
    if not text:
        return frozenset(), []
    if _REF.search(text):
        problems.append(f"AU cell {text!r}: reference code(s) {_REF.findall(text)} dropped")
        text = _REF.sub("", text)
    aus = set()
    for part in re.split(r"[+,;&]", text):
        part = part.strip()
        if not part:
            continue
        alternatives = re.split(r"\s+or\s+", part, flags=re.IGNORECASE)
        if len(alternatives) > 1:
            problems.append(f"AU cell {str(raw)!r}: alternatives {part!r}, all kept")
        for alt in alternatives:
            alt = alt.strip().strip("()").strip()
            if not alt:
                continue
            m = _TOKEN.match(alt)
            if m:
                aus.add(int(m.group(1)))
                continue
            found = [int(n) for n in _NUMBER.findall(alt)]
            if found:
                problems.append(f"AU cell {str(raw)!r}: irregular token {alt!r} read as {found}")
                aus.update(found)
            else:
                problems.append(f"AU cell {str(raw)!r}: token {alt!r} has no AU number, ignored")
    return frozenset(aus), problems
