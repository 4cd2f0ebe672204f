"""FDM baseline: scikit-learn pipelines for SVM (linear, RBF) and random forest.

Facial dynamics map: principal flow direction per spatio-temporal cube, from the flows of the TIM-10 clip.

References
----------
Xu, F., Zhang, J., & Wang, J. Z. (2017). Microexpression identification and categorization using a facial
    dynamics map. IEEE TAC 8(2), 254-267. https://doi.org/10.1109/TAFFC.2016.2518162
"""

from pipelines import _common

__all__ = ["make_pipelines", "METHOD", "DESCRIPTOR", "PARAMS"]

#: Row label in the comparison table.
METHOD = "FDM"
#: Feature-table name written by ``python -m mefeat.extract`` (``<out>/features/fdm.csv``).
DESCRIPTOR = "fdm"
#: Descriptor parameters for ``features="clips"`` (the extraction command's defaults).
# Flows between consecutive TIM frames with the extraction command's TV-L1 threshold
# (mefeat.extract.PREPROCESS_DEFAULTS["flow.epsilon"]): the table and the "clips" pipeline agree.
PARAMS = {"mode": "consecutive", "flow_params": {"epsilon": 0.05}}


def make_pipelines(features="table", **kwargs):
    """Build the FDM pipelines, one per classifier (``mefeat.FDM(**{**PARAMS, **params})``).

    Parameters, returns and errors as :func:`pipelines._common.make_pipelines` (keywords
    ``classifiers``, ``random_state``, ``memory``, ``face_size``, ``n_frames=10``, ``align``,
    ``classifier_params`` and descriptor parameters).
    """
    return _common.make_pipelines("FDM", PARAMS, features, **kwargs)
