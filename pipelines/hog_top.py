"""HOG-TOP baseline: scikit-learn pipelines for SVM (linear, RBF) and random forest.

Histograms of oriented gradients on the XY, XT and YT planes of the TIM-10 clip, 5x5 blocks.

References
----------
Li, X., Hong, X., Moilanen, A., Huang, X., Pfister, T., Zhao, G., & Pietikäinen, M. (2018). Towards reading
    hidden emotions: a comparative study of spontaneous micro-expression spotting and recognition methods.
    IEEE TAC 9(4), 563-577. https://doi.org/10.1109/TAFFC.2017.2667642
"""

from pipelines import _common

__all__ = ["make_pipelines", "METHOD", "DESCRIPTOR", "PARAMS"]

#: Row label in the comparison table.
METHOD = "HOG-TOP"
#: Feature-table name written by ``python -m mefeat.extract`` (``<out>/features/hog_top.csv``).
DESCRIPTOR = "hog_top"
#: Descriptor parameters for ``features="clips"`` (the extraction command's defaults).
PARAMS = {"orientations": 8, "grid": (5, 5, 1)}


def make_pipelines(features="table", **kwargs):
    """Build the HOG-TOP pipelines, one per classifier (``mefeat.HOGTOP(**{**PARAMS, **params})``).

    Parameters, returns and errors as :func:`pipelines._common.make_pipelines` (keywords
    ``classifiers``, ``random_state``, ``memory``, ``face_size``, ``n_frames=10``, ``align``,
    ``classifier_params`` and descriptor parameters).
    """
    return _common.make_pipelines("HOGTOP", PARAMS, features, **kwargs)
