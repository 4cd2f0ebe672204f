"""Long videos: micro- and macro-expression spotting, its evaluation, and spot-then-recognise.

* :func:`evaluate_spotting` -- precision, recall and F1 of spotted intervals, micro and macro apart
  and summed into "overall"; one-to-one matching (default) or the MEGC 2020 baseline's rules.
* :func:`strs_score` -- the spot-then-recognise score (spotting F1 x analysis F1 over the spotted
  true positives), with the circulating script's defects fixed, or reproduced (``method="compat"``).
* :func:`interval_iou` -- intersection over union of inclusive frame intervals.
* Spotters: :class:`MDMDSpotter` (MEGC 2020 baseline settings) and :class:`LBPChi2Spotter`, over the
  signals :func:`mdmd_signal` and :func:`lbp_chi2_signal`, streamed over long videos in bounded memory
  (:func:`iter_aligned_frames`; settings in ms, :func:`ms_to_frames`).
* :func:`spot_then_recognise` -- spotted intervals -> TIM -> a catalogue descriptor -> LOSO classifier -> STRS.
* :func:`plot_spotting` -- a video's spotting signal with the annotated and spotted intervals.

pandas and SciPy are imported inside the functions.
"""

from mefeat._lazy import attach

_LAZY = {
    "interval_iou": "mefeat.spotting.evaluation",
    "evaluate_spotting": "mefeat.spotting.evaluation",
    "match_intervals": "mefeat.spotting.evaluation",
    "strs_score": "mefeat.spotting.evaluation",
    "MDMDSpotter": "mefeat.spotting.spotters",
    "LBPChi2Spotter": "mefeat.spotting.spotters",
    "mdmd_signal": "mefeat.spotting.spotters",
    "lbp_chi2_signal": "mefeat.spotting.spotters",
    "contrast": "mefeat.spotting.spotters",
    "threshold_runs": "mefeat.spotting.spotters",
    "type_lengths": "mefeat.spotting.spotters",
    "ms_to_frames": "mefeat.spotting.stream",
    "iter_aligned_frames": "mefeat.spotting.stream",
    "spot_then_recognise": "mefeat.spotting.recognise",
    "interval_clips": "mefeat.spotting.recognise",
    "plot_spotting": "mefeat.spotting.plots",
}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY, ())
