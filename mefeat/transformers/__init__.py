"""scikit-learn transformers over sequences of clips.

Each class pairs with a function (``LBPTOP`` <-> :func:`mefeat.descriptors.lbp_top`)
and only validates parameters and maps that function over the samples.
"""

from mefeat._lazy import attach

_LAZY = {
    "LBPTOP": "mefeat.transformers._texture",
    "HOGTOP": "mefeat.transformers._texture",
    "HIGOTOP": "mefeat.transformers._texture",
    "BiWOOF": "mefeat.transformers._flow",
    "MDMO": "mefeat.transformers._flow",
    "FDM": "mefeat.transformers._flow",
    "OpticalStrain": "mefeat.transformers._flow",
    "FaceAligner": "mefeat.transformers._face",
    "TemporalNormalizer": "mefeat.transformers._face",
    "MotionMagnifier": "mefeat.transformers._magnify",
}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY, ())
