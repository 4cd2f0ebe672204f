"""Shared pieces of the baseline pipelines: the three classifiers and the pipeline builder.

Not public; every baseline module exposes ``make_pipelines``.
"""

from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_selection import VarianceThreshold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

#: Classifier names, in table order.
CLASSIFIERS = ("svm-linear", "svm-rbf", "rf")

#: Default hyper-parameters (overridable through ``classifier_params``).
CLASSIFIER_DEFAULTS = {
    "svm-linear": {"C": 1.0, "class_weight": "balanced"},
    "svm-rbf": {"C": 10.0, "gamma": "scale", "class_weight": "balanced"},
    "rf": {"n_estimators": 300, "max_features": "sqrt", "class_weight": "balanced", "n_jobs": 1},
}

#: A small grid for the optional nested search (names as in the pipeline's get_params()).
PARAM_GRIDS = {
    "svm-linear": {"clf__C": [0.01, 0.1, 1.0]},
    "svm-rbf": {"clf__C": [1.0, 10.0, 100.0], "clf__gamma": ["scale"]},
    "rf": {"clf__max_features": ["sqrt", 0.1]},
}

FEATURE_SOURCES = ("table", "clips")


def classifier(name, *, random_state=0, **params):
    """One of the three classifiers with mefeat's defaults.

    Parameters
    ----------
    name : {"svm-linear", "svm-rbf", "rf"}
    random_state : int or None
    **params
        Override :data:`CLASSIFIER_DEFAULTS`.

    Returns
    -------
    estimator : SVC or RandomForestClassifier
    """
    if name not in CLASSIFIERS:
        raise ValueError(f"classifier must be one of {CLASSIFIERS}, got {name!r}")
    kw = {**CLASSIFIER_DEFAULTS[name], **params}
    if name == "svm-linear":
        return SVC(kernel="linear", random_state=random_state, **kw)
    if name == "svm-rbf":
        return SVC(kernel="rbf", random_state=random_state, **kw)
    return RandomForestClassifier(random_state=random_state, **kw)


def build(feature_steps, *, classifiers=CLASSIFIERS, random_state=0, memory=None, classifier_params=None):
    """``{classifier name: Pipeline(feature_steps + scaling + classifier)}``.

    Every pipeline drops constant features (``VarianceThreshold``) and standardises the rest
    (``StandardScaler``) before the classifier; both are refitted inside every CV fold.
    """
    from sklearn.base import clone

    classifier_params = classifier_params or {}
    out = {}
    for name in classifiers:
        steps = [(n, clone(s)) for n, s in feature_steps]
        steps += [("drop_constant", VarianceThreshold(0.0)), ("scale", StandardScaler()),
                  ("clf", classifier(name, random_state=random_state, **classifier_params.get(name, {})))]
        out[name] = Pipeline(steps, memory=memory)
    return out


def check_features(features):
    if features not in FEATURE_SOURCES:
        raise ValueError(f"features must be one of {FEATURE_SOURCES}, got {features!r}")
    return features


def clip_front(*, face_size=128, n_frames=10, align=True):
    """Alignment and TIM steps for ``features="clips"`` (the extraction command's defaults).

    The TIM frames are rounded to uint8, as ``python -m mefeat.extract`` (and meb) do: on
    unrounded float frames the LBP sign test flips on ties (values equal up to ~1e-12 after
    interpolation), which changed up to 40 % of an LBP-TOP histogram bin on the demo set.
    """
    import numpy as np

    import mefeat

    steps = []
    if align:
        steps.append(("align", mefeat.FaceAligner(size=face_size)))
    if n_frames:
        steps.append(("tim", mefeat.TemporalNormalizer(n_frames=n_frames, dtype=np.uint8)))
    return steps


def _descriptor_params(default_params, params):
    """The baseline's defaults overridden by ``params``; default ``flow_params`` (backend-specific, e.g.
    TV-L1's ``epsilon``) are dropped when the caller picks another ``flow_method`` without its own."""
    merged = {**default_params, **params}
    if "flow_method" in params and "flow_params" not in params:
        merged.pop("flow_params", None)
    return merged


def make_pipelines(transformer, default_params, features="table", *, classifiers=CLASSIFIERS, random_state=0, memory=None,
                   face_size=128, n_frames=10, align=True, classifier_params=None, **params):
    """Build one baseline's pipelines, one per classifier (each baseline module wraps this).

    Parameters
    ----------
    transformer : str
        Name of the mefeat clip transformer computing the descriptor (``"LBPTOP"``, ``"BiWOOF"`` ...);
        its step is named ``transformer.lower()``.
    default_params : dict
        The baseline's descriptor parameters (the module's ``PARAMS``).
    features : {"table", "clips"}, default="table"
        ``"table"``: the pipelines take the rows of the baseline's feature table
        (:func:`mefeat._io.read_features`), (n_clips, n_features) floats. ``"clips"``: they take a
        list of :class:`mefeat.Clip` and compute the features themselves (``FaceAligner`` ->
        ``TemporalNormalizer`` -> the transformer).
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
        ``{classifier name: {param: value}}`` overriding ``pipelines.CLASSIFIER_DEFAULTS``.
    **params
        Descriptor parameters overriding ``default_params`` (``"clips"`` only).

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
    check_features(features)
    if features == "table":
        if params:
            raise TypeError(f"descriptor parameters {sorted(params)} only apply with features='clips'; "
                            "a feature table already fixes them")
        steps = []
    else:
        import mefeat

        steps = clip_front(face_size=face_size, n_frames=n_frames, align=align) + [
            (transformer.lower(), getattr(mefeat, transformer)(**_descriptor_params(default_params, params)))]
    return build(steps, classifiers=classifiers, random_state=random_state, memory=memory,
                         classifier_params=classifier_params)
