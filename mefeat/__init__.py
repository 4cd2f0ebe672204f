"""mefeat: fast, reference-exact hand-crafted features for facial micro-expression recognition.

Importing :mod:`mefeat` is cheap: it compiles no numba kernel and imports neither
dlib nor OpenCV. Public names are resolved lazily on first access.

Layers (nothing imports upward)::

    extract -> extraction -> catalogue -> transformers / evaluation
            -> descriptors / flow / face / temporal -> _kernels -> _jit / _config / _validation
"""

from mefeat._lazy import attach

__version__ = "0.5.0"

# public name -> module that defines it; the built-in descriptors' functions and transformers
# (mefeat.lbp_top, mefeat.LBPTOP ...) come from their declarations (_exports), read on first use
_LAZY = {
    "Clip": "mefeat._clip",
    "MefeatError": "mefeat.exceptions",
    # preprocessing transformers
    "FaceAligner": "mefeat.transformers",
    "TemporalNormalizer": "mefeat.transformers",
    "MotionMagnifier": "mefeat.transformers",
    # the extraction and the readers of its output folder
    "extract_features": "mefeat.extraction",
    "read_features": "mefeat._io",
    "read_clips": "mefeat._io",
}
_SUBMODULES = {
    "descriptors",
    "transformers",
    "face",
    "flow",
    "temporal",
    "magnify",
    "datasets",
    "evaluation",
    "catalogue",
    "extraction",
    "runner",
    "plot",
}



def _exports():
    # registering the built-in descriptors imports mefeat.descriptors (NumPy): only when such a name is asked for
    from mefeat._registry import exports

    return exports()


__getattr__, __dir__, _ = attach(__name__, _LAZY, _SUBMODULES, derived=_exports)
