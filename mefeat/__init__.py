"""mefeat: fast, reference-exact hand-crafted features for facial micro-expression recognition.

Importing :mod:`mefeat` is cheap: it compiles no numba kernel and imports neither
dlib nor OpenCV. Public names are resolved lazily on first access.

Layers (nothing imports upward)::

    extract -> extraction -> catalogue -> transformers / evaluation
            -> descriptors / flow / face / temporal -> _kernels -> _jit / _config / _validation
"""

from mefeat._lazy import attach

__version__ = "0.4.0"

# public name -> module that defines it
_LAZY = {
    "Clip": "mefeat._clip",
    # descriptors (functions)
    "lbp_top": "mefeat.descriptors",
    "hog_top": "mefeat.descriptors",
    "higo_top": "mefeat.descriptors",
    "bi_woof": "mefeat.descriptors",
    "mdmo": "mefeat.descriptors",
    "fdm": "mefeat.descriptors",
    # scikit-learn transformers
    "LBPTOP": "mefeat.transformers",
    "HOGTOP": "mefeat.transformers",
    "HIGOTOP": "mefeat.transformers",
    "BiWOOF": "mefeat.transformers",
    "MDMO": "mefeat.transformers",
    "FDM": "mefeat.transformers",
    "OpticalStrain": "mefeat.transformers",
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

__getattr__, __dir__, __all__ = attach(__name__, _LAZY, _SUBMODULES)
