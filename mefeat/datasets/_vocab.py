"""Canonical emotion vocabulary and per-database spellings (no heavy imports)."""

import math

__all__ = ["CANONICAL_EMOTIONS", "DFME_EMOTIONS", "normalize_emotion", "MEGC2019_CLASSES", "megc2019_label"]

#: Every canonical emotion label mefeat uses.
CANONICAL_EMOTIONS = (
    "anger", "contempt", "disgust", "fear", "happiness", "sadness", "surprise",
    "repression", "others", "negative", "positive",
)

#: DFME's seven classes in EmotionId order (DFME numbers its classes alphabetically: anger = 0 ... surprise = 6).
DFME_EMOTIONS = ("anger", "contempt", "disgust", "fear", "happiness", "sadness", "surprise")

_SPELLINGS = {
    "anger": "anger", "angry": "anger",
    "contempt": "contempt",
    "disgust": "disgust", "disgusted": "disgust",
    "fear": "fear", "fearful": "fear", "afraid": "fear",
    "happiness": "happiness", "happy": "happiness", "joy": "happiness",
    "sadness": "sadness", "sad": "sadness",
    "surprise": "surprise", "surprised": "surprise", "sur": "surprise",
    "repression": "repression",
    "others": "others", "other": "others",
    "negative": "negative", "ne": "negative",
    "positive": "positive", "po": "positive",
}

#: MEGC 2019 composite: label ids (0 negative, 1 positive, 2 surprise) and the merge of the databases' classes.
MEGC2019_CLASSES = ("negative", "positive", "surprise")
_MEGC_MERGE = {
    "repression": "negative", "anger": "negative", "contempt": "negative", "disgust": "negative",
    "fear": "negative", "sadness": "negative", "negative": "negative",
    "happiness": "positive", "positive": "positive",
    "surprise": "surprise",
}


def normalize_emotion(raw):
    """Map a raw emotion spelling to the canonical vocabulary.

    Parameters
    ----------
    raw : object
        The sheet's cell (string, or NaN/None).

    Returns
    -------
    str or None
        A member of :data:`CANONICAL_EMOTIONS`, or None when the value is missing or unknown.

    Examples
    --------
    >>> normalize_emotion(" Happy "), normalize_emotion("Others"), normalize_emotion("??")
    ('happiness', 'others', None)
    """
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    return _SPELLINGS.get(str(raw).strip().lower())


def megc2019_label(emotion):
    """3-class MEGC 2019 label of a canonical emotion, or None (class dropped, e.g. 'others')."""
    return _MEGC_MERGE.get(emotion)
