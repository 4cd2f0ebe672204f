"""MDMO baseline: scikit-learn pipelines for SVM (linear, RBF) and random forest.

Main directional mean optical flow in the 36 landmark-defined ROIs (72-D), from the flows of the TIM-10
clip (extraction: DIS flow between consecutive frames).

References
----------
Liu, Y.-J., Zhang, J.-K., Yan, W.-J., Wang, S.-J., Zhao, G., & Fu, X. (2016). A main directional mean optical
    flow feature for spontaneous micro-expression recognition. IEEE TAC 7(4), 299-310.
    https://doi.org/10.1109/TAFFC.2015.2485205
"""

from pipelines import _common

__all__ = ["make_pipelines", "METHOD", "DESCRIPTOR", "PARAMS"]

#: Row label in the comparison table.
METHOD = "MDMO"
#: Feature-table name written by ``python -m mefeat.extract`` (``<out>/features/mdmo.csv``).
DESCRIPTOR = "mdmo"
#: Descriptor parameters for ``features="clips"`` (the extraction command's defaults).
# TV-L1 stopping threshold as in the extraction command (mefeat.extract.PREPROCESS_DEFAULTS["flow.epsilon"]),
# flows from the first TIM frame to each other frame: the table and the "clips" pipeline give equal features.
PARAMS = {"n_bins": 8, "flow_params": {"epsilon": 0.05}}


def make_pipelines(features="table", **kwargs):
    """Build the MDMO pipelines, one per classifier (``mefeat.MDMO(**{**PARAMS, **params})``).

    Parameters, returns and errors as :func:`pipelines._common.make_pipelines` (keywords
    ``classifiers``, ``random_state``, ``memory``, ``face_size``, ``n_frames=10``, ``align``,
    ``classifier_params`` and descriptor parameters).
    """
    return _common.make_pipelines("MDMO", PARAMS, features, **kwargs)
