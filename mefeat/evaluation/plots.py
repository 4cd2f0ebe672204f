"""Figures for evaluation results (matplotlib, Agg backend, imported inside the functions)."""

import numpy as np

__all__ = ["plot_confusion", "plot_emotion_au_heatmap"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path, plt):
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)


def plot_confusion(confusion, path, *, title=None, normalize=True):
    """Save a confusion-matrix heatmap as PNG.

    Parameters
    ----------
    confusion : pandas.DataFrame, (K, K)
        Rows true, columns predicted (``EvaluationResult.confusion``).
    path : str or path-like
        Output file (``.png``).
    title : str or None
    normalize : bool, default=True
        Colour by the row share (recall per class); the cells show ``count`` and ``share``.

    Returns
    -------
    str
        ``path``.
    """
    plt = _pyplot()
    cm = np.asarray(confusion, dtype=float)
    labels = [str(c) for c in getattr(confusion, "index", range(cm.shape[0]))]
    rows = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    k = cm.shape[0]
    fig, ax = plt.subplots(figsize=(1.0 + 0.75 * k, 0.8 + 0.7 * k))
    im = ax.imshow(share if normalize else cm, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    for i in range(k):
        for j in range(k):
            txt = f"{int(cm[i, j])}\n{share[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
            ax.text(j, i, txt, ha="center", va="center", fontsize=7,
                    color="white" if (share[i, j] if normalize else cm[i, j] / max(cm.max(), 1)) > 0.5 else "black")
    ax.set_xticks(range(k), labels, rotation=45, ha="right")
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return _save(fig, path, plt)


def plot_emotion_au_heatmap(share, path, *, title="Share of clips of each emotion containing each AU"):
    """Save the emotion × AU co-occurrence table as a heatmap PNG.

    Parameters
    ----------
    share : pandas.DataFrame, (n_emotions, n_aus)
        Output of :func:`mefeat.evaluation.au.emotion_au_table`.
    path : str or path-like
    title : str

    Returns
    -------
    str
        ``path``.
    """
    plt = _pyplot()
    vals = np.asarray(share, dtype=float)
    n_e, n_a = vals.shape
    counts = share.attrs.get("n", {})
    ylabels = [f"{e} ({counts[e]})" if e in counts else str(e) for e in share.index]
    xlabels = [f"AU{a}" for a in share.columns]
    fig, ax = plt.subplots(figsize=(2.0 + 0.45 * max(n_a, 1), 1.0 + 0.45 * max(n_e, 1)))
    im = ax.imshow(np.nan_to_num(vals), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for i in range(n_e):
        for j in range(n_a):
            if np.isfinite(vals[i, j]) and vals[i, j] >= 0.05:
                ax.text(j, i, f"{vals[i, j]:.2f}"[1:] if vals[i, j] < 1 else "1", ha="center", va="center",
                        fontsize=6, color="black" if vals[i, j] > 0.6 else "white")
    ax.set_xticks(range(n_a), xlabels, rotation=90)
    ax.set_yticks(range(n_e), ylabels)
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return _save(fig, path, plt)
