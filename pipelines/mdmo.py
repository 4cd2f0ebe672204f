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


def make_pipelines(features="table", *, classifiers=_common.CLASSIFIERS, random_state=0, memory=None,
                   face_size=128, n_frames=10, align=True, classifier_params=None, **params):
    """Build the MDMO pipelines, one per classifier.

    Parameters
    ----------
    features : {"table", "clips"}, default="table"
        ``"table"``: the pipelines take the rows of the ``mdmo`` feature table
        (:func:`mefeat._io.read_features`), (n_clips, n_features) floats. ``"clips"``: they take a
        list of :class:`mefeat.Clip` and compute the features themselves (``FaceAligner`` ->
        ``TemporalNormalizer`` -> ``mefeat.MDMO``).
    classifiers : sequence of {"svm-linear", "svm-rbf", "rf"}
    random_state : int, default=0
        Seed of the SVMs' and the forest's randomness.
    memory : str, joblib.Memory or None
        Cache of the fitted transformer steps (``Pipeline(memory=...)``); with ``"clips"`` this
        avoids recomputing the descriptor on the training clips of a repeated run.
    face_size : int, default=128
        Aligned face side (``"clips"`` only).
    n_frames : int, default=10
        TIM length, 0 = none (``"clips"`` only).
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
            ("mdmo", mefeat.MDMO(**{**PARAMS, **params}))]
    return _common.build(steps, classifiers=classifiers, random_state=random_state, memory=memory,
                         classifier_params=classifier_params)
