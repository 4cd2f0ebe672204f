"""Spot-then-recognise: spotted intervals -> TIM -> a catalogue descriptor -> a LOSO classifier -> STRS."""

import numpy as np

__all__ = ["interval_clips", "spot_then_recognise"]


def _missing(value):
    import pandas as pd

    return value is None or bool(pd.isna(value))


def interval_clips(dataset, intervals, *, fps=None):
    """The frames of each interval as :class:`mefeat.Clip` objects (read from disk, one interval at a time).

    Parameters
    ----------
    dataset : LongVideoDataset
        Gives the frame files of each video.
    intervals : pandas.DataFrame
        Columns ``video, onset, offset`` (the database's frame numbers, inclusive) and optionally
        ``apex``, ``subject``, ``emotion``.
    fps : float, optional
        Default: the video's.

    Returns
    -------
    list of Clip
        ``clip.apex`` is the annotated apex when there is one, else None (descriptors then use the
        middle frame, :meth:`mefeat.Clip.apex_or_middle`).

    Raises
    ------
    FileNotFoundError
        A frame of an interval is missing (the message names the video and the frames).
    """
    from mefeat._clip import Clip
    from mefeat.spotting.stream import iter_aligned_frames

    cache = {}
    clips = []
    for r in intervals.to_dict("records"):
        video = str(r["video"])
        if video not in cache:
            paths, numbers = dataset.frame_paths(video)
            cache = {video: (paths, {int(n): i for i, n in enumerate(numbers)}, dataset.video_row(video))}
        paths, index, row = cache[video]
        onset, offset = int(r["onset"]), int(r["offset"])
        missing = [n for n in (onset, offset) if n not in index]
        if missing:
            raise FileNotFoundError(f"video {video!r}: frames {missing} of the interval {onset}..{offset} are "
                                    f"not in {row['frame_dir']!r}")
        sel = paths[index[onset]:index[offset] + 1]
        if len(sel) < 2:  # a one-frame interval: repeat it so that descriptors get a clip
            sel = sel * 2
        frames = np.stack(list(iter_aligned_frames(sel, align=False)))
        apex = r.get("apex")
        apex = None if _missing(apex) or not onset <= int(apex) <= offset else int(apex) - onset
        clips.append(Clip(frames, onset=0, apex=apex, offset=len(frames) - 1,
                          fps=float(fps or row.get("fps") or 0) or None, subject=str(r.get("subject", row["subject"])),
                          name=f"{video}:{onset}-{offset}", emotion=r.get("emotion")))
    return clips


def spot_then_recognise(dataset, predictions, *, descriptor="lbp_top", params=None, align=False, classifier=None,
                        emotions=None, iou=0.5, videos=None, n_jobs=None):
    """Recognise the emotion of spotted intervals and score the whole with STRS.

    Parameters
    ----------
    dataset : LongVideoDataset
        Its annotated intervals (with an emotion) are the training set.
    predictions : pandas.DataFrame
        Spotted intervals: ``video, onset, offset`` (and ``type``, kept).
    descriptor : str, default "lbp_top"
        A :mod:`mefeat.catalogue` descriptor; its pipeline (face -> TIM -> descriptor) is the catalogue's.
    params : dict, optional
        Descriptor parameters.
    align : bool, default False
        Run the catalogue's face alignment on each interval (False for frames that are face crops,
        such as the long-video demo).
    classifier : estimator, optional
        Default: ``mefeat.compare.make_classifier("svm-linear")``.
    emotions : sequence of str, optional
        Classes of the analysis; default: the annotated emotions.
    iou : float, default 0.5
    videos : sequence of str, optional
        The videos that were spotted (default: every video of ``dataset``): STRS counts the ground truth
        of these only. The classifiers are trained on the annotated intervals of every video.
    n_jobs : int, optional
        For the descriptor steps.

    Returns
    -------
    dict
        ``predictions`` (the input with ``subject`` and the recognised ``emotion``), ``strs`` (the
        :func:`mefeat.spotting.strs_score` result, fixed), ``strs_compat`` (``method="compat"``),
        ``ground_truth`` (the annotated intervals scored: every interval of the spotted videos; those
        without an emotion, or outside ``emotions``, count for spotting only).

    Notes
    -----
    Leave-one-subject-out: the spotted intervals of subject s are classified by a classifier trained on
    the annotated intervals of every other subject. The feature steps (alignment, TIM, descriptor) are
    stateless, so they are computed once for every interval, and only the classifier is refitted per
    subject: this gives the same predictions as refitting the whole pipeline in every fold.
    """
    import pandas as pd
    from sklearn.base import clone

    from mefeat.catalogue import make_pipeline
    from mefeat.compare import make_classifier
    from mefeat.spotting.evaluation import strs_score

    gt = dataset.intervals[dataset.intervals["emotion"].notna()].reset_index(drop=True)  # the training set
    if emotions is not None:
        gt = gt[gt["emotion"].isin(list(emotions))].reset_index(drop=True)
    if gt["subject"].nunique() < 2:
        raise ValueError(f"{dataset.name}: spot-then-recognise needs annotated intervals of at least 2 subjects "
                         "(leave-one-subject-out)")
    subject_of = dict(zip(dataset.videos["video"], dataset.videos["subject"]))
    pred = predictions.reset_index(drop=True).copy()
    pred["subject"] = [subject_of.get(str(v)) for v in pred["video"]]
    features = make_pipeline(descriptor, params, face={"align": bool(align)}, n_jobs=n_jobs)
    X_gt = features.fit_transform(interval_clips(dataset, gt))
    X_pr = features.transform(interval_clips(dataset, pred)) if len(pred) else np.zeros((0, X_gt.shape[1]))
    y_gt = gt["emotion"].to_numpy(dtype=object)
    clf0 = make_classifier("svm-linear") if classifier is None else classifier
    labels = np.empty(len(pred), dtype=object)
    for s in pd.unique(pred["subject"]):
        train = (gt["subject"] != s).to_numpy()
        test = (pred["subject"] == s).to_numpy()
        if len(set(y_gt[train])) < 2:
            labels[test] = y_gt[train][0] if train.any() else None
            continue
        labels[test] = clone(clf0).fit(X_gt[train], y_gt[train]).predict(X_pr[test])
    pred["emotion"] = labels
    # every annotated interval counts for the spotting part; those without an emotion stay out of the analysis
    truth = dataset.intervals[["video", "subject", "onset", "offset", "type", "emotion"]]
    if videos is not None:
        truth = truth[truth["video"].isin([str(v) for v in videos])]
    cols = ["video", "subject", "onset", "offset", "emotion"]
    return {"predictions": pred, "ground_truth": truth,
            "strs": strs_score(truth[cols], pred[cols], iou=iou, emotions=emotions),
            "strs_compat": strs_score(truth[cols], pred[cols], iou=iou, emotions=emotions, method="compat")}
