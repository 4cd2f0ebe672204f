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


def make_pipelines(features="table", *, classifiers=_common.CLASSIFIERS, random_state=0, memory=None,
                   face_size=128, n_frames=0, align=True, classifier_params=None, **params):
    """Build the Bi-WOOF pipelines, one per classifier.

    Parameters
    ----------
    features : {"table", "clips"}, default="table"
        ``"table"``: the pipelines take the rows of the ``bi_woof`` feature table
        (:func:`mefeat._io.read_features`), (n_clips, n_features) floats. ``"clips"``: they take a
        list of :class:`mefeat.Clip` and compute the features themselves (``FaceAligner`` ->
        ``TemporalNormalizer`` -> ``mefeat.BiWOOF``).
    classifiers : sequence of {"svm-linear", "svm-rbf", "rf"}
    random_state : int, default=0
        Seed of the SVMs' and the forest's randomness.
    memory : str, joblib.Memory or None
        Cache of the fitted transformer steps (``Pipeline(memory=...)``); with ``"clips"`` this
        avoids recomputing the descriptor on the training clips of a repeated run.
    face_size : int, default=128
        Aligned face side (``"clips"`` only).
    n_frames : int, default=0
        TIM length, 0 = none (``"clips"`` only). Bi-WOOF uses the onset and apex frames of the
        original clip, so no TIM by default (as the extraction command).
    align : bool, default=True
        Face alignment (``FaceAligner``) before TIM (``"clips"`` only; False for clips that are
        already aligned face crops).
    classifier_params : dict or None
        ``{classifier name: {param: value}}`` overriding ``pipelines._common.CLASSIFIER_DEFAULTS``.
    **params
        Descriptor parameters overriding :data:`PARAMS` (``"clips"`` only).

    Returns
    -------
    dict of str -> sklearn.pipeline.Pipeline
        Keys are the classifier names. Every pipeline ends with ``drop_constant``
        (VarianceThreshold), ``scale`` (StandardScaler) and ``clf``; all steps are refitted in
        every CV fold.

    Raises
    ------
    ValueError
        Unknown ``features`` or classifier.
    TypeError
        Descriptor parameters given with ``features="table"``.

    Notes
    -----
    Class weights are balanced in all three classifiers (DFME and the MEGC sets are imbalanced and
    UF1 is the ranking metric); the papers' classifier settings on DFME are not published
    (METHODS §1.8 [X]).
    """
    _common.check_features(features)
    if features == "table":
        if params:
            raise TypeError(f"descriptor parameters {sorted(params)} only apply with features='clips'; "
                            "a feature table already fixes them")
        steps = []
    else:
        import mefeat

        steps = _common.clip_front(face_size=face_size, n_frames=n_frames, align=align) + [
            ("biwoof", mefeat.BiWOOF(**{**PARAMS, **params}))]
    return _common.build(steps, classifiers=classifiers, random_state=random_state, memory=memory,
                         classifier_params=classifier_params)
