"""scikit-learn transformers over sequences of clips.

Each class pairs with a function (``LBPTOP`` <-> :func:`mefeat.descriptors.lbp_top`)
and only validates parameters and maps that function over the samples.
"""

import importlib

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
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mefeat.transformers' has no attribute {name!r}")


def __dir__():
    return __all__
