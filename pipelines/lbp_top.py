"""LBP-TOP baseline: scikit-learn pipelines for SVM (linear, RBF) and random forest.

The default parameters are those of ``python -m mefeat.extract`` (radii (1, 1, 4), P = 8 on the three
planes, 5x5 spatial blocks, on the TIM-10 clip). :func:`make_megc2019_pipelines` gives the MEGC 2019
baseline configuration (METHODS §9): radii (1, 1, 4), P = 4, 5x5 non-overlapping blocks, TIM 10.

References
----------
Zhao, G., & Pietikäinen, M. (2007). Dynamic texture recognition using local binary patterns with an
    application to facial expressions. IEEE TPAMI 29(6), 915-928. https://doi.org/10.1109/TPAMI.2007.1110
"""

from pipelines import _common

__all__ = ["make_pipelines", "make_megc2019_pipelines", "METHOD", "DESCRIPTOR", "PARAMS",
           "MEGC2019_PARAMS"]

#: Row label in the comparison table.
METHOD = "LBP-TOP"
#: Feature-table name written by ``python -m mefeat.extract`` (``<out>/features/lbp_top.csv``).
DESCRIPTOR = "lbp_top"
#: Descriptor parameters for ``features="clips"`` (the extraction command's defaults).
PARAMS = {"radii": (1, 1, 4), "n_points": (8, 8, 8), "grid": (5, 5, 1)}

#: MEGC 2019 baseline configuration (METHODS §9): radii {R_XY, R_XT, R_YT} = {1, 1, 4}, P = 4 on all
#: planes, 5x5 non-overlapping blocks, on the TIM-10 clip.
MEGC2019_PARAMS = {"radii": (1, 1, 4), "n_points": (4, 4, 4), "grid": (5, 5, 1)}
MEGC2019_PREPROCESS = {"tim.n_frames": 10}
MEGC2019_METHOD = "LBP-TOP (MEGC 2019)"


def make_megc2019_pipelines(features="table", *, classifiers=_common.CLASSIFIERS, random_state=0, memory=None,
                            face_size=128, classifier_params=None):
    """Pipelines of the MEGC 2019 LBP-TOP baseline (radii (1, 1, 4), P = 4, 5x5 blocks, TIM 10).

    Parameters and returns as :func:`make_pipelines`; with ``features="table"`` the table must
    have been extracted with :data:`MEGC2019_PARAMS` (``python -m mefeat.extract --descriptors lbp_top
    --param lbp_top.n_points=4,4,4 --param lbp_top.radii=1,1,4 --param lbp_top.grid=5,5,1``).

    Notes
    -----
    The guideline's classifier is a linear SVM on LOSO folds; the ``"svm-rbf"`` and ``"rf"``
    entries are extra rows.
    """
    if features == "table":
        return make_pipelines("table", classifiers=classifiers, random_state=random_state, memory=memory,
                              classifier_params=classifier_params)
    return make_pipelines("clips", classifiers=classifiers, random_state=random_state, memory=memory,
                          face_size=face_size, n_frames=MEGC2019_PREPROCESS["tim.n_frames"],
                          classifier_params=classifier_params, **MEGC2019_PARAMS)


def make_pipelines(features="table", **kwargs):
    """Build the LBP-TOP pipelines, one per classifier (``mefeat.LBPTOP(**{**PARAMS, **params})``).

    Parameters, returns and errors as :func:`pipelines._common.make_pipelines` (keywords
    ``classifiers``, ``random_state``, ``memory``, ``face_size``, ``n_frames=10``, ``align``,
    ``classifier_params`` and descriptor parameters).
    """
    return _common.make_pipelines("LBPTOP", PARAMS, features, **kwargs)
