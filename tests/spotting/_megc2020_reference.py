"""A plain transcription of the MEGC 2020 spotting baseline's evaluation (result_helper.py:
calc_iou and pred_clips_analysis, output F1_small), for one expression type; loops as in the script."""


def calc_iou(a, b):
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0])) + 1
    union = (a[1] - a[0] + 1) + (b[1] - b[0] + 1) - inter
    if a[1] <= a[0] or b[1] <= b[0] or union <= 0:
        return 0.0
    return float(inter) / float(union)


def pred_clips_analysis(pred_clips, true_labels, thresh):
    """pred_clips, true_labels: one list of [onset, offset] per video. Returns
    (N_clips, N_labels, N_find_labels, recall, precision_small, F1_small)."""
    n_clips = n_labels = n_find = 0
    for preds, labels in zip(pred_clips, true_labels):
        n_labels += len(labels)
        found = [0] * len(labels)
        for clip in preds:
            n_clips += 1
            for k, label in enumerate(labels):
                if calc_iou(clip, label) >= thresh:
                    found[k] = 1
        n_find += sum(found)
    recall = n_find / n_labels if n_labels else 0
    precision = n_find / n_clips if n_clips else 0
    f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0
    return n_clips, n_labels, n_find, recall, precision, f1
