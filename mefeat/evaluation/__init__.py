"""Subject-independent evaluation: splitters, MEGC-style metrics, the protocol runner, AU analysis.

Imports scikit-learn, numpy and pandas (lazily); never numba or the kernels. Names resolve lazily so
that ``import mefeat.evaluation`` stays cheap.

- :mod:`~mefeat.evaluation.splits`: ``SubjectKFold`` (DFME 10-fold), ``LeaveOneSubjectOut``,
  ``MEGC2019LOSO``, ``LeaveOneDatabaseOut``, ``fold_assignment``.
- :mod:`~mefeat.evaluation.metrics`: UF1 / UAR / ACC from pooled predictions (METHODS §2).
- :mod:`~mefeat.evaluation.protocol`: ``evaluate(estimator, X, y, groups, cv=...)``.
- :mod:`~mefeat.evaluation.au`: per-AU detection (``evaluate_aus``), ``emotion_au_table``.
- :mod:`~mefeat.evaluation.plots`: confusion-matrix and emotion–AU heatmaps (PNG).
"""

from mefeat._lazy import attach

_LAZY = {
    "SubjectKFold": "mefeat.evaluation.splits",
    "LeaveOneSubjectOut": "mefeat.evaluation.splits",
    "MEGC2019LOSO": "mefeat.evaluation.splits",
    "LeaveOneDatabaseOut": "mefeat.evaluation.splits",
    "qualify_groups": "mefeat.evaluation.splits",
    "fold_assignment": "mefeat.evaluation.splits",
    "get_splitter": "mefeat.evaluation.splits",
    "confusion_matrix": "mefeat.evaluation.metrics",
    "scores_from_confusion": "mefeat.evaluation.metrics",
    "mer_scores": "mefeat.evaluation.metrics",
    "uf1": "mefeat.evaluation.metrics",
    "uar": "mefeat.evaluation.metrics",
    "accuracy": "mefeat.evaluation.metrics",
    "per_class_table": "mefeat.evaluation.metrics",
    "fold_scores": "mefeat.evaluation.metrics",
    "evaluate": "mefeat.evaluation.protocol",
    "EvaluationResult": "mefeat.evaluation.protocol",
    "evaluate_aus": "mefeat.evaluation.au",
    "AUResult": "mefeat.evaluation.au",
    "au_matrix": "mefeat.evaluation.au",
    "emotion_au_table": "mefeat.evaluation.au",
    "top_aus_table": "mefeat.evaluation.au",
    "plot_confusion": "mefeat.evaluation.plots",
    "plot_emotion_au_heatmap": "mefeat.evaluation.plots",
}
_SUBMODULES = {"splits", "metrics", "protocol", "au", "plots"}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY, _SUBMODULES)
