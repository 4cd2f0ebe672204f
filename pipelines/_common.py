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
