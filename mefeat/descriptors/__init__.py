"""Descriptor front functions: array in, 1-D float64 feature vector out.

Each function validates its input, maps string options to integer codes and calls a
private numba kernel from :mod:`mefeat._kernels`. Imported lazily, so that
``import mefeat.descriptors`` compiles nothing.
"""

import importlib

_LAZY = {
    "lbp_top": "mefeat.descriptors.lbp_top",
    "lbp_top_n_features": "mefeat.descriptors.lbp_top",
    "hog_top": "mefeat.descriptors.hog_top",
    "higo_top": "mefeat.descriptors.hog_top",
    "bi_woof": "mefeat.descriptors.bi_woof",
    "mdmo": "mefeat.descriptors.mdmo",
    "fdm": "mefeat.descriptors.fdm",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mefeat.descriptors' has no attribute {name!r}")


def __dir__():
    return __all__
