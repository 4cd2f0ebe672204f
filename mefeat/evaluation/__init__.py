"""Subject-independent evaluation: splitters, MEGC-style metrics, the protocol runner, reports.

Imports scikit-learn, numpy and pandas (lazily); never numba or the kernels; matplotlib only
inside the plotting functions. Names resolve lazily so that ``import mefeat.evaluation`` stays
cheap.

- :mod:`~mefeat.evaluation.splits`: ``SubjectKFold`` (DFME 10-fold), ``DFMEOfficialSplit``
  (train / test A / test B), ``LeaveOneSubjectOut``, ``MEGC2019LOSO``, ``LeaveOneDatabaseOut``,
  ``fold_assignment``.
- :mod:`~mefeat.evaluation.metrics`: UF1 / UAR / ACC of pooled predictions (scikit-learn's
  macro F1, macro recall and accuracy).
- :mod:`~mefeat.evaluation.protocol`: ``evaluate(estimator, X, y, groups, cv=..., split=...)``,
  with per-part results (DFME test sets, MEGC 2019 databases).
- :mod:`~mefeat.evaluation.presets`: named protocols (``protocol_preset("casme2-5class")``).
- :mod:`~mefeat.evaluation.published`: published baselines and the side-by-side comparison.
- :mod:`~mefeat.evaluation.labels`: printed names and the paper's order of methods,
  classifiers, protocols and parts.
- :mod:`~mefeat.evaluation.tables`: Markdown / CSV / LaTeX result tables.
- :mod:`~mefeat.evaluation.au`: per-AU detection (``evaluate_aus``), ``emotion_au_table``.
- :mod:`~mefeat.evaluation.plots`: figures for papers (PDF / SVG / PNG).
- :mod:`~mefeat.evaluation.stats`: subject-level bootstrap intervals, chance levels,
  per-subject scores, paired permutation tests (Holm), leak audit.
"""

from mefeat._lazy import attach

_LAZY = {
    "SubjectKFold": "mefeat.evaluation.splits",
    "DFMEOfficialSplit": "mefeat.evaluation.splits",
    "LeaveOneSubjectOut": "mefeat.evaluation.splits",
    "MEGC2019LOSO": "mefeat.evaluation.splits",
    "LeaveOneDatabaseOut": "mefeat.evaluation.splits",
    "qualify_groups": "mefeat.evaluation.splits",
    "fold_assignment": "mefeat.evaluation.splits",
    "get_splitter": "mefeat.evaluation.splits",
    "check_dfme_split": "mefeat.evaluation.splits",
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
    "ProtocolPreset": "mefeat.evaluation.presets",
    "PROTOCOLS": "mefeat.evaluation.presets",
    "protocol_preset": "mefeat.evaluation.presets",
    "published_baselines": "mefeat.evaluation.published",
    "compare_with_published": "mefeat.evaluation.published",
    "method_label": "mefeat.evaluation.labels",
    "classifier_label": "mefeat.evaluation.labels",
    "protocol_label": "mefeat.evaluation.labels",
    "part_label": "mefeat.evaluation.labels",
    "sort_results": "mefeat.evaluation.labels",
    "run_title": "mefeat.evaluation.labels",
    "results_table": "mefeat.evaluation.tables",
    "format_results": "mefeat.evaluation.tables",
    "write_results": "mefeat.evaluation.tables",
    "evaluate_aus": "mefeat.evaluation.au",
    "AUResult": "mefeat.evaluation.au",
    "au_matrix": "mefeat.evaluation.au",
    "emotion_au_table": "mefeat.evaluation.au",
    "top_aus_table": "mefeat.evaluation.au",
    "plot_confusion": "mefeat.evaluation.plots",
    "plot_confusion_grid": "mefeat.evaluation.plots",
    "plot_scores_bar": "mefeat.evaluation.plots",
    "plot_emotion_au_heatmap": "mefeat.evaluation.plots",
    "bootstrap_ci": "mefeat.evaluation.stats",
    "bootstrap_distribution": "mefeat.evaluation.stats",
    "chance_level": "mefeat.evaluation.stats",
    "permutation_chance": "mefeat.evaluation.stats",
    "subject_scores": "mefeat.evaluation.stats",
    "paired_test": "mefeat.evaluation.stats",
    "paired_test_results": "mefeat.evaluation.stats",
    "holm": "mefeat.evaluation.stats",
    "result_statistics": "mefeat.evaluation.stats",
    "leak_audit": "mefeat.evaluation.stats",
}
_SUBMODULES = {"splits", "metrics", "protocol", "presets", "published", "labels", "tables", "au", "plots", "stats",
               "comparison"}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY, _SUBMODULES)
