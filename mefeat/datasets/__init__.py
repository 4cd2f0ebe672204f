"""Micro-expression databases: loaders that return one normalised :class:`MEDataset`.

Every loader takes the database root and the annotation file the database ships, parses the
sheet leniently and lists every fixed or dropped row in ``validation_report``. Frames are read
lazily on ``ds[i]``. Pandas/openpyxl/OpenCV are imported inside the functions.
"""

from mefeat._lazy import attach

_LAZY = {
    "MEDataset": "mefeat.datasets._base",
    "report_counts": "mefeat.datasets._base",
    "load_dfme": "mefeat.datasets.dfme",
    "load_casme2": "mefeat.datasets.casme2",
    "load_samm": "mefeat.datasets.samm",
    "load_smic": "mefeat.datasets.smic",
    "load_casme3": "mefeat.datasets.casme3",
    "load_mmew": "mefeat.datasets.mmew",
    "load_megc2019": "mefeat.datasets.megc2019",
    "load_manifest": "mefeat.datasets.manifest",
    "load_demo": "mefeat.datasets.demo",
    "make_demo": "mefeat.datasets.demo",
    "LongVideoDataset": "mefeat.datasets.longvideo",
    "load_casme_sq": "mefeat.datasets.longvideo",
    "load_samm_lv": "mefeat.datasets.longvideo",
    "make_long_video_dataset": "mefeat.datasets.longvideo",
    "load_long_demo": "mefeat.datasets.demo_long",
    "make_long_demo": "mefeat.datasets.demo_long",
    "parse_aus": "mefeat.datasets._aus",
    "normalize_emotion": "mefeat.datasets._vocab",
}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY, ())
