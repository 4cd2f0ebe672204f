"""Bi-WOOF baseline: scikit-learn pipelines for SVM (linear, RBF) and random forest.

Bi-weighted oriented optical flow of the onset->apex flow (TV-L1), 5x5 blocks, 8 orientation bins.

References
----------
Liong, S.-T., See, J., Wong, K., & Phan, R. C.-W. (2018). Less is more: micro-expression recognition from
    video using apex frame. Signal Processing: Image Communication 62, 82-92.
    https://doi.org/10.1016/j.image.2017.11.006
"""

from pipelines import _common

__all__ = ["make_pipelines", "METHOD", "DESCRIPTOR", "PARAMS"]

#: Row label in the comparison table.
METHOD = "Bi-WOOF"
#: Feature-table name written by ``python -m mefeat.extract`` (``<out>/features/bi_woof.csv``).
DESCRIPTOR = "bi_woof"
#: Descriptor parameters for ``features="clips"`` (the extraction command's defaults).
# Onset->apex TV-L1 flow of the aligned clip (no TIM), threshold as the extraction command's
# (mefeat.extract.PREPROCESS_DEFAULTS["apex_flow.epsilon"]).
PARAMS = {"grid": (5, 5), "n_bins": 8, "flow_params": {"epsilon": 0.05}}


def make_pipelines(features="table", *, n_frames=0, **kwargs):
    """Build the Bi-WOOF pipelines, one per classifier (``mefeat.BiWOOF(**{**PARAMS, **params})``).

    Parameters, returns and errors as :func:`pipelines._common.make_pipelines`, except that
    ``n_frames`` defaults to 0: Bi-WOOF uses the onset and apex frames of the original clip, so
    no TIM (as the extraction command).
    """
    return _common.make_pipelines("BiWOOF", PARAMS, features, n_frames=n_frames, **kwargs)
