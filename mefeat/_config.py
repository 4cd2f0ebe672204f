"""Numeric constants shared by kernels and descriptors (numpy only).

Constants live here, never as literals inside kernels (see STYLE.md, stumpy habit).
"""

#: Guard added to denominators in normalisations.
EPS = 1e-12

#: dtypes that descriptor front functions accept without a copy-cast warning.
SUPPORTED_FRAME_DTYPES = ("uint8", "uint16", "int16", "int32", "int64", "float32", "float64")

#: Default face-crop size (pixels) used by alignment and the demo pipeline.
DEFAULT_FACE_SIZE = 128
